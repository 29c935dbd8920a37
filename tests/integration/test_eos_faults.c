/*
 * processing.guarantee=exactly_once_v2 on the embedded cluster, in process,
 * with faults injected into the transaction coordinator's answers:
 *
 *   abort    EndTxn answers UNKNOWN_PRODUCER_ID once (an abortable error):
 *            the thread aborts, rewinds to the committed offsets, processes
 *            the records again and goes on
 *   fenced   EndTxn answers PRODUCER_FENCED four times in a row (what a
 *            newer producer with the same transactional id causes): the
 *            producer is replaced three times, then the application stops
 *            with a message saying so
 *
 * The embedded broker shows the records of aborted transactions to
 * read_committed readers too (it keeps no transaction markers), so the
 * output is checked for what holds there: every expected record present,
 * nothing else, per input partition in input order, and the records
 * written twice are exactly one contiguous replay of the aborted
 * transaction's part. On Kafka the aborted copies are not visible.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include <unistd.h>

#include "eddy_test.h"
#include "kafka_test.h"
#include "engine/util.h"

#include <librdkafka/rdkafka_mock.h>   /* after rdkafka.h */

#define PARTS 4
#define API_END_TXN 26   /* the Kafka protocol's EndTxn request */

static const char *topology =
    "app itest_eos\n"
    "stream s from \"in\" format json schema (id int, amount int)\n"
    "s | where amount >= 10 | select id = id, doubled = amount * 2 | to kafka \"out\" key id\n";

static void produce_range(const char *bs, int from, int to) {
  rd_kafka_t *p = tk_producer(bs);
  char buf[128], key[16];
  for (int i = from; i < to; i++) {
    int len = snprintf(buf, sizeof(buf), "{\"id\":%d,\"amount\":%d}", i, i % 100);
    snprintf(key, sizeof(key), "%d", i);
    tk_produce(p, "in", i % PARTS, key, buf, (size_t)len);
  }
  tk_producer_close(p);
}

static int expected_count(int n) {
  int c = 0;
  for (int i = 0; i < n; i++)
    c += i % 100 >= 10;
  return c;
}

/*
 * Check \p msgs against the ids 0..n-1 that pass the filter: each present
 * with doubled = 2 * amount, in input order within (output partition,
 * input partition), and at most \p replays backward jumps in those
 * sequences (each a replay from a committed offset). @returns duplicates.
 */
static int check_output(const tk_msg_t *msgs, int cnt, int n, int replays) {
  int *seen = eddy_calloc((size_t)n, sizeof(int));
  int last[PARTS][PARTS], jumps = 0, dups = 0;
  for (int a = 0; a < PARTS; a++)
    for (int b = 0; b < PARTS; b++)
      last[a][b] = -1;
  for (int i = 0; i < cnt; i++) {
    cJSON *j = cJSON_Parse(msgs[i].value);
    ASSERT_TRUE(j != NULL);
    int id = (int)cJSON_GetObjectItem(j, "id")->valuedouble;
    int doubled = (int)cJSON_GetObjectItem(j, "doubled")->valuedouble;
    cJSON_Delete(j);
    ASSERT_TRUE(id >= 0 && id < n);
    ASSERT_EQ(2 * (id % 100), doubled);
    ASSERT_TRUE(id % 100 >= 10);
    int *l = &last[msgs[i].partition][id % PARTS];
    if (id <= *l)
      jumps++;
    *l = id;
    dups += seen[id]++ > 0;
  }
  for (int i = 0; i < n; i++)
    if (i % 100 >= 10 && seen[i] == 0)
      eddy_test_fail(__FILE__, __LINE__, "id %d is missing from the output", i);
  eddy_free(seen);
  ASSERT_TRUE(jumps <= replays * PARTS * PARTS);
  return dups;
}

static const char *const eos_settings[] = {"processing.guarantee=exactly_once_v2", NULL};

EDDY_TEST(abort_rewinds_and_retries) {
  static const char *const topics[] = {"in", "out", NULL};
  eddy_broker_t *b = tk_broker(topics, PARTS);
  const char *bs = eddy_broker_bootstrap(b);
  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start_app(topo, b, 1, eos_settings);
  const eddy_counters_t *c = eddy_app_counters(app);
  produce_range(bs, 0, 2000);
  tk_wait_consumed(app, 2000, 30000);
  long long commits = atomic_load(&c->commits);
  tk_wait_counter(&c->commits, commits + 2, 10000);   /* the first part is committed */
  rd_kafka_mock_push_request_errors(eddy_broker_mock(b), API_END_TXN, 1,
                                    RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
  produce_range(bs, 2000, 4000);
  tk_wait_counter(&c->txn_aborts, 1, 30000);
  tk_wait_consumed(app, 4000, 30000);
  tk_msg_t *msgs;
  int want = expected_count(4000);
  int cnt = tk_consume_all(bs, "out", want, 3000, &msgs);
  ASSERT_TRUE(cnt >= want);
  long long aborts = atomic_load(&c->txn_aborts);   /* the counters go with the app */
  tk_stop(app);
  ASSERT_EQ(1, aborts);
  int dups = check_output(msgs, cnt, 4000, 1);
  ASSERT_EQ(cnt - want, dups);
  ASSERT_TRUE(dups <= expected_count(2000));   /* at most the aborted transaction's part */
  tk_msgs_free(msgs, cnt);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(repeatedly_fenced_producer_stops_the_application) {
  static const char *const topics[] = {"in", "out", NULL};
  eddy_broker_t *b = tk_broker(topics, PARTS);
  const char *bs = eddy_broker_bootstrap(b);
  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start_app(topo, b, 1, eos_settings);
  produce_range(bs, 0, 500);
  tk_wait_consumed(app, 500, 30000);
  /* one fence replaces the producer (test_eos_instances.c); the fourth within a minute stops */
  rd_kafka_mock_push_request_errors(eddy_broker_mock(b), API_END_TXN, 4,
                                    RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
                                    RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
                                    RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
                                    RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
  produce_range(bs, 500, 1000);
  int64_t deadline = eddy_clock_monotonic_us() + (int64_t)eddy_test_tmout(30000) * 1000;
  while (eddy_app_running(app) && eddy_clock_monotonic_us() < deadline)
    usleep(10000);
  ASSERT_TRUE(!eddy_app_running(app));
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EFENCED, eddy_app_join(app, &err));
  ASSERT_TRUE(strstr(eddy_error_msg(err), "the producer was fenced by a newer one with the "
                                          "transactional id 'itest_eos-") != NULL);
  ASSERT_TRUE(strstr(eddy_error_msg(err), "the producer was replaced 3 times within 60 s "
                                          "already: stopping") != NULL);
  eddy_error_destroy(err);
  eddy_app_destroy(app);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
  EDDY_ASSERT_NO_LEAKS();
}
