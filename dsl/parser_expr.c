/*
 * Expressions, by precedence from loosest to tightest:
 *
 *   or < and < not < comparison (== != < <= > >=, is [not] null, [not] in)
 *      < + - < * / % < unary - < postfix (.name, [index]) < primary
 *
 * A chain of binary operators builds a left-deep tree without recursing, so
 * each link counts as one nesting level: every tree the parser returns is
 * at most EDDY_DSL_MAX_DEPTH deep, and the checker and evaluator can recurse
 * over it safely.
 */
#include <string.h>

#include "dsl/parser.h"
#include "eddy/error.h"

eddy_expr_t *eddy__parse_node(eddy_parser_t *p, eddy_expr_kind_t kind, uint32_t off,
                              uint32_t end) {
  eddy_expr_t *e = eddy__dsl_alloc(p->c, sizeof(*e));
  e->kind = (uint8_t)kind;
  e->off = off;
  e->len = end > off ? end - off : 0;
  return e;
}

static uint32_t end_of(const eddy_expr_t *e) { return e->off + e->len; }

static eddy_expr_t *binary(eddy_parser_t *p, eddy_expr_kind_t kind, eddy_expr_t *l,
                           eddy_expr_t *r) {
  eddy_expr_t *e = eddy__parse_node(p, kind, l->off, end_of(r));
  e->u.bin.lhs = l;
  e->u.bin.rhs = r;
  return e;
}

static eddy_expr_t *unary(eddy_parser_t *p, eddy_expr_kind_t kind, uint32_t off,
                          eddy_expr_t *arg) {
  eddy_expr_t *e = eddy__parse_node(p, kind, off, end_of(arg));
  e->u.un.arg = arg;
  return e;
}

static eddy_expr_t *literal(eddy_parser_t *p, eddy_value_t v, eddy_type_t t) {
  eddy_expr_t *e = eddy__parse_node(p, EDDY_X_LITERAL, p->tok.off, p->tok.off + p->tok.len);
  e->u.lit = v;
  e->type = t;
  eddy__parse_next(p);
  return e;
}

/* ---- primaries --------------------------------------------------------- */

static eddy_expr_t *parse_number(eddy_parser_t *p) {
  switch (p->tok.kind) {
  case EDDY_TK_INT:
    if (p->tok.u.u > INT64_MAX)
      eddy__parse_error(p, "integer literal too large (limit is 9223372036854775807)");
    return literal(p, eddy_int((int64_t)p->tok.u.u), eddy_type(EDDY_T_INT));
  case EDDY_TK_DECIMAL:
    return literal(p, eddy_decimal(p->tok.u.dec.unscaled, p->tok.u.dec.scale),
                   eddy_type_decimal(p->tok.u.dec.precision, p->tok.u.dec.scale));
  case EDDY_TK_DOUBLE:
    return literal(p, eddy_double(p->tok.u.d), eddy_type(EDDY_T_DOUBLE));
  default:
    return literal(p, eddy_duration(p->tok.u.i), eddy_type(EDDY_T_DURATION));
  }
}

static eddy_expr_t *parse_string_literal(eddy_parser_t *p) {
  uint32_t len;
  char *s = eddy__lex_string(p->c, &p->tok, &len);
  return literal(p, eddy_string(s, len), eddy_type(EDDY_T_STRING));
}

static eddy_expr_t *parse_timestamp_literal(eddy_parser_t *p) {
  uint32_t off = p->tok.off;
  eddy__parse_next(p);   /* timestamp */
  uint32_t len;
  char *s = eddy__lex_string(p->c, &p->tok, &len);
  int64_t us;
  if (eddy_timestamp_parse(s, len, &us) != 0)
    eddy__parse_error(p, "invalid timestamp %s (expected ISO-8601 such as "
                         "\"2024-01-01T00:00:00Z\")", eddy__tok_describe(p->c, &p->tok));
  eddy_expr_t *e = literal(p, eddy_timestamp(us), eddy_type(EDDY_T_TIMESTAMP));
  e->len = end_of(e) - off;
  e->off = off;
  return e;
}

