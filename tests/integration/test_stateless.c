/*
 * Stateless topologies end to end on the embedded cluster: Debezium JSON in,
 * where/select/check/fan-out, JSON out, dead letters. Every output is
 * compared with a computation done here, independently of eddy (the test
 * encodes its own events and parses eddy's output with cJSON).
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "eddy_test.h"
#include "kafka_test.h"

static const char *const statuses[] = {"pending", "processing", "completed", "cancelled"};

typedef struct {
  int64_t order_id, user_id, cents;
  const char *before_status; /* NULL: create (before is null) */
  const char *after_status;
  bool total_missing;
} order_event_t;

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Debezium's precise decimal: base64 of the minimal big-endian two's complement. */
static void b64_decimal(int64_t unscaled, char *out) {
  unsigned char bytes[9];
  int n = 0;
  for (;;) {
    bytes[8 - n] = (unsigned char)(unscaled & 0xff);
    n++;
    int64_t rest = unscaled >> 8; /* arithmetic shift keeps the sign */
    bool sign_ok = ((bytes[9 - n] & 0x80) != 0) == (unscaled < 0);
    if ((rest == 0 || rest == -1) && sign_ok)
      break;
    unscaled = rest;
  }
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = bytes + 9 - n;
  int o = 0;
  for (int i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    out[o++] = tbl[v >> 18 & 63];
    out[o++] = tbl[v >> 12 & 63];
    out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? tbl[v & 63] : '=';
  }
  out[o] = '\0';
}

static int event_json(const order_event_t *e, char *buf, size_t size) {
  char amount[32], before[256] = "null";
  b64_decimal(e->cents, amount);
  int64_t ts = 1700000000000LL + e->order_id * 1000;
  if (e->before_status != NULL)
    snprintf(before, sizeof(before),
             "{\"order_id\":%" PRId64 ",\"user_id\":%" PRId64 ",\"total_amount\":\"%s\","
             "\"status\":\"%s\",\"updated_at\":%" PRId64 "}",
             e->order_id, e->user_id, amount, e->before_status, ts * 1000 - 5000000);
  char total[64];
  snprintf(total, sizeof(total), "\"total_amount\":\"%s\",", amount);
  return snprintf(buf, size,
                  "{\"before\":%s,\"after\":{\"order_id\":%" PRId64 ",\"user_id\":%" PRId64 ",%s"
                  "\"status\":\"%s\",\"updated_at\":%" PRId64 "},\"source\":{\"db\":\"shop\","
                  "\"table\":\"orders\"},\"op\":\"%s\",\"ts_ms\":%" PRId64 "}",
                  before, e->order_id, e->user_id, e->total_missing ? "" : total,
                  e->after_status, ts * 1000, e->before_status ? "u" : "c", ts);
}

static order_event_t random_event(int i) {
  order_event_t e = {.order_id = i, .user_id = (int64_t)(rnd() % 50)};
  e.cents = (int64_t)(rnd() % 200000) - (rnd() % 20 == 0 ? 200000 : 0); /* some negative */
  e.after_status = statuses[rnd() % 4];
  e.before_status = rnd() % 3 == 0 ? NULL : statuses[rnd() % 4];
  e.total_missing = rnd() % 50 == 0;
  return e;
}

static const char *topology =
    "app itest_stateless\n"
    "stream orders from \"orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          updated_at timestamp)\n"
    "  event-time after.updated_at\n"
    "\n"
    "completed = orders\n"
    "  | where after.status == \"completed\" and before.status != \"completed\"\n"
    "  | select order_id = after.order_id, user_id = after.user_id, amount = after.total_amount\n"
    "\n"
    "completed | to kafka \"completed\" key order_id\n"
    "\n"
    "orders\n"
    "  | check after.total_amount >= 0 else \"negative or missing total\"\n"
    "  | where op == \"c\"\n"
    "  | select id = after.order_id, doubled = after.total_amount * 2\n"
    "  | to kafka \"created\" key id\n";

/* Malformed records: each must end up in the dead-letter topic. */
static const char *const malformed[] = {
    "{\"before\":null,\"after\":{\"order_id\":1",                  /* truncated */
    "not json at all",
    "{\"before\":null,\"after\":{\"order_id\":\"seven\"},\"op\":\"c\"}", /* wrong type */
    "{\"before\":null,\"after\":{\"order_id\":7,\"total_amount\":\"abc\"},\"op\":\"c\"}",
    "{\"before\":null,\"after\":{\"order_id\":7,\"status\":\"\xff\xfe\"},\"op\":\"c\"}",
};
#define MALFORMED_CNT (int)(sizeof(malformed) / sizeof(malformed[0]))

