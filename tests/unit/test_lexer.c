/* The DSL lexer, the line table, diagnostics formatting and did-you-mean. */
#include "dsl/lexer.h"
#include "eddy/error.h"
#include "eddy_test.h"

typedef struct {
  eddy_arena_t *arena;
  eddy_dsl_t c;
  eddy_lexer_t lx;
} lex_fixture_t;

static void lex_open(lex_fixture_t *f, const char *text) {
  f->arena = eddy_arena_new(4096);
  ASSERT_OK(eddy__dsl_init(&f->c, f->arena, "t.eddy", text, strlen(text), NULL, NULL));
  eddy__lex_init(&f->lx, &f->c);
}

static void lex_close(lex_fixture_t *f) { eddy_arena_destroy(f->arena); }

/* The kinds of every token of \p text, as a string of letters. */
static const char *kinds(const char *text) {
  static char out[256];
  static const char letters[EDDY_TK__COUNT] = {
      [EDDY_TK_EOF] = '$', [EDDY_TK_ERROR] = '!', [EDDY_TK_NAME] = 'n', [EDDY_TK_QNAME] = 'q',
      [EDDY_TK_INT] = 'i', [EDDY_TK_DECIMAL] = 'd', [EDDY_TK_DOUBLE] = 'f',
      [EDDY_TK_STRING] = 's', [EDDY_TK_DURATION] = 't', [EDDY_TK_PIPE] = '|',
      [EDDY_TK_COMMA] = ',', [EDDY_TK_DOT] = '.', [EDDY_TK_LPAREN] = '(', [EDDY_TK_RPAREN] = ')',
      [EDDY_TK_LBRACKET] = '[', [EDDY_TK_RBRACKET] = ']', [EDDY_TK_LT] = '<', [EDDY_TK_LE] = 'l',
      [EDDY_TK_GT] = '>', [EDDY_TK_GE] = 'g', [EDDY_TK_EQ] = 'e', [EDDY_TK_NE] = 'N',
      [EDDY_TK_ASSIGN] = '=', [EDDY_TK_PLUS] = '+', [EDDY_TK_MINUS] = '-', [EDDY_TK_STAR] = '*',
      [EDDY_TK_SLASH] = '/', [EDDY_TK_PERCENT] = '%',
  };
  lex_fixture_t f;
  lex_open(&f, text);
  size_t n = 0;
  eddy_tok_t tok;
  do {
    eddy__lex_next(&f.lx, &tok);
    out[n++] = letters[tok.kind];
  } while (tok.kind != EDDY_TK_EOF && tok.kind != EDDY_TK_ERROR && n < sizeof(out) - 1);
  out[n] = '\0';
  lex_close(&f);
  return out;
}

/* The first token of \p text (error message copied into \p err if any). */
static eddy_tok_t first(const char *text, char *err, size_t err_size) {
  lex_fixture_t f;
  lex_open(&f, text);
  eddy_tok_t tok;
  eddy__lex_next(&f.lx, &tok);
  if (err != NULL)
    snprintf(err, err_size, "%s", tok.kind == EDDY_TK_ERROR ? tok.err : "");
  lex_close(&f);
  return tok;
}

