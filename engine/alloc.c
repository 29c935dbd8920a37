/* eddy_malloc and friends, arenas and byte buffers. */
#include "eddy/alloc.h"
#include "eddy/error.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long live_cnt;
static atomic_long fail_countdown;   /* 0 = off */

static int should_fail(void) {
  if (atomic_load_explicit(&fail_countdown, memory_order_relaxed) == 0)
    return 0;
  return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *eddy_malloc(size_t size) {
  if (should_fail())
    return NULL;
  void *p = malloc(size ? size : 1);
  if (p != NULL)
    atomic_fetch_add_explicit(&live_cnt, 1, memory_order_relaxed);
  return p;
}

void *eddy_calloc(size_t cnt, size_t size) {
  if (should_fail())
    return NULL;
  void *p = calloc(cnt ? cnt : 1, size ? size : 1);
  if (p != NULL)
    atomic_fetch_add_explicit(&live_cnt, 1, memory_order_relaxed);
  return p;
}

void *eddy_realloc(void *ptr, size_t size) {
  if (ptr == NULL)
    return eddy_malloc(size);
  if (should_fail())
    return NULL;
  return realloc(ptr, size ? size : 1);
}

void eddy_free(void *ptr) {
  if (ptr == NULL)
    return;
  atomic_fetch_sub_explicit(&live_cnt, 1, memory_order_relaxed);
  free(ptr);
}

char *eddy_strndup(const char *s, size_t len) {
  if (s == NULL)
    return NULL;
  char *d = eddy_malloc(len + 1);
  if (d == NULL)
    return NULL;
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

char *eddy_strdup(const char *s) {
  return s == NULL ? NULL : eddy_strndup(s, strlen(s));
}

long eddy_alloc_live(void) { return atomic_load(&live_cnt); }

void eddy_alloc_fail_after(long nth) { atomic_store(&fail_countdown, nth); }

/* ---- arenas ------------------------------------------------------------ */

typedef struct arena_block_s {
  struct arena_block_s *next;
  size_t cap;
  size_t used;
  _Alignas(16) unsigned char data[];
} arena_block_t;

struct eddy_arena_s {
  arena_block_t *head;       /* current block; older blocks follow */
  size_t block_size;
  size_t total;
};

eddy_arena_t *eddy_arena_new(size_t block_size) {
  eddy_arena_t *a = eddy_calloc(1, sizeof(*a));
  if (a != NULL)
    a->block_size = block_size < 1024 ? 1024 : block_size;
  return a;
}

void eddy_arena_destroy(eddy_arena_t *a) {
  if (a == NULL)
    return;
  for (arena_block_t *b = a->head, *n; b != NULL; b = n) {
    n = b->next;
    eddy_free(b);
  }
  eddy_free(a);
}

void eddy_arena_reset(eddy_arena_t *a) {
  if (a == NULL || a->head == NULL)
    return;
  /* keep the last (oldest) block: it has the base size */
  arena_block_t *b = a->head;
  while (b->next != NULL) {
    arena_block_t *n = b->next;
    eddy_free(b);
    b = n;
  }
  b->used = 0;
  a->head = b;
  a->total = 0;
}

void *eddy_arena_alloc(eddy_arena_t *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  arena_block_t *b = a->head;
  if (b == NULL || b->cap - b->used < size) {
    size_t cap = size > a->block_size ? size : a->block_size;
    arena_block_t *nb = eddy_malloc(sizeof(*nb) + cap);
    if (nb == NULL)
      return NULL;
    nb->cap = cap;
    nb->used = 0;
    nb->next = b;
    a->head = nb;
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += size;
  a->total += size;
  return p;
}

void *eddy_arena_calloc(eddy_arena_t *a, size_t cnt, size_t size) {
  if (size != 0 && cnt > SIZE_MAX / size)
    return NULL;
  void *p = eddy_arena_alloc(a, cnt * size);
  if (p != NULL)
    memset(p, 0, cnt * size);
  return p;
}

char *eddy_arena_strndup(eddy_arena_t *a, const char *s, size_t len) {
  char *d = eddy_arena_alloc(a, len + 1);
  if (d == NULL)
    return NULL;
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

char *eddy_arena_strdup(eddy_arena_t *a, const char *s) {
  return eddy_arena_strndup(a, s, strlen(s));
}

char *eddy_arena_printf(eddy_arena_t *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int len = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  char *d = len < 0 ? NULL : eddy_arena_alloc(a, (size_t)len + 1);
  if (d != NULL)
    vsnprintf(d, (size_t)len + 1, fmt, ap);
  va_end(ap);
  return d;
}

size_t eddy_arena_used(const eddy_arena_t *a) { return a->total; }

/* ---- byte buffers ------------------------------------------------------ */

int eddy_buf_reserve(eddy_buf_t *b, size_t extra) {
  if (b->cap - b->len > extra)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len <= extra)
    cap *= 2;
  char *p = eddy_realloc(b->p, cap);
  if (p == NULL)
    return EDDY_ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

int eddy_buf_append(eddy_buf_t *b, const void *p, size_t len) {
  if (len == 0)
    return 0;
  if (eddy_buf_reserve(b, len) != 0)
    return EDDY_ENOMEM;
  memcpy(b->p + b->len, p, len);
  b->len += len;
  return 0;
}

int eddy_buf_putc(eddy_buf_t *b, char c) {
  if (b->cap - b->len <= 1 && eddy_buf_reserve(b, 1) != 0)
    return EDDY_ENOMEM;
  b->p[b->len++] = c;
  return 0;
}

int eddy_buf_puts(eddy_buf_t *b, const char *s) {
  return eddy_buf_append(b, s, strlen(s));
}

int eddy_buf_printf(eddy_buf_t *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int len = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  int rc = len < 0 ? EDDY_EINVAL : eddy_buf_reserve(b, (size_t)len + 1);
  if (rc == 0) {
    vsnprintf(b->p + b->len, (size_t)len + 1, fmt, ap);
    b->len += (size_t)len;
  }
  va_end(ap);
  return rc;
}

void eddy_buf_free(eddy_buf_t *b) {
  eddy_free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

const char *eddy_buf_cstr(eddy_buf_t *b) {
  if (eddy_buf_reserve(b, 1) != 0)
    return NULL;
  b->p[b->len] = '\0';
  return b->p;
}
