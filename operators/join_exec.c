/*
 * Tables and joins in the executor: the TABLE node materialises consumed
 * messages in its task's store, the JOIN node runs the task's join instance
 * (operators/join.h), and join outputs go downstream like any row.
 */
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "operators/exec_int.h"
#include "operators/join.h"

typedef struct {
  eddy_exec_t *x;
  const eddy_plan_node_t *node;
  bool downstream_failed;       /* the error came from the nodes after the join */
} join_ctx_t;

bool eddy__source_feeds_table(const eddy_plan_source_t *s) {
  return s->node != NULL && s->node->next_cnt == 1 && s->node->next[0]->kind == EDDY_NODE_TABLE;
}

int eddy__join_index_plan(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  for (uint32_t s = 0; s < plan->subtopology_cnt; s++) {
    eddy__sub_state_t *ss = &x->subs[s];
    ss->joins = eddy_calloc(plan->node_cnt + 1, sizeof(*ss->joins));
    if (ss->joins == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < plan->node_cnt; i++)
      if (plan->nodes[i]->kind == EDDY_NODE_JOIN && plan->nodes[i]->subtopology == s) {
        x->agg_slot[i] = ss->join_cnt;
        ss->joins[ss->join_cnt++] = plan->nodes[i];
      }
  }
  return eddy__join_globals_open(x, err);
}

void eddy__join_sub_free(eddy__sub_state_t *ss) {
  eddy_free((void *)ss->joins);
  ss->joins = NULL;
}

static uint32_t store_slot(const eddy_exec_t *x, const eddy_task_t *t, uint32_t plan_store) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  for (uint32_t i = 0; i < ss->store_cnt; i++)
    if (ss->stores[i] == plan_store)
      return i;
  return 0;
}

static int emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  join_ctx_t *c = opaque;
  int rc = eddy__exec_forward(c->x, c->node, row, err);
  c->downstream_failed = rc != 0;
  return rc;
}

static void table_of(eddy_exec_t *x, eddy_task_t *t, const eddy_plan_node_t *table,
                     eddy_join_table_t *out) {
  if (table == NULL)
    return;
  out->table = table;
  out->store = table->u.table.global ? x->global_stores[table->u.table.store]
                                     : t->stores[store_slot(x, t, table->u.table.store)];
  out->decoder = x->decoders[table->u.table.source];
}

