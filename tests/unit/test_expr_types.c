/* Typing rules: binary/unary operators, decimal result types, common
 * types, castability, assignability and per-node typing with messages. */
#include "test_expr_build.h"

static eddy_type_t T(eddy_kind_t k) { return eddy_type(k); }
static eddy_type_t DEC(int p, int s) { return eddy_type_decimal((uint8_t)p, (uint8_t)s); }

static char tbuf[300];
static char why[256];

/* "type" or "error: message" */
static const char *bin(eddy_expr_kind_t k, eddy_type_t l, eddy_type_t r) {
  eddy_type_t out;
  why[0] = '\0';
  if (eddy_expr_type_binary(k, &l, &r, &out, why, sizeof(why)) != 0) {
    snprintf(tbuf, sizeof(tbuf), "error: %s", why);
    return tbuf;
  }
  eddy_type_format(&out, tbuf, sizeof(tbuf));
  return tbuf;
}

static const char *un(eddy_expr_kind_t k, eddy_type_t a) {
  eddy_type_t out;
  if (eddy_expr_type_unary(k, &a, &out, why, sizeof(why)) != 0) {
    snprintf(tbuf, sizeof(tbuf), "error: %s", why);
    return tbuf;
  }
  eddy_type_format(&out, tbuf, sizeof(tbuf));
  return tbuf;
}

EDDY_TEST(types_arithmetic_numbers) {
  ASSERT_STR_EQ("int", bin(EDDY_X_ADD, T(EDDY_T_INT), T(EDDY_T_INT)));
  ASSERT_STR_EQ("int", bin(EDDY_X_DIV, T(EDDY_T_INT), T(EDDY_T_INT)));
  ASSERT_STR_EQ("double", bin(EDDY_X_MUL, T(EDDY_T_INT), T(EDDY_T_DOUBLE)));
  ASSERT_STR_EQ("double", bin(EDDY_X_SUB, DEC(10, 2), T(EDDY_T_DOUBLE)));
  /* decimal: + - keep max scale and one more integer digit; int is decimal(19,0) */
  ASSERT_STR_EQ("decimal(11,2)", bin(EDDY_X_ADD, DEC(10, 2), DEC(10, 2)));
  ASSERT_STR_EQ("decimal(12,3)", bin(EDDY_X_SUB, DEC(10, 2), DEC(5, 3)));
  ASSERT_STR_EQ("decimal(22,2)", bin(EDDY_X_ADD, T(EDDY_T_INT), DEC(10, 2)));
  /* * : s1+s2, p1+p2+1 */
  ASSERT_STR_EQ("decimal(16,5)", bin(EDDY_X_MUL, DEC(10, 2), DEC(5, 3)));
  /* / : scale max(6, s1+p2+1), integer digits p1-s1+s2 */
  ASSERT_STR_EQ("decimal(19,8)", bin(EDDY_X_DIV, DEC(10, 2), DEC(5, 3)));
  ASSERT_STR_EQ("decimal(16,6)", bin(EDDY_X_DIV, DEC(10, 2), DEC(2, 2))); /* s = max(6, 5) */
  /* capped at 38 digits, keeping integer digits and at least 6 fraction digits */
  ASSERT_STR_EQ("decimal(38,6)", bin(EDDY_X_MUL, DEC(38, 10), DEC(38, 10)));
  ASSERT_STR_EQ("decimal(38,2)", bin(EDDY_X_MUL, DEC(38, 1), DEC(38, 1)));
  ASSERT_STR_EQ("decimal(38,10)", bin(EDDY_X_ADD, DEC(38, 10), DEC(38, 10)));
  ASSERT_STR_EQ("decimal(38,6)", bin(EDDY_X_DIV, DEC(38, 2), T(EDDY_T_INT)));
  ASSERT_STR_EQ("decimal(10,2)", bin(EDDY_X_MOD, DEC(10, 2), DEC(12, 2)));
}

