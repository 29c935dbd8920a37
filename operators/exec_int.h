/* Executor internals shared by the operator files. */
#ifndef EDDY_OPERATORS_EXEC_INT_H
#define EDDY_OPERATORS_EXEC_INT_H

#include "eddy/row.h"
#include "operators/aggregate.h"
#include "operators/exec.h"
#include "operators/keyed.h"
#include "operators/expr.h"
#include "serde/serde.h"

typedef struct eddy_task_s eddy_task_t;

/* What an aggregate instance calls back with: its executor, node and task. */
typedef struct {
  struct eddy_exec_s *x;
  const eddy_plan_node_t *node;
  eddy_task_t *task;
} eddy__agg_ctx_t;

/* One (subtopology, partition) with state (operators/task.c). */
struct eddy_task_s {
  uint32_t sub;
  int32_t partition;
  char id[32];                      /* "<sub>_<partition>" */
  uint32_t store_cnt;
  eddy_store_t **stores;            /* the subtopology's stores, in plan order */
  eddy_changelog_t **changelogs;
  char **changelog_topics;
  uint32_t agg_cnt;
  eddy_agg_t **aggs;                /* the subtopology's aggregate nodes, in plan order */
  eddy__agg_ctx_t *ctx;
  uint32_t keyed_cnt;
  eddy_keyed_t **keyed;             /* the subtopology's over/dedupe/changes nodes, in plan order */
  eddy__agg_ctx_t *keyed_ctx;
  bool restored;
  int64_t stream_time;              /* largest event time seen (INT64_MIN: none) */
  int64_t deadline;                 /* stream time at which an aggregate has windows to close */
  int64_t idle_wall, idle_base;     /* wall time of the last record, stream time then */
  struct eddy_join_s **joins;       /* the subtopology's join nodes, in plan order */
  uint32_t join_cnt;
  int64_t *applied;                 /* per store: a source-changelog table's last applied
                                       source offset (EDDY_OFFSET_NONE: none) */
  bool checkpoint_stale;            /* committed offsets moved since the file was written */
  int64_t checkpoint_us;            /* when it was written (monotonic) */
};

/* The plan's stateful parts, per subtopology (operators/task.c). */
typedef struct {
  uint32_t store_cnt, agg_cnt;
  const uint32_t *stores;           /* plan store indexes */
  const eddy_plan_node_t **aggs;    /* aggregate nodes */
  eddy_task_t **tasks;              /* by partition */
  uint32_t task_cap;
  const eddy_plan_source_t *source; /* the first source: its error policy for emitted rows */
  uint32_t join_cnt;
  const eddy_plan_node_t **joins;   /* join nodes */
} eddy__sub_state_t;

struct eddy_exec_s {
  const eddy_plan_t *plan;
  eddy_exec_env_t env;
  eddy_decoder_t **decoders;        /* per plan source (NULL for Avro sources) */
  struct eddy_avro_decoder_s **avro_decoders;  /* per plan source: Avro sources only */
  struct eddy_avro_encoder_s **avro_encoders;  /* per node: `to kafka ... format avro` */
  eddy_arena_t *arena;              /* rows and temporaries of the current batch */
  int64_t now_us;
  eddy_buf_t value_buf;             /* encoder scratch */
  eddy_buf_t key_buf;
  eddy_buf_t stdout_buf;            /* `to stdout` lines of the batch */
  /* the record being processed */
  const struct rd_kafka_message_s *msg;
  const eddy_plan_source_t *source;
  /* topic -> source lookup, with a one-entry cache of the last topic handle */
  const void *last_topic;
  const eddy_plan_source_t *last_source;
  char **source_topics;             /* per source and topic: the runtime topic names */
  uint32_t *source_topic_first;     /* index of each source's first name */
  /* state */
  char **node_topics;               /* per node: a REPARTITION node's runtime topic */
  uint32_t *agg_slot;               /* per node: an aggregate's index in its task */
  eddy__sub_state_t *subs;          /* per subtopology */
  eddy_task_t *task;                /* the task of the record being processed, or NULL */
  const eddy_row_t *emit_row;       /* a row emitted without a consumed record (for dead letters) */
  eddy_restore_job_t *jobs;
  size_t job_cap;
  eddy_store_t **global_stores;     /* per plan store: a global table's (this thread's copy) */
  char **global_topics;             /* the global tables' topics, NULL-terminated */
};

/* Avro sources and sinks (operators/exec_avro.c) */
bool eddy__exec_source_is_avro(const eddy_plan_source_t *s);
/** Decoders and encoders for the plan's Avro sources and sinks (needs env.registry). */
int eddy__exec_avro_new(eddy_exec_t *x, eddy_error_t **err);
void eddy__exec_avro_destroy(eddy_exec_t *x);
/**
 * Decode \p msg for source \p source into \p vals (JSON or Avro).
 * @returns as eddy_decoder_decode(), or EDDY_EXEC_RETRY (registry
 *          unreachable; *why says why), or EDDY_EIO / EDDY_ETIMEOUT when the
 *          registry refuses for good (the application must stop).
 */
int eddy__exec_decode(eddy_exec_t *x, uint32_t source, const struct rd_kafka_message_s *msg,
                      eddy_value_t *vals, eddy_error_t **why);
