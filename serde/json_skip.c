/*
 * Skipping whole JSON values, and decoding string escapes.
 *
 * The skip loop is the decoders' hot path: most of a Debezium event
 * (source block, unwanted columns, the before image) is skipped. It is a
 * small state machine without recursion; the kind of each open container
 * (object or array) is one bit of a 64-bit word, which the nesting limit
 * (64) makes sufficient.
 */
#include <string.h>

#include "serde/json.h"

enum { S_VALUE, S_KEY, S_AFTER };

/* Scan one scalar at the cursor (c is its first byte). */
static int skip_scalar(eddy__json_t *j, int c) {
  eddy__jstr_t tok;
  switch (c) {
  case '"':
    return eddy__json_string(j, &tok);
  case 't':
    return eddy__json_literal(j, "true", 4);
  case 'f':
    return eddy__json_literal(j, "false", 5);
  case 'n':
    return eddy__json_literal(j, "null", 4);
  default:
    if (c == '-' || (c >= '0' && c <= '9'))
      return eddy__json_number(j, &tok);
    return eddy__json_unexpected(j, j->p, "a value");
  }
}

static int skip_key(eddy__json_t *j) {
  eddy__jstr_t key;
  if (eddy__json_peek(j) != '"')
    return eddy__json_unexpected(j, j->p, "a string key");
  int rc = eddy__json_string(j, &key);
  if (rc < 0)
    return rc;
  if (eddy__json_peek(j) != ':')
    return eddy__json_unexpected(j, j->p, "':'");
  j->p++;
  return 0;
}

/* Open a container inside the skipped value: bit \p lvl of *kinds says object. */
static int push(eddy__json_t *j, uint64_t *kinds, uint32_t *lvl, bool object) {
  if (j->depth + *lvl >= EDDY_JSON_MAX_DEPTH)
    return eddy_error_set(j->err, EDDY_EDECODE,
                          "invalid JSON at byte %zu: nested too deeply (limit is %d)",
                          (size_t)(j->p - j->base), EDDY_JSON_MAX_DEPTH);
  if (object)
    *kinds |= (uint64_t)1 << *lvl;
  else
    *kinds &= ~((uint64_t)1 << *lvl);
  (*lvl)++;
  j->p++;
  return 0;
}

/* After a value inside container level lvl-1: ',' or the closing bracket. */
static int after_value(eddy__json_t *j, uint64_t kinds, uint32_t *lvl) {
  bool object = (kinds >> (*lvl - 1)) & 1;
  int c = eddy__json_peek(j);
  if (c == ',') {
    j->p++;
    return object ? S_KEY : S_VALUE;
  }
  if (c == (object ? '}' : ']')) {
    j->p++;
    (*lvl)--;
    return S_AFTER;
  }
  return eddy__json_unexpected(j, j->p, object ? "',' or '}'" : "',' or ']'");
}

int eddy__json_skip(eddy__json_t *j) {
  uint64_t kinds = 0;
  uint32_t lvl = 0;
  int state = S_VALUE, rc = 0, c;
  for (;;) {
    switch (state) {
    case S_VALUE:
      c = eddy__json_peek(j);
      if (c == '{' || c == '[') {
        if ((rc = push(j, &kinds, &lvl, c == '{')) < 0)
          return rc;
        c = eddy__json_peek(j);
        if (c == (kinds >> (lvl - 1) & 1 ? '}' : ']')) {
          j->p++;
          lvl--;
          state = S_AFTER;
        } else {
          state = kinds >> (lvl - 1) & 1 ? S_KEY : S_VALUE;
        }
        continue;
      }
      if ((rc = skip_scalar(j, c)) < 0)
        return rc;
      state = S_AFTER;
      continue;
    case S_KEY:
      if ((rc = skip_key(j)) < 0)
        return rc;
      state = S_VALUE;
      continue;
    default:
      if (lvl == 0)
        return 0;
      if ((state = after_value(j, kinds, &lvl)) < 0)
        return state;
    }
  }
}

/* ---- unescaping -------------------------------------------------------- */

static unsigned hexval(const char *p) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = (unsigned char)p[i];
    v = v << 4 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

static size_t put_utf8(char *dst, unsigned cp) {
  if (cp < 0x80) {
    dst[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = (char)(0xc0 | cp >> 6);
    dst[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = (char)(0xe0 | cp >> 12);
    dst[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    dst[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  dst[0] = (char)(0xf0 | cp >> 18);
  dst[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  dst[2] = (char)(0x80 | (cp >> 6 & 0x3f));
  dst[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* The output never exceeds the input: every escape is at least as long as
 * the bytes it stands for (\uXXXX is 6 bytes for at most 3; a surrogate
 * pair is 12 bytes for 4). The escapes were validated by the scan. */
size_t eddy__json_unescape_to(const eddy__jstr_t *s, char *dst) {
  const char *p = s->p, *end = s->p + s->len;
  size_t n = 0;
  while (p < end) {
    const char *bs = memchr(p, '\\', (size_t)(end - p));
    size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);
    memcpy(dst + n, p, run);
    n += run;
    if (bs == NULL)
      break;
    p = bs + 2;
    switch (bs[1]) {
    case 'b': dst[n++] = '\b'; break;
    case 'f': dst[n++] = '\f'; break;
    case 'n': dst[n++] = '\n'; break;
    case 'r': dst[n++] = '\r'; break;
    case 't': dst[n++] = '\t'; break;
    case 'u': {
      unsigned cp = hexval(bs + 2);
      p = bs + 6;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (hexval(bs + 8) - 0xdc00);
        p = bs + 12;
      }
      n += put_utf8(dst + n, cp);
      break;
    }
    default: dst[n++] = bs[1]; break; /* " \ / */
    }
  }
  return n;
}

int eddy__json_unescape(const eddy__jstr_t *s, eddy_arena_t *arena, const char **out,
                        uint32_t *out_len) {
  if (!s->escaped) {
    *out = s->p;
    *out_len = s->len;
    return 0;
  }
  char *dst = eddy_arena_alloc(arena, s->len ? s->len : 1);
  if (dst == NULL)
    return EDDY_ENOMEM;
  *out_len = (uint32_t)eddy__json_unescape_to(s, dst);
  *out = dst;
  return 0;
}