static eddy_expr_t *parse_call(eddy_parser_t *p) {
  uint32_t off = p->tok.off;
  const char *name = eddy__lex_name(p->c, &p->tok);
  eddy__parse_next(p);
  eddy_tok_t open = p->tok;
  eddy__parse_next(p);   /* ( */
  eddy_expr_t **args = NULL;
  uint32_t cnt = 0, cap = 0;
  if (!eddy__parse_check(p, EDDY_TK_RPAREN)) {
    do {
      if (cnt == EDDY_DSL_MAX_LIST)
        eddy__parse_error(p, "too many arguments (limit is %d)", EDDY_DSL_MAX_LIST);
      eddy_expr_t *arg = eddy__parse_expr(p);
      eddy__dsl_push(p->c, &args, &cnt, &cap, &arg, sizeof(arg));
    } while (eddy__parse_accept(p, EDDY_TK_COMMA));
  }
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  eddy_expr_t *e = eddy__parse_node(p, EDDY_X_CALL, off, p->prev_end);
  e->u.call.name = name;
  e->u.call.args = args;
  e->u.call.argc = cnt;
  return e;
}

static eddy_expr_t *parse_cast(eddy_parser_t *p) {
  uint32_t off = p->tok.off;
  eddy__parse_next(p);
  eddy_tok_t open = p->tok;
  eddy__parse_expect(p, EDDY_TK_LPAREN, "after 'cast'");
  eddy_expr_t *arg = eddy__parse_expr(p);
  eddy__parse_expect_word(p, "as", "and a type in cast(<expr> as <type>)");
  eddy_type_t t = eddy__parse_type(p);
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  eddy_expr_t *e = eddy__parse_node(p, EDDY_X_CAST, off, p->prev_end);
  e->u.cast.arg = arg;
  e->type = t;
  return e;
}

static eddy_expr_t *parse_case(eddy_parser_t *p) {
  eddy_tok_t open = p->tok;
  eddy__parse_next(p);
  if (!eddy__parse_check_word(p, "when"))
    eddy__parse_expected(p, "'when' after 'case'");
  eddy_expr_t **when = NULL, **then = NULL;
  uint32_t cnt = 0, cap = 0, cnt2 = 0, cap2 = 0;
  while (eddy__parse_accept_word(p, "when")) {
    if (cnt == EDDY_DSL_MAX_LIST)
      eddy__parse_error(p, "too many 'when' branches (limit is %d)", EDDY_DSL_MAX_LIST);
    eddy_expr_t *w = eddy__parse_expr(p);
    eddy__parse_expect_word(p, "then", "after the 'when' condition");
    eddy_expr_t *t = eddy__parse_expr(p);
    eddy__dsl_push(p->c, &when, &cnt, &cap, &w, sizeof(w));
    eddy__dsl_push(p->c, &then, &cnt2, &cap2, &t, sizeof(t));
  }
  eddy_expr_t *els = eddy__parse_accept_word(p, "else") ? eddy__parse_expr(p) : NULL;
  eddy__parse_expect_closing_word(p, "end", &open);
  eddy_expr_t *e = eddy__parse_node(p, EDDY_X_CASE, open.off, p->prev_end);
  e->u.case_.when = when;
  e->u.case_.then = then;
  e->u.case_.cnt = cnt;
  e->u.case_.els = els;
  return e;
}

static eddy_expr_t *parse_header(eddy_parser_t *p) {
  uint32_t off = p->tok.off;
  eddy__parse_next(p);   /* headers */
  eddy_tok_t open = p->tok;
  eddy__parse_next(p);   /* [ */
  eddy_ast_name_t name = eddy__parse_string(p, "a header name string, as in headers[\"x\"]");
  eddy__parse_expect_closing(p, EDDY_TK_RBRACKET, &open);
  eddy_expr_t *e = eddy__parse_node(p, EDDY_X_HEADER, off, p->prev_end);
  e->u.header.name = name.name;
  return e;
}

static eddy_expr_t *parse_paren(eddy_parser_t *p) {
  eddy_tok_t open = p->tok;
  eddy__parse_next(p);
  eddy_expr_t *e = eddy__parse_expr(p);
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  e->off = open.off;           /* messages about it underline the parentheses too */
  e->len = p->prev_end - open.off;
  return e;
}

