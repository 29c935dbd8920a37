/*
 * Expression typing and evaluation.
 *
 * The DSL checker resolves names in an eddy_expr_t tree and asks this module
 * for the typing rules (eddy_expr_type_*), so that type errors are found by
 * `eddy check`, never at run time. Operators then evaluate checked trees
 * against rows with eddy_expr_eval().
 *
 * Semantics (SQL-like):
 * - null propagates through arithmetic, comparisons and most functions;
 *   `and`/`or` use three-valued logic; `where`/`check` treat null as false.
 * - int op int -> int (overflow is a run-time error, EDDY_EOVERFLOW);
 *   int/decimal mix -> decimal (exact); anything with double -> double.
 *   decimal + - : scale max(s1,s2); * : s1+s2; / : max(6, s1+p2+1) capped so
 *   precision <= 38. Integer division by zero and decimal division by zero
 *   are run-time errors (EDDY_EDIVZERO); double division follows IEEE.
 * - timestamp - timestamp -> duration; timestamp +/- duration -> timestamp.
 * - comparison of string with string, number with number, timestamp with
 *   timestamp, bool with bool; anything else is a type error.
 */
#ifndef EDDY_OPERATORS_EXPR_H
#define EDDY_OPERATORS_EXPR_H

#include <stddef.h>

#include "dsl/ast.h"
#include "eddy/row.h"

/** Where a checked expression reads its inputs from. */
typedef struct eddy_eval_ctx_s {
  const eddy_row_t *rows[2];  /* input 0 (and 1 for joins) */
  eddy_arena_t *arena;        /* temporaries: strings built by functions live here */
  int64_t now_us;             /* now(): wall clock sampled once per batch */
} eddy_eval_ctx_t;

/**
 * Evaluate \p e. On success *out holds the value (it may borrow from the
 * rows or the arena). A run-time failure (overflow, division by zero, a bad
 * cast) returns its EDDY_E* code with a message in *err.
 * @locality stream thread
 */
int eddy_expr_eval(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                   eddy_error_t **err);

/** Evaluate a boolean condition: null and false are false. @returns 1, 0 or an error. */
int eddy_expr_test(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_error_t **err);

/* ---- typing rules (used by the DSL checker) ---------------------------- */

/**
 * The result type of binary operator \p kind (EDDY_X_ADD .. EDDY_X_OR) on
 * \p l and \p r. On a type error, returns EDDY_ETYPE and writes a message
 * such as "cannot add string and int" into \p why.
 */
int eddy_expr_type_binary(eddy_expr_kind_t kind, const eddy_type_t *l, const eddy_type_t *r,
                          eddy_type_t *out, char *why, size_t why_size);
/** The same for unary operators (NEG, NOT, IS_NULL, IS_NOT_NULL). */
int eddy_expr_type_unary(eddy_expr_kind_t kind, const eddy_type_t *arg, eddy_type_t *out,
                         char *why, size_t why_size);
/** Whether \p from converts to \p to by cast(); implicit casts are the checker's business. */
bool eddy_expr_castable(const eddy_type_t *from, const eddy_type_t *to);
/**
 * The common type of \p cnt types (for `case`, `in`, `coalesce`): null
 * unifies with anything, int with decimal -> decimal, numbers with double ->
 * double. EDDY_ETYPE with a message when there is none.
 */
int eddy_expr_type_common(const eddy_type_t *types, size_t cnt, eddy_type_t *out, char *why,
                          size_t why_size);

/* ---- scalar functions --------------------------------------------------- */

typedef struct eddy_func_s {
  const char *name;
  int min_args, max_args;     /* max -1: variadic */
  const char *synopsis;       /* "round(x [, digits])" for messages and docs */
  /** Type rule: check \p args, set *result; EDDY_ETYPE + message in why. */
  int (*check)(const eddy_type_t *args, uint32_t argc, eddy_type_t *result, char *why,
               size_t why_size);
  /** Evaluate with already-evaluated args (the result type is \p type). */
  int (*eval)(const eddy_value_t *args, uint32_t argc, const eddy_type_t *type,
              const eddy_eval_ctx_t *ctx, eddy_value_t *out, eddy_error_t **err);
  bool null_in_null_out;      /* the evaluator short-circuits null args */
} eddy_func_t;

/** @returns the scalar function named \p name (case-insensitive) or NULL. */
const eddy_func_t *eddy_func_lookup(const char *name);
/** @returns every function, NULL-terminated (for docs and did-you-mean). */
const eddy_func_t *const *eddy_func_all(void);

/* ---- additions ---------------------------------------------------------- */

/*
 * Messages: eddy_func_t.check writes messages that start with the function's
 * name ("round: digits must be int, got string").
 *
 * Invariant kept by the evaluator: a value computed for a node whose type
 * is not ANY is null or has exactly that kind (and, for decimals, that
 * scale). Mixed numeric operands (int + decimal, decimal < double) need no
 * cast nodes: the evaluator converts them itself. `case`, `coalesce`,
 * `greatest`, `if` ... convert the chosen value to the node's (common) type.
 */

/**
 * Convert \p v to \p to as cast() does (every pair eddy_expr_castable()
 * accepts). Strings it builds live in \p arena. A string that does not
 * parse is EDDY_EINVAL with a message naming the value; a number out of
 * range of the target (int64, decimal(p,s)) is EDDY_EOVERFLOW. Decimal and
 * double to int round half away from zero.
 * @locality any thread
 */
int eddy_value_cast(const eddy_value_t *v, const eddy_type_t *to, eddy_arena_t *arena,
                    eddy_value_t *out, eddy_error_t **err);

/**
 * Whether a value of type \p from may be stored where \p to is expected
 * without an explicit cast: same type, null to anything, int or decimal to
 * double, int to any decimal, decimal to a decimal with at least as many
 * fraction digits, anything to or from ANY. (Fraction digits are never
 * dropped silently; integer digits that do not fit are EDDY_EOVERFLOW when
 * the value is converted with eddy_value_cast().)
 */
bool eddy_expr_assignable(const eddy_type_t *from, const eddy_type_t *to);

/**
 * Type one node whose children are already typed, setting e->type (and
 * e->u.call.fn, e->u.member.index). Handles every kind except FIELD and KEY,
 * whose types the checker sets itself (they are left untouched). For CAST,
 * e->type must already hold the target type. For LITERAL, the type comes
 * from the value (a decimal literal 1.50 is decimal(3,2)). On error returns
 * EDDY_ETYPE (EDDY_ENOENT for an unknown function) with a message in \p why.
 */
int eddy_expr_type_node(eddy_expr_t *e, char *why, size_t why_size);

/**
 * Resolve and type-check a call node whose arguments are typed: looks up
 * the function (EDDY_ENOENT, "unknown function 'foo'"), checks the argument
 * count and types, validates literal arguments that must be constant-valid
 * (date_trunc's unit, round's digits), sets e->u.call.fn and e->type.
 */
int eddy_expr_check_call(eddy_expr_t *e, char *why, size_t why_size);

#endif
