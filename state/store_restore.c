/*
 * Bulk loading for restore. Changelog records are staged, turned into
 * stored keys, then sorted (stably) and de-duplicated (the last record of a
 * key wins) before going to the backend in one write batch with the offset
 * they reach. Ordered inserts let RocksDB's memtable skiplist reuse its
 * insertion point instead of searching from the top for every key, and
 * duplicates inside a batch never reach the memtable at all.
 */
#include <string.h>

#include "state/store_int.h"

#define TOMBSTONE UINT32_MAX

/*
 * A staged record in `data`:
 *
 *   +-------------+-------------+------------+---------+
 *   | key len u32 | val len u32 | stored key | value   |
 *   +-------------+-------------+------------+---------+
 *
 * val len UINT32_MAX marks a tombstone (no value bytes).
 */
struct eddy__restore_batch_s {
  eddy__batch_t *batch;   /* backend batch, filled at write time */
  eddy_buf_t data;
  size_t *idx, *tmp;      /* record offsets in data; merge sort scratch */
  size_t cnt, cap;
};

int eddy__store_restore_begin(eddy_store_t *st, eddy__restore_batch_t **out, eddy_error_t **err) {
  *out = NULL;
  if (st->iter_cnt > 0 || st->ops->batch_count(st->pending) > 0)
    return eddy_error_set(err, EDDY_ESTATE, "store '%s': restore with uncommitted writes",
                          st->name);
  for (eddy__sl_node_t *n = eddy__sl_first(&st->cache); n != NULL; n = n->next[0])
    if (n->flags & EDDY__CACHE_DIRTY)
      return eddy_error_set(err, EDDY_ESTATE, "store '%s': restore with uncommitted writes",
                            st->name);
  eddy__sl_clear(&st->cache);  /* restore writes under the cache: drop what it holds */
  eddy__restore_batch_t *rb = eddy_calloc(1, sizeof(*rb));
  if (rb == NULL || (rb->batch = st->ops->batch_new(st->be)) == NULL) {
    eddy_free(rb);
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  }
  *out = rb;
  return 0;
}

void eddy__store_restore_end(eddy_store_t *st, eddy__restore_batch_t *rb) {
  if (rb == NULL)
    return;
  st->ops->batch_destroy(rb->batch);
  eddy_buf_free(&rb->data);
  eddy_free(rb->idx);
  eddy_free(rb->tmp);
  eddy_free(rb);
}

size_t eddy__restore_batch_count(const eddy__restore_batch_t *rb) { return rb->cnt; }
size_t eddy__restore_batch_bytes(const eddy__restore_batch_t *rb) { return rb->data.len; }

static int grow(eddy__restore_batch_t *rb) {
  size_t cap = rb->cap ? rb->cap * 2 : 1024;
  size_t *idx = eddy_realloc(rb->idx, cap * sizeof(*idx));
  if (idx == NULL)
    return EDDY_ENOMEM;
  rb->idx = idx;
  size_t *tmp = eddy_realloc(rb->tmp, cap * sizeof(*tmp));
  if (tmp == NULL)
    return EDDY_ENOMEM;
  rb->tmp = tmp;
  rb->cap = cap;
  return 0;
}

static int stage(eddy__restore_batch_t *rb, eddy_slice_t raw, const eddy_slice_t *value) {
  if (raw.len >= TOMBSTONE || (value != NULL && value->len >= TOMBSTONE))
    return EDDY_ERANGE;
  if (rb->cnt == rb->cap && grow(rb) != 0)
    return EDDY_ENOMEM;
  size_t vlen = value ? value->len : 0;
  if (eddy_buf_reserve(&rb->data, 8 + raw.len + vlen) != 0)
    return EDDY_ENOMEM;
  uint8_t *p = (uint8_t *)rb->data.p + rb->data.len;
  eddy__put_u32(p, (uint32_t)raw.len);
  eddy__put_u32(p + 4, value ? (uint32_t)vlen : TOMBSTONE);
  if (raw.len)
    memcpy(p + 8, raw.p, raw.len);
  if (vlen)
    memcpy(p + 8 + raw.len, value->p, vlen);
  rb->idx[rb->cnt++] = rb->data.len;
  rb->data.len += 8 + raw.len + vlen;
  return 0;
}

int eddy__store_restore_add(eddy_store_t *st, eddy__restore_batch_t *rb, eddy_slice_t ckey,
                            const eddy_slice_t *value, eddy_error_t **err) {
  eddy_slice_t raw = ckey;
  if (st->kind != EDDY_STORE_KV) {
    if (eddy__raw_from_changelog(st, ckey, &raw) != 0)
      return eddy_error_set(err, EDDY_EDECODE,
                            "store '%s': changelog key of %zu bytes is too short", st->name,
                            ckey.len);
    size_t tail = st->kind == EDDY_STORE_WINDOW ? 8 : 16;
    if (eddy__get_time(raw.p + raw.len - tail) < st->min_time)
      return 0;  /* expired already */
  }
  int rc = stage(rb, raw, value);
  if (rc != 0)
    return eddy_error_set(err, rc, "store '%s': cannot stage a restored record: %s", st->name,
                          eddy_strerror(rc));
  return 0;
}

/* ---- sort and write ----------------------------------------------------------- */

static eddy_slice_t key_at(const eddy__restore_batch_t *rb, size_t off) {
  const uint8_t *p = (const uint8_t *)rb->data.p + off;
  return eddy_slice(p + 8, eddy__get_u32(p));
}

/* Bottom-up merge sort of idx[] by key; stable, so equal keys keep their
 * changelog order. */
static void sort(eddy__restore_batch_t *rb) {
  size_t n = rb->cnt, *a = rb->idx, *b = rb->tmp;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        b[k++] = eddy__key_cmp(key_at(rb, a[j]), key_at(rb, a[i])) < 0 ? a[j++] : a[i++];
      while (i < mid)
        b[k++] = a[i++];
      while (j < hi)
        b[k++] = a[j++];
    }
    size_t *t = a;
    a = b;
    b = t;
  }
  rb->idx = a;
  rb->tmp = b;
}

static int fill(eddy_store_t *st, eddy__restore_batch_t *rb) {
  for (size_t i = 0; i < rb->cnt; i++) {
    eddy_slice_t k = key_at(rb, rb->idx[i]);
    if (i + 1 < rb->cnt && eddy__key_cmp(k, key_at(rb, rb->idx[i + 1])) == 0)
      continue;  /* a later record of this key follows */
    const uint8_t *p = (const uint8_t *)rb->data.p + rb->idx[i];
    uint32_t vlen = eddy__get_u32(p + 4);
    int rc = vlen == TOMBSTONE
                 ? st->ops->batch_delete(rb->batch, k)
                 : st->ops->batch_put(rb->batch, k, eddy_slice(p + 8 + k.len, vlen));
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__store_restore_write(eddy_store_t *st, eddy__restore_batch_t *rb, int64_t offset,
                              eddy_error_t **err) {
  sort(rb);
  int rc = fill(st, rb);
  if (rc == 0)
    rc = eddy__store_add_position(st, rb->batch, offset);
  if (rc != 0)
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  else
    rc = st->ops->write(st->be, rb->batch, err);
  st->ops->batch_clear(rb->batch);
  eddy_buf_clear(&rb->data);
  rb->cnt = 0;
  if (rc == 0)
    st->committed_offset = offset;
  return rc;
}
