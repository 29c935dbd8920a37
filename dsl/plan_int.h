/* Private to dsl/: the planner's working state, shared by plan.c and plan_join.c. */
#ifndef EDDY_DSL_PLAN_INT_H
#define EDDY_DSL_PLAN_INT_H

#include "dsl/check.h"

typedef struct {
  uint32_t *ids;
  uint32_t cnt, cap;
} idlist_t;

typedef struct {
  eddy_plan_node_t *node;
  idlist_t next;
  bool live;
  int32_t source;                 /* index into the program's sources, or -1 */
  const eddy_ast_source_t *ast_source;
  eddy_plan_source_t *internal;   /* an internal source: its prepared plan source */
  int32_t link;                   /* REPARTITION: the internal source reading its topic */
} tmp_node_t;

typedef struct {
  eddy_dsl_t *c;
  const eddy_ast_program_t *prog;
  tmp_node_t *nodes;
  uint32_t node_cnt, node_cap;
  idlist_t *frontier;             /* per definition */
  uint32_t (*counts)[EDDY_OP__COUNT];   /* per definition: operators named so far */
  uint32_t *rekeys;               /* per definition: re-keyings named so far */
} planner_t;

/* plan.c */
void eddy__plan_push_id(eddy_dsl_t *c, idlist_t *l, uint32_t id);
uint32_t eddy__plan_new_node(planner_t *pl, eddy_node_kind_t kind, const char *name, uint32_t off,
                             uint32_t len);
uint32_t eddy__plan_internal_source(planner_t *pl, uint32_t rep_id);

/* plan_join.c */
/** After source node \p id of table statement \p st: re-keying and the TABLE node.
 * @returns the TABLE node (the table's frontier). */
uint32_t eddy__plan_table(planner_t *pl, const eddy_ast_stmt_t *st, uint32_t id);
/** A join operator fed by \p cur: @returns the new frontier (the JOIN node). */
idlist_t eddy__plan_join(planner_t *pl, const eddy_ast_op_t *op, const char *name,
                         const idlist_t *cur);
/** The stores of TABLE nodes (after the nodes are emitted). */
void eddy__plan_table_stores(planner_t *pl, eddy_plan_t *plan);

#endif