static eddy_expr_t *parse_reserved(eddy_parser_t *p) {
  if (eddy__parse_check_word(p, "true"))
    return literal(p, eddy_bool(true), eddy_type(EDDY_T_BOOL));
  if (eddy__parse_check_word(p, "false"))
    return literal(p, eddy_bool(false), eddy_type(EDDY_T_BOOL));
  if (eddy__parse_check_word(p, "null"))
    return literal(p, eddy_null(), eddy_type(EDDY_T_NULL));
  if (eddy__parse_check_word(p, "case"))
    return parse_case(p);
  if (eddy__parse_check_word(p, "cast"))
    return parse_cast(p);
  if (eddy__parse_check_word(p, "not"))
    eddy__parse_error(p, "'not' needs parentheses here, as in a and (not b)");
  eddy__parse_expected(p, "an expression");
}

static eddy_expr_t *parse_name(eddy_parser_t *p) {
  const eddy_tok_t *next = eddy__parse_peek(p, 0);
  if (p->tok.kind == EDDY_TK_NAME && next->kind == EDDY_TK_LPAREN)
    return parse_call(p);
  if (p->tok.kind == EDDY_TK_NAME && eddy__parse_check_word(p, "headers") &&
      next->kind == EDDY_TK_LBRACKET)
    return parse_header(p);
  if (eddy__parse_check_word(p, "timestamp") && next->kind == EDDY_TK_STRING)
    return parse_timestamp_literal(p);
  eddy_expr_t *e = eddy__parse_node(p, EDDY_X_FIELD, p->tok.off, p->tok.off + p->tok.len);
  if (eddy__parse_check_word(p, "key"))
    e->kind = EDDY_X_KEY;
  else if (eddy__parse_check_word(p, "rowtime"))
    e->kind = EDDY_X_ROWTIME;
  else
    e->u.field.path = eddy__lex_name(p->c, &p->tok);
  eddy__parse_next(p);
  return e;
}

static eddy_expr_t *parse_primary(eddy_parser_t *p) {
  switch (p->tok.kind) {
  case EDDY_TK_INT:
  case EDDY_TK_DECIMAL:
  case EDDY_TK_DOUBLE:
  case EDDY_TK_DURATION:
    return parse_number(p);
  case EDDY_TK_STRING:
    return parse_string_literal(p);
  case EDDY_TK_LPAREN:
    return parse_paren(p);
  case EDDY_TK_NAME:
    return p->tok.reserved ? parse_reserved(p) : parse_name(p);
  case EDDY_TK_QNAME:
    return parse_name(p);
  default:
    eddy__parse_expected(p, "an expression");
  }
}

/* ---- postfix and unary ------------------------------------------------- */

/* `.name` extends a plain path (the checker splits it into a field and
 * member accesses); on anything else it is a member access. `.*` is left
 * for select's `prefix.*`. */
static eddy_expr_t *parse_dot(eddy_parser_t *p, eddy_expr_t *e) {
  eddy__parse_next(p);
  if (p->tok.kind != EDDY_TK_NAME && p->tok.kind != EDDY_TK_QNAME)
    eddy__parse_expected(p, "a field name after '.'");
  const char *name = eddy__lex_name(p->c, &p->tok);
  eddy__parse_next(p);
  if (e->kind == EDDY_X_FIELD) {
    e->u.field.path = eddy__dsl_printf(p->c, "%s.%s", e->u.field.path, name);
    e->len = p->prev_end - e->off;
    return e;
  }
  eddy_expr_t *m = eddy__parse_node(p, EDDY_X_MEMBER, e->off, p->prev_end);
  m->u.member.arg = e;
  m->u.member.name = name;
  return m;
}

