/*
 * The lexer: identifiers and keywords, numbers, durations, strings and
 * punctuation. Free-form: whitespace and newlines only separate tokens, and
 * `#` starts a comment that runs to the end of the line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/lexer.h"

/* Words that can never name a field or a stream without backquotes. */
static const char *const reserved[] = {
    "and", "or", "not", "is", "null", "in", "true", "false",
    "case", "when", "then", "else", "end", "cast", NULL,
};

/* The only hyphenated words: `a-b` anywhere else is a subtraction. */
static const char *const hyphenated[] = {"debezium-json", "debezium-avro", "event-time", NULL};

static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static bool is_alpha(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; }
static bool is_ident(int ch) { return is_alpha(ch) || is_digit(ch); }

void eddy__lex_init(eddy_lexer_t *lx, eddy_dsl_t *c) {
  lx->c = c;
  lx->pos = 0;
}

static int at(const eddy_lexer_t *lx, uint32_t pos) {
  return pos < lx->c->src.len ? (unsigned char)lx->c->src.text[pos] : -1;
}

static void fail(eddy_lexer_t *lx, eddy_tok_t *tok, uint32_t off, uint32_t len, const char *msg) {
  tok->kind = EDDY_TK_ERROR;
  tok->off = off;
  tok->len = len == 0 ? 1 : len;
  tok->err = msg;
  lx->pos = off + tok->len > lx->pos ? off + tok->len : lx->pos;
  if (lx->pos > lx->c->src.len)
    lx->pos = lx->c->src.len;
}

static void skip_space(eddy_lexer_t *lx) {
  for (;;) {
    int ch = at(lx, lx->pos);
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
      lx->pos++;
    } else if (ch == '#') {
      while (at(lx, lx->pos) != -1 && at(lx, lx->pos) != '\n')
        lx->pos++;
    } else {
      return;
    }
  }
}

/* ---- words ------------------------------------------------------------- */

static bool span_is(const eddy_lexer_t *lx, uint32_t off, uint32_t len, const char *word) {
  return strlen(word) == len && memcmp(lx->c->src.text + off, word, len) == 0;
}

static void lex_word(eddy_lexer_t *lx, eddy_tok_t *tok) {
  uint32_t start = lx->pos;
  while (is_ident(at(lx, lx->pos)))
    lx->pos++;
  for (const char *const *h = hyphenated; *h != NULL; h++) {
    uint32_t n = (uint32_t)strlen(*h);
    if (lx->c->src.len - start >= n && memcmp(lx->c->src.text + start, *h, n) == 0 &&
        !is_ident(at(lx, start + n)) && strchr(*h, '-') - *h == (long)(lx->pos - start))
      lx->pos = start + n;
  }
  tok->kind = EDDY_TK_NAME;
  tok->off = start;
  tok->len = lx->pos - start;
  if (tok->len > EDDY_DSL_MAX_NAME) {
    fail(lx, tok, start, tok->len, "name too long (limit is 255 bytes)");
    return;
  }
  for (const char *const *r = reserved; *r != NULL; r++)
    if (span_is(lx, start, tok->len, *r))
      tok->reserved = true;
}

static void lex_quoted_name(eddy_lexer_t *lx, eddy_tok_t *tok) {
  uint32_t start = lx->pos++;
  while (at(lx, lx->pos) != '`' && at(lx, lx->pos) != '\n' && at(lx, lx->pos) != -1)
    lx->pos++;
  if (at(lx, lx->pos) != '`') {
    fail(lx, tok, start, 1, "unterminated quoted name");
    return;
  }
  lx->pos++;
  tok->kind = EDDY_TK_QNAME;
  tok->off = start;
  tok->len = lx->pos - start;
  if (tok->len == 2)
    fail(lx, tok, start, 2, "empty quoted name");
  else if (tok->len - 2 > EDDY_DSL_MAX_NAME)
    fail(lx, tok, start, tok->len, "name too long (limit is 255 bytes)");
}

/* ---- numbers ----------------------------------------------------------- */

