/*
 * Model tests of tables and joins: random table updates, deletes and
 * stream records (fixed seeds, out-of-order timestamps, null keys) driven
 * straight into the join operator over memory or RocksDB stores, compared
 * with a reference written here: a map per table and the documented rules
 * (docs/dsl.md, "Tables and joins"). Covers inner and left stream-table
 * joins and inner, left and outer table-table joins, with restarts.
 */
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "eddy_test.h"
#include "operators/join.h"
#include "test_model.h"
#include "test_rng.h"

#define KEYS 30
#define T0 ((int64_t)1700000000000000)

typedef struct {
  bool has;
  int64_t a, b;    /* the row's two values */
} ref_row_t;

/* what the operator emitted */
typedef struct {
  bool tombstone;
  int64_t key, ts;
  eddy_value_t vals[16];
  uint32_t cnt;
} out_t;

typedef struct {
  out_t o[256];
  int cnt;
} sink_t;

static int on_emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  (void)err;
  sink_t *s = opaque;
  ASSERT_TRUE(s->cnt < 256);
  out_t *o = &s->o[s->cnt++];
  o->tombstone = row->tombstone;
  o->key = row->key.kind == EDDY_T_INT ? row->key.u.i : -1;
  o->ts = row->ts;
  o->cnt = row->layout->cnt;
  ASSERT_TRUE(o->cnt <= 16);
  memcpy(o->vals, row->vals, o->cnt * sizeof(eddy_value_t));
  return 0;
}

typedef struct {
  eddy_topology_t *topo;
  const eddy_plan_t *plan;
  const eddy_plan_node_t *join;
  eddy_store_backend_t backend;
  char *dir;
  eddy_state_env_t *env;
  eddy_store_t *store[2];          /* left (table-table), right */
  eddy_decoder_t *decoder[2];
  eddy_join_t *j;
  eddy_arena_t *arena;
  sink_t sink;
  eddy_buf_t key, value;
} harness_t;

static eddy_store_t *open_store(harness_t *h, const eddy_plan_node_t *table) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = h->plan->stores[table->u.table.store].name;
  c.backend = h->backend;
  c.app = "t";
  c.task = "1_0";
  eddy_store_t *st = NULL;
  eddy_error_t *err = NULL;
  if (eddy_store_open(&st, h->env, &c, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "open: %s", eddy_error_msg(err));
  return st;
}

static const eddy_plan_node_t *side_table(const harness_t *h, int side) {
  const eddy_plan_join_t *jp = h->join->u.join;
  return side == 0 ? jp->left_table : jp->right_table;
}

static bool windowed(const harness_t *h) {
  return h->join->u.join->shape == EDDY_JOIN_STREAM_STREAM;
}

/* Stream-stream: the window stores and the decoders of the sides' repartition rows. */
static void open_windowed(harness_t *h, eddy_join_conf_t *conf) {
  const eddy_plan_join_t *jp = h->join->u.join;
  for (int side = 0; side < 2; side++) {
    const eddy_plan_store_t *ps = &h->plan->stores[side == 0 ? jp->left_store : jp->right_store];
    if (h->store[side] == NULL) {
      eddy_store_conf_t c;
      eddy_store_conf_init(&c);
      c.name = ps->name;
      c.kind = EDDY_STORE_WINDOW;
      c.backend = h->backend;
      c.app = "t";
      c.task = "1_0";
      c.retention = ps->retention;
      ASSERT_OK(eddy_store_open(&h->store[side], h->env, &c, NULL));
    }
    const eddy_plan_node_t *src = side == 0 ? jp->left_source : jp->right_source;
    if (h->decoder[side] == NULL)
      ASSERT_OK(eddy_decoder_new(&h->decoder[side],
                                 &h->plan->sources[src->u.source.source].decode, NULL));
    eddy_join_table_t *jt = side == 0 ? &conf->left : &conf->right;
    *jt = (eddy_join_table_t){.store = h->store[side], .decoder = h->decoder[side]};
  }
}

