/*
 * The state environment: one memory budget split three ways.
 *
 *   state.memory.bytes
 *   |-- write-back caches     state.cache.max.bytes (default 1/8), shared
 *   |                         equally by the open stores
 *   `-- RocksDB               the rest
 *       |-- memtables         write_buffer_ratio of it (default 1/4)
 *       `-- block cache       the remainder: one LRU cache for every store,
 *                             holding data, index and filter blocks
 *
 * RocksDB's C API (7.8) has no WriteBufferManager, so memtables cannot be
 * charged to the block cache. Instead each database gets write_buffer_size =
 * memtables / (2 * n) with n the number of open RocksDB stores rounded up to
 * a power of two (two memtables per store: one filling, one flushing).
 * When n crosses a power of two, every open store is resized with
 * SetOptions, so the rebalancing costs O(log n) rounds, not one per open.
 */
#include <stdio.h>
#include <string.h>

#include "eddy/alloc.h"
#include "state/store_int.h"

#define MIB ((size_t)1 << 20)
#define MIN_WRITE_BUFFER ((size_t)256 << 10)
#define MAX_WRITE_BUFFER ((size_t)64 << 20)

void eddy_state_conf_init(eddy_state_conf_t *conf) {
  memset(conf, 0, sizeof(*conf));
  conf->memory_bytes = 256 * MIB;
  conf->cache_max_bytes = -1;
  conf->write_buffer_ratio = 0.25;
  conf->background_threads = 2;
}

static int split_budget(eddy_state_env_t *env, const eddy_state_conf_t *conf,
                        eddy_error_t **err) {
  size_t mem = conf->memory_bytes ? conf->memory_bytes : 256 * MIB;
  if (mem < 16 * MIB)
    return eddy_error_set(err, EDDY_ECONFIG, "state.memory.bytes must be at least 16 MiB, not %zu",
                          mem);
  size_t cache = conf->cache_max_bytes < 0 ? mem / 8 : (size_t)conf->cache_max_bytes;
  if (cache > mem / 2)
    return eddy_error_set(err, EDDY_ECONFIG,
                          "state.cache.max.bytes (%zu) must be at most half of "
                          "state.memory.bytes (%zu)", cache, mem);
  double ratio = conf->write_buffer_ratio > 0 ? conf->write_buffer_ratio : 0.25;
  if (ratio >= 0.9)
    return eddy_error_set(err, EDDY_ECONFIG, "state.memory.write.buffer.ratio must be < 0.9");
  env->memory_bytes = mem;
  env->cache_bytes = cache;
  env->write_buffer_bytes = (size_t)((double)(mem - cache) * ratio);
  env->block_cache_bytes = mem - cache - env->write_buffer_bytes;
  env->cache_share = cache;
  return 0;
}

