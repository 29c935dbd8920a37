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

#define TIME_LIMIT ((int64_t)1 << 61)
#define META_TIME ((int64_t)1 << 62)
#define FRESH_MIN_BUCKETS 64

/* A fresh session key: group key bytes, then start and end (host order). */
typedef struct fresh_s {
  struct fresh_s *next;
  uint64_t hash;
  size_t len;
  uint8_t key[];
} fresh_t;

struct eddy__session_s {
  const eddy_plan_node_t *node;
  const eddy_plan_group_t *g;
  eddy_store_t *store;
  eddy_agg_emit_fn emit;
  eddy_agg_late_fn late;
  void *opaque;
  eddy_arena_t *arena;
  eddy_changelog_fn changelog;
  void *changelog_opaque;
  eddy__acc_t *accs;
  uint32_t slot_cnt;
  eddy_value_t *state;       /* the merged session being built */
  eddy_value_t *part;        /* one found session, decoded */
  eddy_value_t *emit_state;  /* the row being emitted (an eviction may emit during an update) */
  eddy_buf_t kbuf, vbuf, found, fkey;
  fresh_t **fresh;
  size_t fresh_cap, fresh_cnt;
  int64_t saved_time, saved_emitted, emitted_to;
  eddy_agg_stats_t stats;
};

static int64_t sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

static int oom(eddy_error_t **err) { return eddy_error_set(err, EDDY_ENOMEM, "out of memory"); }

static int corrupt(eddy__session_t *s, eddy_error_t **err) {
  return eddy_error_set(err, EDDY_ESTORE, "%s: undecodable record in store '%s'",
                        s->node->name, eddy_store_name(s->store));
}

static int decode_values(eddy__session_t *s, eddy_slice_t v, eddy_value_t *out, uint32_t cnt,
                         eddy_error_t **err) {
  const uint8_t *p = v.p, *end = v.p + v.len;
  for (uint32_t i = 0; i < cnt; i++)
    if (eddy_codec_get(&p, end, &out[i]) != 0)
      return corrupt(s, err);
  return p == end ? 0 : corrupt(s, err);
}

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

/* A result row of the session (key, start, end): its state decoded from \p value, or with
 * \p value NULL a retraction (tombstone) carrying only the group columns and the window. */
