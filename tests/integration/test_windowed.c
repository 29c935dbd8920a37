/*
 * Windowed aggregation end to end on the embedded cluster: group by through
 * the repartition topic, tumbling windows with grace, emit final and emit
 * changes, late records to their topic, a restart in the middle of the
 * stream (with and without the state directory), idle advance, and inputs
 * spread over four partitions. Every result is compared with counts and
 * sums computed here from the records the test produced.
 *
 * Lateness depends on the order in which a task sees records. The main
 * input goes to one partition, so that order is the produce order whatever
 * the partitioning of the repartition topic, and the test knows which
 * records are late: an out-of-order record stays within the grace period of
 * every earlier record, a late one is older than its own user's previous
 * record by more than window + grace.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "eddy_test.h"
#include "kafka_test.h"

#define USERS 30
#define WINDOW_MS 10000
#define GRACE_MS 2000
#define T0_MS ((int64_t)1700000000000)

static const char *topology =
    "app itest_win\n"
    "stream events from \"events\" format json\n"
    "  schema (user int, amount decimal(10,2), at timestamp(3)) event-time at\n"
    "finals = events | group by user | window tumbling 10s grace 2s\n"
    "  | aggregate n = count(), total = sum(amount) | emit final\n"
    "finals | to kafka \"finals\"\n"
    "changes = events | group by user | window tumbling 10s grace 2s\n"
    "  | aggregate n = count(), total = sum(amount) | emit changes\n"
    "changes | to kafka \"changes\"\n"
    "changes | check total < 5 else \"over 5\" | to kafka \"small_changes\"\n";

typedef struct {
  int user;
  int64_t at_ms, cents;
  bool late, sentinel;
} event_t;

static uint64_t rng;
static uint64_t rnd(uint64_t n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (rng >> 33) % n;
}

/* The events, with their lateness known by construction (see the header). */
static int generate(event_t *ev, int n, uint64_t seed) {
  rng = seed;
  int64_t clock = T0_MS, last[USERS];
  for (int u = 0; u < USERS; u++)
    last[u] = -1;
  int late = 0;
  for (int i = 0; i < n; i++) {
    event_t *e = &ev[i];
    clock += (int64_t)rnd(150);
    *e = (event_t){.user = (int)rnd(USERS), .at_ms = clock, .cents = (int64_t)rnd(50000) - 5000};
    uint64_t dice = rnd(100);
    if (dice < 3 && last[e->user] >= 0) {
      e->at_ms = last[e->user] - (WINDOW_MS + GRACE_MS) - (int64_t)rnd(5000);
      e->late = true;
      late++;
    } else if (dice < 20) {
      e->at_ms = clock - (int64_t)rnd(GRACE_MS);   /* out of order, within grace */
    }
    if (!e->late && e->at_ms > last[e->user])
      last[e->user] = e->at_ms;
  }
  return late;
}

static void sentinels(event_t *ev, int64_t after_ms) {
  for (int u = 0; u < USERS; u++)
    ev[u] = (event_t){.user = u, .at_ms = after_ms + 60000, .sentinel = true};
}

static void produce(const char *bs, const event_t *ev, int n, int32_t partition) {
  rd_kafka_t *p = tk_producer(bs);
  char buf[256], key[16];
  for (int i = 0; i < n; i++) {
    int len = snprintf(buf, sizeof(buf), "{\"user\":%d,\"amount\":%s%" PRId64 ".%02" PRId64
                       ",\"at\":%" PRId64 "}", ev[i].user, ev[i].cents < 0 ? "-" : "",
                       (int64_t)llabs(ev[i].cents) / 100, (int64_t)llabs(ev[i].cents) % 100, ev[i].at_ms);
    snprintf(key, sizeof(key), "%d", i);
    tk_produce(p, "events", partition < 0 ? (int32_t)rnd(4) : partition, key, buf, (size_t)len);
  }
  tk_producer_close(p);
}

/* ---- the expected windows ------------------------------------------------------ */

typedef struct {
  int user;
  int64_t start_ms, n, cents;
  int finals, changes;
  int64_t last_n, last_cents;
} window_t;

typedef struct {
  window_t w[8192];
  int cnt;
} expect_t;

static window_t *find(expect_t *x, int user, int64_t start_ms, bool create) {
  for (int i = 0; i < x->cnt; i++)
    if (x->w[i].user == user && x->w[i].start_ms == start_ms)
      return &x->w[i];
  if (!create)
    return NULL;
  ASSERT_TRUE(x->cnt < 8192);
  x->w[x->cnt] = (window_t){.user = user, .start_ms = start_ms};
  return &x->w[x->cnt++];
}

