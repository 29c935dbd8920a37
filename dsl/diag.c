/* The source text and its line table, diagnostics, arena helpers, did-you-mean. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dsl/dsl_int.h"
#include "eddy/error.h"

/* ---- source ------------------------------------------------------------ */

int eddy__dsl_init(eddy_dsl_t *c, eddy_arena_t *arena, const char *file, const char *text,
                   size_t len, eddy_diag_fn diag, void *opaque) {
  memset(c, 0, sizeof(*c));
  c->arena = arena;
  c->diag = diag;
  c->opaque = opaque;
  c->src.file = file;
  c->src.text = text;
  c->src.len = (uint32_t)len;
  uint32_t cnt = 1;
  for (size_t i = 0; i < len; i++)
    cnt += text[i] == '\n';
  c->src.line_starts = eddy_arena_alloc(arena, cnt * sizeof(uint32_t));
  if (c->src.line_starts == NULL)
    return EDDY_ENOMEM;
  uint32_t n = 0;
  c->src.line_starts[n++] = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n')
      c->src.line_starts[n++] = (uint32_t)i + 1;
  c->src.line_cnt = n;
  return 0;
}

void eddy__src_locate(const eddy_src_t *src, uint32_t off, uint32_t *line, uint32_t *col) {
  uint32_t lo = 0, hi = src->line_cnt;   /* the last line start <= off */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (src->line_starts[mid] <= off)
      lo = mid;
    else
      hi = mid;
  }
  *line = lo + 1;
  *col = off - src->line_starts[lo] + 1;
}

/* ---- diagnostics ------------------------------------------------------- */

static void emit(eddy_dsl_t *c, eddy_diag_severity_t sev, uint32_t off, uint32_t len,
                 const char *msg) {
  if (c->diag == NULL)
    return;
  eddy_diag_t d = {.severity = sev, .file = c->src.file, .message = msg, .span = 1};
  if (off > c->src.len)
    off = c->src.len;
  eddy__src_locate(&c->src, off, &d.line, &d.col);
  uint32_t start = c->src.line_starts[d.line - 1], end = start;
  while (end < c->src.len && c->src.text[end] != '\n')
    end++;
  if (end > start && c->src.text[end - 1] == '\r')
    end--;
  d.line_text = c->src.text + start;
  d.line_len = end - start;
  d.span = len == 0 ? 1 : len;
  c->diag(c->opaque, &d);
}

static void report(eddy_dsl_t *c, eddy_diag_severity_t sev, uint32_t off, uint32_t len,
                   const char *fmt, va_list ap) {
  char msg[1024];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  emit(c, sev, off, len, msg);
}

void eddy__dsl_fail(eddy_dsl_t *c, int code, uint32_t off, uint32_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(c, EDDY_DIAG_ERROR, off, len, fmt, ap);
  va_end(ap);
  c->error = code;
  longjmp(*c->bail, 1);
}

void eddy__dsl_warn(eddy_dsl_t *c, uint32_t off, uint32_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(c, EDDY_DIAG_WARNING, off, len, fmt, ap);
  va_end(ap);
  c->warning_cnt++;
}

void eddy__dsl_oom(eddy_dsl_t *c) {
  if (c->diag != NULL) {
    eddy_diag_t d = {.severity = EDDY_DIAG_ERROR, .file = c->src.file, .span = 1,
                     .message = "out of memory", .line_text = ""};
    c->diag(c->opaque, &d);
  }
  c->error = EDDY_ENOMEM;
  longjmp(*c->bail, 1);
}

static uint32_t digits(uint32_t v) {
  uint32_t n = 1;
  while (v >= 10) {
    v /= 10;
    n++;
  }
  return n;
}

static const char *severity_name(eddy_diag_severity_t s) {
  return s == EDDY_DIAG_ERROR ? "error" : s == EDDY_DIAG_WARNING ? "warning" : "note";
}

/* The caret line copies tabs from the source line so that it lines up. */
static int format_caret(const eddy_diag_t *d, int width, eddy_buf_t *out) {
  int rc = eddy_buf_printf(out, "%*s |", width, "");
  if (rc != 0 || d->line_text == NULL)
    return rc;
  rc = eddy_buf_putc(out, ' ');
  for (uint32_t i = 0; rc == 0 && i + 1 < d->col && i < d->line_len; i++) {
    unsigned char ch = (unsigned char)d->line_text[i];
    if ((ch & 0xc0) != 0x80)   /* one column per character, not per UTF-8 byte */
      rc = eddy_buf_putc(out, ch == '\t' ? '\t' : ' ');
  }
  for (uint32_t i = d->line_len; rc == 0 && i + 1 < d->col; i++)
    rc = eddy_buf_putc(out, ' ');
  uint32_t room = d->line_len + 1 > d->col ? d->line_len + 1 - d->col : 1;
  uint32_t span = d->span < 1 ? 1 : d->span > room ? room : d->span;
  if (rc == 0)
    rc = eddy_buf_putc(out, '^');
  for (uint32_t i = 1; rc == 0 && i < span; i++)
    rc = eddy_buf_putc(out, '~');
  return rc == 0 ? eddy_buf_putc(out, '\n') : rc;
}

