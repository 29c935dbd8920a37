/*
 * Types and values: names, formatting, the total order, equality and the
 * hash that agrees with it.
 */
#include "eddy/value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[EDDY_T__COUNT] = {
    [EDDY_T_NULL] = "null",         [EDDY_T_BOOL] = "bool",
    [EDDY_T_INT] = "int",           [EDDY_T_DECIMAL] = "decimal",
    [EDDY_T_DOUBLE] = "double",     [EDDY_T_STRING] = "string",
    [EDDY_T_BYTES] = "bytes",       [EDDY_T_TIMESTAMP] = "timestamp",
    [EDDY_T_DURATION] = "duration", [EDDY_T_ARRAY] = "array",
    [EDDY_T_STRUCT] = "struct",     [EDDY_T_ANY] = "any",
};

const char *eddy_kind_name(eddy_kind_t kind) {
  return (unsigned)kind < EDDY_T__COUNT ? kind_names[kind] : "?";
}

/* Append to buf at *o, never past size (output is cut, always terminated). */
static void put(char *buf, size_t size, size_t *o, const char *s) {
  size_t n = strlen(s);
  if (*o + 1 >= size)
    return;
  if (n > size - *o - 1)
    n = size - *o - 1;
  memcpy(buf + *o, s, n);
  *o += n;
  buf[*o] = '\0';
}

static void type_format_at(const eddy_type_t *t, char *buf, size_t size, size_t *o, int depth) {
  char tmp[32];
  if (depth > 16) {
    put(buf, size, o, "...");
    return;
  }
  switch (t->kind) {
  case EDDY_T_DECIMAL:
    snprintf(tmp, sizeof(tmp), "decimal(%u,%u)", t->precision, t->scale);
    put(buf, size, o, tmp);
    return;
  case EDDY_T_ARRAY:
    put(buf, size, o, "array<");
    if (t->elem != NULL)
      type_format_at(t->elem, buf, size, o, depth + 1);
    else
      put(buf, size, o, "any");
    put(buf, size, o, ">");
    return;
  case EDDY_T_STRUCT:
    put(buf, size, o, "struct<");
    for (uint32_t i = 0; t->fields != NULL && i < t->fields->cnt; i++) {
      if (i > 0)
        put(buf, size, o, ", ");
      put(buf, size, o, t->fields->items[i].name);
      put(buf, size, o, " ");
      type_format_at(&t->fields->items[i].type, buf, size, o, depth + 1);
    }
    put(buf, size, o, ">");
    return;
  default:
    put(buf, size, o, eddy_kind_name((eddy_kind_t)t->kind));
  }
}

void eddy_type_format(const eddy_type_t *t, char *buf, size_t size) {
  size_t o = 0;
  if (size == 0)
    return;
  buf[0] = '\0';
  type_format_at(t, buf, size, &o, 0);
}

bool eddy_type_equal(const eddy_type_t *a, const eddy_type_t *b) {
  if (a == b)
    return true;
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case EDDY_T_DECIMAL:
    return a->precision == b->precision && a->scale == b->scale;
  case EDDY_T_ARRAY:
    if (a->elem == NULL || b->elem == NULL)
      return a->elem == b->elem;
    return eddy_type_equal(a->elem, b->elem);
  case EDDY_T_STRUCT: {
    if (a->fields == b->fields)
      return true;
    if (a->fields == NULL || b->fields == NULL || a->fields->cnt != b->fields->cnt)
      return false;
    for (uint32_t i = 0; i < a->fields->cnt; i++) {
      const eddy_field_t *fa = &a->fields->items[i], *fb = &b->fields->items[i];
      if (strcmp(fa->name, fb->name) != 0 || !eddy_type_equal(&fa->type, &fb->type))
        return false;
    }
    return true;
  }
  default:
    return true;
  }
}

