/*
 * Statements: `app`, source declarations, `name = pipeline` and bare
 * pipelines; the operators of a pipeline. The language is free-form: a
 * statement ends where the next token cannot continue it (expressions never
 * continue with a name, and every statement starts with one).
 */
#include <string.h>

#include "dsl/parser.h"
#include "eddy/error.h"

static _Noreturn void fail_at(eddy_parser_t *p, uint32_t off, uint32_t len, const char *fmt,
                              const char *arg) {
  eddy__dsl_fail(p->c, EDDY_EPARSE, off, len, fmt, arg);
}

/* Kafka topic names: 1-249 of [A-Za-z0-9._-]. */
static eddy_ast_name_t parse_topic(eddy_parser_t *p) {
  eddy_ast_name_t t = eddy__parse_string(p, "a topic name string");
  size_t len = strlen(t.name);
  if (len == 0)
    fail_at(p, t.off, t.len, "%sempty topic name", "");
  if (len > 249)
    fail_at(p, t.off, t.len, "topic name too long (limit is 249 characters)%s", "");
  for (const char *s = t.name; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '.' || *s == '_' || *s == '-'))
      fail_at(p, t.off, t.len,
              "invalid topic name '%s' (use letters, digits, '.', '_' and '-')", t.name);
  return t;
}

static eddy_format_t parse_format(eddy_parser_t *p, const char *const *allowed,
                                  const eddy_format_t *values, const char *list) {
  const char *word = p->tok.kind == EDDY_TK_NAME ? eddy__lex_name(p->c, &p->tok) : "";
  eddy_suggest_t s;
  eddy__suggest_init(&s, word);
  for (size_t i = 0; allowed[i] != NULL; i++) {
    if (strcmp(word, allowed[i]) == 0) {
      eddy__parse_next(p);
      return values[i];
    }
    eddy__suggest_add(&s, allowed[i]);
  }
  if (p->tok.kind != EDDY_TK_NAME)
    eddy__parse_error(p, "expected a format (%s), found %s", list,
                      eddy__tok_describe(p->c, &p->tok));
  eddy__parse_error(p, "unknown format '%s'%s; expected %s", word, eddy__suggest_hint(p->c, &s),
                    list);
}

/* ---- source declarations ----------------------------------------------- */

typedef struct {
  const char *name;
  uint32_t off;   /* where it was first given; UINT32_MAX: not yet */
} option_seen_t;

static void once(eddy_parser_t *p, option_seen_t *seen) {
  if (seen->off != UINT32_MAX)
    eddy__parse_error(p, "option '%s' given twice (first at %s)", seen->name,
                      eddy__dsl_where(p->c, seen->off));
  seen->off = p->tok.off;
  eddy__parse_next(p);
}

