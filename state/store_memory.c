/*
 * The in-memory backend: a skiplist of data and one of metadata. Batches
 * are op logs applied in order. Nothing survives the process; restore
 * rebuilds it from the changelog.
 */
#include <string.h>

#include "state/store_int.h"

typedef struct {
  eddy__skiplist_t data;
  eddy__skiplist_t meta;
} memory_t;

struct eddy__biter_s {
  memory_t *m;
  eddy__sl_node_t *cur;
};

/*
 * A batch is a log of operations, each:
 *
 *   +------+-------------+---------+-------------+---------+
 *   | op 1 | key len u32 | key ... | val len u32 | val ... |
 *   +------+-------------+---------+-------------+---------+
 *
 * op: 'P' put, 'D' delete (no value part), 'R' delete range [key, val),
 * 'M' metadata put.
 */
struct eddy__batch_s {
  eddy_buf_t log;
  size_t cnt;
};

static int log_op(eddy__batch_t *b, char op, eddy_slice_t k, const eddy_slice_t *v) {
  uint8_t hdr[4];
  if (eddy_buf_reserve(&b->log, 9 + k.len + (v ? v->len : 0)) != 0)
    return EDDY_ENOMEM;
  eddy_buf_putc(&b->log, op);
  eddy__put_u32(hdr, (uint32_t)k.len);
  eddy_buf_append(&b->log, hdr, 4);
  eddy_buf_append(&b->log, k.p, k.len);
  if (v != NULL) {
    eddy__put_u32(hdr, (uint32_t)v->len);
    eddy_buf_append(&b->log, hdr, 4);
    eddy_buf_append(&b->log, v->p, v->len);
  }
  b->cnt++;
  return 0;
}

int eddy__memory_open(eddy__backend_t **out, eddy_error_t **err) {
  memory_t *m = eddy_calloc(1, sizeof(*m));
  if (m == NULL || eddy__sl_init(&m->data) != 0 || eddy__sl_init(&m->meta) != 0) {
    if (m != NULL) {
      eddy__sl_free(&m->data);
      eddy_free(m);
    }
    return eddy_error_set(err, EDDY_ENOMEM, "memory store: out of memory");
  }
  *out = (eddy__backend_t *)m;
  return 0;
}

static int mem_get(eddy__backend_t *be, eddy_slice_t key, eddy_slice_t *val, eddy_error_t **err) {
  (void)err;
  eddy__sl_node_t *n = eddy__sl_find(&((memory_t *)be)->data, key);
  if (n == NULL)
    return EDDY_ENOENT;
  *val = eddy__sl_val_slice(n);
  return 0;
}

static int mem_meta_get(eddy__backend_t *be, const char *key, eddy_buf_t *val,
                        eddy_error_t **err) {
  eddy__sl_node_t *n = eddy__sl_find(&((memory_t *)be)->meta, eddy_slice(key, strlen(key)));
  if (n == NULL)
    return EDDY_ENOENT;
  eddy_buf_clear(val);
  if (eddy_buf_append(val, n->val, n->val_len) != 0)
    return eddy_error_set(err, EDDY_ENOMEM, "memory store: out of memory");
  return 0;
}

static int mem_iter_new(eddy__backend_t *be, eddy__biter_t **out, eddy_error_t **err) {
  eddy__biter_t *it = eddy_calloc(1, sizeof(*it));
  if (it == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "memory store: out of memory");
  it->m = (memory_t *)be;
  *out = it;
  return 0;
}

static void mem_iter_seek(eddy__biter_t *it, eddy_slice_t key) {
  it->cur = eddy__sl_seek(&it->m->data, key);
}
static bool mem_iter_valid(eddy__biter_t *it) { return it->cur != NULL; }
static void mem_iter_next(eddy__biter_t *it) { it->cur = it->cur->next[0]; }
static eddy_slice_t mem_iter_key(eddy__biter_t *it) { return eddy__sl_key_slice(it->cur); }
static eddy_slice_t mem_iter_value(eddy__biter_t *it) { return eddy__sl_val_slice(it->cur); }
static int mem_iter_status(eddy__biter_t *it, eddy_error_t **err) {
  (void)it;
  (void)err;
  return 0;
}
static void mem_iter_destroy(eddy__biter_t *it) { eddy_free(it); }

