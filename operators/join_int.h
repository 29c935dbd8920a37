/* Join operator internals shared by join.c and join_window.c. */
#ifndef EDDY_OPERATORS_JOIN_INT_H
#define EDDY_OPERATORS_JOIN_INT_H

#include "operators/join.h"

/* How one side's stored values decode. */
typedef struct {
  eddy_join_table_t t;
  const eddy_fields_t *layout;  /* what the decoder fills */
  uint32_t off, cnt;            /* the side's row in it */
  int32_t op_slot;              /* Debezium rows stored as consumed: "d" reads as absent */
} side_t;

struct eddy_join_s {
  const eddy_plan_node_t *node;
  const eddy_plan_join_t *jp;
  side_t left, right;
  eddy_join_emit_fn emit;
  void *opaque;
  eddy_arena_t *arena;
  eddy_buf_t kbuf, vbuf;
  eddy_join_stats_t stats;
  /* stream-stream: the position, persisted in the left store */
  int64_t stream_time;          /* largest event time seen (INT64_MIN: none) */
  int64_t emitted_to;           /* unmatched records with ts <= it went out (INT64_MIN: none) */
  int64_t saved_time, saved_emitted;
};

int eddy__join_oom(eddy_join_t *j, eddy_error_t **err);
/** Decode stored value \p v of side \p s (copied into the arena); *vals NULL if a delete. */
int eddy__join_decode(eddy_join_t *j, side_t *s, eddy_slice_t v, const eddy_value_t **vals,
                      eddy_error_t **err);
/** Emit an output row (left or right may be NULL: nulls). */
int eddy__join_emit(eddy_join_t *j, const eddy_value_t *left, const eddy_value_t *right,
                    eddy_value_t key, int64_t ts, const eddy_row_t *from, bool tombstone,
                    eddy_error_t **err);
/** Stream-stream: read the persisted position (join_window.c). */
int eddy__join_window_setup(eddy_join_t *j, eddy_error_t **err);

#endif
