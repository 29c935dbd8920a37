/* Window and session stores: fetch by time range against a brute-force
 * reference, retention drop, changelog key format, sessions. */
#include "eddy_test.h"
#include "eddy/store.h"
#include "state/store_int.h"

#include <limits.h>
#include <stdlib.h>

#define SEC ((int64_t)1000000)

static char *dir;
static eddy_state_env_t *env;

static void setup(void) {
  dir = eddy_test_tmpdir("store-window");
  eddy_state_conf_t c;
  eddy_state_conf_init(&c);
  c.dir = dir;
  c.memory_bytes = 32 << 20;
  ASSERT_OK(eddy_state_env_new(&env, &c, NULL));
}

static void teardown(void) {
  eddy_state_env_destroy(env);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ASSERT_OK(system(cmd));
  free(dir);
  EDDY_ASSERT_NO_LEAKS();
}

static eddy_store_t *open_kind(eddy_store_backend_t b, eddy_store_kind_t kind, const char *name,
                               int64_t retention, int64_t segment) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = name;
  c.kind = kind;
  c.backend = b;
  c.app = "app";
  c.task = "2_3";
  c.retention = retention;
  c.segment = segment;
  c.window_size = 10 * SEC;
  eddy_store_t *st = NULL;
  ASSERT_OK(eddy_store_open(&st, env, &c, NULL));
  return st;
}

static uint64_t rng = 5;
static uint32_t rnd(uint32_t n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng >> 33) % n;
}

static int cmp_bytes(const void *a, size_t al, const void *b, size_t bl) {
  size_t n = al < bl ? al : bl;
  int c = n ? memcmp(a, b, n) : 0;
  return c ? c : (al < bl ? -1 : al > bl);
}

/* ---- the reference: (key, time) -> value, as flat arrays -------------------- */

static const char *const keys[] = {"a", "a\0", "ab", "", "b"};
static const size_t key_lens[] = {1, 2, 2, 0, 1};
#define KEY_CNT 5
#define SLOT_CNT 64
/* windows: starts -5 s .. 58 s in 1 s steps; segment 7 s gives negative and
 * positive segments, several windows per segment */
static int64_t slot_time(int s) { return (s - 5) * SEC; }

typedef struct {
  bool present;
  uint32_t val;
} cell_t;
static cell_t ref[KEY_CNT][SLOT_CNT];

static eddy_slice_t K(int k) { return eddy_slice(keys[k], key_lens[k]); }

static void check_fetch(eddy_store_t *st, int k, int64_t from, int64_t to) {
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_window_fetch(st, K(k), from, to, &it, NULL));
  eddy_store_entry_t e;
  int s = 0, rc;
  while ((rc = eddy_store_iter_next(it, &e, NULL)) == 1) {
    while (s < SLOT_CNT && !(ref[k][s].present && slot_time(s) >= from && slot_time(s) <= to))
      s++;
    ASSERT_TRUE(s < SLOT_CNT);
    ASSERT_EQ(slot_time(s), e.start);
    ASSERT_EQ(slot_time(s) + 10 * SEC, e.end);
    ASSERT_EQ(0, cmp_bytes(e.key.p, e.key.len, keys[k], key_lens[k]));
    ASSERT_EQ(4, e.value.len);
    uint32_t v;
    memcpy(&v, e.value.p, 4);
    ASSERT_EQ(ref[k][s].val, v);
    s++;
  }
  ASSERT_EQ(0, rc);
  for (; s < SLOT_CNT; s++)
    ASSERT_FALSE(ref[k][s].present && slot_time(s) >= from && slot_time(s) <= to);
  eddy_store_iter_destroy(it);
}

/* fetch_all order: segment, key length, key bytes, start. */
typedef struct {
  int64_t seg;
  int k;
  int s;
} row_t;

static int cmp_row(const void *x, const void *y) {
  const row_t *a = x, *b = y;
  if (a->seg != b->seg)
    return a->seg < b->seg ? -1 : 1;
  if (key_lens[a->k] != key_lens[b->k])
    return key_lens[a->k] < key_lens[b->k] ? -1 : 1;
  int c = cmp_bytes(keys[a->k], key_lens[a->k], keys[b->k], key_lens[b->k]);
  return c ? c : a->s - b->s;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }

