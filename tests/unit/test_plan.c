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