int eddy_diag_format(const eddy_diag_t *d, eddy_buf_t *out) {
  if (d->line == 0)
    return eddy_buf_printf(out, "%s: %s: %s\n", d->file, severity_name(d->severity),
                           d->message);
  int rc = eddy_buf_printf(out, "%s:%u:%u: %s: %s\n", d->file, d->line, d->col,
                           severity_name(d->severity), d->message);
  int width = (int)(digits(d->line) > 5 ? digits(d->line) : 5);
  if (rc == 0)
    rc = eddy_buf_printf(out, "%*u |", width, d->line);
  if (rc == 0 && d->line_text != NULL && d->line_len > 0) {
    rc = eddy_buf_putc(out, ' ');
    rc = rc == 0 ? eddy_buf_append(out, d->line_text, d->line_len) : rc;
  }
  if (rc == 0)
    rc = eddy_buf_putc(out, '\n');
  return rc == 0 ? format_caret(d, width, out) : rc;
}

/* ---- arena helpers ----------------------------------------------------- */

void *eddy__dsl_alloc(eddy_dsl_t *c, size_t size) {
  void *p = eddy_arena_calloc(c->arena, 1, size == 0 ? 1 : size);
  if (p == NULL)
    eddy__dsl_oom(c);
  return p;
}

void *eddy__dsl_array(eddy_dsl_t *c, size_t cnt, size_t size) {
  void *p = eddy_arena_calloc(c->arena, cnt == 0 ? 1 : cnt, size);
  if (p == NULL)
    eddy__dsl_oom(c);
  return p;
}

char *eddy__dsl_strndup(eddy_dsl_t *c, const char *s, size_t len) {
  char *p = eddy_arena_strndup(c->arena, s, len);
  if (p == NULL)
    eddy__dsl_oom(c);
  return p;
}

char *eddy__dsl_printf(eddy_dsl_t *c, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if ((size_t)n < sizeof(small))
    return eddy__dsl_strndup(c, small, (size_t)n);
  char *p = eddy__dsl_alloc(c, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void eddy__dsl_push(eddy_dsl_t *c, void *items_ptr, uint32_t *cnt, uint32_t *cap,
                    const void *item, size_t size) {
  char **items = items_ptr;
  if (*cnt == *cap) {
    uint32_t ncap = *cap == 0 ? 4 : *cap * 2;
    char *n = eddy__dsl_array(c, ncap, size);
    if (*cnt > 0)
      memcpy(n, *items, (size_t)*cnt * size);
    *items = n;
    *cap = ncap;
  }
  memcpy(*items + (size_t)*cnt * size, item, size);
  (*cnt)++;
}

const char *eddy__dsl_where(eddy_dsl_t *c, uint32_t off) {
  uint32_t line, col;
  eddy__src_locate(&c->src, off, &line, &col);
  return eddy__dsl_printf(c, "%u:%u", line, col);
}

/* ---- did you mean ------------------------------------------------------ */

#define SUGGEST_MAX_LEN 64

/* Optimal string alignment distance (edits and transpositions), ignoring case. */
static uint32_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
    return UINT32_MAX;
  uint32_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (uint32_t)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (uint32_t)j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
      uint32_t best = d[i - 1][j - 1] + (ca != cb);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

void eddy__suggest_init(eddy_suggest_t *s, const char *word) {
  s->word = word;
  s->best = NULL;
  s->best_dist = UINT32_MAX;
}

void eddy__suggest_add(eddy_suggest_t *s, const char *candidate) {
  if (candidate == NULL || strcmp(candidate, s->word) == 0)
    return;
  size_t len = strlen(s->word);
  uint32_t limit = (uint32_t)(len / 3);
  limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
  uint32_t dist = distance(s->word, candidate);
  if (dist <= limit && dist < s->best_dist) {
    s->best = candidate;
    s->best_dist = dist;
  }
}

const char *eddy__suggest_hint(eddy_dsl_t *c, const eddy_suggest_t *s) {
  return s->best == NULL ? "" : eddy__dsl_printf(c, " (did you mean '%s'?)", s->best);
}
