/*
 * The planner's part for tables and joins (layout in dsl/plan_join.h):
 * a table's re-keying and TABLE node, a join's re-keying of its left input
 * and the JOIN node, and the tables' stores.
 */
#include <string.h>

#include "dsl/plan_int.h"
#include "dsl/plan_join.h"

/* A REPARTITION node writing \p part (fed by the nodes in \p from), and the
 * internal source reading it back. @returns the internal source. */
static uint32_t rekey(planner_t *pl, const char *name, const eddy_fields_t *in,
                      const eddy_plan_group_t *part, uint32_t off, uint32_t len,
                      const idlist_t *from) {
  uint32_t rep = eddy__plan_new_node(pl, EDDY_NODE_REPARTITION, name, off, len);
  eddy_plan_node_t *n = pl->nodes[rep].node;
  n->in = in;
  n->out = part->part;
  n->u.repartition.group = part;
  n->u.repartition.topic = eddy__dsl_printf(pl->c, "%s-%s-repartition", pl->prog->app_id, name);
  for (uint32_t i = 0; i < from->cnt; i++)
    eddy__plan_push_id(pl->c, &pl->nodes[from->ids[i]].next, rep);
  return eddy__plan_internal_source(pl, rep);
}

uint32_t eddy__plan_table(planner_t *pl, const eddy_ast_stmt_t *st, uint32_t id) {
  const eddy_ast_source_t *src = &st->source;
  bool raw = src->key == NULL || src->key->kind == EDDY_X_KEY;
  bool global = src->kind == EDDY_SOURCE_GLOBAL_TABLE;
  const eddy_fields_t *in = src->layout;
  if (!raw && !global) {   /* a global table keeps every partition: no re-keying */
    eddy_plan_group_t *part = eddy__join_part(pl->c, src->key, src->key->type, src->layout,
                                              true, false);
    idlist_t from = {0};
    eddy__plan_push_id(pl->c, &from, id);
    id = rekey(pl, eddy__dsl_printf(pl->c, "%s.rekey", st->name.name), src->layout, part,
               st->off, st->len, &from);
    in = part->part;
  }
  uint32_t t = eddy__plan_new_node(pl, EDDY_NODE_TABLE,
                                   eddy__dsl_printf(pl->c, "%s.table", st->name.name), st->off,
                                   st->len);
  eddy_plan_node_t *n = pl->nodes[t].node;
  n->in = n->out = in;
  n->u.table.source = id;   /* the feeding source's planner id until the stores are made */
  n->u.table.source_changelog = (raw && src->topic_cnt == 1) || global;
  n->u.table.global = global;
  n->u.table.debezium = src->format == EDDY_FMT_DEBEZIUM_JSON ||
                        src->format == EDDY_FMT_DEBEZIUM_AVRO;
  n->u.table.table = st->name.name;
  eddy__plan_push_id(pl->c, &pl->nodes[id].next, t);
  return t;
}

/* The right stream of a stream-stream join re-keyed by its key. */
static eddy_plan_group_t *stream_key_part(planner_t *pl, const eddy_plan_join_t *j) {
  eddy_expr_t *key = eddy__dsl_alloc(pl->c, sizeof(*key));
  key->kind = EDDY_X_KEY;
  key->type = j->key_type;
  return eddy__join_part(pl->c, key, j->key_type, j->right_in, false, false);
}

