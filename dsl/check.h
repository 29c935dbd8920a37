/*
 * Private to dsl/: the checker. It resolves names (streams, fields,
 * functions), computes every operator's row layout, types expressions with
 * the rules of operators/expr.h and inserts EDDY_X_CAST nodes for implicit
 * conversions. It also records which source fields the topology reads, so
 * that decoders skip the rest.
 */
#ifndef EDDY_DSL_CHECK_H
#define EDDY_DSL_CHECK_H

#include "dsl/ast_stmt.h"
#include "dsl/dsl_int.h"

/** Where a field's value comes from unchanged: (source definition, field) pairs. */
typedef struct eddy_prov_s {
  uint32_t def, field;
  const struct eddy_prov_s *next;
} eddy_prov_t;

/** The rows flowing on one edge: layout, key type and per-field provenance. */
typedef struct {
  const eddy_fields_t *layout;
  eddy_type_t key;
  const eddy_prov_t **prov;     /* layout->cnt lists; NULL: computed */
  eddy_plan_group_t *group;     /* after group by (and window): waiting for aggregate */
  eddy_plan_group_t *aggregated;/* right after aggregate: emit may follow */
  uint8_t table;                /* EDDY_ROW_STREAM, EDDY_ROW_TABLE, EDDY_ROW_JOINED_TABLE */
  bool raw_key;                 /* the key is still the consumed message key */
  eddy_plan_keyed_t *over;      /* after over: waiting for aggregate */
  bool by_key;                  /* records are partitioned by their key (a source's message
                                   key, an aggregate's group): keyed operators need no
                                   repartition */
} eddy_rowtype_t;

enum { EDDY_ROW_STREAM, EDDY_ROW_TABLE, EDDY_ROW_JOINED_TABLE };

typedef struct {
  const char *name;
  uint32_t off, len;            /* where it is defined */
  bool is_source;
  bool used;
  eddy_rowtype_t row;           /* what it produces */
  eddy_ast_source_t *source;    /* is_source */
} eddy_def_t;

typedef struct {
  eddy_dsl_t *c;
  eddy_def_t *defs;
  uint32_t def_cnt, def_cap;
} eddy_checker_t;

/** What an expression sees: the input row; \p mark: record the fields it reads. */
typedef struct {
  eddy_checker_t *ck;
  const eddy_rowtype_t *row;
  bool mark;
} eddy_scope_t;

/** Check \p e in \p s; @returns it or its replacement, with types set. */
eddy_expr_t *eddy__check_expr(eddy_scope_t *s, eddy_expr_t *e);
/** Check a condition (where, check, case when): must be bool. */
eddy_expr_t *eddy__check_cond(eddy_scope_t *s, eddy_expr_t *e, const char *what);
/** Mark the source fields behind \p prov as read. */
void eddy__check_mark(eddy_checker_t *ck, const eddy_prov_t *prov);
/** "decimal(10,2)" in the arena. */
const char *eddy__type_name(eddy_dsl_t *c, const eddy_type_t *t);

/** @returns true for a type a key can have (not array, struct or null). */
bool eddy__check_scalar(const eddy_type_t *t);
/** Check a source declaration and fill in its definition's row (check_source.c). */
void eddy__check_source(eddy_checker_t *ck, uint32_t def_idx, eddy_ast_source_t *src);
/**
 * Check one operator on \p row and update \p row to its output (check_ops.c);
 * \p input_def is the pipeline's input definition.
 */
void eddy__check_op_in(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row,
                       int32_t input_def);
/**
 * An aggregate column `name = fn(args)` over \p row (check_group.c): its shape,
 * function, arguments (checked and marked as read; their types in \p types)
 * and result type into \p agg; the argument slots are left to the caller (-1).
 */
void eddy__check_agg_call(eddy_checker_t *ck, const eddy_rowtype_t *row, eddy_ast_item_t *it,
                          eddy_plan_agg_t *agg, eddy_type_t types[2]);
/** group by, window, aggregate, emit (check_group.c); \p row as for eddy__check_op_in. */
void eddy__check_grouping(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row);
/** over, dedupe, changes, and the aggregate after over (check_keyed.c). */
void eddy__check_keyed(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row);
/** A pipeline ends with \p row after \p last: a pending group by is an error. */
void eddy__check_pipeline_end(eddy_checker_t *ck, const eddy_rowtype_t *row,
                              const eddy_ast_op_t *last);
/** The definition named \p n, marked used; unknown names fail with a suggestion. */
int32_t eddy__check_lookup(eddy_checker_t *ck, const eddy_ast_name_t *n);

/** `join` (check_join.c); \p row as for eddy__check_op_in. */
void eddy__check_join(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row,
                      int32_t input_def);
/** An operator other than join on a table's rows (check_join.c): fails unless allowed. */
void eddy__check_table_op(eddy_checker_t *ck, const eddy_ast_op_t *op, const eddy_rowtype_t *row,
                          const char *op_name);

/** @returns true for to kafka, to stdout, to postgres. */
static inline bool eddy__is_sink_op(eddy_op_kind_t k) {
  return k == EDDY_OP_TO_KAFKA || k == EDDY_OP_TO_STDOUT || k == EDDY_OP_TO_POSTGRES;
}

/** The repartition row of a re-keyed input: @jk = \p key, @f<i> = field i of \p in, @rowtime. */
eddy_plan_group_t *eddy__join_part(eddy_dsl_t *c, const eddy_expr_t *key, eddy_type_t key_type,
                                   const eddy_fields_t *in, bool table, bool raw_key);

/** Check the whole program (check_stmt.c). */
void eddy__check_program(eddy_dsl_t *c, eddy_ast_program_t *prog);

/** Build the plan from a checked program (plan.c). */
eddy_plan_t *eddy__plan_build(eddy_dsl_t *c, const eddy_ast_program_t *prog);

#endif
