/*
 * The plan: a compiled topology as the runtime executes it.
 *
 * The planner turns a checked program into a DAG of nodes. Source nodes
 * decode records of their topics into rows; every other node transforms
 * rows and pushes them to its `next` nodes (fan-out: several pipelines
 * reading one source share one decode). Sinks end the DAG.
 *
 * The planner cuts the DAG at every re-keying that needs co-partitioning
 * (group by, joins on another key) into subtopologies connected by internal
 * repartition topics `<app>-<node>-repartition`. A task is (subtopology,
 * partition). Names of nodes, stores and internal topics are derived from
 * the program deterministically, so they are stable across runs.
 *
 * Everything is owned by the topology's arena (eddy_topology_destroy()).
 */
#ifndef EDDY_DSL_PLAN_H
#define EDDY_DSL_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "dsl/ast.h"

typedef enum {
  EDDY_FMT_DEBEZIUM_JSON,
  EDDY_FMT_JSON,
  EDDY_FMT_STRING,       /* the whole value as one string column `value` */
  EDDY_FMT_AVRO,
  EDDY_FMT_DEBEZIUM_AVRO,
} eddy_format_t;

/** @returns the DSL spelling of \p f ("debezium-json", "json", ...). */
const char *eddy_format_name(eddy_format_t f);

typedef enum {
  EDDY_ON_ERROR_DLQ = 0, /* default: undecodable/invalid records go to <app>-dlq */
  EDDY_ON_ERROR_SKIP,    /* count and drop */
  EDDY_ON_ERROR_FAIL,    /* stop the application with an error */
} eddy_on_error_t;

typedef enum {
  EDDY_DECIMAL_PRECISE = 0, /* Debezium default: base64 two's-complement bytes */
  EDDY_DECIMAL_DOUBLE,
  EDDY_DECIMAL_STRING,
} eddy_decimal_mode_t;

/**
 * What a decoder extracts from one record: for each row field, the path
 * into the document and the expected type. Debezium paths start at the
 * envelope: ("after","amount"), ("op"), ("ts_ms"); plain json paths start at
 * the top-level object. Only fields with wanted[i] set are decoded (the
 * others stay null): the planner marks what the topology uses.
 */
typedef struct eddy_decode_spec_s {
  eddy_format_t format;
  eddy_decimal_mode_t decimal_mode;
  const eddy_fields_t *layout;      /* the source row: names are dotted paths */
  const char *const *const *paths;  /* paths[i]: NULL-terminated components of field i */
  const uint8_t *wanted;            /* layout->cnt flags */
} eddy_decode_spec_t;

typedef enum {
  EDDY_NODE_SOURCE,
  EDDY_NODE_WHERE,
  EDDY_NODE_SELECT,
  EDDY_NODE_FLATTEN,
  EDDY_NODE_KEY_BY,
  EDDY_NODE_CHECK,
  EDDY_NODE_SINK_KAFKA,
  EDDY_NODE_SINK_STDOUT,
  EDDY_NODE_SINK_POSTGRES,
  EDDY_NODE_REPARTITION,  /* group by: write to the repartition topic (end of a subtopology) */
  EDDY_NODE__STATEFUL,    /* kinds after this one hold state (aggregate, join, over, ...) */
} eddy_node_kind_t;

typedef struct eddy_plan_node_s eddy_plan_node_t;

typedef struct {
  const char *topic;
  eddy_format_t format;
  const eddy_expr_t *key;     /* NULL: keep the row's key */
} eddy_sink_kafka_t;

struct eddy_plan_node_s {
  eddy_node_kind_t kind;
  const char *name;             /* stable, unique: e.g. "completed.where-1" */
  uint32_t id;                  /* index in eddy_plan_t.nodes */
  uint32_t subtopology;
  uint32_t off, len;            /* span of the operator in the file (for messages) */
  const eddy_fields_t *in;      /* layout of incoming rows (NULL for sources) */
  const eddy_fields_t *out;     /* layout of outgoing rows */
  eddy_plan_node_t **next;      /* downstream nodes */
  uint32_t next_cnt;
  union {
    struct {
      uint32_t source;          /* index in eddy_plan_t.sources */
    } source;
    struct {
      const eddy_expr_t *cond;  /* bool */
    } where;
    struct {
      const eddy_expr_t **exprs;/* one per out field */
    } select;
    struct {
      const eddy_expr_t *array; /* an array-typed expression of the input */
      /* out = in + one field (the element, named by the DSL's `as`) */
    } flatten;
    struct {
      const eddy_expr_t *key;
    } key_by;
    struct {
      const eddy_expr_t *cond;
      const char *reason;       /* the DLQ reason when cond is not true */
    } check;
    eddy_sink_kafka_t sink_kafka;
    struct {
      eddy_format_t format;
    } sink_stdout;
    struct {
      const char *table;
      const char *const *key_columns;
      uint32_t key_column_cnt;
      const char *topic;        /* the Kafka topic the sink consumes */
    } sink_postgres;
    struct {
      const char *topic;        /* <app>-<node>-repartition */
      const eddy_expr_t *key;
    } repartition;
  } u;
};

typedef struct {
  const char *name;             /* the DSL name */
  const char *const *topics;
  uint32_t topic_cnt;
  bool internal;                /* a repartition topic read by a later subtopology */
  eddy_on_error_t on_error;
  eddy_decode_spec_t decode;
  const eddy_expr_t *key;       /* NULL: the message key (string) */
  const eddy_expr_t *event_time;/* NULL: the record timestamp */
  eddy_plan_node_t *node;       /* the source node */
  uint32_t subtopology;
  uint32_t off, len;
} eddy_plan_source_t;

typedef struct {
  uint32_t id;
  const uint32_t *sources;      /* indexes in eddy_plan_t.sources */
  uint32_t source_cnt;
} eddy_subtopology_t;

typedef struct eddy_plan_s {
  const char *app_id;           /* `app` declaration, or the file's base name */
  const char *file;
  eddy_plan_source_t *sources;
  uint32_t source_cnt;
  eddy_plan_node_t **nodes;     /* every node, in topological order */
  uint32_t node_cnt;
  eddy_subtopology_t *subtopologies;
  uint32_t subtopology_cnt;
} eddy_plan_t;

#endif
