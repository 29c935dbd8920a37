/* Exactly-once stores (KIP-892): a full cache asks for an early commit instead
 * of evicting uncommitted writes, so the store never becomes dirty (dirty
 * stores are wiped and fully restored after a crash); evictions come back
 * only past the hard limit. */
#include "eddy_test.h"
#include "eddy/store.h"
#include "test_state.h"

#include <stdlib.h>
#include <string.h>

#define CACHE 4096

static char *dir;
static eddy_state_env_t *env;
static atomic_bool request;
static int changelog_cnt;

static int count(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                 eddy_error_t **err) {
  (void)opaque, (void)key, (void)value, (void)time, (void)err;
  changelog_cnt++;
  return 0;
}

static eddy_store_t *open_store(const char *name) {
  eddy_state_conf_t sc;
  eddy_state_conf_init(&sc);
  sc.dir = dir;
  sc.memory_bytes = 32 << 20;
  if (env == NULL)
    ASSERT_OK(eddy_state_env_new(&env, &sc, NULL));
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = name;
  c.app = "app";
  c.task = "0_0";
  c.cache_max_bytes = CACHE;
  c.changelog = count;
  c.commit_request = &request;
  eddy_store_t *st = NULL;
  ASSERT_OK(eddy_store_open(&st, env, &c, NULL));
  return st;
}

static void put_keys(eddy_store_t *st, int from, int to) {
  char k[32], v[64];
  memset(v, 'v', sizeof(v));
  for (int i = from; i < to; i++) {
    snprintf(k, sizeof(k), "key%06d", i);
    ASSERT_OK(eddy_store_put(st, eddy_slice(k, strlen(k)), eddy_slice(v, sizeof(v)), NULL));
  }
}

static void finish(void) {
  ts_env_destroy(env, dir);
  env = NULL;
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(full_cache_asks_for_a_commit) {
  dir = eddy_test_tmpdir("store-hold");
  atomic_store(&request, false);
  eddy_store_t *st = open_store("hold");
  put_keys(st, 0, 200);   /* ~20 KB: past the 4 KB cache, below the hard limit */
  ASSERT_TRUE(atomic_load(&request));
  eddy_store_stats_t s;
  eddy_store_stats(st, &s);
  ASSERT_EQ(0, s.evictions);
  ASSERT_EQ(1, s.commit_requests);   /* raised once until the runtime takes it */
  ASSERT_EQ(0, changelog_cnt);       /* nothing left the cache before the commit */
  ASSERT_FALSE(eddy_store_dirty(st));

  /* the runtime's early commit: flush, (transaction), commit */
  atomic_store(&request, false);
  ASSERT_OK(eddy_store_flush(st, NULL));
  ASSERT_EQ(200, changelog_cnt);
  ASSERT_OK(eddy_store_commit(st, 199, NULL));
  eddy_store_stats(st, &s);
  ASSERT_TRUE(s.cache_bytes <= CACHE);   /* committed entries are dropped */

  /* a crash now: reopened, the store is clean at its offset with every key */
  eddy_store_close(st);
  st = open_store("hold");
  ASSERT_FALSE(eddy_store_dirty(st));
  ASSERT_EQ(199, eddy_store_committed_offset(st));
  eddy_slice_t v;
  ASSERT_OK(eddy_store_get(st, eddy_slice("key000123", 9), &v, NULL));
  eddy_store_close(st);
  finish();
}

EDDY_TEST(past_the_hard_limit_the_store_evicts) {
  dir = eddy_test_tmpdir("store-hold");
  atomic_store(&request, false);
  eddy_store_t *st = open_store("hard");
  /* 30000 keys of ~80 bytes are well past EDDY_STORE_HOLD_FACTOR * 4 KB + 1 MiB */
  put_keys(st, 0, 30000);
  eddy_store_stats_t s;
  eddy_store_stats(st, &s);
  ASSERT_TRUE(s.evictions > 0);
  ASSERT_TRUE(eddy_store_dirty(st));   /* the fallback: wiped after a crash */
  ASSERT_TRUE(atomic_load(&request));
  eddy_store_close(st);
  finish();
}
