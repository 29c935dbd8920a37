/*
 * `_schemas` record encoders, byte-compatible with Confluent's registry so
 * either implementation can read the topic:
 *
 *   SCHEMA  {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}
 *           -> {"subject":"s","version":1,"id":7,"schema":"...","deleted":false}
 *              (+ "schemaType" when not AVRO; null value = hard delete)
 *   CONFIG  {"keytype":"CONFIG","subject":"s","magic":0}   (no subject: global)
 *           -> {"subject":"s","compatibilityLevel":"FULL"}  (null = deleted)
 *   MODE    {"keytype":"MODE","subject":"s","magic":0}
 *           -> {"subject":"s","mode":"READONLY"}
 *   NOOP    {"keytype":"NOOP","magic":0} -> null
 */
#include <string.h>

#include "schema-registry/sr_int.h"
#include "schema-registry/sr_schema_int.h"

void eddy__sr_record_clear(eddy__sr_record_t *r) {
  eddy_free(r->key);
  eddy_free(r->value);
  r->key = r->value = NULL;
}

/* Finish: move the buffers into \p r, or free them on error. */
static int take(eddy__sr_record_t *r, int rc, eddy_buf_t *k, eddy_buf_t *v, bool has_value) {
  if (rc == 0 && (eddy_buf_cstr(k) == NULL || (has_value && eddy_buf_cstr(v) == NULL)))
    rc = EDDY_ENOMEM;
  if (rc != 0) {
    eddy_buf_free(k);
    eddy_buf_free(v);
    r->key = r->value = NULL;
    return rc;
  }
  r->key = k->p;
  r->value = has_value ? v->p : NULL;
  if (!has_value)
    eddy_buf_free(v);
  return 0;
}

static int subject_key(eddy_buf_t *k, const char *keytype, const char *subject) {
  int rc = eddy_buf_printf(k, "{\"keytype\":\"%s\"", keytype);
  if (rc == 0 && subject != NULL) {
    rc = eddy_buf_puts(k, ",\"subject\":");
    if (rc == 0)
      rc = eddy__sr_json_quote(k, subject);
  }
  return rc != 0 ? rc : eddy_buf_puts(k, ",\"magic\":0}");
}

static int schema_key(eddy_buf_t *k, const char *subject, int version) {
  int rc = eddy_buf_puts(k, "{\"keytype\":\"SCHEMA\",\"subject\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(k, subject);
  return rc != 0 ? rc : eddy_buf_printf(k, ",\"version\":%d,\"magic\":1}", version);
}

int eddy__sr_record_schema(eddy__sr_record_t *r, const char *subject, int version, int id,
                           const char *schema, const char *schema_type, bool deleted) {
  eddy_buf_t k = {0}, v = {0};
  int rc = schema_key(&k, subject, version);
  if (rc == 0)
    rc = eddy_buf_puts(&v, "{\"subject\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(&v, subject);
  if (rc == 0)
    rc = eddy_buf_printf(&v, ",\"version\":%d,\"id\":%d", version, id);
  if (rc == 0 && schema_type != NULL && strcmp(schema_type, "AVRO") != 0) {
    rc = eddy_buf_puts(&v, ",\"schemaType\":");
    if (rc == 0)
      rc = eddy__sr_json_quote(&v, schema_type);
  }
  if (rc == 0)
    rc = eddy_buf_puts(&v, ",\"schema\":");
  if (rc == 0)
    rc = eddy__sr_json_quote(&v, schema);
  if (rc == 0)
    rc = eddy_buf_printf(&v, ",\"deleted\":%s}", deleted ? "true" : "false");
  return take(r, rc, &k, &v, true);
}

int eddy__sr_record_schema_tombstone(eddy__sr_record_t *r, const char *subject, int version) {
  eddy_buf_t k = {0}, v = {0};
  return take(r, schema_key(&k, subject, version), &k, &v, false);
}

/* CONFIG and MODE share a shape: optional subject, then one string property. */
static int subject_record(eddy__sr_record_t *r, const char *keytype, const char *subject,
                          const char *prop, const char *value) {
  eddy_buf_t k = {0}, v = {0};
  int rc = subject_key(&k, keytype, subject);
  if (rc != 0 || value == NULL)
    return take(r, rc, &k, &v, false);
  rc = eddy_buf_putc(&v, '{');
  if (rc == 0 && subject != NULL) {
    rc = eddy_buf_puts(&v, "\"subject\":");
    if (rc == 0)
      rc = eddy__sr_json_quote(&v, subject);
    if (rc == 0)
      rc = eddy_buf_putc(&v, ',');
  }
  if (rc == 0)
    rc = eddy_buf_printf(&v, "\"%s\":", prop);
  if (rc == 0)
    rc = eddy__sr_json_quote(&v, value);
  if (rc == 0)
    rc = eddy_buf_putc(&v, '}');
  return take(r, rc, &k, &v, true);
}

int eddy__sr_record_config(eddy__sr_record_t *r, const char *subject, const char *level) {
  return subject_record(r, "CONFIG", subject, "compatibilityLevel", level);
}

int eddy__sr_record_mode(eddy__sr_record_t *r, const char *subject, const char *mode) {
  return subject_record(r, "MODE", subject, "mode", mode);
}

int eddy__sr_record_noop(eddy__sr_record_t *r) {
  eddy_buf_t k = {0}, v = {0};
  return take(r, eddy_buf_puts(&k, "{\"keytype\":\"NOOP\",\"magic\":0}"), &k, &v, false);
}
