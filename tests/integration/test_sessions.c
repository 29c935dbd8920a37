/*
 * Session windows end to end on the embedded cluster: group by through the
 * repartition topic, `window session gap 5s grace 2s`, emit final and emit
 * changes (with retractions), late records, a restart in the middle of the
 * stream, with and without the state directory. The results are compared
 * with sessions computed here from the records the test produced.
 *
 * The reference: for records that are not late, the sessions of a user are
 * the runs of its records sorted by time in which consecutive times are at
 * most the gap apart (merging as records arrive ends there, whatever the
 * order, since no record reaches a closed session).
 *
 * Lateness depends on the order a task sees records in. The input goes to
 * one partition, so each task sees its records in produce order; an
 * out-of-order record is at most `grace` older than the largest time
 * produced so far (so on time for every task), a late one older than its
 * own user's previous record by more than the grace (so late in any task).
 *
 * emit changes is checked as a compacted topic would keep it: per record key
 * (user, window_start, window_end), the last record wins, and a tombstone may
 * only follow a row of its key; what remains is exactly the sessions, with
 * their values.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "eddy_test.h"
#include "kafka_test.h"

#define USERS 30
#define GAP_MS 5000
#define GRACE_MS 2000
#define T0_MS ((int64_t)1700000000000)

static const char *topology =
    "app itest_sess\n"
    "stream events from \"events\" format json\n"
    "  schema (user int, amount decimal(10,2), at timestamp(3)) event-time at\n"
    "finals = events | group by user | window session gap 5s grace 2s\n"
    "  | aggregate n = count(), total = sum(amount) | emit final\n"
    "finals | to kafka \"finals\"\n"
    "changes = events | group by user | window session gap 5s grace 2s\n"
    "  | aggregate n = count(), total = sum(amount), first_at = min(at) | emit changes\n"
    "changes | to kafka \"changes\"\n";

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
    clock += (int64_t)rnd(600);   /* a user every ~9 s: sessions come and go */
    *e = (event_t){.user = (int)rnd(USERS), .at_ms = clock, .cents = (int64_t)rnd(50000) - 5000};
    uint64_t dice = rnd(100);
    if (dice < 3 && last[e->user] >= 0) {
      e->at_ms = last[e->user] - GRACE_MS - 1 - (int64_t)rnd(8000);
      e->late = true;
      late++;
    } else if (dice < 30) {
      e->at_ms = clock - (int64_t)rnd(GRACE_MS + 1);   /* out of order, on time */
    }
    if (!e->late && e->at_ms > last[e->user])
      last[e->user] = e->at_ms;
  }
  return late;
}

/* One record per user far ahead: closes every session of every task. */
static void sentinels(event_t *ev, int64_t after_ms) {
  for (int u = 0; u < USERS; u++)
    ev[u] = (event_t){.user = u, .at_ms = after_ms + 60000, .cents = 1, .sentinel = true};
}

static void produce(const char *bs, const event_t *ev, int n) {
  rd_kafka_t *p = tk_producer(bs);
  char buf[256], key[16];
  for (int i = 0; i < n; i++) {
    int len = snprintf(buf, sizeof(buf), "{\"user\":%d,\"amount\":%s%" PRId64 ".%02" PRId64
                       ",\"at\":%" PRId64 "}", ev[i].user, ev[i].cents < 0 ? "-" : "",
                       (int64_t)llabs(ev[i].cents) / 100, (int64_t)llabs(ev[i].cents) % 100,
                       ev[i].at_ms);
    snprintf(key, sizeof(key), "%d", i);
    tk_produce(p, "events", 0, key, buf, (size_t)len);
  }
  tk_producer_close(p);
}

/* ---- the expected sessions ------------------------------------------------------------- */

typedef struct {
  int user;
  int64_t start_ms, end_ms, n, cents;
  bool sentinel;
  int finals;
  bool present;          /* emit changes: the compacted view holds it */
} session_t;

typedef struct {
  session_t s[4096];
  int cnt;
} expect_t;

