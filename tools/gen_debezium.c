/*
 * `eddy gen`: change events as Debezium's PostgreSQL connector writes them
 * through Kafka Connect's JsonConverter, with schemas.enable false (the bare
 * envelope) or true ({"schema": <Connect schema>, "payload": <envelope>}).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "serde/serde.h"
#include "tools/gen.h"

#define DEBEZIUM_VERSION "2.4.0.Final"

int gen_json_str(eddy_buf_t *out, const char *s) {
  int rc = eddy_buf_putc(out, '"');
  for (; rc == 0 && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      rc = eddy_buf_printf(out, "\\%c", c);
    else if (c < 0x20)
      rc = eddy_buf_printf(out, "\\u%04x", c);
    else
      rc = eddy_buf_putc(out, (char)c);
  }
  return rc ? rc : eddy_buf_putc(out, '"');
}

int gen_decimal_bytes(int64_t v, uint8_t b[9]) {
  uint8_t tmp[9];
  int n = 0;
  __extension__ __int128 x = v;
  /* Big-endian two's complement, as short as the sign allows (BigInteger.toByteArray). */
  for (int i = 8; i >= 0; i--, x >>= 8)
    tmp[i] = (uint8_t)(x & 0xff);
  int start = 0;
  while (start < 8 && ((tmp[start] == 0x00 && !(tmp[start + 1] & 0x80)) ||
                       (tmp[start] == 0xff && (tmp[start + 1] & 0x80))))
    start++;
  for (int i = start; i < 9; i++)
    b[n++] = tmp[i];
  return n;
}

int gen_decimal_b64(eddy_buf_t *out, int64_t unscaled) {
  uint8_t b[9];
  int n = gen_decimal_bytes(unscaled, b);
  int rc = eddy_buf_putc(out, '"');
  if (rc == 0)
    rc = eddy_base64_encode(b, (size_t)n, out);
  return rc ? rc : eddy_buf_putc(out, '"');
}

static int put_value(eddy_buf_t *out, const gen_column_t *col, const gen_val_t *v) {
  if (v->null)
    return eddy_buf_puts(out, "null");
  switch (col->type) {
  case GEN_INT:
  case GEN_TIMESTAMP:
    return eddy_buf_printf(out, "%" PRId64, v->i);
  case GEN_DECIMAL:
    return gen_decimal_b64(out, v->i);
  case GEN_DOUBLE:
    return eddy_buf_printf(out, "%.17g", v->d);
  case GEN_STRING:
    return gen_json_str(out, v->s);
  }
  return EDDY_EINVAL;
}

static int put_row(eddy_buf_t *out, const gen_table_t *t, const gen_row_t *row, int cols) {
  int rc = eddy_buf_putc(out, '{');
  for (int i = 0; rc == 0 && i < cols; i++) {
    rc = eddy_buf_printf(out, "%s\"%s\":", i ? "," : "", t->cols[i].name);
    if (rc == 0)
      rc = put_value(out, &t->cols[i], &row->v[i]);
  }
  return rc ? rc : eddy_buf_putc(out, '}');
}

/* ---- Connect schemas --------------------------------------------------------------- */

static int column_schema(eddy_buf_t *out, const gen_column_t *c) {
  const char *opt = c->optional ? "true" : "false";
  switch (c->type) {
  case GEN_INT:
    return eddy_buf_printf(out, "{\"type\":\"int32\",\"optional\":%s,\"field\":\"%s\"}", opt,
                           c->name);
  case GEN_STRING:
    return eddy_buf_printf(out, "{\"type\":\"string\",\"optional\":%s,\"field\":\"%s\"}", opt,
                           c->name);
  case GEN_DOUBLE:
    return eddy_buf_printf(out, "{\"type\":\"double\",\"optional\":%s,\"field\":\"%s\"}", opt,
                           c->name);
  case GEN_TIMESTAMP:
    return eddy_buf_printf(out,
                           "{\"type\":\"int64\",\"optional\":%s,"
                           "\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1,"
                           "\"field\":\"%s\"}",
                           opt, c->name);
  case GEN_DECIMAL:
    return eddy_buf_printf(out,
                           "{\"type\":\"bytes\",\"optional\":%s,"
                           "\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
                           "\"parameters\":{\"scale\":\"%d\",\"connect.decimal.precision\":"
                           "\"%d\"},\"field\":\"%s\"}",
                           opt, c->scale, c->precision, c->name);
  }
  return EDDY_EINVAL;
}

