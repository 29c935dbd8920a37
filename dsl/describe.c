/*
 * `eddy describe`: the plan as text (sub-topologies, nodes with their
 * edges, topics, stores) in the spirit of Kafka Streams'
 * TopologyDescription, and as Graphviz.
 */
#include <stdio.h>
#include <string.h>

#include "dsl/dsl.h"
#include "dsl/plan_join.h"
#include "eddy/error.h"
#include "operators/aggregate.h"

#define SELECT_SHOWN 12   /* select columns listed before "… N more" */

/* over, dedupe, changes and re-keying (describe_keyed.c) */
int eddy__describe_keyed(const eddy_plan_node_t *n, eddy_buf_t *out);
const char *eddy__describe_store_kind(eddy_plan_store_kind_t kind);

static const char *on_error_name(eddy_on_error_t e) {
  return e == EDDY_ON_ERROR_SKIP ? "skip" : e == EDDY_ON_ERROR_FAIL ? "fail" : "dlq";
}

static bool is_sink(const eddy_plan_node_t *n) {
  return n->kind == EDDY_NODE_SINK_KAFKA || n->kind == EDDY_NODE_SINK_STDOUT ||
         n->kind == EDDY_NODE_SINK_POSTGRES || n->kind == EDDY_NODE_REPARTITION;
}

static int put_expr(eddy_buf_t *out, const char *before, const eddy_expr_t *e) {
  int rc = eddy_buf_puts(out, before);
  return rc == 0 ? eddy_expr_format(e, out) : rc;
}

static int describe_select(const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc = eddy_buf_puts(out, "select ");
  uint32_t cnt = n->out->cnt, shown = cnt < SELECT_SHOWN ? cnt : SELECT_SHOWN;
  for (uint32_t i = 0; rc == 0 && i < shown; i++) {
    const eddy_expr_t *e = n->u.select.exprs[i];
    const char *name = n->out->items[i].name;
    rc = eddy_buf_printf(out, "%s%s", i > 0 ? ", " : "", name);
    if (rc == 0 && !(e->kind == EDDY_X_FIELD && strcmp(e->u.field.path, name) == 0))
      rc = put_expr(out, " = ", e);
  }
  if (rc == 0 && cnt > shown)
    rc = eddy_buf_printf(out, ", ... (%u more)", cnt - shown);
  return rc;
}

static int describe_sink_kafka(const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc = eddy_buf_printf(out, "to kafka \"%s\" format %s", n->u.sink_kafka.topic,
                           eddy_format_name(n->u.sink_kafka.format));
  if (rc == 0 && n->u.sink_kafka.key != NULL)
    rc = put_expr(out, " key ", n->u.sink_kafka.key);
  return rc;
}

static int describe_sink_postgres(const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc = eddy_buf_printf(out, "to postgres %s key (", n->u.sink_postgres.table);
  for (uint32_t i = 0; rc == 0 && i < n->u.sink_postgres.key_column_cnt; i++)
    rc = eddy_buf_printf(out, "%s%s", i > 0 ? ", " : "", n->u.sink_postgres.key_columns[i]);
  return rc == 0 ? eddy_buf_printf(out, ") via topic %s", n->u.sink_postgres.topic) : rc;
}

static int put_duration(eddy_buf_t *out, const char *before, int64_t us) {
  char buf[64];
  eddy_duration_format(us, buf, sizeof(buf));
  return eddy_buf_printf(out, "%s%s", before, buf);
}

static int describe_group_by(const eddy_plan_node_t *n, eddy_buf_t *out) {
  const eddy_plan_group_t *g = n->u.repartition.group;
  if (g->rekey)
    return eddy__describe_keyed(n, out);
  if (strcmp(g->part->items[0].name, "@jk") == 0)
    return eddy__describe_rekey(n, out);
  int rc = eddy_buf_puts(out, "group by ");
  for (uint32_t i = 0; rc == 0 && i < g->key_cnt; i++) {
    const eddy_expr_t *e = g->exprs[i];
    const char *name = g->part->items[i].name;
    rc = eddy_buf_printf(out, "%s%s", i > 0 ? ", " : "", name);
    if (rc == 0 && !(e->kind == EDDY_X_FIELD && strcmp(e->u.field.path, name) == 0))
      rc = put_expr(out, " = ", e);
  }
  return rc == 0 ? eddy_buf_printf(out, " (to topic %s)", n->u.repartition.topic) : rc;
}

