/*
 * `eddy gen --format avro`: the envelope as Confluent's AvroConverter writes
 * Debezium's change events: a record `Envelope` with before/after as
 * ["null", Value], the connector's `Source` record, op and ts_ms; decimals
 * are bytes with logicalType decimal (connect.name
 * org.apache.kafka.connect.data.Decimal), timestamps long with connect.name
 * io.debezium.time.MicroTimestamp, nullable columns ["null", T].
 */
#include <string.h>

#include "tools/gen.h"

/* Avro names hold [A-Za-z0-9_] only; Debezium replaces the rest with '_'. */
static int put_name(eddy_buf_t *out, const char *s) {
  int rc = 0;
  for (; rc == 0 && *s; s++) {
    char c = *s;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    rc = eddy_buf_putc(out, ok ? c : '_');
  }
  return rc;
}

static int base_type(eddy_buf_t *out, const gen_column_t *c) {
  switch (c->type) {
  case GEN_INT:
    return eddy_buf_puts(out, "\"int\"");
  case GEN_STRING:
    return eddy_buf_puts(out, "\"string\"");
  case GEN_DOUBLE:
    return eddy_buf_puts(out, "\"double\"");
  case GEN_TIMESTAMP:
    return eddy_buf_puts(out, "{\"type\":\"long\",\"connect.version\":1,"
                              "\"connect.name\":\"io.debezium.time.MicroTimestamp\"}");
  case GEN_DECIMAL:
    return eddy_buf_printf(out,
                           "{\"type\":\"bytes\",\"scale\":%d,\"precision\":%d,"
                           "\"connect.version\":1,\"connect.parameters\":{\"scale\":\"%d\","
                           "\"connect.decimal.precision\":\"%d\"},"
                           "\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
                           "\"logicalType\":\"decimal\"}",
                           c->scale, c->precision, c->scale, c->precision);
  }
  return EDDY_EINVAL;
}

static int column(eddy_buf_t *out, const gen_column_t *c) {
  int rc = eddy_buf_printf(out, "{\"name\":\"%s\",\"type\":", c->name);
  if (rc == 0 && c->optional)
    rc = eddy_buf_puts(out, "[\"null\",");
  if (rc == 0)
    rc = base_type(out, c);
  if (rc == 0)
    rc = eddy_buf_puts(out, c->optional ? "],\"default\":null}" : "}");
  return rc;
}

static const char source_fields[] =
    "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"connector\",\"type\":\"string\"},"
    "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":\"long\"},"
    "{\"name\":\"snapshot\",\"type\":[{\"type\":\"string\",\"connect.version\":1,"
    "\"connect.parameters\":{\"allowed\":\"true,last,false,incremental\"},"
    "\"connect.default\":\"false\",\"connect.name\":\"io.debezium.data.Enum\"},\"null\"],"
    "\"default\":\"false\"},"
    "{\"name\":\"db\",\"type\":\"string\"},{\"name\":\"schema\",\"type\":\"string\"},"
    "{\"name\":\"table\",\"type\":\"string\"},"
    "{\"name\":\"txId\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"lsn\",\"type\":[\"null\",\"long\"],\"default\":null}";

static int namespace_of(const gen_enc_conf_t *c, const gen_table_t *t, eddy_buf_t *ns) {
  int rc = put_name(ns, c->prefix);
  if (rc == 0)
    rc = eddy_buf_puts(ns, ".public.");
  if (rc == 0)
    rc = put_name(ns, t->name);
  return rc == 0 && eddy_buf_cstr(ns) == NULL ? EDDY_ENOMEM : rc;
}

int gen_avro_key_schema(const gen_enc_conf_t *c, const gen_table_t *t, eddy_buf_t *out) {
  eddy_buf_t ns = {0};
  int rc = namespace_of(c, t, &ns);
  if (rc == 0)
    rc = eddy_buf_printf(out, "{\"type\":\"record\",\"name\":\"Key\",\"namespace\":\"%s\","
                              "\"fields\":[", ns.p);
  if (rc == 0)
    rc = column(out, &t->cols[0]);
  if (rc == 0)
    rc = eddy_buf_printf(out, "],\"connect.name\":\"%s.Key\"}", ns.p);
  eddy_buf_free(&ns);
  return rc;
}

