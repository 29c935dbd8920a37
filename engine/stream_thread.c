/*
 * A stream thread: consume a batch, run it through the executor, and at
 * every commit interval make the batch's effects durable in order:
 *
 *   1. flush the producer: every output and dead letter is acknowledged
 *   2. only then commit the consumed positions
 *
 * so a crash between 1 and 2 re-processes records (at-least-once) but never
 * loses them. A rebalance commits the same way before partitions are revoked.
 */
#include <inttypes.h>
#include <string.h>

#include "engine/app_int.h"
#include "engine/util.h"

#define FLUSH_TIMEOUT_MS 60000

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  eddy_stream_thread_t *t = ((eddy_kafka_ctx_t *)opaque)->owner;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return;
  if (atomic_fetch_add(&t->delivery_failures, 1) == 0)
    snprintf(t->delivery_error, sizeof(t->delivery_error), "delivery to '%s' failed: %s",
             rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

static int commit_positions(eddy_stream_thread_t *t, eddy_error_t **err);

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  eddy_stream_thread_t *t = ((eddy_kafka_ctx_t *)opaque)->owner;
  eddy_app_t *app = t->app;
  if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    eddy_log(&app->log, EDDY_LOG_INFO, "thread", "%s/%d: assigned %d partition(s)", app->app_id,
             t->index, parts->cnt);
    rd_kafka_assign(rk, parts);
    return;
  }
  eddy_log(&app->log, EDDY_LOG_INFO, "thread", "%s/%d: revoking %d partition(s)", app->app_id,
           t->index, parts->cnt);
  eddy_error_t *cerr = NULL;
  if (commit_positions(t, &cerr) != 0 && t->rc == 0) {
    t->rc = cerr ? cerr->code : EDDY_EKAFKA;
    t->err = cerr;
    cerr = NULL;
    atomic_store(&app->stop, true);
  }
  eddy_error_destroy(cerr);
  rd_kafka_assign(rk, NULL);
}

int eddy__thread_init(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy_app_t *app = t->app;
  atomic_store(&t->lag, -1);
  t->kafka_ctx.log = &app->log;
  t->kafka_ctx.owner = t;
  rd_kafka_conf_t *cc = eddy_kafka_conf(&app->conf, EDDY_CLIENT_CONSUMER, &t->kafka_ctx, err);
  if (cc == NULL || eddy_kafka_conf_set(cc, "group.id", app->app_id, err) != 0)
    goto fail_conf;
  char client_id[256];
  snprintf(client_id, sizeof(client_id), "%s-thread-%d", app->app_id, t->index);
  if (eddy_kafka_conf_set(cc, "client.id", client_id, err) != 0)
    goto fail_conf;
  rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
  t->consumer = eddy_kafka_new(cc, EDDY_CLIENT_CONSUMER, err);
  if (t->consumer == NULL)
    return EDDY_EKAFKA;

  rd_kafka_conf_t *pc = eddy_kafka_conf(&app->conf, EDDY_CLIENT_PRODUCER, &t->kafka_ctx, err);
  if (pc == NULL)
    return EDDY_ECONFIG;
  rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
  t->producer = eddy_kafka_new(pc, EDDY_CLIENT_PRODUCER, err);
  if (t->producer == NULL)
    return EDDY_EKAFKA;

  eddy_exec_env_t env = {.app_id = app->app_id, .dlq_topic = app->dlq_topic,
                         .producer = t->producer, .log = &app->log, .counters = &app->counters};
  return eddy_exec_new(&t->exec, app->plan, &env, err);

fail_conf:
  if (cc != NULL)
    rd_kafka_conf_destroy(cc);
  return EDDY_ECONFIG;
}

void eddy__thread_free(eddy_stream_thread_t *t) {
  eddy_exec_destroy(t->exec);
  t->exec = NULL;
  if (t->consumer != NULL)
    rd_kafka_destroy(t->consumer);
  if (t->producer != NULL)
    rd_kafka_destroy(t->producer);
  t->consumer = t->producer = NULL;
  eddy_error_destroy(t->err);
  t->err = NULL;
}

static long long compute_lag(eddy_stream_thread_t *t, const rd_kafka_topic_partition_list_t *pos) {
  long long lag = 0;
  for (int i = 0; i < pos->cnt; i++) {
    int64_t lo, hi;
    const rd_kafka_topic_partition_t *p = &pos->elems[i];
    if (rd_kafka_get_watermark_offsets(t->consumer, p->topic, p->partition, &lo, &hi) != 0 ||
        hi < 0)
      continue;
    int64_t at = p->offset >= 0 ? p->offset : lo;
    if (hi > at)
      lag += hi - at;
  }
  return lag;
}

/*
 * A commit refused because the group is rebalancing (or this member's
 * generation just ended) is not a failure: nothing is lost, the positions
 * stay uncommitted and the next commit, or the revoke callback, retries.
 */