static void expect_all(expect_t *x, const event_t *ev, int n) {
  for (int i = 0; i < n; i++) {
    if (ev[i].late || ev[i].sentinel)
      continue;
    int64_t start = ev[i].at_ms / WINDOW_MS * WINDOW_MS;
    window_t *w = find(x, ev[i].user, start, true);
    w->n++;
    w->cents += ev[i].cents;
  }
}

static int64_t json_int(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!cJSON_IsNumber(v))
    eddy_test_fail(__FILE__, __LINE__, "%s is not a number", name);
  return (int64_t)v->valuedouble;
}

static int64_t json_cents(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  ASSERT_TRUE(cJSON_IsNumber(v));
  double d = v->valuedouble * 100;
  return (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
}

static int64_t json_time_ms(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  ASSERT_TRUE(cJSON_IsString(v));
  int64_t us;
  ASSERT_OK(eddy_timestamp_parse(v->valuestring, strlen(v->valuestring), &us));
  return us / 1000;
}

/* Each output row, against the window it names. @returns true for a real window. */
static bool read_row(expect_t *x, const tk_msg_t *m, bool final) {
  cJSON *j = cJSON_Parse(m->value);
  ASSERT_TRUE(j != NULL);
  int user = (int)json_int(j, "user");
  int64_t start = json_time_ms(j, "window_start");
  ASSERT_EQ(start + WINDOW_MS, json_time_ms(j, "window_end"));
  char key[16];
  snprintf(key, sizeof(key), "%d", user);
  ASSERT_STR_EQ(key, m->key);   /* the record key is the group column */
  window_t *w = find(x, user, start, false);
  if (w == NULL) {
    ASSERT_FALSE(final);   /* a sentinel's window never closes */
    ASSERT_EQ(1, json_int(j, "n"));
    cJSON_Delete(j);
    return false;
  }
  int64_t n = json_int(j, "n"), cents = json_cents(j, "total");
  if (final) {
    ASSERT_EQ(w->n, n);
    ASSERT_EQ(w->cents, cents);
    w->finals++;
  } else {
    ASSERT_TRUE(n >= w->last_n && n <= w->n);   /* updates only grow towards the result */
    w->last_n = n;
    w->last_cents = cents;
    w->changes++;
  }
  cJSON_Delete(j);
  return true;
}

/* Updates emitted at a commit have no consumed record behind them: a failed one's dead
 * letter carries the row itself. Every update goes either way, never both. */
static void check_dead_letters(const char *bs) {
  tk_msg_t *all, *small, *dlq;
  int all_cnt = tk_consume_all(bs, "changes", 1, 10000, &all);
  int big = 0;
  for (int i = 0; i < all_cnt; i++) {
    cJSON *j = cJSON_Parse(all[i].value);
    big += json_cents(j, "total") >= 500;
    cJSON_Delete(j);
  }
  ASSERT_TRUE(big > 0);
  int small_cnt = tk_consume_all(bs, "small_changes", all_cnt - big, 10000, &small);
  int dlq_cnt = tk_consume_all(bs, "itest_win-dlq", big, 10000, &dlq);
  ASSERT_EQ(all_cnt - big, small_cnt);
  ASSERT_EQ(big, dlq_cnt);
  for (int i = 0; i < dlq_cnt; i++) {
    ASSERT_STR_EQ("over 5", tk_header(&dlq[i], "eddy.error.reason"));
    ASSERT_STR_EQ("changes.check-1", tk_header(&dlq[i], "eddy.error.operator"));
    ASSERT_STR_EQ("", tk_header(&dlq[i], "eddy.source.topic"));
    cJSON *j = cJSON_Parse(dlq[i].value);
    ASSERT_TRUE(j != NULL && json_cents(j, "total") >= 500);
    cJSON_Delete(j);
  }
  tk_msgs_free(all, all_cnt);
  tk_msgs_free(small, small_cnt);
  tk_msgs_free(dlq, dlq_cnt);
}

static void check_outputs(const char *bs, expect_t *x, int late) {
  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "finals", x->cnt, 20000, &out);
  for (int i = 0; i < cnt; i++)
    read_row(x, &out[i], true);
  tk_msgs_free(out, cnt);
  for (int i = 0; i < x->cnt; i++)
    ASSERT_EQ(1, x->w[i].finals);   /* exactly one final result per window */
  ASSERT_EQ(x->cnt, cnt);
  cnt = tk_consume_all(bs, "changes", x->cnt, 20000, &out);
  for (int i = 0; i < cnt; i++)
    read_row(x, &out[i], false);
  tk_msgs_free(out, cnt);
  for (int i = 0; i < x->cnt; i++) {
    ASSERT_TRUE(x->w[i].changes >= 1);
    ASSERT_EQ(x->w[i].n, x->w[i].last_n);
    ASSERT_EQ(x->w[i].cents, x->w[i].last_cents);
  }
  check_dead_letters(bs);
  /* every late record reaches the late topic once per aggregate that refused it */
  cnt = tk_consume_all(bs, "late", 2 * late, 10000, &out);
  ASSERT_EQ(2 * late, cnt);
  for (int i = 0; i < cnt; i++)
    ASSERT_TRUE(strncmp(tk_header(&out[i], "eddy.late.operator"), "finals.aggregate-1", 18) == 0 ||
                strncmp(tk_header(&out[i], "eddy.late.operator"), "changes.aggregate-1", 19) == 0);
  tk_msgs_free(out, cnt);
}

