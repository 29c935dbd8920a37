/*
 * The topology compiler: source text -> checked program -> plan.
 *
 *   eddy_topology_t *topo;
 *   if (eddy_topology_compile_file(&topo, "revenue.eddy", diag_fn, opaque) == 0) {
 *     const eddy_plan_t *plan = eddy_topology_plan(topo);
 *     ...
 *     eddy_topology_destroy(topo);
 *   }
 *
 * Errors go to the caller's diagnostics sink, never to stderr; compilation
 * stops at the first error.
 */
#ifndef EDDY_DSL_H
#define EDDY_DSL_H

#include <stdbool.h>
#include <stddef.h>

#include "dsl/plan.h"
#include "eddy/alloc.h"

typedef enum { EDDY_DIAG_ERROR, EDDY_DIAG_WARNING, EDDY_DIAG_NOTE } eddy_diag_severity_t;

typedef struct {
  eddy_diag_severity_t severity;
  const char *file;          /* as given to the compiler */
  uint32_t line, col;        /* 1-based; col counts bytes */
  uint32_t span;             /* length of the underlined range (>= 1) */
  const char *message;       /* "unknown stream 'ordrs' (did you mean 'orders'?)" */
  const char *line_text;     /* the source line, without its newline */
  uint32_t line_len;
} eddy_diag_t;

/** Diagnostics sink; \p d and its strings are valid during the call only. */
typedef void (*eddy_diag_fn)(void *opaque, const eddy_diag_t *d);

/**
 * Format \p d as a compiler does:
 *
 *   orders.eddy:12:18: error: expected ')' to close '(' at 12:9
 *      12 |   window hopping(5 m, advance by 1 m
 *         |                  ^~~~~~~~~~~~~~~~~~
 */
int eddy_diag_format(const eddy_diag_t *d, eddy_buf_t *out);

typedef struct eddy_topology_s eddy_topology_t;

/** Compile \p len bytes of \p text named \p file. @returns 0 and *out, or EDDY_EPARSE/ETYPE. */
int eddy_topology_compile(eddy_topology_t **out, const char *file, const char *text, size_t len,
                          eddy_diag_fn diag, void *opaque);
/** Read and compile \p path (an unreadable file is reported through \p diag too). */
int eddy_topology_compile_file(eddy_topology_t **out, const char *path, eddy_diag_fn diag,
                               void *opaque);
/** @returns the plan; borrowed, valid until eddy_topology_destroy(). */
const eddy_plan_t *eddy_topology_plan(const eddy_topology_t *topo);
/** NULL-safe. */
void eddy_topology_destroy(eddy_topology_t *topo);

/**
 * Append \p e as DSL text ("after.amount * 1.20 > 100"), parenthesised only
 * where needed; implicit casts inserted by the checker are not shown.
 */
int eddy_expr_format(const eddy_expr_t *e, eddy_buf_t *out);

/** Text description for `eddy describe`: subtopologies, topics, nodes, stores. */
int eddy_plan_describe(const eddy_plan_t *plan, eddy_buf_t *out);
/** Graphviz for `eddy describe --dot`. */
int eddy_plan_describe_dot(const eddy_plan_t *plan, eddy_buf_t *out);

#endif
