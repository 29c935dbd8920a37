/* The validating JSON scanner (see json.h). */
#include <string.h>

#include "serde/json.h"

/* Byte classes inside a string. */
enum { C_PLAIN = 0, C_QUOTE, C_ESCAPE, C_CONTROL, C_HIGH };

static inline int string_class(unsigned char c) {
  if (c >= 0x80)
    return C_HIGH;
  if (c < 0x20)
    return C_CONTROL;
  return c == '"' ? C_QUOTE : c == '\\' ? C_ESCAPE : C_PLAIN;
}

/* ---- errors ------------------------------------------------------------ */

int eddy__json_fail(eddy__json_t *j, const char *what) {
  return eddy_error_set(j->err, EDDY_EDECODE, "invalid JSON at byte %zu: %s",
                        (size_t)(j->p - j->base), what);
}

int eddy__json_unexpected(eddy__json_t *j, const char *at, const char *expected) {
  size_t off = (size_t)(at - j->base);
  if (at >= j->end)
    return eddy_error_set(j->err, EDDY_EDECODE,
                          "invalid JSON at byte %zu: unexpected end of input, expected %s",
                          off, expected);
  unsigned char c = (unsigned char)*at;
  if (c > 0x20 && c < 0x7f)
    return eddy_error_set(j->err, EDDY_EDECODE,
                          "invalid JSON at byte %zu: unexpected '%c', expected %s", off, c,
                          expected);
  return eddy_error_set(j->err, EDDY_EDECODE,
                        "invalid JSON at byte %zu: unexpected byte 0x%02x, expected %s", off,
                        c, expected);
}

static int fail_at(eddy__json_t *j, const char *at, const char *what) {
  j->p = at;
  return eddy__json_fail(j, what);
}

/* ---- UTF-8 ------------------------------------------------------------- */

size_t eddy__utf8_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t avail = (size_t)(end - p);
  if (c < 0xc2)
    return 0; /* continuation byte or overlong 2-byte lead */
  if (c < 0xe0)
    return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
      return 0;
    if (c == 0xe0 && p[1] < 0xa0)
      return 0; /* overlong */
    if (c == 0xed && p[1] >= 0xa0)
      return 0; /* UTF-16 surrogate */
    return 3;
  }
  if (c >= 0xf5 || avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
      (p[3] & 0xc0) != 0x80)
    return 0;
  if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
    return 0; /* overlong, or above U+10FFFF */
  return 4;
}

bool eddy__utf8_valid(const char *s, size_t len, size_t *bad) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    while (end - p >= 8) {
      uint64_t x;
      memcpy(&x, p, 8);
      if (x & 0x8080808080808080ULL)
        break;
      p += 8;
    }
    if (p >= end)
      break;
    if (*p < 0x80) {
      p++;
      continue;
    }
    size_t n = eddy__utf8_seq(p, end);
    if (n == 0) {
      *bad = (size_t)(p - (const unsigned char *)s);
      return false;
    }
    p += n;
  }
  return true;
}

/* ---- strings ----------------------------------------------------------- */

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = (unsigned char)p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      d = (c | 0x20) - 'a' + 10;
    else
      return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

/* Validate the escape at \p p (a backslash). @returns its end or NULL. */
static const char *check_escape(eddy__json_t *j, const char *p) {
  const char *end = j->end;
  if (end - p < 2)
    return fail_at(j, p, "unterminated string"), NULL;
  switch (p[1]) {
  case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
    return p + 2;
  case 'u':
    break;
  default:
    return fail_at(j, p, "invalid escape in string"), NULL;
  }
  unsigned u, lo;
  if (end - p < 6 || hex4(p + 2, &u) < 0)
    return fail_at(j, p, "invalid \\u escape in string"), NULL;
  if (u >= 0xdc00 && u <= 0xdfff)
    return fail_at(j, p, "unpaired UTF-16 surrogate in string"), NULL;
  if (u < 0xd800 || u > 0xdbff)
    return p + 6;
  if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) < 0 ||
      lo < 0xdc00 || lo > 0xdfff)
    return fail_at(j, p, "unpaired UTF-16 surrogate in string"), NULL;
  return p + 12;
}

/* Any byte of \p x that is '"', '\\', < 0x20 or >= 0x80 (exact as "any"). */
static inline uint64_t special8(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ULL;
  uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
  uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b;
  uint64_t ctl = (x - ones * 0x20) & ~x;
  return (zq | zb | ctl | x) & 0x8080808080808080ULL;
}

/*
 * The offset of the first special byte flagged by special8(). Each test in
 * special8() can only flag false positives above a true one, so the lowest
 * flag is exact. With an unknown byte order it returns 0 and the caller
 * scans bytewise from there.
 */
static inline unsigned first_flag(uint64_t m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t lowest = m & (~m + 1); /* bit 8k+7 of the first special byte k */
  return (unsigned)(((lowest >> 7) * 0x0001020304050607ULL) >> 56);
#else
  (void)m;
  return 0;
#endif
}

static int string_done(eddy__json_t *j, eddy__jstr_t *out, const char *start, const char *quote,
                       bool escaped) {
  if ((size_t)(quote - start) > UINT32_MAX)
    return fail_at(j, start - 1, "string longer than 4 GB");
  out->p = start;
  out->len = (uint32_t)(quote - start);
  out->escaped = escaped;
  out->integral = false;
  j->p = quote + 1;
  return 0;
}

