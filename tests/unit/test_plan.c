/*
 * The planner: stable node names, topological order, fan-out, merge,
 * pruning of unused streams, sub-topologies, the application id, and the
 * `eddy describe` text and Graphviz output.
 */
#include "dsl/dsl.h"
#include "eddy/error.h"
#include "eddy_test.h"

static void ignore(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  (void)d;
}

static eddy_topology_t *compile_as(const char *file, const char *text) {
  eddy_topology_t *topo = NULL;
  ASSERT_OK(eddy_topology_compile(&topo, file, text, strlen(text), ignore, NULL));
  return topo;
}

static const eddy_plan_node_t *node(const eddy_plan_t *plan, const char *name) {
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (strcmp(plan->nodes[i]->name, name) == 0)
      return plan->nodes[i];
  eddy_test_fail(__FILE__, __LINE__, "no node %s", name);
}

static const char *names(const eddy_plan_node_t *const *nodes, uint32_t cnt) {
  static char out[1024];
  out[0] = '\0';
  for (uint32_t i = 0; i < cnt; i++)
    snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", nodes[i]->name);
  return out;
}

static const char *parents(const eddy_plan_t *plan, const eddy_plan_node_t *n) {
  const eddy_plan_node_t *found[64];
  uint32_t cnt = 0;
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    for (uint32_t j = 0; j < plan->nodes[i]->next_cnt; j++)
      if (plan->nodes[i]->next[j] == n)
        found[cnt++] = plan->nodes[i];
  return names(found, cnt);
}

#define SHOP                                                                                \
  "app shop\n"                                                                              \
  "stream orders from \"o\" format json schema (id int, amount decimal(10,2), status string)\n" \
  "stream refunds from \"r\" format json schema (id int, amount decimal(10,2), status string)\n"

