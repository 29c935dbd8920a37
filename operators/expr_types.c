/*
 * Typing rules for expressions: binary and unary operators, common types,
 * casts and assignability. The DSL checker calls these so that type errors
 * surface in `eddy check`. The evaluator (expr_eval.c, expr_arith.c) follows
 * the same rules at run time.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <stdio.h>
#include <string.h>

static bool is_num(uint8_t k) { return k == EDDY_T_INT || k == EDDY_T_DECIMAL || k == EDDY_T_DOUBLE; }

static int type_error(char *why, size_t why_size, const char *fmt, const char *verb,
                      const eddy_type_t *l, const eddy_type_t *r) {
  char a[96], b[96];
  eddy_type_format(l, a, sizeof(a));
  if (r != NULL)
    eddy_type_format(r, b, sizeof(b));
  if (why != NULL && why_size > 0)
    snprintf(why, why_size, fmt, verb, a, r != NULL ? b : "");
  return EDDY_ETYPE;
}

/* An int takes part in decimal arithmetic as decimal(19,0). */
static void dec_parts(const eddy_type_t *t, int *intdigits, int *scale) {
  if (t->kind == EDDY_T_INT) {
    *intdigits = 19;
    *scale = 0;
    return;
  }
  int p = t->precision ? t->precision : EDDY_DECIMAL_MAX_PRECISION;
  *scale = t->scale;
  *intdigits = p > t->scale ? p - t->scale : 0;
}

eddy_type_t eddy__expr_dec_type(int intdigits, int scale) {
  if (intdigits < 0)
    intdigits = 0;
  if (scale > EDDY_DECIMAL_MAX_PRECISION)
    scale = EDDY_DECIMAL_MAX_PRECISION;
  int p = intdigits + scale;
  if (p > EDDY_DECIMAL_MAX_PRECISION) {
    /* Keep the integer digits; give up fraction digits but keep at least 6
     * (or fewer if there were fewer), as SQL Server does. */
    int keep = EDDY_DECIMAL_MAX_PRECISION - intdigits;
    int floor6 = scale < 6 ? scale : 6;
    scale = keep > floor6 ? keep : floor6;
    p = EDDY_DECIMAL_MAX_PRECISION;
  }
  if (p < 1)
    p = 1;
  return eddy_type_decimal((uint8_t)p, (uint8_t)scale);
}

/* decimal(intdigits + scale, scale) with the precision capped at 38 and the scale kept. */
static eddy_type_t keep_scale(int intdigits, int scale) {
  int p = intdigits + scale;
  if (p > EDDY_DECIMAL_MAX_PRECISION)
    p = EDDY_DECIMAL_MAX_PRECISION;
  return eddy_type_decimal((uint8_t)(p < 1 ? 1 : p), (uint8_t)scale);
}

eddy_type_t eddy__expr_dec_result(eddy_expr_kind_t kind, const eddy_type_t *l,
                                  const eddy_type_t *r) {
  int i1, s1, i2, s2;
  dec_parts(l, &i1, &s1);
  dec_parts(r, &i2, &s2);
  int imax = i1 > i2 ? i1 : i2, smax = s1 > s2 ? s1 : s2;
  switch (kind) {
  case EDDY_X_ADD:
  case EDDY_X_SUB:
    /* Sums are exact at the larger scale: never give up fraction digits
     * here (an overflow past 38 digits is caught when it happens). */
    return keep_scale(imax + 1, smax);
  case EDDY_X_MUL:
    return eddy__expr_dec_type(i1 + i2 + 1, s1 + s2);
  case EDDY_X_DIV: {
    int p2 = i2 + s2;
    int s = s1 + p2 + 1 > 6 ? s1 + p2 + 1 : 6;
    return eddy__expr_dec_type(i1 + s2, s);
  }
  default: /* MOD: the result is smaller than the divisor */
    return keep_scale(i1 < i2 ? i1 : i2, smax);
  }
}

