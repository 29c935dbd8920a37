/* The evaluator: arithmetic (exact decimals, overflow), null propagation,
 * three-valued logic, in, case, casts, fields/key/rowtime/headers,
 * member/index, long chains. Trees are built by hand (test_expr_build.h). */
#include <librdkafka/rdkafka.h>
#include <math.h>

#include "test_expr_build.h"

#define ADD EDDY_X_ADD
#define SUB EDDY_X_SUB
#define MUL EDDY_X_MUL
#define DIV EDDY_X_DIV
#define MOD EDDY_X_MOD

EDDY_TEST(eval_int_arithmetic_and_overflow) {
  xb_begin();
  ASSERT_STR_EQ("int:5", xb_eval(X_bin(ADD, X_int(2), X_int(3))));
  ASSERT_STR_EQ("int:3", xb_eval(X_bin(DIV, X_int(7), X_int(2))));
  ASSERT_STR_EQ("int:-3", xb_eval(X_bin(DIV, X_int(-7), X_int(2))));
  ASSERT_STR_EQ("int:-1", xb_eval(X_bin(MOD, X_int(-7), X_int(2))));
  ASSERT_STR_EQ("int:0", xb_eval(X_bin(MOD, X_int(INT64_MIN), X_int(-1))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in 9223372036854775807 + 1",
                xb_eval(X_bin(ADD, X_int(INT64_MAX), X_int(1))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in -9223372036854775808 - 1",
                xb_eval(X_bin(SUB, X_int(INT64_MIN), X_int(1))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in 4294967296 * 4294967296",
                xb_eval(X_bin(MUL, X_int(1LL << 32), X_int(1LL << 32))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in -9223372036854775808 / -1",
                xb_eval(X_bin(DIV, X_int(INT64_MIN), X_int(-1))));
  ASSERT_STR_EQ("ERR EDIVZERO: division by zero in 1 / 0", xb_eval(X_bin(DIV, X_int(1), X_int(0))));
  ASSERT_STR_EQ("ERR EDIVZERO: division by zero in 1 % 0", xb_eval(X_bin(MOD, X_int(1), X_int(0))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in -(-9223372036854775808)",
                xb_eval(X_un(EDDY_X_NEG, X_int(INT64_MIN))));
  ASSERT_STR_EQ("int:-5", xb_eval(X_un(EDDY_X_NEG, X_int(5))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_decimal_arithmetic_is_exact) {
  xb_begin();
  ASSERT_STR_EQ("decimal:3.50", xb_eval(X_bin(ADD, X_dec("1.50"), X_int(2))));
  ASSERT_STR_EQ("decimal:0.3", xb_eval(X_bin(ADD, X_dec("0.1"), X_dec("0.2"))));
  ASSERT_STR_EQ("decimal:-0.05", xb_eval(X_bin(SUB, X_dec("0.05"), X_dec("0.10"))));
  ASSERT_STR_EQ("decimal:1.5625", xb_eval(X_bin(MUL, X_dec("1.25"), X_dec("1.25"))));
  /* decimal(4,2) / int: scale max(6, 2+19+1) = 22 */
  ASSERT_STR_EQ("decimal:3.3333333333333333333333", xb_eval(X_bin(DIV, X_dec("10.00"), X_int(3))));
  ASSERT_STR_EQ("decimal:0.666667", xb_eval(X_bin(DIV, X_dec("2"), X_dec("3"))));
  ASSERT_STR_EQ("decimal:1.5", xb_eval(X_bin(MOD, X_dec("10.5"), X_int(3))));
  ASSERT_STR_EQ("ERR EDIVZERO: division by zero in 1.0 / 0", xb_eval(X_bin(DIV, X_dec("1.0"), X_dec("0.00"))));
  ASSERT_STR_EQ("decimal:-1.50", xb_eval(X_un(EDDY_X_NEG, X_dec("1.50"))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in 99999999999999999999999999999999999999 + 1",
                xb_eval(X_bin(ADD, X_dec("99999999999999999999999999999999999999"), X_int(1))));
  /* a double anywhere makes a double */
  ASSERT_STR_EQ("double:3.75", xb_eval(X_bin(ADD, X_dec("1.25"), X_dbl(2.5))));
  ASSERT_STR_EQ("double:Infinity", xb_eval(X_bin(DIV, X_dbl(1), X_int(0))));
  ASSERT_STR_EQ("double:1", xb_eval(X_bin(MOD, X_dbl(7), X_int(3))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

/* Summing DECIMAL(10,2) values through the evaluator against integer cents. */
EDDY_TEST(eval_decimal_running_sum_exact) {
  xb_begin();
  eddy_field_t f[2] = {{"acc", eddy_type_decimal(38, 2)}, {"amount", eddy_type_decimal(10, 2)}};
  eddy_fields_t layout = {2, f};
  eddy_value_t vals[2];
  xb_rows[0].layout = &layout;
  xb_rows[0].vals = vals;
  eddy_expr_t *sum = X_bin(ADD, X_field(0, 0, f[0].type), X_field(0, 1, f[1].type));
  vals[0] = eddy_decimal(0, 2);
  int64_t cents = 0;
  uint32_t seed = 1;
  for (int i = 0; i < 100000; i++) {
    seed = seed * 1103515245u + 12345u;
    int64_t c = (int64_t)(seed % 2000001u) - 1000000; /* -10000.00 .. 10000.00 */
    cents += c;
    vals[1] = eddy_decimal(c, 2);
    eddy_error_t *err = NULL;
    ASSERT_OK(eddy_expr_eval(sum, &xb_ctx, &vals[0], &err));
  }
  char want[32];
  snprintf(want, sizeof(want), "decimal:%s%lld.%02lld", cents < 0 ? "-" : "",
           (long long)(llabs(cents) / 100), (long long)(llabs(cents) % 100));
  ASSERT_STR_EQ(want, xb_show(&vals[0]));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_time_and_string_arithmetic) {
  xb_begin();
  ASSERT_STR_EQ("duration:1h", xb_eval(X_bin(SUB, X_ts(2 * EDDY_HOUR), X_ts(EDDY_HOUR))));
  ASSERT_STR_EQ("timestamp:1970-01-01T00:05:00Z",
                xb_eval(X_bin(ADD, X_ts(0), X_dur(5 * EDDY_MIN))));
  ASSERT_STR_EQ("timestamp:1970-01-01T00:05:00Z",
                xb_eval(X_bin(ADD, X_dur(5 * EDDY_MIN), X_ts(0))));
  ASSERT_STR_EQ("timestamp:1969-12-31T23:59:59Z", xb_eval(X_bin(SUB, X_ts(0), X_dur(EDDY_SEC))));
  ASSERT_STR_EQ("duration:15m", xb_eval(X_bin(MUL, X_dur(5 * EDDY_MIN), X_int(3))));
  ASSERT_STR_EQ("duration:2m30s", xb_eval(X_bin(DIV, X_dur(5 * EDDY_MIN), X_int(2))));
  ASSERT_STR_EQ("ERR EDIVZERO: division by zero in 5m / 0", xb_eval(X_bin(DIV, X_dur(5 * EDDY_MIN), X_int(0))));
  ASSERT_STR_EQ("duration:-5s", xb_eval(X_un(EDDY_X_NEG, X_dur(5 * EDDY_SEC))));
  ASSERT_STR_EQ("string:foobar", xb_eval(X_bin(ADD, X_str("foo"), X_str("bar"))));
  ASSERT_STR_EQ("ERR EOVERFLOW: arithmetic overflow in 294247-01-10T04:00:54.775807Z + 1us",
                xb_eval(X_bin(ADD, X_ts(INT64_MAX), X_dur(1))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_null_propagation) {
  xb_begin();
  ASSERT_STR_EQ("null", xb_eval(X_bin(ADD, X_null(), X_int(1))));
  ASSERT_STR_EQ("null", xb_eval(X_bin(DIV, X_int(1), X_null())));
  ASSERT_STR_EQ("null", xb_eval(X_bin(EDDY_X_EQ, X_null(), X_null())));
  ASSERT_STR_EQ("null", xb_eval(X_bin(EDDY_X_LT, X_int(1), X_null())));
  ASSERT_STR_EQ("null", xb_eval(X_un(EDDY_X_NEG, X_null())));
  ASSERT_STR_EQ("null", xb_eval(X_un(EDDY_X_NOT, X_null())));
  ASSERT_STR_EQ("bool:true", xb_eval(X_un(EDDY_X_IS_NULL, X_null())));
  ASSERT_STR_EQ("bool:false", xb_eval(X_un(EDDY_X_IS_NULL, X_int(0))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_un(EDDY_X_IS_NOT_NULL, X_str(""))));
  ASSERT_STR_EQ("bool:false", xb_eval(X_un(EDDY_X_IS_NOT_NULL, X_null())));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

/* The SQL truth tables for and/or/not over {true, false, null}. */
EDDY_TEST(eval_three_valued_logic_tables) {
  xb_begin();
  /* index 0 = true, 1 = false, 2 = null */
  static const char *const and_tab[3][3] = {
      {"bool:true", "bool:false", "null"},
      {"bool:false", "bool:false", "bool:false"},
      {"null", "bool:false", "null"}};
  static const char *const or_tab[3][3] = {
      {"bool:true", "bool:true", "bool:true"},
      {"bool:true", "bool:false", "null"},
      {"bool:true", "null", "null"}};
  static const char *const not_tab[3] = {"bool:false", "bool:true", "null"};
  for (int a = 0; a < 3; a++) {
    for (int b = 0; b < 3; b++) {
      eddy_expr_t *l = a == 2 ? X_null() : X_bool(a == 0);
      eddy_expr_t *r = b == 2 ? X_null() : X_bool(b == 0);
      ASSERT_STR_EQ(and_tab[a][b], xb_eval(X_bin(EDDY_X_AND, l, r)));
      ASSERT_STR_EQ(or_tab[a][b], xb_eval(X_bin(EDDY_X_OR, l, r)));
    }
    ASSERT_STR_EQ(not_tab[a], xb_eval(X_un(EDDY_X_NOT, a == 2 ? X_null() : X_bool(a == 0))));
  }
  /* false and <error> is false: the right side is not evaluated */
  eddy_expr_t *boom = X_bin(EDDY_X_EQ, X_bin(DIV, X_int(1), X_int(0)), X_int(1));
  ASSERT_STR_EQ("bool:false", xb_eval(X_bin(EDDY_X_AND, X_bool(false), boom)));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_OR, X_bool(true), boom)));
  ASSERT_STR_EQ("ERR EDIVZERO: division by zero in 1 / 0",
                xb_eval(X_bin(EDDY_X_AND, X_bool(true), boom)));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_long_and_chain_is_iterative) {
  xb_begin();
  eddy_expr_t *e = X_bool(true);
  for (int i = 0; i < 5000; i++)
    e = X_bin(EDDY_X_AND, e, X_bin(EDDY_X_LT, X_int(i), X_int(i + 1)));
  ASSERT_STR_EQ("bool:true", xb_eval(e));
  e = X_bin(EDDY_X_OR, X_bool(false), X_null());
  for (int i = 0; i < 5000; i++)
    e = X_bin(EDDY_X_OR, e, X_bool(false));
  ASSERT_STR_EQ("null", xb_eval(e));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_comparisons_across_kinds) {
  xb_begin();
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_EQ, X_int(2), X_dec("2.00"))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_EQ, X_dec("1.50"), X_dbl(1.5))));
  ASSERT_STR_EQ("bool:false", xb_eval(X_bin(EDDY_X_EQ, X_dec("0.1"), X_dbl(0.1))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_LT, X_dec("0.1"), X_dbl(0.1))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_GT, X_int(3), X_dec("2.99"))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_LE, X_str("abc"), X_str("abd"))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_NE, X_str("a"), X_str("A"))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_GE, X_ts(5), X_ts(5))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_LT, X_bool(false), X_bool(true))));
  /* ANY-typed operands that turn out incomparable fail at run time */
  eddy_expr_t *any = X_field(0, 0, eddy_type(EDDY_T_ANY));
  eddy_field_t f[1] = {{"x", eddy_type(EDDY_T_ANY)}};
  eddy_fields_t layout = {1, f};
  eddy_value_t vals[1] = {eddy_string("7", 1)};
  xb_rows[0].layout = &layout;
  xb_rows[0].vals = vals;
  ASSERT_STR_EQ("ERR ETYPE: cannot compare string and int", xb_eval(X_bin(EDDY_X_EQ, any, X_int(7))));
  vals[0] = eddy_int(7);
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_EQ, any, X_int(7))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_in_follows_sql) {
  xb_begin();
  ASSERT_STR_EQ("bool:true", xb_eval(X_in(EDDY_X_IN, X_int(2), 3, X_int(1), X_int(2), X_null())));
  ASSERT_STR_EQ("null", xb_eval(X_in(EDDY_X_IN, X_int(3), 3, X_int(1), X_int(2), X_null())));
  ASSERT_STR_EQ("bool:false", xb_eval(X_in(EDDY_X_IN, X_int(3), 2, X_int(1), X_int(2))));
  ASSERT_STR_EQ("null", xb_eval(X_in(EDDY_X_IN, X_null(), 1, X_int(1))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_in(EDDY_X_IN, X_int(2), 1, X_dec("2.00"))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_in(EDDY_X_IN, X_str("b"), 2, X_str("a"), X_str("b"))));
  ASSERT_STR_EQ("null", xb_eval(X_in(EDDY_X_NOT_IN, X_int(3), 3, X_int(1), X_int(2), X_null())));
  ASSERT_STR_EQ("bool:true", xb_eval(X_in(EDDY_X_NOT_IN, X_int(3), 2, X_int(1), X_int(2))));
  ASSERT_STR_EQ("bool:false", xb_eval(X_in(EDDY_X_NOT_IN, X_int(2), 3, X_int(1), X_int(2), X_null())));
  ASSERT_STR_EQ("null", xb_eval(X_in(EDDY_X_NOT_IN, X_null(), 1, X_int(1))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_case_picks_first_true_and_coerces) {
  xb_begin();
  eddy_expr_t *c = X_case(2, X_bool(false), X_str("a"), X_bool(true), X_str("b"), X_str("c"));
  ASSERT_STR_EQ("string:b", xb_eval(c));
  c = X_case(1, X_null(), X_str("a"), X_str("else"));
  ASSERT_STR_EQ("string:else", xb_eval(c)); /* a null condition is not true */
  c = X_case(1, X_bool(false), X_str("a"), NULL);
  ASSERT_STR_EQ("null", xb_eval(c));
  c = X_case(1, X_bool(true), X_int(1), X_dec("2.50"));
  ASSERT_STR_EQ("decimal:1.00", xb_eval(c));
  c = X_case(1, X_bool(true), X_int(1), X_dbl(2.5));
  ASSERT_STR_EQ("double:1", xb_eval(c));
  /* untaken branches are not evaluated */
  c = X_case(1, X_bool(true), X_int(1), X_bin(DIV, X_int(1), X_int(0)));
  ASSERT_STR_EQ("int:1", xb_eval(c));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

static eddy_type_t T(eddy_kind_t k) { return eddy_type(k); }

EDDY_TEST(eval_casts_from_strings) {
  xb_begin();
  ASSERT_STR_EQ("int:42", xb_eval(X_cast(X_str(" 42 "), T(EDDY_T_INT))));
  ASSERT_STR_EQ("int:-9223372036854775808", xb_eval(X_cast(X_str("-9223372036854775808"), T(EDDY_T_INT))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast '4x' to int (invalid)", xb_eval(X_cast(X_str("4x"), T(EDDY_T_INT))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast '' to int (invalid)", xb_eval(X_cast(X_str(""), T(EDDY_T_INT))));
  ASSERT_STR_EQ("ERR EOVERFLOW: cannot cast '9223372036854775808' to int (out of range)",
                xb_eval(X_cast(X_str("9223372036854775808"), T(EDDY_T_INT))));
  ASSERT_STR_EQ("decimal:123.46", xb_eval(X_cast(X_str("123.456"), eddy_type_decimal(5, 2))));
  ASSERT_STR_EQ("ERR EOVERFLOW: cannot cast '1234.5' to decimal(5,2) (out of range)",
                xb_eval(X_cast(X_str("1234.5"), eddy_type_decimal(5, 2))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast '1,5' to decimal(5,2) (invalid)",
                xb_eval(X_cast(X_str("1,5"), eddy_type_decimal(5, 2))));
  ASSERT_STR_EQ("double:0.25", xb_eval(X_cast(X_str("2.5e-1"), T(EDDY_T_DOUBLE))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast 'abc' to double (invalid)", xb_eval(X_cast(X_str("abc"), T(EDDY_T_DOUBLE))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_cast(X_str("TRUE"), T(EDDY_T_BOOL))));
  ASSERT_STR_EQ("bool:false", xb_eval(X_cast(X_str("0"), T(EDDY_T_BOOL))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast 'maybe' to bool (invalid)", xb_eval(X_cast(X_str("maybe"), T(EDDY_T_BOOL))));
  ASSERT_STR_EQ("timestamp:2024-01-02T02:04:05Z",
                xb_eval(X_cast(X_str("2024-01-02T03:04:05+01:00"), T(EDDY_T_TIMESTAMP))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast '2024-02-30' to timestamp (invalid)",
                xb_eval(X_cast(X_str("2024-02-30"), T(EDDY_T_TIMESTAMP))));
  ASSERT_STR_EQ("duration:1h30m", xb_eval(X_cast(X_str("90m"), T(EDDY_T_DURATION))));
  ASSERT_STR_EQ("bytes:YWI=", xb_eval(X_cast(X_str("ab"), T(EDDY_T_BYTES))));
  ASSERT_STR_EQ("null", xb_eval(X_cast(X_null(), T(EDDY_T_INT))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_casts_between_numbers_and_to_string) {
  xb_begin();
  ASSERT_STR_EQ("int:3", xb_eval(X_cast(X_dbl(2.5), T(EDDY_T_INT))));
  ASSERT_STR_EQ("int:-3", xb_eval(X_cast(X_dbl(-2.5), T(EDDY_T_INT))));
  ASSERT_STR_EQ("int:3", xb_eval(X_cast(X_dec("2.50"), T(EDDY_T_INT))));
  ASSERT_STR_EQ("ERR EOVERFLOW: cannot cast 1e+20 to int (out of range)", xb_eval(X_cast(X_dbl(1e20), T(EDDY_T_INT))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast NaN to int (invalid)", xb_eval(X_cast(X_dbl(NAN), T(EDDY_T_INT))));
  ASSERT_STR_EQ("ERR EOVERFLOW: cannot cast 1e+20 to decimal(10,2) (out of range)",
                xb_eval(X_cast(X_dbl(1e20), eddy_type_decimal(10, 2))));
  ASSERT_STR_EQ("decimal:0.10", xb_eval(X_cast(X_dbl(0.1), eddy_type_decimal(10, 2))));
  ASSERT_STR_EQ("decimal:7.000", xb_eval(X_cast(X_int(7), eddy_type_decimal(10, 3))));
  ASSERT_STR_EQ("ERR EOVERFLOW: cannot cast 123456 to decimal(5,2) (out of range)",
                xb_eval(X_cast(X_int(123456), eddy_type_decimal(5, 2))));
  ASSERT_STR_EQ("decimal:1.3", xb_eval(X_cast(X_dec("1.25"), eddy_type_decimal(5, 1))));
  ASSERT_STR_EQ("double:1.25", xb_eval(X_cast(X_dec("1.25"), T(EDDY_T_DOUBLE))));
  ASSERT_STR_EQ("int:1", xb_eval(X_cast(X_bool(true), T(EDDY_T_INT))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_cast(X_dec("0.01"), T(EDDY_T_BOOL))));
  ASSERT_STR_EQ("string:1.50", xb_eval(X_cast(X_dec("1.50"), T(EDDY_T_STRING))));
  ASSERT_STR_EQ("string:-42", xb_eval(X_cast(X_int(-42), T(EDDY_T_STRING))));
  ASSERT_STR_EQ("string:true", xb_eval(X_cast(X_bool(true), T(EDDY_T_STRING))));
  ASSERT_STR_EQ("string:1970-01-01T00:00:01Z", xb_eval(X_cast(X_ts(EDDY_SEC), T(EDDY_T_STRING))));
  ASSERT_STR_EQ("string:5m", xb_eval(X_cast(X_dur(5 * EDDY_MIN), T(EDDY_T_STRING))));
  ASSERT_STR_EQ("int:1000000", xb_eval(X_cast(X_ts(EDDY_SEC), T(EDDY_T_INT))));
  ASSERT_STR_EQ("timestamp:1970-01-01T00:00:01Z", xb_eval(X_cast(X_int(EDDY_SEC), T(EDDY_T_TIMESTAMP))));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_fields_key_rowtime) {
  xb_begin();
  eddy_field_t f[2] = {{"a", T(EDDY_T_INT)}, {"b", T(EDDY_T_STRING)}};
  eddy_fields_t layout = {2, f};
  eddy_value_t vals[2] = {eddy_int(5), eddy_string("x", 1)};
  xb_rows[0] = (eddy_row_t){.layout = &layout, .vals = vals, .key = eddy_string("k1", 2),
                            .ts = 1704164645123456LL};
  ASSERT_STR_EQ("string:x", xb_eval(X_field(0, 1, T(EDDY_T_STRING))));
  ASSERT_STR_EQ("int:6", xb_eval(X_bin(ADD, X_field(0, 0, T(EDDY_T_INT)), X_int(1))));
  ASSERT_STR_EQ("null", xb_eval(X_field(1, 0, T(EDDY_T_INT)))); /* no right row (outer join) */
  eddy_expr_t *k = xb_node(EDDY_X_KEY);
  k->type = T(EDDY_T_STRING);
  ASSERT_STR_EQ("string:k1", xb_eval(k));
  ASSERT_STR_EQ("timestamp:2024-01-02T03:04:05.123456Z", xb_eval(xb_typed(xb_node(EDDY_X_ROWTIME))));
  eddy_row_t right = {.layout = &layout, .vals = (eddy_value_t[2]){eddy_int(9), eddy_null()}};
  xb_ctx.rows[1] = &right;
  ASSERT_STR_EQ("int:9", xb_eval(X_field(1, 0, T(EDDY_T_INT))));
  ASSERT_STR_EQ("null", xb_eval(X_field(1, 1, T(EDDY_T_STRING))));
  /* no origin message: headers are null */
  eddy_expr_t *h = xb_node(EDDY_X_HEADER);
  h->u.header.name = "trace";
  ASSERT_STR_EQ("null", xb_eval(xb_typed(h)));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_member_and_index) {
  xb_begin();
  eddy_field_t sf[2] = {{"product_id", T(EDDY_T_INT)}, {"qty", T(EDDY_T_INT)}};
  eddy_fields_t sfs = {2, sf};
  eddy_type_t st = {.kind = EDDY_T_STRUCT, .fields = &sfs};
  eddy_type_t arr = {.kind = EDDY_T_ARRAY, .elem = &st};
  eddy_value_t it0[2] = {eddy_int(100), eddy_int(2)}, it1[2] = {eddy_int(200), eddy_null()};
  eddy_value_t items[2] = {{.kind = EDDY_T_STRUCT, .len = 2, .u.items = it0},
                           {.kind = EDDY_T_STRUCT, .len = 2, .u.items = it1}};
  eddy_field_t f[1] = {{"items", arr}};
  eddy_fields_t layout = {1, f};
  eddy_value_t vals[1] = {{.kind = EDDY_T_ARRAY, .len = 2, .u.items = items}};
  xb_rows[0].layout = &layout;
  xb_rows[0].vals = vals;
  for (int i = -1; i <= 2; i++) {
    eddy_expr_t *ix = xb_node(EDDY_X_INDEX);
    ix->u.index.arg = X_field(0, 0, arr);
    ix->u.index.index = X_int(i);
    eddy_expr_t *m = xb_node(EDDY_X_MEMBER);
    m->u.member.arg = xb_typed(ix);
    m->u.member.name = "product_id";
    static const char *const want[] = {"null", "int:100", "int:200", "null"};
    ASSERT_STR_EQ(want[i + 1], xb_eval(xb_typed(m)));
  }
  vals[0] = eddy_null();
  eddy_expr_t *ix = xb_node(EDDY_X_INDEX);
  ix->u.index.arg = X_field(0, 0, arr);
  ix->u.index.index = X_int(0);
  ASSERT_STR_EQ("null", xb_eval(xb_typed(ix)));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(eval_test_treats_null_as_false) {
  xb_begin();
  eddy_error_t *err = NULL;
  ASSERT_EQ(1, eddy_expr_test(X_bool(true), &xb_ctx, &err));
  ASSERT_EQ(0, eddy_expr_test(X_bool(false), &xb_ctx, &err));
  ASSERT_EQ(0, eddy_expr_test(X_null(), &xb_ctx, &err));
  ASSERT_TRUE(err == NULL);
  ASSERT_EQ(EDDY_EDIVZERO, eddy_expr_test(X_bin(EDDY_X_EQ, X_bin(DIV, X_int(1), X_int(0)), X_int(0)),
                                          &xb_ctx, &err));
  ASSERT_STR_EQ("division by zero in 1 / 0", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ETYPE, eddy_expr_test(X_int(1), &xb_ctx, &err));
  ASSERT_STR_EQ("condition: expected bool, got int", err->msg);
  eddy_error_destroy(err);
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- headers, through a real librdkafka message ------------------------------ */

typedef struct {
  int delivered;
  char got[3][128];
} hdr_probe_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
  (void)rk;
  hdr_probe_t *p = opaque;
  const char *names[3] = {"trace", "empty", "absent"};
  for (int i = 0; i < 3; i++) {
    eddy_expr_t *h = xb_node(EDDY_X_HEADER);
    h->u.header.name = names[i];
    xb_rows[0].origin = msg;
    snprintf(p->got[i], sizeof(p->got[i]), "%s", xb_eval(xb_typed(h)));
    xb_rows[0].origin = NULL;
  }
  p->delivered++;
}

EDDY_TEST(eval_header_reads_kafka_headers) {
  xb_begin();
  hdr_probe_t probe = {0};
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  ASSERT_EQ(RD_KAFKA_CONF_OK, rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", errstr, sizeof(errstr)));
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &probe);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  ASSERT_TRUE(rk != NULL);
  ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR,
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("hdr-test"), RD_KAFKA_V_VALUE("v", 1),
                              RD_KAFKA_V_HEADER("trace", "abc-123", 7),
                              RD_KAFKA_V_HEADER("trace", "latest", 6),
                              RD_KAFKA_V_HEADER("empty", NULL, 0), RD_KAFKA_V_END));
  rd_kafka_flush(rk, eddy_test_tmout(10000));
  ASSERT_EQ(1, probe.delivered);
  ASSERT_STR_EQ("string:latest", probe.got[0]); /* the last value of a repeated header */
  ASSERT_STR_EQ("null", probe.got[1]);
  ASSERT_STR_EQ("null", probe.got[2]);
  rd_kafka_destroy(rk);
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}

/* Decoders may hand out empty strings as (NULL, 0): every path accepts them. */
EDDY_TEST(eval_empty_strings_with_null_pointer) {
  xb_begin();
  eddy_field_t f[1] = {{"s", T(EDDY_T_STRING)}};
  eddy_fields_t layout = {1, f};
  eddy_value_t vals[1] = {eddy_string(NULL, 0)};
  xb_rows[0].layout = &layout;
  xb_rows[0].vals = vals;
  eddy_expr_t *s = X_field(0, 0, f[0].type);
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_EQ, s, X_str(""))));
  ASSERT_STR_EQ("bool:true", xb_eval(X_bin(EDDY_X_LT, s, X_str("a"))));
  ASSERT_STR_EQ("string:a", xb_eval(X_bin(ADD, s, X_str("a"))));
  ASSERT_STR_EQ("string:", xb_eval(X_bin(ADD, s, s)));
  ASSERT_STR_EQ("string:x", xb_eval(X_call("concat", 3, s, X_str("x"), s)));
  ASSERT_STR_EQ("bool:true", xb_eval(X_call("starts_with", 2, X_str("abc"), s)));
  ASSERT_STR_EQ("bool:true", xb_eval(X_call("ends_with", 2, s, s)));
  ASSERT_STR_EQ("bool:true", xb_eval(X_call("contains", 2, s, s)));
  ASSERT_STR_EQ("int:0", xb_eval(X_call("length", 1, s)));
  ASSERT_STR_EQ("string:", xb_eval(X_call("upper", 1, s)));
  ASSERT_STR_EQ("string:", xb_eval(X_call("trim", 1, s)));
  ASSERT_STR_EQ("string:", xb_eval(X_call("substr", 2, s, X_int(1))));
  ASSERT_STR_EQ("string:", xb_eval(X_call("replace", 3, s, X_str("a"), X_str("b"))));
  ASSERT_STR_EQ("bytes:", xb_eval(X_cast(s, T(EDDY_T_BYTES))));
  ASSERT_STR_EQ("ERR EINVAL: cannot cast '' to int (invalid)", xb_eval(X_cast(s, T(EDDY_T_INT))));
  eddy_value_t a = eddy_string(NULL, 0), b = eddy_string("", 0);
  ASSERT_TRUE(eddy_value_eq(&a, &b));
  ASSERT_EQ(eddy_value_hash(&a, 0), eddy_value_hash(&b, 0));
  xb_end();
  EDDY_ASSERT_NO_LEAKS();
}
