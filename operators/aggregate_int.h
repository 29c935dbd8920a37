/* Aggregate operator internals shared by aggregate.c and accum.c. */
#ifndef EDDY_OPERATORS_AGGREGATE_INT_H
#define EDDY_OPERATORS_AGGREGATE_INT_H

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