static void check_fetch_all(eddy_store_t *st, int64_t from, int64_t to) {
  static row_t rows[KEY_CNT * SLOT_CNT];
  int n = 0;
  for (int k = 0; k < KEY_CNT; k++)
    for (int s = 0; s < SLOT_CNT; s++)
      if (ref[k][s].present && slot_time(s) >= from && slot_time(s) <= to)
        rows[n++] = (row_t){floor_div(slot_time(s), 7 * SEC), k, s};
  qsort(rows, (size_t)n, sizeof(rows[0]), cmp_row);
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_window_fetch_all(st, from, to, &it, NULL));
  eddy_store_entry_t e;
  int i = 0, rc;
  while ((rc = eddy_store_iter_next(it, &e, NULL)) == 1) {
    ASSERT_TRUE(i < n);
    ASSERT_EQ(slot_time(rows[i].s), e.start);
    ASSERT_EQ(0, cmp_bytes(e.key.p, e.key.len, keys[rows[i].k], key_lens[rows[i].k]));
    i++;
  }
  ASSERT_EQ(0, rc);
  ASSERT_EQ(n, i);
  eddy_store_iter_destroy(it);
}

static void random_windows(eddy_store_backend_t b) {
  memset(ref, 0, sizeof(ref));
  eddy_store_t *st = open_kind(b, EDDY_STORE_WINDOW, "win", 0, 7 * SEC);
  for (int step = 0; step < 3000; step++) {
    int k = (int)rnd(KEY_CNT), s = (int)rnd(SLOT_CNT);
    uint32_t op = rnd(100), v = rnd(1000000);
    if (op < 50) {
      ASSERT_OK(eddy_window_put(st, K(k), slot_time(s), eddy_slice(&v, 4), NULL));
      ref[k][s] = (cell_t){true, v};
    } else if (op < 60) {
      ASSERT_OK(eddy_window_delete(st, K(k), slot_time(s), NULL));
      ref[k][s].present = false;
    } else if (op < 80) {
      int64_t from = slot_time((int)rnd(SLOT_CNT)) - (int64_t)rnd(2) * SEC / 2;
      check_fetch(st, k, from, from + (int64_t)rnd(40) * SEC);
    } else if (op < 85) {
      int64_t from = slot_time((int)rnd(SLOT_CNT));
      check_fetch_all(st, from, from + (int64_t)rnd(60) * SEC);
    } else if (op < 90) {
      ASSERT_OK(eddy_store_flush(st, NULL));
      ASSERT_OK(eddy_store_commit(st, step, NULL));
    } else {
      eddy_slice_t got;
      int rc = eddy_window_get(st, K(k), slot_time(s), &got, NULL);
      ASSERT_EQ(ref[k][s].present ? 0 : EDDY_ENOENT, rc);
    }
  }
  for (int k = 0; k < KEY_CNT; k++)
    check_fetch(st, k, INT64_MIN, INT64_MAX);
  check_fetch_all(st, INT64_MIN, INT64_MAX);
  eddy_store_close(st);
}

EDDY_TEST(window_fetch_by_time_range) {
  setup();
  random_windows(EDDY_STORE_ROCKSDB);
  random_windows(EDDY_STORE_MEMORY);
  teardown();
}

/* ---- retention ------------------------------------------------------------------ */

/* Count stored windows (bypassing the store's filters) with start < t. */
static int physical_before(eddy_store_t *st, int64_t t, int *total) {
  eddy__biter_t *bi;
  ASSERT_OK(st->ops->iter_new(st->be, &bi, NULL));
  int n = 0;
  *total = 0;
  for (st->ops->iter_seek(bi, eddy_slice(NULL, 0)); st->ops->iter_valid(bi); st->ops->iter_next(bi)) {
    eddy_slice_t raw = st->ops->iter_key(bi);
    n += eddy__get_time(raw.p + raw.len - 8) < t;
    ++*total;
  }
  st->ops->iter_destroy(bi);
  return n;
}

