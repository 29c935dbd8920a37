/*
 * Failed records: the source's error policy, and the dead-letter topic.
 *
 * A dead letter carries the original key and value bytes unchanged, the
 * original headers, and these headers naming the failure:
 *
 *   eddy.error.reason      "after.amount: expected decimal, got string \"x\""
 *   eddy.error.code        "EDECODE" | "ECHECK" | "EOVERFLOW" | ...
 *   eddy.error.operator    the plan node that failed ("orders.check-2")
 *   eddy.source.topic      topic, partition and offset of the input record
 *   eddy.source.partition
 *   eddy.source.offset
 *   eddy.app               the application id
 *
 * A row an aggregate emitted at a commit or by idle advance comes from no
 * single consumed record: its dead letter carries the row as JSON, its key,
 * and no eddy.source.* headers.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "operators/exec_int.h"

static const char *policy_name(eddy_on_error_t p) {
  return p == EDDY_ON_ERROR_SKIP ? "skip" : p == EDDY_ON_ERROR_FAIL ? "fail" : "dlq";
}

static rd_kafka_headers_t *dead_letter_headers(eddy_exec_t *x, const eddy_plan_node_t *node,
                                               int code, const char *why) {
  const rd_kafka_message_t *m = x->msg;
  rd_kafka_headers_t *orig = NULL;
  rd_kafka_headers_t *h = NULL;
  if (m != NULL && rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      orig != NULL)
    h = rd_kafka_headers_copy(orig);
  else
    h = rd_kafka_headers_new(8);
  rd_kafka_header_add(h, "eddy.error.reason", -1, why, -1);
  rd_kafka_header_add(h, "eddy.error.code", -1, eddy_err_name(code), -1);
  rd_kafka_header_add(h, "eddy.error.operator", -1, node->name, -1);
  if (m != NULL) {
    char part[16], off[24];
    snprintf(part, sizeof(part), "%" PRId32, m->partition);
    snprintf(off, sizeof(off), "%" PRId64, m->offset);
    rd_kafka_header_add(h, "eddy.source.topic", -1, rd_kafka_topic_name(m->rkt), -1);
    rd_kafka_header_add(h, "eddy.source.partition", -1, part, -1);
    rd_kafka_header_add(h, "eddy.source.offset", -1, off, -1);
  }
  rd_kafka_header_add(h, "eddy.app", -1, x->env.app_id, -1);
  return h;
}

/* An emitted row's dead letter: its key and its JSON. */
static int dead_row(eddy_exec_t *x, rd_kafka_headers_t *h, eddy_error_t **err) {
  const eddy_row_t *row = x->emit_row;
  eddy_buf_t key = {0}, value = {0};
  int has_key = row != NULL && eddy_encode_key(&row->key, &key) == 0;
  int rc = row != NULL ? eddy_encode_json(row, &value) : 0;
  if (rc == 0)
    rc = eddy__produce(x, x->env.dlq_topic, has_key ? key.p : NULL, has_key ? key.len : 0,
                       value.p, value.len, row != NULL && row->ts > 0 ? row->ts / EDDY_MSEC : 0,
                       h, err);
  else
    rd_kafka_headers_destroy(h);
  eddy_buf_free(&key);
  eddy_buf_free(&value);
  return rc;
}

static int dead_letter(eddy_exec_t *x, const eddy_plan_node_t *node, int code, const char *why,
                       eddy_error_t **err) {
  const rd_kafka_message_t *m = x->msg;
  rd_kafka_headers_t *h = dead_letter_headers(x, node, code, why);
  int rc = m == NULL ? dead_row(x, h, err)
                     : eddy__produce(x, x->env.dlq_topic, m->key, m->key_len, m->payload, m->len,
                                     rd_kafka_message_timestamp(m, NULL), h, err);
  if (rc == 0)
    atomic_fetch_add_explicit(&x->env.counters->dlq, 1, memory_order_relaxed);
  return rc;
}

/* An emitted row (no consumed record behind it) failed under skip or fail. */
static int emitted_row_failed(eddy_exec_t *x, const eddy_plan_node_t *node, int code,
                              const char *why, eddy_error_t **err) {
  if (x->source->on_error == EDDY_ON_ERROR_SKIP) {
    atomic_fetch_add_explicit(&x->env.counters->skipped, 1, memory_order_relaxed);
    eddy_log(x->env.log, EDDY_LOG_DEBUG, "exec", "skipped a row emitted by %s: %s", node->name,
             why);
    return 0;
  }
  return eddy_error_set(err, code, "a row emitted into %s failed: %s (source '%s' has "
                        "`on error fail`)", node->name, why, x->source->name);
}

int eddy__exec_fail(eddy_exec_t *x, const eddy_plan_node_t *node, int code, const char *why,
                    eddy_error_t **err) {
  const rd_kafka_message_t *m = x->msg;
  if (m == NULL && x->source->on_error != EDDY_ON_ERROR_DLQ)
    return emitted_row_failed(x, node, code, why, err);
  switch (x->source->on_error) {
  case EDDY_ON_ERROR_SKIP:
    atomic_fetch_add_explicit(&x->env.counters->skipped, 1, memory_order_relaxed);
    eddy_log(x->env.log, EDDY_LOG_DEBUG, "exec", "skipped %s [%" PRId32 "] @%" PRId64 " in %s: %s",
             rd_kafka_topic_name(m->rkt), m->partition, m->offset, node->name, why);
    return 0;
  case EDDY_ON_ERROR_FAIL:
    return eddy_error_set(err, code,
                          "%s [%" PRId32 "] @%" PRId64 " failed in %s: %s (source '%s' has "
                          "`on error %s`)",
                          rd_kafka_topic_name(m->rkt), m->partition, m->offset, node->name, why,
                          x->source->name, policy_name(x->source->on_error));
  case EDDY_ON_ERROR_DLQ:
    break;
  }
  return dead_letter(x, node, code, why, err);
}
