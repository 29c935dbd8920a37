/* Exact decimals: parse/format, rescale, arithmetic, overflow at 38 digits,
 * comparison, conversions. Expected values are worked out by hand (or with
 * Python's decimal module when the tests were written). */
#include "eddy_test.h"
#include "eddy/value.h"

static char fmt_buf[64];

static const char *fmt(eddy_i128 u, uint8_t s) {
  int n = eddy_decimal_format(u, s, fmt_buf, sizeof(fmt_buf));
  if (n < 0)
    return "(format error)";
  ASSERT_EQ(strlen(fmt_buf), n);
  return fmt_buf;
}

/* Parse, asserting success. */
static eddy_i128 D(const char *s, uint8_t *scale) {
  eddy_i128 u;
  int rc = eddy_decimal_parse(s, strlen(s), &u, scale);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "parse %s: %d", s, rc);
  return u;
}

static const char *roundtrip(const char *s) {
  uint8_t sc;
  eddy_i128 u = D(s, &sc);
  return fmt(u, sc);
}

EDDY_TEST(decimal_parse_format) {
  ASSERT_STR_EQ("-123.4500", roundtrip("-123.4500"));
  ASSERT_STR_EQ("0.05", roundtrip("0.05"));
  ASSERT_STR_EQ("-0.05", roundtrip("-0.05"));
  ASSERT_STR_EQ("0.5", roundtrip(".5"));
  ASSERT_STR_EQ("5", roundtrip("5."));
  ASSERT_STR_EQ("123.40", roundtrip("000123.40"));
  ASSERT_STR_EQ("7", roundtrip("+7"));
  ASSERT_STR_EQ("1000", roundtrip("1e3"));
  ASSERT_STR_EQ("0.015", roundtrip("1.5e-2"));
  ASSERT_STR_EQ("1500", roundtrip("1.5E+3"));
  ASSERT_STR_EQ("99999999999999999999999999999999999999",
                roundtrip("99999999999999999999999999999999999999"));
  ASSERT_STR_EQ("-0.00000000000000000000000000000000000001",
                roundtrip("-0.00000000000000000000000000000000000001"));
  uint8_t sc;
  ASSERT_EQ(-1234500, D("-123.4500", &sc));
  ASSERT_EQ(4, sc);
}

EDDY_TEST(decimal_negative_zero_is_zero) {
  uint8_t sc;
  eddy_i128 u = D("-0.00", &sc);
  ASSERT_TRUE(u == 0);
  ASSERT_EQ(2, sc);
  ASSERT_STR_EQ("0.00", fmt(u, sc));
  ASSERT_STR_EQ("0", roundtrip("-0"));
  ASSERT_EQ(0, eddy_decimal_cmp(u, 2, 0, 0));
  /* -0.004 rounded to 2 places is zero, printed without a sign */
  eddy_i128 r;
  ASSERT_OK(eddy_decimal_rescale(-4, 3, 2, &r));
  ASSERT_STR_EQ("0.00", fmt(r, 2));
}

EDDY_TEST(decimal_parse_rejects) {
  const char *bad[] = {"", "-", "+", ".", "1.2.3", "abc", "1e", "1e+", " 1", "1 ", "1,5", "--1",
                       "0x10", "1.5f"};
  eddy_i128 u;
  uint8_t sc;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (eddy_decimal_parse(bad[i], strlen(bad[i]), &u, &sc) != EDDY_EINVAL)
      eddy_test_fail(__FILE__, __LINE__, "'%s' should be EINVAL", bad[i]);
  /* 39 significant digits, or a fraction past 38 digits, do not fit */
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_parse("999999999999999999999999999999999999999", 39, &u, &sc));
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_parse("1e38", 4, &u, &sc));
  const char *frac39 = "0.000000000000000000000000000000000000001";
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_parse(frac39, strlen(frac39), &u, &sc));
  /* ... unless the extra fraction digits are zeros */
  const char *zeros = "1.5000000000000000000000000000000000000000";
  ASSERT_OK(eddy_decimal_parse(zeros, strlen(zeros) - 3, &u, &sc));
}

