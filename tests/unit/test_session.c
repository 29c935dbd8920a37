/*
 * Model tests of session windows: random records (fixed seeds) with
 * out-of-order and late ones, driven straight into the aggregate operator
 * over memory or RocksDB session stores, compared with a reference written
 * here from docs/dsl.md's rules:
 *
 *   - a record at t joins (and merges) every session of its key with
 *     start - gap <= t <= end + gap;
 *   - it is late when t < stream time - grace;
 *   - a session closes when stream time > end + gap + grace.
 *
 * emit changes: the rows and tombstones are applied in order to a map keyed
 * by (key, start, end), and to one keyed by (key, start) as a PostgreSQL
 * table keyed by (key, window_start) would be (which loses a row if a
 * retraction came after its replacement); after each commit both equal the
 * reference's sessions, values included. A tombstone must retract a row
 * that went out. emit final: each session exactly once, emitted by the
 * record that closed it, with its values. Also across a restart of the
 * operator over its stores, and with a tiny cache that evicts between
 * commits.
 */
#include <math.h>

#include "dsl/dsl.h"
#include "eddy_test.h"
#include "operators/aggregate.h"
#include "test_model.h"

#define NAMES 5
static const char *const names[NAMES] = {"ant", "bee", "cat", "dog", "eel"};
#define GAP (5 * EDDY_SEC)
#define GRACE (2 * EDDY_SEC)
#define T0 ((int64_t)1700000000000000)

#define TOPOLOGY(emit)                                                                      \
  "stream s from \"s\" format json\n"                                                       \
  "  schema (k int, v decimal(10,2), name string, at timestamp(3)) event-time at\n"         \
  "s | group by k | window session gap 5s grace 2s\n"                                       \
  "  | aggregate n = count(), nv = count(v), total = sum(v), mean = avg(v), lo = min(v),\n" \
  "      hi = max(v), sd = stddev(v), first_name = first(name), last_name = last(name),\n"   \
  "      top = argmax(name, v)\n"                                                           \
  "  | emit " emit " | to stdout\n"

/* ---- the input ---------------------------------------------------------------------- */

typedef struct {
  int64_t key, ts, cents;
  bool null_v;
  int name;
} rec_t;

static uint64_t rng;
static uint64_t rnd(uint64_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng % n;
}

/* Mostly increasing; some a little behind (within grace or just past it), some far behind.
 * Now and then a planned bridge on a key of its own: A, then B 5.2 to 6.4 s later, then C
 * 1.5 s before B, within the gap of both, so that C merges the two sessions. */
static void gen(rec_t *r, int n, int keys, uint64_t seed) {
  uint64_t step_ms = 12000 / (uint64_t)keys;   /* a key every ~6 s */
  rng = seed;
  int64_t now = T0, b_due = INT64_MAX, b_ts = 0, bridge_key = 1000;
  for (int i = 0; i < n; i++) {
    now += (int64_t)rnd(step_ms) * EDDY_MSEC;
    int64_t t = now, key = (int64_t)rnd((uint64_t)keys);
    uint64_t dice = rnd(100);
    if (b_ts != 0) {
      key = bridge_key++, t = b_ts - 1500 * EDDY_MSEC, b_ts = 0;   /* C */
    } else if (now >= b_due) {
      key = bridge_key, b_ts = now, b_due = INT64_MAX;              /* B */
    } else if (dice < 6 && b_due == INT64_MAX) {
      key = bridge_key, b_due = now + (5200 + (int64_t)rnd(1200)) * EDDY_MSEC;   /* A */
    } else if (dice < 40) {
      t -= (int64_t)rnd(3000) * EDDY_MSEC;
    } else if (dice < 43) {
      t -= (10 + (int64_t)rnd(20)) * EDDY_SEC;
    }
    r[i] = (rec_t){.key = key, .ts = t, .null_v = rnd(15) == 0,
                   .cents = (int64_t)rnd(100000) - 20000, .name = (int)rnd(NAMES)};
  }
}

/* ---- the reference -------------------------------------------------------------------- */

typedef struct {
  int64_t key, start, end;
  int *recs;
  int rec_cnt, rec_cap;
  bool live;       /* not merged away */
  int finals;      /* emit final: results seen */
} ref_t;

typedef struct {
  ref_t *s;
  int cnt, cap;
  int64_t late, merges;
} model_t;

