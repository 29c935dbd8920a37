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

/* Record times are kept within ±2^61 µs (±73,000 years), so window arithmetic never
 * overflows; the position entry sits beyond every window (its end too). */
#define TIME_LIMIT ((int64_t)1 << 61)
#define META_START ((int64_t)1 << 62)

struct eddy_agg_s {
  const eddy_plan_node_t *node;
  const eddy_plan_group_t *g;
  eddy_store_t *store, *distinct;
  eddy_agg_emit_fn emit;
  eddy_agg_late_fn late;
  void *opaque;
  eddy_arena_t *arena;
  eddy_changelog_fn changelog;
  void *changelog_opaque;
  eddy__acc_t *accs;
  uint32_t slot_cnt;
  eddy_value_t *state;       /* the row being updated */
  eddy_value_t *emit_state;  /* the row being emitted (a flush may emit during an update) */
  eddy_buf_t kbuf, vbuf, dbuf, tbuf;
  int64_t saved_time, saved_emitted;  /* the position in the store */
  int64_t emitted_to;
  int64_t deadline;
  eddy_agg_stats_t stats;
  eddy__session_t *session;  /* window session: session.c does the work */
};

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

/* The stream time at which the first window not yet emitted closes. */
static int64_t next_deadline(const eddy_agg_t *agg) {
  const eddy_plan_group_t *g = agg->g;
  if (!g->windowed || !g->emit_final)
    return INT64_MAX;
  if (agg->emitted_to == INT64_MIN)
    return INT64_MIN;
  int64_t next = floor_div(agg->emitted_to, g->advance) * g->advance + g->advance;
  return sat_add(sat_add(next, g->size), g->grace);
}

static int corrupt(eddy_agg_t *agg, eddy_error_t **err) {
  return eddy_error_set(err, EDDY_ESTORE, "%s: undecodable record in store '%s'",
                        agg->node->name, eddy_store_name(agg->store));
}

static int decode_values(eddy_agg_t *agg, eddy_slice_t v, eddy_value_t *out, uint32_t cnt,
                         eddy_error_t **err) {
  const uint8_t *p = v.p, *end = v.p + v.len;
  for (uint32_t i = 0; i < cnt; i++)
    if (eddy_codec_get(&p, end, &out[i]) != 0)
      return corrupt(agg, err);
  return p == end ? 0 : corrupt(agg, err);
}

static int load_position(eddy_agg_t *agg, eddy_error_t **err) {
  agg->saved_time = agg->saved_emitted = agg->emitted_to = INT64_MIN;
  if (!agg->g->windowed)
    return 0;
  eddy_slice_t v;
  int rc = eddy_window_get(agg->store, eddy_slice(NULL, 0), META_START, &v, err);
  if (rc == EDDY_ENOENT)
    return 0;
  eddy_value_t pos[2];
  if (rc == 0)
    rc = decode_values(agg, v, pos, 2, err);
  if (rc != 0)
    return rc;
  agg->saved_time = pos[0].u.i;
  agg->saved_emitted = agg->emitted_to = pos[1].u.i;
  return 0;
}

static int on_flush(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                    eddy_error_t **err);