static void retention(eddy_store_backend_t b) {
  eddy_store_t *st = open_kind(b, EDDY_STORE_WINDOW, "ret", 100 * SEC, 50 * SEC);
  for (int64_t t = 0; t <= 300 * SEC; t += 10 * SEC) {
    uint32_t v = (uint32_t)(t / SEC);
    ASSERT_OK(eddy_window_put(st, eddy_slice("k1", 2), t, eddy_slice(&v, 4), NULL));
    ASSERT_OK(eddy_window_put(st, eddy_slice("k2", 2), t, eddy_slice(&v, 4), NULL));
  }
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 1, NULL));
  /* stream time 260 s: kept from 160 s; segments [0,50) [50,100) [100,150) go */
  ASSERT_OK(eddy_store_expire(st, 260 * SEC, NULL));
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_window_fetch_all(st, INT64_MIN, INT64_MAX, &it, NULL));
  eddy_store_entry_t e;
  int n = 0;
  while (eddy_store_iter_next(it, &e, NULL) == 1) {
    ASSERT_TRUE(e.start >= 160 * SEC);
    n++;
  }
  eddy_store_iter_destroy(it);
  ASSERT_EQ(2 * 15, n);  /* 160..300 s for two keys */
  eddy_slice_t got;
  ASSERT_EQ(EDDY_ENOENT, eddy_window_get(st, eddy_slice("k1", 2), 150 * SEC, &got, NULL));
  eddy_error_t *err = NULL;
  uint32_t v = 0;
  ASSERT_EQ(EDDY_ERANGE, eddy_window_put(st, eddy_slice("k1", 2), 100 * SEC, eddy_slice(&v, 4), &err));
  eddy_error_destroy(err);
  ASSERT_OK(eddy_store_commit(st, 2, NULL));
  /* physically: windows before 150 s are gone, 150 s (same segment as 160 s) stays */
  int total;
  ASSERT_EQ(0, physical_before(st, 150 * SEC, &total));
  ASSERT_EQ(2 * 16, total);
  if (b == EDDY_STORE_ROCKSDB) {  /* the expiry survives a restart */
    eddy_store_close(st);
    st = open_kind(b, EDDY_STORE_WINDOW, "ret", 100 * SEC, 0);
    ASSERT_EQ(EDDY_ENOENT, eddy_window_get(st, eddy_slice("k1", 2), 150 * SEC, &got, NULL));
    ASSERT_OK(eddy_window_get(st, eddy_slice("k1", 2), 160 * SEC, &got, NULL));
    memcpy(&v, got.p, 4);
    ASSERT_EQ(160, v);
  }
  eddy_store_close(st);
}

EDDY_TEST(window_retention_drops_old_segments) {
  setup();
  retention(EDDY_STORE_ROCKSDB);
  retention(EDDY_STORE_MEMORY);
  teardown();
}

/* ---- changelog keys ---------------------------------------------------------------- */

typedef struct {
  eddy_buf_t keys;
  int cnt;
} sink_t;

static int capture(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                   eddy_error_t **err) {
  (void)value;
  (void)time;
  (void)err;
  sink_t *s = opaque;
  eddy_buf_append(&s->keys, key.p, key.len);
  s->cnt++;
  return 0;
}

EDDY_TEST(window_changelog_key_is_key_and_start) {
  setup();
  eddy_store_t *st = open_kind(EDDY_STORE_MEMORY, EDDY_STORE_WINDOW, "cl", 0, 0);
  sink_t sink = {{0}, 0};
  eddy_store_set_changelog(st, capture, &sink);
  ASSERT_OK(eddy_window_put(st, eddy_slice("user", 4), 1, eddy_slice("x", 1), NULL));
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_EQ(1, sink.cnt);
  ASSERT_EQ(12, sink.keys.len);
  ASSERT_TRUE(memcmp(sink.keys.p, "user\x80\0\0\0\0\0\0\x01", 12) == 0);
  eddy_store_entry_t e;
  ASSERT_OK(eddy_store_changelog_key_decode(st, eddy_slice(sink.keys.p, 12), &e));
  ASSERT_MEM_EQ("user", e.key.p, e.key.len);
  ASSERT_EQ(1, e.start);
  ASSERT_EQ(1 + 10 * SEC, e.end);
  ASSERT_EQ(EDDY_EDECODE, eddy_store_changelog_key_decode(st, eddy_slice("short", 5), &e));
  eddy_buf_free(&sink.keys);
  eddy_store_close(st);
  teardown();
}

/* ---- sessions ----------------------------------------------------------------------- */

typedef struct {
  int64_t start, end;
  bool present;
} sess_t;

