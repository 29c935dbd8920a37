/* The write-back cache: absorbing repeated updates, reads through it,
 * eviction when full, the dirty mark, write-through. */
#include "eddy_test.h"
#include "eddy/store.h"
#include "test_state.h"

#include <stdlib.h>

static char *dir;
static eddy_state_env_t *env;

static void setup(void) { env = ts_env_new(&dir, "store-cache", 32 << 20); }

static void teardown(void) {
  ts_env_destroy(env, dir);
  EDDY_ASSERT_NO_LEAKS();
}

/* A changelog that remembers the last record per key and counts records. */
#define MAX_REC 2000
typedef struct {
  int cnt, tombstones;
  char key[MAX_REC][16];
  char val[MAX_REC][16];
  int64_t time[MAX_REC];
} log_t;

static int record(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                  eddy_error_t **err) {
  (void)err;
  log_t *l = opaque;
  ASSERT_TRUE(l->cnt < MAX_REC);
  snprintf(l->key[l->cnt], 16, "%.*s", (int)key.len, (const char *)key.p);
  if (value != NULL)
    snprintf(l->val[l->cnt], 16, "%.*s", (int)value->len, (const char *)value->p);
  else
    strcpy(l->val[l->cnt], "<tombstone>"), l->tombstones++;
  l->time[l->cnt] = time;
  l->cnt++;
  return 0;
}

static eddy_store_t *open_store(eddy_store_backend_t b, const char *name, int64_t cache,
                                log_t *log) {
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = name;
  c.backend = b;
  c.app = "app";
  c.task = "0_0";
  c.cache_max_bytes = cache;
  c.changelog = record;
  c.changelog_opaque = log;
  eddy_store_t *st = NULL;
  ASSERT_OK(eddy_store_open(&st, env, &c, NULL));
  return st;
}

static eddy_slice_t S(const char *s) { return eddy_slice(s, strlen(s)); }

static void absorbs(eddy_store_backend_t b) {
  static log_t log;
  memset(&log, 0, sizeof(log));
  eddy_store_t *st = open_store(b, "absorb", 1 << 20, &log);
  char v[16];
  for (int i = 0; i < 100; i++) {
    snprintf(v, sizeof(v), "v%d", i);
    eddy_store_set_time(st, 1000 * (int64_t)i);
    ASSERT_OK(eddy_store_put(st, S("hot"), S(v), NULL));
    if (i % 10 == 0) {
      snprintf(v, sizeof(v), "k%d", i);
      ASSERT_OK(eddy_store_put(st, S(v), S("x"), NULL));
    }
  }
  ASSERT_OK(eddy_store_put(st, S("gone"), S("1"), NULL));
  ASSERT_OK(eddy_store_delete(st, S("gone"), NULL));
  ASSERT_EQ(0, log.cnt);  /* nothing leaves before the flush */
  ASSERT_OK(eddy_store_flush(st, NULL));
  /* one record per key, in key order, with the last value and its time */
  ASSERT_EQ(12, log.cnt);
  ASSERT_STR_EQ("gone", log.key[0]);
  ASSERT_STR_EQ("<tombstone>", log.val[0]);
  ASSERT_STR_EQ("hot", log.key[1]);
  ASSERT_STR_EQ("v99", log.val[1]);
  ASSERT_EQ(99000, log.time[1]);
  ASSERT_STR_EQ("k0", log.key[2]);
  ASSERT_EQ(1, log.tombstones);
  ASSERT_OK(eddy_store_commit(st, 1, NULL));
  ASSERT_OK(eddy_store_flush(st, NULL));  /* nothing dirty: nothing sent */
  ASSERT_EQ(12, log.cnt);
  eddy_store_stats_t s;
  eddy_store_stats(st, &s);
  ASSERT_EQ(12, s.flushed_records);
  ASSERT_EQ(0, s.evictions);
  eddy_store_close(st);
}

EDDY_TEST(cache_absorbs_repeated_updates) {
  setup();
  absorbs(EDDY_STORE_ROCKSDB);
  absorbs(EDDY_STORE_MEMORY);
  teardown();
}

EDDY_TEST(cache_reads_through) {
  setup();
  static log_t log;
  eddy_store_t *st = open_store(EDDY_STORE_ROCKSDB, "through", 1 << 20, &log);
  ASSERT_OK(eddy_store_put(st, S("a"), S("old-a"), NULL));
  ASSERT_OK(eddy_store_put(st, S("b"), S("old-b"), NULL));
  ASSERT_OK(eddy_store_put(st, S("c"), S("old-c"), NULL));
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 1, NULL));
  /* cached, not yet in RocksDB: an update, a delete, a new key */
  ASSERT_OK(eddy_store_put(st, S("a"), S("new-a"), NULL));
  ASSERT_OK(eddy_store_delete(st, S("b"), NULL));
  ASSERT_OK(eddy_store_put(st, S("bb"), S("new-bb"), NULL));
  eddy_slice_t v;
  ASSERT_OK(eddy_store_get(st, S("a"), &v, NULL));
  ASSERT_MEM_EQ("new-a", v.p, v.len);
  ASSERT_EQ(EDDY_ENOENT, eddy_store_get(st, S("b"), &v, NULL));
  ASSERT_OK(eddy_store_get(st, S("c"), &v, NULL));
  ASSERT_MEM_EQ("old-c", v.p, v.len);
  eddy_store_iter_t *it;
  ASSERT_OK(eddy_store_range(st, NULL, NULL, &it, NULL));
  eddy_store_entry_t e;
  const char *want[][2] = {{"a", "new-a"}, {"bb", "new-bb"}, {"c", "old-c"}};
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(1, eddy_store_iter_next(it, &e, NULL));
    ASSERT_MEM_EQ(want[i][0], e.key.p, e.key.len);
    ASSERT_MEM_EQ(want[i][1], e.value.p, e.value.len);
  }
  ASSERT_EQ(0, eddy_store_iter_next(it, &e, NULL));
  eddy_store_iter_destroy(it);
  eddy_store_stats_t s;
  eddy_store_stats(st, &s);
  ASSERT_EQ(3, s.gets);
  ASSERT_EQ(3, s.cache_hits);  /* committed entries stay cached while there is room */
  eddy_store_close(st);
  teardown();
}

