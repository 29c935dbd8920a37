/*
 * REST handlers for schemas and subjects. Reads are served from the local
 * store (kept current by the log reader); writes go through sr_registry.c.
 * Response bodies follow Confluent's entities (see docs/schema-registry.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema-registry/sr_routes.h"

static eddy__sr_store_t *store(eddy__sr_ctx_t *c) { return eddy__sr_registry_store(c->reg); }

/* A subject that exists (any version, or a live one unless ?deleted=true). */
static const eddy__sr_subject_t *subject_arg(eddy__sr_ctx_t *c, const char *name) {
  const eddy__sr_subject_t *s = eddy__sr_store_subject(store(c), name);
  bool deleted = eddy__sr_query_true(c, "deleted");
  if (s == NULL || s->version_cnt == 0 || (!deleted && !eddy__sr_subject_live(s))) {
    eddy__sr_reply_error(c, 40401, "Subject '%s' not found.", name);
    return NULL;
  }
  return s;
}

static const eddy__sr_version_t *version_arg(eddy__sr_ctx_t *c, const eddy__sr_subject_t *s,
                                             const char *arg) {
  int v = 0;
  if (eddy__sr_version_arg(c, arg, &v) != 0)
    return NULL;
  bool deleted = eddy__sr_query_true(c, "deleted");
  const eddy__sr_version_t *ver =
      v == -1 ? eddy__sr_subject_latest(s, deleted) : eddy__sr_subject_version(s, v);
  if (ver == NULL || (ver->deleted && !deleted)) {
    eddy__sr_reply_error(c, 40402, "Version %s not found.", arg);
    return NULL;
  }
  return ver;
}

static const eddy__sr_schema_t *id_arg(eddy__sr_ctx_t *c, const char *arg) {
  char *end;
  long id = strtol(arg, &end, 10);
  const eddy__sr_schema_t *s = NULL;
  if (*arg != '\0' && *end == '\0' && id >= 0 && id <= 2147483647L)
    s = eddy__sr_store_by_id(store(c), (int)id);
  if (s == NULL)
    eddy__sr_reply_error(c, 40403, "Schema %s not found", arg);
  return s;
}

static void put_type(eddy__sr_ctx_t *c, const eddy__sr_schema_t *s) {
  if (s->schema_type != NULL)
    eddy__sr_put_string(c, "schemaType", s->schema_type, false);
}

/* {"subject":..,"version":..,"id":..,"schema":..} */
static void put_registration(eddy__sr_ctx_t *c, const char *subject,
                             const eddy__sr_version_t *v) {
  eddy_buf_putc(eddy__sr_out(c), '{');
  eddy__sr_put_string(c, "subject", subject, true);
  eddy_buf_printf(eddy__sr_out(c), ",\"version\":%d,\"id\":%d", v->version, v->schema->id);
  put_type(c, v->schema);
  eddy__sr_put_string(c, "schema", v->schema->text, false);
  if (v->deleted)
    eddy_buf_puts(eddy__sr_out(c), ",\"deleted\":true");
  eddy_buf_putc(eddy__sr_out(c), '}');
}

void eddy__sr_h_root(eddy__sr_ctx_t *c) { eddy_buf_puts(eddy__sr_out(c), "{}"); }

void eddy__sr_h_schema_types(eddy__sr_ctx_t *c) { eddy_buf_puts(eddy__sr_out(c), "[\"AVRO\"]"); }

void eddy__sr_h_contexts(eddy__sr_ctx_t *c) { eddy_buf_puts(eddy__sr_out(c), "[\".\"]"); }

void eddy__sr_h_schema_by_id(eddy__sr_ctx_t *c) {
  const eddy__sr_schema_t *s = id_arg(c, c->seg[2]);
  if (s == NULL)
    return;
  eddy_buf_putc(eddy__sr_out(c), '{');
  eddy__sr_put_string(c, "schema", s->text, true);
  put_type(c, s);
  eddy_buf_putc(eddy__sr_out(c), '}');
}

void eddy__sr_h_schema_by_id_raw(eddy__sr_ctx_t *c) {
  const eddy__sr_schema_t *s = id_arg(c, c->seg[2]);
  if (s != NULL)
    eddy_buf_puts(eddy__sr_out(c), s->text);
}

