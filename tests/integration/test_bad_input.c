/*
 * Bad input never stops the engine and is never silently dropped: every
 * input ends up as an output, a dead letter, or a counted skip/tombstone.
 */
#include "eddy_test.h"
#include "kafka_test.h"

typedef struct {
  const char *payload; /* NULL: a null value */
  size_t len;          /* 0: strlen */
  bool good;           /* decodes and reaches the sink */
  bool tombstone;      /* a null value: counted as a tombstone, not an error */
} input_t;

static const char *topology =
    "app itest_bad\n"
    "stream events from \"events\" format json\n"
    "  schema (id int, name string, amount decimal(10,2), tags array<string>)\n"
    "events | select id, name, amount, tags | to kafka \"events_out\" key id\n"
    "stream quiet from \"quiet\" format json schema (id int) on error skip\n"
    "quiet | to kafka \"quiet_out\"\n";

static void produce_inputs(rd_kafka_t *p, const char *topic, const input_t *in, int cnt) {
  for (int i = 0; i < cnt; i++)
    tk_produce(p, topic, -1, NULL, in[i].payload,
               in[i].payload == NULL ? 0 : in[i].len ? in[i].len : strlen(in[i].payload));
}

EDDY_TEST(bad_input_is_dead_lettered_or_counted_never_lost) {
  const char *topics[] = {"events", "quiet", NULL};
  eddy_broker_t *b = tk_broker(topics, 2);
  const char *bs = eddy_broker_bootstrap(b);

  size_t big = 1024 * 1024;
  char *huge_ok = malloc(big + 64), *huge_bad = malloc(big + 64);
  int n = snprintf(huge_ok, 64, "{\"id\":99,\"name\":\"");
  memset(huge_ok + n, 'x', big);
  strcpy(huge_ok + n + big, "\",\"amount\":1.00}");
  memcpy(huge_bad, huge_ok, big + 32); /* the same, truncated: no closing quote */
  huge_bad[big] = '\0';

  const input_t in[] = {
      {"{\"id\":1,\"name\":\"ok\",\"amount\":12.50,\"tags\":[\"a\"]}", 0, true, false},
      {"{\"id\":2,\"name\":null,\"amount\":null}", 0, true, false},          /* nulls are values */
      {"{\"id\":3}", 0, true, false},                                        /* missing fields */
      {"{\"id\":\"four\"}", 0, false, false},                                /* wrong type */
      {"{\"id\":5,\"amount\":\"lots\"}", 0, false, false},
      {"{\"id\":6,\"name\":\"trunc", 0, false, false},                       /* truncated */
      {"{\"id\":7,\"name\":\"\xc3\x28\"}", 0, false, false},                 /* invalid UTF-8 */
      {"[1,2,3]", 0, false, false},                                          /* not an object */
      {"", 0, false, true},                                                  /* empty: a tombstone */
      {NULL, 0, false, true},                                         /* null value */
      {"{\"id\":11,\"tags\":\"not-an-array\"}", 0, false, false},
      {"{\"id\":12,\"amount\":123456789012.345}", 0, false, false},           /* beyond decimal(10,2) */
      {huge_ok, 0, true, false},
      {huge_bad, 0, false, false},
  };
  const int cnt = (int)(sizeof(in) / sizeof(in[0]));
  int good = 0, tombs = 0;
  for (int i = 0; i < cnt; i++) {
    good += in[i].good;
    tombs += in[i].tombstone;
  }

  rd_kafka_t *p = tk_producer(bs);
  produce_inputs(p, "events", in, cnt);
  produce_inputs(p, "quiet", in, cnt);
  tk_producer_close(p);

  eddy_topology_t *topo = tk_compile(topology);
  eddy_app_t *app = tk_start(topo, bs, 1);
  tk_wait_consumed(app, 2 * cnt, 60000);
  const eddy_counters_t *c = eddy_app_counters(app);
  long long out = atomic_load(&c->records_out), dlq = atomic_load(&c->dlq);
  long long skipped = atomic_load(&c->skipped), tomb = atomic_load(&c->tombstones);
  tk_stop(app);

  /* the "quiet" source reads only id: records bad in other fields still pass there */
  tk_msg_t *msgs;
  int events_out = tk_consume_all(bs, "events_out", good, 20000, &msgs);
  ASSERT_EQ(good, events_out);
  tk_msgs_free(msgs, events_out);
  /* what `quiet` let through is whatever has a valid id: the topic must hold
   * exactly the records the engine counted as produced there */
  int quiet_out = tk_consume_all(bs, "quiet_out", (int)(out - events_out), 10000, &msgs);
  tk_msgs_free(msgs, quiet_out);
  ASSERT_TRUE(quiet_out >= good);
  int dead = tk_consume_all(bs, "itest_bad-dlq", cnt - good - tombs, 10000, &msgs);
  ASSERT_EQ(cnt - good - tombs, dead);
  for (int i = 0; i < dead; i++)
    ASSERT_TRUE(tk_header(&msgs[i], "eddy.error.reason")[0] != '\0');
  tk_msgs_free(msgs, dead);

  ASSERT_EQ(cnt - good - tombs, dlq);
  ASSERT_EQ(2 * tombs, tomb);
  ASSERT_EQ(events_out + quiet_out, out);
  ASSERT_EQ(2 * cnt, out + dlq + skipped + tomb);
  ASSERT_TRUE(skipped > 0);
  free(huge_ok);
  free(huge_bad);
  eddy_topology_destroy(topo);
  eddy_broker_stop(b);
}
