/* Sinks: to kafka, to stdout. */
#include <librdkafka/rdkafka.h>

#include "operators/exec_int.h"

int eddy__produce(eddy_exec_t *x, const char *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, int64_t ts_ms, void *headers,
                  eddy_error_t **err) {
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        x->env.producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY((void *)key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_TIMESTAMP(ts_ms > 0 ? ts_ms : 0),
        RD_KAFKA_V_HEADERS((rd_kafka_headers_t *)headers), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
      return 0;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (headers != NULL)
        rd_kafka_headers_destroy(headers); /* not taken over on failure */
      return eddy_error_set(err, EDDY_EKAFKA, "produce to '%s': %s", topic, rd_kafka_err2str(e));
    }
    rd_kafka_poll(x->env.producer, 10); /* queue full: serve delivery reports, retry */
  }
}

int eddy__sink_kafka(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                     eddy_error_t **err) {
  const eddy_sink_kafka_t *s = &n->u.sink_kafka;
  eddy_value_t key = row->key;
  if (s->key != NULL) {
    eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
    eddy_error_t *why = NULL;
    int rc = eddy_expr_eval(s->key, &ctx, &key, &why);
    if (rc != 0) {
      atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
      rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
      eddy_error_destroy(why);
      return rc;
    }
  }
  eddy_buf_clear(&x->key_buf);
  eddy_buf_clear(&x->value_buf);
  int has_key = eddy_encode_key(&key, &x->key_buf) == 0;
  eddy_error_t *why = NULL;
  int rc = row->tombstone ? 0   /* a deleted table row: a tombstone */
           : s->format == EDDY_FMT_AVRO ? eddy__avro_encode(x, n, row, &x->value_buf, &why)
                                        : eddy_encode_json(row, &x->value_buf);
  if (rc == EDDY_EINVAL && why != NULL) {
    /* a value its Avro column cannot hold (a decimal beyond the precision): this row fails */
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
    return rc;
  }
  if (rc != 0) {
    eddy_error_set(err, rc, "%s: cannot encode the output record%s%s", n->name, why ? ": " : "",
                   eddy_error_msg(why));
    eddy_error_destroy(why);
    return rc;
  }
  rc = eddy__produce(x, s->topic, has_key ? x->key_buf.p : NULL, has_key ? x->key_buf.len : 0,
                     row->tombstone ? NULL : x->value_buf.p, x->value_buf.len,
                     row->ts / EDDY_MSEC, NULL, &why);
  if (rc != 0) {
    /* e.g. a record larger than the broker accepts: this record fails, others go on */
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
    return rc;
  }
  atomic_fetch_add_explicit(&x->env.counters->records_out, 1, memory_order_relaxed);
  return 0;
}

int eddy__sink_stdout(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                      eddy_error_t **err) {
  int rc = row->tombstone ? eddy_buf_puts(&x->stdout_buf, "null")
                          : eddy_encode_json(row, &x->stdout_buf);
  if (rc == 0)
    rc = eddy_buf_putc(&x->stdout_buf, '\n');
  if (rc != 0)
    return eddy_error_set(err, rc, "%s: cannot encode the output record", n->name);
  atomic_fetch_add_explicit(&x->env.counters->records_out, 1, memory_order_relaxed);
  return 0;
}
