/*
 * The RocksDB backend: one database per (task, store) at
 * <state.dir>/<app>/<task>/<store>, two column families ("default" for the
 * data, "eddy_meta" for the offset and format records, flushed atomically
 * together), WAL off, tables in the env's shared block cache. RocksDB's
 * char **errptr errors become eddy_error_t here and nowhere else.
 */
#include <stdio.h>
#include <string.h>

#include "state/store_int.h"

typedef struct {
  rocksdb_t *db;
  rocksdb_column_family_handle_t *cf[2];  /* data, meta */
  rocksdb_options_t *opts;                 /* DB + data column family */
  rocksdb_options_t *meta_opts;
  rocksdb_block_based_table_options_t *table;
  rocksdb_writeoptions_t *wopts;
  rocksdb_readoptions_t *ropts;
  rocksdb_flushoptions_t *fopts;
  rocksdb_pinnableslice_t *pin;            /* the last get's value */
  eddy_state_env_t *env;
  bool registered;                         /* in env's list (memtable rebalancing) */
  char *path;
} rdb_t;

struct eddy__biter_s {
  rocksdb_iterator_t *it;
};

struct eddy__batch_s {
  rdb_t *r;
  rocksdb_writebatch_t *wb;
};

static int rdb_error(eddy_error_t **err, const char *what, const char *path, char *rerr) {
  int rc = eddy_error_set_ex(err, EDDY_ESTORE, "rocksdb", false, "rocksdb %s %s: %s", what,
                             path, rerr ? rerr : "unknown error");
  rocksdb_free(rerr);
  return rc;
}

static void set_options(rdb_t *r, size_t write_buffer) {
  eddy_state_env_t *env = r->env;
  r->opts = rocksdb_options_create();
  rocksdb_options_set_create_if_missing(r->opts, 1);
  rocksdb_options_set_create_missing_column_families(r->opts, 1);
  rocksdb_options_set_atomic_flush(r->opts, 1);
  rocksdb_options_set_env(r->opts, env->rocks_env);
  rocksdb_options_set_info_log_level(r->opts, 2 /* WARN */);
  rocksdb_options_set_keep_log_file_num(r->opts, 2);
  rocksdb_options_set_max_log_file_size(r->opts, 1 << 20);
  rocksdb_options_set_max_background_jobs(r->opts, env->background_threads);
  rocksdb_options_set_write_buffer_size(r->opts, write_buffer);
  rocksdb_options_set_max_write_buffer_number(r->opts, 2);
  rocksdb_options_set_compression(r->opts, rocksdb_lz4_compression);
  rocksdb_options_set_avoid_unnecessary_blocking_io(r->opts, 1);
  r->table = rocksdb_block_based_options_create();
  rocksdb_block_based_options_set_block_cache(r->table, env->block_cache);
  rocksdb_block_based_options_set_cache_index_and_filter_blocks(r->table, 1);
  rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(r->table, 1);
  rocksdb_block_based_options_set_block_size(r->table, 16 * 1024);
  rocksdb_block_based_options_set_filter_policy(r->table, rocksdb_filterpolicy_create_bloom_full(10));
  rocksdb_options_set_block_based_table_factory(r->opts, r->table);
  r->meta_opts = rocksdb_options_create_copy(r->opts);
  rocksdb_options_set_write_buffer_size(r->meta_opts, 64 * 1024);
  r->wopts = rocksdb_writeoptions_create();
  rocksdb_writeoptions_disable_WAL(r->wopts, 1);
  r->ropts = rocksdb_readoptions_create();
  r->fopts = rocksdb_flushoptions_create();
  rocksdb_flushoptions_set_wait(r->fopts, 1);
}

static int open_db(rdb_t *r, eddy_error_t **err) {
  static const char *const names[2] = {"default", "eddy_meta"};
  const rocksdb_options_t *cf_opts[2] = {r->opts, r->meta_opts};
  char *rerr = NULL;
  r->db = rocksdb_open_column_families(r->opts, r->path, 2, names, cf_opts, r->cf, &rerr);
  if (r->db == NULL)
    return rdb_error(err, "open", r->path, rerr);
  return 0;
}

static void close_db(rdb_t *r) {
  if (r->db == NULL)
    return;
  rocksdb_pinnableslice_destroy(r->pin);
  r->pin = NULL;
  for (int i = 0; i < 2; i++)
    rocksdb_column_family_handle_destroy(r->cf[i]);
  rocksdb_close(r->db);
  r->db = NULL;
}

static void rdb_close(eddy__backend_t *be) {
  rdb_t *r = (rdb_t *)be;
  if (r == NULL)
    return;
  if (r->registered)
    eddy__env_remove_rocksdb(r->env, be);
  close_db(r);
  rocksdb_options_destroy(r->opts);
  rocksdb_options_destroy(r->meta_opts);
  rocksdb_block_based_options_destroy(r->table);
  rocksdb_writeoptions_destroy(r->wopts);
  rocksdb_readoptions_destroy(r->ropts);
  rocksdb_flushoptions_destroy(r->fopts);
  eddy_free(r->path);
  eddy_free(r);
}

