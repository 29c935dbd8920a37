/*
 * Reading one JSON value as a declared type: the per-kind readers and the
 * messages that name the field when a value does not fit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/decoder_int.h"

/* ---- messages ---------------------------------------------------------- */

/* Up to 40 bytes of \p p, cut at a UTF-8 character boundary. */
static int preview_len(const char *p, size_t len, bool *cut) {
  *cut = len > 40;
  if (!*cut)
    return (int)len;
  size_t n = 40;
  while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
    n--;
  return (int)n;
}

/* Describe the value at the cursor ("string \"abc\"", "number 1.5", "object"). */
static int describe(eddy__dctx_t *c, char *buf, size_t size) {
  eddy__json_t j = c->j; /* a copy: the caller's cursor stays put */
  eddy__jstr_t tok;
  bool cut;
  int rc, n, ch = eddy__json_peek(&j);
  switch (ch) {
  case '"':
    if ((rc = eddy__json_string(&j, &tok)) < 0)
      return rc;
    n = preview_len(tok.p, tok.len, &cut);
    snprintf(buf, size, "string \"%.*s%s\"", n, tok.p, cut ? "..." : "");
    return 0;
  case '{': snprintf(buf, size, "object"); return 0;
  case '[': snprintf(buf, size, "array"); return 0;
  case 't':
  case 'f':
  case 'n': {
    const char *lit = ch == 't' ? "true" : ch == 'f' ? "false" : "null";
    if ((rc = eddy__json_literal(&j, lit, strlen(lit))) < 0)
      return rc;
    snprintf(buf, size, "%s", lit);
    return 0;
  }
  default:
    if (ch != '-' && (ch < '0' || ch > '9'))
      return eddy__json_unexpected(&c->j, c->j.p, "a value");
    if ((rc = eddy__json_number(&j, &tok)) < 0)
      return rc;
    n = preview_len(tok.p, tok.len, &cut);
    snprintf(buf, size, "number %.*s%s", n, tok.p, cut ? "..." : "");
    return 0;
  }
}

int eddy__value_mismatch(eddy__dctx_t *c, const eddy__vspec_t *vs, const char *expected) {
  char got[96];
  int rc = describe(c, got, sizeof(got));
  if (rc < 0)
    return rc;
  return eddy_error_set(c->j.err, EDDY_EDECODE, "%s: expected %s, got %s", vs->path,
                        expected, got);
}

int eddy__value_range(eddy__dctx_t *c, const eddy__vspec_t *vs, const char *at) {
  char got[96], type[64];
  c->j.p = at;
  int rc = describe(c, got, sizeof(got));
  if (rc < 0)
    return rc;
  eddy_type_format(vs->type, type, sizeof(type));
  return eddy_error_set(c->j.err, EDDY_EDECODE, "%s: %s is out of range for %s", vs->path, got,
                        type);
}

int eddy__schema_mismatch(eddy__dctx_t *c, const eddy__vspec_t *vs) {
  char st[96], type[64];
  eddy__stype_name(vs->stype, st, sizeof(st));
  eddy_type_format(vs->type, type, sizeof(type));
  return eddy_error_set(c->j.err, EDDY_EDECODE, "%s: schema type %s does not match declared %s",
                        vs->path, st, type);
}

/* ---- scalars ----------------------------------------------------------- */

static int read_bool(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st && st->ctype != EDDY__CT_BOOLEAN)
    return eddy__schema_mismatch(c, vs);
  int ch = eddy__json_peek(&c->j);
  if (ch == 't' || ch == 'f') {
    *out = eddy_bool(ch == 't');
    return eddy__json_literal(&c->j, ch == 't' ? "true" : "false", ch == 't' ? 4 : 5);
  }
  return eddy__value_mismatch(c, vs, "bool");
}

