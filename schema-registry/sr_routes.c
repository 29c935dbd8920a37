/*
 * REST routing: path segments (each %-decoded after splitting, so "%2F" stays
 * inside a subject name) matched against the route table; 404 for unknown
 * paths, 405 with an Allow header for a known path with another method.
 *
 * A read that ends in "not found" is answered again after reading the log to
 * its end, so a schema registered through another instance a moment ago is
 * found here too.
 */
#include "schema-registry/sr_routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema-registry/sr_schema_int.h"

/* Bound on the log read before answering "not found", so reads stay quick
   while Kafka is unreachable. */
#define READ_SYNC_MS 1000

typedef struct {
  const char *method;
  const char *pattern[EDDY_SR_MAX_SEGMENTS];   /* "*" matches one segment */
  eddy__sr_handler_fn fn;
  bool read;                /* retry "not found" after a log sync */
} route_t;

static const route_t routes[] = {
    {"GET", {NULL}, eddy__sr_h_root, false},
    {"GET", {"schemas", "types"}, eddy__sr_h_schema_types, false},
    {"GET", {"schemas", "ids", "*"}, eddy__sr_h_schema_by_id, true},
    {"GET", {"schemas", "ids", "*", "schema"}, eddy__sr_h_schema_by_id_raw, true},
    {"GET", {"schemas", "ids", "*", "versions"}, eddy__sr_h_id_versions, true},
    {"GET", {"schemas", "ids", "*", "subjects"}, eddy__sr_h_id_subjects, true},
    {"GET", {"subjects"}, eddy__sr_h_subjects, false},
    {"POST", {"subjects", "*"}, eddy__sr_h_lookup, true},
    {"DELETE", {"subjects", "*"}, eddy__sr_h_delete_subject, false},
    {"GET", {"subjects", "*", "versions"}, eddy__sr_h_versions, true},
    {"POST", {"subjects", "*", "versions"}, eddy__sr_h_register, false},
    {"GET", {"subjects", "*", "versions", "*"}, eddy__sr_h_version, true},
    {"DELETE", {"subjects", "*", "versions", "*"}, eddy__sr_h_delete_version, false},
    {"GET", {"subjects", "*", "versions", "*", "schema"}, eddy__sr_h_version_raw, true},
    {"GET", {"subjects", "*", "versions", "*", "referencedby"}, eddy__sr_h_referenced_by, true},
    {"POST", {"compatibility", "subjects", "*", "versions", "*"}, eddy__sr_h_compat_version, true},
    {"POST", {"compatibility", "subjects", "*", "versions"}, eddy__sr_h_compat_all, false},
    {"GET", {"config"}, eddy__sr_h_config_get, false},
    {"PUT", {"config"}, eddy__sr_h_config_put, false},
    {"DELETE", {"config"}, eddy__sr_h_config_delete, false},
    {"GET", {"config", "*"}, eddy__sr_h_config_get, true},
    {"PUT", {"config", "*"}, eddy__sr_h_config_put, false},
    {"DELETE", {"config", "*"}, eddy__sr_h_config_delete, false},
    {"GET", {"mode"}, eddy__sr_h_mode_get, false},
    {"PUT", {"mode"}, eddy__sr_h_mode_put, false},
    {"GET", {"mode", "*"}, eddy__sr_h_mode_get, true},
    {"PUT", {"mode", "*"}, eddy__sr_h_mode_put, false},
    {"DELETE", {"mode", "*"}, eddy__sr_h_mode_delete, false},
    {"GET", {"contexts"}, eddy__sr_h_contexts, false},
};

/* ---- replies -------------------------------------------------------------------- */

eddy_buf_t *eddy__sr_out(eddy__sr_ctx_t *c) { return &c->resp->body; }

void eddy__sr_put_quoted(eddy__sr_ctx_t *c, const char *value) {
  eddy__sr_json_quote(&c->resp->body, value);
}

void eddy__sr_put_string(eddy__sr_ctx_t *c, const char *key, const char *value, bool first) {
  eddy_buf_printf(&c->resp->body, "%s\"%s\":", first ? "" : ",", key);
  eddy__sr_put_quoted(c, value);
}

static void reply_errorv(eddy__sr_ctx_t *c, int code, const char *fmt, va_list ap) {
  char msg[2048];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  eddy_buf_clear(&c->resp->body);
  c->resp->status = eddy__sr_http_status(code);
  eddy_buf_printf(&c->resp->body, "{\"error_code\":%d,\"message\":", code);
  eddy__sr_put_quoted(c, msg);
  eddy_buf_putc(&c->resp->body, '}');
}

void eddy__sr_reply_error(eddy__sr_ctx_t *c, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  reply_errorv(c, code, fmt, ap);
  va_end(ap);
}

void eddy__sr_reply_status(eddy__sr_ctx_t *c, const eddy__sr_status_t *st) {
  eddy__sr_reply_error(c, st->code, "%s", st->message);
}

/* ---- request parts ---------------------------------------------------------------- */