EDDY_TEST(decimal_rescale_rounds_half_away_from_zero) {
  eddy_i128 r;
  ASSERT_OK(eddy_decimal_rescale(125, 2, 1, &r));
  ASSERT_EQ(13, r); /* 1.25 -> 1.3 */
  ASSERT_OK(eddy_decimal_rescale(-125, 2, 1, &r));
  ASSERT_EQ(-13, r);
  ASSERT_OK(eddy_decimal_rescale(124, 2, 1, &r));
  ASSERT_EQ(12, r);
  ASSERT_OK(eddy_decimal_rescale(-1249, 3, 1, &r));
  ASSERT_EQ(-12, r); /* -1.249 -> -1.2: only the first dropped digit counts */
  ASSERT_OK(eddy_decimal_rescale(-1250, 3, 1, &r));
  ASSERT_EQ(-13, r);
  ASSERT_OK(eddy_decimal_rescale(15, 1, 3, &r));
  ASSERT_EQ(1500, r);
  ASSERT_OK(eddy_decimal_rescale(5, 0, 0, &r));
  ASSERT_EQ(5, r);
  ASSERT_OK(eddy_decimal_rescale(49, 2, 0, &r));
  ASSERT_EQ(0, r);
  ASSERT_OK(eddy_decimal_rescale(50, 2, 0, &r));
  ASSERT_EQ(1, r);
  /* 10^37 at scale 0 needs 40 digits at scale 2 */
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_rescale(eddy_decimal_pow10(37), 0, 2, &r));
  ASSERT_OK(eddy_decimal_rescale(eddy_decimal_pow10(35), 0, 2, &r));
  ASSERT_TRUE(r == eddy_decimal_pow10(37));
  /* 99...9.9 (38 digits) rounds up to 10^37, still 38 digits */
  uint8_t sc;
  eddy_i128 big = D("9999999999999999999999999999999999999.9", &sc);
  ASSERT_OK(eddy_decimal_rescale(big, 1, 0, &r));
  ASSERT_TRUE(r == eddy_decimal_pow10(37));
  /* scales past 38 cannot hold a non-zero value */
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_rescale(1, 0, 39, &r));
  ASSERT_OK(eddy_decimal_rescale(0, 0, 39, &r));
}

static const char *op(int which, const char *a, const char *b, int scale) {
  uint8_t sa, sb, so = 0;
  eddy_i128 x = D(a, &sa), y = D(b, &sb), r = 0;
  int rc;
  switch (which) {
  case '+': rc = eddy_decimal_add(x, sa, y, sb, &r, &so); break;
  case '-': rc = eddy_decimal_sub(x, sa, y, sb, &r, &so); break;
  case '*': rc = eddy_decimal_mul(x, sa, y, sb, (uint8_t)scale, &r), so = (uint8_t)scale; break;
  case '/': rc = eddy_decimal_div(x, sa, y, sb, (uint8_t)scale, &r), so = (uint8_t)scale; break;
  default: rc = eddy_decimal_mod(x, sa, y, sb, &r, &so); break;
  }
  if (rc != 0)
    return eddy_err_name(rc);
  return fmt(r, so);
}

EDDY_TEST(decimal_add_sub) {
  ASSERT_STR_EQ("3.75", op('+', "1.5", "2.25", 0));
  ASSERT_STR_EQ("-0.75", op('+', "1.5", "-2.25", 0));
  ASSERT_STR_EQ("0.00", op('-', "1.50", "1.5", 0));
  ASSERT_STR_EQ("-100.001", op('-', "-100", "0.001", 0));
  ASSERT_STR_EQ("99999999999999999999999999999999999999",
                op('+', "99999999999999999999999999999999999998", "1", 0));
  ASSERT_STR_EQ("EOVERFLOW", op('+', "99999999999999999999999999999999999999", "1", 0));
  ASSERT_STR_EQ("EOVERFLOW", op('-', "-99999999999999999999999999999999999999", "1", 0));
  /* two 38-digit values sum past 2^127: still an overflow error, not a wrap */
  ASSERT_STR_EQ("EOVERFLOW", op('+', "99999999999999999999999999999999999999",
                                "99999999999999999999999999999999999999", 0));
  ASSERT_STR_EQ("EOVERFLOW", op('-', "-99999999999999999999999999999999999999",
                                "99999999999999999999999999999999999999", 0));
  ASSERT_STR_EQ("EOVERFLOW", op('+', "-9999999999999999999999999999999999999.9",
                                "-999999999999999999999999999999999999.99", 0));
  ASSERT_STR_EQ("0", op('+', "99999999999999999999999999999999999999",
                        "-99999999999999999999999999999999999999", 0));
  /* aligning scales can overflow too: 38 integer digits plus 2 fraction digits */
  ASSERT_STR_EQ("EOVERFLOW", op('+', "10000000000000000000000000000000000000", "0.01", 0));
}

