/*
 * The aggregate operator (see aggregate.h): windows, late records, emit
 * final on close and emit changes through the store's flush.
 *
 * Store layout. The aggregate store maps (group key, window start) -- or the
 * group key alone without a window -- to the state of aggregate_int.h. The
 * group key is the group columns encoded with serde/codec.h, so it is
 * never empty; the empty key holds the operator's own position, written at
 * every flush and restored with the store:
 *
 *   key "", window start 2^62  ->  | stream time | emitted up to |  (two codec INTs)
 *
 * "emitted up to" is the largest window start whose final result went out:
 * every window starting at or before it is closed and emitted. The distinct
 * store maps (group key | aggregate index (2 bytes) | value, window start) -> "".
 */
#include "operators/aggregate_int.h"

#include <string.h>

#include "serde/codec.h"

#define TIME_LIMIT EDDY__AGG_TIME_LIMIT
#define META_START EDDY__AGG_META_TIME

struct eddy_agg_s {
  eddy__agg_core_t c;        /* node, store, accumulators, state, position (aggregate_int.h) */
  eddy_store_t *distinct;
  eddy_buf_t dbuf, tbuf;
  int64_t deadline;
  eddy__session_t *session;  /* window session: session.c does the work */
};

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The stream time at which the first window not yet emitted closes. */
static int64_t next_deadline(const eddy_agg_t *agg) {
  const eddy_plan_group_t *g = agg->c.g;
  if (!g->windowed || !g->emit_final)
    return INT64_MAX;
  if (agg->c.emitted_to == INT64_MIN)
    return INT64_MIN;
  int64_t next = floor_div(agg->c.emitted_to, g->advance) * g->advance + g->advance;
  return eddy_sat_add(eddy_sat_add(next, g->size), g->grace);
}

static int load_position(eddy_agg_t *agg, eddy_error_t **err) {
  if (!agg->c.g->windowed)
    return eddy__agg_position_load(&agg->c, false, eddy_slice(NULL, 0), err);
  eddy_slice_t v;
  int rc = eddy_window_get(agg->c.store, eddy_slice(NULL, 0), META_START, &v, err);
  if (rc != 0 && rc != EDDY_ENOENT)
    return rc;
  return eddy__agg_position_load(&agg->c, rc == 0, v, err);
}

static int on_flush(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                    eddy_error_t **err);

