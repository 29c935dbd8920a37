/*
 * Expression checking: names are resolved against the input row, every
 * node gets its type from the rules in operators/expr.h, and implicit
 * conversions become explicit EDDY_X_CAST nodes (int -> decimal next to a
 * decimal, int/decimal -> double next to a double), so the evaluator never
 * has to guess. Casts of literals are folded into the literal.
 */
#include <string.h>

#include "dsl/check.h"
#include "eddy/error.h"
#include "operators/expr.h"

#define WHY_SIZE 256

static const char *const aggregate_names[] = {
    "count", "sum", "avg", "min", "max", "stddev", "first", "last", "count_distinct",
    "argmax", "argmin", NULL,
};

static _Noreturn void fail(eddy_scope_t *s, const eddy_expr_t *e, const char *fmt,
                           const char *a, const char *b) {
  eddy__dsl_fail(s->ck->c, EDDY_ETYPE, e->off, e->len, fmt, a, b);
}

const char *eddy__type_name(eddy_dsl_t *c, const eddy_type_t *t) {
  char buf[256];
  eddy_type_format(t, buf, sizeof(buf));
  return eddy__dsl_strndup(c, buf, strlen(buf));
}

void eddy__check_mark(eddy_checker_t *ck, const eddy_prov_t *prov) {
  for (; prov != NULL; prov = prov->next)
    ck->defs[prov->def].source->wanted[prov->field] = 1;
}

/* ---- implicit conversions ---------------------------------------------- */

static bool is_num(uint8_t k) { return k == EDDY_T_INT || k == EDDY_T_DECIMAL || k == EDDY_T_DOUBLE; }

static eddy_type_t int_as_decimal(void) { return eddy_type_decimal(19, 0); }

static eddy_expr_t *cast_node(eddy_scope_t *s, eddy_expr_t *e, const eddy_type_t *to) {
  eddy_expr_t *c = eddy__dsl_alloc(s->ck->c, sizeof(*c));
  c->kind = EDDY_X_CAST;
  c->off = e->off;
  c->len = e->len;
  c->type = *to;
  c->u.cast.arg = e;
  return c;
}

/* Convert \p e to the numeric kind of \p to (an int becomes decimal(19,0)):
 * fold a literal, else wrap it in a cast. */
static eddy_expr_t *convert(eddy_scope_t *s, eddy_expr_t *e, const eddy_type_t *to) {
  if (!is_num(e->type.kind) || !is_num(to->kind) || e->type.kind == to->kind)
    return e;
  if (e->kind == EDDY_X_LITERAL && to->kind == EDDY_T_DOUBLE) {
    e->u.lit = eddy_double(e->type.kind == EDDY_T_INT
                               ? (double)e->u.lit.u.i
                               : eddy_decimal_to_double(e->u.lit.u.dec, e->u.lit.scale));
    e->type = *to;
    return e;
  }
  if (e->kind == EDDY_X_LITERAL && e->type.kind == EDDY_T_INT && to->kind == EDDY_T_DECIMAL) {
    e->u.lit = eddy_decimal((eddy_i128)e->u.lit.u.i, 0);
    e->type = int_as_decimal();
    return e;
  }
  eddy_type_t t = to->kind == EDDY_T_DECIMAL ? int_as_decimal() : *to;
  return cast_node(s, e, &t);
}

/* Convert \p e to exactly \p to (the branches of a case agree on one type,
 * decimal scale included). */
static eddy_expr_t *convert_exact(eddy_scope_t *s, eddy_expr_t *e, const eddy_type_t *to) {
  if (!is_num(e->type.kind) || !is_num(to->kind))
    return e;
  if (e->type.kind == to->kind &&
      (to->kind != EDDY_T_DECIMAL || e->type.scale == to->scale))
    return e;
  if (e->kind == EDDY_X_LITERAL && to->kind == EDDY_T_DECIMAL && e->type.kind != EDDY_T_DOUBLE) {
    eddy_i128 v = e->type.kind == EDDY_T_INT ? (eddy_i128)e->u.lit.u.i : e->u.lit.u.dec;
    uint8_t from = e->type.kind == EDDY_T_INT ? 0 : e->u.lit.scale;
    if (eddy_decimal_rescale(v, from, to->scale, &v) == 0) {
      e->u.lit = eddy_decimal(v, to->scale);
      e->type = *to;
      return e;
    }
  }
  if (to->kind == EDDY_T_DOUBLE)
    return convert(s, e, to);
  return cast_node(s, e, to);
}