/* The general loop: escapes, non-ASCII, errors and the last bytes. */
static int string_slow(eddy__json_t *j, eddy__jstr_t *out, const char *start, const char *p) {
  const char *end = j->end;
  bool escaped = false;
  for (;;) {
    while (end - p >= 8) {
      uint64_t x, m;
      memcpy(&x, p, 8);
      if ((m = special8(x)) != 0) {
        p += first_flag(m);
        break;
      }
      p += 8;
    }
    if (p >= end)
      return fail_at(j, start - 1, "unterminated string");
    switch (string_class((unsigned char)*p)) {
    case C_PLAIN:
      p++;
      continue;
    case C_QUOTE:
      return string_done(j, out, start, p, escaped);
    case C_ESCAPE:
      escaped = true;
      if ((p = check_escape(j, p)) == NULL)
        return EDDY_EDECODE;
      continue;
    case C_CONTROL:
      return fail_at(j, p, "control character in string");
    default: {
      size_t n = eddy__utf8_seq((const unsigned char *)p, (const unsigned char *)end);
      if (n == 0)
        return eddy_error_set(j->err, EDDY_EDECODE, "not valid UTF-8 at byte %zu",
                              (size_t)(p - j->base));
      p += n;
    }
    }
  }
}

/* The common case, kept small: plain ASCII up to the closing quote. */
int eddy__json_string(eddy__json_t *j, eddy__jstr_t *out) {
  const char *start = j->p + 1, *p = start, *end = j->end;
  while (end - p >= 8) {
    uint64_t x, m;
    memcpy(&x, p, 8);
    if ((m = special8(x)) != 0) {
      p += first_flag(m);
      if (*p != '"')
        break;
      return string_done(j, out, start, p, false);
    }
    p += 8;
  }
  return string_slow(j, out, start, p);
}

/* ---- numbers and literals ---------------------------------------------- */

static const char *digits(const char *p, const char *end) {
  while (p < end && (unsigned)(*p - '0') < 10)
    p++;
  return p;
}

int eddy__json_number(eddy__json_t *j, eddy__jstr_t *out) {
  const char *start = j->p, *p = start, *end = j->end, *q;
  bool integral = true;
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if (p < end && *p >= '1' && *p <= '9')
    p = digits(p + 1, end);
  else
    return eddy__json_unexpected(j, p, "a digit");
  if (p < end && *p == '.') {
    integral = false;
    if ((q = digits(p + 1, end)) == p + 1)
      return eddy__json_unexpected(j, q, "a digit after '.'");
    p = q;
  }
  if (p < end && (*p | 0x20) == 'e') {
    integral = false;
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    if ((q = digits(p, end)) == p)
      return eddy__json_unexpected(j, p, "a digit in the exponent");
    p = q;
  }
  if ((size_t)(p - start) > UINT32_MAX)
    return eddy__json_fail(j, "number longer than 4 GB");
  out->p = start;
  out->len = (uint32_t)(p - start);
  out->escaped = false;
  out->integral = integral;
  j->p = p;
  return 0;
}

int eddy__json_literal(eddy__json_t *j, const char *lit, size_t len) {
  if ((size_t)(j->end - j->p) < len || memcmp(j->p, lit, len) != 0)
    return eddy__json_fail(j, "invalid literal (expected true, false or null)");
  j->p += len;
  return 0;
}

int eddy__json_finish(eddy__json_t *j) {
  if (eddy__json_peek(j) >= 0)
    return eddy__json_fail(j, "unexpected data after the document");
  return 0;
}

/* ---- containers -------------------------------------------------------- */

static int open_container(eddy__json_t *j) {
  if (j->depth >= EDDY_JSON_MAX_DEPTH)
    return eddy_error_set(j->err, EDDY_EDECODE,
                          "invalid JSON at byte %zu: nested too deeply (limit is %d)",
                          (size_t)(j->p - j->base), EDDY_JSON_MAX_DEPTH);
  j->depth++;
  j->p++;
  return 0;
}

int eddy__json_obj_open(eddy__json_t *j) {
  if (eddy__json_peek(j) != '{')
    return eddy__json_unexpected(j, j->p, "'{'");
  return open_container(j);
}

int eddy__json_arr_open(eddy__json_t *j) {
  if (eddy__json_peek(j) != '[')
    return eddy__json_unexpected(j, j->p, "'['");
  return open_container(j);
}

int eddy__json_obj_key(eddy__json_t *j, bool *first, eddy__jstr_t *key) {
  int c = eddy__json_peek(j);
  if (c == '}') {
    j->p++;
    j->depth--;
    return 0;
  }
  if (!*first) {
    if (c != ',')
      return eddy__json_unexpected(j, j->p, "',' or '}'");
    j->p++;
    c = eddy__json_peek(j);
  }
  *first = false;
  if (c != '"')
    return eddy__json_unexpected(j, j->p, "a string key");
  int rc = eddy__json_string(j, key);
  if (rc < 0)
    return rc;
  if (eddy__json_peek(j) != ':')
    return eddy__json_unexpected(j, j->p, "':'");
  j->p++;
  return 1;
}

int eddy__json_arr_next(eddy__json_t *j, bool *first) {
  int c = eddy__json_peek(j);
  if (c == ']') {
    j->p++;
    j->depth--;
    return 0;
  }
  if (!*first) {
    if (c != ',')
      return eddy__json_unexpected(j, j->p, "',' or ']'");
    j->p++;
  }
  *first = false;
  return 1;
}