EDDY_TEST(plan_names_order_fanout_and_merge) {
  eddy_topology_t *topo = compile_as("shop.eddy", SHOP
      "paid = orders | where status == \"paid\" | select id, amount\n"
      "paid | to kafka \"paid\" key id\n"
      "paid | where amount > 100 | to stdout\n"
      "orders | where status == \"x\" | to stdout\n"
      "orders | where status == \"y\" | to stdout\n"
      "all = orders | merge refunds\n"
      "all | to postgres payments key (id)\n");
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  ASSERT_STR_EQ("shop", plan->app_id);
  ASSERT_STR_EQ("shop.eddy", plan->file);
  ASSERT_STR_EQ("orders refunds paid.where-1 paid.select-1 paid.to-kafka-1 paid.where-2 "
                "paid.to-stdout-1 orders.where-1 orders.to-stdout-1 orders.where-2 "
                "orders.to-stdout-2 all.to-postgres-1",
                names((const eddy_plan_node_t *const *)plan->nodes, plan->node_cnt));
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    ASSERT_EQ(i, plan->nodes[i]->id);
    for (uint32_t j = 0; j < plan->nodes[i]->next_cnt; j++)
      ASSERT_TRUE(plan->nodes[i]->next[j]->id > i);   /* topological */
  }
  const eddy_plan_node_t *orders = node(plan, "orders");
  ASSERT_STR_EQ("paid.where-1 orders.where-1 orders.where-2 all.to-postgres-1",
                names((const eddy_plan_node_t *const *)orders->next, orders->next_cnt));
  ASSERT_STR_EQ("paid.to-kafka-1 paid.where-2",
                names((const eddy_plan_node_t *const *)node(plan, "paid.select-1")->next, 2));
  const eddy_plan_node_t *pg = node(plan, "all.to-postgres-1");
  ASSERT_STR_EQ("orders refunds", parents(plan, pg));
  ASSERT_EQ(EDDY_NODE_SINK_POSTGRES, pg->kind);
  ASSERT_STR_EQ("payments", pg->u.sink_postgres.table);
  ASSERT_EQ(1, pg->u.sink_postgres.key_column_cnt);
  ASSERT_STR_EQ("id", pg->u.sink_postgres.key_columns[0]);
  ASSERT_STR_EQ("shop-all.to-postgres-1", pg->u.sink_postgres.topic);
  ASSERT_EQ(0, pg->next_cnt);
  ASSERT_EQ(2, plan->source_cnt);
  ASSERT_TRUE(plan->sources[0].node == orders);
  ASSERT_EQ(0, orders->u.source.source);
  ASSERT_EQ(1, node(plan, "refunds")->u.source.source);
  ASSERT_TRUE(orders->in == NULL);
  ASSERT_TRUE(orders->out == plan->sources[0].decode.layout);
  ASSERT_EQ(1, plan->subtopology_cnt);   /* the merge joins the two sources */
  ASSERT_EQ(2, plan->subtopologies[0].source_cnt);
  const eddy_plan_node_t *k = node(plan, "paid.to-kafka-1");
  ASSERT_STR_EQ("paid", k->u.sink_kafka.topic);
  ASSERT_EQ(EDDY_FMT_JSON, k->u.sink_kafka.format);
  ASSERT_EQ(EDDY_X_FIELD, k->u.sink_kafka.key->kind);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_subtopologies_are_connected_components) {
  eddy_topology_t *topo = compile_as("t.eddy", SHOP
      "stream audit from \"audit\" format string\n"
      "audit | to stdout\n"
      "refunds | to kafka \"refunds.copy\"\n"
      "orders | to kafka \"orders.copy\"\n");
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  ASSERT_EQ(3, plan->subtopology_cnt);
  for (uint32_t s = 0; s < 3; s++) {
    ASSERT_EQ(s, plan->subtopologies[s].id);
    ASSERT_EQ(1, plan->subtopologies[s].source_cnt);
    ASSERT_EQ(s, plan->sources[plan->subtopologies[s].sources[0]].subtopology);
  }
  ASSERT_STR_EQ("orders", plan->sources[plan->subtopologies[0].sources[0]].name);
  ASSERT_EQ(0, node(plan, "orders.to-kafka-1")->subtopology);
  ASSERT_EQ(1, node(plan, "refunds.to-kafka-1")->subtopology);
  ASSERT_EQ(2, node(plan, "audit.to-stdout-1")->subtopology);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_drops_what_reaches_no_sink) {
  eddy_topology_t *topo = compile_as("t.eddy", SHOP
      "unused = orders | where amount > 0 | select id\n"
      "orders | to stdout\n");
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  ASSERT_STR_EQ("orders orders.to-stdout-1",
                names((const eddy_plan_node_t *const *)plan->nodes, plan->node_cnt));
  ASSERT_EQ(1, plan->source_cnt);   /* refunds feeds nothing */
  ASSERT_EQ(1, node(plan, "orders")->next_cnt);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_merging_a_stream_twice_keeps_one_edge) {
  eddy_topology_t *topo = compile_as("t.eddy", SHOP
      "x = orders | merge refunds\n"
      "y = x | merge orders\n"
      "y | to stdout\n");
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  const eddy_plan_node_t *sink = node(plan, "y.to-stdout-1");
  ASSERT_STR_EQ("orders refunds", parents(plan, sink));
  ASSERT_EQ(1, node(plan, "orders")->next_cnt);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_app_id_defaults_to_the_file_name) {
  static const struct { const char *file, *id; } cases[] = {
      {"topologies/revenue.eddy", "revenue"}, {"fraud.agents.eddy", "fraud.agents"},
      {"my file.eddy", "my_file"},            {"noext", "noext"},
      {"/tmp/.eddy", ".eddy"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    eddy_topology_t *topo = compile_as(cases[i].file, "stream s from \"t\" format string\n"
                                                      "s | to stdout\n");
    ASSERT_STR_EQ(cases[i].id, eddy_topology_plan(topo)->app_id);
    eddy_topology_destroy(topo);
  }
  eddy_topology_t *topo = compile_as("x.eddy", "stream s from \"t\" format string\n"
                                               "s | to stdout\napp \"shop-2\"\n");
  ASSERT_STR_EQ("shop-2", eddy_topology_plan(topo)->app_id);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_describe_text) {
  eddy_topology_t *topo = compile_as("shop.eddy",
      "app shop\n"
      "stream orders from \"o1\", \"o2\" format debezium-json\n"
      "  schema (id int, amount decimal(10,2), status string) event-time ts_ms\n"
      "big = orders | where after.amount * 2 > 100.5 or after.status in (\"vip\", \"gold\")\n"
      "  | select id = after.id, amount = after.amount, status = after.status\n"
      "big | check amount is not null else \"no amount\" | to kafka \"big\" key id\n"
      "big | to postgres big_orders key (id)\n");
  eddy_buf_t out = {0};
  ASSERT_OK(eddy_plan_describe(eddy_topology_plan(topo), &out));
  ASSERT_STR_EQ(
      "Topology shop (shop.eddy)\n"
      "\n"
      "Sub-topology 0\n"
      "  Source orders (topics: [o1, o2], format: debezium-json, on error: dlq)\n"
      "    key: the message key (string)\n"
      "    event time: ts_ms\n"
      "    decodes 4 of 12 fields: after.id, after.amount, after.status, ts_ms\n"
      "    --> big.where-1\n"
      "  Processor big.where-1: where after.amount * 2 > 100.5 or after.status in (\"vip\", "
      "\"gold\")\n"
      "    <-- orders\n"
      "    --> big.select-1\n"
      "  Processor big.select-1: select id = after.id, amount = after.amount, "
      "status = after.status\n"
      "    <-- big.where-1\n"
      "    --> big.check-1, big.to-postgres-1\n"
      "  Processor big.check-1: check amount is not null else \"no amount\"\n"
      "    <-- big.select-1\n"
      "    --> big.to-kafka-1\n"
      "  Sink big.to-kafka-1: to kafka \"big\" format json key id\n"
      "    <-- big.check-1\n"
      "  Sink big.to-postgres-1: to postgres big_orders key (id) via topic "
      "shop-big.to-postgres-1\n"
      "    <-- big.select-1\n"
      "\n"
      "Topics\n"
      "  input: o1 o2\n"
      "  output: big shop-big.to-postgres-1\n"
      "  dead letters: shop-dlq\n"
      "\n"
      "Stores: none\n",
      eddy_buf_cstr(&out));
  eddy_buf_clear(&out);
  ASSERT_OK(eddy_plan_describe_dot(eddy_topology_plan(topo), &out));
  const char *dot = eddy_buf_cstr(&out);
  ASSERT_TRUE(strncmp(dot, "digraph \"shop\" {\n", 17) == 0);
  ASSERT_TRUE(strstr(dot, "  subgraph cluster_0 {\n    label=\"sub-topology 0\";\n") != NULL);
  ASSERT_TRUE(strstr(dot, "  \"topic o1\" -> \"orders\";\n") != NULL);
  ASSERT_TRUE(strstr(dot, "  \"topic o2\" -> \"orders\";\n") != NULL);
  ASSERT_TRUE(strstr(dot, "  \"orders\" -> \"big.where-1\";\n") != NULL);
  ASSERT_TRUE(strstr(dot, "  \"big.select-1\" -> \"big.to-postgres-1\";\n") != NULL);
  ASSERT_TRUE(strstr(dot, "  \"big.to-kafka-1\" -> \"topic big\";\n") != NULL);
  ASSERT_TRUE(strstr(dot, "check amount is not null else \\\"no amount\\\"") != NULL);
  ASSERT_TRUE(strcmp(dot + strlen(dot) - 2, "}\n") == 0);
  eddy_buf_free(&out);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_compile_file_errors_are_diagnostics) {
  eddy_topology_t *topo = (eddy_topology_t *)1;
  int calls = 0;
  ASSERT_EQ(EDDY_EIO, eddy_topology_compile_file(&topo, "/nonexistent/x.eddy",
                                                 (eddy_diag_fn)ignore, &calls));
  ASSERT_TRUE(topo == NULL);
  eddy_topology_destroy(NULL);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_compile_survives_allocation_failures) {
  static const char *text = SHOP
      "paid = orders | where status == \"paid\" | select id, amount, status = lower(status)\n"
      "paid | merge refunds | to kafka \"paid\" key id\n";
  int ok = 0, oom = 0;
  for (long n = 1; n < 400; n++) {
    eddy_topology_t *topo = NULL;
    eddy_alloc_fail_after(n);
    int rc = eddy_topology_compile(&topo, "t.eddy", text, strlen(text), ignore, NULL);
    eddy_alloc_fail_after(0);
    if (rc != 0 && rc != EDDY_ENOMEM)
      eddy_test_fail(__FILE__, __LINE__, "allocation %ld: rc %d", n, rc);
    ASSERT_TRUE((rc == 0) == (topo != NULL));
    rc == 0 ? ok++ : oom++;
    eddy_topology_destroy(topo);
    ASSERT_EQ(0, eddy_alloc_live());
  }
  ASSERT_TRUE(oom > 0);
  ASSERT_TRUE(ok > 0);   /* past the last allocation every compile succeeds */
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- group by, windows, aggregates -------------------------------------- */

#define GROUPED                                                                          \
  "app shop\n"                                                                           \
  "stream orders from \"o\" format json\n"                                               \
  "  schema (id int, user_id int, amount decimal(10,2), status string, at timestamp(3))\n" \
  "  event-time at\n"                                                                    \
  "rev = orders | where status == \"paid\"\n"                                           \
  "  | group by user_id, day = date_trunc(\"day\", at)\n"                               \
  "  | window hopping 10m advance 5m grace 30s\n"                                        \
  "  | aggregate n = count(), total = sum(amount), mean = avg(amount),\n"                \
  "              users = count_distinct(user_id), top = argmax(id, amount)\n"            \
  "  | emit final\n"                                                                     \
  "rev | to kafka \"rev\"\n"

static const char *field_names(const eddy_fields_t *f) {
  static char out[1024];
  out[0] = '\0';
  for (uint32_t i = 0; i < f->cnt; i++) {
    char t[64];
    eddy_type_format(&f->items[i].type, t, sizeof(t));
    snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s %s", i ? ", " : "",
             f->items[i].name, t);
  }
  return out;
}

/* The format of a re-keying's internal topic: binary rows when every column is a scalar,
 * JSON when one is an array or a struct. */
static eddy_format_t rekey_format(const char *select) {
  char text[512];
  snprintf(text, sizeof(text),
           "stream s from \"s\" format json schema (k int, tags array<string>, at timestamp)\n"
           "  event-time at\n"
           "s | select %s | over k rows 2 preceding | aggregate n = count() | to stdout\n",
           select);
  eddy_topology_t *topo = compile_as("rekey.eddy", text);
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  eddy_format_t f = EDDY_FMT_STRING;
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    if (plan->sources[i].internal)
      f = plan->sources[i].decode.format;
  eddy_topology_destroy(topo);
  return f;
}

EDDY_TEST(plan_rekey_rows_are_binary_unless_a_column_is_not_a_scalar) {
  ASSERT_EQ(EDDY_FMT_ROW, rekey_format("k, at"));
  ASSERT_EQ(EDDY_FMT_JSON, rekey_format("k, tags, at"));
}

EDDY_TEST(plan_group_by_cuts_a_subtopology) {
  eddy_topology_t *topo = compile_as("shop.eddy", GROUPED);
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  ASSERT_STR_EQ("orders rev.where-1 rev.group-by-1 rev.group-by-1-repartition rev.aggregate-1 "
                "rev.to-kafka-1",
                names((const eddy_plan_node_t *const *)plan->nodes, plan->node_cnt));
  const eddy_plan_node_t *rep = node(plan, "rev.group-by-1");
  ASSERT_EQ(EDDY_NODE_REPARTITION, rep->kind);
  ASSERT_EQ(0, rep->next_cnt);
  ASSERT_EQ(0, rep->subtopology);
  ASSERT_STR_EQ("shop-rev.group-by-1-repartition", rep->u.repartition.topic);
  /* the arguments are computed before the cut: user_id is the group column already */
  ASSERT_STR_EQ("user_id int, day timestamp, @a0 decimal(10,2), @a1 int, @rowtime timestamp",
                field_names(rep->out));
  ASSERT_EQ(2, plan->subtopology_cnt);
  ASSERT_EQ(2, plan->source_cnt);
  const eddy_plan_source_t *in = &plan->sources[1];
  ASSERT_TRUE(in->internal);
  ASSERT_TRUE(in->repartition == rep);
  ASSERT_EQ(1, rep->u.repartition.source);
  ASSERT_STR_EQ("rev.group-by-1-repartition", in->name);
  ASSERT_STR_EQ("shop-rev.group-by-1-repartition", in->topics[0]);
  ASSERT_EQ(EDDY_FMT_ROW, in->decode.format);   /* scalars only: binary rows */
  ASSERT_EQ(1, in->subtopology);
  ASSERT_EQ(EDDY_X_FIELD, in->event_time->kind);
  ASSERT_EQ(4, in->event_time->u.field.slot);
  char topic[256];
  ASSERT_OK(eddy_plan_source_topic(topic, sizeof(topic), in, 0, "other"));
  ASSERT_STR_EQ("other-rev.group-by-1-repartition", topic);
  ASSERT_OK(eddy_plan_source_topic(topic, sizeof(topic), &plan->sources[0], 0, "other"));
  ASSERT_STR_EQ("o", topic);

  const eddy_plan_node_t *agg = node(plan, "rev.aggregate-1");
  ASSERT_EQ(1, agg->subtopology);
  ASSERT_STR_EQ("user_id int, day timestamp, window_start timestamp, window_end timestamp, "
                "n int, total decimal(38,2), mean decimal(38,6), users int, top int",
                field_names(agg->out));
  const eddy_plan_group_t *g = agg->u.aggregate.group;
  ASSERT_TRUE(g == rep->u.repartition.group);
  ASSERT_EQ(2, g->key_cnt);
  ASSERT_EQ(EDDY_T_STRUCT, g->key_type.kind);
  ASSERT_TRUE(g->windowed && g->hopping && g->emit_final && g->has_distinct);
  ASSERT_EQ(10 * EDDY_MIN, g->size);
  ASSERT_EQ(5 * EDDY_MIN, g->advance);
  ASSERT_EQ(30 * EDDY_SEC, g->grace);
  ASSERT_EQ(5, g->agg_cnt);
  ASSERT_EQ(EDDY_AGG_COUNT_ALL, g->aggs[0].fn);
  ASSERT_EQ(-1, g->aggs[0].arg);
  ASSERT_EQ(EDDY_AGG_SUM, g->aggs[1].fn);
  ASSERT_EQ(2, g->aggs[1].arg);
  ASSERT_EQ(2, g->aggs[2].arg);   /* avg(amount) shares sum(amount)'s column */
  ASSERT_EQ(0, g->aggs[3].arg);   /* count_distinct(user_id) reads the group column */
  ASSERT_EQ(3, g->aggs[4].arg);
  ASSERT_EQ(2, g->aggs[4].arg2);

  ASSERT_EQ(2, plan->store_cnt);
  ASSERT_STR_EQ("rev.aggregate-1-store", plan->stores[0].name);
  ASSERT_STR_EQ("shop-rev.aggregate-1-store-changelog", plan->stores[0].changelog);
  ASSERT_EQ(EDDY_PLAN_STORE_WINDOW, plan->stores[0].kind);
  ASSERT_EQ(10 * EDDY_MIN + 30 * EDDY_SEC, plan->stores[0].retention);
  ASSERT_EQ(1, plan->stores[0].subtopology);
  ASSERT_EQ(agg->id, plan->stores[0].node);
  ASSERT_STR_EQ("rev.aggregate-1-distinct-store", plan->stores[1].name);
  ASSERT_EQ(0, agg->u.aggregate.store);
  ASSERT_EQ(1, agg->u.aggregate.distinct_store);
  ASSERT_FALSE(eddy_plan_subtopology_stateful(plan, 0));
  ASSERT_TRUE(eddy_plan_subtopology_stateful(plan, 1));
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_unwindowed_aggregate_and_unused_grouping) {
  eddy_topology_t *topo = compile_as("t.eddy", SHOP
      "unused = orders | group by status | aggregate n = count()\n"
      "orders | group by status | aggregate hi = max(amount) | to stdout\n");
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  ASSERT_STR_EQ("orders orders.group-by-1 orders.group-by-1-repartition orders.aggregate-1 "
                "orders.to-stdout-1",
                names((const eddy_plan_node_t *const *)plan->nodes, plan->node_cnt));
  const eddy_plan_node_t *agg = node(plan, "orders.aggregate-1");
  const eddy_plan_group_t *g = agg->u.aggregate.group;
  ASSERT_FALSE(g->windowed || g->emit_final || g->has_distinct);
  ASSERT_EQ(EDDY_T_STRING, g->key_type.kind);
  ASSERT_STR_EQ("status string, hi decimal(10,2)", field_names(agg->out));
  ASSERT_EQ(1, plan->store_cnt);
  ASSERT_EQ(EDDY_PLAN_STORE_KV, plan->stores[0].kind);
  ASSERT_EQ(0, plan->stores[0].retention);
  ASSERT_EQ(UINT32_MAX, agg->u.aggregate.distinct_store);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_describe_grouping) {
  eddy_topology_t *topo = compile_as("shop.eddy", GROUPED);
  eddy_buf_t out = {0};
  ASSERT_OK(eddy_plan_describe(eddy_topology_plan(topo), &out));
  const char *text = eddy_buf_cstr(&out);
  ASSERT_TRUE(strstr(text,
      "  Sink rev.group-by-1: group by user_id, day = date_trunc(\"day\", at) (to topic "
      "shop-rev.group-by-1-repartition)\n    <-- rev.where-1\n\nSub-topology 1\n"
      "  Source rev.group-by-1-repartition (topics: [shop-rev.group-by-1-repartition], "
      "internal, written by rev.group-by-1)\n    key: the group key\n"
      "    event time: @rowtime\n") != NULL);
  ASSERT_TRUE(strstr(text,
      "  Processor rev.aggregate-1: window hopping 10m advance 5m grace 30s | aggregate "
      "n = count(), total = sum(amount), mean = avg(amount), users = count_distinct(user_id), "
      "top = argmax(id, amount) | emit final\n"
      "    store: rev.aggregate-1-store (window, retention 10m30s, changelog "
      "shop-rev.aggregate-1-store-changelog)\n"
      "    store: rev.aggregate-1-distinct-store (window, retention 10m30s, changelog "
      "shop-rev.aggregate-1-distinct-store-changelog)\n") != NULL);
  ASSERT_TRUE(strstr(text,
      "Topics\n  input: o\n  output: rev\n  repartition: shop-rev.group-by-1-repartition\n"
      "  changelogs: shop-rev.aggregate-1-store-changelog "
      "shop-rev.aggregate-1-distinct-store-changelog\n  dead letters: shop-dlq\n\nStores\n"
      "  rev.aggregate-1-store: window, sub-topology 1, node rev.aggregate-1\n"
      "  rev.aggregate-1-distinct-store: window, sub-topology 1, node rev.aggregate-1\n") != NULL);
  eddy_buf_clear(&out);
  ASSERT_OK(eddy_plan_describe_dot(eddy_topology_plan(topo), &out));
  ASSERT_TRUE(strstr(eddy_buf_cstr(&out), "  \"rev.group-by-1\" -> "
                                           "\"topic shop-rev.group-by-1-repartition\";\n") != NULL);
  ASSERT_TRUE(strstr(eddy_buf_cstr(&out), "  \"topic shop-rev.group-by-1-repartition\" -> "
                                           "\"rev.group-by-1-repartition\";\n") != NULL);
  eddy_buf_free(&out);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(plan_grouping_compile_survives_allocation_failures) {
  int ok = 0, oom = 0;
  for (long n = 1; n < 600; n++) {
    eddy_topology_t *topo = NULL;
    eddy_alloc_fail_after(n);
    int rc = eddy_topology_compile(&topo, "t.eddy", GROUPED, strlen(GROUPED), ignore, NULL);
    eddy_alloc_fail_after(0);
    if (rc != 0 && rc != EDDY_ENOMEM)
      eddy_test_fail(__FILE__, __LINE__, "allocation %ld: rc %d", n, rc);
    rc == 0 ? ok++ : oom++;
    eddy_topology_destroy(topo);
    ASSERT_EQ(0, eddy_alloc_live());
  }
  ASSERT_TRUE(oom > 0);
  ASSERT_TRUE(ok > 0);
  EDDY_ASSERT_NO_LEAKS();
}
