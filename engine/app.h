/*
 * An application: one compiled topology running with one configuration.
 * It owns its stream threads; each thread has its own consumer (group id =
 * application id) and producer and runs an executor over the plan.
 *
 *   eddy_app_new(&app, plan, &conf, &log, &err);
 *   eddy_app_start(app, &err);
 *   ... eddy_app_request_stop(app);
 *   eddy_app_join(app, &err);        // flush, commit, close
 *   eddy_app_destroy(app);
 */
#ifndef EDDY_ENGINE_APP_H
#define EDDY_ENGINE_APP_H

#include <stdbool.h>

#include "dsl/plan.h"
#include "engine/config.h"
#include "operators/exec.h"

typedef struct eddy_app_s eddy_app_t;

/**
 * Prepare an application for \p plan (borrowed: must outlive the app). The
 * configuration is copied; its application.id, when set, overrides the
 * plan's `app` name.
 */
int eddy_app_new(eddy_app_t **out, const eddy_plan_t *plan, const eddy_config_t *conf,
                 const eddy_logger_t *log, eddy_error_t **err);
/**
 * Have internal topics (repartition, changelogs) made by \p create instead of
 * the admin API: the embedded broker has none (pass a function calling
 * eddy_broker_create_topic()). Call before eddy_app_start().
 */
void eddy_app_set_topic_creator(eddy_app_t *app, eddy_topic_create_fn create, void *opaque);
/**
 * Start the stream threads, after creating the internal topics a stateful
 * plan needs (sized by its source topics, which must exist: eddy waits up to
 * 30 s for them).
 */
int eddy_app_start(eddy_app_t *app, eddy_error_t **err);
/** Ask the threads to stop after their current batch. Thread-safe. */
void eddy_app_request_stop(eddy_app_t *app);
/** @returns true while at least one stream thread runs. */
bool eddy_app_running(const eddy_app_t *app);
/**
 * Wait for the threads to finish (each flushes its producer and commits
 * what it processed). @returns 0, or the first fatal error of a thread.
 */
int eddy_app_join(eddy_app_t *app, eddy_error_t **err);
/** NULL-safe; joins first if needed. */
void eddy_app_destroy(eddy_app_t *app);

const char *eddy_app_id(const eddy_app_t *app);
/** Live counters (atomics). */
const eddy_counters_t *eddy_app_counters(const eddy_app_t *app);
/** Records of the `to postgres` sink topics not yet written to PostgreSQL (all threads). */
long long eddy_app_pg_sink_lag(const eddy_app_t *app);
/** Sum of committed-offset lag over the assigned partitions, -1 if unknown. */
long long eddy_app_lag(const eddy_app_t *app);

/** The current (or last) restore of the app's stores, summed over its threads. */
typedef struct {
  long long stores_total, stores_done;
  long long records_total, records_done;
  long long rate;           /* records/s */
  long long eta_ms;         /* -1: unknown */
} eddy_app_restore_t;

/** Fill \p out from the threads' atomics. @returns true while a restore runs. */
bool eddy_app_restore(const eddy_app_t *app, eddy_app_restore_t *out);

#endif
