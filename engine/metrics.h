/*
 * Metrics and health of the running applications over HTTP.
 *
 * `eddy run --metrics 127.0.0.1:9464` (config `metrics.listen`) serves, from
 * a thread of its own with a libuv loop:
 *
 *   GET /metrics   Prometheus text format: the counters of every application,
 *                  lag, restore progress, state
 *   GET /status    the same as one JSON document (what `make demo` shows)
 *   GET /health    200 while every application runs, 503 once one stopped
 *   GET /ready     200 when every application runs and none is restoring
 *
 * The handlers read atomics only, so serving never slows the stream threads.
 */
#ifndef EDDY_ENGINE_METRICS_H
#define EDDY_ENGINE_METRICS_H

#include "eddy/alloc.h"
#include "eddy/error.h"
#include "eddy/log.h"
#include "engine/app.h"

/** Render the Prometheus text exposition of \p apps into \p out. */
int eddy_metrics_prometheus(eddy_app_t *const *apps, int cnt, eddy_buf_t *out);
/** Render the JSON status document of \p apps into \p out. */
int eddy_metrics_json(eddy_app_t *const *apps, int cnt, eddy_buf_t *out);

typedef struct eddy_metrics_server_s eddy_metrics_server_t;

/**
 * Listen on \p listen ("host:port"; port 0 picks a free one) and serve the
 * endpoints above for \p apps (borrowed: they must outlive the server).
 * @returns 0, EDDY_EINVAL for a bad address, EDDY_EIO when it cannot bind.
 */
int eddy_metrics_server_start(eddy_metrics_server_t **out, const char *listen,
                              eddy_app_t *const *apps, int cnt, const eddy_logger_t *log,
                              eddy_error_t **err);
/** @returns the bound port. */
int eddy_metrics_server_port(const eddy_metrics_server_t *srv);
/** Stop serving and free. NULL-safe. */
void eddy_metrics_server_stop(eddy_metrics_server_t *srv);

#endif
