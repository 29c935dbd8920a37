/*
 * Stateful operators in the executor: group by's repartition writer, the
 * aggregate node, what aggregates emit, late records, and the commit
 * protocol over the tasks (flush, commit, abort) and idle advance.
 *
 * A repartition record:
 *
 *   key    the group columns, encoded with serde/codec.h (the same
 *          bytes for equal groups, so the partitioner sends a group to one
 *          partition)
 *   value  the repartition row: the group columns, "@a0"…, "@rowtime" (the
 *          event time in µs), in eddy's binary row encoding (serde/codec.h)
 *          when every column is a scalar, else as JSON:
 *          {"<group col>":…, "@a0":…, …, "@rowtime":<µs>}
 *   time   the event time in ms
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>

#include "engine/util.h"
#include "serde/codec.h"
#include "operators/exec_int.h"

#define CHECKPOINT_INTERVAL (30 * EDDY_SEC)

/* ---- group by -------------------------------------------------------------------- */

static int record_failed(eddy_exec_t *x, const eddy_plan_node_t *n, int rc, eddy_error_t *why,
                         eddy_error_t **err) {
  atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
  rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
  eddy_error_destroy(why);
  return rc;
}

static int group_key(eddy_exec_t *x, const eddy_plan_group_t *g, const eddy_value_t *vals) {
  eddy_buf_clear(&x->key_buf);
  if (g->raw_key)   /* a join with a table keyed by the message key: its bytes as they are */
    return vals[0].kind == EDDY_T_STRING ? eddy_buf_append(&x->key_buf, vals[0].u.s, vals[0].len)
                                         : EDDY_EINVAL;
  for (uint32_t i = g->key_first; i < g->key_first + g->key_cnt; i++) {
    eddy_value_t v = vals[i];
    int rc = eddy_codec_normalize(&v, &g->part->items[i].type);
    if (rc == 0)
      rc = eddy_codec_put(&x->key_buf, &v);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__op_repartition(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                         eddy_error_t **err) {
  const eddy_plan_group_t *g = n->u.repartition.group;
  if (g->table)
    return eddy__table_rekey(x, n, row, err);
  uint32_t cnt = n->out->cnt;
  eddy_value_t *vals = eddy_arena_alloc(x->arena, cnt * sizeof(eddy_value_t));
  if (vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", n->name);
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  for (uint32_t i = 0; i + 1 < cnt; i++) {
    eddy_error_t *why = NULL;
    int rc = eddy_expr_eval(g->exprs[i], &ctx, &vals[i], &why);
    if (rc != 0)
      return record_failed(x, n, rc, why, err);
  }
  vals[cnt - 1] = eddy_int(row->ts);   /* exact µs; the internal source reads it back */
  eddy_row_t out = {.layout = n->out, .vals = vals, .ts = row->ts};
  int rc = group_key(x, g, vals);
  eddy_buf_clear(&x->value_buf);
  if (rc == 0)
    rc = x->plan->sources[n->u.repartition.source].decode.format == EDDY_FMT_ROW
             ? eddy_codec_put_row(&x->value_buf, vals, cnt)
             : eddy_encode_json(&out, &x->value_buf);
  eddy_error_t *why = NULL;
  if (rc != 0) {
    eddy_error_set(&why, rc, "cannot encode the group columns");
    return record_failed(x, n, rc, why, err);
  }
  int64_t ms = row->ts >= 0 ? row->ts / EDDY_MSEC : 0;
  rc = eddy__produce(x, x->node_topics[n->id], x->key_buf.p, x->key_buf.len, x->value_buf.p,
                     x->value_buf.len, ms, NULL, &why);
  if (rc != 0) {
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
  }
  return rc;
}

/* ---- aggregate --------------------------------------------------------------------- */

/* Errors that belong to the record (its values), not to the state or Kafka. */
static bool record_error(int rc) {
  return rc == EDDY_EOVERFLOW || rc == EDDY_ERANGE || rc == EDDY_EDIVZERO;
}

int eddy__op_aggregate(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                       eddy_error_t **err) {
  eddy_task_t *t = x->task;
  if (t == NULL || !t->restored)
    return eddy_error_set(err, EDDY_ESTATE, "%s: a record reached it outside a restored task",
                          n->name);
  eddy_error_t *why = NULL;
  int rc = eddy_agg_process(t->aggs[x->agg_slot[n->id]], row, t->stream_time, &why);
  if (rc == 0)
    return 0;
  if (record_error(rc))
    return record_failed(x, n, rc, why, err);
  eddy_error_set(err, rc, "%s", eddy_error_msg(why));
  eddy_error_destroy(why);
  return rc;
}

int eddy__agg_emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  eddy__agg_ctx_t *c = opaque;
  eddy_exec_t *x = c->x;
  const eddy_row_t *saved = x->emit_row;
  x->emit_row = row;
  int rc = eddy__exec_forward(x, c->node, row, err);
  x->emit_row = saved;
  return rc;
}

static rd_kafka_headers_t *late_headers(eddy_exec_t *x, const eddy_plan_node_t *node,
                                        uint32_t missed, uint32_t windows, int64_t stream_time) {
  rd_kafka_headers_t *h = rd_kafka_headers_new(8);
  char buf[64];
  rd_kafka_header_add(h, "eddy.late.operator", -1, node->name, -1);
  eddy_timestamp_format(stream_time, buf, sizeof(buf));
  rd_kafka_header_add(h, "eddy.late.stream_time", -1, buf, -1);
  snprintf(buf, sizeof(buf), "%u/%u", missed, windows);
  rd_kafka_header_add(h, "eddy.late.windows", -1, buf, -1);
  rd_kafka_header_add(h, "eddy.app", -1, x->env.app_id, -1);
  const rd_kafka_message_t *m = x->msg;
  if (m != NULL) {
    rd_kafka_header_add(h, "eddy.source.topic", -1, rd_kafka_topic_name(m->rkt), -1);
    snprintf(buf, sizeof(buf), "%d", (int)m->partition);
    rd_kafka_header_add(h, "eddy.source.partition", -1, buf, -1);
    snprintf(buf, sizeof(buf), "%lld", (long long)m->offset);
    rd_kafka_header_add(h, "eddy.source.offset", -1, buf, -1);
  }
  return h;
}

int eddy__agg_late(void *opaque, const eddy_row_t *row, uint32_t missed, uint32_t windows,
                   int64_t stream_time, eddy_error_t **err) {
  eddy__agg_ctx_t *c = opaque;
  eddy_exec_t *x = c->x;
  atomic_fetch_add_explicit(&x->env.counters->late, 1, memory_order_relaxed);
  if (x->env.late_topic == NULL || x->env.late_topic[0] == '\0')
    return 0;
  eddy_buf_clear(&x->value_buf);
  int rc = eddy_encode_json(row, &x->value_buf);
  if (rc != 0)
    return eddy_error_set(err, rc, "%s: cannot encode a late record", c->node->name);
  return eddy__produce(x, x->env.late_topic, NULL, 0, x->value_buf.p, x->value_buf.len,
                       row->ts >= 0 ? row->ts / EDDY_MSEC : 0,
                       late_headers(x, c->node, missed, windows, stream_time), err);
}

/* ---- the commit protocol and idle advance ------------------------------------------ */

typedef int (*task_fn)(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err);

/* Run \p fn on every restored task, as the current task with no consumed record. */
static int each_task(eddy_exec_t *x, task_fn fn, eddy_error_t **err) {
  for (uint32_t s = 0; s < x->plan->subtopology_cnt; s++) {
    for (uint32_t p = 0; p < x->subs[s].task_cap; p++) {
      eddy_task_t *t = x->subs[s].tasks[p];
      if (t == NULL || !t->restored)
        continue;
      x->task = t;
      x->msg = NULL;
      x->source = x->subs[s].source;
      int rc = fn(x, t, err);
      x->task = NULL;
      if (rc != 0)
        return rc;
    }
  }
  return 0;
}

static int flush_task(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  int rc0 = eddy__join_task_flush(x, t, err);
  if (rc0 != 0)
    return rc0;
  int64_t next = INT64_MAX;
  int krc = eddy__task_keyed_flush(x, t, err);
  if (krc != 0)
    return krc;
  for (uint32_t a = 0; a < t->agg_cnt; a++) {
    int rc = eddy_agg_flush(t->aggs[a], t->stream_time, err);
    if (rc != 0)
      return rc;
    int64_t d = eddy_agg_deadline(t->aggs[a]);
    next = d < next ? d : next;
  }
  int64_t jd = eddy__join_task_deadline(x, t);
  t->deadline = jd < next ? jd : next;
  return 0;
}

int eddy_exec_flush(eddy_exec_t *x, eddy_error_t **err) { return each_task(x, flush_task, err); }

static int write_checkpoint(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  char path[1024];
  if (eddy_checkpoint_path(path, sizeof(path), x->env.state_dir, x->env.app_id, t->id) != 0)
    return eddy_error_set(err, EDDY_ERANGE, "task %s: checkpoint path too long", t->id);
  eddy_checkpoint_t *cp = eddy_checkpoint_new();
  int rc = cp != NULL ? 0 : eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; rc == 0 && i < t->store_cnt; i++)
    rc = eddy_checkpoint_set(cp, eddy_store_name(t->stores[i]),
                             eddy_store_committed_offset(t->stores[i]));
  if (rc == 0)
    rc = eddy_checkpoint_write(cp, path, err);
  eddy_checkpoint_destroy(cp);
  return rc;
}

/*
 * Restore trusts the offset each store records in its own commit, so the
 * checkpoint file only tells others (metrics, tools) where a task is: it is
 * written at most every state.checkpoint.interval.ms and when the task
 * closes, not with every commit (each write is two fsyncs). The stores'
 * memtables are flushed to disk then too: their writes skip the WAL, so
 * after a crash a store is as of its last flush, and the restore replays
 * the changelog from the offset recorded then.
 */
int eddy__task_checkpoint(eddy_exec_t *x, eddy_task_t *t, bool now, eddy_error_t **err) {
  int64_t clock = eddy_clock_monotonic_us();
  int64_t every = x->env.checkpoint_us > 0 ? x->env.checkpoint_us : CHECKPOINT_INTERVAL;
  if (x->env.checkpoint_us < 0)
    every = 0;
  if (x->env.state == NULL || !t->checkpoint_stale || (!now && clock - t->checkpoint_us < every))
    return 0;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && !now && i < t->store_cnt; i++)
    rc = eddy_store_persist(t->stores[i], err);   /* closing tasks persist themselves */
  rc = rc == 0 ? write_checkpoint(x, t, err) : rc;
  if (rc == 0) {
    t->checkpoint_stale = false;
    t->checkpoint_us = clock;
  }
  return rc;
}

