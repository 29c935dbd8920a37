/*
 * The registry server: one thread running a libuv loop with the HTTP
 * listener, a timer that applies new `_schemas` records every 50 ms, and an
 * async handle to stop. Requests are handled on that thread, one at a time,
 * so writes from one instance are serialised.
 */
#include "schema-registry/registry.h"

#include <string.h>
#include <uv.h>

#include "engine/http.h"
#include "schema-registry/sr_int.h"
#include "schema-registry/sr_routes.h"
#include "schema-registry/sr_schema_int.h"

#define POLL_MS 50

struct eddy_sr_server_s {
  eddy_sr_server_conf_t conf;
  char *host, *bootstrap, *topic;   /* copies behind conf's strings */
  uv_thread_t thread;
  uv_loop_t loop;
  uv_async_t stop;
  uv_timer_t poll;
  eddy__sr_registry_t *reg;
  eddy__http_t *http;
  int port;
  uv_mutex_t mu;                    /* start-up handshake */
  uv_cond_t cv;
  int state;                        /* 0 starting, 1 serving, -1 failed */
  eddy_error_t *err;
};

void eddy_sr_server_conf_init(eddy_sr_server_conf_t *conf) {
  *conf = (eddy_sr_server_conf_t){
      .host = "127.0.0.1",
      .port = 8081,
      .topic = "_schemas",
      .timeout_ms = 5000,
      .init_timeout_ms = 60000,
      .max_body = 16u << 20,
      .max_url = 8192,
      .max_headers = 100,
      .max_connections = 1000,
      .idle_timeout_ms = 60000,
  };
}

