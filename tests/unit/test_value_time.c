/* Timestamps and durations. Expected epoch values were computed with
 * Python's datetime module when the tests were written, e.g.
 *   (datetime(2024,2,29,23,59,59,tzinfo=timezone.utc) - epoch) -> 1709251199 s. */
#include "eddy_test.h"
#include "eddy/value.h"

static int64_t P(const char *s) {
  int64_t us;
  int rc = eddy_timestamp_parse(s, strlen(s), &us);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "parse '%s' failed: %d", s, rc);
  return us;
}

static const char *F(int64_t us) {
  static char buf[64];
  int n = eddy_timestamp_format(us, buf, sizeof(buf));
  if (n < 0)
    return "(error)";
  ASSERT_EQ(strlen(buf), n);
  return buf;
}

EDDY_TEST(time_parse_known_epochs) {
  ASSERT_EQ(1704164645123456LL, P("2024-01-02T03:04:05.123456Z"));
  ASSERT_EQ(1709251199000000LL, P("2024-02-29T23:59:59Z"));
  ASSERT_EQ(951782400000000LL, P("2000-02-29"));
  ASSERT_EQ(-2203891200000000LL, P("1900-03-01T00:00:00Z"));
  ASSERT_EQ(-1, P("1969-12-31T23:59:59.999999Z"));
  ASSERT_EQ(-11676096000000000LL, P("1600-01-01"));
  ASSERT_EQ(253402300799000000LL, P("9999-12-31T23:59:59Z"));
  ASSERT_EQ(-62135596800000000LL, P("0001-01-01T00:00:00Z"));
  ASSERT_EQ(0, P("1970-01-01"));
}

EDDY_TEST(time_parse_offsets_and_separators) {
  ASSERT_EQ(1704161045000000LL, P("2024-01-02T03:04:05+01:00"));
  ASSERT_EQ(1704161045000000LL, P("2024-01-02T03:04:05+0100"));
  ASSERT_EQ(1704161045000000LL, P("2024-01-02T03:04:05+01"));
  ASSERT_EQ(1704184445000000LL, P("2024-01-02T03:04:05-05:30"));
  ASSERT_EQ(1704184445000000LL, P("2024-01-02 03:04:05-0530"));
  /* an offset that moves the instant into the next year */
  ASSERT_EQ(1704079800000000LL, P("2023-12-31T22:00:00-05:30"));
  ASSERT_EQ(1704164645000000LL, P("2024-01-02 03:04:05"));
  ASSERT_EQ(1704164640000000LL, P("2024-01-02T03:04Z"));
  ASSERT_EQ(1704164645123000LL, P("2024-01-02T03:04:05.123Z"));
  ASSERT_EQ(1704164645100000LL, P("2024-01-02T03:04:05.1Z"));
  /* nanoseconds: digits past µs are truncated */
  ASSERT_EQ(1704164645123456LL, P("2024-01-02T03:04:05.123456789Z"));
  ASSERT_EQ(1704164645123456LL, P("2024-01-02t03:04:05.123456z"));
}

EDDY_TEST(time_parse_rejects) {
  const char *bad[] = {"", "2024", "2024-1-02", "2024-13-01", "2023-02-29", "1900-02-29",
                       "2024-04-31", "2024-01-00", "2024-01-02T24:00:00Z", "2024-01-02T03:60:00Z",
                       "2024-01-02T03:04:61Z", "2024-01-02T03:04:05.Z",
                       "2024-01-02T03:04:05.1234567890Z", "2024-01-02T03:04:05+25:00",
                       "2024-01-02T03:04:05 ", "2024-01-02X03:04:05", "2024-01-02T03",
                       "2024-01-02T03:04:05+1", "+2024-01-02"};
  int64_t us;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (eddy_timestamp_parse(bad[i], strlen(bad[i]), &us) != EDDY_EINVAL)
      eddy_test_fail(__FILE__, __LINE__, "'%s' should be EINVAL", bad[i]);
}

EDDY_TEST(time_format_trims_fraction) {
  ASSERT_STR_EQ("2024-01-02T03:04:05.123456Z", F(1704164645123456LL));
  ASSERT_STR_EQ("2024-01-02T03:04:05.123Z", F(1704164645123000LL));
  ASSERT_STR_EQ("2024-01-02T03:04:05Z", F(1704164645000000LL));
  ASSERT_STR_EQ("2024-01-02T03:04:05.000001Z", F(1704164645000001LL));
  ASSERT_STR_EQ("1969-12-31T23:59:59.999999Z", F(-1));
  ASSERT_STR_EQ("1900-03-01T00:00:00Z", F(-2203891200000000LL));
  ASSERT_STR_EQ("0001-01-01T00:00:00Z", F(-62135596800000000LL));
  char small[8];
  ASSERT_EQ(EDDY_ERANGE, eddy_timestamp_format(0, small, sizeof(small)));
}