static void push_rec(ref_t *r, int i) {
  if (r->rec_cnt == r->rec_cap)
    r->recs = realloc(r->recs, (size_t)(r->rec_cap = r->rec_cap ? 2 * r->rec_cap : 8) * sizeof(int));
  r->recs[r->rec_cnt++] = i;
}

static void ref_process(model_t *m, const rec_t *recs, int i, int64_t stream_time) {
  const rec_t *x = &recs[i];
  if (x->ts < stream_time - GRACE) {
    m->late++;
    return;
  }
  int into = -1, touched = 0;
  for (int j = 0; j < m->cnt; j++) {
    ref_t *r = &m->s[j];
    if (!r->live || r->key != x->key || !(r->start - GAP <= x->ts && x->ts <= r->end + GAP))
      continue;
    ASSERT_TRUE(stream_time <= r->end + GAP + GRACE);   /* never a closed one */
    touched++;
    if (into < 0) {
      into = j;
      continue;
    }
    ref_t *t = &m->s[into];
    for (int k = 0; k < r->rec_cnt; k++)
      push_rec(t, r->recs[k]);
    t->start = r->start < t->start ? r->start : t->start;
    t->end = r->end > t->end ? r->end : t->end;
    r->live = false;
  }
  m->merges += touched > 1;
  if (into < 0) {
    if (m->cnt == m->cap)
      m->s = realloc(m->s, (size_t)(m->cap = m->cap ? 2 * m->cap : 256) * sizeof(ref_t));
    m->s[m->cnt] = (ref_t){.key = x->key, .start = x->ts, .end = x->ts, .live = true};
    into = m->cnt++;
  }
  ref_t *t = &m->s[into];
  push_rec(t, i);
  t->start = x->ts < t->start ? x->ts : t->start;
  t->end = x->ts > t->end ? x->ts : t->end;
}

static ref_t *ref_find(model_t *m, int64_t key, int64_t start, int64_t end) {
  for (int j = 0; j < m->cnt; j++)
    if (m->s[j].live && m->s[j].key == key && m->s[j].start == start && m->s[j].end == end)
      return &m->s[j];
  return NULL;
}

/* ---- comparing a row with a reference session ------------------------------------------ */

static void compare(const eddy_row_t *row, const ref_t *r, const rec_t *recs) {
  int64_t nv = 0, sum = 0, lo = 0, hi = 0, max_ts = INT64_MIN, first_ts = 0, last_ts = 0;
  long double s1 = 0, s2 = 0;
  int first = -1, last = -1, top = -1;
  int64_t top_v = 0;
  for (int k = 0; k < r->rec_cnt; k++) {
    const rec_t *x = &recs[r->recs[k]];
    max_ts = x->ts > max_ts ? x->ts : max_ts;
    if (first < 0 || x->ts < first_ts || (x->ts == first_ts && x->name < first))
      first_ts = x->ts, first = x->name;
    if (last < 0 || x->ts > last_ts || (x->ts == last_ts && x->name < last))
      last_ts = x->ts, last = x->name;
    if (x->null_v)
      continue;
    long double v = (long double)x->cents / 100;
    lo = nv == 0 || x->cents < lo ? x->cents : lo;
    hi = nv == 0 || x->cents > hi ? x->cents : hi;
    if (top < 0 || x->cents > top_v || (x->cents == top_v && x->name < top))
      top_v = x->cents, top = x->name;
    nv++, sum += x->cents, s1 += v, s2 += v * v;
  }
  ASSERT_EQ(EDDY_T_STRUCT, row->key.kind);
  ASSERT_EQ(3, row->key.len);
  ASSERT_EQ(r->key, row->key.u.items[0].u.i);
  ASSERT_EQ(r->start, row->key.u.items[1].u.i);
  ASSERT_EQ(r->end, row->key.u.items[2].u.i);
  ASSERT_EQ(r->start, tm_col(row, "window_start")->u.i);
  ASSERT_EQ(r->end, tm_col(row, "window_end")->u.i);
  ASSERT_EQ(r->rec_cnt, tm_col(row, "n")->u.i);
  ASSERT_EQ(nv, tm_col(row, "nv")->u.i);
  tm_expect_cents(tm_col(row, "total"), nv > 0, sum);
  tm_expect_cents(tm_col(row, "lo"), nv > 0, lo);
  tm_expect_cents(tm_col(row, "hi"), nv > 0, hi);
  const eddy_value_t *mean = tm_col(row, "mean");
  if (nv == 0)
    ASSERT_EQ(EDDY_T_NULL, mean->kind);
  else
    ASSERT_EQ(tm_avg6(sum, nv), (int64_t)mean->u.dec);
  const eddy_value_t *sd = tm_col(row, "sd");
  if (nv < 2) {
    ASSERT_EQ(EDDY_T_NULL, sd->kind);
  } else {
    long double var = (s2 - s1 * s1 / nv) / (nv - 1);
    double want = (double)sqrtl(var < 0 ? 0 : var);
    ASSERT_DBL_EQ(want, sd->u.d, 1e-6 * (1 + want));
  }
  tm_expect_name(names, tm_col(row, "first_name"), first);
  tm_expect_name(names, tm_col(row, "last_name"), last);
  tm_expect_name(names, tm_col(row, "top"), top);
  ASSERT_EQ(max_ts, row->ts);
  ASSERT_FALSE(row->tombstone);
}

