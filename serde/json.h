/*
 * A validating JSON scanner that builds nothing.
 *
 * The decoders walk a document with it: they read the members they want
 * and skip every other subtree with eddy__json_skip(), which checks the
 * grammar (strings terminated, escapes well-formed, no raw control
 * characters, valid UTF-8, balanced and properly separated containers,
 * number syntax, nesting at most EDDY_JSON_MAX_DEPTH) without recursion or
 * allocation. Every read is bounded by `end`: malformed or truncated input
 * is an EDDY_EDECODE error naming the byte offset, never an over-read.
 *
 * Strings are returned as slices of the input; those holding escapes are
 * flagged and turned into bytes with eddy__json_unescape() (escapes were
 * validated by the scan, including \uXXXX surrogate pairs).
 */
#ifndef EDDY_SERDE_JSON_H
#define EDDY_SERDE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/alloc.h"
#include "eddy/error.h"

/** Deepest nesting of arrays and objects a document may have. */
#define EDDY_JSON_MAX_DEPTH 64

typedef struct {
  const char *base;   /* start of the document (offsets in messages are from here) */
  const char *p;      /* cursor */
  const char *end;    /* one past the last byte */
  uint32_t depth;     /* containers currently open */
  eddy_error_t **err; /* where syntax errors go */
} eddy__json_t;

/** A string's content (without quotes) or a number's text. */
typedef struct {
  const char *p;
  uint32_t len;
  bool escaped;       /* string: contains backslash escapes */
  bool integral;      /* number: no fraction and no exponent */
} eddy__jstr_t;

static inline void eddy__json_init(eddy__json_t *j, const void *p, size_t len,
                                   eddy_error_t **err) {
  j->base = (const char *)p;
  j->p = j->base;
  j->end = j->base + len;
  j->depth = 0;
  j->err = err;
}

/** Skip whitespace. @returns the next byte, or -1 at the end of input. */
static inline int eddy__json_peek(eddy__json_t *j) {
  const char *p = j->p, *end = j->end;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  j->p = p;
  return p < end ? (unsigned char)*p : -1;
}

/** @returns EDDY_EDECODE with "invalid JSON at byte N: <what>" (N = cursor). */
int eddy__json_fail(eddy__json_t *j, const char *what);
/** Like eddy__json_fail() at \p at, describing the byte found there. */
int eddy__json_unexpected(eddy__json_t *j, const char *at, const char *expected);

/** Scan the string at the cursor (which must be '"'). */
int eddy__json_string(eddy__json_t *j, eddy__jstr_t *out);
/** Scan the number at the cursor. */
int eddy__json_number(eddy__json_t *j, eddy__jstr_t *out);
/** Consume the literal \p lit (true/false/null) at the cursor. */
int eddy__json_literal(eddy__json_t *j, const char *lit, size_t len);
/** Skip one whole value (any type), validating it. */
int eddy__json_skip(eddy__json_t *j);
/** After the top-level value: only whitespace may remain. */
int eddy__json_finish(eddy__json_t *j);

/**
 * Object and array walking. _open consumes '{' / '[' (checking the depth
 * limit). _key returns 1 with the next key read and its ':' consumed, 0
 * when the closing '}' was consumed, or an error; _next returns 1 when a
 * value follows, 0 after ']'. \p first starts true.
 */
int eddy__json_obj_open(eddy__json_t *j);
int eddy__json_obj_key(eddy__json_t *j, bool *first, eddy__jstr_t *key);
int eddy__json_arr_open(eddy__json_t *j);
int eddy__json_arr_next(eddy__json_t *j, bool *first);

/**
 * Decode the escapes of a scanned string into \p arena.
 * @returns 0 with *out and *out_len set, or EDDY_ENOMEM.
 */
int eddy__json_unescape(const eddy__jstr_t *s, eddy_arena_t *arena, const char **out,
                        uint32_t *out_len);
/** Decode escapes into \p dst (at least s->len bytes). @returns the length. */
size_t eddy__json_unescape_to(const eddy__jstr_t *s, char *dst);

/**
 * Check that \p len bytes are valid UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF). @returns true, or false with *bad the offset of the first
 * invalid sequence.
 */
bool eddy__utf8_valid(const char *p, size_t len, size_t *bad);
/** @returns the length of the valid UTF-8 sequence at \p p (lead >= 0x80), or 0. */
size_t eddy__utf8_seq(const unsigned char *p, const unsigned char *end);

#endif
