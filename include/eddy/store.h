/*
 * State stores: the state layer operators keep their tables, windows and
 * sessions in, and the machinery that makes that state survive restarts and
 * move between instances (changelog topics, checkpoints, restore).
 *
 * Model (docs/state.md has the long form):
 *
 *   - A store holds byte keys and byte values, ordered bytewise. Encoding
 *     typed values is the caller's business. Three shapes share one handle:
 *     key-value, window (key, window start) and session (key, start, end).
 *   - Two backends: RocksDB (one database per (task, store) under
 *     <state.dir>/<app>/<task>/<store>, WAL off) and in-memory.
 *   - Every store has a write-back cache. Writes land in the cache; reads see
 *     it. At commit the runtime calls eddy_store_flush() (dirty entries go to
 *     the changelog callback and into one pending write batch), commits the
 *     Kafka producer (or transaction), then eddy_store_commit() writes the
 *     batch together with the changelog offset in one atomic RocksDB write.
 *     A crash therefore never leaves a store whose contents and recorded
 *     offset disagree, and restore resumes after that offset.
 *   - All RocksDB stores of a process share one block cache sized from one
 *     memory budget (eddy_state_env_t).
 *
 * Times are µs since the epoch, like every time in eddy.
 *
 * Threading: a store, its iterators and its changelog writer belong to one
 * thread at a time (the stream thread owning the task). The environment is
 * shared by all threads.
 */
#ifndef EDDY_STORE_H
#define EDDY_STORE_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/error.h"
#include "eddy/log.h"

#ifndef EDDY_SLICE_DEFINED
#define EDDY_SLICE_DEFINED
/** A borrowed run of bytes. */
typedef struct {
  const uint8_t *p;
  size_t len;
} eddy_slice_t;
#endif

static inline eddy_slice_t eddy_slice(const void *p, size_t len) {
  eddy_slice_t s = {(const uint8_t *)p, len};
  return s;
}

/** "No offset": nothing consumed or committed yet. */
#define EDDY_OFFSET_NONE ((int64_t)-1)

/* ======================================================================
 * The shared environment and its memory budget
 * ====================================================================== */

typedef struct eddy_state_env_s eddy_state_env_t;

typedef struct {
  const char *dir;            /* state.dir: root of RocksDB stores and checkpoints */
  size_t memory_bytes;        /* state.memory.bytes: the whole budget (default 256 MiB) */
  int64_t cache_max_bytes;    /* state.cache.max.bytes: write-back caches, taken from the
                                 budget and shared by all open stores; -1 = 1/8 of the
                                 budget, 0 = write-through (no caching) */
  double write_buffer_ratio;  /* state.memory.write.buffer.ratio: share of the rest for
                                 RocksDB memtables (default 0.25); the remainder is the
                                 shared block cache */
  int background_threads;     /* state.rocksdb.background.threads (default 2) */
  const eddy_logger_t *logger;/* borrowed; may be NULL */
} eddy_state_conf_t;

/** Fill \p conf with the defaults above (dir NULL). */
void eddy_state_conf_init(eddy_state_conf_t *conf);

/**
 * Create the environment: one RocksDB block cache and the budget that sizes
 * every store's memtables and write-back cache. Copies what it needs from
 * \p conf (the logger is borrowed and must outlive the env).
 * @returns 0 and *out (free with eddy_state_env_destroy() after every store
 *          is closed), or an error.
 * @locality any thread; the env is shared. @locks internal mutex
 */
int eddy_state_env_new(eddy_state_env_t **out, const eddy_state_conf_t *conf,
                       eddy_error_t **err);
/** NULL-safe. All stores must be closed first. */
void eddy_state_env_destroy(eddy_state_env_t *env);

/** Memory as the budget split it, for metrics. */
typedef struct {
  size_t budget_bytes;              /* state.memory.bytes */
  size_t block_cache_bytes;         /* capacity of the shared block cache */
  size_t block_cache_usage;         /* bytes in use in it now */
  size_t write_buffer_bytes;        /* memtable budget for all stores */
  size_t write_buffer_per_store;    /* write_buffer_size each RocksDB store has now */
  size_t cache_bytes;               /* write-back cache budget for all stores */
  int store_cnt;                    /* open stores (RocksDB and memory) */
  int rocksdb_store_cnt;
} eddy_state_memory_t;

