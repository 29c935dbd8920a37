/* Executor internals shared by the operator files. */
#ifndef EDDY_OPERATORS_EXEC_INT_H
#define EDDY_OPERATORS_EXEC_INT_H

#include "eddy/row.h"
#include "operators/exec.h"
#include "operators/expr.h"
#include "serde/serde.h"

struct eddy_exec_s {
  const eddy_plan_t *plan;
  eddy_exec_env_t env;
  eddy_decoder_t **decoders;        /* per plan source */
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
};

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
/** Produce one message, waiting while the producer queue is full. */
int eddy__produce(eddy_exec_t *x, const char *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, int64_t ts_ms, void *headers,
                  eddy_error_t **err);

#endif