static int describe_window(const eddy_plan_group_t *g, eddy_buf_t *out) {
  if (!g->windowed)
    return 0;
  int rc = g->session ? put_duration(out, "window session gap ", g->gap)
           : put_duration(out, g->hopping ? "window hopping " : "window tumbling ", g->size);
  if (rc == 0 && g->hopping)
    rc = put_duration(out, " advance ", g->advance);
  if (rc == 0 && g->grace > 0)
    rc = put_duration(out, " grace ", g->grace);
  return rc == 0 ? eddy_buf_puts(out, " | ") : rc;
}

static int describe_aggregate(const eddy_plan_node_t *n, eddy_buf_t *out) {
  const eddy_plan_group_t *g = n->u.aggregate.group;
  int rc = describe_window(g, out);
  rc = rc == 0 ? eddy_buf_puts(out, "aggregate ") : rc;
  for (uint32_t i = 0; rc == 0 && i < g->agg_cnt; i++) {
    const eddy_plan_agg_t *a = &g->aggs[i];
    rc = eddy_buf_printf(out, "%s%s = %s(", i > 0 ? ", " : "", a->name, eddy_agg_name(a->fn));
    if (rc == 0 && a->arg >= 0)
      rc = eddy_expr_format(g->exprs[a->arg], out);
    if (rc == 0 && a->arg2 >= 0)
      rc = put_expr(out, ", ", g->exprs[a->arg2]);
    rc = rc == 0 ? eddy_buf_putc(out, ')') : rc;
  }
  return rc == 0 ? eddy_buf_puts(out, g->emit_final ? " | emit final" : " | emit changes") : rc;
}

static int describe_store(const eddy_plan_t *plan, uint32_t i, eddy_buf_t *out) {
  const eddy_plan_store_t *s = &plan->stores[i];
  int rc = eddy_buf_printf(out, "\n    store: %s (%s", s->name,
                           eddy__describe_store_kind(s->kind));
  if (rc == 0 && s->retention > 0)
    rc = put_duration(out, ", retention ", s->retention);
  return rc == 0 ? eddy_buf_printf(out, ", changelog %s%s)", s->changelog,
                                   s->source_topic != NULL ? " (the source topic)" : "") : rc;
}

static int describe_stores_of(const eddy_plan_t *plan, const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc = describe_store(plan, n->u.aggregate.store, out);
  if (rc == 0 && n->u.aggregate.distinct_store != UINT32_MAX)
    rc = describe_store(plan, n->u.aggregate.distinct_store, out);
  return rc;
}

/* One line saying what a non-source node does. */
static int describe_op(const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc;
  switch (n->kind) {
  case EDDY_NODE_WHERE: return put_expr(out, "where ", n->u.where.cond);
  case EDDY_NODE_SELECT: return describe_select(n, out);
  case EDDY_NODE_FLATTEN:
    rc = put_expr(out, "flatten ", n->u.flatten.array);
    return rc == 0 ? eddy_buf_printf(out, " as %s", n->out->items[n->out->cnt - 1].name) : rc;
  case EDDY_NODE_KEY_BY: return put_expr(out, "key by ", n->u.key_by.key);
  case EDDY_NODE_CHECK:
    rc = put_expr(out, "check ", n->u.check.cond);
    return rc == 0 ? eddy_buf_printf(out, " else \"%s\"", n->u.check.reason) : rc;
  case EDDY_NODE_SINK_KAFKA: return describe_sink_kafka(n, out);
  case EDDY_NODE_SINK_STDOUT:
    return eddy_buf_printf(out, "to stdout format %s", eddy_format_name(n->u.sink_stdout.format));
  case EDDY_NODE_SINK_POSTGRES: return describe_sink_postgres(n, out);
  case EDDY_NODE_REPARTITION: return describe_group_by(n, out);
  case EDDY_NODE_AGGREGATE: return describe_aggregate(n, out);
  case EDDY_NODE_TABLE: case EDDY_NODE_JOIN: return eddy__describe_join(n, out);
  case EDDY_NODE_OVER:
  case EDDY_NODE_DEDUPE:
  case EDDY_NODE_CHANGES: return eddy__describe_keyed(n, out);
  default: return eddy_buf_puts(out, "stateful operator");
  }
}

