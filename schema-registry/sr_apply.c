/*
 * Applying `_schemas` records to the store, in log order.
 *
 * Keys and values are Confluent's JSON (keytype SCHEMA, CONFIG, MODE,
 * DELETE_SUBJECT, CLEAR_SUBJECT, NOOP); unknown key types and properties are
 * ignored so a topic shared with other registry implementations still loads.
 *
 * Conflicts between writers are settled here, identically on every instance:
 * the first record in the log that claims a (subject, version) or an id wins
 * and a later, different claim is rejected. The writer of a rejected record
 * sees that when it reads its own record back, and retries.
 */
#include <math.h>
#include <string.h>

#include <cJSON.h>

#include "schema-registry/sr_store_int.h"

static const char *str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer property in [lo, hi], or -1. */
static long num(const cJSON *obj, const char *key, long lo, long hi) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble || v->valuedouble < lo ||
      v->valuedouble > hi)
    return -1;
  return (long)v->valuedouble;
}

/* The identity of a schema as stored: canonical Avro text, or the raw text. */
static char *canonical_of(const char *text, const char *type, eddy_sr_schema_t **parsed) {
  *parsed = NULL;
  if (type != NULL && strcmp(type, "AVRO") != 0)
    return eddy_strdup(text);
  if (eddy_sr_schema_parse(parsed, text, strlen(text), NULL) != 0)
    return eddy_strdup(text);
  return eddy_strdup(eddy_sr_schema_canonical(*parsed));
}

static eddy__sr_apply_t reject(eddy__sr_store_t *st, const char *subject, long version, long id,
                               const char *why) {
  eddy_log(st->logger, EDDY_LOG_WARN, "registry",
           "record for subject '%s' version %ld id %ld lost to an earlier one: %s", subject,
           version, id, why);
  return EDDY_SR_REJECTED;
}

static eddy__sr_apply_t schema_tombstone(eddy__sr_store_t *st, const char *subject, long version) {
  eddy__sr_subject_t *s = eddy__sr_store_subject(st, subject);
  if (s == NULL)
    return EDDY_SR_IGNORED;
  eddy__sr_subject_remove(st, s, (int)version);
  eddy__sr_store_subject_gc(st, s);
  return EDDY_SR_APPLIED;
}

/* Bind \p version of \p s to schema \p id, unless someone else holds either. */
static eddy__sr_apply_t bind(eddy__sr_store_t *st, eddy__sr_subject_t *s, long version, long id,
                             const char *text, const char *type, bool deleted) {
  eddy_sr_schema_t *parsed = NULL;
  char *canonical = canonical_of(text, type, &parsed);
  if (canonical == NULL)
    return EDDY_SR_IGNORED;
  eddy__sr_version_t *held = eddy__sr_subject_version(s, (int)version);
  eddy__sr_schema_t *bound = eddy__sr_store_by_id(st, (int)id);
  if (held != NULL || (bound != NULL && strcmp(bound->text, canonical) != 0)) {
    bool same = held != NULL && held->schema->id == id && strcmp(held->schema->text, canonical) == 0;
    eddy_sr_schema_destroy(parsed);
    eddy_free(canonical);
    if (!same)
      return reject(st, s->name, version, id, held ? "version taken" : "id taken");
    held->deleted = deleted;     /* a soft delete, or the same record again */
    return EDDY_SR_APPLIED;
  }
  if (bound == NULL) {
    char *type_copy = type && strcmp(type, "AVRO") != 0 ? eddy_strdup(type) : NULL;
    bound = eddy__sr_store_schema_add(st, (int)id, canonical, type_copy, parsed);
  } else {
    eddy_sr_schema_destroy(parsed);
    eddy_free(canonical);
  }
  if (bound == NULL || eddy__sr_subject_insert(s, (int)version, bound, deleted) != 0) {
    eddy_log(st->logger, EDDY_LOG_ERROR, "registry", "out of memory applying schema %ld", id);
    return EDDY_SR_IGNORED;
  }
  return EDDY_SR_APPLIED;
}

static eddy__sr_apply_t apply_schema(eddy__sr_store_t *st, const cJSON *key, const cJSON *val) {
  const char *subject = str(key, "subject");
  long version = num(key, "version", 1, 2147483647L);
  if (subject == NULL || version < 0)
    return EDDY_SR_IGNORED;
  if (val == NULL)
    return schema_tombstone(st, subject, version);
  long id = num(val, "id", 0, 2147483647L);
  const char *text = str(val, "schema");
  if (id < 0 || text == NULL)
    return EDDY_SR_IGNORED;
  if (id > st->max_id)      /* even a losing record's id is never handed out again */
    st->max_id = (int)id;
  const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(val, "deleted");
  eddy__sr_subject_t *s = eddy__sr_store_subject_get_or_add(st, subject);
  if (s == NULL)
    return EDDY_SR_IGNORED;
  eddy__sr_apply_t rc = bind(st, s, version, id, text, str(val, "schemaType"),
                             cJSON_IsTrue(deleted));
  eddy__sr_store_subject_gc(st, s);
  return rc;
}