static void open_all(harness_t *h) {
  eddy_join_conf_t conf = {.node = h->join, .emit = on_emit, .opaque = &h->sink,
                           .arena = h->arena};
  if (windowed(h))
    open_windowed(h, &conf);
  for (int side = 0; side < 2 && !windowed(h); side++) {
    const eddy_plan_node_t *t = side_table(h, side);
    if (t == NULL)
      continue;
    if (h->store[side] == NULL)
      h->store[side] = open_store(h, t);
    eddy_join_table_t *jt = side == 0 ? &conf.left : &conf.right;
    *jt = (eddy_join_table_t){.store = h->store[side], .decoder = h->decoder[side], .table = t};
  }
  ASSERT_OK(eddy_join_new(&h->j, &conf, NULL));
}

static void setup(harness_t *h, const char *topology, eddy_store_backend_t backend) {
  memset(h, 0, sizeof(*h));
  h->backend = backend;
  h->join = tm_compile(&h->topo, topology, EDDY_NODE_JOIN);
  h->plan = eddy_topology_plan(h->topo);
  for (int side = 0; side < 2 && !windowed(h); side++) {
    const eddy_plan_node_t *t = side_table(h, side);
    if (t != NULL)
      ASSERT_OK(eddy_decoder_new(&h->decoder[side], &h->plan->sources[t->u.table.source].decode,
                                 NULL));
  }
  h->arena = eddy_arena_new(1 << 20);
  if (backend == EDDY_STORE_ROCKSDB)
    h->env = ts_env_new(&h->dir, "join", 16 << 20);
  open_all(h);
}

/* A restart: commit, close everything, reopen (RocksDB keeps the tables). */
static void restart(harness_t *h) {
  if (windowed(h))
    ASSERT_OK(eddy_join_window_flush(h->j, INT64_MIN, NULL));
  eddy_join_destroy(h->j);
  for (int side = 0; side < 2; side++) {
    if (h->store[side] == NULL)
      continue;
    if (!windowed(h))
      ASSERT_OK(eddy_store_flush(h->store[side], NULL));
    ASSERT_OK(eddy_store_commit(h->store[side], EDDY_OFFSET_NONE, NULL));
    if (h->backend == EDDY_STORE_ROCKSDB) {
      eddy_store_close(h->store[side]);
      h->store[side] = NULL;
    }
  }
  open_all(h);
}

static void teardown(harness_t *h) {
  eddy_join_destroy(h->j);
  for (int side = 0; side < 2; side++) {
    eddy_store_close(h->store[side]);
    eddy_decoder_destroy(h->decoder[side]);
  }
  ts_env_destroy(h->env, h->dir);
  eddy_buf_free(&h->key);
  eddy_buf_free(&h->value);
  eddy_arena_destroy(h->arena);
  eddy_topology_destroy(h->topo);
}

/* ---- table updates ------------------------------------------------------------ */

/* The repartition row a table stores: @jk, @f0 (id), @f1, @f2, @rowtime, as JSON. */
static void table_value(harness_t *h, int64_t k, int64_t a, int64_t b, int64_t ts) {
  eddy_buf_clear(&h->value);
  ASSERT_OK(eddy_buf_printf(&h->value, "{\"@jk\":%lld,\"@f0\":%lld,\"@f1\":%lld,\"@f2\":%lld,"
                            "\"@rowtime\":%lld}", (long long)k, (long long)k, (long long)a,
                            (long long)b, (long long)ts));
}

static void store_key(harness_t *h, int64_t k) {
  eddy_value_t v = eddy_int(k);
  eddy_type_t t = eddy_type(EDDY_T_INT);
  ASSERT_OK(eddy_join_key(&v, &t, false, &h->key));
}

