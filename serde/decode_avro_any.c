/*
 * Untyped columns (`any`): the writer type decides, as the JSON path lets
 * the JSON type decide. Scalars keep their natural kind (logical types
 * included: a decimal is a decimal, a MicroTimestamp a timestamp); records,
 * maps and arrays become their JSON text, as nested JSON does in the JSON
 * path, so that an untyped column can still be printed, compared and sent on.
 */
#include <string.h>

#include "serde/avro_int.h"

static const eddy_type_t any_decimal = {.kind = EDDY_T_DECIMAL};
static const eddy_type_t any_timestamp = {.kind = EDDY_T_TIMESTAMP};

static bool time_point(uint8_t logical) {
  return logical >= EDDY__LG_DATE && logical <= EDDY__LG_TS_ISO;
}

static int read_as(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, const eddy_type_t *t,
                   eddy_value_t *out) {
  eddy__avro_vspec_t tvs = *vs;
  tvs.type = t;
  return eddy__avro_read(r, &tvs, out);
}

static int write_json(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_buf_t *buf);

/* A scalar, or a VariableScaleDecimal record: its natural eddy value. */
static int read_scalar(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  static const eddy_type_t kinds[] = {
    [EDDY_SR_BOOLEAN] = {.kind = EDDY_T_BOOL}, [EDDY_SR_INT] = {.kind = EDDY_T_INT},
    [EDDY_SR_LONG] = {.kind = EDDY_T_INT},     [EDDY_SR_FLOAT] = {.kind = EDDY_T_DOUBLE},
    [EDDY_SR_DOUBLE] = {.kind = EDDY_T_DOUBLE}, [EDDY_SR_BYTES] = {.kind = EDDY_T_BYTES},
    [EDDY_SR_STRING] = {.kind = EDDY_T_STRING}, [EDDY_SR_ENUM] = {.kind = EDDY_T_STRING},
    [EDDY_SR_FIXED] = {.kind = EDDY_T_BYTES},
  };
  uint8_t lg = vs->sem.logical;
  if (lg == EDDY__LG_DECIMAL || lg == EDDY__LG_VARDECIMAL)
    return read_as(r, vs, &any_decimal, out);
  if (time_point(lg))
    return read_as(r, vs, &any_timestamp, out);
  return read_as(r, vs, &kinds[vs->w->type], out);
}

static bool composite(const eddy__avro_vspec_t *vs) {
  eddy_sr_type_t t = vs->w->type;
  if (t == EDDY_SR_RECORD)
    return vs->sem.logical != EDDY__LG_VARDECIMAL;
  return t == EDDY_SR_ARRAY || t == EDDY_SR_MAP;
}

static int write_items(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_buf_t *buf) {
  bool map = vs->w->type == EDDY_SR_MAP, first = true;
  eddy__avro_vspec_t ivs = {.w = vs->w->items, .sem = eddy__avro_sem(vs->w->items),
                            .path = vs->path};
  int64_t cnt, total = 0;
  int rc = eddy_buf_putc(buf, map ? '{' : '[');
  while (rc == 0 && (rc = eddy__avro_block(r, map ? NULL : vs->w->items, &cnt, &total)) == 0 &&
         cnt > 0) {
    for (int64_t i = 0; rc == 0 && i < cnt; i++, first = false) {
      const uint8_t *key;
      size_t klen;
      if (!first && (rc = eddy_buf_putc(buf, ',')) < 0)
        break;
      if (map && (rc = eddy__avro_span(r, &key, &klen)) == 0) {
        eddy_value_t k = eddy_string((const char *)key, klen);
        if ((rc = eddy_encode_json_value(&k, buf)) == 0)
          rc = eddy_buf_putc(buf, ':');
      }
      if (rc == 0)
        rc = write_json(r, &ivs, buf);
    }
  }
  return rc < 0 ? rc : eddy_buf_putc(buf, map ? '}' : ']');
}

static int write_record(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_buf_t *buf) {
  int rc = eddy_buf_putc(buf, '{');
  for (int i = 0; rc == 0 && i < vs->w->field_cnt; i++) {
    const eddy_sr_field_t *f = &vs->w->fields[i];
    eddy__avro_vspec_t fvs = {.w = f->type, .sem = eddy__avro_sem(f->type), .path = vs->path};
    /* Avro names are [A-Za-z_][A-Za-z0-9_]*: nothing to escape. */
    rc = eddy_buf_printf(buf, "%s\"%s\":", i ? "," : "", f->name);
    if (rc == 0)
      rc = write_json(r, &fvs, buf);
  }
  return rc < 0 ? rc : eddy_buf_putc(buf, '}');
}

static int write_json(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_buf_t *buf) {
  eddy__avro_vspec_t bvs = *vs;
  int rc;
  if (vs->w->type == EDDY_SR_UNION) {
    if ((rc = eddy__avro_branch(r, vs->w, &bvs.w)) < 0)
      return rc;
    bvs.sem = eddy__avro_sem(bvs.w);
  }
  if (bvs.w->type == EDDY_SR_NULL)
    return eddy_buf_puts(buf, "null");
  if (!composite(&bvs)) {
    eddy_value_t v;
    if ((rc = read_scalar(r, &bvs, &v)) < 0)
      return rc;
    return eddy_encode_json_value(&v, buf);
  }
  if (r->depth >= EDDY__AVRO_MAX_DEPTH)
    return eddy__avro_malformed(r, r->p, "nested too deeply (limit is 64)");
  r->depth++;
  rc = bvs.w->type == EDDY_SR_RECORD ? write_record(r, &bvs, buf) : write_items(r, &bvs, buf);
  r->depth--;
  return rc;
}

int eddy__avro_read_any(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  if (!composite(vs))
    return read_scalar(r, vs, out);
  eddy_buf_t buf = {0};
  int rc = write_json(r, vs, &buf);
  char *text = rc == 0 ? eddy_arena_strndup(r->arena, buf.p ? buf.p : "", buf.len) : NULL;
  size_t len = buf.len;
  eddy_buf_free(&buf);
  if (rc < 0)
    return rc;
  if (text == NULL)
    return EDDY_ENOMEM;
  *out = eddy_string(text, len);
  return 0;
}