static int hex(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* %-decode \p len bytes of \p s into a new string; NULL if malformed or NUL. */
static char *decode(const char *s, size_t len) {
  char *out = eddy_malloc(len + 1), *o = out;
  for (size_t i = 0; out != NULL && i < len; i++) {
    if (s[i] == '%') {
      int hi = i + 2 < len ? hex(s[i + 1]) : -1;
      int lo = hi >= 0 ? hex(s[i + 2]) : -1;
      if (lo < 0 || (hi == 0 && lo == 0)) {
        eddy_free(out);
        return NULL;
      }
      *o++ = (char)(hi * 16 + lo);
      i += 2;
    } else {
      *o++ = s[i];
    }
  }
  if (out != NULL)
    *o = '\0';
  return out;
}

bool eddy__sr_query_true(const eddy__sr_ctx_t *c, const char *name) {
  size_t nlen = strlen(name);
  for (const char *q = c->req->query; *q;) {
    const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
    if ((size_t)(end - q) == nlen + 5 && strncmp(q, name, nlen) == 0 && q[nlen] == '=' &&
        strncasecmp(q + nlen + 1, "true", 4) == 0)
      return true;
    q = amp ? amp + 1 : end;
  }
  return false;
}

int eddy__sr_version_arg(eddy__sr_ctx_t *c, const char *s, int *out) {
  if (strcasecmp(s, "latest") == 0 || strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 1 || v > 2147483647L) {
    eddy__sr_reply_error(c, 42202, "The specified version '%s' is not a valid version id. "
                                   "Allowed values are between [1, 2^31-1] and the string "
                                   "\"latest\"", s);
    return -1;
  }
  *out = (int)v;
  return 0;
}

cJSON *eddy__sr_body_object(eddy__sr_ctx_t *c, int code) {
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(c->req->body, c->req->body_len, &end, false);
  if (cJSON_IsObject(j))
    return j;
  cJSON_Delete(j);
  if (j == NULL)
    eddy__sr_reply_error(c, code, "Invalid request body: not JSON (at byte %zu)",
                         end && end >= c->req->body ? (size_t)(end - c->req->body) : 0);
  else
    eddy__sr_reply_error(c, code, "Invalid request body: expected a JSON object");
  return NULL;
}

/* ---- routing ------------------------------------------------------------------------- */

/* Split the path into decoded segments. @returns false for a malformed path. */
static bool split(eddy__sr_ctx_t *c, const char *path) {
  if (*path != '/')
    return false;
  const char *p = path + 1;
  while (*p != '\0') {
    const char *slash = strchr(p, '/'), *end = slash ? slash : p + strlen(p);
    if (end == p && slash == NULL)
      break;                /* one trailing slash */
    if (end == p || c->seg_cnt == EDDY_SR_MAX_SEGMENTS)
      return false;
    if ((c->seg[c->seg_cnt] = decode(p, (size_t)(end - p))) == NULL)
      return false;
    c->seg_cnt++;
    p = slash ? slash + 1 : end;
  }
  return true;
}

static bool matches(const route_t *r, const eddy__sr_ctx_t *c) {
  int n = 0;
  while (n < EDDY_SR_MAX_SEGMENTS && r->pattern[n] != NULL)
    n++;
  if (n != c->seg_cnt)
    return false;
  for (int i = 0; i < n; i++)
    if (strcmp(r->pattern[i], "*") != 0 && strcmp(r->pattern[i], c->seg[i]) != 0)
      return false;
  return true;
}

/* @returns the route to run, or NULL after replying 404/405. */
static const route_t *route(eddy__sr_ctx_t *c, char *allow, size_t allow_len) {
  const route_t *found = NULL;
  size_t used = 0;
  allow[0] = '\0';
  for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    if (!matches(&routes[i], c))
      continue;
    if (strcmp(routes[i].method, c->req->method) == 0 ||
        (strcmp(c->req->method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
      return &routes[i];
    int n = snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", routes[i].method);
    if (n > 0 && used + (size_t)n < allow_len)
      used += (size_t)n;
    found = &routes[i];
  }
  if (found != NULL)
    eddy__sr_reply_error(c, 405, "HTTP 405 Method Not Allowed");
  else
    eddy__sr_reply_error(c, 404, "HTTP 404 Not Found");
  return NULL;
}

void eddy__sr_handle(void *opaque, const eddy__http_req_t *req, eddy__http_resp_t *resp) {
  eddy__sr_ctx_t c = {.reg = opaque, .req = req, .resp = resp};
  const route_t *r = NULL;
  if (!split(&c, req->path))
    eddy__sr_reply_error(&c, 404, "HTTP 404 Not Found");
  else if ((r = route(&c, resp->allow, sizeof(resp->allow))) == NULL && resp->status != 405)
    resp->allow[0] = '\0';
  if (r != NULL) {
    r->fn(&c);
    if (r->read && resp->status == 404) {
      eddy__sr_status_t st = {0};
      if (eddy__sr_registry_sync(c.reg, READ_SYNC_MS, &st) == 0) {
        eddy_buf_clear(&resp->body);
        resp->status = 200;
        r->fn(&c);
      }
    }
  }
  for (int i = 0; i < c.seg_cnt; i++)
    eddy_free(c.seg[i]);
}
