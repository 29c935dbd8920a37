/*
 * The DSL parser: expression precedence and shapes (printed as
 * S-expressions by a printer written here, independent of the library's
 * formatter), statements and operators, planned operators, nesting limits.
 * test_parser_fuzz.c feeds it garbage.
 */
#include <setjmp.h>

#include "dsl/parser.h"
#include "eddy/error.h"
#include "eddy_test.h"

typedef struct {
  eddy_arena_t *arena;
  eddy_dsl_t c;
  eddy_ast_program_t prog;
  char diag[1024];
} fixture_t;

static void capture(void *opaque, const eddy_diag_t *d) {
  snprintf(opaque, 1024, "%u:%u: %s", d->line, d->col, d->message);
}

static int parse(fixture_t *f, const char *text) {
  memset(f, 0, sizeof(*f));
  f->arena = eddy_arena_new(4096);
  ASSERT_OK(eddy__dsl_init(&f->c, f->arena, "t.eddy", text, strlen(text), capture, f->diag));
  jmp_buf bail;
  f->c.bail = &bail;
  if (setjmp(bail) != 0)
    return f->c.error;
  eddy__parse_program(&f->c, &f->prog);
  return 0;
}

static void done(fixture_t *f) { eddy_arena_destroy(f->arena); }

/* ---- an independent S-expression printer ------------------------------- */

static const char *const op_names[EDDY_X__COUNT] = {
    [EDDY_X_NEG] = "neg", [EDDY_X_NOT] = "not", [EDDY_X_IS_NULL] = "is-null",
    [EDDY_X_IS_NOT_NULL] = "is-not-null", [EDDY_X_ADD] = "+", [EDDY_X_SUB] = "-",
    [EDDY_X_MUL] = "*", [EDDY_X_DIV] = "/", [EDDY_X_MOD] = "%", [EDDY_X_EQ] = "==",
    [EDDY_X_NE] = "!=", [EDDY_X_LT] = "<", [EDDY_X_LE] = "<=", [EDDY_X_GT] = ">",
    [EDDY_X_GE] = ">=", [EDDY_X_AND] = "and", [EDDY_X_OR] = "or", [EDDY_X_IN] = "in",
    [EDDY_X_NOT_IN] = "not-in",
};

static void sexpr(const eddy_expr_t *e, eddy_buf_t *b);

static void sexpr_list(const char *head, eddy_expr_t *const *items, uint32_t cnt, eddy_buf_t *b) {
  eddy_buf_printf(b, "(%s", head);
  for (uint32_t i = 0; i < cnt; i++) {
    eddy_buf_putc(b, ' ');
    sexpr(items[i], b);
  }
  eddy_buf_putc(b, ')');
}

static void sexpr_literal(const eddy_value_t *v, eddy_buf_t *b) {
  char buf[64];
  switch (v->kind) {
  case EDDY_T_NULL: eddy_buf_puts(b, "null"); break;
  case EDDY_T_BOOL: eddy_buf_puts(b, v->u.b ? "true" : "false"); break;
  case EDDY_T_INT: eddy_buf_printf(b, "%lld", (long long)v->u.i); break;
  case EDDY_T_DOUBLE: eddy_buf_printf(b, "%gd", v->u.d); break;
  case EDDY_T_DURATION: eddy_buf_printf(b, "%lldus", (long long)v->u.i); break;
  case EDDY_T_TIMESTAMP: eddy_buf_printf(b, "ts:%lld", (long long)v->u.i); break;
  case EDDY_T_STRING: eddy_buf_printf(b, "'%.*s'", (int)v->len, v->u.s); break;
  case EDDY_T_DECIMAL: {
    /* unscaled value and scale, printed without the library's decimal code */
    eddy_i128 u = v->u.dec;
    bool neg = u < 0;
    int n = 0;
    char digits[48];
    do {
      eddy_i128 q = u / 10;
      int d = (int)(u - q * 10);
      digits[n++] = (char)('0' + (d < 0 ? -d : d));
      u = q;
    } while (u != 0);
    int k = 0;
    if (neg)
      buf[k++] = '-';
    while (n > 0)
      buf[k++] = digits[--n];
    buf[k] = '\0';
    eddy_buf_printf(b, "%se-%d", buf, v->scale);
    break;
  }
  default: eddy_buf_puts(b, "?"); break;
  }
}

