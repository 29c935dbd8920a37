/*
 * Decimals from Avro, exact, in every form Debezium's AvroConverter writes:
 *
 *   bytes/fixed, logicalType decimal   big-endian two's-complement unscaled
 *                                      value; the schema's scale
 *   bytes, connect.name ...Decimal     the same, scale in connect.parameters
 *   record VariableScaleDecimal        {scale: int, value: bytes}
 *   double / float                     decimal.handling.mode=double: read at
 *                                      15 significant digits (as PostgreSQL
 *                                      casts float8 to numeric)
 *   string                             decimal.handling.mode=string: "12.50"
 *   int / long                         scale 0
 *
 * 12.50 in DECIMAL(10,2) is 1250 = 0x04E2; -0.01 is 0xFF. The value is then
 * brought to the declared scale (half away from zero) and checked against
 * the declared precision, as in the JSON path.
 */
#include <stdio.h>
#include <string.h>

#include "serde/avro_int.h"

/* Two's-complement bytes to an unscaled value (EDDY_EINVAL for none). */
static int from_bytes(const uint8_t *p, size_t n, eddy_i128 *v) {
  if (n == 0)
    return EDDY_EINVAL;
  return eddy__decimal_from_bytes(p, n, v);
}

/* Debezium's VariableScaleDecimal record: {scale: int, value: bytes}. */
static int varscale_parts(eddy__avro_rd_t *r, const eddy_sr_node_t *w, eddy_i128 *v,
                          int32_t *scale) {
  bool have_scale = false, have_value = false;
  int bad = 0, rc = 0;
  for (int i = 0; rc == 0 && i < w->field_cnt; i++) {
    const eddy_sr_field_t *f = &w->fields[i];
    const uint8_t *p;
    size_t n;
    if (strcmp(f->name, "scale") == 0 && f->type->type == EDDY_SR_INT) {
      rc = eddy__avro_int(r, scale);
      have_scale = true;
    } else if (strcmp(f->name, "value") == 0 && f->type->type == EDDY_SR_BYTES) {
      if ((rc = eddy__avro_span(r, &p, &n)) == 0)
        bad = from_bytes(p, n, v);
      have_value = true;
    } else {
      rc = eddy__avro_skip(r, f->type);
    }
  }
  if (rc < 0)
    return rc;
  if (bad < 0)
    return bad;
  return have_scale && have_value ? 0 : EDDY_EINVAL;
}

static int text_parts(eddy__avro_rd_t *r, eddy_i128 *v, int32_t *scale) {
  const uint8_t *p;
  size_t n;
  int rc = eddy__avro_span(r, &p, &n);
  if (rc < 0)
    return rc;
  rc = eddy__num_decimal((const char *)p, n, v, scale);
  return rc == EDDY_EOVERFLOW ? rc : rc < 0 ? EDDY_EINVAL : 0;
}

static int double_parts(double d, eddy_i128 *v, int32_t *scale) {
  char text[64];
  if (d != d || d - d != 0)
    return EDDY_EINVAL; /* NaN, infinity */
  int n = snprintf(text, sizeof(text), "%.15g", d);
  return eddy__num_decimal(text, (size_t)n, v, scale) < 0 ? EDDY_EOVERFLOW : 0;
}

static int bytes_parts(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_i128 *v) {
  const uint8_t *p = r->p;
  size_t n = (size_t)vs->w->size;
  int rc = 0;
  if (vs->w->type == EDDY_SR_BYTES)
    rc = eddy__avro_span(r, &p, &n);
  else if ((size_t)(r->end - r->p) < n)
    rc = eddy__avro_truncated(r);
  else
    r->p += n;
  return rc < 0 ? rc : from_bytes(p, n, v);
}

static int parts(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_i128 *v,
                 int32_t *scale) {
  const eddy_sr_node_t *w = vs->w;
  double d;
  int64_t i;
  int rc;
  *scale = 0;
  if (vs->sem.logical == EDDY__LG_VARDECIMAL && w->type == EDDY_SR_RECORD)
    return varscale_parts(r, w, v, scale);
  if (vs->sem.logical == EDDY__LG_DECIMAL &&
      (w->type == EDDY_SR_BYTES || w->type == EDDY_SR_FIXED)) {
    *scale = vs->sem.scale >= 0 ? vs->sem.scale : vs->type->scale;
    return bytes_parts(r, vs, v);
  }
  switch (w->type) {
  case EDDY_SR_INT:
  case EDDY_SR_LONG:
    if ((rc = eddy__avro_long(r, &i)) < 0)
      return rc;
    *v = i;
    return 0;
  case EDDY_SR_STRING: return text_parts(r, v, scale);
  case EDDY_SR_FLOAT:
  case EDDY_SR_DOUBLE:
    rc = w->type == EDDY_SR_FLOAT ? eddy__avro_float(r, &d) : eddy__avro_double(r, &d);
    return rc < 0 ? rc : double_parts(d, v, scale);
  default:
    return EDDY_ESCHEMA; /* not a form of decimal */
  }
}

int eddy__avro_decimal_parts(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_i128 *v,
                             int32_t *scale) {
  char wt[192], what[256];
  int rc = parts(r, vs, v, scale);
  if (rc == EDDY_ESCHEMA)
    return eddy__avro_mismatch(r, vs);
  if (rc == EDDY_EINVAL || rc == EDDY_EOVERFLOW) {
    snprintf(what, sizeof(what), "%s %s", eddy__avro_type_name(vs->w, &vs->sem, wt, sizeof(wt)),
             rc == EDDY_EINVAL ? "value that is not a number" : "value beyond 38 digits");
    return eddy__avro_range(r, vs, what);
  }
  return rc;
}

int eddy__avro_read_decimal(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, eddy_value_t *out) {
  const eddy_type_t *t = vs->type;
  eddy_i128 v = 0, fitted;
  int32_t scale = 0;
  char what[96];
  int rc = eddy__avro_decimal_parts(r, vs, &v, &scale);
  if (rc < 0)
    return rc;
  int32_t to = t->precision ? t->scale : scale < 0 ? 0 : scale > 38 ? 38 : scale;
  int precision = t->precision && t->precision < EDDY_DECIMAL_MAX_PRECISION
                      ? t->precision : EDDY_DECIMAL_MAX_PRECISION;
  if (eddy__decimal_fit(v, scale, to, &fitted) < 0 ||
      !eddy_decimal_fits(fitted, (unsigned)precision)) {
    if (scale >= 0 && scale <= 38)
      eddy_decimal_format(v, (uint8_t)scale, what, sizeof(what));
    else
      snprintf(what, sizeof(what), "a decimal with scale %d", (int)scale);
    return eddy__avro_range(r, vs, what);
  }
  *out = eddy_decimal(fitted, (uint8_t)to);
  return 0;
}
