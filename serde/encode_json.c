/*
 * JSON and Kafka-key encoders (see serde.h for the value rules).
 *
 * Output is always valid JSON in UTF-8: strings are escaped ('"', '\\',
 * control characters as \n \t ... or \u00XX), valid non-ASCII UTF-8 is kept
 * as is, and any invalid byte sequence in a string becomes U+FFFD. Doubles
 * are written in the shortest form that reads back to the same value;
 * non-finite doubles, which JSON cannot express, are written as the strings
 * "NaN", "Infinity" and "-Infinity" (as Jackson does; the decoder reads them
 * back).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/decoder_int.h"

/* A buffer with a sticky error: the first failure is kept, later writes are no-ops. */
typedef struct {
  eddy_buf_t *b;
  int rc;
} writer_t;

static void put(writer_t *w, const void *p, size_t n) {
  if (w->rc == 0)
    w->rc = eddy_buf_append(w->b, p, n);
}

static void putc_(writer_t *w, char c) { put(w, &c, 1); }
static void puts_(writer_t *w, const char *s) { put(w, s, strlen(s)); }

/* ---- strings ----------------------------------------------------------- */

static void put_escape(writer_t *w, unsigned char c) {
  char esc[8];
  switch (c) {
  case '"': puts_(w, "\\\""); return;
  case '\\': puts_(w, "\\\\"); return;
  case '\b': puts_(w, "\\b"); return;
  case '\f': puts_(w, "\\f"); return;
  case '\n': puts_(w, "\\n"); return;
  case '\r': puts_(w, "\\r"); return;
  case '\t': puts_(w, "\\t"); return;
  default:
    snprintf(esc, sizeof(esc), "\\u%04x", c);
    puts_(w, esc);
  }
}

static void put_string(writer_t *w, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  if (w->rc == 0)
    w->rc = eddy_buf_reserve(w->b, len + 2);
  putc_(w, '"');
  while (p < end) {
    const unsigned char *run = p;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
      p++;
    put(w, run, (size_t)(p - run));
    if (p >= end)
      break;
    if (*p < 0x80) {
      put_escape(w, *p++);
      continue;
    }
    size_t n = eddy__utf8_seq(p, end);
    if (n == 0) {
      puts_(w, "\\ufffd");
      p++;
    } else {
      put(w, p, n);
      p += n;
    }
  }
  putc_(w, '"');
}

/* ---- scalars ----------------------------------------------------------- */

/* The shortest %g form that reads back as the same double. */
static void format_double(double d, char *buf, size_t size) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      return;
  }
}

static void put_double(writer_t *w, double d) {
  char buf[40];
  if (isnan(d)) {
    puts_(w, "\"NaN\"");
  } else if (isinf(d)) {
    puts_(w, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    format_double(d, buf, sizeof(buf));
    puts_(w, buf);
  }
}

static void put_int(writer_t *w, int64_t i) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%" PRId64, i);
  puts_(w, buf);
}

/* Formatting only fails on values no decoder or operator produces (a scale
 * above 38); the output stays valid JSON even then. */
static void put_decimal(writer_t *w, const eddy_value_t *v) {
  char buf[48];
  int n = eddy_decimal_format(v->u.dec, v->scale, buf, sizeof(buf));
  if (n > 0)
    put(w, buf, (size_t)n);
  else
    puts_(w, "null");
}

static void put_timestamp_text(writer_t *w, int64_t us, bool quoted) {
  char buf[48];
  int n = eddy_timestamp_format(us, buf, sizeof(buf));
  if (n <= 0) {
    puts_(w, quoted ? "null" : "");
    return;
  }
  if (quoted)
    putc_(w, '"');
  put(w, buf, (size_t)n);
  if (quoted)
    putc_(w, '"');
}

static void put_base64(writer_t *w, const uint8_t *p, size_t len) {
  putc_(w, '"');
  if (w->rc == 0)
    w->rc = eddy_base64_encode(p, len, w->b);
  putc_(w, '"');
}

/* ---- values ------------------------------------------------------------ */

static void put_value(writer_t *w, const eddy_value_t *v, const eddy_type_t *t);

static void put_array(writer_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  const eddy_type_t *elem = t && t->kind == EDDY_T_ARRAY ? t->elem : NULL;
  putc_(w, '[');
  for (uint32_t i = 0; i < v->len; i++) {
    if (i)
      putc_(w, ',');
    put_value(w, &v->u.items[i], elem);
  }
  putc_(w, ']');
}