static int64_t duration_unit(const eddy_lexer_t *lx, uint32_t off, uint32_t len) {
  static const struct { const char *name; int64_t us; } units[] = {
      {"us", EDDY_USEC}, {"ms", EDDY_MSEC}, {"s", EDDY_SEC},
      {"m", EDDY_MIN},   {"h", EDDY_HOUR},  {"d", EDDY_DAY},
  };
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (span_is(lx, off, len, units[i].name))
      return units[i].us;
  return 0;
}

static void lex_int_value(eddy_lexer_t *lx, eddy_tok_t *tok) {
  uint64_t v = 0;
  for (uint32_t i = tok->off; i < tok->off + tok->len; i++) {
    uint64_t d = (uint64_t)(lx->c->src.text[i] - '0');
    if (v > ((uint64_t)INT64_MAX + 1 - d) / 10) {
      fail(lx, tok, tok->off, tok->len,
           "integer literal too large (limit is 9223372036854775807)");
      return;
    }
    v = v * 10 + d;
  }
  tok->u.u = v;
}

static void lex_decimal_value(eddy_lexer_t *lx, eddy_tok_t *tok) {
  const char *t = lx->c->src.text;
  uint32_t i = tok->off, end = tok->off + tok->len, int_digits = 0, scale = 0;
  while (t[i] == '0' && is_digit(t[i + 1]))
    i++;
  eddy_i128 v = 0;
  bool frac = false;
  for (; i < end; i++) {
    if (t[i] == '.') {
      frac = true;
      continue;
    }
    if (frac)
      scale++;
    else if (v != 0 || t[i] != '0')
      int_digits++;
    if (int_digits + scale > EDDY_DECIMAL_MAX_PRECISION) {
      fail(lx, tok, tok->off, tok->len, "decimal literal has too many digits (limit is 38)");
      return;
    }
    v = v * 10 + (t[i] - '0');
  }
  tok->u.dec.unscaled = v;
  tok->u.dec.scale = (uint8_t)scale;
  tok->u.dec.precision = (uint8_t)(int_digits + scale < 1 ? 1 : int_digits + scale);
}

static void lex_double_value(eddy_lexer_t *lx, eddy_tok_t *tok) {
  char buf[128];
  if (tok->len >= sizeof(buf)) {
    fail(lx, tok, tok->off, tok->len, "number too long");
    return;
  }
  memcpy(buf, lx->c->src.text + tok->off, tok->len);
  buf[tok->len] = '\0';
  tok->u.d = strtod(buf, NULL);
  if (!isfinite(tok->u.d))
    fail(lx, tok, tok->off, tok->len, "number out of range");
}

/* <digits><unit> segments, as in 500ms or 1h30m. @returns false when the
 * token is not a well-formed duration (the caller reports it). */
static bool lex_duration(eddy_lexer_t *lx, eddy_tok_t *tok) {
  const char *t = lx->c->src.text;
  uint32_t i = tok->off, end = tok->off + tok->len;
  int64_t total = 0;
  while (i < end) {
    uint32_t digits = i, letters;
    while (i < end && is_digit(t[i]))
      i++;
    for (letters = i; i < end && !is_digit(t[i]);)
      i++;
    int64_t unit = duration_unit(lx, letters, i - letters);
    if (letters == digits || unit == 0)
      return false;
    eddy_tok_t num = {.off = digits, .len = letters - digits};
    lex_int_value(lx, &num);
    if (num.kind == EDDY_TK_ERROR || num.u.u > (uint64_t)((INT64_MAX - total) / unit)) {
      fail(lx, tok, tok->off, tok->len, "duration too large");
      return true;
    }
    total += (int64_t)num.u.u * unit;
  }
  tok->kind = EDDY_TK_DURATION;
  tok->u.i = total;
  return true;
}

