/*
 * The executor: one per stream thread per application. It owns the
 * thread's decoders and per-node operator state, and pushes each consumed
 * record through the plan: decode at the source node, then every node
 * transforms the row and forwards it to its `next` nodes.
 *
 * A record that fails (cannot be decoded, an expression fails at run time,
 * a `check` rule is not met) is handled by its source's error policy:
 * dlq (default) writes it to the dead-letter topic with the reason, skip
 * counts and drops it, fail stops the application.
 */
#ifndef EDDY_OPERATORS_EXEC_H
#define EDDY_OPERATORS_EXEC_H

#include <stdatomic.h>
#include <stdint.h>

#include "dsl/plan.h"
#include "eddy/log.h"
#include "eddy/store.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct eddy_sr_client_s;

/** Counters shared by every thread of an application (atomics). */
typedef struct eddy_counters_s {
  atomic_llong records_in;      /* consumed records handed to the executor */
  atomic_llong records_out;     /* records produced by sinks */
  atomic_llong dlq;             /* records written to the dead-letter topic */
  atomic_llong skipped;         /* failed records dropped by `on error skip` */
  atomic_llong tombstones;      /* null-valued records of Debezium sources */
  atomic_llong decode_errors;   /* of the failed records: could not be decoded */
  atomic_llong check_failed;    /* of the failed records: broke a `check` rule */
  atomic_llong eval_errors;     /* of the failed records: an expression failed */
  atomic_llong late;            /* records that arrived after (one of) their windows closed */
  atomic_llong commits;         /* completed commits (outputs, state and positions durable) */
  atomic_llong registry_waits;  /* records held (to retry) while the Schema Registry was down */
  atomic_llong pg_rows_upserted;/* PostgreSQL sinks: rows inserted or updated */
  atomic_llong pg_rows_deleted; /* PostgreSQL sinks: rows deleted by tombstones */
  atomic_llong pg_batches;      /* PostgreSQL sinks: committed transactions */
  atomic_llong pg_retries;      /* PostgreSQL sinks: transient failures retried */
  atomic_llong txn_aborts;      /* exactly_once_v2: transactions aborted (and retried) */
  atomic_llong early_commits;   /* exactly_once_v2: commits made before the interval because a
                                   store's cache was full of uncommitted writes */
} eddy_counters_t;

/** What the executor needs from the runtime. Borrowed for the executor's life. */
typedef struct eddy_exec_env_s {
  const char *app_id;
  const char *dlq_topic;
  struct rd_kafka_s *producer;  /* outputs and dead letters */
  const eddy_logger_t *log;
  eddy_counters_t *counters;
  /* stateful plans */
  eddy_state_env_t *state;      /* RocksDB stores under it; NULL: in-memory stores */
  const char *state_dir;        /* state.dir (checkpoint files) */
  const char *late_topic;       /* NULL or "": late records are only counted */
  int64_t idle_advance_us;      /* window.idle.advance.ms in µs; 0: off */
  int64_t checkpoint_us;        /* state.checkpoint.interval.ms in µs (0: every commit);
                                   a zero env (no runtime) means 30 s */
  /* Avro sources and sinks: the application's registry client (locks itself) */
  struct eddy_sr_client_s *registry;
  /* exactly_once_v2: every store of the thread's tasks raises this flag when its
     cache is full of uncommitted writes; the runtime then commits early (see
     eddy_store_conf_t.commit_request). NULL: stores evict as usual. */
  atomic_bool *commit_request;
} eddy_exec_env_t;

typedef struct eddy_exec_s eddy_exec_t;

/** Build an executor for \p plan (borrowed, must outlive it). */
int eddy_exec_new(eddy_exec_t **out, const eddy_plan_t *plan, const eddy_exec_env_t *env,
                  eddy_error_t **err);
/** NULL-safe. */
void eddy_exec_destroy(eddy_exec_t *x);

/** Start a batch: samples now() and clears the batch arena. */
void eddy_exec_batch_begin(eddy_exec_t *x);
/** End a batch: writes buffered stdout output. */
int eddy_exec_batch_end(eddy_exec_t *x, eddy_error_t **err);

/** eddy_exec_process(): the record was not processed; process it again later. */
#define EDDY_EXEC_RETRY 1

/**
 * Process one consumed message. @returns 0 when the record was processed or
 * handled by its error policy; EDDY_EXEC_RETRY (positive) when nothing was
 * done because a service the record needs is unreachable (the Schema
 * Registry, for an Avro schema id not seen yet): *err says why and is
 * retriable; the caller must give the SAME record again later (with
 * backoff) and must not skip it; an error (EDDY_ECHECK, EDDY_EDECODE, ...)
 * when the policy is `fail` or a sink cannot produce at all: the
 * application must stop without committing.
 * @locality the executor's stream thread
 */
