/*
 * Keyed operators: `over <key> rows <n> | range <d> preceding [exclude
 * current] | aggregate …`, `dedupe by <id> within <d>` and `changes of
 * <expr>` (see eddy_plan_keyed_t in dsl/plan.h).
 *
 * over and changes keep their state per record key, so every record of a
 * key must reach one task. When the input is not partitioned by that key
 * (row->by_key), the operator re-keys through a repartition topic: its
 * eddy_plan_group_t (rekey) writes every input field, then @key and
 * @rowtime. dedupe works per task (input partition) and never re-keys.
 */
#include <string.h>

#include "dsl/check.h"
#include "eddy/error.h"
#include "operators/aggregate.h"

#define MAX_RANGE (36500 * EDDY_DAY)

static _Noreturn void fail_at(eddy_checker_t *ck, uint32_t off, uint32_t len, const char *msg) {
  eddy__dsl_fail(ck->c, EDDY_ETYPE, off, len, "%s", msg);
}

static eddy_fields_t *fields(eddy_checker_t *ck, eddy_field_t *items, uint32_t cnt) {
  eddy_fields_t *f = eddy__dsl_alloc(ck->c, sizeof(*f));
  f->cnt = cnt;
  f->items = items;
  return f;
}

static const eddy_expr_t *field_ref(eddy_checker_t *ck, const eddy_fields_t *in, uint32_t slot) {
  eddy_expr_t *e = eddy__dsl_alloc(ck->c, sizeof(*e));
  e->kind = EDDY_X_FIELD;
  e->type = in->items[slot].type;
  e->u.field.path = in->items[slot].name;
  e->u.field.slot = (int32_t)slot;
  return e;
}

static bool keyable(const eddy_type_t *t) {
  switch (t->kind) {
  case EDDY_T_BOOL: case EDDY_T_INT: case EDDY_T_DECIMAL: case EDDY_T_DOUBLE:
  case EDDY_T_STRING: case EDDY_T_BYTES: case EDDY_T_TIMESTAMP: case EDDY_T_NULL:
    return true;
  default:
    return false;
  }
}

/* The repartition that brings every record of \p key to one task: the input row, @key,
 * @rowtime. Every input field is carried, so all of them are read. */
static eddy_plan_group_t *rekey(eddy_checker_t *ck, const eddy_rowtype_t *row,
                                const eddy_expr_t *key) {
  const eddy_fields_t *in = row->layout;
  uint32_t n = in->cnt;
  eddy_field_t *items = eddy__dsl_array(ck->c, n + 2, sizeof(eddy_field_t));
  const eddy_expr_t **exprs = eddy__dsl_array(ck->c, n + 1, sizeof(eddy_expr_t *));
  for (uint32_t i = 0; i < n; i++) {
    if (in->items[i].name[0] == '@')
      fail_at(ck, key->off, key->len, "column names starting with '@' are reserved");
    items[i] = in->items[i];
    exprs[i] = field_ref(ck, in, i);
    eddy__check_mark(ck, row->prov[i]);
  }
  items[n] = (eddy_field_t){.name = "@key", .type = key->type};
  items[n + 1] = (eddy_field_t){.name = "@rowtime", .type = eddy_type(EDDY_T_TIMESTAMP)};
  exprs[n] = key;
  eddy_plan_group_t *g = eddy__dsl_alloc(ck->c, sizeof(*g));
  g->key_cnt = 1;
  g->key_first = n;
  g->rekey = true;
  g->key_type = key->type;
  g->part = fields(ck, items, n + 2);
  g->exprs = exprs;
  return g;
}

static eddy_plan_keyed_t *start(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_plan_keyed_t *k = eddy__dsl_alloc(ck->c, sizeof(*k));
  k->carry = row->layout->cnt;
  k->key_type = row->key;
  k->out = row->layout;
  op->keyed = k;
  return k;
}

/* Re-key by \p key (NULL: the record key) unless the input is partitioned by it already. */
static void key_by(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row, eddy_plan_keyed_t *k,
                   const eddy_expr_t *key) {
  if (key == NULL || key->kind == EDDY_X_KEY) {
    if (row->by_key)
      return;
    eddy_expr_t *e = eddy__dsl_alloc(ck->c, sizeof(*e));
    e->kind = EDDY_X_KEY;
    e->type = row->key;
    e->off = op->off;
    e->len = op->len;
    key = e;
  }
  if (!keyable(&key->type))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, key->off, key->len,
                   "cannot key by a value of type %s (use a number, string, bool or timestamp)",
                   eddy__type_name(ck->c, &key->type));
  op->group = rekey(ck, row, key);
  k->rekey = op->group;
  k->key_type = key->type;
  row->key = key->type;
  row->by_key = true;
}

static void check_over(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  op->expr = eddy__check_expr(&s, op->expr);
  eddy_plan_keyed_t *k = start(ck, op, row);
  k->expr = op->expr;
  k->rows = op->u.over.rows;
  k->count = op->u.over.count;
  k->range = op->u.over.range;
  k->exclude_current = op->u.over.exclude_current;
  if (!k->rows && (k->range <= 0 || k->range > MAX_RANGE))
    fail_at(ck, op->off, op->len, "an over range must be positive and at most 36500d");
  key_by(ck, op, row, k, op->expr);
  row->over = k;
}