static int describe_wanted(const eddy_plan_source_t *s, eddy_buf_t *out) {
  const eddy_fields_t *layout = s->decode.layout;
  uint32_t wanted = 0;
  for (uint32_t i = 0; i < layout->cnt; i++)
    wanted += s->decode.wanted[i] != 0;
  int rc = eddy_buf_printf(out, "    decodes %u of %u fields", wanted, layout->cnt);
  for (uint32_t i = 0, k = 0; rc == 0 && i < layout->cnt; i++)
    if (s->decode.wanted[i])
      rc = eddy_buf_printf(out, "%s%s", k++ == 0 ? ": " : ", ", layout->items[i].name);
  return rc == 0 ? eddy_buf_putc(out, '\n') : rc;
}

static int describe_source(const eddy_plan_source_t *s, eddy_buf_t *out) {
  int rc = eddy_buf_printf(out, "  Source %s (topics: [", s->name);
  for (uint32_t i = 0; rc == 0 && i < s->topic_cnt; i++)
    rc = eddy_buf_printf(out, "%s%s", i > 0 ? ", " : "", s->topics[i]);
  if (s->internal)
    rc = rc == 0 ? eddy_buf_puts(out, "], internal, written by ") : rc;
  if (s->internal && rc == 0)
    rc = eddy_buf_printf(out, "%s)\n    key: %s", s->repartition->name,
                         s->key != NULL ? "@key"
                         : strcmp(s->decode.layout->items[0].name, "@jk") == 0 ? "the join key"
                                                                               : "the group key");
  else
    rc = rc == 0 ? eddy_buf_printf(out, "], format: %s, on error: %s)\n",
                                   eddy_format_name(s->decode.format),
                                   on_error_name(s->on_error)) : rc;
  if (rc == 0 && !s->internal)
    rc = s->key != NULL ? put_expr(out, "    key: ", s->key)
                        : eddy_buf_puts(out, "    key: the message key (string)");
  if (rc == 0)
    rc = s->event_time != NULL ? put_expr(out, "\n    event time: ", s->event_time)
                               : eddy_buf_puts(out, "\n    event time: the record timestamp");
  rc = rc == 0 ? eddy_buf_putc(out, '\n') : rc;
  return rc == 0 ? describe_wanted(s, out) : rc;
}

static int describe_edges(const eddy_plan_t *plan, const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc = 0;
  bool first = true;
  for (uint32_t i = 0; rc == 0 && i < plan->node_cnt; i++)
    for (uint32_t j = 0; rc == 0 && j < plan->nodes[i]->next_cnt; j++)
      if (plan->nodes[i]->next[j] == n) {
        rc = eddy_buf_printf(out, "%s%s", first ? "    <-- " : ", ", plan->nodes[i]->name);
        first = false;
      }
  if (rc == 0 && !first)
    rc = eddy_buf_putc(out, '\n');
  for (uint32_t j = 0; rc == 0 && j < n->next_cnt; j++)
    rc = eddy_buf_printf(out, "%s%s", j == 0 ? "    --> " : ", ", n->next[j]->name);
  return rc == 0 && n->next_cnt > 0 ? eddy_buf_putc(out, '\n') : rc;
}

static int describe_node(const eddy_plan_t *plan, const eddy_plan_node_t *n, eddy_buf_t *out) {
  int rc;
  if (n->kind == EDDY_NODE_SOURCE) {
    rc = describe_source(&plan->sources[n->u.source.source], out);
  } else {
    rc = eddy_buf_printf(out, "  %s %s: ", is_sink(n) ? "Sink" : "Processor", n->name);
    rc = rc == 0 ? describe_op(n, out) : rc;
    if (rc == 0 && n->kind == EDDY_NODE_AGGREGATE)
      rc = describe_stores_of(plan, n, out);
    if (rc == 0 && n->kind == EDDY_NODE_TABLE)
      rc = describe_store(plan, n->u.table.store, out);
    if (rc == 0 && (n->kind == EDDY_NODE_OVER || n->kind == EDDY_NODE_DEDUPE ||
                    n->kind == EDDY_NODE_CHANGES))
      rc = describe_store(plan, n->u.keyed.store, out);
    rc = rc == 0 ? eddy_buf_putc(out, '\n') : rc;
  }
  return rc == 0 ? describe_edges(plan, n, out) : rc;
}

static bool needs_dlq(const eddy_plan_t *plan) {
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    if (plan->sources[i].on_error == EDDY_ON_ERROR_DLQ)
      return true;
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_CHECK)
      return true;
  return false;
}

