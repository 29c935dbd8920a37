/*
 * Run-time arithmetic and comparison on values. Operands are dispatched on
 * their run-time kinds, so mixed numbers (int + decimal, decimal * double)
 * need no cast nodes and ANY-typed operands work; the node's checked type
 * only fixes decimal result scales.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool is_num(uint8_t k) { return k == EDDY_T_INT || k == EDDY_T_DECIMAL || k == EDDY_T_DOUBLE; }

const char *eddy__value_kind_name(const eddy_value_t *v) {
  return eddy_kind_name((eddy_kind_t)v->kind);
}

const char *eddy__value_quote(const eddy_value_t *v, char *buf, size_t size) {
  if (v->kind == EDDY_T_STRING) {
    int n = v->len > 60 ? 60 : (int)v->len;
    snprintf(buf, size, "'%.*s'%s", n, v->u.s, v->len > 60 ? "..." : "");
    return buf;
  }
  eddy_buf_t b = {0};
  if (eddy_value_format(v, &b) == 0 && eddy_buf_cstr(&b) != NULL)
    snprintf(buf, size, "%.60s%s", b.p, b.len > 60 ? "..." : "");
  else
    snprintf(buf, size, "%s", eddy__value_kind_name(v));
  eddy_buf_free(&b);
  return buf;
}

int eddy__fn_kind_error(eddy_error_t **err, const char *fn, const char *what,
                        const eddy_value_t *got) {
  return eddy_error_set(err, EDDY_ETYPE, "%s: expected %s, got %s", fn, what,
                        eddy__value_kind_name(got));
}

static double to_dbl(const eddy_value_t *v) {
  if (v->kind == EDDY_T_INT)
    return (double)v->u.i;
  if (v->kind == EDDY_T_DECIMAL)
    return eddy_decimal_to_double(v->u.dec, v->scale);
  return v->u.d;
}

static const char *op_name(eddy_expr_kind_t k) {
  static const char *const names[] = {"+", "-", "*", "/", "%"};
  return k >= EDDY_X_ADD && k <= EDDY_X_MOD ? names[k - EDDY_X_ADD] : "?";
}

static int overflow(eddy_error_t **err, eddy_expr_kind_t k, const eddy_value_t *a,
                    const eddy_value_t *b) {
  char x[80], y[80];
  return eddy_error_set(err, EDDY_EOVERFLOW, "arithmetic overflow in %s %s %s",
                        eddy__value_quote(a, x, sizeof(x)), op_name(k),
                        eddy__value_quote(b, y, sizeof(y)));
}

static int divzero(eddy_error_t **err, const eddy_value_t *a, eddy_expr_kind_t k) {
  char x[80];
  return eddy_error_set(err, EDDY_EDIVZERO, "division by zero in %s %s 0",
                        eddy__value_quote(a, x, sizeof(x)), op_name(k));
}

static int arith_int(eddy_expr_kind_t k, const eddy_value_t *a, const eddy_value_t *b,
                     eddy_value_t *out, eddy_error_t **err) {
  int64_t x = a->u.i, y = b->u.i, r = 0;
  bool ovf = false;
  switch (k) {
  case EDDY_X_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
  case EDDY_X_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
  case EDDY_X_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
  case EDDY_X_DIV:
  case EDDY_X_MOD:
    if (y == 0)
      return divzero(err, a, k);
    if (y == -1) { /* INT64_MIN / -1 overflows; % -1 is always 0 */
      ovf = k == EDDY_X_DIV && x == INT64_MIN;
      r = k == EDDY_X_DIV ? (ovf ? 0 : -x) : 0;
    } else {
      r = k == EDDY_X_DIV ? x / y : x % y;
    }
    break;
  default: break;
  }
  if (ovf)
    return overflow(err, k, a, b);
  *out = eddy_int(r);
  return 0;
}

static int arith_double(eddy_expr_kind_t k, double x, double y, eddy_value_t *out) {
  double r;
  switch (k) {
  case EDDY_X_ADD: r = x + y; break;
  case EDDY_X_SUB: r = x - y; break;
  case EDDY_X_MUL: r = x * y; break;
  case EDDY_X_DIV: r = x / y; break;
  default: r = fmod(x, y); break;
  }
  *out = eddy_double(r);
  return 0;
}

/* The decimal scale a MUL/DIV result takes: the node's, or derived from the
 * operands' own digits when the node is typed ANY. */
