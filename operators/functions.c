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

/*
 * The table: X(name, min, max, synopsis, check family, eval family,
 * null_in_null_out, literal hook). Each entry gets a check wrapper that puts
 * "name: " in front of the family's message, so that callers of fn->check
 * get "round: digits must be int, got string" under every alias.
 */
#define EDDY_FUNCS(X)                                                                       \
  /* math */                                                                                \
  X(abs, 1, 1, "abs(x)", abs, abs, true, NULL)                                              \
  X(sign, 1, 1, "sign(x)", sign, sign, true, NULL)                                          \
  X(round, 1, 2, "round(x [, digits])", round, round, true, eddy__fn_round_literal)         \
  X(floor, 1, 1, "floor(x)", floor, floor, true, NULL)                                      \
  X(ceil, 1, 1, "ceil(x)", floor, ceil, true, NULL)                                         \
  X(ceiling, 1, 1, "ceiling(x)", floor, ceil, true, NULL)                                   \
  X(sqrt, 1, 1, "sqrt(x)", to_double1, sqrt, true, NULL)                                    \
  X(exp, 1, 1, "exp(x)", to_double1, exp, true, NULL)                                       \
  X(ln, 1, 1, "ln(x)", to_double1, ln, true, NULL)                                          \
  X(log10, 1, 1, "log10(x)", to_double1, log10, true, NULL)                                 \
  X(power, 2, 2, "power(x, y)", power, power, true, NULL)                                   \
  X(pow, 2, 2, "pow(x, y)", power, power, true, NULL)                                       \
  /* strings */                                                                             \
  X(lower, 1, 1, "lower(s)", str_to_str, lower, true, NULL)                                 \
  X(upper, 1, 1, "upper(s)", str_to_str, upper, true, NULL)                                 \
  X(length, 1, 1, "length(s)", length, length, true, NULL)                                  \
  X(char_length, 1, 1, "char_length(s)", length, length, true, NULL)                        \
  X(trim, 1, 2, "trim(s [, chars])", trim, trim, true, NULL)                                \
  X(ltrim, 1, 2, "ltrim(s [, chars])", trim, ltrim, true, NULL)                             \
  X(rtrim, 1, 2, "rtrim(s [, chars])", trim, rtrim, true, NULL)                             \
  X(concat, 1, -1, "concat(x, ...)", concat, concat, false, NULL)                           \
  X(substr, 2, 3, "substr(s, start [, count])", substr, substr, true, NULL)                 \
  X(substring, 2, 3, "substring(s, start [, count])", substr, substr, true, NULL)           \
  X(replace, 3, 3, "replace(s, from, to)", replace, replace, true, NULL)                    \
  X(starts_with, 2, 2, "starts_with(s, prefix)", str_pred, starts_with, true, NULL)         \
  X(ends_with, 2, 2, "ends_with(s, suffix)", str_pred, ends_with, true, NULL)               \
  X(contains, 2, 2, "contains(s, part)", str_pred, contains, true, NULL)                    \
  X(to_string, 1, 1, "to_string(x)", to_string, to_string, true, NULL)                      \
  /* conditionals and misc */                                                               \
  X(coalesce, 1, -1, "coalesce(x, ...)", coalesce, coalesce, false, NULL)                   \
  X(nullif, 2, 2, "nullif(x, y)", nullif, nullif, false, NULL)                              \
  X(greatest, 1, -1, "greatest(x, ...)", greatest, greatest, false, NULL)                   \
  X(least, 1, -1, "least(x, ...)", greatest, least, false, NULL)                            \
  X(if, 3, 3, "if(cond, then, else)", if, if, false, NULL)                                  \
  X(hash, 1, -1, "hash(x, ...)", hash, hash, false, NULL)                                   \
  /* time */                                                                                \
  X(date_trunc, 2, 2, "date_trunc(unit, ts)", date_trunc, date_trunc, true,                 \
    eddy__fn_trunc_unit_literal)                                                            \
  X(date_part, 2, 2, "date_part(unit, ts)", date_part, date_part, true,                     \
    eddy__fn_part_unit_literal)                                                             \
  X(extract, 2, 2, "extract(unit, ts)", date_part, date_part, true,                         \
    eddy__fn_part_unit_literal)                                                             \
  X(to_timestamp, 1, 1, "to_timestamp(x)", to_timestamp, to_timestamp, true, NULL)          \
  X(epoch_ms, 1, 1, "epoch_ms(ts)", epoch_ms, epoch_ms, true, NULL)                         \
  X(now, 0, 0, "now()", now, now, false, NULL)

/* Prefix a failed check's message with the function's name. */
static int named(const char *name, int rc, char *why, size_t why_size) {
  if (rc != 0 && why != NULL && why_size > 0) {
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", why);
    snprintf(why, why_size, "%s: %s", name, msg);
  }
  return rc;
}

#define CHECK_WRAPPER(name_, min_, max_, syn_, check_, eval_, nn_, lit_)                    \
  static int check_##name_(const eddy_type_t *args, uint32_t argc, eddy_type_t *result,    \
                           char *why, size_t why_size) {                                   \
    return named(#name_, eddy__fn_##check_##_check(args, argc, result, why, why_size), why, \
                 why_size);                                                                \
  }
EDDY_FUNCS(CHECK_WRAPPER)
#undef CHECK_WRAPPER

#define DEF_ENTRY(name_, min_, max_, syn_, check_, eval_, nn_, lit_)                        \
  {{.name = #name_, .min_args = min_, .max_args = max_, .synopsis = syn_,                  \
    .check = check_##name_, .eval = eddy__fn_##eval_##_eval, .null_in_null_out = nn_},     \
   lit_},
static const eddy__func_def_t defs[] = {EDDY_FUNCS(DEF_ENTRY)};
#undef DEF_ENTRY

#define DEF_CNT (sizeof(defs) / sizeof(defs[0]))

#define PTR_ENTRY(name_, min_, max_, syn_, check_, eval_, nn_, lit_) &defs[IDX_##name_].fn,
#define IDX_ENTRY(name_, min_, max_, syn_, check_, eval_, nn_, lit_) IDX_##name_,
enum { EDDY_FUNCS(IDX_ENTRY) IDX__COUNT };
static const eddy_func_t *const all[] = {EDDY_FUNCS(PTR_ENTRY) NULL};
#undef PTR_ENTRY
#undef IDX_ENTRY

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
  if (rc != 0)
    return rc;
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