static int commit_task(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  bool moved = false;
  for (uint32_t i = 0; i < t->store_cnt; i++) {
    eddy_changelog_t *cl = t->changelogs[i];   /* NULL: a table restored from its source */
    int rc = cl != NULL ? eddy_changelog_check(cl, err) : 0;
    int64_t before = eddy_store_committed_offset(t->stores[i]);
    if (rc == 0)
      rc = eddy_store_commit(t->stores[i], cl != NULL ? eddy_changelog_acked_offset(cl)
                                                      : t->applied[i], err);
    if (rc != 0)
      return rc;
    moved |= eddy_store_committed_offset(t->stores[i]) != before;
  }
  t->checkpoint_stale |= moved;
  return eddy__task_checkpoint(x, t, false, err);
}

int eddy_exec_commit(eddy_exec_t *x, eddy_error_t **err) { return each_task(x, commit_task, err); }

static int abort_task(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  (void)x, (void)err;
  for (uint32_t i = 0; i < t->store_cnt; i++)
    eddy_store_abort(t->stores[i]);
  return 0;
}

void eddy_exec_abort(eddy_exec_t *x) { each_task(x, abort_task, NULL); }

void eddy_exec_set_producer(eddy_exec_t *x, struct rd_kafka_s *producer) {
  x->env.producer = producer;
}

/*
 * Idle advance: a task that has had no record for window.idle.advance.ms
 * moves its stream time on by the wall-clock time since its last record.
 */
static int idle_task(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  int64_t idle = x->now_us - t->idle_wall;
  if (t->stream_time == INT64_MIN || idle < x->env.idle_advance_us)
    return 0;
  int64_t moved = t->idle_base + idle;
  if (moved <= t->stream_time)
    return 0;
  t->stream_time = moved;
  return eddy__task_advance(x, t, err);
}

int eddy_exec_punctuate(eddy_exec_t *x, int64_t now_us, eddy_error_t **err) {
  if (x->env.idle_advance_us <= 0)
    return 0;
  x->now_us = now_us;
  return each_task(x, idle_task, err);
}
