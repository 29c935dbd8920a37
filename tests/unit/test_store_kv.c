/* Key-value stores on both backends: put/get/delete, ranges, prefixes,
 * commit/reopen, abort, wipe. */
#include "eddy_test.h"
#include "eddy/store.h"
#include "test_state.h"

#include <stdlib.h>

static char *dir;
static eddy_state_env_t *env;

static void setup(void) { env = ts_env_new(&dir, "store-kv", 64 << 20); }

static void teardown(void) {
  ts_env_destroy(env, dir);
  EDDY_ASSERT_NO_LEAKS();
}

static eddy_store_t *open_store(eddy_store_backend_t backend, const char *name) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = name;
  c.backend = backend;
  c.app = "app";
  c.task = "0_1";
  eddy_store_t *st = NULL;
  eddy_error_t *err = NULL;
  int rc = eddy_store_open(&st, env, &c, &err);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "open: %s", eddy_error_msg(err));
  return st;
}

static eddy_slice_t S(const char *s) { return eddy_slice(s, strlen(s)); }

static void put(eddy_store_t *st, const char *k, const char *v) {
  ASSERT_OK(eddy_store_put(st, S(k), S(v), NULL));
}

static void expect(eddy_store_t *st, const char *k, const char *v) {
  eddy_slice_t got;
  int rc = eddy_store_get(st, S(k), &got, NULL);
  if (v == NULL) {
    ASSERT_EQ(EDDY_ENOENT, rc);
    return;
  }
  ASSERT_OK(rc);
  ASSERT_MEM_EQ(v, got.p, got.len);
}

/* Concatenate "k=v," of an iteration. */
static void collect(eddy_store_iter_t *it, char *out, size_t cap) {
  eddy_store_entry_t e;
  size_t n = 0;
  int rc;
  out[0] = '\0';
  while ((rc = eddy_store_iter_next(it, &e, NULL)) == 1)
    n += (size_t)snprintf(out + n, cap - n, "%.*s=%.*s,", (int)e.key.len, (const char *)e.key.p,
                          (int)e.value.len, (const char *)e.value.p);
  ASSERT_EQ(0, rc);
  eddy_store_iter_destroy(it);
}

static void both(void (*fn)(eddy_store_backend_t)) {
  setup();
  fn(EDDY_STORE_ROCKSDB);
  fn(EDDY_STORE_MEMORY);
  teardown();
}

static void put_get_delete(eddy_store_backend_t b) {
  eddy_store_t *st = open_store(b, "pgd");
  put(st, "apple", "1");
  put(st, "banana", "2");
  expect(st, "apple", "1");
  put(st, "apple", "one");
  expect(st, "apple", "one");
  ASSERT_OK(eddy_store_delete(st, S("banana"), NULL));
  expect(st, "banana", NULL);
  expect(st, "cherry", NULL);
  /* the same after the data went to the backend */
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 5, NULL));
  expect(st, "apple", "one");
  expect(st, "banana", NULL);
  put(st, "empty", "");
  expect(st, "empty", "");
  ASSERT_EQ(5, eddy_store_committed_offset(st));
  eddy_store_close(st);
}

EDDY_TEST(kv_put_get_delete) { both(put_get_delete); }

