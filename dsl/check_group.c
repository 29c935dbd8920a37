/*
 * Grouping: `group by <items> [| window …] | aggregate <name> = <fn>(…), …
 * [| emit changes|final]`. The four operators share one eddy_plan_group_t:
 * group by starts it (the group columns), window sets the windows,
 * aggregate types the functions and fixes the two row layouts (the
 * repartition row and the output), emit picks when results go out.
 *
 *   repartition row:  <group columns>, @a0 … @a<n> (aggregate arguments), @rowtime
 *   output row:       <group columns>, [window_start, window_end,] <aggregates>
 */
#include <string.h>

#include "dsl/check.h"
#include "eddy/error.h"
#include "operators/aggregate.h"

#define WHY_SIZE 256
#define MAX_WINDOWS_PER_RECORD 1000
#define MAX_WINDOW_TIME (36500 * EDDY_DAY)   /* 100 years: window arithmetic never overflows */

enum { AFTER_GROUP = 1, AFTER_WINDOW, AGGREGATED };

/* Columns of the repartition row being built: group columns, then arguments. */
typedef struct {
  const char **names;
  eddy_type_t *types;
  const eddy_expr_t **exprs;
  uint32_t *offs;
  uint32_t cnt, cap;
} part_cols_t;

static _Noreturn void fail_at(eddy_checker_t *ck, uint32_t off, uint32_t len, const char *msg) {
  eddy__dsl_fail(ck->c, EDDY_ETYPE, off, len, "%s", msg);
}

static bool groupable(const eddy_type_t *t) {
  switch (t->kind) {
  case EDDY_T_BOOL: case EDDY_T_INT: case EDDY_T_DECIMAL: case EDDY_T_DOUBLE:
  case EDDY_T_STRING: case EDDY_T_BYTES: case EDDY_T_TIMESTAMP:
    return true;
  default:
    return false;
  }
}

static void push_col(eddy_checker_t *ck, part_cols_t *cols, const char *name, const eddy_expr_t *e,
                     uint32_t off) {
  if (cols->cnt == cols->cap) {
    uint32_t cap = cols->cap ? cols->cap * 2 : 8;
    const char **n = eddy__dsl_array(ck->c, cap, sizeof(*n));
    eddy_type_t *t = eddy__dsl_array(ck->c, cap, sizeof(*t));
    const eddy_expr_t **x = eddy__dsl_array(ck->c, cap, sizeof(*x));
    uint32_t *o = eddy__dsl_array(ck->c, cap, sizeof(*o));
    if (cols->cnt > 0) {
      memcpy(n, cols->names, cols->cnt * sizeof(*n));
      memcpy(t, cols->types, cols->cnt * sizeof(*t));
      memcpy(x, cols->exprs, cols->cnt * sizeof(*x));
      memcpy(o, cols->offs, cols->cnt * sizeof(*o));
    }
    cols->names = n, cols->types = t, cols->exprs = x, cols->offs = o, cols->cap = cap;
  }
  cols->names[cols->cnt] = name;
  cols->types[cols->cnt] = e->type;
  cols->exprs[cols->cnt] = e;
  cols->offs[cols->cnt] = off;
  cols->cnt++;
}

/* The grouping under construction keeps its columns here until aggregate. */
typedef struct {
  eddy_plan_group_t g;
  part_cols_t cols;
} grouping_t;

static const char *item_name(eddy_checker_t *ck, const eddy_ast_item_t *it) {
  if (it->kind == EDDY_SEL_NAMED)
    return it->name.name;
  const eddy_expr_t *e = it->expr;
  if (e->kind == EDDY_X_FIELD) {
    const char *dot = strrchr(e->u.field.path, '.');
    return dot ? dot + 1 : e->u.field.path;
  }
  if (e->kind == EDDY_X_KEY)
    return "key";
  if (e->kind == EDDY_X_ROWTIME)
    return "rowtime";
  if (e->kind == EDDY_X_MEMBER)
    return e->u.member.name;
  fail_at(ck, it->off, it->len, "this column needs a name: write <name> = <expression>");
}

