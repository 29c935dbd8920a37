/*
 * String functions. Strings are UTF-8; positions and lengths count code
 * points (a byte that is not a UTF-8 continuation byte starts one). Case
 * mapping covers ASCII and Latin-1 letters. Results are built in ctx->arena; a function that
 * changes nothing returns its argument without copying.
 */
#include "operators/expr.h"
#include "operators/expr_int.h"

#include <string.h>

static int need_str(const char *what, const eddy_type_t *t, char *why, size_t why_size) {
  return eddy__type_is(t, EDDY_T_STRING) ? 0 : eddy__fn_type_error(why, why_size, what, t);
}

static int need_int(const char *what, const eddy_type_t *t, char *why, size_t why_size) {
  return eddy__type_is(t, EDDY_T_INT) ? 0 : eddy__fn_type_error(why, why_size, what, t);
}

static int oom(eddy_error_t **err, const char *fn) {
  return eddy_error_set(err, EDDY_ENOMEM, "%s: out of memory", fn);
}

static int str_arg(const char *fn, const eddy_value_t *v, eddy_error_t **err) {
  return v->kind == EDDY_T_STRING ? 0 : eddy__fn_kind_error(err, fn, "string", v);
}

static bool is_cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* Length of the code point at s[i] (1 for a stray byte). */
static uint32_t cp_len(const char *s, uint32_t len, uint32_t i) {
  uint32_t n = 1;
  while (i + n < len && is_cont(s[i + n]))
    n++;
  return n;
}

/* Byte offset of code point \p n (0-based) in s, or len when past the end. */
static uint32_t cp_offset(const char *s, uint32_t len, int64_t n) {
  uint32_t i = 0;
  for (; i < len && n > 0; n--)
    i += cp_len(s, len, i);
  return i;
}

/* memcmp/memcpy that accept (NULL, 0), which an empty decoded string may be. */
static bool same(const char *a, const char *b, size_t n) { return n == 0 || memcmp(a, b, n) == 0; }
static void put(char *dst, const char *src, size_t n) {
  if (n > 0)
    memcpy(dst, src, n);
}

EDDY_FUNC_CHECK(str_to_str) {
  (void)argc;
  *result = eddy_type(EDDY_T_STRING);
  return need_str("argument must be a string", &args[0], why, why_size);
}

/* The case partner of the character at s[i] when it is an ASCII letter or a
 * Latin-1 letter (U+00C0..U+00FE, two bytes C3 xx, minus × and ÷): both
 * cases have the same length, so mapping is done in place. @returns the
 * byte to write at \p at (s[i] or s[i+1]) or -1 when nothing changes. */
static int partner(const char *s, uint32_t len, uint32_t i, bool up, uint32_t *at) {
  unsigned char c = (unsigned char)s[i];
  *at = i;
  if (up ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))
    return c ^ 0x20;
  if (c != 0xC3 || i + 1 >= len)
    return -1;
  unsigned char d = (unsigned char)s[i + 1];
  *at = i + 1;
  if (up && d >= 0xA0 && d <= 0xBE && d != 0xB7)
    return d - 0x20;
  if (!up && d >= 0x80 && d <= 0x9E && d != 0x97)
    return d + 0x20;
  return -1;
}

static int map_case(const char *fn, const eddy_value_t *a, const eddy_eval_ctx_t *ctx,
                    bool up, eddy_value_t *out, eddy_error_t **err) {
  int rc = str_arg(fn, a, err);
  if (rc != 0)
    return rc;
  uint32_t i = 0, at;
  while (i < a->len && partner(a->u.s, a->len, i, up, &at) < 0)
    i++;
  if (i == a->len) { /* nothing to change: no copy */
    *out = *a;
    return 0;
  }
  char *p = eddy_arena_alloc(ctx->arena, a->len);
  if (p == NULL)
    return oom(err, fn);
  memcpy(p, a->u.s, a->len);
  for (; i < a->len; i++) {
    int c = partner(p, a->len, i, up, &at);
    if (c >= 0)
      p[at] = (char)c;
    i = at;
  }
  *out = eddy_string(p, a->len);
  return 0;
}

