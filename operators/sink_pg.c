/*
 * `to postgres <table> key (<cols>)`, the stream thread's half: the rows go
 * to the Kafka topic `<app>-<node>` and the sink task (engine/pg_sink.c)
 * writes that topic to PostgreSQL.
 *
 *   key    the JSON object of the key columns, {"id":42} (so every version
 *          of a table row lands in one partition, in order), names flat
 *   value  the row as JSON (eddy_encode_json), or null for a tombstone
 *
 * A tombstone's key columns are the row's own values when it has them (a
 * retracted session row carries its group and window); a deleted table row
 * has only its record key: with one key column that key is the column's
 * value; with several, a struct key gives them by position. A string key is
 * read as the column's type ("42" for an int column).
 */
#include <stdlib.h>
#include <string.h>

#include "operators/exec_int.h"

/* \p v (a string) read as \p type; unchanged when it does not parse. */
static eddy_value_t as_type(eddy_exec_t *x, eddy_value_t v, const eddy_type_t *type) {
  if (v.kind != EDDY_T_STRING || type->kind == EDDY_T_STRING)
    return v;
  char *s = eddy_arena_strndup(x->arena, v.u.s, v.len);
  if (s == NULL || v.len == 0)
    return v;
  if (type->kind == EDDY_T_INT) {
    char *end;
    long long i = strtoll(s, &end, 10);
    return *end == '\0' ? eddy_int(i) : v;
  }
  if (type->kind == EDDY_T_DECIMAL) {
    eddy_i128 u;
    uint8_t scale;
    return eddy_decimal_parse(s, v.len, &u, &scale) == 0 ? eddy_decimal(u, scale) : v;
  }
  if (type->kind == EDDY_T_TIMESTAMP) {
    int64_t us;
    return eddy_timestamp_parse(s, v.len, &us) == 0 ? eddy_timestamp(us) : v;
  }
  return v;
}

/* Key column \p k (at row slot \p slot) of a tombstone, from the record key. */
static eddy_value_t tombstone_key(eddy_exec_t *x, const eddy_row_t *row, uint32_t k,
                                  uint32_t cnt, const eddy_type_t *type) {
  if (cnt == 1)
    return as_type(x, row->key, type);
  if (row->key.kind == EDDY_T_STRUCT && row->key.len == cnt)
    return as_type(x, row->key.u.items[k], type);
  return eddy_null();
}

static int encode_key(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                      eddy_buf_t *out) {
  const eddy_fields_t *in = n->in != NULL ? n->in : row->layout;
  int rc = eddy_buf_putc(out, '{');
  for (uint32_t k = 0; rc == 0 && k < n->u.sink_postgres.key_column_cnt; k++) {
    const char *name = n->u.sink_postgres.key_columns[k];
    int slot = eddy_fields_find(in, name);
    if (slot < 0)
      return EDDY_ESTATE;
    const eddy_type_t *type = &in->items[slot].type;
    eddy_value_t v = row->vals[slot];
    if (row->tombstone && eddy_is_null(&v))
      v = tombstone_key(x, row, k, n->u.sink_postgres.key_column_cnt, type);
    rc = k > 0 ? eddy_buf_putc(out, ',') : 0;
    rc = rc == 0 ? eddy_encode_json_string(name, strlen(name), out) : rc;
    rc = rc == 0 ? eddy_buf_putc(out, ':') : rc;
    rc = rc == 0 ? eddy_encode_json_typed(&v, type, out) : rc;
  }
  return rc == 0 ? eddy_buf_putc(out, '}') : rc;
}

int eddy__sink_postgres(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                        eddy_error_t **err) {
  char topic[512];
  if (eddy_plan_internal_topic(topic, sizeof(topic), x->env.app_id, n->name) != 0)
    return eddy_error_set(err, EDDY_ERANGE, "%s: topic name too long", n->name);
  eddy_buf_clear(&x->key_buf);
  eddy_buf_clear(&x->value_buf);
  int rc = encode_key(x, n, row, &x->key_buf);
  if (rc == 0 && !row->tombstone)
    rc = eddy_encode_json(row, &x->value_buf);
  if (rc != 0)
    return eddy_error_set(err, rc, "%s: cannot encode the output record", n->name);
  eddy_error_t *why = NULL;
  rc = eddy__produce(x, topic, x->key_buf.p, x->key_buf.len,
                     row->tombstone ? NULL : x->value_buf.p, x->value_buf.len,
                     row->ts / EDDY_MSEC, NULL, &why);
  if (rc != 0) {
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
    return rc;
  }
  atomic_fetch_add_explicit(&x->env.counters->records_out, 1, memory_order_relaxed);
  return 0;
}
