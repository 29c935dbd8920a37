/*
 * Exact decimals: number text, Debezium's base64 two's-complement bytes and
 * VariableScaleDecimal structs to (unscaled, scale), never through a C
 * double.
 */
#include <string.h>

#include "serde/decoder_int.h"

static const eddy_i128 pow10_table[39] = {
  (eddy_i128)1ULL,
  (eddy_i128)10ULL,
  (eddy_i128)100ULL,
  (eddy_i128)1000ULL,
  (eddy_i128)10000ULL,
  (eddy_i128)100000ULL,
  (eddy_i128)1000000ULL,
  (eddy_i128)10000000ULL,
  (eddy_i128)100000000ULL,
  (eddy_i128)1000000000ULL,
  (eddy_i128)10000000000ULL,
  (eddy_i128)100000000000ULL,
  (eddy_i128)1000000000000ULL,
  (eddy_i128)10000000000000ULL,
  (eddy_i128)100000000000000ULL,
  (eddy_i128)1000000000000000ULL,
  (eddy_i128)10000000000000000ULL,
  (eddy_i128)100000000000000000ULL,
  (eddy_i128)1000000000000000000ULL,
  (eddy_i128)10000000000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 10ULL,
  (eddy_i128)10000000000000000000ULL * 100ULL,
  (eddy_i128)10000000000000000000ULL * 1000ULL,
  (eddy_i128)10000000000000000000ULL * 10000ULL,
  (eddy_i128)10000000000000000000ULL * 100000ULL,
  (eddy_i128)10000000000000000000ULL * 1000000ULL,
  (eddy_i128)10000000000000000000ULL * 10000000ULL,
  (eddy_i128)10000000000000000000ULL * 100000000ULL,
  (eddy_i128)10000000000000000000ULL * 1000000000ULL,
  (eddy_i128)10000000000000000000ULL * 10000000000ULL,
  (eddy_i128)10000000000000000000ULL * 100000000000ULL,
  (eddy_i128)10000000000000000000ULL * 1000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 10000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 100000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 1000000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 10000000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 100000000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 1000000000000000000ULL,
  (eddy_i128)10000000000000000000ULL * 10000000000000000000ULL,
};

eddy_i128 eddy__pow10(int n) { return pow10_table[n]; }

__extension__ typedef unsigned __int128 u128_t;

static eddy_i128 abs128(eddy_i128 v) { return v < 0 ? -v : v; }

/* ---- number text ------------------------------------------------------- */

typedef struct {
  eddy_i128 v;       /* significant digits so far */
  int sig;           /* digits in v (leading zeros excluded) */
  int32_t frac;      /* fraction digits kept in v */
  bool digit_seen;
  bool round_up;     /* the first dropped fraction digit was >= 5 */
  bool dropped;      /* fraction digits were dropped */
} digits_t;

/* Accumulate one digit; past 38 significant digits only fraction digits may
 * be dropped (rounded once, at the end). */
static int put_digit(digits_t *ds, int d, bool fraction) {
  ds->digit_seen = true;
  if (ds->sig >= EDDY_DECIMAL_MAX_PRECISION) {
    if (!fraction)
      return EDDY_EOVERFLOW;
    if (!ds->dropped)
      ds->round_up = d >= 5;
    ds->dropped = true;
    return 0;
  }
  if (ds->v != 0 || d != 0) {
    ds->v = ds->v * 10 + d;
    ds->sig++;
  }
  ds->frac += fraction;
  return 0;
}

static int read_exponent(const char **pp, const char *end, int32_t *exp) {
  const char *p = *pp;
  bool neg = false;
  int64_t e = 0;
  if (p < end && (*p == '+' || *p == '-'))
    neg = *p++ == '-';
  if (p >= end || (unsigned)(*p - '0') >= 10)
    return EDDY_EINVAL;
  for (; p < end && (unsigned)(*p - '0') < 10; p++)
    if (e < 100000)
      e = e * 10 + (*p - '0');
  *exp = (int32_t)(neg ? -e : e);
  *pp = p;
  return 0;
}