int eddy_exec_process(eddy_exec_t *x, const struct rd_kafka_message_s *msg, eddy_error_t **err);

/**
 * Register the schemas of `to kafka ... format avro` sinks (subject
 * `<topic>-value`), once; call before processing. @returns 0 (also when
 * there is nothing to register); EDDY_ECOMPAT / EDDY_ESCHEMA (a deployment
 * error: the message names the subject and the registry's reason);
 * EDDY_EIO / EDDY_ETIMEOUT with (*err)->retriable when the registry is
 * unreachable: call again after a backoff.
 */
int eddy_exec_register_schemas(eddy_exec_t *x, eddy_error_t **err);

/* ---- tasks ---------------------------------------------------------------
 *
 * A task is (subtopology, partition); the executor keeps one for every
 * assigned partition of a stateful subtopology, owning its stores. The
 * stream thread drives their life:
 *
 *   on assignment     eddy_exec_task_open() per partition (pause them)
 *                     eddy_exec_restore_jobs() -> eddy_restore_run()
 *                     eddy_exec_restored()     (resume them)
 *   at each commit    eddy_exec_flush(); flush the producer; eddy_exec_commit();
 *                     commit the consumer positions
 *   on revocation     commit as above, then eddy_exec_tasks_close()
 *
 * All calls: @locality the executor's stream thread.
 */

/**
 * Open task (\p subtopology, \p partition): its stores (RocksDB under
 * <state.dir>/<app>/<subtopology>_<partition>/) and changelog writers on the
 * executor's producer. No-op for a stateless subtopology or an open task.
 */
int eddy_exec_task_open(eddy_exec_t *x, uint32_t subtopology, int32_t partition,
                        eddy_error_t **err);
/**
 * The restore jobs of every task opened and not yet restored: one per store,
 * from its changelog partition. *jobs is owned by the executor (valid until
 * the next call); *cnt may be 0.
 */
int eddy_exec_restore_jobs(eddy_exec_t *x, eddy_restore_job_t **jobs, size_t *cnt,
                           eddy_error_t **err);
/** The tasks' stores are restored: start their operators (they read their position). */
int eddy_exec_restored(eddy_exec_t *x, eddy_error_t **err);
/** @returns true while an opened task waits for its restore. */
bool eddy_exec_restore_pending(const eddy_exec_t *x);
/**
 * Commit step 1, before the producer flush: each task records its stream
 * time, emits final results due, flushes its stores to their changelogs
 * (emit changes: the updates go downstream here) and drops expired windows.
 */
int eddy_exec_flush(eddy_exec_t *x, eddy_error_t **err);
/**
 * Commit step 2, after the producer flush succeeded: check every changelog
 * writer, commit each store with its changelog offset, write the tasks'
 * checkpoint files.
 */
int eddy_exec_commit(eddy_exec_t *x, eddy_error_t **err);
/** The Kafka side of a commit failed: drop what the stores flushed. */
void eddy_exec_abort(eddy_exec_t *x);
/**
 * Close every task: stores persisted (memtables flushed) and closed. No
 * changelog record may be in flight (flush or purge the producer first).
 */
void eddy_exec_tasks_close(eddy_exec_t *x);
/** Idle advance at wall time \p now_us (window.idle.advance.ms). */
int eddy_exec_punctuate(eddy_exec_t *x, int64_t now_us, eddy_error_t **err);
/* ---- global tables ---------------------------------------------------------
 * Each executor (stream thread) keeps its own copy of every global table,
 * fed by a consumer of the thread's that is assigned all partitions: it
 * reads them to their end before the thread processes anything, then keeps
 * polling them (engine/global_table.c). */

/** @returns true when the plan has global tables. */
bool eddy_exec_has_globals(const eddy_exec_t *x);
/** The runtime names of the global tables' topics (NULL-terminated, owned by \p x). */
const char *const *eddy_exec_global_topics(const eddy_exec_t *x);
/**
 * Apply one message of a global table's topic: upsert its row under its key,
 * or delete (tombstone, Debezium delete). Undecodable records follow the
 * source's error policy. @returns 0 or an error (the application stops).
 */
int eddy_exec_global_apply(eddy_exec_t *x, const struct rd_kafka_message_s *msg,
                           eddy_error_t **err);
/** Make the applied messages visible to lookups' stores (flush and commit them). */
int eddy_exec_global_commit(eddy_exec_t *x, eddy_error_t **err);

/** Open tasks. */
size_t eddy_exec_task_count(const eddy_exec_t *x);

#endif