void eddy_state_env_memory(eddy_state_env_t *env, eddy_state_memory_t *out);

/* ======================================================================
 * Stores
 * ====================================================================== */

typedef struct eddy_store_s eddy_store_t;
typedef struct eddy_store_iter_s eddy_store_iter_t;

/** One entry of an iteration. Slices are borrowed until the next call on the
 * iterator or any write to the store. */
typedef struct {
  eddy_slice_t key;    /* the user key (without window/session times) */
  eddy_slice_t value;
  int64_t start;       /* window start / session start; 0 for KV */
  int64_t end;         /* window start + window_size / session end; 0 for KV */
} eddy_store_entry_t;

typedef enum {
  EDDY_STORE_KV = 0,       /* key -> value */
  EDDY_STORE_WINDOW = 1,   /* (key, window start) -> value */
  EDDY_STORE_SESSION = 2,  /* (key, session start, session end) -> value */
} eddy_store_kind_t;

typedef enum {
  EDDY_STORE_ROCKSDB = 0,
  EDDY_STORE_MEMORY = 1,
} eddy_store_backend_t;

/**
 * Receives every record the cache flushes: the changelog key (see
 * docs/state.md: the key-value key itself, or key+times for windows and
 * sessions), the value or NULL for a tombstone, and the record time (µs).
 * Borrows everything for the call. @returns 0 or an error, which fails the
 * flush.
 */
typedef int (*eddy_changelog_fn)(void *opaque, eddy_slice_t key, const eddy_slice_t *value,
                                 int64_t time, eddy_error_t **err);

typedef struct {
  const char *name;              /* store name: [A-Za-z0-9._-]+ */
  eddy_store_kind_t kind;
  eddy_store_backend_t backend;
  const char *app;               /* RocksDB: <state.dir>/<app>/<task>/<name> */
  const char *task;              /* task id, e.g. "0_3" */
  int64_t retention;             /* window/session: keep this long behind stream time
                                    (µs; 0 = forever) */
  int64_t segment;               /* window/session: segment length (µs; 0 = retention/2,
                                    at least 1 min; forever: 1 day). Fixed at creation. */
  int64_t window_size;           /* window: reported as entry.end = start + size (0: end = start) */
  int64_t cache_max_bytes;       /* -1 = this store's share of the env budget */
  eddy_changelog_fn changelog;   /* NULL: no changelog (tests, scratch state) */
  void *changelog_opaque;
  /* exactly-once (KIP-892): when the cache is full between commits, raise this
     flag and keep the uncommitted writes cached (up to EDDY_STORE_HOLD_FACTOR
     times the limit) until the runtime commits, rather than evicting them into
     the store, which would make it dirty (wiped and fully restored after a
     crash). NULL: evict (at-least-once). Borrowed for the store's life. */
  atomic_bool *commit_request;
} eddy_store_conf_t;

/** Under exactly-once, a store evicts only past this many times its cache limit (+1 MiB). */
#define EDDY_STORE_HOLD_FACTOR 4

/** Defaults: KV, RocksDB, cache share from the env, no changelog. */
void eddy_store_conf_init(eddy_store_conf_t *conf);

/**
 * Open (creating if needed) a store. RocksDB stores need \p env; memory
 * stores may pass NULL (then cache_max_bytes -1 means 1 MiB). Copies \p conf.
 * A RocksDB store that already exists keeps the kind and segment length it
 * was created with (a different kind is an error, EDDY_ECONFIG).
 * @returns 0 and *out (close with eddy_store_close()), or an error.
 */
int eddy_store_open(eddy_store_t **out, eddy_state_env_t *env, const eddy_store_conf_t *conf,
                    eddy_error_t **err);
/** Close without flushing (uncommitted writes are dropped). NULL-safe. */
void eddy_store_close(eddy_store_t *st);

const char *eddy_store_name(const eddy_store_t *st);
eddy_store_kind_t eddy_store_kind(const eddy_store_t *st);

/**
 * (Re)attach the changelog callback; NULL detaches. The callback sees every
 * record the cache flushes (at most one per key per flush), so it is also the
 * place for "emit changes" downstream: wrap eddy_changelog_send in a function
 * that forwards the update too, decoding window/session keys with
 * eddy_store_changelog_key_decode().
 */
