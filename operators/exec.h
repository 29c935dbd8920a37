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

struct rd_kafka_s;
struct rd_kafka_message_s;

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
} eddy_counters_t;

/** What the executor needs from the runtime. Borrowed for the executor's life. */
typedef struct eddy_exec_env_s {
  const char *app_id;
  const char *dlq_topic;
  struct rd_kafka_s *producer;  /* outputs and dead letters */
  const eddy_logger_t *log;
  eddy_counters_t *counters;
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

/**
 * Process one consumed message. @returns 0 when the record was processed or
 * handled by its error policy; an error (EDDY_ECHECK, EDDY_EDECODE, ...) when
 * the policy is `fail` or a sink cannot produce at all: the application must
 * stop without committing.
 * @locality the executor's stream thread
 */
int eddy_exec_process(eddy_exec_t *x, const struct rd_kafka_message_s *msg, eddy_error_t **err);

#endif