/* ---- what the operator emitted ----------------------------------------------------------- */

typedef struct {
  int64_t key, start, end;
  eddy_row_t row;     /* in the sink's arena */
} out_t;

/* emit changes: rows applied to a map by (key, start, end) and to one by (key, start). */
typedef struct {
  out_t *o;
  int cnt, cap;
} outmap_t;

typedef struct {
  outmap_t by_session, by_start;
  out_t *finals;
  int final_cnt, final_cap;
  int64_t stream_time, prev_stream_time;
  int64_t late_seen, tombstones;
  eddy_arena_t *arena;
  bool emit_final;
} sink_t;

static int map_find(const outmap_t *m, int64_t key, int64_t start, int64_t end, bool by_start) {
  for (int i = 0; i < m->cnt; i++)
    if (m->o[i].key == key && m->o[i].start == start && (by_start || m->o[i].end == end))
      return i;
  return -1;
}

static void map_put(outmap_t *m, const out_t *o, bool by_start) {
  int i = map_find(m, o->key, o->start, o->end, by_start);
  if (i < 0) {
    if (m->cnt == m->cap)
      m->o = realloc(m->o, (size_t)(m->cap = m->cap ? 2 * m->cap : 256) * sizeof(out_t));
    i = m->cnt++;
  }
  m->o[i] = *o;
}

static void map_delete(outmap_t *m, const out_t *o, bool by_start) {
  int i = map_find(m, o->key, o->start, o->end, by_start);
  if (i >= 0)
    m->o[i] = m->o[--m->cnt];
}

static int on_emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  (void)err;
  sink_t *s = opaque;
  out_t o = {.key = row->vals[0].u.i, .start = row->vals[1].u.i, .end = row->vals[2].u.i,
             .row = *row};
  if (s->emit_final) {
    ASSERT_FALSE(row->tombstone);
    if (s->final_cnt == s->final_cap)
      s->finals = realloc(s->finals,
                          (size_t)(s->final_cap = s->final_cap ? 2 * s->final_cap : 256) *
                              sizeof(out_t));
    /* emitted by the advance that closed it */
    int64_t close = o.end + GAP + GRACE;
    ASSERT_TRUE(s->prev_stream_time <= close && close < s->stream_time);
    s->finals[s->final_cnt++] = o;
    return 0;
  }
  if (row->tombstone) {
    /* only a row that went out is retracted; the tombstone names it */
    ASSERT_TRUE(map_find(&s->by_session, o.key, o.start, o.end, false) >= 0);
    ASSERT_EQ(EDDY_T_STRUCT, row->key.kind);
    ASSERT_EQ(o.end, row->key.u.items[2].u.i);
    ASSERT_EQ(EDDY_T_NULL, tm_col(row, "n")->kind);
    s->tombstones++;
    map_delete(&s->by_session, &o, false);
    map_delete(&s->by_start, &o, true);
    return 0;
  }
  map_put(&s->by_session, &o, false);
  map_put(&s->by_start, &o, true);
  return 0;
}

static int on_late(void *opaque, const eddy_row_t *row, uint32_t missed, uint32_t windows,
                   int64_t stream_time, eddy_error_t **err) {
  (void)row, (void)err;
  sink_t *s = opaque;
  ASSERT_EQ(1, missed);
  ASSERT_EQ(1, windows);
  ASSERT_EQ(s->stream_time, stream_time);
  s->late_seen++;
  return 0;
}

/* ---- the harness ---------------------------------------------------------------------------- */

typedef struct {
  const char *topology;
  eddy_store_backend_t backend;
  int records, keys, commit_every;
  uint64_t seed;
  int restart_at;         /* -1: none */
  int64_t cache_bytes;    /* -1: default */
} run_t;