/* Update (or delete) side \p side's row \p k, as the TABLE node does. */
static void table_update(harness_t *h, int side, int64_t k, const ref_row_t *r, int64_t ts) {
  store_key(h, k);
  eddy_slice_t key = eddy_slice(h->key.p, h->key.len), value;
  eddy_value_t *vals = NULL;
  if (r->has) {
    table_value(h, k, r->a, r->b, ts);
    value = eddy_slice(h->value.p, h->value.len);
    vals = eddy_arena_calloc(h->arena, 5, sizeof(eddy_value_t));
    vals[0] = vals[1] = eddy_int(k);
    vals[2] = eddy_int(r->a);
    vals[3] = eddy_int(r->b);
    vals[4] = eddy_timestamp(ts);
  }
  bool had_old;
  ASSERT_OK(eddy_table_apply(h->store[side], key, r->has ? &value : NULL, &had_old, NULL));
  ASSERT_OK(eddy_join_table_changed(h->j, side == 0, key, vals, had_old, ts, NULL));
}

static void expect_int(const eddy_value_t *v, bool has, int64_t x) {
  if (!has) {
    ASSERT_EQ(EDDY_T_NULL, v->kind);
    return;
  }
  ASSERT_EQ(EDDY_T_INT, v->kind);
  ASSERT_EQ(x, v->u.i);
}

/* ---- stream-table --------------------------------------------------------------- */

#define STREAM_TABLE(kind)                                                          \
  "table products from \"p\" format json schema (id int, cat int, price int) key id\n" \
  "stream items from \"i\" format json schema (id int, pid int, qty int)\n"          \
  "items | " kind " products on pid | to stdout\n"

static void run_stream_table(const char *topology, bool left, eddy_store_backend_t backend,
                             uint64_t seed) {
  harness_t h;
  setup(&h, topology, backend);
  static ref_row_t table[KEYS];
  memset(table, 0, sizeof(table));
  rng = seed;
  int64_t now = T0;
  int emitted = 0, since_restart = 0;
  for (int i = 0; i < 20000; i++) {
    eddy_arena_reset(h.arena);
    h.sink.cnt = 0;
    now += (int64_t)rnd(1000) * EDDY_MSEC;
    int64_t ts = rnd(10) == 0 ? now - (int64_t)rnd(60) * EDDY_SEC : now;   /* out of order */
    int64_t k = (int64_t)rnd(KEYS);
    uint64_t dice = rnd(100);
    if (dice < 25) {
      table[k] = (ref_row_t){.has = true, .a = (int64_t)rnd(1000), .b = (int64_t)rnd(1000)};
      table_update(&h, 1, k, &table[k], ts);
      ASSERT_EQ(0, h.sink.cnt);   /* a table update emits nothing */
      continue;
    }
    if (dice < 32) {
      table[k].has = false;
      table_update(&h, 1, k, &table[k], ts);
      ASSERT_EQ(0, h.sink.cnt);
      continue;
    }
    if (dice == 99) {
      restart(&h);
      since_restart = 0;
      continue;
    }
    /* a stream record: @jk (= pid), @f0 id, @f1 pid, @f2 qty, @rowtime */
    bool null_key = rnd(20) == 0;
    const eddy_fields_t *in = h.join->in;
    eddy_value_t *vals = eddy_arena_calloc(h.arena, in->cnt, sizeof(eddy_value_t));
    vals[0] = vals[2] = null_key ? eddy_null() : eddy_int(k);
    vals[1] = eddy_int(i);
    vals[3] = eddy_int((int64_t)rnd(9));
    vals[4] = eddy_timestamp(ts);
    eddy_row_t row = {.layout = in, .vals = vals, .key = vals[0], .ts = ts};
    ASSERT_OK(eddy_join_stream(h.j, &row, NULL));
    bool match = !null_key && table[k].has;
    ASSERT_EQ(match || left ? 1 : 0, h.sink.cnt);
    if (h.sink.cnt == 0)
      continue;
    emitted++;
    since_restart++;
    const out_t *o = &h.sink.o[0];
    ASSERT_TRUE(!o->tombstone);
    ASSERT_EQ(ts, o->ts);
    ASSERT_EQ(6u, o->cnt);   /* items.id, items.pid, items.qty, products.id, .cat, .price */
    expect_int(&o->vals[0], true, i);
    expect_int(&o->vals[1], !null_key, k);
    expect_int(&o->vals[2], true, vals[3].u.i);
    expect_int(&o->vals[3], match, k);
    expect_int(&o->vals[4], match, table[k].a);
    expect_int(&o->vals[5], match, table[k].b);
  }
  ASSERT_TRUE(emitted > 1000);
  eddy_join_stats_t st;
  eddy_join_stats(h.j, &st);
  ASSERT_EQ((uint64_t)since_restart, st.emitted);
  teardown(&h);
}

