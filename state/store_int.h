/*
 * State layer internals: the backend vtable behind eddy_store_t, the store
 * struct, key encodings for windows and sessions, and the hooks restore uses.
 */
#ifndef EDDY_STATE_STORE_INT_H
#define EDDY_STATE_STORE_INT_H

#include <pthread.h>
#include <rocksdb/c.h>

#include "eddy/alloc.h"
#include "eddy/store.h"
#include "state/skiplist.h"

/* ---- backends ---------------------------------------------------------- */

typedef struct eddy__backend_s eddy__backend_t;  /* per implementation */
typedef struct eddy__biter_s eddy__biter_t;
typedef struct eddy__batch_s eddy__batch_t;

/* Metadata keys kept beside the data (RocksDB: the "eddy_meta" column family,
 * written in the same batch as the data). */
#define EDDY__META_OFFSET "changelog.offset"  /* 8 bytes, big-endian int64 */
#define EDDY__META_DIRTY "dirty"              /* 1 byte: 1 = writes past the offset */
#define EDDY__META_FORMAT "format"            /* see store.c: kind, segment */

/**
 * A backend: an ordered byte map with atomic batches and a small metadata
 * map. Errors come back as eddy_error_t, converted in the backend's file.
 */
typedef struct eddy__backend_ops_s {
  const char *name;
  /* Point read. *val is valid until the next get or write on the backend. */
  int (*get)(eddy__backend_t *be, eddy_slice_t key, eddy_slice_t *val, eddy_error_t **err);
  int (*meta_get)(eddy__backend_t *be, const char *key, eddy_buf_t *val, eddy_error_t **err);
  /* Iterators see a consistent view from their creation on. */
  int (*iter_new)(eddy__backend_t *be, eddy__biter_t **out, eddy_error_t **err);
  void (*iter_seek)(eddy__biter_t *it, eddy_slice_t key);
  bool (*iter_valid)(eddy__biter_t *it);
  void (*iter_next)(eddy__biter_t *it);
  eddy_slice_t (*iter_key)(eddy__biter_t *it);
  eddy_slice_t (*iter_value)(eddy__biter_t *it);
  int (*iter_status)(eddy__biter_t *it, eddy_error_t **err);
  void (*iter_destroy)(eddy__biter_t *it);
  /* Batches apply in order and atomically with write(). */
  eddy__batch_t *(*batch_new)(eddy__backend_t *be);
  int (*batch_put)(eddy__batch_t *b, eddy_slice_t key, eddy_slice_t val);
  int (*batch_delete)(eddy__batch_t *b, eddy_slice_t key);
  int (*batch_delete_range)(eddy__batch_t *b, eddy_slice_t from, eddy_slice_t to);
  int (*batch_put_meta)(eddy__batch_t *b, const char *key, eddy_slice_t val);
  size_t (*batch_count)(eddy__batch_t *b);
  size_t (*batch_bytes)(eddy__batch_t *b);
  void (*batch_clear)(eddy__batch_t *b);
  void (*batch_destroy)(eddy__batch_t *b);
  int (*write)(eddy__backend_t *be, eddy__batch_t *b, eddy_error_t **err);
  /* Delete all data and metadata. */
  int (*wipe)(eddy__backend_t *be, eddy_error_t **err);
  /* Make everything written so far durable (RocksDB: flush memtables). */
  int (*persist)(eddy__backend_t *be, eddy_error_t **err);
  void (*close)(eddy__backend_t *be);
} eddy__backend_ops_t;

extern const eddy__backend_ops_t eddy__memory_ops;
extern const eddy__backend_ops_t eddy__rocksdb_ops;

int eddy__memory_open(eddy__backend_t **out, eddy_error_t **err);
/** Open <dir>/<app>/<task>/<name>, creating directories. */
int eddy__rocksdb_open(eddy__backend_t **out, eddy_state_env_t *env, const char *app,
                       const char *task, const char *name, eddy_error_t **err);

/* ---- the environment ---------------------------------------------------- */

struct eddy_state_env_s {
  char *dir;
  size_t memory_bytes;
  size_t cache_bytes;           /* write-back caches, all stores */
  size_t write_buffer_bytes;    /* memtables, all RocksDB stores */
  size_t block_cache_bytes;
  int background_threads;
  eddy_logger_t logger;
  rocksdb_cache_t *block_cache;
  rocksdb_env_t *rocks_env;
  pthread_mutex_t lock;
  int store_cnt;                /* under lock */
  int rocksdb_cnt;              /* under lock */
  eddy__backend_t **rocksdb;    /* open RocksDB backends, for memtable rebalancing */
  int rocksdb_cap;
  _Atomic size_t cache_share;   /* cache_bytes / store_cnt */
};

/** Register a store (cache share) / a RocksDB backend (memtable share). */
void eddy__env_add_store(eddy_state_env_t *env);
void eddy__env_remove_store(eddy_state_env_t *env);
int eddy__env_add_rocksdb(eddy_state_env_t *env, eddy__backend_t *be);
void eddy__env_remove_rocksdb(eddy_state_env_t *env, eddy__backend_t *be);
/** Memtable size each RocksDB store gets with \p cnt stores open. */
size_t eddy__env_write_buffer_size(const eddy_state_env_t *env, int cnt);
/** Apply a new write_buffer_size to one backend (env.c calls it under lock). */
void eddy__rocksdb_set_write_buffer(eddy__backend_t *be, size_t bytes);

/* ---- stores ------------------------------------------------------------- */

