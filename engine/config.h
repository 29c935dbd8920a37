/*
 * Application configuration: Kafka Streams–style keys from a properties
 * file, overridden by command-line flags. Every key is declared once in
 * EDDY_CONFIG_KEYS (name, type, default, description); unknown keys are an
 * error, with a suggestion. Keys starting with `kafka.` pass through to
 * librdkafka with the prefix removed (checked by librdkafka when the
 * clients are created).
 */
#ifndef EDDY_ENGINE_CONFIG_H
#define EDDY_ENGINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/alloc.h"
#include "eddy/error.h"
#include "eddy/log.h"

typedef enum { EDDY_AT_LEAST_ONCE = 0, EDDY_EXACTLY_ONCE_V2 = 1 } eddy_guarantee_t;

/* X(field, key, kind, default, description); kinds: STR, INT, SIZE, AUTOSIZE (a size or
 * "auto" = -1), RATIO (a number between 0 and 1), GUARANTEE, LOGLEVEL */
#define EDDY_CONFIG_KEYS(X)                                                              \
  X(application_id, "application.id", STR, "",                                          \
    "Consumer group id and prefix of internal topics; default: the topology's `app` name") \
  X(bootstrap_servers, "bootstrap.servers", STR, "localhost:9092",                       \
    "Kafka bootstrap brokers, host:port[,host:port...]")                                 \
  X(num_stream_threads, "num.stream.threads", INT, "1",                                  \
    "Stream threads per application, each with its own consumer and producer")          \
  X(commit_interval_ms, "commit.interval.ms", INT, "1000",                               \
    "How often processed offsets are committed (100 unless set under exactly_once_v2)")  \
  X(state_dir, "state.dir", STR, "/tmp/eddy-state",                                      \
    "Directory for local state stores and checkpoints")                                  \
  X(processing_guarantee, "processing.guarantee", GUARANTEE, "at_least_once",            \
    "at_least_once or exactly_once_v2")                                                  \
  X(state_memory_bytes, "state.memory.bytes", SIZE, "268435456",                         \
    "Memory budget shared by all state stores (caches, write buffers, block cache)")     \
  X(state_cache_max_bytes, "state.cache.max.bytes", AUTOSIZE, "auto",                    \
    "Write-back caches of all stores, from the budget; auto = 1/8 of it, 0 = none")      \
  X(state_write_buffer_ratio, "state.memory.write.buffer.ratio", RATIO, "0.25",          \
    "Share of the RocksDB part of the budget used for memtables")                        \
  X(state_background_threads, "state.rocksdb.background.threads", INT, "2",              \
    "RocksDB flush and compaction threads (process-wide)")                               \
  X(state_restore_batch_records, "state.restore.batch.records", INT, "200000",           \
    "Records per restore write batch")                                                   \
  X(state_restore_memory_bytes, "state.restore.memory.bytes", SIZE, "67108864",          \
    "Staged restore batches of all stores together")                                     \
  X(state_checkpoint_interval_ms, "state.checkpoint.interval.ms", INT, "30000",         \
    "How often a task flushes its stores to disk and writes its checkpoint (0: every commit); a restore after a crash replays the changelog written since") \
  X(state_restore_log_interval_ms, "state.restore.log.interval.ms", INT, "2000",         \
    "How often restore progress is logged")                                              \
  X(window_idle_advance_ms, "window.idle.advance.ms", INT, "0",                          \
    "A task without input this long moves its stream time with the wall clock (0 = off)") \
  X(late_records_topic, "late.records.topic", STR, "",                                   \
    "Where records that arrive after their window closed go; empty: only counted") \
  X(poll_ms, "poll.ms", INT, "100", "Longest wait for input before a thread checks timers") \
  X(batch_max_records, "batch.max.records", INT, "1000",                                 \
    "Most records a stream thread processes between checks of time and commits")         \
  X(log_level, "log.level", LOGLEVEL, "info", "debug, info, warn or error")              \
  X(stats_interval_ms, "stats.interval.ms", INT, "10000",                                \
    "How often a progress line is logged (0 = never)")                                   \
  X(metrics_listen, "metrics.listen", STR, "",                                           \
    "HOST:PORT of the HTTP metrics endpoint (/metrics, /status, /health, /ready); empty: off") \
  X(dlq_topic, "dlq.topic", STR, "", "Dead-letter topic; default: <application.id>-dlq") \
  X(schema_registry_url, "schema.registry.url", STR, "",                                 \
    "Schema Registry for avro sources and sinks, http://host:port[,http://...]")          \
  X(schema_registry_timeout_ms, "schema.registry.timeout.ms", INT, "5000",               \
    "Bound on connecting to the registry and on each request")                            \
  X(schema_registry_backoff_ms, "schema.registry.retry.backoff.ms", INT, "100",          \
    "First wait before retrying a record while the registry is unreachable")              \
  X(schema_registry_backoff_max_ms, "schema.registry.retry.backoff.max.ms", INT, "10000", \
    "Longest wait between retries (the wait doubles up to it)")                          \
  X(postgres_url, "postgres.url", STR, "",                                               \
    "PostgreSQL for `to postgres` (libpq conninfo or postgresql:// URI); empty: PG* env") \
  X(postgres_sinks, "postgres.sinks", STR, "on",                                         \
    "on, or off: `to postgres` rows still go to their Kafka topic, nothing writes them")  \
  X(postgres_batch_rows, "postgres.batch.rows", INT, "500",                              \
    "Most rows a PostgreSQL sink writes in one transaction")                             \
  X(postgres_batch_ms, "postgres.batch.ms", INT, "20",                                   \
    "Shortest time between two writes of a PostgreSQL sink (unless its batch is full)")  \
  X(postgres_backoff_ms, "postgres.retry.backoff.ms", INT, "100",                        \
    "First wait before retrying after PostgreSQL was unreachable")                       \
  X(postgres_backoff_max_ms, "postgres.retry.backoff.max.ms", INT, "10000",              \
    "Longest wait between PostgreSQL retries (the wait doubles up to it)")