/* Every day from 1599-12-25 to 2401-01-05 round-trips, and the day count
 * advances by one each day (checked against a plain calendar walk). */
EDDY_TEST(time_civil_roundtrip_walk) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t y = 1599;
  unsigned m = 12, d = 25;
  int64_t days = eddy_days_from_civil(y, m, d);
  ASSERT_EQ(-135147, days); /* (date(1599,12,25) - date(1970,1,1)).days */
  while (y < 2401 || m < 2) {
    int64_t yy;
    unsigned mm, dd;
    eddy_civil_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
      eddy_test_fail(__FILE__, __LINE__, "day %lld: got %lld-%u-%u want %lld-%u-%u",
                     (long long)days, (long long)yy, mm, dd, (long long)y, m, d);
    ASSERT_EQ(days, eddy_days_from_civil(y, m, d));
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int len = m == 2 && leap ? 29 : dim[m - 1];
    if (++d > (unsigned)len) {
      d = 1;
      if (++m > 12)
        m = 1, y++;
    }
    days++;
  }
}

EDDY_TEST(time_roundtrip_random) {
  uint64_t seed = 7;
  for (int i = 0; i < 20000; i++) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t us = (int64_t)(seed >> 1) % 253402300799000000LL;
    if (seed & 1)
      us = -(us % 62135596800000000LL);
    char buf[64];
    int n = eddy_timestamp_format(us, buf, sizeof(buf));
    ASSERT_TRUE(n > 0);
    int64_t back;
    ASSERT_OK(eddy_timestamp_parse(buf, (size_t)n, &back));
    ASSERT_EQ(us, back);
  }
}

static int64_t T(const char *unit, int64_t us) {
  int64_t out;
  int rc = eddy_timestamp_trunc(us, unit, strlen(unit), &out);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "trunc %s: %d", unit, rc);
  return out;
}

EDDY_TEST(time_trunc_units) {
  int64_t ts = P("2024-05-17T13:45:27.654321Z"); /* a Friday */
  ASSERT_STR_EQ("2024-05-17T13:45:27.654Z", F(T("millisecond", ts)));
  ASSERT_STR_EQ("2024-05-17T13:45:27Z", F(T("second", ts)));
  ASSERT_STR_EQ("2024-05-17T13:45:00Z", F(T("MINUTE", ts)));
  ASSERT_STR_EQ("2024-05-17T13:00:00Z", F(T("hour", ts)));
  ASSERT_STR_EQ("2024-05-17T00:00:00Z", F(T("day", ts)));
  ASSERT_STR_EQ("2024-05-13T00:00:00Z", F(T("week", ts))); /* Monday */
  ASSERT_STR_EQ("2024-05-01T00:00:00Z", F(T("month", ts)));
  ASSERT_STR_EQ("2024-04-01T00:00:00Z", F(T("quarter", ts)));
  ASSERT_STR_EQ("2024-01-01T00:00:00Z", F(T("years", ts)));
  /* before the epoch, truncation still goes down */
  ASSERT_STR_EQ("1969-12-31T23:59:59Z", F(T("second", -1)));
  ASSERT_STR_EQ("1969-12-29T00:00:00Z", F(T("week", -1))); /* Monday 1969-12-29 */
  ASSERT_STR_EQ("1969-12-29T00:00:00Z", F(T("week", P("1970-01-04T12:00:00Z")))); /* a Sunday */
  ASSERT_STR_EQ("1970-01-05T00:00:00Z", F(T("week", P("1970-01-05T00:00:00Z"))));
  int64_t out;
  ASSERT_EQ(EDDY_EINVAL, eddy_timestamp_trunc(ts, "fortnight", 9, &out));
  ASSERT_EQ(EDDY_EINVAL, eddy_timestamp_trunc(ts, "dow", 3, &out));
  ASSERT_TRUE(eddy_timestamp_unit_valid("Hour", 4, true));
  ASSERT_FALSE(eddy_timestamp_unit_valid("epoch", 5, true));
  ASSERT_TRUE(eddy_timestamp_unit_valid("epoch", 5, false));
}