static int read_int(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st && !eddy__ct_int(st->ctype))
    return eddy__schema_mismatch(c, vs);
  int ch = eddy__json_peek(&c->j);
  if (ch != '-' && (ch < '0' || ch > '9'))
    return eddy__value_mismatch(c, vs, "int");
  const char *at = c->j.p;
  eddy__jstr_t num;
  int rc = eddy__json_number(&c->j, &num);
  if (rc < 0)
    return rc;
  if (!num.integral) {
    c->j.p = at;
    return eddy__value_mismatch(c, vs, "int");
  }
  *out = eddy_int(0);
  if (eddy__num_int(num.p, num.len, &out->u.i) < 0)
    return eddy__value_range(c, vs, at);
  return 0;
}

/* strtod needs a terminated copy; JSON numbers are valid strtod input. */
static int parse_double(eddy__dctx_t *c, const eddy__jstr_t *num, double *out) {
  char small[64];
  char *buf = num->len < sizeof(small) ? small : eddy_arena_alloc(c->arena, num->len + 1);
  if (buf == NULL)
    return EDDY_ENOMEM;
  memcpy(buf, num->p, num->len);
  buf[num->len] = '\0';
  *out = strtod(buf, NULL);
  return isinf(*out) ? EDDY_ERANGE : 0;
}

/* Jackson writes non-finite doubles as the strings "NaN" and "Infinity". */
static bool special_double(const eddy__jstr_t *s, double *out) {
  if (s->len == 3 && memcmp(s->p, "NaN", 3) == 0)
    *out = NAN;
  else if (s->len == 8 && memcmp(s->p, "Infinity", 8) == 0)
    *out = INFINITY;
  else if (s->len == 9 && memcmp(s->p, "-Infinity", 9) == 0)
    *out = -INFINITY;
  else
    return false;
  return true;
}

static int read_double_from_decimal(eddy__dctx_t *c, const eddy__vspec_t *vs,
                                    eddy_value_t *out) {
  eddy_type_t any_scale = eddy_type_decimal(0, 0);
  eddy__vspec_t dvs = *vs;
  dvs.type = &any_scale;
  int rc = eddy__read_decimal(c, &dvs, out);
  if (rc < 0 || out->kind == EDDY_T_NULL)
    return rc;
  *out = eddy_double(eddy_decimal_to_double(out->u.dec, out->scale));
  return 0;
}

static int read_double(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st && (st->logical == EDDY__LG_DECIMAL || st->logical == EDDY__LG_VARDECIMAL))
    return read_double_from_decimal(c, vs, out);
  if (st && !eddy__ct_int(st->ctype) && !eddy__ct_float(st->ctype))
    return eddy__schema_mismatch(c, vs);
  int ch = eddy__json_peek(&c->j);
  const char *at = c->j.p;
  eddy__jstr_t tok;
  int rc;
  *out = eddy_double(0);
  if (ch == '"') {
    if ((rc = eddy__json_string(&c->j, &tok)) < 0)
      return rc;
    if (special_double(&tok, &out->u.d))
      return 0;
    c->j.p = at;
    return eddy__value_mismatch(c, vs, "double");
  }
  if (ch != '-' && (ch < '0' || ch > '9'))
    return eddy__value_mismatch(c, vs, "double");
  if ((rc = eddy__json_number(&c->j, &tok)) < 0)
    return rc;
  if ((rc = parse_double(c, &tok, &out->u.d)) == EDDY_ERANGE)
    return eddy__value_range(c, vs, at);
  return rc;
}

static int read_string(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st && st->ctype != EDDY__CT_STRING)
    return eddy__schema_mismatch(c, vs);
  if (eddy__json_peek(&c->j) != '"')
    return eddy__value_mismatch(c, vs, "string");
  eddy__jstr_t s;
  int rc = eddy__json_string(&c->j, &s);
  if (rc < 0)
    return rc;
  *out = eddy_string("", 0);
  return eddy__json_unescape(&s, c->arena, &out->u.s, &out->len);
}