static const char *verb_of(eddy_expr_kind_t kind) {
  switch (kind) {
  case EDDY_X_ADD: return "add";
  case EDDY_X_SUB: return "subtract";
  case EDDY_X_MUL: return "multiply";
  case EDDY_X_DIV: return "divide";
  case EDDY_X_MOD: return "take the remainder of";
  default: return "compare";
  }
}

/* Can this kind take part in arithmetic at all (for null partners)? */
static bool arith_operand(uint8_t k) {
  return is_num(k) || k == EDDY_T_TIMESTAMP || k == EDDY_T_DURATION || k == EDDY_T_STRING ||
         k == EDDY_T_ANY || k == EDDY_T_NULL;
}

static int type_arith_num(eddy_expr_kind_t kind, const eddy_type_t *l, const eddy_type_t *r,
                          eddy_type_t *out) {
  if (l->kind == EDDY_T_DOUBLE || r->kind == EDDY_T_DOUBLE)
    *out = eddy_type(EDDY_T_DOUBLE);
  else if (l->kind == EDDY_T_INT && r->kind == EDDY_T_INT)
    *out = eddy_type(EDDY_T_INT);
  else
    *out = eddy__expr_dec_result(kind, l, r);
  return 0;
}

/* Timestamps, durations and strings: the non-numeric arithmetic rules. */
static int type_arith_other(eddy_expr_kind_t kind, uint8_t a, uint8_t b, eddy_type_t *out) {
  const uint8_t T = EDDY_T_TIMESTAMP, D = EDDY_T_DURATION;
  eddy_kind_t k = EDDY_T__COUNT;
  if (kind == EDDY_X_ADD) {
    if ((a == T && b == D) || (a == D && b == T))
      k = EDDY_T_TIMESTAMP;
    else if (a == D && b == D)
      k = EDDY_T_DURATION;
    else if (a == EDDY_T_STRING && b == EDDY_T_STRING)
      k = EDDY_T_STRING;
  } else if (kind == EDDY_X_SUB) {
    if (a == T && b == D)
      k = EDDY_T_TIMESTAMP;
    else if ((a == T && b == T) || (a == D && b == D))
      k = EDDY_T_DURATION;
  } else if (kind == EDDY_X_MUL) {
    if ((a == D && b == EDDY_T_INT) || (a == EDDY_T_INT && b == D))
      k = EDDY_T_DURATION;
  } else if (kind == EDDY_X_DIV) {
    if (a == D && b == EDDY_T_INT)
      k = EDDY_T_DURATION;
  }
  if (k == EDDY_T__COUNT)
    return EDDY_ETYPE;
  *out = eddy_type(k);
  return 0;
}

static int type_arith(eddy_expr_kind_t kind, const eddy_type_t *l, const eddy_type_t *r,
                      eddy_type_t *out, char *why, size_t why_size) {
  const char *verb = verb_of(kind);
  if (l->kind == EDDY_T_NULL || r->kind == EDDY_T_NULL) {
    const eddy_type_t *other = l->kind == EDDY_T_NULL ? r : l;
    if (!arith_operand(other->kind) || (other->kind == EDDY_T_STRING && kind != EDDY_X_ADD))
      return type_error(why, why_size, "cannot %s %s and %s", verb, l, r);
    *out = *other;
    if (kind == EDDY_X_SUB && other == r && r->kind == EDDY_T_TIMESTAMP)
      *out = eddy_type(EDDY_T_DURATION);
    return 0;
  }
  if (l->kind == EDDY_T_ANY || r->kind == EDDY_T_ANY) {
    const eddy_type_t *other = l->kind == EDDY_T_ANY ? r : l;
    if (!arith_operand(other->kind))
      return type_error(why, why_size, "cannot %s %s and %s", verb, l, r);
    *out = eddy_type(EDDY_T_ANY);
    return 0;
  }
  if (is_num(l->kind) && is_num(r->kind))
    return type_arith_num(kind, l, r, out);
  if (type_arith_other(kind, l->kind, r->kind, out) == 0)
    return 0;
  return type_error(why, why_size, "cannot %s %s and %s", verb, l, r);
}