EDDY_TEST(cache_evicts_when_full) {
  setup();
  static log_t log;
  memset(&log, 0, sizeof(log));
  eddy_store_t *st = open_store(EDDY_STORE_ROCKSDB, "evict", 4096, &log);
  char k[16];
  for (int i = 0; i < 200; i++) {
    snprintf(k, sizeof(k), "key%03d", i);
    ASSERT_OK(eddy_store_put(st, S(k), S("value"), NULL));
  }
  eddy_store_stats_t s;
  eddy_store_stats(st, &s);
  ASSERT_TRUE(s.evictions > 0);
  ASSERT_TRUE(s.cache_bytes <= 4096);
  ASSERT_TRUE(log.cnt > 0);  /* evicted entries went to the changelog already */
  ASSERT_TRUE(eddy_store_dirty(st));
  /* every key readable, whether evicted or cached */
  for (int i = 0; i < 200; i++) {
    eddy_slice_t v;
    snprintf(k, sizeof(k), "key%03d", i);
    ASSERT_OK(eddy_store_get(st, S(k), &v, NULL));
  }
  eddy_store_close(st);  /* a crash before the commit */
  st = open_store(EDDY_STORE_ROCKSDB, "evict", 4096, &log);
  ASSERT_TRUE(eddy_store_dirty(st));  /* holds writes past its (absent) offset */
  ASSERT_EQ(EDDY_OFFSET_NONE, eddy_store_committed_offset(st));
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_OK(eddy_store_commit(st, 9, NULL));
  ASSERT_FALSE(eddy_store_dirty(st));
  eddy_store_close(st);
  st = open_store(EDDY_STORE_ROCKSDB, "evict", 4096, &log);
  ASSERT_FALSE(eddy_store_dirty(st));
  ASSERT_EQ(9, eddy_store_committed_offset(st));
  eddy_store_close(st);
  teardown();
}

EDDY_TEST(cache_write_through) {
  setup();
  static log_t log;
  memset(&log, 0, sizeof(log));
  eddy_store_t *st = open_store(EDDY_STORE_MEMORY, "wt", 0, &log);
  ASSERT_OK(eddy_store_put(st, S("a"), S("1"), NULL));
  ASSERT_EQ(1, log.cnt);
  ASSERT_OK(eddy_store_put(st, S("a"), S("2"), NULL));
  ASSERT_EQ(2, log.cnt);
  ASSERT_STR_EQ("2", log.val[1]);
  eddy_slice_t v;
  ASSERT_OK(eddy_store_get(st, S("a"), &v, NULL));
  ASSERT_MEM_EQ("2", v.p, v.len);
  eddy_store_close(st);
  teardown();
}

static int failing(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                   eddy_error_t **err) {
  (void)opaque;
  (void)key;
  (void)value;
  (void)time;
  return eddy_error_set(err, EDDY_EKAFKA, "broker unreachable");
}

EDDY_TEST(cache_flush_reports_changelog_error) {
  setup();
  eddy_store_t *st = open_store(EDDY_STORE_MEMORY, "fail", 1 << 20, NULL);
  eddy_store_set_changelog(st, failing, NULL);
  ASSERT_OK(eddy_store_put(st, S("a"), S("1"), NULL));
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EKAFKA, eddy_store_flush(st, &err));
  ASSERT_STR_EQ("broker unreachable", eddy_error_msg(err));
  eddy_error_destroy(err);
  eddy_store_abort(st);
  eddy_slice_t v;
  ASSERT_EQ(EDDY_ENOENT, eddy_store_get(st, S("a"), &v, NULL));
  eddy_store_close(st);
  teardown();
}

EDDY_TEST(cache_drops_committed_entries_before_evicting) {
  setup();
  static log_t log;
  memset(&log, 0, sizeof(log));
  eddy_store_t *st = open_store(EDDY_STORE_ROCKSDB, "drop", 8192, &log);
  char k[16];
  for (int i = 0; i < 160; i++) {
    snprintf(k, sizeof(k), "key%03d", i);
    ASSERT_OK(eddy_store_put(st, S(k), S("value"), NULL));
    if (i == 79) {  /* the first half is committed and stays cached */
      ASSERT_OK(eddy_store_flush(st, NULL));
      ASSERT_OK(eddy_store_commit(st, 1, NULL));
      eddy_store_stats_t s;
      eddy_store_stats(st, &s);
      ASSERT_EQ(80, s.cache_entries);
    }
  }
  eddy_store_stats_t s;
  eddy_store_stats(st, &s);
  ASSERT_EQ(0, s.evictions);  /* room was made by dropping committed entries */
  ASSERT_FALSE(eddy_store_dirty(st));
  ASSERT_EQ(80, log.cnt);     /* only the first half went to the changelog so far */
  ASSERT_TRUE(s.cache_entries < 160);
  for (int i = 0; i < 160; i++) {
    eddy_slice_t v;
    snprintf(k, sizeof(k), "key%03d", i);
    ASSERT_OK(eddy_store_get(st, S(k), &v, NULL));
    ASSERT_MEM_EQ("value", v.p, v.len);
  }
  eddy_store_close(st);
  teardown();
}