void eddy_store_set_changelog(eddy_store_t *st, eddy_changelog_fn fn, void *opaque);

/**
 * Split a changelog key of \p st into entry->key (borrowing from \p ckey),
 * entry->start and entry->end as iterators report them; entry->value is
 * untouched. @returns 0 or EDDY_EDECODE (too short for the store's kind).
 */
int eddy_store_changelog_key_decode(const eddy_store_t *st, eddy_slice_t ckey,
                                    eddy_store_entry_t *entry);

/** Timestamp (µs) given to changelog records of the writes that follow. */
void eddy_store_set_time(eddy_store_t *st, int64_t time);

/* ---- key-value ---------------------------------------------------------- */

/** Write \p value under \p key (copied). @returns 0 or an error. */
int eddy_store_put(eddy_store_t *st, eddy_slice_t key, eddy_slice_t value, eddy_error_t **err);
/** Delete \p key (a tombstone in the cache and the changelog). */
int eddy_store_delete(eddy_store_t *st, eddy_slice_t key, eddy_error_t **err);
/**
 * Look up \p key. @returns 0 and *value, EDDY_ENOENT, or an error. *value is
 * borrowed: valid until the next call on \p st.
 */
int eddy_store_get(eddy_store_t *st, eddy_slice_t key, eddy_slice_t *value, eddy_error_t **err);

/**
 * Iterate keys with from <= key < to in bytewise order; NULL bounds are open.
 * KV stores only. @returns 0 and *out (destroy with eddy_store_iter_destroy()).
 * While an iterator is open the store defers cache eviction; commit, abort,
 * expire and wipe fail with EDDY_ESTATE.
 */
int eddy_store_range(eddy_store_t *st, const eddy_slice_t *from, const eddy_slice_t *to,
                     eddy_store_iter_t **out, eddy_error_t **err);
/** Iterate the keys starting with \p prefix, in order. */
int eddy_store_prefix(eddy_store_t *st, eddy_slice_t prefix, eddy_store_iter_t **out,
                      eddy_error_t **err);


/** @returns 1 and *entry, 0 at the end, or a negative error. */
int eddy_store_iter_next(eddy_store_iter_t *it, eddy_store_entry_t *entry, eddy_error_t **err);
/** NULL-safe. */
void eddy_store_iter_destroy(eddy_store_iter_t *it);

/* ---- windows -------------------------------------------------------------
 * Keys are laid out by segment (a run of `segment` µs of window starts), so
 * dropping old windows is one range delete per expiry. */

int eddy_window_put(eddy_store_t *st, eddy_slice_t key, int64_t start, eddy_slice_t value,
                    eddy_error_t **err);
int eddy_window_delete(eddy_store_t *st, eddy_slice_t key, int64_t start, eddy_error_t **err);
/** @returns 0 and *value (borrowed until the next call on st), EDDY_ENOENT, or an error. */
int eddy_window_get(eddy_store_t *st, eddy_slice_t key, int64_t start, eddy_slice_t *value,
                    eddy_error_t **err);
/** Windows of \p key with from <= start <= to, in start order. */
int eddy_window_fetch(eddy_store_t *st, eddy_slice_t key, int64_t from, int64_t to,
                      eddy_store_iter_t **out, eddy_error_t **err);
/** All windows with from <= start <= to: by segment, then key (length, bytes), then start. */
int eddy_window_fetch_all(eddy_store_t *st, int64_t from, int64_t to, eddy_store_iter_t **out,
                          eddy_error_t **err);

/* ---- sessions ------------------------------------------------------------
 * Segmented by session end. */

int eddy_session_put(eddy_store_t *st, eddy_slice_t key, int64_t start, int64_t end,
                     eddy_slice_t value, eddy_error_t **err);
int eddy_session_delete(eddy_store_t *st, eddy_slice_t key, int64_t start, int64_t end,
                        eddy_error_t **err);
/** @returns 0 and *value (borrowed until the next call on st), EDDY_ENOENT, or an error. */
int eddy_session_get(eddy_store_t *st, eddy_slice_t key, int64_t start, int64_t end,
                     eddy_slice_t *value, eddy_error_t **err);
