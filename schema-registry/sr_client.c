/*
 * The registry client's caches and API (see sr_client.h). Ids never change
 * meaning, so a schema fetched once is kept; registrations are cached per
 * (subject, canonical schema text).
 */
#include "schema-registry/sr_client.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schema-registry/sr_int.h"
#include "schema-registry/sr_schema_int.h"

typedef struct {
  eddy_sr_schema_t *parsed;
  avro_schema_t avro;       /* made on first eddy_sr_client_avro() */
} cached_t;

struct eddy_sr_client_s {
  eddy__sr_conn_t *conn;
  pthread_mutex_t mu;
  eddy__sr_map_t by_id;     /* decimal id -> cached_t */
  eddy__sr_map_t ids;       /* subject "\n" canonical -> id (as intptr_t) */
  long requests;
  const eddy_logger_t *logger;
  /* the last time the registry could not be reached: fail fast for a while */
  int64_t quiet_until_ms;
  int quiet_code;
  char quiet_why[256];
};

/*
 * After the registry could not be reached, requests fail at once (still
 * retriable) for this long instead of waiting for the network again. The
 * engine asks once per held partition and retry round: without this, a
 * registry that swallows packets would cost every held partition the full
 * connect timeout in each round, long enough to push a stream thread past
 * max.poll.interval.ms.
 */
#define QUIET_MS 500

static int64_t clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int eddy_sr_client_new(eddy_sr_client_t **out, const eddy_sr_client_conf_t *conf,
                       eddy_error_t **err) {
  *out = NULL;
  eddy_sr_client_t *c = eddy_calloc(1, sizeof(*c));
  if (c == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int rc = eddy__sr_conn_new(&c->conn, conf->url, conf->timeout_ms, err);
  if (rc != 0) {
    eddy_free(c);
    return rc;
  }
  pthread_mutex_init(&c->mu, NULL);
  c->logger = conf->logger;
  *out = c;
  return 0;
}

static void free_cached(void *opaque, const char *key, void *val) {
  cached_t *e = val;
  (void)opaque;
  (void)key;
  eddy_sr_schema_destroy(e->parsed);
  if (e->avro != NULL)
    avro_schema_decref(e->avro);
  eddy_free(e);
}

void eddy_sr_client_destroy(eddy_sr_client_t *c) {
  if (c == NULL)
    return;
  eddy__sr_map_each(&c->by_id, free_cached, NULL);
  eddy__sr_map_free(&c->by_id);
  eddy__sr_map_free(&c->ids);
  eddy__sr_conn_destroy(c->conn);
  pthread_mutex_destroy(&c->mu);
  eddy_free(c);
}

long eddy_sr_client_requests(const eddy_sr_client_t *c) { return c->requests; }

/* ---- responses --------------------------------------------------------------------- */

/* Turn a non-200 response into an error: 5xx may pass, 4xx will not. */
static int http_error(int status, const eddy_buf_t *body, const char *what, eddy_error_t **err) {
  cJSON *j = cJSON_ParseWithLength(body->p ? body->p : "", body->len);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "error_code");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
  int ec = cJSON_IsNumber(code) ? (int)code->valuedouble : status;
  int rc = status == 409 ? EDDY_ECOMPAT
           : status == 404 ? EDDY_ENOENT
           : status == 422 && (ec == 42201 || ec == 42202) ? EDDY_ESCHEMA
                                                           : EDDY_EIO;
  eddy_error_set_ex(err, rc, "registry", status >= 500 || status == 408 || status == 429,
                    "%s: HTTP %d, error %d: %s", what, status, ec,
                    cJSON_IsString(msg) ? msg->valuestring : "(no message)");
  cJSON_Delete(j);
  return rc;
}

