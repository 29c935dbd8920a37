/*
 * The DSL checker: source row layouts and decode paths, name resolution,
 * implicit casts, select layouts, key types, and which source fields the
 * topology reads (the decoder's `wanted` flags). Error messages are covered
 * by tests/dsl/errors.test.
 */
#include "dsl/dsl.h"
#include "eddy/error.h"
#include "eddy_test.h"

static char diags[4096];

static void capture(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  size_t n = strlen(diags);
  snprintf(diags + n, sizeof(diags) - n, "%u:%u: %s\n", d->line, d->col, d->message);
}

static eddy_topology_t *compile(const char *text) {
  eddy_topology_t *topo = NULL;
  diags[0] = '\0';
  if (eddy_topology_compile(&topo, "t.eddy", text, strlen(text), capture, NULL) != 0)
    eddy_test_fail(__FILE__, __LINE__, "compile failed:\n%s", diags);
  return topo;
}

static const eddy_plan_node_t *node(const eddy_topology_t *topo, const char *name) {
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  for (uint32_t i = 0; i < plan->node_cnt; i++)
    if (strcmp(plan->nodes[i]->name, name) == 0)
      return plan->nodes[i];
  eddy_test_fail(__FILE__, __LINE__, "no node %s", name);
}

/* The wanted fields of source \p s, comma-separated. */
static const char *wanted(const eddy_topology_t *topo, uint32_t s) {
  static char out[1024];
  const eddy_decode_spec_t *d = &eddy_topology_plan(topo)->sources[s].decode;
  out[0] = '\0';
  for (uint32_t i = 0; i < d->layout->cnt; i++)
    if (d->wanted[i])
      snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? "," : "",
               d->layout->items[i].name);
  return out;
}

static const char *layout(const eddy_fields_t *f) {
  static char out[1024];
  out[0] = '\0';
  for (uint32_t i = 0; i < f->cnt; i++) {
    char t[128];
    eddy_type_format(&f->items[i].type, t, sizeof(t));
    snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s %s", i ? ", " : "",
             f->items[i].name, t);
  }
  return out;
}

#define DBZ "stream orders from \"o\" format debezium-json schema (id int, amount decimal(10,2), " \
            "status string, tags array<string>, payload struct<a int, b string>, ts timestamp(6))\n"

