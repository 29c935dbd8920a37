/*
 * Model tests of the aggregate operator: random records (fixed seeds) with
 * out-of-order and late ones, driven straight into the operator over
 * memory or RocksDB stores, compared with a plain reference written here:
 * every emitted window value, in both emit modes, tumbling, hopping and
 * unwindowed, and across a restart of the operator over its stores.
 */
#include <math.h>

#include "dsl/dsl.h"
#include "eddy_test.h"
#include "operators/aggregate.h"
#include "serde/codec.h"
#include "serde/serde.h"
#include "test_model.h"
#include "test_rng.h"

#define NAMES 6
static const char *const names[NAMES] = {"ant", "bee", "cat", "dog", "eel", "fox"};

#define TOPOLOGY(window, emit)                                                            \
  "stream s from \"s\" format json\n"                                                     \
  "  schema (k int, v decimal(10,2), name string, at timestamp(3)) event-time at\n"       \
  "s | group by k " window "\n"                                                           \
  "  | aggregate n = count(), nv = count(v), total = sum(v), mean = avg(v), lo = min(v),\n" \
  "      hi = max(v), sd = stddev(v), first_name = first(name), last_name = last(name),\n" \
  "      names = count_distinct(name), top = argmax(name, v), heavy = top(name, abs(v))\n" \
  "  " emit " | to stdout\n"

/* ---- the input --------------------------------------------------------------- */

typedef struct {
  int64_t key, ts, cents;
  bool null_v;
  int name;
} rec_t;

#define T0 ((int64_t)1700000000000000)

/* Mostly increasing times; some out of order within a few seconds, some far behind. */
static void gen(rec_t *r, int n, int keys, uint64_t seed) {
  rng = seed;
  int64_t now = T0;
  for (int i = 0; i < n; i++) {
    now += (int64_t)rnd(600) * EDDY_MSEC;
    int64_t t = now;
    uint64_t dice = rnd(100);
    if (dice < 12)
      t -= (int64_t)rnd(6000) * EDDY_MSEC;
    else if (dice < 15)
      t -= (20 + (int64_t)rnd(20)) * EDDY_SEC;
    r[i] = (rec_t){.key = (int64_t)rnd((uint64_t)keys), .ts = t,
                   .null_v = rnd(20) == 0, .cents = (int64_t)rnd(100000) - 20000,
                   .name = (int)rnd(NAMES)};
  }
}

/* ---- the reference ------------------------------------------------------------ */

typedef struct {
  int64_t key, start;
  int64_t n, nv, sum, lo, hi, max_ts;
  long double s1, s2;       /* sum and sum of squares of v (in units) */
  int64_t first_ts, last_ts;
  int first, last;          /* name index, -1 none */
  unsigned names;           /* bit set */
  int64_t top_v;
  int top;                  /* -1 none */
  int64_t weight[NAMES];    /* top(name, abs(v)): sum of |v| per name, in cents */
  bool weighed[NAMES];
  bool dirty;
  int finals;
} ref_t;

typedef struct {
  ref_t *w;
  int cnt, cap;
  int64_t size, advance, grace; /* size 0: unwindowed */
  int64_t late;
} model_t;

static ref_t *ref_find(model_t *m, int64_t key, int64_t start, bool create) {
  for (int i = 0; i < m->cnt; i++)
    if (m->w[i].key == key && m->w[i].start == start)
      return &m->w[i];
  if (!create)
    return NULL;
  if (m->cnt == m->cap)
    m->w = realloc(m->w, (size_t)(m->cap = m->cap ? m->cap * 2 : 256) * sizeof(ref_t));
  ref_t *r = &m->w[m->cnt++];
  *r = (ref_t){.key = key, .start = start, .first = -1, .last = -1, .top = -1};
  return r;
}

