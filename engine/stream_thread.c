/*
 * A stream thread: consume a batch, run it through the executor, and at
 * every commit interval make the batch's effects durable in order:
 *
 *   1. flush the stores of every task (changelog records, emit changes)
 *   2. flush the producer: every output, dead letter and changelog record
 *      is acknowledged
 *   3. commit every store with the changelog offset it reached, and write
 *      the tasks' checkpoints
 *   4. only then commit the consumed positions
 *
 * so a crash anywhere re-processes records (at-least-once) but never loses
 * them. A rebalance commits the same way before partitions are revoked.
 *
 * Partitions of stateful sub-topologies get a task each when assigned; they
 * stay paused until the thread has restored the tasks' stores from their
 * changelogs, at the top of its loop.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "engine/app_int.h"
#include "engine/util.h"

#define FLUSH_TIMEOUT_MS 60000
#define STARTUP_WAIT_US (10 * EDDY_SEC)   /* longest wait for the other threads to join */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  eddy_stream_thread_t *t = ((eddy_kafka_ctx_t *)opaque)->owner;
  if (m->_private != NULL) {
    eddy_delivery_dispatch(rk, m, opaque);   /* a changelog record: its writer checks it */
    return;
  }
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return;
  if (atomic_fetch_add(&t->delivery_failures, 1) == 0)
    snprintf(t->delivery_error, sizeof(t->delivery_error), "delivery to '%s' failed: %s",
             rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

static int commit_positions(eddy_stream_thread_t *t, eddy_error_t **err);

/* A failure inside a callback: keep the first, stop the application. */
static void fail_thread(eddy_stream_thread_t *t, int rc, eddy_error_t *cerr) {
  if (t->rc == 0) {
    t->rc = rc;
    t->err = cerr;
    cerr = NULL;
  }
  eddy_error_destroy(cerr);
  atomic_store(&t->app->stop, true);
}

/* The subtopology reading \p topic under the running app id, or UINT32_MAX. */
static uint32_t topic_subtopology(const eddy_app_t *app, const char *topic) {
  const eddy_plan_t *plan = app->plan;
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    for (uint32_t j = 0; j < plan->sources[i].topic_cnt; j++) {
      char name[512];
      if (eddy_plan_source_topic(name, sizeof(name), &plan->sources[i], j, app->app_id) == 0 &&
          strcmp(name, topic) == 0)
        return plan->sources[i].subtopology;
    }
  return UINT32_MAX;
}

/*
 * Open a task per stateful partition, and pause what must wait: the
 * stateful partitions until their tasks are restored, and at start-up every
 * partition until all threads of the application have joined the group. A
 * thread joining late makes the others give their partitions back, and
 * some brokers (the embedded one) refuse the commits made then: work done
 * before it would be done again, and counted twice by aggregates.
 */
static int open_tasks(eddy_stream_thread_t *t, const rd_kafka_topic_partition_list_t *parts,
                      eddy_error_t **err) {
  eddy_app_t *app = t->app;
  if (!t->joined) {
    t->joined = true;
    atomic_fetch_add(&app->joined_group, 1);
  }
  bool hold_all = atomic_load(&app->joined_group) < app->thread_cnt && !t->startup_over;
  rd_kafka_topic_partition_list_t *paused = rd_kafka_topic_partition_list_new(parts->cnt);
  int rc = 0;
  for (int i = 0; rc == 0 && i < parts->cnt; i++) {
    uint32_t sub = topic_subtopology(app, parts->elems[i].topic);
    bool stateful = sub != UINT32_MAX && eddy_plan_subtopology_stateful(app->plan, sub);
    if (stateful)
      rc = eddy_exec_task_open(t->exec, sub, parts->elems[i].partition, err);
    if (stateful || hold_all)
      rd_kafka_topic_partition_list_add(paused, parts->elems[i].topic, parts->elems[i].partition);
  }
  if (rc == 0 && paused->cnt > 0) {
    rd_kafka_pause_partitions(t->consumer, paused);
    if (t->paused != NULL)
      rd_kafka_topic_partition_list_destroy(t->paused);
    t->paused = paused;
    return 0;
  }
  rd_kafka_topic_partition_list_destroy(paused);
  return rc;
}

/* Let the held partitions flow once their tasks are restored and every thread has joined
 * (or start-up has taken long enough). */
static void resume_when_ready(eddy_stream_thread_t *t) {
  eddy_app_t *app = t->app;
  if (t->paused == NULL || eddy_exec_restore_pending(t->exec))
    return;
  if (!t->startup_over)
    t->startup_over = atomic_load(&app->joined_group) >= app->thread_cnt ||
                      eddy_clock_monotonic_us() - t->start_us > STARTUP_WAIT_US;
  if (!t->startup_over)
    return;
  rd_kafka_resume_partitions(t->consumer, t->paused);
  rd_kafka_topic_partition_list_destroy(t->paused);
  t->paused = NULL;
}

/* Nothing of ours may stay in flight once the tasks' changelog writers go. */
static void drain_producer(eddy_stream_thread_t *t) {
  if (rd_kafka_outq_len(t->producer) == 0)
    return;
  rd_kafka_purge(t->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(t->producer, 5000);
}

static void close_tasks(eddy_stream_thread_t *t) {
  drain_producer(t);
  eddy_exec_tasks_close(t->exec);
  if (t->paused != NULL) {
    /* a pause outlives the assignment in librdkafka: lift it, or the
     * partitions would stay paused when they come back */
    rd_kafka_resume_partitions(t->consumer, t->paused);
    rd_kafka_topic_partition_list_destroy(t->paused);
  }
  t->paused = NULL;
}

int eddy__thread_reopen_tasks(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy__retry_clear(t);
  close_tasks(t);
  rd_kafka_topic_partition_list_t *parts = NULL;
  rd_kafka_resp_err_t e = rd_kafka_assignment(t->consumer, &parts);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_kafka_error(err, e, "reading the assignment");
  int rc = open_tasks(t, parts, err);
  rd_kafka_topic_partition_list_destroy(parts);
  return rc;
}

static void forget_committed(eddy_stream_thread_t *t) {
  if (t->committed_at_assign != NULL)
    rd_kafka_topic_partition_list_destroy(t->committed_at_assign);
  t->committed_at_assign = NULL;
}

/*
 * The group's committed offsets of the partitions just assigned: the lag of a
 * partition counts from there until a record of it is read (the consumer has
 * no position before; a partition with nothing new never has one).
 */
static void remember_committed(eddy_stream_thread_t *t,
                               const rd_kafka_topic_partition_list_t *parts) {
  forget_committed(t);
  rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
  if (rd_kafka_committed(t->consumer, c, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
    t->committed_at_assign = c;
  else
    rd_kafka_topic_partition_list_destroy(c);   /* the lag counts from the start, then */
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  eddy_stream_thread_t *t = ((eddy_kafka_ctx_t *)opaque)->owner;
  eddy_app_t *app = t->app;
  eddy_error_t *cerr = NULL;
  if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    eddy_log(&app->log, EDDY_LOG_INFO, "thread", "%s/%d: assigned %d partition(s)", app->app_id,
             t->index, parts->cnt);
    remember_committed(t, parts);
    rd_kafka_assign(rk, parts);
    int rc = open_tasks(t, parts, &cerr);
    if (rc != 0)
      fail_thread(t, rc, cerr);
    return;
  }
  eddy_log(&app->log, EDDY_LOG_INFO, "thread", "%s/%d: revoking %d partition(s)", app->app_id,
           t->index, parts->cnt);
  int rc = eddy__txn_enabled(t) ? eddy__txn_commit(t, true, &cerr) : commit_positions(t, &cerr);
  if (rc != 0)
    fail_thread(t, rc, cerr);
  eddy__retry_clear(t);
  close_tasks(t);
  forget_committed(t);
  rd_kafka_assign(rk, NULL);
}

static int make_producer(eddy_stream_thread_t *t, eddy_error_t **err) {
  rd_kafka_conf_t *pc = eddy_kafka_conf(&t->app->conf, EDDY_CLIENT_PRODUCER, &t->kafka_ctx, err);
  if (pc == NULL)
    return EDDY_ECONFIG;
  if (eddy__txn_configure(t, NULL, pc, err) != 0) {
    rd_kafka_conf_destroy(pc);
    return EDDY_ECONFIG;
  }
  rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
  t->producer = eddy_kafka_new(pc, EDDY_CLIENT_PRODUCER, err);
  return t->producer == NULL ? EDDY_EKAFKA : 0;
}

/*
 * exactly_once_v2: the producer is fenced or failed for good. Drop what the
 * tasks hold since their last commit, close them (their changelog writers
 * use the old producer), and make a new producer with the same
 * transactional id; the caller initialises its transactions and reopens.
 */
int eddy__thread_replace_producer(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy_exec_abort(t->exec);
  close_tasks(t);
  rd_kafka_destroy(t->producer);
  t->producer = NULL;
  atomic_store(&t->delivery_failures, 0);
  int rc = make_producer(t, err);
  if (rc == 0)
    eddy_exec_set_producer(t->exec, t->producer);
  return rc;
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
  if (eddy_kafka_conf_set(cc, "client.id", client_id, err) != 0 ||
      eddy__txn_configure(t, cc, NULL, err) != 0)
    goto fail_conf;
  rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
  t->consumer = eddy_kafka_new(cc, EDDY_CLIENT_CONSUMER, err);
  if (t->consumer == NULL)
    return EDDY_EKAFKA;

  int rc = make_producer(t, err);
  if (rc != 0)
    return rc;

  eddy_exec_env_t env = {.app_id = app->app_id, .dlq_topic = app->dlq_topic,
                         .producer = t->producer, .log = &app->log, .counters = &app->counters,
                         .state = app->state, .state_dir = app->conf.state_dir,
                         .late_topic = app->conf.late_records_topic,
                         .idle_advance_us = app->conf.window_idle_advance_ms * EDDY_MSEC,
                         .checkpoint_us = app->conf.state_checkpoint_interval_ms > 0
                                              ? app->conf.state_checkpoint_interval_ms * EDDY_MSEC
                                              : -1,
                         .registry = app->registry,
                         .commit_request = eddy__txn_enabled(t) ? &t->commit_request : NULL};
  rc = eddy_exec_new(&t->exec, app->plan, &env, err);
  return rc == 0 ? eddy__pg_sink_new(&t->pg_sink, t, err) : rc;

fail_conf:
  if (cc != NULL)
    rd_kafka_conf_destroy(cc);
  return EDDY_ECONFIG;
}

void eddy__thread_free(eddy_stream_thread_t *t) {
  if (t->producer != NULL && t->exec != NULL)
    close_tasks(t);
  eddy__retry_clear(t);
  forget_committed(t);
  eddy__pg_sink_destroy(t->pg_sink);
  t->pg_sink = NULL;
  eddy__txn_free(t);
  eddy_exec_destroy(t->exec);
  t->exec = NULL;
  if (t->restorer != NULL)
    rd_kafka_destroy(t->restorer);
  t->restorer = NULL;
  if (t->global_consumer != NULL)
    rd_kafka_destroy(t->global_consumer);
  t->global_consumer = NULL;
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
    int64_t at = p->offset;
    if (at < 0 && t->committed_at_assign != NULL) {
      const rd_kafka_topic_partition_t *c =
          rd_kafka_topic_partition_list_find(t->committed_at_assign, p->topic, p->partition);
      at = c != NULL ? c->offset : at;
    }
    at = at >= 0 ? at : lo;
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

/* Stores, then outputs, then the stores' commit: everything a commit covers is durable. */
static int flush_state_and_outputs(eddy_stream_thread_t *t, eddy_error_t **err) {
  int rc = eddy_exec_flush(t->exec, err);
  rc = rc == 0 ? eddy_exec_batch_end(t->exec, err) : rc;   /* what emit changes printed */
  if (rc != 0)
    return rc;
  rd_kafka_resp_err_t e = rd_kafka_flush(t->producer, FLUSH_TIMEOUT_MS);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    rc = eddy_kafka_error(err, e, "flushing outputs before commit");
  else if (atomic_load(&t->delivery_failures) > 0)
    rc = eddy_error_set(err, EDDY_EKAFKA, "%s; not committing, so the records will be "
                        "processed again after a restart", t->delivery_error);
  else
    rc = eddy_exec_commit(t->exec, err);
  if (rc != 0)
    eddy_exec_abort(t->exec);
  return rc;
}

int eddy__thread_positions(eddy_stream_thread_t *t, rd_kafka_topic_partition_list_t **out,
                           eddy_error_t **err) {
  *out = NULL;
  rd_kafka_topic_partition_list_t *pos = NULL;
  rd_kafka_resp_err_t e = rd_kafka_assignment(t->consumer, &pos);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && pos->cnt > 0)
    e = rd_kafka_position(t->consumer, pos);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (pos != NULL)
      rd_kafka_topic_partition_list_destroy(pos);
    return eddy_kafka_error(err, e, "reading positions");
  }
  rd_kafka_topic_partition_list_t *commit = rd_kafka_topic_partition_list_new(pos->cnt);
  if (pos->cnt > 0) {
    eddy__retry_positions(t, pos);
    atomic_store(&t->lag, compute_lag(t, pos));
  } else {
    atomic_store(&t->lag, 0);
  }
  for (int i = 0; i < pos->cnt; i++)
    if (pos->elems[i].offset >= 0)
      rd_kafka_topic_partition_list_add(commit, pos->elems[i].topic, pos->elems[i].partition)
          ->offset = pos->elems[i].offset;
  rd_kafka_topic_partition_list_destroy(pos);
  *out = commit;
  return 0;
}

void eddy__thread_commit_group(eddy_stream_thread_t *t, const rd_kafka_topic_partition_list_t *l,
                               rd_kafka_resp_err_t *out) {
  rd_kafka_resp_err_t e = l->cnt > 0 ? rd_kafka_commit(t->consumer, l, 0) : 0;
  if (commit_retriable(e)) {
    eddy_log(&t->app->log, EDDY_LOG_INFO, "thread", "%s/%d: commit deferred: %s",
             t->app->app_id, t->index, rd_kafka_err2str(e));
    e = RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  *out = e;
}

/* Flush outputs, then commit what was consumed: the at-least-once order. */
static int commit_positions(eddy_stream_thread_t *t, eddy_error_t **err) {
  if (eddy__txn_enabled(t))
    return eddy__txn_commit(t, false, err);   /* exactly_once_v2: engine/txn.c */
  int rc = flush_state_and_outputs(t, err);
  if (rc != 0)
    return rc;
  rd_kafka_topic_partition_list_t *commit = NULL;
  rc = eddy__thread_positions(t, &commit, err);
  if (rc == 0) {
    rd_kafka_resp_err_t e;
    eddy__thread_commit_group(t, commit, &e);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      rc = eddy_kafka_error(err, e, "committing offsets");
    rd_kafka_topic_partition_list_destroy(commit);
  }
  t->last_commit_us = eddy_clock_monotonic_us();
  if (rc == 0)
    atomic_fetch_add(&t->app->counters.commits, 1);
  return rc;
}

static int subscribe(eddy_stream_thread_t *t, eddy_error_t **err) {
  const eddy_plan_t *plan = t->app->plan;
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    for (uint32_t j = 0; j < plan->sources[i].topic_cnt && !plan->sources[i].global; j++) {
      char name[512];
      if (eddy_plan_source_topic(name, sizeof(name), &plan->sources[i], j, t->app->app_id) == 0)
        rd_kafka_topic_partition_list_add(topics, name, RD_KAFKA_PARTITION_UA);
    }
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

/*
 * librdkafka 2.0 stops fetching while the consumer queue holds more than
 * queued.min.messages or queued.max.messages.kbytes, and its fetcher looks
 * again only when a response or an operation wakes it, or after a fixed
 * second (2.1 made that fetch.queue.backoff.ms). A thread that drains the
 * queue faster would idle most of that second: benchmarks/windowed ran at
 * 70,000 instead of 120,000 events/s. So when the queue runs dry while data
 * was flowing, ask the partitions' leaders for their end offsets: the
 * responses wake the fetchers, which then see the drained queue.
 * @returns true when it asked.
 */
static bool wake_fetchers(eddy_stream_thread_t *t) {
  int64_t now = eddy_clock_monotonic_us();
  if (now - t->last_wake_us < 5 * EDDY_MSEC)
    return false;
  t->last_wake_us = now;
  rd_kafka_topic_partition_list_t *parts = NULL;
  if (rd_kafka_assignment(t->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == NULL)
    return false;
  bool asked = parts->cnt > 0;
  for (int i = 0; i < parts->cnt; i++)
    parts->elems[i].offset = RD_KAFKA_OFFSET_END;   /* as a time: the latest offset */
  if (asked)
    rd_kafka_offsets_for_times(t->consumer, parts, 100);
  rd_kafka_topic_partition_list_destroy(parts);
  return asked;
}

/* How long to wait for input: poll.ms, or less when the PostgreSQL sink has a batch due. */
static int wait_ms(const eddy_stream_thread_t *t) {
  int64_t wait_us = t->app->conf.poll_ms * EDDY_MSEC;
  int64_t due = eddy__pg_sink_next_tick_us(t->pg_sink), now = eddy_clock_monotonic_us();
  if (due < now + wait_us)
    wait_us = due > now ? due - now : 0;
  return (int)((wait_us + EDDY_MSEC - 1) / EDDY_MSEC);
}

/*
 * Take what the consumer has, up to \p max, without waiting for a full batch
 * (rd_kafka_consume_batch_queue() waits until the batch is full or the time
 * is up, which would stall a topology that feeds itself through a
 * repartition topic); wait (see wait_ms()) only when nothing is there.
 */
static ssize_t next_batch(eddy_stream_thread_t *t, rd_kafka_queue_t *q, rd_kafka_message_t **msgs,
                          size_t max) {
  ssize_t n = rd_kafka_consume_batch_queue(q, 0, msgs, max);
  if (n > 0)
    t->flowing = true;
  if (n != 0)
    return n;
  if (t->flowing && wake_fetchers(t)) {
    n = rd_kafka_consume_batch_queue(q, 0, msgs, max);
    if (n != 0)
      return n;
  }
  t->flowing = false;
  rd_kafka_message_t *m = rd_kafka_consume_queue(q, wait_ms(t));
  if (m == NULL)
    return 0;
  msgs[0] = m;
  t->flowing = true;
  n = max > 1 ? rd_kafka_consume_batch_queue(q, 0, msgs + 1, max - 1) : 0;
  return n < 0 ? n : n + 1;
}

static int process_batch(eddy_stream_thread_t *t, rd_kafka_queue_t *q, rd_kafka_message_t **msgs,
                         size_t max, eddy_error_t **err) {
  ssize_t n = next_batch(t, q, msgs, max);
  if (n < 0)
    return eddy_kafka_error(err, rd_kafka_last_error(), "consuming");
  int rc = 0;
  if (n > 1 && eddy__plan_has_joins(t->app->plan))
    (void)eddy__batch_order(msgs, (size_t)n);   /* out of memory: the batch keeps its order */
  eddy_exec_batch_begin(t->exec);
  for (ssize_t i = 0; i < n; i++) {
    if (rc == 0)
      rc = msgs[i]->err ? consumer_event(t, msgs[i], err) : eddy__retry_process(t, msgs[i], err);
  }
  if (rc == 0)
    rc = eddy_exec_batch_end(t->exec, err);
  for (ssize_t i = 0; i < n; i++)
    rd_kafka_message_destroy(msgs[i]);
  rd_kafka_poll(t->producer, 0);
  return rc;
}

int eddy__thread_side_consumer(eddy_stream_thread_t *t, const char *group_suffix,
                               rd_kafka_t **out, eddy_error_t **err) {
  const eddy_config_t *c = &t->app->conf;
  const char **extra = eddy_calloc(2 * (size_t)c->kafka_cnt + 1, sizeof(char *));
  if (extra == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  size_t n = 0;
  for (uint32_t i = 0; i < c->kafka_cnt; i++) {
    const char *key = c->kafka_keys[i];
    if (strncmp(key, "producer.", 9) == 0)
      continue;
    extra[n++] = strncmp(key, "consumer.", 9) == 0 ? key + 9 : key;
    extra[n++] = c->kafka_values[i];
  }
  char group[512];
  snprintf(group, sizeof(group), "%s-%s", t->app->app_id, group_suffix);
  int rc = eddy_restore_consumer_new(out, c->bootstrap_servers, group, extra, err);
  eddy_free(extra);
  return rc;
}

static int run_restore(eddy_stream_thread_t *t, eddy_restore_job_t *jobs, size_t n,
                       eddy_error_t **err) {
  const eddy_config_t *c = &t->app->conf;
  int rc = t->restorer == NULL ? eddy__thread_side_consumer(t, "restore", &t->restorer, err) : 0;
  if (rc != 0)
    return rc;
  eddy_restore_conf_t rc_conf;
  eddy_restore_conf_init(&rc_conf);
  rc_conf.logger = &t->app->log;
  rc_conf.log_interval_ms = (int)c->state_restore_log_interval_ms;
  rc_conf.batch_records = (size_t)c->state_restore_batch_records;
  rc_conf.memory_bytes = (size_t)c->state_restore_memory_bytes;
  rc_conf.cancel = &t->app->stop;
  rc_conf.wipe_dirty = eddy__txn_enabled(t);   /* evicted writes may be of an aborted transaction */
  return eddy_restore_run(t->restorer, jobs, n, &rc_conf, &t->restore, err);
}

/* Restore the stores of the tasks assigned last, then let their partitions flow. */
static int restore_tasks(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy_app_t *app = t->app;
  eddy_restore_job_t *jobs;
  size_t n;
  int64_t t0 = eddy_clock_monotonic_us();
  /* exactly_once_v2: close the open transaction first, a long restore must not outlive it */
  int rc = eddy__txn_enabled(t) ? commit_positions(t, err) : 0;
  rc = rc == 0 ? eddy_exec_restore_jobs(t->exec, &jobs, &n, err) : rc;
  if (rc == 0 && n > 0 && !eddy__txn_stores_current(t, jobs, n))
    rc = run_restore(t, jobs, n, err);
  if (rc == EDDY_ECANCELED && atomic_load(&app->stop)) {
    eddy_error_destroy(*err);   /* stopping while restoring: nothing was processed */
    *err = NULL;
    return 0;
  }
  rc = rc == 0 ? eddy_exec_restored(t->exec, err) : rc;
  if (rc != 0)
    return rc;
  long long records = 0;
  for (size_t i = 0; i < n; i++)
    records += jobs[i].records;
  eddy_log(&app->log, EDDY_LOG_INFO, "thread", "%s/%d: %zu task(s) ready: restored %zu store(s), "
           "%lld record(s) in %.2f s", app->app_id, t->index, eddy_exec_task_count(t->exec), n,
           records, (double)(eddy_clock_monotonic_us() - t0) / 1e6);
  return 0;
}

/* Idle advance may close windows (and emit) while no record comes. */
static int punctuate(eddy_stream_thread_t *t, eddy_error_t **err) {
  if (t->app->conf.window_idle_advance_ms <= 0)
    return 0;
  int rc = eddy_exec_punctuate(t->exec, eddy_clock_wall_us(), err);
  return rc == 0 ? eddy_exec_batch_end(t->exec, err) : rc;
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
  t->start_us = eddy_clock_monotonic_us();
  rc = eddy__global_start(t, err);
  while (rc == 0 && !atomic_load(&app->stop)) {
    rc = eddy__global_poll(t, err);
    if (rc == 0 && eddy_exec_restore_pending(t->exec))
      rc = restore_tasks(t, err);
    resume_when_ready(t);
    eddy__retry_tick(t);
    rc = rc == 0 ? process_batch(t, q, msgs, max, err) : rc;
    rc = rc == 0 && t->pg_sink != NULL ? eddy__pg_sink_tick(t->pg_sink, err) : rc;
    rc = rc == 0 ? punctuate(t, err) : rc;
    /* exactly_once_v2: a store's cache is full of uncommitted writes: commit now (KIP-892) */
    bool early = atomic_exchange_explicit(&t->commit_request, false, memory_order_relaxed);
    if (early)
      atomic_fetch_add(&app->counters.early_commits, 1);
    if (rc == 0 && (early || eddy_clock_monotonic_us() - t->last_commit_us >= interval))
      rc = commit_positions(t, err);
  }
  if (rc == 0)
    rc = commit_positions(t, err);
  rd_kafka_queue_destroy(q);
  eddy_free(msgs);
  return rc;
}

/*
 * A member leaving the group starts a rebalance, and the broker may then
 * refuse the other members' commits: they would reprocess (and count twice
 * in their aggregates) after a restart. So every thread makes its last
 * commit before any of them leaves.
 */
static void wait_for_threads(eddy_stream_thread_t *t) {
  eddy_app_t *app = t->app;
  atomic_fetch_add(&app->done_committing, 1);
  int64_t deadline = eddy_clock_monotonic_us() + 30 * EDDY_SEC;
  while (atomic_load(&app->done_committing) < atomic_load(&app->started) &&
         eddy_clock_monotonic_us() < deadline)
    usleep(2000);
}

void *eddy__thread_main(void *arg) {
  eddy_stream_thread_t *t = arg;
  eddy_app_t *app = t->app;
  eddy_error_t *err = NULL;
  int rc = eddy__retry_register(t, &err);
  rc = rc == 0 ? eddy__txn_init(t, &err) : rc;
  rc = rc == 0 ? subscribe(t, &err) : rc;
  if (rc == 0)
    rc = run_loop(t, &err);
  if (rc != 0) {
    eddy_log(&app->log, EDDY_LOG_ERROR, "thread", "%s/%d: stopping: %s", app->app_id, t->index,
             eddy_error_msg(err));
    atomic_store(&app->stop, true); /* one thread failing stops the application */
  }
  eddy__pg_sink_stop(t->pg_sink);   /* its last batch, after the last commit */
  wait_for_threads(t);
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