static eddy_expr_t *parse_postfix(eddy_parser_t *p) {
  eddy_expr_t *e = parse_primary(p);
  uint32_t levels = 0;
  for (;;) {
    if (p->tok.kind == EDDY_TK_DOT && eddy__parse_peek(p, 0)->kind != EDDY_TK_STAR) {
      if (e->kind != EDDY_X_FIELD) {
        eddy__parse_enter(p);
        levels++;
      }
      e = parse_dot(p, e);
    } else if (p->tok.kind == EDDY_TK_LBRACKET) {
      eddy_tok_t open = p->tok;
      eddy__parse_next(p);
      eddy_expr_t *index = eddy__parse_expr(p);   /* counts its own level */
      eddy__parse_expect_closing(p, EDDY_TK_RBRACKET, &open);
      eddy__parse_enter(p);                       /* one more link of the chain */
      levels++;
      eddy_expr_t *x = eddy__parse_node(p, EDDY_X_INDEX, e->off, p->prev_end);
      x->u.index.arg = e;
      x->u.index.index = index;
      e = x;
    } else {
      break;
    }
  }
  p->depth -= levels;
  return e;
}

/* -literal folds into the literal, so -9223372036854775808 and -12.50 are constants. */
static bool fold_negation(eddy_expr_t *arg) {
  if (arg->kind != EDDY_X_LITERAL)
    return false;
  eddy_value_t *v = &arg->u.lit;
  switch (v->kind) {
  case EDDY_T_INT:
  case EDDY_T_DURATION:
    if (v->u.i == INT64_MIN)
      return false;
    v->u.i = -v->u.i;
    return true;
  case EDDY_T_DECIMAL:
    v->u.dec = -v->u.dec;
    return true;
  case EDDY_T_DOUBLE:
    v->u.d = -v->u.d;
    return true;
  default:
    return false;
  }
}

static eddy_expr_t *parse_unary(eddy_parser_t *p) {
  if (p->tok.kind != EDDY_TK_MINUS)
    return parse_postfix(p);
  uint32_t off = p->tok.off;
  eddy__parse_next(p);
  const eddy_tok_t *next = eddy__parse_peek(p, 0);
  if (p->tok.kind == EDDY_TK_INT && p->tok.u.u == (uint64_t)INT64_MAX + 1 &&
      next->kind != EDDY_TK_DOT && next->kind != EDDY_TK_LBRACKET) {
    eddy_expr_t *e = literal(p, eddy_int(INT64_MIN), eddy_type(EDDY_T_INT));
    e->len = end_of(e) - off;
    e->off = off;
    return e;
  }
  eddy__parse_enter(p);
  eddy_expr_t *arg = parse_unary(p);
  eddy__parse_leave(p);
  if (!fold_negation(arg))
    return unary(p, EDDY_X_NEG, off, arg);
  arg->len = end_of(arg) - off;
  arg->off = off;
  return arg;
}

/* ---- binary operators -------------------------------------------------- */

static eddy_expr_t *parse_mul(eddy_parser_t *p) {
  eddy_expr_t *e = parse_unary(p);
  uint32_t levels = 0;
  for (;;) {
    eddy_expr_kind_t kind = p->tok.kind == EDDY_TK_STAR ? EDDY_X_MUL
                          : p->tok.kind == EDDY_TK_SLASH ? EDDY_X_DIV
                          : p->tok.kind == EDDY_TK_PERCENT ? EDDY_X_MOD : EDDY_X__COUNT;
    if (kind == EDDY_X__COUNT)
      break;
    eddy__parse_enter(p);
    levels++;
    eddy__parse_next(p);
    e = binary(p, kind, e, parse_unary(p));
  }
  p->depth -= levels;
  return e;
}

static eddy_expr_t *parse_add(eddy_parser_t *p) {
  eddy_expr_t *e = parse_mul(p);
  uint32_t levels = 0;
  for (;;) {
    eddy_expr_kind_t kind = p->tok.kind == EDDY_TK_PLUS ? EDDY_X_ADD
                          : p->tok.kind == EDDY_TK_MINUS ? EDDY_X_SUB : EDDY_X__COUNT;
    if (kind == EDDY_X__COUNT)
      break;
    eddy__parse_enter(p);
    levels++;
    eddy__parse_next(p);
    e = binary(p, kind, e, parse_mul(p));
  }
  p->depth -= levels;
  return e;
}

static eddy_expr_kind_t comparison(const eddy_parser_t *p) {
  switch (p->tok.kind) {
  case EDDY_TK_EQ: return EDDY_X_EQ;
  case EDDY_TK_NE: return EDDY_X_NE;
  case EDDY_TK_LT: return EDDY_X_LT;
  case EDDY_TK_LE: return EDDY_X_LE;
  case EDDY_TK_GT: return EDDY_X_GT;
  case EDDY_TK_GE: return EDDY_X_GE;
  default: return EDDY_X__COUNT;
  }
}