static int64_t PT(const char *unit, const char *ts) {
  int64_t out;
  int rc = eddy_timestamp_part(P(ts), unit, strlen(unit), &out);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "part %s: %d", unit, rc);
  return out;
}

EDDY_TEST(time_parts) {
  const char *ts = "2024-05-17T13:45:27.654321Z";
  ASSERT_EQ(2024, PT("year", ts));
  ASSERT_EQ(2, PT("quarter", ts));
  ASSERT_EQ(5, PT("month", ts));
  ASSERT_EQ(17, PT("day", ts));
  ASSERT_EQ(13, PT("hour", ts));
  ASSERT_EQ(45, PT("minute", ts));
  ASSERT_EQ(27, PT("second", ts));
  ASSERT_EQ(654, PT("millisecond", ts));
  ASSERT_EQ(654321, PT("microsecond", ts));
  ASSERT_EQ(1715953527, PT("epoch", ts));
  /* ISO weeks and weekdays, from Python's date.isocalendar() */
  ASSERT_EQ(1, PT("week", "2024-01-01"));
  ASSERT_EQ(53, PT("week", "2021-01-03"));
  ASSERT_EQ(7, PT("isodow", "2021-01-03"));
  ASSERT_EQ(0, PT("dow", "2021-01-03")); /* Sunday */
  ASSERT_EQ(53, PT("week", "2020-12-31"));
  ASSERT_EQ(366, PT("doy", "2020-12-31"));
  ASSERT_EQ(47, PT("week", "2026-11-22"));
  ASSERT_EQ(326, PT("doy", "2026-11-22"));
  ASSERT_EQ(1, PT("week", "1969-12-29"));
  ASSERT_EQ(363, PT("doy", "1969-12-29"));
  ASSERT_EQ(1, PT("isodow", "1969-12-29"));
  ASSERT_EQ(53, PT("week", "2027-01-01"));
  ASSERT_EQ(5, PT("isodow", "2027-01-01"));
  ASSERT_EQ(-1, PT("epoch", "1969-12-31T23:59:59.5Z"));
  ASSERT_EQ(59, PT("second", "1969-12-31T23:59:59.5Z"));
}

static const char *DF(int64_t us) {
  static char buf[64];
  int n = eddy_duration_format(us, buf, sizeof(buf));
  return n < 0 ? "(error)" : buf;
}

EDDY_TEST(time_durations) {
  int64_t us;
  ASSERT_OK(eddy_duration_parse("1h30m", 5, &us));
  ASSERT_EQ(90 * EDDY_MIN, us);
  ASSERT_OK(eddy_duration_parse("250ms", 5, &us));
  ASSERT_EQ(250 * EDDY_MSEC, us);
  ASSERT_OK(eddy_duration_parse("-5s", 3, &us));
  ASSERT_EQ(-5 * EDDY_SEC, us);
  ASSERT_OK(eddy_duration_parse("2d", 2, &us));
  ASSERT_EQ(2 * EDDY_DAY, us);
  ASSERT_OK(eddy_duration_parse("7us", 3, &us));
  ASSERT_EQ(7, us);
  ASSERT_EQ(EDDY_EINVAL, eddy_duration_parse("", 0, &us));
  ASSERT_EQ(EDDY_EINVAL, eddy_duration_parse("5", 1, &us));
  ASSERT_EQ(EDDY_EINVAL, eddy_duration_parse("m", 1, &us));
  ASSERT_EQ(EDDY_EINVAL, eddy_duration_parse("5w", 2, &us));
  ASSERT_EQ(EDDY_EINVAL, eddy_duration_parse("5 m", 3, &us));
  ASSERT_EQ(EDDY_EOVERFLOW, eddy_duration_parse("9999999999999999d", 17, &us));
  ASSERT_STR_EQ("0s", DF(0));
  ASSERT_STR_EQ("1h30m", DF(90 * EDDY_MIN));
  ASSERT_STR_EQ("-5s", DF(-5 * EDDY_SEC));
  ASSERT_STR_EQ("1d1h1m1s1ms1us", DF(EDDY_DAY + EDDY_HOUR + EDDY_MIN + EDDY_SEC + EDDY_MSEC + 1));
  const char *s = DF(INT64_MAX);
  ASSERT_OK(eddy_duration_parse(s, strlen(s), &us));
  ASSERT_EQ(INT64_MAX, us);
}