static void ref_fold(ref_t *r, const rec_t *x) {
  r->n++;
  r->dirty = true;
  if (r->n == 1 || x->ts > r->max_ts)
    r->max_ts = x->ts;
  if (!x->null_v) {
    long double v = (long double)x->cents / 100;
    r->nv++;
    r->sum += x->cents;
    r->s1 += v;
    r->s2 += v * v;
    if (r->nv == 1 || x->cents < r->lo)
      r->lo = x->cents;
    if (r->nv == 1 || x->cents > r->hi)
      r->hi = x->cents;
    r->weight[x->name] += x->cents < 0 ? -x->cents : x->cents;
    r->weighed[x->name] = true;
    if (r->top < 0 || x->cents > r->top_v || (x->cents == r->top_v && x->name < r->top)) {
      r->top_v = x->cents;
      r->top = x->name;
    }
  }
  if (r->first < 0 || x->ts < r->first_ts || (x->ts == r->first_ts && x->name < r->first)) {
    r->first_ts = x->ts;
    r->first = x->name;
  }
  if (r->last < 0 || x->ts > r->last_ts || (x->ts == r->last_ts && x->name < r->last)) {
    r->last_ts = x->ts;
    r->last = x->name;
  }
  r->names |= 1u << x->name;
}

static int64_t floor_divide(int64_t a, int64_t b) { return a / b - (a % b != 0 && a < 0); }

/* The windows of \p x in the model, with the reference's own arithmetic. */
static void ref_process(model_t *m, const rec_t *x, int64_t stream_time) {
  if (m->size == 0) {
    ref_fold(ref_find(m, x->key, 0, true), x);
    return;
  }
  bool late = false;
  int64_t first = floor_divide(x->ts - m->size, m->advance) * m->advance;
  for (int64_t s = first; s <= x->ts; s += m->advance) {
    if (!(s <= x->ts && x->ts < s + m->size))
      continue;
    if (s + m->size + m->grace <= stream_time)
      late = true;
    else
      ref_fold(ref_find(m, x->key, s, true), x);
  }
  m->late += late;
}

/* ---- what the operator emitted ----------------------------------------------- */

typedef struct {
  int64_t key, start, end, ts;
  int64_t stream_time, prev_stream_time;
  eddy_row_t row;
} out_t;

typedef struct {
  out_t *o;
  int cnt, cap;
  int64_t stream_time, prev_stream_time;
  int64_t late_seen;
  eddy_arena_t *arena;
} sink_t;

static int on_emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  (void)err;
  sink_t *s = opaque;
  if (s->cnt == s->cap)
    s->o = realloc(s->o, (size_t)(s->cap = s->cap ? s->cap * 2 : 256) * sizeof(out_t));
  out_t *o = &s->o[s->cnt++];
  o->row = *row;
  o->key = row->vals[0].u.i;
  o->start = row->layout->cnt > 13 ? row->vals[1].u.i : 0;
  o->end = row->layout->cnt > 13 ? row->vals[2].u.i : 0;
  o->ts = row->ts;
  o->stream_time = s->stream_time;
  o->prev_stream_time = s->prev_stream_time;
  return 0;
}

static int on_late(void *opaque, const eddy_row_t *row, uint32_t missed, uint32_t windows,
                   int64_t stream_time, eddy_error_t **err) {
  (void)row, (void)err;
  sink_t *s = opaque;
  ASSERT_TRUE(missed >= 1 && missed <= windows);
  ASSERT_EQ(s->stream_time, stream_time);
  s->late_seen++;
  return 0;
}

