/* The scalar function library: every function with normal, null and error
 * inputs. Expected values are worked out by hand. */
#include <math.h>

#include "test_expr_build.h"

#define C1(name, a) X_call(name, 1, a)
#define C2(name, a, b) X_call(name, 2, a, b)
#define C3(name, a, b, c) X_call(name, 3, a, b, c)

EDDY_TEST(func_abs_sign) {
  xb_begin();
  ASSERT_STR_EQ("int:5", xb_eval(C1("abs", X_int(-5))));
  ASSERT_STR_EQ("decimal:1.50", xb_eval(C1("ABS", X_dec("-1.50"))));
  ASSERT_STR_EQ("double:2.5", xb_eval(C1("abs", X_dbl(-2.5))));
  ASSERT_STR_EQ("duration:5s", xb_eval(C1("abs", X_dur(-5 * EDDY_SEC))));
  ASSERT_STR_EQ("null", xb_eval(C1("abs", X_null())));
  ASSERT_STR_EQ("ERR EOVERFLOW: abs: result out of range for -9223372036854775808",
                xb_eval(C1("abs", X_int(INT64_MIN))));
  ASSERT_STR_EQ("abs: argument must be a number, got string",
                xb_type_error(X_call_raw("abs", 1, X_str("x"))));
  ASSERT_STR_EQ("int:-1", xb_eval(C1("sign", X_dec("-0.01"))));
  ASSERT_STR_EQ("int:0", xb_eval(C1("sign", X_int(0))));
  ASSERT_STR_EQ("int:1", xb_eval(C1("sign", X_dbl(3))));
  ASSERT_STR_EQ("null", xb_eval(C1("sign", X_null())));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_round) {
  xb_begin();
  ASSERT_STR_EQ("decimal:3", xb_eval(C1("round", X_dec("2.50"))));
  ASSERT_STR_EQ("decimal:-3", xb_eval(C1("round", X_dec("-2.5"))));
  ASSERT_STR_EQ("decimal:10", xb_eval(C1("round", X_dec("9.5"))));
  ASSERT_STR_EQ("decimal:12.35", xb_eval(C2("round", X_dec("12.345"), X_int(2))));
  ASSERT_STR_EQ("decimal:-12.35", xb_eval(C2("round", X_dec("-12.345"), X_int(2))));
  ASSERT_STR_EQ("decimal:12.345", xb_eval(C2("round", X_dec("12.345"), X_int(5))));
  ASSERT_STR_EQ("decimal:10", xb_eval(C2("round", X_dec("12.345"), X_int(-1))));
  ASSERT_STR_EQ("decimal:0", xb_eval(C2("round", X_dec("12.345"), X_int(-2))));
  ASSERT_STR_EQ("decimal:100", xb_eval(C2("round", X_dec("50"), X_int(-2))));
  ASSERT_STR_EQ("int:1200", xb_eval(C2("round", X_int(1249), X_int(-2))));
  ASSERT_STR_EQ("int:-1300", xb_eval(C2("round", X_int(-1250), X_int(-2))));
  ASSERT_STR_EQ("int:7", xb_eval(C2("round", X_int(7), X_int(3))));
  ASSERT_STR_EQ("double:3", xb_eval(C1("round", X_dbl(2.5))));
  ASSERT_STR_EQ("double:-3", xb_eval(C1("round", X_dbl(-2.5))));
  ASSERT_STR_EQ("double:1.23", xb_eval(C2("round", X_dbl(1.234), X_int(2))));
  ASSERT_STR_EQ("null", xb_eval(C2("round", X_null(), X_int(2))));
  ASSERT_STR_EQ("null", xb_eval(C2("round", X_dec("1.5"), X_null())));
  ASSERT_STR_EQ("ERR EOVERFLOW: round: result out of range for 9223372036854775807",
                xb_eval(C2("round", X_int(INT64_MAX), X_int(-1))));
  /* digits not a literal: the scale stays, the value is rounded */
  eddy_field_t f[1] = {{"d", eddy_type(EDDY_T_INT)}};
  eddy_fields_t layout = {1, f};
  eddy_value_t vals[1] = {eddy_int(1)};
  xb_rows[0].layout = &layout;
  xb_rows[0].vals = vals;
  ASSERT_STR_EQ("decimal:12.300", xb_eval(C2("round", X_dec("12.345"), X_field(0, 0, f[0].type))));
  ASSERT_STR_EQ("round: digits must be int, got string",
                xb_type_error(X_call_raw("round", 2, X_dec("1.5"), X_str("2"))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_floor_ceil) {
  xb_begin();
  ASSERT_STR_EQ("decimal:1", xb_eval(C1("floor", X_dec("1.99"))));
  ASSERT_STR_EQ("decimal:-2", xb_eval(C1("floor", X_dec("-1.01"))));
  ASSERT_STR_EQ("decimal:-1", xb_eval(C1("floor", X_dec("-1.00"))));
  ASSERT_STR_EQ("decimal:2", xb_eval(C1("ceil", X_dec("1.01"))));
  ASSERT_STR_EQ("decimal:-1", xb_eval(C1("ceiling", X_dec("-1.99"))));
  ASSERT_STR_EQ("decimal:0", xb_eval(C1("ceil", X_dec("-0.5"))));
  ASSERT_STR_EQ("int:7", xb_eval(C1("floor", X_int(7))));
  ASSERT_STR_EQ("double:-3", xb_eval(C1("floor", X_dbl(-2.5))));
  ASSERT_STR_EQ("double:-2", xb_eval(C1("ceil", X_dbl(-2.5))));
  ASSERT_STR_EQ("null", xb_eval(C1("floor", X_null())));
  ASSERT_STR_EQ("ceil: argument must be a number, got bool",
                xb_type_error(X_call_raw("ceil", 1, X_bool(true))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_sqrt_exp_ln_power) {
  xb_begin();
  ASSERT_STR_EQ("double:1.5", xb_eval(C1("sqrt", X_dec("2.25"))));
  ASSERT_STR_EQ("double:3", xb_eval(C1("sqrt", X_int(9))));
  ASSERT_STR_EQ("ERR EINVAL: sqrt: cannot take the square root of -1", xb_eval(C1("sqrt", X_int(-1))));
  ASSERT_STR_EQ("double:1", xb_eval(C1("exp", X_int(0))));
  ASSERT_STR_EQ("ERR EOVERFLOW: exp: result out of range for 1000", xb_eval(C1("exp", X_int(1000))));
  ASSERT_STR_EQ("double:0", xb_eval(C1("ln", X_int(1))));
  ASSERT_STR_EQ("double:3", xb_eval(C1("log10", X_dec("1000.0"))));
  ASSERT_STR_EQ("ERR EINVAL: ln: cannot take the logarithm of 0", xb_eval(C1("ln", X_int(0))));
  ASSERT_STR_EQ("double:1024", xb_eval(C2("power", X_int(2), X_int(10))));
  ASSERT_STR_EQ("double:0.5", xb_eval(C2("pow", X_int(2), X_int(-1))));
  ASSERT_STR_EQ("double:-8", xb_eval(C2("power", X_int(-2), X_int(3))));
  ASSERT_STR_EQ("ERR EDIVZERO: power: zero raised to a negative power", xb_eval(C2("power", X_int(0), X_int(-1))));
  ASSERT_STR_EQ("ERR EINVAL: power: a negative number raised to a non-integer power (-8, 0.5)",
                xb_eval(C2("power", X_int(-8), X_dbl(0.5))));
  ASSERT_STR_EQ("ERR EOVERFLOW: power: result out of range for (10, 400)", xb_eval(C2("power", X_int(10), X_int(400))));
  ASSERT_STR_EQ("null", xb_eval(C2("power", X_null(), X_int(1))));
  ASSERT_STR_EQ("power: exponent must be a number, got string",
                xb_type_error(X_call_raw("power", 2, X_int(1), X_str("2"))));
  ASSERT_STR_EQ("sqrt: argument must be a number, got timestamp",
                xb_type_error(X_call_raw("sqrt", 1, X_ts(0))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_case_length_trim) {
  xb_begin();
  ASSERT_STR_EQ("string:hello world", xb_eval(C1("lower", X_str("HeLLo World"))));
  ASSERT_STR_EQ("string:ÉTÉ ABC", xb_eval(C1("upper", X_str("Été abc")))); /* Latin-1 letters */
  ASSERT_STR_EQ("string:àéîõü ß ×÷ ÿ Ω", xb_eval(C1("lower", X_str("ÀÉÎÕÜ ß ×÷ ÿ Ω")))); /* not Greek */
  ASSERT_STR_EQ("string:ÀÉÎÕÜ ß ×÷ ÿ ω", xb_eval(C1("upper", X_str("àéîõü ß ×÷ ÿ ω"))));
  ASSERT_STR_EQ("string:abc", xb_eval(C1("lower", X_str("abc"))));
  ASSERT_STR_EQ("null", xb_eval(C1("upper", X_null())));
  ASSERT_STR_EQ("int:3", xb_eval(C1("length", X_str("été"))));  /* code points */
  ASSERT_STR_EQ("int:0", xb_eval(C1("length", X_str(""))));
  ASSERT_STR_EQ("int:2", xb_eval(C1("char_length", X_str("日本"))));
  ASSERT_STR_EQ("null", xb_eval(C1("length", X_null())));
  ASSERT_STR_EQ("length: argument must be a string, bytes or array, got int",
                xb_type_error(X_call_raw("length", 1, X_int(1))));
  ASSERT_STR_EQ("string:a b", xb_eval(C1("trim", X_str(" \t a b\n "))));
  ASSERT_STR_EQ("string:a b\n ", xb_eval(C1("ltrim", X_str(" \t a b\n "))));
  ASSERT_STR_EQ("string: \t a b", xb_eval(C1("rtrim", X_str(" \t a b\n "))));
  ASSERT_STR_EQ("string:abc", xb_eval(C2("trim", X_str("xxabcyx"), X_str("xy"))));
  ASSERT_STR_EQ("string:abc", xb_eval(C2("trim", X_str("ééabcé"), X_str("é"))));
  ASSERT_STR_EQ("string:", xb_eval(C1("trim", X_str("   "))));
  ASSERT_STR_EQ("null", xb_eval(C2("trim", X_str("a"), X_null())));
  ASSERT_STR_EQ("trim: characters must be a string, got int",
                xb_type_error(X_call_raw("trim", 2, X_str("a"), X_int(1))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_concat_and_to_string) {
  xb_begin();
  ASSERT_STR_EQ("string:ab", xb_eval(X_call("concat", 2, X_str("a"), X_str("b"))));
  ASSERT_STR_EQ("string:a1.50true", xb_eval(X_call("concat", 3, X_str("a"), X_dec("1.50"), X_bool(true))));
  ASSERT_STR_EQ("string:ab", xb_eval(X_call("concat", 3, X_str("a"), X_null(), X_str("b"))));
  ASSERT_STR_EQ("string:", xb_eval(X_call("concat", 2, X_null(), X_null())));
  ASSERT_STR_EQ("string:x", xb_eval(X_call("concat", 2, X_null(), X_str("x"))));
  eddy_expr_t *many[20];
  for (int i = 0; i < 20; i++)
    many[i] = X_int(i % 10);
  eddy_expr_t *c = X_call_raw("concat", 0);
  c->u.call.argc = 20;
  c->u.call.args = many;
  ASSERT_STR_EQ("string:01234567890123456789", xb_eval(xb_typed(c)));
  ASSERT_STR_EQ("string:2024-01-02T03:04:05Z", xb_eval(C1("to_string", X_ts(1704164645000000LL))));
  ASSERT_STR_EQ("string:0.1", xb_eval(C1("to_string", X_dbl(0.1))));
  ASSERT_STR_EQ("null", xb_eval(C1("to_string", X_null())));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_substr_sql_semantics) {
  xb_begin();
  ASSERT_STR_EQ("string:ell", xb_eval(C3("substr", X_str("hello"), X_int(2), X_int(3))));
  ASSERT_STR_EQ("string:llo", xb_eval(C2("substr", X_str("hello"), X_int(3))));
  ASSERT_STR_EQ("string:h", xb_eval(C3("substr", X_str("hello"), X_int(0), X_int(2))));
  ASSERT_STR_EQ("string:", xb_eval(C3("substr", X_str("hello"), X_int(-5), X_int(2))));
  ASSERT_STR_EQ("string:", xb_eval(C2("substr", X_str("hello"), X_int(9))));
  ASSERT_STR_EQ("string:hello", xb_eval(C3("substring", X_str("hello"), X_int(1), X_int(99))));
  ASSERT_STR_EQ("string:té", xb_eval(C3("substr", X_str("été"), X_int(2), X_int(2))));
  ASSERT_STR_EQ("string:", xb_eval(C3("substr", X_str("hello"), X_int(2), X_int(0))));
  ASSERT_STR_EQ("string:ello", xb_eval(C3("substr", X_str("hello"), X_int(2), X_int(INT64_MAX))));
  ASSERT_STR_EQ("ERR EINVAL: substr: negative count -1", xb_eval(C3("substr", X_str("hello"), X_int(1), X_int(-1))));
  ASSERT_STR_EQ("null", xb_eval(C2("substr", X_null(), X_int(1))));
  ASSERT_STR_EQ("null", xb_eval(C3("substr", X_str("a"), X_int(1), X_null())));
  ASSERT_STR_EQ("substr: start must be int, got string",
                xb_type_error(X_call_raw("substr", 2, X_str("a"), X_str("1"))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_replace_and_predicates) {
  xb_begin();
  ASSERT_STR_EQ("string:b-b-b", xb_eval(C3("replace", X_str("a-a-a"), X_str("a"), X_str("b"))));
  ASSERT_STR_EQ("string:xyzxyz", xb_eval(C3("replace", X_str("aa"), X_str("a"), X_str("xyz"))));
  ASSERT_STR_EQ("string:--", xb_eval(C3("replace", X_str("a-a-a"), X_str("a"), X_str(""))));
  ASSERT_STR_EQ("string:aaa", xb_eval(C3("replace", X_str("aaa"), X_str(""), X_str("x"))));
  ASSERT_STR_EQ("string:ba", xb_eval(C3("replace", X_str("aaa"), X_str("aa"), X_str("b"))));
  ASSERT_STR_EQ("null", xb_eval(C3("replace", X_str("aaa"), X_null(), X_str("b"))));
  ASSERT_STR_EQ("bool:true", xb_eval(C2("starts_with", X_str("order-1"), X_str("order-"))));
  ASSERT_STR_EQ("bool:false", xb_eval(C2("starts_with", X_str("ord"), X_str("order-"))));
  ASSERT_STR_EQ("bool:true", xb_eval(C2("ends_with", X_str("a.json"), X_str(".json"))));
  ASSERT_STR_EQ("bool:false", xb_eval(C2("ends_with", X_str("a.json"), X_str(".xml"))));
  ASSERT_STR_EQ("bool:true", xb_eval(C2("contains", X_str("hello"), X_str("ll"))));
  ASSERT_STR_EQ("bool:true", xb_eval(C2("contains", X_str("hello"), X_str(""))));
  ASSERT_STR_EQ("bool:false", xb_eval(C2("contains", X_str("hello"), X_str("lol"))));
  ASSERT_STR_EQ("null", xb_eval(C2("contains", X_null(), X_str("x"))));
  ASSERT_STR_EQ("contains: second argument must be a string, got int",
                xb_type_error(X_call_raw("contains", 2, X_str("a"), X_int(1))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_coalesce_nullif_if) {
  xb_begin();
  ASSERT_STR_EQ("int:2", xb_eval(X_call("coalesce", 3, X_null(), X_int(2), X_int(3))));
  ASSERT_STR_EQ("null", xb_eval(X_call("coalesce", 2, X_null(), X_null())));
  ASSERT_STR_EQ("decimal:2.00", xb_eval(X_call("coalesce", 2, X_int(2), X_dec("1.50"))));
  /* lazy: later arguments are not evaluated once a value is found */
  ASSERT_STR_EQ("int:1", xb_eval(X_call("coalesce", 2, X_int(1), X_bin(EDDY_X_DIV, X_int(1), X_int(0)))));
  ASSERT_STR_EQ("null", xb_eval(C2("nullif", X_int(0), X_int(0))));
  ASSERT_STR_EQ("int:5", xb_eval(C2("nullif", X_int(5), X_int(0))));
  ASSERT_STR_EQ("null", xb_eval(C2("nullif", X_dec("2.0"), X_int(2))));
  ASSERT_STR_EQ("int:5", xb_eval(C2("nullif", X_int(5), X_null())));
  ASSERT_STR_EQ("null", xb_eval(C2("nullif", X_null(), X_int(5))));
  ASSERT_STR_EQ("nullif: cannot compare string and int",
                xb_type_error(X_call_raw("nullif", 2, X_str("a"), X_int(1))));
  ASSERT_STR_EQ("string:yes", xb_eval(C3("if", X_bool(true), X_str("yes"), X_str("no"))));
  ASSERT_STR_EQ("string:no", xb_eval(C3("if", X_null(), X_str("yes"), X_str("no"))));
  ASSERT_STR_EQ("double:1", xb_eval(C3("if", X_bool(true), X_int(1), X_dbl(0.5))));
  ASSERT_STR_EQ("int:0", xb_eval(C3("if", X_bool(true), X_int(0), X_bin(EDDY_X_DIV, X_int(1), X_int(0)))));
  ASSERT_STR_EQ("if: condition must be bool, got int",
                xb_type_error(X_call_raw("if", 3, X_int(1), X_int(1), X_int(2))));
  ASSERT_STR_EQ("if: no common type for int and string",
                xb_type_error(X_call_raw("if", 3, X_bool(true), X_int(1), X_str("x"))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_greatest_least) {
  xb_begin();
  ASSERT_STR_EQ("int:9", xb_eval(X_call("greatest", 3, X_int(3), X_int(9), X_int(-1))));
  ASSERT_STR_EQ("int:-1", xb_eval(X_call("least", 3, X_int(3), X_int(9), X_int(-1))));
  ASSERT_STR_EQ("decimal:2.5", xb_eval(X_call("greatest", 3, X_int(2), X_null(), X_dec("2.5"))));
  ASSERT_STR_EQ("decimal:2.0", xb_eval(X_call("least", 2, X_int(2), X_dec("2.5"))));
  ASSERT_STR_EQ("null", xb_eval(X_call("greatest", 2, X_null(), X_null())));
  ASSERT_STR_EQ("string:b", xb_eval(X_call("greatest", 2, X_str("a"), X_str("b"))));
  ASSERT_STR_EQ("timestamp:1970-01-01T00:00:00Z", xb_eval(X_call("least", 2, X_ts(5), X_ts(0))));
  ASSERT_STR_EQ("greatest: no common type for string and int",
                xb_type_error(X_call_raw("greatest", 2, X_str("a"), X_int(1))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_hash_is_stable_and_typed) {
  xb_begin();
  /* hash(x) = eddy-hash v1 with seed 0 (values from a separate implementation
   * of the documented algorithm, see test_value.c) */
  ASSERT_STR_EQ("int:-5285483542565424038", xb_eval(C1("hash", X_int(42))));
  ASSERT_STR_EQ("int:6409214105098812016", xb_eval(C2("hash", X_int(42), X_str("hello"))));
  /* numerically equal arguments hash alike; null is hashed, not propagated */
  char a[64], b[64];
  snprintf(b, sizeof(b), "%s", xb_eval(C1("hash", X_int(2))));
  ASSERT_STR_EQ(b, xb_eval(C1("hash", X_dec("2.000"))));
  ASSERT_TRUE(strcmp(b, xb_eval(C1("hash", X_int(3)))) != 0);
  snprintf(a, sizeof(a), "%s", xb_eval(C1("hash", X_null())));
  ASSERT_TRUE(strncmp(a, "int:", 4) == 0);
  ASSERT_TRUE(strcmp(a, xb_eval(C1("hash", X_int(0)))) != 0);
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(func_time) {
  xb_begin();
  int64_t ts = 1715953527654321LL; /* 2024-05-17T13:45:27.654321Z */
  ASSERT_STR_EQ("timestamp:2024-05-17T13:00:00Z", xb_eval(C2("date_trunc", X_str("hour"), X_ts(ts))));
  ASSERT_STR_EQ("timestamp:2024-05-13T00:00:00Z", xb_eval(C2("DATE_TRUNC", X_str("Week"), X_ts(ts))));
  ASSERT_STR_EQ("null", xb_eval(C2("date_trunc", X_str("hour"), X_null())));
  ASSERT_STR_EQ("int:5", xb_eval(C2("date_part", X_str("month"), X_ts(ts))));
  ASSERT_STR_EQ("int:2024", xb_eval(C2("extract", X_str("year"), X_ts(ts))));
  ASSERT_STR_EQ("int:5", xb_eval(C2("extract", X_str("dow"), X_ts(ts)))); /* Friday */
  /* a unit that is not a literal is checked at run time */
  eddy_field_t f[1] = {{"u", eddy_type(EDDY_T_STRING)}};
  eddy_fields_t layout = {1, f};
  eddy_value_t vals[1] = {eddy_string("fortnight", 9)};
  xb_rows[0].layout = &layout;
  xb_rows[0].vals = vals;
  ASSERT_STR_EQ("ERR EINVAL: date_trunc: unknown unit 'fortnight'",
                xb_eval(C2("date_trunc", X_field(0, 0, f[0].type), X_ts(ts))));
  ASSERT_STR_EQ("date_part: argument must be a timestamp, got string",
                xb_type_error(X_call_raw("date_part", 2, X_str("year"), X_str("2024-01-01"))));
  ASSERT_STR_EQ("timestamp:2024-05-17T13:45:27.654Z", xb_eval(C1("to_timestamp", X_int(1715953527654LL))));
  ASSERT_STR_EQ("timestamp:2024-05-17T13:45:27.654321Z", xb_eval(C1("to_timestamp", X_dec("1715953527654.321"))));
  ASSERT_STR_EQ("timestamp:2024-05-17T13:45:27.654321Z",
                xb_eval(C1("to_timestamp", X_str("2024-05-17T15:45:27.654321+02:00"))));
  ASSERT_STR_EQ("ERR EINVAL: to_timestamp: not a timestamp: 'yesterday'",
                xb_eval(C1("to_timestamp", X_str("yesterday"))));
  ASSERT_STR_EQ("ERR EOVERFLOW: to_timestamp: out of range: 9223372036854775807",
                xb_eval(C1("to_timestamp", X_int(INT64_MAX))));
  ASSERT_STR_EQ("null", xb_eval(C1("to_timestamp", X_null())));
  ASSERT_STR_EQ("to_timestamp: argument must be epoch milliseconds (a number) or an ISO-8601 string, got bool",
                xb_type_error(X_call_raw("to_timestamp", 1, X_bool(true))));
  ASSERT_STR_EQ("int:1715953527654", xb_eval(C1("epoch_ms", X_ts(ts))));
  ASSERT_STR_EQ("int:-1", xb_eval(C1("epoch_ms", X_ts(-1))));
  xb_ctx.now_us = ts;
  ASSERT_STR_EQ("timestamp:2024-05-17T13:45:27.654321Z", xb_eval(X_call("now", 0)));
  ASSERT_STR_EQ("now expects 0 arguments, got 1", xb_type_error(X_call_raw("now", 1, X_int(1))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

/* Examples quoted in docs/functions.md. */
EDDY_TEST(func_documented_examples) {
  xb_begin();
  char t[64];
  eddy_type_t amount = eddy_type_decimal(10, 2);
  eddy_expr_t *e = X_bin(EDDY_X_MUL, X_field(0, 0, amount), X_dec("1.1"));
  eddy_type_format(&e->type, t, sizeof(t));
  ASSERT_STR_EQ("decimal(13,3)", t);
  e = X_bin(EDDY_X_DIV, X_field(0, 0, amount), X_int(3));
  eddy_type_format(&e->type, t, sizeof(t));
  ASSERT_STR_EQ("decimal(30,22)", t);
  ASSERT_STR_EQ("int:4297271311269455862", xb_eval(C1("hash", X_str("hello"))));
  snprintf(t, sizeof(t), "%s", xb_eval(C1("hash", X_int(2))));
  ASSERT_STR_EQ(t, xb_eval(C1("hash", X_dbl(2.0))));
  ASSERT_STR_EQ("string:a1.50", xb_eval(X_call("concat", 3, X_str("a"), X_null(), X_dec("1.50"))));
  ASSERT_STR_EQ("timestamp:2024-05-17T13:00:00Z",
                xb_eval(C2("date_trunc", X_str("hour"), X_call("to_timestamp", 1, X_str("2024-05-17T13:45:27Z")))));
  ASSERT_STR_EQ("decimal:2.68", xb_eval(X_cast(X_dbl(2.675), eddy_type_decimal(5, 2))));
  ASSERT_STR_EQ("decimal:3", xb_eval(C2("round", X_dec("2.50"), X_int(0))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}