static void lex_number(eddy_lexer_t *lx, eddy_tok_t *tok) {
  uint32_t start = lx->pos;
  tok->kind = EDDY_TK_INT;
  while (is_digit(at(lx, lx->pos)))
    lx->pos++;
  if (at(lx, lx->pos) == '.' && is_digit(at(lx, lx->pos + 1))) {
    tok->kind = EDDY_TK_DECIMAL;
    for (lx->pos++; is_digit(at(lx, lx->pos));)
      lx->pos++;
  }
  int e = at(lx, lx->pos), e1 = at(lx, lx->pos + 1);
  if ((e == 'e' || e == 'E') &&
      (is_digit(e1) || ((e1 == '+' || e1 == '-') && is_digit(at(lx, lx->pos + 2))))) {
    tok->kind = EDDY_TK_DOUBLE;
    for (lx->pos += 2; is_digit(at(lx, lx->pos));)
      lx->pos++;
  }
  uint32_t suffix = lx->pos;
  while (is_ident(at(lx, lx->pos)))
    lx->pos++;
  tok->off = start;
  tok->len = lx->pos - start;
  int64_t unit = duration_unit(lx, suffix, lx->pos - suffix);
  if (suffix != lx->pos && tok->kind == EDDY_TK_INT && lex_duration(lx, tok))
    return;
  if (suffix != lx->pos && unit != 0)
    fail(lx, tok, start, tok->len, "a duration takes a whole number: write 1500ms, not 1.5s");
  else if (suffix != lx->pos)
    fail(lx, tok, start, tok->len,
         eddy__dsl_printf(lx->c, "invalid number '%.*s'%s", (int)tok->len,
                          lx->c->src.text + start,
                          tok->kind == EDDY_TK_INT && is_alpha(at(lx, suffix))
                              ? " (durations end in us, ms, s, m, h or d)" : ""));
  else if (tok->kind == EDDY_TK_INT)
    lex_int_value(lx, tok);
  else if (tok->kind == EDDY_TK_DECIMAL)
    lex_decimal_value(lx, tok);
  else
    lex_double_value(lx, tok);
}

/* ---- strings ----------------------------------------------------------- */

