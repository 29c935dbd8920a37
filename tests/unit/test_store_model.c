/* Model test: random operations (fixed seed) on a RocksDB store and an
 * in-memory store, checked against a plain sorted array after every read. */
#include "eddy_test.h"
#include "eddy/store.h"
#include "test_state.h"

#include <stdlib.h>

#define MAX_KEYS 400
#define KEY_MAX 4
#define VAL_MAX 24

typedef struct {
  uint8_t k[KEY_MAX];
  size_t klen;
  uint8_t v[VAL_MAX];
  size_t vlen;
} ref_entry_t;

/* The reference: an unsorted array; ordered views are built by sorting. */
typedef struct {
  ref_entry_t e[MAX_KEYS];
  size_t cnt;
} ref_t;

static uint64_t rng = 42;
static uint32_t rnd(uint32_t n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng >> 33) % n;
}

static int cmp_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
  for (size_t i = 0; i < al && i < bl; i++)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return al < bl ? -1 : al > bl;
}

static int cmp_entry(const void *x, const void *y) {
  const ref_entry_t *a = x, *b = y;
  return cmp_bytes(a->k, a->klen, b->k, b->klen);
}

static ref_entry_t *ref_find(ref_t *r, const uint8_t *k, size_t klen) {
  for (size_t i = 0; i < r->cnt; i++)
    if (cmp_bytes(r->e[i].k, r->e[i].klen, k, klen) == 0)
      return &r->e[i];
  return NULL;
}

static void ref_put(ref_t *r, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen) {
  ref_entry_t *e = ref_find(r, k, klen);
  if (e == NULL) {
    ASSERT_TRUE(r->cnt < MAX_KEYS);
    e = &r->e[r->cnt++];
    memcpy(e->k, k, klen);
    e->klen = klen;
  }
  memcpy(e->v, v, vlen);
  e->vlen = vlen;
}

static void ref_delete(ref_t *r, const uint8_t *k, size_t klen) {
  ref_entry_t *e = ref_find(r, k, klen);
  if (e != NULL)
    *e = r->e[--r->cnt];
}

static void random_key(uint8_t *k, size_t *klen) {
  static const uint8_t alphabet[] = {0x00, 'a', 'b', 0xff};
  *klen = rnd(KEY_MAX + 1);
  for (size_t i = 0; i < *klen; i++)
    k[i] = alphabet[rnd(4)];
}

/* ---- the stores under test ------------------------------------------------ */

typedef struct {
  char *dir;
  eddy_state_env_t *env;
  eddy_store_t *st[2];  /* RocksDB, memory */
  int64_t cache;
} fixture_t;

static eddy_store_t *open_one(fixture_t *f, eddy_store_backend_t b) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = "model";
  c.backend = b;
  c.app = "app";
  c.task = "1_0";
  c.cache_max_bytes = f->cache;
  eddy_store_t *st = NULL;
  ASSERT_OK(eddy_store_open(&st, f->env, &c, NULL));
  return st;
}

static void fixture_open(fixture_t *f, int64_t cache) {
  memset(f, 0, sizeof(*f));
  f->env = ts_env_new(&f->dir, "store-model", 32 << 20);
  f->cache = cache;
  f->st[0] = open_one(f, EDDY_STORE_ROCKSDB);
  f->st[1] = open_one(f, EDDY_STORE_MEMORY);
}

static void fixture_close(fixture_t *f) {
  eddy_store_close(f->st[0]);
  eddy_store_close(f->st[1]);
  ts_env_destroy(f->env, f->dir);
}

/* ---- checks ------------------------------------------------------------------ */

static void check_get(fixture_t *f, ref_t *r, const uint8_t *k, size_t klen) {
  ref_entry_t *e = ref_find(r, k, klen);
  for (int i = 0; i < 2; i++) {
    eddy_slice_t v;
    int rc = eddy_store_get(f->st[i], eddy_slice(k, klen), &v, NULL);
    if (e == NULL) {
      ASSERT_EQ(EDDY_ENOENT, rc);
      continue;
    }
    ASSERT_OK(rc);
    ASSERT_EQ(e->vlen, v.len);
    ASSERT_TRUE(memcmp(e->v, v.p, v.len) == 0);
  }
}

/* Compare a store's iteration with the sorted reference entries in [lo, hi). */
static void check_iter(eddy_store_iter_t *it, ref_t *sorted, const eddy_slice_t *lo,
                       const eddy_slice_t *hi) {
  size_t i = 0;
  eddy_store_entry_t e;
  int rc;
  while ((rc = eddy_store_iter_next(it, &e, NULL)) == 1) {
    while (i < sorted->cnt &&
           ((lo && cmp_bytes(sorted->e[i].k, sorted->e[i].klen, lo->p, lo->len) < 0)))
      i++;
    ASSERT_TRUE(i < sorted->cnt);
    const ref_entry_t *x = &sorted->e[i++];
    ASSERT_TRUE(hi == NULL || cmp_bytes(x->k, x->klen, hi->p, hi->len) < 0);
    ASSERT_EQ(0, cmp_bytes(x->k, x->klen, e.key.p, e.key.len));
    ASSERT_EQ(0, cmp_bytes(x->v, x->vlen, e.value.p, e.value.len));
  }
  ASSERT_EQ(0, rc);
  while (i < sorted->cnt && lo && cmp_bytes(sorted->e[i].k, sorted->e[i].klen, lo->p, lo->len) < 0)
    i++;
  /* nothing left inside the bounds */
  ASSERT_TRUE(i == sorted->cnt ||
              (hi != NULL && cmp_bytes(sorted->e[i].k, sorted->e[i].klen, hi->p, hi->len) >= 0));
  eddy_store_iter_destroy(it);
}