static eddy_expr_t *parse_in(eddy_parser_t *p, eddy_expr_t *arg, bool negated) {
  eddy_tok_t open = p->tok;
  eddy__parse_expect(p, EDDY_TK_LPAREN, "after 'in'");
  eddy_expr_t **items = NULL;
  uint32_t cnt = 0, cap = 0;
  do {
    if (cnt == EDDY_DSL_MAX_LIST)
      eddy__parse_error(p, "too many values in the 'in' list (limit is %d)", EDDY_DSL_MAX_LIST);
    eddy_expr_t *item = eddy__parse_expr(p);
    eddy__dsl_push(p->c, &items, &cnt, &cap, &item, sizeof(item));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  eddy_expr_t *e = eddy__parse_node(p, negated ? EDDY_X_NOT_IN : EDDY_X_IN, arg->off, p->prev_end);
  e->u.in.arg = arg;
  e->u.in.items = items;
  e->u.in.cnt = cnt;
  return e;
}

static eddy_expr_t *parse_comparison(eddy_parser_t *p) {
  eddy_expr_t *e = parse_add(p);
  eddy_expr_kind_t kind = comparison(p);
  if (kind != EDDY_X__COUNT) {
    eddy__parse_next(p);
    e = binary(p, kind, e, parse_add(p));
    if (comparison(p) != EDDY_X__COUNT)
      eddy__parse_error(p, "comparisons cannot be chained; combine them with 'and'");
  } else if (p->tok.kind == EDDY_TK_ASSIGN) {
    eddy__parse_error(p, "unexpected '=' in an expression (use '==' to compare)");
  } else if (eddy__parse_accept_word(p, "is")) {
    bool negated = eddy__parse_accept_word(p, "not");
    if (!eddy__parse_check_word(p, "null"))
      eddy__parse_expected(p, negated ? "'null' after 'is not'" : "'null' or 'not null' after 'is'");
    eddy__parse_next(p);
    e = unary(p, negated ? EDDY_X_IS_NOT_NULL : EDDY_X_IS_NULL, e->off, e);
    e->len = p->prev_end - e->off;
  } else if (eddy__parse_accept_word(p, "in")) {
    e = parse_in(p, e, false);
  } else if (eddy__parse_check_word(p, "not") && eddy__tok_is(p->c, eddy__parse_peek(p, 0), "in")) {
    eddy__parse_next(p);
    eddy__parse_next(p);
    e = parse_in(p, e, true);
  }
  return e;
}

static eddy_expr_t *parse_not(eddy_parser_t *p) {
  if (!eddy__parse_check_word(p, "not"))
    return parse_comparison(p);
  uint32_t off = p->tok.off;
  eddy__parse_next(p);
  eddy__parse_enter(p);
  eddy_expr_t *arg = parse_not(p);
  eddy__parse_leave(p);
  return unary(p, EDDY_X_NOT, off, arg);
}

static eddy_expr_t *parse_and(eddy_parser_t *p) {
  eddy_expr_t *e = parse_not(p);
  uint32_t levels = 0;
  while (eddy__parse_check_word(p, "and")) {
    eddy__parse_enter(p);
    levels++;
    eddy__parse_next(p);
    e = binary(p, EDDY_X_AND, e, parse_not(p));
  }
  p->depth -= levels;
  return e;
}

static eddy_expr_t *parse_or(eddy_parser_t *p) {
  eddy_expr_t *e = parse_and(p);
  uint32_t levels = 0;
  while (eddy__parse_check_word(p, "or")) {
    eddy__parse_enter(p);
    levels++;
    eddy__parse_next(p);
    e = binary(p, EDDY_X_OR, e, parse_and(p));
  }
  p->depth -= levels;
  return e;
}

eddy_expr_t *eddy__parse_expr(eddy_parser_t *p) {
  eddy__parse_enter(p);
  eddy_expr_t *e = parse_or(p);
  eddy__parse_leave(p);
  return e;
}
