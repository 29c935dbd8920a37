/* Tables and joins at run time (see join.h). */
#include "operators/join_int.h"

#include <string.h>

#include "serde/codec.h"
#include "operators/expr.h"

int eddy_table_apply(eddy_store_t *st, eddy_slice_t key, const eddy_slice_t *value,
                     bool *had_old, eddy_error_t **err) {
  eddy_slice_t old;
  int rc = eddy_store_get(st, key, &old, err);
  if (rc != 0 && rc != EDDY_ENOENT)
    return rc;
  *had_old = rc == 0;
  if (value != NULL)
    return eddy_store_put(st, key, *value, err);
  return *had_old ? eddy_store_delete(st, key, err) : 0;
}

int eddy_join_key(const eddy_value_t *v, const eddy_type_t *t, bool raw, eddy_buf_t *out) {
  eddy_buf_clear(out);
  if (eddy_is_null(v))
    return EDDY_ENOENT;
  if (raw)
    return v->kind == EDDY_T_STRING ? eddy_buf_append(out, v->u.s, v->len) : EDDY_EINVAL;
  eddy_value_t n = *v;
  int rc = eddy_codec_normalize(&n, t);
  return rc == 0 ? eddy_codec_put(out, &n) : rc;
}

static void init_side(side_t *s, const eddy_join_table_t *t, uint32_t cnt,
                      const eddy_plan_group_t *part) {
  s->t = *t;
  s->op_slot = -1;
  if (part != NULL) {   /* a buffered stream: its repartition rows */
    s->layout = part->part;
    s->off = 1;
    s->cnt = cnt;
    return;
  }
  if (t->table == NULL)
    return;
  s->layout = t->table->in;
  s->off = s->layout->cnt > 0 && strcmp(s->layout->items[0].name, "@jk") == 0;
  s->cnt = cnt;
  s->op_slot = t->table->u.table.debezium && s->off == 0 ? eddy_fields_find(s->layout, "op") : -1;
}

