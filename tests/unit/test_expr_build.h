/*
 * Hand-built expression trees for the expression tests (independent of the
 * parser). Every builder types its node with eddy_expr_type_node(), so the
 * trees are what the checker would produce. Nodes live in the test arena.
 *
 *   xb_begin();
 *   eddy_expr_t *e = X_bin(EDDY_X_ADD, X_dec("1.50"), X_int(2));
 *   ASSERT_STR_EQ("decimal:3.50", xb_eval(e));
 *   xb_end();
 */
#ifndef EDDY_TEST_EXPR_BUILD_H
#define EDDY_TEST_EXPR_BUILD_H

#include <stdarg.h>

#include "eddy_test.h"
#include "operators/expr.h"

#define XB_FN static __attribute__((unused))

static eddy_arena_t *xb_arena;      /* tree nodes and literals */
static eddy_arena_t *xb_run;        /* evaluation temporaries */
static eddy_row_t xb_rows[2];
static eddy_eval_ctx_t xb_ctx;
static char xb_out[512];

XB_FN void xb_begin(void) {
  xb_arena = eddy_arena_new(4096);
  xb_run = eddy_arena_new(4096);
  memset(xb_rows, 0, sizeof(xb_rows));
  memset(&xb_ctx, 0, sizeof(xb_ctx));
  xb_ctx.rows[0] = &xb_rows[0];
  xb_ctx.arena = xb_run;
}

XB_FN void xb_end(void) {
  eddy_arena_destroy(xb_arena);
  eddy_arena_destroy(xb_run);
  xb_arena = xb_run = NULL;
}

XB_FN eddy_expr_t *xb_node(eddy_expr_kind_t kind) {
  eddy_expr_t *e = eddy_arena_calloc(xb_arena, 1, sizeof(*e));
  e->kind = (uint8_t)kind;
  return e;
}

/* Type \p e; a type error fails the test with the checker's message. */
XB_FN eddy_expr_t *xb_typed(eddy_expr_t *e) {
  char why[256] = "";
  int rc = eddy_expr_type_node(e, why, sizeof(why));
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "unexpected type error: %s", why);
  return e;
}

/* Type \p e expecting an error; @returns the message (static buffer). */
XB_FN const char *xb_type_error(eddy_expr_t *e) {
  static char why[256];
  why[0] = '\0';
  if (eddy_expr_type_node(e, why, sizeof(why)) == 0)
    return "(no error)";
  return why;
}

XB_FN eddy_expr_t *X_lit(eddy_value_t v) {
  eddy_expr_t *e = xb_node(EDDY_X_LITERAL);
  e->u.lit = v;
  return xb_typed(e);
}

XB_FN eddy_expr_t *X_int(int64_t i) { return X_lit(eddy_int(i)); }
XB_FN eddy_expr_t *X_dbl(double d) { return X_lit(eddy_double(d)); }
XB_FN eddy_expr_t *X_bool(bool b) { return X_lit(eddy_bool(b)); }
XB_FN eddy_expr_t *X_null(void) { return X_lit(eddy_null()); }
XB_FN eddy_expr_t *X_ts(int64_t us) { return X_lit(eddy_timestamp(us)); }
XB_FN eddy_expr_t *X_dur(int64_t us) { return X_lit(eddy_duration(us)); }

XB_FN eddy_expr_t *X_str(const char *s) {
  return X_lit(eddy_string(eddy_arena_strdup(xb_arena, s), strlen(s)));
}

XB_FN eddy_expr_t *X_dec(const char *s) {
  eddy_i128 u;
  uint8_t scale;
  if (eddy_decimal_parse(s, strlen(s), &u, &scale) != 0)
    eddy_test_fail(__FILE__, __LINE__, "bad decimal literal %s", s);
  return X_lit(eddy_decimal(u, scale));
}

XB_FN eddy_expr_t *X_un(eddy_expr_kind_t kind, eddy_expr_t *a) {
  eddy_expr_t *e = xb_node(kind);
  e->u.un.arg = a;
  return xb_typed(e);
}

XB_FN eddy_expr_t *X_bin_raw(eddy_expr_kind_t kind, eddy_expr_t *l, eddy_expr_t *r) {
  eddy_expr_t *e = xb_node(kind);
  e->u.bin.lhs = l;
  e->u.bin.rhs = r;
  return e;
}

XB_FN eddy_expr_t *X_bin(eddy_expr_kind_t kind, eddy_expr_t *l, eddy_expr_t *r) {
  return xb_typed(X_bin_raw(kind, l, r));
}