typedef struct {
  const run_t *run;
  eddy_topology_t *topo;
  const eddy_plan_node_t *node;
  const eddy_plan_group_t *g;
  const eddy_plan_store_t *ps;
  char *dir;
  eddy_state_env_t *env;
  eddy_store_t *store;
  eddy_agg_t *agg;
  sink_t sink;
  model_t model;
  uint64_t late_before, emitted_before;
  const rec_t *recs;
} harness_t;

static void print_diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  fprintf(stderr, "%s\n", d->message);
}

static void open_store(harness_t *h) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = h->ps->name;
  c.kind = EDDY_STORE_SESSION;
  c.backend = h->run->backend;
  c.app = "t";
  c.task = "1_0";
  c.retention = h->ps->retention;
  c.cache_max_bytes = h->run->cache_bytes;
  eddy_error_t *err = NULL;
  if (eddy_store_open(&h->store, h->env, &c, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "open: %s", eddy_error_msg(err));
}

static void open_operator(harness_t *h) {
  eddy_agg_conf_t conf = {.node = h->node, .store = h->store, .emit = on_emit, .late = on_late,
                          .opaque = &h->sink, .arena = h->sink.arena};
  eddy_error_t *err = NULL;
  if (eddy_agg_new(&h->agg, &conf, NULL, NULL, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "agg: %s", eddy_error_msg(err));
}

static void setup(harness_t *h, const run_t *run) {
  memset(h, 0, sizeof(*h));
  h->run = run;
  ASSERT_OK(eddy_topology_compile(&h->topo, "t.eddy", run->topology, strlen(run->topology),
                                  print_diag, NULL));
  const eddy_plan_t *plan = eddy_topology_plan(h->topo);
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_AGGREGATE)
      h->node = plan->nodes[i];
  h->g = h->node->u.aggregate.group;
  ASSERT_TRUE(h->g->session);
  ASSERT_EQ(GAP, h->g->gap);
  ASSERT_EQ(GRACE, h->g->grace);
  h->ps = &plan->stores[h->node->u.aggregate.store];
  ASSERT_EQ(EDDY_PLAN_STORE_SESSION, h->ps->kind);
  ASSERT_EQ(GAP + GRACE, h->ps->retention);
  h->sink.arena = eddy_arena_new(1 << 20);
  h->sink.emit_final = h->g->emit_final;
  if (run->backend == EDDY_STORE_ROCKSDB) {
    h->dir = eddy_test_tmpdir("session");
    eddy_state_conf_t sc;
    eddy_state_conf_init(&sc);
    sc.dir = h->dir;
    sc.memory_bytes = 16 << 20;
    ASSERT_OK(eddy_state_env_new(&h->env, &sc, NULL));
  }
  open_store(h);
  open_operator(h);
}

static void teardown(harness_t *h) {
  eddy_agg_destroy(h->agg);
  eddy_store_close(h->store);
  eddy_state_env_destroy(h->env);
  if (h->dir != NULL) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
    ASSERT_OK(system(cmd));
    free(h->dir);
  }
  eddy_arena_destroy(h->sink.arena);
  free(h->sink.by_session.o);
  free(h->sink.by_start.o);
  free(h->sink.finals);
  for (int i = 0; i < h->model.cnt; i++)
    free(h->model.s[i].recs);
  free(h->model.s);
  eddy_topology_destroy(h->topo);
}

/* A restart: the operator goes, and with RocksDB its store is closed and reopened too. */
static void restart(harness_t *h) {
  eddy_agg_stats_t stats;
  eddy_agg_stats(h->agg, &stats);
  h->late_before += stats.late;
  h->emitted_before += stats.emitted;
  eddy_agg_destroy(h->agg);
  if (h->run->backend == EDDY_STORE_ROCKSDB) {
    eddy_store_close(h->store);
    open_store(h);
  }
  open_operator(h);
}

/* emit changes, after a commit: both maps hold exactly the live sessions, with their values. */
static void check_changes(harness_t *h) {
  int live = 0;
  for (int i = 0; i < h->model.cnt; i++)
    live += h->model.s[i].live;
  ASSERT_EQ(live, h->sink.by_session.cnt);
  ASSERT_EQ(live, h->sink.by_start.cnt);
  for (int pass = 0; pass < 2; pass++) {
    const outmap_t *m = pass == 0 ? &h->sink.by_session : &h->sink.by_start;
    for (int i = 0; i < m->cnt; i++) {
      const out_t *o = &m->o[i];
      ref_t *r = ref_find(&h->model, o->key, o->start, o->end);
      if (r == NULL)
        eddy_test_fail(__FILE__, __LINE__, "stale session %lld [%lld, %lld] downstream",
                       (long long)o->key, (long long)o->start, (long long)o->end);
      compare(&o->row, r, h->recs);
    }
  }
}

