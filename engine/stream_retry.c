/*
 * Records that wait for the Schema Registry.
 *
 * An Avro record whose schema id this process has not seen cannot be
 * decoded while the registry is unreachable. That is not the record's
 * fault, so it is neither dead-lettered nor skipped: its partition is
 * held at it and the thread goes on with its other partitions.
 *
 *   hold      seek the partition back to the record and pause it; the
 *             rest of the batch from that partition is dropped (it will be
 *             fetched again from the record on)
 *   wait      the thread keeps polling its consumer (so it stays in the
 *             group and serves rebalances) and committing: a held
 *             partition commits the offset of the record it waits for
 *   retry     after the backoff (schema.registry.retry.backoff.ms, doubling
 *             up to ...backoff.max.ms) the partitions are resumed and the
 *             same record comes again; a partition leaves `probing` when
 *             one of its records is processed, and the backoff starts over
 *             once no partition is held or probing
 *
 * The seek resets librdkafka's application position of the partition, so
 * rd_kafka_position() does not report it until a record is consumed again;
 * eddy__retry_positions() fills in the held offset for the commit.
 */
#include <inttypes.h>
#include <unistd.h>

#include "engine/app_int.h"
#include "engine/util.h"

static int64_t backoff_ms(const eddy_stream_thread_t *t, int streak) {
  const eddy_config_t *c = &t->app->conf;
  int64_t base = c->schema_registry_backoff_ms > 0 ? c->schema_registry_backoff_ms : 1;
  int64_t cap = c->schema_registry_backoff_max_ms > base ? c->schema_registry_backoff_max_ms : base;
  int64_t d = base;
  for (int i = 1; i < streak && d < cap; i++)
    d *= 2;
  return d < cap ? d : cap;
}

int eddy__retry_register(eddy_stream_thread_t *t, eddy_error_t **err) {
  eddy_app_t *app = t->app;
  for (int streak = 1; !atomic_load(&app->stop); streak++) {
    eddy_error_t *why = NULL;
    int rc = eddy_exec_register_schemas(t->exec, &why);
    if (rc == 0 || why == NULL || !why->retriable) {
      if (err != NULL && *err == NULL)
        *err = why;
      else
        eddy_error_destroy(why);
      return rc;
    }
    int64_t wait = backoff_ms(t, streak);
    eddy_log(&app->log, EDDY_LOG_WARN, "thread", "%s/%d: %s; retrying in %" PRId64 " ms",
             app->app_id, t->index, eddy_error_msg(why), wait);
    eddy_error_destroy(why);
    int64_t until = eddy_clock_monotonic_us() + wait * EDDY_MSEC;
    while (!atomic_load(&app->stop) && eddy_clock_monotonic_us() < until)
      usleep(10000);
  }
  return 0; /* stopping: nothing to register for */
}

static rd_kafka_topic_partition_t *find(rd_kafka_topic_partition_list_t *l,
                                        const rd_kafka_message_t *m) {
  if (l == NULL)
    return NULL;
  return rd_kafka_topic_partition_list_find(l, rd_kafka_topic_name(m->rkt), m->partition);
}

static void forget(rd_kafka_topic_partition_list_t **l, const rd_kafka_message_t *m) {
  if (*l == NULL)
    return;
  rd_kafka_topic_partition_list_del(*l, rd_kafka_topic_name(m->rkt), m->partition);
  if ((*l)->cnt == 0) {
    rd_kafka_topic_partition_list_destroy(*l);
    *l = NULL;
  }
}

#define SEEK_TIMEOUT_MS 5000

/* Seek \p m's partition back to \p m and pause it. A failed seek would make
 * the partition resume after the record: stop instead (the commit then
 * stops at the record, so it is processed after the restart). */
