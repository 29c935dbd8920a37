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
#include <stddef.h>
#include <stdint.h>

#include "dsl/ast.h"

typedef enum {
  EDDY_FMT_DEBEZIUM_JSON,
  EDDY_FMT_JSON,
  EDDY_FMT_STRING,       /* the whole value as one string column `value` */
  EDDY_FMT_AVRO,
  EDDY_FMT_DEBEZIUM_AVRO,
  EDDY_FMT_ROW,          /* eddy's own repartition rows (serde/codec.h), never written in a file */
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
  EDDY_NODE_AGGREGATE,    /* window + aggregate + emit over the rows of a repartition topic */
  EDDY_NODE_TABLE,        /* materialise a table: latest message per key (dsl/plan_join.h) */
  EDDY_NODE_JOIN,         /* a join (dsl/plan_join.h) */
  EDDY_NODE_OVER,         /* over <key> rows|range … | aggregate: eddy_plan_keyed_t */
  EDDY_NODE_DEDUPE,       /* dedupe by <id> within <d>: eddy_plan_keyed_t */
  EDDY_NODE_CHANGES,      /* changes of <expr>: eddy_plan_keyed_t */
} eddy_node_kind_t;

/* ---- grouping and aggregation --------------------------------------------
 *
 * `x | group by k1, k2 | window tumbling 5m grace 30s | aggregate a = sum(v),
 *  n = count() | emit final` becomes two nodes sharing one eddy_plan_group_t:
 *
 *   REPARTITION (end of subtopology A): evaluates the group columns and the
 *     aggregate arguments on each row and writes the *repartition row*
 *       k1, k2, @a0, ..., @rowtime
 *     as JSON to <app>-<node>-repartition, keyed by the encoded group key.
 *   an internal source (start of subtopology B) reading that topic, with
 *     event time @rowtime, then
 *   AGGREGATE: keeps one accumulator row per (group, window) in its store and
 *     emits rows  k1, k2, [window_start, window_end,] a, n.
 */

typedef enum {
  EDDY_AGG_COUNT_ALL,       /* count() */
  EDDY_AGG_COUNT,           /* count(x): non-null x */
  EDDY_AGG_SUM,
  EDDY_AGG_AVG,
  EDDY_AGG_MIN,
  EDDY_AGG_MAX,
  EDDY_AGG_STDDEV,          /* sample standard deviation */
  EDDY_AGG_FIRST,           /* x of the earliest record (event time) */
  EDDY_AGG_LAST,            /* x of the latest record (event time) */
  EDDY_AGG_COUNT_DISTINCT,  /* exact */
  EDDY_AGG_ARGMAX,          /* argmax(x, by): x of the record with the largest by */
  EDDY_AGG_ARGMIN,
  EDDY_AGG_TOP,             /* top(x, w): the x with the largest sum of w (w >= 0) */
} eddy_agg_fn_t;

typedef struct {
  eddy_agg_fn_t fn;
  const char *name;         /* the output column */
  int32_t arg, arg2;        /* slots in the repartition row (-1: none); argmax: x, by */
  eddy_type_t arg_type, arg2_type;
  eddy_type_t type;         /* the result */
} eddy_plan_agg_t;

typedef struct {
  uint32_t key_cnt;         /* group columns: the first key_cnt fields of part and of out */
  uint32_t key_first;       /* rekey: the key column is part[key_first] (group by: 0) */
  bool rekey;               /* over/dedupe/changes: part is the whole input row, then @key and
                               @rowtime; the internal source keys its rows by @key */
  bool session;             /* window session gap <gap>: sessions instead of windows */
  int64_t gap;              /* session gap (µs) */
  eddy_type_t key_type;     /* the row key after aggregation: the single column's type,
                               or struct<group columns> */
  const eddy_fields_t *part;/* the repartition row: group columns, @a<i> arguments, @rowtime */
  const eddy_expr_t *const *exprs;  /* per field of part except @rowtime, on the group by's input */
  bool windowed, hopping;
  int64_t size, advance, grace;     /* µs; tumbling: advance == size */
  eddy_plan_agg_t *aggs;
  uint32_t agg_cnt;
  bool emit_final;          /* emit final, else emit changes */
  bool has_distinct;        /* count_distinct and top need the distinct store */
  uint32_t state;           /* checker only: what may come next */
  /* joins re-key through the same repartition writer (dsl/plan_join.h) */
  bool table;               /* a table's rows: a delete becomes a tombstone */
  bool raw_key;             /* the key is the string's own bytes (a table keyed by the
                               message key), not its codec encoding */
} eddy_plan_group_t;

