/*
 * The PostgreSQL sink task's consumer side: the group `<app>-pg-sink`,
 * positions from eddy_sink_offsets, batching, retries (see pg_sink.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/pg_sink_int.h"
#include "engine/util.h"

#define SEEK_TIMEOUT_MS 10000

static void drop_pending(eddy_pg_sink_t *s) {
  for (size_t i = 0; i < s->pending_cnt; i++)
    rd_kafka_message_destroy(s->pending[i]);
  s->pending_cnt = 0;
}

/* Assign parts[] at their stored offsets (the beginning where none is stored). */
static int assign_at_stored(eddy_pg_sink_t *s) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)s->part_cnt + 1);
  for (uint32_t i = 0; i < s->part_cnt; i++)
    rd_kafka_topic_partition_list_add(l, s->tables[s->parts[i].table].topic,
                                      s->parts[i].partition)
        ->offset = s->parts[i].stored >= 0 ? s->parts[i].stored : RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_error_t *e = rd_kafka_assign(s->consumer, l) == RD_KAFKA_RESP_ERR_NO_ERROR
                            ? NULL : rd_kafka_error_new(RD_KAFKA_RESP_ERR__STATE, "assign");
  rd_kafka_resume_partitions(s->consumer, l);   /* a pause outlives the assignment */
  rd_kafka_topic_partition_list_destroy(l);
  if (e != NULL) {
    rd_kafka_error_destroy(e);
    return EDDY_EKAFKA;
  }
  return 0;
}

static void pause_all(eddy_pg_sink_t *s) {
  rd_kafka_topic_partition_list_t *l = NULL;
  if (rd_kafka_assignment(s->consumer, &l) == RD_KAFKA_RESP_ERR_NO_ERROR && l != NULL) {
    rd_kafka_pause_partitions(s->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
  }
}

/* A transient failure: drop the batch, pause, retry after the backoff. */
static void backoff(eddy_pg_sink_t *s, eddy_error_t *why) {
  const eddy_config_t *c = &s->app->conf;
  drop_pending(s);
  pause_all(s);
  s->need_position = true;
  if (s->conn != NULL && PQstatus(s->conn) != CONNECTION_OK)
    eddy__pg_disconnect(s);
  int64_t first = (c->postgres_backoff_ms > 0 ? c->postgres_backoff_ms : 1) * EDDY_MSEC;
  int64_t most = (c->postgres_backoff_max_ms > 0 ? c->postgres_backoff_max_ms : 1) * EDDY_MSEC;
  s->backoff_us = s->backoff_us == 0 ? first : s->backoff_us * 2;
  if (s->backoff_us > most)
    s->backoff_us = most;
  s->retry_at_us = eddy_clock_monotonic_us() + s->backoff_us;
  atomic_fetch_add(&s->app->counters.pg_retries, 1);
  eddy_log(&s->app->log, EDDY_LOG_WARN, "pg-sink", "%s/%d: PostgreSQL write failed, retrying in "
           "%" PRId64 " ms: %s", s->app->app_id, s->thread->index, s->backoff_us / EDDY_MSEC,
           eddy_error_msg(why));
  eddy_error_destroy(why);
}

/* Connected, positioned: @returns 0 when ready, 1 when backing off, or a fatal error. */
static int recover(eddy_pg_sink_t *s, eddy_error_t **err) {
  eddy_error_t *why = NULL;
  if (s->conn == NULL && eddy__pg_connect(s, &why) != 0) {
    backoff(s, why);
    return 1;
  }
  if (!s->need_position)
    return 0;
  if (s->part_cnt == 0) {
    s->need_position = false;   /* nothing assigned (yet) */
    return 0;
  }
  eddy_pg_class_t c = eddy__pg_read_offsets(s, &why);
  if (c == EDDY_PG_TRANSIENT) {
    backoff(s, why);
    return 1;
  }
  if (c != EDDY_PG_OK) {
    eddy_error_set(err, EDDY_EPG, "reading eddy_sink_offsets: %s", eddy_error_msg(why));
    eddy_error_destroy(why);
    return EDDY_EPG;
  }
  if (assign_at_stored(s) != 0)
    return eddy_error_set(err, EDDY_EKAFKA, "cannot assign the sink's partitions");
  s->need_position = false;
  s->progress_us = eddy_clock_monotonic_us();
  return 0;
}

static void update_lag(eddy_pg_sink_t *s) {
  long long lag = 0;
  for (uint32_t i = 0; i < s->part_cnt; i++) {
    int64_t lo, hi;
    const eddy_pg_part_t *p = &s->parts[i];
    if (rd_kafka_get_watermark_offsets(s->consumer, s->tables[p->table].topic, p->partition, &lo,
                                       &hi) != RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0)
      continue;
    int64_t at = p->stored >= 0 ? p->stored : lo;
    lag += hi > at ? hi - at : 0;
  }
  atomic_store(&s->lag, lag);
  s->lag_at_us = eddy_clock_monotonic_us();
}

/*
 * A sink behind its topic that has taken nothing for a while says so, with
 * where each partition stands: its consumer position against the stored
 * offset and the topic's end. (Up to one record per partition behind is
 * not a stall: a transaction's commit marker takes an offset on Kafka.)
 */
#define STALL_US (10 * EDDY_SEC)

static void warn_stalled(eddy_pg_sink_t *s, int64_t now) {
  if (atomic_load(&s->lag) <= (long long)s->part_cnt || s->need_position || now < s->retry_at_us ||
      now - s->progress_us < STALL_US)
    return;
  s->progress_us = now;
  eddy_buf_t b = {0};
  for (uint32_t i = 0; i < s->part_cnt; i++) {
    const eddy_pg_part_t *p = &s->parts[i];
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->tables[p->table].topic, p->partition);
    int64_t lo = -1, hi = -1;
    rd_kafka_position(s->consumer, l);
    rd_kafka_get_watermark_offsets(s->consumer, s->tables[p->table].topic, p->partition, &lo, &hi);
    eddy_buf_printf(&b, " [%" PRId32 "] position %" PRId64 " stored %" PRId64 " end %" PRId64,
                    p->partition, l->elems[0].offset, p->stored, hi);
    rd_kafka_topic_partition_list_destroy(l);
  }
  eddy_log(&s->app->log, EDDY_LOG_WARN, "pg-sink", "%s/%d: %lld record(s) behind and nothing "
           "read for %lld s:%s", s->app->app_id, s->thread->index, (long long)atomic_load(&s->lag),
           (long long)(STALL_US / EDDY_SEC), b.len > 0 ? eddy_buf_cstr(&b) : "");
  eddy_buf_free(&b);
}

