/* Aggregate operator internals shared by aggregate.c, session.c, agg_core.c and accum.c. */
#ifndef EDDY_OPERATORS_AGGREGATE_INT_H
#define EDDY_OPERATORS_AGGREGATE_INT_H

#include "engine/util.h"
#include "operators/aggregate.h"

/*
 * One accumulator of an aggregate row. The state of a (group, window) is
 * an array of values, encoded with serde/codec.h in the store:
 *
 *   slot 0              the largest event time folded in (INT, or NULL)
 *   then per function   COUNT*: n          SUM: sum         AVG: n, sum
 *                       MIN/MAX: value     STDDEV: n, mean, m2 (doubles)
 *                       FIRST/LAST: time, value    ARGMAX/ARGMIN: by, value
 *                       TOP: the best x's total weight, the best x
 *
 * count_distinct and top also keep one entry per (group, window, function,
 * x) in the distinct store: count_distinct an empty value, top x's total
 * weight.
 *
 * A NULL slot means "nothing yet". AVG of int and decimal keeps an exact
 * decimal sum; STDDEV uses Welford's update.
 */
typedef struct {
  const eddy_plan_agg_t *spec;
  uint32_t slot;     /* its first slot in the state */
  uint32_t index;    /* position in the aggregate (prefix of distinct keys) */
} eddy__acc_t;

/** Slots \p fn uses. */
uint32_t eddy__acc_slots(eddy_agg_fn_t fn);
/** The state of an empty group: counts 0, everything else NULL. */
void eddy__acc_init(const eddy__acc_t *a, eddy_value_t *state);
/**
 * Fold one record in: \p x and \p by are its arguments (NULL when absent),
 * \p ts its event time; \p is_new tells count_distinct whether x is new.
 * @returns 0 or EDDY_EOVERFLOW (message in *err).
 */
int eddy__acc_update(const eddy__acc_t *a, eddy_value_t *state, const eddy_value_t *x,
                     const eddy_value_t *by, int64_t ts, bool is_new, eddy_error_t **err);
/**
 * top(x, w): add \p w to \p total, x's weight so far (NULL: none yet).
 * @returns 0, EDDY_ERANGE for a negative weight or EDDY_EOVERFLOW.
 */
int eddy__acc_top_add(const eddy__acc_t *a, eddy_value_t *total, const eddy_value_t *w,
                      eddy_error_t **err);
/**
 * Merge two states of \p a (sessions that a bridging record joins): fold
 * \p from into \p into, as if \p into had seen \p from's records too.
 * count_distinct and top cannot be merged from their states (they need the
 * distinct store): the checker rejects them with sessions. Slot 0 (the
 * largest event time) is the caller's. @returns 0 or EDDY_EOVERFLOW.
 */
int eddy__acc_merge(const eddy__acc_t *a, eddy_value_t *into, const eddy_value_t *from,
                    eddy_error_t **err);
/** The result value of \p a from \p state. @returns 0 or an error. */
int eddy__acc_result(const eddy__acc_t *a, const eddy_value_t *state, eddy_value_t *out,
                     eddy_error_t **err);

/* ---- what the window and session variants share (agg_core.c) ---------------------- */

/* Record times are kept within ±2^61 µs (±73,000 years), so window arithmetic never
 * overflows; the position entry sits beyond every window (its end too). */
#define EDDY__AGG_TIME_LIMIT ((int64_t)1 << 61)
#define EDDY__AGG_META_TIME ((int64_t)1 << 62)

typedef struct {
  const eddy_plan_node_t *node;
  const eddy_plan_group_t *g;
  eddy_store_t *store;
  eddy_agg_emit_fn emit;
  eddy_agg_late_fn late;
  void *opaque;
  eddy_arena_t *arena;
  eddy_changelog_fn changelog;
  void *changelog_opaque;
  eddy__acc_t *accs;
  uint32_t slot_cnt;
  eddy_value_t *state;       /* the row being updated */
  eddy_value_t *emit_state;  /* the row being emitted (a flush may emit during an update) */
  eddy_buf_t kbuf, vbuf;
  int64_t saved_time, saved_emitted;  /* the position in the store */
  int64_t emitted_to;
  eddy_agg_stats_t stats;
} eddy__agg_core_t;