static void ranges(eddy_store_backend_t b) {
  eddy_store_t *st = open_store(b, "range");
  const char *keys[] = {"b", "a", "ab", "abc", "b\xff", "c", "aa"};
  for (size_t i = 0; i < 7; i++)
    put(st, keys[i], keys[i]);
  /* half the keys committed, half in the cache, one committed key deleted in the cache */
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, EDDY_OFFSET_NONE, NULL));
  put(st, "abd", "x");
  put(st, "a", "A");
  ASSERT_OK(eddy_store_delete(st, S("c"), NULL));
  char out[512];
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_store_range(st, NULL, NULL, &it, NULL));
  collect(it, out, sizeof(out));
  ASSERT_STR_EQ("a=A,aa=aa,ab=ab,abc=abc,abd=x,b=b,b\xff=b\xff,", out);
  eddy_slice_t from = S("ab"), to = S("b");
  ASSERT_OK(eddy_store_range(st, &from, &to, &it, NULL));
  collect(it, out, sizeof(out));
  ASSERT_STR_EQ("ab=ab,abc=abc,abd=x,", out);
  ASSERT_OK(eddy_store_prefix(st, S("ab"), &it, NULL));
  collect(it, out, sizeof(out));
  ASSERT_STR_EQ("ab=ab,abc=abc,abd=x,", out);
  ASSERT_OK(eddy_store_prefix(st, S("b"), &it, NULL));
  collect(it, out, sizeof(out));
  ASSERT_STR_EQ("b=b,b\xff=b\xff,", out);
  ASSERT_OK(eddy_store_prefix(st, S("b\xff"), &it, NULL));  /* no upper bound */
  collect(it, out, sizeof(out));
  ASSERT_STR_EQ("b\xff=b\xff,", out);
  ASSERT_OK(eddy_store_prefix(st, S("zz"), &it, NULL));
  collect(it, out, sizeof(out));
  ASSERT_STR_EQ("", out);
  /* commit refuses to run under an open iterator */
  ASSERT_OK(eddy_store_range(st, NULL, NULL, &it, NULL));
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ESTATE, eddy_store_commit(st, 1, &err));
  eddy_error_destroy(err);
  eddy_store_iter_destroy(it);
  eddy_store_close(st);
}

EDDY_TEST(kv_range_and_prefix) { both(ranges); }

static void abort_reverts(eddy_store_backend_t b) {
  eddy_store_t *st = open_store(b, "abort");
  put(st, "k1", "v1");
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 10, NULL));
  put(st, "k1", "v2");
  put(st, "k2", "v2");
  ASSERT_OK(eddy_store_flush(st, NULL));  /* flushed but the Kafka commit failed */
  eddy_store_abort(st);
  expect(st, "k1", "v1");
  expect(st, "k2", NULL);
  ASSERT_EQ(10, eddy_store_committed_offset(st));
  ASSERT_OK(eddy_store_wipe(st, NULL));
  expect(st, "k1", NULL);
  ASSERT_EQ(EDDY_OFFSET_NONE, eddy_store_committed_offset(st));
  eddy_store_close(st);
}

EDDY_TEST(kv_abort_and_wipe) { both(abort_reverts); }

EDDY_TEST(kv_rocksdb_reopen_keeps_committed_only) {
  setup();
  eddy_store_t *st = open_store(EDDY_STORE_ROCKSDB, "persist");
  put(st, "a", "1");
  put(st, "b", "2");
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 41, NULL));
  put(st, "c", "3");  /* never committed */
  ASSERT_OK(eddy_store_persist(st, NULL));
  eddy_store_close(st);
  st = open_store(EDDY_STORE_ROCKSDB, "persist");
  ASSERT_EQ(41, eddy_store_committed_offset(st));
  ASSERT_FALSE(eddy_store_dirty(st));
  expect(st, "a", "1");
  expect(st, "b", "2");
  expect(st, "c", NULL);
  eddy_store_close(st);
  /* the database lives where the layout says */
  char path[700];
  snprintf(path, sizeof(path), "%s/app/0_1/persist/CURRENT", dir);
  FILE *f = fopen(path, "r");
  ASSERT_TRUE(f != NULL);
  fclose(f);
  teardown();
}

EDDY_TEST(kv_reopen_with_other_kind_fails) {
  setup();
  eddy_store_t *st = open_store(EDDY_STORE_ROCKSDB, "kinds");
  eddy_store_close(st);
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = "kinds";
  c.kind = EDDY_STORE_WINDOW;
  c.app = "app";
  c.task = "0_1";
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_store_open(&st, env, &c, &err));
  ASSERT_STR_EQ("store 'kinds' was created with kind 0, not 1", eddy_error_msg(err));
  eddy_error_destroy(err);
  err = NULL;
  c.name = "../escape";
  ASSERT_EQ(EDDY_EINVAL, eddy_store_open(&st, env, &c, &err));
  ASSERT_STR_EQ("store name '../escape' must match [A-Za-z0-9._-]+", eddy_error_msg(err));
  eddy_error_destroy(err);
  teardown();
}