int eddy__num_decimal(const char *p, size_t len, eddy_i128 *unscaled, int32_t *scale) {
  const char *end = p + len;
  digits_t ds = {0};
  bool neg = false, fraction = false;
  int32_t exp = 0;
  int rc;
  if (p < end && (*p == '-' || *p == '+'))
    neg = *p++ == '-';
  for (; p < end; p++) {
    if (*p == '.' && !fraction) {
      fraction = true;
    } else if ((unsigned)(*p - '0') < 10) {
      if ((rc = put_digit(&ds, *p - '0', fraction)) < 0)
        return rc;
    } else {
      break;
    }
  }
  if (!ds.digit_seen)
    return EDDY_EINVAL;
  if (p < end && (*p | 0x20) == 'e') {
    p++;
    if ((rc = read_exponent(&p, end, &exp)) < 0)
      return rc;
  }
  if (p != end)
    return EDDY_EINVAL;
  eddy_i128 v = ds.v + (ds.round_up ? 1 : 0);
  int32_t s = ds.frac - exp;
  if (v == 0)
    s = s < 0 ? 0 : s;
  if (s < 0) {
    if (-s > EDDY_DECIMAL_MAX_PRECISION || v > pow10_table[38] / pow10_table[-s])
      return EDDY_EOVERFLOW;
    v *= pow10_table[-s];
    s = 0;
  }
  *unscaled = neg ? -v : v;
  *scale = s;
  return 0;
}

int eddy__num_int(const char *p, size_t len, int64_t *out) {
  const char *end = p + len;
  bool neg = false;
  uint64_t v = 0;
  if (p < end && *p == '-')
    neg = *p++ == '-';
  if (p >= end)
    return EDDY_EINVAL;
  for (; p < end; p++) {
    unsigned d = (unsigned)(*p - '0');
    if (d >= 10)
      return EDDY_EINVAL;
    if (v > (UINT64_MAX - d) / 10)
      return EDDY_ERANGE;
    v = v * 10 + d;
  }
  if (v > (uint64_t)INT64_MAX + neg)
    return EDDY_ERANGE;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

/* ---- scale and bytes --------------------------------------------------- */

int eddy__decimal_fit(eddy_i128 v, int32_t from, int32_t to, eddy_i128 *out) {
  if (to > from) {
    int32_t k = to - from;
    if (v != 0 && (k > EDDY_DECIMAL_MAX_PRECISION || abs128(v) >= pow10_table[38] / pow10_table[k]))
      return EDDY_EOVERFLOW;
    v = v == 0 ? 0 : v * pow10_table[k];
  } else if (to < from) {
    int32_t k = from - to;
    if (k > EDDY_DECIMAL_MAX_PRECISION) {
      v = 0; /* |v| < 10^38 <= half of 10^k */
    } else {
      eddy_i128 q = v / pow10_table[k], r = v % pow10_table[k];
      if (abs128(r) * 2 >= pow10_table[k])
        q += v < 0 ? -1 : 1;
      v = q;
    }
  }
  if (abs128(v) >= pow10_table[38])
    return EDDY_EOVERFLOW;
  *out = v;
  return 0;
}

int eddy__decimal_from_bytes(const uint8_t *b, size_t n, eddy_i128 *out) {
  if (n == 0)
    return EDDY_EINVAL;
  uint8_t sign = b[0] & 0x80 ? 0xff : 0x00;
  /* Redundant sign-extension bytes in front are harmless. */
  while (n > 16 && b[0] == sign && ((b[1] ^ sign) & 0x80) == 0) {
    b++;
    n--;
  }
  if (n > 16)
    return EDDY_EOVERFLOW;
  u128_t u = sign ? ~(u128_t)0 : 0;
  for (size_t i = 0; i < n; i++)
    u = u << 8 | b[i];
  eddy_i128 v;
  memcpy(&v, &u, sizeof(v));
  /* Past 38 digits (up to ±2^127) nothing downstream can hold it. */
  if (v >= pow10_table[38] || v <= -pow10_table[38])
    return EDDY_EOVERFLOW;
  *out = v;
  return 0;
}

/* ---- reading a decimal column ------------------------------------------ */

/* Base64 of at most 48 bytes (sign extension included). */
#define B64_MAX_CHARS 64

static int base64_unscaled(const eddy__jstr_t *s, eddy_i128 *v) {
  char text[B64_MAX_CHARS];
  uint8_t bytes[B64_MAX_CHARS / 4 * 3 + 3];
  size_t len = s->len, n;
  const char *p = s->p;
  if (len > B64_MAX_CHARS)
    return EDDY_EOVERFLOW;
  if (s->escaped) {
    len = eddy__json_unescape_to(s, text);
    p = text;
  }
  if (eddy__base64_decode_to(p, len, bytes, &n) < 0)
    return EDDY_EINVAL;
  return eddy__decimal_from_bytes(bytes, n, v);
}

static int text_unscaled(eddy__dctx_t *c, const eddy__jstr_t *s, eddy_i128 *v, int32_t *scale) {
  const char *p;
  uint32_t len;
  int rc = eddy__json_unescape(s, c->arena, &p, &len);
  return rc < 0 ? rc : eddy__num_decimal(p, len, v, scale);
}

/* Debezium's VariableScaleDecimal: {"scale": 2, "value": "BNI="}. */
static int varscale_unscaled(eddy__dctx_t *c, eddy_i128 *v, int32_t *scale) {
  eddy__jstr_t key, tok;
  bool first = true, have_scale = false, have_value = false;
  int64_t s = 0;
  int rc = eddy__json_obj_open(&c->j), bad = 0;
  while (rc >= 0 && (rc = eddy__json_obj_key(&c->j, &first, &key)) == 1) {
    int ch = eddy__json_peek(&c->j);
    if (key.len == 5 && memcmp(key.p, "scale", 5) == 0 && (ch == '-' || (ch >= '0' && ch <= '9'))) {
      if ((rc = eddy__json_number(&c->j, &tok)) < 0)
        break;
      have_scale = tok.integral && eddy__num_int(tok.p, tok.len, &s) == 0 && s > -1000 && s < 1000;
    } else if (key.len == 5 && memcmp(key.p, "value", 5) == 0 && ch == '"') {
      if ((rc = eddy__json_string(&c->j, &tok)) < 0)
        break;
      bad = base64_unscaled(&tok, v);
      have_value = true;
    } else {
      rc = eddy__json_skip(&c->j);
    }
  }
  if (rc < 0)
    return rc;
  if (!have_scale || !have_value || bad < 0)
    return bad == EDDY_EOVERFLOW ? EDDY_EOVERFLOW : EDDY_EINVAL;
  *scale = (int32_t)s;
  return 0;
}

/* The schema allows a decimal column, and says whether strings are base64. */
static int decimal_form(eddy__dctx_t *c, const eddy__vspec_t *vs, bool *base64, int32_t *scale) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  *scale = vs->type->scale;
  if (st == NULL) {
    *base64 = c->debezium && c->d->spec->decimal_mode == EDDY_DECIMAL_PRECISE;
    return 0;
  }
  *base64 = st->logical == EDDY__LG_DECIMAL;
  if (st->logical == EDDY__LG_DECIMAL && st->scale >= 0)
    *scale = st->scale;
  if (st->logical == EDDY__LG_DECIMAL || st->logical == EDDY__LG_VARDECIMAL ||
      eddy__ct_int(st->ctype) || eddy__ct_float(st->ctype) || st->ctype == EDDY__CT_STRING)
    return 0;
  return eddy__schema_mismatch(c, vs);
}

