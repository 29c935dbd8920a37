/* REST handlers for compatibility checks, configs and modes. */
#include <string.h>

#include "schema-registry/sr_routes.h"

static eddy__sr_store_t *store(eddy__sr_ctx_t *c) { return eddy__sr_registry_store(c->reg); }

/* The subject segment of /config/{s} and /mode/{s}, or NULL for the global one. */
static const char *subject_seg(eddy__sr_ctx_t *c) { return c->seg_cnt > 1 ? c->seg[1] : NULL; }

/* ---- compatibility ------------------------------------------------------------------ */

static void put_verdict(eddy__sr_ctx_t *c, bool compatible, const eddy_sr_msgs_t *why) {
  eddy_buf_printf(eddy__sr_out(c), "{\"is_compatible\":%s", compatible ? "true" : "false");
  if (eddy__sr_query_true(c, "verbose")) {
    eddy_buf_puts(eddy__sr_out(c), ",\"messages\":[");
    for (int i = 0; i < why->cnt; i++) {
      if (i > 0)
        eddy_buf_putc(eddy__sr_out(c), ',');
      eddy__sr_put_quoted(c, why->items[i]);
    }
    eddy_buf_putc(eddy__sr_out(c), ']');
  }
  eddy_buf_putc(eddy__sr_out(c), '}');
}

/* \p version: > 0 one version, -1 latest, 0 all (under the subject's level). */
static void compat(eddy__sr_ctx_t *c, int version) {
  cJSON *body = eddy__sr_body_object(c, 42201);
  if (body == NULL)
    return;
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(body, "schema");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "schemaType");
  eddy_sr_schema_t *cand = NULL;
  eddy__sr_status_t st = {0};
  eddy_sr_msgs_t why = {0};
  bool ok = false;
  if (!cJSON_IsString(schema))
    eddy__sr_fail(&st, 42201, "Invalid schema: the request needs a \"schema\" string");
  else if (eddy__sr_parse_schema(schema->valuestring, strlen(schema->valuestring),
                                 cJSON_IsString(type) ? type->valuestring : NULL, &cand, &st) == 0)
    eddy__sr_check(c->reg, c->seg[2], version, cand, &ok, &why, &st);
  if (st.code != 0)
    eddy__sr_reply_status(c, &st);
  else
    put_verdict(c, ok, &why);
  eddy_sr_msgs_free(&why);
  eddy_sr_schema_destroy(cand);
  cJSON_Delete(body);
}

void eddy__sr_h_compat_version(eddy__sr_ctx_t *c) {
  int version = 0;
  if (eddy__sr_version_arg(c, c->seg[4], &version) == 0)
    compat(c, version);
}

void eddy__sr_h_compat_all(eddy__sr_ctx_t *c) { compat(c, 0); }

/* ---- config ---------------------------------------------------------------------------- */

static void put_level(eddy__sr_ctx_t *c, const char *key, eddy_sr_compat_t level) {
  eddy_buf_putc(eddy__sr_out(c), '{');
  eddy__sr_put_string(c, key, eddy_sr_compat_name(level), true);
  eddy_buf_putc(eddy__sr_out(c), '}');
}

void eddy__sr_h_config_get(eddy__sr_ctx_t *c) {
  const char *subject = subject_seg(c);
  const eddy__sr_subject_t *s = subject ? eddy__sr_store_subject(store(c), subject) : NULL;
  if (subject != NULL && (s == NULL || !s->has_compat) &&
      !eddy__sr_query_true(c, "defaultToGlobal")) {
    eddy__sr_reply_error(c, 40408, "Subject '%s' does not have subject-level compatibility "
                                   "configured", subject);
    return;
  }
  put_level(c, "compatibilityLevel", eddy__sr_store_compat(store(c), s));
}

