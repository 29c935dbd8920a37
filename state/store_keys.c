/*
 * Key layouts of window and session stores, and their public calls.
 *
 * Times are encoded so that bytewise order is numeric order: big-endian
 * with the sign bit flipped (INT64_MIN -> 00..00, 0 -> 80..00).
 *
 * A window key, as stored:
 *
 *   +-----------+-------------+------------------+------------------+
 *   | segment 8 | key len 4   | user key (len)   | window start 8   |
 *   +-----------+-------------+------------------+------------------+
 *   \__ floor(start / segment length), time-encoded
 *
 * A session key, as stored (segmented by the session's end):
 *
 *   +-----------+-------------+------------------+-------+---------+
 *   | segment 8 | key len 4   | user key (len)   | end 8 | start 8 |
 *   +-----------+-------------+------------------+-------+---------+
 *
 * Segments first make retention one range delete ([min segment, cutoff
 * segment)); the key length before the key keeps the rows of one key
 * contiguous even when another key extends it ("ab" vs "ab\x00..."), so
 * fetch(key, from, to) is one seek and a short scan per live segment.
 *
 * The changelog key is the stored key without its first 12 bytes:
 *
 *   window:  | user key | window start 8 |
 *   session: | user key | end 8 | start 8 |
 *
 * so the changelog does not depend on the segment length, and restore
 * recomputes the prefix. A key-value store's changelog key is its key.
 */
#include <limits.h>
#include <string.h>

#include "state/store_int.h"

void eddy__put_time(uint8_t *p, int64_t t) {
  eddy__put_u64(p, (uint64_t)t ^ ((uint64_t)1 << 63));
}

int64_t eddy__get_time(const uint8_t *p) {
  return (int64_t)(eddy__get_u64(p) ^ ((uint64_t)1 << 63));
}

int64_t eddy__segment_of(const eddy_store_t *st, int64_t t) {
  int64_t q = t / st->segment;
  return t % st->segment < 0 ? q - 1 : q;  /* floor */
}

void eddy__encode_segment(uint8_t *p, int64_t seg) { eddy__put_time(p, seg); }

static int tail_len(const eddy_store_t *st) { return st->kind == EDDY_STORE_WINDOW ? 8 : 16; }

int eddy__encode_segmented(eddy_store_t *st, eddy_slice_t key, int64_t t1, int64_t t2,
                           bool has_t2) {
  if (key.len > UINT32_MAX)
    return EDDY_ERANGE;
  eddy_buf_t *b = &st->kbuf;
  eddy_buf_clear(b);
  if (eddy_buf_reserve(b, EDDY__SEG_PREFIX + key.len + 16) != 0)
    return EDDY_ENOMEM;
  uint8_t *p = (uint8_t *)b->p;
  eddy__encode_segment(p, eddy__segment_of(st, t1));
  eddy__put_u32(p + 8, (uint32_t)key.len);
  if (key.len)
    memcpy(p + EDDY__SEG_PREFIX, key.p, key.len);
  eddy__put_time(p + EDDY__SEG_PREFIX + key.len, t1);
  if (has_t2)
    eddy__put_time(p + EDDY__SEG_PREFIX + key.len + 8, t2);
  b->len = EDDY__SEG_PREFIX + key.len + (has_t2 ? 16 : 8);
  return 0;
}

int eddy__decode_segmented(const eddy_store_t *st, eddy_slice_t raw, int64_t *seg,
                           eddy_slice_t *key, int64_t *t1, int64_t *t2) {
  size_t tail = (size_t)tail_len(st);
  if (raw.len < EDDY__SEG_PREFIX + tail)
    return EDDY_EDECODE;
  size_t klen = eddy__get_u32(raw.p + 8);
  if (raw.len != EDDY__SEG_PREFIX + klen + tail)
    return EDDY_EDECODE;
  *seg = eddy__get_time(raw.p);
  *key = eddy_slice(raw.p + EDDY__SEG_PREFIX, klen);
  *t1 = eddy__get_time(raw.p + EDDY__SEG_PREFIX + klen);
  *t2 = tail == 16 ? eddy__get_time(raw.p + EDDY__SEG_PREFIX + klen + 8) : 0;
  return 0;
}