/* The numeric kind two operands meet at, or NULL kind when no conversion applies. */
static eddy_type_t meeting_type(const eddy_type_t *l, const eddy_type_t *r) {
  if (!is_num(l->kind) || !is_num(r->kind) || l->kind == r->kind)
    return eddy_type(EDDY_T_NULL);
  if (l->kind == EDDY_T_DOUBLE || r->kind == EDDY_T_DOUBLE)
    return eddy_type(EDDY_T_DOUBLE);
  return eddy_type(EDDY_T_DECIMAL);
}

/* ---- names ------------------------------------------------------------- */

static eddy_expr_t *member(eddy_scope_t *s, eddy_expr_t *arg, const char *name, uint32_t off,
                           uint32_t end) {
  eddy_expr_t *m = eddy__dsl_alloc(s->ck->c, sizeof(*m));
  m->kind = EDDY_X_MEMBER;
  m->off = off;
  m->len = end - off;
  m->u.member.arg = arg;
  m->u.member.name = name;
  return m;
}

static _Noreturn void unknown_field(eddy_scope_t *s, const eddy_expr_t *e) {
  const eddy_fields_t *f = s->row->layout;
  const char *path = e->u.field.path;
  eddy_suggest_t sg;
  eddy__suggest_init(&sg, path);
  for (uint32_t i = 0; i < f->cnt; i++)
    eddy__suggest_add(&sg, f->items[i].name);
  eddy__dsl_fail(s->ck->c, EDDY_ETYPE, e->off, e->len, "unknown field '%s'%s", path,
                 eddy__suggest_hint(s->ck->c, &sg));
}

/* The longest dotted prefix of the path that names a field; the rest of the
 * path is member access into that field's struct value. */
static eddy_expr_t *resolve_field(eddy_scope_t *s, eddy_expr_t *e) {
  const char *path = e->u.field.path;
  size_t len = strlen(path);
  for (;;) {
    char *prefix = eddy__dsl_strndup(s->ck->c, path, len);
    int slot = eddy_fields_find(s->row->layout, prefix);
    if (slot >= 0) {
      e->u.field.path = prefix;
      e->u.field.input = 0;
      e->u.field.slot = slot;
      e->type = s->row->layout->items[slot].type;
      if (s->mark)
        eddy__check_mark(s->ck, s->row->prov[slot]);
      break;
    }
    const char *dot = memrchr(path, '.', len);
    if (dot == NULL)
      unknown_field(s, e);
    len = (size_t)(dot - path);
  }
  uint32_t full_end = e->off + e->len;
  eddy_expr_t *cur = e;
  for (const char *rest = path + len; *rest == '.';) {
    const char *next = strchr(rest + 1, '.');
    size_t n = next ? (size_t)(next - rest - 1) : strlen(rest + 1);
    cur = member(s, cur, eddy__dsl_strndup(s->ck->c, rest + 1, n), e->off, full_end);
    rest += n + 1;
  }
  return cur;
}

/* ---- node checks ------------------------------------------------------- */

static void type_or_fail(eddy_scope_t *s, const eddy_expr_t *e, int rc, const char *why) {
  if (rc != 0)
    fail(s, e, "%s%s", why, "");
}

static eddy_expr_t *check_member(eddy_scope_t *s, eddy_expr_t *e) {
  const eddy_type_t *t = &e->u.member.arg->type;
  if (t->kind == EDDY_T_ANY || t->kind == EDDY_T_NULL) {
    e->type = *t;
    e->u.member.index = -1;
    return e;
  }
  if (t->kind != EDDY_T_STRUCT)
    fail(s, e, "cannot access '%s' of a value of type %s (not a struct)", e->u.member.name,
         eddy__type_name(s->ck->c, t));
  int idx = eddy_fields_find(t->fields, e->u.member.name);
  if (idx < 0) {
    eddy_suggest_t sg;
    eddy__suggest_init(&sg, e->u.member.name);
    for (uint32_t i = 0; i < t->fields->cnt; i++)
      eddy__suggest_add(&sg, t->fields->items[i].name);
    fail(s, e, "no field '%s' in this struct%s", e->u.member.name,
         eddy__suggest_hint(s->ck->c, &sg));
  }
  e->u.member.index = idx;
  e->type = t->fields->items[idx].type;
  return e;
}

