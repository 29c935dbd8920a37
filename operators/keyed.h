/*
 * Keyed operators: over, dedupe and changes (eddy_plan_keyed_t in
 * dsl/plan.h; semantics in docs/dsl.md). One instance exists per (node,
 * task), over one state store:
 *
 *   over     KV store: record key -> the key's retained records (event time
 *            and aggregate arguments, in event-time order) and its position.
 *            Each record is emitted at once, extended with the aggregates of
 *            its frame; a record whose frame is no longer in the state is late.
 *   dedupe   window store: (id, event time) -> "" for each id let through,
 *            kept 2 x within behind stream time.
 *   changes  KV store: record key -> the last value emitted.
 *
 * Writes go through the store's write-back cache and reach the changelog at
 * eddy_keyed_flush(). Like the aggregate operator, an instance never reads a
 * clock: the stream time comes from its task.
 */
#ifndef EDDY_OPERATORS_KEYED_H
#define EDDY_OPERATORS_KEYED_H

#include "dsl/plan.h"
#include "eddy/row.h"
#include "eddy/store.h"

typedef struct eddy_keyed_s eddy_keyed_t;

/** Receives each output row (borrowed for the call). */
typedef int (*eddy_keyed_emit_fn)(void *opaque, const eddy_row_t *row, eddy_error_t **err);
/** Receives a late record (over only): the operator's input row. */
typedef int (*eddy_keyed_late_fn)(void *opaque, const eddy_row_t *row, int64_t stream_time,
                                  eddy_error_t **err);

typedef struct {
  const eddy_plan_node_t *node;   /* OVER, DEDUPE or CHANGES; borrowed */
  eddy_store_t *store;            /* its store, of the kind the plan says; borrowed */
  eddy_keyed_emit_fn emit;
  eddy_keyed_late_fn late;        /* may be NULL: late records are only counted */
  void *opaque;
  eddy_arena_t *arena;            /* output rows and expression values; the caller resets it */
  const int64_t *now_us;          /* now() for expressions; may be NULL (0) */
} eddy_keyed_conf_t;

int eddy_keyed_new(eddy_keyed_t **out, const eddy_keyed_conf_t *conf, eddy_error_t **err);
/** NULL-safe. */
void eddy_keyed_destroy(eddy_keyed_t *k);

/**
 * Process one input row (row->key is the state key, row->ts its event
 * time); \p stream_time already includes it. Emits at once what goes out.
 * @returns 0, a record error (EDDY_EOVERFLOW, EDDY_ERANGE, an evaluation
 * error: the caller applies the error policy) or a store error.
 */
int eddy_keyed_process(eddy_keyed_t *k, const eddy_row_t *row, int64_t stream_time,
                       eddy_error_t **err);
/** Commit step 1: flush the store (to its changelog) and expire what retention drops. */
int eddy_keyed_flush(eddy_keyed_t *k, int64_t stream_time, eddy_error_t **err);

typedef struct {
  uint64_t records;      /* processed */
  uint64_t emitted;      /* rows out */
  uint64_t dropped;      /* dedupe: duplicates; changes: unchanged values */
  uint64_t late;         /* over: records whose frame had left the state */
} eddy_keyed_stats_t;

void eddy_keyed_stats(const eddy_keyed_t *k, eddy_keyed_stats_t *out);

#endif
