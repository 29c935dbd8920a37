/* Stateless operators: where, select, flatten, key by, check. */
#include "operators/exec_int.h"

int eddy__op_where(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                   eddy_error_t **err) {
  if (row->tombstone)
    return eddy__exec_forward(x, n, row, err);   /* a deleted table row stays deleted */
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  eddy_error_t *why = NULL;
  int rc = eddy_expr_test(n->u.where.cond, &ctx, &why);
  if (rc < 0) {
    atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
    rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
    eddy_error_destroy(why);
    return rc;
  }
  return rc == 1 ? eddy__exec_forward(x, n, row, err) : 0;
}

/* A new row with \p n's out layout; values uninitialised except the header. */
static eddy_row_t *new_row(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *from) {
  eddy_row_t *r = eddy_arena_alloc(x->arena, sizeof(*r));
  if (r == NULL)
    return NULL;
  *r = *from;
  r->layout = n->out;
  r->vals = eddy_arena_alloc(x->arena, (n->out->cnt ? n->out->cnt : 1) * sizeof(eddy_value_t));
  return r->vals == NULL ? NULL : r;
}

static int eval_failed(eddy_exec_t *x, const eddy_plan_node_t *n, int rc, eddy_error_t *why,
                       eddy_error_t **err) {
  atomic_fetch_add_explicit(&x->env.counters->eval_errors, 1, memory_order_relaxed);
  rc = eddy__exec_fail(x, n, rc, eddy_error_msg(why), err);
  eddy_error_destroy(why);
  return rc;
}

int eddy__op_select(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                    eddy_error_t **err) {
  eddy_row_t *out = new_row(x, n, row);
  if (out == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", n->name);
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  for (uint32_t i = 0; i < n->out->cnt; i++) {
    eddy_error_t *why = NULL;
    int rc = eddy_expr_eval(n->u.select.exprs[i], &ctx, &out->vals[i], &why);
    if (rc != 0)
      return eval_failed(x, n, rc, why, err);
  }
  return eddy__exec_forward(x, n, out, err);
}

int eddy__op_flatten(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                     eddy_error_t **err) {
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  eddy_value_t arr;
  eddy_error_t *why = NULL;
  int rc = eddy_expr_eval(n->u.flatten.array, &ctx, &arr, &why);
  if (rc != 0)
    return eval_failed(x, n, rc, why, err);
  if (arr.kind != EDDY_T_ARRAY)
    return 0; /* null or empty: no rows, like SQL's unnest */
  uint32_t in_cnt = row->layout->cnt;
  for (uint32_t e = 0; e < arr.len; e++) {
    eddy_row_t *out = new_row(x, n, row);
    if (out == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "out of memory in %s", n->name);
    for (uint32_t i = 0; i < in_cnt; i++)
      out->vals[i] = row->vals[i];
    out->vals[in_cnt] = arr.u.items[e];
    rc = eddy__exec_forward(x, n, out, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__op_key_by(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                    eddy_error_t **err) {
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  eddy_row_t out = *row;
  eddy_error_t *why = NULL;
  int rc = eddy_expr_eval(n->u.key_by.key, &ctx, &out.key, &why);
  if (rc != 0)
    return eval_failed(x, n, rc, why, err);
  return eddy__exec_forward(x, n, &out, err);
}

int eddy__op_check(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                   eddy_error_t **err) {
  eddy_eval_ctx_t ctx = eddy__exec_ctx(x, row);
  eddy_error_t *why = NULL;
  int rc = eddy_expr_test(n->u.check.cond, &ctx, &why);
  if (rc < 0)
    return eval_failed(x, n, rc, why, err);
  if (rc == 1)
    return eddy__exec_forward(x, n, row, err);
  atomic_fetch_add_explicit(&x->env.counters->check_failed, 1, memory_order_relaxed);
  return eddy__exec_fail(x, n, EDDY_ECHECK, n->u.check.reason, err);
}
