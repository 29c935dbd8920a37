/* A small string-keyed hash map with chaining (FNV-1a hash). */
#include <string.h>

#include "schema-registry/sr_int.h"

struct eddy__sr_map_entry_s {
  eddy__sr_map_entry_t *next;
  void *val;
  char key[];
};

static size_t hash(const char *s) {
  size_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static eddy__sr_map_entry_t **slot(const eddy__sr_map_t *m, const char *key) {
  eddy__sr_map_entry_t **e = &m->buckets[hash(key) & (m->bucket_cnt - 1)];
  while (*e != NULL && strcmp((*e)->key, key) != 0)
    e = &(*e)->next;
  return e;
}

void *eddy__sr_map_get(const eddy__sr_map_t *m, const char *key) {
  if (m->bucket_cnt == 0)
    return NULL;
  eddy__sr_map_entry_t *e = *slot(m, key);
  return e ? e->val : NULL;
}

static int grow(eddy__sr_map_t *m) {
  size_t cnt = m->bucket_cnt ? m->bucket_cnt * 2 : 16;
  eddy__sr_map_entry_t **b = eddy_calloc(cnt, sizeof(*b));
  if (b == NULL)
    return EDDY_ENOMEM;
  for (size_t i = 0; i < m->bucket_cnt; i++) {
    eddy__sr_map_entry_t *e = m->buckets[i], *next;
    for (; e != NULL; e = next) {
      next = e->next;
      size_t at = hash(e->key) & (cnt - 1);
      e->next = b[at];
      b[at] = e;
    }
  }
  eddy_free(m->buckets);
  m->buckets = b;
  m->bucket_cnt = cnt;
  return 0;
}

int eddy__sr_map_put(eddy__sr_map_t *m, const char *key, void *val) {
  if ((m->cnt + 1 > m->bucket_cnt) && grow(m) != 0)
    return EDDY_ENOMEM;
  eddy__sr_map_entry_t **s = slot(m, key);
  if (*s != NULL) {
    (*s)->val = val;
    return 0;
  }
  size_t len = strlen(key);
  eddy__sr_map_entry_t *e = eddy_malloc(sizeof(*e) + len + 1);
  if (e == NULL)
    return EDDY_ENOMEM;
  memcpy(e->key, key, len + 1);
  e->val = val;
  e->next = NULL;
  *s = e;
  m->cnt++;
  return 0;
}

void *eddy__sr_map_del(eddy__sr_map_t *m, const char *key) {
  if (m->bucket_cnt == 0)
    return NULL;
  eddy__sr_map_entry_t **s = slot(m, key), *e = *s;
  if (e == NULL)
    return NULL;
  void *val = e->val;
  *s = e->next;
  eddy_free(e);
  m->cnt--;
  return val;
}

void eddy__sr_map_each(const eddy__sr_map_t *m, void (*fn)(void *, const char *, void *),
                       void *opaque) {
  for (size_t i = 0; i < m->bucket_cnt; i++)
    for (eddy__sr_map_entry_t *e = m->buckets[i]; e != NULL; e = e->next)
      fn(opaque, e->key, e->val);
}

void eddy__sr_map_free(eddy__sr_map_t *m) {
  for (size_t i = 0; i < m->bucket_cnt; i++) {
    eddy__sr_map_entry_t *e = m->buckets[i], *next;
    for (; e != NULL; e = next) {
      next = e->next;
      eddy_free(e);
    }
  }
  eddy_free(m->buckets);
  m->buckets = NULL;
  m->bucket_cnt = m->cnt = 0;
}
