/*
 * Private to dsl/: the lexer. It turns the source into tokens on demand;
 * every token is a span (off, len) of the source text. The lexer never
 * reports: a malformed token comes back as EDDY_TK_ERROR with its message,
 * and the parser reports it when the token becomes current, so errors still
 * come out in source order.
 */
#ifndef EDDY_DSL_LEXER_H
#define EDDY_DSL_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "dsl/dsl_int.h"
#include "eddy/value.h"

typedef enum {
  EDDY_TK_EOF,
  EDDY_TK_ERROR,
  EDDY_TK_NAME,      /* identifier or keyword (also debezium-json, event-time ...) */
  EDDY_TK_QNAME,     /* `quoted identifier`: never a keyword */
  EDDY_TK_INT,       /* u.u: magnitude (up to 2^63, for -9223372036854775808) */
  EDDY_TK_DECIMAL,   /* u.dec */
  EDDY_TK_DOUBLE,    /* u.d */
  EDDY_TK_STRING,    /* text includes the quotes; decode with eddy__lex_string() */
  EDDY_TK_DURATION,  /* u.i: microseconds */
  EDDY_TK_PIPE,
  EDDY_TK_COMMA,
  EDDY_TK_DOT,
  EDDY_TK_LPAREN,
  EDDY_TK_RPAREN,
  EDDY_TK_LBRACKET,
  EDDY_TK_RBRACKET,
  EDDY_TK_LT,
  EDDY_TK_LE,
  EDDY_TK_GT,
  EDDY_TK_GE,
  EDDY_TK_EQ,        /* == */
  EDDY_TK_NE,        /* != */
  EDDY_TK_ASSIGN,    /* = */
  EDDY_TK_PLUS,
  EDDY_TK_MINUS,
  EDDY_TK_STAR,
  EDDY_TK_SLASH,
  EDDY_TK_PERCENT,
  EDDY_TK__COUNT
} eddy_tok_kind_t;

typedef struct {
  uint8_t kind;        /* eddy_tok_kind_t */
  bool reserved;       /* a NAME that is a reserved word (and, case, null ...) */
  uint32_t off, len;
  const char *err;     /* EDDY_TK_ERROR: the message */
  union {
    uint64_t u;
    int64_t i;
    double d;
    struct {
      eddy_i128 unscaled;
      uint8_t precision, scale;
    } dec;
  } u;
} eddy_tok_t;

typedef struct {
  eddy_dsl_t *c;
  uint32_t pos;
} eddy_lexer_t;

void eddy__lex_init(eddy_lexer_t *lx, eddy_dsl_t *c);
/** Scan the next token into \p tok (EDDY_TK_EOF at the end, forever). */
void eddy__lex_next(eddy_lexer_t *lx, eddy_tok_t *tok);
/** Decode a STRING token's escapes into the arena; *len gets the byte length. */
char *eddy__lex_string(eddy_dsl_t *c, const eddy_tok_t *tok, uint32_t *len);
/** @returns a NAME/QNAME token's identifier (without backquotes) in the arena. */
char *eddy__lex_name(eddy_dsl_t *c, const eddy_tok_t *tok);
/** @returns true when \p tok is the NAME \p word (keywords are case-sensitive). */
bool eddy__tok_is(const eddy_dsl_t *c, const eddy_tok_t *tok, const char *word);
/** A short rendering of \p tok for messages: "'foo'", "end of file", "string \"ab…\"". */
const char *eddy__tok_describe(eddy_dsl_t *c, const eddy_tok_t *tok);
/** @returns "'|'" etc. for punctuation kinds. */
const char *eddy__tok_kind_name(eddy_tok_kind_t kind);

#endif