/** Append \p row as Confluent-wire Avro for sink \p n; errors as eddy_avro_encode_row(). */
int eddy__avro_encode(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                      eddy_buf_t *out, eddy_error_t **why);

/* tasks (operators/task.c) */
int eddy__exec_state_new(eddy_exec_t *x, eddy_error_t **err);
void eddy__exec_state_destroy(eddy_exec_t *x);
/** The task of (sub, partition), NULL when none is open. */
eddy_task_t *eddy__exec_task(eddy_exec_t *x, uint32_t sub, int32_t partition);
/** A record with event time \p ts reached \p task: stream time, idle clock. */
void eddy__task_observe(eddy_exec_t *x, eddy_task_t *t, int64_t ts);
/** Emit what closed when stream time moved: @returns 0 or an error (fatal). */
int eddy__task_advance(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);

/** Write \p t's checkpoint file if stale, and (unless \p now) due. */
int eddy__task_checkpoint(eddy_exec_t *x, eddy_task_t *t, bool now, eddy_error_t **err);

/* stateful operators (operators/exec_state.c) */
int eddy__op_repartition(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                         eddy_error_t **err);
int eddy__op_aggregate(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                       eddy_error_t **err);
int eddy__agg_emit(void *opaque, const eddy_row_t *row, eddy_error_t **err);
int eddy__agg_late(void *opaque, const eddy_row_t *row, uint32_t missed, uint32_t windows,
                   int64_t stream_time, eddy_error_t **err);

/* tables and joins (operators/join_exec.c) */
int eddy__op_table(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                   eddy_error_t **err);
int eddy__op_join(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                  eddy_error_t **err);
/** Index the plan's join nodes per subtopology (x->agg_slot holds a join's index). */
int eddy__join_index_plan(eddy_exec_t *x, eddy_error_t **err);
void eddy__join_sub_free(eddy__sub_state_t *ss);
/** Close the global tables' stores (operators/join_global.c). */
void eddy__join_globals_free(eddy_exec_t *x);
/** Open the global tables' stores. */
int eddy__join_globals_open(eddy_exec_t *x, eddy_error_t **err);
/** Start and free a task's join instances, over its restored stores. */
int eddy__join_task_start(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);
void eddy__join_task_free(eddy_task_t *t);
/** The stream time at which a windowed join of \p t has records to close (INT64_MAX: none). */
int64_t eddy__join_task_deadline(eddy_exec_t *x, const eddy_task_t *t);
/** Stream time moved: windowed joins emit their closed unmatched records. */
int eddy__join_task_advance(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);
/** Commit step 1 for the task's table stores and windowed joins: flush them. */
int eddy__join_task_flush(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);
/** A table's REPARTITION node: the row re-keyed, a Debezium delete as a tombstone. */
int eddy__table_rekey(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                      eddy_error_t **err);
/** A Debezium delete event (op "d")? */
bool eddy__debezium_delete(const eddy_row_t *row);
/** \p row with its after image replaced by its before image (in the batch arena), or NULL. */
const eddy_row_t *eddy__before_image(eddy_exec_t *x, const eddy_row_t *row);
/** @returns true when \p s feeds a TABLE node directly (its tombstones delete). */
bool eddy__source_feeds_table(const eddy_plan_source_t *s);
/* keyed operators: over, dedupe, changes (operators/exec_keyed.c) */
int eddy__op_keyed(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                   eddy_error_t **err);
/** Start \p t's keyed operators on its restored stores. */
int eddy__task_keyed_start(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);
/** Commit step 1 for them. */
int eddy__task_keyed_flush(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);
void eddy__task_keyed_free(eddy_task_t *t);

/** Forward \p row to every next node of \p node. */
int eddy__exec_forward(eddy_exec_t *x, const eddy_plan_node_t *node, const eddy_row_t *row,
                       eddy_error_t **err);
/** Run \p node on \p row (dispatch by kind). */
int eddy__exec_push(eddy_exec_t *x, const eddy_plan_node_t *node, const eddy_row_t *row,
                    eddy_error_t **err);
/**
 * The current record failed in \p node with \p code / \p why: apply the
 * source's error policy. @returns 0 (handled: dead-lettered or skipped) or
 * the code when the policy is `fail` (then *err says why).
 */
int eddy__exec_fail(eddy_exec_t *x, const eddy_plan_node_t *node, int code, const char *why,
                    eddy_error_t **err);
/** An evaluation context for \p row. */
static inline eddy_eval_ctx_t eddy__exec_ctx(eddy_exec_t *x, const eddy_row_t *row) {
  eddy_eval_ctx_t ctx = {.rows = {row, NULL}, .arena = x->arena, .now_us = x->now_us};
  return ctx;
}

/* stateless operators (operators/stateless.c) */
int eddy__op_where(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);
int eddy__op_select(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);
int eddy__op_flatten(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);
int eddy__op_key_by(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);
int eddy__op_check(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);

/* sinks (operators/sink.c) */
int eddy__sink_kafka(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);
int eddy__sink_stdout(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row, eddy_error_t **err);
/** `to postgres`: produce to <app>-<node> (operators/sink_pg.c). */
int eddy__sink_postgres(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                        eddy_error_t **err);
/** Produce one message, waiting while the producer queue is full. */
int eddy__produce(eddy_exec_t *x, const char *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, int64_t ts_ms, void *headers,
                  eddy_error_t **err);

#endif