int eddy_state_env_new(eddy_state_env_t **out, const eddy_state_conf_t *conf,
                       eddy_error_t **err) {
  *out = NULL;
  eddy_state_env_t *env = eddy_calloc(1, sizeof(*env));
  if (env == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int rc = split_budget(env, conf, err);
  if (rc == 0 && conf->dir != NULL && (env->dir = eddy_strdup(conf->dir)) == NULL)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  if (rc != 0) {
    eddy_free(env);
    return rc;
  }
  if (conf->logger != NULL)
    env->logger = *conf->logger;
  else
    env->logger.level = EDDY_LOG_OFF;
  env->background_threads = conf->background_threads > 0 ? conf->background_threads : 2;
  pthread_mutex_init(&env->lock, NULL);
  env->block_cache = rocksdb_cache_create_lru(env->block_cache_bytes);
  env->rocks_env = rocksdb_create_default_env();
  rocksdb_env_set_background_threads(env->rocks_env, env->background_threads);
  rocksdb_env_set_high_priority_background_threads(env->rocks_env, 1);
  *out = env;
  return 0;
}

void eddy_state_env_destroy(eddy_state_env_t *env) {
  if (env == NULL)
    return;
  if (env->store_cnt != 0 || env->rocksdb_cnt != 0)
    eddy_log(&env->logger, EDDY_LOG_ERROR, "state",
             "state env destroyed with %d stores still open", env->store_cnt);
  rocksdb_cache_destroy(env->block_cache);
  rocksdb_env_destroy(env->rocks_env);
  pthread_mutex_destroy(&env->lock);
  eddy_free(env->rocksdb);
  eddy_free(env->dir);
  eddy_free(env);
}

static int pow2_at_least(int n) {
  int p = 1;
  while (p < n && p < (1 << 30))
    p <<= 1;
  return p;
}

size_t eddy__env_write_buffer_size(const eddy_state_env_t *env, int cnt) {
  size_t wb = env->write_buffer_bytes / (2 * (size_t)pow2_at_least(cnt < 1 ? 1 : cnt));
  if (wb < MIN_WRITE_BUFFER)
    wb = MIN_WRITE_BUFFER;
  return wb > MAX_WRITE_BUFFER ? MAX_WRITE_BUFFER : wb;
}

void eddy__env_add_store(eddy_state_env_t *env) {
  pthread_mutex_lock(&env->lock);
  env->store_cnt++;
  atomic_store(&env->cache_share, env->cache_bytes / (size_t)env->store_cnt);
  pthread_mutex_unlock(&env->lock);
}

void eddy__env_remove_store(eddy_state_env_t *env) {
  pthread_mutex_lock(&env->lock);
  env->store_cnt--;
  atomic_store(&env->cache_share,
               env->cache_bytes / (size_t)(env->store_cnt > 0 ? env->store_cnt : 1));
  pthread_mutex_unlock(&env->lock);
}

/* Under env->lock: resize every store's memtables if the rounded count moved. */
static void rebalance(eddy_state_env_t *env, int old_cnt) {
  if (pow2_at_least(old_cnt) == pow2_at_least(env->rocksdb_cnt))
    return;
  size_t wb = eddy__env_write_buffer_size(env, env->rocksdb_cnt);
  for (int i = 0; i < env->rocksdb_cnt; i++)
    eddy__rocksdb_set_write_buffer(env->rocksdb[i], wb);
  if (wb == MIN_WRITE_BUFFER &&
      (size_t)env->rocksdb_cnt * 2 * MIN_WRITE_BUFFER > env->write_buffer_bytes)
    eddy_log(&env->logger, EDDY_LOG_WARN, "state",
             "%d RocksDB stores need %zu bytes of memtables, more than the budget's %zu",
             env->rocksdb_cnt, (size_t)env->rocksdb_cnt * 2 * MIN_WRITE_BUFFER,
             env->write_buffer_bytes);
}

int eddy__env_add_rocksdb(eddy_state_env_t *env, eddy__backend_t *be) {
  pthread_mutex_lock(&env->lock);
  if (env->rocksdb_cnt == env->rocksdb_cap) {
    int cap = env->rocksdb_cap ? env->rocksdb_cap * 2 : 16;
    eddy__backend_t **p = eddy_realloc(env->rocksdb, (size_t)cap * sizeof(*p));
    if (p == NULL) {
      pthread_mutex_unlock(&env->lock);
      return EDDY_ENOMEM;
    }
    env->rocksdb = p;
    env->rocksdb_cap = cap;
  }
  env->rocksdb[env->rocksdb_cnt++] = be;
  rebalance(env, env->rocksdb_cnt - 1);
  pthread_mutex_unlock(&env->lock);
  return 0;
}

void eddy__env_remove_rocksdb(eddy_state_env_t *env, eddy__backend_t *be) {
  pthread_mutex_lock(&env->lock);
  for (int i = 0; i < env->rocksdb_cnt; i++) {
    if (env->rocksdb[i] == be) {
      env->rocksdb[i] = env->rocksdb[--env->rocksdb_cnt];
      rebalance(env, env->rocksdb_cnt + 1);
      break;
    }
  }
  pthread_mutex_unlock(&env->lock);
}

void eddy_state_env_memory(eddy_state_env_t *env, eddy_state_memory_t *out) {
  memset(out, 0, sizeof(*out));
  out->budget_bytes = env->memory_bytes;
  out->block_cache_bytes = env->block_cache_bytes;
  out->block_cache_usage = rocksdb_cache_get_usage(env->block_cache);
  out->write_buffer_bytes = env->write_buffer_bytes;
  out->cache_bytes = env->cache_bytes;
  pthread_mutex_lock(&env->lock);
  out->store_cnt = env->store_cnt;
  out->rocksdb_store_cnt = env->rocksdb_cnt;
  out->write_buffer_per_store = eddy__env_write_buffer_size(env, env->rocksdb_cnt);
  pthread_mutex_unlock(&env->lock);
}
