/* Private to the Avro schema parser, its emitter and default checker. */
#ifndef EDDY_SR_SCHEMA_INT_H
#define EDDY_SR_SCHEMA_INT_H

#include <cJSON.h>

#include "eddy/alloc.h"
#include "schema-registry/avro_schema.h"

struct eddy_sr_schema_s {
  eddy_arena_t *arena;      /* every node, name and string of the schema */
  eddy_sr_node_t *root;
  char *canonical;          /* in the arena */
};

/**
 * Write the canonical text of \p root to \p out. Uses and resets the nodes'
 * mark field. @returns 0 or EDDY_ENOMEM.
 */
int eddy__sr_schema_emit(eddy_sr_node_t *root, eddy_buf_t *out);

/** Append \p s as a JSON string literal (quoted, escaped). */
int eddy__sr_json_quote(eddy_buf_t *out, const char *s);

/** Is \p v a valid default value for a field of type \p n? */
bool eddy__sr_default_valid(const eddy_sr_node_t *n, const cJSON *v, int depth);

#endif