static const tk_msg_t *find_key(const tk_msg_t *msgs, int cnt, int64_t id) {
  char key[32];
  snprintf(key, sizeof(key), "%" PRId64, id);
  for (int i = 0; i < cnt; i++)
    if (msgs[i].key != NULL && strcmp(msgs[i].key, key) == 0)
      return &msgs[i];
  return NULL;
}

static double json_number(const cJSON *obj, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(v))
    eddy_test_fail(__FILE__, __LINE__, "field %s is not a number", name);
  return v->valuedouble;
}

static void check_completed(const order_event_t *ev, int n, const tk_msg_t *out, int out_cnt) {
  int expected = 0;
  for (int i = 0; i < n; i++) {
    const order_event_t *e = &ev[i];
    /* SQL semantics: before.status != "completed" is null (false) when before is null */
    if (strcmp(e->after_status, "completed") != 0 || e->before_status == NULL ||
        strcmp(e->before_status, "completed") == 0)
      continue;
    expected++;
    const tk_msg_t *m = find_key(out, out_cnt, e->order_id);
    ASSERT_TRUE(m != NULL);
    cJSON *j = cJSON_Parse(m->value);
    ASSERT_TRUE(j != NULL);
    ASSERT_EQ(e->order_id, (int64_t)json_number(j, "order_id"));
    ASSERT_EQ(e->user_id, (int64_t)json_number(j, "user_id"));
    if (e->total_missing)
      ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "amount")));
    else
      ASSERT_DBL_EQ((double)e->cents / 100.0, json_number(j, "amount"), 1e-9);
    cJSON_Delete(j);
  }
  ASSERT_EQ(expected, out_cnt);
}

static int check_created(const order_event_t *ev, int n, const tk_msg_t *out, int out_cnt) {
  int expected = 0, check_failures = 0;
  for (int i = 0; i < n; i++) {
    const order_event_t *e = &ev[i];
    if (e->total_missing || e->cents < 0) {
      check_failures++;
      continue;
    }
    if (e->before_status != NULL)
      continue;
    expected++;
    const tk_msg_t *m = find_key(out, out_cnt, e->order_id);
    ASSERT_TRUE(m != NULL);
    cJSON *j = cJSON_Parse(m->value);
    ASSERT_DBL_EQ((double)(e->cents * 2) / 100.0, json_number(j, "doubled"), 1e-9);
    cJSON_Delete(j);
  }
  ASSERT_EQ(expected, out_cnt);
  return check_failures;
}

EDDY_TEST(stateless_pipeline_matches_independent_computation) {
  const char *topics[] = {"orders", NULL};
  eddy_broker_t *b = tk_broker(topics, 4);
  const char *bs = eddy_broker_bootstrap(b);
  enum { N = 3000 };
  static order_event_t ev[N];
  rng_state = 0x9e3779b97f4a7c15ULL;
  rd_kafka_t *p = tk_producer(bs);
  char buf[1024], key[32];
  for (int i = 0; i < N; i++) {
    ev[i] = random_event(i);
    int len = event_json(&ev[i], buf, sizeof(buf));
    snprintf(key, sizeof(key), "{\"order_id\":%d}", i);
    tk_produce(p, "orders", -1, key, buf, (size_t)len);
    if (i % 600 == 0)
      tk_produce(p, "orders", -1, key, malformed[(i / 600) % MALFORMED_CNT],
                 strlen(malformed[(i / 600) % MALFORMED_CNT]));
  }
  tk_producer_close(p);
  int bad = (N + 599) / 600;

  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start(topo, bs, 2);
  tk_wait_consumed(app, N + bad, 60000);
  tk_stop(app);

  tk_msg_t *out;
  int out_cnt = tk_consume_all(bs, "completed", 1, 5000, &out);
  check_completed(ev, N, out, out_cnt);
  tk_msgs_free(out, out_cnt);

  out_cnt = tk_consume_all(bs, "created", 1, 5000, &out);
  int check_failures = check_created(ev, N, out, out_cnt);
  tk_msgs_free(out, out_cnt);

  tk_msg_t *dlq;
  int dlq_cnt = tk_consume_all(bs, "itest_stateless-dlq", bad + check_failures, 10000, &dlq);
  ASSERT_EQ(bad + check_failures, dlq_cnt);
  int reasons = 0;
  for (int i = 0; i < dlq_cnt; i++) {
    ASSERT_STR_EQ("orders", tk_header(&dlq[i], "eddy.source.topic"));
    ASSERT_TRUE(tk_header(&dlq[i], "eddy.source.offset")[0] != '\0');
    reasons += strcmp(tk_header(&dlq[i], "eddy.error.reason"), "negative or missing total") == 0;
  }
  ASSERT_EQ(check_failures, reasons);
  tk_msgs_free(dlq, dlq_cnt);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
}
