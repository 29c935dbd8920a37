/*
 * Stream-stream joins within a time window (see join.h).
 *
 * Store layout, both sides: window store, key = the join key's codec
 * encoding, window start = the record's event time, value = the records of
 * that key and instant, one after another:
 *
 *   | matched (1 byte) | length (4 bytes, big-endian) | repartition row (JSON) |
 *
 * The left store's empty key at start 2^62 holds the position:
 * | stream time | emitted up to | (two codec INTs), written at every flush.
 */
#include <string.h>

#include "engine/util.h"
#include "serde/codec.h"
#include "operators/join_int.h"

#define META_START ((int64_t)1 << 62)

static int corrupt(eddy_join_t *j, eddy_error_t **err) {
  return eddy_error_set(err, EDDY_ESTORE, "%s: undecodable buffered records", j->node->name);
}

int eddy__join_window_setup(eddy_join_t *j, eddy_error_t **err) {
  j->stream_time = j->emitted_to = j->saved_time = j->saved_emitted = INT64_MIN;
  eddy_slice_t v;
  int rc = eddy_window_get(j->left.t.store, eddy_slice(NULL, 0), META_START, &v, err);
  if (rc == EDDY_ENOENT)
    return 0;
  if (rc != 0)
    return rc;
  eddy_value_t pos[2];
  const uint8_t *p = v.p, *end = v.p + v.len;
  if (eddy_codec_get(&p, end, &pos[0]) != 0 || eddy_codec_get(&p, end, &pos[1]) != 0)
    return corrupt(j, err);
  j->stream_time = j->saved_time = pos[0].u.i;
  j->emitted_to = j->saved_emitted = pos[1].u.i;
  return 0;
}

int64_t eddy_join_stream_time(const eddy_join_t *j) { return j->saved_time; }

/* A copy of a stored value in the arena (store slices live until the next call). */
static uint8_t *copy(eddy_join_t *j, eddy_slice_t v) {
  uint8_t *c = eddy_arena_alloc(j->arena, v.len ? v.len : 1);
  if (c != NULL)
    memcpy(c, v.p, v.len);
  return c;
}

/* Walks the records of one stored value. @returns 1 and the next, 0 at the end, <0 corrupt. */
static int next_record(uint8_t **p, uint8_t *end, uint8_t **flag, eddy_slice_t *rec) {
  if (*p == end)
    return 0;
  if (end - *p < 5)
    return -1;
  uint32_t len = (uint32_t)(*p)[1] << 24 | (uint32_t)(*p)[2] << 16 | (uint32_t)(*p)[3] << 8 |
                 (*p)[4];
  if ((size_t)(end - *p - 5) < len)
    return -1;
  *flag = *p;
  *rec = eddy_slice(*p + 5, len);
  *p += 5 + len;
  return 1;
}

typedef struct {
  int64_t start;
  eddy_slice_t value;
} rewrite_t;

/* Emit \p row (side \p left) with each buffered record of the other side within the window;
 * marks those matched. *matched: how many. */
static int probe(eddy_join_t *j, bool left, const eddy_row_t *row, eddy_slice_t key,
                 uint32_t *matched, eddy_error_t **err) {
  const eddy_plan_join_t *jp = j->jp;
  side_t *other = left ? &j->right : &j->left;
  eddy_store_iter_t *it = NULL;
  int rc = eddy_window_fetch(other->t.store, key, eddy_sat_add(row->ts, -jp->within),
                             eddy_sat_add(row->ts, jp->within), &it, err);
  rewrite_t *rw = NULL;
  uint32_t rw_cnt = 0, rw_cap = 0;
  eddy_store_entry_t e;
  while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1) {
    uint8_t *p = copy(j, e.value), *end = p + e.value.len, *flag;
    eddy_slice_t rec;
    int more;
    rc = p == NULL ? eddy__join_oom(j, err) : 0;
    while (rc == 0 && (more = next_record(&p, end, &flag, &rec)) == 1) {
      const eddy_value_t *vals;
      rc = eddy__join_decode(j, other, rec, &vals, err);
      if (rc == 0 && vals != NULL) {
        int64_t ts = e.start > row->ts ? e.start : row->ts;
        const eddy_value_t *mine = row->vals + 1;
        rc = eddy__join_emit(j, left ? mine : vals, left ? vals : mine, row->vals[0], ts, row,
                             false, err);
        (*matched)++;
      }
      if (rc == 0 && *flag == 0 && rw_cnt == rw_cap) {
        rw_cap = rw_cap ? 2 * rw_cap : 8;
        rewrite_t *n = eddy_arena_alloc(j->arena, rw_cap * sizeof(*n));
        if (n == NULL)
          rc = eddy__join_oom(j, err);
        else if (rw_cnt > 0)
          memcpy(n, rw, rw_cnt * sizeof(*n));
        rw = n;
      }
      if (rc == 0 && *flag == 0) {
        *flag = 1;
        if (rw_cnt == 0 || rw[rw_cnt - 1].start != e.start)
          rw[rw_cnt++] = (rewrite_t){e.start, eddy_slice(end - e.value.len, e.value.len)};
      }
    }
    if (rc == 0 && more < 0)
      rc = corrupt(j, err);
  }
  eddy_store_iter_destroy(it);
  for (uint32_t i = 0; rc >= 0 && i < rw_cnt; i++)
    rc = eddy_window_put(other->t.store, key, rw[i].start, rw[i].value, err);
  return rc < 0 ? rc : 0;
}

