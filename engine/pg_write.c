/*
 * A PostgreSQL sink's batch: one transaction holding the batch's upserts
 * and deletes and the partitions' new offsets.
 *
 * Fast path: per table, runs of upserts with distinct keys become one
 * multi-row INSERT ... ON CONFLICT (key) DO UPDATE; a delete is
 * DELETE ... WHERE key = ...; order per key is kept. When a statement fails
 * on the data (SQLSTATE class 22 or 23), the transaction is rolled back and
 * the batch is written again row by row, each row under a savepoint: a
 * failing row goes to the dead-letter topic with the server's message and
 * SQLSTATE, the others land, and the offsets still advance in the same
 * transaction.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/pg_sink_int.h"
#include "engine/util.h"

#define MAX_PARAMS 65000

eddy_pg_part_t *eddy__pg_part(eddy_pg_sink_t *s, uint32_t table, int32_t partition) {
  for (uint32_t i = 0; i < s->part_cnt; i++)
    if (s->parts[i].table == table && s->parts[i].partition == partition)
      return &s->parts[i];
  return NULL;
}

/* ---- values as text parameters ------------------------------------------------------- */

static const char *hex_bytes(eddy_arena_t *a, const uint8_t *p, uint32_t len) {
  char *s = eddy_arena_alloc(a, 2 * (size_t)len + 3);
  if (s == NULL)
    return NULL;
  static const char digits[] = "0123456789abcdef";
  s[0] = '\\';
  s[1] = 'x';
  for (uint32_t i = 0; i < len; i++) {
    s[2 + 2 * i] = digits[p[i] >> 4];
    s[3 + 2 * i] = digits[p[i] & 15];
  }
  s[2 + 2 * (size_t)len] = '\0';
  return s;
}

/* \p v as PostgreSQL text input; *out NULL for SQL NULL. @returns 0, EDDY_EINVAL (a NUL in a
 * string: PostgreSQL text cannot hold it) or EDDY_ENOMEM. */
static int to_text(eddy_arena_t *a, const eddy_value_t *v, const eddy_type_t *type,
                   const char **out) {
  char buf[64];
  *out = NULL;
  switch (v->kind) {
  case EDDY_T_NULL: return 0;
  case EDDY_T_BOOL: *out = v->u.b ? "true" : "false"; return 0;
  case EDDY_T_INT: snprintf(buf, sizeof(buf), "%" PRId64, v->u.i); break;
  case EDDY_T_DECIMAL: eddy_decimal_format(v->u.dec, v->scale, buf, sizeof(buf)); break;
  case EDDY_T_DOUBLE:
    if (isnan(v->u.d))
      *out = "NaN";
    else if (isinf(v->u.d))
      *out = v->u.d > 0 ? "Infinity" : "-Infinity";
    else
      snprintf(buf, sizeof(buf), "%.17g", v->u.d);
    if (*out != NULL)
      return 0;
    break;
  case EDDY_T_STRING:
    if (memchr(v->u.s, '\0', v->len) != NULL)
      return EDDY_EINVAL;
    *out = eddy_arena_strndup(a, v->u.s, v->len);
    return *out != NULL ? 0 : EDDY_ENOMEM;
  case EDDY_T_BYTES: *out = hex_bytes(a, v->u.bytes, v->len); return *out ? 0 : EDDY_ENOMEM;
  case EDDY_T_TIMESTAMP: eddy_timestamp_format(v->u.i, buf, sizeof(buf)); break;
  case EDDY_T_DURATION: snprintf(buf, sizeof(buf), "%" PRId64 " microseconds", v->u.i); break;
  default: {
    eddy_buf_t json = {0};
    int rc = eddy_encode_json_typed(v, type, &json);
    *out = rc == 0 ? eddy_arena_strndup(a, json.p ? (const char *)json.p : "", json.len) : NULL;
    eddy_buf_free(&json);
    return *out != NULL ? 0 : EDDY_ENOMEM;
  }
  }
  *out = eddy_arena_strdup(a, buf);
  return *out != NULL ? 0 : EDDY_ENOMEM;
}