eddy_slice_t eddy__changelog_key(const eddy_store_t *st, eddy_slice_t raw) {
  if (st->kind == EDDY_STORE_KV || raw.len < EDDY__SEG_PREFIX)
    return raw;
  return eddy_slice(raw.p + EDDY__SEG_PREFIX, raw.len - EDDY__SEG_PREFIX);
}

int eddy_store_changelog_key_decode(const eddy_store_t *st, eddy_slice_t ckey,
                                    eddy_store_entry_t *entry) {
  if (st->kind == EDDY_STORE_KV) {
    entry->key = ckey;
    entry->start = entry->end = 0;
    return 0;
  }
  size_t tail = (size_t)tail_len(st);
  if (ckey.len < tail)
    return EDDY_EDECODE;
  size_t klen = ckey.len - tail;
  entry->key = eddy_slice(ckey.p, klen);
  int64_t t1 = eddy__get_time(ckey.p + klen);
  if (st->kind == EDDY_STORE_WINDOW) {
    entry->start = t1;
    entry->end = st->window_size > 0 ? t1 + st->window_size : t1;
  } else {
    entry->start = eddy__get_time(ckey.p + klen + 8);
    entry->end = t1;
  }
  return 0;
}

int eddy__raw_from_changelog(eddy_store_t *st, eddy_slice_t ckey, eddy_slice_t *raw) {
  size_t tail = (size_t)tail_len(st);
  if (ckey.len < tail)
    return EDDY_EDECODE;
  size_t klen = ckey.len - tail;
  int64_t t1 = eddy__get_time(ckey.p + klen);
  int64_t t2 = tail == 16 ? eddy__get_time(ckey.p + klen + 8) : 0;
  if (eddy__encode_segmented(st, eddy_slice(ckey.p, klen), t1, t2, tail == 16) != 0)
    return EDDY_ENOMEM;
  *raw = eddy_slice(st->kbuf.p, st->kbuf.len);
  return 0;
}

/* ---- window calls ------------------------------------------------------------ */

static int check_kind(eddy_store_t *st, eddy_store_kind_t kind, eddy_error_t **err) {
  if (st->kind == kind)
    return 0;
  return eddy_error_set(err, EDDY_EINVAL, "store '%s' is not a %s store", st->name,
                        kind == EDDY_STORE_WINDOW ? "window" : "session");
}

/* Encode into st->kbuf after checking kind and retention. */
static int prepare(eddy_store_t *st, eddy_store_kind_t kind, eddy_slice_t key, int64_t t1,
                   int64_t t2, bool writing, eddy_error_t **err) {
  int rc = check_kind(st, kind, err);
  if (rc != 0)
    return rc;
  if (t1 < st->min_time) {
    if (!writing)
      return EDDY_ENOENT;
    return eddy_error_set(err, EDDY_ERANGE,
                          "store '%s': time %lld is older than the retention (kept from %lld)",
                          st->name, (long long)t1, (long long)st->min_time);
  }
  rc = eddy__encode_segmented(st, key, t1, t2, kind == EDDY_STORE_SESSION);
  if (rc != 0)
    return eddy_error_set(err, rc, "store '%s': cannot encode key", st->name);
  return 0;
}

static eddy_slice_t kbuf_slice(const eddy_store_t *st) {
  return eddy_slice(st->kbuf.p, st->kbuf.len);
}

int eddy_window_put(eddy_store_t *st, eddy_slice_t key, int64_t start, eddy_slice_t value,
                    eddy_error_t **err) {
  int rc = prepare(st, EDDY_STORE_WINDOW, key, start, 0, true, err);
  return rc != 0 ? rc : eddy__store_write(st, kbuf_slice(st), &value, err);
}

int eddy_window_delete(eddy_store_t *st, eddy_slice_t key, int64_t start, eddy_error_t **err) {
  int rc = prepare(st, EDDY_STORE_WINDOW, key, start, 0, false, err);
  if (rc == EDDY_ENOENT)
    return 0;  /* expired already */
  return rc != 0 ? rc : eddy__store_write(st, kbuf_slice(st), NULL, err);
}

