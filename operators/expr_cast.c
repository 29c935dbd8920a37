/*
 * cast(): every conversion eddy_expr_castable() allows. Strings are parsed
 * strictly (surrounding blanks allowed); failures name the value.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int bad_cast(eddy_error_t **err, int code, const eddy_value_t *v, const eddy_type_t *to) {
  char x[80], t[64];
  eddy_type_format(to, t, sizeof(t));
  const char *why = code == EDDY_EOVERFLOW ? "out of range" : "invalid";
  return eddy_error_set(err, code, "cannot cast %s to %s (%s)", eddy__value_quote(v, x, sizeof(x)),
                        t, why);
}

static void trim(const char **s, size_t *len) {
  while (*len > 0 && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r'))
    (*s)++, (*len)--;
  while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
                      (*s)[*len - 1] == '\n' || (*s)[*len - 1] == '\r'))
    (*len)--;
}

static int parse_int(const char *s, size_t len, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < len && (s[i] == '+' || s[i] == '-'))
    neg = s[i++] == '-';
  if (i >= len)
    return EDDY_EINVAL;
  uint64_t m = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return EDDY_EINVAL;
    if (m > (UINT64_MAX - 9) / 10)
      return EDDY_EOVERFLOW;
    m = m * 10 + (uint64_t)(s[i] - '0');
  }
  if (m > (uint64_t)INT64_MAX + neg)
    return EDDY_EOVERFLOW;
  *out = neg ? (int64_t)(0 - m) : (int64_t)m;
  return 0;
}

static int parse_double(const char *s, size_t len, double *out) {
  char buf[128];
  if (len == 0 || len >= sizeof(buf))
    return EDDY_EINVAL;
  memcpy(buf, s, len);
  buf[len] = '\0';
  for (size_t i = 0; i < len; i++) /* strtod is locale-dependent about ',' vs '.' */
    if (buf[i] == ',')
      return EDDY_EINVAL;
  char *end;
  double d = strtod(buf, &end);
  if (end != buf + len)
    return EDDY_EINVAL;
  *out = d;
  return 0;
}

static int parse_bool(const char *s, size_t len, bool *out) {
  static const char *const yes[] = {"true", "t", "yes", "y", "on", "1"};
  static const char *const no[] = {"false", "f", "no", "n", "off", "0"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strlen(yes[i]) == len && strncasecmp(yes[i], s, len) == 0)
      return *out = true, 0;
    if (strlen(no[i]) == len && strncasecmp(no[i], s, len) == 0)
      return *out = false, 0;
  }
  return EDDY_EINVAL;
}

static int double_to_int(double d, int64_t *out) {
  if (isnan(d))
    return EDDY_EINVAL;
  double r = round(d); /* half away from zero */
  if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
    return EDDY_EOVERFLOW;
  *out = (int64_t)r;
  return 0;
}

static int cast_int(const eddy_value_t *v, int64_t *out) {
  const char *s = v->u.s;
  size_t len = v->len;
  switch (v->kind) {
  case EDDY_T_INT:
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION: *out = v->u.i; return 0;
  case EDDY_T_BOOL: *out = v->u.b; return 0;
  case EDDY_T_DECIMAL: return eddy_decimal_to_int(v->u.dec, v->scale, out);
  case EDDY_T_DOUBLE: return double_to_int(v->u.d, out);
  case EDDY_T_STRING: trim(&s, &len); return parse_int(s, len, out);
  default: return EDDY_ETYPE;
  }
}

static int cast_decimal(const eddy_value_t *v, const eddy_type_t *to, eddy_i128 *out) {
  eddy_i128 u;
  uint8_t s;
  int rc = 0;
  const char *str = v->u.s;
  size_t len = v->len;
  switch (v->kind) {
  case EDDY_T_INT: u = v->u.i, s = 0; break;
  case EDDY_T_BOOL: u = v->u.b, s = 0; break;
  case EDDY_T_DECIMAL: u = v->u.dec, s = v->scale; break;
  case EDDY_T_DOUBLE: rc = eddy_decimal_from_double(v->u.d, to->scale, &u), s = to->scale; break;
  case EDDY_T_STRING: trim(&str, &len); rc = eddy_decimal_parse(str, len, &u, &s); break;
  default: return EDDY_ETYPE;
  }
  if (rc == 0)
    rc = eddy_decimal_rescale(u, s, to->scale, &u);
  if (rc != 0)
    return rc;
  unsigned p = to->precision ? to->precision : EDDY_DECIMAL_MAX_PRECISION;
  if (!eddy_decimal_fits(u, p))
    return EDDY_EOVERFLOW;
  *out = u;
  return 0;
}

static int cast_double(const eddy_value_t *v, double *out) {
  const char *s = v->u.s;
  size_t len = v->len;
  switch (v->kind) {
  case EDDY_T_INT: *out = (double)v->u.i; return 0;
  case EDDY_T_BOOL: *out = v->u.b; return 0;
  case EDDY_T_DECIMAL: *out = eddy_decimal_to_double(v->u.dec, v->scale); return 0;
  case EDDY_T_DOUBLE: *out = v->u.d; return 0;
  case EDDY_T_STRING: trim(&s, &len); return parse_double(s, len, out);
  default: return EDDY_ETYPE;
  }
}

