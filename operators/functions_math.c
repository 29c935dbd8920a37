/*
 * Numeric functions: abs, sign, round, floor, ceil, sqrt, exp, ln, log10,
 * power. Decimals stay exact; rounding is half away from zero.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <math.h>
#include <stdio.h>

static int need_num(const char *what, const eddy_type_t *t, char *why, size_t why_size) {
  if (eddy__type_is_num(t) || t->kind == EDDY_T_NULL || t->kind == EDDY_T_ANY)
    return 0;
  return eddy__fn_type_error(why, why_size, what, t);
}

static int overflow(eddy_error_t **err, const char *fn, const eddy_value_t *v) {
  char x[80];
  return eddy_error_set(err, EDDY_EOVERFLOW, "%s: result out of range for %s", fn,
                        eddy__value_quote(v, x, sizeof(x)));
}

EDDY_FUNC_CHECK(abs) {
  (void)argc;
  if (args[0].kind == EDDY_T_DURATION) {
    *result = args[0];
    return 0;
  }
  int rc = need_num("argument must be a number", &args[0], why, why_size);
  if (rc == 0)
    *result = args[0];
  return rc;
}

EDDY_FUNC_EVAL(abs) {
  (void)argc, (void)type, (void)ctx;
  const eddy_value_t *a = &args[0];
  *out = *a;
  switch (a->kind) {
  case EDDY_T_INT:
  case EDDY_T_DURATION:
    if (a->u.i == INT64_MIN)
      return overflow(err, "abs", a);
    out->u.i = a->u.i < 0 ? -a->u.i : a->u.i;
    return 0;
  case EDDY_T_DECIMAL: out->u.dec = a->u.dec < 0 ? -a->u.dec : a->u.dec; return 0;
  case EDDY_T_DOUBLE: out->u.d = fabs(a->u.d); return 0;
  default: return eddy__fn_kind_error(err, "abs", "a number", a);
  }
}

EDDY_FUNC_CHECK(sign) {
  (void)argc;
  *result = eddy_type(EDDY_T_INT);
  return need_num("argument must be a number", &args[0], why, why_size);
}

EDDY_FUNC_EVAL(sign) {
  (void)argc, (void)type, (void)ctx;
  const eddy_value_t *a = &args[0];
  switch (a->kind) {
  case EDDY_T_INT: *out = eddy_int((a->u.i > 0) - (a->u.i < 0)); return 0;
  case EDDY_T_DECIMAL: *out = eddy_int((a->u.dec > 0) - (a->u.dec < 0)); return 0;
  case EDDY_T_DOUBLE:
    if (isnan(a->u.d))
      return eddy_error_set(err, EDDY_EINVAL, "sign: argument is NaN");
    *out = eddy_int((a->u.d > 0) - (a->u.d < 0));
    return 0;
  default: return eddy__fn_kind_error(err, "sign", "a number", a);
  }
}

/* ---- round / floor / ceil ------------------------------------------------------- */

/* The type of rounding decimal(p,s) to \p scale digits (one more integer digit: 9.5 -> 10). */
static eddy_type_t rounded_dec(const eddy_type_t *t, int scale) {
  int p = t->precision ? t->precision : EDDY_DECIMAL_MAX_PRECISION;
  return eddy__expr_dec_type(p - t->scale + 1, scale);
}

EDDY_FUNC_CHECK(round) {
  int rc = need_num("argument must be a number", &args[0], why, why_size);
  if (rc != 0)
    return rc;
  if (argc > 1 && !eddy__type_is(&args[1], EDDY_T_INT))
    return eddy__fn_type_error(why, why_size, "digits must be int", &args[1]);
  if (args[0].kind == EDDY_T_DECIMAL)
    *result = rounded_dec(&args[0], argc > 1 ? args[0].scale : 0);
  else
    *result = args[0];
  return 0;
}