EDDY_TEST(kv_wrong_kind_calls_fail) {
  setup();
  eddy_store_t *st = open_store(EDDY_STORE_MEMORY, "kv");
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EINVAL, eddy_window_put(st, S("k"), 0, S("v"), &err));
  ASSERT_STR_EQ("store 'kv' is not a window store", eddy_error_msg(err));
  eddy_error_destroy(err);
  eddy_store_close(st);
  teardown();
}

EDDY_TEST(env_splits_memory_budget) {
  setup();
  eddy_state_memory_t m;
  eddy_state_env_memory(env, &m);
  ASSERT_EQ(64 << 20, m.budget_bytes);
  ASSERT_EQ((64 << 20) / 8, m.cache_bytes);
  ASSERT_EQ(m.budget_bytes, m.cache_bytes + m.write_buffer_bytes + m.block_cache_bytes);
  eddy_store_t *a = open_store(EDDY_STORE_ROCKSDB, "a");
  eddy_store_t *b = open_store(EDDY_STORE_MEMORY, "b");
  eddy_state_env_memory(env, &m);
  ASSERT_EQ(2, m.store_cnt);
  ASSERT_EQ(1, m.rocksdb_store_cnt);
  eddy_store_stats_t s;
  eddy_store_stats(a, &s);
  ASSERT_EQ(m.cache_bytes / 2, s.cache_limit);
  eddy_store_close(b);
  eddy_store_stats(a, &s);
  ASSERT_EQ(m.cache_bytes, s.cache_limit);
  /* memtables: wb / (2 * stores rounded up to a power of two) */
  size_t wb = m.write_buffer_bytes;
  ASSERT_EQ(wb / 2, m.write_buffer_per_store);
  eddy_store_t *more[3];
  for (int i = 0; i < 3; i++) {
    char name[8];
    snprintf(name, sizeof(name), "m%d", i);
    more[i] = open_store(EDDY_STORE_ROCKSDB, name);
  }
  eddy_state_env_memory(env, &m);
  ASSERT_EQ(4, m.rocksdb_store_cnt);
  ASSERT_EQ(wb / 8, m.write_buffer_per_store);
  for (int i = 0; i < 3; i++)
    eddy_store_close(more[i]);
  eddy_store_close(a);
  eddy_state_conf_t c;
  eddy_state_conf_init(&c);
  c.memory_bytes = 32 << 20;
  c.cache_max_bytes = 20 << 20;
  eddy_state_env_t *bad = NULL;
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_ECONFIG, eddy_state_env_new(&bad, &c, &err));
  eddy_error_destroy(err);
  teardown();
}

/* Every allocation failure on the way through open/put/flush/commit/iterate
 * is reported or survived, and nothing leaks. */
EDDY_TEST(kv_memory_store_survives_allocation_failures) {
  for (long nth = 1; nth < 120; nth++) {
    eddy_alloc_fail_after(nth);
    eddy_store_conf_t c;
    eddy_store_conf_init(&c);
    c.name = "oom";
    c.backend = EDDY_STORE_MEMORY;
    eddy_store_t *st = NULL;
    eddy_error_t *err = NULL;
    if (eddy_store_open(&st, NULL, &c, &err) == 0) {
      for (int i = 0; i < 20; i++) {
        char k[8];
        snprintf(k, sizeof(k), "k%d", i);
        eddy_store_put(st, S(k), S("value"), NULL);
      }
      if (eddy_store_flush(st, NULL) == 0)
        eddy_store_commit(st, 1, NULL);
      eddy_store_iter_t *it = NULL;
      if (eddy_store_prefix(st, S("k1"), &it, NULL) == 0) {
        eddy_store_entry_t e;
        while (eddy_store_iter_next(it, &e, NULL) == 1)
          ;
        eddy_store_iter_destroy(it);
      }
      eddy_store_close(st);
    }
    eddy_error_destroy(err);
    eddy_alloc_fail_after(0);
    EDDY_ASSERT_NO_LEAKS();
  }
}