static int hex4(const eddy_lexer_t *lx, uint32_t pos) {
  int v = 0;
  for (uint32_t i = 0; i < 4; i++) {
    int ch = at(lx, pos + i), d;
    if (is_digit(ch))
      d = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
      d = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F')
      d = ch - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Length of the UTF-8 sequence at pos, or 0 when it is not valid UTF-8. */
static uint32_t utf8_len(const eddy_lexer_t *lx, uint32_t pos) {
  int b0 = at(lx, pos);
  uint32_t n = b0 < 0x80 ? 1 : (b0 & 0xe0) == 0xc0 ? 2 : (b0 & 0xf0) == 0xe0 ? 3
             : (b0 & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || b0 == 0xc0 || b0 == 0xc1 || b0 > 0xf4)
    return 0;
  for (uint32_t i = 1; i < n; i++)
    if ((at(lx, pos + i) & 0xc0) != 0x80)
      return 0;
  int b1 = at(lx, pos + 1);
  if ((b0 == 0xe0 && b1 < 0xa0) || (b0 == 0xed && b1 >= 0xa0) || (b0 == 0xf0 && b1 < 0x90) ||
      (b0 == 0xf4 && b1 >= 0x90))
    return 0;   /* overlong, surrogate or beyond U+10FFFF */
  return n;
}

/* Checks one escape at pos (the backslash); @returns its length or 0 with *msg set. */
static uint32_t check_escape(const eddy_lexer_t *lx, uint32_t pos, const char **msg) {
  int ch = at(lx, pos + 1);
  if (ch != -1 && strchr("\"\\/nrtbf", ch) != NULL)
    return 2;
  if (ch != 'u') {
    *msg = "invalid escape in string (use \\\" \\\\ \\n \\t or \\uXXXX)";
    return 0;
  }
  int v = hex4(lx, pos + 2);
  *msg = "invalid \\u escape (expected 4 hex digits)";
  if (v < 0)
    return 0;
  *msg = "\\u0000 is not allowed in a string";
  if (v == 0)
    return 0;
  *msg = "invalid \\u escape: unpaired surrogate";
  if (v >= 0xdc00 && v <= 0xdfff)
    return 0;
  if (v < 0xd800 || v > 0xdbff)
    return 6;
  int lo = at(lx, pos + 6) == '\\' && at(lx, pos + 7) == 'u' ? hex4(lx, pos + 8) : -1;
  return lo >= 0xdc00 && lo <= 0xdfff ? 12 : 0;
}

static void lex_string(eddy_lexer_t *lx, eddy_tok_t *tok) {
  uint32_t start = lx->pos++;
  for (;;) {
    int ch = at(lx, lx->pos);
    const char *msg = NULL;
    uint32_t n;
    if (ch == '"')
      break;
    if (ch == -1 || ch == '\n') {
      fail(lx, tok, start, 1, "unterminated string");
      return;
    }
    if (ch == '\\')
      n = check_escape(lx, lx->pos, &msg);
    else if (ch < 0x20 && ch != '\t')
      n = 0, msg = "control character in string (use an escape such as \\n)";
    else if ((n = utf8_len(lx, lx->pos)) == 0)
      msg = "invalid UTF-8 in string";
    if (n == 0) {
      fail(lx, tok, lx->pos, ch == '\\' ? 2 : 1, msg);
      return;
    }
    lx->pos += n;
  }
  lx->pos++;
  tok->kind = EDDY_TK_STRING;
  tok->off = start;
  tok->len = lx->pos - start;
}

static uint32_t put_utf8(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

char *eddy__lex_string(eddy_dsl_t *c, const eddy_tok_t *tok, uint32_t *len) {
  eddy_lexer_t lx = {.c = c};
  char *out = eddy__dsl_alloc(c, tok->len);   /* decoding never grows the text */
  uint32_t n = 0;
  for (uint32_t i = tok->off + 1; i + 1 < tok->off + tok->len;) {
    char ch = c->src.text[i];
    if (ch != '\\') {
      out[n++] = ch;
      i++;
      continue;
    }
    char e = c->src.text[i + 1];
    if (e != 'u') {
      out[n++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b'
               : e == 'f' ? '\f' : e;
      i += 2;
      continue;
    }
    uint32_t cp = (uint32_t)hex4(&lx, i + 2);
    i += 6;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)hex4(&lx, i + 2) - 0xdc00);
      i += 6;
    }
    n += put_utf8(out + n, cp);
  }
  out[n] = '\0';
  *len = n;
  return out;
}

char *eddy__lex_name(eddy_dsl_t *c, const eddy_tok_t *tok) {
  if (tok->kind == EDDY_TK_QNAME)
    return eddy__dsl_strndup(c, c->src.text + tok->off + 1, tok->len - 2);
  return eddy__dsl_strndup(c, c->src.text + tok->off, tok->len);
}

bool eddy__tok_is(const eddy_dsl_t *c, const eddy_tok_t *tok, const char *word) {
  return tok->kind == EDDY_TK_NAME && strlen(word) == tok->len &&
         memcmp(c->src.text + tok->off, word, tok->len) == 0;
}

/* ---- punctuation ------------------------------------------------------- */

static const char *const punct_names[EDDY_TK__COUNT] = {
    [EDDY_TK_PIPE] = "|",     [EDDY_TK_COMMA] = ",",   [EDDY_TK_DOT] = ".",
    [EDDY_TK_LPAREN] = "(",   [EDDY_TK_RPAREN] = ")",  [EDDY_TK_LBRACKET] = "[",
    [EDDY_TK_RBRACKET] = "]", [EDDY_TK_LT] = "<",      [EDDY_TK_LE] = "<=",
    [EDDY_TK_GT] = ">",       [EDDY_TK_GE] = ">=",     [EDDY_TK_EQ] = "==",
    [EDDY_TK_NE] = "!=",      [EDDY_TK_ASSIGN] = "=",  [EDDY_TK_PLUS] = "+",
    [EDDY_TK_MINUS] = "-",    [EDDY_TK_STAR] = "*",    [EDDY_TK_SLASH] = "/",
    [EDDY_TK_PERCENT] = "%",
};

const char *eddy__tok_kind_name(eddy_tok_kind_t kind) {
  switch (kind) {
  case EDDY_TK_EOF: return "end of file";
  case EDDY_TK_NAME: case EDDY_TK_QNAME: return "a name";
  case EDDY_TK_INT: return "an integer";
  case EDDY_TK_DECIMAL: case EDDY_TK_DOUBLE: return "a number";
  case EDDY_TK_STRING: return "a string";
  case EDDY_TK_DURATION: return "a duration";
  default: return kind < EDDY_TK__COUNT && punct_names[kind] ? punct_names[kind] : "a token";
  }
}

/* Two-character operators first, then the ones users bring from other languages. */
static void lex_punct(eddy_lexer_t *lx, eddy_tok_t *tok) {
  static const struct { const char *text; uint8_t kind; const char *err; } ops[] = {
      {"<=", EDDY_TK_LE, NULL},  {">=", EDDY_TK_GE, NULL}, {"==", EDDY_TK_EQ, NULL},
      {"!=", EDDY_TK_NE, NULL},  {"<>", 0, "unexpected '<>' (use '!=')"},
      {"&&", 0, "unexpected '&&' (use 'and')"}, {"||", 0, "unexpected '||' (use 'or')"},
      {"!", 0, "unexpected '!' (use 'not')"},   {";", 0, "unexpected ';' (statements need no separator)"},
      {"'", 0, "unexpected \"'\" (strings use double quotes)"},
      {"|", EDDY_TK_PIPE, NULL}, {",", EDDY_TK_COMMA, NULL}, {".", EDDY_TK_DOT, NULL},
      {"(", EDDY_TK_LPAREN, NULL}, {")", EDDY_TK_RPAREN, NULL}, {"[", EDDY_TK_LBRACKET, NULL},
      {"]", EDDY_TK_RBRACKET, NULL}, {"<", EDDY_TK_LT, NULL}, {">", EDDY_TK_GT, NULL},
      {"=", EDDY_TK_ASSIGN, NULL}, {"+", EDDY_TK_PLUS, NULL}, {"-", EDDY_TK_MINUS, NULL},
      {"*", EDDY_TK_STAR, NULL}, {"/", EDDY_TK_SLASH, NULL}, {"%", EDDY_TK_PERCENT, NULL},
  };
  uint32_t rest = lx->c->src.len - lx->pos;
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    uint32_t n = (uint32_t)strlen(ops[i].text);
    if (n > rest || memcmp(lx->c->src.text + lx->pos, ops[i].text, n) != 0)
      continue;
    if (ops[i].err != NULL) {
      fail(lx, tok, lx->pos, n, ops[i].err);
      return;
    }
    tok->kind = ops[i].kind;
    tok->off = lx->pos;
    tok->len = n;
    lx->pos += n;
    return;
  }
  int ch = at(lx, lx->pos);
  uint32_t n = ch >= 0x80 ? utf8_len(lx, lx->pos) : 0;
  if (n > 1)
    fail(lx, tok, lx->pos, n, eddy__dsl_printf(lx->c, "unexpected character '%.*s'", (int)n,
                                                 lx->c->src.text + lx->pos));
  else if (ch > 0x20 && ch < 0x7f)
    fail(lx, tok, lx->pos, 1, eddy__dsl_printf(lx->c, "unexpected character '%c'", ch));
  else
    fail(lx, tok, lx->pos, 1, eddy__dsl_printf(lx->c, "unexpected byte 0x%02x", ch));
}

