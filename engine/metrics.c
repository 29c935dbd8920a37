/* Metrics of the running applications: Prometheus text and JSON (see metrics.h). */
#include "engine/metrics.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "engine/http.h"
#include "engine/util.h"
#include "operators/exec.h"
#include "serde/serde.h"

typedef struct {
  const char *name;         /* without the eddy_ prefix and the _total suffix */
  const char *help;
  size_t offset;            /* of the atomic_llong in eddy_counters_t */
} counter_t;

#define COUNTER(field, help) {#field, help, offsetof(eddy_counters_t, field)}

static const counter_t counters[] = {
  COUNTER(records_in, "Records consumed and handed to the topology"),
  COUNTER(records_out, "Records written by sinks"),
  COUNTER(dlq, "Records written to the dead-letter topic"),
  COUNTER(skipped, "Failed records dropped by `on error skip`"),
  COUNTER(tombstones, "Null-valued records of Debezium sources"),
  COUNTER(decode_errors, "Failed records that could not be decoded"),
  COUNTER(check_failed, "Failed records that broke a `check` rule"),
  COUNTER(eval_errors, "Failed records on which an expression failed"),
  COUNTER(late, "Records that arrived after (one of) their windows closed"),
  COUNTER(commits, "Completed commits (outputs, state and positions durable)"),
  COUNTER(registry_waits, "Records held for a retry while the Schema Registry was unreachable"),
  COUNTER(pg_rows_upserted, "Rows inserted or updated by PostgreSQL sinks"),
  COUNTER(pg_rows_deleted, "Rows deleted by PostgreSQL sinks (tombstones)"),
  COUNTER(pg_batches, "Transactions committed by PostgreSQL sinks"),
  COUNTER(pg_retries, "Transient PostgreSQL failures retried by the sinks"),
  COUNTER(txn_aborts, "exactly_once_v2: transactions aborted, their input processed again"),
  COUNTER(early_commits, "exactly_once_v2: commits made early because a store's cache was full"),
};

#define COUNTER_CNT (sizeof(counters) / sizeof(counters[0]))

static long long counter_value(const eddy_app_t *app, const counter_t *c) {
  const char *base = (const char *)eddy_app_counters(app);
  return atomic_load((const atomic_llong *)(const void *)(base + c->offset));
}

static const char *state_name(const eddy_app_t *app, bool restoring) {
  if (!eddy_app_running(app))
    return "stopped";
  return restoring ? "restoring" : "running";
}

/* ---- Prometheus text format ------------------------------------------------------------ */

/* Label values: backslash, quote and newline are escaped. */
static int label(eddy_buf_t *out, const char *app) {
  int rc = eddy_buf_puts(out, "{app=\"");
  for (const char *p = app; rc == 0 && *p; p++) {
    if (*p == '\\' || *p == '"')
      rc = eddy_buf_putc(out, '\\');
    if (rc == 0)
      rc = *p == '\n' ? eddy_buf_puts(out, "\\n") : eddy_buf_putc(out, *p);
  }
  return rc != 0 ? rc : eddy_buf_puts(out, "\"}");
}

typedef long long (*gauge_fn)(const eddy_app_t *app);

static int family(eddy_buf_t *out, const char *name, const char *type, const char *help,
                  eddy_app_t *const *apps, int cnt, const counter_t *c, gauge_fn gauge) {
  int rc = eddy_buf_printf(out, "# HELP eddy_%s %s\n# TYPE eddy_%s %s\n", name, help, name,
                           type);
  for (int i = 0; rc == 0 && i < cnt; i++) {
    long long v = c != NULL ? counter_value(apps[i], c) : gauge(apps[i]);
    rc = eddy_buf_printf(out, "eddy_%s", name);
    if (rc == 0)
      rc = label(out, eddy_app_id(apps[i]));
    if (rc == 0)
      rc = eddy_buf_printf(out, " %lld\n", v);
  }
  return rc;
}

static long long g_running(const eddy_app_t *a) { return eddy_app_running(a) ? 1 : 0; }
static long long g_lag(const eddy_app_t *a) { return eddy_app_lag(a); }
static long long g_pg_lag(const eddy_app_t *a) { return eddy_app_pg_sink_lag(a); }

#define RESTORE_GAUGE(fn, field)                                                         \
  static long long fn(const eddy_app_t *a) {                                             \
    eddy_app_restore_t r;                                                                \
    eddy_app_restore(a, &r);                                                             \
    return r.field;                                                                      \
  }
