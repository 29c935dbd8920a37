/*
 * Expressions back to DSL text, for `eddy describe` and messages. Parentheses
 * appear only where precedence needs them; implicit casts inserted by the
 * checker are invisible (they span exactly their argument).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "eddy/error.h"

enum { P_OR = 1, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_UNARY, P_POSTFIX, P_PRIMARY };

static int format_at(const eddy_expr_t *e, eddy_buf_t *out);
static int format_double(double d, eddy_buf_t *out);

static bool implicit_cast(const eddy_expr_t *e) {
  return e->kind == EDDY_X_CAST && e->off == e->u.cast.arg->off && e->len == e->u.cast.arg->len;
}

static bool negative_literal(const eddy_value_t *v) {
  switch (v->kind) {
  case EDDY_T_INT: case EDDY_T_DURATION: return v->u.i < 0;
  case EDDY_T_DOUBLE: return v->u.d < 0;
  case EDDY_T_DECIMAL: return v->u.dec < 0;
  default: return false;
  }
}

static int precedence(const eddy_expr_t *e) {
  while (implicit_cast(e))
    e = e->u.cast.arg;
  switch (e->kind) {
  case EDDY_X_OR: return P_OR;
  case EDDY_X_AND: return P_AND;
  case EDDY_X_NOT: return P_NOT;
  case EDDY_X_EQ: case EDDY_X_NE: case EDDY_X_LT: case EDDY_X_LE: case EDDY_X_GT: case EDDY_X_GE:
  case EDDY_X_IS_NULL: case EDDY_X_IS_NOT_NULL: case EDDY_X_IN: case EDDY_X_NOT_IN:
    return P_CMP;
  case EDDY_X_ADD: case EDDY_X_SUB: return P_ADD;
  case EDDY_X_MUL: case EDDY_X_DIV: case EDDY_X_MOD: return P_MUL;
  case EDDY_X_NEG: return P_UNARY;
  case EDDY_X_MEMBER: case EDDY_X_INDEX: return P_POSTFIX;
  case EDDY_X_LITERAL: return negative_literal(&e->u.lit) ? P_UNARY : P_PRIMARY;
  default: return P_PRIMARY;
  }
}

/* Child \p e of an operator at level \p min: parenthesised when looser. */
static int child(const eddy_expr_t *e, int min, eddy_buf_t *out) {
  if (precedence(e) >= min)
    return format_at(e, out);
  int rc = eddy_buf_putc(out, '(');
  if (rc == 0)
    rc = format_at(e, out);
  return rc == 0 ? eddy_buf_putc(out, ')') : rc;
}

static int format_string(const char *s, uint32_t len, eddy_buf_t *out) {
  int rc = eddy_buf_putc(out, '"');
  for (uint32_t i = 0; rc == 0 && i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\')
      rc = eddy_buf_printf(out, "\\%c", ch);
    else if (ch == '\n')
      rc = eddy_buf_puts(out, "\\n");
    else if (ch == '\t')
      rc = eddy_buf_puts(out, "\\t");
    else if (ch < 0x20)
      rc = eddy_buf_printf(out, "\\u%04x", ch);
    else
      rc = eddy_buf_putc(out, (char)ch);
  }
  return rc == 0 ? eddy_buf_putc(out, '"') : rc;
}

static int format_duration(int64_t us, eddy_buf_t *out) {
  static const struct { int64_t us; const char *unit; } units[] = {
      {EDDY_DAY, "d"}, {EDDY_HOUR, "h"}, {EDDY_MIN, "m"}, {EDDY_SEC, "s"}, {EDDY_MSEC, "ms"},
  };
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (us != 0 && us % units[i].us == 0)
      return eddy_buf_printf(out, "%lld%s", (long long)(us / units[i].us), units[i].unit);
  return eddy_buf_printf(out, "%lldus", (long long)us);
}

static int format_literal(const eddy_value_t *v, eddy_buf_t *out) {
  char buf[64];
  switch (v->kind) {
  case EDDY_T_NULL: return eddy_buf_puts(out, "null");
  case EDDY_T_BOOL: return eddy_buf_puts(out, v->u.b ? "true" : "false");
  case EDDY_T_INT: return eddy_buf_printf(out, "%lld", (long long)v->u.i);
  case EDDY_T_DOUBLE: return format_double(v->u.d, out);
  case EDDY_T_DECIMAL:
    eddy_decimal_format(v->u.dec, v->scale, buf, sizeof(buf));
    return eddy_buf_puts(out, buf);
  case EDDY_T_STRING: return format_string(v->u.s, v->len, out);
  case EDDY_T_DURATION: return format_duration(v->u.i, out);
  case EDDY_T_TIMESTAMP:
    eddy_timestamp_format(v->u.i, buf, sizeof(buf));
    return eddy_buf_printf(out, "timestamp \"%s\"", buf);
  default: return eddy_buf_puts(out, "?");
  }
}

/* The shortest text that reads back as the same double; an exponent keeps
 * it a double (1.5 alone would read back as a decimal). */
static int format_double(double d, eddy_buf_t *out) {
  char buf[64];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, sizeof(buf), "%.*g", digits, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  return eddy_buf_printf(out, strchr(buf, 'e') != NULL ? "%s" : "%se0", buf);
}