/**
 * Sessions of \p key with end >= earliest_end and start <= latest_start (the
 * ones a record at time t merges with: earliest_end = t - gap, latest_start =
 * t + gap), ordered by end then start. INT64_MIN/INT64_MAX give all sessions.
 */
int eddy_session_find(eddy_store_t *st, eddy_slice_t key, int64_t earliest_end,
                      int64_t latest_start, eddy_store_iter_t **out, eddy_error_t **err);
/**
 * All sessions with from_end <= end <= to_end (e.g. the ones that closed):
 * by segment of the end, then key (length, bytes), then end, then start.
 * @returns 0 and *out (destroy with eddy_store_iter_destroy()), or an error.
 */
int eddy_session_fetch_all(eddy_store_t *st, int64_t from_end, int64_t to_end,
                           eddy_store_iter_t **out, eddy_error_t **err);

/**
 * Retention for window and session stores: entries whose time (window start,
 * session end) is older than stream_time - retention disappear from reads at
 * once; whole segments are deleted (one range delete) in the next commit.
 * No-op for KV stores and retention 0.
 */
int eddy_store_expire(eddy_store_t *st, int64_t stream_time, eddy_error_t **err);

/* ---- the commit protocol -------------------------------------------------
 *
 *   eddy_store_flush(st)             every store of the task
 *   rd_kafka_flush / commit txn      the runtime: outputs + changelog (+ offsets)
 *   eddy_store_commit(st, offset)    every store: one RocksDB batch with the
 *                                    changelog offset (eddy_changelog_acked_offset)
 *   or, when the Kafka commit failed: eddy_store_abort(st)
 */

/**
 * Hand every dirty cache entry to the changelog callback and add it to the
 * pending batch. Reads still see the entries. @returns 0 or an error.
 */
int eddy_store_flush(eddy_store_t *st, eddy_error_t **err);
/**
 * Write the pending batch and \p changelog_offset (the offset of the last
 * changelog record now durable, or EDDY_OFFSET_NONE to keep the recorded
 * one) in one atomic write, WAL off. Clears the dirty mark.
 */
int eddy_store_commit(eddy_store_t *st, int64_t changelog_offset, eddy_error_t **err);
/** Drop the pending batch and every cached entry: the store reads as of its
 * last commit (plus any evicted writes, see eddy_store_dirty()). */
void eddy_store_abort(eddy_store_t *st);

/** @returns the changelog offset recorded with the last commit or restore,
 * EDDY_OFFSET_NONE if none. Restore continues after it. */
int64_t eddy_store_committed_offset(const eddy_store_t *st);
/**
 * @returns true when the store holds writes newer than its committed offset:
 * the cache overflowed between commits and evicted entries early. Under
 * exactly-once a dirty store found at start-up (or after an abort) must be
 * wiped and restored, because those writes may belong to an aborted
 * transaction.
 */
bool eddy_store_dirty(const eddy_store_t *st);
/** Delete every entry and the recorded offset (the database files stay). */
int eddy_store_wipe(eddy_store_t *st, eddy_error_t **err);
/** Flush RocksDB memtables to disk (clean shutdown); no-op for memory stores. */
int eddy_store_persist(eddy_store_t *st, eddy_error_t **err);

typedef struct {
  uint64_t puts, deletes, gets, cache_hits;
  uint64_t flushed_records;   /* records handed to the changelog */
  uint64_t evictions;         /* early flushes because the cache was full */
  uint64_t commit_requests;   /* exactly-once: commits asked for instead of an eviction */
  uint64_t commits;
  size_t cache_bytes, cache_entries, cache_limit;
} eddy_store_stats_t;

void eddy_store_stats(const eddy_store_t *st, eddy_store_stats_t *out);

/* ======================================================================
 * Changelog topics
 * ====================================================================== */

/**
 * Delivery reports: every message eddy produces carries msg_opaque = an
 * eddy_delivery_sink_t *. The owner of the producer installs
 * eddy_delivery_dispatch as its dr_msg_cb, or calls it from its own one
 * (messages with a NULL opaque are ignored).
 */
typedef struct eddy_delivery_sink_s eddy_delivery_sink_t;
struct eddy_delivery_sink_s {
  void (*on_delivery)(eddy_delivery_sink_t *sink, const rd_kafka_message_t *msg);
};