/* With its type a struct is an object; without, its values form an array. */
static void put_struct(writer_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  const eddy_fields_t *f = t && t->kind == EDDY_T_STRUCT ? t->fields : NULL;
  if (f == NULL || f->cnt != v->len) {
    put_array(w, v, NULL);
    return;
  }
  putc_(w, '{');
  for (uint32_t i = 0; i < v->len; i++) {
    if (i)
      putc_(w, ',');
    put_string(w, f->items[i].name, strlen(f->items[i].name));
    putc_(w, ':');
    put_value(w, &v->u.items[i], &f->items[i].type);
  }
  putc_(w, '}');
}

static void put_value(writer_t *w, const eddy_value_t *v, const eddy_type_t *t) {
  switch (v->kind) {
  case EDDY_T_BOOL: puts_(w, v->u.b ? "true" : "false"); break;
  case EDDY_T_INT: put_int(w, v->u.i); break;
  case EDDY_T_DECIMAL: put_decimal(w, v); break;
  case EDDY_T_DOUBLE: put_double(w, v->u.d); break;
  case EDDY_T_STRING: put_string(w, v->u.s, v->len); break;
  case EDDY_T_BYTES: put_base64(w, v->u.bytes, v->len); break;
  case EDDY_T_TIMESTAMP: put_timestamp_text(w, v->u.i, true); break;
  case EDDY_T_DURATION: put_int(w, v->u.i / EDDY_MSEC); break;
  case EDDY_T_ARRAY: put_array(w, v, t); break;
  case EDDY_T_STRUCT: put_struct(w, v, t); break;
  default: puts_(w, "null"); break;
  }
}

int eddy_encode_json_value(const eddy_value_t *v, eddy_buf_t *out) {
  writer_t w = {out, 0};
  put_value(&w, v, NULL);
  return w.rc;
}

int eddy_encode_json_string(const char *s, size_t len, eddy_buf_t *out) {
  writer_t w = {out, 0};
  put_string(&w, s, len);
  return w.rc;
}

int eddy_encode_json_typed(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out) {
  writer_t w = {out, 0};
  put_value(&w, v, type);
  return w.rc;
}

/* ---- rows: dotted names nest ------------------------------------------- */

#define MAX_NEST 32

typedef struct {
  const char *p;
  size_t len;
} part_t;

/* Split at dots into at most MAX_NEST + 1 parts (the rest stays in the last). */
static size_t split(const char *name, part_t *parts) {
  size_t n = 0;
  const char *s = name;
  for (;;) {
    const char *dot = n < MAX_NEST ? strchr(s, '.') : NULL;
    parts[n].p = s;
    parts[n].len = dot ? (size_t)(dot - s) : strlen(s);
    n++;
    if (dot == NULL)
      return n;
    s = dot + 1;
  }
}

static void put_key(writer_t *w, bool *first, const part_t *k) {
  if (!*first)
    putc_(w, ',');
  *first = false;
  put_string(w, k->p, k->len);
  putc_(w, ':');
}

int eddy_encode_json(const eddy_row_t *row, eddy_buf_t *out) {
  writer_t w = {out, 0};
  part_t open[MAX_NEST], parts[MAX_NEST + 1];
  bool first[MAX_NEST + 1] = {true};
  size_t depth = 0;
  putc_(&w, '{');
  for (uint32_t i = 0; row->layout && i < row->layout->cnt; i++) {
    const eddy_field_t *f = &row->layout->items[i];
    size_t n = split(f->name, parts), common = 0;
    while (common < depth && common + 1 < n && open[common].len == parts[common].len &&
           memcmp(open[common].p, parts[common].p, parts[common].len) == 0)
      common++;
    for (; depth > common; depth--)
      putc_(&w, '}');
    for (; depth + 1 < n; depth++) {
      put_key(&w, &first[depth], &parts[depth]);
      putc_(&w, '{');
      open[depth] = parts[depth];
      first[depth + 1] = true;
    }
    put_key(&w, &first[depth], &parts[n - 1]);
    put_value(&w, &row->vals[i], &f->type);
  }
  for (; depth > 0; depth--)
    putc_(&w, '}');
  putc_(&w, '}');
  return w.rc;
}

/* ---- Kafka keys -------------------------------------------------------- */

int eddy_encode_key(const eddy_value_t *v, eddy_buf_t *out) {
  writer_t w = {out, 0};
  char buf[40];
  out->len = 0;
  switch (v->kind) {
  case EDDY_T_NULL: return EDDY_ENOENT;
  case EDDY_T_STRING: put(&w, v->u.s, v->len); break;
  case EDDY_T_BYTES: put(&w, v->u.bytes, v->len); break;
  case EDDY_T_DOUBLE:
    format_double(v->u.d, buf, sizeof(buf));
    puts_(&w, buf);
    break;
  case EDDY_T_TIMESTAMP: put_timestamp_text(&w, v->u.i, false); break;
  default: put_value(&w, v, NULL); break; /* ints, decimals, bools, durations, JSON */
  }
  return w.rc;
}