static const char *binary_op(eddy_expr_kind_t kind) {
  switch (kind) {
  case EDDY_X_ADD: return " + ";
  case EDDY_X_SUB: return " - ";
  case EDDY_X_MUL: return " * ";
  case EDDY_X_DIV: return " / ";
  case EDDY_X_MOD: return " % ";
  case EDDY_X_EQ: return " == ";
  case EDDY_X_NE: return " != ";
  case EDDY_X_LT: return " < ";
  case EDDY_X_LE: return " <= ";
  case EDDY_X_GT: return " > ";
  case EDDY_X_GE: return " >= ";
  case EDDY_X_AND: return " and ";
  default: return " or ";
  }
}

static int format_list(eddy_expr_t *const *items, uint32_t cnt, eddy_buf_t *out) {
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < cnt; i++) {
    if (i > 0)
      rc = eddy_buf_puts(out, ", ");
    if (rc == 0)
      rc = format_at(items[i], out);
  }
  return rc;
}

static int format_case(const eddy_expr_t *e, eddy_buf_t *out) {
  int rc = eddy_buf_puts(out, "case");
  for (uint32_t i = 0; rc == 0 && i < e->u.case_.cnt; i++) {
    rc = eddy_buf_puts(out, " when ");
    rc = rc == 0 ? format_at(e->u.case_.when[i], out) : rc;
    rc = rc == 0 ? eddy_buf_puts(out, " then ") : rc;
    rc = rc == 0 ? format_at(e->u.case_.then[i], out) : rc;
  }
  if (rc == 0 && e->u.case_.els != NULL) {
    rc = eddy_buf_puts(out, " else ");
    rc = rc == 0 ? format_at(e->u.case_.els, out) : rc;
  }
  return rc == 0 ? eddy_buf_puts(out, " end") : rc;
}

static int format_cast(const eddy_expr_t *e, eddy_buf_t *out) {
  char type[256];
  eddy_type_format(&e->type, type, sizeof(type));
  int rc = eddy_buf_puts(out, "cast(");
  rc = rc == 0 ? format_at(e->u.cast.arg, out) : rc;
  return rc == 0 ? eddy_buf_printf(out, " as %s)", type) : rc;
}

static int format_in(const eddy_expr_t *e, eddy_buf_t *out) {
  int rc = child(e->u.in.arg, P_ADD, out);
  rc = rc == 0 ? eddy_buf_puts(out, e->kind == EDDY_X_IN ? " in (" : " not in (") : rc;
  rc = rc == 0 ? format_list(e->u.in.items, e->u.in.cnt, out) : rc;
  return rc == 0 ? eddy_buf_putc(out, ')') : rc;
}

static int format_at(const eddy_expr_t *e, eddy_buf_t *out) {
  int rc;
  switch (e->kind) {
  case EDDY_X_LITERAL: return format_literal(&e->u.lit, out);
  case EDDY_X_FIELD: return eddy_buf_puts(out, e->u.field.path);
  case EDDY_X_KEY: return eddy_buf_puts(out, "key");
  case EDDY_X_ROWTIME: return eddy_buf_puts(out, "rowtime");
  case EDDY_X_HEADER:
    rc = eddy_buf_puts(out, "headers[");
    rc = rc == 0 ? format_string(e->u.header.name, (uint32_t)strlen(e->u.header.name), out) : rc;
    return rc == 0 ? eddy_buf_putc(out, ']') : rc;
  case EDDY_X_NEG:
    rc = eddy_buf_putc(out, '-');
    return rc == 0 ? child(e->u.un.arg, P_UNARY, out) : rc;
  case EDDY_X_NOT:
    rc = eddy_buf_puts(out, "not ");
    return rc == 0 ? child(e->u.un.arg, P_NOT, out) : rc;
  case EDDY_X_IS_NULL:
  case EDDY_X_IS_NOT_NULL:
    rc = child(e->u.un.arg, P_ADD, out);
    return rc == 0 ? eddy_buf_puts(out, e->kind == EDDY_X_IS_NULL ? " is null" : " is not null")
                   : rc;
  case EDDY_X_IN:
  case EDDY_X_NOT_IN: return format_in(e, out);
  case EDDY_X_CASE: return format_case(e, out);
  case EDDY_X_CALL:
    rc = eddy_buf_printf(out, "%s(", e->u.call.name);
    rc = rc == 0 ? format_list(e->u.call.args, e->u.call.argc, out) : rc;
    return rc == 0 ? eddy_buf_putc(out, ')') : rc;
  case EDDY_X_CAST:
    return implicit_cast(e) ? format_at(e->u.cast.arg, out) : format_cast(e, out);
  case EDDY_X_MEMBER:
    rc = child(e->u.member.arg, P_POSTFIX, out);
    return rc == 0 ? eddy_buf_printf(out, ".%s", e->u.member.name) : rc;
  case EDDY_X_INDEX:
    rc = child(e->u.index.arg, P_POSTFIX, out);
    rc = rc == 0 ? eddy_buf_putc(out, '[') : rc;
    rc = rc == 0 ? format_at(e->u.index.index, out) : rc;
    return rc == 0 ? eddy_buf_putc(out, ']') : rc;
  default: {
    int level = precedence(e);
    /* left-associative: the right operand needs one level more */
    rc = child(e->u.bin.lhs, level == P_CMP ? P_ADD : level, out);
    rc = rc == 0 ? eddy_buf_puts(out, binary_op(e->kind)) : rc;
    return rc == 0 ? child(e->u.bin.rhs, level == P_CMP ? P_ADD : level + 1, out) : rc;
  }
  }
}

int eddy_expr_format(const eddy_expr_t *e, eddy_buf_t *out) { return format_at(e, out); }
