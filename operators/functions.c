/*
 * The scalar function registry: one table, looked up case-insensitively at
 * compile time. The families live in functions_math.c, functions_string.c,
 * functions_misc.c and functions_time.c; docs/functions.md describes them.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FN(name_, min_, max_, syn_, check_, eval_, nn_, lit_)                          \
  {{.name = name_, .min_args = min_, .max_args = max_, .synopsis = syn_,             \
    .check = eddy__fn_##check_##_check, .eval = eddy__fn_##eval_##_eval,             \
    .null_in_null_out = nn_},                                                        \
   lit_}

static const eddy__func_def_t defs[] = {
    /* math */
    FN("abs", 1, 1, "abs(x)", abs, abs, true, NULL),
    FN("sign", 1, 1, "sign(x)", sign, sign, true, NULL),
    FN("round", 1, 2, "round(x [, digits])", round, round, true, eddy__fn_round_literal),
    FN("floor", 1, 1, "floor(x)", floor, floor, true, NULL),
    FN("ceil", 1, 1, "ceil(x)", floor, ceil, true, NULL),
    FN("ceiling", 1, 1, "ceiling(x)", floor, ceil, true, NULL),
    FN("sqrt", 1, 1, "sqrt(x)", to_double1, sqrt, true, NULL),
    FN("exp", 1, 1, "exp(x)", to_double1, exp, true, NULL),
    FN("ln", 1, 1, "ln(x)", to_double1, ln, true, NULL),
    FN("log10", 1, 1, "log10(x)", to_double1, log10, true, NULL),
    FN("power", 2, 2, "power(x, y)", power, power, true, NULL),
    FN("pow", 2, 2, "pow(x, y)", power, power, true, NULL),
    /* strings */
    FN("lower", 1, 1, "lower(s)", str_to_str, lower, true, NULL),
    FN("upper", 1, 1, "upper(s)", str_to_str, upper, true, NULL),
    FN("length", 1, 1, "length(s)", length, length, true, NULL),
    FN("char_length", 1, 1, "char_length(s)", length, length, true, NULL),
    FN("trim", 1, 2, "trim(s [, chars])", trim, trim, true, NULL),
    FN("ltrim", 1, 2, "ltrim(s [, chars])", trim, ltrim, true, NULL),
    FN("rtrim", 1, 2, "rtrim(s [, chars])", trim, rtrim, true, NULL),
    FN("concat", 1, -1, "concat(x, ...)", concat, concat, false, NULL),
    FN("substr", 2, 3, "substr(s, start [, count])", substr, substr, true, NULL),
    FN("substring", 2, 3, "substring(s, start [, count])", substr, substr, true, NULL),
    FN("replace", 3, 3, "replace(s, from, to)", replace, replace, true, NULL),
    FN("starts_with", 2, 2, "starts_with(s, prefix)", str_pred, starts_with, true, NULL),
    FN("ends_with", 2, 2, "ends_with(s, suffix)", str_pred, ends_with, true, NULL),
    FN("contains", 2, 2, "contains(s, part)", str_pred, contains, true, NULL),
    FN("to_string", 1, 1, "to_string(x)", to_string, to_string, true, NULL),
    /* conditionals and misc */
    FN("coalesce", 1, -1, "coalesce(x, ...)", coalesce, coalesce, false, NULL),
    FN("nullif", 2, 2, "nullif(x, y)", nullif, nullif, false, NULL),
    FN("greatest", 1, -1, "greatest(x, ...)", greatest, greatest, false, NULL),
    FN("least", 1, -1, "least(x, ...)", greatest, least, false, NULL),
    FN("if", 3, 3, "if(cond, then, else)", if, if, false, NULL),
    FN("hash", 1, -1, "hash(x, ...)", hash, hash, false, NULL),
    /* time */
    FN("date_trunc", 2, 2, "date_trunc(unit, ts)", date_trunc, date_trunc, true,
       eddy__fn_trunc_unit_literal),
    FN("date_part", 2, 2, "date_part(unit, ts)", date_part, date_part, true,
       eddy__fn_part_unit_literal),
    FN("extract", 2, 2, "extract(unit, ts)", date_part, date_part, true,
       eddy__fn_part_unit_literal),
    FN("to_timestamp", 1, 1, "to_timestamp(x)", to_timestamp, to_timestamp, true, NULL),
    FN("epoch_ms", 1, 1, "epoch_ms(ts)", epoch_ms, epoch_ms, true, NULL),
    FN("now", 0, 0, "now()", now, now, false, NULL),
};

