/*
 * Session windows: the aggregate operator's variant for `window session gap
 * <gap> [grace <g>]` (aggregate.c hands every call over when the plan says
 * so). The rules are docs/dsl.md's, "Session windows":
 *
 *   - a record at t joins every session of its group with
 *     start - gap <= t <= end + gap; the sessions it touches merge into one
 *     [min start, max end] whose accumulators are the merge of the parts;
 *   - a record is late when t < stream time - grace (only then can it reach
 *     a session that has closed): counted, handed to the late callback;
 *   - a session closes when stream time > end + gap + grace; emit final
 *     sends its one result then, found by a scan of the store by end;
 *   - emit changes sends each session updated since the last flush (the
 *     store's changelog hook, as for windows), and retracts every session a
 *     merge replaced: a tombstone row for its old key, sent at the merge, so
 *     before the new session's row (which goes out at a flush), and only when
 *     the old session's row went out before.
 *
 * Store layout: the session store maps (group key, start, end) to the state
 * of aggregate_int.h. The empty key holds the operator's position, as in
 * aggregate.c:
 *
 *   key "", start = end = 2^62  ->  | stream time | emitted up to |  (two codec INTs)
 *
 * "emitted up to" (emit final) is the largest session end whose sessions all
 * went out: every session ending at or before it has closed and was emitted.
 *
 * Which sessions went out (emit changes): every session in the store did,
 * except those written since they were last handed to the changelog hook.
 * The operator keeps that short list, the *fresh* sessions, in memory: a
 * session key is fresh from the put that created it until the hook sees it
 * (a flush or a cache eviction); the list is empty after every flush, so it
 * needs no persistence.
 */
#include "operators/aggregate_int.h"

#include <string.h>

#include "serde/codec.h"

#define TIME_LIMIT EDDY__AGG_TIME_LIMIT
#define META_TIME EDDY__AGG_META_TIME
#define FRESH_MIN_BUCKETS 64

/* A fresh session key: group key bytes, then start and end (host order). */
typedef struct fresh_s {
  struct fresh_s *next;
  uint64_t hash;
  size_t len;
  uint8_t key[];
} fresh_t;

struct eddy__session_s {
  eddy__agg_core_t c;        /* node, store, accumulators, state (the merged session being
                                built), position (aggregate_int.h) */
  eddy_value_t *part;        /* one found session, decoded */
  eddy_buf_t found, fkey;
  fresh_t **fresh;
  size_t fresh_cap, fresh_cnt;
};

static int oom(eddy_error_t **err) { return eddy_error_set(err, EDDY_ENOMEM, "out of memory"); }

/* ---- the fresh sessions ----------------------------------------------------------- */