static int cmp_event(const void *a, const void *b) {
  const event_t *x = *(const event_t *const *)a, *y = *(const event_t *const *)b;
  if (x->user != y->user)
    return x->user - y->user;
  return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

static void expect_all(expect_t *x, const event_t *ev, int n) {
  const event_t **sorted = calloc((size_t)n, sizeof(*sorted));
  int m = 0;
  for (int i = 0; i < n; i++)
    if (!ev[i].late)
      sorted[m++] = &ev[i];
  qsort(sorted, (size_t)m, sizeof(*sorted), cmp_event);
  session_t *cur = NULL;
  for (int i = 0; i < m; i++) {
    const event_t *e = sorted[i];
    if (cur == NULL || cur->user != e->user || e->at_ms - cur->end_ms > GAP_MS) {
      ASSERT_TRUE(x->cnt < 4096);
      cur = &x->s[x->cnt++];
      *cur = (session_t){.user = e->user, .start_ms = e->at_ms, .sentinel = e->sentinel};
    }
    cur->end_ms = e->at_ms;
    cur->n++;
    cur->cents += e->cents;
  }
  free(sorted);
}

static session_t *find(expect_t *x, int user, int64_t start_ms, int64_t end_ms) {
  for (int i = 0; i < x->cnt; i++)
    if (x->s[i].user == user && x->s[i].start_ms == start_ms && x->s[i].end_ms == end_ms)
      return &x->s[i];
  return NULL;
}

/* ---- reading the outputs ---------------------------------------------------------------- */

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

static int64_t time_ms(const cJSON *v) {
  ASSERT_TRUE(cJSON_IsString(v));
  int64_t us;
  ASSERT_OK(eddy_timestamp_parse(v->valuestring, strlen(v->valuestring), &us));
  return us / 1000;
}

/* The record key [user, window_start, window_end]. */
typedef struct {
  int user;
  int64_t start_ms, end_ms;
} skey_t;

static skey_t parse_key(const tk_msg_t *m) {
  ASSERT_TRUE(m->key != NULL);
  cJSON *j = cJSON_Parse(m->key);
  if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 3)
    eddy_test_fail(__FILE__, __LINE__, "record key %s is not [user, start, end]", m->key);
  skey_t k = {(int)cJSON_GetArrayItem(j, 0)->valuedouble, time_ms(cJSON_GetArrayItem(j, 1)),
              time_ms(cJSON_GetArrayItem(j, 2))};
  cJSON_Delete(j);
  return k;
}

/* A row's own columns agree with its key; @returns the parsed row (cJSON_Delete it). */
static cJSON *parse_row(const tk_msg_t *m, skey_t k) {
  cJSON *j = cJSON_Parse(m->value);
  ASSERT_TRUE(j != NULL);
  ASSERT_EQ(k.user, json_int(j, "user"));
  ASSERT_EQ(k.start_ms, time_ms(cJSON_GetObjectItemCaseSensitive(j, "window_start")));
  ASSERT_EQ(k.end_ms, time_ms(cJSON_GetObjectItemCaseSensitive(j, "window_end")));
  return j;
}

static void check_finals(const char *bs, expect_t *x) {
  int want = 0;
  for (int i = 0; i < x->cnt; i++)
    want += !x->s[i].sentinel;
  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "finals", want, 20000, &out);
  for (int i = 0; i < cnt; i++) {
    skey_t k = parse_key(&out[i]);
    cJSON *j = parse_row(&out[i], k);
    session_t *s = find(x, k.user, k.start_ms, k.end_ms);
    if (s == NULL || s->sentinel)
      eddy_test_fail(__FILE__, __LINE__, "final result of no session: %s", out[i].value);
    ASSERT_EQ(s->n, json_int(j, "n"));
    ASSERT_EQ(s->cents, json_cents(j, "total"));
    ASSERT_EQ(0, s->finals++);   /* exactly once */
    cJSON_Delete(j);
  }
  ASSERT_EQ(want, cnt);
  tk_msgs_free(out, cnt);
}

