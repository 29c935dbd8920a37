/*
 * Private to dsl/: the state of one compile shared by the lexer, parser,
 * checker and planner: the source text with its line table, the arena every
 * compile-time object lives in, and the diagnostics sink.
 *
 * Compilation stops at the first error. eddy__dsl_fail() reports the error
 * and unwinds with longjmp() to eddy_topology_compile(), as Lua's parser
 * does: everything is arena-allocated, so nothing needs a cleanup walk.
 */
#ifndef EDDY_DSL_INT_H
#define EDDY_DSL_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "dsl/dsl.h"
#include "eddy/alloc.h"

/* Limits, reported as "too many X (limit is N)". */
#define EDDY_DSL_MAX_FILE (16u << 20)   /* bytes of source text */
#define EDDY_DSL_MAX_DEPTH 200          /* expression and type nesting */
#define EDDY_DSL_MAX_NAME 255           /* identifier length */
#define EDDY_DSL_MAX_LIST 1000          /* columns, select items, args, in-list items ... */
#define EDDY_DSL_MAX_TOPICS 64          /* topics of one source */
#define EDDY_DSL_MAX_STATEMENTS 10000
#define EDDY_DSL_MAX_OPERATORS 1000     /* operators in one pipeline */

/** The source text; line starts are computed once, line:col only when printing. */
typedef struct eddy_src_s {
  const char *file;
  const char *text;
  uint32_t len;
  uint32_t *line_starts;   /* byte offset of each line's first byte */
  uint32_t line_cnt;
} eddy_src_t;

/** 1-based line and byte column of \p off (off == len is the end of the file). */
void eddy__src_locate(const eddy_src_t *src, uint32_t off, uint32_t *line, uint32_t *col);

typedef struct eddy_dsl_s {
  eddy_arena_t *arena;
  eddy_src_t src;
  eddy_diag_fn diag;
  void *opaque;
  int error;               /* EDDY_EPARSE, EDDY_ETYPE or EDDY_ENOMEM once failed */
  uint32_t warning_cnt;
  jmp_buf *bail;           /* eddy__dsl_fail() unwinds here */
} eddy_dsl_t;

/** Set up \p c for \p text (borrowed) and build the line table. EDDY_ENOMEM. */
int eddy__dsl_init(eddy_dsl_t *c, eddy_arena_t *arena, const char *file, const char *text,
                   size_t len, eddy_diag_fn diag, void *opaque);

/** Report an error at [off, off+len) and unwind; \p code is EDDY_EPARSE or EDDY_ETYPE. */
_Noreturn void eddy__dsl_fail(eddy_dsl_t *c, int code, uint32_t off, uint32_t len,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** Report a warning and go on. */
void eddy__dsl_warn(eddy_dsl_t *c, uint32_t off, uint32_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Out of memory: report it without a location and unwind. */
_Noreturn void eddy__dsl_oom(eddy_dsl_t *c);

/** Zeroed arena memory; unwinds on OOM. */
void *eddy__dsl_alloc(eddy_dsl_t *c, size_t size);
void *eddy__dsl_array(eddy_dsl_t *c, size_t cnt, size_t size);
char *eddy__dsl_strndup(eddy_dsl_t *c, const char *s, size_t len);
char *eddy__dsl_printf(eddy_dsl_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Append \p item (of \p size bytes) to an arena array that doubles as it grows. */
void eddy__dsl_push(eddy_dsl_t *c, void *items_ptr, uint32_t *cnt, uint32_t *cap,
                    const void *item, size_t size);

/** "12:9" for messages that point at a second place ("first defined at 3:1"). */
const char *eddy__dsl_where(eddy_dsl_t *c, uint32_t off);

/* ---- did you mean ------------------------------------------------------ */

/** Picks the candidate closest to \p word by edit distance, if close enough. */
typedef struct {
  const char *word;
  const char *best;
  uint32_t best_dist;
} eddy_suggest_t;

void eddy__suggest_init(eddy_suggest_t *s, const char *word);
void eddy__suggest_add(eddy_suggest_t *s, const char *candidate);
/** @returns " (did you mean 'x'?)" in the arena, or "" when nothing is close. */
const char *eddy__suggest_hint(eddy_dsl_t *c, const eddy_suggest_t *s);

#endif