int eddy_fields_find(const eddy_fields_t *f, const char *name) {
  if (f == NULL || name == NULL)
    return -1;
  for (uint32_t i = 0; i < f->cnt; i++)
    if (strcmp(f->items[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* ---- the total order ----------------------------------------------------------- */

static bool is_num(uint8_t k) { return k == EDDY_T_INT || k == EDDY_T_DECIMAL || k == EDDY_T_DOUBLE; }

/* Kinds that are not numbers sort by kind; numbers sort together at INT. */
static int kind_rank(uint8_t k) { return is_num(k) ? EDDY_T_INT : k; }

static int cmp_double(double a, double b) {
  if (isnan(a) || isnan(b))
    return isnan(a) - isnan(b); /* NaN equals NaN and sorts above every number */
  return (a > b) - (a < b);
}

static int cmp_num(const eddy_value_t *a, const eddy_value_t *b) {
  if (a->kind == EDDY_T_INT && b->kind == EDDY_T_INT)
    return (a->u.i > b->u.i) - (a->u.i < b->u.i);
  if (a->kind == EDDY_T_DOUBLE && b->kind == EDDY_T_DOUBLE)
    return cmp_double(a->u.d, b->u.d);
  if (a->kind == EDDY_T_DOUBLE)
    return -cmp_num(b, a);
  eddy_i128 ua = a->kind == EDDY_T_INT ? (eddy_i128)a->u.i : a->u.dec;
  uint8_t sa = a->kind == EDDY_T_INT ? 0 : a->scale;
  if (b->kind == EDDY_T_DOUBLE)
    return eddy_decimal_cmp_double(ua, sa, b->u.d);
  eddy_i128 ub = b->kind == EDDY_T_INT ? (eddy_i128)b->u.i : b->u.dec;
  return eddy_decimal_cmp(ua, sa, ub, b->kind == EDDY_T_INT ? 0 : b->scale);
}

static int cmp_mem(const void *a, uint32_t la, const void *b, uint32_t lb) {
  uint32_t n = la < lb ? la : lb;
  int c = n > 0 ? memcmp(a, b, n) : 0; /* an empty value may have a NULL pointer */
  if (c != 0)
    return c < 0 ? -1 : 1;
  return (la > lb) - (la < lb);
}

static int cmp_items(const eddy_value_t *a, const eddy_value_t *b) {
  uint32_t n = a->len < b->len ? a->len : b->len;
  for (uint32_t i = 0; i < n; i++) {
    int c = eddy_value_cmp(&a->u.items[i], &b->u.items[i]);
    if (c != 0)
      return c;
  }
  return (a->len > b->len) - (a->len < b->len);
}

int eddy_value_cmp(const eddy_value_t *a, const eddy_value_t *b) {
  int ra = kind_rank(a->kind), rb = kind_rank(b->kind);
  if (ra != rb)
    return ra < rb ? -1 : 1;
  switch (a->kind) {
  case EDDY_T_NULL:
    return 0;
  case EDDY_T_BOOL:
    return (int)a->u.b - (int)b->u.b;
  case EDDY_T_INT:
  case EDDY_T_DECIMAL:
  case EDDY_T_DOUBLE:
    return cmp_num(a, b);
  case EDDY_T_STRING:
    return cmp_mem(a->u.s, a->len, b->u.s, b->len);
  case EDDY_T_BYTES:
    return cmp_mem(a->u.bytes, a->len, b->u.bytes, b->len);
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION:
    return (a->u.i > b->u.i) - (a->u.i < b->u.i);
  case EDDY_T_ARRAY:
  case EDDY_T_STRUCT:
    return cmp_items(a, b);
  default:
    return 0;
  }
}

bool eddy_value_eq(const eddy_value_t *a, const eddy_value_t *b) {
  if (a->kind == b->kind) { /* fast paths for the usual grouping keys */
    if (a->kind == EDDY_T_STRING)
      return a->len == b->len && (a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
    if (a->kind == EDDY_T_INT)
      return a->u.i == b->u.i;
  }
  return eddy_value_cmp(a, b) == 0;
}

/* ---- hashing --------------------------------------------------------------------
 *
 * eddy-hash v1 (documented in docs/functions.md; it must not change, since
 * partitioning and hash() results depend on it):
 *   mix(x)   = the 64-bit finalizer x ^= x>>30; x *= 0xbf58476d1ce4e5b9;
 *              x ^= x>>27; x *= 0x94d049bb133111eb; x ^= x>>31
 *   absorb(h, w) = mix(h ^ w) + 0x9e3779b97f4a7c15
 * A value is absorbed as its tag (a per-kind constant) followed by its
 * canonical words: numbers as their canonical decimal (see below), strings
 * and bytes as little-endian 8-byte words (the last one zero-padded) and
 * then their length, timestamps/durations as their µs, arrays and structs as
 * their element count and then each element's hash.
 */

enum { TAG_NULL = 0x6e, TAG_BOOL = 0x62, TAG_NUM = 0x6e75, TAG_DBL = 0x64, TAG_STR = 0x73,
       TAG_BYTES = 0x79, TAG_TS = 0x74, TAG_DUR = 0x75, TAG_ARR = 0x61, TAG_STRUCT = 0x72 };

static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

static uint64_t absorb(uint64_t h, uint64_t w) { return mix(h ^ w) + 0x9e3779b97f4a7c15ULL; }

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, uint32_t len) {
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w = 0;
    for (int k = 7; k >= 0; k--)
      w = (w << 8) | p[i + (uint32_t)k];
    h = absorb(h, w);
  }
  if (i < len) {
    uint64_t w = 0;
    for (uint32_t k = len; k > i; k--)
      w = (w << 8) | p[k - 1];
    h = absorb(h, w);
  }
  return absorb(h, len);
}

/* Numbers equal under eddy_value_cmp hash alike: an int, a decimal and a
 * double are hashed as the same canonical decimal (trailing fraction zeros
 * removed); a double with no exact decimal of scale <= 38 by its bits. */
static uint64_t hash_decimal(uint64_t h, eddy_i128 u, uint8_t s) {
  while (s > 0 && u % 10 == 0) {
    u /= 10;
    s--;
  }
  if (s == 0 && u >= INT64_MIN && u <= INT64_MAX)
    return absorb(absorb(h, TAG_NUM), (uint64_t)(int64_t)u);
  __extension__ unsigned __int128 m = (unsigned __int128)u;
  h = absorb(absorb(h, TAG_NUM), (uint64_t)m);
  return absorb(absorb(h, (uint64_t)(m >> 64)), s);
}

static uint64_t hash_double(uint64_t h, double d) {
  eddy_i128 u;
  uint8_t s;
  if (eddy_decimal_from_double_exact(d, &u, &s))
    return hash_decimal(h, u, s);
  uint64_t bits;
  if (isnan(d))
    d = NAN;
  memcpy(&bits, &d, sizeof(bits));
  return absorb(absorb(h, TAG_DBL), bits);
}

uint64_t eddy_value_hash(const eddy_value_t *v, uint64_t seed) {
  uint64_t h = seed;
  switch (v->kind) {
  case EDDY_T_NULL: return absorb(h, TAG_NULL);
  case EDDY_T_BOOL: return absorb(absorb(h, TAG_BOOL), v->u.b);
  case EDDY_T_INT: return absorb(absorb(h, TAG_NUM), (uint64_t)v->u.i);
  case EDDY_T_DECIMAL: return hash_decimal(h, v->u.dec, v->scale);
  case EDDY_T_DOUBLE: return hash_double(h, v->u.d);
  case EDDY_T_STRING: return hash_bytes(absorb(h, TAG_STR), (const uint8_t *)v->u.s, v->len);
  case EDDY_T_BYTES: return hash_bytes(absorb(h, TAG_BYTES), v->u.bytes, v->len);
  case EDDY_T_TIMESTAMP: return absorb(absorb(h, TAG_TS), (uint64_t)v->u.i);
  case EDDY_T_DURATION: return absorb(absorb(h, TAG_DUR), (uint64_t)v->u.i);
  case EDDY_T_ARRAY:
  case EDDY_T_STRUCT:
    h = absorb(absorb(h, v->kind == EDDY_T_ARRAY ? TAG_ARR : TAG_STRUCT), v->len);
    for (uint32_t i = 0; i < v->len; i++)
      h = absorb(h, eddy_value_hash(&v->u.items[i], 0));
    return h;
  default: return absorb(h, v->kind);
  }
}
