/* The ordered byte map behind the in-memory store and the write-back cache. */
#include "state/skiplist.h"

#include <string.h>

#include "eddy/alloc.h"
#include "eddy/error.h"

int eddy__key_cmp(eddy_slice_t a, eddy_slice_t b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.p, b.p, n) : 0;
  if (c != 0)
    return c;
  return a.len < b.len ? -1 : a.len > b.len;
}

static size_t node_bytes(const eddy__sl_node_t *n) {
  return sizeof(*n) + (size_t)n->level * sizeof(n->next[0]) + n->key_len + n->val_cap;
}

int eddy__sl_init(eddy__skiplist_t *sl) {
  memset(sl, 0, sizeof(*sl));
  size_t sz = sizeof(eddy__sl_node_t) + EDDY__SL_MAX_LEVEL * sizeof(eddy__sl_node_t *);
  sl->head = eddy_calloc(1, sz);
  if (sl->head == NULL)
    return EDDY_ENOMEM;
  sl->head->level = EDDY__SL_MAX_LEVEL;
  sl->level = 1;
  sl->rng = 0x9e3779b97f4a7c15ull;
  return 0;
}

static void free_node(eddy__sl_node_t *n) {
  eddy_free(n->val);
  eddy_free(n);
}

void eddy__sl_clear(eddy__skiplist_t *sl) {
  if (sl->head == NULL)
    return;
  for (eddy__sl_node_t *n = sl->head->next[0], *nx; n != NULL; n = nx) {
    nx = n->next[0];
    free_node(n);
  }
  memset(sl->head->next, 0, EDDY__SL_MAX_LEVEL * sizeof(sl->head->next[0]));
  sl->level = 1;
  sl->cnt = 0;
  sl->bytes = 0;
}

void eddy__sl_free(eddy__skiplist_t *sl) {
  eddy__sl_clear(sl);
  eddy_free(sl->head);
  sl->head = NULL;
}

/* Branching factor 4: a node reaches level k+1 with probability 1/4. */
static int random_level(eddy__skiplist_t *sl) {
  uint64_t x = sl->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  sl->rng = x;
  int level = 1;
  while (level < EDDY__SL_MAX_LEVEL && (x & 3) == 0) {
    level++;
    x >>= 2;
  }
  return level;
}

/* Fill pred[i] with the last node whose key is < key at each level. */
static void find_preds(const eddy__skiplist_t *sl, eddy_slice_t key, eddy__sl_node_t **pred) {
  eddy__sl_node_t *x = sl->head;
  for (int i = sl->level - 1; i >= 0; i--) {
    while (x->next[i] != NULL && eddy__key_cmp(eddy__sl_key_slice(x->next[i]), key) < 0)
      x = x->next[i];
    pred[i] = x;
  }
}

eddy__sl_node_t *eddy__sl_seek(const eddy__skiplist_t *sl, eddy_slice_t key) {
  eddy__sl_node_t *x = sl->head;
  for (int i = sl->level - 1; i >= 0; i--)
    while (x->next[i] != NULL && eddy__key_cmp(eddy__sl_key_slice(x->next[i]), key) < 0)
      x = x->next[i];
  return x->next[0];
}

eddy__sl_node_t *eddy__sl_find(const eddy__skiplist_t *sl, eddy_slice_t key) {
  eddy__sl_node_t *n = eddy__sl_seek(sl, key);
  if (n != NULL && eddy__key_cmp(eddy__sl_key_slice(n), key) == 0)
    return n;
  return NULL;
}

eddy__sl_node_t *eddy__sl_upsert(eddy__skiplist_t *sl, eddy_slice_t key, bool *created) {
  eddy__sl_node_t *pred[EDDY__SL_MAX_LEVEL];
  find_preds(sl, key, pred);
  eddy__sl_node_t *n = pred[0]->next[0];
  *created = false;
  if (n != NULL && eddy__key_cmp(eddy__sl_key_slice(n), key) == 0)
    return n;
  int level = random_level(sl);
  n = eddy_malloc(sizeof(*n) + (size_t)level * sizeof(n->next[0]) + key.len);
  if (n == NULL)
    return NULL;
  memset(n, 0, sizeof(*n));
  n->level = (uint8_t)level;
  n->key_len = (uint32_t)key.len;
  if (key.len)
    memcpy((uint8_t *)&n->next[level], key.p, key.len);
  for (int i = sl->level; i < level; i++)
    pred[i] = sl->head;
  if (level > sl->level)
    sl->level = level;
  for (int i = 0; i < level; i++) {
    n->next[i] = pred[i]->next[i];
    pred[i]->next[i] = n;
  }
  sl->cnt++;
  sl->bytes += node_bytes(n);
  *created = true;
  return n;
}

int eddy__sl_set_value(eddy__skiplist_t *sl, eddy__sl_node_t *n, eddy_slice_t val) {
  if (val.len > UINT32_MAX)
    return EDDY_ERANGE;
  if (val.len > n->val_cap || (n->val_cap > 256 && val.len < n->val_cap / 4)) {
    uint8_t *p = eddy_malloc(val.len);
    if (p == NULL)
      return EDDY_ENOMEM;
    sl->bytes -= n->val_cap;
    eddy_free(n->val);
    n->val = p;
    n->val_cap = (uint32_t)(val.len ? val.len : 1);
    sl->bytes += n->val_cap;
  }
  if (val.len)
    memcpy(n->val, val.p, val.len);
  n->val_len = (uint32_t)val.len;
  return 0;
}

static void unlink_node(eddy__skiplist_t *sl, eddy__sl_node_t **pred, eddy__sl_node_t *n) {
  for (int i = 0; i < n->level; i++)
    pred[i]->next[i] = n->next[i];
  while (sl->level > 1 && sl->head->next[sl->level - 1] == NULL)
    sl->level--;
  sl->cnt--;
  sl->bytes -= node_bytes(n);
  free_node(n);
}

bool eddy__sl_remove(eddy__skiplist_t *sl, eddy_slice_t key) {
  eddy__sl_node_t *pred[EDDY__SL_MAX_LEVEL];
  find_preds(sl, key, pred);
  eddy__sl_node_t *n = pred[0]->next[0];
  if (n == NULL || eddy__key_cmp(eddy__sl_key_slice(n), key) != 0)
    return false;
  unlink_node(sl, pred, n);
  return true;
}

size_t eddy__sl_remove_range(eddy__skiplist_t *sl, eddy_slice_t from, const eddy_slice_t *to,
                             bool (*keep)(const eddy__sl_node_t *n)) {
  eddy__sl_node_t *pred[EDDY__SL_MAX_LEVEL];
  find_preds(sl, from, pred);
  /* pred[i]->next[i] stays "the next unvisited node at level i": a kept
   * node becomes the predecessor on its levels, a removed one is bypassed. */
  size_t removed = 0;
  eddy__sl_node_t *x = pred[0]->next[0];
  while (x != NULL && (to == NULL || eddy__key_cmp(eddy__sl_key_slice(x), *to) < 0)) {
    eddy__sl_node_t *nx = x->next[0];
    if (keep != NULL && keep(x)) {
      for (int i = 0; i < x->level; i++)
        pred[i] = x;
    } else {
      unlink_node(sl, pred, x);
      removed++;
    }
    x = nx;
  }
  return removed;
}