static uint32_t first_repartition(const eddy_plan_t *plan) {
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_REPARTITION)
      return i;
  return UINT32_MAX;
}

static int describe_topics(const eddy_plan_t *plan, eddy_buf_t *out) {
  int rc = eddy_buf_puts(out, "\nTopics\n  input:");
  for (uint32_t i = 0; rc == 0 && i < plan->source_cnt; i++)
    for (uint32_t t = 0; rc == 0 && !plan->sources[i].internal && t < plan->sources[i].topic_cnt; t++)
      rc = eddy_buf_printf(out, " %s", plan->sources[i].topics[t]);
  rc = rc == 0 ? eddy_buf_puts(out, "\n  output:") : rc;
  for (uint32_t i = 0; rc == 0 && i < plan->node_cnt; i++) {
    const eddy_plan_node_t *n = plan->nodes[i];
    if (n->kind == EDDY_NODE_SINK_KAFKA)
      rc = eddy_buf_printf(out, " %s", n->u.sink_kafka.topic);
    else if (n->kind == EDDY_NODE_SINK_POSTGRES)
      rc = eddy_buf_printf(out, " %s", n->u.sink_postgres.topic);
  }
  for (uint32_t i = 0; rc == 0 && i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_REPARTITION)
      rc = eddy_buf_printf(out, "%s %s", i == first_repartition(plan) ? "\n  repartition:" : "",
                           plan->nodes[i]->u.repartition.topic);
  for (uint32_t i = 0; rc == 0 && i < plan->store_cnt; i++)
    if (plan->stores[i].source_topic == NULL)   /* tables restored from their source: inputs */
      rc = eddy_buf_printf(out, "%s %s", eddy__describe_first_changelog(plan, i)
                           ? "\n  changelogs:" : "", plan->stores[i].changelog);
  if (rc == 0 && needs_dlq(plan))
    rc = eddy_buf_printf(out, "\n  dead letters: %s-dlq", plan->app_id);
  if (rc == 0 && plan->store_cnt == 0)
    return eddy_buf_puts(out, "\n\nStores: none\n");
  rc = rc == 0 ? eddy_buf_puts(out, "\n\nStores\n") : rc;
  for (uint32_t i = 0; rc == 0 && i < plan->store_cnt; i++) {
    const eddy_plan_store_t *s = &plan->stores[i];
    rc = eddy_buf_printf(out, "  %s: %s, sub-topology %u, node %s\n", s->name,
                         eddy__describe_store_kind(s->kind),
                         s->subtopology, plan->nodes[s->node]->name);
  }
  return rc;
}

int eddy_plan_describe(const eddy_plan_t *plan, eddy_buf_t *out) {
  int rc = eddy_buf_printf(out, "Topology %s (%s)\n", plan->app_id, plan->file);
  for (uint32_t s = 0; rc == 0 && s < plan->subtopology_cnt; s++) {
    rc = eddy_buf_printf(out, "\nSub-topology %u\n", s);
    for (uint32_t i = 0; rc == 0 && i < plan->node_cnt; i++)
      if (plan->nodes[i]->subtopology == s)
        rc = describe_node(plan, plan->nodes[i], out);
  }
  return rc == 0 ? describe_topics(plan, out) : rc;
}

/* ---- Graphviz ---------------------------------------------------------- */

static int dot_quoted(eddy_buf_t *out, const char *s, size_t max) {
  int rc = eddy_buf_putc(out, '"');
  size_t i = 0;
  for (; rc == 0 && s[i] != '\0' && i < max; i++) {
    if (s[i] == '"' || s[i] == '\\')
      rc = eddy_buf_putc(out, '\\');
    if (rc == 0)
      rc = s[i] == '\n' ? eddy_buf_puts(out, "\\n") : eddy_buf_putc(out, s[i]);
  }
  if (rc == 0 && s[i] != '\0')
    rc = eddy_buf_puts(out, "...");
  return rc == 0 ? eddy_buf_putc(out, '"') : rc;
}

