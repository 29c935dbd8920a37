/* `eddy describe` lines of the keyed operators (over, dedupe, changes) and their re-keying. */
#include "dsl/dsl.h"
#include "eddy/error.h"
#include "operators/aggregate.h"

int eddy__describe_keyed(const eddy_plan_node_t *n, eddy_buf_t *out);
const char *eddy__describe_store_kind(eddy_plan_store_kind_t kind);

const char *eddy__describe_store_kind(eddy_plan_store_kind_t kind) {
  return kind == EDDY_PLAN_STORE_WINDOW ? "window"
         : kind == EDDY_PLAN_STORE_SESSION ? "session" : "key-value";
}

static int put_duration(eddy_buf_t *out, const char *before, int64_t us) {
  char buf[64];
  eddy_duration_format(us, buf, sizeof(buf));
  return eddy_buf_printf(out, "%s%s", before, buf);
}

static int describe_over(const eddy_plan_keyed_t *k, eddy_buf_t *out) {
  int rc = eddy_buf_puts(out, "over ");
  rc = rc == 0 ? eddy_expr_format(k->expr, out) : rc;
  if (rc == 0 && k->rows)
    rc = eddy_buf_printf(out, " rows %lld preceding", (long long)k->count);
  else if (rc == 0)
    rc = put_duration(out, " range ", k->range);
  if (rc == 0 && !k->rows)
    rc = eddy_buf_puts(out, " preceding");
  if (rc == 0 && k->exclude_current)
    rc = eddy_buf_puts(out, " exclude current");
  rc = rc == 0 ? eddy_buf_puts(out, " | aggregate ") : rc;
  for (uint32_t i = 0; rc == 0 && i < k->agg_cnt; i++) {
    const eddy_plan_agg_t *a = &k->aggs[i];
    rc = eddy_buf_printf(out, "%s%s = %s(", i > 0 ? ", " : "", a->name, eddy_agg_name(a->fn));
    if (rc == 0 && a->arg >= 0)
      rc = eddy_expr_format(k->args[a->arg], out);
    if (rc == 0 && a->arg2 >= 0)
      rc = eddy_buf_puts(out, ", ");
    if (rc == 0 && a->arg2 >= 0)
      rc = eddy_expr_format(k->args[a->arg2], out);
    rc = rc == 0 ? eddy_buf_putc(out, ')') : rc;
  }
  return rc;
}

int eddy__describe_keyed(const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc;
  if (n->kind == EDDY_NODE_REPARTITION) {
    const eddy_plan_group_t *g = n->u.repartition.group;
    rc = eddy_buf_puts(out, "re-key by ");
    rc = rc == 0 ? eddy_expr_format(g->exprs[g->key_first], out) : rc;
    return rc == 0 ? eddy_buf_printf(out, " (to topic %s)", n->u.repartition.topic) : rc;
  }
  const eddy_plan_keyed_t *k = n->u.keyed.spec;
  switch (n->kind) {
  case EDDY_NODE_OVER:
    return describe_over(k, out);
  case EDDY_NODE_DEDUPE:
    rc = eddy_buf_puts(out, "dedupe by ");
    rc = rc == 0 ? eddy_expr_format(k->expr, out) : rc;
    return rc == 0 ? put_duration(out, " within ", k->within) : rc;
  default:
    rc = eddy_buf_puts(out, "changes of ");
    return rc == 0 ? eddy_expr_format(k->expr, out) : rc;
  }
}
