/*
 * Writing a row as the Avro binary datum of the encoder's schema
 * (encode_avro.c): the fields in schema order, each column as the union
 * ["null", T] (branch 0 for null, branch 1 and the value otherwise).
 *
 *   long       zigzag varint           decimal  bytes: minimal big-endian two's
 *   double     8 bytes little-endian            complement of the unscaled value
 *   string     length, UTF-8 bytes     array    one block of n items, then 0
 */
#include <string.h>

#include "serde/avro_int.h"

__extension__ typedef unsigned __int128 u128_t;

int eddy__avro_put_long(eddy_buf_t *out, int64_t v) {
  uint8_t b[10];
  uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  size_t n = 0;
  while (u >= 0x80) {
    b[n++] = (uint8_t)(u | 0x80);
    u >>= 7;
  }
  b[n++] = (uint8_t)u;
  return eddy_buf_append(out, b, n);
}

int eddy__avro_put_decimal(eddy_buf_t *out, eddy_i128 v) {
  uint8_t b[16];
  u128_t u;
  memcpy(&u, &v, sizeof(u));
  for (int i = 15; i >= 0; i--, u >>= 8)
    b[i] = (uint8_t)u;
  size_t skip = 0;
  /* Drop leading bytes that only repeat the sign (Java's BigInteger.toByteArray). */
  while (skip < 15 && ((b[skip] == 0x00 && (b[skip + 1] & 0x80) == 0) ||
                       (b[skip] == 0xff && (b[skip + 1] & 0x80) != 0)))
    skip++;
  int rc = eddy__avro_put_long(out, (int64_t)(16 - skip));
  return rc < 0 ? rc : eddy_buf_append(out, b + skip, 16 - skip);
}

static int put_double(eddy_buf_t *out, double d) {
  uint64_t u;
  uint8_t b[8];
  memcpy(&u, &d, sizeof(u));
  for (int i = 0; i < 8; i++, u >>= 8)
    b[i] = (uint8_t)u;
  return eddy_buf_append(out, b, 8);
}

static int put_span(eddy_buf_t *out, const void *p, size_t len) {
  int rc = eddy__avro_put_long(out, (int64_t)len);
  return rc < 0 ? rc : eddy_buf_append(out, p, len);
}

typedef struct {
  eddy_buf_t *out;
  eddy_error_t **err;
  const char *column;
} wctx_t;

static int cannot(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t, const char *why) {
  char type[64];
  eddy_type_format(t, type, sizeof(type));
  return eddy_error_set(w->err, EDDY_EINVAL, "%s: cannot write a %s value as %s%s%s", w->column,
                        eddy_kind_name((eddy_kind_t)v->kind), type, why ? ": " : "",
                        why ? why : "");
}

static int put_decimal(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  unsigned precision = t->precision ? t->precision : EDDY_DECIMAL_MAX_PRECISION;
  eddy_i128 unscaled = v->kind == EDDY_T_INT ? (eddy_i128)v->u.i : v->u.dec;
  uint8_t from = v->kind == EDDY_T_INT ? 0 : v->scale;
  if (v->kind != EDDY_T_INT && v->kind != EDDY_T_DECIMAL)
    return cannot(w, v, t, NULL);
  if (eddy_decimal_rescale(unscaled, from, t->scale, &unscaled) < 0 ||
      !eddy_decimal_fits(unscaled, precision))
    return cannot(w, v, t, "beyond the declared precision");
  return eddy__avro_put_decimal(w->out, unscaled);
}

static int put_double_value(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  switch (v->kind) {
  case EDDY_T_DOUBLE: return put_double(w->out, v->u.d);
  case EDDY_T_INT: return put_double(w->out, (double)v->u.i);
  case EDDY_T_DECIMAL: return put_double(w->out, eddy_decimal_to_double(v->u.dec, v->scale));
  default: return cannot(w, v, t, NULL);
  }
}