RESTORE_GAUGE(g_restore_stores_total, stores_total)
RESTORE_GAUGE(g_restore_stores_done, stores_done)
RESTORE_GAUGE(g_restore_records_total, records_total)
RESTORE_GAUGE(g_restore_records_done, records_done)
RESTORE_GAUGE(g_restore_rate, rate)
RESTORE_GAUGE(g_restore_eta_ms, eta_ms)

static const struct {
  const char *name, *help;
  gauge_fn fn;
} gauges[] = {
  {"running", "1 while the application's stream threads run", g_running},
  {"consumer_lag", "Committed-offset lag over the assigned partitions (-1: unknown)", g_lag},
  {"pg_sink_lag", "Records of the PostgreSQL sink topics not yet written to PostgreSQL",
   g_pg_lag},
  {"restore_stores", "Stores of the current or last restore", g_restore_stores_total},
  {"restore_stores_done", "Stores of the current or last restore that are restored",
   g_restore_stores_done},
  {"restore_records", "Changelog records the current or last restore reads",
   g_restore_records_total},
  {"restore_records_done", "Changelog records the current or last restore applied",
   g_restore_records_done},
  {"restore_records_per_second", "Rate of the current or last restore", g_restore_rate},
  {"restore_eta_milliseconds", "Expected time left of the current restore (-1: unknown)",
   g_restore_eta_ms},
};

int eddy_metrics_prometheus(eddy_app_t *const *apps, int cnt, eddy_buf_t *out) {
  int rc = 0;
  char name[64];
  for (size_t i = 0; rc == 0 && i < COUNTER_CNT; i++) {
    snprintf(name, sizeof(name), "%s_total", counters[i].name);
    rc = family(out, name, "counter", counters[i].help, apps, cnt, &counters[i], NULL);
  }
  for (size_t i = 0; rc == 0 && i < sizeof(gauges) / sizeof(gauges[0]); i++)
    rc = family(out, gauges[i].name, "gauge", gauges[i].help, apps, cnt, NULL, gauges[i].fn);
  return rc;
}

/* ---- JSON ----------------------------------------------------------------------------- */

static int json_app(eddy_buf_t *out, const eddy_app_t *app) {
  eddy_app_restore_t r;
  bool restoring = eddy_app_restore(app, &r);
  int rc = eddy_buf_puts(out, "{\"app\":");
  if (rc == 0)
    rc = eddy_encode_json_string(eddy_app_id(app), strlen(eddy_app_id(app)), out);
  if (rc == 0)
    rc = eddy_buf_printf(out, ",\"state\":\"%s\",\"lag\":%lld", state_name(app, restoring),
                         eddy_app_lag(app));
  for (size_t i = 0; rc == 0 && i < COUNTER_CNT; i++)
    rc = eddy_buf_printf(out, ",\"%s\":%lld", counters[i].name, counter_value(app, &counters[i]));
  if (rc == 0)
    rc = eddy_buf_printf(out,
                         ",\"restore\":{\"stores\":%lld,\"stores_done\":%lld,\"records\":%lld,"
                         "\"records_done\":%lld,\"records_per_second\":%lld,\"eta_ms\":%lld}}",
                         r.stores_total, r.stores_done, r.records_total, r.records_done, r.rate,
                         r.eta_ms);
  return rc;
}

int eddy_metrics_json(eddy_app_t *const *apps, int cnt, eddy_buf_t *out) {
  int rc = eddy_buf_puts(out, "{\"apps\":[");
  for (int i = 0; rc == 0 && i < cnt; i++) {
    if (i > 0)
      rc = eddy_buf_putc(out, ',');
    if (rc == 0)
      rc = json_app(out, apps[i]);
  }
  return rc != 0 ? rc : eddy_buf_puts(out, "]}\n");
}

/* ---- the HTTP server -------------------------------------------------------------------- */

struct eddy_metrics_server_s {
  uv_loop_t loop;
  uv_async_t stop;
  uv_thread_t thread;
  eddy__http_t *http;
  eddy_app_t *const *apps;
  int cnt;
};

static bool all_running(const eddy_metrics_server_t *s, bool *restoring) {
  bool ok = true;
  *restoring = false;
  for (int i = 0; i < s->cnt; i++) {
    eddy_app_restore_t r;
    if (eddy_app_restore(s->apps[i], &r))
      *restoring = true;
    if (!eddy_app_running(s->apps[i]))
      ok = false;
  }
  return ok;
}