EDDY_TEST(types_arithmetic_time_strings_nulls) {
  ASSERT_STR_EQ("duration", bin(EDDY_X_SUB, T(EDDY_T_TIMESTAMP), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("timestamp", bin(EDDY_X_ADD, T(EDDY_T_TIMESTAMP), T(EDDY_T_DURATION)));
  ASSERT_STR_EQ("timestamp", bin(EDDY_X_ADD, T(EDDY_T_DURATION), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("timestamp", bin(EDDY_X_SUB, T(EDDY_T_TIMESTAMP), T(EDDY_T_DURATION)));
  ASSERT_STR_EQ("duration", bin(EDDY_X_MUL, T(EDDY_T_DURATION), T(EDDY_T_INT)));
  ASSERT_STR_EQ("duration", bin(EDDY_X_DIV, T(EDDY_T_DURATION), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: cannot add timestamp and timestamp",
                bin(EDDY_X_ADD, T(EDDY_T_TIMESTAMP), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("error: cannot subtract duration and timestamp",
                bin(EDDY_X_SUB, T(EDDY_T_DURATION), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("string", bin(EDDY_X_ADD, T(EDDY_T_STRING), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("error: cannot add string and int",
                bin(EDDY_X_ADD, T(EDDY_T_STRING), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: cannot multiply string and string",
                bin(EDDY_X_MUL, T(EDDY_T_STRING), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("error: cannot divide bool and int",
                bin(EDDY_X_DIV, T(EDDY_T_BOOL), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: cannot take the remainder of decimal(10,2) and string",
                bin(EDDY_X_MOD, DEC(10, 2), T(EDDY_T_STRING)));
  /* null takes the other side's type; ANY stays unknown */
  ASSERT_STR_EQ("decimal(10,2)", bin(EDDY_X_ADD, T(EDDY_T_NULL), DEC(10, 2)));
  ASSERT_STR_EQ("null", bin(EDDY_X_MUL, T(EDDY_T_NULL), T(EDDY_T_NULL)));
  ASSERT_STR_EQ("duration", bin(EDDY_X_SUB, T(EDDY_T_NULL), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("error: cannot add bool and null", bin(EDDY_X_ADD, T(EDDY_T_BOOL), T(EDDY_T_NULL)));
  ASSERT_STR_EQ("any", bin(EDDY_X_ADD, T(EDDY_T_ANY), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: cannot add any and bool", bin(EDDY_X_ADD, T(EDDY_T_ANY), T(EDDY_T_BOOL)));
}

EDDY_TEST(types_comparisons_and_logic) {
  ASSERT_STR_EQ("bool", bin(EDDY_X_EQ, T(EDDY_T_INT), DEC(10, 2)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_LT, T(EDDY_T_DOUBLE), DEC(10, 2)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_GE, T(EDDY_T_STRING), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_LT, T(EDDY_T_TIMESTAMP), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_NE, T(EDDY_T_BOOL), T(EDDY_T_BOOL)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_EQ, T(EDDY_T_NULL), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_EQ, T(EDDY_T_ANY), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("error: cannot compare string and int",
                bin(EDDY_X_EQ, T(EDDY_T_STRING), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: cannot compare timestamp and string",
                bin(EDDY_X_LT, T(EDDY_T_TIMESTAMP), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("error: cannot compare timestamp and duration",
                bin(EDDY_X_LT, T(EDDY_T_TIMESTAMP), T(EDDY_T_DURATION)));
  eddy_type_t s = T(EDDY_T_STRING), i = T(EDDY_T_INT);
  eddy_type_t as = {.kind = EDDY_T_ARRAY, .elem = &s}, ai = {.kind = EDDY_T_ARRAY, .elem = &i};
  ASSERT_STR_EQ("bool", bin(EDDY_X_EQ, as, as));
  ASSERT_STR_EQ("error: cannot compare array<string> and array<string>", bin(EDDY_X_LT, as, as));
  ASSERT_STR_EQ("error: cannot compare array<string> and array<int>", bin(EDDY_X_EQ, as, ai));
  ASSERT_STR_EQ("bool", bin(EDDY_X_AND, T(EDDY_T_BOOL), T(EDDY_T_NULL)));
  ASSERT_STR_EQ("bool", bin(EDDY_X_OR, T(EDDY_T_ANY), T(EDDY_T_BOOL)));
  ASSERT_STR_EQ("error: 'and' expects bool operands, got int",
                bin(EDDY_X_AND, T(EDDY_T_BOOL), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: 'or' expects bool operands, got string",
                bin(EDDY_X_OR, T(EDDY_T_STRING), T(EDDY_T_BOOL)));
  ASSERT_EQ(EDDY_EINVAL, eddy_expr_type_binary(EDDY_X_NOT, &s, &s, &i, why, sizeof(why)));
}

EDDY_TEST(types_unary) {
  ASSERT_STR_EQ("decimal(10,2)", un(EDDY_X_NEG, DEC(10, 2)));
  ASSERT_STR_EQ("duration", un(EDDY_X_NEG, T(EDDY_T_DURATION)));
  ASSERT_STR_EQ("null", un(EDDY_X_NEG, T(EDDY_T_NULL)));
  ASSERT_STR_EQ("error: cannot negate string", un(EDDY_X_NEG, T(EDDY_T_STRING)));
  ASSERT_STR_EQ("error: cannot negate timestamp", un(EDDY_X_NEG, T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("bool", un(EDDY_X_NOT, T(EDDY_T_NULL)));
  ASSERT_STR_EQ("error: 'not' expects bool, got int", un(EDDY_X_NOT, T(EDDY_T_INT)));
  ASSERT_STR_EQ("bool", un(EDDY_X_IS_NULL, T(EDDY_T_STRING)));
  ASSERT_STR_EQ("bool", un(EDDY_X_IS_NOT_NULL, DEC(3, 1)));
}

static const char *common(int n, ...) {
  eddy_type_t ts[8], out;
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    ts[i] = va_arg(ap, eddy_type_t);
  va_end(ap);
  if (eddy_expr_type_common(ts, (size_t)n, &out, why, sizeof(why)) != 0) {
    snprintf(tbuf, sizeof(tbuf), "error: %s", why);
    return tbuf;
  }
  eddy_type_format(&out, tbuf, sizeof(tbuf));
  return tbuf;
}

EDDY_TEST(types_common) {
  ASSERT_STR_EQ("null", common(0));
  ASSERT_STR_EQ("string", common(2, T(EDDY_T_NULL), T(EDDY_T_STRING)));
  ASSERT_STR_EQ("int", common(3, T(EDDY_T_INT), T(EDDY_T_NULL), T(EDDY_T_INT)));
  ASSERT_STR_EQ("decimal(21,2)", common(2, T(EDDY_T_INT), DEC(10, 2)));
  ASSERT_STR_EQ("decimal(12,4)", common(2, DEC(10, 2), DEC(6, 4)));
  ASSERT_STR_EQ("double", common(3, T(EDDY_T_INT), DEC(10, 2), T(EDDY_T_DOUBLE)));
  ASSERT_STR_EQ("timestamp", common(2, T(EDDY_T_TIMESTAMP), T(EDDY_T_TIMESTAMP)));
  ASSERT_STR_EQ("any", common(2, T(EDDY_T_STRING), T(EDDY_T_ANY)));
  ASSERT_STR_EQ("error: no common type for string and int",
                common(3, T(EDDY_T_STRING), T(EDDY_T_NULL), T(EDDY_T_INT)));
  ASSERT_STR_EQ("error: no common type for timestamp and duration",
                common(2, T(EDDY_T_TIMESTAMP), T(EDDY_T_DURATION)));
}

EDDY_TEST(types_castable_and_assignable) {
  eddy_type_t s = T(EDDY_T_STRING), i = T(EDDY_T_INT), d = T(EDDY_T_DOUBLE);
  eddy_type_t ts = T(EDDY_T_TIMESTAMP), b = T(EDDY_T_BOOL), dec = DEC(10, 2);
  eddy_type_t ai = {.kind = EDDY_T_ARRAY, .elem = &i}, as = {.kind = EDDY_T_ARRAY, .elem = &s};
  eddy_type_t at = {.kind = EDDY_T_ARRAY, .elem = &ts};
  ASSERT_TRUE(eddy_expr_castable(&s, &i));
  ASSERT_TRUE(eddy_expr_castable(&s, &dec));
  ASSERT_TRUE(eddy_expr_castable(&s, &ts));
  ASSERT_TRUE(eddy_expr_castable(&s, &b));
  ASSERT_TRUE(eddy_expr_castable(&d, &i));
  ASSERT_TRUE(eddy_expr_castable(&ts, &s));
  ASSERT_TRUE(eddy_expr_castable(&ts, &i));
  ASSERT_TRUE(eddy_expr_castable(&i, &ts));
  ASSERT_TRUE(eddy_expr_castable(&b, &i));
  ASSERT_TRUE(eddy_expr_castable(&ai, &as));
  ASSERT_TRUE(eddy_expr_castable(&ai, &s));
  ASSERT_FALSE(eddy_expr_castable(&ts, &dec));
  ASSERT_FALSE(eddy_expr_castable(&b, &ts));
  ASSERT_FALSE(eddy_expr_castable(&s, &ai));
  ASSERT_TRUE(eddy_expr_castable(&ai, &at)); /* element-wise int -> timestamp */
  ASSERT_FALSE(eddy_expr_castable(&as, &i));
  eddy_type_t nul = T(EDDY_T_NULL);
  ASSERT_TRUE(eddy_expr_castable(&nul, &ai));
  ASSERT_FALSE(eddy_expr_castable(&i, &nul));

  ASSERT_TRUE(eddy_expr_assignable(&i, &dec));
  ASSERT_TRUE(eddy_expr_assignable(&i, &d));
  ASSERT_TRUE(eddy_expr_assignable(&dec, &d));
  eddy_type_t dec3 = DEC(10, 3), dec20 = DEC(20, 2);
  ASSERT_FALSE(eddy_expr_assignable(&dec3, &dec)); /* would lose a fraction digit */
  ASSERT_TRUE(eddy_expr_assignable(&dec, &dec20));
  ASSERT_TRUE(eddy_expr_assignable(&dec, &dec3));
  ASSERT_FALSE(eddy_expr_assignable(&d, &dec));
  ASSERT_FALSE(eddy_expr_assignable(&s, &i));
  ASSERT_FALSE(eddy_expr_assignable(&ai, &as));
  ASSERT_TRUE(eddy_expr_assignable(&nul, &s));
}

EDDY_TEST(types_nodes_literals_case_in) {
  xb_begin();
  char t[64];
  eddy_type_format(&X_dec("1.50")->type, t, sizeof(t));
  ASSERT_STR_EQ("decimal(3,2)", t);
  eddy_type_format(&X_dec("0.05")->type, t, sizeof(t));
  ASSERT_STR_EQ("decimal(2,2)", t);
  eddy_type_format(&X_dec("-12345")->type, t, sizeof(t));
  ASSERT_STR_EQ("decimal(5,0)", t);
  eddy_expr_t *c = X_case(1, X_bool(true), X_int(1), X_dec("2.50"));
  eddy_type_format(&c->type, t, sizeof(t));
  ASSERT_STR_EQ("decimal(21,2)", t);
  c = X_case(1, X_bool(true), X_null(), NULL);
  ASSERT_EQ(EDDY_T_NULL, c->type.kind);
  /* errors carry a message the checker can print */
  eddy_expr_t *bad = xb_node(EDDY_X_CASE);
  eddy_expr_t *w[1] = {X_int(1)}, *th[1] = {X_str("a")};
  bad->u.case_.cnt = 1, bad->u.case_.when = w, bad->u.case_.then = th;
  ASSERT_STR_EQ("'when' condition must be bool, got int", xb_type_error(bad));
  w[0] = X_bool(true);
  bad->u.case_.els = X_int(3);
  ASSERT_STR_EQ("no common type for string and int", xb_type_error(bad));
  eddy_expr_t *in = xb_node(EDDY_X_IN);
  eddy_expr_t *items[2] = {X_int(1), X_str("x")};
  in->u.in.arg = X_int(1), in->u.in.items = items, in->u.in.cnt = 2;
  ASSERT_STR_EQ("'in' list mixes int with string", xb_type_error(in));
  items[1] = X_dec("2.5");
  ASSERT_STR_EQ("(no error)", xb_type_error(in));
  ASSERT_EQ(EDDY_T_BOOL, in->type.kind);
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(types_nodes_member_index_cast) {
  xb_begin();
  eddy_type_t i = T(EDDY_T_INT), s = T(EDDY_T_STRING);
  eddy_field_t f[2] = {{"product_id", i}, {"name", s}};
  eddy_fields_t fs = {2, f};
  eddy_type_t st = {.kind = EDDY_T_STRUCT, .fields = &fs};
  eddy_expr_t *m = xb_node(EDDY_X_MEMBER);
  m->u.member.arg = X_field(0, 0, st);
  m->u.member.name = "name";
  xb_typed(m);
  ASSERT_EQ(1, m->u.member.index);
  ASSERT_EQ(EDDY_T_STRING, m->type.kind);
  m->u.member.name = "nmae";
  ASSERT_STR_EQ("no field 'nmae' in struct<product_id int, name string>", xb_type_error(m));
  m->u.member.arg = X_int(1);
  ASSERT_STR_EQ("cannot access field 'nmae' of int (not a struct)", xb_type_error(m));
  eddy_type_t arr = {.kind = EDDY_T_ARRAY, .elem = &st};
  eddy_expr_t *ix = xb_node(EDDY_X_INDEX);
  ix->u.index.arg = X_field(0, 0, arr);
  ix->u.index.index = X_int(0);
  xb_typed(ix);
  ASSERT_TRUE(eddy_type_equal(&st, &ix->type));
  ix->u.index.index = X_str("0");
  ASSERT_STR_EQ("array index must be int, got string", xb_type_error(ix));
  ix->u.index.arg = X_str("abc");
  ix->u.index.index = X_int(0);
  ASSERT_STR_EQ("cannot index string (not an array)", xb_type_error(ix));
  eddy_expr_t *c = xb_node(EDDY_X_CAST);
  c->u.cast.arg = X_bool(true);
  c->type = T(EDDY_T_TIMESTAMP);
  ASSERT_STR_EQ("cannot cast bool to timestamp", xb_type_error(c));
  c->type = T(EDDY_T_INT);
  ASSERT_STR_EQ("(no error)", xb_type_error(c));
  eddy_expr_t *rt = xb_node(EDDY_X_ROWTIME), *hd = xb_node(EDDY_X_HEADER);
  ASSERT_EQ(EDDY_T_TIMESTAMP, xb_typed(rt)->type.kind);
  ASSERT_EQ(EDDY_T_STRING, xb_typed(hd)->type.kind);
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(types_calls_resolve_and_report) {
  xb_begin();
  eddy_expr_t *c = X_call("ROUND", 2, X_dec("12.345"), X_int(1));
  ASSERT_TRUE(c->u.call.fn == eddy_func_lookup("round"));
  char t[64];
  eddy_type_format(&c->type, t, sizeof(t)); /* digits literal 1: one fraction digit kept */
  ASSERT_STR_EQ("decimal(4,1)", t);
  c = X_call("round", 2, X_dec("12.345"), X_un(EDDY_X_NEG, X_int(1)));
  eddy_type_format(&c->type, t, sizeof(t)); /* round(x, -1): scale 0 */
  ASSERT_STR_EQ("decimal(3,0)", t);
  ASSERT_STR_EQ("decimal:10", xb_eval(c));
  c = X_call_raw("round", 2, X_dec("12.345"), X_str("1"));
  ASSERT_STR_EQ("round: digits must be int, got string", xb_type_error(c));
  c = X_call_raw("round", 3, X_int(1), X_int(1), X_int(1));
  ASSERT_STR_EQ("round expects 1 to 2 arguments, got 3", xb_type_error(c));
  c = X_call_raw("lower", 0);
  ASSERT_STR_EQ("lower expects 1 argument, got 0", xb_type_error(c));
  c = X_call_raw("coalesce", 0);
  ASSERT_STR_EQ("coalesce expects at least 1 argument, got 0", xb_type_error(c));
  c = X_call_raw("lowr", 1, X_str("x"));
  ASSERT_STR_EQ("unknown function 'lowr'", xb_type_error(c));
  ASSERT_EQ(EDDY_ENOENT, eddy_expr_check_call(c, why, sizeof(why)));
  c = X_call_raw("date_trunc", 2, X_str("fortnight"), X_ts(0));
  ASSERT_STR_EQ("date_trunc: unknown unit 'fortnight' (expected microsecond, millisecond, "
                "second, minute, hour, day, week, month, quarter or year)",
                xb_type_error(c));
  c = X_call_raw("upper", 1, X_int(3));
  ASSERT_STR_EQ("upper: argument must be a string, got int", xb_type_error(c));
  c = X_call_raw("coalesce", 2, X_int(3), X_str("x"));
  ASSERT_STR_EQ("coalesce: no common type for int and string", xb_type_error(c));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(types_function_table_is_complete) {
  const eddy_func_t *const *all = eddy_func_all();
  int n = 0;
  for (; all[n] != NULL; n++) {
    ASSERT_TRUE(all[n]->check != NULL && all[n]->eval != NULL && all[n]->synopsis != NULL);
    ASSERT_TRUE(eddy_func_lookup(all[n]->name) == all[n]);
    ASSERT_TRUE(strncmp(all[n]->synopsis, all[n]->name, strlen(all[n]->name)) == 0);
  }
  ASSERT_TRUE(n >= 20);
  /* fn->check alone (as the DSL checker calls it) names the function, aliases included */
  eddy_type_t arg = eddy_type(EDDY_T_INT), res;
  const eddy_func_t *lt = eddy_func_lookup("ltrim");
  ASSERT_EQ(EDDY_ETYPE, lt->check(&arg, 1, &res, why, sizeof(why)));
  ASSERT_STR_EQ("ltrim: argument must be a string, got int", why);
  eddy_type_t args2[2] = {eddy_type_decimal(5, 2), eddy_type(EDDY_T_STRING)};
  ASSERT_EQ(EDDY_ETYPE, eddy_func_lookup("round")->check(args2, 2, &res, why, sizeof(why)));
  ASSERT_STR_EQ("round: digits must be int, got string", why);
  ASSERT_TRUE(eddy_func_lookup("Date_Trunc") != NULL);
  ASSERT_TRUE(eddy_func_lookup("nope") == NULL);
  ASSERT_TRUE(eddy_func_lookup(NULL) == NULL);
}