static int hold(eddy_stream_thread_t *t, const rd_kafka_message_t *m, const eddy_error_t *why,
                eddy_error_t **err) {
  eddy_app_t *app = t->app;
  forget(&t->probing, m);
  if (t->held == NULL) {          /* a new round of waiting: back off longer than the last */
    t->held = rd_kafka_topic_partition_list_new(4);
    t->retry_streak++;
    t->retry_at_us = eddy_clock_monotonic_us() + backoff_ms(t, t->retry_streak) * EDDY_MSEC;
  }
  const char *topic = rd_kafka_topic_name(m->rkt);
  rd_kafka_topic_partition_list_add(t->held, topic, m->partition)->offset = m->offset;
  rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(one, topic, m->partition)->offset = m->offset;
  rd_kafka_error_t *e = rd_kafka_seek_partitions(t->consumer, one, SEEK_TIMEOUT_MS);
  rd_kafka_resp_err_t pe = one->elems[0].err;
  int rc = 0;
  if (e != NULL || pe != RD_KAFKA_RESP_ERR_NO_ERROR)
    rc = eddy_error_set(err, EDDY_EKAFKA, "%s [%d]: cannot hold offset %" PRId64 " for a retry "
                        "(%s): seek failed: %s", topic, (int)m->partition, m->offset,
                        eddy_error_msg(why), e ? rd_kafka_error_string(e) : rd_kafka_err2str(pe));
  else
    rd_kafka_pause_partitions(t->consumer, one);
  rd_kafka_error_destroy(e);
  rd_kafka_topic_partition_list_destroy(one);
  if (rc != 0)
    return rc;
  atomic_fetch_add(&app->counters.registry_waits, 1);
  int64_t wait_ms = (t->retry_at_us - eddy_clock_monotonic_us()) / EDDY_MSEC;
  eddy_log(&app->log, EDDY_LOG_WARN, "thread",
           "%s/%d: %s [%d] offset %" PRId64 ": %s; the record is kept, retrying in %" PRId64
           " ms", app->app_id, t->index, topic, (int)m->partition, m->offset,
           eddy_error_msg(why), wait_ms > 0 ? wait_ms : 0);
  return 0;
}

int eddy__retry_process(eddy_stream_thread_t *t, const rd_kafka_message_t *m, eddy_error_t **err) {
  if (find(t->held, m) != NULL)
    return 0; /* after a held record of its partition: fetched again once resumed */
  eddy_error_t *why = NULL;
  int rc = eddy_exec_process(t->exec, m, &why);
  if (rc == EDDY_EXEC_RETRY) {
    rc = hold(t, m, why, err);
    eddy_error_destroy(why);
    return rc;
  }
  if (why != NULL) {
    if (err != NULL && *err == NULL)
      *err = why;
    else
      eddy_error_destroy(why);
  }
  if (rc == 0 && t->probing != NULL && find(t->probing, m) != NULL) {
    forget(&t->probing, m);
    if (t->probing == NULL && t->held == NULL) {
      eddy_log(&t->app->log, EDDY_LOG_INFO, "thread", "%s/%d: schema registry reachable "
               "again; every held partition is flowing", t->app->app_id, t->index);
      t->retry_streak = 0;
    }
  }
  return rc;
}

void eddy__retry_tick(eddy_stream_thread_t *t) {
  if (t->held == NULL || eddy_clock_monotonic_us() < t->retry_at_us)
    return;
  rd_kafka_resume_partitions(t->consumer, t->held);
  if (t->probing == NULL) {
    t->probing = t->held;
  } else {
    for (int i = 0; i < t->held->cnt; i++)
      rd_kafka_topic_partition_list_add(t->probing, t->held->elems[i].topic,
                                        t->held->elems[i].partition)->offset =
          t->held->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(t->held);
  }
  t->held = NULL;
}

static void override(rd_kafka_topic_partition_list_t *pos, const rd_kafka_topic_partition_list_t *l) {
  for (int i = 0; l != NULL && i < l->cnt; i++) {
    rd_kafka_topic_partition_t *p =
        rd_kafka_topic_partition_list_find(pos, l->elems[i].topic, l->elems[i].partition);
    if (p != NULL)
      p->offset = l->elems[i].offset;
  }
}

void eddy__retry_positions(eddy_stream_thread_t *t, rd_kafka_topic_partition_list_t *pos) {
  override(pos, t->held);
  override(pos, t->probing);
}

void eddy__retry_clear(eddy_stream_thread_t *t) {
  if (t->held != NULL) {
    /* a pause outlives the assignment in librdkafka */
    rd_kafka_resume_partitions(t->consumer, t->held);
    rd_kafka_topic_partition_list_destroy(t->held);
  }
  if (t->probing != NULL)
    rd_kafka_topic_partition_list_destroy(t->probing);
  t->held = t->probing = NULL;
  t->retry_streak = 0;
}
