/*
 * The keyed operators (over, dedupe, changes) in the executor: one instance
 * per (node, task) over the task's store of that node, started when the
 * task is restored, flushed at every commit.
 */
#include "operators/exec_int.h"

/* Errors that belong to the record (its values), not to the state or Kafka. */
static bool record_error(int rc) {
  return rc == EDDY_EOVERFLOW || rc == EDDY_ERANGE || rc == EDDY_EDIVZERO ||
         rc == EDDY_ETYPE || rc == EDDY_EINVAL;
}

int eddy__op_keyed(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                   eddy_error_t **err) {
  eddy_task_t *t = x->task;
  if (t == NULL || !t->restored)
    return eddy_error_set(err, EDDY_ESTATE, "%s: a record reached it outside a restored task",
                          n->name);
  eddy_error_t *why = NULL;
  int rc = eddy_keyed_process(t->keyed[x->agg_slot[n->id]], row, t->stream_time, &why);
  if (rc == 0)
    return 0;
  if (record_error(rc)) {
    atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
  } else if (why != NULL) {
    eddy_error_set(err, rc, "%s", eddy_error_msg(why));
  } else {
    /* a downstream failure already set *err through the emit callback */
  }
  eddy_error_destroy(why);
  return rc;
}

/* Rows of a keyed operator go downstream in line with the consumed record. */
static int emit(void *opaque, const eddy_row_t *row, eddy_error_t **err) {
  eddy__agg_ctx_t *c = opaque;
  return eddy__exec_forward(c->x, c->node, row, err);
}

static int late(void *opaque, const eddy_row_t *row, int64_t stream_time, eddy_error_t **err) {
  return eddy__agg_late(opaque, row, 1, 1, stream_time, err);
}

static bool is_keyed(const eddy_plan_node_t *n) {
  return n->kind == EDDY_NODE_OVER || n->kind == EDDY_NODE_DEDUPE || n->kind == EDDY_NODE_CHANGES;
}

static eddy_store_t *store_of(eddy_exec_t *x, eddy_task_t *t, uint32_t plan_store) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  for (uint32_t i = 0; i < ss->store_cnt; i++)
    if (ss->stores[i] == plan_store)
      return t->stores[i];
  return NULL;
}

int eddy__task_keyed_start(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  uint32_t cnt = 0;
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    cnt += is_keyed(plan->nodes[i]) && plan->nodes[i]->subtopology == t->sub;
  if (cnt == 0)
    return 0;
  t->keyed = eddy_calloc(cnt, sizeof(*t->keyed));
  t->keyed_ctx = eddy_calloc(cnt, sizeof(*t->keyed_ctx));
  if (t->keyed == NULL || t->keyed_ctx == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    const eddy_plan_node_t *n = plan->nodes[i];
    if (!is_keyed(n) || n->subtopology != t->sub)
      continue;
    x->agg_slot[i] = t->keyed_cnt;   /* the same for every task of the subtopology */
    t->keyed_ctx[t->keyed_cnt] = (eddy__agg_ctx_t){.x = x, .node = n, .task = t};
    eddy_keyed_conf_t conf = {.node = n, .store = store_of(x, t, n->u.keyed.store),
                              .emit = emit, .late = late, .opaque = &t->keyed_ctx[t->keyed_cnt],
                              .arena = x->arena, .now_us = &x->now_us};
    int rc = eddy_keyed_new(&t->keyed[t->keyed_cnt], &conf, err);
    if (rc != 0)
      return rc;
    t->keyed_cnt++;
  }
  return 0;
}

int eddy__task_keyed_flush(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  (void)x;
  for (uint32_t i = 0; i < t->keyed_cnt; i++) {
    int rc = eddy_keyed_flush(t->keyed[i], t->stream_time, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

void eddy__task_keyed_free(eddy_task_t *t) {
  for (uint32_t i = 0; t->keyed != NULL && i < t->keyed_cnt; i++)
    eddy_keyed_destroy(t->keyed[i]);
  eddy_free(t->keyed);
  eddy_free(t->keyed_ctx);
}
