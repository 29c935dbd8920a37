/*
 * Joins and tables in the checker (see dsl/plan_join.h for what they plan
 * into and docs/dsl.md, "Tables and joins", for the rules).
 *
 *   <stream> | [left] join <table> on <expr>    stream-table: <expr> on the
 *                                               stream, matched with the key
 *   <table> | [left|outer] join <table> on key  table-table, on the keys
 *
 * Output row: <left>.<field>…, <right>.<field>…; key: the join key.
 */
#include <string.h>

#include "dsl/check.h"
#include "dsl/plan_join.h"
#include "eddy/error.h"

static _Noreturn void fail(eddy_checker_t *ck, uint32_t off, uint32_t len, const char *fmt,
                           const char *a, const char *b) {
  eddy__dsl_fail(ck->c, EDDY_ETYPE, off, len, fmt, a, b);
}

static const char *kind_word(eddy_join_kind_t k) {
  return k == EDDY_JOIN_LEFT ? "left join" : k == EDDY_JOIN_OUTER ? "outer join" : "join";
}

void eddy__check_table_op(eddy_checker_t *ck, const eddy_ast_op_t *op, const eddy_rowtype_t *row,
                          const char *op_name) {
  if (row->table == EDDY_ROW_TABLE)
    fail(ck, op->off, op->len, "'%s' cannot read a table directly: a table can only be joined "
         "('| join <table> on key')%s", op_name, "");
  if (op->kind != EDDY_OP_WHERE && op->kind != EDDY_OP_SELECT && op->kind != EDDY_OP_TO_KAFKA &&
      op->kind != EDDY_OP_TO_STDOUT && op->kind != EDDY_OP_TO_POSTGRES)
    fail(ck, op->off, op->len, "'%s' cannot follow a table-table join yet (use where, select, "
         "to kafka, to postgres or to stdout)%s", op_name, "");
}

/* Two key types match when they encode alike (int and bigint are one type). */
static bool same_key(const eddy_type_t *a, const eddy_type_t *b) {
  if (a->kind == EDDY_T_DECIMAL && b->kind == EDDY_T_DECIMAL)
    return a->scale == b->scale;
  return a->kind == b->kind || a->kind == EDDY_T_ANY || b->kind == EDDY_T_ANY;
}

static const eddy_def_t *right_def(eddy_checker_t *ck, eddy_ast_op_t *op, int32_t input_def,
                                   int32_t *out) {
  int32_t d = *out = eddy__check_lookup(ck, &op->target);
  const eddy_def_t *def = &ck->defs[d];
  const eddy_ast_name_t *n = &op->target;
  if (d == input_def)
    fail(ck, n->off, n->len, "cannot join '%s' with itself%s", n->name, "");
  if (def->row.table == EDDY_ROW_STREAM && op->u.join.within == 0)
    fail(ck, n->off, n->len, "'%s' is a stream: joining two streams needs a window "
         "('within <duration>'), or declare '%s' as a table", n->name, n->name);
  if (def->row.table == EDDY_ROW_STREAM)
    return def;   /* stream-stream, within a window */
  if (def->row.table == EDDY_ROW_JOINED_TABLE || !def->is_source)
    fail(ck, n->off, n->len, "'%s' is the result of a table-table join; join the declared "
         "tables instead%s", n->name, "");
  if (op->u.join.within != 0)
    fail(ck, op->off, op->len, "'within' is for joining two streams; '%s' is a table, whose "
         "join has no window%s", n->name, "");
  return def;
}

