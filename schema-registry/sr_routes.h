/* Private to the REST router (sr_routes.c) and its handlers (sr_handlers*.c). */
#ifndef EDDY_SR_ROUTES_H
#define EDDY_SR_ROUTES_H

#include <cJSON.h>

#include "engine/http.h"
#include "schema-registry/sr_int.h"

#define EDDY_SR_MAX_SEGMENTS 8

/** One request being handled. */
typedef struct {
  eddy__sr_registry_t *reg;
  const eddy__http_req_t *req;
  eddy__http_resp_t *resp;
  char *seg[EDDY_SR_MAX_SEGMENTS];  /* %-decoded path segments */
  int seg_cnt;
} eddy__sr_ctx_t;

typedef void (*eddy__sr_handler_fn)(eddy__sr_ctx_t *c);

/** The HTTP handler: routes \p req to the registry in \p opaque. */
void eddy__sr_handle(void *opaque, const eddy__http_req_t *req, eddy__http_resp_t *resp);

/* ---- replies ----------------------------------------------------------------- */

/** Reply {"error_code":code,"message":...} with the code's HTTP status. */
void eddy__sr_reply_error(eddy__sr_ctx_t *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void eddy__sr_reply_status(eddy__sr_ctx_t *c, const eddy__sr_status_t *st);
/** The response body being built (status 200 unless an error is replied). */
eddy_buf_t *eddy__sr_out(eddy__sr_ctx_t *c);
/** Append "key":"escaped value" (with a leading comma unless \p first). */
void eddy__sr_put_string(eddy__sr_ctx_t *c, const char *key, const char *value, bool first);
/** Append a JSON string literal. */
void eddy__sr_put_quoted(eddy__sr_ctx_t *c, const char *value);

/* ---- request parts --------------------------------------------------------------- */

/** Is query parameter \p name "true"? */
bool eddy__sr_query_true(const eddy__sr_ctx_t *c, const char *name);
/**
 * Parse a version path segment: 1..2^31-1 or "latest" (-1).
 * @returns 0, or replies 42202 and @returns -1.
 */
int eddy__sr_version_arg(eddy__sr_ctx_t *c, const char *s, int *out);
/** The request body as a JSON object, or NULL after replying 422 with \p code. */
cJSON *eddy__sr_body_object(eddy__sr_ctx_t *c, int code);

/* ---- handlers ----------------------------------------------------------------------- */

void eddy__sr_h_root(eddy__sr_ctx_t *c);
void eddy__sr_h_schema_types(eddy__sr_ctx_t *c);
void eddy__sr_h_contexts(eddy__sr_ctx_t *c);
void eddy__sr_h_schema_by_id(eddy__sr_ctx_t *c);
void eddy__sr_h_schema_by_id_raw(eddy__sr_ctx_t *c);
void eddy__sr_h_id_versions(eddy__sr_ctx_t *c);
void eddy__sr_h_id_subjects(eddy__sr_ctx_t *c);
void eddy__sr_h_subjects(eddy__sr_ctx_t *c);
void eddy__sr_h_versions(eddy__sr_ctx_t *c);
void eddy__sr_h_version(eddy__sr_ctx_t *c);
void eddy__sr_h_version_raw(eddy__sr_ctx_t *c);
void eddy__sr_h_referenced_by(eddy__sr_ctx_t *c);
void eddy__sr_h_register(eddy__sr_ctx_t *c);
void eddy__sr_h_lookup(eddy__sr_ctx_t *c);
void eddy__sr_h_delete_subject(eddy__sr_ctx_t *c);
void eddy__sr_h_delete_version(eddy__sr_ctx_t *c);
void eddy__sr_h_compat_version(eddy__sr_ctx_t *c);
void eddy__sr_h_compat_all(eddy__sr_ctx_t *c);
void eddy__sr_h_config_get(eddy__sr_ctx_t *c);
void eddy__sr_h_config_put(eddy__sr_ctx_t *c);
void eddy__sr_h_config_delete(eddy__sr_ctx_t *c);
void eddy__sr_h_mode_get(eddy__sr_ctx_t *c);
void eddy__sr_h_mode_put(eddy__sr_ctx_t *c);
void eddy__sr_h_mode_delete(eddy__sr_ctx_t *c);

#endif
