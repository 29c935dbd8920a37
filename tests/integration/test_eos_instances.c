/*
 * exactly_once_v2 with two running instances (processes) of one application:
 * each has its own transactional ids (on Kafka, equal ids would fence each
 * other's producers at every start; the embedded broker does not fence by
 * transactional id, so the ids themselves are checked), they share the work,
 * the output holds every expected record, and a restart with the same
 * state.dir takes its transactional id back.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "eddy_test.h"
#include "kafka_test.h"
#include "engine/util.h"

#include <librdkafka/rdkafka_mock.h>   /* after rdkafka.h */

#define PARTS 4
#define N 3000

static const char *topology =
    "app itest_eos_two\n"
    "stream s from \"in\" format json schema (id int)\n"
    "s | select id = id, next = id + 1 | to kafka \"out\" key id\n";

/* A logger that keeps the transactional id an application announces. */
typedef struct {
  pthread_mutex_t mu;
  char id[256];
} id_catcher_t;

static void catch_id(void *opaque, eddy_log_level_t level, const char *component,
                     const char *msg) {
  id_catcher_t *c = opaque;
  const char *p = strstr(msg, "transactional id '");
  if (p != NULL) {
    p += strlen("transactional id '");
    const char *end = strchr(p, '\'');
    pthread_mutex_lock(&c->mu);
    snprintf(c->id, sizeof(c->id), "%.*s", end ? (int)(end - p) : 0, p);
    pthread_mutex_unlock(&c->mu);
  }
  if (level >= EDDY_LOG_WARN)
    eddy_log_stderr(NULL, level, component, msg);
}

/* The announced id, waiting for it (the thread logs it when its producer is up). */
static void caught_id(id_catcher_t *c, char *out, size_t cap) {
  int64_t deadline = eddy_clock_monotonic_us() + (int64_t)eddy_test_tmout(30000) * 1000;
  for (;;) {
    pthread_mutex_lock(&c->mu);
    snprintf(out, cap, "%s", c->id);
    pthread_mutex_unlock(&c->mu);
    if (out[0] != '\0')
      return;
    if (eddy_clock_monotonic_us() > deadline)
      eddy_test_fail(__FILE__, __LINE__, "no transactional id was logged");
    usleep(10000);
  }
}

static eddy_app_t *start(eddy_topology_t *topo, const char *bs, const char *state_dir,
                         id_catcher_t *catcher) {
  static eddy_logger_t logs[4];
  static int next;
  eddy_logger_t *log = &logs[next++ % 4];
  *log = (eddy_logger_t){.fn = catch_id, .opaque = catcher, .level = EDDY_LOG_INFO};
  eddy_config_t conf;
  eddy_config_init(&conf);
  eddy_error_t *err = NULL;
  const char *kv[][2] = {{"bootstrap.servers", bs}, {"processing.guarantee", "exactly_once_v2"},
                         {"state.dir", state_dir}, {"kafka.consumer.session.timeout.ms", "6000"}};
  for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
    if (eddy_config_set(&conf, kv[i][0], kv[i][1], &err) != 0)
      eddy_test_fail(__FILE__, __LINE__, "config: %s", eddy_error_msg(err));
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), &conf, log, &err) != 0 ||
      eddy_app_start(app, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "app: %s", eddy_error_msg(err));
  eddy_config_free(&conf);
  return app;
}

static void produce_ids(const char *bs, int from, int to) {
  rd_kafka_t *p = tk_producer(bs);
  char buf[64], key[16];
  for (int i = from; i < to; i++) {
    int len = snprintf(buf, sizeof(buf), "{\"id\":%d}", i);
    snprintf(key, sizeof(key), "%d", i);
    tk_produce(p, "in", i % PARTS, key, buf, (size_t)len);
  }
  tk_producer_close(p);
}

static bool has_prefix_suffix(const char *s, const char *prefix, const char *suffix) {
  size_t l = strlen(s), ls = strlen(suffix);
  return strncmp(s, prefix, strlen(prefix)) == 0 && l > ls && strcmp(s + l - ls, suffix) == 0;
}

static long long consumed(eddy_app_t *a, eddy_app_t *b) {
  return atomic_load(&eddy_app_counters(a)->records_in) +
         atomic_load(&eddy_app_counters(b)->records_in);
}

/* Every id 0..N-1 is in the output once or more, with next = id + 1. */
static void check_output(const char *bs) {
  tk_msg_t *msgs = NULL;
  int cnt = tk_consume_all(bs, "out", N, 20000, &msgs);
  int *seen = eddy_calloc(N, sizeof(int));
  for (int i = 0; i < cnt; i++) {
    cJSON *j = cJSON_Parse(msgs[i].value);
    ASSERT_TRUE(j != NULL);
    int id = (int)cJSON_GetObjectItem(j, "id")->valuedouble;
    ASSERT_EQ(id + 1, (int)cJSON_GetObjectItem(j, "next")->valuedouble);
    cJSON_Delete(j);
    ASSERT_TRUE(id >= 0 && id < N);
    seen[id]++;
  }
  for (int i = 0; i < N; i++)
    if (seen[i] == 0)
      eddy_test_fail(__FILE__, __LINE__, "id %d is missing from the output", i);
  eddy_free(seen);
  tk_msgs_free(msgs, cnt);
}

