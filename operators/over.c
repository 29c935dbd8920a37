/*
 * over: per record key, the aggregates of each record's frame (docs/dsl.md,
 * "over"). The state of a key is one value in a KV store:
 *
 *   | max event time | evicted (BOOL) | n | n x ( event time | arguments… ) |
 *
 * codec values, the records in event-time order (ties: arrival order). A
 * record's frame is the retained records that arrived before it with an
 * event time at or before its own -- the last `count` of them (rows), or
 * those no older than its time - range (range) -- plus itself unless
 * `exclude current`. rows keeps the `count` latest records; range keeps
 * those within 2 x range of the key's largest event time, so that a record
 * up to `range` out of order still finds its whole frame. Older records are
 * late: counted, handed to the late callback, neither emitted nor stored.
 */
#include "operators/keyed_int.h"

#include <string.h>

#include "serde/codec.h"

int eddy__over_setup(eddy_keyed_t *k, eddy_error_t **err) {
  const eddy_plan_keyed_t *s = k->spec;
  k->accs = eddy_calloc(s->agg_cnt + 1, sizeof(*k->accs));
  k->slot_cnt = 1;
  for (uint32_t i = 0; k->accs != NULL && i < s->agg_cnt; i++) {
    k->accs[i] = (eddy__acc_t){.spec = &s->aggs[i], .slot = k->slot_cnt, .index = i};
    k->slot_cnt += eddy__acc_slots(s->aggs[i].fn);
  }
  k->state = eddy_calloc(k->slot_cnt, sizeof(eddy_value_t));
  k->cur = eddy_calloc(s->arg_cnt + 1, sizeof(eddy_value_t));
  if (k->accs == NULL || k->state == NULL || k->cur == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  return 0;
}

void eddy__over_free(eddy_keyed_t *k) {
  eddy_free(k->accs);
  eddy_free(k->state);
  eddy_free(k->cur);
  eddy_free(k->ts);
  eddy_free(k->vals);
  eddy_free(k->off);
}

static int reserve(eddy_keyed_t *k, uint32_t n, eddy_error_t **err) {
  if (n <= k->cap)
    return 0;
  uint32_t cap = k->cap ? k->cap : 16;
  while (cap < n)
    cap *= 2;
  uint32_t w = k->spec->arg_cnt ? k->spec->arg_cnt : 1;
  int64_t *ts = eddy_realloc(k->ts, cap * sizeof(*ts));
  if (ts != NULL)
    k->ts = ts;
  eddy_value_t *vals = eddy_realloc(k->vals, (size_t)cap * w * sizeof(*vals));
  if (vals != NULL)
    k->vals = vals;
  uint32_t *off = eddy_realloc(k->off, ((size_t)cap + 1) * sizeof(*off));
  if (off != NULL)
    k->off = off;
  if (ts == NULL || vals == NULL || off == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  k->cap = cap;
  return 0;
}

/* The key's state, decoded (values borrow from the store until its next call). */
typedef struct {
  int64_t max_ts;
  bool evicted;
  uint32_t n;
} over_head_t;

static int corrupt(eddy_keyed_t *k, eddy_error_t **err) {
  return eddy_error_set(err, EDDY_ESTORE, "%s: undecodable record in store '%s'", k->node->name,
                        eddy_store_name(k->store));
}

static int load(eddy_keyed_t *k, eddy_slice_t key, over_head_t *h, eddy_error_t **err) {
  *h = (over_head_t){.max_ts = INT64_MIN};
  k->raw = NULL;
  eddy_slice_t v;
  int rc = eddy_store_get(k->store, key, &v, err);
  if (rc == EDDY_ENOENT)
    return reserve(k, 1, err);
  if (rc != 0)
    return rc;
  const uint8_t *p = v.p, *end = v.p + v.len;
  eddy_value_t m, ev, n;
  if (eddy_codec_get(&p, end, &m) || eddy_codec_get(&p, end, &ev) || eddy_codec_get(&p, end, &n) ||
      m.kind != EDDY_T_INT || ev.kind != EDDY_T_BOOL || n.kind != EDDY_T_INT || n.u.i < 0)
    return corrupt(k, err);
  *h = (over_head_t){.max_ts = m.u.i, .evicted = ev.u.b, .n = (uint32_t)n.u.i};
  if ((rc = reserve(k, h->n + 1, err)) != 0)
    return rc;
  uint32_t w = k->spec->arg_cnt;
  k->raw = v.p;
  for (uint32_t i = 0; i < h->n; i++) {
    k->off[i] = (uint32_t)(p - v.p);
    eddy_value_t t;
    if (eddy_codec_get(&p, end, &t) != 0 || t.kind != EDDY_T_INT)
      return corrupt(k, err);
    k->ts[i] = t.u.i;
    for (uint32_t j = 0; j < w; j++)
      if (eddy_codec_get(&p, end, &k->vals[(size_t)i * w + j]) != 0)
        return corrupt(k, err);
  }
  k->off[h->n] = (uint32_t)(p - v.p);
  return p == end ? 0 : corrupt(k, err);
}

static int eval_args(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err) {
  eddy_eval_ctx_t ctx = eddy__keyed_ctx(k, row);
  for (uint32_t i = 0; i < k->spec->arg_cnt; i++) {
    int rc = eddy_expr_eval(k->spec->args[i], &ctx, &k->cur[i], err);
    if (rc != 0)
      return rc;
    if (eddy_codec_normalize(&k->cur[i], &k->spec->args[i]->type) != 0)
      return eddy_error_set(err, EDDY_ERANGE, "%s: an aggregate argument does not fit its type",
                            k->node->name);
  }
  return 0;
}

static int fold(eddy_keyed_t *k, const eddy_value_t *vals, int64_t ts, eddy_error_t **err) {
  for (uint32_t i = 0; i < k->spec->agg_cnt; i++) {
    const eddy__acc_t *a = &k->accs[i];
    const eddy_value_t *x = a->spec->arg >= 0 ? &vals[a->spec->arg] : NULL;
    const eddy_value_t *by = a->spec->arg2 >= 0 ? &vals[a->spec->arg2] : NULL;
    eddy_value_t none = eddy_null();
    int rc = eddy__acc_update(a, k->state, x != NULL ? x : &none, by, ts, false, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* The output row: the input's own fields, then the aggregates of frame [lo, hi). */
static int frame_row(eddy_keyed_t *k, const eddy_row_t *row, uint32_t lo, uint32_t hi,
                     eddy_row_t *out, eddy_error_t **err) {
  const eddy_plan_keyed_t *s = k->spec;
  for (uint32_t i = 0; i < s->agg_cnt; i++)
    eddy__acc_init(&k->accs[i], k->state);
  int rc = 0;
  for (uint32_t i = lo; rc == 0 && i < hi; i++)
    rc = fold(k, &k->vals[(size_t)i * s->arg_cnt], k->ts[i], err);
  if (rc == 0 && !s->exclude_current)
    rc = fold(k, k->cur, row->ts, err);
  eddy_value_t *vals = eddy_arena_alloc(k->arena, (s->carry + s->agg_cnt + 1) * sizeof(*vals));
  if (rc == 0 && vals == NULL)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", k->node->name);
  if (rc != 0)
    return rc;
  memcpy(vals, row->vals, s->carry * sizeof(*vals));
  for (uint32_t i = 0; rc == 0 && i < s->agg_cnt; i++) {
    eddy_value_t v;
    rc = eddy__acc_result(&k->accs[i], k->state, &v, err);
    if (rc == 0 && eddy_value_copy(&vals[s->carry + i], &v, k->arena) != 0)
      rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", k->node->name);
  }
  *out = (eddy_row_t){.layout = s->out, .vals = vals, .key = row->key, .ts = row->ts,
                      .origin = row->origin};
  return rc;
}

/* The stored records [a, b) as load() read them: their bytes, not re-encoded. */
static int put_stored(eddy_keyed_t *k, uint32_t a, uint32_t b) {
  return a < b ? eddy_buf_append(&k->vbuf, k->raw + k->off[a], k->off[b] - k->off[a]) : 0;
}

/* Insert the current record at \p at, drop what the frame definition no longer needs,
 * and write the state back: the kept records' bytes as they were, the current record's
 * encoded. */
static int store_back(eddy_keyed_t *k, eddy_slice_t key, over_head_t *h, uint32_t at,
                      int64_t ts, eddy_error_t **err) {
  const eddy_plan_keyed_t *s = k->spec;
  uint32_t w = s->arg_cnt, stored = h->n;
  memmove(&k->ts[at + 1], &k->ts[at], (h->n - at) * sizeof(int64_t));
  memmove(&k->vals[(size_t)(at + 1) * w], &k->vals[(size_t)at * w],
          (size_t)(h->n - at) * w * sizeof(eddy_value_t));
  k->ts[at] = ts;
  memcpy(&k->vals[(size_t)at * w], k->cur, w * sizeof(eddy_value_t));
  h->n++;
  if (ts > h->max_ts)
    h->max_ts = ts;
  uint32_t drop = 0;
  if (s->rows) {
    drop = h->n > (uint64_t)s->count ? h->n - (uint32_t)s->count : 0;
  } else {
    while (drop < h->n && k->ts[drop] < h->max_ts - 2 * s->range)
      drop++;
  }
  h->evicted |= drop > 0;
  eddy_buf_clear(&k->vbuf);
  eddy_value_t head[3] = {eddy_int(h->max_ts), eddy_bool(h->evicted), eddy_int(h->n - drop)};
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < 3; i++)
    rc = eddy_codec_put(&k->vbuf, &head[i]);
  /* record i of the new list is stored record i before the current one (at), i - 1 after */
  rc = rc == 0 ? put_stored(k, drop < at ? drop : at, at) : rc;
  if (rc == 0 && at >= drop) {
    eddy_value_t t = eddy_int(ts);
    rc = eddy_codec_put(&k->vbuf, &t);
    for (uint32_t j = 0; rc == 0 && j < w; j++)
      rc = eddy_codec_put(&k->vbuf, &k->cur[j]);
  }
  rc = rc == 0 ? put_stored(k, drop > at + 1 ? drop - 1 : at, stored) : rc;
  if (rc != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", k->node->name);
  eddy_store_set_time(k->store, ts);
  return eddy_store_put(k->store, key, eddy_slice(k->vbuf.p, k->vbuf.len), err);
}

int eddy__over_process(eddy_keyed_t *k, const eddy_row_t *row, int64_t stream_time,
                       eddy_error_t **err) {
  const eddy_plan_keyed_t *s = k->spec;
  over_head_t h;
  int rc = eddy__keyed_key(k, row, err);
  rc = rc == 0 ? eval_args(k, row, err) : rc;
  eddy_slice_t key = eddy_slice(k->kbuf.p, k->kbuf.len);
  rc = rc == 0 ? load(k, key, &h, err) : rc;
  if (rc == 0)
    rc = reserve(k, h.n + 1, err);
  if (rc != 0)
    return rc;
  uint32_t hi = 0;   /* records [0, hi) are at or before the current one */
  while (hi < h.n && k->ts[hi] <= row->ts)
    hi++;
  uint32_t lo = 0;
  bool late;
  if (s->rows) {
    lo = hi > s->count ? hi - (uint32_t)s->count : 0;
    late = hi < s->count && h.evicted;
  } else {
    while (lo < hi && k->ts[lo] < row->ts - s->range)
      lo++;
    late = h.n > 0 && row->ts < h.max_ts - s->range;
  }
  if (late) {
    k->stats.late++;
    return k->late != NULL ? k->late(k->opaque, row, stream_time, err) : 0;
  }
  eddy_row_t out;
  rc = frame_row(k, row, lo, hi, &out, err);
  rc = rc == 0 ? store_back(k, key, &h, hi, row->ts, err) : rc;
  return rc == 0 ? eddy__keyed_emit(k, &out, err) : rc;
}
