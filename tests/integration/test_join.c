/*
 * Joins on the embedded cluster: a stream-table enrichment (order items
 * with their product's category, as the revenue topology needs) and a
 * table-table outer join, each with a stop and restart mid-stream and with
 * the state directory deleted; the outputs are compared with the joins
 * computed here. At-least-once: an output may repeat, but never differ.
 * And the start-up check of co-partitioned partition counts.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy_test.h"
#include "kafka_test.h"
#include "test_rng.h"

enum { PRODUCTS = 40, ITEMS = 300 };

static eddy_app_t *start(tk_env_t *env) {
  const char *settings[] = {env->state_setting, NULL};
  return tk_start_app(env->topo, env->broker, 2, settings);
}

/* A Debezium change event of a product (op c/u/d) or of an order item. */
static void product_event(rd_kafka_t *p, int id, const char *op, const char *category) {
  char key[64], value[512];
  snprintf(key, sizeof(key), "{\"product_id\":%d}", id);
  if (strcmp(op, "d") == 0)
    snprintf(value, sizeof(value), "{\"before\":{\"product_id\":%d,\"name\":\"p%d\",\"category\":"
             "null},\"after\":null,\"op\":\"d\",\"ts_ms\":1}", id, id);
  else
    snprintf(value, sizeof(value), "{\"before\":null,\"after\":{\"product_id\":%d,\"name\":"
             "\"p%d\",\"category\":\"%s\"},\"op\":\"%s\",\"ts_ms\":1}", id, id, category, op);
  tk_produce(p, "products", -1, key, value, strlen(value));
  if (strcmp(op, "d") == 0)
    tk_produce(p, "products", -1, key, NULL, 0);   /* Debezium's tombstone after a delete */
}

static void stock_event(rd_kafka_t *p, int id, int qty) {
  char key[64], value[512];
  snprintf(key, sizeof(key), "{\"product_id\":%d}", id);
  if (qty < 0)
    snprintf(value, sizeof(value), "{\"before\":{\"product_id\":%d,\"qty\":0},\"after\":null,"
             "\"op\":\"d\",\"ts_ms\":1}", id);
  else
    snprintf(value, sizeof(value), "{\"before\":null,\"after\":{\"product_id\":%d,\"qty\":%d},"
             "\"op\":\"u\",\"ts_ms\":1}", id, qty);
  tk_produce(p, "stock", -1, key, value, strlen(value));
}

static void item_event(rd_kafka_t *p, int id, int product) {
  char key[64], value[512];
  snprintf(key, sizeof(key), "{\"id\":%d}", id);
  snprintf(value, sizeof(value), "{\"before\":null,\"after\":{\"id\":%d,\"product_id\":%d,"
           "\"quantity\":%d},\"op\":\"c\",\"ts_ms\":1}", id, product, 1 + id % 3);
  tk_produce(p, "items", -1, key, value, strlen(value));
}

/* ---- stream-table ------------------------------------------------------------ */

static const char *enrich_topology =
    "app itest_join\n"
    "table products from \"products\" format debezium-json\n"
    "  schema (product_id int, name string, category string) key after.product_id\n"
    "stream items from \"items\" format debezium-json\n"
    "  schema (id int, product_id int, quantity int)\n"
    "items | left join products on after.product_id\n"
    "  | select id = items.after.id, product_id = items.after.product_id,\n"
    "           category = products.after.category\n"
    "  | to kafka \"enriched\" key id\n";

static char category[PRODUCTS + 6][32];   /* the table as the test knows it; "" = none */
static char expected[2 * ITEMS][32];       /* per item: its category, "" = null */

static void expect_items(int from, int to, uint64_t seed, rd_kafka_t *p) {
  rng = seed;
  for (int id = from; id < to; id++) {
    int product = 1 + (int)rnd(PRODUCTS + 5);   /* 41..45 never exist */
    snprintf(expected[id], sizeof(expected[id]), "%s", category[product]);
    item_event(p, id, product);
  }
}

/* Every id 0..n-1 has a row in \p topic, and every row's string \p field is want[id]
 * ("" for null). */