static void compare(const out_t *o, const ref_t *r) {
  const eddy_row_t *row = &o->row;
  ASSERT_EQ(r->n, tm_col(row, "n")->u.i);
  ASSERT_EQ(r->nv, tm_col(row, "nv")->u.i);
  tm_expect_cents(tm_col(row, "total"), r->nv > 0, r->sum);
  tm_expect_cents(tm_col(row, "lo"), r->nv > 0, r->lo);
  tm_expect_cents(tm_col(row, "hi"), r->nv > 0, r->hi);
  const eddy_value_t *mean = tm_col(row, "mean");
  if (r->nv == 0) {
    ASSERT_EQ(EDDY_T_NULL, mean->kind);
  } else {
    ASSERT_EQ(6, mean->scale);
    ASSERT_EQ(tm_avg6(r->sum, r->nv), (int64_t)mean->u.dec);
  }
  const eddy_value_t *sd = tm_col(row, "sd");
  if (r->nv < 2) {
    ASSERT_EQ(EDDY_T_NULL, sd->kind);
  } else {
    long double var = (r->s2 - r->s1 * r->s1 / r->nv) / (r->nv - 1);
    double want = (double)sqrtl(var < 0 ? 0 : var);
    ASSERT_DBL_EQ(want, sd->u.d, 1e-6 * (1 + want));
  }
  tm_expect_name(names, tm_col(row, "first_name"), r->first);
  tm_expect_name(names, tm_col(row, "last_name"), r->last);
  tm_expect_name(names, tm_col(row, "top"), r->top);
  int heavy = -1;   /* the largest total weight; ties to the smaller name (names are sorted) */
  for (int i = 0; i < NAMES; i++)
    if (r->weighed[i] && (heavy < 0 || r->weight[i] > r->weight[heavy]))
      heavy = i;
  tm_expect_name(names, tm_col(row, "heavy"), heavy);
  int distinct = 0;
  for (int i = 0; i < NAMES; i++)
    distinct += (r->names >> i) & 1;
  ASSERT_EQ(distinct, tm_col(row, "names")->u.i);
  ASSERT_EQ(r->max_ts, o->ts);
}

/* ---- the harness ----------------------------------------------------------------- */

typedef struct {
  const char *topology;
  eddy_store_backend_t backend;
  int records, keys, commit_every;
  uint64_t seed;
  int restart_at;           /* -1: none */
} run_t;

typedef struct {
  const run_t *run;
  eddy_topology_t *topo;
  const eddy_plan_t *plan;
  const eddy_plan_node_t *node;
  const eddy_plan_group_t *g;
  char *dir;
  eddy_state_env_t *env;
  eddy_store_t *store, *distinct;
  eddy_agg_t *agg;
  sink_t sink;
  model_t model;
  int checked_upto;         /* emit changes: outputs already compared */
  uint64_t late_before;     /* counted by operators before a restart */
} harness_t;