/* A trickle is written as it comes; a flood in batches, one per postgres.batch.ms. */
static int64_t batch_due_us(const eddy_pg_sink_t *s) {
  return s->last_write_us + s->app->conf.postgres_batch_ms * EDDY_MSEC;
}

static int flush(eddy_pg_sink_t *s, eddy_error_t **err) {
  if (s->pending_cnt == 0)
    return 0;
  eddy_error_t *why = NULL;
  eddy_pg_class_t c = eddy__pg_write_batch(s, &why);
  if (c == EDDY_PG_TRANSIENT) {
    backoff(s, why);
    return 0;
  }
  if (c != EDDY_PG_OK) {
    eddy_error_set(err, EDDY_EPG, "PostgreSQL sink: %s", eddy_error_msg(why));
    eddy_error_destroy(why);
    return EDDY_EPG;
  }
  drop_pending(s);
  s->backoff_us = 0;
  s->last_write_us = s->progress_us = eddy_clock_monotonic_us();
  update_lag(s);
  return 0;
}

/* ---- rebalance ---------------------------------------------------------------------------- */

static int track(eddy_pg_sink_t *s, const rd_kafka_topic_partition_list_t *parts) {
  s->part_cnt = 0;
  if ((uint32_t)parts->cnt > s->part_cap) {
    eddy_pg_part_t *p = eddy_realloc(s->parts, (size_t)parts->cnt * sizeof(*p));
    if (p == NULL)
      return EDDY_ENOMEM;
    s->parts = p;
    s->part_cap = (uint32_t)parts->cnt;
  }
  for (int i = 0; i < parts->cnt; i++) {
    uint32_t t = 0;
    while (t < s->table_cnt && strcmp(s->tables[t].topic, parts->elems[i].topic) != 0)
      t++;
    if (t < s->table_cnt)
      s->parts[s->part_cnt++] = (eddy_pg_part_t){.table = t, .partition = parts->elems[i].partition,
                                                 .stored = -1, .next = -1};
  }
  return 0;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  eddy_pg_sink_t *s = ((eddy_kafka_ctx_t *)opaque)->owner;
  s->generation++;
  eddy_log(&s->app->log, EDDY_LOG_INFO, "pg-sink", "%s/%d: %s %d sink partition(s)",
           s->app->app_id, s->thread->index,
           e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assigned" : "revoking", parts->cnt);
  if (e != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (!s->need_position && s->conn != NULL && eddy_clock_monotonic_us() >= s->retry_at_us) {
      eddy_error_t *why = NULL;
      if (flush(s, &why) != 0) {   /* fatal: the next tick fails the same way */
        eddy_error_destroy(why);
      }
    }
    drop_pending(s);
    s->part_cnt = 0;
    rd_kafka_assign(rk, NULL);
    return;
  }
  drop_pending(s);
  /* positions come from PostgreSQL: read them now and assign there */
  int64_t now = eddy_clock_monotonic_us();
  if (track(s, parts) == 0 && s->conn != NULL && now >= s->retry_at_us) {
    eddy_error_t *why = NULL;
    if (eddy__pg_read_offsets(s, &why) == EDDY_PG_OK && assign_at_stored(s) == 0) {
      s->need_position = false;
      s->progress_us = now;
      return;
    }
    eddy_error_destroy(why);
  }
  /* else the partitions stay paused until the next tick reads them (recover) */
  rd_kafka_assign(rk, parts);
  pause_all(s);
  s->need_position = true;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

/*
 * The sink's queue got something (from a client thread of librdkafka): end
 * the stream thread's wait for input, so a record of the sink is written
 * when due rather than after the thread's poll.ms.
 */
static void wake_thread(rd_kafka_t *rk, void *opaque) {
  (void)rk;
  eddy_pg_sink_t *s = opaque;
  rd_kafka_queue_yield(s->wake);
}

static void close_queues(eddy_pg_sink_t *s) {
  if (s->queue != NULL) {
    rd_kafka_queue_cb_event_enable(s->queue, NULL, NULL);
    rd_kafka_queue_destroy(s->queue);
  }
  if (s->wake != NULL)
    rd_kafka_queue_destroy(s->wake);
  s->queue = s->wake = NULL;
}

static int make_consumer(eddy_pg_sink_t *s, eddy_error_t **err) {
  eddy_app_t *app = s->app;
  s->kafka_ctx.log = &app->log;
  s->kafka_ctx.owner = s;
  rd_kafka_conf_t *cc = eddy_kafka_conf(&app->conf, EDDY_CLIENT_CONSUMER, &s->kafka_ctx, err);
  char group[512], client[512];
  snprintf(group, sizeof(group), "%s-pg-sink", app->app_id);
  snprintf(client, sizeof(client), "%s-pg-sink-%d", app->app_id, s->thread->index);
  if (cc == NULL || eddy_kafka_conf_set(cc, "group.id", group, err) != 0 ||
      eddy_kafka_conf_set(cc, "client.id", client, err) != 0) {
    if (cc != NULL)
      rd_kafka_conf_destroy(cc);
    return EDDY_ECONFIG;
  }
  rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
  s->consumer = eddy_kafka_new(cc, EDDY_CLIENT_CONSUMER, err);
  if (s->consumer == NULL)
    return EDDY_EKAFKA;
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)s->table_cnt);
  for (uint32_t i = 0; i < s->table_cnt; i++)
    rd_kafka_topic_partition_list_add(topics, s->tables[i].topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(s->consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_kafka_error(err, e, "subscribing to the PostgreSQL sink topics");
  s->queue = rd_kafka_queue_get_consumer(s->consumer);
  s->wake = rd_kafka_queue_get_consumer(s->thread->consumer);
  rd_kafka_queue_cb_event_enable(s->queue, wake_thread, s);
  rd_kafka_conf_t *pc = eddy_kafka_conf(&app->conf, EDDY_CLIENT_PRODUCER, &s->kafka_ctx, err);
  if (pc == NULL)
    return EDDY_ECONFIG;
  s->producer = eddy_kafka_new(pc, EDDY_CLIENT_PRODUCER, err);
  return s->producer != NULL ? 0 : EDDY_EKAFKA;
}

static int make_tables(eddy_pg_sink_t *s, eddy_error_t **err) {
  const eddy_plan_t *plan = s->app->plan;
  s->tables = eddy_calloc(plan->node_cnt + 1, sizeof(*s->tables));
  if (s->tables == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_SINK_POSTGRES) {
      int rc = eddy__pg_table_init(s, &s->tables[s->table_cnt++], plan->nodes[i], err);
      if (rc != 0)
        return rc;
    }
  return 0;
}

int eddy__pg_sink_new(eddy_pg_sink_t **out, eddy_stream_thread_t *t, eddy_error_t **err) {
  *out = NULL;
  if (!eddy__plan_has_pg_sink(t->app->plan))
    return 0;
  const char *mode = t->app->conf.postgres_sinks;
  if (strcmp(mode, "off") == 0) {
    if (t->index == 0)
      eddy_log(&t->app->log, EDDY_LOG_WARN, "pg", "%s: postgres.sinks=off: the rows of its "
               "`to postgres` sinks stay in their Kafka topics, nothing writes them",
               t->app->app_id);
    return 0;
  }
  if (strcmp(mode, "on") != 0)
    return eddy_error_set(err, EDDY_ECONFIG, "postgres.sinks must be on or off, not '%s'", mode);
  eddy_pg_sink_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL)
    return EDDY_ENOMEM;
  s->thread = t;
  s->app = t->app;
  s->pending_cap = (size_t)(s->app->conf.postgres_batch_rows > 0 ? s->app->conf.postgres_batch_rows
                                                                 : 500);
  s->pending = eddy_calloc(s->pending_cap, sizeof(*s->pending));
  s->arena = eddy_arena_new(256 * 1024);
  int rc = s->pending == NULL || s->arena == NULL ? EDDY_ENOMEM : 0;
  rc = rc == 0 ? eddy__pg_connect(s, err) : rc;
  rc = rc == 0 ? make_tables(s, err) : rc;
  rc = rc == 0 ? eddy__pg_prepare(s, err) : rc;
  rc = rc == 0 ? make_consumer(s, err) : rc;
  if (rc != 0) {
    eddy__pg_sink_destroy(s);
    return rc;
  }
  *out = s;
  return 0;
}

int eddy__pg_sink_tick(eddy_pg_sink_t *s, eddy_error_t **err) {
  rd_kafka_message_t *m[64];
  int64_t now = eddy_clock_monotonic_us();
  if (now < s->retry_at_us || s->need_position) {
    /* serve the group (rebalances) while waiting; paused partitions deliver nothing new */
    ssize_t n = rd_kafka_consume_batch_queue(s->queue, 0, m, 64);
    for (ssize_t i = 0; i < n; i++)
      rd_kafka_message_destroy(m[i]);
    if (now < s->retry_at_us)
      return 0;
  }
  int rc = recover(s, err);
  if (rc != 0)
    return rc > 0 ? 0 : rc;
  while (s->pending_cnt < s->pending_cap) {
    size_t want = s->pending_cap - s->pending_cnt;
    uint64_t gen = s->generation;
    /* into m[]: a rebalance callback inside the call may write or drop the pending batch */
    ssize_t n = rd_kafka_consume_batch_queue(s->queue, 0, m, want < 64 ? want : 64);
    for (ssize_t i = 0; i < n; i++) {
      if (m[i]->err || gen != s->generation || s->need_position) {
        rd_kafka_message_destroy(m[i]);   /* an event, or from before a rebalance */
        continue;
      }
      s->pending[s->pending_cnt++] = m[i];
      s->progress_us = now;
    }
    /* records dropped across a rebalance that assigned at the stored offsets: read
     * the positions again rather than assume none of them was new */
    if (n > 0 && gen != s->generation && !s->need_position)
      s->need_position = true;
    if (n <= 0 || gen != s->generation || s->need_position)
      break;
  }
  if (s->need_position) {   /* a rebalance ran inside the consume */
    drop_pending(s);
    return 0;
  }
  bool due = s->pending_cnt >= s->pending_cap || (s->pending_cnt > 0 && now >= batch_due_us(s));
  if (!due && now - s->lag_at_us > EDDY_SEC) {
    update_lag(s);
    warn_stalled(s, now);
  }
  return due ? flush(s, err) : 0;
}

int64_t eddy__pg_sink_next_tick_us(const eddy_pg_sink_t *s) {
  if (s == NULL)
    return INT64_MAX;
  if (s->retry_at_us > eddy_clock_monotonic_us())
    return s->retry_at_us;
  /* queued records: the wake-up may have been spent (a yield ends one wait, and any
   * look at the thread's queue that finds it empty takes the yield) */
  if (s->need_position || rd_kafka_queue_length(s->queue) > 0)
    return 0;
  return s->pending_cnt > 0 ? batch_due_us(s) : INT64_MAX;
}

void eddy__pg_sink_stop(eddy_pg_sink_t *s) {
  if (s == NULL)
    return;
  if (!s->need_position && s->conn != NULL && eddy_clock_monotonic_us() >= s->retry_at_us) {
    eddy_error_t *why = NULL;
    if (flush(s, &why) != 0)
      eddy_log(&s->app->log, EDDY_LOG_WARN, "pg-sink", "last write: %s", eddy_error_msg(why));
    eddy_error_destroy(why);
  }
  drop_pending(s);
  close_queues(s);
  if (s->consumer != NULL)
    rd_kafka_consumer_close(s->consumer);
}

void eddy__pg_sink_destroy(eddy_pg_sink_t *s) {
  if (s == NULL)
    return;
  drop_pending(s);
  close_queues(s);
  if (s->consumer != NULL)
    rd_kafka_destroy(s->consumer);
  if (s->producer != NULL) {
    rd_kafka_flush(s->producer, 10000);
    rd_kafka_destroy(s->producer);
  }
  for (uint32_t i = 0; s->tables != NULL && i < s->table_cnt; i++)
    eddy__pg_table_free(&s->tables[i]);
  eddy_free(s->tables);
  eddy_free(s->parts);
  eddy_free(s->pending);
  eddy_arena_destroy(s->arena);
  eddy_buf_free(&s->sql);
  eddy__pg_disconnect(s);
  eddy_free(s);
}

long long eddy__pg_sink_lag(const eddy_pg_sink_t *s) { return s ? atomic_load(&s->lag) : 0; }
