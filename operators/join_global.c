/*
 * Global tables in the executor: each executor (stream thread) keeps a copy
 * of every global table in memory stores, fed by the thread's global
 * consumer (engine/global_table.c) with every partition of the table's
 * topics. Keys as the join looks them up: the message key's bytes for a
 * `key key` table, the codec encoding of the computed key otherwise; values
 * are the messages as consumed.
 */
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "engine/util.h"
#include "operators/exec_int.h"
#include "operators/join.h"

int eddy__join_globals_open(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  x->global_stores = eddy_calloc(plan->store_cnt + 1, sizeof(*x->global_stores));
  x->global_topics = eddy_calloc(plan->source_cnt * 64 + 1, sizeof(char *));
  if (x->global_stores == NULL || x->global_topics == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < plan->store_cnt; i++) {
    if (!plan->stores[i].global)
      continue;
    eddy_store_conf_t c;
    eddy_store_conf_init(&c);
    c.name = plan->stores[i].name;
    c.backend = EDDY_STORE_MEMORY;
    c.app = x->env.app_id;
    c.task = "global";
    c.cache_max_bytes = 0;   /* write-through: the copy is read, never committed */
    int rc = eddy_store_open(&x->global_stores[i], NULL, &c, err);
    if (rc != 0)
      return rc;
  }
  uint32_t k = 0;
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    for (uint32_t t = 0; plan->sources[i].global && t < plan->sources[i].topic_cnt; t++)
      if ((x->global_topics[k++] = eddy_strdup(plan->sources[i].topics[t])) == NULL)
        return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  return 0;
}

void eddy__join_globals_free(eddy_exec_t *x) {
  for (uint32_t i = 0; x->global_stores != NULL && i < x->plan->store_cnt; i++)
    eddy_store_close(x->global_stores[i]);
  for (uint32_t i = 0; x->global_topics != NULL && x->global_topics[i] != NULL; i++)
    eddy_free(x->global_topics[i]);
  eddy_free(x->global_stores);
  eddy_free(x->global_topics);
  x->global_stores = NULL;
  x->global_topics = NULL;
}

bool eddy_exec_has_globals(const eddy_exec_t *x) {
  return x->global_topics != NULL && x->global_topics[0] != NULL;
}

const char *const *eddy_exec_global_topics(const eddy_exec_t *x) {
  return (const char *const *)x->global_topics;
}

static const eddy_plan_source_t *global_source(const eddy_exec_t *x, const char *topic) {
  for (uint32_t i = 0; i < x->plan->source_cnt; i++) {
    const eddy_plan_source_t *s = &x->plan->sources[i];
    for (uint32_t t = 0; s->global && t < s->topic_cnt; t++)
      if (strcmp(s->topics[t], topic) == 0)
        return s;
  }
  return NULL;
}

static int failed(eddy_exec_t *x, const eddy_plan_source_t *s, int rc, eddy_error_t *why,
                  eddy_error_t **err) {
  atomic_fetch_add_explicit(&x->env.counters->decode_errors, 1, memory_order_relaxed);
  rc = eddy__exec_fail(x, s->node, rc, eddy_error_msg(why), err);
  eddy_error_destroy(why);
  return rc;
}

/* The store key of a decoded global row; EDDY_ENOENT when it has none. */
static int row_key(eddy_exec_t *x, const eddy_plan_source_t *s, const eddy_row_t *row,
                   eddy_error_t **why) {
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  eddy_value_t k;
  int rc = eddy_expr_eval(s->key, &ctx, &k, why);
  if (rc != 0)
    return rc;
  rc = eddy_join_key(&k, &s->key->type, false, &x->key_buf);
  if (rc != 0 && rc != EDDY_ENOENT)
    eddy_error_set(why, rc, "the key does not fit its type");
  return rc;
}

int eddy_exec_global_apply(eddy_exec_t *x, const rd_kafka_message_t *m, eddy_error_t **err) {
  const eddy_plan_source_t *s = global_source(x, rd_kafka_topic_name(m->rkt));
  if (s == NULL)
    return 0;
  atomic_fetch_add_explicit(&x->env.counters->records_in, 1, memory_order_relaxed);
  if (m->key == NULL)
    return 0;
  const eddy_plan_node_t *table = s->node->next[0];
  eddy_store_t *st = x->global_stores[table->u.table.store];
  bool raw = s->key == NULL || s->key->kind == EDDY_X_KEY;
  bool had_old;
  eddy_arena_reset(x->arena);   /* between batches: nothing else lives in it */
  if (m->payload == NULL)       /* a tombstone: only a message-keyed table can place it */
    return raw ? eddy_table_apply(st, eddy_slice(m->key, m->key_len), NULL, &had_old, err) : 0;
  x->msg = m;
  x->source = s;
  uint32_t idx = (uint32_t)(s - x->plan->sources);
  eddy_row_t row = {.layout = s->decode.layout, .origin = m};
  row.vals = eddy_arena_calloc(x->arena, s->decode.layout->cnt + 1, sizeof(eddy_value_t));
  if (row.vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  eddy_error_t *why = NULL;
  int rc = eddy_decoder_decode(x->decoders[idx], m->payload, m->len, row.vals, x->arena, &why);
  if (rc != 0)
    return rc == EDDY_ENOENT ? 0 : failed(x, s, rc, why, err);
  bool deleted = table->u.table.debezium && eddy__debezium_delete(&row);
  eddy_slice_t key = eddy_slice(m->key, m->key_len);
  if (!raw) {
    const eddy_row_t *in = deleted ? eddy__before_image(x, &row) : &row;
    rc = in != NULL ? row_key(x, s, in, &why) : EDDY_ENOMEM;
    if (rc == EDDY_ENOENT)
      return 0;   /* no key: not a table row */
    if (rc != 0)
      return failed(x, s, rc, why, err);
    key = eddy_slice(x->key_buf.p, x->key_buf.len);
  }
  eddy_slice_t value = eddy_slice(m->payload, m->len);
  return eddy_table_apply(st, key, deleted ? NULL : &value, &had_old, err);
}

int eddy_exec_global_commit(eddy_exec_t *x, eddy_error_t **err) {
  for (uint32_t i = 0; x->global_stores != NULL && i < x->plan->store_cnt; i++) {
    if (x->global_stores[i] == NULL)
      continue;
    int rc = eddy_store_flush(x->global_stores[i], err);
    rc = rc == 0 ? eddy_store_commit(x->global_stores[i], EDDY_OFFSET_NONE, err) : rc;
    if (rc != 0)
      return rc;
  }
  return 0;
}