/** A dr_msg_cb: forwards \p msg to its sink. @locality the thread polling rk */
void eddy_delivery_dispatch(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque);

/** Format "<app>-<store>-changelog" into \p buf. @returns 0 or EDDY_ERANGE. */
int eddy_changelog_topic_name(char *buf, size_t cap, const char *app, const char *store);

typedef struct eddy_changelog_s eddy_changelog_t;

/**
 * A writer of one changelog partition on a producer owned by the caller
 * (it may be transactional: the writer only produces). Copies \p topic.
 * @returns 0 and *out (free with eddy_changelog_destroy()), or an error.
 * @locality the thread owning the producer's task
 */
int eddy_changelog_new(eddy_changelog_t **out, rd_kafka_t *producer, const char *topic,
                       int32_t partition, eddy_error_t **err);
/** NULL-safe. Messages still in flight must have been delivered (flush first). */
void eddy_changelog_destroy(eddy_changelog_t *cl);

/**
 * An eddy_changelog_fn (opaque = the writer): produce one record, copying key
 * and value, timestamp time/1000 ms. Waits (polling the producer) while its
 * queue is full, up to 60 s.
 */
int eddy_changelog_send(void *cl, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                        eddy_error_t **err);

/**
 * After the producer was flushed or its transaction committed: checks that
 * every record sent was delivered without error. @returns 0 or the first
 * delivery error (EDDY_EKAFKA), or EDDY_ESTATE when records are still in
 * flight.
 */
int eddy_changelog_check(eddy_changelog_t *cl, eddy_error_t **err);
/** @returns the highest offset delivered so far, EDDY_OFFSET_NONE if none. */
int64_t eddy_changelog_acked_offset(const eddy_changelog_t *cl);
/** @returns records sent and not yet reported delivered. */
int64_t eddy_changelog_in_flight(const eddy_changelog_t *cl);

/**
 * Creates a topic the way the runtime can: `create(opaque, name, partitions,
 * err)` returns 0, EDDY_EEXIST, or an error. The embedded broker's creator
 * calls eddy_broker_create_topic() (it has no CreateTopics API).
 */
typedef int (*eddy_topic_create_fn)(void *opaque, const char *topic, int partition_cnt,
                                    eddy_error_t **err);

typedef struct {
  const char *topic;
  int partition_cnt;          /* the task count of the subtopology */
  int replication_factor;     /* -1: broker default */
  int64_t retention_ms;       /* < 0: cleanup.policy=compact; >= 0: compact,delete with
                                 this retention.ms (window stores: size + grace + margin) */
} eddy_changelog_topic_t;

/**
 * Partitions of \p topic, 0 when the cluster has no such topic. Reads the
 * cluster's topic list, so it never auto-creates the topic.
 */
int eddy_topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int *cnt,
                          eddy_error_t **err);

/**
 * Make sure the changelog topic exists: through \p create when given,
 * otherwise through the admin API on \p rk (CreateTopics with the configs
 * above; an existing topic is fine if its partition count matches).
 * @returns 0 or an error (EDDY_ECONFIG: exists with another partition count).
 */
int eddy_changelog_topic_ensure(rd_kafka_t *rk, const eddy_changelog_topic_t *spec,
                                eddy_topic_create_fn create, void *opaque, int timeout_ms,
                                eddy_error_t **err);

/* ======================================================================
 * Checkpoint files
 * ======================================================================
 * One per task: <state.dir>/<app>/<task>/.checkpoint, the changelog offset of
 * each store as of the task's last commit. Written atomically (temp file,
 * fsync, rename). A RocksDB store also records its offset inside its own
 * commit batch; restore trusts that one (it always matches the data, even
 * when the WAL-less memtables were lost in a crash) and the file lets the
 * runtime see a task's position without opening its stores. */

typedef struct eddy_checkpoint_s eddy_checkpoint_t;

