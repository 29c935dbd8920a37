/*
 * The Avro binary encoding, read straight from the Kafka value:
 *
 *   int, long      zigzag varint: 0 -> 00, -1 -> 01, 1 -> 02, 64 -> 80 01
 *   float, double  4 / 8 bytes, little-endian IEEE 754
 *   boolean        one byte, 0 or 1
 *   bytes, string  long length, then the bytes (strings: UTF-8)
 *   fixed          exactly `size` bytes
 *   enum           int symbol index
 *   union          long branch index, then that branch's datum
 *   record         its fields' data in schema order, nothing between them
 *   array, map     blocks: long count n, then n items (map: string key +
 *                  value each); n < 0 means |n| items preceded by the
 *                  block's size in bytes; a count of 0 ends the list
 *
 * Every read checks the bytes left, so a truncated or corrupt record is a
 * decode error at a byte offset, never a read past the buffer.
 */
#include <string.h>

#include "serde/avro_int.h"

static size_t offset(const eddy__avro_rd_t *r, const uint8_t *at) { return (size_t)(at - r->base); }

int eddy__avro_truncated(eddy__avro_rd_t *r) {
  return eddy_error_set(r->err, EDDY_EDECODE,
                        "truncated Avro datum: the record ends at byte %zu, inside a value "
                        "(schema id %d)", offset(r, r->end), r->plan ? r->plan->id : 0);
}

int eddy__avro_malformed(eddy__avro_rd_t *r, const uint8_t *at, const char *what) {
  return eddy_error_set(r->err, EDDY_EDECODE, "invalid Avro datum at byte %zu: %s (schema id %d)",
                        offset(r, at), what, r->plan ? r->plan->id : 0);
}

int eddy__avro_long(eddy__avro_rd_t *r, int64_t *out) {
  const uint8_t *p = r->p, *end = r->end;
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (p == end)
      return eddy__avro_truncated(r);
    uint8_t b = *p++;
    if (shift == 63 && b > 1)
      return eddy__avro_malformed(r, r->p, "varint longer than 64 bits");
    v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0)
      break;
  }
  r->p = p;
  *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
  return 0;
}

int eddy__avro_int(eddy__avro_rd_t *r, int32_t *out) {
  const uint8_t *at = r->p;
  int64_t v;
  int rc = eddy__avro_long(r, &v);
  if (rc < 0)
    return rc;
  if (v < INT32_MIN || v > INT32_MAX)
    return eddy__avro_malformed(r, at, "int beyond 32 bits");
  *out = (int32_t)v;
  return 0;
}

int eddy__avro_span(eddy__avro_rd_t *r, const uint8_t **p, size_t *len) {
  const uint8_t *at = r->p;
  int64_t n;
  int rc = eddy__avro_long(r, &n);
  if (rc < 0)
    return rc;
  if (n < 0)
    return eddy__avro_malformed(r, at, "negative length");
  if ((uint64_t)n > (uint64_t)(r->end - r->p))
    return eddy__avro_truncated(r);
  if (n > UINT32_MAX)
    return eddy__avro_malformed(r, at, "bytes or string longer than 4 GB");
  *p = r->p;
  *len = (size_t)n;
  r->p += n;
  return 0;
}

static int take(eddy__avro_rd_t *r, size_t n, const uint8_t **p) {
  if ((size_t)(r->end - r->p) < n)
    return eddy__avro_truncated(r);
  *p = r->p;
  r->p += n;
  return 0;
}

int eddy__avro_float(eddy__avro_rd_t *r, double *out) {
  const uint8_t *p = NULL;
  int rc = take(r, 4, &p);
  if (rc < 0)
    return rc;
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, sizeof(f));
  *out = f;
  return 0;
}

int eddy__avro_double(eddy__avro_rd_t *r, double *out) {
  const uint8_t *p = NULL;
  int rc = take(r, 8, &p);
  if (rc < 0)
    return rc;
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--)
    u = u << 8 | p[i];
  memcpy(out, &u, sizeof(*out));
  return 0;
}