static uint8_t dec_scale(eddy_expr_kind_t k, const eddy_type_t *type, eddy_i128 ua, uint8_t sa,
                         eddy_i128 ub, uint8_t sb) {
  if (type->kind == EDDY_T_DECIMAL)
    return type->scale;
  int da = eddy_decimal_digits(ua), db = eddy_decimal_digits(ub);
  eddy_type_t ta = eddy_type_decimal((uint8_t)(da > sa ? da : sa), sa);
  eddy_type_t tb = eddy_type_decimal((uint8_t)(db > sb ? db : sb), sb);
  return eddy__expr_dec_result(k, &ta, &tb).scale;
}

static int arith_decimal(eddy_expr_kind_t k, const eddy_value_t *a, const eddy_value_t *b,
                         const eddy_type_t *type, eddy_value_t *out, eddy_error_t **err) {
  eddy_i128 ua = a->kind == EDDY_T_INT ? (eddy_i128)a->u.i : a->u.dec, ub, r = 0;
  uint8_t sa = a->kind == EDDY_T_INT ? 0 : a->scale, sb, s = 0;
  ub = b->kind == EDDY_T_INT ? (eddy_i128)b->u.i : b->u.dec;
  sb = b->kind == EDDY_T_INT ? 0 : b->scale;
  int rc;
  switch (k) {
  case EDDY_X_ADD: rc = eddy_decimal_add(ua, sa, ub, sb, &r, &s); break;
  case EDDY_X_SUB: rc = eddy_decimal_sub(ua, sa, ub, sb, &r, &s); break;
  case EDDY_X_MUL:
    s = dec_scale(k, type, ua, sa, ub, sb);
    rc = eddy_decimal_mul(ua, sa, ub, sb, s, &r);
    break;
  case EDDY_X_DIV:
    s = dec_scale(k, type, ua, sa, ub, sb);
    rc = eddy_decimal_div(ua, sa, ub, sb, s, &r);
    break;
  default: rc = eddy_decimal_mod(ua, sa, ub, sb, &r, &s); break;
  }
  if (rc == 0 && type->kind == EDDY_T_DECIMAL && s != type->scale) {
    rc = eddy_decimal_rescale(r, s, type->scale, &r);
    s = type->scale;
  }
  if (rc == EDDY_EDIVZERO)
    return divzero(err, a, k);
  if (rc != 0)
    return overflow(err, k, a, b);
  *out = eddy_decimal(r, s);
  return 0;
}

static int arith_time(eddy_expr_kind_t k, const eddy_value_t *a, const eddy_value_t *b,
                      eddy_value_t *out, eddy_error_t **err) {
  const uint8_t T = EDDY_T_TIMESTAMP, D = EDDY_T_DURATION, I = EDDY_T_INT;
  int64_t r;
  bool ovf;
  uint8_t kind;
  if (k == EDDY_X_ADD && ((a->kind == T && b->kind == D) || (a->kind == D && b->kind == T))) {
    ovf = __builtin_add_overflow(a->u.i, b->u.i, &r), kind = T;
  } else if (k == EDDY_X_ADD && a->kind == D && b->kind == D) {
    ovf = __builtin_add_overflow(a->u.i, b->u.i, &r), kind = D;
  } else if (k == EDDY_X_SUB && a->kind == T && b->kind == D) {
    ovf = __builtin_sub_overflow(a->u.i, b->u.i, &r), kind = T;
  } else if (k == EDDY_X_SUB && a->kind == b->kind && (a->kind == T || a->kind == D)) {
    ovf = __builtin_sub_overflow(a->u.i, b->u.i, &r), kind = D;
  } else if (k == EDDY_X_MUL && ((a->kind == D && b->kind == I) || (a->kind == I && b->kind == D))) {
    ovf = __builtin_mul_overflow(a->u.i, b->u.i, &r), kind = D;
  } else if (k == EDDY_X_DIV && a->kind == D && b->kind == I) {
    if (b->u.i == 0)
      return divzero(err, a, k);
    ovf = a->u.i == INT64_MIN && b->u.i == -1;
    r = ovf ? 0 : a->u.i / b->u.i, kind = D;
  } else {
    return 1; /* not a time operation */
  }
  if (ovf)
    return overflow(err, k, a, b);
  out->kind = kind;
  out->scale = 0;
  out->len = 0;
  out->u.i = r;
  return 0;
}