static int read_bytes(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st && st->ctype != EDDY__CT_BYTES)
    return eddy__schema_mismatch(c, vs);
  if (eddy__json_peek(&c->j) != '"')
    return eddy__value_mismatch(c, vs, "bytes");
  const char *at = c->j.p, *text;
  eddy__jstr_t s;
  uint32_t len;
  int rc = eddy__json_string(&c->j, &s);
  if (rc < 0 || (rc = eddy__json_unescape(&s, c->arena, &text, &len)) < 0)
    return rc;
  uint8_t *bytes = eddy_arena_alloc(c->arena, (size_t)len / 4 * 3 + 3);
  size_t n;
  if (bytes == NULL)
    return EDDY_ENOMEM;
  if (eddy__base64_decode_to(text, len, bytes, &n) < 0) {
    c->j.p = at;
    return eddy__value_mismatch(c, vs, "bytes (base64)");
  }
  *out = eddy_bytes(bytes, n);
  return 0;
}

/* ---- containers -------------------------------------------------------- */

static int read_array(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  static const eddy_type_t any = {.kind = EDDY_T_ANY};
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st && st->ctype != EDDY__CT_ARRAY)
    return eddy__schema_mismatch(c, vs);
  if (eddy__json_peek(&c->j) != '[')
    return eddy__value_mismatch(c, vs, "array");
  eddy__vspec_t evs = {.type = vs->type->elem ? vs->type->elem : &any,
                       .stype = st ? vs->selem : NULL, .path = vs->path};
  eddy_value_t *items = NULL;
  uint32_t cnt = 0, cap = 0;
  bool first = true;
  int rc = eddy__json_arr_open(&c->j);
  while (rc >= 0 && (rc = eddy__json_arr_next(&c->j, &first)) == 1) {
    if (cnt == cap) {
      cap = cap ? cap * 2 : 8;
      eddy_value_t *grown = eddy_arena_alloc(c->arena, cap * sizeof(*grown));
      if (grown == NULL)
        return EDDY_ENOMEM;
      if (cnt)
        memcpy(grown, items, cnt * sizeof(*grown));
      items = grown;
    }
    rc = eddy__value_read(c, &evs, &items[cnt++]);
  }
  if (rc < 0)
    return rc;
  *out = (eddy_value_t){.kind = EDDY_T_ARRAY, .len = cnt};
  out->u.items = items;
  return 0;
}

static int struct_index(eddy__dctx_t *c, const eddy_fields_t *f, const eddy__jstr_t *key) {
  char small[128];
  const char *name = key->p;
  size_t len = key->len;
  if (key->escaped && key->len <= sizeof(small)) {
    len = eddy__json_unescape_to(key, small);
    name = small;
  } else if (key->escaped) {
    uint32_t n;
    if (eddy__json_unescape(key, c->arena, &name, &n) < 0)
      return EDDY_ENOMEM;
    len = n;
  }
  for (uint32_t i = 0; f && i < f->cnt; i++)
    if (strlen(f->items[i].name) == len && memcmp(f->items[i].name, name, len) == 0)
      return (int)i;
  return -1;
}

static int read_struct(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  const eddy_fields_t *f = vs->type->fields;
  uint32_t cnt = f ? f->cnt : 0;
  if (st && st->ctype != EDDY__CT_STRUCT && st->ctype != EDDY__CT_MAP)
    return eddy__schema_mismatch(c, vs);
  if (eddy__json_peek(&c->j) != '{')
    return eddy__value_mismatch(c, vs, "struct");
  eddy_value_t *items = eddy_arena_calloc(c->arena, cnt ? cnt : 1, sizeof(*items));
  if (items == NULL)
    return EDDY_ENOMEM;
  bool first = true;
  eddy__jstr_t key;
  int rc = eddy__json_obj_open(&c->j);
  while (rc >= 0 && (rc = eddy__json_obj_key(&c->j, &first, &key)) == 1) {
    int i = struct_index(c, f, &key);
    if (i < 0) {
      rc = i == -1 ? eddy__json_skip(&c->j) : i;
      continue;
    }
    eddy__vspec_t fvs = {.type = &f->items[i].type, .path = vs->path};
    rc = eddy__value_read(c, &fvs, &items[i]);
  }
  if (rc < 0)
    return rc;
  *out = (eddy_value_t){.kind = EDDY_T_STRUCT, .len = cnt};
  out->u.items = items;
  return 0;
}