void eddy__sr_h_config_put(eddy__sr_ctx_t *c) {
  cJSON *body = eddy__sr_body_object(c, 42203);
  if (body == NULL)
    return;
  const cJSON *level = cJSON_GetObjectItemCaseSensitive(body, "compatibility");
  if (level == NULL)
    level = cJSON_GetObjectItemCaseSensitive(body, "compatibilityLevel");
  eddy__sr_status_t st = {0};
  eddy_sr_compat_t parsed;
  if (!cJSON_IsString(level))
    eddy__sr_reply_error(c, 42203, "Invalid compatibility level: the request needs a "
                                   "\"compatibility\" string");
  else if (eddy__sr_set_config(c->reg, subject_seg(c), level->valuestring, &st) != 0)
    eddy__sr_reply_status(c, &st);
  else if (eddy_sr_compat_parse(level->valuestring, &parsed) == 0)
    put_level(c, "compatibility", parsed);
  cJSON_Delete(body);
}

void eddy__sr_h_config_delete(eddy__sr_ctx_t *c) {
  const char *subject = subject_seg(c);
  eddy__sr_status_t st = {0};
  if (eddy__sr_registry_sync(c->reg, 0, &st) != 0) {
    eddy__sr_reply_status(c, &st);
    return;
  }
  const eddy__sr_subject_t *s = subject ? eddy__sr_store_subject(store(c), subject) : NULL;
  eddy_sr_compat_t before = eddy__sr_store_compat(store(c), s);
  if (eddy__sr_set_config(c->reg, subject, NULL, &st) != 0)
    eddy__sr_reply_status(c, &st);
  else
    put_level(c, "compatibilityLevel", before);
}

/* ---- mode -------------------------------------------------------------------------------- */

static void put_mode(eddy__sr_ctx_t *c, const char *mode) {
  eddy_buf_putc(eddy__sr_out(c), '{');
  eddy__sr_put_string(c, "mode", mode, true);
  eddy_buf_putc(eddy__sr_out(c), '}');
}

void eddy__sr_h_mode_get(eddy__sr_ctx_t *c) {
  const char *subject = subject_seg(c);
  const eddy__sr_subject_t *s = subject ? eddy__sr_store_subject(store(c), subject) : NULL;
  if (s != NULL && s->mode != NULL) {
    put_mode(c, s->mode);
    return;
  }
  if (subject != NULL && !eddy__sr_query_true(c, "defaultToGlobal")) {
    eddy__sr_reply_error(c, 40409, "Subject '%s' does not have subject-level mode configured",
                         subject);
    return;
  }
  put_mode(c, eddy__sr_store_global_mode(store(c)));
}

void eddy__sr_h_mode_put(eddy__sr_ctx_t *c) {
  cJSON *body = eddy__sr_body_object(c, 42204);
  if (body == NULL)
    return;
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(body, "mode");
  eddy__sr_status_t st = {0};
  if (!cJSON_IsString(mode))
    eddy__sr_reply_error(c, 42204, "Invalid mode: the request needs a \"mode\" string");
  else if (eddy__sr_set_mode(c->reg, subject_seg(c), mode->valuestring, &st) != 0)
    eddy__sr_reply_status(c, &st);
  else
    put_mode(c, mode->valuestring);
  cJSON_Delete(body);
}

void eddy__sr_h_mode_delete(eddy__sr_ctx_t *c) {
  const char *subject = subject_seg(c);
  eddy__sr_status_t st = {0};
  if (eddy__sr_registry_sync(c->reg, 0, &st) != 0) {
    eddy__sr_reply_status(c, &st);
    return;
  }
  const eddy__sr_subject_t *s = eddy__sr_store_subject(store(c), subject);
  char *before = eddy_strdup(s && s->mode ? s->mode : eddy__sr_store_global_mode(store(c)));
  if (eddy__sr_set_mode(c->reg, subject, NULL, &st) != 0)
    eddy__sr_reply_status(c, &st);
  else
    put_mode(c, before ? before : "READWRITE");
  eddy_free(before);
}
