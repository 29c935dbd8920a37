/*
 * Model tests of the keyed operators (over, dedupe, changes): random records
 * (fixed seeds) with out-of-order ones, driven straight into the operator
 * over memory or RocksDB stores (with a restart of the operator and its
 * stores mid-stream), compared with plain reference implementations
 * written here from the definitions in docs/dsl.md.
 */
#include <math.h>

#include "dsl/dsl.h"
#include "eddy_test.h"
#include "operators/keyed.h"
#include "test_model.h"
#include "test_rng.h"

#define SCHEMA                                                                  \
  "stream s from \"s\" format json\n"                                          \
  "  schema (k int, v decimal(10,2), at timestamp(3)) event-time at\n"

#define OVER_AGGS                                                                       \
  " | aggregate n = count(), nv = count(v), total = sum(v), lo = min(v), hi = max(v),\n" \
  "     mean = avg(v), sd = stddev(v), fst = first(v), lst = last(v) | to stdout\n"

typedef struct {
  int key;
  int64_t ts, cents;
  bool null_v;
  bool late;        /* reference: over only */
} rec_t;

#define T0 ((int64_t)1700000000000000)

/* Increasing times, with ties, some records up to \p back_ms out of order and
 * (when \p far) a few far behind. */
static void gen(rec_t *r, int n, int keys, uint64_t seed, int64_t back_ms, bool far) {
  rng = seed;
  int64_t now = T0;
  for (int i = 0; i < n; i++) {
    now += (int64_t)rnd(400) * EDDY_MSEC;
    int64_t t = now;
    uint64_t dice = rnd(100);
    if (dice < 15)
      t -= (int64_t)rnd((uint64_t)back_ms) * EDDY_MSEC;
    else if (far && dice < 18)
      t -= (30 + (int64_t)rnd(60)) * EDDY_SEC;
    r[i] = (rec_t){.key = (int)rnd((uint64_t)keys), .ts = t, .null_v = rnd(12) == 0,
                   .cents = (int64_t)rnd(100000) - 30000};
  }
}

/* ---- the harness ---------------------------------------------------------------- */

typedef struct {
  eddy_row_t *rows;
  int cnt, cap;
  int late;
  eddy_arena_t *arena;
} sink_t;

static int on_emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  (void)err;
  sink_t *s = opaque;
  if (s->cnt == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->rows = realloc(s->rows, (size_t)s->cap * sizeof(eddy_row_t));
  }
  eddy_row_t *c = &s->rows[s->cnt++];
  *c = *row;
  c->vals = eddy_arena_calloc(s->arena, row->layout->cnt, sizeof(eddy_value_t));
  for (uint32_t i = 0; i < row->layout->cnt; i++)
    ASSERT_OK(eddy_value_copy(&c->vals[i], &row->vals[i], s->arena));
  return 0;
}

static int on_late(void *opaque, const eddy_row_t *row, int64_t stream_time, eddy_error_t **err) {
  (void)row, (void)stream_time, (void)err;
  ((sink_t *)opaque)->late++;
  return 0;
}

typedef struct {
  eddy_topology_t *topo;
  const eddy_plan_t *plan;
  const eddy_plan_node_t *node;
  eddy_store_backend_t backend;
  char *dir;
  eddy_state_env_t *env;
  eddy_store_t *store;
  eddy_keyed_t *op;
  sink_t sink;
  char keys[64][8];
} harness_t;