/* Wait until the application's group committed all \p n input records (read with a separate client). */
static void wait_committed(const char *bs, long long n) {
  static const char *const kv[] = {"group.id", "itest_eos_two", NULL};
  rd_kafka_t *c = tk_client(RD_KAFKA_CONSUMER, bs, kv);
  int64_t deadline = eddy_clock_monotonic_us() + (int64_t)eddy_test_tmout(30000) * 1000;
  long long sum = 0;
  while (sum < n && eddy_clock_monotonic_us() < deadline) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTS);
    for (int p = 0; p < PARTS; p++)
      rd_kafka_topic_partition_list_add(l, "in", p);
    sum = 0;
    if (rd_kafka_committed(c, l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
      for (int p = 0; p < PARTS; p++)
        sum += l->elems[p].offset > 0 ? l->elems[p].offset : 0;
    rd_kafka_topic_partition_list_destroy(l);
    if (sum < n)
      usleep(50000);
  }
  rd_kafka_destroy(c);
  ASSERT_EQ(n, sum);
}

EDDY_TEST(two_instances_have_their_own_transactional_ids) {
  static const char *const topics[] = {"in", "out", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, PARTS, "eos-instances", topology);   /* one dir: the harder case */
  const char *bs = env.bootstrap, *dir = env.dir;
  eddy_topology_t *topo = env.topo;
  id_catcher_t ca = {.mu = PTHREAD_MUTEX_INITIALIZER}, cb = {.mu = PTHREAD_MUTEX_INITIALIZER};
  eddy_app_t *a = start(topo, bs, dir, &ca);
  eddy_app_t *bapp = start(topo, bs, dir, &cb);
  char ida[256], idb[256];
  caught_id(&ca, ida, sizeof(ida));
  caught_id(&cb, idb, sizeof(idb));
  ASSERT_TRUE(has_prefix_suffix(ida, "itest_eos_two-", "-0"));
  ASSERT_TRUE(has_prefix_suffix(idb, "itest_eos_two-", "-0"));
  ASSERT_TRUE(strcmp(ida, idb) != 0);

  produce_ids(bs, 0, N);
  wait_committed(bs, N);
  ASSERT_TRUE(consumed(a, bapp) >= N);
  tk_stop(bapp);
  tk_stop(a);
  check_output(bs);

  /* the first instance's slot is free again: a restart takes its id back */
  id_catcher_t cr = {.mu = PTHREAD_MUTEX_INITIALIZER};
  eddy_app_t *r = start(topo, bs, dir, &cr);
  char idr[256];
  caught_id(&cr, idr, sizeof(idr));
  ASSERT_STR_EQ(ida, idr);
  tk_stop(r);
  tk_env_close(&env);
  EDDY_ASSERT_NO_LEAKS();
}

/*
 * Half the input, then \p error injected once into the next request \p api, then the
 * rest: exactly one transaction aborts, every input record is committed in the end
 * and the output misses nothing. \p must_run: the application is still running.
 */
static void abort_once(const char *tag, int16_t api, rd_kafka_resp_err_t error, bool must_run) {
  static const char *const topics[] = {"in", "out", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, PARTS, tag, topology);
  const char *bs = env.bootstrap;
  id_catcher_t ca = {.mu = PTHREAD_MUTEX_INITIALIZER};
  eddy_app_t *a = start(env.topo, bs, env.dir, &ca);
  produce_ids(bs, 0, N / 2);
  tk_wait_consumed(a, N / 2, 30000);
  rd_kafka_mock_push_request_errors(eddy_broker_mock(env.broker), api, 1, error);
  produce_ids(bs, N / 2, N);
  const eddy_counters_t *c = eddy_app_counters(a);
  tk_wait_counter(&c->txn_aborts, 1, 30000);
  ASSERT_EQ(1, atomic_load(&c->txn_aborts));
  wait_committed(bs, N);   /* records_in counts the replayed records twice */
  if (must_run)
    ASSERT_TRUE(eddy_app_running(a));
  tk_stop(a);   /* asserts a clean exit */
  check_output(bs);
  tk_env_close(&env);
}

/*
 * A zombie's offsets carry a consumer-group generation that is no longer
 * current; Kafka answers ILLEGAL_GENERATION (injected here, the embedded
 * broker does not check generations): the transaction aborts, the input is
 * processed again from the committed offsets, and nothing is missing.
 * (The embedded broker keeps the aborted transaction's records visible, so
 * duplicates are not asserted here; see test_embedded_txn.c.)
 */
EDDY_TEST(stale_generation_aborts_the_transaction) {
  abort_once("eos-generation", 28 /* TxnOffsetCommit */, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
             false);
  EDDY_ASSERT_NO_LEAKS();
}

/*
 * A fenced producer (on Kafka: a transaction outlived transaction.timeout.ms
 * and its coordinator bumped the epoch, or another instance took the
 * transactional id; injected here) is replaced: the tasks drop what they
 * held since the last commit and reopen, the input is rewound, and the
 * application goes on with nothing missing.
 */
EDDY_TEST(fenced_producer_is_replaced) {
  abort_once("eos-fenced", 26 /* EndTxn */, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, true);
  EDDY_ASSERT_NO_LEAKS();
}