/*
 * Keyed operators (dsl/check_keyed.c, operators/keyed.h): over, dedupe and
 * changes keep state per record key. When the input is not partitioned by
 * that key, the planner puts a REPARTITION node in front (its group has
 * `rekey` set) that writes the whole row, the key (@key) and the event time
 * to a repartition topic; the internal source reading it back keys the rows
 * by @key. Either way the operator's input starts with the `carry` fields of
 * the original input, and expressions checked on that input stay valid.
 */
typedef struct {
  uint32_t carry;           /* the first carry input fields are the record's own */
  const eddy_fields_t *out; /* the output row: the carried fields (over: then the aggregates) */
  eddy_type_t key_type;     /* the record key (the state key) */
  const eddy_plan_group_t *rekey;   /* NULL: the input is partitioned by its key already */
  const eddy_expr_t *expr;  /* dedupe: the id; changes: the value; over: its key (for describe) */
  int64_t within;           /* dedupe (µs) */
  /* over */
  bool rows;                /* rows <count> preceding, else range <range> preceding */
  int64_t count, range;
  bool exclude_current;
  eddy_plan_agg_t *aggs;    /* arg, arg2: indexes into args */
  uint32_t agg_cnt;
  const eddy_expr_t *const *args;   /* aggregate arguments, on the input */
  uint32_t arg_cnt;
} eddy_plan_keyed_t;

typedef enum {
  EDDY_PLAN_STORE_KV,
  EDDY_PLAN_STORE_WINDOW,
  EDDY_PLAN_STORE_SESSION,
} eddy_plan_store_kind_t;

/** A state store the runtime opens per task of its subtopology. */
typedef struct {
  const char *name;         /* "<node>-store": stable, derived from the node name */
  const char *changelog;    /* "<app>-<name>-changelog" (with the plan's app id) */
  eddy_plan_store_kind_t kind;
  int64_t retention;        /* window stores: size + grace (µs); 0: forever */
  int64_t window_size;      /* window stores */
  uint32_t node;            /* the owning node */
  uint32_t subtopology;
  const char *source_topic; /* a table's store restored from its source topic, else NULL */
  bool global;              /* a global table's: one per stream thread, all partitions,
                               rebuilt from its topics at start-up (no tasks) */
} eddy_plan_store_t;

typedef struct eddy_plan_node_s eddy_plan_node_t;
struct eddy_plan_join_s;

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
      const char *topic;        /* <app>-<node>-repartition (with the plan's app id) */
      const eddy_plan_group_t *group;
      uint32_t source;          /* the internal source reading the topic */
    } repartition;
    struct {
      const eddy_plan_group_t *group;
      uint32_t store;           /* index in eddy_plan_t.stores */
      uint32_t distinct_store;  /* UINT32_MAX: none (no count_distinct) */
    } aggregate;
    struct {
      uint32_t source;          /* the plan source whose messages it stores (decodes values) */
      uint32_t store;           /* index in eddy_plan_t.stores */
      bool source_changelog;    /* the source topic is the store's changelog */
      bool debezium;            /* an op "d" record deletes */
      bool global;              /* a global table: its own sub-topology, no tasks */
      const char *table;        /* the DSL name */
    } table;
    const struct eddy_plan_join_s *join;
    struct {
      const eddy_plan_keyed_t *spec;
      uint32_t store;           /* index in eddy_plan_t.stores */
    } keyed;                    /* OVER, DEDUPE, CHANGES */
  } u;
};

typedef struct {
  const char *name;             /* the DSL name */
  const char *const *topics;
  uint32_t topic_cnt;
  bool internal;                /* a repartition topic read by a later subtopology */
  bool global;                  /* a global table's: every instance reads all partitions
                                   with its own consumer, outside the group */
  const eddy_plan_node_t *repartition;  /* internal: the node writing the topic */
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
  eddy_plan_store_t *stores;
  uint32_t store_cnt;
} eddy_plan_t;

/**
 * The name of internal topic \p suffix for application \p app_id
 * ("<app>-<suffix>") into \p buf. The runtime's application.id may differ
 * from the plan's `app`, so it formats internal names itself.
 * @returns 0 or EDDY_ERANGE.
 */
int eddy_plan_internal_topic(char *buf, size_t cap, const char *app_id, const char *suffix);
/** @returns the runtime name of source \p s's topic \p i under \p app_id (internal
 * topics are renamed) into \p buf; 0 or EDDY_ERANGE. */
int eddy_plan_source_topic(char *buf, size_t cap, const eddy_plan_source_t *s, uint32_t i,
                           const char *app_id);
/** @returns true for a global table's TABLE node (its edges to joins cut nothing). */
static inline bool eddy__plan_is_global(const eddy_plan_node_t *n) {
  return n->kind == EDDY_NODE_TABLE && n->u.table.global;
}
/** @returns true when subtopology \p sub has a stateful node. */
bool eddy_plan_subtopology_stateful(const eddy_plan_t *plan, uint32_t sub);

#endif
