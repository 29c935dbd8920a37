/* Parser helpers (accept/expect/expect_closing), names, literals and types. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dsl/parser.h"
#include "eddy/error.h"

static void check_lex_error(eddy_parser_t *p) {
  if (p->tok.kind == EDDY_TK_ERROR)
    eddy__dsl_fail(p->c, EDDY_EPARSE, p->tok.off, p->tok.len, "%s", p->tok.err);
}

void eddy__parse_init(eddy_parser_t *p, eddy_dsl_t *c) {
  memset(p, 0, sizeof(*p));
  p->c = c;
  eddy__lex_init(&p->lx, c);
  eddy__lex_next(&p->lx, &p->tok);
  check_lex_error(p);
}

void eddy__parse_next(eddy_parser_t *p) {
  p->prev_end = p->tok.off + p->tok.len;
  if (p->ahead_cnt > 0) {
    p->tok = p->ahead[0];
    memmove(&p->ahead[0], &p->ahead[1], (p->ahead_cnt - 1) * sizeof(p->ahead[0]));
    p->ahead_cnt--;
  } else {
    eddy__lex_next(&p->lx, &p->tok);
  }
  check_lex_error(p);
}

const eddy_tok_t *eddy__parse_peek(eddy_parser_t *p, uint32_t n) {
  while (p->ahead_cnt <= n) {
    eddy_tok_t *last = p->ahead_cnt == 0 ? &p->tok : &p->ahead[p->ahead_cnt - 1];
    if (last->kind == EDDY_TK_EOF || last->kind == EDDY_TK_ERROR)
      return last;   /* nothing follows */
    eddy__lex_next(&p->lx, &p->ahead[p->ahead_cnt++]);
  }
  return &p->ahead[n];
}

bool eddy__parse_check(const eddy_parser_t *p, eddy_tok_kind_t kind) {
  return p->tok.kind == kind;
}

bool eddy__parse_check_word(const eddy_parser_t *p, const char *word) {
  return eddy__tok_is(p->c, &p->tok, word);
}

bool eddy__parse_accept(eddy_parser_t *p, eddy_tok_kind_t kind) {
  if (p->tok.kind != kind)
    return false;
  eddy__parse_next(p);
  return true;
}

bool eddy__parse_accept_word(eddy_parser_t *p, const char *word) {
  if (!eddy__tok_is(p->c, &p->tok, word))
    return false;
  eddy__parse_next(p);
  return true;
}

void eddy__parse_error(eddy_parser_t *p, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  /* "found end of file" points just past the last token, not at a blank line */
  uint32_t off = p->tok.kind == EDDY_TK_EOF ? p->prev_end : p->tok.off;
  eddy__dsl_fail(p->c, EDDY_EPARSE, off, p->tok.len, "%s", msg);
}

void eddy__parse_expected(eddy_parser_t *p, const char *what) {
  eddy__parse_error(p, "expected %s, found %s", what, eddy__tok_describe(p->c, &p->tok));
}

void eddy__parse_expect(eddy_parser_t *p, eddy_tok_kind_t kind, const char *context) {
  if (eddy__parse_accept(p, kind))
    return;
  eddy__parse_error(p, "expected '%s'%s%s, found %s", eddy__tok_kind_name(kind),
                    context ? " " : "", context ? context : "",
                    eddy__tok_describe(p->c, &p->tok));
}

void eddy__parse_expect_word(eddy_parser_t *p, const char *word, const char *context) {
  if (eddy__parse_accept_word(p, word))
    return;
  eddy__parse_error(p, "expected '%s'%s%s, found %s", word, context ? " " : "",
                    context ? context : "", eddy__tok_describe(p->c, &p->tok));
}

static const char *open_text(eddy_parser_t *p, const eddy_tok_t *open) {
  return eddy__dsl_strndup(p->c, p->c->src.text + open->off, open->len);
}

void eddy__parse_expect_closing(eddy_parser_t *p, eddy_tok_kind_t kind, const eddy_tok_t *open) {
  if (eddy__parse_accept(p, kind))
    return;
  eddy__parse_error(p, "expected '%s' to close '%s' at %s, found %s", eddy__tok_kind_name(kind),
                    open_text(p, open), eddy__dsl_where(p->c, open->off),
                    eddy__tok_describe(p->c, &p->tok));
}