static void check_group_by(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  grouping_t *gr = eddy__dsl_alloc(ck->c, sizeof(*gr));
  for (uint32_t k = 0; k < op->item_cnt; k++) {
    eddy_ast_item_t *it = &op->items[k];
    eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
    it->expr = eddy__check_expr(&s, it->expr);
    const char *name = item_name(ck, it);
    if (!groupable(&it->expr->type))
      eddy__dsl_fail(ck->c, EDDY_ETYPE, it->expr->off, it->expr->len,
                     "cannot group by a value of type %s (use a number, string, bool or "
                     "timestamp)", eddy__type_name(ck->c, &it->expr->type));
    if (name[0] == '@')
      fail_at(ck, it->off, it->len, "column names starting with '@' are reserved");
    for (uint32_t j = 0; j < gr->cols.cnt; j++)
      if (strcmp(gr->cols.names[j], name) == 0)
        eddy__dsl_fail(ck->c, EDDY_ETYPE, it->off, it->len, "duplicate column '%s' (first at %s)",
                       name, eddy__dsl_where(ck->c, gr->cols.offs[j]));
    push_col(ck, &gr->cols, name, it->expr, it->off);
  }
  gr->g.key_cnt = gr->cols.cnt;
  gr->g.state = AFTER_GROUP;
  op->group = &gr->g;
  row->group = &gr->g;
}

static void check_window(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_plan_group_t *g = row->group;
  if (g == NULL)
    fail_at(ck, op->off, op->len, "'window' needs 'group by' before it");
  if (g->state != AFTER_GROUP)
    fail_at(ck, op->off, op->len, "only one 'window' may follow 'group by'");
  eddy_window_kind_t kind = op->u.window.kind;
  if (kind == EDDY_WINDOW_SLIDING)
    fail_at(ck, op->off, op->len, "'window sliding' is not supported yet (for each record's "
            "last <d>, use 'over <key> range <d> preceding')");
  int64_t size = op->u.window.size;
  int64_t advance = kind == EDDY_WINDOW_HOPPING ? op->u.window.advance : size;
  if (size <= 0)
    fail_at(ck, op->off, op->len, kind == EDDY_WINDOW_SESSION
                                      ? "a session gap must be positive"
                                      : "a window size must be positive");
  if (size > MAX_WINDOW_TIME || op->u.window.grace > MAX_WINDOW_TIME)
    fail_at(ck, op->off, op->len, kind == EDDY_WINDOW_SESSION
                                      ? "session gaps and grace periods are limited to 36500d"
                                      : "window sizes and grace periods are limited to 36500d");
  if (advance <= 0 || advance > size)
    fail_at(ck, op->off, op->len,
            "the advance of a hopping window must be positive and at most its size");
  if ((size + advance - 1) / advance > MAX_WINDOWS_PER_RECORD)
    eddy__dsl_fail(ck->c, EDDY_ETYPE, op->off, op->len,
                   "this hopping window puts each record in %lld windows (limit is %d)",
                   (long long)((size + advance - 1) / advance), MAX_WINDOWS_PER_RECORD);
  const part_cols_t *cols = &((const grouping_t *)g)->cols;
  for (uint32_t i = 0; i < cols->cnt; i++)
    if (strcmp(cols->names[i], "window_start") == 0 || strcmp(cols->names[i], "window_end") == 0)
      eddy__dsl_fail(ck->c, EDDY_ETYPE, op->off, op->len,
                     "the group column '%s' (at %s) clashes with the window's own column: "
                     "rename it", cols->names[i], eddy__dsl_where(ck->c, cols->offs[i]));
  g->windowed = true;
  g->hopping = kind == EDDY_WINDOW_HOPPING;
  g->session = kind == EDDY_WINDOW_SESSION;
  g->gap = g->session ? size : 0;
  g->size = g->session ? 0 : size;
  g->advance = advance;
  g->grace = op->u.window.grace < 0 ? 0 : op->u.window.grace;
  g->state = AFTER_WINDOW;
  op->group = g;
}

