/* Binary value encoding for store keys and values (see codec.h). */
#include "serde/codec.h"

#include <math.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128_t;

/* Big-endian 8 bytes (one load or store and a byte swap on little-endian machines). */
static void put_u64(uint8_t *b, uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(b, &v, 8);
}

static uint64_t get_u64(const uint8_t *b) {
  uint64_t v;
  memcpy(&v, b, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static int put_varint(eddy_buf_t *out, uint64_t n) {
  uint8_t b[10];
  size_t len = 0;
  do {
    b[len] = (uint8_t)(n & 0x7f);
    n >>= 7;
    if (n != 0)
      b[len] |= 0x80;
    len++;
  } while (n != 0);
  return eddy_buf_append(out, b, len);
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *n) {
  *n = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end)
      return EDDY_EDECODE;
    uint8_t b = *(*p)++;
    *n |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return 0;
  }
  return EDDY_EDECODE;
}

int eddy_codec_put(eddy_buf_t *out, const eddy_value_t *v) {
  uint8_t b[18];
  b[0] = v->kind;
  size_t len = 1;
  switch (v->kind) {
  case EDDY_T_NULL: break;
  case EDDY_T_BOOL: b[len++] = v->u.b ? 1 : 0; break;
  case EDDY_T_INT:
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION:
    put_u64(b + 1, (uint64_t)v->u.i ^ (1ull << 63));
    len += 8;
    break;
  case EDDY_T_DECIMAL: {
    u128_t u = (u128_t)v->u.dec ^ ((u128_t)1 << 127);
    b[len++] = v->scale;
    put_u64(b + 2, (uint64_t)(u >> 64));
    put_u64(b + 10, (uint64_t)u);
    len += 16;
    break;
  }
  case EDDY_T_DOUBLE: {
    double d = v->u.d == 0 ? 0.0 : v->u.d;   /* -0.0 groups with 0.0 */
    uint64_t bits;
    memcpy(&bits, &d, 8);
    if (isnan(d))
      bits = 0x7ff8000000000000ull;          /* and every NaN with every other */
    put_u64(b + 1, bits);
    len += 8;
    break;
  }
  case EDDY_T_STRING:
  case EDDY_T_BYTES: {
    int rc = eddy_buf_append(out, b, 1);
    if (rc == 0)
      rc = put_varint(out, v->len);
    return rc == 0 && v->len > 0 ? eddy_buf_append(out, v->kind == EDDY_T_STRING
                                                            ? (const void *)v->u.s
                                                            : (const void *)v->u.bytes,
                                                   v->len)
                                 : rc;
  }
  default:
    return EDDY_EINVAL;
  }
  return eddy_buf_append(out, b, len);
}

static int need(const uint8_t *p, const uint8_t *end, size_t n) {
  return (size_t)(end - p) >= n ? 0 : EDDY_EDECODE;
}

int eddy_codec_get(const uint8_t **p, const uint8_t *end, eddy_value_t *v) {
  if (*p >= end)
    return EDDY_EDECODE;
  *v = eddy_null();
  v->kind = *(*p)++;
  const uint8_t *q = *p;
  switch (v->kind) {
  case EDDY_T_NULL: return 0;
  case EDDY_T_BOOL:
    if (need(q, end, 1) != 0)
      return EDDY_EDECODE;
    v->u.b = q[0] != 0;
    *p += 1;
    return 0;
  case EDDY_T_INT:
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION:
  case EDDY_T_DOUBLE:
    if (need(q, end, 8) != 0)
      return EDDY_EDECODE;
    if (v->kind == EDDY_T_DOUBLE) {
      uint64_t bits = get_u64(q);
      memcpy(&v->u.d, &bits, 8);
    } else {
      v->u.i = (int64_t)(get_u64(q) ^ (1ull << 63));
    }
    *p += 8;
    return 0;
  case EDDY_T_DECIMAL: {
    if (need(q, end, 17) != 0)
      return EDDY_EDECODE;
    u128_t u = (u128_t)get_u64(q + 1) << 64 | get_u64(q + 9);
    v->scale = q[0];
    v->u.dec = (eddy_i128)(u ^ ((u128_t)1 << 127));
    *p += 17;
    return 0;
  }
  case EDDY_T_STRING:
  case EDDY_T_BYTES: {
    uint64_t n;
    if (get_varint(p, end, &n) != 0 || n > UINT32_MAX || need(*p, end, (size_t)n) != 0)
      return EDDY_EDECODE;
    v->len = (uint32_t)n;
    if (v->kind == EDDY_T_STRING)
      v->u.s = (const char *)*p;
    else
      v->u.bytes = *p;
    *p += n;
    return 0;
  }
  default:
    return EDDY_EDECODE;
  }
}

int eddy_codec_normalize(eddy_value_t *v, const eddy_type_t *t) {
  if (v->kind == EDDY_T_DOUBLE && v->u.d == 0)
    v->u.d = 0.0;
  if (v->kind != EDDY_T_DECIMAL || t->kind != EDDY_T_DECIMAL || v->scale == t->scale)
    return 0;
  eddy_i128 r;
  int rc = eddy_decimal_rescale(v->u.dec, v->scale, t->scale, &r);
  if (rc == 0) {
    v->u.dec = r;
    v->scale = t->scale;
  }
  return rc;
}

/* ---- rows ------------------------------------------------------------------------------ */

int eddy_codec_put_row(eddy_buf_t *out, const eddy_value_t *vals, uint32_t cnt) {
  uint8_t v1 = EDDY_CODEC_ROW_V1;
  int rc = eddy_buf_append(out, &v1, 1);
  for (uint32_t i = 0; rc == 0 && i < cnt; i++)
    rc = eddy_codec_put(out, &vals[i]);
  return rc;
}

/* A value read back as its column's type: the encoder wrote what the row held, which
 * for an int-valued expression in a wider column may be an int. */
static int as_column(eddy_value_t *v, const eddy_type_t *t) {
  if (v->kind == EDDY_T_NULL || v->kind == t->kind)
    return eddy_codec_normalize(v, t) == 0 ? 0 : EDDY_EDECODE;
  if (v->kind != EDDY_T_INT)
    return EDDY_EDECODE;
  switch (t->kind) {
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION: v->kind = t->kind; return 0;
  case EDDY_T_DOUBLE: *v = eddy_double((double)v->u.i); return 0;
  case EDDY_T_DECIMAL:
    *v = eddy_decimal(v->u.i, 0);
    return eddy_codec_normalize(v, t) == 0 ? 0 : EDDY_EDECODE;
  default: return EDDY_EDECODE;
  }
}

int eddy_codec_get_row(const void *p, size_t len, const eddy_fields_t *f, eddy_value_t *vals,
                       eddy_error_t **err) {
  const uint8_t *q = p, *end = q + len;
  if (len == 0 || q[0] != EDDY_CODEC_ROW_V1)
    return eddy_error_set(err, EDDY_EDECODE, "not an eddy internal row (first byte 0x%02x)",
                          len > 0 ? q[0] : 0);
  q++;
  for (uint32_t i = 0; i < f->cnt; i++) {
    if (eddy_codec_get(&q, end, &vals[i]) != 0 || as_column(&vals[i], &f->items[i].type) != 0)
      return eddy_error_set(err, EDDY_EDECODE, "internal row: column %u ('%s') does not read "
                            "as %s", i, f->items[i].name, eddy_kind_name(f->items[i].type.kind));
  }
  if (q != end)
    return eddy_error_set(err, EDDY_EDECODE,
                          "internal row: %zu trailing byte(s) after its %u columns",
                          (size_t)(end - q), f->cnt);
  return 0;
}