/** A new, empty checkpoint. @returns NULL on OOM. */
eddy_checkpoint_t *eddy_checkpoint_new(void);
/** NULL-safe. */
void eddy_checkpoint_destroy(eddy_checkpoint_t *cp);
/** Set the offset of \p store (copied). @returns 0 or an error. */
int eddy_checkpoint_set(eddy_checkpoint_t *cp, const char *store, int64_t offset);
/** @returns the offset of \p store, EDDY_OFFSET_NONE if absent. */
int64_t eddy_checkpoint_get(const eddy_checkpoint_t *cp, const char *store);
size_t eddy_checkpoint_count(const eddy_checkpoint_t *cp);
/** Read \p path. A missing file gives an empty checkpoint; a corrupt one EDDY_EDECODE. */
int eddy_checkpoint_read(eddy_checkpoint_t **out, const char *path, eddy_error_t **err);
/** Write \p path atomically (path.tmp, fsync, rename, fsync of the directory). */
int eddy_checkpoint_write(const eddy_checkpoint_t *cp, const char *path, eddy_error_t **err);
/** Format "<dir>/<app>/<task>/.checkpoint". @returns 0 or EDDY_ERANGE. */
int eddy_checkpoint_path(char *buf, size_t cap, const char *dir, const char *app,
                         const char *task);

/* ======================================================================
 * Restore
 * ====================================================================== */

/**
 * A consumer for restoring: librdkafka needs a group.id for assign(), but it
 * never subscribes or commits. Sets fetch sizes for bulk reading,
 * enable.partition.eof, isolation.level=read_committed, and then the
 * \p extra key/value pairs (NULL-terminated list, may be NULL).
 * @returns 0 and *out (rd_kafka_destroy() it), or an error.
 */
int eddy_restore_consumer_new(rd_kafka_t **out, const char *bootstrap, const char *group_id,
                              const char *const *extra, eddy_error_t **err);

/** One store to restore from one changelog partition. */
typedef struct {
  eddy_store_t *store;        /* empty cache (freshly opened or aborted) */
  const char *topic;          /* borrowed for the call */
  int32_t partition;
  /* filled in by eddy_restore_run */
  int64_t start_offset;       /* first offset read (after the store's committed offset) */
  int64_t end_offset;         /* high watermark captured at start */
  int64_t records;            /* records applied */
} eddy_restore_job_t;

/** Counters the runtime may read from any thread while a restore runs. */
typedef struct {
  _Atomic int64_t stores_total, stores_done;
  _Atomic int64_t records_total;  /* offsets to read, captured at start */
  _Atomic int64_t records_done;
  _Atomic int64_t rate;           /* records/s over the run so far */
  _Atomic int64_t eta_ms;         /* -1 unknown */
  _Atomic int64_t elapsed_ms;
} eddy_restore_progress_t;

typedef struct {
  const eddy_logger_t *logger;    /* progress lines, at most every log_interval_ms */
  int log_interval_ms;            /* default 2000 */
  int timeout_ms;                 /* whole restore; 0 = none */
  size_t batch_records;           /* records per write batch (default 200000) */
  size_t batch_bytes;             /* or staged bytes per batch (default 16 MiB) */
  size_t memory_bytes;            /* staged bytes of all jobs together (default 64 MiB):
                                     each job's batch is at most memory_bytes / jobs */
  const atomic_bool *cancel;      /* set to stop early (EDDY_ECANCELED) */
  bool wipe_dirty;                /* exactly-once: a store holding evicted (uncommitted)
                                     writes is wiped and restored from the beginning */
} eddy_restore_conf_t;

void eddy_restore_conf_init(eddy_restore_conf_t *conf);

/**
 * Restore every job's store from its changelog partition: from the store's
 * committed offset + 1 (or the beginning) up to the high watermark captured
 * at start, in large write batches, recording the offset with each batch.
 * A recorded offset beyond the end of the log (topic recreated) wipes the
 * store and restores from the beginning. Assigns all partitions to
 * \p consumer at once and unassigns at the end. \p progress may be NULL.
 * @returns 0 or an error (EDDY_ETIMEOUT, EDDY_ECANCELED, EDDY_EKAFKA, ...).
 * @locality the calling thread, which owns \p consumer and the stores
 */
int eddy_restore_run(rd_kafka_t *consumer, eddy_restore_job_t *jobs, size_t job_cnt,
                     const eddy_restore_conf_t *conf, eddy_restore_progress_t *progress,
                     eddy_error_t **err);

#endif
