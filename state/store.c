/*
 * eddy_store_t: the write-back cache in front of a backend, the commit
 * protocol (flush, commit, abort), eviction and expiry. Key-value calls live here; window and session calls encode their
 * keys in store_keys.c and come back through eddy__store_write/read.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "eddy/alloc.h"
#include "state/store_int.h"

#define DEFAULT_MEMORY_CACHE (1 << 20)

void eddy_store_conf_init(eddy_store_conf_t *conf) {
  memset(conf, 0, sizeof(*conf));
  conf->kind = EDDY_STORE_KV;
  conf->backend = EDDY_STORE_ROCKSDB;
  conf->cache_max_bytes = -1;
}

static bool valid_name(const char *s) {
  if (s == NULL || *s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '.' || *s == '_' || *s == '-'))
      return false;
  return true;
}

static int check_conf(const eddy_state_env_t *env, const eddy_store_conf_t *c,
                      eddy_error_t **err) {
  if (!valid_name(c->name))
    return eddy_error_set(err, EDDY_EINVAL, "store name '%s' must match [A-Za-z0-9._-]+",
                          c->name ? c->name : "(null)");
  if (c->kind < EDDY_STORE_KV || c->kind > EDDY_STORE_SESSION)
    return eddy_error_set(err, EDDY_EINVAL, "store '%s': unknown kind %d", c->name, c->kind);
  if (c->retention < 0 || c->segment < 0 || c->window_size < 0)
    return eddy_error_set(err, EDDY_EINVAL, "store '%s': negative retention/segment/size",
                          c->name);
  if (c->backend == EDDY_STORE_MEMORY)
    return 0;
  if (c->backend != EDDY_STORE_ROCKSDB)
    return eddy_error_set(err, EDDY_EINVAL, "store '%s': unknown backend %d", c->name,
                          c->backend);
  if (env == NULL || env->dir == NULL)
    return eddy_error_set(err, EDDY_EINVAL,
                          "store '%s': a RocksDB store needs a state env with a directory",
                          c->name);
  if (!valid_name(c->app) || !valid_name(c->task))
    return eddy_error_set(err, EDDY_EINVAL, "store '%s': app and task must match [A-Za-z0-9._-]+",
                          c->name);
  return 0;
}

static int64_t default_segment(int64_t retention) {
  const int64_t minute = 60 * (int64_t)1000000, day = 24 * 60 * minute;
  if (retention == 0)
    return day;
  return retention / 2 > minute ? retention / 2 : minute;
}

/*
 * The format record, written once when a store is created:
 *
 *   +-----------+--------+------------------------+
 *   | version 1 | kind 1 | segment length (µs) 8  |
 *   +-----------+--------+------------------------+
 */
