/*
 * Tables and joins in the plan.
 *
 * A table `table products from "p" … key after.id` becomes
 *
 *   source products
 *     [-> REPARTITION products.rekey   when the key is computed: writes the row to
 *                                      <app>-products.rekey-repartition keyed by the
 *                                      codec encoding of the key (a delete: a tombstone)
 *      internal source products.rekey-repartition]
 *   -> TABLE products.table            store products-store: message key -> message
 *                                      value, as consumed (a tombstone or a Debezium
 *                                      delete removes the key)
 *   -> JOIN nodes reading it
 *
 * A table keyed by the message key as-is (`key key`) needs no re-keying, and
 * its source topic is its store's changelog: the store is restored from the
 * source topic and no second changelog topic is written.
 *
 * A stream joined with a table is re-keyed the same way (REPARTITION
 * <pipeline>.join-<n>-left with the repartition row @jk, @f0 … @f<n-1>,
 * @rowtime) unless it already carries the table's key as its message key.
 * The stream side and the table side then meet in one subtopology whose
 * task p owns partition p of both topics: co-partitioning.
 *
 * Output rows of a join: <left>.<field> for every field of the left input,
 * then <right>.<field> for every field of the table's row; key = the join
 * key; event time = the record that caused the output.
 */
#ifndef EDDY_DSL_PLAN_JOIN_H
#define EDDY_DSL_PLAN_JOIN_H

#include "dsl/ast_stmt.h"
#include "eddy/alloc.h"
#include "dsl/plan.h"

typedef enum {
  EDDY_JOIN_STREAM_TABLE,
  EDDY_JOIN_TABLE_TABLE,
  EDDY_JOIN_STREAM_STREAM,   /* within a time window: both sides re-keyed and buffered */
} eddy_join_shape_t;

typedef struct eddy_plan_join_s {
  eddy_join_kind_t kind;        /* inner, left, outer */
  eddy_join_shape_t shape;
  const char *left_name, *right_name;
  int32_t left_def, right_def;  /* checker: definitions */
  const eddy_expr_t *on;        /* on the left input row (stream-table) */
  eddy_type_t key_type;         /* the join key (= the table's key) */
  bool raw;                     /* the table is keyed by the message key's bytes */
  bool rekey_left;              /* the left input goes through a repartition topic */
  const eddy_fields_t *left_in; /* the left input row as the pipeline has it */
  const eddy_fields_t *right_in;/* the right table's row (its source layout) */
  const eddy_fields_t *out;     /* left fields, then right fields, prefixed */
  /* planner */
  const eddy_plan_group_t *left_part;   /* rekey_left: the repartition row of the left */
  const eddy_plan_node_t *left_table, *right_table;  /* TABLE nodes (left: table-table) */
  uint32_t left_off;            /* first left field in the join node's input row */
  /* stream-stream */
  int64_t within, grace;        /* µs: records at most `within` apart join; a record more
                                   than `grace` behind stream time is late */
  const eddy_plan_group_t *right_part;       /* the right stream's repartition row */
  const eddy_plan_node_t *left_source, *right_source;  /* the internal sources read back */
  uint32_t left_store, right_store;          /* window stores: buffered records */
} eddy_plan_join_t;

/* ---- describe (describe_join.c) ---- */

/** "re-key by <expr> (to topic …)" for a join's or table's REPARTITION node. */
int eddy__describe_rekey(const eddy_plan_node_t *n, eddy_buf_t *out);
/** @returns true when store \p i is the first with a changelog topic of its own. */
bool eddy__describe_first_changelog(const eddy_plan_t *plan, uint32_t i);
/** One line for a TABLE or JOIN node. */
int eddy__describe_join(const eddy_plan_node_t *n, eddy_buf_t *out);

#endif