/* round(dec, <literal>): the result keeps min(digits, s) fraction digits. */
int eddy__fn_round_literal(eddy_expr_t *call, char *why, size_t why_size) {
  (void)why, (void)why_size;
  const eddy_expr_t *x = call->u.call.args[0];
  if (call->u.call.argc < 2 || x->type.kind != EDDY_T_DECIMAL)
    return 0;
  const eddy_expr_t *d = call->u.call.args[1];
  bool neg = d->kind == EDDY_X_NEG; /* round(x, -1) may arrive as -(1) */
  if (neg)
    d = d->u.un.arg;
  if (d->kind != EDDY_X_LITERAL || d->u.lit.kind != EDDY_T_INT)
    return 0;
  int64_t digits = neg ? -d->u.lit.u.i : d->u.lit.u.i;
  int scale = digits < 0 ? 0 : digits > x->type.scale ? x->type.scale : (int)digits;
  call->type = rounded_dec(&x->type, scale);
  return 0;
}

/* Round u (at scale s) to 10^-digits, keeping scale s. */
static int round_dec(eddy_i128 u, uint8_t s, int64_t digits, eddy_i128 *out) {
  if (digits >= s) {
    *out = u;
    return 0;
  }
  int64_t drop = (int64_t)s - digits; /* digits to remove, >= 1 */
  if (drop > 77) {
    *out = 0;
    return 0;
  }
  eddy_i128 r;
  int rc = eddy_decimal_rescale(u, (uint8_t)drop, 0, &r);  /* u / 10^drop, rounded */
  if (rc == 0)
    rc = eddy_decimal_rescale(r, 0, (uint8_t)drop, &r);    /* back to scale s */
  *out = r;
  return rc;
}

static int round_int(int64_t x, int64_t digits, int64_t *out) {
  if (digits >= 0) {
    *out = x;
    return 0;
  }
  if (digits < -18) {
    *out = 0;
    return 0;
  }
  eddy_i128 r;
  int rc = round_dec(x, 0, digits, &r);
  if (rc == 0 && (r < INT64_MIN || r > INT64_MAX))
    rc = EDDY_EOVERFLOW;
  *out = (int64_t)r;
  return rc;
}

EDDY_FUNC_EVAL(round) {
  (void)type, (void)ctx;
  const eddy_value_t *a = &args[0];
  int64_t digits = argc > 1 ? args[1].u.i : 0;
  int rc = 0;
  *out = *a;
  if (argc > 1 && args[1].kind != EDDY_T_INT)
    return eddy__fn_kind_error(err, "round: digits", "int", &args[1]);
  switch (a->kind) {
  case EDDY_T_INT: rc = round_int(a->u.i, digits, &out->u.i); break;
  case EDDY_T_DECIMAL: rc = round_dec(a->u.dec, a->scale, digits, &out->u.dec); break;
  case EDDY_T_DOUBLE:
    if (digits == 0) {
      out->u.d = round(a->u.d);
    } else if (digits > -308 && digits < 308) {
      double f = pow(10.0, (double)digits);
      out->u.d = round(a->u.d * f) / f;
    }
    break;
  default: return eddy__fn_kind_error(err, "round", "a number", a);
  }
  return rc != 0 ? overflow(err, "round", a) : 0;
}

EDDY_FUNC_CHECK(floor) {
  (void)argc;
  int rc = need_num("argument must be a number", &args[0], why, why_size);
  if (rc != 0)
    return rc;
  *result = args[0].kind == EDDY_T_DECIMAL ? rounded_dec(&args[0], 0) : args[0];
  return 0;
}

static int floor_ceil(const eddy_value_t *a, bool up, eddy_value_t *out, eddy_error_t **err) {
  *out = *a;
  switch (a->kind) {
  case EDDY_T_INT: return 0;
  case EDDY_T_DOUBLE: out->u.d = up ? ceil(a->u.d) : floor(a->u.d); return 0;
  case EDDY_T_DECIMAL: {
    eddy_i128 p = eddy_decimal_pow10(a->scale > 38 ? 38 : a->scale);
    eddy_i128 q = a->u.dec / p, r = a->u.dec % p;
    if (r != 0 && (r > 0) == up)
      q += up ? 1 : -1;
    *out = eddy_decimal(q, 0);
    return 0;
  }
  default: return eddy__fn_kind_error(err, up ? "ceil" : "floor", "a number", a);
  }
}

