/*
 * Expression trees, shared by the parser (which builds them), the checker
 * (which resolves names and fills in types) and the evaluator in operators/
 * (which runs them). Everything is allocated from the compile's arena.
 *
 * Statement-level AST (sources, pipelines, operators) is declared in
 * dsl/ast_stmt.h.
 */
#ifndef EDDY_DSL_AST_H
#define EDDY_DSL_AST_H

#include <stdint.h>

#include "eddy/value.h"

typedef enum {
  EDDY_X_LITERAL,     /* u.lit (a duration literal has kind DURATION) */
  EDDY_X_FIELD,       /* u.field: a column of an input row, by path */
  EDDY_X_KEY,         /* the record key */
  EDDY_X_ROWTIME,     /* the record's event time (timestamp) */
  EDDY_X_HEADER,      /* headers["name"]: u.header, a string or null */
  EDDY_X_NEG,         /* u.un */
  EDDY_X_NOT,
  EDDY_X_IS_NULL,
  EDDY_X_IS_NOT_NULL,
  EDDY_X_ADD,         /* u.bin */
  EDDY_X_SUB,
  EDDY_X_MUL,
  EDDY_X_DIV,
  EDDY_X_MOD,
  EDDY_X_EQ,
  EDDY_X_NE,
  EDDY_X_LT,
  EDDY_X_LE,
  EDDY_X_GT,
  EDDY_X_GE,
  EDDY_X_AND,
  EDDY_X_OR,
  EDDY_X_IN,          /* u.in */
  EDDY_X_NOT_IN,
  EDDY_X_CASE,        /* u.case_: searched case (when cond then value) */
  EDDY_X_CALL,        /* u.call: scalar function */
  EDDY_X_CAST,        /* u.cast: explicit cast(x as type) or implicit, inserted by the checker */
  EDDY_X_MEMBER,      /* u.member: struct field of a computed value (item.product_id) */
  EDDY_X_INDEX,       /* u.index: array element, 0-based; null when out of range */
  EDDY_X__COUNT
} eddy_expr_kind_t;

struct eddy_func_s;   /* operators/functions.h */

typedef struct eddy_expr_s eddy_expr_t;

struct eddy_expr_s {
  uint8_t kind;          /* eddy_expr_kind_t */
  uint32_t off, len;     /* source span (byte offsets into the file) */
  eddy_type_t type;      /* result type, set by the checker */
  union {
    eddy_value_t lit;
    struct {
      const char *path;  /* as written: "after.amount", "orders.user_id" */
      int32_t input;     /* which input row (0; joins: 0 left, 1 right), set by the checker */
      int32_t slot;      /* index into that row's vals[], set by the checker */
    } field;
    struct {
      const char *name;
    } header;
    struct {
      eddy_expr_t *arg;
    } un;
    struct {
      eddy_expr_t *lhs, *rhs;
    } bin;
    struct {
      eddy_expr_t *arg;
      eddy_expr_t **items;
      uint32_t cnt;
    } in;
    struct {
      eddy_expr_t **when;
      eddy_expr_t **then;
      uint32_t cnt;
      eddy_expr_t *els;  /* NULL: else null */
    } case_;
    struct {
      const char *name;
      eddy_expr_t **args;
      uint32_t argc;
      const struct eddy_func_s *fn;  /* set by the checker */
    } call;
    struct {
      eddy_expr_t *arg;  /* the target type is e->type */
    } cast;
    struct {
      eddy_expr_t *arg;
      const char *name;
      int32_t index;     /* field index in arg's struct type, set by the checker */
    } member;
    struct {
      eddy_expr_t *arg, *index;
    } index;
  } u;
};

#endif