EDDY_TEST(lexer_words_keywords_and_hyphenated_words) {
  ASSERT_STR_EQ("nnns$", kinds("stream orders from \"t\""));
  ASSERT_STR_EQ("nnn$", kinds("format debezium-json event-time"));
  ASSERT_STR_EQ("n-n$", kinds("a-b"));
  ASSERT_STR_EQ("n-n$", kinds("debezium-jsonx"));   /* only the exact words */
  ASSERT_STR_EQ("n-n$", kinds("event - time"));
  ASSERT_STR_EQ("n-n$", kinds("event-times"));
  eddy_tok_t t = first("debezium-avro", NULL, 0);
  ASSERT_EQ(EDDY_TK_NAME, t.kind);
  ASSERT_EQ(13, t.len);
  ASSERT_TRUE(first("and", NULL, 0).reserved);
  ASSERT_TRUE(first("case", NULL, 0).reserved);
  ASSERT_FALSE(first("key", NULL, 0).reserved);       /* contextual */
  ASSERT_FALSE(first("AND", NULL, 0).reserved);       /* keywords are lower case */
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_comments_and_whitespace) {
  ASSERT_STR_EQ("nn$", kinds("# a comment | with ( tokens\n  foo # trailing\n\tbar\r\n"));
  ASSERT_STR_EQ("$", kinds("# only a comment"));
  ASSERT_STR_EQ("$", kinds(""));
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_numbers) {
  eddy_tok_t t = first("123", NULL, 0);
  ASSERT_EQ(EDDY_TK_INT, t.kind);
  ASSERT_EQ(123, t.u.u);
  t = first("12.50", NULL, 0);
  ASSERT_EQ(EDDY_TK_DECIMAL, t.kind);
  ASSERT_EQ(1250, (int64_t)t.u.dec.unscaled);
  ASSERT_EQ(2, t.u.dec.scale);
  ASSERT_EQ(4, t.u.dec.precision);
  t = first("0.05", NULL, 0);
  ASSERT_EQ(5, (int64_t)t.u.dec.unscaled);
  ASSERT_EQ(2, t.u.dec.scale);
  ASSERT_EQ(2, t.u.dec.precision);
  t = first("007.0", NULL, 0);
  ASSERT_EQ(70, (int64_t)t.u.dec.unscaled);
  ASSERT_EQ(2, t.u.dec.precision);
  t = first("1.5e3", NULL, 0);
  ASSERT_EQ(EDDY_TK_DOUBLE, t.kind);
  ASSERT_DBL_EQ(1500.0, t.u.d, 0);
  t = first("2E-2", NULL, 0);
  ASSERT_EQ(EDDY_TK_DOUBLE, t.kind);
  ASSERT_DBL_EQ(0.02, t.u.d, 1e-18);
  t = first("9223372036854775808", NULL, 0);   /* allowed as the magnitude of INT64_MIN */
  ASSERT_EQ(EDDY_TK_INT, t.kind);
  ASSERT_TRUE(t.u.u == (uint64_t)INT64_MAX + 1);
  t = first("99999999999999999999999999999999999999.5", NULL, 0);
  ASSERT_EQ(EDDY_TK_ERROR, t.kind);   /* 39 digits */
  t = first("9999999999999999999999999999999999999.5", NULL, 0);
  ASSERT_EQ(EDDY_TK_DECIMAL, t.kind);
  ASSERT_EQ(38, t.u.dec.precision);
  ASSERT_STR_EQ("i.n$", kinds("1.x"));
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_durations) {
  static const struct { const char *text; int64_t us; } cases[] = {
      {"7us", 7}, {"500ms", 500 * EDDY_MSEC}, {"30s", 30 * EDDY_SEC}, {"5m", 5 * EDDY_MIN},
      {"1h", EDDY_HOUR}, {"2d", 2 * EDDY_DAY}, {"0s", 0}, {"1h30m", 90 * EDDY_MIN},
      {"1m30s500ms", 90 * EDDY_SEC + 500 * EDDY_MSEC}, {"2d1us", 2 * EDDY_DAY + 1},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    eddy_tok_t t = first(cases[i].text, NULL, 0);
    ASSERT_EQ(EDDY_TK_DURATION, t.kind);
    ASSERT_EQ(cases[i].us, t.u.i);
  }
  ASSERT_STR_EQ("itn$", kinds("5 5m m"));
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_number_errors) {
  char err[256];
  ASSERT_EQ(EDDY_TK_ERROR, first("1.5s", err, sizeof(err)).kind);
  ASSERT_STR_EQ("a duration takes a whole number: write 1500ms, not 1.5s", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("5min", err, sizeof(err)).kind);
  ASSERT_STR_EQ("invalid number '5min' (durations end in us, ms, s, m, h or d)", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("12abc", err, sizeof(err)).kind);
  ASSERT_EQ(EDDY_TK_ERROR, first("1.5x", err, sizeof(err)).kind);
  ASSERT_STR_EQ("invalid number '1.5x'", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("99999999999999999999", err, sizeof(err)).kind);
  ASSERT_STR_EQ("integer literal too large (limit is 9223372036854775807)", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("1e999", err, sizeof(err)).kind);
  ASSERT_STR_EQ("number out of range", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("9999999999999999999d", err, sizeof(err)).kind);
  ASSERT_STR_EQ("duration too large", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("106751991d24h", err, sizeof(err)).kind);
  ASSERT_STR_EQ("duration too large", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("1h30", err, sizeof(err)).kind);
  ASSERT_STR_EQ("invalid number '1h30' (durations end in us, ms, s, m, h or d)", err);
  ASSERT_EQ(EDDY_TK_ERROR, first("1hm", err, sizeof(err)).kind);
  EDDY_ASSERT_NO_LEAKS();
}