static eddy_store_t *open_store(harness_t *h, uint32_t idx) {
  eddy_store_conf_t c;
  tm_store_conf(&c, &h->plan->stores[idx], h->run->backend);
  eddy_store_t *st = NULL;
  eddy_error_t *err = NULL;
  if (eddy_store_open(&st, h->env, &c, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "open: %s", eddy_error_msg(err));
  return st;
}

static void open_stores(harness_t *h) {
  h->store = open_store(h, h->node->u.aggregate.store);
  h->distinct = h->g->has_distinct ? open_store(h, h->node->u.aggregate.distinct_store) : NULL;
}

static void open_operator(harness_t *h) {
  eddy_agg_conf_t conf = {.node = h->node, .store = h->store, .distinct = h->distinct,
                          .emit = on_emit, .late = on_late, .opaque = &h->sink,
                          .arena = h->sink.arena};
  eddy_error_t *err = NULL;
  if (eddy_agg_new(&h->agg, &conf, NULL, NULL, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "agg: %s", eddy_error_msg(err));
}

static void close_stores(harness_t *h) {
  eddy_store_close(h->store);
  eddy_store_close(h->distinct);
}

/* A restart: the operator goes, and with RocksDB its stores are closed and reopened too
 * (memory stores would start empty: the runtime restores them from their changelogs). */
static void restart(harness_t *h) {
  eddy_agg_stats_t stats;
  eddy_agg_stats(h->agg, &stats);
  h->late_before += stats.late;
  eddy_agg_destroy(h->agg);
  if (h->run->backend == EDDY_STORE_ROCKSDB) {
    close_stores(h);
    open_stores(h);
  }
  open_operator(h);
}

static void setup(harness_t *h, const run_t *run) {
  memset(h, 0, sizeof(*h));
  h->run = run;
  h->node = tm_compile(&h->topo, run->topology, EDDY_NODE_AGGREGATE);
  h->plan = eddy_topology_plan(h->topo);
  h->g = h->node->u.aggregate.group;
  h->model.size = h->g->windowed ? h->g->size : 0;
  h->model.advance = h->g->advance;
  h->model.grace = h->g->grace;
  h->sink.arena = eddy_arena_new(1 << 20);
  if (run->backend == EDDY_STORE_ROCKSDB)
    h->env = ts_env_new(&h->dir, "agg", 16 << 20);
  open_stores(h);
  open_operator(h);
}

static void teardown(harness_t *h) {
  eddy_agg_destroy(h->agg);
  close_stores(h);
  ts_env_destroy(h->env, h->dir);
  eddy_arena_destroy(h->sink.arena);
  free(h->sink.o);
  free(h->model.w);
  eddy_topology_destroy(h->topo);
}

/* emit changes: what a flush emitted is exactly the windows updated since the last one. */
static void check_changes(harness_t *h) {
  int dirty = 0;
  for (int i = 0; i < h->model.cnt; i++)
    dirty += h->model.w[i].dirty;
  ASSERT_EQ(dirty, h->sink.cnt - h->checked_upto);
  for (int i = h->checked_upto; i < h->sink.cnt; i++) {
    const out_t *o = &h->sink.o[i];
    ref_t *r = ref_find(&h->model, o->key, o->start, false);
    ASSERT_TRUE(r != NULL && r->dirty);
    compare(o, r);
    r->dirty = false;
  }
  h->checked_upto = h->sink.cnt;
}

static void commit(harness_t *h, int64_t stream_time) {
  eddy_error_t *err = NULL;
  if (eddy_agg_flush(h->agg, stream_time, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "flush: %s", eddy_error_msg(err));
  ASSERT_OK(eddy_store_commit(h->store, EDDY_OFFSET_NONE, NULL));
  if (h->distinct != NULL)
    ASSERT_OK(eddy_store_commit(h->distinct, EDDY_OFFSET_NONE, NULL));
  if (!h->g->emit_final)
    check_changes(h);
}

static void feed(harness_t *h, const rec_t *x, int64_t stream_time, eddy_arena_t *arena) {
  const eddy_fields_t *part = h->node->in;
  eddy_value_t *vals = eddy_arena_calloc(arena, part->cnt, sizeof(eddy_value_t));
  int32_t slot_v = h->g->aggs[1].arg, slot_name = h->g->aggs[7].arg;
  int32_t slot_w = h->g->aggs[11].arg2;   /* heavy = top(name, abs(v)): abs(v) */
  vals[0] = eddy_int(x->key);
  vals[slot_v] = x->null_v ? eddy_null() : eddy_decimal(x->cents, 2);
  vals[slot_w] = x->null_v ? eddy_null() : eddy_decimal(x->cents < 0 ? -x->cents : x->cents, 2);
  vals[slot_name] = eddy_string(names[x->name], strlen(names[x->name]));
  vals[part->cnt - 1] = eddy_timestamp(x->ts);
  eddy_row_t row = {.layout = part, .vals = vals, .key = vals[0], .ts = x->ts};
  eddy_error_t *err = NULL;
  if (eddy_agg_process(h->agg, &row, stream_time, &err) != 0 ||
      eddy_agg_advance(h->agg, stream_time, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "process: %s", eddy_error_msg(err));
}

/* emit final: one result per window, emitted by the record that closed it. */
static void check_finals(harness_t *h) {
  int windows = 0;
  for (int i = 0; i < h->model.cnt; i++)
    windows += h->model.w[i].n > 0;
  ASSERT_EQ(windows, h->sink.cnt);
  for (int i = 0; i < h->sink.cnt; i++) {
    const out_t *o = &h->sink.o[i];
    ref_t *r = ref_find(&h->model, o->key, o->start, false);
    ASSERT_TRUE(r != NULL);
    ASSERT_EQ(0, r->finals++);
    ASSERT_EQ(o->start + h->g->size, o->end);
    int64_t close = o->end + h->g->grace;
    ASSERT_TRUE(o->prev_stream_time < close && close <= o->stream_time);
    compare(o, r);
  }
}

static void run(const run_t *run) {
  harness_t h;
  setup(&h, run);
  rec_t *recs = calloc((size_t)run->records, sizeof(rec_t));
  gen(recs, run->records, run->keys, run->seed);
  eddy_arena_t *rows = eddy_arena_new(1 << 16);
  int64_t st = INT64_MIN;
  for (int i = 0; i < run->records; i++) {
    h.sink.prev_stream_time = st;
    st = recs[i].ts > st ? recs[i].ts : st;
    h.sink.stream_time = st;
    ref_process(&h.model, &recs[i], st);
    feed(&h, &recs[i], st, rows);
    if ((i + 1) % run->commit_every == 0)
      commit(&h, st);
    if (i == run->restart_at) {
      commit(&h, st);
      restart(&h);
      if (h.g->windowed)
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
  ASSERT_TRUE(h.model.late > 0 || h.model.size == 0);
  if (run->restart_at < 0)
    ASSERT_EQ(h.sink.cnt, (int64_t)stats.emitted);
  eddy_arena_destroy(rows);
  free(recs);
  teardown(&h);
}

EDDY_TEST(tumbling_emit_final_matches_reference) {
  run_t r = {TOPOLOGY("| window tumbling 10s grace 3s", "| emit final"), EDDY_STORE_MEMORY,
             3000, 12, 50, 0x1234567, -1};
  run(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(tumbling_emit_changes_matches_reference) {
  run_t r = {TOPOLOGY("| window tumbling 10s grace 3s", "| emit changes"), EDDY_STORE_MEMORY,
             3000, 12, 37, 0xabcdef1, -1};
  run(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(hopping_emit_final_matches_reference) {
  run_t r = {TOPOLOGY("| window hopping 10s advance 4s grace 2s", "| emit final"),
             EDDY_STORE_MEMORY, 3000, 7, 41, 0x5555, -1};
  run(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(hopping_emit_changes_matches_reference) {
  run_t r = {TOPOLOGY("| window hopping 10s advance 5s", "| emit changes"), EDDY_STORE_MEMORY,
             2000, 9, 23, 0x777, -1};
  run(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(unwindowed_emit_changes_matches_reference) {
  run_t r = {TOPOLOGY("", ""), EDDY_STORE_MEMORY, 3000, 15, 29, 0x99, -1};
  run(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(rocksdb_restart_keeps_stream_time_and_emitted_windows) {
  run_t r = {TOPOLOGY("| window tumbling 10s grace 3s", "| emit final"), EDDY_STORE_ROCKSDB,
             3000, 12, 50, 0x2468, 1499};
  run(&r);
  run_t c = {TOPOLOGY("| window hopping 10s advance 5s grace 1s", "| emit changes"),
             EDDY_STORE_ROCKSDB, 2000, 12, 31, 0x1357, 999};
  run(&c);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(memory_restart_of_the_operator) {
  run_t r = {TOPOLOGY("| window hopping 10s advance 4s grace 3s", "| emit final"),
             EDDY_STORE_MEMORY, 2000, 5, 17, 0x31337, 700};
  run(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(codec_round_trips_and_normalizes) {
  eddy_value_t in[] = {
      eddy_null(), eddy_bool(true), eddy_int(-5), eddy_int(INT64_MAX), eddy_timestamp(T0),
      eddy_decimal(-12345, 2), eddy_double(-0.0), eddy_double(2.5), eddy_string("caf\xc3\xa9", 5),
      eddy_string(NULL, 0), eddy_bytes((const uint8_t *)"\0\1", 2),
  };
  size_t n = sizeof(in) / sizeof(in[0]);
  eddy_buf_t b = {0};
  for (size_t i = 0; i < n; i++)
    ASSERT_OK(eddy_codec_put(&b, &in[i]));
  const uint8_t *p = (const uint8_t *)b.p, *end = p + b.len;
  for (size_t i = 0; i < n; i++) {
    eddy_value_t v;
    ASSERT_OK(eddy_codec_get(&p, end, &v));
    ASSERT_EQ(in[i].kind, v.kind);
    ASSERT_EQ(0, eddy_value_cmp(&in[i], &v));
  }
  ASSERT_TRUE(p == end);
  eddy_value_t v;
  const uint8_t *q = (const uint8_t *)b.p;
  ASSERT_EQ(EDDY_EDECODE, eddy_codec_get(&q, q, &v));      /* nothing left */
  q = (const uint8_t *)b.p + b.len - 3;                     /* cut inside the bytes */
  ASSERT_EQ(EDDY_EDECODE, eddy_codec_get(&q, (const uint8_t *)b.p + b.len - 1, &v));
  eddy_buf_free(&b);
  /* one column type, one encoding: 1.5 and 1.50 in a decimal(10,2) column */
  eddy_type_t t = eddy_type_decimal(10, 2);
  eddy_value_t a = eddy_decimal(15, 1), c = eddy_decimal(150, 2);
  ASSERT_OK(eddy_codec_normalize(&a, &t));
  ASSERT_OK(eddy_codec_normalize(&c, &t));
  eddy_buf_t ea = {0}, ec = {0};
  ASSERT_OK(eddy_codec_put(&ea, &a));
  ASSERT_OK(eddy_codec_put(&ec, &c));
  ASSERT_TRUE(ea.len == ec.len && memcmp(ea.p, ec.p, ea.len) == 0);
  eddy_buf_free(&ea);
  eddy_buf_free(&ec);
  eddy_value_t arr = {.kind = EDDY_T_ARRAY};
  ASSERT_EQ(EDDY_EINVAL, eddy_codec_put(&b, &arr));
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

/* The repartition row survives its trip through the internal topic, in the binary row
 * encoding the plan picks for scalars and in JSON (rows with arrays or structs), for every
 * type a group column or an aggregate argument can have, and @rowtime keeps its
 * microseconds. */
EDDY_TEST(repartition_rows_round_trip_through_both_encodings) {
  static const char *text =
      "stream s from \"s\" format json schema (b bool, i int, d decimal(12,3), f double,\n"
      "  s string, y bytes, t timestamp)\n"
      "s | group by b, i, d, f, s, y, t\n"
      "  | aggregate n = count(), lo = min(d), first_s = first(s) | to stdout\n";
  eddy_topology_t *topo = NULL;
  const eddy_plan_node_t *rep = tm_compile(&topo, text, EDDY_NODE_REPARTITION);
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  const eddy_plan_source_t *in = &plan->sources[rep->u.repartition.source];
  ASSERT_EQ(8, rep->out->cnt);   /* the arguments are group columns already */
  static const uint8_t raw[] = {0, 1, 0xfe, 0xff};
  eddy_value_t rows[][8] = {
      {eddy_bool(true), eddy_int(INT64_MIN), eddy_decimal(-123456, 3), eddy_double(-0.1),
       eddy_string("caf\xc3\xa9 \"quoted\" \\ \n\t\x01", 19), eddy_bytes(raw, 4),
       eddy_timestamp(T0 + 123), eddy_int(T0 + 123)},
      {eddy_bool(false), eddy_int(INT64_MAX), eddy_decimal(999999999999, 3),
       eddy_double(1e300), eddy_string("", 0), eddy_bytes(NULL, 0), eddy_timestamp(-1),
       eddy_int(-1)},
      {eddy_null(), eddy_null(), eddy_null(), eddy_null(), eddy_null(), eddy_null(),
       eddy_null(), eddy_int(0)},
      {eddy_null(), eddy_null(), eddy_null(), eddy_double(NAN), eddy_null(), eddy_null(),
       eddy_null(), eddy_int(0)},
      {eddy_null(), eddy_null(), eddy_null(), eddy_double(-INFINITY), eddy_null(), eddy_null(),
       eddy_null(), eddy_int(0)},
  };
  ASSERT_EQ(EDDY_FMT_ROW, in->decode.format);
  eddy_decode_spec_t as_json = in->decode;
  as_json.format = EDDY_FMT_JSON;
  eddy_decoder_t *dec[2] = {NULL, NULL};
  ASSERT_OK(eddy_decoder_new(&dec[0], &in->decode, NULL));
  ASSERT_OK(eddy_decoder_new(&dec[1], &as_json, NULL));
  eddy_arena_t *arena = eddy_arena_new(4096);
  for (int json = 0; json < 2; json++)
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
      eddy_row_t row = {.layout = rep->out, .vals = rows[r]};
      eddy_buf_t b = {0};
      ASSERT_OK(json ? eddy_encode_json(&row, &b) : eddy_codec_put_row(&b, rows[r], 8));
      eddy_value_t back[8];
      eddy_error_t *err = NULL;
      if (eddy_decoder_decode(dec[json], b.p, b.len, back, arena, &err) != 0)
        eddy_test_fail(__FILE__, __LINE__, "row %zu (%s): %s", r, json ? "json" : "binary",
                       eddy_error_msg(err));
      for (int i = 0; i < 7; i++) {
        if (eddy_value_cmp(&rows[r][i], &back[i]) != 0)
          eddy_test_fail(__FILE__, __LINE__, "row %zu column %d differs (%s)", r, i,
                         json ? "json" : "binary");
      }
      ASSERT_EQ(EDDY_T_TIMESTAMP, back[7].kind);
      ASSERT_EQ(rows[r][7].u.i, back[7].u.i);
      eddy_buf_free(&b);
    }
  /* a damaged binary row is a decode error naming what is wrong, never a crash */
  eddy_buf_t b = {0};
  ASSERT_OK(eddy_codec_put_row(&b, rows[0], 8));
  eddy_value_t back[8];
  const struct {
    size_t len;
    const char *says;
  } cut[] = {{b.len - 1, "column 7"}, {1, "column 0"}, {b.len, NULL}};
  for (size_t k = 0; k < sizeof(cut) / sizeof(cut[0]); k++) {
    eddy_error_t *err = NULL;
    int rc = eddy_decoder_decode(dec[0], b.p, cut[k].len, back, arena, &err);
    if (cut[k].says == NULL) {
      ASSERT_OK(rc);
      continue;
    }
    ASSERT_EQ(EDDY_EDECODE, rc);
    ASSERT_TRUE(strstr(eddy_error_msg(err), cut[k].says) != NULL);
    eddy_error_destroy(err);
  }
  ASSERT_OK(eddy_buf_append(&b, "x", 1));   /* a byte too many */
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EDECODE, eddy_decoder_decode(dec[0], b.p, b.len, back, arena, &err));
  ASSERT_TRUE(strstr(eddy_error_msg(err), "1 trailing byte(s) after its 8 columns") != NULL);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_EDECODE, eddy_decoder_decode(dec[0], "{}", 2, back, arena, &err));
  ASSERT_TRUE(strstr(eddy_error_msg(err), "not an eddy internal row") != NULL);
  eddy_error_destroy(err);
  eddy_buf_free(&b);
  eddy_arena_destroy(arena);
  eddy_decoder_destroy(dec[0]);
  eddy_decoder_destroy(dec[1]);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}