static void on_poll(uv_timer_t *t) {
  eddy_sr_server_t *s = t->data;
  eddy__sr_registry_poll(s->reg);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void on_stop(uv_async_t *a) {
  eddy_sr_server_t *s = a->data;
  eddy__http_close(s->http);
  uv_close((uv_handle_t *)&s->poll, on_closed);
  uv_close((uv_handle_t *)&s->stop, on_closed);
}

static int open_registry(eddy_sr_server_t *s, eddy_error_t **err) {
  eddy__sr_kafka_conf_t kc = {.bootstrap = s->conf.bootstrap, .topic = s->conf.topic,
                              .timeout_ms = s->conf.timeout_ms, .logger = s->conf.logger};
  eddy__sr_log_t *log = NULL;
  int rc = eddy__sr_log_kafka_open(&log, &kc, err);
  if (rc != 0)
    return rc;
  eddy__sr_registry_conf_t rc_conf = {.timeout_ms = s->conf.timeout_ms, .logger = s->conf.logger};
  if ((rc = eddy__sr_registry_new(&s->reg, log, &rc_conf, err)) != 0)
    return rc;
  rc = eddy__sr_registry_load(s->reg, s->conf.init_timeout_ms, err);
  if (rc == 0)
    eddy_log(s->conf.logger, EDDY_LOG_INFO, "registry", "read %s up to offset %lld",
             s->conf.topic, (long long)eddy__sr_store_next_offset(eddy__sr_registry_store(s->reg)));
  return rc;
}

/* Errors the HTTP layer answers by itself, in Confluent's shape. */
static int confluent_error(eddy_buf_t *body, int status, const char *message) {
  int rc = eddy_buf_printf(body, "{\"error_code\":%d,\"message\":", status);
  if (rc == 0)
    rc = eddy__sr_json_quote(body, message);
  return rc != 0 ? rc : eddy_buf_putc(body, '}');
}

static int listen_http(eddy_sr_server_t *s, eddy_error_t **err) {
  eddy__http_conf_t hc = {.host = s->conf.host, .port = s->conf.port,
                             .max_body = s->conf.max_body, .max_url = s->conf.max_url,
                             .max_headers = s->conf.max_headers,
                             .idle_timeout_ms = s->conf.idle_timeout_ms,
                             .max_connections = s->conf.max_connections,
                             .handler = eddy__sr_handle, .opaque = s->reg,
                             .default_content_type = "application/vnd.schemaregistry.v1+json",
                             .error_body = confluent_error, .logger = s->conf.logger};
  int rc = eddy__http_start(&s->http, &s->loop, &hc, err);
  if (rc == 0)
    s->port = eddy__http_port(s->http);
  return rc;
}

static void announce(eddy_sr_server_t *s, int state) {
  uv_mutex_lock(&s->mu);
  s->state = state;
  uv_cond_signal(&s->cv);
  uv_mutex_unlock(&s->mu);
}

static void run(void *arg) {
  eddy_sr_server_t *s = arg;
  eddy_error_t *err = NULL;
  int rc = open_registry(s, &err);
  if (rc == 0 && (rc = listen_http(s, &err)) == 0) {
    uv_async_init(&s->loop, &s->stop, on_stop);
    uv_timer_init(&s->loop, &s->poll);
    s->stop.data = s->poll.data = s;
    uv_timer_start(&s->poll, on_poll, POLL_MS, POLL_MS);
  }
  s->err = err;
  announce(s, rc == 0 ? 1 : -1);
  if (rc != 0)
    return;
  uv_run(&s->loop, UV_RUN_DEFAULT);
}

static void free_server(eddy_sr_server_t *s) {
  eddy__http_destroy(s->http);
  eddy__sr_registry_destroy(s->reg);
  uv_run(&s->loop, UV_RUN_DEFAULT);   /* close callbacks of anything left */
  uv_loop_close(&s->loop);
  uv_mutex_destroy(&s->mu);
  uv_cond_destroy(&s->cv);
  eddy_free(s->host);
  eddy_free(s->bootstrap);
  eddy_free(s->topic);
  eddy_free(s);
}

static eddy_sr_server_t *new_server(const eddy_sr_server_conf_t *conf) {
  eddy_sr_server_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->conf = *conf;
  s->host = eddy_strdup(conf->host ? conf->host : "127.0.0.1");
  s->bootstrap = eddy_strdup(conf->bootstrap);
  s->topic = eddy_strdup(conf->topic ? conf->topic : "_schemas");
  if (s->host == NULL || s->bootstrap == NULL || s->topic == NULL ||
      uv_loop_init(&s->loop) != 0) {
    eddy_free(s->host);
    eddy_free(s->bootstrap);
    eddy_free(s->topic);
    eddy_free(s);
    return NULL;
  }
  s->conf.host = s->host;
  s->conf.bootstrap = s->bootstrap;
  s->conf.topic = s->topic;
  uv_mutex_init(&s->mu);
  uv_cond_init(&s->cv);
  return s;
}

int eddy_sr_server_start(eddy_sr_server_t **out, const eddy_sr_server_conf_t *conf,
                         eddy_error_t **err) {
  *out = NULL;
  if (conf->bootstrap == NULL || *conf->bootstrap == '\0')
    return eddy_error_set(err, EDDY_ECONFIG, "the registry needs Kafka bootstrap servers");
  eddy_sr_server_t *s = new_server(conf);
  if (s == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory starting the registry");
  if (uv_thread_create(&s->thread, run, s) != 0) {
    free_server(s);
    return eddy_error_set(err, EDDY_EIO, "cannot start the registry thread");
  }
  uv_mutex_lock(&s->mu);
  while (s->state == 0)
    uv_cond_wait(&s->cv, &s->mu);
  uv_mutex_unlock(&s->mu);
  if (s->state < 0) {
    uv_thread_join(&s->thread);
    int rc = s->err ? s->err->code : EDDY_EIO;
    eddy_error_set(err, rc, "%s", s->err ? eddy_error_msg(s->err) : "registry failed to start");
    eddy_error_destroy(s->err);
    free_server(s);
    return rc;
  }
  *out = s;
  return 0;
}

int eddy_sr_server_port(const eddy_sr_server_t *s) { return s->port; }

void eddy_sr_server_stop(eddy_sr_server_t *s) {
  if (s == NULL)
    return;
  uv_async_send(&s->stop);
  uv_thread_join(&s->thread);
  free_server(s);
}
