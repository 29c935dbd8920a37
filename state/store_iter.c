/*
 * Store iterators: a merge of the write-back cache (newer, wins on equal
 * keys, tombstones hide) and a backend iterator, both in bytewise order.
 * Window and session scans walk the segments with a skip-scan: seek to a
 * segment's first key to learn the next live segment, then seek to the
 * user key inside it.
 */
#include <limits.h>
#include <string.h>

#include "state/store_int.h"

enum { CUR_NONE, CUR_CACHE, CUR_BACKEND, CUR_BOTH };
enum { ST_POSITION, ST_SCAN, ST_DONE };

struct eddy_store_iter_s {
  eddy_store_t *st;
  eddy__biter_t *bi;
  eddy__sl_node_t *cn;   /* cache cursor */
  int cur;               /* which side holds the current entry */
  bool started;
  int state;
  eddy__iter_mode_t mode;
  eddy_buf_t lo, hi, key, seek;
  bool has_hi;
  int64_t t_from, t_to;
  int64_t seg, last_seg; /* window/session: next segment to visit, last one */
};

/* ---- the merged cursor ------------------------------------------------------ */

static void settle(eddy_store_iter_t *it) {
  const eddy__backend_ops_t *ops = it->st->ops;
  for (;;) {
    bool bv = ops->iter_valid(it->bi);
    if (it->cn == NULL && !bv) {
      it->cur = CUR_NONE;
      return;
    }
    int c = it->cn == NULL ? 1
            : !bv          ? -1
                           : eddy__key_cmp(eddy__sl_key_slice(it->cn), ops->iter_key(it->bi));
    if (c > 0) {
      it->cur = CUR_BACKEND;
      return;
    }
    if (!(it->cn->flags & EDDY__CACHE_TOMBSTONE)) {
      it->cur = c == 0 ? CUR_BOTH : CUR_CACHE;
      return;
    }
    it->cn = it->cn->next[0];
    if (c == 0)
      ops->iter_next(it->bi);
  }
}

static void mseek(eddy_store_iter_t *it, eddy_slice_t key) {
  it->st->ops->iter_seek(it->bi, key);
  it->cn = eddy__sl_seek(&it->st->cache, key);
  settle(it);
}

static void mnext(eddy_store_iter_t *it) {
  if (it->cur == CUR_CACHE || it->cur == CUR_BOTH)
    it->cn = it->cn->next[0];
  if (it->cur == CUR_BACKEND || it->cur == CUR_BOTH)
    it->st->ops->iter_next(it->bi);
  settle(it);
}

static eddy_slice_t mkey(eddy_store_iter_t *it) {
  return it->cur == CUR_BACKEND ? it->st->ops->iter_key(it->bi) : eddy__sl_key_slice(it->cn);
}

static eddy_slice_t mval(eddy_store_iter_t *it) {
  return it->cur == CUR_BACKEND ? it->st->ops->iter_value(it->bi) : eddy__sl_val_slice(it->cn);
}

static int copy_slice(eddy_buf_t *b, eddy_slice_t s) {
  eddy_buf_clear(b);
  return eddy_buf_append(b, s.p ? (const void *)s.p : "", s.len);
}

static eddy_slice_t buf_slice(const eddy_buf_t *b) { return eddy_slice(b->p, b->len); }

/* ---- construction --------------------------------------------------------------- */

static int setup(eddy_store_iter_t *it, const eddy__iter_spec_t *spec) {
  eddy_store_t *st = it->st;
  it->mode = spec->mode;
  it->t_from = spec->t_from;
  it->t_to = spec->t_to;
  if (spec->mode == ITER_RANGE) {
    it->has_hi = spec->to != NULL;
    if (copy_slice(&it->lo, spec->from ? *spec->from : eddy_slice(NULL, 0)) != 0 ||
        (it->has_hi && copy_slice(&it->hi, *spec->to) != 0))
      return EDDY_ENOMEM;
    return 0;
  }
  if (copy_slice(&it->key, spec->key) != 0)
    return EDDY_ENOMEM;
  if (it->t_from < st->min_time)
    it->t_from = st->min_time;
  it->seg = eddy__segment_of(st, it->t_from);
  it->last_seg = spec->mode == ITER_SESSION_KEY ? INT64_MAX : eddy__segment_of(st, it->t_to);
  if (spec->mode != ITER_SESSION_KEY && it->t_from > it->t_to)
    it->state = ST_DONE;
  return 0;
}

