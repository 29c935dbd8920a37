/* The executor: decode at the source, push through the plan's nodes. */
#include "operators/exec_int.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "engine/util.h"

/* The runtime names of the sources' topics (internal ones carry the running app id). */
static int source_topics(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  uint32_t total = 0;
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    total += plan->sources[i].topic_cnt;
  x->source_topics = eddy_calloc(total + 1, sizeof(char *));
  x->source_topic_first = eddy_calloc(plan->source_cnt + 1, sizeof(uint32_t));
  if (x->source_topics == NULL || x->source_topic_first == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  uint32_t k = 0;
  for (uint32_t i = 0; i < plan->source_cnt; i++) {
    x->source_topic_first[i] = k;
    for (uint32_t t = 0; t < plan->sources[i].topic_cnt; t++) {
      char name[512];
      if (eddy_plan_source_topic(name, sizeof(name), &plan->sources[i], t, x->env.app_id) != 0)
        return eddy_error_set(err, EDDY_ERANGE, "%s: topic name too long", plan->sources[i].name);
      if ((x->source_topics[k++] = eddy_strdup(name)) == NULL)
        return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
    }
  }
  return 0;
}

int eddy_exec_new(eddy_exec_t **out, const eddy_plan_t *plan, const eddy_exec_env_t *env,
                  eddy_error_t **err) {
  *out = NULL;
  eddy_exec_t *x = eddy_calloc(1, sizeof(*x));
  if (x == NULL)
    return EDDY_ENOMEM;
  x->plan = plan;
  x->env = *env;
  x->arena = eddy_arena_new(256 * 1024);
  x->decoders = eddy_calloc(plan->source_cnt ? plan->source_cnt : 1, sizeof(*x->decoders));
  if (x->arena == NULL || x->decoders == NULL) {
    eddy_exec_destroy(x);
    return EDDY_ENOMEM;
  }
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < plan->source_cnt; i++)
    if (!eddy__exec_source_is_avro(&plan->sources[i]))
      rc = eddy_decoder_new(&x->decoders[i], &plan->sources[i].decode, err);
  rc = rc == 0 ? eddy__exec_avro_new(x, err) : rc;
  rc = rc == 0 ? source_topics(x, err) : rc;
  rc = rc == 0 ? eddy__exec_state_new(x, err) : rc;
  if (rc != 0) {
    eddy_exec_destroy(x);
    return rc;
  }
  *out = x;
  return 0;
}

void eddy_exec_destroy(eddy_exec_t *x) {
  if (x == NULL)
    return;
  if (x->decoders != NULL)
    for (uint32_t i = 0; i < x->plan->source_cnt; i++)
      eddy_decoder_destroy(x->decoders[i]);
  eddy_free(x->decoders);
  eddy__exec_avro_destroy(x);
  eddy__exec_state_destroy(x);
  for (uint32_t i = 0; x->source_topics != NULL && x->source_topics[i] != NULL; i++)
    eddy_free(x->source_topics[i]);
  eddy_free(x->source_topics);
  eddy_free(x->source_topic_first);
  eddy_arena_destroy(x->arena);
  eddy_buf_free(&x->value_buf);
  eddy_buf_free(&x->key_buf);
  eddy_buf_free(&x->stdout_buf);
  eddy_free(x);
}

void eddy_exec_batch_begin(eddy_exec_t *x) {
  eddy_arena_reset(x->arena);
  x->now_us = eddy_clock_wall_us();
}

int eddy_exec_batch_end(eddy_exec_t *x, eddy_error_t **err) {
  if (x->stdout_buf.len == 0)
    return 0;
  /* one write per batch keeps lines of concurrent threads whole */
  flockfile(stdout);
  size_t w = fwrite(x->stdout_buf.p, 1, x->stdout_buf.len, stdout);
  fflush(stdout);
  funlockfile(stdout);
  int rc = w == x->stdout_buf.len ? 0 : eddy_error_set(err, EDDY_EIO, "cannot write to stdout");
  eddy_buf_clear(&x->stdout_buf);
  return rc;
}

static int process_in_task(eddy_exec_t *x, const eddy_plan_source_t *s, const eddy_row_t *row,
                           eddy_error_t **err);

static const eddy_plan_source_t *find_source(eddy_exec_t *x, const rd_kafka_message_t *msg) {
  if ((const void *)msg->rkt == x->last_topic)
    return x->last_source;
  const char *topic = rd_kafka_topic_name(msg->rkt);
  for (uint32_t i = 0; i < x->plan->source_cnt; i++) {
    const eddy_plan_source_t *s = &x->plan->sources[i];
    for (uint32_t t = 0; t < s->topic_cnt; t++)
      if (strcmp(x->source_topics[x->source_topic_first[i] + t], topic) == 0) {
        x->last_topic = msg->rkt;
        x->last_source = s;
        return s;
      }
  }
  return NULL;
}

/* The record's key as a string value: Kafka keys are bytes; eddy reads them as text. */
static eddy_value_t message_key(const rd_kafka_message_t *msg) {
  if (msg->key == NULL)
    return eddy_null();
  return eddy_string(msg->key, msg->key_len);
}

static int source_row(eddy_exec_t *x, const eddy_plan_source_t *s, eddy_row_t *row,
                      eddy_error_t **err) {
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  if (s->key != NULL) {
    int rc = eddy_expr_eval(s->key, &ctx, &row->key, err);
    if (rc != 0)
      return rc;
  }
  if (s->event_time != NULL) {
    eddy_value_t t;
    int rc = eddy_expr_eval(s->event_time, &ctx, &t, err);
    if (rc != 0)
      return rc;
    /* a null event time (e.g. a delete's after.*) falls back to the record timestamp */
    if (t.kind == EDDY_T_TIMESTAMP)
      row->ts = t.u.i;
  }
  return 0;
}

