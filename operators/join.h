/*
 * Tables and joins at run time (the plan side is dsl/plan_join.h).
 *
 * A table store maps the consumed message key to the consumed message
 * value, both as bytes: exactly what the table's topic (or its re-keyed
 * repartition topic) holds, so that topic can serve as the changelog.
 * Lookups decode the stored value with the table source's decoder.
 *
 * One join instance exists per (JOIN node, task). It never reads a clock
 * and never touches Kafka: the executor (or a test) hands it rows and
 * table updates, and it emits output rows through a callback.
 *
 *   stream-table  eddy_join_stream(): the stream record's key is looked up
 *                 in the table as it is now; inner joins drop a record
 *                 without a match, left joins emit it with null table fields.
 *                 A table update emits nothing.
 *   table-table   eddy_join_table_changed() after one side changed: emits
 *                 the joined row when a result exists for the key now, and
 *                 a tombstone row when one existed before and does not now:
 *                   inner  a result exists when both sides have the key
 *                   left   when the left side has it
 *                   outer  when either side has it
 */
#ifndef EDDY_OPERATORS_JOIN_H
#define EDDY_OPERATORS_JOIN_H

#include "dsl/plan_join.h"
#include "eddy/row.h"
#include "eddy/store.h"
#include "serde/serde.h"

/**
 * Write \p value under \p key (NULL: delete) in table store \p st; *had_old
 * says whether the key had a row before. @returns 0 or a store error.
 */
int eddy_table_apply(eddy_store_t *st, eddy_slice_t key, const eddy_slice_t *value,
                     bool *had_old, eddy_error_t **err);

/**
 * The store key of join key \p v of type \p t: its codec encoding, or with
 * \p raw the string's own bytes. @returns 0, EDDY_ENOENT for a null key, or
 * an error (EDDY_EOVERFLOW: does not fit the type).
 */
int eddy_join_key(const eddy_value_t *v, const eddy_type_t *t, bool raw, eddy_buf_t *out);

typedef struct eddy_join_s eddy_join_t;
typedef int (*eddy_join_emit_fn)(void *opaque, const eddy_row_t *row, eddy_error_t **err);

/** One side's table as the join reads it. */
typedef struct {
  eddy_store_t *store;          /* borrowed */
  eddy_decoder_t *decoder;      /* decodes stored values; borrowed */
  const eddy_plan_node_t *table;/* its TABLE node */
} eddy_join_table_t;

typedef struct {
  const eddy_plan_node_t *node; /* EDDY_NODE_JOIN; borrowed */
  eddy_join_table_t left;       /* table-table only */
  eddy_join_table_t right;
  eddy_join_emit_fn emit;
  void *opaque;
  eddy_arena_t *arena;          /* output rows and decoded values; the caller resets it */
} eddy_join_conf_t;

int eddy_join_new(eddy_join_t **out, const eddy_join_conf_t *conf, eddy_error_t **err);
/** NULL-safe. */
void eddy_join_destroy(eddy_join_t *j);

/**
 * A record of the stream side (the JOIN node's input row). @returns 0, or
 * an error: the record's (EDDY_EOVERFLOW, EDDY_EDECODE of a stored row) or
 * the store's.
 */
int eddy_join_stream(eddy_join_t *j, const eddy_row_t *row, eddy_error_t **err);
/**
 * Table-table: side \p left (else right) now has \p vals (its TABLE node's
 * input row; NULL: deleted) under store key \p key; \p had_old: it had a row
 * before. \p ts is the event time of the change.
 */
int eddy_join_table_changed(eddy_join_t *j, bool left, eddy_slice_t key, const eddy_value_t *vals,
                            bool had_old, int64_t ts, eddy_error_t **err);

/* ---- stream-stream, within a window -------------------------------------------
 * Both sides are buffered in window stores (conf left.store / right.store,
 * decoders of the sides' repartition rows), keyed by the join key, one
 * entry per (key, event time) holding the records of that instant with a
 * "matched" flag each. A record at t matches the other side's records at
 * t - within ... t + within; it is late (dropped) when t + grace < stream
 * time. `left join` and `outer join` emit a record that never matched,
 * with nulls for the other side, when stream time passes t + within + grace. */

/**
 * A record of side \p left (else right): \p row is the JOIN node's input row
 * (the side's repartition row), \p raw its consumed value; \p stream_time
 * includes row->ts. @returns 0, 1 when the record was late (dropped), or an
 * error.
 */
int eddy_join_window_record(eddy_join_t *j, bool left, const eddy_row_t *row, eddy_slice_t raw,
                            int64_t stream_time, eddy_error_t **err);
/** Stream time moved: emit the unmatched records whose windows closed (left/outer). */
int eddy_join_window_advance(eddy_join_t *j, int64_t stream_time, eddy_error_t **err);
/** @returns the stream time at which the next records close (INT64_MAX: never). */
int64_t eddy_join_window_deadline(const eddy_join_t *j);
/** Commit step 1: advance, persist the position, flush both stores, drop expired windows. */
int eddy_join_window_flush(eddy_join_t *j, int64_t stream_time, eddy_error_t **err);
/** The stream time persisted with the stores (INT64_MIN: none). */
int64_t eddy_join_stream_time(const eddy_join_t *j);

typedef struct {
  uint64_t lookups, matches, emitted, tombstones;
  uint64_t late;         /* stream-stream: records dropped for arriving after grace */
} eddy_join_stats_t;

void eddy_join_stats(const eddy_join_t *j, eddy_join_stats_t *out);

#endif