static bool commit_retriable(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR__NO_OFFSET || e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
         e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
         e == RD_KAFKA_RESP_ERR__WAIT_COORD || e == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
         e == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || e == RD_KAFKA_RESP_ERR__TRANSPORT ||
         e == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || e == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

/* Flush outputs, then commit what was consumed: the at-least-once order. */
static int commit_positions(eddy_stream_thread_t *t, eddy_error_t **err) {
  rd_kafka_resp_err_t e = rd_kafka_flush(t->producer, FLUSH_TIMEOUT_MS);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_kafka_error(err, e, "flushing outputs before commit");
  if (atomic_load(&t->delivery_failures) > 0)
    return eddy_error_set(err, EDDY_EKAFKA, "%s; not committing, so the records will be "
                          "processed again after a restart", t->delivery_error);
  rd_kafka_topic_partition_list_t *pos = NULL;
  e = rd_kafka_assignment(t->consumer, &pos);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && pos->cnt > 0)
    e = rd_kafka_position(t->consumer, pos);
  int rc = 0;
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && pos->cnt > 0) {
    atomic_store(&t->lag, compute_lag(t, pos));
    rd_kafka_topic_partition_list_t *commit = rd_kafka_topic_partition_list_new(pos->cnt);
    for (int i = 0; i < pos->cnt; i++)
      if (pos->elems[i].offset >= 0)
        rd_kafka_topic_partition_list_add(commit, pos->elems[i].topic, pos->elems[i].partition)
            ->offset = pos->elems[i].offset;
    if (commit->cnt > 0) {
      e = rd_kafka_commit(t->consumer, commit, 0);
      if (commit_retriable(e))
        eddy_log(&t->app->log, EDDY_LOG_INFO, "thread", "%s/%d: commit deferred: %s",
                 t->app->app_id, t->index, rd_kafka_err2str(e));
      else if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        rc = eddy_kafka_error(err, e, "committing offsets");
    }
    rd_kafka_topic_partition_list_destroy(commit);
  } else if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rc = eddy_kafka_error(err, e, "reading positions");
  } else {
    atomic_store(&t->lag, 0);
  }
  if (pos != NULL)
    rd_kafka_topic_partition_list_destroy(pos);
  t->last_commit_us = eddy_clock_monotonic_us();
  return rc;
}

static int subscribe(eddy_stream_thread_t *t, eddy_error_t **err) {
  const eddy_plan_t *plan = t->app->plan;
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    for (uint32_t j = 0; j < plan->sources[i].topic_cnt; j++)
      rd_kafka_topic_partition_list_add(topics, plan->sources[i].topics[j], RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(t->consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_kafka_error(err, e, "subscribing to the source topics");
  rd_kafka_poll_set_consumer(t->consumer);
  return 0;
}

/* A consumer error event (not a record). Only a few are fatal. */
static int consumer_event(eddy_stream_thread_t *t, const rd_kafka_message_t *m, eddy_error_t **err) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
    return 0;
  const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
  if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
      m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
    eddy_log(&t->app->log, EDDY_LOG_WARN, "thread", "source topic '%s' does not exist yet", topic);
    return 0;
  }
  if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
    char reason[512];
    rd_kafka_fatal_error(t->consumer, reason, sizeof(reason));
    return eddy_error_set(err, EDDY_EKAFKA, "fatal consumer error: %s", reason);
  }
  eddy_log(&t->app->log, EDDY_LOG_WARN, "thread", "consumer: %s %s", topic,
           rd_kafka_message_errstr(m));
  return 0;
}

static int process_batch(eddy_stream_thread_t *t, rd_kafka_queue_t *q, rd_kafka_message_t **msgs,
                         size_t max, eddy_error_t **err) {
  ssize_t n = rd_kafka_consume_batch_queue(q, (int)t->app->conf.poll_ms, msgs, max);
  if (n < 0)
    return eddy_kafka_error(err, rd_kafka_last_error(), "consuming");
  int rc = 0;
  eddy_exec_batch_begin(t->exec);
  for (ssize_t i = 0; i < n; i++) {
    if (rc == 0)
      rc = msgs[i]->err ? consumer_event(t, msgs[i], err) : eddy_exec_process(t->exec, msgs[i], err);
  }
  if (rc == 0)
    rc = eddy_exec_batch_end(t->exec, err);
  for (ssize_t i = 0; i < n; i++)
    rd_kafka_message_destroy(msgs[i]);
  rd_kafka_poll(t->producer, 0);
  return rc;
}

static int run_loop(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy_app_t *app = t->app;
  size_t max = (size_t)(app->conf.batch_max_records > 0 ? app->conf.batch_max_records : 1000);
  rd_kafka_message_t **msgs = eddy_malloc(max * sizeof(*msgs));
  if (msgs == NULL)
    return EDDY_ENOMEM;
  rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(t->consumer);
  int64_t interval = app->conf.commit_interval_ms * EDDY_MSEC;
  t->last_commit_us = eddy_clock_monotonic_us();
  int rc = 0;
  while (rc == 0 && !atomic_load(&app->stop)) {
    rc = process_batch(t, q, msgs, max, err);
    if (rc == 0 && eddy_clock_monotonic_us() - t->last_commit_us >= interval)
      rc = commit_positions(t, err);
  }
  if (rc == 0)
    rc = commit_positions(t, err);
  rd_kafka_queue_destroy(q);
  eddy_free(msgs);
  return rc;
}

void *eddy__thread_main(void *arg) {
  eddy_stream_thread_t *t = arg;
  eddy_app_t *app = t->app;
  eddy_error_t *err = NULL;
  int rc = subscribe(t, &err);
  if (rc == 0)
    rc = run_loop(t, &err);
  if (rc != 0) {
    eddy_log(&app->log, EDDY_LOG_ERROR, "thread", "%s/%d: stopping: %s", app->app_id, t->index,
             eddy_error_msg(err));
    atomic_store(&app->stop, true); /* one thread failing stops the application */
  }
  /* close leaves the group cleanly; the revoke callback commits (already done) */
  rd_kafka_consumer_close(t->consumer);
  if (t->rc == 0) {
    t->rc = rc;
    t->err = err;
  } else {
    eddy_error_destroy(err);
  }
  atomic_fetch_sub(&app->running, 1);
  return NULL;
}