static int32_t arg_index(eddy_checker_t *ck, eddy_plan_keyed_t *k, const eddy_expr_t *e) {
  for (uint32_t i = 0; e->kind == EDDY_X_FIELD && i < k->arg_cnt; i++)
    if (k->args[i]->kind == EDDY_X_FIELD && k->args[i]->u.field.slot == e->u.field.slot)
      return (int32_t)i;
  const eddy_expr_t **args = eddy__dsl_array(ck->c, k->arg_cnt + 1, sizeof(eddy_expr_t *));
  if (k->arg_cnt > 0)
    memcpy(args, k->args, k->arg_cnt * sizeof(eddy_expr_t *));
  args[k->arg_cnt] = e;
  k->args = args;
  return (int32_t)k->arg_cnt++;
}

static void over_aggregate(eddy_checker_t *ck, eddy_plan_keyed_t *k, const eddy_rowtype_t *row,
                           eddy_ast_item_t *it, eddy_plan_agg_t *agg) {
  eddy_type_t types[2];
  eddy__check_agg_call(ck, row, it, agg, types);
  eddy_expr_t *e = it->expr;
  if (agg->fn == EDDY_AGG_COUNT_DISTINCT || agg->fn == EDDY_AGG_TOP)
    fail_at(ck, e->off, e->len, agg->fn == EDDY_AGG_TOP ? "top is not available after 'over'"
                                                        : "count_distinct is not available after 'over'");
  if (e->u.call.argc > 0) {
    agg->arg = arg_index(ck, k, e->u.call.args[0]);
    agg->arg_type = types[0];
  }
  if (e->u.call.argc > 1) {
    agg->arg2 = arg_index(ck, k, e->u.call.args[1]);
    agg->arg2_type = types[1];
  }
}

/* `aggregate` after `over`: the input fields, then one column per aggregate. */
static void check_over_aggregate(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_plan_keyed_t *k = row->over;
  k->aggs = eddy__dsl_array(ck->c, op->item_cnt, sizeof(eddy_plan_agg_t));
  k->agg_cnt = op->item_cnt;
  for (uint32_t i = 0; i < op->item_cnt; i++)
    over_aggregate(ck, k, row, &op->items[i], &k->aggs[i]);
  uint32_t n = row->layout->cnt, cnt = n + k->agg_cnt;
  eddy_field_t *items = eddy__dsl_array(ck->c, cnt, sizeof(eddy_field_t));
  const eddy_prov_t **prov = eddy__dsl_array(ck->c, cnt, sizeof(eddy_prov_t *));
  memcpy(items, row->layout->items, n * sizeof(eddy_field_t));
  if (k->rekey == NULL)
    memcpy(prov, row->prov, n * sizeof(eddy_prov_t *));
  for (uint32_t i = 0; i < k->agg_cnt; i++) {
    const eddy_ast_item_t *it = &op->items[i];
    for (uint32_t j = 0; j < n + i; j++)
      if (strcmp(items[j].name, k->aggs[i].name) == 0)
        eddy__dsl_fail(ck->c, EDDY_ETYPE, it->name.off, it->name.len,
                       "duplicate column '%s': the input already has one (rename the aggregate)",
                       k->aggs[i].name);
    items[n + i] = (eddy_field_t){.name = k->aggs[i].name, .type = k->aggs[i].type};
  }
  k->out = row->layout = fields(ck, items, cnt);
  row->prov = prov;
  row->over = NULL;
  op->keyed = k;
}

static void check_dedupe(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  op->expr = eddy__check_expr(&s, op->expr);
  if (!keyable(&op->expr->type))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, op->expr->off, op->expr->len,
                   "cannot dedupe by a value of type %s (use a number, string, bool or timestamp)",
                   eddy__type_name(ck->c, &op->expr->type));
  if (op->u.within <= 0 || op->u.within > MAX_RANGE)
    fail_at(ck, op->off, op->len, "a dedupe duration must be positive and at most 36500d");
  eddy_plan_keyed_t *k = start(ck, op, row);
  k->expr = op->expr;
  k->within = op->u.within;
}

static void check_changes(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  eddy_scope_t s = {.ck = ck, .row = row, .mark = true};
  op->expr = eddy__check_expr(&s, op->expr);
  if (!keyable(&op->expr->type))
    eddy__dsl_fail(ck->c, EDDY_ETYPE, op->expr->off, op->expr->len,
                   "'changes of' compares single values, got %s",
                   eddy__type_name(ck->c, &op->expr->type));
  eddy_plan_keyed_t *k = start(ck, op, row);
  k->expr = op->expr;
  key_by(ck, op, row, k, NULL);
}

void eddy__check_keyed(eddy_checker_t *ck, eddy_ast_op_t *op, eddy_rowtype_t *row) {
  switch (op->kind) {
  case EDDY_OP_OVER: check_over(ck, op, row); break;
  case EDDY_OP_DEDUPE: check_dedupe(ck, op, row); break;
  case EDDY_OP_CHANGES: check_changes(ck, op, row); break;
  default: check_over_aggregate(ck, op, row); break;
  }
}