int eddy__iter_new(eddy_store_t *st, const eddy__iter_spec_t *spec, eddy_store_iter_t **out,
                   eddy_error_t **err) {
  *out = NULL;
  eddy_store_iter_t *it = eddy_calloc(1, sizeof(*it));
  if (it == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  it->st = st;
  int rc = st->ops->iter_new(st->be, &it->bi, err);
  if (rc != 0) {
    eddy_free(it);
    return rc;
  }
  st->iter_cnt++;
  if (setup(it, spec) != 0) {
    eddy_store_iter_destroy(it);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  *out = it;
  return 0;
}

void eddy_store_iter_destroy(eddy_store_iter_t *it) {
  if (it == NULL)
    return;
  it->st->ops->iter_destroy(it->bi);
  it->st->iter_cnt--;
  eddy_buf_free(&it->lo);
  eddy_buf_free(&it->hi);
  eddy_buf_free(&it->key);
  eddy_buf_free(&it->seek);
  eddy_free(it);
}

/* ---- modes ------------------------------------------------------------------------ */

static int next_range(eddy_store_iter_t *it, eddy_store_entry_t *e) {
  if (!it->started)
    mseek(it, buf_slice(&it->lo));
  else
    mnext(it);
  it->started = true;
  if (it->cur == CUR_NONE)
    return 0;
  eddy_slice_t k = mkey(it);
  if (it->has_hi && eddy__key_cmp(k, buf_slice(&it->hi)) >= 0)
    return 0;
  memset(e, 0, sizeof(*e));
  e->key = k;
  e->value = mval(it);
  return 1;
}

/* Find the next live segment >= it->seg and seek to the user key in it.
 * @returns 1 positioned, 0 no more segments. */
static int position(eddy_store_iter_t *it) {
  eddy_store_t *st = it->st;
  uint8_t prefix[8];
  if (it->seg > it->last_seg)
    return 0;
  eddy__encode_segment(prefix, it->seg);
  mseek(it, eddy_slice(prefix, 8));
  if (it->cur == CUR_NONE)
    return 0;
  eddy_slice_t k = mkey(it);
  int64_t seg = k.len >= 8 ? eddy__get_time(k.p) : INT64_MIN;
  if (seg > it->last_seg)
    return 0;
  it->seg = seg;
  if (it->mode == ITER_WINDOW_ALL || it->mode == ITER_SESSION_ALL)
    return 1;  /* scan the whole segment */
  if (eddy__encode_segmented(st, buf_slice(&it->key), it->t_from, INT64_MIN,
                             it->mode == ITER_SESSION_KEY) != 0 ||
      copy_slice(&it->seek, buf_slice(&st->kbuf)) != 0)
    return EDDY_ENOMEM;
  /* the segment of t_from may be older than this one: the key part starts
   * at its beginning then */
  eddy__encode_segment((uint8_t *)it->seek.p, seg);
  mseek(it, buf_slice(&it->seek));
  return 1;
}

/* Is the current entry in the segment being scanned, for the wanted key? */
static int classify(eddy_store_iter_t *it, eddy_store_entry_t *e) {
  int64_t seg, t1, t2;
  eddy_slice_t raw = mkey(it), key;
  if (eddy__decode_segmented(it->st, raw, &seg, &key, &t1, &t2) != 0)
    return EDDY_EDECODE;
  if (seg != it->seg)
    return 0;
  if (it->mode != ITER_WINDOW_ALL && it->mode != ITER_SESSION_ALL &&
      eddy__key_cmp(key, buf_slice(&it->key)) != 0)
    return 0;
  memset(e, 0, sizeof(*e));
  e->key = key;
  e->value = mval(it);
  if (it->st->kind == EDDY_STORE_WINDOW) {
    e->start = t1;
    e->end = it->st->window_size > 0 ? t1 + it->st->window_size : t1;
  } else {
    e->start = t2;
    e->end = t1;
  }
  return 1;
}

/* Does a classified entry pass the time filter? */
static bool wanted(const eddy_store_iter_t *it, const eddy_store_entry_t *e) {
  if (it->mode == ITER_SESSION_KEY)
    return e->end >= it->t_from && e->start <= it->t_to;
  if (it->mode == ITER_SESSION_ALL)
    return e->end >= it->t_from && e->end <= it->t_to;
  return e->start >= it->t_from && e->start <= it->t_to;
}

static int next_segmented(eddy_store_iter_t *it, eddy_store_entry_t *e) {
  for (;;) {
    if (it->state == ST_DONE)
      return 0;
    if (it->state == ST_POSITION) {
      int rc = position(it);
      if (rc <= 0) {
        it->state = ST_DONE;
        return rc;
      }
      it->state = ST_SCAN;
    } else {
      mnext(it);
    }
    if (it->cur == CUR_NONE) {
      it->state = ST_DONE;
      return 0;
    }
    int rc = classify(it, e);
    if (rc < 0)
      return rc;
    if (rc == 0) {  /* left the segment or the key: on to the next segment */
      it->state = it->seg == INT64_MAX ? ST_DONE : ST_POSITION;
      it->seg++;
      continue;
    }
    if (it->mode == ITER_WINDOW_KEY && e->start > it->t_to) {
      it->state = ST_DONE;  /* later segments hold later starts */
      return 0;
    }
    if (wanted(it, e))
      return 1;
  }
}

int eddy_store_iter_next(eddy_store_iter_t *it, eddy_store_entry_t *e, eddy_error_t **err) {
  int rc = it->mode == ITER_RANGE ? next_range(it, e) : next_segmented(it, e);
  if (rc == EDDY_EDECODE)
    return eddy_error_set(err, rc, "store '%s': malformed key in store", it->st->name);
  if (rc < 0)
    return eddy_error_set(err, rc, "store '%s': iteration failed", it->st->name);
  if (rc == 0) {
    int src = it->st->ops->iter_status(it->bi, err);
    if (src != 0)
      return src;
  }
  return rc;
}
