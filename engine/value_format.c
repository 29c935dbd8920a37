/*
 * Rendering values as text (JSON-ish: a top-level string is written as is,
 * strings inside arrays and structs are quoted and escaped) and deep copies.
 */
#include "eddy/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest of %.15g/%.16g/%.17g that reads back as the same double. */
static int format_double(double d, eddy_buf_t *out) {
  if (isnan(d))
    return eddy_buf_puts(out, "NaN");
  if (isinf(d))
    return eddy_buf_puts(out, d < 0 ? "-Infinity" : "Infinity");
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof(buf), "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  return eddy_buf_puts(out, buf);
}

static int format_base64(const uint8_t *p, uint32_t len, eddy_buf_t *out) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int rc = eddy_buf_reserve(out, ((size_t)len + 2) / 3 * 4);
  for (uint32_t i = 0; rc == 0 && i < len; i += 3) {
    uint32_t n = (uint32_t)p[i] << 16;
    if (i + 1 < len)
      n |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < len)
      n |= p[i + 2];
    char q[4] = {tab[n >> 18 & 63], tab[n >> 12 & 63], i + 1 < len ? tab[n >> 6 & 63] : '=',
                 i + 2 < len ? tab[n & 63] : '='};
    rc = eddy_buf_append(out, q, 4);
  }
  return rc;
}

static int format_quoted(const char *s, uint32_t len, eddy_buf_t *out) {
  int rc = eddy_buf_putc(out, '"');
  for (uint32_t i = 0; rc == 0 && i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      rc = eddy_buf_append(out, esc, 2);
    } else if (c < 0x20) {
      rc = eddy_buf_printf(out, "\\u%04x", c);
    } else {
      rc = eddy_buf_putc(out, (char)c);
    }
  }
  return rc != 0 ? rc : eddy_buf_putc(out, '"');
}

static int format_at(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out,
                     bool nested);

static int format_items(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out) {
  bool named = v->kind == EDDY_T_STRUCT && type != NULL && type->kind == EDDY_T_STRUCT &&
               type->fields != NULL && type->fields->cnt == v->len;
  int rc = eddy_buf_putc(out, named ? '{' : '[');
  for (uint32_t i = 0; rc == 0 && i < v->len; i++) {
    const eddy_type_t *et = NULL;
    if (i > 0)
      rc = eddy_buf_putc(out, ',');
    if (named) {
      et = &type->fields->items[i].type;
      const char *name = type->fields->items[i].name;
      if (rc == 0)
        rc = format_quoted(name, (uint32_t)strlen(name), out);
      if (rc == 0)
        rc = eddy_buf_putc(out, ':');
    } else if (type != NULL && type->kind == EDDY_T_ARRAY) {
      et = type->elem;
    }
    if (rc == 0)
      rc = format_at(&v->u.items[i], et, out, true);
  }
  return rc != 0 ? rc : eddy_buf_putc(out, named ? '}' : ']');
}

static int format_at(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out,
                     bool nested) {
  char buf[64];
  int n;
  switch (v->kind) {
  case EDDY_T_NULL: return eddy_buf_puts(out, "null");
  case EDDY_T_BOOL: return eddy_buf_puts(out, v->u.b ? "true" : "false");
  case EDDY_T_INT: return eddy_buf_printf(out, "%lld", (long long)v->u.i);
  case EDDY_T_DECIMAL:
    n = eddy_decimal_format(v->u.dec, v->scale, buf, sizeof(buf));
    return n < 0 ? n : eddy_buf_append(out, buf, (size_t)n);
  case EDDY_T_DOUBLE: return format_double(v->u.d, out);
  case EDDY_T_STRING:
    if (nested)
      return format_quoted(v->u.s, v->len, out);
    return v->len > 0 ? eddy_buf_append(out, v->u.s, v->len) : 0; /* (NULL, 0) is empty */
  case EDDY_T_BYTES: return format_base64(v->u.bytes, v->len, out);
  case EDDY_T_TIMESTAMP:
  case EDDY_T_DURATION:
    n = v->kind == EDDY_T_TIMESTAMP ? eddy_timestamp_format(v->u.i, buf + 1, sizeof(buf) - 2)
                                    : eddy_duration_format(v->u.i, buf + 1, sizeof(buf) - 2);
    if (n < 0)
      return n;
    if (!nested)
      return eddy_buf_append(out, buf + 1, (size_t)n);
    buf[0] = '"';
    buf[n + 1] = '"';
    return eddy_buf_append(out, buf, (size_t)n + 2);
  case EDDY_T_ARRAY:
  case EDDY_T_STRUCT: return format_items(v, type, out);
  default: return eddy_buf_puts(out, "?");
  }
}

int eddy_value_format(const eddy_value_t *v, eddy_buf_t *out) {
  return format_at(v, NULL, out, false);
}

int eddy_value_format_typed(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out) {
  return format_at(v, type, out, false);
}

int eddy_value_copy(eddy_value_t *dst, const eddy_value_t *src, eddy_arena_t *arena) {
  eddy_value_t v = *src;
  switch (src->kind) {
  case EDDY_T_STRING:
  case EDDY_T_BYTES: {
    uint8_t *p = eddy_arena_alloc(arena, src->len ? src->len : 1);
    if (p == NULL)
      return EDDY_ENOMEM;
    if (src->len)
      memcpy(p, src->u.bytes, src->len);
    v.u.bytes = p;
    break;
  }
  case EDDY_T_ARRAY:
  case EDDY_T_STRUCT: {
    eddy_value_t *items = eddy_arena_alloc(arena, sizeof(*items) * (src->len ? src->len : 1));
    if (items == NULL)
      return EDDY_ENOMEM;
    for (uint32_t i = 0; i < src->len; i++) {
      int rc = eddy_value_copy(&items[i], &src->u.items[i], arena);
      if (rc != 0)
        return rc;
    }
    v.u.items = items;
    break;
  }
  default:
    break;
  }
  *dst = v;
  return 0;
}
