/*
 * Timestamps and durations from Avro, with the same units as the JSON path
 * (decode_time.c): the writer's Debezium/Connect semantic name or Avro
 * logical type decides; for a plain int or long, the column's name (the
 * envelope's ts_ms/ts_us/ts_ns) and then the declared type (scale 3 ms,
 * 6 or 0 µs, 9 ns; precision 1 days) do. Strings are ISO-8601
 * (ZonedTimestamp, IsoTimestamp, IsoDate).
 */
#include <inttypes.h>
#include <stdio.h>

#include "serde/avro_int.h"

enum { NOT_TIME = -1, UNIT_ISO = 100 };

static int declared_unit(const eddy__avro_vspec_t *vs) {
  return eddy__declared_unit(vs->unit, vs->type);
}

static bool is_integer(const eddy_sr_node_t *w) {
  return w->type == EDDY_SR_INT || w->type == EDDY_SR_LONG;
}

static int timestamp_unit(const eddy__avro_vspec_t *vs) {
  switch (vs->sem.logical) {
  case EDDY__LG_DATE: return is_integer(vs->w) ? EDDY__U_DAYS : NOT_TIME;
  case EDDY__LG_TS_MS: return is_integer(vs->w) ? EDDY__U_MS : NOT_TIME;
  case EDDY__LG_TS_US: return is_integer(vs->w) ? EDDY__U_US : NOT_TIME;
  case EDDY__LG_TS_NS: return is_integer(vs->w) ? EDDY__U_NS : NOT_TIME;
  case EDDY__LG_TS_ISO: return vs->w->type == EDDY_SR_STRING ? UNIT_ISO : NOT_TIME;
  case EDDY__LG_NONE:
  case EDDY__LG_OTHER:
    if (vs->w->type == EDDY_SR_STRING)
      return UNIT_ISO;
    return is_integer(vs->w) ? declared_unit(vs) : NOT_TIME;
  default:
    return NOT_TIME; /* times of day, durations, decimals */
  }
}

static int duration_unit(const eddy__avro_vspec_t *vs) {
  if (!is_integer(vs->w))
    return NOT_TIME;
  switch (vs->sem.logical) {
  case EDDY__LG_TIME_MS: return EDDY__U_MS;
  case EDDY__LG_TIME_US:
  case EDDY__LG_DUR_US: return EDDY__U_US;
  case EDDY__LG_TIME_NS:
  case EDDY__LG_DUR_NS: return EDDY__U_NS;
  case EDDY__LG_NONE:
  case EDDY__LG_OTHER: return declared_unit(vs);
  default: return NOT_TIME;
  }
}

/* Scale \p v in \p unit to µs. @returns false on overflow. */
static bool to_micros(int64_t v, int unit, int64_t *us) {
  int64_t mul = unit == EDDY__U_DAYS ? EDDY_DAY : unit == EDDY__U_MS ? EDDY_MSEC : 1;
  if (unit == EDDY__U_NS) {
    *us = v / 1000 - (v % 1000 < 0); /* floor: instants before the epoch round down */
    return true;
  }
  if (v > INT64_MAX / mul || v < INT64_MIN / mul)
    return false;
  *us = v * mul;
  return true;
}

static int read_count(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, int unit, int64_t *us) {
  int64_t v;
  int rc = eddy__avro_long(r, &v);
  if (rc < 0)
    return rc;
  if (to_micros(v, unit, us))
    return 0;
  char what[256], wt[192];
  snprintf(what, sizeof(what), "%s %" PRId64, eddy__avro_type_name(vs->w, &vs->sem, wt, sizeof(wt)),
           v);
  return eddy__avro_range(r, vs, what);
}

static int read_iso(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs, int64_t *us) {
  const uint8_t *p;
  size_t len;
  int rc = eddy__avro_span(r, &p, &len);
  if (rc < 0)
    return rc;
  const char *text = (const char *)p;
  size_t n = len == 11 && text[10] == 'Z' ? 10 : len; /* IsoDate: "2024-03-10Z" */
  if (eddy_timestamp_parse(text, n, us) == 0)
    return 0;
  size_t bad, shown = len > 40 ? 40 : len;
  while (shown > 0 && shown < len && (p[shown] & 0xc0) == 0x80)
    shown--; /* cut at a character boundary */
  if (!eddy__utf8_valid(text, len, &bad))
    return eddy_error_set(r->err, EDDY_EDECODE, "%s: string is not valid UTF-8 at byte %zu",
                          vs->path, (size_t)(p - r->base) + bad);
  return eddy_error_set(r->err, EDDY_EDECODE, "%s: expected timestamp, got string \"%.*s%s\"",
                        vs->path, (int)shown, text, shown < len ? "..." : "");
}

int eddy__avro_read_timestamp(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs,
                              eddy_value_t *out) {
  int unit = timestamp_unit(vs);
  if (unit == NOT_TIME)
    return eddy__avro_mismatch(r, vs);
  *out = eddy_timestamp(0);
  return unit == UNIT_ISO ? read_iso(r, vs, &out->u.i) : read_count(r, vs, unit, &out->u.i);
}

int eddy__avro_read_duration(eddy__avro_rd_t *r, const eddy__avro_vspec_t *vs,
                             eddy_value_t *out) {
  int unit = duration_unit(vs);
  if (unit == NOT_TIME)
    return eddy__avro_mismatch(r, vs);
  *out = eddy_duration(0);
  return read_count(r, vs, unit, &out->u.i);
}