static int call(eddy_sr_client_t *c, const char *method, const char *path, const char *body,
                eddy_buf_t *resp, const char *what, eddy_error_t **err) {
  int status = 0;
  if (clock_ms() < c->quiet_until_ms)
    return eddy_error_set_ex(err, c->quiet_code, "registry", true, "%s", c->quiet_why);
  c->requests++;
  eddy_error_t *why = NULL;
  int rc = eddy__sr_conn_request(c->conn, method, path, body, &status, resp, &why);
  if (rc != 0) {
    if (why != NULL && why->retriable && (rc == EDDY_EIO || rc == EDDY_ETIMEOUT)) {
      c->quiet_until_ms = clock_ms() + QUIET_MS;
      c->quiet_code = rc;
      snprintf(c->quiet_why, sizeof(c->quiet_why), "%s", why->msg);
    }
    if (err != NULL && *err == NULL)
      *err = why;
    else
      eddy_error_destroy(why);
    return rc;
  }
  if (status != 200)
    return http_error(status, resp, what, err);
  return eddy_buf_cstr(resp) ? 0 : eddy_error_set(err, EDDY_ENOMEM, "out of memory");
}

/* ---- by id ------------------------------------------------------------------------------ */

static int parse_fetched(const eddy_buf_t *resp, int id, eddy_sr_schema_t **out,
                         eddy_error_t **err) {
  cJSON *j = cJSON_ParseWithLength(resp->p, resp->len);
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "schemaType");
  int rc;
  if (!cJSON_IsString(schema))
    rc = eddy_error_set(err, EDDY_EIO, "schema %d: malformed registry response", id);
  else if (cJSON_IsString(type) && strcmp(type->valuestring, "AVRO") != 0)
    rc = eddy_error_set(err, EDDY_ESCHEMA, "schema %d is %s, not AVRO", id, type->valuestring);
  else
    rc = eddy_sr_schema_parse(out, schema->valuestring, strlen(schema->valuestring), err);
  cJSON_Delete(j);
  return rc;
}

/* @returns the cache entry for \p id, fetching it when missing. Lock held. */
static int lookup(eddy_sr_client_t *c, int id, cached_t **out, eddy_error_t **err) {
  char key[16], path[64];
  snprintf(key, sizeof(key), "%d", id);
  if ((*out = eddy__sr_map_get(&c->by_id, key)) != NULL)
    return 0;
  snprintf(path, sizeof(path), "/schemas/ids/%d", id);
  eddy_buf_t resp = {0};
  eddy_sr_schema_t *parsed = NULL;
  int rc = call(c, "GET", path, NULL, &resp, path, err);
  if (rc == 0)
    rc = parse_fetched(&resp, id, &parsed, err);
  eddy_buf_free(&resp);
  if (rc != 0)
    return rc;
  cached_t *e = eddy_calloc(1, sizeof(*e));
  if (e == NULL || eddy__sr_map_put(&c->by_id, key, e) != 0) {
    eddy_free(e);
    eddy_sr_schema_destroy(parsed);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  e->parsed = parsed;
  *out = e;
  return 0;
}

int eddy_sr_client_schema(eddy_sr_client_t *c, int id, const eddy_sr_schema_t **schema,
                          eddy_error_t **err) {
  cached_t *e = NULL;
  pthread_mutex_lock(&c->mu);
  int rc = lookup(c, id, &e, err);
  pthread_mutex_unlock(&c->mu);
  *schema = rc == 0 ? e->parsed : NULL;
  return rc;
}

int eddy_sr_client_avro(eddy_sr_client_t *c, int id, avro_schema_t *out, eddy_error_t **err) {
  cached_t *e = NULL;
  pthread_mutex_lock(&c->mu);
  int rc = lookup(c, id, &e, err);
  if (rc == 0 && e->avro == NULL)
    rc = eddy__sr_avro_parse(eddy_sr_schema_canonical(e->parsed), &e->avro, err);
  *out = rc == 0 ? e->avro : NULL;
  pthread_mutex_unlock(&c->mu);
  return rc;
}

/* ---- register ------------------------------------------------------------------------------ */

static int encode_segment(eddy_buf_t *out, const char *s) {
  int rc = 0;
  for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '.' || *p == '_' || *p == '~')
      rc = eddy_buf_putc(out, (char)*p);
    else
      rc = eddy_buf_printf(out, "%%%02X", *p);
  }
  return rc;
}