/** Fill \p c from \p conf and allocate its accumulators and state rows. @returns 0 or
 * EDDY_ENOMEM; eddy__agg_core_free() either way. */
int eddy__agg_core_init(eddy__agg_core_t *c, const eddy_agg_conf_t *conf,
                        eddy_changelog_fn changelog, void *changelog_opaque, eddy_error_t **err);
void eddy__agg_core_free(eddy__agg_core_t *c);
/** @returns EDDY_ESTORE: an undecodable record in the operator's store. */
int eddy__agg_corrupt(const eddy__agg_core_t *c, eddy_error_t **err);
/** Decode exactly \p cnt codec values from \p v. */
int eddy__agg_decode(const eddy__agg_core_t *c, eddy_slice_t v, eddy_value_t *out, uint32_t cnt,
                     eddy_error_t **err);
/** The group columns of \p row, encoded into c->kbuf. */
int eddy__agg_encode_key(eddy__agg_core_t *c, const eddy_row_t *row, eddy_error_t **err);
/** c->state into c->vbuf. */
int eddy__agg_encode_state(eddy__agg_core_t *c, eddy_error_t **err);
/** The position read back from its stored value (\p found false: none stored). */
int eddy__agg_position_load(eddy__agg_core_t *c, bool found, eddy_slice_t v, eddy_error_t **err);
/** The position at \p stream_time into c->vbuf. @returns 1 when it is the one stored already. */
int eddy__agg_position_encode(eddy__agg_core_t *c, int64_t stream_time, eddy_error_t **err);
/** The position at \p stream_time is in the store now. */
void eddy__agg_position_stored(eddy__agg_core_t *c, int64_t stream_time);
/**
 * The common part of the store's changelog hook: forward the change to the
 * operator's changelog; *out is then the stored result to emit under emit
 * changes (a result's update, not a deletion or the operator's position).
 * @returns 0 with *emit set, or an error.
 */
int eddy__agg_forward(eddy__agg_core_t *c, eddy_slice_t key, const eddy_slice_t *value,
                      int64_t time, eddy_store_entry_t *out, bool *emit, eddy_error_t **err);
/**
 * Emit the result row of group \p key: its columns, then with \p window the
 * window [start, end), then the results of the state \p value (NULL: a
 * retraction, its results null). The record key is the group column, or a
 * struct of the first \p key_cols columns; the row's time is the state's
 * largest event time, else \p ts.
 */
int eddy__agg_emit_result(eddy__agg_core_t *c, eddy_slice_t key, bool window, int64_t start,
                          int64_t end, const eddy_slice_t *value, uint32_t key_cols, int64_t ts,
                          eddy_error_t **err);

/* ---- session windows (session.c) ------------------------------------------------
 * aggregate.c hands every call of an aggregate with `window session` over to these;
 * they mirror the eddy_agg_* calls of aggregate.h. */

typedef struct eddy__session_s eddy__session_t;

int eddy__session_new(eddy__session_t **out, const eddy_agg_conf_t *conf,
                      eddy_changelog_fn changelog, void *changelog_opaque, eddy_error_t **err);
void eddy__session_destroy(eddy__session_t *s);
int64_t eddy__session_stream_time(const eddy__session_t *s);
int eddy__session_process(eddy__session_t *s, const eddy_row_t *row, int64_t stream_time,
                          eddy_error_t **err);
int eddy__session_advance(eddy__session_t *s, int64_t stream_time, eddy_error_t **err);
int64_t eddy__session_deadline(const eddy__session_t *s);
int eddy__session_flush(eddy__session_t *s, int64_t stream_time, eddy_error_t **err);
void eddy__session_stats(const eddy__session_t *s, eddy_agg_stats_t *out);

#endif