static int dot_node(const eddy_plan_t *plan, const eddy_plan_node_t *n, eddy_buf_t *out) {
  eddy_buf_t label = {0};
  int rc = eddy_buf_printf(&label, "%s\n", n->name);
  if (rc == 0 && n->kind == EDDY_NODE_SOURCE)
    rc = eddy_buf_printf(&label, "source %s",
                         eddy_format_name(plan->sources[n->u.source.source].decode.format));
  else if (rc == 0)
    rc = describe_op(n, &label);
  rc = rc == 0 ? eddy_buf_puts(out, "    ") : rc;
  rc = rc == 0 ? dot_quoted(out, n->name, SIZE_MAX) : rc;
  rc = rc == 0 ? eddy_buf_puts(out, " [label=") : rc;
  rc = rc == 0 ? dot_quoted(out, eddy_buf_cstr(&label), 120) : rc;
  rc = rc == 0 ? eddy_buf_puts(out, is_sink(n) ? ", style=rounded];\n" : "];\n") : rc;
  eddy_buf_free(&label);
  return rc;
}

static int dot_topic_edge(eddy_buf_t *out, const char *topic, const char *node, bool into_node) {
  int rc = eddy_buf_puts(out, "  ");
  char id[300];
  snprintf(id, sizeof(id), "topic %s", topic);
  rc = rc == 0 ? dot_quoted(out, id, SIZE_MAX) : rc;
  rc = rc == 0 ? eddy_buf_puts(out, " [shape=ellipse, label=") : rc;
  rc = rc == 0 ? dot_quoted(out, topic, SIZE_MAX) : rc;
  rc = rc == 0 ? eddy_buf_puts(out, "];\n  ") : rc;
  rc = rc == 0 ? dot_quoted(out, into_node ? id : node, SIZE_MAX) : rc;
  rc = rc == 0 ? eddy_buf_puts(out, " -> ") : rc;
  rc = rc == 0 ? dot_quoted(out, into_node ? node : id, SIZE_MAX) : rc;
  return rc == 0 ? eddy_buf_puts(out, ";\n") : rc;
}

static int dot_edges(const eddy_plan_t *plan, eddy_buf_t *out) {
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < plan->source_cnt; i++)
    for (uint32_t t = 0; rc == 0 && t < plan->sources[i].topic_cnt; t++)
      rc = dot_topic_edge(out, plan->sources[i].topics[t], plan->sources[i].node->name, true);
  for (uint32_t i = 0; rc == 0 && i < plan->node_cnt; i++) {
    const eddy_plan_node_t *n = plan->nodes[i];
    for (uint32_t j = 0; rc == 0 && j < n->next_cnt; j++) {
      rc = eddy_buf_puts(out, "  ");
      rc = rc == 0 ? dot_quoted(out, n->name, SIZE_MAX) : rc;
      rc = rc == 0 ? eddy_buf_puts(out, " -> ") : rc;
      rc = rc == 0 ? dot_quoted(out, n->next[j]->name, SIZE_MAX) : rc;
      rc = rc == 0 ? eddy_buf_puts(out, ";\n") : rc;
    }
    if (rc == 0 && n->kind == EDDY_NODE_SINK_KAFKA)
      rc = dot_topic_edge(out, n->u.sink_kafka.topic, n->name, false);
    else if (rc == 0 && n->kind == EDDY_NODE_REPARTITION)
      rc = dot_topic_edge(out, n->u.repartition.topic, n->name, false);
    else if (rc == 0 && n->kind == EDDY_NODE_SINK_POSTGRES)
      rc = dot_topic_edge(out, n->u.sink_postgres.topic, n->name, false);
  }
  return rc;
}

int eddy_plan_describe_dot(const eddy_plan_t *plan, eddy_buf_t *out) {
  int rc = eddy_buf_puts(out, "digraph ");
  rc = rc == 0 ? dot_quoted(out, plan->app_id, SIZE_MAX) : rc;
  rc = rc == 0 ? eddy_buf_puts(out, " {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n") : rc;
  for (uint32_t s = 0; rc == 0 && s < plan->subtopology_cnt; s++) {
    rc = eddy_buf_printf(out, "  subgraph cluster_%u {\n    label=\"sub-topology %u\";\n", s, s);
    for (uint32_t i = 0; rc == 0 && i < plan->node_cnt; i++)
      if (plan->nodes[i]->subtopology == s)
        rc = dot_node(plan, plan->nodes[i], out);
    rc = rc == 0 ? eddy_buf_puts(out, "  }\n") : rc;
  }
  rc = rc == 0 ? dot_edges(plan, out) : rc;
  return rc == 0 ? eddy_buf_puts(out, "}\n") : rc;
}