/* The "finals" topic holds exactly one row per window of \p x, \p size_ms long. */
static void check_finals(const char *bs, expect_t *x, int64_t size_ms) {
  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "finals", x->cnt, 20000, &out);
  ASSERT_EQ(x->cnt, cnt);
  for (int i = 0; i < cnt; i++) {
    cJSON *j = cJSON_Parse(out[i].value);
    int64_t start = json_time_ms(j, "window_start");
    ASSERT_EQ(start + size_ms, json_time_ms(j, "window_end"));
    window_t *w = find(x, (int)json_int(j, "user"), start, false);
    ASSERT_TRUE(w != NULL);
    ASSERT_EQ(w->n, json_int(j, "n"));
    ASSERT_EQ(w->cents, json_cents(j, "total"));
    ASSERT_EQ(0, w->finals++);
    cJSON_Delete(j);
  }
  tk_msgs_free(out, cnt);
}

/* ---- the runs ---------------------------------------------------------------------- */

enum { N = 3000, HALF = 1400 };
static event_t events[N + USERS];

static eddy_app_t *start(tk_env_t *env) {
  const char *settings[] = {env->state_setting, "late.records.topic=late", NULL};
  return tk_start_app(env->topo, env->broker, 2, settings);
}

/* A clean stop leaves every task's checkpoint with its stores' changelog offsets. */
static void check_checkpoints(const char *dir) {
  int found = 0;
  for (int sub = 1; sub <= 2; sub++)
    for (int p = 0; p < 4; p++) {
      char path[600], task[16];
      snprintf(task, sizeof(task), "%d_%d", sub, p);
      ASSERT_OK(eddy_checkpoint_path(path, sizeof(path), dir, "itest_win", task));
      eddy_checkpoint_t *cp = NULL;
      ASSERT_OK(eddy_checkpoint_read(&cp, path, NULL));
      const char *store = sub == 1 ? "finals.aggregate-1-store" : "changes.aggregate-1-store";
      found += eddy_checkpoint_get(cp, store) >= 0;
      eddy_checkpoint_destroy(cp);
    }
  ASSERT_TRUE(found >= 6);   /* a task whose partition got no group has nothing to record */
}

/* Half the input, a clean stop, (optionally) the state directory deleted, the rest. */
static void run_with_restart(bool wipe_state) {
  const char *topics[] = {"events", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "windowed", topology);
  const char *bs = env.bootstrap;
  int late = generate(events, N, wipe_state ? 0x5eed : 0xfeed);
  sentinels(events + N, events[N - 1].at_ms + 10 * WINDOW_MS);

  produce(bs, events, HALF, 0);
  eddy_app_t *app = start(&env);
  tk_wait_consumed(app, 3 * HALF, 60000);   /* the input and both repartition topics */
  int late_before = 0;
  for (int i = 0; i < HALF; i++)
    late_before += events[i].late;
  ASSERT_EQ(2 * late_before, atomic_load(&eddy_app_counters(app)->late));
  tk_stop(app);
  check_checkpoints(env.dir);
  if (wipe_state)
    eddy_test_rmtree(env.dir);
  produce(bs, events + HALF, N - HALF + USERS, 0);
  app = start(&env);
  tk_wait_consumed(app, 3 * (N - HALF + USERS), 60000);
  const eddy_counters_t *c = eddy_app_counters(app);
  ASSERT_EQ(2 * (late - late_before), atomic_load(&c->late));
  tk_stop(app);

  static expect_t x;
  memset(&x, 0, sizeof(x));
  expect_all(&x, events, N + USERS);
  check_outputs(bs, &x, late);
  tk_env_close(&env);
}