static const char *decoded(const char *text, uint32_t *len) {
  static char out[256];
  lex_fixture_t f;
  lex_open(&f, text);
  eddy_tok_t tok;
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(EDDY_TK_STRING, tok.kind);
  char *s = eddy__lex_string(&f.c, &tok, len);
  memcpy(out, s, *len + 1);
  lex_close(&f);
  return out;
}

EDDY_TEST(lexer_strings_and_escapes) {
  uint32_t len;
  ASSERT_STR_EQ("plain", decoded("\"plain\"", &len));
  ASSERT_EQ(5, len);
  ASSERT_STR_EQ("a\"b\\c\nd\te/", decoded("\"a\\\"b\\\\c\\nd\\te\\/\"", &len));
  ASSERT_STR_EQ("\xc3\xa9", decoded("\"\\u00e9\"", &len));
  ASSERT_STR_EQ("\xe2\x82\xac", decoded("\"\\u20AC\"", &len));
  ASSERT_STR_EQ("\xf0\x9f\x98\x80", decoded("\"\\ud83d\\ude00\"", &len));
  ASSERT_STR_EQ("caf\xc3\xa9 \xe2\x82\xac", decoded("\"caf\xc3\xa9 \xe2\x82\xac\"", &len));
  ASSERT_STR_EQ("", decoded("\"\"", &len));
  ASSERT_EQ(0, len);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_string_errors) {
  char err[256];
  eddy_tok_t t = first("  \"abc", err, sizeof(err));
  ASSERT_EQ(EDDY_TK_ERROR, t.kind);
  ASSERT_STR_EQ("unterminated string", err);
  ASSERT_EQ(2, t.off);
  ASSERT_EQ(EDDY_TK_ERROR, first("\"ab\ncd\"", err, sizeof(err)).kind);
  ASSERT_STR_EQ("unterminated string", err);
  t = first("\"a\\qb\"", err, sizeof(err));
  ASSERT_EQ(2, t.off);
  ASSERT_EQ(2, t.len);
  ASSERT_STR_EQ("invalid escape in string (use \\\" \\\\ \\n \\t or \\uXXXX)", err);
  first("\"\\u12\"", err, sizeof(err));
  ASSERT_STR_EQ("invalid \\u escape (expected 4 hex digits)", err);
  first("\"\\u0000\"", err, sizeof(err));
  ASSERT_STR_EQ("\\u0000 is not allowed in a string", err);
  first("\"\\ud800x\"", err, sizeof(err));
  ASSERT_STR_EQ("invalid \\u escape: unpaired surrogate", err);
  first("\"\\udc00\"", err, sizeof(err));
  ASSERT_STR_EQ("invalid \\u escape: unpaired surrogate", err);
  first("\"a\x01\"", err, sizeof(err));
  ASSERT_STR_EQ("control character in string (use an escape such as \\n)", err);
  first("\"\xff\"", err, sizeof(err));
  ASSERT_STR_EQ("invalid UTF-8 in string", err);
  first("\"\xc0\xaf\"", err, sizeof(err));   /* overlong '/' */
  ASSERT_STR_EQ("invalid UTF-8 in string", err);
  first("\"\xed\xa0\x80\"", err, sizeof(err));   /* an encoded surrogate */
  ASSERT_STR_EQ("invalid UTF-8 in string", err);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_quoted_names) {
  lex_fixture_t f;
  lex_open(&f, "`order date` `key`");
  eddy_tok_t tok;
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(EDDY_TK_QNAME, tok.kind);
  ASSERT_STR_EQ("order date", eddy__lex_name(&f.c, &tok));
  eddy__lex_next(&f.lx, &tok);
  ASSERT_STR_EQ("key", eddy__lex_name(&f.c, &tok));
  ASSERT_FALSE(eddy__tok_is(&f.c, &tok, "key"));   /* never a keyword */
  lex_close(&f);
  char err[128];
  first("``", err, sizeof(err));
  ASSERT_STR_EQ("empty quoted name", err);
  first("`abc", err, sizeof(err));
  ASSERT_STR_EQ("unterminated quoted name", err);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_punctuation) {
  ASSERT_STR_EQ("|,.()[]<l>geN=+-*/%$", kinds("| , . ( ) [ ] < <= > >= == != = + - * / %"));
  ASSERT_STR_EQ("n<n$", kinds("a<b"));
  ASSERT_STR_EQ("ng=$", kinds("a>==")); /* longest match first */
  char err[128];
  static const struct { const char *text, *err; } bad[] = {
      {"&&", "unexpected '&&' (use 'and')"},     {"||", "unexpected '||' (use 'or')"},
      {"!x", "unexpected '!' (use 'not')"},       {"<>", "unexpected '<>' (use '!=')"},
      {";", "unexpected ';' (statements need no separator)"},
      {"'a'", "unexpected \"'\" (strings use double quotes)"},
      {"@", "unexpected character '@'"},          {"\xe2\x82\xac", "unexpected character '\xe2\x82\xac'"},
      {"\x01", "unexpected byte 0x01"},          {"\xff", "unexpected byte 0xff"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ASSERT_EQ(EDDY_TK_ERROR, first(bad[i].text, err, sizeof(err)).kind);
    ASSERT_STR_EQ(bad[i].err, err);
  }
  /* a NUL byte inside the text is an error, not the end */
  lex_fixture_t f;
  f.arena = eddy_arena_new(4096);
  ASSERT_OK(eddy__dsl_init(&f.c, f.arena, "t", "a\0b", 3, NULL, NULL));
  eddy__lex_init(&f.lx, &f.c);
  eddy_tok_t tok;
  eddy__lex_next(&f.lx, &tok);
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(EDDY_TK_ERROR, tok.kind);
  ASSERT_STR_EQ("unexpected byte 0x00", tok.err);
  lex_close(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(lexer_offsets_and_line_table) {
  lex_fixture_t f;
  lex_open(&f, "ab  cd\n\n  ef\n");
  eddy_tok_t tok;
  uint32_t line, col;
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(0, tok.off);
  ASSERT_EQ(2, tok.len);
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(4, tok.off);
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(10, tok.off);
  eddy__src_locate(&f.c.src, tok.off, &line, &col);
  ASSERT_EQ(3, line);
  ASSERT_EQ(3, col);
  eddy__src_locate(&f.c.src, 7, &line, &col);   /* the empty line */
  ASSERT_EQ(2, line);
  ASSERT_EQ(1, col);
  eddy__src_locate(&f.c.src, 13, &line, &col);  /* end of file */
  ASSERT_EQ(4, line);
  ASSERT_EQ(1, col);
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(EDDY_TK_EOF, tok.kind);
  eddy__lex_next(&f.lx, &tok);
  ASSERT_EQ(EDDY_TK_EOF, tok.kind);   /* forever */
  lex_close(&f);
  EDDY_ASSERT_NO_LEAKS();
}

static const char *format(const eddy_diag_t *d) {
  static char out[1024];
  eddy_buf_t b = {0};
  ASSERT_OK(eddy_diag_format(d, &b));
  snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p);
  eddy_buf_free(&b);
  return out;
}

EDDY_TEST(diag_format_like_a_compiler) {
  const char *line = "  window hopping(5 m, advance by 1 m";
  eddy_diag_t d = {.severity = EDDY_DIAG_ERROR, .file = "orders.eddy", .line = 12, .col = 18,
                   .span = 18, .message = "expected ')' to close '(' at 12:9",
                   .line_text = line, .line_len = (uint32_t)strlen(line)};
  ASSERT_STR_EQ("orders.eddy:12:18: error: expected ')' to close '(' at 12:9\n"
                "   12 |   window hopping(5 m, advance by 1 m\n"
                "      |                  ^~~~~~~~~~~~~~~~~~\n",
                format(&d));
  d.span = 100;   /* clamped to the line */
  d.severity = EDDY_DIAG_WARNING;
  ASSERT_STR_EQ("orders.eddy:12:18: warning: expected ')' to close '(' at 12:9\n"
                "   12 |   window hopping(5 m, advance by 1 m\n"
                "      |                  ^~~~~~~~~~~~~~~~~~~\n",
                format(&d));
  eddy_diag_t tab = {.severity = EDDY_DIAG_NOTE, .file = "f", .line = 123456, .col = 3, .span = 1,
                     .message = "m", .line_text = "\tx\xc3\xa9y", .line_len = 5};
  tab.col = 5;   /* 'y': after a tab and a two-byte character */
  ASSERT_STR_EQ("f:123456:5: note: m\n123456 | \tx\xc3\xa9y\n       | \t  ^\n", format(&tab));
  eddy_diag_t nowhere = {.severity = EDDY_DIAG_ERROR, .file = "gone.eddy",
                         .message = "cannot read 'gone.eddy': No such file or directory"};
  ASSERT_STR_EQ("gone.eddy: error: cannot read 'gone.eddy': No such file or directory\n",
                format(&nowhere));
  eddy_diag_t empty = {.severity = EDDY_DIAG_ERROR, .file = "e", .line = 1, .col = 1, .span = 1,
                       .message = "m", .line_text = "", .line_len = 0};
  ASSERT_STR_EQ("e:1:1: error: m\n    1 |\n      | ^\n", format(&empty));
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(did_you_mean_picks_close_names) {
  eddy_arena_t *arena = eddy_arena_new(1024);
  eddy_dsl_t c;
  ASSERT_OK(eddy__dsl_init(&c, arena, "t", "", 0, NULL, NULL));
  eddy_suggest_t s;
  eddy__suggest_init(&s, "ordrs");
  eddy__suggest_add(&s, "users");
  eddy__suggest_add(&s, "orders");
  eddy__suggest_add(&s, "order_items");
  ASSERT_STR_EQ(" (did you mean 'orders'?)", eddy__suggest_hint(&c, &s));
  eddy__suggest_init(&s, "after.amout");
  eddy__suggest_add(&s, "before.amount");
  eddy__suggest_add(&s, "after.amount");
  ASSERT_STR_EQ(" (did you mean 'after.amount'?)", eddy__suggest_hint(&c, &s));
  eddy__suggest_init(&s, "wehre");   /* a transposition is one edit */
  eddy__suggest_add(&s, "where");
  ASSERT_STR_EQ(" (did you mean 'where'?)", eddy__suggest_hint(&c, &s));
  eddy__suggest_init(&s, "Orders");  /* case differences are cheap */
  eddy__suggest_add(&s, "orders");
  ASSERT_STR_EQ(" (did you mean 'orders'?)", eddy__suggest_hint(&c, &s));
  eddy__suggest_init(&s, "xyz");
  eddy__suggest_add(&s, "orders");
  eddy__suggest_add(&s, "abc");
  ASSERT_STR_EQ("", eddy__suggest_hint(&c, &s));
  eddy_arena_destroy(arena);
  EDDY_ASSERT_NO_LEAKS();
}