EDDY_TEST(check_debezium_layout_and_paths) {
  eddy_topology_t *topo = compile(DBZ "orders | to stdout");
  const eddy_plan_source_t *s = &eddy_topology_plan(topo)->sources[0];
  ASSERT_STR_EQ("before.id int, before.amount decimal(10,2), before.status string, "
                "before.tags array<string>, before.payload struct<a int, b string>, "
                "before.ts timestamp, after.id int, after.amount decimal(10,2), "
                "after.status string, after.tags array<string>, "
                "after.payload struct<a int, b string>, after.ts timestamp, op string, "
                "ts_ms timestamp, source.db string, source.schema string, "
                "source.table string, source.lsn int",
                layout(s->decode.layout));
  ASSERT_EQ(EDDY_FMT_DEBEZIUM_JSON, s->decode.format);
  ASSERT_EQ(6, s->decode.layout->items[5].type.scale);    /* timestamp(6): µs on the wire */
  ASSERT_EQ(3, s->decode.layout->items[13].type.scale);   /* ts_ms */
  ASSERT_STR_EQ("after", s->decode.paths[7][0]);
  ASSERT_STR_EQ("amount", s->decode.paths[7][1]);
  ASSERT_TRUE(s->decode.paths[7][2] == NULL);
  ASSERT_STR_EQ("op", s->decode.paths[12][0]);
  ASSERT_TRUE(s->decode.paths[12][1] == NULL);
  ASSERT_STR_EQ("source", s->decode.paths[17][0]);
  ASSERT_STR_EQ("lsn", s->decode.paths[17][1]);
  ASSERT_TRUE(s->key == NULL);
  ASSERT_TRUE(s->event_time == NULL);
  ASSERT_EQ(EDDY_ON_ERROR_DLQ, s->on_error);
  ASSERT_EQ(EDDY_DECIMAL_PRECISE, s->decode.decimal_mode);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_json_and_string_layouts) {
  eddy_topology_t *topo = compile(
      "stream a from \"a\" format json schema (id int, d date, m struct<x double>) "
      "on error fail decimal double\n"
      "stream b from \"b\" format string\n"
      "a | to stdout\nb | to stdout\n");
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  ASSERT_STR_EQ("id int, d timestamp, m struct<x double>", layout(plan->sources[0].decode.layout));
  ASSERT_EQ(1, plan->sources[0].decode.layout->items[1].type.precision);   /* date */
  ASSERT_STR_EQ("m", plan->sources[0].decode.paths[2][0]);
  ASSERT_TRUE(plan->sources[0].decode.paths[2][1] == NULL);
  ASSERT_EQ(EDDY_ON_ERROR_FAIL, plan->sources[0].on_error);
  ASSERT_EQ(EDDY_DECIMAL_DOUBLE, plan->sources[0].decode.decimal_mode);
  ASSERT_STR_EQ("value string", layout(plan->sources[1].decode.layout));
  ASSERT_EQ(EDDY_FMT_STRING, plan->sources[1].decode.format);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_resolves_longest_prefix_then_members) {
  eddy_topology_t *topo = compile(DBZ "orders | where after.payload.a > 1 and after.tags[0] == \"x\""
                                      " | to stdout");
  const eddy_expr_t *cond = node(topo, "orders.where-1")->u.where.cond;
  const eddy_expr_t *gt = cond->u.bin.lhs;
  ASSERT_EQ(EDDY_X_MEMBER, gt->u.bin.lhs->kind);
  ASSERT_STR_EQ("a", gt->u.bin.lhs->u.member.name);
  ASSERT_EQ(0, gt->u.bin.lhs->u.member.index);
  ASSERT_EQ(EDDY_T_INT, gt->u.bin.lhs->type.kind);
  const eddy_expr_t *f = gt->u.bin.lhs->u.member.arg;
  ASSERT_EQ(EDDY_X_FIELD, f->kind);
  ASSERT_STR_EQ("after.payload", f->u.field.path);
  ASSERT_EQ(10, f->u.field.slot);
  ASSERT_EQ(0, f->u.field.input);
  const eddy_expr_t *idx = cond->u.bin.rhs->u.bin.lhs;
  ASSERT_EQ(EDDY_X_INDEX, idx->kind);
  ASSERT_EQ(EDDY_T_STRING, idx->type.kind);
  ASSERT_EQ(9, idx->u.index.arg->u.field.slot);
  ASSERT_EQ(EDDY_T_BOOL, cond->type.kind);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_inserts_implicit_casts) {
  eddy_topology_t *topo = compile(DBZ
      "orders | where after.amount > 5\n"
      "  | select a = after.amount + after.id, b = after.amount * 2.5e0, c = after.id + 1,\n"
      "           d = after.id in (1, 2.5), e = case when after.id > 1 then 1 else 2.50 end,\n"
      "           f = cast(after.status as int)\n"
      "  | to stdout\n");
  const eddy_expr_t *cond = node(topo, "orders.where-1")->u.where.cond;
  ASSERT_EQ(EDDY_X_LITERAL, cond->u.bin.rhs->kind);          /* 5 folded to a decimal */
  ASSERT_EQ(EDDY_T_DECIMAL, cond->u.bin.rhs->u.lit.kind);
  ASSERT_EQ(5, (int64_t)cond->u.bin.rhs->u.lit.u.dec);
  const eddy_plan_node_t *sel = node(topo, "orders.select-1");
  const eddy_expr_t *a = sel->u.select.exprs[0];
  ASSERT_EQ(EDDY_T_DECIMAL, a->type.kind);
  ASSERT_EQ(EDDY_X_FIELD, a->u.bin.lhs->kind);
  ASSERT_EQ(EDDY_X_CAST, a->u.bin.rhs->kind);                 /* int -> decimal(19,0) */
  ASSERT_EQ(EDDY_T_DECIMAL, a->u.bin.rhs->type.kind);
  ASSERT_EQ(19, a->u.bin.rhs->type.precision);
  ASSERT_EQ(0, a->u.bin.rhs->type.scale);
  const eddy_expr_t *b = sel->u.select.exprs[1];
  ASSERT_EQ(EDDY_T_DOUBLE, b->type.kind);
  ASSERT_EQ(EDDY_X_CAST, b->u.bin.lhs->kind);                 /* decimal -> double */
  ASSERT_EQ(EDDY_T_DOUBLE, b->u.bin.lhs->type.kind);
  const eddy_expr_t *c = sel->u.select.exprs[2];
  ASSERT_EQ(EDDY_T_INT, c->type.kind);
  ASSERT_EQ(EDDY_X_FIELD, c->u.bin.lhs->kind);                /* int + int: no cast */
  ASSERT_EQ(EDDY_T_INT, c->u.bin.rhs->u.lit.kind);
  const eddy_expr_t *d = sel->u.select.exprs[3];
  ASSERT_EQ(EDDY_X_CAST, d->u.in.arg->kind);                  /* id -> decimal */
  ASSERT_EQ(EDDY_T_DECIMAL, d->u.in.items[0]->u.lit.kind);    /* 1 folded */
  ASSERT_EQ(EDDY_T_DECIMAL, d->u.in.items[1]->u.lit.kind);
  const eddy_expr_t *e = sel->u.select.exprs[4];
  ASSERT_EQ(EDDY_T_DECIMAL, e->type.kind);
  ASSERT_EQ(2, e->type.scale);
  ASSERT_EQ(100, (int64_t)e->u.case_.then[0]->u.lit.u.dec);  /* 1 -> 1.00 */
  ASSERT_EQ(2, e->u.case_.then[0]->u.lit.scale);
  ASSERT_EQ(250, (int64_t)e->u.case_.els->u.lit.u.dec);
  const eddy_expr_t *f = sel->u.select.exprs[5];
  ASSERT_EQ(EDDY_X_CAST, f->kind);
  ASSERT_EQ(EDDY_T_INT, f->type.kind);
  /* the formatter hides implicit casts, shows explicit ones */
  eddy_buf_t out = {0};
  ASSERT_OK(eddy_expr_format(a, &out));
  ASSERT_OK(eddy_expr_format(f, &out));
  ASSERT_STR_EQ("after.amount + after.idcast(after.status as int)", eddy_buf_cstr(&out));
  eddy_buf_free(&out);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_select_layouts) {
  eddy_topology_t *topo = compile(DBZ
      "orders | select * | to stdout\n"
      "orders | select after.*, op, k = key, rowtime, n = after.payload.b, after.payload.a\n"
      "  | to stdout\n");
  const eddy_plan_node_t *all = node(topo, "orders.select-1");
  ASSERT_EQ(18, all->out->cnt);
  ASSERT_STR_EQ(layout(all->in), layout(all->out));
  ASSERT_EQ(EDDY_X_FIELD, all->u.select.exprs[17]->kind);
  ASSERT_EQ(17, all->u.select.exprs[17]->u.field.slot);
  const eddy_plan_node_t *s = node(topo, "orders.select-2");
  ASSERT_STR_EQ("id int, amount decimal(10,2), status string, tags array<string>, "
                "payload struct<a int, b string>, ts timestamp, op string, k string, "
                "rowtime timestamp, n string, a int",
                layout(s->out));
  ASSERT_EQ(6, s->u.select.exprs[0]->u.field.slot);   /* after.id */
  ASSERT_EQ(EDDY_X_KEY, s->u.select.exprs[7]->kind);
  ASSERT_EQ(EDDY_X_ROWTIME, s->u.select.exprs[8]->kind);
  ASSERT_EQ(EDDY_X_MEMBER, s->u.select.exprs[9]->kind);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_key_types_follow_the_pipeline) {
  eddy_topology_t *topo = compile(
      "stream a from \"a\" format json schema (id int, s string, ts timestamp(3)) key id "
      "event-time ts\n"
      "stream b from \"b\" format json schema (id int, s string, ts timestamp(3))\n"
      "a | select k = key | to stdout\n"
      "b | select k = key | to stdout\n"
      "b | key by id * 2 | select k = key | to kafka \"out\" key k\n");
  ASSERT_STR_EQ("k int", layout(node(topo, "a.select-1")->out));
  ASSERT_STR_EQ("k string", layout(node(topo, "b.select-1")->out));
  ASSERT_STR_EQ("k int", layout(node(topo, "b.select-2")->out));
  const eddy_plan_source_t *src = &eddy_topology_plan(topo)->sources[0];
  ASSERT_EQ(EDDY_X_FIELD, src->key->kind);
  ASSERT_EQ(EDDY_T_INT, src->key->type.kind);
  ASSERT_EQ(EDDY_T_TIMESTAMP, src->event_time->type.kind);
  ASSERT_EQ(EDDY_T_INT, node(topo, "b.key-by-1")->u.key_by.key->type.kind);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_flatten_appends_the_element) {
  eddy_topology_t *topo = compile(
      "stream o from \"o\" format json schema (id int, items array<struct<sku string, qty int>>)\n"
      "o | flatten items as item | select id, sku = item.sku, q = item.qty * 2 | to stdout\n");
  const eddy_plan_node_t *f = node(topo, "o.flatten-1");
  ASSERT_STR_EQ("id int, items array<struct<sku string, qty int>>, "
                "item struct<sku string, qty int>", layout(f->out));
  ASSERT_EQ(1, f->u.flatten.array->u.field.slot);
  ASSERT_STR_EQ("id int, sku string, q int", layout(node(topo, "o.select-1")->out));
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_marks_only_what_is_read) {
  eddy_topology_t *topo = compile(DBZ
      "orders | where after.status == \"paid\" | select id = after.id | to stdout\n");
  ASSERT_STR_EQ("after.id,after.status", wanted(topo, 0));
  eddy_topology_destroy(topo);

  topo = compile(DBZ "orders | select after.* | to stdout\n");
  ASSERT_STR_EQ("after.id,after.amount,after.status,after.tags,after.payload,after.ts",
                wanted(topo, 0));
  eddy_topology_destroy(topo);

  /* a renamed field dropped later is never decoded */
  topo = compile(DBZ "orders | select a = after.id, b = after.amount, c = after.ts | select a\n"
                     "  | to kafka \"t\" key a\n");
  ASSERT_STR_EQ("after.id", wanted(topo, 0));
  eddy_topology_destroy(topo);

  /* member access reads the whole struct field; source key and event time count */
  topo = compile("stream orders from \"o\" format debezium-json schema (id int, p struct<a int>,"
                 " ts timestamp) key after.id event-time after.ts\n"
                 "orders | select x = after.p.a | select y = x + 1 | to stdout\n");
  ASSERT_STR_EQ("after.id,after.p,after.ts", wanted(topo, 0));
  eddy_topology_destroy(topo);

  /* merged streams: a read after the merge marks every source */
  topo = compile("stream a from \"a\" format json schema (id int, v int)\n"
                 "stream b from \"b\" format json schema (id int, v int)\n"
                 "a | merge b | select id | to stdout\n");
  ASSERT_STR_EQ("id", wanted(topo, 0));
  ASSERT_STR_EQ("id", wanted(topo, 1));
  eddy_topology_destroy(topo);

  /* flatten reads its array; a check reads its condition; sinks read whole rows */
  topo = compile(DBZ "orders | check after.amount > 0 else \"neg\" | flatten after.tags as t\n"
                     "  | select t | to stdout\n"
                     "orders | select op | to stdout\n");
  ASSERT_STR_EQ("after.amount,after.tags,op", wanted(topo, 0));
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(check_warns_about_unused_names) {
  eddy_topology_t *topo = compile(
      "stream a from \"a\" format json schema (id int)\n"
      "stream b from \"b\" format json schema (id int)\n"
      "c = a | where id > 0\n"
      "a | to stdout\n");
  ASSERT_STR_EQ("2:8: stream 'b' is never used\n3:1: 'c' is never used\n", diags);
  eddy_topology_destroy(topo);
  EDDY_ASSERT_NO_LEAKS();
}
