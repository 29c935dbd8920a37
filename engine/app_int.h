/* Application internals shared by app.c and stream_thread.c. */
#ifndef EDDY_ENGINE_APP_INT_H
#define EDDY_ENGINE_APP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/app.h"
#include "engine/instance.h"
#include "engine/kafka.h"

typedef struct eddy_stream_thread_s {
  struct eddy_app_s *app;
  int index;
  pthread_t tid;
  bool started;
  eddy_kafka_ctx_t kafka_ctx;         /* opaque of both clients: owner = this thread */
  rd_kafka_t *consumer;
  rd_kafka_t *producer;
  eddy_exec_t *exec;
  atomic_int delivery_failures;      /* set by the producer's delivery callback */
  char delivery_error[256];
  atomic_llong lag;                  /* updated at each commit */
  rd_kafka_topic_partition_list_t *committed_at_assign;   /* see remember_committed() */
  int rc;                            /* exit status of the thread */
  eddy_error_t *err;
  int64_t last_commit_us;
  rd_kafka_t *restorer;              /* restore consumer, made on first use */
  rd_kafka_t *global_consumer;       /* global tables: every partition, assigned (no group) */
  rd_kafka_topic_partition_list_t *paused;   /* stateful partitions waiting for restore */
  eddy_restore_progress_t restore;   /* for metrics */
  bool flowing;                      /* the last batch had records */
  bool joined;                       /* had its first assignment */
  bool startup_over;                 /* every thread joined, or it waited long enough */
  int64_t start_us;
  int64_t last_wake_us;              /* see wake_fetchers() */
  /* records waiting for an unreachable Schema Registry (stream_retry.c) */
  rd_kafka_topic_partition_list_t *held;     /* paused, offset = the record to retry */
  rd_kafka_topic_partition_list_t *probing;  /* resumed, their record not processed yet */
  int64_t retry_at_us;
  int retry_streak;                  /* consecutive retry rounds (backoff exponent) */
  struct eddy_pg_sink_s *pg_sink;    /* `to postgres` sink task (engine/pg_sink*.c), or NULL */
  struct eddy_txn_s *txn;            /* exactly_once_v2 (engine/txn.c); NULL otherwise */
  atomic_bool commit_request;        /* exactly_once_v2: a store asks for an early commit */
} eddy_stream_thread_t;

struct eddy_app_s {
  const eddy_plan_t *plan;
  eddy_config_t conf;
  char *app_id;
  char *dlq_topic;
  eddy_logger_t log;
  eddy_counters_t counters;
  atomic_bool stop;
  atomic_int running;
  atomic_int started;                /* threads created */
  atomic_int done_committing;        /* threads past their last commit */
  atomic_int joined_group;           /* threads that had an assignment */
  eddy_stream_thread_t *threads;
  int thread_cnt;
  bool joined;
  eddy_state_env_t *state;           /* stateful plans: the stores' shared budget */
  eddy_topic_create_fn create_topic; /* internal topics without the admin API */
  void *create_opaque;
  struct eddy_sr_client_s *registry; /* Avro plans: one client for every thread */
  eddy_instance_t instance;          /* exactly_once_v2: this process's id (instance.h) */
};

/** Create the internal topics (repartition, changelogs) before the threads start (topics.c). */
int eddy__app_topics(eddy_app_t *app, eddy_error_t **err);

/** The Schema Registry client, when the plan reads or writes Avro (app_registry.c). */
int eddy__app_registry(eddy_app_t *app, eddy_error_t **err);

/* Records held while the Schema Registry is unreachable (stream_retry.c). */
/** Register the Avro sinks' schemas, backing off while the registry is unreachable. */
int eddy__retry_register(eddy_stream_thread_t *t, eddy_error_t **err);
/** Process \p m, or hold its partition at it when the registry is unreachable. */
int eddy__retry_process(eddy_stream_thread_t *t, const rd_kafka_message_t *m, eddy_error_t **err);
/** Resume the held partitions once their backoff is over. */
void eddy__retry_tick(eddy_stream_thread_t *t);
/** Commit held partitions at the record they wait to retry (\p pos from rd_kafka_position). */
void eddy__retry_positions(eddy_stream_thread_t *t, rd_kafka_topic_partition_list_t *pos);
/** The assignment is revoked: lift the pauses, forget the held records. */
void eddy__retry_clear(eddy_stream_thread_t *t);

/* exactly_once_v2 (engine/txn.c). Under at_least_once eddy__txn_enabled() is false and
 * the others do nothing. */
/** Add the transactional settings to the thread's consumer or producer configuration
 * (either may be NULL): isolation.level=read_committed, transactional.id=<app>-<index>. */
int eddy__txn_configure(eddy_stream_thread_t *t, rd_kafka_conf_t *consumer,
                        rd_kafka_conf_t *producer, eddy_error_t **err);
/** Initialise the transactional producer (fencing an older one with the same id) and begin
 * the first transaction. Call from the thread before it subscribes. */