EDDY_TEST(windows_survive_a_restart) {
  run_with_restart(false);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(windows_survive_a_lost_state_directory) {
  run_with_restart(true);
  EDDY_ASSERT_NO_LEAKS();
}

/* A quiet partition: only idle advance can close its last windows. */
EDDY_TEST(idle_advance_closes_windows_of_a_quiet_partition) {
  const char *topics[] = {"events", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "idle",
      "app itest_idle\n"
      "stream events from \"events\" format json\n"
      "  schema (user int, amount decimal(10,2), at timestamp(3)) event-time at\n"
      "events | group by user | window tumbling 2s\n"
      "  | aggregate n = count(), total = sum(amount) | emit final | to kafka \"finals\"\n");
  const char *bs = env.bootstrap;
  const char *settings[] = {env.state_setting, "window.idle.advance.ms=300", NULL};
  eddy_app_t *app = tk_start_app(env.topo, env.broker, 1, settings);
  enum { M = 200 };
  static event_t ev[M];
  rng = 42;
  static expect_t x;
  memset(&x, 0, sizeof(x));
  for (int i = 0; i < M; i++)   /* 2 s of event time, in order */
    ev[i] = (event_t){.user = (int)rnd(5), .at_ms = T0_MS + i * 10, .cents = (int64_t)rnd(9999)};
  produce(bs, ev, M, -1);
  for (int i = 0; i < M; i++) {
    window_t *w = find(&x, ev[i].user, ev[i].at_ms / 2000 * 2000, true);
    w->n++;
    w->cents += ev[i].cents;
  }
  /* nothing follows the records: the windows close only as wall-clock time passes */
  check_finals(bs, &x, 2000);
  tk_stop(app);
  tk_env_close(&env);
  EDDY_ASSERT_NO_LEAKS();
}

/* Input over four partitions, two threads, a hopping window, a restart: with a grace
 * longer than the input, no record can be late whatever the interleaving. */
EDDY_TEST(four_partitions_hopping_windows_and_a_restart) {
  const char *topics[] = {"events", NULL};
  tk_env_t env;
  tk_env_open(&env, topics, 4, "hopping",
      "app itest_hop\n"
      "stream events from \"events\" format json\n"
      "  schema (user int, amount decimal(10,2), at timestamp(3)) event-time at\n"
      "events | group by user | window hopping 10s advance 5s grace 1h\n"
      "  | aggregate n = count(), total = sum(amount) | emit final | to kafka \"finals\"\n");
  enum { M = 2000 };
  static event_t ev[M + USERS];
  rng = 7;
  int64_t clock = T0_MS;
  for (int i = 0; i < M; i++) {
    clock += (int64_t)rnd(100);
    ev[i] = (event_t){.user = (int)rnd(USERS), .at_ms = clock - (int64_t)rnd(3000),
                      .cents = (int64_t)rnd(20000) - 1000};
  }
  for (int u = 0; u < USERS; u++)   /* far ahead: closes every window of every task */
    ev[M + u] = (event_t){.user = u, .at_ms = clock + 2 * 3600 * 1000, .sentinel = true};
  static expect_t x;
  memset(&x, 0, sizeof(x));
  for (int i = 0; i < M; i++)
    for (int64_t s = ev[i].at_ms / 5000 * 5000; s > ev[i].at_ms - 10000; s -= 5000) {
      window_t *w = find(&x, ev[i].user, s, true);
      w->n++;
      w->cents += ev[i].cents;
    }
  const char *bs = env.bootstrap;
  const char *settings[] = {env.state_setting, NULL};
  produce(bs, ev, M / 2, -1);
  eddy_app_t *app = tk_start_app(env.topo, env.broker, 2, settings);
  tk_wait_consumed(app, 2 * (M / 2), 60000);
  tk_stop(app);
  produce(bs, ev + M / 2, M - M / 2, -1);
  app = tk_start_app(env.topo, env.broker, 2, settings);
  tk_wait_consumed(app, 2 * (M - M / 2), 60000);
  /* only once everything is in: a sentinel overtaking records of another partition
   * would make them late */
  produce(bs, ev + M, USERS, -1);
  tk_wait_consumed(app, 2 * (M - M / 2 + USERS), 60000);
  tk_stop(app);
  check_finals(bs, &x, 10000);
  tk_env_close(&env);
  EDDY_ASSERT_NO_LEAKS();
}
