/*
 * Timestamps and durations. JSON numbers are read in a unit chosen, in
 * order, by the message's schema (Debezium/Connect logical names), by the
 * field's name (the envelope's ts_ms/ts_us/ts_ns) and by the declared type
 * (scale 3 ms, 6 µs, 9 ns, 0 µs; precision 1 a date in days). JSON strings
 * are ISO-8601 (ZonedTimestamp, IsoTimestamp).
 */
#include <string.h>

#include "serde/decoder_int.h"

enum { NOT_TIME = -1, UNIT_ISO = 100 };

int eddy__declared_unit(uint8_t unit, const eddy_type_t *type) {
  if (unit != EDDY__U_DEFAULT)
    return unit;
  if (type->kind == EDDY_T_TIMESTAMP && type->precision == 1)
    return EDDY__U_DAYS;
  switch (type->scale) {
  case 3: return EDDY__U_MS;
  case 9: return EDDY__U_NS;
  default: return EDDY__U_US;
  }
}

static int declared_unit(const eddy__vspec_t *vs) {
  return eddy__declared_unit(vs->unit, vs->type);
}

/* The unit a timestamp column reads, or NOT_TIME for a schema that does
 * not describe a point in time. */
static int timestamp_unit(const eddy__vspec_t *vs) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st == NULL)
    return declared_unit(vs);
  switch (st->logical) {
  case EDDY__LG_DATE: return EDDY__U_DAYS;
  case EDDY__LG_TS_MS: return EDDY__U_MS;
  case EDDY__LG_TS_US: return EDDY__U_US;
  case EDDY__LG_TS_NS: return EDDY__U_NS;
  case EDDY__LG_TS_ISO: return UNIT_ISO;
  case EDDY__LG_NONE:
  case EDDY__LG_OTHER:
    if (st->ctype == EDDY__CT_STRING)
      return UNIT_ISO;
    return st->ctype == EDDY__CT_INT32 || st->ctype == EDDY__CT_INT64 ? declared_unit(vs)
                                                                       : NOT_TIME;
  default:
    return NOT_TIME; /* times of day, durations, decimals ... */
  }
}

static int duration_unit(const eddy__vspec_t *vs) {
  const eddy__stype_t *st = eddy__vs_stype(vs);
  if (st == NULL)
    return declared_unit(vs);
  switch (st->logical) {
  case EDDY__LG_TIME_MS: return EDDY__U_MS;
  case EDDY__LG_TIME_US:
  case EDDY__LG_DUR_US: return EDDY__U_US;
  case EDDY__LG_TIME_NS:
  case EDDY__LG_DUR_NS: return EDDY__U_NS;
  case EDDY__LG_NONE:
  case EDDY__LG_OTHER:
    return eddy__ct_int(st->ctype) ? declared_unit(vs) : NOT_TIME;
  default:
    return NOT_TIME;
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

/* An integral JSON number in \p unit. */
static int read_count(eddy__dctx_t *c, const eddy__vspec_t *vs, int unit, int64_t *us) {
  const char *at = c->j.p;
  eddy__jstr_t num;
  int64_t v;
  int rc = eddy__json_number(&c->j, &num);
  if (rc < 0)
    return rc;
  if (!num.integral) {
    c->j.p = at;
    return eddy__value_mismatch(c, vs, eddy_kind_name((eddy_kind_t)vs->type->kind));
  }
  if (eddy__num_int(num.p, num.len, &v) < 0 || !to_micros(v, unit, us))
    return eddy__value_range(c, vs, at);
  return 0;
}

static int read_iso(eddy__dctx_t *c, const eddy__vspec_t *vs, int64_t *us) {
  const char *at = c->j.p, *text;
  eddy__jstr_t s;
  uint32_t len;
  int rc = eddy__json_string(&c->j, &s);
  if (rc < 0 || (rc = eddy__json_unescape(&s, c->arena, &text, &len)) < 0)
    return rc;
  if (len == 11 && text[10] == 'Z')
    len = 10; /* IsoDate: "2024-03-10Z" */
  if (eddy_timestamp_parse(text, len, us) == 0)
    return 0;
  c->j.p = at;
  return eddy__value_mismatch(c, vs, "timestamp");
}

int eddy__read_timestamp(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  int unit = timestamp_unit(vs);
  if (unit == NOT_TIME)
    return eddy__schema_mismatch(c, vs);
  int ch = eddy__json_peek(&c->j);
  int rc;
  *out = eddy_timestamp(0);
  if (ch == '"')
    rc = read_iso(c, vs, &out->u.i);
  else if (unit != UNIT_ISO && (ch == '-' || (ch >= '0' && ch <= '9')))
    rc = read_count(c, vs, unit, &out->u.i);
  else
    rc = eddy__value_mismatch(c, vs, "timestamp");
  return rc;
}

int eddy__read_duration(eddy__dctx_t *c, const eddy__vspec_t *vs, eddy_value_t *out) {
  int unit = duration_unit(vs);
  if (unit == NOT_TIME)
    return eddy__schema_mismatch(c, vs);
  int ch = eddy__json_peek(&c->j);
  *out = eddy_duration(0);
  if (ch == '-' || (ch >= '0' && ch <= '9'))
    return read_count(c, vs, unit, &out->u.i);
  return eddy__value_mismatch(c, vs, "duration");
}