/* Whether values of these two types may be compared (eq/ne when !ordered). */
bool eddy__expr_comparable(const eddy_type_t *l, const eddy_type_t *r, bool ordered) {
  uint8_t a = l->kind, b = r->kind;
  if (a == EDDY_T_NULL || b == EDDY_T_NULL || a == EDDY_T_ANY || b == EDDY_T_ANY)
    return true;
  if (is_num(a) && is_num(b))
    return true;
  if (a != b)
    return false;
  if (a == EDDY_T_ARRAY || a == EDDY_T_STRUCT)
    return !ordered && eddy_type_equal(l, r);
  return true;
}

static int type_compare(eddy_expr_kind_t kind, const eddy_type_t *l, const eddy_type_t *r,
                        eddy_type_t *out, char *why, size_t why_size) {
  bool ordered = kind != EDDY_X_EQ && kind != EDDY_X_NE;
  if (!eddy__expr_comparable(l, r, ordered))
    return type_error(why, why_size, "cannot %s %s and %s", "compare", l, r);
  *out = eddy_type(EDDY_T_BOOL);
  return 0;
}

static bool boolish(uint8_t k) { return k == EDDY_T_BOOL || k == EDDY_T_NULL || k == EDDY_T_ANY; }

static int type_logic(eddy_expr_kind_t kind, const eddy_type_t *l, const eddy_type_t *r,
                      eddy_type_t *out, char *why, size_t why_size) {
  const char *op = kind == EDDY_X_AND ? "and" : "or";
  const eddy_type_t *bad = !boolish(l->kind) ? l : !boolish(r->kind) ? r : NULL;
  if (bad != NULL) {
    char t[96];
    eddy_type_format(bad, t, sizeof(t));
    if (why != NULL && why_size > 0)
      snprintf(why, why_size, "'%s' expects bool operands, got %s", op, t);
    return EDDY_ETYPE;
  }
  *out = eddy_type(EDDY_T_BOOL);
  return 0;
}

int eddy_expr_type_binary(eddy_expr_kind_t kind, const eddy_type_t *l, const eddy_type_t *r,
                          eddy_type_t *out, char *why, size_t why_size) {
  switch (kind) {
  case EDDY_X_ADD:
  case EDDY_X_SUB:
  case EDDY_X_MUL:
  case EDDY_X_DIV:
  case EDDY_X_MOD:
    return type_arith(kind, l, r, out, why, why_size);
  case EDDY_X_EQ:
  case EDDY_X_NE:
  case EDDY_X_LT:
  case EDDY_X_LE:
  case EDDY_X_GT:
  case EDDY_X_GE:
    return type_compare(kind, l, r, out, why, why_size);
  case EDDY_X_AND:
  case EDDY_X_OR:
    return type_logic(kind, l, r, out, why, why_size);
  default:
    if (why != NULL && why_size > 0)
      snprintf(why, why_size, "not a binary operator (kind %d)", (int)kind);
    return EDDY_EINVAL;
  }
}

int eddy_expr_type_unary(eddy_expr_kind_t kind, const eddy_type_t *arg, eddy_type_t *out,
                         char *why, size_t why_size) {
  char t[96];
  switch (kind) {
  case EDDY_X_NEG:
    if (is_num(arg->kind) || arg->kind == EDDY_T_DURATION || arg->kind == EDDY_T_NULL ||
        arg->kind == EDDY_T_ANY) {
      *out = *arg;
      return 0;
    }
    eddy_type_format(arg, t, sizeof(t));
    if (why != NULL && why_size > 0)
      snprintf(why, why_size, "cannot negate %s", t);
    return EDDY_ETYPE;
  case EDDY_X_NOT:
    if (boolish(arg->kind)) {
      *out = eddy_type(EDDY_T_BOOL);
      return 0;
    }
    eddy_type_format(arg, t, sizeof(t));
    if (why != NULL && why_size > 0)
      snprintf(why, why_size, "'not' expects bool, got %s", t);
    return EDDY_ETYPE;
  case EDDY_X_IS_NULL:
  case EDDY_X_IS_NOT_NULL:
    *out = eddy_type(EDDY_T_BOOL);
    return 0;
  default:
    if (why != NULL && why_size > 0)
      snprintf(why, why_size, "not a unary operator (kind %d)", (int)kind);
    return EDDY_EINVAL;
  }
}