void eddy__lex_next(eddy_lexer_t *lx, eddy_tok_t *tok) {
  memset(tok, 0, sizeof(*tok));
  skip_space(lx);
  tok->off = lx->pos;
  int ch = at(lx, lx->pos);
  if (ch == -1)
    tok->kind = EDDY_TK_EOF;
  else if (is_alpha(ch))
    lex_word(lx, tok);
  else if (is_digit(ch))
    lex_number(lx, tok);
  else if (ch == '"')
    lex_string(lx, tok);
  else if (ch == '`')
    lex_quoted_name(lx, tok);
  else
    lex_punct(lx, tok);
}

const char *eddy__tok_describe(eddy_dsl_t *c, const eddy_tok_t *tok) {
  const char *text = c->src.text + tok->off;
  switch (tok->kind) {
  case EDDY_TK_EOF:
    return "end of file";
  case EDDY_TK_STRING:
    return tok->len > 24 ? eddy__dsl_printf(c, "string %.20s...\"", text)
                         : eddy__dsl_printf(c, "string %.*s", (int)tok->len, text);
  default:
    return tok->len > 24 ? eddy__dsl_printf(c, "'%.20s...'", text)
                         : eddy__dsl_printf(c, "'%.*s'", (int)tok->len, text);
  }
}