static eddy_expr_t *check_index(eddy_scope_t *s, eddy_expr_t *e) {
  const eddy_type_t *t = &e->u.index.arg->type, *i = &e->u.index.index->type;
  if (i->kind != EDDY_T_INT && i->kind != EDDY_T_NULL && i->kind != EDDY_T_ANY)
    fail(s, e->u.index.index, "an array index must be int, got %s%s",
         eddy__type_name(s->ck->c, i), "");
  if (t->kind == EDDY_T_ANY || t->kind == EDDY_T_NULL)
    e->type = *t;
  else if (t->kind == EDDY_T_ARRAY)
    e->type = *t->elem;
  else
    fail(s, e, "cannot index a value of type %s (not an array)%s", eddy__type_name(s->ck->c, t),
         "");
  return e;
}

static eddy_expr_t *check_binary(eddy_scope_t *s, eddy_expr_t *e) {
  e->u.bin.lhs = eddy__check_expr(s, e->u.bin.lhs);
  e->u.bin.rhs = eddy__check_expr(s, e->u.bin.rhs);
  char why[WHY_SIZE] = "";
  int rc = eddy_expr_type_binary(e->kind, &e->u.bin.lhs->type, &e->u.bin.rhs->type, &e->type,
                                 why, sizeof(why));
  type_or_fail(s, e, rc, why);
  if (e->kind == EDDY_X_AND || e->kind == EDDY_X_OR)
    return e;
  eddy_type_t meet = meeting_type(&e->u.bin.lhs->type, &e->u.bin.rhs->type);
  if (meet.kind != EDDY_T_NULL) {
    e->u.bin.lhs = convert(s, e->u.bin.lhs, &meet);
    e->u.bin.rhs = convert(s, e->u.bin.rhs, &meet);
  }
  return e;
}

static eddy_expr_t *check_unary(eddy_scope_t *s, eddy_expr_t *e) {
  e->u.un.arg = eddy__check_expr(s, e->u.un.arg);
  char why[WHY_SIZE] = "";
  int rc = eddy_expr_type_unary(e->kind, &e->u.un.arg->type, &e->type, why, sizeof(why));
  type_or_fail(s, e, rc, why);
  return e;
}

static eddy_expr_t *check_in(eddy_scope_t *s, eddy_expr_t *e) {
  uint32_t n = e->u.in.cnt;
  eddy_type_t *types = eddy__dsl_array(s->ck->c, n + 1, sizeof(eddy_type_t));
  e->u.in.arg = eddy__check_expr(s, e->u.in.arg);
  types[0] = e->u.in.arg->type;
  for (uint32_t i = 0; i < n; i++) {
    e->u.in.items[i] = eddy__check_expr(s, e->u.in.items[i]);
    types[i + 1] = e->u.in.items[i]->type;
    char why[WHY_SIZE] = "";
    eddy_type_t ignored;
    int rc = eddy_expr_type_binary(EDDY_X_EQ, &types[0], &types[i + 1], &ignored, why, sizeof(why));
    if (rc != 0)
      fail(s, e->u.in.items[i], "%s in the 'in' list%s", why, "");
  }
  eddy_type_t common;
  char why[WHY_SIZE] = "";
  type_or_fail(s, e, eddy_expr_type_common(types, n + 1, &common, why, sizeof(why)), why);
  e->u.in.arg = convert(s, e->u.in.arg, &common);
  for (uint32_t i = 0; i < n; i++)
    e->u.in.items[i] = convert(s, e->u.in.items[i], &common);
  e->type = eddy_type(EDDY_T_BOOL);
  return e;
}

static eddy_expr_t *check_case(eddy_scope_t *s, eddy_expr_t *e) {
  uint32_t n = e->u.case_.cnt;
  eddy_type_t *types = eddy__dsl_array(s->ck->c, n + 1, sizeof(eddy_type_t));
  for (uint32_t i = 0; i < n; i++) {
    e->u.case_.when[i] = eddy__check_cond(s, e->u.case_.when[i], "a 'when' condition");
    e->u.case_.then[i] = eddy__check_expr(s, e->u.case_.then[i]);
    types[i] = e->u.case_.then[i]->type;
  }
  if (e->u.case_.els != NULL) {
    e->u.case_.els = eddy__check_expr(s, e->u.case_.els);
    types[n] = e->u.case_.els->type;
  }
  char why[WHY_SIZE] = "";
  int rc = eddy_expr_type_common(types, n + (e->u.case_.els != NULL), &e->type, why, sizeof(why));
  if (rc != 0)
    fail(s, e, "the branches of 'case' have %s", why, "");
  for (uint32_t i = 0; i < n; i++)
    e->u.case_.then[i] = convert_exact(s, e->u.case_.then[i], &e->type);
  if (e->u.case_.els != NULL)
    e->u.case_.els = convert_exact(s, e->u.case_.els, &e->type);
  return e;
}