/* Decode one message of table \p t into \p op. @returns 0 or an error with *why. */
static int make_op(eddy_pg_sink_t *s, eddy_pg_op_t *op, eddy_error_t **why) {
  eddy_pg_table_t *t = &s->tables[op->table];
  const rd_kafka_message_t *m = op->msg;
  op->del = m->payload == NULL || m->len == 0;
  const eddy_fields_t *layout = op->del ? &t->key_layout : t->row;
  eddy_value_t *vals = eddy_arena_calloc(s->arena, layout->cnt + 1, sizeof(*vals));
  op->params = eddy_arena_calloc(s->arena, layout->cnt + 1, sizeof(char *));
  if (vals == NULL || op->params == NULL)
    return eddy_error_set(why, EDDY_ENOMEM, "out of memory");
  int rc = op->del ? eddy_decoder_decode(t->key_dec, m->key, m->key_len, vals, s->arena, why)
                   : eddy_decoder_decode(t->value_dec, m->payload, m->len, vals, s->arena, why);
  if (rc != 0)
    return eddy_error_set(why, rc == EDDY_ENOENT ? EDDY_EDECODE : rc, "%s",
                          op->del ? "a tombstone without a key" : "cannot decode the row");
  for (uint32_t i = 0; rc == 0 && i < layout->cnt; i++) {
    rc = to_text(s->arena, &vals[i], &layout->items[i].type, &op->params[i]);
    if (rc == EDDY_EINVAL)
      return eddy_error_set(why, rc, "column %s: a string with a NUL byte", layout->items[i].name);
  }
  return rc == 0 ? 0 : eddy_error_set(why, rc, "out of memory");
}

/* ---- statements ---------------------------------------------------------------------- */

static int put_values(eddy_buf_t *b, uint32_t first, uint32_t cnt) {
  int rc = eddy_buf_putc(b, '(');
  for (uint32_t i = 0; rc == 0 && i < cnt; i++)
    rc = eddy_buf_printf(b, "%s$%u", i ? "," : "", first + i + 1);
  return rc == 0 ? eddy_buf_putc(b, ')') : rc;
}

static int upsert_sql(eddy_pg_sink_t *s, const eddy_pg_table_t *t, uint32_t rows) {
  eddy_buf_t *b = &s->sql;
  eddy_buf_clear(b);
  int rc = eddy_buf_printf(b, "INSERT INTO %s (", t->table);
  for (uint32_t i = 0; rc == 0 && i < t->col_cnt; i++)
    rc = eddy_buf_printf(b, "%s%s", i ? "," : "", t->cols[i]);
  rc = rc == 0 ? eddy_buf_puts(b, ") VALUES ") : rc;
  for (uint32_t r = 0; rc == 0 && r < rows; r++) {
    rc = r ? eddy_buf_putc(b, ',') : 0;
    rc = rc == 0 ? put_values(b, r * t->col_cnt, t->col_cnt) : rc;
  }
  return rc == 0 ? eddy_buf_puts(b, t->upsert_tail) : rc;
}

static int delete_sql(eddy_pg_sink_t *s, const eddy_pg_table_t *t) {
  eddy_buf_t *b = &s->sql;
  eddy_buf_clear(b);
  int rc = eddy_buf_printf(b, "DELETE FROM %s WHERE ", t->table);
  for (uint32_t k = 0; rc == 0 && k < t->key_cnt; k++)
    rc = eddy_buf_printf(b, "%s%s = $%u", k ? " AND " : "", t->cols[t->key_slot[k]], k + 1);
  return rc;
}

