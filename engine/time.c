/*
 * Calendar arithmetic on µs since the Unix epoch, UTC, proleptic Gregorian.
 * No libc time functions: they depend on TZ and on time_t's range.
 *
 * The civil <-> day-number conversion counts 400-year eras starting on
 * March 1st, so that the leap day is the last day of its year and every era
 * has exactly 146097 days.
 */
#include "eddy/value.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t eddy_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;                                   /* years start on March 1st */
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;                   /* [0, 399] */
  int64_t mp = (m + 9) % 12;                     /* March = 0 */
  int64_t doy = (153 * mp + 2) / 5 + d - 1;      /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
  return era * 146097 + doe - 719468;            /* 719468: 0000-03-01 .. 1970-01-01 */
}

void eddy_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468;
  int64_t era = floor_div(days, 146097);
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ---- parsing --------------------------------------------------------------------- */

/* Read exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out) {
  int v = 0;
  for (int k = 0; k < n; k++, (*i)++) {
    if (*i >= len || s[*i] < '0' || s[*i] > '9')
      return false;
    v = v * 10 + (s[*i] - '0');
  }
  *out = v;
  return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c) {
  if (*i >= len || s[*i] != c)
    return false;
  (*i)++;
  return true;
}

/* "HH:MM[:SS[.fffffffff]]" into µs of the day. */
static int parse_clock(const char *s, size_t len, size_t *i, int64_t *us) {
  int hh, mi, ss = 0;
  if (!digits(s, len, i, 2, &hh) || !expect(s, len, i, ':') || !digits(s, len, i, 2, &mi))
    return EDDY_EINVAL;
  int64_t frac = 0;
  if (*i < len && s[*i] == ':') {
    (*i)++;
    if (!digits(s, len, i, 2, &ss))
      return EDDY_EINVAL;
    if (*i < len && (s[*i] == '.' || s[*i] == ',')) {
      (*i)++;
      int n = 0;
      for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++, n++)
        if (n < 6)
          frac = frac * 10 + (s[*i] - '0');
      if (n == 0 || n > 9)
        return EDDY_EINVAL;
      for (; n < 6; n++)
        frac *= 10; /* digits past µs are dropped (truncated) */
    }
  }
  if (hh > 23 || mi > 59 || ss > 59)
    return EDDY_EINVAL;
  *us = ((int64_t)hh * 3600 + mi * 60 + ss) * EDDY_SEC + frac;
  return 0;
}

/* "Z", "+hh:mm", "+hhmm", "+hh" or nothing (UTC) into seconds east of UTC. */
static int parse_offset(const char *s, size_t len, size_t *i, int64_t *off) {
  *off = 0;
  if (*i >= len)
    return 0;
  if (s[*i] == 'Z' || s[*i] == 'z') {
    (*i)++;
    return 0;
  }
  if (s[*i] != '+' && s[*i] != '-')
    return EDDY_EINVAL;
  int sign = s[(*i)++] == '-' ? -1 : 1, hh, mm = 0;
  if (!digits(s, len, i, 2, &hh))
    return EDDY_EINVAL;
  if (*i < len && s[*i] == ':')
    (*i)++;
  if (*i < len && !digits(s, len, i, 2, &mm))
    return EDDY_EINVAL;
  if (hh > 23 || mm > 59)
    return EDDY_EINVAL;
  *off = sign * ((int64_t)hh * 3600 + mm * 60);
  return 0;
}

int eddy_timestamp_parse(const char *s, size_t len, int64_t *us) {
  size_t i = 0;
  int y, m, d;
  if (!digits(s, len, &i, 4, &y) || !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &m) ||
      !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &d))
    return EDDY_EINVAL;
  if (m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
    return EDDY_EINVAL;
  int64_t clock = 0, off = 0;
  if (i < len) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
      return EDDY_EINVAL;
    i++;
    if (parse_clock(s, len, &i, &clock) != 0 || parse_offset(s, len, &i, &off) != 0)
      return EDDY_EINVAL;
  }
  if (i != len)
    return EDDY_EINVAL;
  *us = eddy_days_from_civil(y, (unsigned)m, (unsigned)d) * EDDY_DAY + clock - off * EDDY_SEC;
  return 0;
}

/* ---- formatting ------------------------------------------------------------------ */