static _Noreturn void unknown_function(eddy_scope_t *s, const eddy_expr_t *e) {
  const char *name = e->u.call.name;
  for (const char *const *a = aggregate_names; *a != NULL; a++)
    if (strcmp(*a, name) == 0)
      fail(s, e, "'%s' is an aggregate function: use it in 'aggregate' after 'group by'%s", name,
           "");
  eddy_suggest_t sg;
  eddy__suggest_init(&sg, name);
  for (const eddy_func_t *const *f = eddy_func_all(); f != NULL && *f != NULL; f++)
    eddy__suggest_add(&sg, (*f)->name);
  const char *hint = eddy__suggest_hint(s->ck->c, &sg);
  fail(s, e, "unknown function '%s'%s", name, *hint ? hint : " (see docs/functions.md)");
}

/* Name lookup (with suggestions) is ours; argument rules, result types and
 * constant-argument checks (round's digits, date_trunc's unit) belong to the
 * function library, so the evaluator sees exactly the types it expects. */
static eddy_expr_t *check_call(eddy_scope_t *s, eddy_expr_t *e) {
  if (eddy_func_lookup(e->u.call.name) == NULL)
    unknown_function(s, e);
  for (uint32_t i = 0; i < e->u.call.argc; i++)
    e->u.call.args[i] = eddy__check_expr(s, e->u.call.args[i]);
  char why[WHY_SIZE] = "";
  type_or_fail(s, e, eddy_expr_check_call(e, why, sizeof(why)), why);
  return e;
}

static eddy_expr_t *check_cast(eddy_scope_t *s, eddy_expr_t *e) {
  e->u.cast.arg = eddy__check_expr(s, e->u.cast.arg);
  if (!eddy_expr_castable(&e->u.cast.arg->type, &e->type))
    fail(s, e, "cannot cast %s to %s", eddy__type_name(s->ck->c, &e->u.cast.arg->type),
         eddy__type_name(s->ck->c, &e->type));
  return e;
}

eddy_expr_t *eddy__check_expr(eddy_scope_t *s, eddy_expr_t *e) {
  switch ((eddy_expr_kind_t)e->kind) {
  case EDDY_X_LITERAL:
    return e;
  case EDDY_X_FIELD:
    return e->type.kind != EDDY_T_NULL ? e : eddy__check_expr(s, resolve_field(s, e));
  case EDDY_X_KEY:
    e->type = s->row->key;
    return e;
  case EDDY_X_ROWTIME:
    e->type = eddy_type(EDDY_T_TIMESTAMP);
    return e;
  case EDDY_X_HEADER:
    e->type = eddy_type(EDDY_T_STRING);
    return e;
  case EDDY_X_NEG:
  case EDDY_X_NOT:
  case EDDY_X_IS_NULL:
  case EDDY_X_IS_NOT_NULL:
    return check_unary(s, e);
  case EDDY_X_IN:
  case EDDY_X_NOT_IN:
    return check_in(s, e);
  case EDDY_X_CASE:
    return check_case(s, e);
  case EDDY_X_CALL:
    return check_call(s, e);
  case EDDY_X_CAST:
    return check_cast(s, e);
  case EDDY_X_MEMBER:
    e->u.member.arg = eddy__check_expr(s, e->u.member.arg);
    return check_member(s, e);
  case EDDY_X_INDEX:
    e->u.index.arg = eddy__check_expr(s, e->u.index.arg);
    e->u.index.index = eddy__check_expr(s, e->u.index.index);
    return check_index(s, e);
  default:
    return check_binary(s, e);
  }
}

eddy_expr_t *eddy__check_cond(eddy_scope_t *s, eddy_expr_t *e, const char *what) {
  e = eddy__check_expr(s, e);
  if (e->type.kind != EDDY_T_BOOL && e->type.kind != EDDY_T_ANY)
    fail(s, e, "%s must be bool, got %s", what, eddy__type_name(s->ck->c, &e->type));
  return e;
}