static void open_all(harness_t *h) {
  eddy_store_conf_t c;
  tm_store_conf(&c, &h->plan->stores[h->node->u.keyed.store], h->backend);
  eddy_error_t *err = NULL;
  if (eddy_store_open(&h->store, h->env, &c, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "open: %s", eddy_error_msg(err));
  eddy_keyed_conf_t kc = {.node = h->node, .store = h->store, .emit = on_emit, .late = on_late,
                          .opaque = &h->sink, .arena = h->sink.arena};
  if (eddy_keyed_new(&h->op, &kc, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "keyed: %s", eddy_error_msg(err));
}

static void setup(harness_t *h, const char *topology, eddy_node_kind_t kind,
                  eddy_store_backend_t backend) {
  memset(h, 0, sizeof(*h));
  h->backend = backend;
  h->node = tm_compile(&h->topo, topology, kind);
  h->plan = eddy_topology_plan(h->topo);
  ASSERT_TRUE(h->node->u.keyed.spec->rekey == NULL);   /* `over key`: no repartition */
  h->sink.arena = eddy_arena_new(1 << 20);
  for (int i = 0; i < 64; i++)
    snprintf(h->keys[i], sizeof(h->keys[i]), "k%d", i);
  if (backend == EDDY_STORE_ROCKSDB)
    h->env = ts_env_new(&h->dir, "keyed", 16 << 20);
  open_all(h);
}

static void commit(harness_t *h, int64_t stream_time) {
  eddy_error_t *err = NULL;
  if (eddy_keyed_flush(h->op, stream_time, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "flush: %s", eddy_error_msg(err));
  ASSERT_OK(eddy_store_commit(h->store, EDDY_OFFSET_NONE, NULL));
}

/* A restart: with RocksDB the store is closed and reopened (memory stores would start
 * empty: the runtime restores those from their changelogs). */
static void restart(harness_t *h, int64_t stream_time) {
  commit(h, stream_time);
  eddy_keyed_destroy(h->op);
  if (h->backend == EDDY_STORE_ROCKSDB) {
    eddy_store_close(h->store);
    open_all(h);
  } else {
    eddy_keyed_conf_t kc = {.node = h->node, .store = h->store, .emit = on_emit,
                            .late = on_late, .opaque = &h->sink, .arena = h->sink.arena};
    ASSERT_OK(eddy_keyed_new(&h->op, &kc, NULL));
  }
}

static void teardown(harness_t *h) {
  eddy_keyed_destroy(h->op);
  eddy_store_close(h->store);
  ts_env_destroy(h->env, h->dir);
  eddy_arena_destroy(h->sink.arena);
  free(h->sink.rows);
  eddy_topology_destroy(h->topo);
}

static void feed(harness_t *h, const rec_t *x, int64_t stream_time, eddy_arena_t *arena) {
  eddy_value_t *vals = eddy_arena_calloc(arena, 3, sizeof(eddy_value_t));
  vals[0] = eddy_int(x->key);
  vals[1] = x->null_v ? eddy_null() : eddy_decimal(x->cents, 2);
  vals[2] = eddy_timestamp(x->ts);
  const char *key = h->keys[x->key];
  eddy_row_t row = {.layout = h->node->in, .vals = vals, .key = eddy_string(key, strlen(key)),
                    .ts = x->ts};
  eddy_error_t *err = NULL;
  if (eddy_keyed_process(h->op, &row, stream_time, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "process: %s", eddy_error_msg(err));
}

/* Feed every record, committing every \p commit_every and restarting at \p restart_at. */
static void drive(harness_t *h, const rec_t *recs, int n, int commit_every, int restart_at) {
  eddy_arena_t *rows = eddy_arena_new(1 << 16);
  int64_t st = INT64_MIN;
  for (int i = 0; i < n; i++) {
    st = recs[i].ts > st ? recs[i].ts : st;
    feed(h, &recs[i], st, rows);
    if ((i + 1) % commit_every == 0)
      commit(h, st);
    if (i == restart_at)
      restart(h, st);
    if (i % 64 == 0)
      eddy_arena_reset(rows);
  }
  commit(h, st);
  eddy_arena_destroy(rows);
}

/* ---- over: the reference ----------------------------------------------------------- */

typedef struct {
  bool rows;
  int64_t count, range;
  bool exclude;
} over_t;

/* The frame of record i (docs/dsl.md "over"), from every earlier record of its key that was
 * not late: their indexes in (time, arrival) order into frame[]. @returns the count, or -1
 * when record i is late. */
static int ref_frame(const rec_t *r, int i, const over_t *o, int *frame) {
  int kept = 0, at_or_before = 0, total = 0;
  int64_t max_ts = INT64_MIN;
  static int all[20000];
  for (int j = 0; j < i; j++) {
    if (r[j].key != r[i].key || r[j].late)
      continue;
    int at = total++;   /* insertion sort by (ts, arrival) */
    while (at > 0 && r[all[at - 1]].ts > r[j].ts) {
      all[at] = all[at - 1];
      at--;
    }
    all[at] = j;
    if (r[j].ts > max_ts)
      max_ts = r[j].ts;
  }
  if (o->rows) {
    /* retained: the `count` latest; late when fewer than count of them precede it and
     * older ones were dropped */
    int first_kept = total > o->count ? total - (int)o->count : 0;
    for (int j = first_kept; j < total; j++)
      at_or_before += r[all[j]].ts <= r[i].ts;
    if (total > o->count && at_or_before < o->count)
      return -1;
    for (int j = 0; j < total; j++)
      if (r[all[j]].ts <= r[i].ts)
        frame[kept++] = all[j];
    if (kept > o->count) {
      memmove(frame, frame + kept - o->count, (size_t)o->count * sizeof(int));
      kept = (int)o->count;
    }
    return kept;
  }
  if (total > 0 && r[i].ts < max_ts - o->range)
    return -1;
  for (int j = 0; j < total; j++)
    if (r[all[j]].ts <= r[i].ts && r[all[j]].ts >= r[i].ts - o->range)
      frame[kept++] = all[j];
  return kept;
}

static void check_over_row(const rec_t *r, int i, const int *frame, int cnt, const over_t *o,
                           const eddy_row_t *row) {
  int idx[20001], m = 0;
  for (int j = 0; j < cnt; j++)
    idx[m++] = frame[j];
  if (!o->exclude)
    idx[m++] = i;
  int64_t nv = 0, sum = 0, lo = 0, hi = 0, fst = 0, lst = 0, fst_ts = 0, lst_ts = 0;
  long double s1 = 0, s2 = 0;
  for (int j = 0; j < m; j++) {
    const rec_t *x = &r[idx[j]];
    if (x->null_v)
      continue;
    if (nv == 0 || x->cents < lo)
      lo = x->cents;
    if (nv == 0 || x->cents > hi)
      hi = x->cents;
    if (nv == 0 || x->ts < fst_ts || (x->ts == fst_ts && x->cents < fst))
      fst = x->cents, fst_ts = x->ts;
    if (nv == 0 || x->ts > lst_ts || (x->ts == lst_ts && x->cents < lst))
      lst = x->cents, lst_ts = x->ts;
    nv++;
    sum += x->cents;
    s1 += x->cents / 100.0L;
    s2 += (x->cents / 100.0L) * (x->cents / 100.0L);
  }
  ASSERT_EQ(r[i].ts, row->ts);
  ASSERT_EQ(r[i].key, tm_col(row, "k")->u.i);
  ASSERT_EQ(m, tm_col(row, "n")->u.i);
  ASSERT_EQ(nv, tm_col(row, "nv")->u.i);
  tm_expect_cents(tm_col(row, "total"), nv > 0, sum);
  tm_expect_cents(tm_col(row, "lo"), nv > 0, lo);
  tm_expect_cents(tm_col(row, "hi"), nv > 0, hi);
  tm_expect_cents(tm_col(row, "fst"), nv > 0, fst);
  tm_expect_cents(tm_col(row, "lst"), nv > 0, lst);
  const eddy_value_t *mean = tm_col(row, "mean");
  ASSERT_EQ(nv > 0 ? EDDY_T_DECIMAL : EDDY_T_NULL, mean->kind);
  if (nv > 0)
    ASSERT_EQ(tm_avg6(sum, nv), (int64_t)mean->u.dec);
  const eddy_value_t *sd = tm_col(row, "sd");
  ASSERT_EQ(nv > 1 ? EDDY_T_DOUBLE : EDDY_T_NULL, sd->kind);
  if (nv > 1) {
    long double var = (s2 - s1 * s1 / nv) / (nv - 1);
    double want = (double)sqrtl(var < 0 ? 0 : var);
    ASSERT_DBL_EQ(want, sd->u.d, 1e-6 * (1 + want));
  }
}

static void run_over(const char *clause, const over_t *o, eddy_store_backend_t backend, int n,
                     int keys, uint64_t seed, int restart_at) {
  char topology[1024];
  snprintf(topology, sizeof(topology), SCHEMA "s | over key %s%s", clause, OVER_AGGS);
  harness_t h;
  setup(&h, topology, EDDY_NODE_OVER, backend);
  rec_t *recs = calloc((size_t)n, sizeof(rec_t));
  gen(recs, n, keys, seed, o->rows ? 20000 : o->range / EDDY_MSEC, true);
  drive(&h, recs, n, 37, restart_at);
  static int frame[20000];
  int out = 0, late = 0;
  for (int i = 0; i < n; i++) {
    int cnt = ref_frame(recs, i, o, frame);
    if (cnt < 0) {
      recs[i].late = true;
      late++;
      continue;
    }
    ASSERT_TRUE(out < h.sink.cnt);
    check_over_row(recs, i, frame, cnt, o, &h.sink.rows[out++]);
  }
  ASSERT_EQ(out, h.sink.cnt);
  ASSERT_EQ(late, h.sink.late);
  ASSERT_TRUE(late > 0);   /* the far-behind records exercise lateness */
  free(recs);
  teardown(&h);
}

EDDY_TEST(over_rows_matches_reference) {
  over_t o = {.rows = true, .count = 5};
  run_over("rows 5 preceding", &o, EDDY_STORE_MEMORY, 3000, 9, 0x1234, -1);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(over_rows_exclude_current_matches_reference) {
  over_t o = {.rows = true, .count = 4, .exclude = true};
  run_over("rows 4 preceding exclude current", &o, EDDY_STORE_MEMORY, 3000, 7, 0x777, -1);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(over_range_matches_reference) {
  over_t o = {.range = 10 * EDDY_SEC};
  run_over("range 10s preceding", &o, EDDY_STORE_MEMORY, 3000, 6, 0xbeef, -1);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(over_range_exclude_current_matches_reference) {
  over_t o = {.range = 5 * EDDY_SEC, .exclude = true};
  run_over("range 5s preceding exclude current", &o, EDDY_STORE_MEMORY, 2000, 4, 0x42, -1);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(over_survives_a_restart_on_rocksdb) {
  over_t o = {.rows = true, .count = 6};
  run_over("rows 6 preceding", &o, EDDY_STORE_ROCKSDB, 2000, 8, 0x99, 999);
  over_t r = {.range = 8 * EDDY_SEC};
  run_over("range 8s preceding", &r, EDDY_STORE_ROCKSDB, 2000, 5, 0x98, 1200);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- dedupe and changes ------------------------------------------------------------ */

/* dedupe by k within 5s: records at most 4 s out of order, so retention never matters. */
static void run_dedupe(eddy_store_backend_t backend, uint64_t seed, int restart_at) {
  harness_t h;
  setup(&h, SCHEMA "s | dedupe by case when v is null then null else k end within 5s"
                   " | to stdout\n", EDDY_NODE_DEDUPE, backend);
  enum { N = 4000 };
  static rec_t recs[N];
  gen(recs, N, 10, seed, 4000, false);
  drive(&h, recs, N, 29, restart_at);
  int out = 0;
  for (int i = 0; i < N; i++) {
    bool dup = false;   /* an earlier let-through record of the id within 5 s either side */
    for (int j = 0; j < i && !recs[i].null_v; j++)
      dup |= !recs[j].late && !recs[j].null_v && recs[j].key == recs[i].key &&
             llabs(recs[j].ts - recs[i].ts) <= 5 * EDDY_SEC;
    recs[i].late = dup;   /* reused: dropped */
    if (dup)
      continue;
    ASSERT_TRUE(out < h.sink.cnt);
    const eddy_row_t *row = &h.sink.rows[out++];
    ASSERT_EQ(recs[i].ts, row->ts);
    ASSERT_EQ(recs[i].key, row->vals[0].u.i);
    ASSERT_EQ(3u, row->layout->cnt);
  }
  ASSERT_EQ(out, h.sink.cnt);
  ASSERT_TRUE(out < N / 2);   /* the input has many duplicates */
  teardown(&h);
}

EDDY_TEST(dedupe_matches_reference) {
  run_dedupe(EDDY_STORE_MEMORY, 0x5eed, -1);
  run_dedupe(EDDY_STORE_ROCKSDB, 0xfeed, 2100);
  EDDY_ASSERT_NO_LEAKS();
}

/* changes of v per record key (k0..k7): a record goes out when v differs from the last
 * value that went out for its key, null included; the first one of a key always does. */
static void run_changes(eddy_store_backend_t backend, uint64_t seed, int restart_at) {
  harness_t h;
  setup(&h, SCHEMA "s | changes of v | to stdout\n", EDDY_NODE_CHANGES, backend);
  enum { N = 4000 };
  static rec_t recs[N];
  gen(recs, N, 8, seed, 1000, false);
  for (int i = 0; i < N; i++)
    recs[i].cents %= 2;   /* few distinct values: many repeats */
  drive(&h, recs, N, 31, restart_at);
  bool seen[8] = {false}, last_null[8];
  int64_t last[8];
  int out = 0;
  for (int i = 0; i < N; i++) {
    int k = recs[i].key;
    bool same = seen[k] && last_null[k] == recs[i].null_v &&
                (recs[i].null_v || last[k] == recs[i].cents);
    if (same)
      continue;
    seen[k] = true;
    last_null[k] = recs[i].null_v;
    last[k] = recs[i].cents;
    ASSERT_TRUE(out < h.sink.cnt);
    const eddy_row_t *row = &h.sink.rows[out++];
    ASSERT_EQ(recs[i].ts, row->ts);
    ASSERT_EQ(k, row->vals[0].u.i);
    tm_expect_cents(&row->vals[1], !recs[i].null_v, recs[i].cents);
  }
  ASSERT_EQ(out, h.sink.cnt);
  ASSERT_TRUE(out > 0 && out < N * 3 / 4);
  teardown(&h);
}

EDDY_TEST(changes_matches_reference) {
  run_changes(EDDY_STORE_MEMORY, 0xc0ffee, -1);
  run_changes(EDDY_STORE_ROCKSDB, 0xdecaf, 1700);
  EDDY_ASSERT_NO_LEAKS();
}


