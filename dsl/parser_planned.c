/*
 * Operators whose syntax is fixed but whose execution comes later (group by,
 * windows, aggregate, emit, joins, over, dedupe, changes). The parser builds
 * their AST now so that docs/dsl.md can show them and the checker can reject
 * them with a clear message instead of a syntax error.
 */
#include <string.h>

#include "dsl/parser.h"
#include "eddy/error.h"

static void parse_named_items(eddy_parser_t *p, eddy_ast_op_t *op, bool named_only) {
  uint32_t cap = 0;
  do {
    if (op->item_cnt == EDDY_DSL_MAX_LIST)
      eddy__parse_error(p, "too many columns (limit is %d)", EDDY_DSL_MAX_LIST);
    bool named = (p->tok.kind == EDDY_TK_NAME || p->tok.kind == EDDY_TK_QNAME) &&
                 eddy__parse_peek(p, 0)->kind == EDDY_TK_ASSIGN;
    if (named_only && !named)
      eddy__parse_expected(p, "'<name> = <aggregate>'");
    eddy_ast_item_t it = {.off = p->tok.off, .kind = named ? EDDY_SEL_NAMED : EDDY_SEL_EXPR};
    if (named) {
      it.name = eddy__parse_name(p, "a column name");
      eddy__parse_next(p);   /* = */
    }
    it.expr = eddy__parse_expr(p);
    it.len = p->prev_end - it.off;
    eddy__dsl_push(p->c, &op->items, &op->item_cnt, &cap, &it, sizeof(it));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
}

static void parse_window(eddy_parser_t *p, eddy_ast_op_t *op) {
  op->kind = EDDY_OP_WINDOW;
  op->u.window.grace = -1;
  if (eddy__parse_accept_word(p, "tumbling")) {
    op->u.window.kind = EDDY_WINDOW_TUMBLING;
    op->u.window.size = eddy__parse_duration(p, "a window size");
  } else if (eddy__parse_accept_word(p, "hopping")) {
    op->u.window.kind = EDDY_WINDOW_HOPPING;
    op->u.window.size = eddy__parse_duration(p, "a window size");
    eddy__parse_expect_word(p, "advance", "after the size of a hopping window");
    op->u.window.advance = eddy__parse_duration(p, "an advance");
  } else if (eddy__parse_accept_word(p, "session")) {
    op->u.window.kind = EDDY_WINDOW_SESSION;
    eddy__parse_expect_word(p, "gap", "after 'session'");
    op->u.window.size = eddy__parse_duration(p, "an inactivity gap");
  } else if (eddy__parse_accept_word(p, "sliding")) {
    op->u.window.kind = EDDY_WINDOW_SLIDING;
    op->u.window.size = eddy__parse_duration(p, "a time difference");
  } else {
    eddy__parse_expected(p, "tumbling, hopping, session or sliding after 'window'");
  }
  if (eddy__parse_accept_word(p, "grace"))
    op->u.window.grace = eddy__parse_duration(p, "a grace period");
}

static void parse_join(eddy_parser_t *p, eddy_ast_op_t *op, const char *word) {
  op->kind = EDDY_OP_JOIN;
  op->u.join.kind = strcmp(word, "left") == 0    ? EDDY_JOIN_LEFT
                    : strcmp(word, "outer") == 0 ? EDDY_JOIN_OUTER
                                                 : EDDY_JOIN_INNER;
  if (op->u.join.kind != EDDY_JOIN_INNER)
    eddy__parse_expect_word(p, "join", word[0] == 'l' ? "after 'left'" : "after 'outer'");
  op->target = eddy__parse_name(p, "the name of the stream or table to join");
  eddy__parse_expect_word(p, "on", "and the join key, as in join products on after.product_id");
  op->expr = eddy__parse_expr(p);
  op->u.join.grace = -1;
  if (eddy__parse_accept_word(p, "within")) {
    op->u.join.within = eddy__parse_duration(p, "a join window");
    if (eddy__parse_accept_word(p, "grace"))
      op->u.join.grace = eddy__parse_duration(p, "a grace period");
  }
}

static void parse_over(eddy_parser_t *p, eddy_ast_op_t *op) {
  op->kind = EDDY_OP_OVER;
  op->expr = eddy__parse_expr(p);
  if (eddy__parse_accept_word(p, "rows")) {
    op->u.over.rows = true;
    if (p->tok.kind != EDDY_TK_INT || p->tok.u.u < 1 || p->tok.u.u > 100000)
      eddy__parse_expected(p, "a row count (1 to 100000) after 'rows'");
    op->u.over.count = (int64_t)p->tok.u.u;
    eddy__parse_next(p);
  } else if (eddy__parse_accept_word(p, "range")) {
    op->u.over.range = eddy__parse_duration(p, "a time range");
  } else {
    eddy__parse_expected(p, "'rows <n> preceding' or 'range <duration> preceding' after the key");
  }
  eddy__parse_expect_word(p, "preceding", op->u.over.rows ? "after the row count"
                                                          : "after the range");
  if (eddy__parse_accept_word(p, "exclude")) {
    eddy__parse_expect_word(p, "current", "after 'exclude'");
    op->u.over.exclude_current = true;
  }
}

void eddy__parse_planned_op(eddy_parser_t *p, eddy_ast_op_t *op, const char *word) {
  if (strcmp(word, "group") == 0) {
    op->kind = EDDY_OP_GROUP_BY;
    eddy__parse_expect_word(p, "by", "after 'group'");
    parse_named_items(p, op, false);
  } else if (strcmp(word, "window") == 0) {
    parse_window(p, op);
  } else if (strcmp(word, "aggregate") == 0) {
    op->kind = EDDY_OP_AGGREGATE;
    parse_named_items(p, op, true);
  } else if (strcmp(word, "emit") == 0) {
    op->kind = EDDY_OP_EMIT;
    if (eddy__parse_accept_word(p, "final"))
      op->u.emit.final = true;
    else if (!eddy__parse_accept_word(p, "changes"))
      eddy__parse_expected(p, "'changes' or 'final' after 'emit'");
  } else if (strcmp(word, "join") == 0 || strcmp(word, "left") == 0 ||
             strcmp(word, "outer") == 0) {
    parse_join(p, op, word);
  } else if (strcmp(word, "over") == 0) {
    parse_over(p, op);
  } else if (strcmp(word, "dedupe") == 0) {
    op->kind = EDDY_OP_DEDUPE;
    eddy__parse_expect_word(p, "by", "after 'dedupe'");
    op->expr = eddy__parse_expr(p);
    eddy__parse_expect_word(p, "within", "and a duration after the dedupe key");
    op->u.within = eddy__parse_duration(p, "a duration");
  } else {
    op->kind = EDDY_OP_CHANGES;
    eddy__parse_expect_word(p, "of", "after 'changes'");
    op->expr = eddy__parse_expr(p);
  }
}