/* Append the record to its own side's buffer. */
static int buffer(eddy_join_t *j, bool left, const eddy_row_t *row, eddy_slice_t key,
                  eddy_slice_t raw, bool matched, eddy_error_t **err) {
  eddy_store_t *st = left ? j->left.t.store : j->right.t.store;
  eddy_slice_t old;
  int rc = eddy_window_get(st, key, row->ts, &old, err);
  if (rc != 0 && rc != EDDY_ENOENT)
    return rc;
  eddy_buf_clear(&j->vbuf);
  uint8_t head[5] = {matched, (uint8_t)(raw.len >> 24), (uint8_t)(raw.len >> 16),
                     (uint8_t)(raw.len >> 8), (uint8_t)raw.len};
  if ((rc == 0 && eddy_buf_append(&j->vbuf, old.p, old.len) != 0) ||
      eddy_buf_append(&j->vbuf, head, 5) != 0 || eddy_buf_append(&j->vbuf, raw.p, raw.len) != 0)
    return eddy__join_oom(j, err);
  eddy_store_set_time(st, row->ts);
  return eddy_window_put(st, key, row->ts, eddy_slice(j->vbuf.p, j->vbuf.len), err);
}

/* Is an unmatched record of this side emitted (with nulls)? */
static bool keeps_unmatched(const eddy_join_t *j, bool left) {
  return j->jp->kind == EDDY_JOIN_OUTER || (left && j->jp->kind == EDDY_JOIN_LEFT);
}

int eddy_join_window_record(eddy_join_t *j, bool left, const eddy_row_t *row, eddy_slice_t raw,
                            int64_t stream_time, eddy_error_t **err) {
  const eddy_plan_join_t *jp = j->jp;
  if (stream_time > j->stream_time)
    j->stream_time = stream_time;
  if (eddy_sat_add(row->ts, jp->grace) < j->stream_time) {
    j->stats.late++;
    return 1;
  }
  int rc = eddy_join_key(&row->vals[0], &jp->key_type, false, &j->kbuf);
  if (rc == EDDY_ENOENT) {   /* a null key matches nothing */
    if (!keeps_unmatched(j, left))
      return 0;
    return eddy__join_emit(j, left ? row->vals + 1 : NULL, left ? NULL : row->vals + 1,
                           row->vals[0], row->ts, row, false, err);
  }
  if (rc != 0)
    return eddy_error_set(err, rc, "%s: the join key does not fit its type", j->node->name);
  /* the key lives in kbuf: copy it, the emits below may run other joins */
  uint8_t *k = copy(j, eddy_slice(j->kbuf.p, j->kbuf.len));
  if (k == NULL)
    return eddy__join_oom(j, err);
  eddy_slice_t key = eddy_slice(k, j->kbuf.len);
  uint32_t matched = 0;
  j->stats.lookups++;
  rc = probe(j, left, row, key, &matched, err);
  j->stats.matches += matched;
  return rc == 0 ? buffer(j, left, row, key, raw, matched > 0, err) : rc;
}