int eddy_window_get(eddy_store_t *st, eddy_slice_t key, int64_t start, eddy_slice_t *value,
                    eddy_error_t **err) {
  int rc = prepare(st, EDDY_STORE_WINDOW, key, start, 0, false, err);
  return rc != 0 ? rc : eddy__store_read(st, kbuf_slice(st), value, err);
}

int eddy_window_fetch(eddy_store_t *st, eddy_slice_t key, int64_t from, int64_t to,
                      eddy_store_iter_t **out, eddy_error_t **err) {
  int rc = check_kind(st, EDDY_STORE_WINDOW, err);
  if (rc != 0)
    return rc;
  eddy__iter_spec_t spec = {.mode = ITER_WINDOW_KEY, .key = key, .t_from = from, .t_to = to};
  return eddy__iter_new(st, &spec, out, err);
}

int eddy_window_fetch_all(eddy_store_t *st, int64_t from, int64_t to, eddy_store_iter_t **out,
                          eddy_error_t **err) {
  int rc = check_kind(st, EDDY_STORE_WINDOW, err);
  if (rc != 0)
    return rc;
  eddy__iter_spec_t spec = {.mode = ITER_WINDOW_ALL, .t_from = from, .t_to = to};
  return eddy__iter_new(st, &spec, out, err);
}

/* ---- session calls ------------------------------------------------------------ */

static int check_session(eddy_store_t *st, int64_t start, int64_t end, eddy_error_t **err) {
  if (start <= end)
    return 0;
  return eddy_error_set(err, EDDY_EINVAL, "store '%s': session start %lld after end %lld",
                        st->name, (long long)start, (long long)end);
}

int eddy_session_put(eddy_store_t *st, eddy_slice_t key, int64_t start, int64_t end,
                     eddy_slice_t value, eddy_error_t **err) {
  int rc = check_session(st, start, end, err);
  if (rc == 0)
    rc = prepare(st, EDDY_STORE_SESSION, key, end, start, true, err);
  return rc != 0 ? rc : eddy__store_write(st, kbuf_slice(st), &value, err);
}

int eddy_session_delete(eddy_store_t *st, eddy_slice_t key, int64_t start, int64_t end,
                        eddy_error_t **err) {
  int rc = check_session(st, start, end, err);
  if (rc == 0)
    rc = prepare(st, EDDY_STORE_SESSION, key, end, start, false, err);
  if (rc == EDDY_ENOENT)
    return 0;
  return rc != 0 ? rc : eddy__store_write(st, kbuf_slice(st), NULL, err);
}

int eddy_session_get(eddy_store_t *st, eddy_slice_t key, int64_t start, int64_t end,
                     eddy_slice_t *value, eddy_error_t **err) {
  int rc = check_session(st, start, end, err);
  if (rc == 0)
    rc = prepare(st, EDDY_STORE_SESSION, key, end, start, false, err);
  return rc != 0 ? rc : eddy__store_read(st, kbuf_slice(st), value, err);
}

int eddy_session_find(eddy_store_t *st, eddy_slice_t key, int64_t earliest_end,
                      int64_t latest_start, eddy_store_iter_t **out, eddy_error_t **err) {
  int rc = check_kind(st, EDDY_STORE_SESSION, err);
  if (rc != 0)
    return rc;
  eddy__iter_spec_t spec = {.mode = ITER_SESSION_KEY, .key = key, .t_from = earliest_end,
                            .t_to = latest_start};
  return eddy__iter_new(st, &spec, out, err);
}

int eddy_session_fetch_all(eddy_store_t *st, int64_t from_end, int64_t to_end,
                           eddy_store_iter_t **out, eddy_error_t **err) {
  int rc = check_kind(st, EDDY_STORE_SESSION, err);
  if (rc != 0)
    return rc;
  eddy__iter_spec_t spec = {.mode = ITER_SESSION_ALL, .t_from = from_end, .t_to = to_end};
  return eddy__iter_new(st, &spec, out, err);
}