static void check_field(const char *bs, const char *topic, const char *field, char (*want)[32],
                        int n) {
  tk_msg_t *msgs;
  int cnt = tk_consume_all(bs, topic, n, 20000, &msgs);
  bool *seen = eddy_calloc((size_t)n, sizeof(bool));
  for (int i = 0; i < cnt; i++) {
    cJSON *o = cJSON_Parse(msgs[i].value);
    ASSERT_TRUE(o != NULL);
    int id = cJSON_GetObjectItem(o, "id")->valueint;
    ASSERT_TRUE(id >= 0 && id < n);
    const cJSON *c = cJSON_GetObjectItem(o, field);
    const char *got = cJSON_IsString(c) ? c->valuestring : "";
    if (strcmp(got, want[id]) != 0)
      eddy_test_fail(__FILE__, __LINE__, "%s id %d: %s '%s', expected '%s'", topic, id, field,
                     got, want[id]);
    seen[id] = true;
    cJSON_Delete(o);
  }
  for (int id = 0; id < n; id++)
    if (!seen[id])
      eddy_test_fail(__FILE__, __LINE__, "%s: id %d has no output", topic, id);
  eddy_free(seen);
  tk_msgs_free(msgs, cnt);
}

static void run_enrichment(bool wipe_state) {
  const char *topics[] = {"products", "items", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "join", enrich_topology);
  const char *bs = env.bootstrap;
  memset(category, 0, sizeof(category));

  /* the catalogue, with deletes; then the first items */
  rd_kafka_t *p = tk_producer(bs);
  for (int id = 1; id <= PRODUCTS; id++) {
    snprintf(category[id], sizeof(category[id]), "cat%d", id % 5);
    product_event(p, id, "c", category[id]);
  }
  for (int id = 35; id <= PRODUCTS; id++) {
    product_event(p, id, "d", NULL);
    category[id][0] = '\0';
  }
  tk_producer_close(p);
  long long consumed = 2 * PRODUCTS + 2 * 6 + 6;   /* events twice, tombstones once */
  eddy_app_t *app = start(&env);
  tk_wait_consumed(app, consumed, 60000);
  p = tk_producer(bs);
  expect_items(0, ITEMS, wipe_state ? 0x1234 : 0x4321, p);
  tk_producer_close(p);
  tk_wait_consumed(app, consumed + 2 * ITEMS, 60000);
  tk_stop(app);

  if (wipe_state)
    eddy_test_rmtree(env.dir);
  /* restarted: the table comes back from its changelog; then updates and more items */
  app = start(&env);
  p = tk_producer(bs);
  for (int id = 1; id <= 10; id++) {
    snprintf(category[id], sizeof(category[id]), "new%d", id);
    product_event(p, id, "u", category[id]);
  }
  snprintf(category[35], sizeof(category[35]), "back");
  product_event(p, 35, "c", category[35]);
  tk_producer_close(p);
  tk_wait_consumed(app, 2 * 11, 60000);
  p = tk_producer(bs);
  expect_items(ITEMS, 2 * ITEMS, wipe_state ? 0x777 : 0x999, p);
  tk_producer_close(p);
  tk_wait_consumed(app, 2 * 11 + 2 * ITEMS, 60000);
  tk_stop(app);

  check_field(bs, "enriched", "category", expected, 2 * ITEMS);
  tk_env_close(&env);
}

