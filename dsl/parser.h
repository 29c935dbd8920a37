/*
 * Private to dsl/: the recursive-descent parser. The helpers have Lua's
 * shape: accept() consumes a token if it matches, expect() insists on it,
 * expect_closing() reports the opening token's position when a bracket is
 * not closed. The first error unwinds (see dsl_int.h).
 */
#ifndef EDDY_DSL_PARSER_H
#define EDDY_DSL_PARSER_H

#include "dsl/ast_stmt.h"
#include "dsl/lexer.h"

#define EDDY_PARSE_AHEAD 2

typedef struct {
  eddy_dsl_t *c;
  eddy_lexer_t lx;
  eddy_tok_t tok;                        /* the current token */
  eddy_tok_t ahead[EDDY_PARSE_AHEAD];    /* tokens lexed past the current one */
  uint32_t ahead_cnt;
  uint32_t prev_end;                     /* end offset of the last consumed token */
  uint32_t depth;                        /* nesting, limited to EDDY_DSL_MAX_DEPTH */
} eddy_parser_t;

/* ---- helpers (parser.c) ------------------------------------------------ */

void eddy__parse_init(eddy_parser_t *p, eddy_dsl_t *c);
/** Consume the current token; reports a lexer error that becomes current. */
void eddy__parse_next(eddy_parser_t *p);
/** The token \p n (0 or 1) after the current one. */
const eddy_tok_t *eddy__parse_peek(eddy_parser_t *p, uint32_t n);
bool eddy__parse_check(const eddy_parser_t *p, eddy_tok_kind_t kind);
bool eddy__parse_check_word(const eddy_parser_t *p, const char *word);
bool eddy__parse_accept(eddy_parser_t *p, eddy_tok_kind_t kind);
bool eddy__parse_accept_word(eddy_parser_t *p, const char *word);
/** Insist on \p kind; "expected ')' after the arguments, found 'x'" with \p context. */
void eddy__parse_expect(eddy_parser_t *p, eddy_tok_kind_t kind, const char *context);
void eddy__parse_expect_word(eddy_parser_t *p, const char *word, const char *context);
/** Insist on the closing \p kind ("expected ')' to close '(' at 12:9"). */
void eddy__parse_expect_closing(eddy_parser_t *p, eddy_tok_kind_t kind, const eddy_tok_t *open);
void eddy__parse_expect_closing_word(eddy_parser_t *p, const char *word, const eddy_tok_t *open);
/** A syntax error at the current token. */
_Noreturn void eddy__parse_error(eddy_parser_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** "expected <what>, found <current token>". */
_Noreturn void eddy__parse_expected(eddy_parser_t *p, const char *what);
void eddy__parse_enter(eddy_parser_t *p);
void eddy__parse_leave(eddy_parser_t *p);
/** A name (identifier or `quoted`), not a reserved word; \p what: "a stream name". */
eddy_ast_name_t eddy__parse_name(eddy_parser_t *p, const char *what);
/** A string literal, decoded. */
eddy_ast_name_t eddy__parse_string(eddy_parser_t *p, const char *what);
/** A duration literal (µs). */
int64_t eddy__parse_duration(eddy_parser_t *p, const char *what);
/** int, bigint, decimal(p,s), double, string, bool, bytes, date, timestamp[(3|6|9)], array<T>, struct<…>. */
eddy_type_t eddy__parse_type(eddy_parser_t *p);

/* ---- expressions (parser_expr.c) --------------------------------------- */

eddy_expr_t *eddy__parse_expr(eddy_parser_t *p);
/** A new node of \p kind spanning [off, end). */
eddy_expr_t *eddy__parse_node(eddy_parser_t *p, eddy_expr_kind_t kind, uint32_t off,
                              uint32_t end);

/* ---- statements (parser_stmt.c) ---------------------------------------- */

/** group by, window, aggregate, emit, joins, over, dedupe, changes (parser_planned.c). */
void eddy__parse_planned_op(eddy_parser_t *p, eddy_ast_op_t *op, const char *word);
/** Parse the whole source into \p out (unwinds on the first error). */
void eddy__parse_program(eddy_dsl_t *c, eddy_ast_program_t *out);

#endif