int gen_avro_schema(const gen_enc_conf_t *c, const gen_table_t *t, eddy_buf_t *out) {
  eddy_buf_t ns = {0};
  int rc = namespace_of(c, t, &ns);
  const char *n = rc == 0 ? ns.p : "";
  if (rc == 0)
    rc = eddy_buf_printf(out,
                         "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"%s\","
                         "\"fields\":[{\"name\":\"before\",\"type\":[\"null\",{\"type\":"
                         "\"record\",\"name\":\"Value\",\"fields\":[",
                         n);
  for (int i = 0; rc == 0 && i < t->col_cnt; i++) {
    if (i)
      rc = eddy_buf_putc(out, ',');
    if (rc == 0)
      rc = column(out, &t->cols[i]);
  }
  if (rc == 0)
    rc = eddy_buf_printf(out,
                         "],\"connect.name\":\"%s.Value\"}],\"default\":null},"
                         "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
                         "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":\"Source\","
                         "\"namespace\":\"io.debezium.connector.postgresql\",\"fields\":[%s],"
                         "\"connect.name\":\"io.debezium.connector.postgresql.Source\"}},"
                         "{\"name\":\"op\",\"type\":\"string\"},"
                         "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"],\"default\":null}],"
                         "\"connect.name\":\"%s.Envelope\"}",
                         n, source_fields, n);
  eddy_buf_free(&ns);
  return rc;
}

/* ---- binary ------------------------------------------------------------------------ */

static int put_long(eddy_buf_t *out, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  uint8_t b[10];
  int n = 0;
  do {
    b[n] = (uint8_t)(z & 0x7f);
    z >>= 7;
    if (z)
      b[n] |= 0x80;
    n++;
  } while (z);
  return eddy_buf_append(out, b, (size_t)n);
}

static int put_bytes(eddy_buf_t *out, const void *p, size_t len) {
  int rc = put_long(out, (int64_t)len);
  return rc ? rc : eddy_buf_append(out, p, len);
}

static int put_string(eddy_buf_t *out, const char *s) { return put_bytes(out, s, strlen(s)); }

static int put_column(eddy_buf_t *out, const gen_column_t *c, const gen_val_t *v) {
  if (c->optional) {
    int rc = put_long(out, v->null ? 0 : 1);
    if (rc != 0 || v->null)
      return rc;
  }
  switch (c->type) {
  case GEN_INT:
  case GEN_TIMESTAMP:
    return put_long(out, v->i);
  case GEN_STRING:
    return put_string(out, v->s);
  case GEN_DOUBLE:
    return eddy_buf_append(out, &v->d, 8);   /* little-endian IEEE 754, as Avro wants */
  case GEN_DECIMAL: {
    uint8_t b[9];
    int n = gen_decimal_bytes(v->i, b);
    return put_bytes(out, b, (size_t)n);
  }
  }
  return EDDY_EINVAL;
}

static int put_row(eddy_buf_t *out, const gen_table_t *t, bool has, const gen_row_t *row) {
  int rc = put_long(out, has ? 1 : 0);
  for (int i = 0; rc == 0 && has && i < t->col_cnt; i++)
    rc = put_column(out, &t->cols[i], &row->v[i]);
  return rc;
}

int gen_avro_datum(const gen_enc_conf_t *c, const gen_table_t *t, const gen_event_t *ev,
                   eddy_buf_t *out) {
  int64_t ms = ev->time_us / 1000;
  char op[2] = {ev->op, '\0'};
  int rc = put_row(out, t, ev->has_before, &ev->before);
  if (rc == 0)
    rc = put_row(out, t, ev->has_after, &ev->after);
  /* source: version, connector, name, ts_ms, snapshot (branch 0), db, schema, table,
     txId, lsn */
  if (rc == 0)
    rc = put_string(out, "2.4.0.Final");
  if (rc == 0)
    rc = put_string(out, "postgresql");
  if (rc == 0)
    rc = put_string(out, c->prefix);
  if (rc == 0)
    rc = put_long(out, ms);
  if (rc == 0)
    rc = put_long(out, 0);
  if (rc == 0)
    rc = put_string(out, ev->op == 'r' ? "true" : "false");
  if (rc == 0)
    rc = put_string(out, c->prefix);
  if (rc == 0)
    rc = put_string(out, "public");
  if (rc == 0)
    rc = put_string(out, t->name);
  for (int i = 0; rc == 0 && i < 2; i++) {
    rc = put_long(out, 1);
    if (rc == 0)
      rc = put_long(out, i == 0 ? ev->tx_id : 22000000 + ev->tx_id * 256);
  }
  if (rc == 0)
    rc = put_string(out, op);
  if (rc == 0)
    rc = put_long(out, 1);
  return rc ? rc : put_long(out, ms);
}

int gen_avro_key_datum(const gen_table_t *t, const gen_event_t *ev, eddy_buf_t *out) {
  return put_column(out, &t->cols[0], ev->has_after ? &ev->after.v[0] : &ev->before.v[0]);
}