int eddy__avro_boolean(eddy__avro_rd_t *r, bool *out) {
  const uint8_t *p = NULL;
  int rc = take(r, 1, &p);
  if (rc < 0)
    return rc;
  if (*p > 1)
    return eddy__avro_malformed(r, p, "boolean byte is neither 0 nor 1");
  *out = *p == 1;
  return 0;
}

int eddy__avro_branch(eddy__avro_rd_t *r, const eddy_sr_node_t *u, const eddy_sr_node_t **out) {
  const uint8_t *at = r->p;
  int64_t k;
  int rc = eddy__avro_long(r, &k);
  if (rc < 0)
    return rc;
  if (k < 0 || k >= u->branch_cnt)
    return eddy__avro_malformed(r, at, "union branch index out of range");
  *out = u->branches[k];
  return 0;
}

/* Can an item of type \p w take no bytes at all (null, a record of nulls)? */
static bool may_be_empty(const eddy_sr_node_t *w, int depth) {
  if (depth > 8)
    return true; /* deep or recursive: assume the worst */
  switch (w->type) {
  case EDDY_SR_NULL: return true;
  case EDDY_SR_FIXED: return w->size == 0;
  case EDDY_SR_RECORD:
    for (int i = 0; i < w->field_cnt; i++)
      if (!may_be_empty(w->fields[i].type, depth + 1))
        return false;
    return true;
  default: return false;
  }
}

int eddy__avro_block(eddy__avro_rd_t *r, const eddy_sr_node_t *items, int64_t *cnt,
                     int64_t *total) {
  const uint8_t *at = r->p;
  int64_t n, size;
  int rc = eddy__avro_long(r, &n);
  if (rc < 0)
    return rc;
  if (n < 0) {
    if (n == INT64_MIN)
      return eddy__avro_malformed(r, at, "block count out of range");
    n = -n;
    if ((rc = eddy__avro_long(r, &size)) < 0)
      return rc;
    if (size < 0)
      return eddy__avro_malformed(r, at, "negative block size");
  }
  /* Each item takes at least one byte unless it may be empty: bound the
     count by the bytes left, or by a fixed limit for empty items. */
  if (n > r->end - r->p && (items == NULL || !may_be_empty(items, 0)))
    return eddy__avro_truncated(r);
  *total += n;
  if (*total > EDDY__AVRO_MAX_EMPTY_ITEMS && *total > r->end - r->base)
    return eddy__avro_malformed(r, at, "too many items of zero size");
  *cnt = n;
  return 0;
}

/* ---- skipping ---------------------------------------------------------- */

static int skip_items(eddy__avro_rd_t *r, const eddy_sr_node_t *w, bool map) {
  int64_t cnt, total = 0;
  int rc;
  for (;;) {
    const uint8_t *at = r->p;
    int64_t raw;
    if ((rc = eddy__avro_long(r, &raw)) < 0)
      return rc;
    if (raw < 0 && raw != INT64_MIN) {
      /* A sized block: jump over it. */
      int64_t size;
      if ((rc = eddy__avro_long(r, &size)) < 0)
        return rc;
      if (size < 0)
        return eddy__avro_malformed(r, at, "negative block size");
      if (size > r->end - r->p)
        return eddy__avro_truncated(r);
      r->p += size;
      continue;
    }
    r->p = at;
    if ((rc = eddy__avro_block(r, map ? NULL : w->items, &cnt, &total)) < 0)
      return rc;
    if (cnt == 0)
      return 0;
    for (int64_t i = 0; i < cnt; i++) {
      const uint8_t *k;
      size_t klen;
      if (map && (rc = eddy__avro_span(r, &k, &klen)) < 0)
        return rc;
      if ((rc = eddy__avro_skip(r, w->items)) < 0)
        return rc;
    }
  }
}

