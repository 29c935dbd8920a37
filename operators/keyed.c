/*
 * Keyed operators (keyed.h): the instance, dedupe and changes. over lives
 * in over.c.
 *
 * dedupe: a window store maps (id, event time) -> "" for every id let
 * through. A record is a duplicate when its id was let through at an event
 * time within `within` of its own (either side). The store keeps 2 x within
 * behind stream time, so that the check is exact for every record no older
 * than stream time - within.
 *
 * changes: a KV store maps the record key to the codec bytes of the last
 * value emitted; a record goes out when its value's bytes differ (or the key
 * has none yet).
 */
#include "operators/keyed_int.h"

#include <string.h>

#include "engine/util.h"
#include "serde/codec.h"

eddy_eval_ctx_t eddy__keyed_ctx(const eddy_keyed_t *k, const eddy_row_t *row) {
  eddy_eval_ctx_t ctx = {.rows = {row, NULL}, .arena = k->arena,
                         .now_us = k->now_us != NULL ? *k->now_us : 0};
  return ctx;
}

int eddy__keyed_key(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err) {
  eddy_buf_clear(&k->kbuf);
  eddy_value_t v = row->key;
  int rc = eddy_codec_normalize(&v, &k->spec->key_type);
  if (rc == 0)
    rc = eddy_codec_put(&k->kbuf, &v);
  return rc == 0 ? 0 : eddy_error_set(err, rc == EDDY_ENOMEM ? rc : EDDY_ERANGE,
                                      "%s: cannot encode the record key", k->node->name);
}

int eddy__keyed_emit(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err) {
  k->stats.emitted++;
  return k->emit != NULL ? k->emit(k->opaque, row, err) : 0;
}

int eddy_keyed_new(eddy_keyed_t **out, const eddy_keyed_conf_t *conf, eddy_error_t **err) {
  *out = NULL;
  const eddy_plan_node_t *n = conf->node;
  if (n == NULL || conf->store == NULL ||
      (n->kind != EDDY_NODE_OVER && n->kind != EDDY_NODE_DEDUPE && n->kind != EDDY_NODE_CHANGES))
    return eddy_error_set(err, EDDY_EINVAL, "keyed operator: a keyed node and its store needed");
  eddy_keyed_t *k = eddy_calloc(1, sizeof(*k));
  if (k == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  k->node = n;
  k->spec = n->u.keyed.spec;
  k->store = conf->store;
  k->emit = conf->emit;
  k->late = conf->late;
  k->opaque = conf->opaque;
  k->arena = conf->arena;
  k->now_us = conf->now_us;
  int rc = n->kind == EDDY_NODE_OVER ? eddy__over_setup(k, err) : 0;
  if (rc != 0) {
    eddy_keyed_destroy(k);
    return rc;
  }
  *out = k;
  return 0;
}

void eddy_keyed_destroy(eddy_keyed_t *k) {
  if (k == NULL)
    return;
  eddy__over_free(k);
  eddy_buf_free(&k->kbuf);
  eddy_buf_free(&k->vbuf);
  eddy_free(k);
}

void eddy_keyed_stats(const eddy_keyed_t *k, eddy_keyed_stats_t *out) { *out = k->stats; }

/* The row as it leaves a dedupe or changes: the input's own fields, unchanged. */
static int pass(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err) {
  eddy_row_t out = *row;
  out.layout = k->spec->out;
  return eddy__keyed_emit(k, &out, err);
}

static int eval_encoded(eddy_keyed_t *k, const eddy_row_t *row, eddy_buf_t *buf, bool *is_null,
                        eddy_error_t **err) {
  eddy_eval_ctx_t ctx = eddy__keyed_ctx(k, row);
  eddy_value_t v;
  int rc = eddy_expr_eval(k->spec->expr, &ctx, &v, err);
  if (rc != 0)
    return rc;
  *is_null = eddy_is_null(&v);
  eddy_buf_clear(buf);
  rc = eddy_codec_normalize(&v, &k->spec->expr->type);
  if (rc == 0)
    rc = eddy_codec_put(buf, &v);
  return rc == 0 ? 0 : eddy_error_set(err, rc == EDDY_ENOMEM ? rc : EDDY_ERANGE,
                                      "%s: the value does not fit its type", k->node->name);
}

static int dedupe(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err) {
  bool is_null;
  int rc = eval_encoded(k, row, &k->kbuf, &is_null, err);
  if (rc != 0)
    return rc;
  if (is_null)
    return pass(k, row, err);   /* no id: never a duplicate */
  eddy_slice_t id = eddy_slice(k->kbuf.p, k->kbuf.len);
  int64_t w = k->spec->within;
  eddy_store_iter_t *it = NULL;
  rc = eddy_window_fetch(k->store, id, eddy_sat_add(row->ts, -w), eddy_sat_add(row->ts, w), &it,
                         err);
  eddy_store_entry_t e;
  int found = rc == 0 ? eddy_store_iter_next(it, &e, err) : rc;
  eddy_store_iter_destroy(it);
  if (found < 0)
    return found;
  if (found == 1) {
    k->stats.dropped++;
    return 0;
  }
  eddy_store_set_time(k->store, row->ts);
  rc = eddy_window_put(k->store, id, row->ts, eddy_slice("", 0), err);
  return rc == 0 ? pass(k, row, err) : rc;
}

static int changes(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err) {
  bool is_null;
  int rc = eddy__keyed_key(k, row, err);
  rc = rc == 0 ? eval_encoded(k, row, &k->vbuf, &is_null, err) : rc;
  if (rc != 0)
    return rc;
  eddy_slice_t key = eddy_slice(k->kbuf.p, k->kbuf.len), last;
  rc = eddy_store_get(k->store, key, &last, err);
  if (rc != 0 && rc != EDDY_ENOENT)
    return rc;
  if (rc == 0 && last.len == k->vbuf.len && memcmp(last.p, k->vbuf.p, last.len) == 0) {
    k->stats.dropped++;
    return 0;
  }
  eddy_store_set_time(k->store, row->ts);
  rc = eddy_store_put(k->store, key, eddy_slice(k->vbuf.p, k->vbuf.len), err);
  return rc == 0 ? pass(k, row, err) : rc;
}

int eddy_keyed_process(eddy_keyed_t *k, const eddy_row_t *row, int64_t stream_time,
                       eddy_error_t **err) {
  k->stats.records++;
  switch (k->node->kind) {
  case EDDY_NODE_OVER: return eddy__over_process(k, row, stream_time, err);
  case EDDY_NODE_DEDUPE: return dedupe(k, row, err);
  default: return changes(k, row, err);
  }
}

int eddy_keyed_flush(eddy_keyed_t *k, int64_t stream_time, eddy_error_t **err) {
  int rc = eddy_store_flush(k->store, err);
  if (rc == 0 && k->node->kind == EDDY_NODE_DEDUPE && stream_time != INT64_MIN)
    rc = eddy_store_expire(k->store, stream_time, err);
  return rc;
}