int eddy__rocksdb_open(eddy__backend_t **out, eddy_state_env_t *env, const char *app,
                       const char *task, const char *name, eddy_error_t **err) {
  *out = NULL;
  rdb_t *r = eddy_calloc(1, sizeof(*r));
  if (r == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  r->env = env;
  size_t len = strlen(env->dir) + strlen(app) + strlen(task) + strlen(name) + 4;
  r->path = eddy_malloc(len);
  if (r->path == NULL) {
    eddy_free(r);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  snprintf(r->path, len, "%s/%s/%s/%s", env->dir, app, task, name);
  int rc = eddy__mkdirs(r->path, err);
  pthread_mutex_lock(&env->lock);
  size_t wb = eddy__env_write_buffer_size(env, env->rocksdb_cnt + 1);
  pthread_mutex_unlock(&env->lock);
  set_options(r, wb);
  if (rc == 0)
    rc = open_db(r, err);
  if (rc == 0 && eddy__env_add_rocksdb(env, (eddy__backend_t *)r) != 0)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  r->registered = rc == 0;
  if (rc != 0) {
    rdb_close((eddy__backend_t *)r);
    return rc;
  }
  *out = (eddy__backend_t *)r;
  return 0;
}

void eddy__rocksdb_set_write_buffer(eddy__backend_t *be, size_t bytes) {
  rdb_t *r = (rdb_t *)be;
  char val[32];
  const char *key = "write_buffer_size";
  const char *v = val;
  char *rerr = NULL;
  if (r->db == NULL)
    return;
  snprintf(val, sizeof(val), "%zu", bytes);
  rocksdb_set_options_cf(r->db, r->cf[0], 1, &key, &v, &rerr);
  if (rerr != NULL) {
    eddy_log(&r->env->logger, EDDY_LOG_WARN, "state", "set write_buffer_size on %s: %s",
             r->path, rerr);
    rocksdb_free(rerr);
  }
}

/* ---- reads ------------------------------------------------------------------ */

static int rdb_get(eddy__backend_t *be, eddy_slice_t key, eddy_slice_t *val, eddy_error_t **err) {
  rdb_t *r = (rdb_t *)be;
  char *rerr = NULL;
  rocksdb_pinnableslice_destroy(r->pin);
  r->pin = rocksdb_get_pinned_cf(r->db, r->ropts, r->cf[0], (const char *)key.p, key.len, &rerr);
  if (rerr != NULL)
    return rdb_error(err, "get", r->path, rerr);
  if (r->pin == NULL)
    return EDDY_ENOENT;
  size_t len;
  const char *p = rocksdb_pinnableslice_value(r->pin, &len);
  *val = eddy_slice(p, len);
  return 0;
}

static int rdb_meta_get(eddy__backend_t *be, const char *key, eddy_buf_t *val,
                        eddy_error_t **err) {
  rdb_t *r = (rdb_t *)be;
  char *rerr = NULL;
  size_t len = 0;
  char *v = rocksdb_get_cf(r->db, r->ropts, r->cf[1], key, strlen(key), &len, &rerr);
  if (rerr != NULL)
    return rdb_error(err, "get", r->path, rerr);
  if (v == NULL)
    return EDDY_ENOENT;
  eddy_buf_clear(val);
  int rc = eddy_buf_append(val, v, len);
  rocksdb_free(v);
  return rc != 0 ? eddy_error_set(err, EDDY_ENOMEM, "out of memory") : 0;
}

static int rdb_iter_new(eddy__backend_t *be, eddy__biter_t **out, eddy_error_t **err) {
  rdb_t *r = (rdb_t *)be;
  eddy__biter_t *it = eddy_calloc(1, sizeof(*it));
  if (it == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  it->it = rocksdb_create_iterator_cf(r->db, r->ropts, r->cf[0]);
  *out = it;
  return 0;
}

static void rdb_iter_seek(eddy__biter_t *it, eddy_slice_t key) {
  rocksdb_iter_seek(it->it, (const char *)key.p, key.len);
}
static bool rdb_iter_valid(eddy__biter_t *it) { return rocksdb_iter_valid(it->it) != 0; }
static void rdb_iter_next(eddy__biter_t *it) { rocksdb_iter_next(it->it); }
static eddy_slice_t rdb_iter_key(eddy__biter_t *it) {
  size_t len;
  const char *p = rocksdb_iter_key(it->it, &len);
  return eddy_slice(p, len);
}
static eddy_slice_t rdb_iter_value(eddy__biter_t *it) {
  size_t len;
  const char *p = rocksdb_iter_value(it->it, &len);
  return eddy_slice(p, len);
}
static int rdb_iter_status(eddy__biter_t *it, eddy_error_t **err) {
  char *rerr = NULL;
  rocksdb_iter_get_error(it->it, &rerr);
  return rerr ? rdb_error(err, "iterate", "", rerr) : 0;
}
static void rdb_iter_destroy(eddy__biter_t *it) {
  rocksdb_iter_destroy(it->it);
  eddy_free(it);
}

/* ---- batches and writes ----------------------------------------------------------- */

static eddy__batch_t *rdb_batch_new(eddy__backend_t *be) {
  eddy__batch_t *b = eddy_calloc(1, sizeof(*b));
  if (b == NULL)
    return NULL;
  b->r = (rdb_t *)be;
  b->wb = rocksdb_writebatch_create();
  return b;
}
static int rdb_batch_put(eddy__batch_t *b, eddy_slice_t k, eddy_slice_t v) {
  rocksdb_writebatch_put_cf(b->wb, b->r->cf[0], (const char *)k.p, k.len, (const char *)v.p,
                            v.len);
  return 0;
}
static int rdb_batch_delete(eddy__batch_t *b, eddy_slice_t k) {
  rocksdb_writebatch_delete_cf(b->wb, b->r->cf[0], (const char *)k.p, k.len);
  return 0;
}
static int rdb_batch_delete_range(eddy__batch_t *b, eddy_slice_t from, eddy_slice_t to) {
  rocksdb_writebatch_delete_range_cf(b->wb, b->r->cf[0], (const char *)from.p, from.len,
                                     (const char *)to.p, to.len);
  return 0;
}
static int rdb_batch_put_meta(eddy__batch_t *b, const char *key, eddy_slice_t v) {
  rocksdb_writebatch_put_cf(b->wb, b->r->cf[1], key, strlen(key), (const char *)v.p, v.len);
  return 0;
}
static size_t rdb_batch_count(eddy__batch_t *b) { return (size_t)rocksdb_writebatch_count(b->wb); }
static size_t rdb_batch_bytes(eddy__batch_t *b) {
  size_t len;
  rocksdb_writebatch_data(b->wb, &len);
  return len;
}
static void rdb_batch_clear(eddy__batch_t *b) { rocksdb_writebatch_clear(b->wb); }
static void rdb_batch_destroy(eddy__batch_t *b) {
  if (b == NULL)
    return;
  rocksdb_writebatch_destroy(b->wb);
  eddy_free(b);
}

static int rdb_write(eddy__backend_t *be, eddy__batch_t *b, eddy_error_t **err) {
  rdb_t *r = (rdb_t *)be;
  char *rerr = NULL;
  rocksdb_write(r->db, r->wopts, b->wb, &rerr);
  return rerr ? rdb_error(err, "write", r->path, rerr) : 0;
}

/* Data first, then metadata: a crash in between leaves an older offset
 * with newer data, and replaying from an older offset is harmless. */
static int rdb_persist(eddy__backend_t *be, eddy_error_t **err) {
  rdb_t *r = (rdb_t *)be;
  for (int i = 0; i < 2; i++) {
    char *rerr = NULL;
    rocksdb_flush_cf(r->db, r->fopts, r->cf[i], &rerr);
    if (rerr != NULL)
      return rdb_error(err, "flush", r->path, rerr);
  }
  return 0;
}

/* Destroy the database files and open an empty one in their place; under
 * the env lock so that memtable rebalancing never sees a closed database. */
static int rdb_wipe(eddy__backend_t *be, eddy_error_t **err) {
  rdb_t *r = (rdb_t *)be;
  char *rerr = NULL;
  int rc = 0;
  pthread_mutex_lock(&r->env->lock);
  close_db(r);
  rocksdb_destroy_db(r->opts, r->path, &rerr);
  if (rerr != NULL)
    rc = rdb_error(err, "destroy", r->path, rerr);
  if (rc == 0)
    rc = open_db(r, err);
  pthread_mutex_unlock(&r->env->lock);
  return rc;
}

const eddy__backend_ops_t eddy__rocksdb_ops = {
    .name = "rocksdb",
    .get = rdb_get,
    .meta_get = rdb_meta_get,
    .iter_new = rdb_iter_new,
    .iter_seek = rdb_iter_seek,
    .iter_valid = rdb_iter_valid,
    .iter_next = rdb_iter_next,
    .iter_key = rdb_iter_key,
    .iter_value = rdb_iter_value,
    .iter_status = rdb_iter_status,
    .iter_destroy = rdb_iter_destroy,
    .batch_new = rdb_batch_new,
    .batch_put = rdb_batch_put,
    .batch_delete = rdb_batch_delete,
    .batch_delete_range = rdb_batch_delete_range,
    .batch_put_meta = rdb_batch_put_meta,
    .batch_count = rdb_batch_count,
    .batch_bytes = rdb_batch_bytes,
    .batch_clear = rdb_batch_clear,
    .batch_destroy = rdb_batch_destroy,
    .write = rdb_write,
    .wipe = rdb_wipe,
    .persist = rdb_persist,
    .close = rdb_close,
};
