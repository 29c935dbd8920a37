/*
 * Conditionals (coalesce, nullif, greatest, least, if) and hash().
 *
 * coalesce and if evaluate their arguments lazily, like `case`: the
 * evaluator calls eddy__fn_eval_lazy() for them instead of evaluating every
 * argument first, so `if(n = 0, 0, total / n)` never divides by zero.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <stdio.h>

static int common_of(const eddy_type_t *args, uint32_t argc, eddy_type_t *result, char *why,
                     size_t why_size) {
  return eddy_expr_type_common(args, argc, result, why, why_size);
}

EDDY_FUNC_CHECK(coalesce) { return common_of(args, argc, result, why, why_size); }

EDDY_FUNC_EVAL(coalesce) {
  (void)type, (void)ctx, (void)err;
  for (uint32_t i = 0; i < argc; i++)
    if (args[i].kind != EDDY_T_NULL) {
      *out = args[i];
      return 0;
    }
  *out = eddy_null();
  return 0;
}

EDDY_FUNC_CHECK(nullif) {
  (void)argc;
  if (!eddy__expr_comparable(&args[0], &args[1], false)) {
    char a[96], b[96];
    eddy_type_format(&args[0], a, sizeof(a));
    eddy_type_format(&args[1], b, sizeof(b));
    snprintf(why, why_size, "cannot compare %s and %s", a, b);
    return EDDY_ETYPE;
  }
  *result = args[0];
  return 0;
}

EDDY_FUNC_EVAL(nullif) {
  (void)argc, (void)type, (void)ctx, (void)err;
  if (args[0].kind != EDDY_T_NULL && args[1].kind != EDDY_T_NULL &&
      eddy__value_comparable(&args[0], &args[1]) && eddy_value_eq(&args[0], &args[1]))
    *out = eddy_null();
  else
    *out = args[0];
  return 0;
}

EDDY_FUNC_CHECK(greatest) {
  int rc = common_of(args, argc, result, why, why_size);
  if (rc == 0 && (result->kind == EDDY_T_ARRAY || result->kind == EDDY_T_STRUCT))
    return eddy__fn_type_error(why, why_size, "arguments must be ordered", result);
  return rc;
}

static int extreme(const char *fn, const eddy_value_t *args, uint32_t argc, int sign,
                   eddy_value_t *out, eddy_error_t **err) {
  const eddy_value_t *best = NULL;
  for (uint32_t i = 0; i < argc; i++) {
    if (args[i].kind == EDDY_T_NULL) /* ignored, as in PostgreSQL */
      continue;
    if (best != NULL && !eddy__value_comparable(best, &args[i]))
      return eddy_error_set(err, EDDY_ETYPE, "%s: cannot compare %s and %s", fn,
                            eddy__value_kind_name(best), eddy__value_kind_name(&args[i]));
    if (best == NULL || eddy_value_cmp(&args[i], best) * sign > 0)
      best = &args[i];
  }
  *out = best != NULL ? *best : eddy_null();
  return 0;
}

EDDY_FUNC_EVAL(greatest) {
  (void)type, (void)ctx;
  return extreme("greatest", args, argc, 1, out, err);
}

EDDY_FUNC_EVAL(least) {
  (void)type, (void)ctx;
  return extreme("least", args, argc, -1, out, err);
}

EDDY_FUNC_CHECK(if) {
  (void)argc;
  if (!eddy__type_is(&args[0], EDDY_T_BOOL))
    return eddy__fn_type_error(why, why_size, "condition must be bool", &args[0]);
  return common_of(args + 1, 2, result, why, why_size);
}

EDDY_FUNC_EVAL(if) {
  (void)argc, (void)type, (void)ctx;
  if (args[0].kind != EDDY_T_NULL && args[0].kind != EDDY_T_BOOL)
    return eddy__fn_kind_error(err, "if", "a bool condition", &args[0]);
  *out = args[0].kind == EDDY_T_BOOL && args[0].u.b ? args[1] : args[2];
  return 0;
}

EDDY_FUNC_CHECK(hash) {
  (void)args, (void)argc, (void)why, (void)why_size;
  *result = eddy_type(EDDY_T_INT);
  return 0;
}

/* hash(x1, ..., xn) = eddy_value_hash(xn, ... eddy_value_hash(x1, 0) ...) as int64. */
EDDY_FUNC_EVAL(hash) {
  (void)type, (void)ctx, (void)err;
  uint64_t h = 0;
  for (uint32_t i = 0; i < argc; i++)
    h = eddy_value_hash(&args[i], h);
  *out = eddy_int((int64_t)h);
  return 0;
}

/* ---- lazy evaluation of if/coalesce ----------------------------------------------- */

int eddy__fn_eval_lazy(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                       eddy_error_t **err) {
  const eddy_func_t *fn = e->u.call.fn;
  eddy_expr_t *const *args = e->u.call.args;
  if (fn->eval == eddy__fn_if_eval) {
    int t = eddy_expr_test(args[0], ctx, err);
    if (t < 0)
      return t;
    return eddy_expr_eval(args[t ? 1 : 2], ctx, out, err);
  }
  *out = eddy_null(); /* coalesce */
  for (uint32_t i = 0; i < e->u.call.argc && out->kind == EDDY_T_NULL; i++) {
    int rc = eddy_expr_eval(args[i], ctx, out, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

bool eddy__fn_is_lazy(const eddy_func_t *fn) {
  return fn->eval == eddy__fn_if_eval || fn->eval == eddy__fn_coalesce_eval;
}
