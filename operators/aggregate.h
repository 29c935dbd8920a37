/*
 * The aggregate operator: windows, accumulators and emission over the rows
 * of a repartition topic (see eddy_plan_group_t in dsl/plan.h).
 *
 * One instance exists per (aggregate node, task). It keeps one accumulator
 * row per (group, window) in a state store: a window store keyed by (group
 * key, window start) when windowed, a key-value store keyed by the group key
 * otherwise. Time semantics (docs/dsl.md, "Time"):
 *
 *   - stream time is the largest event time the task has seen;
 *   - a window [start, end) closes when stream time >= end + grace;
 *   - a record is late for a window that is already closed: it is counted
 *     and handed to the late callback, never folded in;
 *   - emit final: when a window closes, its result is emitted once;
 *   - emit changes: each (group, window) updated since the last flush is
 *     emitted once at eddy_agg_flush() (the store's cache flush), so at most
 *     once per key per commit.
 *
 * The instance never reads a clock: stream time comes from its task (which
 * may move it by the wall clock when the partition is idle), so tests drive
 * it with any times they like.
 */
#ifndef EDDY_OPERATORS_AGGREGATE_H
#define EDDY_OPERATORS_AGGREGATE_H

#include "dsl/plan.h"
#include "eddy/row.h"
#include "eddy/store.h"

/* ---- typing (used by the DSL checker) ----------------------------------- */

/** @returns true when \p name is an aggregate function. */
bool eddy_agg_is_name(const char *name);
/** The DSL name of \p fn ("count_distinct"). */
const char *eddy_agg_name(eddy_agg_fn_t fn);
/**
 * The function \p name with \p argc arguments. @returns 0 and *fn,
 * EDDY_ENOENT (not an aggregate) or EDDY_ETYPE (wrong argument count), with
 * a message in \p why.
 */
int eddy_agg_lookup(const char *name, uint32_t argc, eddy_agg_fn_t *fn, char *why,
                    size_t why_size);
/** The result type of \p fn on \p args; EDDY_ETYPE with a message in \p why. */
int eddy_agg_type(eddy_agg_fn_t fn, const eddy_type_t *args, uint32_t argc, eddy_type_t *out,
                  char *why, size_t why_size);

/* ---- the operator --------------------------------------------------------- */

typedef struct eddy_agg_s eddy_agg_t;

/** Receives each result row (borrowed for the call). @returns 0 or an error. */
typedef int (*eddy_agg_emit_fn)(void *opaque, const eddy_row_t *row, eddy_error_t **err);
/**
 * Receives a late record: \p row (the aggregate's input), how many of its
 * windows had closed (\p missed, of \p windows), the stream time.
 */
typedef int (*eddy_agg_late_fn)(void *opaque, const eddy_row_t *row, uint32_t missed,
                                uint32_t windows, int64_t stream_time, eddy_error_t **err);

typedef struct {
  const eddy_plan_node_t *node;   /* EDDY_NODE_AGGREGATE; borrowed */
  eddy_store_t *store;            /* window or KV store as the plan says; borrowed */
  eddy_store_t *distinct;         /* the distinct store (count_distinct) or NULL */
  eddy_agg_emit_fn emit;
  eddy_agg_late_fn late;          /* may be NULL: late records are only counted */
  void *opaque;                   /* for emit and late */
  eddy_arena_t *arena;            /* result rows and their strings; the caller resets it */
} eddy_agg_conf_t;

/**
 * Create an instance over its stores. Reads the stream time and emission
 * position persisted in the store (after a restore). Attaches its own
 * changelog hook to the store, forwarding to the \p changelog given (NULL:
 * none) so that emit changes sees every flushed update.
 */
int eddy_agg_new(eddy_agg_t **out, const eddy_agg_conf_t *conf, eddy_changelog_fn changelog,
                 void *changelog_opaque, eddy_error_t **err);
/** NULL-safe. */
void eddy_agg_destroy(eddy_agg_t *agg);

/** The stream time persisted with the store (INT64_MIN: none). */
int64_t eddy_agg_stream_time(const eddy_agg_t *agg);

/**
 * Fold \p row (the repartition row; row->ts is its event time) into its
 * windows. \p stream_time already includes row->ts. A late record goes to
 * the late callback. @returns 0, or an error (EDDY_EOVERFLOW of a sum, or a
 * store error): the record failed and the caller applies its error policy.
 */
int eddy_agg_process(eddy_agg_t *agg, const eddy_row_t *row, int64_t stream_time,
                     eddy_error_t **err);
/**
 * Stream time is now \p stream_time: emit final results of the windows that
 * closed. Cheap when no window closed. @returns 0 or an error.
 */
int eddy_agg_advance(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err);
/** @returns the stream time at which the next window closes (INT64_MAX: none). */
int64_t eddy_agg_deadline(const eddy_agg_t *agg);
/**
 * Commit step 1: record the stream time in the store, expire windows past
 * retention and flush the stores (emit changes: the updates go out here).
 */
int eddy_agg_flush(eddy_agg_t *agg, int64_t stream_time, eddy_error_t **err);

typedef struct {
  uint64_t records;      /* folded in */
  uint64_t late;         /* records late for at least one window */
  uint64_t emitted;      /* result rows */
} eddy_agg_stats_t;

void eddy_agg_stats(const eddy_agg_t *agg, eddy_agg_stats_t *out);

#endif