void eddy__parse_expect_closing_word(eddy_parser_t *p, const char *word, const eddy_tok_t *open) {
  if (eddy__parse_accept_word(p, word))
    return;
  eddy__parse_error(p, "expected '%s' to close '%s' at %s, found %s", word, open_text(p, open),
                    eddy__dsl_where(p->c, open->off), eddy__tok_describe(p->c, &p->tok));
}

void eddy__parse_enter(eddy_parser_t *p) {
  if (++p->depth > EDDY_DSL_MAX_DEPTH)
    eddy__parse_error(p, "expression nested too deeply (limit %d)", EDDY_DSL_MAX_DEPTH);
}

void eddy__parse_leave(eddy_parser_t *p) { p->depth--; }

eddy_ast_name_t eddy__parse_name(eddy_parser_t *p, const char *what) {
  eddy_ast_name_t n = {.off = p->tok.off, .len = p->tok.len};
  if (p->tok.kind == EDDY_TK_NAME && p->tok.reserved)
    eddy__parse_error(p, "expected %s, found '%.*s' (a reserved word; quote it as `%.*s`)", what,
                      (int)p->tok.len, p->c->src.text + p->tok.off, (int)p->tok.len,
                      p->c->src.text + p->tok.off);
  if (p->tok.kind != EDDY_TK_NAME && p->tok.kind != EDDY_TK_QNAME)
    eddy__parse_expected(p, what);
  n.name = eddy__lex_name(p->c, &p->tok);
  eddy__parse_next(p);
  return n;
}

eddy_ast_name_t eddy__parse_string(eddy_parser_t *p, const char *what) {
  eddy_ast_name_t n = {.off = p->tok.off, .len = p->tok.len};
  if (p->tok.kind != EDDY_TK_STRING)
    eddy__parse_expected(p, what);
  uint32_t len;
  n.name = eddy__lex_string(p->c, &p->tok, &len);
  if (strlen(n.name) != len)
    eddy__parse_error(p, "%s must not contain a NUL character", what);
  eddy__parse_next(p);
  return n;
}

int64_t eddy__parse_duration(eddy_parser_t *p, const char *what) {
  if (p->tok.kind != EDDY_TK_DURATION)
    eddy__parse_error(p, "expected %s such as 30s or 5m, found %s", what,
                      eddy__tok_describe(p->c, &p->tok));
  int64_t v = p->tok.u.i;
  eddy__parse_next(p);
  return v;
}

/* ---- types ------------------------------------------------------------- */

static const char *const type_names[] = {
    "int", "bigint", "decimal", "double", "string", "bool", "bytes", "date", "timestamp",
    "array", "struct", NULL,
};

static uint32_t small_int(eddy_parser_t *p, const char *what, uint32_t lo, uint32_t hi) {
  if (p->tok.kind != EDDY_TK_INT || p->tok.u.u < lo || p->tok.u.u > hi)
    eddy__parse_error(p, "expected %s (%u to %u), found %s", what, lo, hi,
                      eddy__tok_describe(p->c, &p->tok));
  uint32_t v = (uint32_t)p->tok.u.u;
  eddy__parse_next(p);
  return v;
}

static eddy_type_t parse_decimal(eddy_parser_t *p) {
  eddy_tok_t open = p->tok;
  if (!eddy__parse_accept(p, EDDY_TK_LPAREN))
    eddy__parse_error(p, "decimal needs a precision and a scale, as in decimal(10,2)");
  uint32_t precision = small_int(p, "a decimal precision", 1, EDDY_DECIMAL_MAX_PRECISION);
  eddy__parse_expect(p, EDDY_TK_COMMA, "and a scale after the precision");
  if (p->tok.kind == EDDY_TK_INT && p->tok.u.u > precision)
    eddy__parse_error(p, "decimal scale %llu is larger than the precision %u",
                      (unsigned long long)p->tok.u.u, precision);
  uint32_t scale = small_int(p, "a decimal scale", 0, precision);
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  return eddy_type_decimal((uint8_t)precision, (uint8_t)scale);
}