/* Untyped values are written as their text (strings as they are). */
static int put_text(wctx_t *w, const eddy_value_t *v) {
  if (v->kind == EDDY_T_STRING)
    return put_span(w->out, v->u.s, v->len);
  eddy_buf_t text = {0};
  int rc = eddy_value_format(v, &text);
  if (rc == 0)
    rc = put_span(w->out, text.p ? text.p : "", text.len);
  eddy_buf_free(&text);
  return rc;
}

static int put_nullable(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t);

static int put_array(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  static const eddy_type_t any = {.kind = EDDY_T_ANY};
  int rc = 0;
  if (v->kind != EDDY_T_ARRAY)
    return cannot(w, v, t, NULL);
  if (v->len > 0)
    rc = eddy__avro_put_long(w->out, v->len);
  for (uint32_t i = 0; rc == 0 && i < v->len; i++)
    rc = put_nullable(w, &v->u.items[i], t->elem ? t->elem : &any);
  return rc < 0 ? rc : eddy__avro_put_long(w->out, 0);
}

static int put_struct(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  static const eddy_value_t null_value = {0};
  uint32_t cnt = t->fields ? t->fields->cnt : 0;
  int rc = 0;
  if (v->kind != EDDY_T_STRUCT)
    return cannot(w, v, t, NULL);
  for (uint32_t i = 0; rc == 0 && i < cnt; i++)
    rc = put_nullable(w, i < v->len ? &v->u.items[i] : &null_value, &t->fields->items[i].type);
  return rc;
}

static int put_value(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  uint8_t b;
  switch (t->kind) {
  case EDDY_T_BOOL:
    if (v->kind != EDDY_T_BOOL)
      return cannot(w, v, t, NULL);
    b = v->u.b ? 1 : 0;
    return eddy_buf_append(w->out, &b, 1);
  case EDDY_T_INT:
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION:
    if (v->kind != t->kind)
      return cannot(w, v, t, NULL);
    return eddy__avro_put_long(w->out, v->u.i);
  case EDDY_T_DOUBLE: return put_double_value(w, v, t);
  case EDDY_T_DECIMAL: return put_decimal(w, v, t);
  case EDDY_T_STRING:
  case EDDY_T_BYTES:
    if (v->kind != EDDY_T_STRING && v->kind != EDDY_T_BYTES)
      return cannot(w, v, t, NULL);
    return put_span(w->out, v->kind == EDDY_T_STRING ? (const void *)v->u.s : v->u.bytes, v->len);
  case EDDY_T_ARRAY: return put_array(w, v, t);
  case EDDY_T_STRUCT: return put_struct(w, v, t);
  default: return put_text(w, v);
  }
}

static int put_nullable(wctx_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  if (t->kind == EDDY_T_NULL)
    return 0; /* the schema type is "null": nothing to write */
  if (v->kind == EDDY_T_NULL)
    return eddy__avro_put_long(w->out, 0);
  int rc = eddy__avro_put_long(w->out, 1);
  return rc < 0 ? rc : put_value(w, v, t);
}

static int put_group(const eddy_avro_encoder_t *enc, wctx_t *w, int32_t node,
                     const eddy_value_t *vals) {
  int rc = 0;
  for (int32_t i = enc->nodes[node].first_child; rc == 0 && i >= 0;
       i = enc->nodes[i].next_sibling) {
    const eddy__avro_enode_t *n = &enc->nodes[i];
    if (n->field < 0) {
      rc = put_group(enc, w, i, vals);
      continue;
    }
    const eddy_field_t *f = &enc->layout->items[n->field];
    w->column = f->name;
    rc = put_nullable(w, &vals[n->field], &f->type);
  }
  return rc;
}

int eddy__avro_write_row(const eddy_avro_encoder_t *enc, const eddy_value_t *vals,
                         eddy_buf_t *out, eddy_error_t **err) {
  wctx_t w = {.out = out, .err = err};
  return put_group(enc, &w, 0, vals);
}