/* Read the token at the cursor as (unscaled, scale). Returns EDDY_EINVAL
 * when the token is not a decimal, EDDY_EOVERFLOW when it is too large. */
static int read_unscaled(eddy__dctx_t *c, bool base64, eddy_i128 *v, int32_t *scale) {
  eddy__jstr_t tok;
  int rc, ch = eddy__json_peek(&c->j);
  if (ch == '{')
    return varscale_unscaled(c, v, scale);
  if (ch == '"') {
    if ((rc = eddy__json_string(&c->j, &tok)) < 0)
      return rc;
    return base64 ? base64_unscaled(&tok, v) : text_unscaled(c, &tok, v, scale);
  }
  if (ch == '-' || (ch >= '0' && ch <= '9')) {
    if ((rc = eddy__json_number(&c->j, &tok)) < 0)
      return rc;
    return eddy__num_decimal(tok.p, tok.len, v, scale);
  }
  return EDDY_EINVAL;
}

int eddy__read_decimal(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy_type_t *t = vs->type;
  bool base64;
  int32_t scale;
  eddy_i128 v = 0;
  int rc = decimal_form(c, vs, &base64, &scale);
  if (rc < 0)
    return rc;
  eddy__json_peek(&c->j);
  const char *at = c->j.p;
  if ((rc = read_unscaled(c, base64, &v, &scale)) == EDDY_EINVAL) {
    c->j.p = at;
    return eddy__value_mismatch(c, vs, "decimal");
  }
  if (rc == EDDY_EOVERFLOW)
    return eddy__value_range(c, vs, at);
  if (rc < 0)
    return rc;
  int32_t to = t->precision ? t->scale : scale < 0 ? 0 : scale > 38 ? 38 : scale;
  int precision = t->precision && t->precision < EDDY_DECIMAL_MAX_PRECISION
                      ? t->precision : EDDY_DECIMAL_MAX_PRECISION;
  if (eddy__decimal_fit(v, scale, to, &v) < 0 || abs128(v) >= pow10_table[precision])
    return eddy__value_range(c, vs, at);
  *out = eddy_decimal(v, (uint8_t)to);
  return 0;
}