void eddy__sr_h_id_versions(eddy__sr_ctx_t *c) {
  const eddy__sr_schema_t *s = id_arg(c, c->seg[2]);
  const eddy__sr_subject_t **subjects = NULL;
  int *versions = NULL, cnt = 0;
  if (s == NULL)
    return;
  if (eddy__sr_store_id_versions(store(c), s->id, eddy__sr_query_true(c, "deleted"), &subjects,
                                 &versions, &cnt) != 0) {
    eddy__sr_reply_error(c, 50001, "out of memory");
    return;
  }
  eddy_buf_putc(eddy__sr_out(c), '[');
  for (int i = 0; i < cnt; i++) {
    eddy_buf_puts(eddy__sr_out(c), i ? ",{" : "{");
    eddy__sr_put_string(c, "subject", subjects[i]->name, true);
    eddy_buf_printf(eddy__sr_out(c), ",\"version\":%d}", versions[i]);
  }
  eddy_buf_putc(eddy__sr_out(c), ']');
  eddy_free(subjects);
  eddy_free(versions);
}

void eddy__sr_h_id_subjects(eddy__sr_ctx_t *c) {
  const eddy__sr_schema_t *s = id_arg(c, c->seg[2]);
  const eddy__sr_subject_t **subjects = NULL;
  int *versions = NULL, cnt = 0, printed = 0;
  if (s == NULL)
    return;
  if (eddy__sr_store_id_versions(store(c), s->id, eddy__sr_query_true(c, "deleted"), &subjects,
                                 &versions, &cnt) != 0) {
    eddy__sr_reply_error(c, 50001, "out of memory");
    return;
  }
  eddy_buf_putc(eddy__sr_out(c), '[');
  for (int i = 0; i < cnt; i++) {
    if (i > 0 && subjects[i] == subjects[i - 1])
      continue;   /* sorted by subject: print each once */
    if (printed++ > 0)
      eddy_buf_putc(eddy__sr_out(c), ',');
    eddy__sr_put_quoted(c, subjects[i]->name);
  }
  eddy_buf_putc(eddy__sr_out(c), ']');
  eddy_free(subjects);
  eddy_free(versions);
}

void eddy__sr_h_subjects(eddy__sr_ctx_t *c) {
  int cnt = 0;
  const char **names = eddy__sr_store_subjects(store(c), eddy__sr_query_true(c, "deleted"), &cnt);
  eddy_buf_putc(eddy__sr_out(c), '[');
  for (int i = 0; i < cnt; i++) {
    if (i > 0)
      eddy_buf_putc(eddy__sr_out(c), ',');
    eddy__sr_put_quoted(c, names[i]);
  }
  eddy_buf_putc(eddy__sr_out(c), ']');
  eddy_free(names);
}

void eddy__sr_h_versions(eddy__sr_ctx_t *c) {
  const eddy__sr_subject_t *s = subject_arg(c, c->seg[1]);
  if (s == NULL)
    return;
  bool deleted = eddy__sr_query_true(c, "deleted");
  int printed = 0;
  eddy_buf_putc(eddy__sr_out(c), '[');
  for (int i = 0; i < s->version_cnt; i++)
    if (deleted || !s->versions[i].deleted)
      eddy_buf_printf(eddy__sr_out(c), "%s%d", printed++ ? "," : "", s->versions[i].version);
  eddy_buf_putc(eddy__sr_out(c), ']');
}

void eddy__sr_h_version(eddy__sr_ctx_t *c) {
  const eddy__sr_subject_t *s = subject_arg(c, c->seg[1]);
  const eddy__sr_version_t *v = s ? version_arg(c, s, c->seg[3]) : NULL;
  if (v != NULL)
    put_registration(c, s->name, v);
}

void eddy__sr_h_version_raw(eddy__sr_ctx_t *c) {
  const eddy__sr_subject_t *s = subject_arg(c, c->seg[1]);
  const eddy__sr_version_t *v = s ? version_arg(c, s, c->seg[3]) : NULL;
  if (v != NULL)
    eddy_buf_puts(eddy__sr_out(c), v->schema->text);
}

void eddy__sr_h_referenced_by(eddy__sr_ctx_t *c) {
  const eddy__sr_subject_t *s = subject_arg(c, c->seg[1]);
  if (s != NULL && version_arg(c, s, c->seg[3]) != NULL)
    eddy_buf_puts(eddy__sr_out(c), "[]");   /* schema references are not supported */
}

