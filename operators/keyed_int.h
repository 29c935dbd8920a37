/* Keyed operator internals shared by keyed.c and over.c. */
#ifndef EDDY_OPERATORS_KEYED_INT_H
#define EDDY_OPERATORS_KEYED_INT_H

#include "operators/aggregate_int.h"
#include "operators/expr.h"
#include "operators/keyed.h"

struct eddy_keyed_s {
  const eddy_plan_node_t *node;
  const eddy_plan_keyed_t *spec;
  eddy_store_t *store;
  eddy_keyed_emit_fn emit;
  eddy_keyed_late_fn late;
  void *opaque;
  eddy_arena_t *arena;
  const int64_t *now_us;
  eddy_buf_t kbuf, vbuf;
  eddy_keyed_stats_t stats;
  /* over */
  eddy__acc_t *accs;
  uint32_t slot_cnt;
  eddy_value_t *state;        /* accumulator slots of the frame being folded */
  eddy_value_t *cur;          /* the current record's arguments */
  int64_t *ts;                /* the key's retained records: event times ... */
  eddy_value_t *vals;         /* ... and arguments (arg_cnt per record) */
  uint32_t *off;              /* ... and where each starts in the stored value (cap + 1) */
  const uint8_t *raw;         /* the stored value they were read from (NULL: none) */
  uint32_t cap;               /* records ts, vals and off have room for */
};

/** An evaluation context for \p row. */
eddy_eval_ctx_t eddy__keyed_ctx(const eddy_keyed_t *k, const eddy_row_t *row);
/** Encode row->key (normalized to the key type) into k->kbuf. */
int eddy__keyed_key(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err);
/** Hand \p row to the emit callback. */
int eddy__keyed_emit(eddy_keyed_t *k, const eddy_row_t *row, eddy_error_t **err);
/** over.c */
int eddy__over_setup(eddy_keyed_t *k, eddy_error_t **err);
int eddy__over_process(eddy_keyed_t *k, const eddy_row_t *row, int64_t stream_time,
                       eddy_error_t **err);
void eddy__over_free(eddy_keyed_t *k);

#endif
