/*
 * Time functions: date_trunc, date_part/extract, to_timestamp, epoch_ms,
 * now. Timestamps are µs since the epoch, UTC.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <math.h>
#include <stdio.h>

static int need(const char *what, const eddy_type_t *t, eddy_kind_t kind, char *why,
                size_t why_size) {
  return eddy__type_is(t, kind) ? 0 : eddy__fn_type_error(why, why_size, what, t);
}

static int unit_args(const eddy_type_t *args, char *why, size_t why_size) {
  int rc = need("unit must be a string", &args[0], EDDY_T_STRING, why, why_size);
  return rc != 0 ? rc : need("argument must be a timestamp", &args[1], EDDY_T_TIMESTAMP, why,
                             why_size);
}

static int check_unit_literal(eddy_expr_t *call, bool trunc, char *why, size_t why_size) {
  const eddy_expr_t *u = call->u.call.args[0];
  if (u->kind != EDDY_X_LITERAL || u->u.lit.kind != EDDY_T_STRING)
    return 0;
  if (eddy_timestamp_unit_valid(u->u.lit.u.s, u->u.lit.len, trunc))
    return 0;
  snprintf(why, why_size, "%s: unknown unit '%.*s' (expected %s)", call->u.call.fn->name,
           (int)(u->u.lit.len > 40 ? 40 : u->u.lit.len), u->u.lit.u.s,
           trunc ? "microsecond, millisecond, second, minute, hour, day, week, month, quarter "
                   "or year"
                 : "microsecond, millisecond, second, minute, hour, day, week, month, quarter, "
                   "year, doy, dow, isodow or epoch");
  return EDDY_ETYPE;
}

int eddy__fn_trunc_unit_literal(eddy_expr_t *call, char *why, size_t why_size) {
  return check_unit_literal(call, true, why, why_size);
}

int eddy__fn_part_unit_literal(eddy_expr_t *call, char *why, size_t why_size) {
  return check_unit_literal(call, false, why, why_size);
}

static int unit_eval(const char *fn, const eddy_value_t *args, bool trunc, int64_t *res,
                     eddy_error_t **err) {
  if (args[0].kind != EDDY_T_STRING)
    return eddy__fn_kind_error(err, fn, "a string unit", &args[0]);
  if (args[1].kind != EDDY_T_TIMESTAMP)
    return eddy__fn_kind_error(err, fn, "a timestamp", &args[1]);
  int rc = trunc ? eddy_timestamp_trunc(args[1].u.i, args[0].u.s, args[0].len, res)
                 : eddy_timestamp_part(args[1].u.i, args[0].u.s, args[0].len, res);
  if (rc != 0)
    return eddy_error_set(err, EDDY_EINVAL, "%s: unknown unit '%.*s'", fn,
                          (int)(args[0].len > 40 ? 40 : args[0].len), args[0].u.s);
  return 0;
}

EDDY_FUNC_CHECK(date_trunc) {
  (void)argc;
  *result = eddy_type(EDDY_T_TIMESTAMP);
  return unit_args(args, why, why_size);
}

EDDY_FUNC_EVAL(date_trunc) {
  (void)argc, (void)type, (void)ctx;
  int64_t r;
  int rc = unit_eval("date_trunc", args, true, &r, err);
  if (rc == 0)
    *out = eddy_timestamp(r);
  return rc;
}

EDDY_FUNC_CHECK(date_part) {
  (void)argc;
  *result = eddy_type(EDDY_T_INT);
  return unit_args(args, why, why_size);
}

EDDY_FUNC_EVAL(date_part) {
  (void)argc, (void)type, (void)ctx;
  int64_t r;
  int rc = unit_eval("date_part", args, false, &r, err);
  if (rc == 0)
    *out = eddy_int(r);
  return rc;
}

EDDY_FUNC_CHECK(to_timestamp) {
  (void)argc;
  *result = eddy_type(EDDY_T_TIMESTAMP);
  uint8_t k = args[0].kind;
  if (eddy__type_is_num(&args[0]) || k == EDDY_T_STRING || k == EDDY_T_TIMESTAMP ||
      k == EDDY_T_NULL || k == EDDY_T_ANY)
    return 0;
  return eddy__fn_type_error(why, why_size,
                             "argument must be epoch milliseconds (a number) or an ISO-8601 string",
                             &args[0]);
}

static int ms_to_us(const eddy_value_t *v, int64_t *us) {
  if (v->kind == EDDY_T_INT)
    return __builtin_mul_overflow(v->u.i, EDDY_MSEC, us) ? EDDY_EOVERFLOW : 0;
  if (v->kind == EDDY_T_DECIMAL) {
    eddy_i128 r;
    int rc = eddy_decimal_rescale(v->u.dec, v->scale, 3, &r); /* ms with 3 decimals = µs */
    if (rc != 0 || r < INT64_MIN || r > INT64_MAX)
      return EDDY_EOVERFLOW;
    *us = (int64_t)r;
    return 0;
  }
  double d = round(v->u.d * 1000.0);
  if (isnan(d))
    return EDDY_EINVAL;
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
    return EDDY_EOVERFLOW;
  *us = (int64_t)d;
  return 0;
}

EDDY_FUNC_EVAL(to_timestamp) {
  (void)argc, (void)type, (void)ctx;
  const eddy_value_t *a = &args[0];
  char x[80];
  int64_t us = 0;
  int rc;
  switch (a->kind) {
  case EDDY_T_TIMESTAMP: *out = *a; return 0;
  case EDDY_T_STRING: rc = eddy_timestamp_parse(a->u.s, a->len, &us); break;
  case EDDY_T_INT:
  case EDDY_T_DECIMAL:
  case EDDY_T_DOUBLE: rc = ms_to_us(a, &us); break;
  default: return eddy__fn_kind_error(err, "to_timestamp", "a number or string", a);
  }
  if (rc != 0)
    return eddy_error_set(err, rc, "to_timestamp: %s %s", rc == EDDY_EOVERFLOW ?
                          "out of range:" : "not a timestamp:", eddy__value_quote(a, x, sizeof(x)));
  *out = eddy_timestamp(us);
  return 0;
}

EDDY_FUNC_CHECK(epoch_ms) {
  (void)argc;
  *result = eddy_type(EDDY_T_INT);
  return need("argument must be a timestamp", &args[0], EDDY_T_TIMESTAMP, why, why_size);
}

EDDY_FUNC_EVAL(epoch_ms) {
  (void)argc, (void)type, (void)ctx;
  if (args[0].kind != EDDY_T_TIMESTAMP)
    return eddy__fn_kind_error(err, "epoch_ms", "a timestamp", &args[0]);
  int64_t us = args[0].u.i, q = us / EDDY_MSEC;
  *out = eddy_int(us % EDDY_MSEC < 0 ? q - 1 : q); /* floor: -1 µs is -1 ms */
  return 0;
}

EDDY_FUNC_CHECK(now) {
  (void)args, (void)argc, (void)why, (void)why_size;
  *result = eddy_type(EDDY_T_TIMESTAMP);
  return 0;
}

EDDY_FUNC_EVAL(now) {
  (void)args, (void)argc, (void)type, (void)err;
  *out = eddy_timestamp(ctx->now_us);
  return 0;
}
