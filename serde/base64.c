/*
 * Standard base64 (RFC 4648 section 4: A-Z a-z 0-9 + /, '=' padding).
 * Decoding requires the padding (so that text which merely looks like
 * base64, such as "abc", is rejected) and ignores the unused low bits of
 * the last character, as Java's decoder does; other characters, whitespace
 * and misplaced '=' are errors.
 */
#include "serde/decoder_int.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63, or 64 for a byte outside the alphabet. */
static inline unsigned sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : 64;
}

int eddy__base64_decode_to(const char *s, size_t len, uint8_t *dst, size_t *n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t out = 0;
  if (len % 4 != 0)
    return EDDY_EDECODE;
  if (len > 0 && p[len - 1] == '=')
    len -= p[len - 2] == '=' ? 2 : 1;
  size_t full = len / 4 * 4;
  for (size_t i = 0; i < full; i += 4) {
    unsigned a = sextet(p[i]), b = sextet(p[i + 1]), c = sextet(p[i + 2]), d = sextet(p[i + 3]);
    if ((a | b | c | d) & 64)
      return EDDY_EDECODE;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    dst[out++] = (uint8_t)(v >> 16);
    dst[out++] = (uint8_t)(v >> 8);
    dst[out++] = (uint8_t)v;
  }
  size_t rest = len - full;
  if (rest > 0) {
    unsigned a = sextet(p[full]), b = sextet(p[full + 1]);
    unsigned c = rest == 3 ? sextet(p[full + 2]) : 0;
    if ((a | b | c) & 64)
      return EDDY_EDECODE;
    uint32_t v = a << 18 | b << 12 | c << 6;
    dst[out++] = (uint8_t)(v >> 16);
    if (rest == 3)
      dst[out++] = (uint8_t)(v >> 8);
  }
  *n = out;
  return 0;
}

int eddy_base64_decode(const char *s, size_t len, eddy_buf_t *out) {
  size_t n;
  int rc = eddy_buf_reserve(out, len / 4 * 3 + 3);
  if (rc < 0)
    return rc;
  if ((rc = eddy__base64_decode_to(s, len, (uint8_t *)out->p + out->len, &n)) < 0)
    return rc;
  out->len += n;
  return 0;
}

int eddy_base64_encode(const uint8_t *p, size_t len, eddy_buf_t *out) {
  int rc = eddy_buf_reserve(out, (len + 2) / 3 * 4);
  if (rc < 0)
    return rc;
  char *dst = out->p + out->len;
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    *dst++ = alphabet[v >> 18];
    *dst++ = alphabet[v >> 12 & 63];
    *dst++ = alphabet[v >> 6 & 63];
    *dst++ = alphabet[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
    *dst++ = alphabet[v >> 18];
    *dst++ = alphabet[v >> 12 & 63];
    *dst++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
    *dst++ = '=';
  }
  out->len = (size_t)(dst - out->p);
  return 0;
}