static void sessions(eddy_store_backend_t b) {
  static sess_t ref_s[3][40];
  memset(ref_s, 0, sizeof(ref_s));
  eddy_store_t *st = open_kind(b, EDDY_STORE_SESSION, "sess", 0, 20 * SEC);
  const char *sk[3] = {"u1", "u10", "u1\0"};
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < 40; i++) {
      /* non-overlapping sessions, each in a 10 s slot */
      int64_t start = i * 10 * SEC + (int64_t)rnd(3) * SEC;
      int64_t end = start + (int64_t)rnd(6) * SEC;
      if (rnd(3) == 0)
        continue;
      ref_s[k][i] = (sess_t){start, end, true};
      ASSERT_OK(eddy_session_put(st, eddy_slice(sk[k], 2 + (k > 0)), start, end,
                                 eddy_slice(&i, sizeof(i)), NULL));
      if (rnd(4) == 0) {
        ASSERT_OK(eddy_store_flush(st, NULL));
        ASSERT_OK(eddy_store_commit(st, i, NULL));
      }
    }
  for (int q = 0; q < 300; q++) {
    int k = (int)rnd(3);
    int64_t t = (int64_t)rnd(420) * SEC, gap = (int64_t)rnd(15) * SEC;
    eddy_store_iter_t *it;
    ASSERT_OK(eddy_session_find(st, eddy_slice(sk[k], 2 + (k > 0)), t - gap, t + gap, &it, NULL));
    eddy_store_entry_t e;
    int i = 0;
    while (eddy_store_iter_next(it, &e, NULL) == 1) {
      while (i < 40 && !(ref_s[k][i].present && ref_s[k][i].end >= t - gap &&
                         ref_s[k][i].start <= t + gap))
        i++;
      ASSERT_TRUE(i < 40);
      ASSERT_EQ(ref_s[k][i].start, e.start);
      ASSERT_EQ(ref_s[k][i].end, e.end);
      i++;
    }
    for (; i < 40; i++)
      ASSERT_FALSE(ref_s[k][i].present && ref_s[k][i].end >= t - gap && ref_s[k][i].start <= t + gap);
    eddy_store_iter_destroy(it);
  }
  eddy_store_close(st);
}

EDDY_TEST(session_find_overlapping) {
  setup();
  sessions(EDDY_STORE_ROCKSDB);
  sessions(EDDY_STORE_MEMORY);
  teardown();
}

/* fetch_all by session end against a flat reference: order segment (of the end), key
 * (length, bytes), end, start; puts, deletes and commits in between. */
typedef struct {
  int k;
  int64_t start, end;
  uint32_t val;
  bool present;
} sref_t;

#define SREF_CNT 400
static sref_t sref[SREF_CNT];

static int cmp_sref(const void *x, const void *y) {
  const sref_t *a = *(const sref_t *const *)x, *b = *(const sref_t *const *)y;
  int64_t sa = floor_div(a->end, 7 * SEC), sb = floor_div(b->end, 7 * SEC);
  if (sa != sb)
    return sa < sb ? -1 : 1;
  if (key_lens[a->k] != key_lens[b->k])
    return key_lens[a->k] < key_lens[b->k] ? -1 : 1;
  int c = cmp_bytes(keys[a->k], key_lens[a->k], keys[b->k], key_lens[b->k]);
  if (c != 0)
    return c;
  if (a->end != b->end)
    return a->end < b->end ? -1 : 1;
  return a->start < b->start ? -1 : a->start > b->start;
}

static void check_session_fetch_all(eddy_store_t *st, int64_t from, int64_t to) {
  static const sref_t *want[SREF_CNT];
  int n = 0;
  for (int i = 0; i < SREF_CNT; i++)
    if (sref[i].present && sref[i].end >= from && sref[i].end <= to)
      want[n++] = &sref[i];
  qsort(want, (size_t)n, sizeof(want[0]), cmp_sref);
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_session_fetch_all(st, from, to, &it, NULL));
  eddy_store_entry_t e;
  int i = 0, rc;
  while ((rc = eddy_store_iter_next(it, &e, NULL)) == 1) {
    ASSERT_TRUE(i < n);
    ASSERT_EQ(want[i]->start, e.start);
    ASSERT_EQ(want[i]->end, e.end);
    ASSERT_EQ(0, cmp_bytes(e.key.p, e.key.len, keys[want[i]->k], key_lens[want[i]->k]));
    ASSERT_EQ(4, e.value.len);
    uint32_t v;
    memcpy(&v, e.value.p, 4);
    ASSERT_EQ(want[i]->val, v);
    i++;
  }
  ASSERT_EQ(0, rc);
  ASSERT_EQ(n, i);
  eddy_store_iter_destroy(it);
}