static void parse_schema(eddy_parser_t *p, eddy_ast_source_t *src) {
  eddy_tok_t open = p->tok;
  eddy__parse_expect(p, EDDY_TK_LPAREN, "after 'schema'");
  uint32_t cap = 0;
  do {
    if (src->column_cnt == EDDY_DSL_MAX_LIST)
      eddy__parse_error(p, "too many columns (limit is %d)", EDDY_DSL_MAX_LIST);
    eddy_ast_column_t col = {.name = eddy__parse_name(p, "a column name")};
    col.type_off = p->tok.off;
    col.type = eddy__parse_type(p);
    col.type_len = p->prev_end - col.type_off;
    eddy__dsl_push(p->c, &src->columns, &src->column_cnt, &cap, &col, sizeof(col));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
  src->has_schema = true;
  src->schema_len = p->prev_end - src->schema_off;
}

static void parse_on_error(eddy_parser_t *p, eddy_ast_source_t *src) {
  eddy__parse_expect_word(p, "error", "after 'on'");
  if (eddy__parse_accept_word(p, "dlq"))
    src->on_error = EDDY_ON_ERROR_DLQ;
  else if (eddy__parse_accept_word(p, "skip"))
    src->on_error = EDDY_ON_ERROR_SKIP;
  else if (eddy__parse_accept_word(p, "fail"))
    src->on_error = EDDY_ON_ERROR_FAIL;
  else
    eddy__parse_expected(p, "dlq, skip or fail after 'on error'");
}

static void parse_decimal_mode(eddy_parser_t *p, eddy_ast_source_t *src) {
  if (eddy__parse_accept_word(p, "precise"))
    src->decimal_mode = EDDY_DECIMAL_PRECISE;
  else if (eddy__parse_accept_word(p, "double"))
    src->decimal_mode = EDDY_DECIMAL_DOUBLE;
  else if (eddy__parse_accept_word(p, "string"))
    src->decimal_mode = EDDY_DECIMAL_STRING;
  else
    eddy__parse_expected(p, "precise, double or string after 'decimal'");
}

static const char *const source_formats[] = {"debezium-json", "debezium-avro", "json", "avro",
                                             "string", NULL};
static const eddy_format_t source_format_values[] = {
    EDDY_FMT_DEBEZIUM_JSON, EDDY_FMT_DEBEZIUM_AVRO, EDDY_FMT_JSON, EDDY_FMT_AVRO,
    EDDY_FMT_STRING};

/* Options come in any order, each at most once; the first word that is not
 * an option ends the declaration. */
static void parse_source_options(eddy_parser_t *p, eddy_ast_source_t *src) {
  option_seen_t format = {"format", UINT32_MAX}, schema = {"schema", UINT32_MAX},
                key = {"key", UINT32_MAX}, etime = {"event-time", UINT32_MAX},
                on = {"on error", UINT32_MAX}, dec = {"decimal", UINT32_MAX};
  for (;;) {
    if (eddy__parse_check_word(p, "format")) {
      once(p, &format);
      src->format_off = p->tok.off;
      src->format = parse_format(p, source_formats, source_format_values,
                                 "debezium-json, debezium-avro, json, avro or string");
      src->has_format = true;
      src->format_len = p->prev_end - src->format_off;
    } else if (eddy__parse_check_word(p, "schema")) {
      src->schema_off = p->tok.off;
      once(p, &schema);
      parse_schema(p, src);
    } else if (eddy__parse_check_word(p, "key")) {
      once(p, &key);
      src->key = eddy__parse_expr(p);
    } else if (eddy__parse_check_word(p, "event-time")) {
      once(p, &etime);
      src->event_time = eddy__parse_expr(p);
    } else if (eddy__parse_check_word(p, "on")) {
      once(p, &on);
      parse_on_error(p, src);
    } else if (eddy__parse_check_word(p, "decimal")) {
      once(p, &dec);
      parse_decimal_mode(p, src);
    } else {
      return;
    }
  }
}

static void parse_source(eddy_parser_t *p, eddy_ast_stmt_t *st, eddy_source_kind_t kind) {
  eddy_ast_source_t *src = &st->source;
  src->kind = kind;
  if (kind == EDDY_SOURCE_GLOBAL_TABLE)
    eddy__parse_next(p);   /* global */
  eddy__parse_next(p);     /* stream | table */
  src->name = st->name = eddy__parse_name(p, kind == EDDY_SOURCE_STREAM ? "a stream name"
                                                                         : "a table name");
  eddy__parse_expect_word(p, "from", "and a topic after the name");
  uint32_t cap = 0;
  do {
    if (src->topic_cnt == EDDY_DSL_MAX_TOPICS)
      eddy__parse_error(p, "too many topics (limit is %d)", EDDY_DSL_MAX_TOPICS);
    eddy_ast_name_t t = parse_topic(p);
    eddy__dsl_push(p->c, &src->topics, &src->topic_cnt, &cap, &t, sizeof(t));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
  parse_source_options(p, src);
}

/* ---- operators --------------------------------------------------------- */

static void parse_item(eddy_parser_t *p, eddy_ast_item_t *it, bool stars) {
  it->off = p->tok.off;
  if (stars && eddy__parse_accept(p, EDDY_TK_STAR)) {
    it->kind = EDDY_SEL_ALL;
  } else if ((p->tok.kind == EDDY_TK_NAME || p->tok.kind == EDDY_TK_QNAME) &&
             eddy__parse_peek(p, 0)->kind == EDDY_TK_ASSIGN) {
    it->kind = EDDY_SEL_NAMED;
    it->name = eddy__parse_name(p, "a column name");
    eddy__parse_next(p);   /* = */
    it->expr = eddy__parse_expr(p);
  } else {
    it->kind = EDDY_SEL_EXPR;
    it->expr = eddy__parse_expr(p);
    if (stars && it->expr->kind == EDDY_X_FIELD && p->tok.kind == EDDY_TK_DOT) {
      it->kind = EDDY_SEL_PREFIX;
      it->name = (eddy_ast_name_t){it->expr->u.field.path, it->expr->off, it->expr->len};
      eddy__parse_next(p);
      eddy__parse_next(p);   /* .* */
    }
  }
  it->len = p->prev_end - it->off;
}

static void parse_items(eddy_parser_t *p, eddy_ast_op_t *op, bool stars, bool named_only) {
  uint32_t cap = 0;
  do {
    if (op->item_cnt == EDDY_DSL_MAX_LIST)
      eddy__parse_error(p, "too many columns (limit is %d)", EDDY_DSL_MAX_LIST);
    if (named_only && (!(p->tok.kind == EDDY_TK_NAME || p->tok.kind == EDDY_TK_QNAME) ||
                       eddy__parse_peek(p, 0)->kind != EDDY_TK_ASSIGN))
      eddy__parse_expected(p, "'<name> = <aggregate>'");
    eddy_ast_item_t it = {0};
    parse_item(p, &it, stars);
    eddy__dsl_push(p->c, &op->items, &op->item_cnt, &cap, &it, sizeof(it));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
}

static void parse_names(eddy_parser_t *p, eddy_ast_op_t *op, const char *what) {
  uint32_t cap = 0;
  do {
    if (op->name_cnt == EDDY_DSL_MAX_LIST)
      eddy__parse_error(p, "too many names (limit is %d)", EDDY_DSL_MAX_LIST);
    eddy_ast_name_t n = eddy__parse_name(p, what);
    eddy__dsl_push(p->c, &op->names, &op->name_cnt, &cap, &n, sizeof(n));
  } while (eddy__parse_accept(p, EDDY_TK_COMMA));
}

static void parse_check(eddy_parser_t *p, eddy_ast_op_t *op) {
  op->expr = eddy__parse_expr(p);
  eddy__parse_expect_word(p, "else", "and a reason string after the condition");
  eddy_ast_name_t reason = eddy__parse_string(p, "a reason string after 'else'");
  op->text = reason.name;
  op->text_off = reason.off;
  op->text_len = reason.len;
}

static const char *const sink_formats[] = {"json", "avro", "string", NULL};
static const eddy_format_t sink_format_values[] = {EDDY_FMT_JSON, EDDY_FMT_AVRO, EDDY_FMT_STRING};

static void parse_to_kafka(eddy_parser_t *p, eddy_ast_op_t *op) {
  op->kind = EDDY_OP_TO_KAFKA;
  eddy_ast_name_t topic = parse_topic(p);
  op->text = topic.name;
  op->text_off = topic.off;
  op->text_len = topic.len;
  op->format = EDDY_FMT_JSON;
  option_seen_t format = {"format", UINT32_MAX}, key = {"key", UINT32_MAX};
  for (;;) {
    if (eddy__parse_check_word(p, "format")) {
      once(p, &format);
      op->has_format = true;
      op->format = parse_format(p, sink_formats, sink_format_values, "json, avro or string");
    } else if (eddy__parse_check_word(p, "key")) {
      once(p, &key);
      op->key = eddy__parse_expr(p);
    } else {
      return;
    }
  }
}

static void parse_to_postgres(eddy_parser_t *p, eddy_ast_op_t *op) {
  op->kind = EDDY_OP_TO_POSTGRES;
  op->target = eddy__parse_name(p, "a table name");
  if (eddy__parse_accept(p, EDDY_TK_DOT)) {   /* schema.table */
    eddy_ast_name_t t = eddy__parse_name(p, "a table name after '.'");
    op->target.name = eddy__dsl_printf(p->c, "%s.%s", op->target.name, t.name);
    op->target.len = p->prev_end - op->target.off;
  }
  eddy__parse_expect_word(p, "key", "and the key columns, as in key (id)");
  eddy_tok_t open = p->tok;
  eddy__parse_expect(p, EDDY_TK_LPAREN, "before the key columns");
  parse_names(p, op, "a key column name");
  eddy__parse_expect_closing(p, EDDY_TK_RPAREN, &open);
}

static void parse_to(eddy_parser_t *p, eddy_ast_op_t *op) {
  if (eddy__parse_accept_word(p, "kafka")) {
    parse_to_kafka(p, op);
  } else if (eddy__parse_accept_word(p, "stdout")) {
    op->kind = EDDY_OP_TO_STDOUT;
    op->format = EDDY_FMT_JSON;
    if (eddy__parse_accept_word(p, "format")) {
      static const char *const json_only[] = {"json", NULL};
      static const eddy_format_t json_value[] = {EDDY_FMT_JSON};
      op->has_format = true;
      op->format = parse_format(p, json_only, json_value, "json");
    }
  } else if (eddy__parse_accept_word(p, "postgres")) {
    parse_to_postgres(p, op);
  } else {
    eddy__parse_expected(p, "kafka, stdout or postgres after 'to'");
  }
}

static const char *const operator_words[] = {
    "where", "select", "flatten", "key", "merge", "check", "to", "group", "window",
    "aggregate", "emit", "join", "left", "outer", "over", "dedupe", "changes", NULL,
};

static void parse_operator_word(eddy_parser_t *p, eddy_ast_op_t *op, const char *word) {
  if (strcmp(word, "where") == 0) {
    op->kind = EDDY_OP_WHERE;
    op->expr = eddy__parse_expr(p);
  } else if (strcmp(word, "select") == 0) {
    op->kind = EDDY_OP_SELECT;
    parse_items(p, op, true, false);
  } else if (strcmp(word, "flatten") == 0) {
    op->kind = EDDY_OP_FLATTEN;
    op->expr = eddy__parse_expr(p);
    eddy__parse_expect_word(p, "as", "and a name for the element, as in flatten items as item");
    op->target = eddy__parse_name(p, "a name for the element");
  } else if (strcmp(word, "key") == 0) {
    op->kind = EDDY_OP_KEY_BY;
    eddy__parse_expect_word(p, "by", "after 'key'");
    op->expr = eddy__parse_expr(p);
  } else if (strcmp(word, "merge") == 0) {
    op->kind = EDDY_OP_MERGE;
    parse_names(p, op, "a stream name");
  } else if (strcmp(word, "check") == 0) {
    op->kind = EDDY_OP_CHECK;
    parse_check(p, op);
  } else if (strcmp(word, "to") == 0) {
    parse_to(p, op);
  } else {
    eddy__parse_planned_op(p, op, word);
  }
}

static void parse_operator(eddy_parser_t *p, eddy_ast_op_t *op) {
  op->off = p->tok.off;
  const char *word = p->tok.kind == EDDY_TK_NAME ? eddy__lex_name(p->c, &p->tok) : "";
  bool known = false;
  eddy_suggest_t s;
  eddy__suggest_init(&s, word);
  for (const char *const *w = operator_words; *w != NULL; w++) {
    known |= strcmp(*w, word) == 0;
    eddy__suggest_add(&s, *w);
  }
  if (p->tok.kind != EDDY_TK_NAME)
    eddy__parse_expected(p, "an operator after '|'");
  if (!known)
    eddy__parse_error(p, "unknown operator '%s'%s", word, eddy__suggest_hint(p->c, &s));
  eddy__parse_next(p);
  parse_operator_word(p, op, word);
  op->len = p->prev_end - op->off;
}

static void parse_pipeline(eddy_parser_t *p, eddy_ast_pipeline_t *pl) {
  pl->off = p->tok.off;
  pl->input = eddy__parse_name(p, "a stream name");
  uint32_t cap = 0;
  while (eddy__parse_accept(p, EDDY_TK_PIPE)) {
    if (pl->op_cnt == EDDY_DSL_MAX_OPERATORS)
      eddy__parse_error(p, "too many operators in one pipeline (limit is %d)",
                        EDDY_DSL_MAX_OPERATORS);
    eddy_ast_op_t op = {0};
    parse_operator(p, &op);
    eddy__dsl_push(p->c, &pl->ops, &pl->op_cnt, &cap, &op, sizeof(op));
  }
  pl->len = p->prev_end - pl->off;
}

/* ---- statements -------------------------------------------------------- */

static bool declares(eddy_parser_t *p, const char *word) {
  if (!eddy__parse_check_word(p, word))
    return false;
  eddy_tok_kind_t next = eddy__parse_peek(p, 0)->kind;
  return next == EDDY_TK_NAME || next == EDDY_TK_QNAME || next == EDDY_TK_STRING;
}

static void parse_statement(eddy_parser_t *p, eddy_ast_stmt_t *st) {
  st->off = p->tok.off;
  if (declares(p, "app")) {
    st->kind = EDDY_STMT_APP;
    eddy__parse_next(p);
    st->name = p->tok.kind == EDDY_TK_STRING ? eddy__parse_string(p, "an application id")
                                             : eddy__parse_name(p, "an application id");
  } else if (declares(p, "stream")) {
    st->kind = EDDY_STMT_SOURCE;
    parse_source(p, st, EDDY_SOURCE_STREAM);
  } else if (declares(p, "table")) {
    st->kind = EDDY_STMT_SOURCE;
    parse_source(p, st, EDDY_SOURCE_TABLE);
  } else if (eddy__parse_check_word(p, "global") &&
             eddy__tok_is(p->c, eddy__parse_peek(p, 0), "table")) {
    st->kind = EDDY_STMT_SOURCE;
    parse_source(p, st, EDDY_SOURCE_GLOBAL_TABLE);
  } else if ((p->tok.kind == EDDY_TK_NAME || p->tok.kind == EDDY_TK_QNAME) &&
             eddy__parse_peek(p, 0)->kind == EDDY_TK_ASSIGN) {
    st->kind = EDDY_STMT_ASSIGN;
    st->name = eddy__parse_name(p, "a stream name");
    eddy__parse_next(p);   /* = */
    parse_pipeline(p, &st->pipeline);
  } else if (p->tok.kind == EDDY_TK_NAME || p->tok.kind == EDDY_TK_QNAME) {
    st->kind = EDDY_STMT_PIPELINE;
    parse_pipeline(p, &st->pipeline);
  } else {
    eddy__parse_expected(p, "a statement (app, stream, table or a pipeline)");
  }
  st->len = p->prev_end - st->off;
}

void eddy__parse_program(eddy_dsl_t *c, eddy_ast_program_t *out) {
  eddy_parser_t p;
  eddy__parse_init(&p, c);
  memset(out, 0, sizeof(*out));
  uint32_t cap = 0;
  while (p.tok.kind != EDDY_TK_EOF) {
    if (out->stmt_cnt == EDDY_DSL_MAX_STATEMENTS)
      eddy__parse_error(&p, "too many statements (limit is %d)", EDDY_DSL_MAX_STATEMENTS);
    eddy_ast_stmt_t st = {0};
    parse_statement(&p, &st);
    eddy__dsl_push(c, &out->stmts, &out->stmt_cnt, &cap, &st, sizeof(st));
  }
}