static eddy__batch_t *mem_batch_new(eddy__backend_t *be) {
  (void)be;
  return eddy_calloc(1, sizeof(eddy__batch_t));
}
static int mem_batch_put(eddy__batch_t *b, eddy_slice_t k, eddy_slice_t v) {
  return log_op(b, 'P', k, &v);
}
static int mem_batch_delete(eddy__batch_t *b, eddy_slice_t k) { return log_op(b, 'D', k, NULL); }
static int mem_batch_delete_range(eddy__batch_t *b, eddy_slice_t from, eddy_slice_t to) {
  return log_op(b, 'R', from, &to);
}
static int mem_batch_put_meta(eddy__batch_t *b, const char *key, eddy_slice_t v) {
  return log_op(b, 'M', eddy_slice(key, strlen(key)), &v);
}
static size_t mem_batch_count(eddy__batch_t *b) { return b->cnt; }
static size_t mem_batch_bytes(eddy__batch_t *b) { return b->log.len; }
static void mem_batch_clear(eddy__batch_t *b) {
  eddy_buf_clear(&b->log);
  b->cnt = 0;
}
static void mem_batch_destroy(eddy__batch_t *b) {
  if (b == NULL)
    return;
  eddy_buf_free(&b->log);
  eddy_free(b);
}

static int put_into(eddy__skiplist_t *sl, eddy_slice_t k, eddy_slice_t v) {
  bool created;
  eddy__sl_node_t *n = eddy__sl_upsert(sl, k, &created);
  return n == NULL ? EDDY_ENOMEM : eddy__sl_set_value(sl, n, v);
}

/* Apply one logged op at *pos; advances *pos. */
static int apply_op(memory_t *m, const uint8_t *log, size_t *pos) {
  char op = (char)log[*pos];
  eddy_slice_t k, v = {NULL, 0};
  k.len = eddy__get_u32(log + *pos + 1);
  k.p = log + *pos + 5;
  *pos += 5 + k.len;
  if (op != 'D') {
    v.len = eddy__get_u32(log + *pos);
    v.p = log + *pos + 4;
    *pos += 4 + v.len;
  }
  switch (op) {
  case 'P':
    return put_into(&m->data, k, v);
  case 'D':
    eddy__sl_remove(&m->data, k);
    return 0;
  case 'R':
    eddy__sl_remove_range(&m->data, k, &v, NULL);
    return 0;
  default:
    return put_into(&m->meta, k, v);
  }
}

/* Not atomic under OOM (a later op may fail after earlier ones applied);
 * the store treats a failed write as fatal for its task. */
static int mem_write(eddy__backend_t *be, eddy__batch_t *b, eddy_error_t **err) {
  memory_t *m = (memory_t *)be;
  const uint8_t *log = (const uint8_t *)b->log.p;
  for (size_t pos = 0; pos < b->log.len;)
    if (apply_op(m, log, &pos) != 0)
      return eddy_error_set(err, EDDY_ENOMEM, "memory store: out of memory");
  return 0;
}

static int mem_wipe(eddy__backend_t *be, eddy_error_t **err) {
  (void)err;
  memory_t *m = (memory_t *)be;
  eddy__sl_clear(&m->data);
  eddy__sl_clear(&m->meta);
  return 0;
}

static int mem_persist(eddy__backend_t *be, eddy_error_t **err) {
  (void)be;
  (void)err;
  return 0;
}

static void mem_close(eddy__backend_t *be) {
  memory_t *m = (memory_t *)be;
  if (m == NULL)
    return;
  eddy__sl_free(&m->data);
  eddy__sl_free(&m->meta);
  eddy_free(m);
}

const eddy__backend_ops_t eddy__memory_ops = {
    .name = "memory",
    .get = mem_get,
    .meta_get = mem_meta_get,
    .iter_new = mem_iter_new,
    .iter_seek = mem_iter_seek,
    .iter_valid = mem_iter_valid,
    .iter_next = mem_iter_next,
    .iter_key = mem_iter_key,
    .iter_value = mem_iter_value,
    .iter_status = mem_iter_status,
    .iter_destroy = mem_iter_destroy,
    .batch_new = mem_batch_new,
    .batch_put = mem_batch_put,
    .batch_delete = mem_batch_delete,
    .batch_delete_range = mem_batch_delete_range,
    .batch_put_meta = mem_batch_put_meta,
    .batch_count = mem_batch_count,
    .batch_bytes = mem_batch_bytes,
    .batch_clear = mem_batch_clear,
    .batch_destroy = mem_batch_destroy,
    .write = mem_write,
    .wipe = mem_wipe,
    .persist = mem_persist,
    .close = mem_close,
};