int eddy_agg_new(eddy_agg_t **out, const eddy_agg_conf_t *conf, eddy_changelog_fn changelog,
                 void *changelog_opaque, eddy_error_t **err) {
  *out = NULL;
  if (conf->node == NULL || conf->node->kind != EDDY_NODE_AGGREGATE || conf->store == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "aggregate: an aggregate node and its store needed");
  eddy_agg_t *agg = eddy_calloc(1, sizeof(*agg));
  if (agg == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  agg->distinct = conf->distinct;
  int rc;
  if (conf->node->u.aggregate.group->session) {
    rc = eddy__session_new(&agg->session, conf, changelog, changelog_opaque, err);
  } else {
    rc = eddy__agg_core_init(&agg->c, conf, changelog, changelog_opaque, err);
    rc = rc == 0 ? load_position(agg, err) : rc;
    agg->deadline = next_deadline(agg);
  }
  if (rc != 0) {
    eddy_agg_destroy(agg);
    return rc;
  }
  if (agg->session == NULL)
    eddy_store_set_changelog(agg->c.store, on_flush, agg);
  *out = agg;
  return 0;
}

void eddy_agg_destroy(eddy_agg_t *agg) {
  if (agg == NULL)
    return;
  if (agg->session != NULL)
    eddy__session_destroy(agg->session);
  else if (agg->c.store != NULL)
    eddy_store_set_changelog(agg->c.store, agg->c.changelog, agg->c.changelog_opaque);
  eddy__agg_core_free(&agg->c);
  eddy_buf_free(&agg->dbuf);
  eddy_buf_free(&agg->tbuf);
  eddy_free(agg);
}

int64_t eddy_agg_stream_time(const eddy_agg_t *agg) {
  return agg->session ? eddy__session_stream_time(agg->session) : agg->c.saved_time;
}

int64_t eddy_agg_deadline(const eddy_agg_t *agg) {
  return agg->session ? eddy__session_deadline(agg->session) : agg->deadline;
}

void eddy_agg_stats(const eddy_agg_t *agg, eddy_agg_stats_t *out) {
  if (agg->session != NULL)
    eddy__session_stats(agg->session, out);
  else
    *out = agg->c.stats;
}

/* ---- result rows ----------------------------------------------------------- */

static int emit_stored(eddy_agg_t *agg, eddy_slice_t key, int64_t start, eddy_slice_t value,
                       eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->c.g;
  return eddy__agg_emit_result(&agg->c, key, g->windowed, start, start + g->size, &value,
                               g->key_cnt, start, err);
}

/* The store's changelog hook: forward, and under emit changes, emit the update. */
static int on_flush(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                    eddy_error_t **err) {
  eddy_agg_t *agg = opaque;
  eddy_store_entry_t e;
  bool emit;
  int rc = eddy__agg_forward(&agg->c, key, value, time, &e, &emit, err);
  if (rc != 0 || !emit)
    return rc;
  return emit_stored(agg, e.key, e.start, *value, err);
}

/* ---- folding records in ----------------------------------------------------- */

static int load_state(eddy_agg_t *agg, eddy_slice_t key, int64_t start, eddy_error_t **err) {
  eddy_slice_t v;
  int rc = agg->c.g->windowed ? eddy_window_get(agg->c.store, key, start, &v, err)
                            : eddy_store_get(agg->c.store, key, &v, err);
  if (rc == EDDY_ENOENT) {
    agg->c.state[0] = eddy_null();
    for (uint32_t i = 0; i < agg->c.g->agg_cnt; i++)
      eddy__acc_init(&agg->c.accs[i], agg->c.state);
    return 0;
  }
  return rc != 0 ? rc : eddy__agg_decode(&agg->c, v, agg->c.state, agg->c.slot_cnt, err);
}

/* The distinct store's key of (group, window, function, x) in agg->dbuf. */
static int distinct_key(eddy_agg_t *agg, const eddy__acc_t *a, eddy_slice_t key,
                        const eddy_value_t *x, eddy_error_t **err) {
  eddy_buf_clear(&agg->dbuf);
  uint8_t idx[2] = {(uint8_t)(a->index >> 8), (uint8_t)a->index};
  if (eddy_buf_append(&agg->dbuf, key.p, key.len) != 0 ||
      eddy_buf_append(&agg->dbuf, idx, 2) != 0 || eddy_codec_put(&agg->dbuf, x) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  return 0;
}

static int distinct_get(eddy_agg_t *agg, int64_t start, eddy_slice_t *v, eddy_error_t **err) {
  eddy_slice_t dk = eddy_slice(agg->dbuf.p, agg->dbuf.len);
  return agg->c.g->windowed ? eddy_window_get(agg->distinct, dk, start, v, err)
                          : eddy_store_get(agg->distinct, dk, v, err);
}

static int distinct_put(eddy_agg_t *agg, int64_t start, eddy_slice_t v, eddy_error_t **err) {
  eddy_slice_t dk = eddy_slice(agg->dbuf.p, agg->dbuf.len);
  return agg->c.g->windowed ? eddy_window_put(agg->distinct, dk, start, v, err)
                          : eddy_store_put(agg->distinct, dk, v, err);
}

/* count_distinct: is \p x new in this (group, window)? Remembers it if so. */
static int distinct_new(eddy_agg_t *agg, const eddy__acc_t *a, eddy_slice_t key, int64_t start,
                        const eddy_value_t *x, bool *is_new, eddy_error_t **err) {
  eddy_slice_t v;
  int rc = distinct_key(agg, a, key, x, err);
  if (rc == 0)
    rc = distinct_get(agg, start, &v, err);
  *is_new = rc == EDDY_ENOENT;
  if (!*is_new)
    return rc;
  return distinct_put(agg, start, eddy_slice("", 0), err);
}

/* top(x, w): x's total weight in this (group, window) after adding \p w. */
static int top_total(eddy_agg_t *agg, const eddy__acc_t *a, eddy_slice_t key, int64_t start,
                     const eddy_value_t *x, const eddy_value_t *w, eddy_value_t *total,
                     eddy_error_t **err) {
  eddy_slice_t v;
  *total = eddy_null();
  int rc = distinct_key(agg, a, key, x, err);
  if (rc == 0)
    rc = distinct_get(agg, start, &v, err);
  if (rc == 0) {
    const uint8_t *p = v.p;
    if (eddy_codec_get(&p, v.p + v.len, total) != 0)
      return eddy_error_set(err, EDDY_ESTORE, "%s: a corrupt top(...) total in the store",
                            agg->c.node->name);
  } else if (rc != EDDY_ENOENT) {
    return rc;
  }
  rc = eddy__acc_top_add(a, total, w, err);
  eddy_buf_t *tb = &agg->tbuf;
  eddy_buf_clear(tb);
  if (rc == 0 && eddy_codec_put(tb, total) != 0)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  return rc != 0 ? rc : distinct_put(agg, start, eddy_slice(tb->p, tb->len), err);
}

static int fold(eddy_agg_t *agg, eddy_slice_t key, int64_t start, const eddy_row_t *row,
                eddy_error_t **err) {
  if (agg->c.state[0].kind == EDDY_T_NULL || row->ts > agg->c.state[0].u.i)
    agg->c.state[0] = eddy_int(row->ts);
  for (uint32_t i = 0; i < agg->c.g->agg_cnt; i++) {
    const eddy__acc_t *a = &agg->c.accs[i];
    eddy_value_t x = a->spec->arg >= 0 ? row->vals[a->spec->arg] : eddy_null();
    eddy_value_t by = a->spec->arg2 >= 0 ? row->vals[a->spec->arg2] : eddy_null();
    eddy_value_t total = eddy_null();
    bool is_new = false;
    int rc = eddy_codec_normalize(&x, &a->spec->arg_type);
    if (rc == 0 && a->spec->fn == EDDY_AGG_COUNT_DISTINCT && !eddy_is_null(&x))
      rc = distinct_new(agg, a, key, start, &x, &is_new, err);
    else if (rc == 0 && a->spec->fn == EDDY_AGG_TOP && !eddy_is_null(&x) && !eddy_is_null(&by))
      rc = top_total(agg, a, key, start, &x, &by, &total, err);
    else if (rc != 0)
      rc = eddy_error_set(err, rc, "%s: %s's argument does not fit its type", agg->c.node->name,
                          a->spec->name);
    if (rc == 0)
      rc = eddy__acc_update(a, agg->c.state, &x,
                            a->spec->fn == EDDY_AGG_TOP ? &total : a->spec->arg2 >= 0 ? &by : NULL,
                            row->ts, is_new, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int update(eddy_agg_t *agg, eddy_slice_t key, int64_t start, const eddy_row_t *row,
                  eddy_error_t **err) {
  int rc = load_state(agg, key, start, err);
  if (rc == 0)
    rc = fold(agg, key, start, row, err);
  rc = rc == 0 ? eddy__agg_encode_state(&agg->c, err) : rc;
  if (rc != 0)
    return rc;
  eddy_slice_t v = eddy_slice(agg->c.vbuf.p, agg->c.vbuf.len);
  return agg->c.g->windowed ? eddy_window_put(agg->c.store, key, start, v, err)
                          : eddy_store_put(agg->c.store, key, v, err);
}

int eddy_agg_process(eddy_agg_t *agg, const eddy_row_t *row, int64_t stream_time,
                     eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->c.g;
  if (agg->session != NULL)
    return eddy__session_process(agg->session, row, stream_time, err);
  if (row->ts < -TIME_LIMIT || row->ts > TIME_LIMIT)
    return eddy_error_set(err, EDDY_ERANGE, "%s: event time %lld is out of range",
                          agg->c.node->name, (long long)row->ts);
  int rc = eddy__agg_encode_key(&agg->c, row, err);
  if (rc != 0)
    return rc;
  eddy_slice_t key = eddy_slice(agg->c.kbuf.p, agg->c.kbuf.len);
  eddy_store_set_time(agg->c.store, row->ts);
  if (agg->distinct != NULL)
    eddy_store_set_time(agg->distinct, row->ts);
  if (!g->windowed) {
    rc = update(agg, key, 0, row, err);
    agg->c.stats.records += rc == 0;
    return rc;
  }
  uint32_t windows = 0, missed = 0;
  int64_t last = floor_div(row->ts, g->advance) * g->advance;
  for (int64_t start = last; rc == 0 && start > row->ts - g->size; start -= g->advance) {
    windows++;
    if (eddy_sat_add(start, g->size + g->grace) <= stream_time)
      missed++;   /* closed: late for this window */
    else
      rc = update(agg, key, start, row, err);
  }
  if (rc != 0)
    return rc;
  agg->c.stats.records += missed < windows;
  if (missed == 0)
    return 0;
  agg->c.stats.late++;
  return agg->c.late != NULL
             ? agg->c.late(agg->c.opaque, row, missed, windows, stream_time, err)
             : 0;
}

/* ---- time moving on ----------------------------------------------------------- */

int eddy_agg_advance(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->c.g;
  if (agg->session != NULL)
    return eddy__session_advance(agg->session, stream_time, err);
  if (stream_time < agg->deadline || stream_time == INT64_MIN)
    return 0;
  int64_t close = eddy_sat_add(stream_time, -eddy_sat_add(g->size, g->grace));
  if (close > agg->c.emitted_to) {
    eddy_store_iter_t *it = NULL;
    int64_t from = agg->c.emitted_to == INT64_MIN ? INT64_MIN : agg->c.emitted_to + 1;
    int rc = eddy_window_fetch_all(agg->c.store, from, close, &it, err);
    eddy_store_entry_t e;
    while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1)
      rc = e.key.len == 0 ? 0 : emit_stored(agg, e.key, e.start, e.value, err);
    eddy_store_iter_destroy(it);
    if (rc != 0)
      return rc;
    agg->c.emitted_to = close;
  }
  agg->deadline = next_deadline(agg);
  return 0;
}

static int save_position(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err) {
  int rc = eddy__agg_position_encode(&agg->c, stream_time, err);
  if (rc != 0)
    return rc > 0 ? 0 : rc;
  eddy_store_set_time(agg->c.store, stream_time);
  rc = eddy_window_put(agg->c.store, eddy_slice(NULL, 0), META_START,
                       eddy_slice(agg->c.vbuf.p, agg->c.vbuf.len), err);
  if (rc == 0)
    eddy__agg_position_stored(&agg->c, stream_time);
  return rc;
}

int eddy_agg_flush(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err) {
  if (agg->session != NULL)
    return eddy__session_flush(agg->session, stream_time, err);
  bool timed = agg->c.g->windowed && stream_time != INT64_MIN;
  int rc = timed ? eddy_agg_advance(agg, stream_time, err) : 0;
  rc = rc == 0 && timed ? save_position(agg, stream_time, err) : rc;
  rc = rc == 0 ? eddy_store_flush(agg->c.store, err) : rc;
  if (rc == 0 && agg->distinct != NULL)
    rc = eddy_store_flush(agg->distinct, err);
  /* expire after the flush: a window updated just before it closed still
   * reaches the changelog (and emit changes) before it is dropped */
  rc = rc == 0 && timed ? eddy_store_expire(agg->c.store, stream_time, err) : rc;
  if (rc == 0 && timed && agg->distinct != NULL)
    rc = eddy_store_expire(agg->distinct, stream_time, err);
  return rc;
}