int eddy_exec_process(eddy_exec_t *x, const rd_kafka_message_t *msg, eddy_error_t **err) {
  const eddy_plan_source_t *s = find_source(x, msg);
  if (s == NULL)
    return 0; /* a topic no source reads: cannot happen with our subscriptions */
  x->msg = msg;
  x->source = s;
  const eddy_plan_node_t *node = s->node;
  uint32_t idx = (uint32_t)(s - x->plan->sources);
  eddy_row_t row = {.layout = s->decode.layout, .key = message_key(msg), .origin = msg};
  int64_t ts_ms = rd_kafka_message_timestamp(msg, NULL);
  row.ts = ts_ms >= 0 ? ts_ms * EDDY_MSEC : x->now_us;
  row.vals = eddy_arena_calloc(x->arena, s->decode.layout->cnt ? s->decode.layout->cnt : 1,
                               sizeof(eddy_value_t));
  if (row.vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory decoding a record");

  eddy_error_t *why = NULL;
  int rc = eddy__exec_decode(x, idx, msg, row.vals, &why);
  if (rc == EDDY_EXEC_RETRY || rc == EDDY_EIO || rc == EDDY_ETIMEOUT) {
    /* the registry, not the record: nothing happened, the caller retries or stops */
    if (err != NULL && *err == NULL)
      *err = why;
    else
      eddy_error_destroy(why);
    return rc;
  }
  atomic_fetch_add_explicit(&x->env.counters->records_in, 1, memory_order_relaxed);
  if (rc == EDDY_ENOENT) {
    atomic_fetch_add_explicit(&x->env.counters->tombstones, 1, memory_order_relaxed);
    if (!eddy__source_feeds_table(s))
      return 0;
    row.tombstone = true;   /* a table's tombstone deletes its key */
    return process_in_task(x, s, &row, err);
  }
  if (rc == 0)
    rc = source_row(x, s, &row, &why);
  if (rc != 0) {
    atomic_fetch_add_explicit(&x->env.counters->decode_errors, 1, memory_order_relaxed);
    rc = eddy__exec_fail(x, node, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
    return rc;
  }
  if (x->subs[s->subtopology].store_cnt == 0 && x->subs[s->subtopology].join_cnt == 0)
    return eddy__exec_forward(x, node, &row, err);
  return process_in_task(x, s, &row, err);
}

/* A record of a stateful subtopology: its task's stream time, then the nodes,
 * then whatever closed. */
static int process_in_task(eddy_exec_t *x, const eddy_plan_source_t *s, const eddy_row_t *row,
                           eddy_error_t **err) {
  eddy_task_t *t = eddy__exec_task(x, s->subtopology, x->msg->partition);
  if (t == NULL || !t->restored)
    return eddy_error_set(err, EDDY_ESTATE, "%s [%d]: a record arrived before its task's state "
                          "was restored", rd_kafka_topic_name(x->msg->rkt), (int)x->msg->partition);
  eddy__task_observe(x, t, row->ts);
  x->task = t;
  int rc = eddy__exec_forward(x, s->node, row, err);
  if (rc == 0)
    rc = eddy__task_advance(x, t, err);
  x->task = NULL;
  return rc;
}

int eddy__exec_forward(eddy_exec_t *x, const eddy_plan_node_t *node, const eddy_row_t *row,
                       eddy_error_t **err) {
  for (uint32_t i = 0; i < node->next_cnt; i++) {
    int rc = eddy__exec_push(x, node->next[i], row, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__exec_push(eddy_exec_t *x, const eddy_plan_node_t *node, const eddy_row_t *row,
                    eddy_error_t **err) {
  switch (node->kind) {
  case EDDY_NODE_SOURCE: return eddy__exec_forward(x, node, row, err);
  case EDDY_NODE_WHERE: return eddy__op_where(x, node, row, err);
  case EDDY_NODE_SELECT: return eddy__op_select(x, node, row, err);
  case EDDY_NODE_FLATTEN: return eddy__op_flatten(x, node, row, err);
  case EDDY_NODE_KEY_BY: return eddy__op_key_by(x, node, row, err);
  case EDDY_NODE_CHECK: return eddy__op_check(x, node, row, err);
  case EDDY_NODE_SINK_KAFKA: return eddy__sink_kafka(x, node, row, err);
  case EDDY_NODE_SINK_STDOUT: return eddy__sink_stdout(x, node, row, err);
  case EDDY_NODE_SINK_POSTGRES: return eddy__sink_postgres(x, node, row, err);
  case EDDY_NODE_REPARTITION: return eddy__op_repartition(x, node, row, err);
  case EDDY_NODE_AGGREGATE: return eddy__op_aggregate(x, node, row, err);
  case EDDY_NODE_TABLE: return eddy__op_table(x, node, row, err);
  case EDDY_NODE_JOIN: return eddy__op_join(x, node, row, err);
  case EDDY_NODE_OVER:
  case EDDY_NODE_DEDUPE:
  case EDDY_NODE_CHANGES: return eddy__op_keyed(x, node, row, err);
  default:
    return eddy_error_set(err, EDDY_ESTATE, "%s: operator not supported by this runtime",
                          node->name);
  }
}
