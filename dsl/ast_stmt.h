/*
 * Statement-level AST: declarations, pipelines and their operators, as the
 * parser builds them. Expressions are eddy_expr_t trees (dsl/ast.h). Every
 * node carries the span (off, len) it was written at, so that the checker
 * can point at it. Everything lives in the compile's arena.
 */
#ifndef EDDY_DSL_AST_STMT_H
#define EDDY_DSL_AST_STMT_H

#include <stdbool.h>
#include <stdint.h>

#include "dsl/ast.h"
#include "dsl/plan.h"

typedef struct {
  const char *name;
  uint32_t off, len;
} eddy_ast_name_t;

typedef struct {
  eddy_ast_name_t name;
  eddy_type_t type;
  uint32_t type_off, type_len;
} eddy_ast_column_t;

typedef enum {
  EDDY_SOURCE_STREAM,
  EDDY_SOURCE_TABLE,
  EDDY_SOURCE_GLOBAL_TABLE,
} eddy_source_kind_t;

/* `stream <name> from "<topic>" … <options>`; each option at most once. */
typedef struct {
  eddy_source_kind_t kind;
  eddy_ast_name_t name;
  eddy_ast_name_t *topics;      /* decoded topic names, with their spans */
  uint32_t topic_cnt;
  bool has_format;
  eddy_format_t format;
  uint32_t format_off, format_len;
  bool has_schema;
  eddy_ast_column_t *columns;
  uint32_t column_cnt;
  uint32_t schema_off, schema_len;
  eddy_expr_t *key;             /* NULL: the message key */
  eddy_expr_t *event_time;      /* NULL: the record timestamp */
  eddy_on_error_t on_error;
  eddy_decimal_mode_t decimal_mode;
  /* set by the checker */
  const eddy_fields_t *layout;              /* the decoded row */
  const char *const *const *paths;          /* per field: path into the document */
  uint8_t *wanted;                          /* per field: read by the topology */
} eddy_ast_source_t;

typedef enum {
  EDDY_SEL_ALL,       /* `*` */
  EDDY_SEL_PREFIX,    /* `after.*`: prefix holds "after" */
  EDDY_SEL_NAMED,     /* `name = expr` */
  EDDY_SEL_EXPR,      /* a bare path, `key` or `rowtime`: named by its last component */
} eddy_sel_kind_t;

typedef struct {
  eddy_sel_kind_t kind;
  eddy_ast_name_t name;         /* NAMED; PREFIX: the prefix */
  eddy_expr_t *expr;            /* NAMED, EXPR */
  uint32_t off, len;
} eddy_ast_item_t;

typedef enum {
  EDDY_OP_WHERE,
  EDDY_OP_SELECT,
  EDDY_OP_FLATTEN,
  EDDY_OP_KEY_BY,
  EDDY_OP_MERGE,
  EDDY_OP_CHECK,
  EDDY_OP_TO_KAFKA,
  EDDY_OP_TO_STDOUT,
  EDDY_OP_TO_POSTGRES,
  EDDY_OP_GROUP_BY,
  EDDY_OP_WINDOW,
  EDDY_OP_AGGREGATE,
  EDDY_OP_EMIT,
  /* planned: parsed and documented, rejected by the checker for now */
  EDDY_OP_JOIN,
  EDDY_OP_OVER,
  EDDY_OP_DEDUPE,
  EDDY_OP_CHANGES,
  EDDY_OP__COUNT
} eddy_op_kind_t;

typedef enum {
  EDDY_WINDOW_TUMBLING,
  EDDY_WINDOW_HOPPING,
  EDDY_WINDOW_SESSION,
  EDDY_WINDOW_SLIDING,
} eddy_window_kind_t;

typedef enum { EDDY_JOIN_INNER, EDDY_JOIN_LEFT, EDDY_JOIN_OUTER } eddy_join_kind_t;

typedef struct {
  eddy_op_kind_t kind;
  uint32_t off, len;            /* from the operator's first word to its last token */
  eddy_expr_t *expr;            /* where/check/key by/flatten/dedupe/changes/over key/join on */
  eddy_ast_item_t *items;       /* select, group by, aggregate (NAMED only) */
  uint32_t item_cnt;
  eddy_ast_name_t *names;       /* merge: the other inputs; postgres: key columns */
  uint32_t name_cnt;
  eddy_ast_name_t target;       /* flatten: `as` name; postgres: table; join: right input */
  const char *text;             /* check: reason; kafka: topic */
  uint32_t text_off, text_len;
  bool has_format;
  eddy_format_t format;         /* kafka/stdout */
  eddy_expr_t *key;             /* kafka: record key */
  union {
    struct {
      eddy_window_kind_t kind;
      int64_t size, advance, grace;   /* µs; grace -1: default */
    } window;
    struct {
      eddy_join_kind_t kind;
      int64_t within, grace;          /* stream-stream: µs; within 0: not given */
    } join;
    struct {
      bool rows;                      /* rows <n> preceding, else range <d> preceding */
      int64_t count;                  /* rows */
      int64_t range;                  /* µs */
      bool exclude_current;
    } over;
    struct {
      bool final;
    } emit;
    int64_t within;                   /* dedupe: µs */
  } u;
  /* set by the checker */
  const eddy_fields_t *in, *out;      /* row layouts before and after */
  eddy_expr_t **exprs;                /* select: one per out field */
  int32_t *defs;                      /* merge: the definitions of names[] */
  eddy_plan_group_t *group;           /* group by, window, aggregate, emit: the grouping;
                                         over, dedupe, changes: the re-keying (or NULL) */
  eddy_plan_keyed_t *keyed;           /* over (and its aggregate), dedupe, changes */
  struct eddy_plan_join_s *join;      /* join (dsl/plan_join.h) */
} eddy_ast_op_t;

/* `<input> | op | op …` */
typedef struct {
  eddy_ast_name_t input;
  eddy_ast_op_t *ops;
  uint32_t op_cnt;
  uint32_t off, len;
  int32_t input_def;            /* set by the checker */
} eddy_ast_pipeline_t;

typedef enum {
  EDDY_STMT_APP,
  EDDY_STMT_SOURCE,
  EDDY_STMT_ASSIGN,      /* name = pipeline */
  EDDY_STMT_PIPELINE,    /* a bare pipeline: must end in a sink */
} eddy_stmt_kind_t;

typedef struct {
  eddy_stmt_kind_t kind;
  uint32_t off, len;
  eddy_ast_name_t name;         /* app name, source name, assigned name */
  eddy_ast_source_t source;
  eddy_ast_pipeline_t pipeline;
  int32_t def;                  /* SOURCE, ASSIGN: index of the definition (checker) */
} eddy_ast_stmt_t;

typedef struct {
  eddy_ast_stmt_t *stmts;
  uint32_t stmt_cnt;
  /* set by the checker */
  uint32_t def_cnt;             /* named sources and streams */
  const char *app_id;
} eddy_ast_program_t;

#endif