/* The compacted view of "changes" (last record per key) is exactly the sessions. */
static void check_changes(const char *bs, expect_t *x) {
  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "changes", 100000, 3000, &out);
  ASSERT_TRUE(cnt > x->cnt);
  int *last = calloc((size_t)cnt, sizeof(int));   /* per message: a later one of its key? */
  int tombstones = 0;
  for (int i = 0; i < cnt; i++) {
    (void)parse_key(&out[i]);
    /* the previous record of this key (the same partition, in order) */
    int prev = -1;
    for (int p = i - 1; p >= 0 && prev < 0; p--)
      if (out[p].partition == out[i].partition && strcmp(out[p].key, out[i].key) == 0)
        prev = p;
    if (out[i].value == NULL) {   /* a retraction follows a row of its key */
      ASSERT_TRUE(prev >= 0 && out[prev].value != NULL);
      tombstones++;
    }
    if (prev >= 0)
      last[prev] = 1;
  }
  ASSERT_TRUE(tombstones > 100);
  int present = 0;
  for (int i = 0; i < cnt; i++) {
    if (last[i] || out[i].value == NULL)
      continue;
    skey_t k = parse_key(&out[i]);
    session_t *s = find(x, k.user, k.start_ms, k.end_ms);
    if (s == NULL)
      eddy_test_fail(__FILE__, __LINE__, "stale session downstream: %s -> %s", out[i].key,
                     out[i].value);
    cJSON *j = parse_row(&out[i], k);
    ASSERT_EQ(s->n, json_int(j, "n"));
    ASSERT_EQ(s->cents, json_cents(j, "total"));
    ASSERT_EQ(s->start_ms, time_ms(cJSON_GetObjectItemCaseSensitive(j, "first_at")));
    ASSERT_FALSE(s->present);
    s->present = true;
    present++;
    cJSON_Delete(j);
  }
  ASSERT_EQ(x->cnt, present);
  fprintf(stderr, "  %d sessions; changes: %d records, %d retractions\n", x->cnt, cnt, tombstones);
  free(last);
  tk_msgs_free(out, cnt);
}

static void check_late(const char *bs, int late) {
  tk_msg_t *out;
  int cnt = tk_consume_all(bs, "late", 2 * late, 10000, &out);
  ASSERT_EQ(2 * late, cnt);
  for (int i = 0; i < cnt; i++) {
    const char *op = tk_header(&out[i], "eddy.late.operator");
    ASSERT_TRUE(strncmp(op, "finals.aggregate-1", 18) == 0 ||
                strncmp(op, "changes.aggregate-1", 19) == 0);
  }
  tk_msgs_free(out, cnt);
}

/* ---- the runs -------------------------------------------------------------------------- */

enum { N = 3000, HALF = 1400 };
static event_t events[N + USERS];

/* Write-through stores: every update goes out at once under emit changes, so sessions
 * that grow or merge are retracted often (with caching, most updates fold between commits). */
static eddy_app_t *start(eddy_topology_t *topo, eddy_broker_t *b, const char *dir,
                         bool write_through) {
  char state[512];
  snprintf(state, sizeof(state), "state.dir=%s", dir);
  const char *settings[] = {state, "late.records.topic=late",
                            write_through ? "state.cache.max.bytes=0" : NULL, NULL};
  return tk_start_app(topo, b, 2, settings);
}

static int late_in(const event_t *ev, int n) {
  int late = 0;
  for (int i = 0; i < n; i++)
    late += ev[i].late;
  return late;
}

/* Half the input, a clean stop, (optionally) the state directory deleted, the rest. */
static void run_with_restart(bool wipe_state) {
  const char *topics[] = {"events", NULL};
  eddy_broker_t *b = tk_broker(topics, 4);
  const char *bs = eddy_broker_bootstrap(b);
  int late = generate(events, N, wipe_state ? 0x5e55 : 0xbeef);
  ASSERT_TRUE(late > 0);
  sentinels(events + N, events[N - 1].at_ms);
  char *dir = eddy_test_tmpdir("sessions");
  eddy_topology_t *topo = tk_compile(topology);

  produce(bs, events, HALF);
  eddy_app_t *app = start(topo, b, dir, true);
  tk_wait_consumed(app, 3 * HALF, 60000);   /* the input and both repartition topics */
  int late_before = late_in(events, HALF);
  ASSERT_EQ(2 * late_before, atomic_load(&eddy_app_counters(app)->late));
  tk_stop(app);
  if (wipe_state) {
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_OK(system(cmd));
  }
  produce(bs, events + HALF, N - HALF + USERS);
  app = start(topo, b, dir, wipe_state);
  tk_wait_consumed(app, 3 * (N - HALF + USERS), 60000);
  ASSERT_EQ(2 * (late - late_before), atomic_load(&eddy_app_counters(app)->late));
  tk_stop(app);

  static expect_t x;
  memset(&x, 0, sizeof(x));
  expect_all(&x, events, N + USERS);
  check_finals(bs, &x);
  check_changes(bs, &x);
  check_late(bs, late);
  eddy_topology_destroy(topo);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ASSERT_OK(system(cmd));
  free(dir);
  eddy_broker_stop(b);
}

EDDY_TEST(sessions_survive_a_restart) {
  run_with_restart(false);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(sessions_survive_a_lost_state_directory) {
  run_with_restart(true);
  EDDY_ASSERT_NO_LEAKS();
}