int eddy__txn_init(eddy_stream_thread_t *t, eddy_error_t **err);
/** @returns true under exactly_once_v2. */
bool eddy__txn_enabled(const eddy_stream_thread_t *t);
/**
 * The exactly-once commit: flush the stores, then send the consumed positions to the
 * transaction and commit it, then commit the stores (KIP-892 order), then begin the next
 * transaction. An abortable failure aborts the transaction, and unless \p revoking rewinds
 * the consumer to the committed offsets and reopens the tasks (returns 0: nothing lost). A
 * fenced or fatal producer is replaced and the tasks reopened (returns 0); the fourth time
 * within a minute it returns EDDY_EFENCED or EDDY_EKAFKA, and every later call fails too.
 */
int eddy__txn_commit(eddy_stream_thread_t *t, bool revoking, eddy_error_t **err);
/** @returns true when the tasks to restore were reopened after an abort and their stores
 * hold exactly the last commit (nothing to restore). */
bool eddy__txn_stores_current(eddy_stream_thread_t *t, const eddy_restore_job_t *jobs, size_t n);
/** Free the thread's transaction state. */
void eddy__txn_free(eddy_stream_thread_t *t);
/** exactly_once_v2: abort and close the tasks, then replace the (fenced) producer by a new
 * one with the same settings. The tasks stay closed (eddy__thread_reopen_tasks). */
int eddy__thread_replace_producer(eddy_stream_thread_t *t, eddy_error_t **err);
/** The positions to commit: the assignment at its consumed positions (held records
 * included); *out (owned by the caller) lists only partitions with a position. Updates lag. */
int eddy__thread_positions(eddy_stream_thread_t *t, rd_kafka_topic_partition_list_t **out,
                           eddy_error_t **err);
/** Commit \p l to the consumer group; *out is the error, rebalance errors logged and cleared. */
void eddy__thread_commit_group(eddy_stream_thread_t *t, const rd_kafka_topic_partition_list_t *l,
                               rd_kafka_resp_err_t *out);
/** Close every task and open them again for the current assignment (to restore). */
int eddy__thread_reopen_tasks(eddy_stream_thread_t *t, eddy_error_t **err);
/**
 * A consumer outside the application's group (restore, global tables): group
 * `<app>-<group_suffix>`, with the kafka.* and kafka.consumer.* settings.
 */
int eddy__thread_side_consumer(eddy_stream_thread_t *t, const char *group_suffix,
                               rd_kafka_t **out, eddy_error_t **err);

/** Create a thread's clients and executor. */
int eddy__thread_init(eddy_stream_thread_t *t, eddy_error_t **err);
/** The thread body (pthread start routine). */
void *eddy__thread_main(void *arg);
/** @returns true when \p plan has a join (engine/batch_order.c). */
bool eddy__plan_has_joins(const eddy_plan_t *plan);
/**
 * Reorder a consumed batch for a joining topology: per partition in offset
 * order, across partitions by smallest record timestamp first.
 * @returns 0 or EDDY_ENOMEM (the batch is then left as it was).
 */
int eddy__batch_order(rd_kafka_message_t **msgs, size_t n);
/** Global tables (engine/global_table.c): read them to their end before processing. */
int eddy__global_start(eddy_stream_thread_t *t, eddy_error_t **err);
/** Apply what arrived on the global tables' topics since the last call (never waits). */
int eddy__global_poll(eddy_stream_thread_t *t, eddy_error_t **err);
/* PostgreSQL sinks (engine/pg_sink.c, pg_sink_task.c) */
/** @returns true when \p plan has a `to postgres` sink. */
bool eddy__plan_has_pg_sink(const eddy_plan_t *plan);
/** The thread's sink task (connects and checks the tables); *out NULL without sinks. */
int eddy__pg_sink_new(struct eddy_pg_sink_s **out, eddy_stream_thread_t *t, eddy_error_t **err);
/** Consume what is there, write a batch when due. Never waits. @returns 0 or a fatal error. */
int eddy__pg_sink_tick(struct eddy_pg_sink_s *s, eddy_error_t **err);
/**
 * When the sink next needs a tick (monotonic µs): now with records queued, when
 * its batch falls due or its retry comes, else INT64_MAX (a record arriving
 * then ends the thread's wait for input).
 */
int64_t eddy__pg_sink_next_tick_us(const struct eddy_pg_sink_s *s);
/** Write the last batch and leave the sink group (NULL-safe). */
void eddy__pg_sink_stop(struct eddy_pg_sink_s *s);
/** NULL-safe. */
void eddy__pg_sink_destroy(struct eddy_pg_sink_s *s);
/** Records of the sink's partitions not yet in PostgreSQL (NULL: 0). */
long long eddy__pg_sink_lag(const struct eddy_pg_sink_s *s);
/** Free what eddy__thread_init made. */
void eddy__thread_free(eddy_stream_thread_t *t);

#endif