/* The "schema" / "schemaType" / "references" of a request body. */
static cJSON *schema_body(eddy__sr_ctx_t *c, const char **text, const char **type) {
  cJSON *body = eddy__sr_body_object(c, 42201);
  if (body == NULL)
    return NULL;
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(body, "schema");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "schemaType");
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive(body, "references");
  if (!cJSON_IsString(schema))
    eddy__sr_reply_error(c, 42201, "Invalid schema: the request needs a \"schema\" string");
  else if (st != NULL && !cJSON_IsNull(st) && !cJSON_IsString(st))
    eddy__sr_reply_error(c, 42201, "Invalid schema: \"schemaType\" must be a string");
  else if (cJSON_GetArraySize(refs) > 0)
    eddy__sr_reply_error(c, 42201, "Invalid schema: schema references are not supported");
  else {
    *text = schema->valuestring;
    *type = cJSON_IsString(st) ? st->valuestring : NULL;
    return body;
  }
  cJSON_Delete(body);
  return NULL;
}

static int int_field(const cJSON *body, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 2147483647.0
             ? (int)v->valuedouble : 0;
}

void eddy__sr_h_register(eddy__sr_ctx_t *c) {
  const char *text = NULL, *type = NULL;
  cJSON *body = schema_body(c, &text, &type);
  if (body == NULL)
    return;
  eddy__sr_register_t req = {.schema = text, .schema_len = strlen(text), .schema_type = type,
                             .id = int_field(body, "id"), .version = int_field(body, "version"),
                             .normalize = eddy__sr_query_true(c, "normalize")};
  eddy_sr_msgs_t why = {0};
  eddy__sr_status_t st = {0};
  int id = 0, version = 0;
  if (eddy__sr_register(c->reg, c->seg[1], &req, &id, &version, &why, &st) != 0)
    eddy__sr_reply_status(c, &st);
  else
    eddy_buf_printf(eddy__sr_out(c), "{\"id\":%d}", id);
  eddy_sr_msgs_free(&why);
  cJSON_Delete(body);
}

void eddy__sr_h_lookup(eddy__sr_ctx_t *c) {
  const char *text = NULL, *type = NULL;
  const eddy__sr_subject_t *s = subject_arg(c, c->seg[1]);
  cJSON *body = s ? schema_body(c, &text, &type) : NULL;
  eddy_sr_schema_t *parsed = NULL;
  eddy__sr_status_t st = {0};
  if (body == NULL)
    return;
  if (eddy__sr_parse_schema(text, strlen(text), type, &parsed, &st) != 0) {
    eddy__sr_reply_status(c, &st);
    cJSON_Delete(body);
    return;
  }
  bool deleted = eddy__sr_query_true(c, "deleted");
  const char *canonical = eddy_sr_schema_canonical(parsed);
  const eddy__sr_version_t *found = NULL;
  for (int i = s->version_cnt - 1; i >= 0 && found == NULL; i--)
    if ((deleted || !s->versions[i].deleted) && strcmp(s->versions[i].schema->text, canonical) == 0)
      found = &s->versions[i];
  if (found != NULL)
    put_registration(c, s->name, found);
  else
    eddy__sr_reply_error(c, 40403, "Schema not found");
  eddy_sr_schema_destroy(parsed);
  cJSON_Delete(body);
}

void eddy__sr_h_delete_subject(eddy__sr_ctx_t *c) {
  int *versions = NULL, cnt = 0;
  eddy__sr_status_t st = {0};
  if (eddy__sr_delete_subject(c->reg, c->seg[1], eddy__sr_query_true(c, "permanent"), &versions,
                              &cnt, &st) != 0) {
    eddy__sr_reply_status(c, &st);
    return;
  }
  eddy_buf_putc(eddy__sr_out(c), '[');
  for (int i = 0; i < cnt; i++)
    eddy_buf_printf(eddy__sr_out(c), "%s%d", i ? "," : "", versions[i]);
  eddy_buf_putc(eddy__sr_out(c), ']');
  eddy_free(versions);
}

void eddy__sr_h_delete_version(eddy__sr_ctx_t *c) {
  int version = 0, deleted = 0;
  eddy__sr_status_t st = {0};
  if (eddy__sr_version_arg(c, c->seg[3], &version) != 0)
    return;
  if (eddy__sr_delete_version(c->reg, c->seg[1], version, eddy__sr_query_true(c, "permanent"),
                              &deleted, &st) != 0)
    eddy__sr_reply_status(c, &st);
  else
    eddy_buf_printf(eddy__sr_out(c), "%d", deleted);
}