/* The slot of \p e in the repartition row: a plain field already there is reused. */
static int32_t arg_slot(eddy_checker_t *ck, grouping_t *gr, const eddy_expr_t *e) {
  for (uint32_t i = 0; e->kind == EDDY_X_FIELD && i < gr->cols.cnt; i++) {
    const eddy_expr_t *o = gr->cols.exprs[i];
    if (o->kind == EDDY_X_FIELD && o->u.field.slot == e->u.field.slot &&
        o->u.field.input == e->u.field.input)
      return (int32_t)i;
  }
  const char *name = eddy__dsl_printf(ck->c, "@a%u", gr->cols.cnt - gr->g.key_cnt);
  push_col(ck, &gr->cols, name, e, e->off);
  return (int32_t)(gr->cols.cnt - 1);
}

void eddy__check_agg_call(eddy_checker_t *ck, const eddy_rowtype_t *row, eddy_ast_item_t *it,
                          eddy_plan_agg_t *agg, eddy_type_t types[2]) {
  eddy_expr_t *e = it->expr;
  if (e->kind != EDDY_X_CALL)
    fail_at(ck, e->off, e->len,
            "an aggregate column is one aggregate function call, as in total = sum(amount)");
  char why[WHY_SIZE] = "";
  if (eddy_agg_lookup(e->u.call.name, e->u.call.argc, &agg->fn, why, sizeof(why)) != 0)
    fail_at(ck, e->off, e->len, why);
  for (uint32_t i = 0; i < e->u.call.argc; i++) {
    eddy_expr_t *a = e->u.call.args[i];
    if (a->kind == EDDY_X_CALL && eddy_agg_is_name(a->u.call.name))
      fail_at(ck, a->off, a->len, "aggregate functions cannot be nested");
    eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
    a = e->u.call.args[i] = eddy__check_expr(&s, a);
    types[i] = a->type;
  }
  if (eddy_agg_type(agg->fn, types, e->u.call.argc, &agg->type, why, sizeof(why)) != 0)
    fail_at(ck, e->off, e->len, why);
  agg->name = it->name.name;
  agg->arg = agg->arg2 = -1;
}

static void check_one_aggregate(eddy_checker_t *ck, grouping_t *gr, const eddy_rowtype_t *row,
                                eddy_ast_item_t *it, eddy_plan_agg_t *agg) {
  eddy_type_t types[2];
  eddy__check_agg_call(ck, row, it, agg, types);
  eddy_expr_t *e = it->expr;
  if (gr->g.session && (agg->fn == EDDY_AGG_COUNT_DISTINCT || agg->fn == EDDY_AGG_TOP))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, e->off, e->len,
                   "%s(...) is not available with session windows (sessions merge, and the "
                   "values it keeps per session cannot be merged)", eddy_agg_name(agg->fn));
  if (e->u.call.argc > 0) {
    agg->arg = arg_slot(ck, gr, e->u.call.args[0]);
    agg->arg_type = types[0];
  }
  if (e->u.call.argc > 1) {
    agg->arg2 = arg_slot(ck, gr, e->u.call.args[1]);
    agg->arg2_type = types[1];
  }
  gr->g.has_distinct |= agg->fn == EDDY_AGG_COUNT_DISTINCT || agg->fn == EDDY_AGG_TOP;
}

static eddy_fields_t *fields(eddy_checker_t *ck, eddy_field_t *items, uint32_t cnt) {
  eddy_fields_t *f = eddy__dsl_alloc(ck->c, sizeof(*f));
  f->cnt = cnt;
  f->items = items;
  return f;
}

/* The repartition row: the columns collected, then @rowtime (µs, written as a number). */
static void build_part(eddy_checker_t *ck, grouping_t *gr) {
  uint32_t n = gr->cols.cnt;
  eddy_field_t *items = eddy__dsl_array(ck->c, n + 1, sizeof(eddy_field_t));
  for (uint32_t i = 0; i < n; i++)
    items[i] = (eddy_field_t){.name = gr->cols.names[i], .type = gr->cols.types[i]};
  items[n] = (eddy_field_t){.name = "@rowtime", .type = eddy_type(EDDY_T_TIMESTAMP)};
  gr->g.part = fields(ck, items, n + 1);
  gr->g.exprs = gr->cols.exprs;
}