idlist_t eddy__plan_join(planner_t *pl, const eddy_ast_op_t *op, const char *name,
                         const idlist_t *cur) {
  eddy_plan_join_t *j = op->join;
  idlist_t from = *cur, out = {0};
  const eddy_fields_t *in = op->in;
  if (j->shape != EDDY_JOIN_TABLE_TABLE && j->rekey_left) {
    eddy_plan_group_t *part = eddy__join_part(pl->c, j->on, j->key_type, op->in, false, j->raw);
    uint32_t src = rekey(pl, eddy__dsl_printf(pl->c, "%s-left", name), op->in, part, op->off,
                         op->len, cur);
    from = (idlist_t){0};
    eddy__plan_push_id(pl->c, &from, src);
    j->left_part = part;
    j->left_off = 1;
    in = part->part;
  }
  const idlist_t *right = &pl->frontier[j->right_def];
  idlist_t rfrom = {0};
  if (j->shape == EDDY_JOIN_STREAM_STREAM) {
    j->left_source = pl->nodes[from.ids[0]].node;
    j->right_part = stream_key_part(pl, j);
    uint32_t src = rekey(pl, eddy__dsl_printf(pl->c, "%s-right", name), j->right_in,
                         j->right_part, op->off, op->len, right);
    eddy__plan_push_id(pl->c, &rfrom, src);
    j->right_source = pl->nodes[src].node;
    right = &rfrom;
  }
  uint32_t id = eddy__plan_new_node(pl, EDDY_NODE_JOIN, name, op->off, op->len);
  eddy_plan_node_t *n = pl->nodes[id].node;
  n->in = in;
  n->out = op->out;
  n->u.join = j;
  for (uint32_t i = 0; i < from.cnt; i++)
    eddy__plan_push_id(pl->c, &pl->nodes[from.ids[i]].next, id);
  for (uint32_t i = 0; i < right->cnt; i++)
    eddy__plan_push_id(pl->c, &pl->nodes[right->ids[i]].next, id);
  if (j->shape != EDDY_JOIN_STREAM_STREAM)
    j->right_table = pl->nodes[right->ids[0]].node;
  if (j->shape == EDDY_JOIN_TABLE_TABLE)
    j->left_table = pl->nodes[cur->ids[0]].node;
  eddy__plan_push_id(pl->c, &out, id);
  return out;
}

/* A stream-stream join buffers each side in a window store. */
static uint32_t window_store(planner_t *pl, eddy_plan_t *plan, const eddy_plan_node_t *n,
                             const char *side) {
  const eddy_plan_join_t *j = n->u.join;
  eddy_plan_store_t *s = &plan->stores[plan->store_cnt];
  s->name = eddy__dsl_printf(pl->c, "%s-%s-store", n->name, side);
  s->changelog = eddy__dsl_printf(pl->c, "%s-%s-changelog", plan->app_id, s->name);
  s->kind = EDDY_PLAN_STORE_WINDOW;
  s->retention = j->within + j->grace + EDDY_SEC;
  s->node = n->id;
  s->subtopology = n->subtopology;
  return plan->store_cnt++;
}

void eddy__plan_table_stores(planner_t *pl, eddy_plan_t *plan) {
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    eddy_plan_node_t *n = plan->nodes[i];
    if (n->kind == EDDY_NODE_JOIN && n->u.join->shape == EDDY_JOIN_STREAM_STREAM) {
      eddy_plan_join_t *j = (eddy_plan_join_t *)n->u.join;
      j->left_store = window_store(pl, plan, n, "left");
      j->right_store = window_store(pl, plan, n, "right");
    }
    if (n->kind != EDDY_NODE_TABLE)
      continue;
    n->u.table.source = pl->nodes[n->u.table.source].node->u.source.source;
    const eddy_plan_source_t *src = &plan->sources[n->u.table.source];
    eddy_plan_store_t *s = &plan->stores[plan->store_cnt];
    s->name = eddy__dsl_printf(pl->c, "%s-store", n->u.table.table);
    s->kind = EDDY_PLAN_STORE_KV;
    s->node = n->id;
    s->subtopology = n->subtopology;
    s->source_topic = n->u.table.source_changelog ? src->topics[0] : NULL;
    s->global = n->u.table.global;
    s->changelog = s->source_topic != NULL
                       ? s->source_topic
                       : eddy__dsl_printf(pl->c, "%s-%s-changelog", plan->app_id, s->name);
    n->u.table.store = plan->store_cnt++;
  }
}