static void sexpr(const eddy_expr_t *e, eddy_buf_t *b) {
  switch (e->kind) {
  case EDDY_X_LITERAL: sexpr_literal(&e->u.lit, b); return;
  case EDDY_X_FIELD: eddy_buf_puts(b, e->u.field.path); return;
  case EDDY_X_KEY: eddy_buf_puts(b, "KEY"); return;
  case EDDY_X_ROWTIME: eddy_buf_puts(b, "ROWTIME"); return;
  case EDDY_X_HEADER: eddy_buf_printf(b, "(header %s)", e->u.header.name); return;
  case EDDY_X_CASE:
    eddy_buf_puts(b, "(case");
    for (uint32_t i = 0; i < e->u.case_.cnt; i++) {
      eddy_buf_puts(b, " ");
      sexpr(e->u.case_.when[i], b);
      eddy_buf_puts(b, " ");
      sexpr(e->u.case_.then[i], b);
    }
    if (e->u.case_.els) {
      eddy_buf_puts(b, " else ");
      sexpr(e->u.case_.els, b);
    }
    eddy_buf_putc(b, ')');
    return;
  case EDDY_X_CALL: sexpr_list(e->u.call.name, e->u.call.args, e->u.call.argc, b); return;
  case EDDY_X_CAST: {
    char t[64];
    eddy_type_format(&e->type, t, sizeof(t));
    eddy_buf_puts(b, "(cast ");
    sexpr(e->u.cast.arg, b);
    eddy_buf_printf(b, " %s)", t);
    return;
  }
  case EDDY_X_MEMBER:
    eddy_buf_puts(b, "(. ");
    sexpr(e->u.member.arg, b);
    eddy_buf_printf(b, " %s)", e->u.member.name);
    return;
  case EDDY_X_INDEX:
    eddy_buf_puts(b, "([] ");
    sexpr(e->u.index.arg, b);
    eddy_buf_putc(b, ' ');
    sexpr(e->u.index.index, b);
    eddy_buf_putc(b, ')');
    return;
  case EDDY_X_IN:
  case EDDY_X_NOT_IN:
    eddy_buf_printf(b, "(%s ", op_names[e->kind]);
    sexpr(e->u.in.arg, b);
    for (uint32_t i = 0; i < e->u.in.cnt; i++) {
      eddy_buf_puts(b, i == 0 ? " (" : " ");
      sexpr(e->u.in.items[i], b);
    }
    eddy_buf_puts(b, "))");
    return;
  case EDDY_X_NEG:
  case EDDY_X_NOT:
  case EDDY_X_IS_NULL:
  case EDDY_X_IS_NOT_NULL:
    eddy_buf_printf(b, "(%s ", op_names[e->kind]);
    sexpr(e->u.un.arg, b);
    eddy_buf_putc(b, ')');
    return;
  default:
    eddy_buf_printf(b, "(%s ", op_names[e->kind]);
    sexpr(e->u.bin.lhs, b);
    eddy_buf_putc(b, ' ');
    sexpr(e->u.bin.rhs, b);
    eddy_buf_putc(b, ')');
    return;
  }
}

/* Parse `s | where <expr>` and print the expression (or "error: <diag>"). */
static const char *expr(const char *text) {
  static char out[2048];
  char program[1024];
  snprintf(program, sizeof(program), "s | where %s", text);
  fixture_t f;
  if (parse(&f, program) != 0) {
    snprintf(out, sizeof(out), "error: %s", f.diag);
  } else {
    eddy_buf_t b = {0};
    const eddy_ast_pipeline_t *pl = &f.prog.stmts[0].pipeline;
    ASSERT_EQ(1, f.prog.stmt_cnt);
    ASSERT_EQ(1, pl->op_cnt);
    sexpr(pl->ops[0].expr, &b);
    snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p);
    eddy_buf_free(&b);
  }
  done(&f);
  return out;
}