int eddy__join_task_start(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  t->joins = eddy_calloc(ss->join_cnt + 1, sizeof(*t->joins) + sizeof(join_ctx_t));
  if (t->joins == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  join_ctx_t *ctx = (join_ctx_t *)(t->joins + ss->join_cnt + 1);
  for (uint32_t i = 0; i < ss->join_cnt; i++) {
    const eddy_plan_join_t *jp = ss->joins[i]->u.join;
    ctx[i] = (join_ctx_t){.x = x, .node = ss->joins[i]};
    eddy_join_conf_t conf = {.node = ss->joins[i], .emit = emit, .opaque = &ctx[i],
                             .arena = x->arena};
    table_of(x, t, jp->left_table, &conf.left);
    table_of(x, t, jp->right_table, &conf.right);
    if (jp->shape == EDDY_JOIN_STREAM_STREAM) {
      conf.left = (eddy_join_table_t){
          .store = t->stores[store_slot(x, t, jp->left_store)],
          .decoder = x->decoders[jp->left_source->u.source.source]};
      conf.right = (eddy_join_table_t){
          .store = t->stores[store_slot(x, t, jp->right_store)],
          .decoder = x->decoders[jp->right_source->u.source.source]};
    }
    int rc = eddy_join_new(&t->joins[i], &conf, err);
    if (rc != 0)
      return rc;
    t->join_cnt++;
    int64_t st = jp->shape == EDDY_JOIN_STREAM_STREAM ? eddy_join_stream_time(t->joins[i])
                                                      : INT64_MIN;
    if (st > t->stream_time)
      t->stream_time = st;
  }
  return 0;
}

void eddy__join_task_free(eddy_task_t *t) {
  for (uint32_t i = 0; t->joins != NULL && i < t->join_cnt; i++)
    eddy_join_destroy(t->joins[i]);
  eddy_free(t->joins);
  eddy_free(t->applied);
  t->joins = NULL;
  t->applied = NULL;
}

/* A Debezium delete event (op "d"): the row's op field. */
bool eddy__debezium_delete(const eddy_row_t *row) {
  int op = eddy_fields_find(row->layout, "op");
  const eddy_value_t *v = op >= 0 ? &row->vals[op] : NULL;
  return v != NULL && v->kind == EDDY_T_STRING && v->len == 1 && v->u.s[0] == 'd';
}

static int table_changed(eddy_exec_t *x, const eddy_plan_node_t *n, eddy_slice_t key,
                         const eddy_row_t *row, bool deleted, bool had_old, eddy_error_t **err) {
  for (uint32_t i = 0; i < n->next_cnt; i++) {
    const eddy_plan_node_t *jn = n->next[i];
    if (jn->kind != EDDY_NODE_JOIN || jn->u.join->shape != EDDY_JOIN_TABLE_TABLE)
      continue;
    eddy_join_t *j = x->task->joins[x->agg_slot[jn->id]];
    int rc = eddy_join_table_changed(j, jn->u.join->left_table == n, key,
                                     deleted ? NULL : row->vals, had_old, row->ts, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__op_table(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                   eddy_error_t **err) {
  eddy_task_t *t = x->task;
  const rd_kafka_message_t *m = row->origin;
  if (t == NULL || !t->restored || m == NULL)
    return eddy_error_set(err, EDDY_ESTATE, "%s: a record reached it outside a restored task",
                          n->name);
  if (m->key == NULL)
    return 0;   /* no key: nothing to store it under */
  uint32_t slot = store_slot(x, t, n->u.table.store);
  eddy_store_t *st = t->stores[slot];
  bool deleted = row->tombstone || m->payload == NULL ||
                 (n->u.table.debezium && row->vals != NULL && eddy__debezium_delete(row));
  eddy_slice_t key = eddy_slice(m->key, m->key_len), value = eddy_slice(m->payload, m->len);
  bool had_old;
  eddy_store_set_time(st, row->ts);
  int rc = eddy_table_apply(st, key, deleted ? NULL : &value, &had_old, err);
  if (rc != 0)
    return rc;
  if (n->u.table.source_changelog && t->applied != NULL)
    t->applied[slot] = m->offset;
  return table_changed(x, n, key, row, deleted, had_old, err);
}

int eddy__op_join(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                  eddy_error_t **err) {
  eddy_task_t *t = x->task;
  if (t == NULL || !t->restored)
    return eddy_error_set(err, EDDY_ESTATE, "%s: a record reached it outside a restored task",
                          n->name);
  eddy_error_t *why = NULL;
  uint32_t i = x->agg_slot[n->id];
  join_ctx_t *c = (join_ctx_t *)(t->joins + x->subs[t->sub].join_cnt + 1) + i;
  c->downstream_failed = false;
  const eddy_plan_join_t *jp = n->u.join;
  int rc;
  if (jp->shape == EDDY_JOIN_STREAM_STREAM) {
    const rd_kafka_message_t *m = row->origin;
    eddy_slice_t raw = m != NULL ? eddy_slice(m->payload, m->len) : eddy_slice(NULL, 0);
    rc = eddy_join_window_record(t->joins[i], x->source->node == jp->left_source, row, raw,
                                 t->stream_time, &why);
    if (rc == 1)   /* late */
      atomic_fetch_add_explicit(&x->env.counters->late, 1, memory_order_relaxed);
    rc = rc == 1 ? 0 : rc;
  } else {
    rc = eddy_join_stream(t->joins[i], row, &why);
  }
  if (rc == 0)
    return 0;
  if (c->downstream_failed || rc == EDDY_ESTORE || rc == EDDY_ENOMEM || rc == EDDY_EKAFKA || rc == EDDY_ESTATE) {
    eddy_error_set(err, rc, "%s", eddy_error_msg(why));
    eddy_error_destroy(why);
    return rc;
  }
  atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
  rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
  eddy_error_destroy(why);
  return rc;
}

/* ---- a table's re-keying ---------------------------------------------------------- */

/* A Debezium delete has no after image: its key comes from the before image. */
const eddy_row_t *eddy__before_image(eddy_exec_t *x, const eddy_row_t *row) {
  uint32_t cols = row->layout->cnt >= 6 ? (row->layout->cnt - 6) / 2 : 0;
  eddy_row_t *r = eddy_arena_alloc(x->arena, sizeof(*r));
  eddy_value_t *vals = eddy_arena_alloc(x->arena, (row->layout->cnt + 1) * sizeof(eddy_value_t));
  if (r == NULL || vals == NULL)
    return NULL;
  memcpy(vals, row->vals, row->layout->cnt * sizeof(eddy_value_t));
  memcpy(vals + cols, row->vals, cols * sizeof(eddy_value_t));
  *r = *row;
  r->vals = vals;
  return r;
}

static int rekey_failed(eddy_exec_t *x, const eddy_plan_node_t *n, int rc, eddy_error_t *why,
                        eddy_error_t **err) {
  atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
  rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
  eddy_error_destroy(why);
  return rc;
}

int eddy__table_rekey(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                      eddy_error_t **err) {
  const eddy_plan_group_t *g = n->u.repartition.group;
  bool deleted = eddy__debezium_delete(row);
  const eddy_row_t *in = deleted ? eddy__before_image(x, row) : row;
  uint32_t cnt = n->out->cnt;
  eddy_value_t *vals = eddy_arena_calloc(x->arena, cnt, sizeof(eddy_value_t));
  if (in == NULL || vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", n->name);
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, in);
  eddy_error_t *why = NULL;
  for (uint32_t i = 0; i + 1 < cnt && (i == 0 || !deleted); i++) {
    int rc = eddy_expr_eval(g->exprs[i], &ctx, &vals[i], &why);
    if (rc != 0)
      return rekey_failed(x, n, rc, why, err);
  }
  vals[cnt - 1] = eddy_int(row->ts);
  eddy_buf_clear(&x->key_buf);
  int rc = eddy_join_key(&vals[0], &g->key_type, false, &x->key_buf);
  if (rc == EDDY_ENOENT)
    return 0;   /* a row without a key cannot be a table row */
  eddy_buf_clear(&x->value_buf);
  eddy_row_t out = {.layout = n->out, .vals = vals, .ts = row->ts};
  if (rc == 0 && !deleted)
    rc = eddy_encode_json(&out, &x->value_buf);
  if (rc != 0) {
    eddy_error_set(&why, rc, "cannot encode the table's key or row");
    return rekey_failed(x, n, rc, why, err);
  }
  int64_t ms = row->ts >= 0 ? row->ts / EDDY_MSEC : 0;
  rc = eddy__produce(x, x->node_topics[n->id], x->key_buf.p, x->key_buf.len,
                     deleted ? NULL : x->value_buf.p, deleted ? 0 : x->value_buf.len, ms, NULL,
                     &why);
  if (rc != 0) {
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
  }
  return rc;
}

static bool windowed(const eddy_join_t *j, const eddy__sub_state_t *ss, uint32_t i) {
  (void)j;
  return ss->joins[i]->u.join->shape == EDDY_JOIN_STREAM_STREAM;
}

int64_t eddy__join_task_deadline(eddy_exec_t *x, const eddy_task_t *t) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  int64_t next = INT64_MAX;
  for (uint32_t i = 0; i < t->join_cnt; i++) {
    int64_t d = windowed(t->joins[i], ss, i) ? eddy_join_window_deadline(t->joins[i]) : INT64_MAX;
    next = d < next ? d : next;
  }
  return next;
}

int eddy__join_task_advance(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  for (uint32_t i = 0; i < t->join_cnt; i++) {
    int rc = windowed(t->joins[i], ss, i) ? eddy_join_window_advance(t->joins[i], t->stream_time,
                                                                      err) : 0;
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__join_task_flush(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  for (uint32_t i = 0; i < t->join_cnt; i++) {
    int rc = windowed(t->joins[i], ss, i) ? eddy_join_window_flush(t->joins[i], t->stream_time,
                                                                    err) : 0;
    if (rc != 0)
      return rc;
  }
  for (uint32_t i = 0; i < ss->store_cnt; i++) {
    const eddy_plan_store_t *ps = &x->plan->stores[ss->stores[i]];
    if (x->plan->nodes[ps->node]->kind != EDDY_NODE_TABLE)
      continue;
    int rc = eddy_store_flush(t->stores[i], err);
    if (rc != 0)
      return rc;
  }
  return 0;
}