EDDY_FUNC_EVAL(floor) {
  (void)argc, (void)type, (void)ctx;
  return floor_ceil(&args[0], false, out, err);
}

EDDY_FUNC_EVAL(ceil) {
  (void)argc, (void)type, (void)ctx;
  return floor_ceil(&args[0], true, out, err);
}

/* ---- double-valued functions ---------------------------------------------------------- */

static double num_to_double(const eddy_value_t *v) {
  if (v->kind == EDDY_T_INT)
    return (double)v->u.i;
  if (v->kind == EDDY_T_DECIMAL)
    return eddy_decimal_to_double(v->u.dec, v->scale);
  return v->u.d;
}

static int double_arg(const char *fn, const eddy_value_t *v, double *d, eddy_error_t **err) {
  if (v->kind != EDDY_T_INT && v->kind != EDDY_T_DECIMAL && v->kind != EDDY_T_DOUBLE)
    return eddy__fn_kind_error(err, fn, "a number", v);
  *d = num_to_double(v);
  return 0;
}

EDDY_FUNC_CHECK(to_double1) {
  (void)argc;
  *result = eddy_type(EDDY_T_DOUBLE);
  return need_num("argument must be a number", &args[0], why, why_size);
}

EDDY_FUNC_EVAL(sqrt) {
  (void)argc, (void)type, (void)ctx;
  double d = 0;
  int rc = double_arg("sqrt", &args[0], &d, err);
  if (rc != 0)
    return rc;
  if (d < 0)
    return eddy_error_set(err, EDDY_EINVAL, "sqrt: cannot take the square root of %g", d);
  *out = eddy_double(sqrt(d));
  return 0;
}

EDDY_FUNC_EVAL(exp) {
  (void)argc, (void)type, (void)ctx;
  double d = 0;
  int rc = double_arg("exp", &args[0], &d, err);
  if (rc != 0)
    return rc;
  double r = exp(d);
  if (isinf(r) && !isinf(d))
    return eddy_error_set(err, EDDY_EOVERFLOW, "exp: result out of range for %g", d);
  *out = eddy_double(r);
  return 0;
}

static int log_of(const char *fn, const eddy_value_t *v, bool ten, eddy_value_t *out,
                  eddy_error_t **err) {
  double d = 0;
  int rc = double_arg(fn, v, &d, err);
  if (rc != 0)
    return rc;
  if (!(d > 0))
    return eddy_error_set(err, EDDY_EINVAL, "%s: cannot take the logarithm of %g", fn, d);
  *out = eddy_double(ten ? log10(d) : log(d));
  return 0;
}

EDDY_FUNC_EVAL(ln) {
  (void)argc, (void)type, (void)ctx;
  return log_of("ln", &args[0], false, out, err);
}

EDDY_FUNC_EVAL(log10) {
  (void)argc, (void)type, (void)ctx;
  return log_of("log10", &args[0], true, out, err);
}

EDDY_FUNC_CHECK(power) {
  (void)argc;
  *result = eddy_type(EDDY_T_DOUBLE);
  int rc = need_num("base must be a number", &args[0], why, why_size);
  return rc != 0 ? rc : need_num("exponent must be a number", &args[1], why, why_size);
}

EDDY_FUNC_EVAL(power) {
  (void)argc, (void)type, (void)ctx;
  double x = 0, y = 0;
  int rc = double_arg("power", &args[0], &x, err);
  if (rc == 0)
    rc = double_arg("power", &args[1], &y, err);
  if (rc != 0)
    return rc;
  if (x == 0 && y < 0)
    return eddy_error_set(err, EDDY_EDIVZERO, "power: zero raised to a negative power");
  if (x < 0 && y != floor(y))
    return eddy_error_set(err, EDDY_EINVAL,
                          "power: a negative number raised to a non-integer power (%g, %g)", x, y);
  double r = pow(x, y);
  if (isinf(r) && !isinf(x) && !isinf(y))
    return eddy_error_set(err, EDDY_EOVERFLOW, "power: result out of range for (%g, %g)", x, y);
  *out = eddy_double(r);
  return 0;
}