EDDY_FUNC_EVAL(lower) {
  (void)argc, (void)type;
  return map_case("lower", &args[0], ctx, false, out, err);
}

EDDY_FUNC_EVAL(upper) {
  (void)argc, (void)type;
  return map_case("upper", &args[0], ctx, true, out, err);
}

EDDY_FUNC_CHECK(length) {
  (void)argc;
  *result = eddy_type(EDDY_T_INT);
  uint8_t k = args[0].kind;
  if (k == EDDY_T_STRING || k == EDDY_T_BYTES || k == EDDY_T_ARRAY || k == EDDY_T_NULL ||
      k == EDDY_T_ANY)
    return 0;
  return eddy__fn_type_error(why, why_size, "argument must be a string, bytes or array",
                             &args[0]);
}

EDDY_FUNC_EVAL(length) {
  (void)argc, (void)type, (void)ctx;
  const eddy_value_t *a = &args[0];
  if (a->kind == EDDY_T_BYTES || a->kind == EDDY_T_ARRAY) {
    *out = eddy_int(a->len);
    return 0;
  }
  if (a->kind != EDDY_T_STRING)
    return eddy__fn_kind_error(err, "length", "a string, bytes or array", a);
  int64_t n = 0;
  for (uint32_t i = 0; i < a->len; i++)
    n += !is_cont(a->u.s[i]);
  *out = eddy_int(n);
  return 0;
}

/* ---- trim ----------------------------------------------------------------------- */

EDDY_FUNC_CHECK(trim) {
  *result = eddy_type(EDDY_T_STRING);
  int rc = need_str("argument must be a string", &args[0], why, why_size);
  if (rc == 0 && argc > 1)
    rc = need_str("characters must be a string", &args[1], why, why_size);
  return rc;
}

/* Whether the n bytes at p are one of the code points in set. */
static bool in_set(const char *p, uint32_t n, const eddy_value_t *set) {
  for (uint32_t i = 0; i < set->len;) {
    uint32_t m = cp_len(set->u.s, set->len, i);
    if (m == n && same(set->u.s + i, p, n))
      return true;
    i += m;
  }
  return false;
}

static int do_trim(const char *fn, const eddy_value_t *args, uint32_t argc, bool left,
                   bool right, eddy_value_t *out, eddy_error_t **err) {
  static const eddy_value_t blanks = {.kind = EDDY_T_STRING, .len = 4, .u.s = " \t\n\r"};
  const eddy_value_t *a = &args[0], *set = argc > 1 ? &args[1] : &blanks;
  int rc = str_arg(fn, a, err);
  if (rc == 0 && argc > 1)
    rc = str_arg(fn, set, err);
  if (rc != 0)
    return rc;
  uint32_t b = 0, e = a->len;
  while (left && b < e) {
    uint32_t n = cp_len(a->u.s, e, b);
    if (!in_set(a->u.s + b, n, set))
      break;
    b += n;
  }
  while (right && e > b) {
    uint32_t s = e - 1;
    while (s > b && is_cont(a->u.s[s]))
      s--;
    if (!in_set(a->u.s + s, e - s, set))
      break;
    e = s;
  }
  *out = eddy_string(a->u.s + b, e - b);
  return 0;
}

EDDY_FUNC_EVAL(trim) {
  (void)type, (void)ctx;
  return do_trim("trim", args, argc, true, true, out, err);
}

EDDY_FUNC_EVAL(ltrim) {
  (void)type, (void)ctx;
  return do_trim("ltrim", args, argc, true, false, out, err);
}

EDDY_FUNC_EVAL(rtrim) {
  (void)type, (void)ctx;
  return do_trim("rtrim", args, argc, false, true, out, err);
}

/* ---- concat / to_string ----------------------------------------------------------- */