/* A DECIMAL(10,2) sum of many values is exact: compare with integer cents. */
EDDY_TEST(decimal_sum_of_cents_is_exact) {
  uint64_t seed = 42;
  int64_t cents = 0;
  eddy_i128 sum = 0;
  uint8_t scale = 2;
  double dsum = 0;
  for (int i = 0; i < 200000; i++) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t c = (int64_t)(seed >> 33) % 9999999999LL; /* up to 99,999,999.98 */
    if (seed & 1)
      c = -c / 3;
    char text[32];
    snprintf(text, sizeof(text), "%s%lld.%02lld", c < 0 ? "-" : "", (long long)(llabs(c) / 100),
             (long long)(llabs(c) % 100));
    uint8_t s;
    eddy_i128 v = D(text, &s);
    ASSERT_OK(eddy_decimal_add(sum, scale, v, s, &sum, &scale));
    cents += c;
    dsum += (double)c / 100.0;
  }
  char want[40];
  snprintf(want, sizeof(want), "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)(llabs(cents) / 100),
           (long long)(llabs(cents) % 100));
  ASSERT_STR_EQ(want, fmt(sum, scale));
  (void)dsum; /* a double sum of the same values drifts; the decimal one must not */
}

EDDY_TEST(decimal_mul) {
  ASSERT_STR_EQ("3.375", op('*', "1.5", "2.25", 3));
  ASSERT_STR_EQ("-0.01", op('*', "-0.1", "0.1", 2));
  ASSERT_STR_EQ("2.3", op('*', "1.15", "2", 1));     /* 2.30 -> 2.3 */
  ASSERT_STR_EQ("-1.3", op('*', "-0.125", "10", 1)); /* -1.250 -> -1.3 */
}

EDDY_TEST(decimal_mul_rounding_and_overflow) {
  ASSERT_STR_EQ("-1.3", op('*', "-0.125", "10.0", 1));
  ASSERT_STR_EQ("0.00", op('*', "0.001", "4", 2));
  ASSERT_STR_EQ("0.01", op('*', "0.001", "5", 2));
  ASSERT_STR_EQ("10000000000000000000000000000000000000",
                op('*', "10000000000000000000", "1000000000000000000", 0));
  ASSERT_STR_EQ("EOVERFLOW", op('*', "10000000000000000000", "10000000000000000000", 0));
  /* The exact product needs more than 128 bits, the rounded result does not. */
  ASSERT_STR_EQ("99999999999999999999.999999999999999999",
                op('*', "99999999999999999999.999999999999999999", "1.000000000000000000", 18));
  ASSERT_STR_EQ("12345678901234567890.740740734074074073",
                op('*', "12345678901234567890.123456789012345678", "1.00000000000000000005", 18));
}

EDDY_TEST(decimal_div_scales_and_rounding) {
  ASSERT_STR_EQ("0.333333", op('/', "1", "3", 6));
  ASSERT_STR_EQ("0.666667", op('/', "2", "3", 6));
  ASSERT_STR_EQ("-0.666667", op('/', "-2", "3", 6));
  ASSERT_STR_EQ("-0.666667", op('/', "2", "-3", 6));
  ASSERT_STR_EQ("0.666667", op('/', "-2", "-3", 6));
  ASSERT_STR_EQ("0.13", op('/', "1", "8", 2));   /* 0.125 */
  ASSERT_STR_EQ("-0.13", op('/', "-1", "8", 2));
  ASSERT_STR_EQ("3", op('/', "10", "4", 0));     /* 2.5 */
  ASSERT_STR_EQ("4.00", op('/', "10.00", "2.5", 2));
  ASSERT_STR_EQ("EDIVZERO", op('/', "1", "0.00", 2));
  /* Result scale below the dividend's: the quotient is rounded once */
  ASSERT_STR_EQ("3", op('/', "2.5", "1", 0));
  ASSERT_STR_EQ("-3", op('/', "-2.5", "1", 0));
  ASSERT_STR_EQ("0.01", op('/', "0.0299", "2", 2)); /* 0.01495 */
  ASSERT_STR_EQ("0.02", op('/', "0.0300", "2", 2)); /* 0.015 */
  ASSERT_STR_EQ("0.02", op('/', "0.0301", "2", 2)); /* 0.01505 */
  ASSERT_STR_EQ("1.23", op('/', "1.2345678901", "1", 2));
  ASSERT_STR_EQ("1.24", op('/', "1.2350000000", "1", 2));
  /* Long division past 128 bits: 12345678901234567890123456789012345678 / 10^30 */
  ASSERT_STR_EQ("12345678.90123457",
                op('/', "12345678901234567890123456789012345678",
                   "1000000000000000000000000000000", 8));
  ASSERT_STR_EQ("EOVERFLOW", op('/', "10000000000000000000000000000000000000", "0.1", 0));
  ASSERT_STR_EQ("0.33333333333333333333333333333333333333", op('/', "1", "3", 38));
}