static int setup(eddy_agg_t *agg, eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->g;
  agg->accs = eddy_calloc(g->agg_cnt ? g->agg_cnt : 1, sizeof(*agg->accs));
  if (agg->accs == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  agg->slot_cnt = 1;   /* slot 0: the largest event time */
  for (uint32_t i = 0; i < g->agg_cnt; i++) {
    agg->accs[i] = (eddy__acc_t){.spec = &g->aggs[i], .slot = agg->slot_cnt, .index = i};
    agg->slot_cnt += eddy__acc_slots(g->aggs[i].fn);
  }
  agg->state = eddy_calloc(agg->slot_cnt, sizeof(eddy_value_t));
  agg->emit_state = eddy_calloc(agg->slot_cnt, sizeof(eddy_value_t));
  if (agg->state == NULL || agg->emit_state == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int rc = load_position(agg, err);
  agg->deadline = next_deadline(agg);
  return rc;
}

int eddy_agg_new(eddy_agg_t **out, const eddy_agg_conf_t *conf, eddy_changelog_fn changelog,
                 void *changelog_opaque, eddy_error_t **err) {
  *out = NULL;
  if (conf->node == NULL || conf->node->kind != EDDY_NODE_AGGREGATE || conf->store == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "aggregate: an aggregate node and its store needed");
  eddy_agg_t *agg = eddy_calloc(1, sizeof(*agg));
  if (agg == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  agg->node = conf->node;
  agg->g = conf->node->u.aggregate.group;
  agg->store = conf->store;
  agg->distinct = conf->distinct;
  agg->emit = conf->emit;
  agg->late = conf->late;
  agg->opaque = conf->opaque;
  agg->arena = conf->arena;
  agg->changelog = changelog;
  agg->changelog_opaque = changelog_opaque;
  int rc = agg->g->session ? eddy__session_new(&agg->session, conf, changelog, changelog_opaque, err)
                           : setup(agg, err);
  if (rc != 0) {
    eddy_agg_destroy(agg);
    return rc;
  }
  if (agg->session == NULL)
    eddy_store_set_changelog(agg->store, on_flush, agg);
  *out = agg;
  return 0;
}

void eddy_agg_destroy(eddy_agg_t *agg) {
  if (agg == NULL)
    return;
  if (agg->session != NULL)
    eddy__session_destroy(agg->session);
  else if (agg->store != NULL)
    eddy_store_set_changelog(agg->store, agg->changelog, agg->changelog_opaque);
  eddy_free(agg->accs);
  eddy_free(agg->state);
  eddy_free(agg->emit_state);
  eddy_buf_free(&agg->kbuf);
  eddy_buf_free(&agg->vbuf);
  eddy_buf_free(&agg->dbuf);
  eddy_buf_free(&agg->tbuf);
  eddy_free(agg);
}

int64_t eddy_agg_stream_time(const eddy_agg_t *agg) {
  return agg->session ? eddy__session_stream_time(agg->session) : agg->saved_time;
}

int64_t eddy_agg_deadline(const eddy_agg_t *agg) {
  return agg->session ? eddy__session_deadline(agg->session) : agg->deadline;
}

void eddy_agg_stats(const eddy_agg_t *agg, eddy_agg_stats_t *out) {
  if (agg->session != NULL)
    eddy__session_stats(agg->session, out);
  else
    *out = agg->stats;
}

/* ---- result rows ----------------------------------------------------------- */

/* A result row from a stored (key, window start, state), copied into the arena. */
static int build_row(eddy_agg_t *agg, eddy_slice_t key, int64_t start, eddy_slice_t value,
                     eddy_row_t *row, eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->g;
  const eddy_fields_t *out = agg->node->out;
  eddy_value_t *vals = eddy_arena_calloc(agg->arena, out->cnt, sizeof(eddy_value_t));
  if (vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", agg->node->name);
  int rc = decode_values(agg, key, agg->emit_state, g->key_cnt, err);
  for (uint32_t i = 0; rc == 0 && i < g->key_cnt; i++)
    rc = eddy_value_copy(&vals[i], &agg->emit_state[i], agg->arena);
  rc = rc == 0 ? decode_values(agg, value, agg->emit_state, agg->slot_cnt, err) : rc;
  uint32_t k = g->key_cnt;
  if (g->windowed) {
    vals[k++] = eddy_timestamp(start);
    vals[k++] = eddy_timestamp(start + g->size);
  }
  for (uint32_t i = 0; rc == 0 && i < g->agg_cnt; i++) {
    eddy_value_t v;
    rc = eddy__acc_result(&agg->accs[i], agg->emit_state, &v, err);
    rc = rc == 0 ? eddy_value_copy(&vals[k + i], &v, agg->arena) : rc;
  }
  if (rc == EDDY_ENOMEM)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", agg->node->name);
  if (rc != 0)
    return rc;
  *row = (eddy_row_t){.layout = out, .vals = vals, .key = vals[0]};
  row->ts = agg->emit_state[0].kind == EDDY_T_INT ? agg->emit_state[0].u.i : start;
  if (g->key_cnt > 1) {
    row->key = (eddy_value_t){.kind = EDDY_T_STRUCT, .len = g->key_cnt};
    row->key.u.items = vals;
  }
  return 0;
}

static int emit_stored(eddy_agg_t *agg, eddy_slice_t key, int64_t start, eddy_slice_t value,
                       eddy_error_t **err) {
  eddy_row_t row;
  int rc = build_row(agg, key, start, value, &row, err);
  if (rc == 0 && agg->emit != NULL)
    rc = agg->emit(agg->opaque, &row, err);
  if (rc == 0)
    agg->stats.emitted++;
  return rc;
}

/* The store's changelog hook: forward, and under emit changes, emit the update. */
static int on_flush(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                    eddy_error_t **err) {
  eddy_agg_t *agg = opaque;
  int rc = agg->changelog != NULL ? agg->changelog(agg->changelog_opaque, key, value, time, err)
                                  : 0;
  if (rc != 0 || agg->g->emit_final || value == NULL)
    return rc;
  eddy_store_entry_t e;
  if (eddy_store_changelog_key_decode(agg->store, key, &e) != 0)
    return corrupt(agg, err);
  if (e.key.len == 0)
    return 0;   /* the operator's position, not a result */
  return emit_stored(agg, e.key, e.start, *value, err);
}

/* ---- folding records in ----------------------------------------------------- */

static int load_state(eddy_agg_t *agg, eddy_slice_t key, int64_t start, eddy_error_t **err) {
  eddy_slice_t v;
  int rc = agg->g->windowed ? eddy_window_get(agg->store, key, start, &v, err)
                            : eddy_store_get(agg->store, key, &v, err);
  if (rc == EDDY_ENOENT) {
    agg->state[0] = eddy_null();
    for (uint32_t i = 0; i < agg->g->agg_cnt; i++)
      eddy__acc_init(&agg->accs[i], agg->state);
    return 0;
  }
  return rc != 0 ? rc : decode_values(agg, v, agg->state, agg->slot_cnt, err);
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
  return agg->g->windowed ? eddy_window_get(agg->distinct, dk, start, v, err)
                          : eddy_store_get(agg->distinct, dk, v, err);
}

static int distinct_put(eddy_agg_t *agg, int64_t start, eddy_slice_t v, eddy_error_t **err) {
  eddy_slice_t dk = eddy_slice(agg->dbuf.p, agg->dbuf.len);
  return agg->g->windowed ? eddy_window_put(agg->distinct, dk, start, v, err)
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
                            agg->node->name);
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
  if (agg->state[0].kind == EDDY_T_NULL || row->ts > agg->state[0].u.i)
    agg->state[0] = eddy_int(row->ts);
  for (uint32_t i = 0; i < agg->g->agg_cnt; i++) {
    const eddy__acc_t *a = &agg->accs[i];
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
      rc = eddy_error_set(err, rc, "%s: %s's argument does not fit its type", agg->node->name,
                          a->spec->name);
    if (rc == 0)
      rc = eddy__acc_update(a, agg->state, &x,
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
  eddy_buf_clear(&agg->vbuf);
  for (uint32_t i = 0; rc == 0 && i < agg->slot_cnt; i++)
    if (eddy_codec_put(&agg->vbuf, &agg->state[i]) != 0)
      rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  if (rc != 0)
    return rc;
  eddy_slice_t v = eddy_slice(agg->vbuf.p, agg->vbuf.len);
  return agg->g->windowed ? eddy_window_put(agg->store, key, start, v, err)
                          : eddy_store_put(agg->store, key, v, err);
}

static int encode_key(eddy_agg_t *agg, const eddy_row_t *row, eddy_error_t **err) {
  eddy_buf_clear(&agg->kbuf);
  for (uint32_t i = 0; i < agg->g->key_cnt; i++) {
    eddy_value_t v = row->vals[i];
    int rc = eddy_codec_normalize(&v, &agg->g->part->items[i].type);
    if (rc == 0)
      rc = eddy_codec_put(&agg->kbuf, &v);
    if (rc != 0)
      return eddy_error_set(err, rc, "%s: cannot encode group column '%s'", agg->node->name,
                            agg->g->part->items[i].name);
  }
  return 0;
}

int eddy_agg_process(eddy_agg_t *agg, const eddy_row_t *row, int64_t stream_time,
                     eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->g;
  if (agg->session != NULL)
    return eddy__session_process(agg->session, row, stream_time, err);
  if (row->ts < -TIME_LIMIT || row->ts > TIME_LIMIT)
    return eddy_error_set(err, EDDY_ERANGE, "%s: event time %lld is out of range",
                          agg->node->name, (long long)row->ts);
  int rc = encode_key(agg, row, err);
  if (rc != 0)
    return rc;
  eddy_slice_t key = eddy_slice(agg->kbuf.p, agg->kbuf.len);
  eddy_store_set_time(agg->store, row->ts);
  if (agg->distinct != NULL)
    eddy_store_set_time(agg->distinct, row->ts);
  if (!g->windowed) {
    rc = update(agg, key, 0, row, err);
    agg->stats.records += rc == 0;
    return rc;
  }
  uint32_t windows = 0, missed = 0;
  int64_t last = floor_div(row->ts, g->advance) * g->advance;
  for (int64_t start = last; rc == 0 && start > row->ts - g->size; start -= g->advance) {
    windows++;
    if (sat_add(start, g->size + g->grace) <= stream_time)
      missed++;   /* closed: late for this window */
    else
      rc = update(agg, key, start, row, err);
  }
  if (rc != 0)
    return rc;
  agg->stats.records += missed < windows;
  if (missed == 0)
    return 0;
  agg->stats.late++;
  return agg->late != NULL ? agg->late(agg->opaque, row, missed, windows, stream_time, err) : 0;
}

/* ---- time moving on ----------------------------------------------------------- */

int eddy_agg_advance(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err) {
  const eddy_plan_group_t *g = agg->g;
  if (agg->session != NULL)
    return eddy__session_advance(agg->session, stream_time, err);
  if (stream_time < agg->deadline || stream_time == INT64_MIN)
    return 0;
  int64_t close = sat_add(stream_time, -sat_add(g->size, g->grace));
  if (close > agg->emitted_to) {
    eddy_store_iter_t *it = NULL;
    int64_t from = agg->emitted_to == INT64_MIN ? INT64_MIN : agg->emitted_to + 1;
    int rc = eddy_window_fetch_all(agg->store, from, close, &it, err);
    eddy_store_entry_t e;
    while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1)
      rc = e.key.len == 0 ? 0 : emit_stored(agg, e.key, e.start, e.value, err);
    eddy_store_iter_destroy(it);
    if (rc != 0)
      return rc;
    agg->emitted_to = close;
  }
  agg->deadline = next_deadline(agg);
  return 0;
}

static int save_position(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err) {
  if (stream_time == agg->saved_time && agg->emitted_to == agg->saved_emitted)
    return 0;
  eddy_value_t pos[2] = {eddy_int(stream_time), eddy_int(agg->emitted_to)};
  eddy_buf_clear(&agg->vbuf);
  if (eddy_codec_put(&agg->vbuf, &pos[0]) != 0 || eddy_codec_put(&agg->vbuf, &pos[1]) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  eddy_store_set_time(agg->store, stream_time);
  int rc = eddy_window_put(agg->store, eddy_slice(NULL, 0), META_START,
                           eddy_slice(agg->vbuf.p, agg->vbuf.len), err);
  if (rc == 0) {
    agg->saved_time = stream_time;
    agg->saved_emitted = agg->emitted_to;
  }
  return rc;
}

int eddy_agg_flush(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err) {
  if (agg->session != NULL)
    return eddy__session_flush(agg->session, stream_time, err);
  bool timed = agg->g->windowed && stream_time != INT64_MIN;
  int rc = timed ? eddy_agg_advance(agg, stream_time, err) : 0;
  rc = rc == 0 && timed ? save_position(agg, stream_time, err) : rc;
  rc = rc == 0 ? eddy_store_flush(agg->store, err) : rc;
  if (rc == 0 && agg->distinct != NULL)
    rc = eddy_store_flush(agg->distinct, err);
  /* expire after the flush: a window updated just before it closed still
   * reaches the changelog (and emit changes) before it is dropped */
  rc = rc == 0 && timed ? eddy_store_expire(agg->store, stream_time, err) : rc;
  if (rc == 0 && timed && agg->distinct != NULL)
    rc = eddy_store_expire(agg->distinct, stream_time, err);
  return rc;
}
