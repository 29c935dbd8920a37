/*
 * One Avro datum as a declared column type: the per-kind readers, and the
 * messages that name the column when the writer type does not fit.
 *
 * A union is resolved first (its branch index picks the writer type); a
 * null datum is a null value for every declared type.
 */
#include <string.h>

#include "serde/avro_int.h"

/* ---- messages ---------------------------------------------------------- */

int eddy__avro_mismatch(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs) {
  char wt[192], type[64];
  eddy__avro_type_name(vs->w, &vs->sem, wt, sizeof(wt));
  eddy_type_format(vs->type, type, sizeof(type));
  return eddy_error_set(r->err, EDDY_EDECODE, "%s: schema type %s does not match declared %s",
                        vs->path, wt, type);
}

int eddy__avro_range(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, const char *what) {
  char type[64];
  eddy_type_format(vs->type, type, sizeof(type));
  return eddy_error_set(r->err, EDDY_EDECODE, "%s: %s is out of range for %s", vs->path, what,
                        type);
}

/* ---- scalars ----------------------------------------------------------- */

static int read_bool(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  if (vs->w->type != EDDY_SR_BOOLEAN)
    return eddy__avro_mismatch(r, vs);
  *out = eddy_bool(false);
  return eddy__avro_boolean(r, &out->u.b);
}

static int read_int(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  if (vs->w->type != EDDY_SR_INT && vs->w->type != EDDY_SR_LONG)
    return eddy__avro_mismatch(r, vs);
  *out = eddy_int(0);
  return eddy__avro_long(r, &out->u.i); /* an int's varint is a long's */
}

static int read_double(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  int64_t i;
  int rc;
  *out = eddy_double(0);
  if (vs->sem.logical == EDDY__LG_DECIMAL || vs->sem.logical == EDDY__LG_VARDECIMAL) {
    eddy_i128 v;
    int32_t scale;
    if ((rc = eddy__avro_decimal_parts(r, vs, &v, &scale)) < 0)
      return rc;
    if (scale < 0 || scale > EDDY_DECIMAL_MAX_PRECISION)
      return eddy__avro_range(r, vs, "a decimal scale");
    out->u.d = eddy_decimal_to_double(v, (uint8_t)scale);
    return 0;
  }
  switch (vs->w->type) {
  case EDDY_SR_FLOAT: return eddy__avro_float(r, &out->u.d);
  case EDDY_SR_DOUBLE: return eddy__avro_double(r, &out->u.d);
  case EDDY_SR_INT:
  case EDDY_SR_LONG:
    if ((rc = eddy__avro_long(r, &i)) < 0)
      return rc;
    out->u.d = (double)i;
    return 0;
  default:
    return eddy__avro_mismatch(r, vs);
  }
}

static int read_text(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  const uint8_t *p;
  size_t len, bad;
  int rc = eddy__avro_span(r, &p, &len);
  if (rc < 0)
    return rc;
  if (!eddy__utf8_valid((const char *)p, len, &bad))
    return eddy_error_set(r->err, EDDY_EDECODE, "%s: string is not valid UTF-8 at byte %zu",
                          vs->path, (size_t)(p - r->base) + bad);
  *out = eddy_string((const char *)p, len);
  return 0;
}

static int read_symbol(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  const uint8_t *at = r->p;
  int32_t k;
  int rc = eddy__avro_int(r, &k);
  if (rc < 0)
    return rc;
  if (k < 0 || k >= vs->w->symbol_cnt)
    return eddy__avro_malformed(r, at, "enum symbol index out of range");
  const char *s = vs->w->symbols[k];
  *out = eddy_string(s, strlen(s)); /* lives as long as the schema */
  return 0;
}

static int read_string(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  switch (vs->w->type) {
  case EDDY_SR_STRING: return read_text(r, vs, out);
  case EDDY_SR_ENUM: return read_symbol(r, vs, out);
  default: return eddy__avro_mismatch(r, vs);
  }
}

static int read_bytes(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  const uint8_t *p = r->p;
  size_t len = (size_t)vs->w->size;
  int rc = 0;
  if (vs->w->type == EDDY_SR_BYTES) {
    rc = eddy__avro_span(r, &p, &len);
  } else if (vs->w->type != EDDY_SR_FIXED) {
    rc = eddy__avro_mismatch(r, vs);
  } else if ((size_t)(r->end - r->p) < len) {
    rc = eddy__avro_truncated(r);
  } else {
    r->p += len;
  }
  if (rc < 0)
    return rc;
  *out = eddy_bytes(p, len);
  return 0;
}

/* ---- containers -------------------------------------------------------- */