static int post_schema(eddy_sr_client_t *c, const char *subject, const char *canonical, int *id,
                       eddy_error_t **err) {
  eddy_buf_t path = {0}, body = {0}, resp = {0};
  int rc = eddy_buf_puts(&path, "/subjects/");
  if (rc == 0)
    rc = encode_segment(&path, subject);
  if (rc == 0)
    rc = eddy_buf_puts(&path, "/versions");
  if (rc == 0)
    rc = eddy_buf_puts(&body, "{\"schema\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(&body, canonical);
  if (rc == 0)
    rc = eddy_buf_putc(&body, '}');
  if (rc != 0 || !eddy_buf_cstr(&path) || !eddy_buf_cstr(&body))
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  else
    rc = call(c, "POST", path.p, body.p, &resp, subject, err);
  if (rc == 0) {
    cJSON *j = cJSON_ParseWithLength(resp.p, resp.len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (cJSON_IsNumber(v))
      *id = (int)v->valuedouble;
    else
      rc = eddy_error_set(err, EDDY_EIO, "register %s: malformed registry response", subject);
    cJSON_Delete(j);
  }
  eddy_buf_free(&path);
  eddy_buf_free(&body);
  eddy_buf_free(&resp);
  return rc;
}

int eddy_sr_client_register(eddy_sr_client_t *c, const char *subject, const char *schema,
                            int *id, eddy_error_t **err) {
  eddy_sr_schema_t *parsed = NULL;
  int rc = eddy_sr_schema_parse(&parsed, schema, strlen(schema), err);
  if (rc != 0)
    return rc;
  eddy_buf_t key = {0};
  if (eddy_buf_printf(&key, "%s\n%s", subject, eddy_sr_schema_canonical(parsed)) != 0) {
    eddy_sr_schema_destroy(parsed);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  pthread_mutex_lock(&c->mu);
  void *hit = eddy__sr_map_get(&c->ids, key.p);
  if (hit != NULL)
    *id = (int)(intptr_t)hit;
  else if ((rc = post_schema(c, subject, eddy_sr_schema_canonical(parsed), id, err)) == 0 &&
           eddy__sr_map_put(&c->ids, key.p, (void *)(intptr_t)*id) != 0)
    eddy_log(c->logger, EDDY_LOG_WARN, "registry", "out of memory caching schema id %d", *id);
  pthread_mutex_unlock(&c->mu);
  eddy_buf_free(&key);
  eddy_sr_schema_destroy(parsed);
  return rc;
}

/* ---- wire format --------------------------------------------------------------------------- */

void eddy_sr_wire_header(uint8_t out[EDDY_SR_WIRE_HEADER_LEN], int id) {
  uint32_t u = (uint32_t)id;
  out[0] = 0;
  out[1] = (uint8_t)(u >> 24);
  out[2] = (uint8_t)(u >> 16);
  out[3] = (uint8_t)(u >> 8);
  out[4] = (uint8_t)u;
}

int eddy_sr_wire_parse(const void *buf, size_t len, int *id, const uint8_t **payload,
                       size_t *payload_len) {
  const uint8_t *b = buf;
  if (len < EDDY_SR_WIRE_HEADER_LEN || b[0] != 0)
    return EDDY_EDECODE;
  *id = (int)(((uint32_t)b[1] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 8) | b[4]);
  *payload = b + EDDY_SR_WIRE_HEADER_LEN;
  *payload_len = len - EDDY_SR_WIRE_HEADER_LEN;
  return 0;
}