/* Emit the unmatched records of one side with start in [from, to]. */
static int emit_unmatched(eddy_join_t *j, bool left, int64_t from, int64_t to,
                          eddy_error_t **err) {
  side_t *s = left ? &j->left : &j->right;
  eddy_store_iter_t *it = NULL;
  int rc = eddy_window_fetch_all(s->t.store, from, to, &it, err);
  eddy_store_entry_t e;
  while (rc == 0 && (rc = eddy_store_iter_next(it, &e, err)) == 1) {
    if (e.key.len == 0)
      continue;   /* the position */
    uint8_t *p = copy(j, e.value), *end = p + e.value.len, *flag, *kc = copy(j, e.key);
    eddy_value_t key;
    const uint8_t *kp = kc;
    rc = p == NULL || kc == NULL ? eddy__join_oom(j, err)
         : eddy_codec_get(&kp, kc + e.key.len, &key) != 0 ? corrupt(j, err) : 0;
    eddy_slice_t rec;
    int more = 0;
    while (rc == 0 && (more = next_record(&p, end, &flag, &rec)) == 1) {
      const eddy_value_t *vals;
      if (*flag)
        continue;
      rc = eddy__join_decode(j, s, rec, &vals, err);
      if (rc == 0 && vals != NULL)
        rc = eddy__join_emit(j, left ? vals : NULL, left ? NULL : vals, key, e.start, NULL,
                             false, err);
    }
    if (rc == 0 && more < 0)
      rc = corrupt(j, err);
  }
  eddy_store_iter_destroy(it);
  return rc < 0 ? rc : 0;
}

int64_t eddy_join_window_deadline(const eddy_join_t *j) {
  if (!keeps_unmatched(j, true) && !keeps_unmatched(j, false))
    return INT64_MAX;
  if (j->emitted_to == INT64_MIN)
    return INT64_MIN;
  return eddy_sat_add(eddy_sat_add(j->emitted_to, j->jp->within + j->jp->grace + 1), EDDY_SEC);
}

int eddy_join_window_advance(eddy_join_t *j, int64_t stream_time, eddy_error_t **err) {
  const eddy_plan_join_t *jp = j->jp;
  if (stream_time > j->stream_time)
    j->stream_time = stream_time;
  if (j->stream_time == INT64_MIN || eddy_join_window_deadline(j) == INT64_MAX)
    return 0;
  /* closed: a record at t with t + within + grace < stream time */
  int64_t close = eddy_sat_add(j->stream_time, -eddy_sat_add(jp->within + jp->grace, 1));
  if (close <= j->emitted_to)
    return 0;
  int64_t from = j->emitted_to == INT64_MIN ? INT64_MIN : j->emitted_to + 1;
  int rc = 0;
  for (int side = 0; rc == 0 && side < 2; side++)
    if (keeps_unmatched(j, side == 0))
      rc = emit_unmatched(j, side == 0, from, close, err);
  if (rc == 0)
    j->emitted_to = close;
  return rc;
}

static int save_position(eddy_join_t *j, eddy_error_t **err) {
  if (j->stream_time == j->saved_time && j->emitted_to == j->saved_emitted)
    return 0;
  eddy_value_t pos[2] = {eddy_int(j->stream_time), eddy_int(j->emitted_to)};
  eddy_buf_clear(&j->vbuf);
  if (eddy_codec_put(&j->vbuf, &pos[0]) != 0 || eddy_codec_put(&j->vbuf, &pos[1]) != 0)
    return eddy__join_oom(j, err);
  eddy_store_set_time(j->left.t.store, j->stream_time);
  int rc = eddy_window_put(j->left.t.store, eddy_slice(NULL, 0), META_START,
                           eddy_slice(j->vbuf.p, j->vbuf.len), err);
  if (rc == 0) {
    j->saved_time = j->stream_time;
    j->saved_emitted = j->emitted_to;
  }
  return rc;
}

int eddy_join_window_flush(eddy_join_t *j, int64_t stream_time, eddy_error_t **err) {
  int rc = eddy_join_window_advance(j, stream_time, err);
  if (rc == 0 && j->stream_time != INT64_MIN)
    rc = save_position(j, err);
  rc = rc == 0 ? eddy_store_flush(j->left.t.store, err) : rc;
  rc = rc == 0 ? eddy_store_flush(j->right.t.store, err) : rc;
  if (rc == 0 && j->stream_time != INT64_MIN)
    rc = eddy_store_expire(j->left.t.store, j->stream_time, err);
  if (rc == 0 && j->stream_time != INT64_MIN)
    rc = eddy_store_expire(j->right.t.store, j->stream_time, err);
  return rc;
}