static void random_session_scans(eddy_store_backend_t b) {
  memset(sref, 0, sizeof(sref));
  eddy_store_t *st = open_kind(b, EDDY_STORE_SESSION, "sess-all", 0, 7 * SEC);
  for (int step = 0; step < 4000; step++) {
    int i = (int)rnd(SREF_CNT);
    uint32_t op = rnd(100);
    if (op < 45) {
      if (sref[i].present)
        ASSERT_OK(eddy_session_delete(st, K(sref[i].k), sref[i].start, sref[i].end, NULL));
      int64_t start = ((int64_t)rnd(120) - 20) * SEC / 2;
      sref[i] = (sref_t){(int)rnd(KEY_CNT), start, start + (int64_t)rnd(30) * SEC / 3,
                         (uint32_t)rnd(1000000), true};
      for (int j = 0; j < SREF_CNT; j++)   /* one entry per (key, start, end) */
        if (j != i && sref[j].present && sref[j].k == sref[i].k &&
            sref[j].start == sref[i].start && sref[j].end == sref[i].end)
          sref[j].present = false;
      ASSERT_OK(eddy_session_put(st, K(sref[i].k), sref[i].start, sref[i].end,
                                 eddy_slice(&sref[i].val, 4), NULL));
    } else if (op < 55) {
      if (sref[i].present)
        ASSERT_OK(eddy_session_delete(st, K(sref[i].k), sref[i].start, sref[i].end, NULL));
      sref[i].present = false;
    } else if (op < 85) {
      int64_t from = ((int64_t)rnd(140) - 30) * SEC / 2;
      check_session_fetch_all(st, from, from + (int64_t)rnd(40) * SEC / 2);
    } else {
      ASSERT_OK(eddy_store_flush(st, NULL));
      ASSERT_OK(eddy_store_commit(st, step, NULL));
    }
  }
  check_session_fetch_all(st, INT64_MIN, INT64_MAX);
  eddy_store_close(st);
}

EDDY_TEST(session_fetch_all_by_end) {
  setup();
  random_session_scans(EDDY_STORE_ROCKSDB);
  random_session_scans(EDDY_STORE_MEMORY);
  teardown();
}

EDDY_TEST(session_get_delete_and_expire) {
  setup();
  eddy_store_t *st = open_kind(EDDY_STORE_ROCKSDB, EDDY_STORE_SESSION, "s2", 60 * SEC, 30 * SEC);
  ASSERT_OK(eddy_session_put(st, eddy_slice("k", 1), 0, 10 * SEC, eddy_slice("a", 1), NULL));
  ASSERT_OK(eddy_session_put(st, eddy_slice("k", 1), 50 * SEC, 100 * SEC, eddy_slice("b", 1), NULL));
  eddy_slice_t v;
  ASSERT_OK(eddy_session_get(st, eddy_slice("k", 1), 0, 10 * SEC, &v, NULL));
  ASSERT_MEM_EQ("a", v.p, v.len);
  ASSERT_OK(eddy_session_delete(st, eddy_slice("k", 1), 0, 10 * SEC, NULL));
  ASSERT_EQ(EDDY_ENOENT, eddy_session_get(st, eddy_slice("k", 1), 0, 10 * SEC, &v, NULL));
  ASSERT_OK(eddy_session_put(st, eddy_slice("k", 1), 0, 10 * SEC, eddy_slice("a", 1), NULL));
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 3, NULL));
  ASSERT_OK(eddy_store_expire(st, 80 * SEC, NULL));  /* keeps sessions ending >= 20 s */
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_session_find(st, eddy_slice("k", 1), INT64_MIN, INT64_MAX, &it, NULL));
  eddy_store_entry_t e;
  ASSERT_EQ(1, eddy_store_iter_next(it, &e, NULL));
  ASSERT_EQ(50 * SEC, e.start);
  ASSERT_EQ(100 * SEC, e.end);
  ASSERT_MEM_EQ("b", e.value.p, e.value.len);
  ASSERT_EQ(0, eddy_store_iter_next(it, &e, NULL));
  eddy_store_iter_destroy(it);
  /* expired sessions are gone from scans by end too */
  ASSERT_OK(eddy_session_fetch_all(st, INT64_MIN, INT64_MAX, &it, NULL));
  ASSERT_EQ(1, eddy_store_iter_next(it, &e, NULL));
  ASSERT_EQ(100 * SEC, e.end);
  ASSERT_EQ(0, eddy_store_iter_next(it, &e, NULL));
  eddy_store_iter_destroy(it);
  ASSERT_OK(eddy_session_fetch_all(st, 0, 99 * SEC, &it, NULL));
  ASSERT_EQ(0, eddy_store_iter_next(it, &e, NULL));
  eddy_store_iter_destroy(it);
  ASSERT_EQ(EDDY_EINVAL, eddy_window_fetch_all(st, 0, 1, &it, NULL));
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EINVAL, eddy_session_put(st, eddy_slice("k", 1), 9, 8, eddy_slice("x", 1), &err));
  ASSERT_STR_EQ("store 's2': session start 9 after end 8", eddy_error_msg(err));
  eddy_error_destroy(err);
  eddy_store_close(st);
  teardown();
}
