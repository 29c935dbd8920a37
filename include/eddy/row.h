/*
 * A row: one record flowing between operators. Its layout (field names and
 * types) is fixed at compile time per edge of the plan; values are typed
 * slots. Strings in a row borrow from the consumed message or the batch
 * arena and are valid until the batch ends.
 */
#ifndef EDDY_ROW_H
#define EDDY_ROW_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/value.h"

struct rd_kafka_message_s;

typedef struct eddy_row_s {
  const eddy_fields_t *layout;   /* names and types of vals[] */
  eddy_value_t *vals;            /* layout->cnt values */
  eddy_value_t key;              /* the record key (null when none) */
  int64_t ts;                    /* event time, µs since epoch */
  /* The consumed message this row derives from (topic, partition, offset,
   * raw bytes, headers): for the dead-letter topic and `headers["x"]`.
   * Borrowed for the batch; NULL for rows made outside a consumer. */
  const struct rd_kafka_message_s *origin;
  /* The row for `key` was deleted: a table's changelog (vals are all null) or a
   * retracted session (vals hold its group columns and window, aggregates null).
   * Sinks write a tombstone; `where` lets it through. */
  bool tombstone;
} eddy_row_t;

#endif
