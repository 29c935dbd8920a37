/*
 * An ordered byte map (skiplist) used by the in-memory store backend and by
 * the write-back cache. Keys compare bytewise (memcmp, then length), the same
 * order as RocksDB's default comparator, so a merge of the two is ordered.
 *
 * Each node is one allocation holding its forward pointers and key bytes;
 * the value is a separate buffer that is reused when an update fits.
 * Nodes carry a small flag word and a time for the cache's bookkeeping.
 *
 * @locality one thread at a time (the stream thread owning the store)
 */
#ifndef EDDY_STATE_SKIPLIST_H
#define EDDY_STATE_SKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/store.h"

#define EDDY__SL_MAX_LEVEL 24

typedef struct eddy__sl_node_s eddy__sl_node_t;
struct eddy__sl_node_s {
  uint8_t *val;        /* eddy_malloc'ed, NULL when val_cap is 0 */
  uint32_t val_len;
  uint32_t val_cap;
  uint32_t key_len;
  uint8_t level;
  uint8_t flags;       /* owner-defined (cache: dirty, tombstone) */
  int64_t time;        /* owner-defined (cache: changelog timestamp) */
  eddy__sl_node_t *next[];  /* `level` pointers, then key_len key bytes */
};

typedef struct {
  eddy__sl_node_t *head;  /* sentinel with EDDY__SL_MAX_LEVEL pointers */
  int level;              /* highest level in use */
  size_t cnt;             /* nodes */
  size_t bytes;           /* approximate memory held: nodes, keys, values */
  uint64_t rng;           /* xorshift state for node levels (deterministic) */
} eddy__skiplist_t;

/** Initialise \p sl. @returns 0 or EDDY_ENOMEM. */
int eddy__sl_init(eddy__skiplist_t *sl);
/** Free every node and the sentinel. */
void eddy__sl_free(eddy__skiplist_t *sl);
/** Remove every node, keep the sentinel. */
void eddy__sl_clear(eddy__skiplist_t *sl);

/** @returns the key bytes of \p n (borrowed from the node). */
static inline const uint8_t *eddy__sl_key(const eddy__sl_node_t *n) {
  return (const uint8_t *)&n->next[n->level];
}
static inline eddy_slice_t eddy__sl_key_slice(const eddy__sl_node_t *n) {
  eddy_slice_t s = {eddy__sl_key(n), n->key_len};
  return s;
}
static inline eddy_slice_t eddy__sl_val_slice(const eddy__sl_node_t *n) {
  eddy_slice_t s = {n->val ? n->val : (const uint8_t *)"", n->val_len};
  return s;
}

/** Bytewise order: memcmp on the common prefix, then shorter first. */
int eddy__key_cmp(eddy_slice_t a, eddy_slice_t b);

/** @returns the node for \p key or NULL. */
eddy__sl_node_t *eddy__sl_find(const eddy__skiplist_t *sl, eddy_slice_t key);
/** @returns the first node with key >= \p key, or NULL. */
eddy__sl_node_t *eddy__sl_seek(const eddy__skiplist_t *sl, eddy_slice_t key);
/** @returns the first node or NULL. */
static inline eddy__sl_node_t *eddy__sl_first(const eddy__skiplist_t *sl) {
  return sl->head->next[0];
}

/**
 * Find or insert the node for \p key; a new node has no value, flags 0 and
 * time 0. Sets *created when it inserted. @returns the node, NULL on OOM.
 */
eddy__sl_node_t *eddy__sl_upsert(eddy__skiplist_t *sl, eddy_slice_t key, bool *created);

/** Replace the value of \p n with a copy of \p val. @returns 0 or EDDY_ENOMEM. */
int eddy__sl_set_value(eddy__skiplist_t *sl, eddy__sl_node_t *n, eddy_slice_t val);

/** Remove the node for \p key if present. @returns true if it removed one. */
bool eddy__sl_remove(eddy__skiplist_t *sl, eddy_slice_t key);

/**
 * Remove the nodes with from <= key < to (\p to NULL: no upper bound) for
 * which \p keep is NULL or returns false. @returns the number removed.
 */
size_t eddy__sl_remove_range(eddy__skiplist_t *sl, eddy_slice_t from, const eddy_slice_t *to,
                             bool (*keep)(const eddy__sl_node_t *n));

#endif