static uint64_t hash_bytes(const uint8_t *p, size_t len) {
  uint64_t h = 1469598103934665603ull;   /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* The fresh-list key of (key, start, end) in s->fkey. */
static int fresh_key(eddy__session_t *s, eddy_slice_t key, int64_t start, int64_t end) {
  eddy_buf_clear(&s->fkey);
  if (eddy_buf_append(&s->fkey, key.p, key.len) != 0 ||
      eddy_buf_append(&s->fkey, &start, sizeof(start)) != 0 ||
      eddy_buf_append(&s->fkey, &end, sizeof(end)) != 0)
    return EDDY_ENOMEM;
  return 0;
}

static fresh_t **fresh_slot(eddy__session_t *s, uint64_t h) {
  fresh_t **p = &s->fresh[h & (s->fresh_cap - 1)];
  while (*p != NULL && !((*p)->hash == h && (*p)->len == s->fkey.len &&
                         memcmp((*p)->key, s->fkey.p, s->fkey.len) == 0))
    p = &(*p)->next;
  return p;
}

static int fresh_grow(eddy__session_t *s) {
  size_t cap = s->fresh_cap ? s->fresh_cap * 2 : FRESH_MIN_BUCKETS;
  fresh_t **b = eddy_calloc(cap, sizeof(*b));
  if (b == NULL)
    return EDDY_ENOMEM;
  for (size_t i = 0; i < s->fresh_cap; i++)
    for (fresh_t *f = s->fresh[i], *next; f != NULL; f = next) {
      next = f->next;
      f->next = b[f->hash & (cap - 1)];
      b[f->hash & (cap - 1)] = f;
    }
  eddy_free(s->fresh);
  s->fresh = b;
  s->fresh_cap = cap;
  return 0;
}

/* Remember the key in s->fkey as fresh. */
static int fresh_add(eddy__session_t *s) {
  if (s->fresh_cnt >= s->fresh_cap && fresh_grow(s) != 0)
    return EDDY_ENOMEM;
  uint64_t h = hash_bytes((const uint8_t *)s->fkey.p, s->fkey.len);
  fresh_t **p = fresh_slot(s, h);
  if (*p != NULL)
    return 0;
  fresh_t *f = eddy_malloc(sizeof(*f) + s->fkey.len);
  if (f == NULL)
    return EDDY_ENOMEM;
  *f = (fresh_t){.hash = h, .len = s->fkey.len};
  memcpy(f->key, s->fkey.p, s->fkey.len);
  *p = f;
  s->fresh_cnt++;
  return 0;
}

/* Forget the key in s->fkey. @returns true when it was fresh. */
static bool fresh_take(eddy__session_t *s) {
  if (s->fresh_cnt == 0)
    return false;
  fresh_t **p = fresh_slot(s, hash_bytes((const uint8_t *)s->fkey.p, s->fkey.len));
  fresh_t *f = *p;
  if (f == NULL)
    return false;
  *p = f->next;
  eddy_free(f);
  s->fresh_cnt--;
  return true;
}

static void fresh_clear(eddy__session_t *s) {
  for (size_t i = 0; i < s->fresh_cap && s->fresh_cnt > 0; i++) {
    for (fresh_t *f = s->fresh[i], *next; f != NULL; f = next) {
      next = f->next;
      eddy_free(f);
      s->fresh_cnt--;
    }
    s->fresh[i] = NULL;
  }
}

/* ---- result rows --------------------------------------------------------------------- */

/* The row of session (key, start, end) with its state \p value, or with \p value NULL a
 * retraction (tombstone) carrying only the group columns and the window. Its record key
 * is the group columns and the window. */
static int emit_session(eddy__session_t *s, eddy_slice_t key, int64_t start, int64_t end,
                        const eddy_slice_t *value, eddy_error_t **err) {
  return eddy__agg_emit_result(&s->c, key, true, start, end, value, s->c.g->key_cnt + 2, end,
                               err);
}

/* The store's changelog hook: forward, and under emit changes emit the updated session. */
static int on_flush(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                    eddy_error_t **err) {
  eddy__session_t *s = opaque;
  eddy_store_entry_t e;
  bool emit;
  int rc = eddy__agg_forward(&s->c, key, value, time, &e, &emit, err);
  if (rc != 0 || !emit)
    return rc;   /* deleted sessions were retracted when they merged */
  if (fresh_key(s, e.key, e.start, e.end) != 0)
    return oom(err);
  fresh_take(s);   /* it goes out now */
  return emit_session(s, e.key, e.start, e.end, value, err);
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int load_position(eddy__session_t *s, eddy_error_t **err) {
  eddy_slice_t v;
  int rc = eddy_session_get(s->c.store, eddy_slice(NULL, 0), META_TIME, META_TIME, &v, err);
  if (rc != 0 && rc != EDDY_ENOENT)
    return rc;
  return eddy__agg_position_load(&s->c, rc == 0, v, err);
}

int eddy__session_new(eddy__session_t **out, const eddy_agg_conf_t *conf,
                      eddy_changelog_fn changelog, void *changelog_opaque, eddy_error_t **err) {
  *out = NULL;
  if (eddy_store_kind(conf->store) != EDDY_STORE_SESSION)
    return eddy_error_set(err, EDDY_EINVAL, "%s: session windows need a session store",
                          conf->node->name);
  eddy__session_t *s = eddy_calloc(1, sizeof(*s));
  if (s == NULL)
    return oom(err);
  int rc = eddy__agg_core_init(&s->c, conf, changelog, changelog_opaque, err);
  if (rc == 0 && (s->part = eddy_calloc(s->c.slot_cnt, sizeof(eddy_value_t))) == NULL)
    rc = oom(err);
  rc = rc == 0 ? load_position(s, err) : rc;
  if (rc != 0) {
    eddy__session_destroy(s);
    return rc;
  }
  eddy_store_set_changelog(s->c.store, on_flush, s);
  *out = s;
  return 0;
}

void eddy__session_destroy(eddy__session_t *s) {
  if (s == NULL)
    return;
  if (s->c.store != NULL)
    eddy_store_set_changelog(s->c.store, s->c.changelog, s->c.changelog_opaque);
  fresh_clear(s);
  eddy_free(s->fresh);
  eddy__agg_core_free(&s->c);
  eddy_free(s->part);
  eddy_buf_free(&s->found);
  eddy_buf_free(&s->fkey);
  eddy_free(s);
}

int64_t eddy__session_stream_time(const eddy__session_t *s) { return s->c.saved_time; }
void eddy__session_stats(const eddy__session_t *s, eddy_agg_stats_t *out) { *out = s->c.stats; }

/* ---- folding records in ------------------------------------------------------------------ */

/*
 * The sessions a record touches, copied out of the store (an iterator's
 * slices die with the next write) into s->found:
 *
 *   | start 8 | end 8 | value length 8 | value ... |   one after another
 */
static int collect(eddy__session_t *s, eddy_slice_t key, int64_t t, uint32_t *cnt,
                   eddy_error_t **err) {
  eddy_store_iter_t *it = NULL;
  eddy_buf_clear(&s->found);
  *cnt = 0;
  int rc = eddy_session_find(s->c.store, key, t - s->c.g->gap, t + s->c.g->gap, &it, err);
  eddy_store_entry_t e;
  while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1) {
    uint64_t len = e.value.len;
    if (eddy_buf_append(&s->found, &e.start, 8) != 0 || eddy_buf_append(&s->found, &e.end, 8) != 0 ||
        eddy_buf_append(&s->found, &len, 8) != 0 ||
        eddy_buf_append(&s->found, e.value.p, e.value.len) != 0)
      rc = oom(err);
    else
      rc = 0, (*cnt)++;
  }
  eddy_store_iter_destroy(it);
  return rc;
}

/* Step through s->found: the session at *p, then *p moves past it. */
static const uint8_t *found_next(const uint8_t *p, int64_t *start, int64_t *end, eddy_slice_t *v) {
  uint64_t len;
  memcpy(start, p, 8);
  memcpy(end, p + 8, 8);
  memcpy(&len, p + 16, 8);
  *v = eddy_slice(p + 24, (size_t)len);
  return p + 24 + len;
}

/* s->c.state = the merge of the found sessions (or an empty one); their span in *start, *end. */
static int merge_found(eddy__session_t *s, uint32_t cnt, int64_t *start, int64_t *end,
                       eddy_error_t **err) {
  const uint8_t *p = (const uint8_t *)s->found.p;
  if (cnt == 0) {
    s->c.state[0] = eddy_null();
    for (uint32_t i = 0; i < s->c.g->agg_cnt; i++)
      eddy__acc_init(&s->c.accs[i], s->c.state);
    return 0;
  }
  eddy_slice_t v;
  p = found_next(p, start, end, &v);
  int rc = eddy__agg_decode(&s->c, v, s->c.state, s->c.slot_cnt, err);
  for (uint32_t n = 1; rc == 0 && n < cnt; n++) {
    int64_t b, e;
    p = found_next(p, &b, &e, &v);
    *start = b < *start ? b : *start;
    *end = e > *end ? e : *end;
    rc = eddy__agg_decode(&s->c, v, s->part, s->c.slot_cnt, err);
    for (uint32_t i = 0; rc == 0 && i < s->c.g->agg_cnt; i++)
      rc = eddy__acc_merge(&s->c.accs[i], s->c.state, s->part, err);
    if (rc == 0 && s->part[0].kind == EDDY_T_INT &&
        (s->c.state[0].kind != EDDY_T_INT || s->part[0].u.i > s->c.state[0].u.i))
      s->c.state[0] = s->part[0];
  }
  return rc;
}

static int fold(eddy__session_t *s, const eddy_row_t *row, eddy_error_t **err) {
  if (s->c.state[0].kind == EDDY_T_NULL || row->ts > s->c.state[0].u.i)
    s->c.state[0] = eddy_int(row->ts);
  for (uint32_t i = 0; i < s->c.g->agg_cnt; i++) {
    const eddy__acc_t *a = &s->c.accs[i];
    eddy_value_t x = a->spec->arg >= 0 ? row->vals[a->spec->arg] : eddy_null();
    eddy_value_t by = a->spec->arg2 >= 0 ? row->vals[a->spec->arg2] : eddy_null();
    int rc = eddy_codec_normalize(&x, &a->spec->arg_type);
    if (rc != 0)
      return eddy_error_set(err, rc, "%s: %s's argument does not fit its type", s->c.node->name,
                            a->spec->name);
    rc = eddy__acc_update(a, s->c.state, &x, a->spec->arg2 >= 0 ? &by : NULL, row->ts, false, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* Delete the found sessions other than [start, end]; under emit changes, retract each one
 * whose row went out. */
static int replace_found(eddy__session_t *s, eddy_slice_t key, uint32_t cnt, int64_t start,
                         int64_t end, eddy_error_t **err) {
  const uint8_t *p = (const uint8_t *)s->found.p;
  for (uint32_t n = 0; n < cnt; n++) {
    int64_t b, e;
    eddy_slice_t v;
    p = found_next(p, &b, &e, &v);
    if (b == start && e == end)
      continue;   /* the same session, overwritten */
    int rc = eddy_session_delete(s->c.store, key, b, e, err);
    if (rc != 0)
      return rc;
    if (s->c.g->emit_final)
      continue;
    if (fresh_key(s, key, b, e) != 0)
      return oom(err);
    if (!fresh_take(s) && (rc = emit_session(s, key, b, e, NULL, err)) != 0)
      return rc;
  }
  return 0;
}

/* Is [start, end] one of the found sessions? */
static bool was_found(const eddy__session_t *s, uint32_t cnt, int64_t start, int64_t end) {
  const uint8_t *p = (const uint8_t *)s->found.p;
  for (uint32_t n = 0; n < cnt; n++) {
    int64_t b, e;
    eddy_slice_t v;
    p = found_next(p, &b, &e, &v);
    if (b == start && e == end)
      return true;
  }
  return false;
}

static int update(eddy__session_t *s, const eddy_row_t *row, eddy_error_t **err) {
  eddy_slice_t key = eddy_slice(s->c.kbuf.p, s->c.kbuf.len);
  uint32_t cnt;
  int64_t start = row->ts, end = row->ts;
  int rc = collect(s, key, row->ts, &cnt, err);
  rc = rc == 0 ? merge_found(s, cnt, &start, &end, err) : rc;
  rc = rc == 0 ? fold(s, row, err) : rc;
  rc = rc == 0 ? eddy__agg_encode_state(&s->c, err) : rc;
  if (rc != 0)
    return rc;   /* nothing written yet: the record failed, the sessions stay */
  start = row->ts < start ? row->ts : start;
  end = row->ts > end ? row->ts : end;
  rc = replace_found(s, key, cnt, start, end, err);
  /* fresh before the put: a cache eviction inside it hands the session to the hook */
  if (rc == 0 && !s->c.g->emit_final && !was_found(s, cnt, start, end) &&
      (fresh_key(s, key, start, end) != 0 || fresh_add(s) != 0))
    rc = oom(err);
  return rc != 0 ? rc
                 : eddy_session_put(s->c.store, key, start, end,
                                    eddy_slice(s->c.vbuf.p, s->c.vbuf.len), err);
}

int eddy__session_process(eddy__session_t *s, const eddy_row_t *row, int64_t stream_time,
                          eddy_error_t **err) {
  if (row->ts < -TIME_LIMIT || row->ts > TIME_LIMIT)
    return eddy_error_set(err, EDDY_ERANGE, "%s: event time %lld is out of range",
                          s->c.node->name, (long long)row->ts);
  if (eddy_sat_add(row->ts, s->c.g->grace) < stream_time) {
    s->c.stats.late++;
    return s->c.late != NULL ? s->c.late(s->c.opaque, row, 1, 1, stream_time, err) : 0;
  }
  int rc = eddy__agg_encode_key(&s->c, row, err);
  if (rc != 0)
    return rc;
  eddy_store_set_time(s->c.store, row->ts);
  rc = update(s, row, err);
  s->c.stats.records += rc == 0;
  return rc;
}

/* ---- time moving on ------------------------------------------------------------------------ */

/* Sessions ending at or before this have closed at \p stream_time (> end + gap + grace). */
static int64_t closed_to(const eddy__session_t *s, int64_t stream_time) {
  return eddy_sat_add(stream_time, -eddy_sat_add(eddy_sat_add(s->c.g->gap, s->c.g->grace), 1));
}

int64_t eddy__session_deadline(const eddy__session_t *s) {
  if (!s->c.g->emit_final)
    return INT64_MAX;
  if (s->c.emitted_to == INT64_MIN)
    return INT64_MIN;
  /* a session ending right after emitted_to closes at end + gap + grace + 1 */
  return eddy_sat_add(s->c.emitted_to, eddy_sat_add(eddy_sat_add(s->c.g->gap, s->c.g->grace), 2));
}

int eddy__session_advance(eddy__session_t *s, int64_t stream_time, eddy_error_t **err) {
  if (!s->c.g->emit_final || stream_time == INT64_MIN)
    return 0;
  int64_t close = closed_to(s, stream_time);
  if (close <= s->c.emitted_to)
    return 0;
  eddy_store_iter_t *it = NULL;
  int64_t from = s->c.emitted_to == INT64_MIN ? INT64_MIN : s->c.emitted_to + 1;
  int rc = eddy_session_fetch_all(s->c.store, from, close, &it, err);
  eddy_store_entry_t e;
  while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1)
    rc = e.key.len == 0 ? 0 : emit_session(s, e.key, e.start, e.end, &e.value, err);
  eddy_store_iter_destroy(it);
  if (rc != 0)
    return rc;
  s->c.emitted_to = close;
  return 0;
}

static int save_position(eddy__session_t *s, int64_t stream_time, eddy_error_t **err) {
  int rc = eddy__agg_position_encode(&s->c, stream_time, err);
  if (rc != 0)
    return rc > 0 ? 0 : rc;
  eddy_store_set_time(s->c.store, stream_time);
  rc = eddy_session_put(s->c.store, eddy_slice(NULL, 0), META_TIME, META_TIME,
                        eddy_slice(s->c.vbuf.p, s->c.vbuf.len), err);
  if (rc == 0)
    eddy__agg_position_stored(&s->c, stream_time);
  return rc;
}

int eddy__session_flush(eddy__session_t *s, int64_t stream_time, eddy_error_t **err) {
  bool timed = stream_time != INT64_MIN;
  int rc = timed ? eddy__session_advance(s, stream_time, err) : 0;
  rc = rc == 0 && timed ? save_position(s, stream_time, err) : rc;
  rc = rc == 0 ? eddy_store_flush(s->c.store, err) : rc;
  if (rc == 0)
    fresh_clear(s);   /* every written session went through the hook */
  /* expire after the flush: a session updated just before it closed still reaches the
   * changelog (and emit changes) before it is dropped */
  return rc == 0 && timed ? eddy_store_expire(s->c.store, stream_time, err) : rc;
}