#define DEF_CNT (sizeof(defs) / sizeof(defs[0]))

static const eddy_func_t *const all[DEF_CNT + 1] = {
#define P(i) &defs[i].fn
    P(0),  P(1),  P(2),  P(3),  P(4),  P(5),  P(6),  P(7),  P(8),  P(9),
    P(10), P(11), P(12), P(13), P(14), P(15), P(16), P(17), P(18), P(19),
    P(20), P(21), P(22), P(23), P(24), P(25), P(26), P(27), P(28), P(29),
    P(30), P(31), P(32), P(33), P(34), P(35), P(36), P(37), P(38),
#undef P
    NULL,
};

_Static_assert(DEF_CNT == 39, "update the pointer list in functions.c");

const eddy_func_t *eddy_func_lookup(const char *name) {
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < DEF_CNT; i++)
    if (strcasecmp(defs[i].fn.name, name) == 0)
      return &defs[i].fn;
  return NULL;
}

const eddy_func_t *const *eddy_func_all(void) { return all; }

static const eddy__func_def_t *def_of(const eddy_func_t *fn) {
  for (size_t i = 0; i < DEF_CNT; i++)
    if (&defs[i].fn == fn)
      return &defs[i];
  return NULL;
}

static int arity_error(const eddy_func_t *fn, uint32_t argc, char *why, size_t why_size) {
  if (fn->max_args < 0)
    snprintf(why, why_size, "%s expects at least %d argument%s, got %u", fn->name,
             fn->min_args, fn->min_args == 1 ? "" : "s", argc);
  else if (fn->min_args == fn->max_args)
    snprintf(why, why_size, "%s expects %d argument%s, got %u", fn->name, fn->min_args,
             fn->min_args == 1 ? "" : "s", argc);
  else
    snprintf(why, why_size, "%s expects %d to %d arguments, got %u", fn->name, fn->min_args,
             fn->max_args, argc);
  return EDDY_ETYPE;
}

#define MAX_CHECK_ARGS 256

int eddy_expr_check_call(eddy_expr_t *e, char *why, size_t why_size) {
  char dummy[8];
  if (why == NULL || why_size == 0)
    why = dummy, why_size = sizeof(dummy);
  const eddy_func_t *fn = eddy_func_lookup(e->u.call.name);
  if (fn == NULL) {
    snprintf(why, why_size, "unknown function '%s'", e->u.call.name ? e->u.call.name : "");
    return EDDY_ENOENT;
  }
  uint32_t argc = e->u.call.argc;
  if ((int64_t)argc < fn->min_args || (fn->max_args >= 0 && (int64_t)argc > fn->max_args))
    return arity_error(fn, argc, why, why_size);
  if (argc > MAX_CHECK_ARGS) {
    snprintf(why, why_size, "too many arguments to %s (limit is %d)", fn->name, MAX_CHECK_ARGS);
    return EDDY_ETYPE;
  }
  eddy_type_t types[MAX_CHECK_ARGS];
  for (uint32_t i = 0; i < argc; i++)
    types[i] = e->u.call.args[i]->type;
  int rc = fn->check(types, argc, &e->type, why, why_size);
  if (rc != 0) {
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", why);
    snprintf(why, why_size, "%s: %s", fn->name, msg);
    return rc;
  }
  e->u.call.fn = fn;
  const eddy__func_def_t *def = def_of(fn);
  return def != NULL && def->literal != NULL ? def->literal(e, why, why_size) : 0;
}

/* ---- helpers shared by the families ---------------------------------------------- */

int eddy__fn_type_error(char *why, size_t why_size, const char *what, const eddy_type_t *got) {
  char t[96];
  eddy_type_format(got, t, sizeof(t));
  if (why != NULL && why_size > 0)
    snprintf(why, why_size, "%s, got %s", what, t);
  return EDDY_ETYPE;
}

bool eddy__type_is_num(const eddy_type_t *t) {
  return t->kind == EDDY_T_INT || t->kind == EDDY_T_DECIMAL || t->kind == EDDY_T_DOUBLE;
}

/* The argument may hold \p kind at run time (null and ANY qualify). */
bool eddy__type_is(const eddy_type_t *t, eddy_kind_t kind) {
  return t->kind == kind || t->kind == EDDY_T_NULL || t->kind == EDDY_T_ANY;
}