/* The common type of two types, or EDDY_ETYPE. */
static int common2(const eddy_type_t *a, const eddy_type_t *b, eddy_type_t *out) {
  if (a->kind == EDDY_T_NULL || b->kind == EDDY_T_ANY) {
    *out = *b;
    return 0;
  }
  if (b->kind == EDDY_T_NULL || a->kind == EDDY_T_ANY) {
    *out = *a;
    return 0;
  }
  if (is_num(a->kind) && is_num(b->kind)) {
    if (a->kind == EDDY_T_DOUBLE || b->kind == EDDY_T_DOUBLE) {
      *out = eddy_type(EDDY_T_DOUBLE);
    } else if (a->kind == EDDY_T_INT && b->kind == EDDY_T_INT) {
      *out = *a;
    } else {
      int i1, s1, i2, s2;
      dec_parts(a, &i1, &s1);
      dec_parts(b, &i2, &s2);
      *out = keep_scale(i1 > i2 ? i1 : i2, s1 > s2 ? s1 : s2);
    }
    return 0;
  }
  if (eddy_type_equal(a, b)) {
    *out = *a;
    return 0;
  }
  return EDDY_ETYPE;
}

int eddy_expr_type_common(const eddy_type_t *types, size_t cnt, eddy_type_t *out, char *why,
                          size_t why_size) {
  eddy_type_t acc = eddy_type(EDDY_T_NULL);
  for (size_t i = 0; i < cnt; i++) {
    eddy_type_t next;
    if (common2(&acc, &types[i], &next) != 0)
      return type_error(why, why_size, "no common type for %s%s and %s", "", &acc, &types[i]);
    acc = next;
  }
  *out = acc;
  return 0;
}

static bool scalar_castable(uint8_t f, uint8_t t) {
  if (f == t)
    return true;
  bool fnum = is_num(f), tnum = is_num(t);
  if (fnum && tnum)
    return true;
  if (t == EDDY_T_STRING)
    return f != EDDY_T_ANY; /* everything formats */
  if (f == EDDY_T_STRING)
    return tnum || t == EDDY_T_BOOL || t == EDDY_T_BYTES || t == EDDY_T_TIMESTAMP ||
           t == EDDY_T_DURATION;
  if (f == EDDY_T_BOOL)
    return t == EDDY_T_INT || t == EDDY_T_DECIMAL || t == EDDY_T_DOUBLE;
  if (t == EDDY_T_BOOL)
    return fnum;
  if (f == EDDY_T_INT)
    return t == EDDY_T_TIMESTAMP || t == EDDY_T_DURATION;
  if (t == EDDY_T_INT)
    return f == EDDY_T_TIMESTAMP || f == EDDY_T_DURATION;
  return false;
}

bool eddy_expr_castable(const eddy_type_t *from, const eddy_type_t *to) {
  if (from->kind == EDDY_T_NULL || from->kind == EDDY_T_ANY || to->kind == EDDY_T_ANY)
    return true;
  if (to->kind == EDDY_T_NULL)
    return false;
  if (from->kind == EDDY_T_ARRAY && to->kind == EDDY_T_ARRAY) {
    if (from->elem == NULL || to->elem == NULL)
      return true;
    return eddy_expr_castable(from->elem, to->elem);
  }
  if (from->kind == EDDY_T_STRUCT && to->kind == EDDY_T_STRUCT)
    return eddy_type_equal(from, to);
  if (to->kind == EDDY_T_ARRAY || to->kind == EDDY_T_STRUCT)
    return false;
  return scalar_castable(from->kind, to->kind);
}