static void commit(harness_t *h, int64_t stream_time) {
  eddy_error_t *err = NULL;
  if (eddy_agg_flush(h->agg, stream_time, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "flush: %s", eddy_error_msg(err));
  ASSERT_OK(eddy_store_commit(h->store, EDDY_OFFSET_NONE, NULL));
  if (!h->g->emit_final)
    check_changes(h);
}

static void feed(harness_t *h, const rec_t *x, int64_t stream_time, eddy_arena_t *arena) {
  const eddy_fields_t *part = h->node->in;
  eddy_value_t *vals = eddy_arena_calloc(arena, part->cnt, sizeof(eddy_value_t));
  int32_t slot_v = h->g->aggs[1].arg, slot_name = h->g->aggs[7].arg;
  vals[0] = eddy_int(x->key);
  vals[slot_v] = x->null_v ? eddy_null() : eddy_decimal(x->cents, 2);
  vals[slot_name] = eddy_string(names[x->name], strlen(names[x->name]));
  vals[part->cnt - 1] = eddy_timestamp(x->ts);
  eddy_row_t row = {.layout = part, .vals = vals, .key = vals[0], .ts = x->ts};
  eddy_error_t *err = NULL;
  if (eddy_agg_process(h->agg, &row, stream_time, &err) != 0 ||
      eddy_agg_advance(h->agg, stream_time, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "process: %s", eddy_error_msg(err));
}

/* emit final: every session exactly once, with its values. */
static void check_finals(harness_t *h) {
  int sessions = 0;
  for (int i = 0; i < h->model.cnt; i++)
    sessions += h->model.s[i].live;
  ASSERT_EQ(sessions, h->sink.final_cnt);
  for (int i = 0; i < h->sink.final_cnt; i++) {
    const out_t *o = &h->sink.finals[i];
    ref_t *r = ref_find(&h->model, o->key, o->start, o->end);
    ASSERT_TRUE(r != NULL);
    ASSERT_EQ(0, r->finals++);
    compare(&o->row, r, h->recs);
  }
}

static void run(const run_t *run) {
  harness_t h;
  setup(&h, run);
  rec_t *recs = calloc((size_t)run->records, sizeof(rec_t));
  gen(recs, run->records, run->keys, run->seed);
  h.recs = recs;
  eddy_arena_t *rows = eddy_arena_new(1 << 16);
  int64_t st = INT64_MIN;
  for (int i = 0; i < run->records; i++) {
    h.sink.prev_stream_time = st;
    st = recs[i].ts > st ? recs[i].ts : st;
    h.sink.stream_time = st;
    ref_process(&h.model, recs, i, st);
    feed(&h, &recs[i], st, rows);
    if ((i + 1) % run->commit_every == 0)
      commit(&h, st);
    if (i == run->restart_at) {
      commit(&h, st);
      restart(&h);
      ASSERT_EQ(st, eddy_agg_stream_time(h.agg));
    }
    if (i % 64 == 0)
      eddy_arena_reset(rows);
  }
  h.sink.prev_stream_time = st;
  h.sink.stream_time = st + EDDY_HOUR;
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_agg_advance(h.agg, st + EDDY_HOUR, &err));
  commit(&h, st + EDDY_HOUR);
  if (h.g->emit_final)
    check_finals(&h);
  eddy_agg_stats_t stats;
  eddy_agg_stats(h.agg, &stats);
  ASSERT_EQ(h.model.late, (int64_t)(stats.late + h.late_before));
  ASSERT_EQ(h.model.late, h.sink.late_seen);
  ASSERT_TRUE(h.model.late > 0);
  ASSERT_TRUE(h.model.merges > 0);   /* bridging records did happen */
  ASSERT_TRUE(h.g->emit_final || h.sink.tombstones > 0);
  fprintf(stderr, "  %d records: %d sessions, %lld merges, %lld late, %lld retractions, "
          "%llu rows\n", run->records, h.model.cnt, (long long)h.model.merges,
          (long long)h.model.late, (long long)h.sink.tombstones,
          (unsigned long long)(stats.emitted + h.emitted_before));
  eddy_arena_destroy(rows);
  free(recs);
  teardown(&h);
}

static const uint64_t seeds[] = {0x1234567, 0xabcdef1, 0x5555, 0x31337};

EDDY_TEST(session_emit_final_matches_reference) {
  for (int i = 0; i < 4; i++) {
    run_t r = {TOPOLOGY("final"), EDDY_STORE_MEMORY, 3000, 6, 40 + i, seeds[i], -1, -1};
    run(&r);
  }
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(session_emit_changes_matches_reference) {
  for (int i = 0; i < 4; i++) {
    run_t r = {TOPOLOGY("changes"), EDDY_STORE_MEMORY, 3000, 6, 23 + 7 * i, seeds[i], -1, -1};
    run(&r);
  }
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(session_emit_changes_with_evictions_between_commits) {
  for (int i = 0; i < 2; i++) {
    run_t r = {TOPOLOGY("changes"), EDDY_STORE_MEMORY, 2000, 8, 97, seeds[i] ^ 0xfeed, -1, 512};
    run(&r);
  }
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(session_rocksdb_restart_mid_stream) {
  run_t f = {TOPOLOGY("final"), EDDY_STORE_ROCKSDB, 3000, 6, 50, 0x2468, 1499, -1};
  run(&f);
  run_t c = {TOPOLOGY("changes"), EDDY_STORE_ROCKSDB, 3000, 6, 31, 0x1357, 1700, -1};
  run(&c);
  run_t e = {TOPOLOGY("changes"), EDDY_STORE_ROCKSDB, 2000, 6, 61, 0x97531, 999, 1024};
  run(&e);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(session_memory_restart_of_the_operator) {
  run_t f = {TOPOLOGY("final"), EDDY_STORE_MEMORY, 2000, 5, 17, 0x777, 700, -1};
  run(&f);
  run_t c = {TOPOLOGY("changes"), EDDY_STORE_MEMORY, 2000, 5, 19, 0x999, 1200, -1};
  run(&c);
  EDDY_ASSERT_NO_LEAKS();
}

/* A record that bridges two sessions merges them; under emit changes both old rows are
 * retracted before the merged row goes out; a late record is counted, not folded in. */
EDDY_TEST(session_bridge_retracts_both_parts) {
  run_t r = {TOPOLOGY("changes"), EDDY_STORE_MEMORY, 0, 1, 1, 1, -1, -1};
  harness_t h;
  setup(&h, &r);
  rec_t recs[] = {
      {.key = 7, .ts = T0, .cents = 100, .name = 0},
      {.key = 7, .ts = T0 + 7 * EDDY_SEC, .cents = 200, .name = 1},
      /* 5 s after the first, 2 s before the second, not before stream time - grace: joins both */
      {.key = 7, .ts = T0 + 5 * EDDY_SEC, .cents = 300, .name = 2},
      {.key = 7, .ts = T0 + 20 * EDDY_SEC, .cents = 1, .name = 3},
      {.key = 7, .ts = T0 + 17 * EDDY_SEC, .cents = 2, .name = 4},    /* 20 - 2 > 17: late */
  };
  h.recs = recs;
  eddy_arena_t *rows = eddy_arena_new(4096);
  int64_t st = INT64_MIN;
  int64_t tombs[] = {0, 0, 2, 2, 2};
  for (int i = 0; i < 5; i++) {
    st = recs[i].ts > st ? recs[i].ts : st;
    h.sink.stream_time = st;
    ref_process(&h.model, recs, i, st);
    feed(&h, &recs[i], st, rows);
    commit(&h, st);
    ASSERT_EQ(tombs[i], h.sink.tombstones);
  }
  ASSERT_EQ(1, h.model.late);
  ASSERT_EQ(1, h.sink.late_seen);
  ASSERT_EQ(2, h.sink.by_session.cnt);   /* [0 s, 7 s] and [20 s, 20 s] */
  int at = map_find(&h.sink.by_session, 7, T0, T0 + 7 * EDDY_SEC, false);
  ASSERT_TRUE(at >= 0);
  const out_t *o = &h.sink.by_session.o[at];
  ASSERT_EQ(3, tm_col(&o->row, "n")->u.i);
  tm_expect_cents(tm_col(&o->row, "total"), true, 600);
  eddy_arena_destroy(rows);
  teardown(&h);
  EDDY_ASSERT_NO_LEAKS();
}