int eddy_join_new(eddy_join_t **out, const eddy_join_conf_t *conf, eddy_error_t **err) {
  *out = NULL;
  if (conf->node == NULL || conf->node->kind != EDDY_NODE_JOIN || conf->right.store == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "join: a join node and its table store needed");
  const eddy_plan_join_t *jp = conf->node->u.join;
  if (jp->shape != EDDY_JOIN_STREAM_TABLE && conf->left.store == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "%s: the left table's store needed", conf->node->name);
  eddy_join_t *j = eddy_calloc(1, sizeof(*j));
  if (j == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  j->node = conf->node;
  j->jp = jp;
  bool windowed = jp->shape == EDDY_JOIN_STREAM_STREAM;
  init_side(&j->left, &conf->left, jp->left_in->cnt, windowed ? jp->left_part : NULL);
  init_side(&j->right, &conf->right, jp->right_in->cnt, windowed ? jp->right_part : NULL);
  j->emit = conf->emit;
  j->opaque = conf->opaque;
  j->arena = conf->arena;
  int rc = windowed ? eddy__join_window_setup(j, err) : 0;
  if (rc != 0) {
    eddy_join_destroy(j);
    return rc;
  }
  *out = j;
  return 0;
}

void eddy_join_destroy(eddy_join_t *j) {
  if (j == NULL)
    return;
  eddy_buf_free(&j->kbuf);
  eddy_buf_free(&j->vbuf);
  eddy_free(j);
}

void eddy_join_stats(const eddy_join_t *j, eddy_join_stats_t *out) { *out = j->stats; }

int eddy__join_oom(eddy_join_t *j, eddy_error_t **err) {
  return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", j->node->name);
}

/* The row stored under \p key on side \p s, decoded into the arena; *vals NULL if none. */
static int lookup(eddy_join_t *j, side_t *s, eddy_slice_t key, const eddy_value_t **vals,
                  eddy_error_t **err) {
  *vals = NULL;
  eddy_slice_t v;
  int rc = eddy_store_get(s->t.store, key, &v, err);
  if (rc == EDDY_ENOENT)
    return 0;
  if (rc != 0)
    return rc;
  return eddy__join_decode(j, s, v, vals, err);
}

int eddy__join_decode(eddy_join_t *j, side_t *s, eddy_slice_t v, const eddy_value_t **vals,
                      eddy_error_t **err) {
  *vals = NULL;
  int rc;
  uint8_t *copy = eddy_arena_alloc(j->arena, v.len ? v.len : 1);
  eddy_value_t *row = eddy_arena_calloc(j->arena, s->layout->cnt ? s->layout->cnt : 1,
                                        sizeof(eddy_value_t));
  if (copy == NULL || row == NULL)
    return eddy__join_oom(j, err);
  memcpy(copy, v.p, v.len);
  eddy_error_t *why = NULL;
  rc = eddy_decoder_decode(s->t.decoder, copy, v.len, row, j->arena, &why);
  if (rc == EDDY_ENOENT)
    return 0;
  if (rc != 0) {
    rc = eddy_error_set(err, EDDY_ESTORE, "%s: undecodable row in store '%s': %s", j->node->name,
                        eddy_store_name(s->t.store), eddy_error_msg(why));
    eddy_error_destroy(why);
    return rc;
  }
  const eddy_value_t *op = s->op_slot >= 0 ? &row[s->op_slot] : NULL;
  if (op != NULL && op->kind == EDDY_T_STRING && op->len == 1 && op->u.s[0] == 'd')
    return 0;
  *vals = row + s->off;
  return 0;
}

/* An output row: left fields (or nulls), right fields (or nulls). */
int eddy__join_emit(eddy_join_t *j, const eddy_value_t *left, const eddy_value_t *right,
                    eddy_value_t key, int64_t ts, const eddy_row_t *from, bool tombstone,
                    eddy_error_t **err) {
  const eddy_fields_t *out = j->jp->out;
  uint32_t nl = j->jp->left_in->cnt, nr = j->jp->right_in->cnt;
  eddy_value_t *vals = eddy_arena_calloc(j->arena, out->cnt ? out->cnt : 1, sizeof(eddy_value_t));
  if (vals == NULL)
    return eddy__join_oom(j, err);
  if (left != NULL && nl > 0)
    memcpy(vals, left, nl * sizeof(eddy_value_t));
  if (right != NULL && nr > 0)
    memcpy(vals + nl, right, nr * sizeof(eddy_value_t));
  eddy_row_t row = {.layout = out, .vals = vals, .key = key, .ts = ts,
                    .origin = from != NULL ? from->origin : NULL, .tombstone = tombstone};
  j->stats.emitted++;
  j->stats.tombstones += tombstone;
  return j->emit != NULL ? j->emit(j->opaque, &row, err) : 0;
}

int eddy_join_stream(eddy_join_t *j, const eddy_row_t *row, eddy_error_t **err) {
  const eddy_plan_join_t *jp = j->jp;
  eddy_value_t k;
  if (jp->rekey_left) {
    k = row->vals[0];
  } else {
    eddy_eval_ctx_t ctx = {.rows = {row, NULL}, .arena = j->arena};
    int rc = eddy_expr_eval(jp->on, &ctx, &k, err);
    if (rc != 0)
      return rc;
  }
  const eddy_value_t *right = NULL;
  int rc = eddy_join_key(&k, &jp->key_type, jp->raw, &j->kbuf);
  if (rc == 0) {
    j->stats.lookups++;
    rc = lookup(j, &j->right, eddy_slice(j->kbuf.p, j->kbuf.len), &right, err);
  } else if (rc == EDDY_ENOENT) {
    rc = 0;   /* a null key matches nothing */
  } else {
    return eddy_error_set(err, rc, "%s: the join key does not fit the table's key type",
                          j->node->name);
  }
  if (rc != 0)
    return rc;
  j->stats.matches += right != NULL;
  if (right == NULL && jp->kind == EDDY_JOIN_INNER)
    return 0;
  return eddy__join_emit(j, row->vals + jp->left_off, right, k, row->ts, row, false, err);
}

/* Does a result exist for a key, given the updated side and the other? */
static bool result(eddy_join_kind_t kind, bool left_side, bool side, bool other) {
  switch (kind) {
  case EDDY_JOIN_INNER: return side && other;
  case EDDY_JOIN_LEFT: return left_side ? side : other;
  default: return side || other;
  }
}

/* The key value of store key \p key, in the arena. */
static int key_value(eddy_join_t *j, eddy_slice_t key, eddy_value_t *out, eddy_error_t **err) {
  uint8_t *copy = eddy_arena_alloc(j->arena, key.len ? key.len : 1);
  if (copy == NULL)
    return eddy__join_oom(j, err);
  memcpy(copy, key.p, key.len);
  if (j->jp->raw) {
    *out = eddy_string((const char *)copy, key.len);
    return 0;
  }
  const uint8_t *p = copy;
  if (eddy_codec_get(&p, copy + key.len, out) != 0)
    return eddy_error_set(err, EDDY_ESTORE, "%s: undecodable table key", j->node->name);
  return 0;
}

int eddy_join_table_changed(eddy_join_t *j, bool left, eddy_slice_t key, const eddy_value_t *vals,
                            bool had_old, int64_t ts, eddy_error_t **err) {
  if (j->jp->shape != EDDY_JOIN_TABLE_TABLE)
    return 0;   /* stream-table: a table update emits nothing */
  side_t *self = left ? &j->left : &j->right, *other = left ? &j->right : &j->left;
  const eddy_value_t *ovals;
  j->stats.lookups++;
  int rc = lookup(j, other, key, &ovals, err);
  if (rc != 0)
    return rc;
  const eddy_value_t *svals = vals != NULL ? vals + self->off : NULL;
  bool now = result(j->jp->kind, left, svals != NULL, ovals != NULL);
  bool before = result(j->jp->kind, left, had_old, ovals != NULL);
  if (!now && !before)
    return 0;
  eddy_value_t k;
  rc = key_value(j, key, &k, err);
  if (rc != 0)
    return rc;
  j->stats.matches += svals != NULL && ovals != NULL;
  if (!now)
    return eddy__join_emit(j, NULL, NULL, k, ts, NULL, true, err);
  return eddy__join_emit(j, left ? svals : ovals, left ? ovals : svals, k, ts, NULL, false, err);
}
