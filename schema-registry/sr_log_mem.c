/*
 * An in-memory `_schemas` log for tests: several registries in one process
 * open the same shared record list, each with its own read position, exactly
 * like instances tailing one Kafka partition. A one-shot hook runs before an
 * append so a test can slip a competing write between one registry's read
 * and its write.
 */
#include <string.h>

#include "schema-registry/sr_int.h"

struct eddy__sr_mem_shared_s {
  eddy__sr_record_t *recs;
  int cnt;
  int cap;
  void (*hook)(void *opaque);
  void *hook_opaque;
};

typedef struct {
  eddy__sr_log_t base;
  eddy__sr_mem_shared_t *shared;
  int pos;                  /* next record to apply */
} mem_log_t;

eddy__sr_mem_shared_t *eddy__sr_mem_shared_new(void) {
  return eddy_calloc(1, sizeof(eddy__sr_mem_shared_t));
}

void eddy__sr_mem_shared_destroy(eddy__sr_mem_shared_t *m) {
  if (m == NULL)
    return;
  for (int i = 0; i < m->cnt; i++)
    eddy__sr_record_clear(&m->recs[i]);
  eddy_free(m->recs);
  eddy_free(m);
}

void eddy__sr_mem_shared_hook(eddy__sr_mem_shared_t *m, void (*fn)(void *), void *opaque) {
  m->hook = fn;
  m->hook_opaque = opaque;
}

int eddy__sr_mem_shared_cnt(const eddy__sr_mem_shared_t *m) { return m->cnt; }

const eddy__sr_record_t *eddy__sr_mem_shared_record(const eddy__sr_mem_shared_t *m, int offset) {
  return &m->recs[offset];
}

static void apply_upto(mem_log_t *l, eddy__sr_store_t *st, int end) {
  for (; l->pos < end && l->pos < l->shared->cnt; l->pos++) {
    const eddy__sr_record_t *r = &l->shared->recs[l->pos];
    eddy__sr_store_apply(st, r->key, strlen(r->key), r->value, r->value ? strlen(r->value) : 0,
                         l->pos);
  }
}

static int mem_sync(eddy__sr_log_t *log, eddy__sr_store_t *st, int timeout_ms, eddy_error_t **err) {
  mem_log_t *l = (mem_log_t *)log;
  (void)timeout_ms;
  (void)err;
  apply_upto(l, st, l->shared->cnt);
  return 0;
}

static int push(eddy__sr_mem_shared_t *m, const eddy__sr_record_t *r) {
  if (m->cnt == m->cap) {
    int cap = m->cap ? m->cap * 2 : 16;
    eddy__sr_record_t *recs = eddy_realloc(m->recs, (size_t)cap * sizeof(*recs));
    if (recs == NULL)
      return EDDY_ENOMEM;
    m->recs = recs;
    m->cap = cap;
  }
  eddy__sr_record_t copy = {eddy_strdup(r->key), r->value ? eddy_strdup(r->value) : NULL};
  if (copy.key == NULL || (r->value != NULL && copy.value == NULL)) {
    eddy__sr_record_clear(&copy);
    return EDDY_ENOMEM;
  }
  m->recs[m->cnt++] = copy;
  return 0;
}

static int mem_append(eddy__sr_log_t *log, const eddy__sr_record_t *recs, int cnt, int64_t *last,
                      eddy_error_t **err) {
  eddy__sr_mem_shared_t *m = ((mem_log_t *)log)->shared;
  void (*hook)(void *) = m->hook;
  m->hook = NULL;           /* one-shot, and the hook may append itself */
  if (hook != NULL)
    hook(m->hook_opaque);
  for (int i = 0; i < cnt; i++)
    if (push(m, &recs[i]) != 0)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory appending to the log");
  *last = m->cnt - 1;
  return 0;
}

static int mem_wait(eddy__sr_log_t *log, eddy__sr_store_t *st, int64_t offset, int timeout_ms,
                    eddy_error_t **err) {
  mem_log_t *l = (mem_log_t *)log;
  (void)timeout_ms;
  if (offset >= l->shared->cnt)
    return eddy_error_set(err, EDDY_ETIMEOUT, "offset %lld not in the log", (long long)offset);
  apply_upto(l, st, (int)offset + 1);
  return 0;
}

static void mem_poll(eddy__sr_log_t *log, eddy__sr_store_t *st) {
  mem_log_t *l = (mem_log_t *)log;
  apply_upto(l, st, l->shared->cnt);
}

static void mem_destroy(eddy__sr_log_t *log) { eddy_free(log); }

static const eddy__sr_log_ops_t mem_ops = {
    .sync = mem_sync,
    .append = mem_append,
    .wait = mem_wait,
    .poll = mem_poll,
    .destroy = mem_destroy,
};

int eddy__sr_log_mem_open(eddy__sr_log_t **out, eddy__sr_mem_shared_t *shared) {
  mem_log_t *l = eddy_calloc(1, sizeof(*l));
  *out = NULL;
  if (l == NULL)
    return EDDY_ENOMEM;
  l->base.ops = &mem_ops;
  l->shared = shared;
  *out = &l->base;
  return 0;
}