/* Prefixed copies of both sides' fields, with their provenance. */
static void build_output(eddy_checker_t *ck, eddy_plan_join_t *j, eddy_rowtype_t *row,
                         const eddy_rowtype_t *right) {
  uint32_t nl = row->layout->cnt, nr = right->layout->cnt;
  if (nl + nr > 4096)
    fail(ck, 0, 0, "too many columns (limit is %s)%s", "4096", "");
  eddy_field_t *items = eddy__dsl_array(ck->c, nl + nr, sizeof(eddy_field_t));
  const eddy_prov_t **prov = eddy__dsl_array(ck->c, nl + nr, sizeof(eddy_prov_t *));
  for (uint32_t i = 0; i < nl; i++) {
    items[i].name = eddy__dsl_printf(ck->c, "%s.%s", j->left_name, row->layout->items[i].name);
    items[i].type = row->layout->items[i].type;
    prov[i] = row->prov[i];
  }
  for (uint32_t i = 0; i < nr; i++) {
    items[nl + i].name = eddy__dsl_printf(ck->c, "%s.%s", j->right_name,
                                          right->layout->items[i].name);
    items[nl + i].type = right->layout->items[i].type;
    prov[nl + i] = right->prov[i];
    eddy__check_mark(ck, right->prov[i]);   /* stored rows are decoded whole */
  }
  eddy_fields_t *layout = eddy__dsl_alloc(ck->c, sizeof(*layout));
  layout->cnt = nl + nr;
  layout->items = items;
  j->out = layout;
  row->layout = layout;
  row->prov = prov;
}

static void check_on(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_plan_join_t *j,
                     const eddy_rowtype_t *row, const eddy_def_t *rd) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  eddy_expr_t *on = op->expr = eddy__check_expr(&s, op->expr);
  j->on = on;
  if (!eddy__check_scalar(&on->type))
    fail(ck, on->off, on->len, "a join key must be a single value, got %s%s",
         eddy__type_name(ck->c, &on->type), "");
  if (!same_key(&on->type, &rd->row.key))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, on->off, on->len,
                   "the join key is %s but %s '%s' is keyed by %s%s",
                   eddy__type_name(ck->c, &on->type),
                   rd->row.table == EDDY_ROW_STREAM ? "stream" : "table", rd->name,
                   eddy__type_name(ck->c, &rd->row.key),
                   j->raw ? " (its message key): cast the key to string" : "");
}

static void check_table_table(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_plan_join_t *j,
                              const eddy_rowtype_t *row, const eddy_def_t *rd) {
  if (op->expr->kind != EDDY_X_KEY)
    fail(ck, op->expr->off, op->expr->len, "a table-table join matches the two tables' keys: "
         "write 'on key'%s%s", "", "");
  if (row->raw_key != rd->row.raw_key || !same_key(&row->key, &rd->row.key))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, op->target.off, op->target.len,
                   "table '%s' is keyed by %s%s but '%s' by %s%s", j->left_name,
                   eddy__type_name(ck->c, &row->key), row->raw_key ? " (its message key)" : "",
                   rd->name, eddy__type_name(ck->c, &rd->row.key),
                   rd->row.raw_key ? " (its message key)" : "");
  j->shape = EDDY_JOIN_TABLE_TABLE;
  j->key_type = row->key;
}

static void check_stream_stream(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_plan_join_t *j,
                                const eddy_rowtype_t *row, const eddy_def_t *rd) {
  if (row->table != EDDY_ROW_STREAM)
    fail(ck, op->target.off, op->target.len, "'%s' is a stream: a table joins only tables; "
         "join the stream to the table instead ('%s | join <table> on ...')", rd->name, rd->name);
  check_on(ck, op, j, row, rd);
  j->shape = EDDY_JOIN_STREAM_STREAM;
  j->key_type = rd->row.key;
  j->rekey_left = true;
  j->within = op->u.join.within;
  j->grace = op->u.join.grace > 0 ? op->u.join.grace : 0;
}