XB_FN eddy_expr_t *X_call_raw(const char *name, int argc, ...) {
  eddy_expr_t *e = xb_node(EDDY_X_CALL);
  e->u.call.name = eddy_arena_strdup(xb_arena, name);
  e->u.call.argc = (uint32_t)argc;
  e->u.call.args = eddy_arena_calloc(xb_arena, argc ? (size_t)argc : 1, sizeof(eddy_expr_t *));
  va_list ap;
  va_start(ap, argc);
  for (int i = 0; i < argc; i++)
    e->u.call.args[i] = va_arg(ap, eddy_expr_t *);
  va_end(ap);
  return e;
}

#define X_call(name, ...) xb_typed(X_call_raw(name, __VA_ARGS__))

XB_FN eddy_expr_t *X_cast(eddy_expr_t *a, eddy_type_t to) {
  eddy_expr_t *e = xb_node(EDDY_X_CAST);
  e->u.cast.arg = a;
  e->type = to;
  return xb_typed(e);
}

XB_FN eddy_expr_t *X_field(int input, int slot, eddy_type_t type) {
  eddy_expr_t *e = xb_node(EDDY_X_FIELD);
  e->u.field.path = "f";
  e->u.field.input = input;
  e->u.field.slot = slot;
  e->type = type;
  return e;
}

XB_FN eddy_expr_t *X_in(eddy_expr_kind_t kind, eddy_expr_t *arg, int cnt, ...) {
  eddy_expr_t *e = xb_node(kind);
  e->u.in.arg = arg;
  e->u.in.cnt = (uint32_t)cnt;
  e->u.in.items = eddy_arena_calloc(xb_arena, cnt ? (size_t)cnt : 1, sizeof(eddy_expr_t *));
  va_list ap;
  va_start(ap, cnt);
  for (int i = 0; i < cnt; i++)
    e->u.in.items[i] = va_arg(ap, eddy_expr_t *);
  va_end(ap);
  return xb_typed(e);
}

/* case when c1 then v1 ... [else els] end: pass cnt pairs, then els (may be NULL). */
XB_FN eddy_expr_t *X_case(int cnt, ...) {
  eddy_expr_t *e = xb_node(EDDY_X_CASE);
  e->u.case_.cnt = (uint32_t)cnt;
  e->u.case_.when = eddy_arena_calloc(xb_arena, (size_t)cnt, sizeof(eddy_expr_t *));
  e->u.case_.then = eddy_arena_calloc(xb_arena, (size_t)cnt, sizeof(eddy_expr_t *));
  va_list ap;
  va_start(ap, cnt);
  for (int i = 0; i < cnt; i++) {
    e->u.case_.when[i] = va_arg(ap, eddy_expr_t *);
    e->u.case_.then[i] = va_arg(ap, eddy_expr_t *);
  }
  e->u.case_.els = va_arg(ap, eddy_expr_t *);
  va_end(ap);
  return xb_typed(e);
}

/* Render a value as "kind:text" ("null" for null). */
XB_FN const char *xb_show(const eddy_value_t *v) {
  eddy_buf_t b = {0};
  if (v->kind == EDDY_T_NULL) {
    snprintf(xb_out, sizeof(xb_out), "null");
    return xb_out;
  }
  eddy_value_format(v, &b);
  snprintf(xb_out, sizeof(xb_out), "%s:%.*s", eddy_kind_name((eddy_kind_t)v->kind), (int)b.len,
           b.p ? b.p : "");
  eddy_buf_free(&b);
  return xb_out;
}

/* Evaluate: "kind:text", "null", or "ERR <NAME>: message". Also checks that
 * the value's kind matches the node's type (the evaluator's invariant). */
XB_FN const char *xb_eval(const eddy_expr_t *e) {
  eddy_value_t v;
  eddy_error_t *err = NULL;
  int rc = eddy_expr_eval(e, &xb_ctx, &v, &err);
  if (rc != 0) {
    snprintf(xb_out, sizeof(xb_out), "ERR %s: %s", eddy_err_name(rc), eddy_error_msg(err));
    eddy_error_destroy(err);
    return xb_out;
  }
  if (err != NULL)
    eddy_test_fail(__FILE__, __LINE__, "error set on success: %s", err->msg);
  if (v.kind != EDDY_T_NULL && e->type.kind != EDDY_T_ANY &&
      (v.kind != e->type.kind || (v.kind == EDDY_T_DECIMAL && v.scale != e->type.scale))) {
    char t[64];
    eddy_type_format(&e->type, t, sizeof(t));
    eddy_test_fail(__FILE__, __LINE__, "value %s does not match node type %s", xb_show(&v), t);
  }
  return xb_show(&v);
}

#endif