EDDY_FUNC_CHECK(concat) {
  for (uint32_t i = 0; i < argc; i++) {
    eddy_type_t s = eddy_type(EDDY_T_STRING);
    if (!eddy_expr_castable(&args[i], &s))
      return eddy__fn_type_error(why, why_size, "argument cannot be converted to string",
                                 &args[i]);
  }
  *result = eddy_type(EDDY_T_STRING);
  return 0;
}

EDDY_FUNC_EVAL(concat) {
  (void)type;
  static const eddy_type_t str = {.kind = EDDY_T_STRING};
  eddy_value_t parts[16], *p = parts;
  if (argc > 16 && (p = eddy_arena_alloc(ctx->arena, sizeof(*p) * argc)) == NULL)
    return oom(err, "concat");
  size_t total = 0;
  uint32_t n = 0, nonempty = 0, last = 0;
  for (uint32_t i = 0; i < argc; i++) {
    if (args[i].kind == EDDY_T_NULL) /* skipped, as in PostgreSQL */
      continue;
    int rc = eddy_value_cast(&args[i], &str, ctx->arena, &p[n], err);
    if (rc != 0)
      return rc;
    total += p[n].len;
    if (p[n].len > 0)
      nonempty++, last = n;
    n++;
  }
  if (total > UINT32_MAX)
    return eddy_error_set(err, EDDY_ELIMIT, "concat: result too long (limit is 4 GiB)");
  if (nonempty <= 1) { /* nothing to join: no copy */
    *out = nonempty == 1 ? p[last] : eddy_string("", 0);
    return 0;
  }
  char *buf = eddy_arena_alloc(ctx->arena, total);
  if (buf == NULL)
    return oom(err, "concat");
  size_t o = 0;
  for (uint32_t i = 0; i < n; i++) {
    put(buf + o, p[i].u.s, p[i].len);
    o += p[i].len;
  }
  *out = eddy_string(buf, total);
  return 0;
}

EDDY_FUNC_CHECK(to_string) {
  (void)argc;
  eddy_type_t s = eddy_type(EDDY_T_STRING);
  *result = s;
  if (eddy_expr_castable(&args[0], &s))
    return 0;
  return eddy__fn_type_error(why, why_size, "argument cannot be converted to string", &args[0]);
}

EDDY_FUNC_EVAL(to_string) {
  (void)argc;
  return eddy_value_cast(&args[0], type, ctx->arena, out, err);
}

/* ---- substr / replace --------------------------------------------------------------- */

EDDY_FUNC_CHECK(substr) {
  *result = eddy_type(EDDY_T_STRING);
  int rc = need_str("argument must be a string", &args[0], why, why_size);
  if (rc == 0)
    rc = need_int("start must be int", &args[1], why, why_size);
  if (rc == 0 && argc > 2)
    rc = need_int("count must be int", &args[2], why, why_size);
  return rc;
}

/* SQL semantics: characters start .. start+count-1 (1-based), clipped to the string. */
EDDY_FUNC_EVAL(substr) {
  (void)type, (void)ctx;
  const eddy_value_t *a = &args[0];
  int rc = str_arg("substr", a, err);
  if (rc != 0)
    return rc;
  if (args[1].kind != EDDY_T_INT || (argc > 2 && args[2].kind != EDDY_T_INT))
    return eddy__fn_kind_error(err, "substr", "int positions", &args[argc > 2 ? 2 : 1]);
  int64_t start = args[1].u.i, end = INT64_MAX; /* end is exclusive, 1-based */
  if (argc > 2) {
    if (args[2].u.i < 0)
      return eddy_error_set(err, EDDY_EINVAL, "substr: negative count %lld",
                            (long long)args[2].u.i);
    if (__builtin_add_overflow(start, args[2].u.i, &end))
      end = INT64_MAX;
  }
  if (start < 1)
    start = 1;
  if (end <= start) {
    *out = eddy_string(a->u.s, 0);
    return 0;
  }
  uint32_t b = cp_offset(a->u.s, a->len, start - 1);
  uint32_t e = end == INT64_MAX ? a->len : b + cp_offset(a->u.s + b, a->len - b, end - start);
  *out = eddy_string(a->u.s + b, e - b);
  return 0;
}