static eddy__sr_apply_t apply_config(eddy__sr_store_t *st, const cJSON *key, const cJSON *val) {
  const char *subject = str(key, "subject");
  const char *level = val ? str(val, "compatibilityLevel") : NULL;
  eddy_sr_compat_t compat = EDDY_SR_COMPAT_BACKWARD;
  if (val != NULL && level == NULL)
    level = str(val, "compatibility");
  if (val != NULL && eddy_sr_compat_parse(level, &compat) != 0)
    return EDDY_SR_IGNORED;
  if (subject == NULL) {
    st->has_global_compat = val != NULL;
    st->global_compat = compat;
    return EDDY_SR_APPLIED;
  }
  eddy__sr_subject_t *s = eddy__sr_store_subject_get_or_add(st, subject);
  if (s == NULL)
    return EDDY_SR_IGNORED;
  s->has_compat = val != NULL;
  s->compat = compat;
  eddy__sr_store_subject_gc(st, s);
  return EDDY_SR_APPLIED;
}

static eddy__sr_apply_t apply_mode(eddy__sr_store_t *st, const cJSON *key, const cJSON *val) {
  const char *subject = str(key, "subject");
  const char *mode = val ? str(val, "mode") : NULL;
  if (val != NULL && mode == NULL)
    return EDDY_SR_IGNORED;
  char *copy = mode ? eddy_strdup(mode) : NULL;
  if (mode != NULL && copy == NULL)
    return EDDY_SR_IGNORED;
  if (subject == NULL) {
    eddy_free(st->global_mode);
    st->global_mode = copy;
    return EDDY_SR_APPLIED;
  }
  eddy__sr_subject_t *s = eddy__sr_store_subject_get_or_add(st, subject);
  if (s == NULL) {
    eddy_free(copy);
    return EDDY_SR_IGNORED;
  }
  eddy_free(s->mode);
  s->mode = copy;
  eddy__sr_store_subject_gc(st, s);
  return EDDY_SR_APPLIED;
}

/* DELETE_SUBJECT: soft-delete every version up to the one named. */
static eddy__sr_apply_t apply_delete_subject(eddy__sr_store_t *st, const cJSON *key,
                                             const cJSON *val) {
  eddy__sr_subject_t *s = eddy__sr_store_subject(st, str(key, "subject") ? str(key, "subject") : "");
  long upto = val ? num(val, "version", 1, 2147483647L) : -1;
  if (s == NULL || upto < 0)
    return EDDY_SR_IGNORED;
  for (int i = 0; i < s->version_cnt; i++)
    if (s->versions[i].version <= upto)
      s->versions[i].deleted = true;
  return EDDY_SR_APPLIED;
}

/* CLEAR_SUBJECT: drop the soft-deleted versions (after a permanent delete). */
static eddy__sr_apply_t apply_clear_subject(eddy__sr_store_t *st, const cJSON *key) {
  eddy__sr_subject_t *s = eddy__sr_store_subject(st, str(key, "subject") ? str(key, "subject") : "");
  if (s == NULL)
    return EDDY_SR_IGNORED;
  for (int i = s->version_cnt - 1; i >= 0; i--)
    if (s->versions[i].deleted)
      eddy__sr_subject_remove(st, s, s->versions[i].version);
  eddy__sr_store_subject_gc(st, s);
  return EDDY_SR_APPLIED;
}

static eddy__sr_apply_t dispatch(eddy__sr_store_t *st, const cJSON *key, const cJSON *val) {
  const char *type = str(key, "keytype");
  if (type == NULL)
    return EDDY_SR_IGNORED;
  if (strcmp(type, "SCHEMA") == 0)
    return apply_schema(st, key, val);
  if (strcmp(type, "CONFIG") == 0)
    return apply_config(st, key, val);
  if (strcmp(type, "MODE") == 0)
    return apply_mode(st, key, val);
  if (strcmp(type, "DELETE_SUBJECT") == 0)
    return apply_delete_subject(st, key, val);
  if (strcmp(type, "CLEAR_SUBJECT") == 0)
    return apply_clear_subject(st, key);
  return EDDY_SR_IGNORED;   /* NOOP, CONTEXT, ASSOC and anything newer */
}

eddy__sr_apply_t eddy__sr_store_apply(eddy__sr_store_t *st, const char *key, size_t key_len,
                                      const char *value, size_t value_len, int64_t offset) {
  if (offset >= st->next_offset)
    st->next_offset = offset + 1;
  cJSON *k = key ? cJSON_ParseWithLength(key, key_len) : NULL;
  cJSON *v = value ? cJSON_ParseWithLength(value, value_len) : NULL;
  eddy__sr_apply_t rc = EDDY_SR_IGNORED;
  if (cJSON_IsObject(k) && (value == NULL || cJSON_IsObject(v)))
    rc = dispatch(st, k, v);
  else
    eddy_log(st->logger, EDDY_LOG_WARN, "registry", "skipping malformed record at offset %lld",
             (long long)offset);
  cJSON_Delete(k);
  cJSON_Delete(v);
  return rc;
}