static void add_out(eddy_checker_t *ck, eddy_field_t *items, uint32_t *cnt, const char *name,
                    eddy_type_t type, const eddy_ast_item_t *it) {
  for (uint32_t i = 0; i < *cnt; i++)
    if (strcmp(items[i].name, name) == 0)
      eddy__dsl_fail(ck->c, EDDY_ETYPE, it->name.off, it->name.len,
                     "duplicate column '%s': the output already has one", name);
  items[(*cnt)++] = (eddy_field_t){.name = name, .type = type};
}

static void build_out(eddy_checker_t *ck, eddy_ast_op_t *op, grouping_t *gr, eddy_rowtype_t *row) {
  eddy_plan_group_t *g = &gr->g;
  uint32_t cnt = 0, max = g->key_cnt + 2 + g->agg_cnt;
  eddy_field_t *items = eddy__dsl_array(ck->c, max, sizeof(eddy_field_t));
  for (uint32_t i = 0; i < g->key_cnt; i++)
    items[cnt++] = g->part->items[i];
  if (g->windowed) {
    items[cnt++] = (eddy_field_t){.name = "window_start", .type = eddy_type(EDDY_T_TIMESTAMP)};
    items[cnt++] = (eddy_field_t){.name = "window_end", .type = eddy_type(EDDY_T_TIMESTAMP)};
  }
  for (uint32_t i = 0; i < g->agg_cnt; i++)
    add_out(ck, items, &cnt, g->aggs[i].name, g->aggs[i].type, &op->items[i]);
  /* a session's key includes its window: each session is its own row downstream */
  uint32_t key_cols = g->session ? g->key_cnt + 2 : g->key_cnt;
  if (key_cols == 1) {
    g->key_type = items[0].type;
  } else {
    g->key_type = eddy_type(EDDY_T_STRUCT);
    g->key_type.fields = fields(ck, items, key_cols);
  }
  row->layout = fields(ck, items, cnt);
  row->key = g->key_type;
  row->by_key = true;   /* repartitioned by the group */
  row->prov = eddy__dsl_array(ck->c, cnt, sizeof(eddy_prov_t *));
}

static void check_aggregate(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  grouping_t *gr = (grouping_t *)row->group;
  if (gr == NULL)
    fail_at(ck, op->off, op->len, "'aggregate' needs 'group by' before it");
  eddy_plan_group_t *g = &gr->g;
  g->aggs = eddy__dsl_array(ck->c, op->item_cnt, sizeof(eddy_plan_agg_t));
  g->agg_cnt = op->item_cnt;
  for (uint32_t k = 0; k < op->item_cnt; k++)
    check_one_aggregate(ck, gr, row, &op->items[k], &g->aggs[k]);
  build_part(ck, gr);
  build_out(ck, op, gr, row);
  g->state = AGGREGATED;
  op->group = g;
  row->group = NULL;
  row->aggregated = g;
}

static void check_emit(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_plan_group_t *g = row->aggregated;
  if (g == NULL)
    fail_at(ck, op->off, op->len, "'emit' must come right after 'aggregate'");
  if (op->u.emit.final && !g->windowed)
    fail_at(ck, op->off, op->len,
            "'emit final' needs a window: an aggregate without one never closes (use emit "
            "changes)");
  g->emit_final = op->u.emit.final;
  op->group = g;
}

void eddy__check_grouping(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  switch (op->kind) {
  case EDDY_OP_GROUP_BY: check_group_by(ck, op, row); break;
  case EDDY_OP_WINDOW: check_window(ck, op, row); break;
  case EDDY_OP_AGGREGATE: check_aggregate(ck, op, row); break;
  default: check_emit(ck, op, row); break;
  }
}

void eddy__check_pipeline_end(eddy_checker_t *ck, const eddy_rowtype_t *row,
                              const eddy_ast_op_t *last) {
  if (row->group != NULL && last != NULL)
    fail_at(ck, last->off, last->len,
            "a grouped stream must be aggregated: add 'aggregate <name> = <function>(...)'");
  if (row->over != NULL && last != NULL)
    fail_at(ck, last->off, last->len,
            "'over' needs 'aggregate <name> = <function>(...)' right after it");
}