bool eddy_expr_assignable(const eddy_type_t *from, const eddy_type_t *to) {
  if (from->kind == EDDY_T_NULL || from->kind == EDDY_T_ANY || to->kind == EDDY_T_ANY)
    return true;
  if (to->kind == EDDY_T_DOUBLE)
    return is_num(from->kind);
  /* Integer digits are checked when the value is stored (EDDY_EOVERFLOW);
   * fraction digits would be rounded away silently, so they must fit. */
  if (to->kind == EDDY_T_DECIMAL && from->kind == EDDY_T_INT)
    return true;
  if (to->kind == EDDY_T_DECIMAL && from->kind == EDDY_T_DECIMAL)
    return from->scale <= to->scale;
  if (from->kind != to->kind)
    return false;
  if (to->kind == EDDY_T_ARRAY) {
    if (from->elem == NULL || to->elem == NULL)
      return true;
    return eddy_expr_assignable(from->elem, to->elem);
  }
  return to->kind == EDDY_T_STRUCT ? eddy_type_equal(from, to) : true;
}

/* ---- typing one node ------------------------------------------------------- */

static int set_why(char *why, size_t why_size, int rc, const char *fmt, const char *a,
                   const char *b) {
  if (why != NULL && why_size > 0)
    snprintf(why, why_size, fmt, a, b);
  return rc;
}

static eddy_type_t literal_type(const eddy_value_t *v) {
  if (v->kind != EDDY_T_DECIMAL)
    return eddy_type(v->kind);
  int digits = eddy_decimal_digits(v->u.dec);
  int p = digits > v->scale ? digits : v->scale;
  if (p > EDDY_DECIMAL_MAX_PRECISION)
    p = EDDY_DECIMAL_MAX_PRECISION;
  return eddy_type_decimal((uint8_t)(p < 1 ? 1 : p), v->scale);
}

static int type_in(eddy_expr_t *e, char *why, size_t why_size) {
  eddy_type_t acc = e->u.in.arg->type;
  for (uint32_t i = 0; i < e->u.in.cnt; i++) {
    const eddy_type_t *it = &e->u.in.items[i]->type;
    if (!eddy__expr_comparable(&acc, it, false)) {
      char a[96], b[96];
      eddy_type_format(&e->u.in.arg->type, a, sizeof(a));
      eddy_type_format(it, b, sizeof(b));
      return set_why(why, why_size, EDDY_ETYPE, "'in' list mixes %s with %s", a, b);
    }
  }
  e->type = eddy_type(EDDY_T_BOOL);
  return 0;
}

static int type_case(eddy_expr_t *e, char *why, size_t why_size) {
  uint32_t n = e->u.case_.cnt;
  eddy_type_t acc = eddy_type(EDDY_T_NULL);
  for (uint32_t i = 0; i < n; i++) {
    const eddy_type_t *c = &e->u.case_.when[i]->type;
    if (!boolish(c->kind)) {
      char t[96];
      eddy_type_format(c, t, sizeof(t));
      return set_why(why, why_size, EDDY_ETYPE, "'when' condition must be bool, got %s%s", t, "");
    }
    eddy_type_t pair[2] = {acc, e->u.case_.then[i]->type};
    if (eddy_expr_type_common(pair, 2, &acc, why, why_size) != 0)
      return EDDY_ETYPE;
  }
  if (e->u.case_.els != NULL) {
    eddy_type_t pair[2] = {acc, e->u.case_.els->type};
    if (eddy_expr_type_common(pair, 2, &acc, why, why_size) != 0)
      return EDDY_ETYPE;
  }
  e->type = acc;
  return 0;
}