int eddy_timestamp_format(int64_t us, char *buf, size_t size) {
  int64_t days = floor_div(us, EDDY_DAY);
  int64_t in_day = us - days * EDDY_DAY;
  int64_t y;
  unsigned m, d;
  eddy_civil_from_days(days, &y, &m, &d);
  int64_t secs = in_day / EDDY_SEC, frac = in_day % EDDY_SEC;
  int n = snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
                   (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
  if (n < 0 || (size_t)n >= size)
    return EDDY_ERANGE;
  int k;
  if (frac == 0)
    k = snprintf(buf + n, size - (size_t)n, "Z");
  else if (frac % 1000 == 0)
    k = snprintf(buf + n, size - (size_t)n, ".%03dZ", (int)(frac / 1000));
  else
    k = snprintf(buf + n, size - (size_t)n, ".%06dZ", (int)frac);
  if (k < 0 || (size_t)(n + k) >= size)
    return EDDY_ERANGE;
  return n + k;
}

/* ---- units ---------------------------------------------------------------------------- */

typedef enum {
  U_MICRO, U_MILLI, U_SECOND, U_MINUTE, U_HOUR, U_DAY, U_WEEK, U_MONTH, U_QUARTER, U_YEAR,
  U_DOY, U_DOW, U_ISODOW, U_EPOCH, U_NONE
} unit_t;

static const struct {
  const char *name;
  unit_t unit;
  bool trunc; /* valid for date_trunc */
} units[] = {
    {"microsecond", U_MICRO, true}, {"microseconds", U_MICRO, true},
    {"millisecond", U_MILLI, true}, {"milliseconds", U_MILLI, true},
    {"second", U_SECOND, true},     {"seconds", U_SECOND, true},
    {"minute", U_MINUTE, true},     {"minutes", U_MINUTE, true},
    {"hour", U_HOUR, true},         {"hours", U_HOUR, true},
    {"day", U_DAY, true},           {"days", U_DAY, true},
    {"week", U_WEEK, true},         {"weeks", U_WEEK, true},
    {"month", U_MONTH, true},       {"months", U_MONTH, true},
    {"quarter", U_QUARTER, true},   {"quarters", U_QUARTER, true},
    {"year", U_YEAR, true},         {"years", U_YEAR, true},
    {"doy", U_DOY, false},          {"dow", U_DOW, false},
    {"isodow", U_ISODOW, false},    {"epoch", U_EPOCH, false},
};

static unit_t unit_of(const char *s, size_t len, bool for_trunc) {
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (strlen(units[i].name) == len && strncasecmp(units[i].name, s, len) == 0)
      return (!for_trunc || units[i].trunc) ? units[i].unit : U_NONE;
  return U_NONE;
}

bool eddy_timestamp_unit_valid(const char *unit, size_t unit_len, bool for_trunc) {
  return unit_of(unit, unit_len, for_trunc) != U_NONE;
}

static int64_t trunc_to(int64_t us, int64_t step) { return floor_div(us, step) * step; }

int eddy_timestamp_trunc(int64_t us, const char *unit, size_t unit_len, int64_t *out) {
  int64_t days = floor_div(us, EDDY_DAY), y;
  unsigned m, d;
  switch (unit_of(unit, unit_len, true)) {
  case U_MICRO: *out = us; return 0;
  case U_MILLI: *out = trunc_to(us, EDDY_MSEC); return 0;
  case U_SECOND: *out = trunc_to(us, EDDY_SEC); return 0;
  case U_MINUTE: *out = trunc_to(us, EDDY_MIN); return 0;
  case U_HOUR: *out = trunc_to(us, EDDY_HOUR); return 0;
  case U_DAY: *out = days * EDDY_DAY; return 0;
  case U_WEEK: /* 1970-01-01 was a Thursday: Mondays are days = 4 (mod 7) */
    *out = (days - (((days - 4) % 7) + 7) % 7) * EDDY_DAY;
    return 0;
  case U_MONTH:
  case U_QUARTER:
  case U_YEAR: {
    unit_t u = unit_of(unit, unit_len, true);
    eddy_civil_from_days(days, &y, &m, &d);
    m = u == U_YEAR ? 1 : u == U_QUARTER ? (m - 1) / 3 * 3 + 1 : m;
    *out = eddy_days_from_civil(y, m, 1) * EDDY_DAY;
    return 0;
  }
  default:
    return EDDY_EINVAL;
  }
}

/* ISO week number: the week with the year's first Thursday is week 1. */
static int64_t iso_week(int64_t days) {
  int64_t isodow = ((days + 3) % 7 + 7) % 7 + 1; /* 1 = Monday */
  int64_t thursday = days - isodow + 4, y;
  unsigned m, d;
  eddy_civil_from_days(thursday, &y, &m, &d);
  return (thursday - eddy_days_from_civil(y, 1, 1)) / 7 + 1;
}

int eddy_timestamp_part(int64_t us, const char *unit, size_t unit_len, int64_t *out) {
  int64_t days = floor_div(us, EDDY_DAY), in_day = us - days * EDDY_DAY, y;
  unsigned m, d;
  eddy_civil_from_days(days, &y, &m, &d);
  switch (unit_of(unit, unit_len, false)) {
  case U_MICRO: *out = in_day % EDDY_SEC; return 0;
  case U_MILLI: *out = in_day % EDDY_SEC / EDDY_MSEC; return 0;
  case U_SECOND: *out = in_day / EDDY_SEC % 60; return 0;
  case U_MINUTE: *out = in_day / EDDY_MIN % 60; return 0;
  case U_HOUR: *out = in_day / EDDY_HOUR; return 0;
  case U_DAY: *out = d; return 0;
  case U_WEEK: *out = iso_week(days); return 0;
  case U_MONTH: *out = m; return 0;
  case U_QUARTER: *out = (m - 1) / 3 + 1; return 0;
  case U_YEAR: *out = y; return 0;
  case U_DOY: *out = days - eddy_days_from_civil(y, 1, 1) + 1; return 0;
  case U_DOW: *out = ((days + 4) % 7 + 7) % 7; return 0; /* 0 = Sunday */
  case U_ISODOW: *out = ((days + 3) % 7 + 7) % 7 + 1; return 0;
  case U_EPOCH: *out = floor_div(us, EDDY_SEC); return 0;
  default: return EDDY_EINVAL;
  }
}

/* ---- durations -------------------------------------------------------------------- */

static int64_t unit_us(const char *s, size_t n) {
  static const struct { const char *u; int64_t us; } tab[] = {
      {"us", 1}, {"ms", EDDY_MSEC}, {"s", EDDY_SEC}, {"m", EDDY_MIN}, {"h", EDDY_HOUR},
      {"d", EDDY_DAY}};
  for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
    if (strlen(tab[i].u) == n && memcmp(tab[i].u, s, n) == 0)
      return tab[i].us;
  return 0;
}

int eddy_duration_parse(const char *s, size_t len, int64_t *us) {
  size_t i = 0;
  bool neg = false;
  if (i < len && (s[i] == '-' || s[i] == '+'))
    neg = s[i++] == '-';
  if (i >= len)
    return EDDY_EINVAL;
  int64_t total = 0;
  while (i < len) {
    int64_t n = 0;
    size_t start = i;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
      if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, s[i] - '0', &n))
        return EDDY_EOVERFLOW;
    size_t ustart = i;
    while (i < len && ((s[i] >= 'a' && s[i] <= 'z')))
      i++;
    int64_t f = unit_us(s + ustart, i - ustart);
    if (i == start || ustart == start || f == 0)
      return EDDY_EINVAL;
    if (__builtin_mul_overflow(n, f, &n) || __builtin_add_overflow(total, n, &total))
      return EDDY_EOVERFLOW;
  }
  *us = neg ? -total : total;
  return 0;
}

int eddy_duration_format(int64_t us, char *buf, size_t size) {
  static const struct { const char *u; int64_t us; } tab[] = {
      {"d", EDDY_DAY}, {"h", EDDY_HOUR}, {"m", EDDY_MIN}, {"s", EDDY_SEC}, {"ms", EDDY_MSEC},
      {"us", 1}};
  size_t o = 0;
  uint64_t left = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
  if (us < 0 && o + 1 < size)
    buf[o++] = '-';
  if (left == 0)
    return snprintf(buf, size, "0s") < (int)size ? 2 : EDDY_ERANGE;
  for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
    uint64_t n = left / (uint64_t)tab[i].us;
    if (n == 0)
      continue;
    left -= n * (uint64_t)tab[i].us;
    int k = snprintf(buf + o, size - o, "%llu%s", (unsigned long long)n, tab[i].u);
    if (k < 0 || o + (size_t)k >= size)
      return EDDY_ERANGE;
    o += (size_t)k;
  }
  return (int)o;
}