EDDY_TEST(decimal_div_large_divisor_digits) {
  /* divisor close to 10^38: the remainder times 10 does not fit 128 bits */
  ASSERT_STR_EQ("0.5000000000",
                op('/', "49999999999999999999999999999999999999",
                   "99999999999999999999999999999999999999", 10));
  ASSERT_STR_EQ("0.12345678901234567890",
                op('/', "12345678901234567890123456789012345678",
                   "99999999999999999999999999999999999999", 20));
  ASSERT_STR_EQ("1.0000000000",
                op('/', "99999999999999999999999999999999999999",
                   "99999999999999999999999999999999999999", 10));
}

EDDY_TEST(decimal_mod) {
  ASSERT_STR_EQ("1.5", op('%', "10.5", "3", 0));
  ASSERT_STR_EQ("-1.5", op('%', "-10.5", "3", 0));
  ASSERT_STR_EQ("1.5", op('%', "10.5", "-3", 0));
  ASSERT_STR_EQ("0.1", op('%', "10", "0.3", 0));
  ASSERT_STR_EQ("EDIVZERO", op('%', "1", "0", 0));
}

EDDY_TEST(decimal_compare_exact) {
  ASSERT_EQ(0, eddy_decimal_cmp(150, 2, 15, 1));
  ASSERT_EQ(0, eddy_decimal_cmp(2, 0, 200, 2));
  ASSERT_EQ(-1, eddy_decimal_cmp(-5, 1, 3, 1));
  ASSERT_EQ(1, eddy_decimal_cmp(1, 0, 99999, 5));
  ASSERT_EQ(-1, eddy_decimal_cmp(-1, 0, -99999, 5));
  ASSERT_EQ(1, eddy_decimal_cmp(eddy_decimal_pow10(37), 0, 1, 38));
  /* integer parts equal, fractions differ at the 38th digit */
  uint8_t sa, sb;
  eddy_i128 a = D("1.0000000000000000000000000000000000001", &sa);
  eddy_i128 b = D("1.000000000000000000000000000000000000", &sb);
  ASSERT_EQ(1, eddy_decimal_cmp(a, sa, b, sb));
  ASSERT_EQ(-1, eddy_decimal_cmp(b, sb, a, sa));
}

EDDY_TEST(decimal_compare_with_double_exact) {
  ASSERT_EQ(0, eddy_decimal_cmp_double(5, 1, 0.5));
  ASSERT_EQ(0, eddy_decimal_cmp_double(-15, 1, -1.5));
  /* the double 0.1 is 0.1000000000000000055511151231257827...: above decimal 0.1 */
  ASSERT_EQ(-1, eddy_decimal_cmp_double(1, 1, 0.1));
  ASSERT_EQ(1, eddy_decimal_cmp_double(1000000000000000056, 19, 0.1)); /* 0.1000000000000000056 */
  ASSERT_EQ(-1, eddy_decimal_cmp_double(1000000000000000055, 19, 0.1)); /* 0.1000000000000000055 */
  ASSERT_EQ(-1, eddy_decimal_cmp_double(0, 0, 1e-300));
  ASSERT_EQ(1, eddy_decimal_cmp_double(1, 38, 1e-300));
  ASSERT_EQ(-1, eddy_decimal_cmp_double(eddy_decimal_pow10(37), 0, 1e38));
  ASSERT_EQ(1, eddy_decimal_cmp_double(-1, 0, -1e300));
  ASSERT_EQ(-1, eddy_decimal_cmp_double(eddy_decimal_pow10(37), 0, 1.0 / 0.0));
  ASSERT_EQ(-1, eddy_decimal_cmp_double(0, 0, 0.0 / 0.0)); /* NaN sorts above numbers */
  ASSERT_EQ(0, eddy_decimal_cmp_double(0, 3, -0.0));
  ASSERT_EQ(1, eddy_decimal_cmp_double((eddy_i128)9007199254740993LL, 0, 9007199254740992.0));
}