typedef struct eddy_config_s {
  char *application_id;
  char *bootstrap_servers;
  int64_t num_stream_threads;
  int64_t commit_interval_ms;
  char *state_dir;
  eddy_guarantee_t processing_guarantee;
  int64_t state_memory_bytes;
  int64_t state_cache_max_bytes;        /* -1: auto */
  double state_write_buffer_ratio;
  int64_t state_background_threads;
  int64_t state_restore_batch_records;
  int64_t state_restore_memory_bytes;
  int64_t state_checkpoint_interval_ms;
  int64_t state_restore_log_interval_ms;
  int64_t window_idle_advance_ms;
  char *late_records_topic;
  int64_t poll_ms;
  int64_t batch_max_records;
  eddy_log_level_t log_level;
  int64_t stats_interval_ms;
  char *metrics_listen;
  char *dlq_topic;
  char *schema_registry_url;
  int64_t schema_registry_timeout_ms;
  int64_t schema_registry_backoff_ms;
  int64_t schema_registry_backoff_max_ms;
  char *postgres_url;
  char *postgres_sinks;
  int64_t postgres_batch_rows;
  int64_t postgres_batch_ms;
  int64_t postgres_backoff_ms;
  int64_t postgres_backoff_max_ms;
  bool commit_interval_set;             /* set explicitly (else 100 under exactly_once_v2) */
  /* kafka.* pass-through, prefix removed; owned */
  char **kafka_keys;
  char **kafka_values;
  uint32_t kafka_cnt;
} eddy_config_t;

/** Fill \p c with the defaults. Release with eddy_config_free(). */
int eddy_config_init(eddy_config_t *c);
/** Free what \p c owns. */
void eddy_config_free(eddy_config_t *c);
/** Deep copy. */
int eddy_config_copy(eddy_config_t *dst, const eddy_config_t *src);

/**
 * Set \p key to \p value after validating it. An unknown key is EDDY_ECONFIG
 * with "unknown configuration key 'x' (did you mean 'y'?)".
 */
int eddy_config_set(eddy_config_t *c, const char *key, const char *value, eddy_error_t **err);

/**
 * Load a Java-style properties file (key=value or key: value, # and !
 * comments, blank lines). Errors are "FILE:LINE: message".
 */
int eddy_config_load_file(eddy_config_t *c, const char *path, eddy_error_t **err);

/** Append a description of every key (for --help and docs). */
int eddy_config_describe(eddy_buf_t *out);

#endif
