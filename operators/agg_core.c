/*
 * What the two variants of the aggregate operator share (aggregate_int.h):
 * windows and no window (aggregate.c), session windows (session.c). Both
 * keep the group key as codec values, the state of aggregate_int.h, the
 * operator's position in their store, and build result rows the same way.
 */
#include "operators/aggregate_int.h"

#include "serde/codec.h"

static int oom(eddy_error_t **err) { return eddy_error_set(err, EDDY_ENOMEM, "out of memory"); }

int eddy__agg_core_init(eddy__agg_core_t *c, const eddy_agg_conf_t *conf,
                        eddy_changelog_fn changelog, void *changelog_opaque, eddy_error_t **err) {
  const eddy_plan_group_t *g = conf->node->u.aggregate.group;
  *c = (eddy__agg_core_t){.node = conf->node, .g = g, .store = conf->store, .emit = conf->emit,
                          .late = conf->late, .opaque = conf->opaque, .arena = conf->arena,
                          .changelog = changelog, .changelog_opaque = changelog_opaque,
                          .saved_time = INT64_MIN, .saved_emitted = INT64_MIN,
                          .emitted_to = INT64_MIN};
  c->accs = eddy_calloc(g->agg_cnt ? g->agg_cnt : 1, sizeof(*c->accs));
  if (c->accs == NULL)
    return oom(err);
  c->slot_cnt = 1;   /* slot 0: the largest event time */
  for (uint32_t i = 0; i < g->agg_cnt; i++) {
    c->accs[i] = (eddy__acc_t){.spec = &g->aggs[i], .slot = c->slot_cnt, .index = i};
    c->slot_cnt += eddy__acc_slots(g->aggs[i].fn);
  }
  c->state = eddy_calloc(c->slot_cnt, sizeof(eddy_value_t));
  c->emit_state = eddy_calloc(c->slot_cnt, sizeof(eddy_value_t));
  return c->state == NULL || c->emit_state == NULL ? oom(err) : 0;
}

void eddy__agg_core_free(eddy__agg_core_t *c) {
  eddy_free(c->accs);
  eddy_free(c->state);
  eddy_free(c->emit_state);
  eddy_buf_free(&c->kbuf);
  eddy_buf_free(&c->vbuf);
}

int eddy__agg_corrupt(const eddy__agg_core_t *c, eddy_error_t **err) {
  return eddy_error_set(err, EDDY_ESTORE, "%s: undecodable record in store '%s'", c->node->name,
                        eddy_store_name(c->store));
}

int eddy__agg_decode(const eddy__agg_core_t *c, eddy_slice_t v, eddy_value_t *out, uint32_t cnt,
                     eddy_error_t **err) {
  const uint8_t *p = v.p, *end = v.p + v.len;
  for (uint32_t i = 0; i < cnt; i++)
    if (eddy_codec_get(&p, end, &out[i]) != 0)
      return eddy__agg_corrupt(c, err);
  return p == end ? 0 : eddy__agg_corrupt(c, err);
}

int eddy__agg_encode_key(eddy__agg_core_t *c, const eddy_row_t *row, eddy_error_t **err) {
  eddy_buf_clear(&c->kbuf);
  for (uint32_t i = 0; i < c->g->key_cnt; i++) {
    eddy_value_t v = row->vals[i];
    int rc = eddy_codec_normalize(&v, &c->g->part->items[i].type);
    if (rc == 0)
      rc = eddy_codec_put(&c->kbuf, &v);
    if (rc != 0)
      return eddy_error_set(err, rc, "%s: cannot encode group column '%s'", c->node->name,
                            c->g->part->items[i].name);
  }
  return 0;
}

/* The position: | stream time | emitted up to |, two codec INTs. */
int eddy__agg_position_load(eddy__agg_core_t *c, bool found, eddy_slice_t v, eddy_error_t **err) {
  c->saved_time = c->saved_emitted = c->emitted_to = INT64_MIN;
  if (!found)
    return 0;
  eddy_value_t pos[2];
  int rc = eddy__agg_decode(c, v, pos, 2, err);
  if (rc != 0)
    return rc;
  if (pos[0].kind != EDDY_T_INT || pos[1].kind != EDDY_T_INT)
    return eddy__agg_corrupt(c, err);
  c->saved_time = pos[0].u.i;
  c->saved_emitted = c->emitted_to = pos[1].u.i;
  return 0;
}