static void handle(void *opaque, const eddy__http_req_t *req, eddy__http_resp_t *resp) {
  eddy_metrics_server_t *s = opaque;
  bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  bool restoring;
  if (strcmp(req->path, "/metrics") == 0 && get) {
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    eddy_metrics_prometheus(s->apps, s->cnt, &resp->body);
  } else if (strcmp(req->path, "/status") == 0 && get) {
    eddy_metrics_json(s->apps, s->cnt, &resp->body);
  } else if ((strcmp(req->path, "/health") == 0 || strcmp(req->path, "/ready") == 0) && get) {
    bool ok = all_running(s, &restoring);
    if (req->path[1] == 'r' && restoring)
      ok = false;
    resp->status = ok ? 200 : 503;
    eddy_buf_printf(&resp->body, "{\"status\":\"%s\"}\n",
                    !ok && restoring ? "restoring" : ok ? "up" : "down");
  } else if (strcmp(req->path, "/metrics") == 0 || strcmp(req->path, "/status") == 0 ||
             strcmp(req->path, "/health") == 0 || strcmp(req->path, "/ready") == 0) {
    resp->status = 405;
    snprintf(resp->allow, sizeof(resp->allow), "GET, HEAD");
    eddy_buf_puts(&resp->body, "{\"error\":\"method not allowed\"}\n");
  } else {
    resp->status = 404;
    eddy_buf_puts(&resp->body,
                  "{\"error\":\"not found\",\"endpoints\":[\"/metrics\",\"/status\",\"/health\","
                  "\"/ready\"]}\n");
  }
}

static int json_error(eddy_buf_t *body, int status, const char *message) {
  int rc = eddy_buf_printf(body, "{\"status\":%d,\"error\":", status);
  if (rc == 0)
    rc = eddy_encode_json_string(message, strlen(message), body);
  return rc != 0 ? rc : eddy_buf_puts(body, "}\n");
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void on_stop(uv_async_t *a) {
  eddy_metrics_server_t *s = a->data;
  eddy__http_close(s->http);
  uv_close((uv_handle_t *)&s->stop, on_closed);
}

static void run(void *arg) {
  eddy_metrics_server_t *s = arg;
  uv_run(&s->loop, UV_RUN_DEFAULT);
}

static void free_server(eddy_metrics_server_t *s) {
  eddy__http_destroy(s->http);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  eddy_free(s);
}

int eddy_metrics_server_start(eddy_metrics_server_t **out, const char *listen,
                              eddy_app_t *const *apps, int cnt, const eddy_logger_t *log,
                              eddy_error_t **err) {
  *out = NULL;
  char host[256];
  int port;
  if (eddy_parse_listen(listen, host, sizeof(host), &port) != 0)
    return eddy_error_set(err, EDDY_EINVAL, "metrics.listen: expected HOST:PORT, got '%s'",
                          listen);
  eddy_metrics_server_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL || uv_loop_init(&s->loop) != 0) {
    eddy_free(s);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory starting the metrics server");
  }
  s->apps = apps;
  s->cnt = cnt;
  eddy__http_conf_t hc = {.host = host, .port = port, .max_body = 4096, .max_url = 2048,
                          .max_headers = 64, .idle_timeout_ms = 30000, .max_connections = 64,
                          .handler = handle, .opaque = s, .error_body = json_error,
                          .logger = log};
  int rc = eddy__http_start(&s->http, &s->loop, &hc, err);
  if (rc == 0) {
    uv_async_init(&s->loop, &s->stop, on_stop);
    s->stop.data = s;
    if (uv_thread_create(&s->thread, run, s) != 0) {
      eddy__http_close(s->http);
      uv_close((uv_handle_t *)&s->stop, on_closed);
      rc = eddy_error_set(err, EDDY_EIO, "cannot start the metrics thread");
    }
  }
  if (rc != 0) {
    free_server(s);
    return rc;
  }
  eddy_log(log, EDDY_LOG_INFO, "metrics", "serving http://%s:%d/metrics (also /status, /health, /ready)",
           host, eddy__http_port(s->http));
  *out = s;
  return 0;
}

int eddy_metrics_server_port(const eddy_metrics_server_t *s) { return eddy__http_port(s->http); }

void eddy_metrics_server_stop(eddy_metrics_server_t *s) {
  if (s == NULL)
    return;
  uv_async_send(&s->stop);
  uv_thread_join(&s->thread);
  free_server(s);
}