/* ---- any: the value's own JSON type decides ---------------------------- */

static int read_any_number(eddy__dctx_t *c, eddy_value_t *out) {
  eddy__jstr_t num;
  eddy_i128 v;
  int32_t scale;
  int64_t i;
  int rc = eddy__json_number(&c->j, &num);
  if (rc < 0)
    return rc;
  if (num.integral && eddy__num_int(num.p, num.len, &i) == 0) {
    *out = eddy_int(i);
    return 0;
  }
  if (eddy__num_decimal(num.p, num.len, &v, &scale) == 0 && scale <= EDDY_DECIMAL_MAX_PRECISION) {
    *out = eddy_decimal(v, (uint8_t)scale);
    return 0;
  }
  *out = eddy_double(0);
  rc = parse_double(c, &num, &out->u.d);
  return rc == EDDY_ERANGE ? 0 : rc; /* keep ±inf: nothing was declared */
}

static int read_any(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  static const eddy_type_t dec = {.kind = EDDY_T_DECIMAL};
  static const eddy_type_t ts = {.kind = EDDY_T_TIMESTAMP};
  const eddy__stype_t *st = eddy__vs_stype(vs);
  eddy__vspec_t tvs = *vs;
  if (st && (st->logical == EDDY__LG_DECIMAL || st->logical == EDDY__LG_VARDECIMAL)) {
    tvs.type = &dec;
    return eddy__read_decimal(c, &tvs, out);
  }
  if (st && st->logical >= EDDY__LG_DATE && st->logical <= EDDY__LG_TS_ISO) {
    tvs.type = &ts;
    return eddy__read_timestamp(c, &tvs, out);
  }
  int rc, ch = eddy__json_peek(&c->j);
  const char *at = c->j.p;
  switch (ch) {
  case '"': tvs.stype = NULL; return read_string(c, &tvs, out);
  case 't':
  case 'f': tvs.stype = NULL; return read_bool(c, &tvs, out);
  case '{':
  case '[': /* nested JSON without a declared type: keep its text */
    if ((rc = eddy__json_skip(&c->j)) < 0)
      return rc;
    *out = eddy_string(at, (size_t)(c->j.p - at));
    return 0;
  default:
    if (ch == '-' || (ch >= '0' && ch <= '9'))
      return read_any_number(c, out);
    return eddy__json_unexpected(&c->j, c->j.p, "a value");
  }
}

/* ---- dispatch ---------------------------------------------------------- */

int eddy__value_read(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  if (eddy__json_peek(&c->j) == 'n') {
    *out = eddy_null();
    return eddy__json_literal(&c->j, "null", 4);
  }
  switch (vs->type->kind) {
  case EDDY_T_BOOL: return read_bool(c, vs, out);
  case EDDY_T_INT: return read_int(c, vs, out);
  case EDDY_T_DECIMAL: return eddy__read_decimal(c, vs, out);
  case EDDY_T_DOUBLE: return read_double(c, vs, out);
  case EDDY_T_STRING: return read_string(c, vs, out);
  case EDDY_T_BYTES: return read_bytes(c, vs, out);
  case EDDY_T_TIMESTAMP: return eddy__read_timestamp(c, vs, out);
  case EDDY_T_DURATION: return eddy__read_duration(c, vs, out);
  case EDDY_T_ARRAY: return read_array(c, vs, out);
  case EDDY_T_STRUCT: return read_struct(c, vs, out);
  case EDDY_T_ANY: return read_any(c, vs, out);
  default:
    *out = eddy_null();
    return eddy__json_skip(&c->j);
  }
}