EDDY_TEST(decimal_to_and_from_double) {
  ASSERT_DBL_EQ(0.1, eddy_decimal_to_double(1, 1), 0);
  ASSERT_DBL_EQ(-123.45, eddy_decimal_to_double(-12345, 2), 0);
  uint8_t s;
  eddy_i128 big = D("12345678901234567890.123456789012345678", &s);
  ASSERT_DBL_EQ(12345678901234567890.123456789012345678, eddy_decimal_to_double(big, s), 0);
  ASSERT_DBL_EQ(1e-38, eddy_decimal_to_double(1, 38), 0);
  eddy_i128 r;
  ASSERT_OK(eddy_decimal_from_double(0.1, 2, &r));
  ASSERT_EQ(10, r);
  ASSERT_OK(eddy_decimal_from_double(2.675, 2, &r)); /* read as 2.675, rounded up */
  ASSERT_EQ(268, r);
  ASSERT_OK(eddy_decimal_from_double(-1.005, 2, &r));
  ASSERT_EQ(-101, r);
  ASSERT_OK(eddy_decimal_from_double(1234.5, 0, &r));
  ASSERT_EQ(1235, r);
  ASSERT_EQ(EDDY_EINVAL, eddy_decimal_from_double(0.0 / 0.0, 2, &r));
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_from_double(1e40, 0, &r));
}

EDDY_TEST(decimal_from_double_exact) {
  eddy_i128 u;
  uint8_t s;
  ASSERT_TRUE(eddy_decimal_from_double_exact(0.5, &u, &s));
  ASSERT_EQ(5, u);
  ASSERT_EQ(1, s);
  ASSERT_TRUE(eddy_decimal_from_double_exact(-0.375, &u, &s));
  ASSERT_EQ(-375, u);
  ASSERT_EQ(3, s);
  ASSERT_TRUE(eddy_decimal_from_double_exact(3.0, &u, &s));
  ASSERT_EQ(3, u);
  ASSERT_EQ(0, s);
  ASSERT_TRUE(eddy_decimal_from_double_exact(1e20, &u, &s));
  ASSERT_STR_EQ("100000000000000000000", fmt(u, s));
  ASSERT_FALSE(eddy_decimal_from_double_exact(0.1, &u, &s)); /* needs 55 fraction digits */
  ASSERT_FALSE(eddy_decimal_from_double_exact(1.0 / 0.0, &u, &s));
}

EDDY_TEST(decimal_to_int) {
  int64_t i;
  ASSERT_OK(eddy_decimal_to_int(25, 1, &i));
  ASSERT_EQ(3, i);
  ASSERT_OK(eddy_decimal_to_int(-25, 1, &i));
  ASSERT_EQ(-3, i);
  ASSERT_OK(eddy_decimal_to_int(24, 1, &i));
  ASSERT_EQ(2, i);
  ASSERT_OK(eddy_decimal_to_int((eddy_i128)INT64_MIN, 0, &i));
  ASSERT_EQ(INT64_MIN, i);
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_to_int((eddy_i128)INT64_MAX + 1, 0, &i));
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_decimal_to_int((eddy_i128)INT64_MAX * 10 + 5, 1, &i));
}

EDDY_TEST(decimal_digits_and_fits) {
  ASSERT_EQ(1, eddy_decimal_digits(0));
  ASSERT_EQ(1, eddy_decimal_digits(-9));
  ASSERT_EQ(2, eddy_decimal_digits(10));
  ASSERT_EQ(38, eddy_decimal_digits(eddy_decimal_pow10(38) - 1));
  ASSERT_TRUE(eddy_decimal_fits(99999, 5));
  ASSERT_FALSE(eddy_decimal_fits(-100000, 5));
  ASSERT_TRUE(eddy_decimal_pow10(39) == 0);
}