static int row_schema(eddy_buf_t *out, const gen_enc_conf_t *c, const gen_table_t *t,
                      int cols, const char *kind, const char *field) {
  int rc = eddy_buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
  for (int i = 0; rc == 0 && i < cols; i++) {
    if (i)
      rc = eddy_buf_putc(out, ',');
    if (rc == 0)
      rc = column_schema(out, &t->cols[i]);
  }
  if (rc == 0)
    rc = eddy_buf_printf(out, "],\"optional\":%s,\"name\":\"%s.public.%s.%s\"",
                         field ? "true" : "false", c->prefix, t->name, kind);
  if (rc == 0 && field)
    rc = eddy_buf_printf(out, ",\"field\":\"%s\"", field);
  return rc ? rc : eddy_buf_putc(out, '}');
}

static const char source_schema[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
    "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
    "\"parameters\":{\"allowed\":\"true,last,false,incremental\"},\"default\":\"false\","
    "\"field\":\"snapshot\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"}],"
    "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\","
    "\"field\":\"source\"}";

static int envelope_schema(eddy_buf_t *out, const gen_enc_conf_t *c, const gen_table_t *t) {
  int rc = eddy_buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
  if (rc == 0)
    rc = row_schema(out, c, t, t->col_cnt, "Value", "before");
  if (rc == 0)
    rc = eddy_buf_putc(out, ',');
  if (rc == 0)
    rc = row_schema(out, c, t, t->col_cnt, "Value", "after");
  if (rc == 0)
    rc = eddy_buf_printf(out, ",%s,", source_schema);
  if (rc == 0)
    rc = eddy_buf_printf(out,
                         "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
                         "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
                         "\"optional\":false,\"name\":\"%s.public.%s.Envelope\",\"version\":1}",
                         c->prefix, t->name);
  return rc;
}

/* ---- key and value ----------------------------------------------------------------- */

static const gen_row_t *key_row(const gen_event_t *ev) {
  return ev->has_after ? &ev->after : &ev->before;
}

int gen_json_key(const gen_enc_conf_t *c, const gen_table_t *t, const gen_event_t *ev,
                 eddy_buf_t *out) {
  int rc = 0;
  if (c->schemas) {
    rc = eddy_buf_puts(out, "{\"schema\":");
    if (rc == 0)
      rc = row_schema(out, c, t, 1, "Key", NULL);
    if (rc == 0)
      rc = eddy_buf_puts(out, ",\"payload\":");
  }
  if (rc == 0)
    rc = put_row(out, t, key_row(ev), 1);
  if (rc == 0 && c->schemas)
    rc = eddy_buf_putc(out, '}');
  return rc;
}

static int put_envelope(eddy_buf_t *out, const gen_enc_conf_t *c, const gen_table_t *t,
                        const gen_event_t *ev) {
  int64_t ms = ev->time_us / 1000;
  int rc = eddy_buf_puts(out, "{\"before\":");
  if (rc == 0)
    rc = ev->has_before ? put_row(out, t, &ev->before, t->col_cnt) : eddy_buf_puts(out, "null");
  if (rc == 0)
    rc = eddy_buf_puts(out, ",\"after\":");
  if (rc == 0)
    rc = ev->has_after ? put_row(out, t, &ev->after, t->col_cnt) : eddy_buf_puts(out, "null");
  if (rc == 0)
    rc = eddy_buf_printf(out,
                         ",\"source\":{\"version\":\"" DEBEZIUM_VERSION "\","
                         "\"connector\":\"postgresql\",\"name\":\"%s\",\"ts_ms\":%" PRId64 ","
                         "\"snapshot\":\"%s\",\"db\":\"%s\",\"schema\":\"public\","
                         "\"table\":\"%s\",\"txId\":%" PRId64 ",\"lsn\":%" PRId64 "},"
                         "\"op\":\"%c\",\"ts_ms\":%" PRId64 "}",
                         c->prefix, ms, ev->op == 'r' ? "true" : "false", c->prefix, t->name,
                         ev->tx_id, 22000000 + ev->tx_id * 256, ev->op, ms);
  return rc;
}

int gen_json_value(const gen_enc_conf_t *c, const gen_table_t *t, const gen_event_t *ev,
                   eddy_buf_t *out) {
  int rc = 0;
  if (c->schemas) {
    rc = eddy_buf_puts(out, "{\"schema\":");
    if (rc == 0)
      rc = envelope_schema(out, c, t);
    if (rc == 0)
      rc = eddy_buf_puts(out, ",\"payload\":");
  }
  if (rc == 0)
    rc = put_envelope(out, c, t, ev);
  if (rc == 0 && c->schemas)
    rc = eddy_buf_putc(out, '}');
  return rc;
}