EDDY_TEST(stream_table_inner_join_matches_reference) {
  run_stream_table(STREAM_TABLE("join"), false, EDDY_STORE_MEMORY, 0x1111);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(stream_table_left_join_matches_reference) {
  run_stream_table(STREAM_TABLE("left join"), true, EDDY_STORE_MEMORY, 0x2222);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(stream_table_left_join_over_rocksdb_with_restarts) {
  run_stream_table(STREAM_TABLE("left join"), true, EDDY_STORE_ROCKSDB, 0x3333);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- table-table ---------------------------------------------------------------- */

#define TABLE_TABLE(kind)                                                           \
  "table a from \"a\" format json schema (id int, x int, y int) key id\n"           \
  "table b from \"b\" format json schema (id int, u int, v int) key id\n"           \
  "a | " kind " b on key | to stdout\n"

typedef enum { INNER, LEFT, OUTER } kind_t;

/* The reference: does a result exist for a key with these rows? */
static bool exists(kind_t kind, bool a, bool b) {
  return kind == INNER ? a && b : kind == LEFT ? a : a || b;
}

static void run_table_table(const char *topology, kind_t kind, eddy_store_backend_t backend,
                            uint64_t seed) {
  harness_t h;
  setup(&h, topology, backend);
  static ref_row_t t[2][KEYS];
  memset(t, 0, sizeof(t));
  rng = seed;
  int64_t now = T0;
  int rows = 0, deletes = 0;
  for (int i = 0; i < 20000; i++) {
    eddy_arena_reset(h.arena);
    h.sink.cnt = 0;
    now += (int64_t)rnd(1000) * EDDY_MSEC;
    int64_t ts = rnd(10) == 0 ? now - (int64_t)rnd(60) * EDDY_SEC : now;
    int64_t k = (int64_t)rnd(KEYS);
    int side = (int)rnd(2);
    if (rnd(200) == 0) {
      restart(&h);
      continue;
    }
    bool before = exists(kind, t[0][k].has, t[1][k].has);
    if (rnd(4) == 0)
      t[side][k].has = false;
    else
      t[side][k] = (ref_row_t){.has = true, .a = (int64_t)rnd(1000), .b = (int64_t)rnd(1000)};
    table_update(&h, side, k, &t[side][k], ts);
    bool now_exists = exists(kind, t[0][k].has, t[1][k].has);
    if (!now_exists && !before) {
      ASSERT_EQ(0, h.sink.cnt);
      continue;
    }
    ASSERT_EQ(1, h.sink.cnt);
    const out_t *o = &h.sink.o[0];
    ASSERT_EQ(k, o->key);
    ASSERT_EQ(ts, o->ts);
    ASSERT_EQ(!now_exists, o->tombstone);
    deletes += !now_exists;
    rows += now_exists;
    ASSERT_EQ(6u, o->cnt);   /* a.id, a.x, a.y, b.id, b.u, b.v */
    for (int s = 0; s < 2; s++) {
      bool has = now_exists && t[s][k].has;
      expect_int(&o->vals[3 * s], has, k);
      expect_int(&o->vals[3 * s + 1], has, t[s][k].a);
      expect_int(&o->vals[3 * s + 2], has, t[s][k].b);
    }
  }
  ASSERT_TRUE(rows > 1000 && deletes > 100);
  teardown(&h);
}

EDDY_TEST(table_table_inner_join_matches_reference) {
  run_table_table(TABLE_TABLE("join"), INNER, EDDY_STORE_MEMORY, 0x4444);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(table_table_left_join_matches_reference) {
  run_table_table(TABLE_TABLE("left join"), LEFT, EDDY_STORE_MEMORY, 0x5555);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(table_table_outer_join_over_rocksdb_with_restarts) {
  run_table_table(TABLE_TABLE("outer join"), OUTER, EDDY_STORE_ROCKSDB, 0x6666);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(join_keys_encode_like_the_table) {
  eddy_buf_t a = {0}, b = {0};
  eddy_type_t dec = eddy_type(EDDY_T_DECIMAL);
  dec.precision = 10;
  dec.scale = 2;
  eddy_value_t x = eddy_decimal(15, 1), y = eddy_decimal(150, 2), n = eddy_null();
  ASSERT_OK(eddy_join_key(&x, &dec, false, &a));
  ASSERT_OK(eddy_join_key(&y, &dec, false, &b));
  ASSERT_EQ(a.len, b.len);
  ASSERT_TRUE(memcmp(a.p, b.p, a.len) == 0);   /* 1.5 and 1.50 are one key */
  ASSERT_EQ(EDDY_ENOENT, eddy_join_key(&n, &dec, false, &a));
  eddy_value_t s = eddy_string("k1", 2);
  eddy_type_t str = eddy_type(EDDY_T_STRING);
  ASSERT_OK(eddy_join_key(&s, &str, true, &a));
  ASSERT_EQ(2u, a.len);   /* a message-key table: the bytes as they are */
  eddy_buf_free(&a);
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- stream-stream ---------------------------------------------------------------- */

#define STREAM_STREAM(kind)                                                         \
  "stream l from \"l\" format json schema (id int, k int) key k\n"                  \
  "stream r from \"r\" format json schema (id int, k int) key k\n"                  \
  "l | " kind " r on k within 10s grace 3s | to stdout\n"

#define WITHIN (10 * EDDY_SEC)
#define GRACE (3 * EDDY_SEC)
#define RECS 6000

typedef struct {
  int64_t id, k, ts;
  bool left, matched, emitted;
} srec_t;

static srec_t recs[RECS];

/* Expected outputs, as (left id, right id) with -1 for nulls. */
typedef struct {
  int64_t l, r, ts;
} pair_t;

static int cmp_pair(const void *a, const void *b) {
  const pair_t *x = a, *y = b;
  if (x->l != y->l)
    return x->l < y->l ? -1 : 1;
  return x->r < y->r ? -1 : x->r > y->r;
}

static void compare_pairs(pair_t *want, int n_want, const sink_t *sink) {
  static pair_t got[256];
  ASSERT_EQ(n_want, sink->cnt);
  for (int i = 0; i < sink->cnt; i++) {
    const out_t *o = &sink->o[i];
    ASSERT_EQ(4u, o->cnt);   /* l.id, l.k, r.id, r.k */
    got[i] = (pair_t){o->vals[0].kind == EDDY_T_INT ? o->vals[0].u.i : -1,
                      o->vals[2].kind == EDDY_T_INT ? o->vals[2].u.i : -1, o->ts};
  }
  qsort(want, (size_t)n_want, sizeof(pair_t), cmp_pair);
  qsort(got, (size_t)sink->cnt, sizeof(pair_t), cmp_pair);
  for (int i = 0; i < n_want; i++) {
    ASSERT_EQ(want[i].l, got[i].l);
    ASSERT_EQ(want[i].r, got[i].r);
    ASSERT_EQ(want[i].ts, got[i].ts);
  }
}

static void feed_record(harness_t *h, const srec_t *x, int64_t stream_time, int *late) {
  const eddy_plan_join_t *jp = h->join->u.join;
  const eddy_fields_t *part = (x->left ? jp->left_part : jp->right_part)->part;
  eddy_value_t *vals = eddy_arena_calloc(h->arena, part->cnt, sizeof(eddy_value_t));
  vals[0] = vals[2] = eddy_int(x->k);
  vals[1] = eddy_int(x->id);
  vals[3] = eddy_timestamp(x->ts);
  eddy_row_t row = {.layout = part, .vals = vals, .key = vals[0], .ts = x->ts};
  eddy_buf_clear(&h->value);
  ASSERT_OK(eddy_buf_printf(&h->value, "{\"@jk\":%lld,\"@f0\":%lld,\"@f1\":%lld,\"@rowtime\":%lld}",
                            (long long)x->k, (long long)x->id, (long long)x->k,
                            (long long)x->ts));
  int rc = eddy_join_window_record(h->j, x->left, &row, eddy_slice(h->value.p, h->value.len),
                                   stream_time, NULL);
  ASSERT_TRUE(rc == 0 || rc == 1);
  *late += rc == 1;
}

static void run_stream_stream(const char *topology, kind_t kind, eddy_store_backend_t backend,
                              uint64_t seed) {
  harness_t h;
  setup(&h, topology, backend);
  rng = seed;
  int64_t now = T0, st = INT64_MIN;
  int late = 0, want_late = 0, n = 0, pairs = 0, unmatched = 0;
  static pair_t want[256];
  for (int i = 0; i < RECS; i++) {
    eddy_arena_reset(h.arena);
    h.sink.cnt = 0;
    int nw = 0;
    if (rnd(300) == 0)
      restart(&h);
    now += (int64_t)rnd(800) * EDDY_MSEC;
    int64_t ts = now - (rnd(5) == 0 ? (int64_t)rnd(8000) * EDDY_MSEC : 0);   /* out of order */
    srec_t *x = &recs[n];
    *x = (srec_t){.id = i, .k = (int64_t)rnd(8), .ts = ts, .left = rnd(2) == 0};
    st = ts > st ? ts : st;
    feed_record(&h, x, st, &late);
    if (ts + GRACE < st) {
      want_late++;
    } else {
      for (int j = 0; j < n; j++) {
        srec_t *o = &recs[j];
        if (o->left == x->left || o->k != x->k || o->emitted || llabs(o->ts - ts) > WITHIN)
          continue;
        want[nw++] = (pair_t){x->left ? x->id : o->id, x->left ? o->id : x->id,
                              o->ts > ts ? o->ts : ts};
        o->matched = x->matched = true;
      }
      n++;
    }
    ASSERT_OK(eddy_join_window_advance(h.j, st, NULL));
    for (int j = 0; j < n; j++) {   /* windows closed: unmatched records of kept sides */
      srec_t *o = &recs[j];
      bool keep = kind == OUTER || (kind == LEFT && o->left);
      if (o->emitted || o->ts + WITHIN + GRACE >= st)
        continue;
      o->emitted = true;
      if (keep && !o->matched) {
        want[nw++] = (pair_t){o->left ? o->id : -1, o->left ? -1 : o->id, o->ts};
        unmatched++;
      }
    }
    pairs += nw;
    compare_pairs(want, nw, &h.sink);
  }
  ASSERT_EQ(want_late, late);
  ASSERT_TRUE(want_late > 10 && pairs > 1000);
  if (kind != INNER)
    ASSERT_TRUE(unmatched > 50);
  teardown(&h);
}

EDDY_TEST(stream_stream_inner_join_matches_reference) {
  run_stream_stream(STREAM_STREAM("join"), INNER, EDDY_STORE_MEMORY, 0x7777);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(stream_stream_left_join_matches_reference) {
  run_stream_stream(STREAM_STREAM("left join"), LEFT, EDDY_STORE_MEMORY, 0x8888);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(stream_stream_outer_join_over_rocksdb_with_restarts) {
  run_stream_stream(STREAM_STREAM("outer join"), OUTER, EDDY_STORE_ROCKSDB, 0x9999);
  EDDY_ASSERT_NO_LEAKS();
}