/* Cache node flags. */
#define EDDY__CACHE_DIRTY 1u      /* written since the last flush */
#define EDDY__CACHE_TOMBSTONE 2u  /* a delete */

struct eddy_store_s {
  char *name;
  eddy_store_kind_t kind;
  eddy_store_backend_t backend_kind;
  const eddy__backend_ops_t *ops;
  eddy__backend_t *be;
  eddy_state_env_t *env;             /* NULL for a memory store opened without one */
  eddy__skiplist_t cache;
  int64_t cache_limit;               /* -1: env share */
  eddy__batch_t *pending;            /* flushed, not yet committed */
  eddy_changelog_fn changelog;
  void *changelog_opaque;
  atomic_bool *commit_request;       /* exactly-once: ask for a commit, do not evict early */
  int64_t time;                      /* timestamp for changelog records */
  int64_t committed_offset;
  bool dirty;                        /* backend holds writes past committed_offset */
  int64_t retention, segment, window_size;
  int64_t min_time;                  /* entries older than this are expired */
  int64_t expired_seg;               /* segments below this are deleted (INT64_MIN: none) */
  int iter_cnt;
  bool registered;                   /* counted in env's cache share */
  eddy_buf_t kbuf;                   /* scratch for encoded keys */
  eddy_buf_t mbuf;                   /* scratch for metadata */
  eddy_store_stats_t stats;
};

/* Raw (stored) key <-> user view, per kind. store_keys.c. */
#define EDDY__SEG_PREFIX 12  /* segment (8) + key length (4) */

/** Order-preserving encoding of a signed time: big-endian with the sign bit flipped. */
void eddy__put_time(uint8_t *p, int64_t t);
int64_t eddy__get_time(const uint8_t *p);
int64_t eddy__segment_of(const eddy_store_t *st, int64_t t);
/** Encode the raw key of a window (start) or session (end, start) into st->kbuf. */
int eddy__encode_segmented(eddy_store_t *st, eddy_slice_t key, int64_t t1, int64_t t2,
                           bool has_t2);
/** Encode just a segment prefix (8 bytes) into \p p. */
void eddy__encode_segment(uint8_t *p, int64_t seg);
/** Decode a raw segmented key. @returns 0 or EDDY_EDECODE. */
int eddy__decode_segmented(const eddy_store_t *st, eddy_slice_t raw, int64_t *seg,
                           eddy_slice_t *key, int64_t *t1, int64_t *t2);
/** The changelog key of a raw key (a suffix of it; no copy). */
eddy_slice_t eddy__changelog_key(const eddy_store_t *st, eddy_slice_t raw);
/** Raw key of a changelog key, encoded into st->kbuf. @returns 0 or EDDY_EDECODE. */
int eddy__raw_from_changelog(eddy_store_t *st, eddy_slice_t ckey, eddy_slice_t *raw);

/* Cache-level raw operations shared by the kv, window and session APIs. store.c. */
int eddy__store_write(eddy_store_t *st, eddy_slice_t raw, const eddy_slice_t *value,
                      eddy_error_t **err);
int eddy__store_read(eddy_store_t *st, eddy_slice_t raw, eddy_slice_t *value,
                     eddy_error_t **err);

/* Iterator construction. store_iter.c. */
typedef enum {
  ITER_RANGE, ITER_WINDOW_KEY, ITER_WINDOW_ALL, ITER_SESSION_KEY, ITER_SESSION_ALL
} eddy__iter_mode_t;
typedef struct {
  eddy__iter_mode_t mode;
  const eddy_slice_t *from, *to;     /* ITER_RANGE raw bounds */
  eddy_slice_t key;                  /* window/session user key */
  int64_t t_from, t_to;              /* window: start range; session: earliest end, latest start;
                                        session all: end range */
} eddy__iter_spec_t;
int eddy__iter_new(eddy_store_t *st, const eddy__iter_spec_t *spec, eddy_store_iter_t **out,
                   eddy_error_t **err);

/** Add the position record (offset + min time) to \p b. store.c. */
int eddy__store_add_position(eddy_store_t *st, eddy__batch_t *b, int64_t offset);

/* Restore hooks: records are staged, then sorted by stored key and
 * de-duplicated (last wins) before they go to the backend in one batch, so
 * the memtable sees ordered inserts. store_restore.c. */
typedef struct eddy__restore_batch_s eddy__restore_batch_t;
int eddy__store_restore_begin(eddy_store_t *st, eddy__restore_batch_t **out, eddy_error_t **err);
/** Stage one changelog record (value NULL: tombstone). */
int eddy__store_restore_add(eddy_store_t *st, eddy__restore_batch_t *rb, eddy_slice_t ckey,
                            const eddy_slice_t *value, eddy_error_t **err);
size_t eddy__restore_batch_count(const eddy__restore_batch_t *rb);
size_t eddy__restore_batch_bytes(const eddy__restore_batch_t *rb);
/** Write the staged records and \p offset atomically; empties the batch. */
int eddy__store_restore_write(eddy_store_t *st, eddy__restore_batch_t *rb, int64_t offset,
                              eddy_error_t **err);
void eddy__store_restore_end(eddy_store_t *st, eddy__restore_batch_t *rb);
const eddy_logger_t *eddy__store_logger(const eddy_store_t *st);

/** mkdir -p \p path. checkpoint.c. */
int eddy__mkdirs(const char *path, eddy_error_t **err);

/* Big-endian helpers. */
static inline void eddy__put_u64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}
static inline uint64_t eddy__get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}
static inline void eddy__put_u32(uint8_t *p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}
static inline uint32_t eddy__get_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