/* Same key? (both upserts of table t) */
static bool same_key(const eddy_pg_table_t *t, const eddy_pg_op_t *a, const eddy_pg_op_t *b) {
  for (uint32_t k = 0; k < t->key_cnt; k++) {
    const char *x = a->params[t->key_slot[k]], *y = b->params[t->key_slot[k]];
    if ((x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
      return false;
  }
  return true;
}

/* How many upserts from ops[0] form one statement: distinct keys, no delete between. */
static size_t run_length(const eddy_pg_table_t *t, eddy_pg_op_t **ops, size_t n) {
  size_t most = MAX_PARAMS / (t->col_cnt ? t->col_cnt : 1);
  size_t len = 0;
  while (len < n && len < most && !ops[len]->del) {
    for (size_t j = 0; j < len; j++)   /* batches are small: a scan is cheap enough */
      if (same_key(t, ops[j], ops[len]))
        return len;
    len++;
  }
  return len;
}

static eddy_pg_class_t exec_op_run(eddy_pg_sink_t *s, const eddy_pg_table_t *t,
                                   eddy_pg_op_t **ops, size_t n, char *state,
                                   eddy_error_t **err) {
  if (ops[0]->del) {
    if (delete_sql(s, t) != 0)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory"), EDDY_PG_FATAL;
    return eddy__pg_exec(s, eddy_buf_cstr(&s->sql), (int)t->key_cnt, ops[0]->params, NULL,
                         state, err);
  }
  const char **params = eddy_arena_alloc(s->arena, n * t->col_cnt * sizeof(char *) + 1);
  if (params == NULL || upsert_sql(s, t, (uint32_t)n) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory"), EDDY_PG_FATAL;
  for (size_t r = 0; r < n; r++)
    memcpy(params + r * t->col_cnt, ops[r]->params, t->col_cnt * sizeof(char *));
  return eddy__pg_exec(s, eddy_buf_cstr(&s->sql), (int)(n * t->col_cnt), params, NULL, state,
                       err);
}

/* ---- dead letters ---------------------------------------------------------------------- */

static int dead_letter(eddy_pg_sink_t *s, const eddy_pg_op_t *op, const char *state,
                       const char *why) {
  const rd_kafka_message_t *m = op->msg;
  rd_kafka_headers_t *h = rd_kafka_headers_new(8);
  char part[16], off[24];
  snprintf(part, sizeof(part), "%" PRId32, m->partition);
  snprintf(off, sizeof(off), "%" PRId64, m->offset);
  rd_kafka_header_add(h, "eddy.error.reason", -1, why, -1);
  rd_kafka_header_add(h, "eddy.error.code", -1, "EPG", -1);
  rd_kafka_header_add(h, "eddy.error.sqlstate", -1, state, -1);
  rd_kafka_header_add(h, "eddy.error.operator", -1, s->tables[op->table].node->name, -1);
  rd_kafka_header_add(h, "eddy.source.topic", -1, rd_kafka_topic_name(m->rkt), -1);
  rd_kafka_header_add(h, "eddy.source.partition", -1, part, -1);
  rd_kafka_header_add(h, "eddy.source.offset", -1, off, -1);
  rd_kafka_header_add(h, "eddy.app", -1, s->app->app_id, -1);
  rd_kafka_resp_err_t e = rd_kafka_producev(
      s->producer, RD_KAFKA_V_TOPIC(s->app->dlq_topic),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(m->key, m->key_len),
      RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(h);
    return EDDY_EKAFKA;
  }
  atomic_fetch_add(&s->app->counters.dlq, 1);
  eddy_log(&s->app->log, EDDY_LOG_WARN, "pg-sink", "%s [%" PRId32 "] @%" PRId64 " to the "
           "dead-letter topic: %s", rd_kafka_topic_name(m->rkt), m->partition, m->offset, why);
  return 0;
}

/* ---- the transaction ----------------------------------------------------------------- */

typedef struct {
  eddy_pg_op_t *ops;
  size_t cnt;
  long long upserts, deletes, dead;
  long long bad;                /* could not be decoded: dead letters made by make_ops() */
} batch_t;

static eddy_pg_class_t simple(eddy_pg_sink_t *s, const char *sql, eddy_error_t **err) {
  return eddy__pg_exec(s, sql, 0, NULL, NULL, NULL, err);
}

/* One op under a savepoint; a data error sends it to the dead-letter topic. */
static eddy_pg_class_t careful_op(eddy_pg_sink_t *s, batch_t *b, eddy_pg_op_t *op,
                                  eddy_error_t **err) {
  eddy_pg_class_t c = simple(s, "SAVEPOINT eddy_row", err);
  char state[6] = "";
  eddy_error_t *why = NULL;
  if (c == EDDY_PG_OK)
    c = exec_op_run(s, &s->tables[op->table], &op, 1, state, &why);
  if (c == EDDY_PG_OK) {
    b->upserts += !op->del;
    b->deletes += op->del;
    return simple(s, "RELEASE SAVEPOINT eddy_row", err);
  }
  if (c != EDDY_PG_DATA) {
    if (err != NULL && *err == NULL)
      *err = why;
    else
      eddy_error_destroy(why);
    return c;
  }
  c = simple(s, "ROLLBACK TO SAVEPOINT eddy_row", err);
  if (c == EDDY_PG_OK && dead_letter(s, op, state, eddy_error_msg(why)) != 0)
    c = (eddy_error_set(err, EDDY_EKAFKA, "cannot write to the dead-letter topic"), EDDY_PG_FATAL);
  b->dead++;
  eddy_error_destroy(why);
  return c;
}

/* The batch's ops of table \p t, in order. */
static size_t table_ops(batch_t *b, uint32_t t, eddy_pg_op_t **out) {
  size_t n = 0;
  for (size_t i = 0; i < b->cnt; i++)
    if (b->ops[i].table == t && b->ops[i].params != NULL)
      out[n++] = &b->ops[i];
  return n;
}

static eddy_pg_class_t write_ops(eddy_pg_sink_t *s, batch_t *b, bool careful,
                                 eddy_error_t **err) {
  eddy_pg_op_t **ops = eddy_arena_alloc(s->arena, (b->cnt + 1) * sizeof(*ops));
  if (ops == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory"), EDDY_PG_FATAL;
  for (uint32_t t = 0; t < s->table_cnt; t++) {
    size_t n = table_ops(b, t, ops);
    for (size_t i = 0; i < n;) {
      if (careful) {
        eddy_pg_class_t c = careful_op(s, b, ops[i++], err);
        if (c != EDDY_PG_OK)
          return c;
        continue;
      }
      size_t len = ops[i]->del ? 1 : run_length(&s->tables[t], ops + i, n - i);
      eddy_pg_class_t c = exec_op_run(s, &s->tables[t], ops + i, len, NULL, err);
      if (c != EDDY_PG_OK)
        return c;
      b->deletes += ops[i]->del;
      b->upserts += ops[i]->del ? 0 : (long long)len;
      i += len;
    }
  }
  return EDDY_PG_OK;
}

/* Move every touched partition's offset, fenced on the value read. */
static eddy_pg_class_t write_offsets(eddy_pg_sink_t *s, eddy_error_t **err) {
  for (uint32_t i = 0; i < s->part_cnt; i++) {
    eddy_pg_part_t *p = &s->parts[i];
    if (p->next == p->stored)
      continue;
    char part[16], next[24], stored[24];
    snprintf(part, sizeof(part), "%" PRId32, p->partition);
    snprintf(next, sizeof(next), "%" PRId64, p->next);
    snprintf(stored, sizeof(stored), "%" PRId64, p->stored);
    const char *params[5] = {s->app->app_id, s->tables[p->table].topic, part, next, stored};
    PGresult *r = NULL;
    eddy_pg_class_t c = eddy__pg_exec(
        s, p->stored < 0
               ? "INSERT INTO eddy_sink_offsets (app, topic, \"partition\", next_offset) "
                 "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
               : "UPDATE eddy_sink_offsets SET next_offset = $4, updated_at = now() WHERE app = $1 "
                 "AND topic = $2 AND \"partition\" = $3 AND next_offset = $5",
        p->stored < 0 ? 4 : 5, params, &r, NULL, err);
    if (c != EDDY_PG_OK)
      return c;
    bool moved = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!moved) {
      /* another instance wrote this partition since we read it: ours is stale */
      eddy_error_set_ex(err, EDDY_EPG, "postgres", true, "%s [%" PRId32 "]: its stored offset "
                        "moved under this sink (another instance owns it now); re-reading",
                        s->tables[p->table].topic, p->partition);
      return EDDY_PG_TRANSIENT;
    }
  }
  return EDDY_PG_OK;
}

static eddy_pg_class_t transaction(eddy_pg_sink_t *s, batch_t *b, bool careful,
                                   eddy_error_t **err) {
  b->upserts = b->deletes = b->dead = 0;
  eddy_pg_class_t c = simple(s, "BEGIN", err);
  c = c == EDDY_PG_OK ? write_ops(s, b, careful, err) : c;
  c = c == EDDY_PG_OK ? write_offsets(s, err) : c;
  if (c == EDDY_PG_OK && b->dead + b->bad > 0 &&
      rd_kafka_flush(s->producer, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    c = (eddy_error_set(err, EDDY_EKAFKA, "dead letters not acknowledged"), EDDY_PG_TRANSIENT);
  c = c == EDDY_PG_OK ? simple(s, "COMMIT", err) : c;
  if (c != EDDY_PG_OK && s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
    PQclear(PQexec(s->conn, "ROLLBACK"));
  return c;
}

/* The pending messages as ops, and the partitions' next offsets. */
static int make_ops(eddy_pg_sink_t *s, batch_t *b, eddy_error_t **err) {
  b->ops = eddy_arena_calloc(s->arena, s->pending_cnt + 1, sizeof(*b->ops));
  if (b->ops == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  b->cnt = 0;
  for (size_t i = 0; i < s->pending_cnt; i++) {
    rd_kafka_message_t *m = s->pending[i];
    const char *topic = rd_kafka_topic_name(m->rkt);
    uint32_t t = 0;
    while (t < s->table_cnt && strcmp(s->tables[t].topic, topic) != 0)
      t++;
    eddy_pg_part_t *p = t < s->table_cnt ? eddy__pg_part(s, t, m->partition) : NULL;
    if (p == NULL)
      continue;   /* revoked meanwhile */
    if (m->offset < p->next) {
      /* below the stored offset: applied already (a fetch from before a re-assignment) */
      eddy_log(&s->app->log, EDDY_LOG_DEBUG, "pg-sink", "%s [%" PRId32 "] @%" PRId64 ": skipped, "
               "PostgreSQL has it", topic, m->partition, m->offset);
      continue;
    }
    p->next = m->offset + 1;
    eddy_pg_op_t *op = &b->ops[b->cnt++];
    op->msg = m;
    op->table = t;
    eddy_error_t *why = NULL;
    if (make_op(s, op, &why) != 0) {
      op->params = NULL;
      b->bad++;
      if (dead_letter(s, op, "22000", eddy_error_msg(why)) != 0) {
        eddy_error_destroy(why);
        return eddy_error_set(err, EDDY_EKAFKA, "cannot write to the dead-letter topic");
      }
    }
    eddy_error_destroy(why);
  }
  return 0;
}

eddy_pg_class_t eddy__pg_write_batch(eddy_pg_sink_t *s, eddy_error_t **err) {
  eddy_arena_reset(s->arena);
  batch_t b = {0};
  if (make_ops(s, &b, err) != 0)
    return EDDY_PG_FATAL;
  eddy_error_t *first = NULL;
  eddy_pg_class_t c = transaction(s, &b, false, &first);
  if (c == EDDY_PG_DATA) {
    eddy_log(&s->app->log, EDDY_LOG_INFO, "pg-sink", "a batch failed (%s); writing it row by "
             "row", eddy_error_msg(first));
    eddy_error_destroy(first);
    first = NULL;
    c = transaction(s, &b, true, &first);
  }
  if (c != EDDY_PG_OK) {
    for (uint32_t i = 0; i < s->part_cnt; i++)
      s->parts[i].next = s->parts[i].stored;
    if (err != NULL && *err == NULL)
      *err = first;
    else
      eddy_error_destroy(first);
    return c == EDDY_PG_DATA ? EDDY_PG_FATAL : c;
  }
  for (uint32_t i = 0; i < s->part_cnt; i++)
    s->parts[i].stored = s->parts[i].next;
  atomic_fetch_add(&s->app->counters.pg_rows_upserted, b.upserts);
  atomic_fetch_add(&s->app->counters.pg_rows_deleted, b.deletes);
  atomic_fetch_add(&s->app->counters.pg_batches, 1);
  return EDDY_PG_OK;
}