EDDY_FUNC_CHECK(replace) {
  (void)argc;
  *result = eddy_type(EDDY_T_STRING);
  int rc = need_str("argument must be a string", &args[0], why, why_size);
  if (rc == 0)
    rc = need_str("pattern must be a string", &args[1], why, why_size);
  if (rc == 0)
    rc = need_str("replacement must be a string", &args[2], why, why_size);
  return rc;
}

static const char *find(const char *h, size_t hl, const char *n, size_t nl) {
  return nl == 0 || nl > hl ? NULL : memmem(h, hl, n, nl);
}

EDDY_FUNC_EVAL(replace) {
  (void)argc, (void)type;
  const eddy_value_t *s = &args[0], *f = &args[1], *t = &args[2];
  int rc = str_arg("replace", s, err);
  if (rc == 0)
    rc = str_arg("replace", f, err);
  if (rc == 0)
    rc = str_arg("replace", t, err);
  if (rc != 0)
    return rc;
  size_t cnt = 0;
  for (const char *p = s->u.s, *end = s->u.s + s->len; (p = find(p, (size_t)(end - p), f->u.s, f->len));
       p += f->len)
    cnt++;
  if (cnt == 0) {
    *out = *s;
    return 0;
  }
  size_t total = s->len - cnt * f->len + cnt * t->len;
  if (total > UINT32_MAX)
    return eddy_error_set(err, EDDY_ELIMIT, "replace: result too long (limit is 4 GiB)");
  char *buf = eddy_arena_alloc(ctx->arena, total ? total : 1);
  if (buf == NULL)
    return oom(err, "replace");
  size_t o = 0;
  const char *p = s->u.s, *end = s->u.s + s->len, *hit;
  while ((hit = find(p, (size_t)(end - p), f->u.s, f->len)) != NULL) {
    put(buf + o, p, (size_t)(hit - p));
    o += (size_t)(hit - p);
    put(buf + o, t->u.s, t->len);
    o += t->len;
    p = hit + f->len;
  }
  put(buf + o, p, (size_t)(end - p));
  *out = eddy_string(buf, total);
  return 0;
}

/* ---- predicates ----------------------------------------------------------------------- */

EDDY_FUNC_CHECK(str_pred) {
  (void)argc;
  *result = eddy_type(EDDY_T_BOOL);
  int rc = need_str("argument must be a string", &args[0], why, why_size);
  return rc != 0 ? rc : need_str("second argument must be a string", &args[1], why, why_size);
}

static int pred_args(const char *fn, const eddy_value_t *args, eddy_error_t **err) {
  int rc = str_arg(fn, &args[0], err);
  return rc != 0 ? rc : str_arg(fn, &args[1], err);
}

EDDY_FUNC_EVAL(starts_with) {
  (void)argc, (void)type, (void)ctx;
  int rc = pred_args("starts_with", args, err);
  if (rc == 0)
    *out = eddy_bool(args[1].len <= args[0].len &&
                     same(args[0].u.s, args[1].u.s, args[1].len));
  return rc;
}

EDDY_FUNC_EVAL(ends_with) {
  (void)argc, (void)type, (void)ctx;
  int rc = pred_args("ends_with", args, err);
  if (rc == 0)
    *out = eddy_bool(args[1].len <= args[0].len &&
                     same(args[0].u.s + args[0].len - args[1].len, args[1].u.s, args[1].len));
  return rc;
}

EDDY_FUNC_EVAL(contains) {
  (void)argc, (void)type, (void)ctx;
  int rc = pred_args("contains", args, err);
  if (rc == 0)
    *out = eddy_bool(args[1].len == 0 ||
                     find(args[0].u.s, args[0].len, args[1].u.s, args[1].len) != NULL);
  return rc;
}