int eddy__agg_position_encode(eddy__agg_core_t *c, int64_t stream_time, eddy_error_t **err) {
  if (stream_time == c->saved_time && c->emitted_to == c->saved_emitted)
    return 1;
  eddy_value_t pos[2] = {eddy_int(stream_time), eddy_int(c->emitted_to)};
  eddy_buf_clear(&c->vbuf);
  if (eddy_codec_put(&c->vbuf, &pos[0]) != 0 || eddy_codec_put(&c->vbuf, &pos[1]) != 0)
    return oom(err);
  return 0;
}

void eddy__agg_position_stored(eddy__agg_core_t *c, int64_t stream_time) {
  c->saved_time = stream_time;
  c->saved_emitted = c->emitted_to;
}

int eddy__agg_encode_state(eddy__agg_core_t *c, eddy_error_t **err) {
  eddy_buf_clear(&c->vbuf);
  for (uint32_t i = 0; i < c->slot_cnt; i++)
    if (eddy_codec_put(&c->vbuf, &c->state[i]) != 0)
      return oom(err);
  return 0;
}

int eddy__agg_forward(eddy__agg_core_t *c, eddy_slice_t key, const eddy_slice_t *value,
                      int64_t time, eddy_store_entry_t *out, bool *emit, eddy_error_t **err) {
  *emit = false;
  int rc = c->changelog != NULL ? c->changelog(c->changelog_opaque, key, value, time, err) : 0;
  if (rc != 0 || c->g->emit_final || value == NULL)
    return rc;
  if (eddy_store_changelog_key_decode(c->store, key, out) != 0)
    return eddy__agg_corrupt(c, err);
  *emit = out->key.len > 0;   /* an empty key: the operator's position */
  return 0;
}

/* A result row, copied into the arena (see eddy__agg_emit). */
static int build_row(eddy__agg_core_t *c, eddy_slice_t key, bool window, int64_t start,
                     int64_t end, const eddy_slice_t *value, uint32_t key_cols, int64_t ts,
                     eddy_row_t *row, eddy_error_t **err) {
  const eddy_plan_group_t *g = c->g;
  const eddy_fields_t *out = c->node->out;
  eddy_value_t *vals = eddy_arena_calloc(c->arena, out->cnt, sizeof(eddy_value_t));
  if (vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", c->node->name);
  int rc = eddy__agg_decode(c, key, c->emit_state, g->key_cnt, err);
  for (uint32_t i = 0; rc == 0 && i < g->key_cnt; i++)
    rc = eddy_value_copy(&vals[i], &c->emit_state[i], c->arena);
  if (rc == 0 && value != NULL)
    rc = eddy__agg_decode(c, *value, c->emit_state, c->slot_cnt, err);
  uint32_t k = g->key_cnt;
  if (window) {
    vals[k++] = eddy_timestamp(start);
    vals[k++] = eddy_timestamp(end);
  }
  for (uint32_t i = 0; rc == 0 && value != NULL && i < g->agg_cnt; i++) {
    eddy_value_t v;
    rc = eddy__acc_result(&c->accs[i], c->emit_state, &v, err);
    rc = rc == 0 ? eddy_value_copy(&vals[k + i], &v, c->arena) : rc;
  }
  if (rc == EDDY_ENOMEM)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", c->node->name);
  if (rc != 0)
    return rc;
  *row = (eddy_row_t){.layout = out, .vals = vals, .key = vals[0], .tombstone = value == NULL};
  if (key_cols > 1) {
    row->key = (eddy_value_t){.kind = EDDY_T_STRUCT, .len = key_cols};
    row->key.u.items = vals;
  }
  row->ts = value != NULL && c->emit_state[0].kind == EDDY_T_INT ? c->emit_state[0].u.i : ts;
  return 0;
}

int eddy__agg_emit_result(eddy__agg_core_t *c, eddy_slice_t key, bool window, int64_t start,
                          int64_t end, const eddy_slice_t *value, uint32_t key_cols, int64_t ts,
                          eddy_error_t **err) {
  eddy_row_t row;
  int rc = build_row(c, key, window, start, end, value, key_cols, ts, &row, err);
  if (rc == 0 && c->emit != NULL)
    rc = c->emit(c->opaque, &row, err);
  if (rc == 0)
    c->stats.emitted++;
  return rc;
}