static int cast_bool(const eddy_value_t *v, bool *out) {
  const char *s = v->u.s;
  size_t len = v->len;
  switch (v->kind) {
  case EDDY_T_BOOL: *out = v->u.b; return 0;
  case EDDY_T_INT: *out = v->u.i != 0; return 0;
  case EDDY_T_DECIMAL: *out = v->u.dec != 0; return 0;
  case EDDY_T_DOUBLE: *out = v->u.d != 0; return 0;
  case EDDY_T_STRING: trim(&s, &len); return parse_bool(s, len, out);
  default: return EDDY_ETYPE;
  }
}

/* As eddy_value_format() renders doubles: the shortest %.15g..%.17g that reads back. */
static int format_double(double d, char *buf, size_t size) {
  if (isnan(d) || isinf(d))
    return snprintf(buf, size, "%s", isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity");
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(buf, size, "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  return n;
}

/* Scalars render into a small stack buffer: no heap allocation per value. */
static int format_scalar(const eddy_value_t *v, char *buf, size_t size) {
  switch (v->kind) {
  case EDDY_T_DOUBLE: return format_double(v->u.d, buf, size);
  case EDDY_T_BOOL: return snprintf(buf, size, "%s", v->u.b ? "true" : "false");
  case EDDY_T_INT: return snprintf(buf, size, "%lld", (long long)v->u.i);
  case EDDY_T_DECIMAL: return eddy_decimal_format(v->u.dec, v->scale, buf, size);
  case EDDY_T_TIMESTAMP: return eddy_timestamp_format(v->u.i, buf, size);
  case EDDY_T_DURATION: return eddy_duration_format(v->u.i, buf, size);
  default: return -1;
  }
}

static int cast_string(const eddy_value_t *v, eddy_arena_t *arena, eddy_value_t *out,
                       eddy_error_t **err) {
  if (v->kind == EDDY_T_STRING || v->kind == EDDY_T_BYTES) {
    *out = eddy_string((const char *)v->u.bytes, v->len);
    return 0;
  }
  char small[96];
  eddy_buf_t b = {0};
  const char *src = small;
  int n = format_scalar(v, small, sizeof(small));
  if (n < 0) { /* arrays, structs, bytes: the general renderer */
    if (eddy_value_format(v, &b) != 0) {
      eddy_buf_free(&b);
      return eddy_error_set(err, EDDY_ENOMEM, "cast to string: out of memory");
    }
    src = b.p;
    n = (int)b.len;
  }
  char *p = arena != NULL ? eddy_arena_alloc(arena, n > 0 ? (size_t)n : 1) : NULL;
  if (p != NULL && n > 0)
    memcpy(p, src, (size_t)n);
  eddy_buf_free(&b);
  if (p == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "cast to string: out of memory");
  *out = eddy_string(p, (size_t)n);
  return 0;
}

static int cast_time(const eddy_value_t *v, uint8_t kind, int64_t *out) {
  const char *s = v->u.s;
  size_t len = v->len;
  if (v->kind == kind || v->kind == EDDY_T_INT) {
    *out = v->u.i;
    return 0;
  }
  if (v->kind != EDDY_T_STRING)
    return EDDY_ETYPE;
  trim(&s, &len);
  return kind == EDDY_T_TIMESTAMP ? eddy_timestamp_parse(s, len, out)
                                  : eddy_duration_parse(s, len, out);
}

static int cast_array(const eddy_value_t *v, const eddy_type_t *to, eddy_arena_t *arena,
                      eddy_value_t *out, eddy_error_t **err) {
  if (v->kind != EDDY_T_ARRAY)
    return bad_cast(err, EDDY_ETYPE, v, to);
  if (to->elem == NULL || to->elem->kind == EDDY_T_ANY) {
    *out = *v;
    return 0;
  }
  eddy_value_t *items = eddy_arena_alloc(arena, sizeof(*items) * (v->len ? v->len : 1));
  if (items == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "cast: out of memory");
  for (uint32_t i = 0; i < v->len; i++) {
    int rc = eddy_value_cast(&v->u.items[i], to->elem, arena, &items[i], err);
    if (rc != 0)
      return rc;
  }
  *out = *v;
  out->u.items = items;
  return 0;
}

int eddy_value_cast(const eddy_value_t *v, const eddy_type_t *to, eddy_arena_t *arena,
                    eddy_value_t *out, eddy_error_t **err) {
  int rc = 0;
  eddy_value_t r = {.kind = to->kind};
  if (v->kind == EDDY_T_NULL || to->kind == EDDY_T_ANY) {
    *out = *v;
    return 0;
  }
  switch (to->kind) {
  case EDDY_T_BOOL: rc = cast_bool(v, &r.u.b); break;
  case EDDY_T_INT: rc = cast_int(v, &r.u.i); break;
  case EDDY_T_DECIMAL: rc = cast_decimal(v, to, &r.u.dec), r.scale = to->scale; break;
  case EDDY_T_DOUBLE: rc = cast_double(v, &r.u.d); break;
  case EDDY_T_STRING: return cast_string(v, arena, out, err);
  case EDDY_T_BYTES:
    if (v->kind != EDDY_T_STRING && v->kind != EDDY_T_BYTES)
      return bad_cast(err, EDDY_ETYPE, v, to);
    *out = eddy_bytes(v->u.bytes, v->len);
    return 0;
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION: rc = cast_time(v, to->kind, &r.u.i); break;
  case EDDY_T_ARRAY: return cast_array(v, to, arena, out, err);
  case EDDY_T_STRUCT:
    if (v->kind != EDDY_T_STRUCT)
      return bad_cast(err, EDDY_ETYPE, v, to);
    *out = *v;
    return 0;
  default: rc = EDDY_ETYPE; break;
  }
  if (rc != 0)
    return bad_cast(err, rc, v, to);
  *out = r;
  return 0;
}
