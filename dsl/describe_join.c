/* `eddy describe` lines for tables and joins (dsl/plan_join.h). */
#include "dsl/dsl.h"
#include "dsl/plan_join.h"

int eddy__describe_rekey(const eddy_plan_node_t *n, eddy_buf_t *out) {
  const eddy_plan_group_t *g = n->u.repartition.group;
  int rc = eddy_buf_puts(out, "re-key by ");
  rc = rc == 0 ? eddy_expr_format(g->exprs[0], out) : rc;
  if (rc == 0 && g->raw_key)
    rc = eddy_buf_puts(out, " (as the message key's bytes)");
  if (rc == 0 && g->table)
    rc = eddy_buf_puts(out, ", deletes as tombstones");
  return rc == 0 ? eddy_buf_printf(out, " (to topic %s)", n->u.repartition.topic) : rc;
}

static const char *kind_word(eddy_join_kind_t k) {
  return k == EDDY_JOIN_LEFT ? "left join" : k == EDDY_JOIN_OUTER ? "outer join" : "join";
}

int eddy__describe_join(const eddy_plan_node_t *n, eddy_buf_t *out) {
  if (n->kind == EDDY_NODE_TABLE && n->u.table.global)
    return eddy_buf_printf(out, "global table %s: the latest row per key of every partition, in "
                           "every stream thread, rebuilt from the topic at start-up",
                           n->u.table.table);
  if (n->kind == EDDY_NODE_TABLE)
    return eddy_buf_printf(out, "table %s: the latest row per %s%s", n->u.table.table,
                           n->u.table.source_changelog ? "message key" : "key",
                           n->u.table.debezium ? " (Debezium deletes and tombstones remove it)"
                                               : " (tombstones remove it)");
  const eddy_plan_join_t *j = n->u.join;
  int rc = eddy_buf_printf(out, "%s %s on ", kind_word(j->kind), j->right_name);
  if (rc == 0 && j->on != NULL)
    rc = eddy_expr_format(j->on, out);
  else if (rc == 0)
    rc = eddy_buf_puts(out, "key");
  if (rc == 0 && j->shape == EDDY_JOIN_STREAM_STREAM) {
    char a[64], b[64];
    eddy_duration_format(j->within, a, sizeof(a));
    eddy_duration_format(j->grace, b, sizeof(b));
    rc = eddy_buf_printf(out, " within %s grace %s", a, b);
  }
  return rc == 0 ? eddy_buf_printf(out, " (%s; fields %s.*, %s.*)",
                                   j->shape == EDDY_JOIN_TABLE_TABLE    ? "table-table"
                                   : j->shape == EDDY_JOIN_STREAM_STREAM ? "stream-stream"
                                                                         : "stream-table",
                                   j->left_name, j->right_name) : rc;
}

bool eddy__describe_first_changelog(const eddy_plan_t *plan, uint32_t i) {
  for (uint32_t k = 0; k < i; k++)
    if (plan->stores[k].source_topic == NULL)
      return false;
  return true;
}