static int build_row(eddy__session_t *s, eddy_slice_t key, int64_t start, int64_t end,
                     const eddy_slice_t *value, eddy_row_t *row, eddy_error_t **err) {
  const eddy_plan_group_t *g = s->g;
  const eddy_fields_t *out = s->node->out;
  eddy_value_t *vals = eddy_arena_calloc(s->arena, out->cnt, sizeof(eddy_value_t));
  if (vals == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", s->node->name);
  int rc = decode_values(s, key, s->emit_state, g->key_cnt, err);
  for (uint32_t i = 0; rc == 0 && i < g->key_cnt; i++)
    rc = eddy_value_copy(&vals[i], &s->emit_state[i], s->arena);
  if (rc == 0 && value != NULL)
    rc = decode_values(s, *value, s->emit_state, s->slot_cnt, err);
  uint32_t k = g->key_cnt;
  vals[k++] = eddy_timestamp(start);
  vals[k++] = eddy_timestamp(end);
  for (uint32_t i = 0; rc == 0 && value != NULL && i < g->agg_cnt; i++) {
    eddy_value_t v;
    rc = eddy__acc_result(&s->accs[i], s->emit_state, &v, err);
    rc = rc == 0 ? eddy_value_copy(&vals[k + i], &v, s->arena) : rc;
  }
  if (rc == EDDY_ENOMEM)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", s->node->name);
  if (rc != 0)
    return rc;
  *row = (eddy_row_t){.layout = out, .vals = vals, .tombstone = value == NULL};
  row->key = (eddy_value_t){.kind = EDDY_T_STRUCT, .len = g->key_cnt + 2};
  row->key.u.items = vals;
  row->ts = value != NULL && s->emit_state[0].kind == EDDY_T_INT ? s->emit_state[0].u.i : end;
  return 0;
}

static int emit_session(eddy__session_t *s, eddy_slice_t key, int64_t start, int64_t end,
                        const eddy_slice_t *value, eddy_error_t **err) {
  eddy_row_t row;
  int rc = build_row(s, key, start, end, value, &row, err);
  if (rc == 0 && s->emit != NULL)
    rc = s->emit(s->opaque, &row, err);
  if (rc == 0)
    s->stats.emitted++;
  return rc;
}

/* The store's changelog hook: forward, and under emit changes emit the updated session. */
static int on_flush(void *opaque, eddy_slice_t key, const eddy_slice_t *value, int64_t time,
                    eddy_error_t **err) {
  eddy__session_t *s = opaque;
  int rc = s->changelog != NULL ? s->changelog(s->changelog_opaque, key, value, time, err) : 0;
  if (rc != 0 || s->g->emit_final || value == NULL)
    return rc;   /* deleted sessions were retracted when they merged */
  eddy_store_entry_t e;
  if (eddy_store_changelog_key_decode(s->store, key, &e) != 0)
    return corrupt(s, err);
  if (e.key.len == 0)
    return 0;   /* the operator's position */
  if (fresh_key(s, e.key, e.start, e.end) != 0)
    return oom(err);
  fresh_take(s);   /* it goes out now */
  return emit_session(s, e.key, e.start, e.end, value, err);
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int load_position(eddy__session_t *s, eddy_error_t **err) {
  s->saved_time = s->saved_emitted = s->emitted_to = INT64_MIN;
  eddy_slice_t v;
  int rc = eddy_session_get(s->store, eddy_slice(NULL, 0), META_TIME, META_TIME, &v, err);
  if (rc == EDDY_ENOENT)
    return 0;
  eddy_value_t pos[2];
  if (rc == 0)
    rc = decode_values(s, v, pos, 2, err);
  if (rc != 0)
    return rc;
  s->saved_time = pos[0].u.i;
  s->saved_emitted = s->emitted_to = pos[1].u.i;
  return 0;
}

static int setup(eddy__session_t *s, eddy_error_t **err) {
  const eddy_plan_group_t *g = s->g;
  s->accs = eddy_calloc(g->agg_cnt ? g->agg_cnt : 1, sizeof(*s->accs));
  if (s->accs == NULL)
    return oom(err);
  s->slot_cnt = 1;   /* slot 0: the largest event time */
  for (uint32_t i = 0; i < g->agg_cnt; i++) {
    s->accs[i] = (eddy__acc_t){.spec = &g->aggs[i], .slot = s->slot_cnt, .index = i};
    s->slot_cnt += eddy__acc_slots(g->aggs[i].fn);
  }
  s->state = eddy_calloc(s->slot_cnt, sizeof(eddy_value_t));
  s->part = eddy_calloc(s->slot_cnt, sizeof(eddy_value_t));
  s->emit_state = eddy_calloc(s->slot_cnt, sizeof(eddy_value_t));
  if (s->state == NULL || s->part == NULL || s->emit_state == NULL)
    return oom(err);
  return load_position(s, err);
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
  s->node = conf->node;
  s->g = conf->node->u.aggregate.group;
  s->store = conf->store;
  s->emit = conf->emit;
  s->late = conf->late;
  s->opaque = conf->opaque;
  s->arena = conf->arena;
  s->changelog = changelog;
  s->changelog_opaque = changelog_opaque;
  int rc = setup(s, err);
  if (rc != 0) {
    eddy__session_destroy(s);
    return rc;
  }
  eddy_store_set_changelog(s->store, on_flush, s);
  *out = s;
  return 0;
}

void eddy__session_destroy(eddy__session_t *s) {
  if (s == NULL)
    return;
  if (s->store != NULL)
    eddy_store_set_changelog(s->store, s->changelog, s->changelog_opaque);
  fresh_clear(s);
  eddy_free(s->fresh);
  eddy_free(s->accs);
  eddy_free(s->state);
  eddy_free(s->part);
  eddy_free(s->emit_state);
  eddy_buf_free(&s->kbuf);
  eddy_buf_free(&s->vbuf);
  eddy_buf_free(&s->found);
  eddy_buf_free(&s->fkey);
  eddy_free(s);
}

int64_t eddy__session_stream_time(const eddy__session_t *s) { return s->saved_time; }
void eddy__session_stats(const eddy__session_t *s, eddy_agg_stats_t *out) { *out = s->stats; }

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
  int rc = eddy_session_find(s->store, key, t - s->g->gap, t + s->g->gap, &it, err);
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

/* s->state = the merge of the found sessions (or an empty one); their span in *start, *end. */
static int merge_found(eddy__session_t *s, uint32_t cnt, int64_t *start, int64_t *end,
                       eddy_error_t **err) {
  const uint8_t *p = (const uint8_t *)s->found.p;
  if (cnt == 0) {
    s->state[0] = eddy_null();
    for (uint32_t i = 0; i < s->g->agg_cnt; i++)
      eddy__acc_init(&s->accs[i], s->state);
    return 0;
  }
  eddy_slice_t v;
  p = found_next(p, start, end, &v);
  int rc = decode_values(s, v, s->state, s->slot_cnt, err);
  for (uint32_t n = 1; rc == 0 && n < cnt; n++) {
    int64_t b, e;
    p = found_next(p, &b, &e, &v);
    *start = b < *start ? b : *start;
    *end = e > *end ? e : *end;
    rc = decode_values(s, v, s->part, s->slot_cnt, err);
    for (uint32_t i = 0; rc == 0 && i < s->g->agg_cnt; i++)
      rc = eddy__acc_merge(&s->accs[i], s->state, s->part, err);
    if (rc == 0 && s->part[0].kind == EDDY_T_INT &&
        (s->state[0].kind != EDDY_T_INT || s->part[0].u.i > s->state[0].u.i))
      s->state[0] = s->part[0];
  }
  return rc;
}

static int fold(eddy__session_t *s, const eddy_row_t *row, eddy_error_t **err) {
  if (s->state[0].kind == EDDY_T_NULL || row->ts > s->state[0].u.i)
    s->state[0] = eddy_int(row->ts);
  for (uint32_t i = 0; i < s->g->agg_cnt; i++) {
    const eddy__acc_t *a = &s->accs[i];
    eddy_value_t x = a->spec->arg >= 0 ? row->vals[a->spec->arg] : eddy_null();
    eddy_value_t by = a->spec->arg2 >= 0 ? row->vals[a->spec->arg2] : eddy_null();
    int rc = eddy_codec_normalize(&x, &a->spec->arg_type);
    if (rc != 0)
      return eddy_error_set(err, rc, "%s: %s's argument does not fit its type", s->node->name,
                            a->spec->name);
    rc = eddy__acc_update(a, s->state, &x, a->spec->arg2 >= 0 ? &by : NULL, row->ts, false, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int encode_state(eddy__session_t *s, eddy_error_t **err) {
  eddy_buf_clear(&s->vbuf);
  for (uint32_t i = 0; i < s->slot_cnt; i++)
    if (eddy_codec_put(&s->vbuf, &s->state[i]) != 0)
      return oom(err);
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
    int rc = eddy_session_delete(s->store, key, b, e, err);
    if (rc != 0)
      return rc;
    if (s->g->emit_final)
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

static int encode_key(eddy__session_t *s, const eddy_row_t *row, eddy_error_t **err) {
  eddy_buf_clear(&s->kbuf);
  for (uint32_t i = 0; i < s->g->key_cnt; i++) {
    eddy_value_t v = row->vals[i];
    int rc = eddy_codec_normalize(&v, &s->g->part->items[i].type);
    if (rc == 0)
      rc = eddy_codec_put(&s->kbuf, &v);
    if (rc != 0)
      return eddy_error_set(err, rc, "%s: cannot encode group column '%s'", s->node->name,
                            s->g->part->items[i].name);
  }
  return 0;
}

static int update(eddy__session_t *s, const eddy_row_t *row, eddy_error_t **err) {
  eddy_slice_t key = eddy_slice(s->kbuf.p, s->kbuf.len);
  uint32_t cnt;
  int64_t start = row->ts, end = row->ts;
  int rc = collect(s, key, row->ts, &cnt, err);
  rc = rc == 0 ? merge_found(s, cnt, &start, &end, err) : rc;
  rc = rc == 0 ? fold(s, row, err) : rc;
  rc = rc == 0 ? encode_state(s, err) : rc;
  if (rc != 0)
    return rc;   /* nothing written yet: the record failed, the sessions stay */
  start = row->ts < start ? row->ts : start;
  end = row->ts > end ? row->ts : end;
  rc = replace_found(s, key, cnt, start, end, err);
  /* fresh before the put: a cache eviction inside it hands the session to the hook */
  if (rc == 0 && !s->g->emit_final && !was_found(s, cnt, start, end) &&
      (fresh_key(s, key, start, end) != 0 || fresh_add(s) != 0))
    rc = oom(err);
  return rc != 0 ? rc
                 : eddy_session_put(s->store, key, start, end,
                                    eddy_slice(s->vbuf.p, s->vbuf.len), err);
}

int eddy__session_process(eddy__session_t *s, const eddy_row_t *row, int64_t stream_time,
                          eddy_error_t **err) {
  if (row->ts < -TIME_LIMIT || row->ts > TIME_LIMIT)
    return eddy_error_set(err, EDDY_ERANGE, "%s: event time %lld is out of range",
                          s->node->name, (long long)row->ts);
  if (sat_add(row->ts, s->g->grace) < stream_time) {
    s->stats.late++;
    return s->late != NULL ? s->late(s->opaque, row, 1, 1, stream_time, err) : 0;
  }
  int rc = encode_key(s, row, err);
  if (rc != 0)
    return rc;
  eddy_store_set_time(s->store, row->ts);
  rc = update(s, row, err);
  s->stats.records += rc == 0;
  return rc;
}

/* ---- time moving on ------------------------------------------------------------------------ */

/* Sessions ending at or before this have closed at \p stream_time (> end + gap + grace). */
static int64_t closed_to(const eddy__session_t *s, int64_t stream_time) {
  return sat_add(stream_time, -sat_add(sat_add(s->g->gap, s->g->grace), 1));
}

int64_t eddy__session_deadline(const eddy__session_t *s) {
  if (!s->g->emit_final)
    return INT64_MAX;
  if (s->emitted_to == INT64_MIN)
    return INT64_MIN;
  /* a session ending right after emitted_to closes at end + gap + grace + 1 */
  return sat_add(s->emitted_to, sat_add(sat_add(s->g->gap, s->g->grace), 2));
}

int eddy__session_advance(eddy__session_t *s, int64_t stream_time, eddy_error_t **err) {
  if (!s->g->emit_final || stream_time == INT64_MIN)
    return 0;
  int64_t close = closed_to(s, stream_time);
  if (close <= s->emitted_to)
    return 0;
  eddy_store_iter_t *it = NULL;
  int64_t from = s->emitted_to == INT64_MIN ? INT64_MIN : s->emitted_to + 1;
  int rc = eddy_session_fetch_all(s->store, from, close, &it, err);
  eddy_store_entry_t e;
  while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1)
    rc = e.key.len == 0 ? 0 : emit_session(s, e.key, e.start, e.end, &e.value, err);
  eddy_store_iter_destroy(it);
  if (rc != 0)
    return rc;
  s->emitted_to = close;
  return 0;
}

static int save_position(eddy__session_t *s, int64_t stream_time, eddy_error_t **err) {
  if (stream_time == s->saved_time && s->emitted_to == s->saved_emitted)
    return 0;
  eddy_value_t pos[2] = {eddy_int(stream_time), eddy_int(s->emitted_to)};
  eddy_buf_clear(&s->vbuf);
  if (eddy_codec_put(&s->vbuf, &pos[0]) != 0 || eddy_codec_put(&s->vbuf, &pos[1]) != 0)
    return oom(err);
  eddy_store_set_time(s->store, stream_time);
  int rc = eddy_session_put(s->store, eddy_slice(NULL, 0), META_TIME, META_TIME,
                            eddy_slice(s->vbuf.p, s->vbuf.len), err);
  if (rc == 0) {
    s->saved_time = stream_time;
    s->saved_emitted = s->emitted_to;
  }
  return rc;
}

int eddy__session_flush(eddy__session_t *s, int64_t stream_time, eddy_error_t **err) {
  bool timed = stream_time != INT64_MIN;
  int rc = timed ? eddy__session_advance(s, stream_time, err) : 0;
  rc = rc == 0 && timed ? save_position(s, stream_time, err) : rc;
  rc = rc == 0 ? eddy_store_flush(s->store, err) : rc;
  if (rc == 0)
    fresh_clear(s);   /* every written session went through the hook */
  /* expire after the flush: a session updated just before it closed still reaches the
   * changelog (and emit changes) before it is dropped */
  return rc == 0 && timed ? eddy_store_expire(s->store, stream_time, err) : rc;
}