static int read_array(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  static const eddy_type_t any = {.kind = EDDY_T_ANY};
  if (vs->w->type != EDDY_SR_ARRAY)
    return eddy__avro_mismatch(r, vs);
  eddy__avro_vspec_t evs = {.type = vs->type->elem ? vs->type->elem : &any, .w = vs->w->items,
                            .sem = eddy__avro_sem(vs->w->items), .path = vs->path};
  eddy_value_t *items = NULL;
  int64_t cnt, total = 0;
  uint32_t len = 0;
  int rc;
  while ((rc = eddy__avro_block(r, vs->w->items, &cnt, &total)) == 0 && cnt > 0) {
    if (total > UINT32_MAX)
      return eddy__avro_malformed(r, r->p, "array longer than 4G items");
    eddy_value_t *grown = eddy_arena_alloc(r->arena, (size_t)total * sizeof(*grown));
    if (grown == NULL)
      return EDDY_ENOMEM;
    if (len)
      memcpy(grown, items, len * sizeof(*grown));
    items = grown;
    for (; len < total; len++)
      if ((rc = eddy__avro_read(r, &evs, &items[len])) < 0)
        return rc;
  }
  if (rc < 0)
    return rc;
  *out = (eddy_value_t){.kind = EDDY_T_ARRAY, .len = len};
  out->u.items = items;
  return 0;
}

static int member_index(const eddy_fields_t *f, const char *name, size_t len) {
  for (uint32_t i = 0; f && i < f->cnt; i++)
    if (strlen(f->items[i].name) == len && memcmp(f->items[i].name, name, len) == 0)
      return (int)i;
  return -1;
}

/* A member by name: read it as its declared type, or step over it. */
static int read_member(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, const char *name,
                       size_t len, const eddy_sr_node_t *w, eddy_value_t *items) {
  const eddy_fields_t *f = vs->type->fields;
  int i = member_index(f, name, len);
  if (i < 0)
    return eddy__avro_skip(r, w);
  eddy__avro_vspec_t mvs = {.type = &f->items[i].type, .w = w, .sem = eddy__avro_sem(w),
                            .path = vs->path};
  return eddy__avro_read(r, &mvs, &items[i]);
}

static int read_map_members(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs,
                            eddy_value_t *items) {
  int64_t cnt, total = 0;
  int rc;
  while ((rc = eddy__avro_block(r, NULL, &cnt, &total)) == 0 && cnt > 0) {
    for (int64_t k = 0; k < cnt; k++) {
      const uint8_t *key;
      size_t klen;
      if ((rc = eddy__avro_span(r, &key, &klen)) < 0 ||
          (rc = read_member(r, vs, (const char *)key, klen, vs->w->items, items)) < 0)
        return rc;
    }
  }
  return rc;
}

static int read_struct(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  const eddy_sr_node_t *w = vs->w;
  uint32_t cnt = vs->type->fields ? vs->type->fields->cnt : 0;
  if (w->type != EDDY_SR_RECORD && w->type != EDDY_SR_MAP)
    return eddy__avro_mismatch(r, vs);
  eddy_value_t *items = eddy_arena_calloc(r->arena, cnt ? cnt : 1, sizeof(*items));
  if (items == NULL)
    return EDDY_ENOMEM;
  int rc = w->type == EDDY_SR_MAP ? read_map_members(r, vs, items) : 0;
  for (int i = 0; rc == 0 && w->type == EDDY_SR_RECORD && i < w->field_cnt; i++)
    rc = read_member(r, vs, w->fields[i].name, strlen(w->fields[i].name), w->fields[i].type,
                     items);
  if (rc < 0)
    return rc;
  *out = (eddy_value_t){.kind = EDDY_T_STRUCT, .len = cnt};
  out->u.items = items;
  return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

static int read_branch(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  eddy__avro_vspec_t bvs = *vs;
  int rc = eddy__avro_branch(r, vs->w, &bvs.w);
  if (rc < 0)
    return rc;
  bvs.sem = eddy__avro_sem(bvs.w);
  return eddy__avro_read(r, &bvs, out);
}

static int read_kind(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  switch (vs->type->kind) {
  case EDDY_T_BOOL: return read_bool(r, vs, out);
  case EDDY_T_INT: return read_int(r, vs, out);
  case EDDY_T_DECIMAL: return eddy__avro_read_decimal(r, vs, out);
  case EDDY_T_DOUBLE: return read_double(r, vs, out);
  case EDDY_T_STRING: return read_string(r, vs, out);
  case EDDY_T_BYTES: return read_bytes(r, vs, out);
  case EDDY_T_TIMESTAMP: return eddy__avro_read_timestamp(r, vs, out);
  case EDDY_T_DURATION: return eddy__avro_read_duration(r, vs, out);
  case EDDY_T_ARRAY: return read_array(r, vs, out);
  case EDDY_T_STRUCT: return read_struct(r, vs, out);
  case EDDY_T_ANY: return eddy__avro_read_any(r, vs, out);
  default:
    *out = eddy_null();
    return eddy__avro_skip(r, vs->w);
  }
}

int eddy__avro_read(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  eddy_sr_type_t t = vs->w->type;
  if (t == EDDY_SR_UNION)
    return read_branch(r, vs, out);
  if (t == EDDY_SR_NULL) {
    *out = eddy_null();
    return 0;
  }
  if (t != EDDY_SR_RECORD && t != EDDY_SR_ARRAY && t != EDDY_SR_MAP)
    return read_kind(r, vs, out);
  /* Containers nest: bound the recursion a hostile record could cause. */
  if (r->depth >= EDDY__AVRO_MAX_DEPTH)
    return eddy__avro_malformed(r, r->p, "nested too deeply (limit is 64)");
  r->depth++;
  int rc = read_kind(r, vs, out);
  r->depth--;
  return rc;
}