static void check_range(fixture_t *f, ref_t *r) {
  static ref_t sorted;
  sorted = *r;
  qsort(sorted.e, sorted.cnt, sizeof(sorted.e[0]), cmp_entry);
  uint8_t a[KEY_MAX], b[KEY_MAX];
  size_t al, bl;
  random_key(a, &al);
  random_key(b, &bl);
  eddy_slice_t lo = eddy_slice(a, al), hi = eddy_slice(b, bl);
  const eddy_slice_t *plo = rnd(4) == 0 ? NULL : &lo, *phi = rnd(4) == 0 ? NULL : &hi;
  for (int i = 0; i < 2; i++) {
    eddy_store_iter_t *it;
    ASSERT_OK(eddy_store_range(f->st[i], plo, phi, &it, NULL));
    check_iter(it, &sorted, plo, phi);
  }
}

static void check_prefix(fixture_t *f, ref_t *r) {
  uint8_t p[KEY_MAX];
  size_t plen;
  random_key(p, &plen);
  if (plen > 2)
    plen = 2;
  static ref_t matching;
  matching.cnt = 0;
  for (size_t i = 0; i < r->cnt; i++)
    if (r->e[i].klen >= plen && memcmp(r->e[i].k, p, plen) == 0)
      matching.e[matching.cnt++] = r->e[i];
  qsort(matching.e, matching.cnt, sizeof(matching.e[0]), cmp_entry);
  for (int i = 0; i < 2; i++) {
    eddy_store_iter_t *it;
    ASSERT_OK(eddy_store_prefix(f->st[i], eddy_slice(p, plen), &it, NULL));
    check_iter(it, &matching, NULL, NULL);
  }
}

/* ---- the driver ------------------------------------------------------------------ */

static void step(fixture_t *f, ref_t *cur, ref_t *committed, bool with_abort, int64_t *offset) {
  uint8_t k[KEY_MAX], v[VAL_MAX];
  size_t klen, vlen = rnd(VAL_MAX + 1);
  random_key(k, &klen);
  for (size_t i = 0; i < vlen; i++)
    v[i] = (uint8_t)rnd(256);
  uint32_t op = rnd(100);
  if (op < 40) {
    ref_put(cur, k, klen, v, vlen);
    for (int i = 0; i < 2; i++)
      ASSERT_OK(eddy_store_put(f->st[i], eddy_slice(k, klen), eddy_slice(v, vlen), NULL));
  } else if (op < 55) {
    ref_delete(cur, k, klen);
    for (int i = 0; i < 2; i++)
      ASSERT_OK(eddy_store_delete(f->st[i], eddy_slice(k, klen), NULL));
  } else if (op < 70) {
    check_get(f, cur, k, klen);
  } else if (op < 80) {
    check_range(f, cur);
  } else if (op < 85) {
    check_prefix(f, cur);
  } else if (op < 93) {
    ++*offset;
    for (int i = 0; i < 2; i++) {
      ASSERT_OK(eddy_store_flush(f->st[i], NULL));
      ASSERT_OK(eddy_store_commit(f->st[i], *offset, NULL));
    }
    *committed = *cur;
  } else if (with_abort && (op < 97 || rnd(8) != 0)) {
    for (int i = 0; i < 2; i++)
      eddy_store_abort(f->st[i]);
    *cur = *committed;
  } else if (with_abort) {
    /* restart: the RocksDB store is reopened, the memory one aborts */
    eddy_store_close(f->st[0]);
    f->st[0] = open_one(f, EDDY_STORE_ROCKSDB);
    ASSERT_EQ(*offset, eddy_store_committed_offset(f->st[0]));
    eddy_store_abort(f->st[1]);
    *cur = *committed;
  }
}

static void run(uint64_t seed, int64_t cache, bool with_abort, int steps) {
  static ref_t cur, committed;
  memset(&cur, 0, sizeof(cur));
  memset(&committed, 0, sizeof(committed));
  rng = seed;
  fixture_t f;
  fixture_open(&f, cache);
  int64_t offset = 0;
  for (int i = 0; i < steps; i++)
    step(&f, &cur, &committed, with_abort, &offset);
  check_range(&f, &cur);
  eddy_store_stats_t s;
  eddy_store_stats(f.st[0], &s);
  if (cache < 4096)
    ASSERT_TRUE(s.evictions > 0);  /* the small cache really overflowed */
  else
    ASSERT_EQ(0, s.evictions);
  fixture_close(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(model_small_cache_evicts) { run(1, 2048, false, 20000); }
EDDY_TEST(model_abort_and_reopen) { run(7, 1 << 20, true, 20000); }
EDDY_TEST(model_write_through) { run(99, 0, false, 5000); }
