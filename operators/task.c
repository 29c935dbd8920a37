/*
 * Tasks: one per (stateful subtopology, assigned partition). A task owns
 * its stores (one per plan store of the subtopology), their changelog
 * writers (partition = the task's partition), the aggregate instances over
 * them, and its stream time. See exec.h for the life cycle the stream
 * thread drives.
 */
#include <stdio.h>
#include <string.h>

#include "engine/util.h"
#include "operators/exec_int.h"

/* ---- the plan's stateful parts ------------------------------------------------- */

static int index_plan(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  for (uint32_t i = 0; i < plan->store_cnt; i++)
    x->subs[plan->stores[i].subtopology].store_cnt++;
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (plan->nodes[i]->kind == EDDY_NODE_AGGREGATE)
      x->agg_slot[i] = x->subs[plan->nodes[i]->subtopology].agg_cnt++;
  for (uint32_t s = 0; s < plan->subtopology_cnt; s++) {
    eddy__sub_state_t *ss = &x->subs[s];
    ss->source = &plan->sources[plan->subtopologies[s].sources[0]];
    ss->stores = eddy_calloc(ss->store_cnt + 1, sizeof(uint32_t));
    ss->aggs = eddy_calloc(ss->agg_cnt + 1, sizeof(*ss->aggs));
    if (ss->stores == NULL || ss->aggs == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
    uint32_t ns = 0, na = 0;
    for (uint32_t i = 0; i < plan->store_cnt; i++)
      if (plan->stores[i].subtopology == s)
        ((uint32_t *)ss->stores)[ns++] = i;
    for (uint32_t i = 0; i < plan->node_cnt; i++)
      if (plan->nodes[i]->kind == EDDY_NODE_AGGREGATE && plan->nodes[i]->subtopology == s)
        ss->aggs[na++] = plan->nodes[i];
  }
  return eddy__join_index_plan(x, err);
}

int eddy__exec_state_new(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  size_t n = plan->node_cnt ? plan->node_cnt : 1;
  x->node_topics = eddy_calloc(n, sizeof(char *));
  x->agg_slot = eddy_calloc(n, sizeof(uint32_t));
  x->subs = eddy_calloc(plan->subtopology_cnt ? plan->subtopology_cnt : 1, sizeof(*x->subs));
  if (x->node_topics == NULL || x->agg_slot == NULL || x->subs == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    const eddy_plan_node_t *node = plan->nodes[i];
    if (node->kind != EDDY_NODE_REPARTITION)
      continue;
    char topic[512];
    const eddy_plan_source_t *in = &plan->sources[node->u.repartition.source];
    if (eddy_plan_internal_topic(topic, sizeof(topic), x->env.app_id, in->name) != 0)
      return eddy_error_set(err, EDDY_ERANGE, "%s: topic name too long", node->name);
    if ((x->node_topics[i] = eddy_strdup(topic)) == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  return index_plan(x, err);
}

static void task_free(eddy_task_t *t) {
  if (t == NULL)
    return;
  for (uint32_t i = 0; t->aggs != NULL && i < t->agg_cnt; i++)
    eddy_agg_destroy(t->aggs[i]);
  eddy__join_task_free(t);
  eddy__task_keyed_free(t);
  for (uint32_t i = 0; i < t->store_cnt; i++) {
    if (t->stores != NULL)
      eddy_store_close(t->stores[i]);
    if (t->changelogs != NULL)
      eddy_changelog_destroy(t->changelogs[i]);
    if (t->changelog_topics != NULL)
      eddy_free(t->changelog_topics[i]);
  }
  eddy_free(t->aggs);
  eddy_free(t->ctx);
  eddy_free(t->stores);
  eddy_free(t->changelogs);
  eddy_free(t->changelog_topics);
  eddy_free(t);
}

/* A clean close: memtables to disk, then the checkpoint file, which then
 * agrees with the databases (docs/state.md). */
static void persist(eddy_exec_t *x, eddy_task_t *t) {
  eddy_error_t *err = NULL;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < t->store_cnt; i++)
    rc = eddy_store_persist(t->stores[i], &err);
  if (rc == 0)
    rc = eddy__task_checkpoint(x, t, true, &err);
  if (rc != 0)
    eddy_log(x->env.log, EDDY_LOG_WARN, "exec", "task %s: %s", t->id, eddy_error_msg(err));
  eddy_error_destroy(err);
}

void eddy_exec_tasks_close(eddy_exec_t *x) {
  for (uint32_t s = 0; x->subs != NULL && s < x->plan->subtopology_cnt; s++) {
    eddy__sub_state_t *ss = &x->subs[s];
    for (uint32_t p = 0; p < ss->task_cap; p++) {
      eddy_task_t *t = ss->tasks[p];
      if (t != NULL && t->restored)
        persist(x, t);
      task_free(t);
    }
    eddy_free(ss->tasks);
    ss->tasks = NULL;
    ss->task_cap = 0;
  }
}

void eddy__exec_state_destroy(eddy_exec_t *x) {
  eddy_exec_tasks_close(x);
  for (uint32_t i = 0; x->node_topics != NULL && i < x->plan->node_cnt; i++)
    eddy_free(x->node_topics[i]);
  for (uint32_t s = 0; x->subs != NULL && s < x->plan->subtopology_cnt; s++) {
    eddy_free((void *)x->subs[s].stores);
    eddy_free((void *)x->subs[s].aggs);
    eddy__join_sub_free(&x->subs[s]);
  }
  eddy__join_globals_free(x);
  eddy_free(x->node_topics);
  eddy_free(x->agg_slot);
  eddy_free(x->subs);
  eddy_free(x->jobs);
}

eddy_task_t *eddy__exec_task(eddy_exec_t *x, uint32_t sub, int32_t partition) {
  eddy__sub_state_t *ss = &x->subs[sub];
  return partition >= 0 && (uint32_t)partition < ss->task_cap ? ss->tasks[partition] : NULL;
}

size_t eddy_exec_task_count(const eddy_exec_t *x) {
  size_t n = 0;
  for (uint32_t s = 0; s < x->plan->subtopology_cnt; s++)
    for (uint32_t p = 0; p < x->subs[s].task_cap; p++)
      n += x->subs[s].tasks[p] != NULL;
  return n;
}

/* ---- opening a task ------------------------------------------------------------ */

static int open_store(eddy_exec_t *x, eddy_task_t *t, uint32_t i, const eddy_plan_store_t *ps,
                      eddy_error_t **err) {
  char topic[512];
  if (eddy_changelog_topic_name(topic, sizeof(topic), x->env.app_id, ps->name) != 0)
    return eddy_error_set(err, EDDY_ERANGE, "%s: changelog topic name too long", ps->name);
  if (ps->source_topic != NULL)
    snprintf(topic, sizeof(topic), "%s", ps->source_topic);   /* restored from its source */
  if ((t->changelog_topics[i] = eddy_strdup(topic)) == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int rc = ps->source_topic != NULL
               ? 0 : eddy_changelog_new(&t->changelogs[i], x->env.producer, topic, t->partition, err);
  if (rc != 0)
    return rc;
  eddy_store_conf_t c;
  eddy_store_conf_init(&c);
  c.name = ps->name;
  c.kind = (eddy_store_kind_t)ps->kind;   /* the same numbering */
  c.backend = x->env.state != NULL ? EDDY_STORE_ROCKSDB : EDDY_STORE_MEMORY;
  c.app = x->env.app_id;
  c.task = t->id;
  c.retention = ps->retention;
  c.window_size = ps->window_size;
  c.changelog = ps->source_topic != NULL ? NULL : eddy_changelog_send;
  c.changelog_opaque = t->changelogs[i];
  c.commit_request = x->env.commit_request;   /* exactly-once: commit rather than evict */
  return eddy_store_open(&t->stores[i], x->env.state, &c, err);
}

static int grow_tasks(eddy__sub_state_t *ss, int32_t partition, eddy_error_t **err) {
  if ((uint32_t)partition < ss->task_cap)
    return 0;
  uint32_t cap = (uint32_t)partition + 1;
  eddy_task_t **tasks = eddy_realloc(ss->tasks, cap * sizeof(*tasks));
  if (tasks == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  memset(tasks + ss->task_cap, 0, (cap - ss->task_cap) * sizeof(*tasks));
  ss->tasks = tasks;
  ss->task_cap = cap;
  return 0;
}

int eddy_exec_task_open(eddy_exec_t *x, uint32_t sub, int32_t partition, eddy_error_t **err) {
  if (sub >= x->plan->subtopology_cnt ||
      (x->subs[sub].store_cnt == 0 && x->subs[sub].join_cnt == 0) || partition < 0 ||
      eddy__exec_task(x, sub, partition) != NULL)
    return 0;
  eddy__sub_state_t *ss = &x->subs[sub];
  int rc = grow_tasks(ss, partition, err);
  if (rc != 0)
    return rc;
  eddy_task_t *t = eddy_calloc(1, sizeof(*t));
  if (t == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  t->sub = sub;
  t->partition = partition;
  snprintf(t->id, sizeof(t->id), "%u_%d", sub, (int)partition);
  t->store_cnt = ss->store_cnt;
  t->stream_time = INT64_MIN;
  t->deadline = INT64_MAX;
  t->stores = eddy_calloc(ss->store_cnt, sizeof(*t->stores));
  t->changelogs = eddy_calloc(ss->store_cnt, sizeof(*t->changelogs));
  t->changelog_topics = eddy_calloc(ss->store_cnt, sizeof(char *));
  t->applied = eddy_calloc(ss->store_cnt, sizeof(int64_t));
  for (uint32_t i = 0; t->applied != NULL && i < ss->store_cnt; i++)
    t->applied[i] = EDDY_OFFSET_NONE;
  if (t->stores == NULL || t->changelogs == NULL || t->changelog_topics == NULL ||
      t->applied == NULL)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; rc == 0 && i < ss->store_cnt; i++)
    rc = open_store(x, t, i, &x->plan->stores[ss->stores[i]], err);
  if (rc != 0) {
    task_free(t);
    return rc;
  }
  ss->tasks[partition] = t;
  return 0;
}

/* ---- restore -------------------------------------------------------------------- */

bool eddy_exec_restore_pending(const eddy_exec_t *x) {
  for (uint32_t s = 0; s < x->plan->subtopology_cnt; s++)
    for (uint32_t p = 0; p < x->subs[s].task_cap; p++)
      if (x->subs[s].tasks[p] != NULL && !x->subs[s].tasks[p]->restored)
        return true;
  return false;
}

int eddy_exec_restore_jobs(eddy_exec_t *x, eddy_restore_job_t **jobs, size_t *cnt,
                           eddy_error_t **err) {
  *cnt = 0;
  for (uint32_t s = 0; s < x->plan->subtopology_cnt; s++) {
    for (uint32_t p = 0; p < x->subs[s].task_cap; p++) {
      eddy_task_t *t = x->subs[s].tasks[p];
      for (uint32_t i = 0; t != NULL && !t->restored && i < t->store_cnt; i++) {
        if (*cnt == x->job_cap) {
          size_t cap = x->job_cap ? x->job_cap * 2 : 16;
          eddy_restore_job_t *j = eddy_realloc(x->jobs, cap * sizeof(*j));
          if (j == NULL)
            return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
          x->jobs = j;
          x->job_cap = cap;
        }
        x->jobs[(*cnt)++] = (eddy_restore_job_t){.store = t->stores[i],
                                                 .topic = t->changelog_topics[i],
                                                 .partition = t->partition};
      }
    }
  }
  *jobs = x->jobs;
  return 0;
}

static uint32_t store_slot(const eddy__sub_state_t *ss, uint32_t plan_store) {
  for (uint32_t i = 0; i < ss->store_cnt; i++)
    if (ss->stores[i] == plan_store)
      return i;
  return 0;
}

/* The operators start on the restored stores and pick up their positions. */
static int start_task(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  const eddy__sub_state_t *ss = &x->subs[t->sub];
  t->aggs = eddy_calloc(ss->agg_cnt + 1, sizeof(*t->aggs));
  t->ctx = eddy_calloc(ss->agg_cnt + 1, sizeof(*t->ctx));
  if (t->aggs == NULL || t->ctx == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t a = 0; a < ss->agg_cnt; a++) {
    const eddy_plan_node_t *node = ss->aggs[a];
    uint32_t main = store_slot(ss, node->u.aggregate.store);
    uint32_t distinct = node->u.aggregate.distinct_store;
    t->ctx[a] = (eddy__agg_ctx_t){.x = x, .node = node, .task = t};
    eddy_agg_conf_t conf = {
        .node = node, .store = t->stores[main],
        .distinct = distinct == UINT32_MAX ? NULL : t->stores[store_slot(ss, distinct)],
        .emit = eddy__agg_emit, .late = eddy__agg_late, .opaque = &t->ctx[a],
        .arena = x->arena};
    int rc = eddy_agg_new(&t->aggs[t->agg_cnt], &conf, eddy_changelog_send, t->changelogs[main],
                          err);
    if (rc != 0)
      return rc;
    t->agg_cnt++;
    int64_t st = eddy_agg_stream_time(t->aggs[a]);
    if (st > t->stream_time)
      t->stream_time = st;
  }
  int rc = eddy__join_task_start(x, t, err);
  if (rc == 0)
    rc = eddy__task_keyed_start(x, t, err);
  if (rc != 0)
    return rc;
  t->deadline = INT64_MIN;   /* let the first record or punctuation settle it */
  t->idle_wall = x->now_us;
  t->idle_base = t->stream_time;
  t->restored = true;
  return 0;
}

int eddy_exec_restored(eddy_exec_t *x, eddy_error_t **err) {
  x->now_us = eddy_clock_wall_us();
  for (uint32_t s = 0; s < x->plan->subtopology_cnt; s++)
    for (uint32_t p = 0; p < x->subs[s].task_cap; p++) {
      eddy_task_t *t = x->subs[s].tasks[p];
      if (t == NULL || t->restored)
        continue;
      int rc = start_task(x, t, err);
      if (rc != 0)
        return rc;
    }
  return 0;
}

/* ---- time ------------------------------------------------------------------------ */

void eddy__task_observe(eddy_exec_t *x, eddy_task_t *t, int64_t ts) {
  if (ts > t->stream_time)
    t->stream_time = ts;
  t->idle_wall = x->now_us;
  t->idle_base = t->stream_time;
}

int eddy__task_advance(eddy_exec_t *x, eddy_task_t *t, eddy_error_t **err) {
  if (t->stream_time < t->deadline || t->stream_time == INT64_MIN)
    return 0;
  int jrc = eddy__join_task_advance(x, t, err);
  if (jrc != 0)
    return jrc;
  int64_t next = eddy__join_task_deadline(x, t);
  for (uint32_t a = 0; a < t->agg_cnt; a++) {
    int rc = eddy_agg_advance(t->aggs[a], t->stream_time, err);
    if (rc != 0)
      return rc;
    int64_t d = eddy_agg_deadline(t->aggs[a]);
    next = d < next ? d : next;
  }
  t->deadline = next;
  return 0;
}