void eddy__check_join(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row,
                      int32_t input_def) {
  if (row->table == EDDY_ROW_JOINED_TABLE)
    fail(ck, op->off, op->len, "'%s' cannot follow a table-table join yet%s",
         kind_word(op->u.join.kind), "");
  eddy_plan_join_t *j = eddy__dsl_alloc(ck->c, sizeof(*j));
  const eddy_def_t *rd = right_def(ck, op, input_def, &j->right_def);
  j->kind = op->u.join.kind;
  j->left_def = input_def;
  j->left_name = ck->defs[input_def].name;
  j->right_name = rd->name;
  j->raw = rd->row.raw_key;
  j->left_in = row->layout;
  j->right_in = rd->row.layout;
  const eddy_def_t *ld = &ck->defs[input_def];
  bool left_global = ld->is_source && ld->source->kind == EDDY_SOURCE_GLOBAL_TABLE;
  bool right_global = rd->is_source && rd->source->kind == EDDY_SOURCE_GLOBAL_TABLE;
  if (row->table == EDDY_ROW_TABLE && (left_global || right_global))
    fail(ck, left_global ? op->off : op->target.off, left_global ? op->len : op->target.len,
         "global table '%s' can only be joined to a stream, on the right "
         "('<stream> | join %s on <expr>')", left_global ? j->left_name : j->right_name,
         left_global ? j->left_name : j->right_name);
  if (rd->row.table == EDDY_ROW_STREAM) {
    check_stream_stream(ck, op, j, row, rd);
  } else if (row->table == EDDY_ROW_TABLE) {
    check_table_table(ck, op, j, row, rd);
  } else {
    if (j->kind == EDDY_JOIN_OUTER)
      fail(ck, op->off, op->len, "a stream-table join is 'join' or 'left join': a table update "
           "emits nothing, so there is no outer side%s%s", "", "");
    check_on(ck, op, j, row, rd);
    j->shape = EDDY_JOIN_STREAM_TABLE;
    j->key_type = rd->row.key;
    /* a global table holds every partition: the stream stays where it is */
    j->rekey_left = !right_global && !(j->raw && j->on->kind == EDDY_X_KEY && row->raw_key);
  }
  if (j->shape != EDDY_JOIN_STREAM_TABLE || j->rekey_left) {
    for (uint32_t i = 0; i < row->layout->cnt; i++)
      eddy__check_mark(ck, row->prov[i]);   /* whole rows are re-keyed or stored */
  }
  build_output(ck, j, row, &rd->row);
  row->key = j->key_type;
  row->raw_key = false;
  row->by_key = true;   /* each task holds the keys of its partition */
  row->table = j->shape == EDDY_JOIN_TABLE_TABLE ? EDDY_ROW_JOINED_TABLE : EDDY_ROW_STREAM;
  op->join = j;
}

/* ---- the repartition row of a re-keyed input ---- */

eddy_plan_group_t *eddy__join_part(eddy_dsl_t *c, const eddy_expr_t *key, eddy_type_t key_type,
                                   const eddy_fields_t *in, bool table, bool raw_key) {
  uint32_t n = in->cnt + 2;
  eddy_field_t *items = eddy__dsl_array(c, n, sizeof(eddy_field_t));
  const eddy_expr_t **exprs = eddy__dsl_array(c, n, sizeof(eddy_expr_t *));
  items[0] = (eddy_field_t){.name = "@jk", .type = key_type};
  exprs[0] = key;
  for (uint32_t i = 0; i < in->cnt; i++) {
    eddy_expr_t *f = eddy__dsl_alloc(c, sizeof(*f));
    f->kind = EDDY_X_FIELD;
    f->type = in->items[i].type;
    f->u.field.path = in->items[i].name;
    f->u.field.slot = (int32_t)i;
    items[i + 1] = (eddy_field_t){.name = eddy__dsl_printf(c, "@f%u", i), .type = f->type};
    exprs[i + 1] = f;
  }
  items[n - 1] = (eddy_field_t){.name = "@rowtime", .type = eddy_type(EDDY_T_TIMESTAMP)};
  eddy_fields_t *part = eddy__dsl_alloc(c, sizeof(*part));
  part->cnt = n;
  part->items = items;
  eddy_plan_group_t *g = eddy__dsl_alloc(c, sizeof(*g));
  g->key_cnt = 1;
  g->key_type = key_type;
  g->part = part;
  g->exprs = exprs;
  g->table = table;
  g->raw_key = raw_key;
  return g;
}