static int skip_varint(eddy__avro_rd_t *r) {
  const uint8_t *p = r->p, *end = r->end;
  for (int i = 0; i < 10; i++) {
    if (p == end)
      return eddy__avro_truncated(r);
    if ((*p++ & 0x80) == 0) {
      r->p = p;
      return 0;
    }
  }
  return eddy__avro_malformed(r, r->p, "varint longer than 64 bits");
}

static int skip_nested(eddy__avro_rd_t *r, const eddy_sr_node_t *w) {
  const eddy_sr_node_t *b;
  int rc = 0;
  if (++r->depth > EDDY__AVRO_MAX_DEPTH) {
    r->depth--;
    return eddy__avro_malformed(r, r->p, "nested too deeply (limit is 64)");
  }
  switch (w->type) {
  case EDDY_SR_RECORD:
    for (int i = 0; i < w->field_cnt && rc >= 0; i++)
      rc = eddy__avro_skip(r, w->fields[i].type);
    break;
  case EDDY_SR_UNION:
    if ((rc = eddy__avro_branch(r, w, &b)) >= 0)
      rc = eddy__avro_skip(r, b);
    break;
  default:
    rc = skip_items(r, w, w->type == EDDY_SR_MAP);
    break;
  }
  r->depth--;
  return rc;
}

int eddy__avro_skip(eddy__avro_rd_t *r, const eddy_sr_node_t *w) {
  const uint8_t *p = NULL;
  size_t n;
  bool b;
  switch (w->type) {
  case EDDY_SR_NULL: return 0;
  case EDDY_SR_BOOLEAN: return eddy__avro_boolean(r, &b);
  case EDDY_SR_INT:
  case EDDY_SR_LONG:
  case EDDY_SR_ENUM: return skip_varint(r);
  case EDDY_SR_FLOAT: return take(r, 4, &p);
  case EDDY_SR_DOUBLE: return take(r, 8, &p);
  case EDDY_SR_FIXED: return take(r, (size_t)w->size, &p);
  case EDDY_SR_BYTES:
  case EDDY_SR_STRING: return eddy__avro_span(r, &p, &n);
  default: return skip_nested(r, w);
  }
}

/* ---- running a plan ---------------------------------------------------- */

static int run_multi(eddy__avro_rd_t *r, const eddy__avro_act_t *a) {
  const uint8_t *start = r->p, *end = NULL;
  for (uint32_t i = 0; i < a->cnt; i++) {
    r->p = start;
    int rc = eddy__avro_run(r, r->plan->kids[a->first + i]);
    if (rc < 0)
      return rc;
    end = r->p;
  }
  r->p = end;
  return 0;
}

static int run_value(eddy__avro_rd_t *r, const eddy__avro_act_t *a) {
  const eddy_field_t *f = &r->d->spec.layout->items[a->field];
  eddy__avro_vspec_t vs = {.type = &f->type, .w = a->w, .sem = a->sem, .unit = a->unit,
                           .path = f->name};
  return eddy__avro_read(r, &vs, &r->vals[a->field]);
}

int eddy__avro_run(eddy__avro_rd_t *r, uint32_t act) {
  const eddy__avro_act_t *a = &r->plan->acts[act];
  int64_t k;
  int rc;
  switch (a->op) {
  case EDDY__A_SKIP: return eddy__avro_skip(r, a->w);
  case EDDY__A_NOP: return 0;
  case EDDY__A_VALUE: return run_value(r, a);
  case EDDY__A_RECORD:
    for (uint32_t i = 0; i < a->cnt; i++)
      if ((rc = eddy__avro_run(r, r->plan->kids[a->first + i])) < 0)
        return rc;
    return 0;
  case EDDY__A_UNION: {
    const uint8_t *at = r->p;
    if ((rc = eddy__avro_long(r, &k)) < 0)
      return rc;
    if (k < 0 || k >= a->cnt)
      return eddy__avro_malformed(r, at, "union branch index out of range");
    return eddy__avro_run(r, r->plan->kids[a->first + (uint32_t)k]);
  }
  default: return run_multi(r, a);
  }
}