EDDY_TEST(stream_table_enrichment_survives_a_restart) {
  run_enrichment(false);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(stream_table_enrichment_survives_a_lost_state_directory) {
  run_enrichment(true);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- table-table ------------------------------------------------------------- */

static const char *stock_topology =
    "app itest_tt\n"
    "table products from \"products\" format debezium-json\n"
    "  schema (product_id int, name string, category string) key after.product_id\n"
    "table stock from \"stock\" format debezium-json\n"
    "  schema (product_id int, qty int) key after.product_id\n"
    "products | outer join stock on key\n"
    "  | select id = key, category = products.after.category, qty = stock.after.qty\n"
    "  | to kafka \"product_stock\" key id\n";

static int qty[PRODUCTS + 1];   /* -1: none */
static bool ever[PRODUCTS + 1];

/* Random changes of both tables; *consumed grows by what the app will read. */
static void table_changes(rd_kafka_t *p, int n, long long *consumed) {
  for (int i = 0; i < n; i++) {
    int id = 1 + (int)rnd(PRODUCTS);
    int dice = (int)rnd(10);
    if (dice < 4) {
      snprintf(category[id], sizeof(category[id]), "c%d", (int)rnd(100));
      product_event(p, id, "u", category[id]);
      *consumed += 2;
    } else if (dice < 5) {
      product_event(p, id, "d", NULL);
      category[id][0] = '\0';
      *consumed += 3;
    } else if (dice < 9) {
      qty[id] = (int)rnd(50);
      stock_event(p, id, qty[id]);
      *consumed += 2;
    } else {
      qty[id] = -1;
      stock_event(p, id, -1);
      *consumed += 2;
    }
    ever[id] |= category[id][0] != '\0' || qty[id] >= 0;
  }
}

static void check_stock(const char *bs) {
  tk_msg_t *msgs;
  int n = tk_consume_all(bs, "product_stock", 100000, 3000, &msgs);
  static int last[PRODUCTS + 1];
  for (int id = 0; id <= PRODUCTS; id++)
    last[id] = -1;
  for (int i = 0; i < n; i++) {
    ASSERT_TRUE(msgs[i].key != NULL);
    int id = atoi(msgs[i].key);
    ASSERT_TRUE(id >= 1 && id <= PRODUCTS);
    last[id] = i;   /* one key, one partition: the last message is the latest */
  }
  for (int id = 1; id <= PRODUCTS; id++) {
    bool exists = category[id][0] != '\0' || qty[id] >= 0;
    if (!ever[id]) {
      ASSERT_EQ(-1, last[id]);
      continue;
    }
    ASSERT_TRUE(last[id] >= 0);
    const tk_msg_t *m = &msgs[last[id]];
    if (!exists) {
      if (m->value != NULL)
        eddy_test_fail(__FILE__, __LINE__, "product %d: %s, expected a tombstone", id, m->value);
      continue;
    }
    ASSERT_TRUE(m->value != NULL);
    cJSON *o = cJSON_Parse(m->value);
    const cJSON *c = cJSON_GetObjectItem(o, "category"), *q = cJSON_GetObjectItem(o, "qty");
    const char *got = cJSON_IsString(c) ? c->valuestring : "";
    int got_qty = cJSON_IsNumber(q) ? q->valueint : -1;
    if (strcmp(got, category[id]) != 0 || got_qty != qty[id])
      eddy_test_fail(__FILE__, __LINE__, "product %d: %s, expected category '%s' qty %d", id,
                     m->value, category[id], qty[id]);
    cJSON_Delete(o);
  }
  tk_msgs_free(msgs, n);
}

static void run_table_table(bool wipe_state) {
  const char *topics[] = {"products", "stock", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "join_tt", stock_topology);
  const char *bs = env.bootstrap;
  memset(category, 0, sizeof(category));
  memset(ever, 0, sizeof(ever));
  for (int id = 0; id <= PRODUCTS; id++)
    qty[id] = -1;
  rng = wipe_state ? 0xabc : 0xcba;

  long long consumed = 0;
  rd_kafka_t *p = tk_producer(bs);
  table_changes(p, 400, &consumed);
  tk_producer_close(p);
  eddy_app_t *app = start(&env);
  tk_wait_consumed(app, consumed, 60000);
  tk_stop(app);
  if (wipe_state)
    eddy_test_rmtree(env.dir);
  consumed = 0;
  p = tk_producer(bs);
  table_changes(p, 400, &consumed);
  tk_producer_close(p);
  app = start(&env);
  tk_wait_consumed(app, consumed, 60000);
  tk_stop(app);

  check_stock(bs);
  tk_env_close(&env);
}

EDDY_TEST(table_table_outer_join_survives_a_restart) {
  run_table_table(false);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(table_table_outer_join_survives_a_lost_state_directory) {
  run_table_table(true);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- co-partitioning ---------------------------------------------------------- */

static int create_topic(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  return eddy_broker_create_topic(opaque, topic, partitions, err);
}

/* Start \p text on \p b; @returns the start-up error's message (static copy) or "". */
static const char *start_error(eddy_broker_t *b, const char *text) {
  static char msg[512];
  eddy_topology_t *topo = tk_compile(text);
  eddy_config_t conf;
  eddy_config_init(&conf);
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_config_set(&conf, "bootstrap.servers", eddy_broker_bootstrap(b), &err));
  eddy_app_t *app = NULL;
  static eddy_logger_t log = {.fn = eddy_log_stderr, .level = EDDY_LOG_ERROR};
  ASSERT_OK(eddy_app_new(&app, eddy_topology_plan(topo), &conf, &log, &err));
  eddy_app_set_topic_creator(app, create_topic, b);
  int rc = eddy_app_start(app, &err);
  snprintf(msg, sizeof(msg), "%s", rc != 0 ? eddy_error_msg(err) : "");
  eddy_error_destroy(err);
  if (rc == 0) {
    eddy_app_request_stop(app);
    ASSERT_OK(eddy_app_join(app, NULL));
  }
  eddy_app_destroy(app);
  eddy_config_free(&conf);
  eddy_topology_destroy(topo);
  return msg;
}

EDDY_TEST(copartitioned_topics_with_different_partition_counts_fail_at_start) {
  const char *topics[] = {"visits", NULL};
  eddy_broker_t *b = tk_broker(topics, 4);
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_broker_create_topic(b, "countries", 2, &err));
  const char *msg = start_error(b,
      "app itest_copart\n"
      "stream visits from \"visits\" format json schema (country string, page string)\n"
      "table countries from \"countries\" format json schema (code string, name string) key key\n"
      "visits | join countries on key | to stdout\n");
  ASSERT_STR_EQ("visits.join-1 joins co-partitioned topics with different partition counts: "
                "'visits' has 4, 'countries' has 2 (give them the same count)", msg);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- a global table --------------------------------------------------------------- */

enum { COUNTRIES = 25, VISITS = 200 };

static const char *global_topology =
    "app itest_global\n"
    "global table countries from \"countries\" format json schema (code string, name string)\n"
    "  key key\n"
    "stream visits from \"visits\" format json schema (id int, country string)\n"
    "visits | left join countries on country\n"
    "  | select id = visits.id, name = countries.name\n"
    "  | to kafka \"visits.named\" key id\n";

static char country_name[COUNTRIES][32];   /* "" = none */
static char visit_name[2 * VISITS][32];

static void country_event(rd_kafka_t *p, int c, const char *name) {
  char key[16], value[128];
  snprintf(key, sizeof(key), "c%d", c);
  snprintf(value, sizeof(value), "{\"code\":\"c%d\",\"name\":\"%s\"}", c, name ? name : "");
  tk_produce(p, "countries", -1, key, name ? value : NULL, name ? strlen(value) : 0);
  snprintf(country_name[c], sizeof(country_name[c]), "%s", name ? name : "");
}

static void visits(rd_kafka_t *p, int from, int to) {
  for (int id = from; id < to; id++) {
    int c = (int)rnd(COUNTRIES);
    char key[16], value[128];
    snprintf(key, sizeof(key), "%d", id);
    snprintf(value, sizeof(value), "{\"id\":%d,\"country\":\"c%d\"}", id, c);
    tk_produce(p, "visits", -1, key, value, strlen(value));
    snprintf(visit_name[id], sizeof(visit_name[id]), "%s", country_name[c]);
  }
}

EDDY_TEST(stream_global_table_join_needs_no_copartitioning_and_follows_updates) {
  const char *topics[] = {"visits", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "join_global", global_topology);
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_broker_create_topic(env.broker, "countries", 3, &err));
  const char *bs = env.bootstrap;
  rng = 0x5151;
  rd_kafka_t *p = tk_producer(bs);
  for (int c = 0; c < 20; c++) {
    char name[32];
    snprintf(name, sizeof(name), "country %d", c);
    country_event(p, c, name);
  }
  for (int c = 15; c < 20; c++)
    country_event(p, c, NULL);   /* tombstones */
  tk_producer_close(p);
  eddy_app_t *app = start(&env);   /* two threads: each reads the whole table */
  long long consumed = 2 * 25;
  tk_wait_consumed(app, consumed, 60000);
  p = tk_producer(bs);
  visits(p, 0, VISITS);
  tk_producer_close(p);
  consumed += VISITS;
  tk_wait_consumed(app, consumed, 60000);
  p = tk_producer(bs);
  for (int c = 0; c < 5; c++)
    country_event(p, c, "renamed");
  country_event(p, 5, NULL);
  tk_producer_close(p);
  consumed += 2 * 6;
  tk_wait_consumed(app, consumed, 60000);
  p = tk_producer(bs);
  visits(p, VISITS, 2 * VISITS);
  tk_producer_close(p);
  tk_wait_consumed(app, consumed + VISITS, 60000);
  tk_stop(app);

  check_field(bs, "visits.named", "name", visit_name, 2 * VISITS);
  tk_env_close(&env);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- stream-stream ---------------------------------------------------------------- */

enum { ORDERS = 300, SENTINELS = 64 };

static const char *payments_topology =
    "app itest_ss\n"
    "stream orders from \"orders\" format json\n"
    "  schema (order_id int, total int, at timestamp(3)) event-time at\n"
    "stream payments from \"payments\" format json\n"
    "  schema (order_id int, amount int, at timestamp(3)) key order_id event-time at\n"
    "orders | left join payments on order_id within 10m grace 10m\n"
    "  | select order_id = orders.order_id, paid = payments.amount\n"
    "  | to kafka \"orders.paid\" key order_id\n";

#define AT0 1700000000000LL   /* ms */

static int paid[ORDERS][3];     /* amounts paid for each order (0: none) */
static int paid_cnt[ORDERS];

static void order_at(rd_kafka_t *p, int id, long long at) {
  char key[16], value[128];
  snprintf(key, sizeof(key), "%d", id);
  snprintf(value, sizeof(value), "{\"order_id\":%d,\"total\":%d,\"at\":%lld}", id, id * 3, at);
  tk_produce(p, "orders", -1, key, value, strlen(value));
}

static void payment_at(rd_kafka_t *p, int id, int amount, long long at) {
  char key[16], value[128];
  snprintf(key, sizeof(key), "%d", id);
  snprintf(value, sizeof(value), "{\"order_id\":%d,\"amount\":%d,\"at\":%lld}", id, amount, at);
  tk_produce(p, "payments", -1, key, value, strlen(value));
}

/* Orders and their payments (none, one or two), one second of event time apart. */
static long long produce_payments(rd_kafka_t *p, int from, int to, long long *at) {
  long long n = 0;
  for (int id = from; id < to; id++) {
    order_at(p, id, (*at += 1000));
    n++;
    int k = (int)rnd(3);
    for (int i = 0; i < k; i++) {
      paid[id][paid_cnt[id]++] = 1 + (int)rnd(1000);
      payment_at(p, id, paid[id][i], (*at += 1000));
      n++;
    }
  }
  return n;
}

static void check_paid(const char *bs) {
  tk_msg_t *msgs;
  int n = tk_consume_all(bs, "orders.paid", 100000, 5000, &msgs);
  static bool seen[ORDERS][4];   /* per order: pair i seen; [3]: the null row */
  memset(seen, 0, sizeof(seen));
  for (int i = 0; i < n; i++) {
    cJSON *o = cJSON_Parse(msgs[i].value);
    int id = cJSON_GetObjectItem(o, "order_id")->valueint;
    const cJSON *a = cJSON_GetObjectItem(o, "paid");
    ASSERT_TRUE(id >= 0 && id < ORDERS);   /* the sentinels' windows never close */
    int which = -1;
    for (int k = 0; k < paid_cnt[id] && cJSON_IsNumber(a); k++)
      if (paid[id][k] == a->valueint)
        which = k;
    if (!cJSON_IsNumber(a) && paid_cnt[id] == 0)
      which = 3;
    if (which < 0)
      eddy_test_fail(__FILE__, __LINE__, "order %d: unexpected %s", id, msgs[i].value);
    seen[id][which] = true;
    cJSON_Delete(o);
  }
  for (int id = 0; id < ORDERS; id++) {
    for (int k = 0; k < paid_cnt[id]; k++)
      ASSERT_TRUE(seen[id][k]);
    ASSERT_EQ(paid_cnt[id] == 0, seen[id][3]);
  }
  tk_msgs_free(msgs, n);
}

static void run_stream_stream(bool wipe_state) {
  const char *topics[] = {"orders", "payments", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "join_ss", payments_topology);
  const char *bs = env.bootstrap;
  memset(paid_cnt, 0, sizeof(paid_cnt));
  rng = wipe_state ? 0x1357 : 0x2468;
  long long at = AT0;
  rd_kafka_t *p = tk_producer(bs);
  long long n = produce_payments(p, 0, ORDERS / 2, &at);
  tk_producer_close(p);
  eddy_app_t *app = start(&env);
  tk_wait_consumed(app, 2 * n, 60000);   /* the inputs and their repartition topics */
  tk_stop(app);
  if (wipe_state)
    eddy_test_rmtree(env.dir);
  p = tk_producer(bs);
  n = produce_payments(p, ORDERS / 2, ORDERS, &at);
  tk_producer_close(p);
  app = start(&env);
  tk_wait_consumed(app, 2 * n, 60000);
  /* only then an hour later: every task's windows close (sentinels produced with the rest
   * could overtake the payments, whose topic is read independently, and make them late) */
  p = tk_producer(bs);
  for (int i = 0; i < SENTINELS; i++)
    order_at(p, 100000 + i, at + 3600 * 1000);
  tk_producer_close(p);
  tk_wait_consumed(app, 2 * (n + SENTINELS), 60000);
  tk_stop(app);
  check_paid(bs);
  tk_env_close(&env);
}

EDDY_TEST(stream_stream_left_join_survives_a_restart) {
  run_stream_stream(false);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(stream_stream_left_join_survives_a_lost_state_directory) {
  run_stream_stream(true);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- the processing order of a batch ------------------------------------------------ */

#include "engine/app_int.h"
#include "engine/util.h"

/* Records of 3 partitions with interleaved timestamps: after eddy__batch_order each
 * partition keeps its offset order and the batch is merged by smallest head timestamp. */
EDDY_TEST(batches_are_merged_by_timestamp_keeping_partition_order) {
  const char *topics[] = {"mixed", NULL};
  eddy_broker_t *b = tk_broker(topics, 3);
  const char *bs = eddy_broker_bootstrap(b);
  rd_kafka_t *p = tk_producer(bs);
  rng = 0x4242;
  enum { M = 120 };
  for (int i = 0; i < M; i++) {
    int32_t part = (int32_t)rnd(3);
    int64_t ts = AT0 + (int64_t)rnd(1000) * 1000;   /* not monotonic within a partition */
    char v[32];
    snprintf(v, sizeof(v), "%d", i);
    ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR,
              rd_kafka_producev(p, RD_KAFKA_V_TOPIC("mixed"), RD_KAFKA_V_PARTITION(part),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_TIMESTAMP(ts),
                                RD_KAFKA_V_END));
  }
  tk_producer_close(p);
  /* read them back as real messages, partition after partition */
  eddy_error_t *err = NULL;
  rd_kafka_t *c = NULL;
  ASSERT_OK(eddy_restore_consumer_new(&c, bs, "order-test", NULL, &err));
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(3);
  for (int32_t i = 0; i < 3; i++)
    rd_kafka_topic_partition_list_add(l, "mixed", i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_message_t *msgs[M];
  int n = 0;
  int64_t deadline = eddy_clock_monotonic_us() + 20 * EDDY_SEC;
  while (n < M && eddy_clock_monotonic_us() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
    if (m != NULL && m->err == 0)
      msgs[n++] = m;
    else if (m != NULL)
      rd_kafka_message_destroy(m);
  }
  ASSERT_EQ(M, n);
  ASSERT_OK(eddy__batch_order(msgs, (size_t)n));
  int64_t last_offset[3] = {-1, -1, -1};
  for (int i = 0; i < n; i++) {
    int32_t part = msgs[i]->partition;
    ASSERT_TRUE(msgs[i]->offset > last_offset[part]);   /* offset order per partition */
    last_offset[part] = msgs[i]->offset;
    /* the merge: no other partition's next record had a smaller timestamp */
    for (int j = i + 1; j < n; j++) {
      /* msgs[j] was another partition's head when msgs[i] was taken */
      bool head = msgs[j]->partition != msgs[i]->partition;
      for (int k = i + 1; k < j; k++)
        head &= msgs[k]->partition != msgs[j]->partition;
      if (head)
        ASSERT_TRUE(rd_kafka_message_timestamp(msgs[i], NULL) <=
                    rd_kafka_message_timestamp(msgs[j], NULL));
    }
  }
  for (int i = 0; i < n; i++)
    rd_kafka_message_destroy(msgs[i]);
  rd_kafka_destroy(c);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

/* A stream and a table both keyed by their message keys join without re-keying, the
 * table restored from its own topic after a restart (no changelog topic is written). */
EDDY_TEST(message_keyed_stream_and_table_join_in_place_and_restore_from_the_source) {
  const char *topics[] = {"clicks", "pages", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 3, "join_raw",
      "app itest_raw\n"
      "table pages from \"pages\" format json schema (title string) key key\n"
      "stream clicks from \"clicks\" format json schema (n int)\n"
      "clicks | join pages on key | select n = clicks.n, title = pages.title\n"
      "  | to kafka \"clicks.titled\" key n\n");
  const char *bs = env.bootstrap;
  const eddy_plan_t *plan = eddy_topology_plan(env.topo);
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    ASSERT_TRUE(plan->nodes[i]->kind != EDDY_NODE_REPARTITION);
  ASSERT_STR_EQ("pages", plan->stores[0].source_topic);
  static char title[20][32];
  rd_kafka_t *p = tk_producer(bs);
  for (int i = 0; i < 20; i++) {
    char key[16], value[64];
    snprintf(key, sizeof(key), "/p%d", i);
    snprintf(title[i], sizeof(title[i]), "page %d", i);
    snprintf(value, sizeof(value), "{\"title\":\"page %d\"}", i);
    tk_produce(p, "pages", -1, key, i < 18 ? value : NULL, i < 18 ? strlen(value) : 0);
    if (i >= 18)
      title[i][0] = '\0';   /* a tombstone: never there */
  }
  tk_producer_close(p);
  eddy_app_t *app = start(&env);
  tk_wait_consumed(app, 20, 60000);
  tk_stop(app);
  eddy_test_rmtree(env.dir);   /* the table comes back from its source topic */
  static int clicked[200];
  p = tk_producer(bs);
  for (int n = 0; n < 200; n++) {
    char key[16], value[64];
    clicked[n] = (int)rnd(20);
    snprintf(key, sizeof(key), "/p%d", clicked[n]);
    snprintf(value, sizeof(value), "{\"n\":%d}", n);
    tk_produce(p, "clicks", -1, key, value, strlen(value));
  }
  tk_producer_close(p);
  app = start(&env);
  tk_wait_consumed(app, 200, 60000);
  tk_stop(app);
  tk_msg_t *msgs;
  int got = tk_consume_all(bs, "clicks.titled", 200, 5000, &msgs);
  int want = 0;
  for (int n = 0; n < 200; n++)
    want += clicked[n] < 18;
  static bool seen[200];
  for (int i = 0; i < got; i++) {
    cJSON *o = cJSON_Parse(msgs[i].value);
    int n = cJSON_GetObjectItem(o, "n")->valueint;
    ASSERT_STR_EQ(title[clicked[n]], cJSON_GetObjectItem(o, "title")->valuestring);
    seen[n] = true;
    cJSON_Delete(o);
  }
  int distinct = 0;
  for (int n = 0; n < 200; n++)
    distinct += seen[n];
  ASSERT_EQ(want, distinct);
  tk_msgs_free(msgs, got);
  tk_env_close(&env);
  EDDY_ASSERT_NO_LEAKS();
}