static eddy_type_t parse_timestamp(eddy_parser_t *p) {
  eddy_type_t t = eddy_type(EDDY_T_TIMESTAMP);
  eddy_tok_t open = p->tok;
  if (!eddy__parse_accept(p, EDDY_TK_LPAREN))
    return t;
  if (p->tok.kind != EDDY_TK_INT || (p->tok.u.u != 3 && p->tok.u.u != 6 && p->tok.u.u != 9))
    eddy__parse_error(p, "timestamp precision must be 3 (ms), 6 (µs) or 9 (ns), found %s",
                      eddy__tok_describe(p->c, &p->tok));
  t.scale = (uint8_t)p->tok.u.u;
  eddy__parse_next(p);
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  return t;
}

static eddy_type_t parse_struct(eddy_parser_t *p) {
  eddy_tok_t open = p->tok;
  eddy__parse_expect(p, EDDY_TK_LT, "after 'struct'");
  eddy_field_t *items = NULL;
  uint32_t cnt = 0, cap = 0;
  do {
    eddy_ast_name_t name = eddy__parse_name(p, "a field name");
    for (uint32_t i = 0; i < cnt; i++)
      if (strcmp(items[i].name, name.name) == 0)
        eddy__dsl_fail(p->c, EDDY_EPARSE, name.off, name.len, "duplicate field '%s' in struct",
                       name.name);
    if (cnt == EDDY_DSL_MAX_LIST)
      eddy__dsl_fail(p->c, EDDY_EPARSE, name.off, name.len,
                     "too many struct fields (limit is %d)", EDDY_DSL_MAX_LIST);
    eddy_field_t f = {.name = name.name, .type = eddy__parse_type(p)};
    eddy__dsl_push(p->c, &items, &cnt, &cap, &f, sizeof(f));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
  eddy__parse_expect_closing(p, EDDY_TK_GT, &open);
  eddy_fields_t *fields = eddy__dsl_alloc(p->c, sizeof(*fields));
  fields->cnt = cnt;
  fields->items = items;
  eddy_type_t t = eddy_type(EDDY_T_STRUCT);
  t.fields = fields;
  return t;
}

static eddy_type_t parse_type_word(eddy_parser_t *p, const char *word) {
  if (strcmp(word, "int") == 0 || strcmp(word, "bigint") == 0)
    return eddy_type(EDDY_T_INT);
  if (strcmp(word, "double") == 0)
    return eddy_type(EDDY_T_DOUBLE);
  if (strcmp(word, "string") == 0)
    return eddy_type(EDDY_T_STRING);
  if (strcmp(word, "bool") == 0)
    return eddy_type(EDDY_T_BOOL);
  if (strcmp(word, "bytes") == 0)
    return eddy_type(EDDY_T_BYTES);
  if (strcmp(word, "date") == 0) {
    eddy_type_t t = eddy_type(EDDY_T_TIMESTAMP);
    t.precision = 1;   /* days since the epoch on the wire */
    return t;
  }
  if (strcmp(word, "decimal") == 0)
    return parse_decimal(p);
  if (strcmp(word, "timestamp") == 0)
    return parse_timestamp(p);
  if (strcmp(word, "struct") == 0)
    return parse_struct(p);
  eddy_tok_t open = p->tok;
  eddy__parse_expect(p, EDDY_TK_LT, "after 'array'");
  eddy_type_t *elem = eddy__dsl_alloc(p->c, sizeof(*elem));
  *elem = eddy__parse_type(p);
  eddy__parse_expect_closing(p, EDDY_TK_GT, &open);
  eddy_type_t t = eddy_type(EDDY_T_ARRAY);
  t.elem = elem;
  return t;
}

eddy_type_t eddy__parse_type(eddy_parser_t *p) {
  if (p->tok.kind != EDDY_TK_NAME)
    eddy__parse_expected(p, "a type");
  char *word = eddy__lex_name(p->c, &p->tok);
  bool known = false;
  eddy_suggest_t s;
  eddy__suggest_init(&s, word);
  for (const char *const *t = type_names; *t != NULL; t++) {
    known |= strcmp(*t, word) == 0;
    eddy__suggest_add(&s, *t);
  }
  if (!known)
    eddy__parse_error(p, "unknown type '%s'%s", word, eddy__suggest_hint(p->c, &s));
  eddy__parse_enter(p);
  eddy__parse_next(p);
  eddy_type_t t = parse_type_word(p, word);
  eddy__parse_leave(p);
  return t;
}