static int load_format(eddy_store_t *st, int64_t segment, eddy_error_t **err) {
  int rc = st->ops->meta_get(st->be, EDDY__META_FORMAT, &st->mbuf, err);
  if (rc == 0) {
    const uint8_t *p = (const uint8_t *)st->mbuf.p;
    if (st->mbuf.len != 10 || p[0] != 1)
      return eddy_error_set(err, EDDY_ESTORE, "store '%s': unknown format record", st->name);
    if (p[1] != (uint8_t)st->kind)
      return eddy_error_set(err, EDDY_ECONFIG, "store '%s' was created with kind %d, not %d",
                            st->name, p[1], (int)st->kind);
    st->segment = (int64_t)eddy__get_u64(p + 2);
    return 0;
  }
  if (rc != EDDY_ENOENT)
    return rc;
  uint8_t rec[10] = {1, (uint8_t)st->kind};
  eddy__put_u64(rec + 2, (uint64_t)segment);
  st->segment = segment;
  if (st->ops->batch_put_meta(st->pending, EDDY__META_FORMAT, eddy_slice(rec, 10)) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  rc = st->ops->write(st->be, st->pending, err);
  st->ops->batch_clear(st->pending);
  return rc;
}

/* Offset, dirty mark and expiry time as recorded by the last commit. */
static int load_position(eddy_store_t *st, eddy_error_t **err) {
  int rc = st->ops->meta_get(st->be, EDDY__META_OFFSET, &st->mbuf, err);
  if (rc == 0 && st->mbuf.len == 16) {
    st->committed_offset = (int64_t)eddy__get_u64((const uint8_t *)st->mbuf.p);
    st->min_time = eddy__get_time((const uint8_t *)st->mbuf.p + 8);
  } else if (rc != EDDY_ENOENT && rc != 0) {
    return rc;
  }
  rc = st->ops->meta_get(st->be, EDDY__META_DIRTY, &st->mbuf, err);
  if (rc == 0)
    st->dirty = st->mbuf.len == 1 && st->mbuf.p[0] == 1;
  else if (rc != EDDY_ENOENT)
    return rc;
  st->expired_seg = st->min_time == INT64_MIN ? INT64_MIN : eddy__segment_of(st, st->min_time);
  return 0;
}

static int open_backend(eddy_store_t *st, const eddy_store_conf_t *conf, eddy_error_t **err) {
  if (conf->backend == EDDY_STORE_MEMORY) {
    st->ops = &eddy__memory_ops;
    return eddy__memory_open(&st->be, err);
  }
  st->ops = &eddy__rocksdb_ops;
  return eddy__rocksdb_open(&st->be, st->env, conf->app, conf->task, conf->name, err);
}

static eddy_store_t *store_alloc(eddy_state_env_t *env, const eddy_store_conf_t *conf) {
  eddy_store_t *st = eddy_calloc(1, sizeof(*st));
  if (st == NULL)
    return NULL;
  st->name = eddy_strdup(conf->name);
  if (st->name == NULL || eddy__sl_init(&st->cache) != 0) {
    eddy_free(st->name);
    eddy_free(st);
    return NULL;
  }
  st->kind = conf->kind;
  st->backend_kind = conf->backend;
  st->env = env;
  st->cache_limit = conf->cache_max_bytes;
  st->changelog = conf->changelog;
  st->changelog_opaque = conf->changelog_opaque;
  st->commit_request = conf->commit_request;
  st->committed_offset = EDDY_OFFSET_NONE;
  st->retention = conf->retention;
  st->window_size = conf->window_size;
  st->min_time = INT64_MIN;
  st->expired_seg = INT64_MIN;
  return st;
}

int eddy_store_open(eddy_store_t **out, eddy_state_env_t *env, const eddy_store_conf_t *conf,
                    eddy_error_t **err) {
  *out = NULL;
  int rc = check_conf(env, conf, err);
  if (rc != 0)
    return rc;
  eddy_store_t *st = store_alloc(env, conf);
  if (st == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  rc = open_backend(st, conf, err);
  if (rc != 0) {
    st->be = NULL;
    eddy_store_close(st);
    return rc;
  }
  st->pending = st->ops->batch_new(st->be);
  if (st->pending == NULL)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int64_t seg = conf->kind == EDDY_STORE_KV ? 0
                : conf->segment > 0        ? conf->segment
                                           : default_segment(conf->retention);
  if (rc == 0)
    rc = load_format(st, seg, err);
  if (rc == 0)
    rc = load_position(st, err);
  if (rc != 0) {
    eddy_store_close(st);
    return rc;
  }
  if (env != NULL) {
    eddy__env_add_store(env);
    st->registered = true;
  }
  *out = st;
  return 0;
}

void eddy_store_close(eddy_store_t *st) {
  if (st == NULL)
    return;
  if (st->pending != NULL)
    st->ops->batch_destroy(st->pending);
  if (st->be != NULL)
    st->ops->close(st->be);
  if (st->registered)
    eddy__env_remove_store(st->env);
  eddy__sl_free(&st->cache);
  eddy_buf_free(&st->kbuf);
  eddy_buf_free(&st->mbuf);
  eddy_free(st->name);
  eddy_free(st);
}

const char *eddy_store_name(const eddy_store_t *st) { return st->name; }
eddy_store_kind_t eddy_store_kind(const eddy_store_t *st) { return st->kind; }

void eddy_store_set_changelog(eddy_store_t *st, eddy_changelog_fn fn, void *opaque) {
  st->changelog = fn;
  st->changelog_opaque = opaque;
}

void eddy_store_set_time(eddy_store_t *st, int64_t time) { st->time = time; }

const eddy_logger_t *eddy__store_logger(const eddy_store_t *st) {
  return st->env != NULL ? &st->env->logger : NULL;
}

static size_t cache_limit(const eddy_store_t *st) {
  if (st->cache_limit >= 0)
    return (size_t)st->cache_limit;
  if (st->env != NULL)
    return atomic_load_explicit(&st->env->cache_share, memory_order_relaxed);
  return DEFAULT_MEMORY_CACHE;
}

/* ---- flush, commit, evict ------------------------------------------------ */

/* Dirty cache entries -> changelog callback + pending batch. */
static int flush_dirty(eddy_store_t *st, eddy_error_t **err) {
  for (eddy__sl_node_t *n = eddy__sl_first(&st->cache); n != NULL; n = n->next[0]) {
    if (!(n->flags & EDDY__CACHE_DIRTY))
      continue;
    eddy_slice_t raw = eddy__sl_key_slice(n), val = eddy__sl_val_slice(n);
    bool tomb = n->flags & EDDY__CACHE_TOMBSTONE;
    if (st->changelog != NULL) {
      int rc = st->changelog(st->changelog_opaque, eddy__changelog_key(st, raw),
                             tomb ? NULL : &val, n->time, err);
      if (rc != 0)
        return rc;
    }
    int rc = tomb ? st->ops->batch_delete(st->pending, raw)
                  : st->ops->batch_put(st->pending, raw, val);
    if (rc != 0)
      return eddy_error_set(err, EDDY_ENOMEM, "store '%s': out of memory", st->name);
    n->flags &= (uint8_t)~EDDY__CACHE_DIRTY;
    st->stats.flushed_records++;
  }
  return 0;
}

/*
 * The position record, written with every commit:
 *
 *   +---------------------------+------------------------------+
 *   | changelog offset (BE i64) | min time (order-preserving)  |
 *   +---------------------------+------------------------------+
 */
int eddy__store_add_position(eddy_store_t *st, eddy__batch_t *b, int64_t offset) {
  uint8_t rec[16];
  eddy__put_u64(rec, (uint64_t)offset);
  eddy__put_time(rec + 8, st->min_time);
  return st->ops->batch_put_meta(b, EDDY__META_OFFSET, eddy_slice(rec, 16));
}

static int add_dirty(eddy_store_t *st, eddy__batch_t *b, bool dirty) {
  uint8_t v = dirty ? 1 : 0;
  return st->ops->batch_put_meta(b, EDDY__META_DIRTY, eddy_slice(&v, 1));
}

static bool is_dirty_node(const eddy__sl_node_t *n) { return n->flags & EDDY__CACHE_DIRTY; }

static void trim_cache(eddy_store_t *st) {
  if (st->cache.bytes > cache_limit(st))
    eddy__sl_remove_range(&st->cache, eddy_slice(NULL, 0), NULL, is_dirty_node);
}

/* The cache is full between commits: write everything now, marked dirty. */
static int evict(eddy_store_t *st, eddy_error_t **err) {
  int rc = flush_dirty(st, err);
  if (rc != 0)
    return rc;
  if (!st->dirty && add_dirty(st, st->pending, true) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  rc = st->ops->write(st->be, st->pending, err);
  if (rc != 0)
    return rc;
  st->ops->batch_clear(st->pending);
  st->dirty = true;
  st->stats.evictions++;
  eddy__sl_remove_range(&st->cache, eddy_slice(NULL, 0), NULL, NULL);
  return 0;
}

int eddy_store_flush(eddy_store_t *st, eddy_error_t **err) { return flush_dirty(st, err); }

int eddy_store_commit(eddy_store_t *st, int64_t offset, eddy_error_t **err) {
  if (st->iter_cnt > 0)
    return eddy_error_set(err, EDDY_ESTATE, "store '%s': commit with an open iterator",
                          st->name);
  if (offset < 0)
    offset = st->committed_offset;
  bool moved = offset != st->committed_offset || st->dirty;
  if (st->ops->batch_count(st->pending) > 0 || moved) {
    if (eddy__store_add_position(st, st->pending, offset) != 0 ||
        (st->dirty && add_dirty(st, st->pending, false) != 0))
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
    int rc = st->ops->write(st->be, st->pending, err);
    if (rc != 0)
      return rc;
    st->ops->batch_clear(st->pending);
  }
  st->committed_offset = offset;
  st->dirty = false;
  st->stats.commits++;
  trim_cache(st);
  return 0;
}

void eddy_store_abort(eddy_store_t *st) {
  eddy__sl_clear(&st->cache);
  st->ops->batch_clear(st->pending);
  /* a range delete queued by expire() is gone with the batch: redo it later */
  st->expired_seg = INT64_MIN;
}

int64_t eddy_store_committed_offset(const eddy_store_t *st) { return st->committed_offset; }
bool eddy_store_dirty(const eddy_store_t *st) { return st->dirty; }

int eddy_store_wipe(eddy_store_t *st, eddy_error_t **err) {
  if (st->iter_cnt > 0)
    return eddy_error_set(err, EDDY_ESTATE, "store '%s': wipe with an open iterator", st->name);
  eddy__sl_clear(&st->cache);
  st->ops->batch_clear(st->pending);
  int rc = st->ops->wipe(st->be, err);
  if (rc != 0)
    return rc;
  st->committed_offset = EDDY_OFFSET_NONE;
  st->dirty = false;
  st->min_time = INT64_MIN;
  st->expired_seg = INT64_MIN;
  return load_format(st, st->segment, err);
}

int eddy_store_persist(eddy_store_t *st, eddy_error_t **err) {
  return st->ops->persist(st->be, err);
}

void eddy_store_stats(const eddy_store_t *st, eddy_store_stats_t *out) {
  *out = st->stats;
  out->cache_bytes = st->cache.bytes;
  out->cache_entries = st->cache.cnt;
  out->cache_limit = cache_limit(st);
}

/* ---- raw reads and writes through the cache --------------------------------- */

/*
 * Exactly-once: the cache is full of uncommitted writes. Rather than evict
 * them (the store would hold writes of a transaction that may abort, and be
 * wiped after a crash), ask the runtime for an early commit and keep them
 * until it comes, up to a hard limit.
 */
static bool hold(eddy_store_t *st) {
  if (st->commit_request == NULL)
    return false;
  size_t limit = cache_limit(st);
  if (st->cache.bytes > EDDY_STORE_HOLD_FACTOR * limit + ((size_t)1 << 20))
    return false;
  if (!atomic_exchange_explicit(st->commit_request, true, memory_order_relaxed))
    st->stats.commit_requests++;
  return true;
}

int eddy__store_write(eddy_store_t *st, eddy_slice_t raw, const eddy_slice_t *value,
                      eddy_error_t **err) {
  bool created;
  eddy__sl_node_t *n = eddy__sl_upsert(&st->cache, raw, &created);
  if (n != NULL && eddy__sl_set_value(&st->cache, n, value ? *value : eddy_slice(NULL, 0)) != 0) {
    if (created)  /* a node without its value would read as an empty value */
      eddy__sl_remove(&st->cache, raw);
    n = NULL;
  }
  if (n == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "store '%s': out of memory", st->name);
  n->flags = (uint8_t)(EDDY__CACHE_DIRTY | (value ? 0 : EDDY__CACHE_TOMBSTONE));
  n->time = st->time;
  if (value)
    st->stats.puts++;
  else
    st->stats.deletes++;
  if (st->cache.bytes <= cache_limit(st) || st->iter_cnt > 0)
    return 0;
  /* committed entries can go for free; flushed ones wait for their commit */
  if (st->ops->batch_count(st->pending) == 0)
    eddy__sl_remove_range(&st->cache, eddy_slice(NULL, 0), NULL, is_dirty_node);
  if (st->cache.bytes <= cache_limit(st) || hold(st))
    return 0;
  return evict(st, err);
}

int eddy__store_read(eddy_store_t *st, eddy_slice_t raw, eddy_slice_t *value,
                     eddy_error_t **err) {
  st->stats.gets++;
  eddy__sl_node_t *n = eddy__sl_find(&st->cache, raw);
  if (n != NULL) {
    st->stats.cache_hits++;
    if (n->flags & EDDY__CACHE_TOMBSTONE)
      return EDDY_ENOENT;
    *value = eddy__sl_val_slice(n);
    return 0;
  }
  return st->ops->get(st->be, raw, value, err);
}

static int need_kind(eddy_store_t *st, eddy_store_kind_t kind, eddy_error_t **err) {
  static const char *const names[] = {"key-value", "window", "session"};
  if (st->kind == kind)
    return 0;
  return eddy_error_set(err, EDDY_EINVAL, "store '%s' is a %s store, not a %s store", st->name,
                        names[st->kind], names[kind]);
}

int eddy_store_put(eddy_store_t *st, eddy_slice_t key, eddy_slice_t value, eddy_error_t **err) {
  int rc = need_kind(st, EDDY_STORE_KV, err);
  return rc != 0 ? rc : eddy__store_write(st, key, &value, err);
}

int eddy_store_delete(eddy_store_t *st, eddy_slice_t key, eddy_error_t **err) {
  int rc = need_kind(st, EDDY_STORE_KV, err);
  return rc != 0 ? rc : eddy__store_write(st, key, NULL, err);
}

int eddy_store_get(eddy_store_t *st, eddy_slice_t key, eddy_slice_t *value, eddy_error_t **err) {
  int rc = need_kind(st, EDDY_STORE_KV, err);
  return rc != 0 ? rc : eddy__store_read(st, key, value, err);
}

int eddy_store_range(eddy_store_t *st, const eddy_slice_t *from, const eddy_slice_t *to,
                     eddy_store_iter_t **out, eddy_error_t **err) {
  int rc = need_kind(st, EDDY_STORE_KV, err);
  if (rc != 0)
    return rc;
  eddy__iter_spec_t spec = {.mode = ITER_RANGE, .from = from, .to = to};
  return eddy__iter_new(st, &spec, out, err);
}

int eddy_store_prefix(eddy_store_t *st, eddy_slice_t prefix, eddy_store_iter_t **out,
                      eddy_error_t **err) {
  /* upper bound: the prefix with trailing 0xff dropped and its last byte + 1 */
  size_t n = prefix.len;
  while (n > 0 && prefix.p[n - 1] == 0xff)
    n--;
  if (n == 0)
    return eddy_store_range(st, &prefix, NULL, out, err);
  uint8_t *hi = eddy_malloc(n);
  if (hi == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  memcpy(hi, prefix.p, n);
  hi[n - 1]++;
  eddy_slice_t to = eddy_slice(hi, n);
  int rc = eddy_store_range(st, &prefix, &to, out, err);
  eddy_free(hi);
  return rc;
}

/* ---- expiry ------------------------------------------------------------------ */

int eddy_store_expire(eddy_store_t *st, int64_t stream_time, eddy_error_t **err) {
  if (st->kind == EDDY_STORE_KV || st->retention == 0)
    return 0;
  if (st->iter_cnt > 0)
    return eddy_error_set(err, EDDY_ESTATE, "store '%s': expire with an open iterator",
                          st->name);
  int64_t cutoff = stream_time < INT64_MIN + st->retention ? INT64_MIN
                                                           : stream_time - st->retention;
  if (cutoff > st->min_time)
    st->min_time = cutoff;
  int64_t seg = eddy__segment_of(st, st->min_time);
  if (seg <= st->expired_seg)
    return 0;
  uint8_t lo[8], hi[8];
  eddy__encode_segment(lo, eddy__segment_of(st, INT64_MIN));
  eddy__encode_segment(hi, seg);
  eddy_slice_t hs = eddy_slice(hi, 8);
  if (st->ops->batch_delete_range(st->pending, eddy_slice(lo, 8), hs) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  eddy__sl_remove_range(&st->cache, eddy_slice(lo, 8), &hs, NULL);
  st->expired_seg = seg;
  return 0;
}
