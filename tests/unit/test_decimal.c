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

/* Random operands of 1..38 digits; expected results computed with Python's
 * decimal module (precision 400, ROUND_HALF_UP = ties away from zero) when
 * the test was written. + and - at scale max(sa, sb); * and / at the given
 * scale; EOVERFLOW when the rounded result needs more than 38 digits. */
static const struct {
  const char *a;
  char op;
  const char *b;
  int scale;
  const char *want;
} vectors[] = {
    {"369006.02677354684874526859693849373964", '*', "-5.7", 25, "-2103334.3526092170378480310025494"},
    {"-8926937195562.79955", '-', "-0.3", 5, "-8926937195562.49955"},
    {"-614.16", '-', "4.37326222975119641341163397359", 29, "-618.53326222975119641341163397359"},
    {"-37519664073.53703886369990698929004006", '+', "54773.0387", 26, "-37519609300.49833886369990698929004006"},
    {"-680574720737883690.753103145574", '/', "0.6598471510563381891", 13, "-1031412683450043066.0384198262855"},
    {"-78401700111350335974782.42306157083062", '-', "-88694.64070231775948293773085045844222", 32, "EOVERFLOW"},
    {"7484.788403", '/', "9214291.747686311297", 22, "0.0008123020854944618135"},
    {"253526875164843483.10", '+', "-7151075828.770378707117568381", 18, "253526868013767654.329621292882431619"},
    {"-36591271.2010473089", '/', "9211.3", 11, "-3972.43290317841"},
    {"-7301738058.38829624", '/', "11.49649240100555108744277201428897554", 36, "EOVERFLOW"},
    {"0.1", '-', "0.4", 1, "-0.3"},
    {"4839157532734274293675.751077015759225", '/', "-924322.630583082198", 5, "-5235355462065914.93226"},
    {"0.1013401059321075619", '*', "7054380214947950577258839.2480989141378", 38, "EOVERFLOW"},
    {"2.3", '-', "0.23238", 5, "2.06762"},
    {"3.2", '*', "-64801557269285432.78324685883277714187", 14, "-207364983261713384.90638994826489"},
    {"-33", '*', "-2592409313448659213.4", 15, "85549507343805754042.200000000000000"},
    {"-8418453822195686747833738694557.6367571", '-', "-9855515341091131.278", 7, "-8418453822195676892318397603426.3587571"},
    {"-71", '-', "-47879651837466.30097339619746016193328", 23, "47879651837395.30097339619746016193328"},
    {"4.8692", '*', "0.6261", 5, "3.04861"},
    {"67381.01673012199759135935498623663014", '/', "709265034823648972332089991387", 24, "0.000000000000000000000000"},
    {"38029119931769412124599179028863641.80", '*', "-20008.24526", 20, "EOVERFLOW"},
    {"-1555452594597686735478.91409785", '-', "-186603850345670572084.4196602003983147", 16, "-1368848744252016163394.4944376496016853"},
    {"0.3865965897", '-', "-26704", 10, "26704.3865965897"},
    {"-266450395453.5151629828190625552677757", '+', "957275530455402187847173504.9307466697", 25, "EOVERFLOW"},
    {"9501.0123933209462766", '+', "1.8", 16, "9502.8123933209462766"},
    {"-1788362.669", '*', "-6.324454228746683832", 20, "11310417.84448975602269466761"},
    {"-5794375.0517689693729", '/', "2847682834", 18, "-0.002034768402782376"},
    {"328724817139147.8065461488037665152119", '-', "87008.1397668229521", 22, "328724817052139.6667793258516665152119"},
    {"51593163919835195844876606158351.74984", '-', "918639.3881", 5, "51593163919835195844876605239712.36174"},
    {"-1792253987320975.663", '*', "3", 13, "-5376761961962926.9890000000000"},
    {"80.795", '/', "-78713032346998507091684658325944.39345", 26, "0.00000000000000000000000000"},
    {"-7", '+', "3", 0, "-4"},
    {"-52976.8241428082459552927258847", '/', "7236576909512182841706688856941.161648", 1, "0.0"},
    {"-0.58983924229823155801", '+', "-24036177327504099.0", 20, "-24036177327504099.58983924229823155801"},
    {"-26.4250286050681729", '-', "0.25805", 16, "-26.6830786050681729"},
    {"-871968.52939443983764", '-', "4205726455083595284", 14, "-4205726455084467252.52939443983764"},
    {"3233.3", '/', "-2847700971230297031653963004232220137.7", 3, "0.000"},
    {"314.1523485", '-', "119323981.2", 7, "-119323667.0476515"},
    {"9874757146.0958470214", '-', "51326327835115667.737", 10, "-51326317960358521.6411529786"},
    {"770919.457316684585", '-', "0.1", 12, "770919.357316684585"},
    {"275311.3181", '-', "-4", 4, "275315.3181"},
    {"8098257467.65191698", '/', "-657518647349903524527636.5815260385127", 20, "-0.00000000000001231639"},
    {"9106982902.1650837518", '*', "-6.3", 14, "-57373992283.64002763634000"},
    {"-993356485606464.56232", '+', "-95938.71793", 5, "-993356485702403.28025"},
    {"290148906095.503330", '-', "9604967088.986265642", 9, "280543939006.517064358"},
    {"37921473.60643500860", '+', "-0.9", 11, "37921472.70643500860"},
    {"-1128.7", '-', "4000216845", 1, "-4000217973.7"},
    {"-6497993121197704220091973539334599440.1", '-', "6958867606225.8284", 4, "EOVERFLOW"},
    {"58062892022.832776563427394268309805940", '-', "-667.75", 27, "58062892690.582776563427394268309805940"},
    {"6.992902848", '-', "-623182.9800299360269", 13, "623189.9729327840269"},
    {"-21804433489114503162140767517.87351420", '-', "-89", 8, "-21804433489114503162140767428.87351420"},
    {"-4", '-', "87096.52358235116254", 14, "-87100.52358235116254"},
    {"0.4", '*', "-6159538572653255978852.1778851211016670", 2, "-2463815429061302391540.87"},
    {"-0.9", '+', "-7243003711358808987513.66788601939946", 14, "-7243003711358808987514.56788601939946"},
    {"-9896543308878307764270887972842.4220218", '*', "109.8301645591403529559568083200615977", 15, "EOVERFLOW"},
    {"78264235191317.58813", '/', "-0.1555880107869655639", 28, "EOVERFLOW"},
    {"0.330526125616508182", '*', "0.4", 30, "0.132210450246603272800000000000"},
    {"0.4956499587430298687131844962690809670", '-', "-59863877043199293.349", 37, "EOVERFLOW"},
    {"1.9528", '*', "-9576281142855528370359281457954079905", 26, "EOVERFLOW"},
    {"8.30171840976655855", '*', "-1.9607550980841729514", 14, "-16.27763669480901"},
    {"3728174309149422443596.754054832498342", '+', "-0.5", 15, "3728174309149422443596.254054832498342"},
    {"-5108285729507.833499", '/', "2006603882013439.2118", 29, "-0.00254573699138972402346105833"},
    {"8747.4", '*', "619612.4343325016695", 14, "5419997808.08012510378430"},
    {"475894624.18829231912", '/', "3971556632246964297037449866618.688822", 2, "0.00"},
    {"-3664379734751537599337.36141489", '/', "88.11853481616533002", 22, "EOVERFLOW"},
    {"23871784620.7815106", '-', "-9.6", 7, "23871784630.3815106"},
    {"1.9", '-', "-667085832", 1, "667085833.9"},
    {"83.14904960876715008", '/', "828870413433.10293579003303879", 36, "0.000000000100316102808364992811828528"},
    {"-1.9781143232019748345", '/', "6874227.996", 26, "-0.00000028775803251696146310"},
    {"0.8", '*', "-94210709.73969940900", 37, "EOVERFLOW"},
    {"222613868.3038928697", '*', "3320.7470753430526989618130412203192906", 14, "739244352100.95574651761118"},
    {"242642097.34021815864636838635282599653", '-', "20.5153854", 29, "242642076.82483275864636838635282599653"},
    {"-84.602", '-', "6007267693940310.63457916565750", 14, "-6007267693940395.23657916565750"},
    {"-22783242614669307851735.73198153489829", '-', "327727.808080636375221329826204", 24, "EOVERFLOW"},
    {"-651707.6050", '*', "-1.871852484", 21, "1219900.499260940820000000000"},
    {"-94809922328481807120191.8897753", '+', "4138330547990475.6670", 7, "-94809918190151259129716.2227753"},
    {"-5213932275639330757715969761.9222402310", '-', "1228.9", 10, "-5213932275639330757715970990.8222402310"},
    {"300844322.6968290209", '+', "-0.8", 10, "300844321.8968290209"},
    {"-4773.8814426597554292", '+', "28480917454743080151.46408583045160881", 17, "28480917454743075377.58264317069617961"},
    {"-0.2", '+', "894380268068.973497", 6, "894380268068.773497"},

    /* aligning the scales overflows, the result does not */
    {"-28.90786666176031372", '%', "99999999999999999999999999999.9", 17, "-28.90786666176031372"},
    {"-1000000000000000000000000000.00000000", '%', "-999999999.999999999999999999", 18, "-1.000000000000000000"},
    {"-6092406123531185843141342.64", '%', "-0.24205560736512414930", 20, "-0.24095528812110102150"},
    {"100000000000000000000000000.0000000000", '%', "85876826991059.4996572458033712958965", 22, "80155215392859.1135929885706605406220"},
    {"12282985186010818.899", '%', "-9999.9999999999999999999999999999999999", 34, "818.8990000000000000000001228298518601"},
    {"-71473011125066874585218871548336.559989", '+', "158525152605360238756432725006356.07873", 6, "87052141480293364171213853458019.518741"},
    {"-71473011125066874585218871548336.559989", '-', "-158525152605360238756432725006356.07873", 6, "87052141480293364171213853458019.518741"},
    {"71473011125066874585218871548336.559989", '+', "158525152605360238756432725006356.07873", 6, "EOVERFLOW"},
    /* the quotient passes 10^37 during long division (q * 10 would wrap) */
    {"-3664379734751537599337.36141489", '/', "88.11853481616533002", 22, "EOVERFLOW"},
};

EDDY_TEST(decimal_random_vectors_match_reference) {
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    const char *got = op(vectors[i].op, vectors[i].a, vectors[i].b, vectors[i].scale);
    if (strcmp(got, vectors[i].want) != 0)
      eddy_test_fail(__FILE__, __LINE__, "%s %c %s (scale %d): want %s, got %s", vectors[i].a,
                     vectors[i].op, vectors[i].b, vectors[i].scale, vectors[i].want, got);
  }
}
