/*
 * The expression evaluator: a tree walk over checked expressions. It never
 * allocates except for strings that functions and casts build (in
 * ctx->arena). Recursion depth is the tree depth, which the parser caps;
 * chains of `and`/`or` (left-deep, possibly long) are walked iteratively.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <librdkafka/rdkafka.h>
#include <string.h>

#define ARGS_ON_STACK 8

static int eval_field(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out) {
  int32_t in = e->u.field.input;
  const eddy_row_t *row = (in >= 0 && in < 2) ? ctx->rows[in] : NULL;
  if (row == NULL || e->u.field.slot < 0 || row->layout == NULL ||
      (uint32_t)e->u.field.slot >= row->layout->cnt) {
    *out = eddy_null(); /* e.g. the missing side of a left join */
    return 0;
  }
  *out = row->vals[e->u.field.slot];
  return 0;
}

static int eval_header(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out) {
  *out = eddy_null();
  const eddy_row_t *row = ctx->rows[0];
  if (row == NULL || row->origin == NULL || e->u.header.name == NULL)
    return 0;
  rd_kafka_headers_t *hdrs = NULL;
  /* librdkafka's accessor takes a non-const message but does not modify it. */
  rd_kafka_message_t *msg = (rd_kafka_message_t *)row->origin;
  if (rd_kafka_message_headers(msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || hdrs == NULL)
    return 0;
  const void *val = NULL;
  size_t size = 0;
  if (rd_kafka_header_get_last(hdrs, e->u.header.name, &val, &size) !=
          RD_KAFKA_RESP_ERR_NO_ERROR || val == NULL)
    return 0;
  *out = eddy_string((const char *)val, size);
  return 0;
}

static int eval_unary(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                      eddy_error_t **err) {
  eddy_value_t a;
  int rc = eddy_expr_eval(e->u.un.arg, ctx, &a, err);
  if (rc != 0)
    return rc;
  switch (e->kind) {
  case EDDY_X_IS_NULL:
    *out = eddy_bool(a.kind == EDDY_T_NULL);
    return 0;
  case EDDY_X_IS_NOT_NULL:
    *out = eddy_bool(a.kind != EDDY_T_NULL);
    return 0;
  default:
    break;
  }
  if (a.kind == EDDY_T_NULL) {
    *out = a;
    return 0;
  }
  if (e->kind == EDDY_X_NEG)
    return eddy__expr_neg(&a, out, err);
  if (a.kind != EDDY_T_BOOL)
    return eddy__fn_kind_error(err, "not", "bool", &a);
  *out = eddy_bool(!a.u.b);
  return 0;
}

/* Three-valued and/or; evaluates the left spine of a chain iteratively. */
static int eval_logic(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                      eddy_error_t **err) {
  const eddy_expr_t *spine[64];
  int n = 0;
  const eddy_expr_t *cur = e;
  while (n < 64 && cur->kind == e->kind) {
    spine[n++] = cur;
    cur = cur->u.bin.lhs;
  }
  bool is_and = e->kind == EDDY_X_AND;
  /* Operands, in order: cur, then spine[n-1]->rhs ... spine[0]->rhs. */
  bool saw_null = false;
  for (int i = n; i >= 0; i--) {
    const eddy_expr_t *op = i == n ? cur : spine[i]->u.bin.rhs;
    eddy_value_t v;
    int rc = eddy_expr_eval(op, ctx, &v, err);
    if (rc != 0)
      return rc;
    if (v.kind == EDDY_T_NULL) {
      saw_null = true;
      continue;
    }
    if (v.kind != EDDY_T_BOOL)
      return eddy__fn_kind_error(err, is_and ? "and" : "or", "bool", &v);
    if (v.u.b != is_and) { /* false decides `and`, true decides `or` */
      *out = eddy_bool(!is_and);
      return 0;
    }
  }
  *out = saw_null ? eddy_null() : eddy_bool(is_and);
  return 0;
}

static int eval_binary(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                       eddy_error_t **err) {
  eddy_value_t a, b;
  int rc = eddy_expr_eval(e->u.bin.lhs, ctx, &a, err);
  if (rc == 0)
    rc = eddy_expr_eval(e->u.bin.rhs, ctx, &b, err);
  if (rc != 0)
    return rc;
  if (a.kind == EDDY_T_NULL || b.kind == EDDY_T_NULL) {
    *out = eddy_null();
    return 0;
  }
  if (e->kind >= EDDY_X_EQ && e->kind <= EDDY_X_GE) {
    bool res;
    rc = eddy__expr_compare(e->kind, &a, &b, &res, err);
    if (rc == 0)
      *out = eddy_bool(res);
    return rc;
  }
  return eddy__expr_arith(e->kind, &a, &b, &e->type, ctx, out, err);
}

/* SQL `in`: true on a match; otherwise null if x or any item is null; else false. */
static int eval_in(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                   eddy_error_t **err) {
  eddy_value_t x;
  int rc = eddy_expr_eval(e->u.in.arg, ctx, &x, err);
  if (rc != 0)
    return rc;
  bool saw_null = x.kind == EDDY_T_NULL, found = false;
  for (uint32_t i = 0; !saw_null && !found && i < e->u.in.cnt; i++) {
    eddy_value_t it;
    if ((rc = eddy_expr_eval(e->u.in.items[i], ctx, &it, err)) != 0)
      return rc;
    if (it.kind == EDDY_T_NULL) {
      saw_null = true;
      continue;
    }
    if ((rc = eddy__expr_compare(EDDY_X_EQ, &x, &it, &found, err)) != 0)
      return rc;
  }
  if (found)
    *out = eddy_bool(e->kind == EDDY_X_IN);
  else
    *out = saw_null ? eddy_null() : eddy_bool(e->kind == EDDY_X_NOT_IN);
  return 0;
}

static int eval_case(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                     eddy_error_t **err) {
  const eddy_expr_t *pick = e->u.case_.els;
  for (uint32_t i = 0; i < e->u.case_.cnt; i++) {
    int t = eddy_expr_test(e->u.case_.when[i], ctx, err);
    if (t < 0)
      return t;
    if (t == 1) {
      pick = e->u.case_.then[i];
      break;
    }
  }
  if (pick == NULL) {
    *out = eddy_null();
    return 0;
  }
  int rc = eddy_expr_eval(pick, ctx, out, err);
  return rc != 0 ? rc : eddy__expr_coerce(out, &e->type, ctx->arena, err);
}

static int eval_call(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                     eddy_error_t **err) {
  const eddy_func_t *fn = e->u.call.fn;
  if (fn == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "function '%s' was not resolved",
                          e->u.call.name ? e->u.call.name : "?");
  if (eddy__fn_is_lazy(fn)) {
    int rc = eddy__fn_eval_lazy(e, ctx, out, err);
    return rc != 0 ? rc : eddy__expr_coerce(out, &e->type, ctx->arena, err);
  }
  eddy_value_t stack[ARGS_ON_STACK], *args = stack;
  uint32_t argc = e->u.call.argc;
  if (argc > ARGS_ON_STACK) {
    args = eddy_arena_alloc(ctx->arena, sizeof(*args) * argc);
    if (args == NULL)
      return eddy_error_set(err, EDDY_ENOMEM, "%s: out of memory", fn->name);
  }
  for (uint32_t i = 0; i < argc; i++) {
    int rc = eddy_expr_eval(e->u.call.args[i], ctx, &args[i], err);
    if (rc != 0)
      return rc;
    if (fn->null_in_null_out && args[i].kind == EDDY_T_NULL) {
      *out = eddy_null();
      return 0;
    }
  }
  int rc = fn->eval(args, argc, &e->type, ctx, out, err);
  return rc != 0 ? rc : eddy__expr_coerce(out, &e->type, ctx->arena, err);
}

static int eval_member(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                       eddy_error_t **err) {
  eddy_value_t s;
  int rc = eddy_expr_eval(e->u.member.arg, ctx, &s, err);
  if (rc != 0)
    return rc;
  int32_t idx = e->u.member.index;
  if (s.kind == EDDY_T_STRUCT && idx >= 0 && (uint32_t)idx < s.len)
    *out = s.u.items[idx];
  else
    *out = eddy_null();
  return 0;
}

static int eval_index(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                      eddy_error_t **err) {
  eddy_value_t a, i;
  int rc = eddy_expr_eval(e->u.index.arg, ctx, &a, err);
  if (rc == 0)
    rc = eddy_expr_eval(e->u.index.index, ctx, &i, err);
  if (rc != 0)
    return rc;
  if (a.kind == EDDY_T_ARRAY && i.kind == EDDY_T_INT && i.u.i >= 0 && i.u.i < (int64_t)a.len)
    *out = a.u.items[i.u.i];
  else
    *out = eddy_null(); /* null array, null index or out of range */
  return 0;
}

static int eval_cast(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                     eddy_error_t **err) {
  eddy_value_t a;
  int rc = eddy_expr_eval(e->u.cast.arg, ctx, &a, err);
  return rc != 0 ? rc : eddy_value_cast(&a, &e->type, ctx->arena, out, err);
}

int eddy_expr_eval(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_value_t *out,
                   eddy_error_t **err) {
  switch (e->kind) {
  case EDDY_X_LITERAL:
    *out = e->u.lit;
    return 0;
  case EDDY_X_FIELD:
    return eval_field(e, ctx, out);
  case EDDY_X_KEY:
    *out = ctx->rows[0] != NULL ? ctx->rows[0]->key : eddy_null();
    return 0;
  case EDDY_X_ROWTIME:
    *out = ctx->rows[0] != NULL ? eddy_timestamp(ctx->rows[0]->ts) : eddy_null();
    return 0;
  case EDDY_X_HEADER:
    return eval_header(e, ctx, out);
  case EDDY_X_NEG:
  case EDDY_X_NOT:
  case EDDY_X_IS_NULL:
  case EDDY_X_IS_NOT_NULL:
    return eval_unary(e, ctx, out, err);
  case EDDY_X_AND:
  case EDDY_X_OR:
    return eval_logic(e, ctx, out, err);
  case EDDY_X_IN:
  case EDDY_X_NOT_IN:
    return eval_in(e, ctx, out, err);
  case EDDY_X_CASE:
    return eval_case(e, ctx, out, err);
  case EDDY_X_CALL:
    return eval_call(e, ctx, out, err);
  case EDDY_X_CAST:
    return eval_cast(e, ctx, out, err);
  case EDDY_X_MEMBER:
    return eval_member(e, ctx, out, err);
  case EDDY_X_INDEX:
    return eval_index(e, ctx, out, err);
  default:
    if (e->kind >= EDDY_X_ADD && e->kind <= EDDY_X_GE)
      return eval_binary(e, ctx, out, err);
    return eddy_error_set(err, EDDY_EINVAL, "unknown expression kind %d", (int)e->kind);
  }
}

int eddy_expr_test(const eddy_expr_t *e, const eddy_eval_ctx_t *ctx, eddy_error_t **err) {
  eddy_value_t v;
  int rc = eddy_expr_eval(e, ctx, &v, err);
  if (rc != 0)
    return rc;
  if (v.kind == EDDY_T_NULL)
    return 0;
  if (v.kind != EDDY_T_BOOL)
    return eddy__fn_kind_error(err, "condition", "bool", &v);
  return v.u.b ? 1 : 0;
}
