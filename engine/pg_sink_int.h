/*
 * The PostgreSQL sink task (pg_sink.c, pg_write.c, pg_conn.c).
 *
 * Every stream thread of an application with `to postgres` sinks owns one
 * sink: a consumer in the group `<app>-pg-sink` subscribed to the sinks'
 * topics `<app>-<node>`, and one PostgreSQL connection. The group only
 * spreads the partitions; their positions live in PostgreSQL, in
 * eddy_sink_offsets(app, topic, partition, next_offset), written in the
 * same transaction as the rows. So a partition, when assigned or after a
 * lost connection, resumes at the stored offset: every record of the topic
 * is applied exactly once.
 */
#ifndef EDDY_ENGINE_PG_SINK_INT_H
#define EDDY_ENGINE_PG_SINK_INT_H

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "engine/app_int.h"
#include "serde/serde.h"

/* One `to postgres` node. */
typedef struct {
  const eddy_plan_node_t *node;
  char *topic;                  /* runtime topic <app>-<node> */
  char *table;                  /* quoted, "schema"."table" */
  const eddy_fields_t *row;     /* the row layout (node->in) */
  uint32_t col_cnt;
  char **cols;                  /* quoted column names, per row field */
  uint32_t key_cnt;
  uint32_t *key_slot;           /* row slot of each key column */
  eddy_fields_t key_layout;     /* the key object's fields */
  eddy_field_t *key_items;
  eddy_decode_spec_t value_spec, key_spec;
  const char ***value_paths, ***key_paths;
  uint8_t *value_wanted, *key_wanted;
  eddy_decoder_t *value_dec, *key_dec;
  char *upsert_tail;            /* " ON CONFLICT (...) DO UPDATE SET ..." */
} eddy_pg_table_t;

/* A partition the sink owns: where PostgreSQL says it is. */
typedef struct {
  uint32_t table;
  int32_t partition;
  int64_t stored;               /* next_offset in eddy_sink_offsets; -1: no row yet */
  int64_t next;                 /* after the pending batch */
} eddy_pg_part_t;

/* One record of the pending batch, as statement parameters. */
typedef struct {
  rd_kafka_message_t *msg;
  uint32_t table;
  bool del;
  const char **params;          /* col_cnt values (upsert) or key_cnt (delete); NULL = NULL */
} eddy_pg_op_t;

typedef struct eddy_pg_sink_s {
  eddy_stream_thread_t *thread;
  eddy_app_t *app;
  eddy_kafka_ctx_t kafka_ctx;   /* owner: this sink */
  rd_kafka_t *consumer;
  rd_kafka_t *producer;         /* dead letters (its own: the thread's may be transactional) */
  rd_kafka_queue_t *queue;
  rd_kafka_queue_t *wake;       /* the thread's input queue: a record here ends its wait */
  PGconn *conn;
  eddy_pg_table_t *tables;
  uint32_t table_cnt;
  eddy_pg_part_t *parts;        /* assigned partitions */
  uint32_t part_cnt, part_cap;
  rd_kafka_message_t **pending; /* consumed, not written */
  size_t pending_cnt, pending_cap;
  int64_t last_write_us;        /* the last batch written: at most one per postgres.batch.ms */
  eddy_arena_t *arena;          /* the batch's parameters */
  eddy_buf_t sql;
  uint64_t generation;          /* counts rebalance callbacks */
  bool need_position;           /* seek every partition to its stored offset first */
  int64_t retry_at_us;
  int64_t backoff_us;
  int64_t lag_at_us;
  int64_t progress_us;          /* the last record taken or batch written (or the last warning) */
  atomic_llong lag;             /* records of the assigned partitions not yet in PostgreSQL */
} eddy_pg_sink_t;

/* ---- libpq boundary (pg_conn.c) ---------------------------------------------------- */

/** What a failed statement means. */
typedef enum { EDDY_PG_OK = 0, EDDY_PG_TRANSIENT, EDDY_PG_DATA, EDDY_PG_FATAL } eddy_pg_class_t;

/** Connect (postgres.url or the PG* environment). @returns 0 or EDDY_EPG (retriable set). */
int eddy__pg_connect(eddy_pg_sink_t *s, eddy_error_t **err);
/** Close the connection (NULL-safe on none). */
void eddy__pg_disconnect(eddy_pg_sink_t *s);
/**
 * Run \p sql with \p n text parameters (NULL entries are SQL NULL).
 * @returns EDDY_PG_OK with *res (caller clears, may be NULL when not wanted), or the
 *          class of the failure with *err = "SQLSTATE xxxxx: server message".
 */
eddy_pg_class_t eddy__pg_exec(eddy_pg_sink_t *s, const char *sql, int n,
                              const char *const *params, PGresult **res, char *sqlstate,
                              eddy_error_t **err);
/** Create eddy_sink_offsets if missing, and check every sink table. */
int eddy__pg_prepare(eddy_pg_sink_t *s, eddy_error_t **err);
/** Read the stored next_offset of every assigned partition into parts[].stored. */
eddy_pg_class_t eddy__pg_read_offsets(eddy_pg_sink_t *s, eddy_error_t **err);

/* ---- batches (pg_write.c) ---------------------------------------------------------- */

/**
 * Write the pending batch in one transaction with the partitions' offsets.
 * @returns EDDY_PG_OK (batch written, pending cleared), EDDY_PG_TRANSIENT (nothing
 *          written: reconnect, reposition, retry), EDDY_PG_FATAL (*err says why).
 */
eddy_pg_class_t eddy__pg_write_batch(eddy_pg_sink_t *s, eddy_error_t **err);
/** Build a table's statements and decoders. */
int eddy__pg_table_init(eddy_pg_sink_t *s, eddy_pg_table_t *t, const eddy_plan_node_t *n,
                        eddy_error_t **err);
void eddy__pg_table_free(eddy_pg_table_t *t);
/** The partition entry of (table, partition), or NULL. */
eddy_pg_part_t *eddy__pg_part(eddy_pg_sink_t *s, uint32_t table, int32_t partition);

#endif