EDDY_TEST(parser_precedence) {
  ASSERT_STR_EQ("(or a (and b c))", expr("a or b and c"));
  ASSERT_STR_EQ("(or (and a b) c)", expr("a and b or c"));
  ASSERT_STR_EQ("(not (== a b))", expr("not a == b"));
  ASSERT_STR_EQ("(and (not a) (not b))", expr("not a and not b"));
  ASSERT_STR_EQ("(not (not a))", expr("not not a"));
  ASSERT_STR_EQ("(== (+ a (* b c)) d)", expr("a + b * c == d"));
  ASSERT_STR_EQ("(- (- a b) c)", expr("a - b - c"));
  ASSERT_STR_EQ("(% (/ (* a b) c) d)", expr("a * b / c % d"));
  ASSERT_STR_EQ("(* (+ a b) c)", expr("(a + b) * c"));
  ASSERT_STR_EQ("(* (neg a.b) c)", expr("-a.b * c"));
  ASSERT_STR_EQ("(- a b)", expr("a-b"));   /* not a hyphenated word */
  ASSERT_STR_EQ("(and (is-null a) (is-not-null (+ b 1)))", expr("a is null and b + 1 is not null"));
  ASSERT_STR_EQ("(or (in a (1 2 3)) (not-in b ('x')))", expr("a in (1, 2, 3) or b not in (\"x\")"));
  ASSERT_STR_EQ("(not (in a (1)))", expr("not a in (1)"));
  ASSERT_STR_EQ("(<= a b)", expr("a <= b"));
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(parser_primaries) {
  ASSERT_STR_EQ("(== after.amount 1250e-2)", expr("after.amount == 12.50"));
  ASSERT_STR_EQ("-1250e-2", expr("-12.50"));
  ASSERT_STR_EQ("-9223372036854775808", expr("-9223372036854775808"));
  ASSERT_STR_EQ("5", expr("- -5"));   /* both minus signs fold into the literal */
  ASSERT_STR_EQ("(neg (neg a))", expr("- -a"));
  ASSERT_STR_EQ("-1500d", expr("-1.5e3"));
  ASSERT_STR_EQ("(+ 500000us 30000000us)", expr("500ms + 30s"));
  ASSERT_STR_EQ("(and true (or false null))", expr("true and (false or null)"));
  ASSERT_STR_EQ("(== (header trace-id) 'a\"b')", expr("headers[\"trace-id\"] == \"a\\\"b\""));
  ASSERT_STR_EQ("(> ROWTIME ts:1704067200000000)", expr("rowtime > timestamp \"2024-01-01T00:00:00Z\""));
  ASSERT_STR_EQ("(== KEY 'k')", expr("key == \"k\""));
  ASSERT_STR_EQ("(. KEY id)", expr("key.id"));
  ASSERT_STR_EQ("(. ([] a.items 0) sku)", expr("a.items[0].sku"));
  ASSERT_STR_EQ("(. (f x) y)", expr("f(x).y"));
  ASSERT_STR_EQ("(round (* a 12e-1) 2)", expr("round(a * 1.2, 2)"));
  ASSERT_STR_EQ("(count)", expr("count()"));
  ASSERT_STR_EQ("(cast a decimal(10,2))", expr("cast(a as decimal(10,2))"));
  ASSERT_STR_EQ("(cast a array<struct<x int, y string>>)",
                expr("cast(a as array<struct<x int, y string>>)"));
  ASSERT_STR_EQ("(case (> a 1) 'big' (> a 0) 'small' else 'none')",
                expr("case when a > 1 then \"big\" when a > 0 then \"small\" else \"none\" end"));
  ASSERT_STR_EQ("(case a 1)", expr("case when a then 1 end"));
  ASSERT_STR_EQ("after.end", expr("after.end"));          /* reserved words after a dot */
  ASSERT_STR_EQ("order date.x", expr("`order date`.x"));
  ASSERT_STR_EQ("(== timestamp 1)", expr("timestamp == 1")); /* a field named timestamp */
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(parser_expression_errors) {
  ASSERT_STR_EQ("error: 1:17: comparisons cannot be chained; combine them with 'and'",
                expr("a < b < c"));
  ASSERT_STR_EQ("error: 1:13: unexpected '=' in an expression (use '==' to compare)",
                expr("a = 1"));
  ASSERT_STR_EQ("error: 1:17: expected ')' to close '(' at 1:11, found end of file", expr("(a + b"));
  ASSERT_STR_EQ("error: 1:11: expected an expression, found 'and'", expr("and"));
  ASSERT_STR_EQ("error: 1:15: 'not' needs parentheses here, as in a and (not b)", expr("a + not b"));
  ASSERT_STR_EQ("error: 1:23: expected 'then' after the 'when' condition, found '1'",
                expr("case when a 1 end"));
  ASSERT_STR_EQ("error: 1:16: expected 'when' after 'case', found 'end'", expr("case end"));
  ASSERT_STR_EQ("error: 1:18: expected 'as' and a type in cast(<expr> as <type>), found 'int'",
                expr("cast(a int)"));
  ASSERT_STR_EQ("error: 1:21: unknown type 'integer'", expr("cast(a as integer)"));
  ASSERT_STR_EQ("error: 1:21: unknown type 'strin' (did you mean 'string'?)",
                expr("cast(a as strin)"));
  ASSERT_STR_EQ("error: 1:21: invalid timestamp string \"yesterday\" (expected ISO-8601 such as "
                "\"2024-01-01T00:00:00Z\")", expr("timestamp \"yesterday\""));
  ASSERT_STR_EQ("error: 1:13: expected a field name after '.', found '1'", expr("a.1"));
  ASSERT_STR_EQ("error: 1:19: expected a header name string, as in headers[\"x\"], found 'x'",
                expr("headers[x]"));
  EDDY_ASSERT_NO_LEAKS();
}

static const eddy_ast_program_t *program(fixture_t *f, const char *text) {
  if (parse(f, text) != 0)
    eddy_test_fail(__FILE__, __LINE__, "parse failed: %s", f->diag);
  return &f->prog;
}

EDDY_TEST(parser_source_declarations) {
  fixture_t f;
  const eddy_ast_program_t *p = program(&f,
      "app shop\n"
      "stream orders from \"a.orders\", \"b.orders\" on error skip decimal string\n"
      "  event-time after.ts format debezium-json key after.id\n"
      "  schema (id int, amount decimal(10,2), ts timestamp(3), d date, tags array<string>)\n"
      "global table products from \"p\" format json schema (id bigint) key id\n"
      "table t from \"t\" format avro schema (s struct<a int, b bool>) key s.a\n"
      "app \"my-app\"\n");
  ASSERT_EQ(5, p->stmt_cnt);
  ASSERT_EQ(EDDY_STMT_APP, p->stmts[0].kind);
  ASSERT_STR_EQ("shop", p->stmts[0].name.name);
  const eddy_ast_source_t *s = &p->stmts[1].source;
  ASSERT_EQ(EDDY_SOURCE_STREAM, s->kind);
  ASSERT_STR_EQ("orders", s->name.name);
  ASSERT_EQ(2, s->topic_cnt);
  ASSERT_STR_EQ("b.orders", s->topics[1].name);
  ASSERT_EQ(EDDY_ON_ERROR_SKIP, s->on_error);
  ASSERT_EQ(EDDY_DECIMAL_STRING, s->decimal_mode);
  ASSERT_EQ(EDDY_FMT_DEBEZIUM_JSON, s->format);
  ASSERT_EQ(5, s->column_cnt);
  ASSERT_EQ(EDDY_T_DECIMAL, s->columns[1].type.kind);
  ASSERT_EQ(10, s->columns[1].type.precision);
  ASSERT_EQ(2, s->columns[1].type.scale);
  ASSERT_EQ(EDDY_T_TIMESTAMP, s->columns[2].type.kind);
  ASSERT_EQ(3, s->columns[2].type.scale);
  ASSERT_EQ(1, s->columns[3].type.precision);   /* date */
  ASSERT_EQ(EDDY_T_ARRAY, s->columns[4].type.kind);
  ASSERT_EQ(EDDY_T_STRING, s->columns[4].type.elem->kind);
  ASSERT_STR_EQ("after.ts", s->event_time->u.field.path);
  ASSERT_STR_EQ("after.id", s->key->u.field.path);
  ASSERT_EQ(EDDY_SOURCE_GLOBAL_TABLE, p->stmts[2].source.kind);
  ASSERT_EQ(EDDY_T_INT, p->stmts[2].source.columns[0].type.kind);
  ASSERT_EQ(EDDY_SOURCE_TABLE, p->stmts[3].source.kind);
  ASSERT_EQ(EDDY_FMT_AVRO, p->stmts[3].source.format);
  ASSERT_EQ(2, p->stmts[3].source.columns[0].type.fields->cnt);
  ASSERT_STR_EQ("my-app", p->stmts[4].name.name);
  done(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(parser_pipelines_and_operators) {
  fixture_t f;
  const eddy_ast_program_t *p = program(&f,
      "x = s | where a > 1 | select *, after.*, n = a + 1, b.c, key\n"
      "  | flatten items as item | key by item.id | merge y, z\n"
      "  | check a > 0 else \"bad\"\n"
      "x | to kafka \"out\" key id format avro\n"
      "x | to stdout format json\n"
      "x | to postgres public.t key (a, b)\n"
      "stream = stream | to stdout\n");
  ASSERT_EQ(5, p->stmt_cnt);
  const eddy_ast_stmt_t *st = &p->stmts[0];
  ASSERT_EQ(EDDY_STMT_ASSIGN, st->kind);
  ASSERT_STR_EQ("x", st->name.name);
  ASSERT_STR_EQ("s", st->pipeline.input.name);
  ASSERT_EQ(6, st->pipeline.op_cnt);
  const eddy_ast_op_t *sel = &st->pipeline.ops[1];
  ASSERT_EQ(EDDY_OP_SELECT, sel->kind);
  ASSERT_EQ(5, sel->item_cnt);
  ASSERT_EQ(EDDY_SEL_ALL, sel->items[0].kind);
  ASSERT_EQ(EDDY_SEL_PREFIX, sel->items[1].kind);
  ASSERT_STR_EQ("after", sel->items[1].name.name);
  ASSERT_EQ(EDDY_SEL_NAMED, sel->items[2].kind);
  ASSERT_STR_EQ("n", sel->items[2].name.name);
  ASSERT_EQ(EDDY_SEL_EXPR, sel->items[3].kind);
  ASSERT_STR_EQ("b.c", sel->items[3].expr->u.field.path);
  ASSERT_EQ(EDDY_X_KEY, sel->items[4].expr->kind);
  ASSERT_EQ(EDDY_OP_FLATTEN, st->pipeline.ops[2].kind);
  ASSERT_STR_EQ("item", st->pipeline.ops[2].target.name);
  ASSERT_EQ(EDDY_OP_KEY_BY, st->pipeline.ops[3].kind);
  ASSERT_EQ(EDDY_OP_MERGE, st->pipeline.ops[4].kind);
  ASSERT_EQ(2, st->pipeline.ops[4].name_cnt);
  ASSERT_STR_EQ("z", st->pipeline.ops[4].names[1].name);
  ASSERT_EQ(EDDY_OP_CHECK, st->pipeline.ops[5].kind);
  ASSERT_STR_EQ("bad", st->pipeline.ops[5].text);
  const eddy_ast_op_t *k = &p->stmts[1].pipeline.ops[0];
  ASSERT_EQ(EDDY_STMT_PIPELINE, p->stmts[1].kind);
  ASSERT_EQ(EDDY_OP_TO_KAFKA, k->kind);
  ASSERT_STR_EQ("out", k->text);
  ASSERT_EQ(EDDY_FMT_AVRO, k->format);
  ASSERT_STR_EQ("id", k->key->u.field.path);
  ASSERT_EQ(EDDY_OP_TO_STDOUT, p->stmts[2].pipeline.ops[0].kind);
  const eddy_ast_op_t *pg = &p->stmts[3].pipeline.ops[0];
  ASSERT_STR_EQ("public.t", pg->target.name);
  ASSERT_EQ(2, pg->name_cnt);
  ASSERT_STR_EQ("stream", p->stmts[4].name.name);   /* keywords are contextual */
  ASSERT_EQ(EDDY_STMT_ASSIGN, p->stmts[4].kind);
  /* spans: the operator covers its text */
  ASSERT_EQ(0, memcmp(f.c.src.text + sel->off, "select", 6));
  done(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(parser_planned_operators) {
  fixture_t f;
  const eddy_ast_program_t *p = program(&f,
      "s | group by user_id, c = lower(category)\n"
      "  | window hopping 5m advance 1m grace 30s\n"
      "  | aggregate total = sum(amount), n = count()\n"
      "  | emit final\n"
      "  | left join products on after.product_id\n"
      "  | join payments on order_id within 10m grace 1m\n"
      "  | over user_id rows 50 preceding exclude current\n"
      "  | over user_id range 60s preceding\n"
      "  | dedupe by event_id within 1h\n"
      "  | changes of level\n"
      "  | window session gap 30m | window tumbling 1h | window sliding 5m\n"
      "  | to stdout\n");
  const eddy_ast_op_t *ops = p->stmts[0].pipeline.ops;
  ASSERT_EQ(14, p->stmts[0].pipeline.op_cnt);
  ASSERT_EQ(EDDY_OP_GROUP_BY, ops[0].kind);
  ASSERT_EQ(2, ops[0].item_cnt);
  ASSERT_STR_EQ("c", ops[0].items[1].name.name);
  ASSERT_EQ(EDDY_OP_WINDOW, ops[1].kind);
  ASSERT_EQ(EDDY_WINDOW_HOPPING, ops[1].u.window.kind);
  ASSERT_EQ(5 * EDDY_MIN, ops[1].u.window.size);
  ASSERT_EQ(EDDY_MIN, ops[1].u.window.advance);
  ASSERT_EQ(30 * EDDY_SEC, ops[1].u.window.grace);
  ASSERT_EQ(EDDY_OP_AGGREGATE, ops[2].kind);
  ASSERT_EQ(2, ops[2].item_cnt);
  ASSERT_TRUE(ops[3].u.emit.final);
  ASSERT_EQ(EDDY_JOIN_LEFT, ops[4].u.join.kind);
  ASSERT_STR_EQ("products", ops[4].target.name);
  ASSERT_EQ(0, ops[4].u.join.within);
  ASSERT_EQ(EDDY_JOIN_INNER, ops[5].u.join.kind);
  ASSERT_EQ(10 * EDDY_MIN, ops[5].u.join.within);
  ASSERT_EQ(EDDY_MIN, ops[5].u.join.grace);
  ASSERT_TRUE(ops[6].u.over.rows);
  ASSERT_EQ(50, ops[6].u.over.count);
  ASSERT_TRUE(ops[6].u.over.exclude_current);
  ASSERT_FALSE(ops[7].u.over.rows);
  ASSERT_EQ(60 * EDDY_SEC, ops[7].u.over.range);
  ASSERT_FALSE(ops[7].u.over.exclude_current);
  ASSERT_EQ(EDDY_OP_DEDUPE, ops[8].kind);
  ASSERT_EQ(EDDY_HOUR, ops[8].u.within);
  ASSERT_EQ(EDDY_OP_CHANGES, ops[9].kind);
  ASSERT_EQ(EDDY_WINDOW_SESSION, ops[10].u.window.kind);
  ASSERT_EQ(30 * EDDY_MIN, ops[10].u.window.size);
  ASSERT_EQ(-1, ops[10].u.window.grace);
  ASSERT_EQ(EDDY_WINDOW_TUMBLING, ops[11].u.window.kind);
  ASSERT_EQ(EDDY_WINDOW_SLIDING, ops[12].u.window.kind);
  done(&f);
  EDDY_ASSERT_NO_LEAKS();
}

static const char *parse_error(const char *text) {
  static char out[1024];
  fixture_t f;
  int rc = parse(&f, text);
  snprintf(out, sizeof(out), "%s", rc == 0 ? "ok" : f.diag);
  done(&f);
  return out;
}

EDDY_TEST(parser_statement_errors) {
  ASSERT_STR_EQ("1:1: expected a statement (app, stream, table or a pipeline), found '('",
                parse_error("(a)"));
  ASSERT_STR_EQ("1:25: option 'key' given twice (first at 1:19)",
                parse_error("stream s from \"t\" key a key b"));
  ASSERT_STR_EQ("1:28: expected dlq, skip or fail after 'on error', found 'ignore'",
                parse_error("stream s from \"t\" on error ignore"));
  ASSERT_STR_EQ("1:5: unknown operator 'selct' (did you mean 'select'?)",
                parse_error("s | selct a"));
  ASSERT_STR_EQ("1:14: expected 'as' and a name for the element, as in flatten items as item, "
                "found end of file", parse_error("s | flatten x"));
  ASSERT_STR_EQ("1:28: expected '<name> = <aggregate>', found 'sum'",
                parse_error("s | aggregate n = count(), sum(a)"));
  ASSERT_STR_EQ("1:10: expected 'changes' or 'final' after 'emit', found 'all'",
                parse_error("s | emit all"));
  ASSERT_STR_EQ("1:10: expected 'join' after 'left', found 'products'",
                parse_error("s | left products on id"));
  ASSERT_STR_EQ("1:18: expected a row count (1 to 100000) after 'rows', found '0'",
                parse_error("s | over id rows 0 preceding"));
  ASSERT_STR_EQ("1:14: empty topic name", parse_error("s | to kafka \"\""));
  ASSERT_STR_EQ("1:14: expected 'from' and a topic after the name, found end of file",
                parse_error("stream orders"));
  ASSERT_STR_EQ("ok", parse_error("stream orders from \"t\"\n# done\n"));
  EDDY_ASSERT_NO_LEAKS();
}

/* Build text of \p depth nested constructs around x. */
static char *nested(const char *open, const char *close, int depth) {
  size_t lo = strlen(open), lc = strlen(close);
  char *s = eddy_malloc(10 + depth * (lo + lc) + 2);   /* prefix, openers, x, closers, NUL */
  char *p = s;
  p += sprintf(p, "s | where ");
  for (int i = 0; i < depth; i++)
    p += sprintf(p, "%s", open);
  *p++ = 'x';
  for (int i = 0; i < depth; i++)
    p += sprintf(p, "%s", close);
  *p = '\0';
  return s;
}

EDDY_TEST(parser_nesting_limit) {
  static const struct { const char *open, *close; } forms[] = {
      {"(", ")"}, {"-", ""}, {"not ", ""}, {"f(", ")"}, {"a[", "]"},
      {"case when ", " then 1 end"}, {"cast(", " as int)"},
  };
  for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
    char *ok = nested(forms[i].open, forms[i].close, 150);
    char *deep = nested(forms[i].open, forms[i].close, 250);
    if (strcmp(parse_error(ok), "ok") != 0)
      eddy_test_fail(__FILE__, __LINE__, "%s: %s", forms[i].open, parse_error(ok));
    const char *err = parse_error(deep);
    ASSERT_TRUE(strstr(err, "expression nested too deeply (limit 200)") != NULL);
    eddy_free(ok);
    eddy_free(deep);
  }
  /* long operator chains count as nesting too: the tree they build is deep */
  eddy_buf_t b = {0};
  eddy_buf_puts(&b, "s | where x");
  for (int i = 0; i < 300; i++)
    eddy_buf_puts(&b, " + x");
  ASSERT_TRUE(strstr(parse_error(eddy_buf_cstr(&b)), "nested too deeply (limit 200)") != NULL);
  eddy_buf_free(&b);
  eddy_buf_puts(&b, "stream s from \"t\" schema (a ");
  for (int i = 0; i < 250; i++)
    eddy_buf_puts(&b, "array<");
  ASSERT_TRUE(strstr(parse_error(eddy_buf_cstr(&b)), "nested too deeply (limit 200)") != NULL);
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}