static int concat2(const eddy_value_t *a, const eddy_value_t *b, eddy_arena_t *arena,
                   eddy_value_t *out, eddy_error_t **err) {
  size_t n = (size_t)a->len + b->len;
  if (n > UINT32_MAX)
    return eddy_error_set(err, EDDY_ELIMIT, "string too long (limit is 4 GiB)");
  char *p = eddy_arena_alloc(arena, n ? n : 1);
  if (p == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory concatenating strings");
  if (a->len > 0)
    memcpy(p, a->u.s, a->len);
  if (b->len > 0)
    memcpy(p + a->len, b->u.s, b->len);
  *out = eddy_string(p, n);
  return 0;
}

int eddy__expr_arith(eddy_expr_kind_t kind, const eddy_value_t *a, const eddy_value_t *b,
                     const eddy_type_t *type, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                     eddy_error_t **err) {
  if (is_num(a->kind) && is_num(b->kind)) {
    if (a->kind == EDDY_T_INT && b->kind == EDDY_T_INT)
      return arith_int(kind, a, b, out, err);
    if (a->kind == EDDY_T_DOUBLE || b->kind == EDDY_T_DOUBLE)
      return arith_double(kind, to_dbl(a), to_dbl(b), out);
    return arith_decimal(kind, a, b, type, out, err);
  }
  int rc = arith_time(kind, a, b, out, err);
  if (rc <= 0)
    return rc;
  if (kind == EDDY_X_ADD && a->kind == EDDY_T_STRING && b->kind == EDDY_T_STRING)
    return concat2(a, b, ctx->arena, out, err);
  return eddy_error_set(err, EDDY_ETYPE, "cannot apply %s to %s and %s", op_name(kind),
                        eddy__value_kind_name(a), eddy__value_kind_name(b));
}

int eddy__expr_neg(const eddy_value_t *a, eddy_value_t *out, eddy_error_t **err) {
  *out = *a;
  switch (a->kind) {
  case EDDY_T_INT:
  case EDDY_T_DURATION:
    if (a->u.i == INT64_MIN)
      return eddy_error_set(err, EDDY_EOVERFLOW, "arithmetic overflow in -(%lld)",
                            (long long)a->u.i);
    out->u.i = -a->u.i;
    return 0;
  case EDDY_T_DECIMAL:
    out->u.dec = -a->u.dec; /* valid decimals are symmetric: never overflows */
    return 0;
  case EDDY_T_DOUBLE:
    out->u.d = -a->u.d;
    return 0;
  default:
    return eddy__fn_kind_error(err, "-", "a number or duration", a);
  }
}

bool eddy__value_comparable(const eddy_value_t *a, const eddy_value_t *b) {
  if (is_num(a->kind) && is_num(b->kind))
    return true;
  return a->kind == b->kind;
}

int eddy__expr_compare(eddy_expr_kind_t kind, const eddy_value_t *a, const eddy_value_t *b,
                       bool *res, eddy_error_t **err) {
  if (!eddy__value_comparable(a, b))
    return eddy_error_set(err, EDDY_ETYPE, "cannot compare %s and %s",
                          eddy__value_kind_name(a), eddy__value_kind_name(b));
  int c = eddy_value_cmp(a, b);
  switch (kind) {
  case EDDY_X_EQ: *res = c == 0; break;
  case EDDY_X_NE: *res = c != 0; break;
  case EDDY_X_LT: *res = c < 0; break;
  case EDDY_X_LE: *res = c <= 0; break;
  case EDDY_X_GT: *res = c > 0; break;
  default: *res = c >= 0; break;
  }
  return 0;
}

int eddy__expr_coerce(eddy_value_t *v, const eddy_type_t *type, eddy_arena_t *arena,
                      eddy_error_t **err) {
  if (v->kind == EDDY_T_NULL || type->kind == EDDY_T_ANY || type->kind == EDDY_T_NULL)
    return 0;
  if (v->kind == type->kind && (v->kind != EDDY_T_DECIMAL || v->scale == type->scale))
    return 0;
  if (type->kind == EDDY_T_DECIMAL && (v->kind == EDDY_T_DECIMAL || v->kind == EDDY_T_INT)) {
    /* Only the scale is adjusted here; a declared precision is enforced by
     * cast(), not by every intermediate result. */
    eddy_i128 u = v->kind == EDDY_T_INT ? (eddy_i128)v->u.i : v->u.dec;
    uint8_t from = v->kind == EDDY_T_INT ? 0 : v->scale;
    if (eddy_decimal_rescale(u, from, type->scale, &u) != 0) {
      char x[80];
      return eddy_error_set(err, EDDY_EOVERFLOW, "%s does not fit decimal with scale %u",
                            eddy__value_quote(v, x, sizeof(x)), type->scale);
    }
    *v = eddy_decimal(u, type->scale);
    return 0;
  }
  eddy_value_t in = *v;
  return eddy_value_cast(&in, type, arena, v, err);
}
