/*
 * Private to the expression module (expr_*.c, functions*.c).
 */
#ifndef EDDY_OPERATORS_EXPR_INT_H
#define EDDY_OPERATORS_EXPR_INT_H

#include "operators/expr.h"

/** decimal(intdigits + scale, scale), capped at 38 digits (keeps >= 6 fraction digits). */
eddy_type_t eddy__expr_dec_type(int intdigits, int scale);
/** The decimal result type of ADD..MOD on int/decimal operand types. */
eddy_type_t eddy__expr_dec_result(eddy_expr_kind_t kind, const eddy_type_t *l,
                                  const eddy_type_t *r);
/** Whether values of \p l and \p r may be compared (ordered: < <= > >=). */
bool eddy__expr_comparable(const eddy_type_t *l, const eddy_type_t *r, bool ordered);

/** Arithmetic ADD..MOD on two non-null values; \p type is the node's result type. */
int eddy__expr_arith(eddy_expr_kind_t kind, const eddy_value_t *a, const eddy_value_t *b,
                     const eddy_type_t *type, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                     eddy_error_t **err);
/** Negate a non-null value. */
int eddy__expr_neg(const eddy_value_t *a, eddy_value_t *out, eddy_error_t **err);
/** Compare two non-null values for EQ..GE; EDDY_ETYPE if not comparable at run time. */
int eddy__expr_compare(eddy_expr_kind_t kind, const eddy_value_t *a, const eddy_value_t *b,
                       bool *res, eddy_error_t **err);
/** Make \p v (in place) match \p type: kind and decimal scale. Null and ANY pass. */
int eddy__expr_coerce(eddy_value_t *v, const eddy_type_t *type, eddy_arena_t *arena,
                      eddy_error_t **err);
/** Whether two runtime values can be compared (numbers with numbers, same kinds). */
bool eddy__value_comparable(const eddy_value_t *a, const eddy_value_t *b);
/** A short name of a value's kind for messages. */
const char *eddy__value_kind_name(const eddy_value_t *v);
/** Render \p v for an error message into \p buf (strings quoted and cut at ~60 bytes). */
const char *eddy__value_quote(const eddy_value_t *v, char *buf, size_t size);

/* ---- function registry ---------------------------------------------------- */

/** A function plus its compile-time literal hook. fn must stay the first member. */
typedef struct eddy__func_def_s {
  eddy_func_t fn;
  /** Optional: validate/refine using literal arguments (e.g. round's digits). */
  int (*literal)(eddy_expr_t *call, char *why, size_t why_size);
} eddy__func_def_t;

#define EDDY_FUNC_CHECK(name)                                                         \
  int eddy__fn_##name##_check(const eddy_type_t *args, uint32_t argc, eddy_type_t *result, \
                              char *why, size_t why_size)
#define EDDY_FUNC_EVAL(name)                                                          \
  int eddy__fn_##name##_eval(const eddy_value_t *args, uint32_t argc,                 \
                             const eddy_type_t *type, const eddy_eval_ctx_t *ctx,     \
                             eddy_value_t *out, eddy_error_t **err)

/* Helpers shared by the function families. */
/* Family check messages leave out the function name: the table's wrappers add "name: ". */
int eddy__fn_type_error(char *why, size_t why_size, const char *what, const eddy_type_t *got);
bool eddy__type_is_num(const eddy_type_t *t);
bool eddy__type_is(const eddy_type_t *t, eddy_kind_t kind);
int eddy__fn_kind_error(eddy_error_t **err, const char *fn, const char *what,
                        const eddy_value_t *got);

/* math (functions_math.c) */
EDDY_FUNC_CHECK(abs); EDDY_FUNC_EVAL(abs);
EDDY_FUNC_CHECK(sign); EDDY_FUNC_EVAL(sign);
EDDY_FUNC_CHECK(round); EDDY_FUNC_EVAL(round);
EDDY_FUNC_CHECK(floor); EDDY_FUNC_EVAL(floor);
EDDY_FUNC_EVAL(ceil);
EDDY_FUNC_CHECK(to_double1); EDDY_FUNC_EVAL(sqrt);
EDDY_FUNC_EVAL(exp); EDDY_FUNC_EVAL(ln); EDDY_FUNC_EVAL(log10);
EDDY_FUNC_CHECK(power); EDDY_FUNC_EVAL(power);
int eddy__fn_round_literal(eddy_expr_t *call, char *why, size_t why_size);

/* strings (functions_string.c) */
EDDY_FUNC_CHECK(str_to_str); EDDY_FUNC_EVAL(lower); EDDY_FUNC_EVAL(upper);
EDDY_FUNC_CHECK(length); EDDY_FUNC_EVAL(length);
EDDY_FUNC_CHECK(trim); EDDY_FUNC_EVAL(trim); EDDY_FUNC_EVAL(ltrim); EDDY_FUNC_EVAL(rtrim);
EDDY_FUNC_CHECK(concat); EDDY_FUNC_EVAL(concat);
EDDY_FUNC_CHECK(substr); EDDY_FUNC_EVAL(substr);
EDDY_FUNC_CHECK(replace); EDDY_FUNC_EVAL(replace);
EDDY_FUNC_CHECK(str_pred); EDDY_FUNC_EVAL(starts_with); EDDY_FUNC_EVAL(ends_with);
EDDY_FUNC_EVAL(contains);
EDDY_FUNC_CHECK(to_string); EDDY_FUNC_EVAL(to_string);

/* conditionals and misc (functions_misc.c) */
EDDY_FUNC_CHECK(coalesce); EDDY_FUNC_EVAL(coalesce);
EDDY_FUNC_CHECK(nullif); EDDY_FUNC_EVAL(nullif);
EDDY_FUNC_CHECK(greatest); EDDY_FUNC_EVAL(greatest); EDDY_FUNC_EVAL(least);
EDDY_FUNC_CHECK(if); EDDY_FUNC_EVAL(if);
EDDY_FUNC_CHECK(hash); EDDY_FUNC_EVAL(hash);
/** Whether \p fn evaluates its arguments itself (if, coalesce). */
bool eddy__fn_is_lazy(const eddy_func_t *fn);
/** Evaluate a call to a lazy function from its argument expressions. */
int eddy__fn_eval_lazy(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                       eddy_error_t **err);

/* time (functions_time.c) */
EDDY_FUNC_CHECK(date_trunc); EDDY_FUNC_EVAL(date_trunc);
EDDY_FUNC_CHECK(date_part); EDDY_FUNC_EVAL(date_part);
EDDY_FUNC_CHECK(to_timestamp); EDDY_FUNC_EVAL(to_timestamp);
EDDY_FUNC_CHECK(now); EDDY_FUNC_EVAL(now);
EDDY_FUNC_CHECK(epoch_ms); EDDY_FUNC_EVAL(epoch_ms);
int eddy__fn_trunc_unit_literal(eddy_expr_t *call, char *why, size_t why_size);
int eddy__fn_part_unit_literal(eddy_expr_t *call, char *why, size_t why_size);

#endif
