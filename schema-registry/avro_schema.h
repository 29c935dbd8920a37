/*
 * Avro schemas for the Schema Registry: a parser that validates a schema
 * text against the Avro specification, its canonical text (the identity the
 * registry uses: two registrations are the same schema when their canonical
 * texts are equal), and the static compatibility checker built on the
 * specification's schema-resolution rules.
 *
 * The model is a graph: a reference to a named type points at the node that
 * defines it, so recursive schemas are cycles. Every node belongs to the
 * eddy_sr_schema_t that parsed it (one arena) and lives until
 * eddy_sr_schema_destroy().
 */
#ifndef EDDY_SR_AVRO_SCHEMA_H
#define EDDY_SR_AVRO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/error.h"

typedef enum {
  EDDY_SR_NULL,
  EDDY_SR_BOOLEAN,
  EDDY_SR_INT,
  EDDY_SR_LONG,
  EDDY_SR_FLOAT,
  EDDY_SR_DOUBLE,
  EDDY_SR_BYTES,
  EDDY_SR_STRING,
  EDDY_SR_RECORD,
  EDDY_SR_ENUM,
  EDDY_SR_ARRAY,
  EDDY_SR_MAP,
  EDDY_SR_UNION,
  EDDY_SR_FIXED,
} eddy_sr_type_t;

/** An attribute the specification does not reserve, kept in input order. */
typedef struct {
  const char *key;
  const char *json;        /* the value printed as compact JSON */
} eddy_sr_prop_t;

typedef struct eddy_sr_node_s eddy_sr_node_t;

typedef struct {
  const char *name;
  const char *doc;          /* NULL when absent */
  eddy_sr_node_t *type;
  const char *default_json; /* compact JSON of the default; NULL: no default */
  const char *order;        /* NULL means "ascending" */
  const char **aliases;
  int alias_cnt;
  eddy_sr_prop_t *props;
  int prop_cnt;
} eddy_sr_field_t;

struct eddy_sr_node_s {
  eddy_sr_type_t type;
  /* named types (record, enum, fixed) */
  const char *fullname;     /* "com.acme.Order" */
  const char *name;         /* "Order" */
  const char *space;        /* "com.acme"; "" for the null namespace */
  const char *doc;
  const char **aliases;     /* full names */
  int alias_cnt;
  /* record */
  eddy_sr_field_t *fields;
  int field_cnt;
  /* enum */
  const char **symbols;
  int symbol_cnt;
  const char *enum_default; /* NULL when absent */
  /* fixed */
  int64_t size;
  /* array items or map values */
  eddy_sr_node_t *items;
  /* union */
  eddy_sr_node_t **branches;
  int branch_cnt;
  /* logical type, when present and valid for this type ("decimal",
     "timestamp-millis", ...); an invalid one is kept only as a prop, as
     Avro implementations ignore it */
  const char *logical;
  int precision, scale;     /* decimal */
  eddy_sr_prop_t *props;
  int prop_cnt;
  int mark;                 /* private to the parser's emitter */
};

typedef struct eddy_sr_schema_s eddy_sr_schema_t;

/** Nesting limit of a schema text (objects and arrays). */
#define EDDY_SR_SCHEMA_MAX_DEPTH 200

/**
 * Parse and validate the Avro schema in \p text (\p len bytes, JSON).
 * Checks names, duplicate definitions, union rules, enum symbols, fixed
 * sizes and that defaults match their types.
 * @returns 0 and *out (free with eddy_sr_schema_destroy()), or EDDY_ESCHEMA
 *          with a message naming the problem, or EDDY_ENOMEM.
 * @locality any thread
 */
int eddy_sr_schema_parse(eddy_sr_schema_t **out, const char *text, size_t len,
                         eddy_error_t **err);

/** @returns the root node; borrowed, valid until the schema is destroyed. */
const eddy_sr_node_t *eddy_sr_schema_root(const eddy_sr_schema_t *s);

/**
 * @returns the canonical text: compact JSON with attributes in a fixed order,
 * names written relative to their enclosing namespace and each named type
 * defined once (the form Avro's Schema.toString() produces). Docs, defaults,
 * aliases and other attributes are kept, so they are part of the identity.
 * Borrowed, valid until the schema is destroyed.
 */
const char *eddy_sr_schema_canonical(const eddy_sr_schema_t *s);

/** Free \p s and every node. NULL-safe. */
void eddy_sr_schema_destroy(eddy_sr_schema_t *s);

/** @returns "record", "int", ... */
const char *eddy_sr_type_name(eddy_sr_type_t t);

/* ---- compatibility ------------------------------------------------------ */

typedef enum {
  EDDY_SR_COMPAT_NONE,
  EDDY_SR_COMPAT_BACKWARD,
  EDDY_SR_COMPAT_BACKWARD_TRANSITIVE,
  EDDY_SR_COMPAT_FORWARD,
  EDDY_SR_COMPAT_FORWARD_TRANSITIVE,
  EDDY_SR_COMPAT_FULL,
  EDDY_SR_COMPAT_FULL_TRANSITIVE,
} eddy_sr_compat_t;

/** Parse "BACKWARD", ... (case-insensitive). @returns 0 or EDDY_EINVAL. */
int eddy_sr_compat_parse(const char *s, eddy_sr_compat_t *out);
/** @returns the upper-case name of \p level. */
const char *eddy_sr_compat_name(eddy_sr_compat_t level);

/** A list of messages, each a new string; zero-initialise, free with _free. */
typedef struct {
  char **items;
  int cnt;
  int cap;
} eddy_sr_msgs_t;

/** Append a formatted message (dropped silently on OOM). NULL-safe on \p m. */
void eddy_sr_msgs_add(eddy_sr_msgs_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void eddy_sr_msgs_free(eddy_sr_msgs_t *m);

/**
 * Can data written with \p writer be read with \p reader, under the
 * specification's schema-resolution rules? Checked statically: every branch
 * of a writer union must resolve, every reader field missing from the writer
 * needs a default, every writer enum symbol must exist in the reader unless
 * the reader enum has a default.
 * \p reader_role and \p writer_role ("new", "old") word the messages.
 * @returns true when compatible; otherwise false and, when \p why is not
 *          NULL, one message per incompatibility found.
 * @locality any thread
 */
bool eddy_sr_compat_can_read(const eddy_sr_node_t *reader, const eddy_sr_node_t *writer,
                             const char *reader_role, const char *writer_role,
                             eddy_sr_msgs_t *why);

/**
 * Check \p candidate against \p previous (oldest first, \p prev_cnt entries)
 * under \p level: BACKWARD (candidate reads the latest), FORWARD (the latest
 * reads the candidate), FULL (both), the _TRANSITIVE forms against every
 * previous schema (newest first), NONE always passes.
 * Stops at the first incompatible previous schema.
 * @returns true when compatible; otherwise false, *failed_at (may be NULL) is
 *          the index in \p previous that failed, and messages go to \p why
 *          (may be NULL).
 */
bool eddy_sr_compat_check(eddy_sr_compat_t level, const eddy_sr_schema_t *candidate,
                          const eddy_sr_schema_t *const *previous, int prev_cnt,
                          int *failed_at, eddy_sr_msgs_t *why);

#endif