static int type_member(eddy_expr_t *e, char *why, size_t why_size) {
  const eddy_type_t *t = &e->u.member.arg->type;
  char b[96];
  if (t->kind == EDDY_T_NULL) {
    e->type = eddy_type(EDDY_T_NULL);
    e->u.member.index = -1;
    return 0;
  }
  if (t->kind != EDDY_T_STRUCT || t->fields == NULL) {
    eddy_type_format(t, b, sizeof(b));
    return set_why(why, why_size, EDDY_ETYPE, "cannot access field '%s' of %s (not a struct)",
                   e->u.member.name, b);
  }
  int idx = eddy_fields_find(t->fields, e->u.member.name);
  if (idx < 0) {
    eddy_type_format(t, b, sizeof(b));
    return set_why(why, why_size, EDDY_ETYPE, "no field '%s' in %s", e->u.member.name, b);
  }
  e->u.member.index = idx;
  e->type = t->fields->items[idx].type;
  return 0;
}

static int type_index(eddy_expr_t *e, char *why, size_t why_size) {
  const eddy_type_t *t = &e->u.index.arg->type, *i = &e->u.index.index->type;
  char b[96];
  if (i->kind != EDDY_T_INT && i->kind != EDDY_T_NULL && i->kind != EDDY_T_ANY) {
    eddy_type_format(i, b, sizeof(b));
    return set_why(why, why_size, EDDY_ETYPE, "array index must be int, got %s%s", b, "");
  }
  if (t->kind == EDDY_T_NULL || t->kind == EDDY_T_ANY) {
    e->type = *t;
    return 0;
  }
  if (t->kind != EDDY_T_ARRAY) {
    eddy_type_format(t, b, sizeof(b));
    return set_why(why, why_size, EDDY_ETYPE, "cannot index %s (not an array)%s", b, "");
  }
  e->type = t->elem != NULL ? *t->elem : eddy_type(EDDY_T_ANY);
  return 0;
}

static int type_cast(eddy_expr_t *e, char *why, size_t why_size) {
  if (eddy_expr_castable(&e->u.cast.arg->type, &e->type))
    return 0;
  char a[96], b[96];
  eddy_type_format(&e->u.cast.arg->type, a, sizeof(a));
  eddy_type_format(&e->type, b, sizeof(b));
  return set_why(why, why_size, EDDY_ETYPE, "cannot cast %s to %s", a, b);
}

int eddy_expr_type_node(eddy_expr_t *e, char *why, size_t why_size) {
  switch (e->kind) {
  case EDDY_X_LITERAL:
    e->type = literal_type(&e->u.lit);
    return 0;
  case EDDY_X_FIELD:
  case EDDY_X_KEY:
    return 0;
  case EDDY_X_ROWTIME:
    e->type = eddy_type(EDDY_T_TIMESTAMP);
    return 0;
  case EDDY_X_HEADER:
    e->type = eddy_type(EDDY_T_STRING);
    return 0;
  case EDDY_X_NEG:
  case EDDY_X_NOT:
  case EDDY_X_IS_NULL:
  case EDDY_X_IS_NOT_NULL:
    return eddy_expr_type_unary(e->kind, &e->u.un.arg->type, &e->type, why, why_size);
  case EDDY_X_IN:
  case EDDY_X_NOT_IN:
    return type_in(e, why, why_size);
  case EDDY_X_CASE:
    return type_case(e, why, why_size);
  case EDDY_X_CALL:
    return eddy_expr_check_call(e, why, why_size);
  case EDDY_X_CAST:
    return type_cast(e, why, why_size);
  case EDDY_X_MEMBER:
    return type_member(e, why, why_size);
  case EDDY_X_INDEX:
    return type_index(e, why, why_size);
  default:
    if (e->kind >= EDDY_X_ADD && e->kind <= EDDY_X_OR)
      return eddy_expr_type_binary(e->kind, &e->u.bin.lhs->type, &e->u.bin.rhs->type, &e->type,
                                   why, why_size);
    return set_why(why, why_size, EDDY_EINVAL, "unknown expression kind%s%s", "", "");
  }
}
