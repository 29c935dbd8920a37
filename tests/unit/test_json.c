/*
 * Plain JSON and string decoding, and malformed input: every class of bad
 * JSON must be EDDY_EDECODE with a message naming the byte offset, never a
 * crash or a read past the message (messages are copied into exactly-sized
 * heap buffers, so the sanitizer build catches over-reads).
 */
#include "test_serde_fixture.h"

static const eddy_field_t item_fields[] = {{"product_id", T_INT}, {"qty", T_INT}};
static const eddy_fields_t item = {2, item_fields};
static const eddy_type_t item_type = {.kind = EDDY_T_STRUCT, .fields = &item};
static const eddy_type_t str_type = T_STR;

EDDY_TEST(json_nested_paths_arrays_structs) {
  static const eddy_field_t f[] = {
    {"user.id", T_INT},
    {"user.address.city", T_STR},
    {"items", {.kind = EDDY_T_ARRAY, .elem = &item_type}},
    {"tags", {.kind = EDDY_T_ARRAY, .elem = &str_type}},
    {"meta", T_ANY},
    {"amount", T_DEC(10, 2)},
    {"price", T_DEC(10, 2)},
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 7);
  ASSERT_DECODE_OK(&fx, " {\"user\":{\"id\":7,\"address\":{\"zip\":\"0150\",\"city\":\"Oslo\"}},"
                        "\"items\":[{\"qty\":2,\"product_id\":1},{\"product_id\":3}],"
                        "\"tags\":[],\"meta\" : {\"x\": [1, 2]},\"amount\":\"12.50\","
                        "\"price\":19.999} \n");
  ASSERT_INTV(7, fx.vals[0]);
  ASSERT_STRV("Oslo", fx.vals[1]);
  ASSERT_EQ(EDDY_T_ARRAY, fx.vals[2].kind);
  ASSERT_EQ(2, fx.vals[2].len);
  const eddy_value_t *it = fx.vals[2].u.items;
  ASSERT_EQ(EDDY_T_STRUCT, it[0].kind);
  ASSERT_INTV(1, it[0].u.items[0]); /* struct items follow the declared order */
  ASSERT_INTV(2, it[0].u.items[1]);
  ASSERT_INTV(3, it[1].u.items[0]);
  ASSERT_NULLV(it[1].u.items[1]);   /* missing member: null */
  ASSERT_EQ(EDDY_T_ARRAY, fx.vals[3].kind);
  ASSERT_EQ(0, fx.vals[3].len);
  ASSERT_STRV("{\"x\": [1, 2]}", fx.vals[4]); /* untyped nested JSON keeps its text */
  ASSERT_DECV(1250, 2, fx.vals[5]);            /* plain JSON: a string is decimal text */
  ASSERT_DECV(2000, 2, fx.vals[6]);            /* 19.999 rounds to 20.00 */
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(json_any_takes_the_value_type) {
  static const eddy_field_t f[] = {
    {"a", T_ANY}, {"b", T_ANY}, {"c", T_ANY}, {"d", T_ANY}, {"e", T_ANY}, {"f", T_ANY},
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 6);
  ASSERT_DECODE_OK(&fx, "{\"a\":5,\"b\":-1.50,\"c\":\"s\",\"d\":true,\"e\":1e400,"
                        "\"f\":123456789012345678901234567890}");
  ASSERT_INTV(5, fx.vals[0]);
  ASSERT_DECV(-150, 2, fx.vals[1]);
  ASSERT_STRV("s", fx.vals[2]);
  ASSERT_EQ(EDDY_T_BOOL, fx.vals[3].kind);
  ASSERT_EQ(EDDY_T_DOUBLE, fx.vals[4].kind); /* beyond any decimal: a double (inf) */
  ASSERT_TRUE(fx.vals[4].u.d > 1e308);
  ASSERT_EQ(EDDY_T_DECIMAL, fx.vals[5].kind); /* beyond int64: an exact decimal */
  ASSERT_EQ(0, fx.vals[5].scale);
  /* 123456789012345678901234567890 = 1234567890123456789 * 10^11 + 01234567890 */
  ASSERT_TRUE(fx.vals[5].u.dec == (eddy_i128)1234567890123456789LL * 100000000000LL +
                                      1234567890LL);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(json_top_level_shapes) {
  static const eddy_field_t f[] = {{"a", T_INT}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 1);
  ASSERT_EQ(EDDY_ENOENT, fx_decode_n(&fx, NULL, 0));
  ASSERT_EQ(EDDY_ENOENT, fx_decode(&fx, "null"));
  ASSERT_DECODE_ERR(&fx, "[1]", "invalid JSON at byte 0: unexpected '[', expected a JSON object");
  ASSERT_DECODE_ERR(&fx, "x{", "invalid JSON at byte 0: unexpected 'x', expected a JSON object");
  ASSERT_DECODE_ERR(&fx, "   ", "invalid JSON at byte 3: unexpected end of input, expected a JSON object");
  ASSERT_DECODE_ERR(&fx, "{\"a\":1}x", "invalid JSON at byte 7: unexpected data after the document");
  ASSERT_DECODE_ERR(&fx, "{\"a\":1}{}", "invalid JSON at byte 7: unexpected data after the document");
  /* "schema"/"payload" mean nothing special in plain JSON. */
  ASSERT_DECODE_OK(&fx, "{\"payload\":{\"a\":2},\"a\":1}");
  ASSERT_INTV(1, fx.vals[0]);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(string_format_validates_utf8) {
  static const eddy_field_t f[] = {{"value", T_STR}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_STRING, f, 1);
  ASSERT_DECODE_OK(&fx, "h\xc3\xa9llo \xf0\x9f\x98\x80 {not json");
  ASSERT_STRV("h\xc3\xa9llo \xf0\x9f\x98\x80 {not json", fx.vals[0]);
  ASSERT_TRUE(fx.vals[0].u.s == fx.copy); /* borrowed */
  ASSERT_DECODE_OK(&fx, "");
  ASSERT_STRV("", fx.vals[0]);
  ASSERT_EQ(EDDY_ENOENT, fx_decode_n(&fx, NULL, 0));
  ASSERT_DECODE_ERR(&fx, "ab\xff" "cd", "not valid UTF-8 at byte 2");
  ASSERT_DECODE_ERR(&fx, "abcdefghij\xc3", "not valid UTF-8 at byte 10"); /* truncated sequence */
  ASSERT_DECODE_ERR(&fx, "\xed\xa0\x80", "not valid UTF-8 at byte 0");    /* surrogate */
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- malformed input --------------------------------------------------- */

static const eddy_field_t mal_fields[] = {{"a", T_INT}, {"s", T_STR}, {"o.x", T_STR}};

EDDY_TEST(malformed_truncation_and_structure) {
  static const struct {
    const char *json, *msg;
  } vec[] = {
    {"{", "invalid JSON at byte 1: unexpected end of input, expected a string key"},
    {"{\"a\":1", "invalid JSON at byte 6: unexpected end of input, expected ',' or '}'"},
    {"{\"a\":", "invalid JSON at byte 5: unexpected end of input, expected a value"},
    {"{\"a\"", "invalid JSON at byte 4: unexpected end of input, expected ':'"},
    {"{\"s\":\"ab", "invalid JSON at byte 5: unterminated string"},
    {"{\"zz\":[1,2", "invalid JSON at byte 10: unexpected end of input, expected ',' or ']'"},
    {"{\"zz\":{\"k\":\"v\"", "invalid JSON at byte 14: unexpected end of input, expected ',' or '}'"},
    {"{\"a\" 1}", "invalid JSON at byte 5: unexpected '1', expected ':'"},
    {"{\"a\":1,}", "invalid JSON at byte 7: unexpected '}', expected a string key"},
    {"{\"a\":1 \"s\":\"x\"}", "invalid JSON at byte 7: unexpected '\"', expected ',' or '}'"},
    {"{\"zz\":[1,]}", "invalid JSON at byte 9: unexpected ']', expected a value"},
    {"{\"zz\":[1 2]}", "invalid JSON at byte 9: unexpected '2', expected ',' or ']'"},
    {"{\"zz\":[1}", "invalid JSON at byte 8: unexpected '}', expected ',' or ']'"},
    {"{\"zz\":{1:2}}", "invalid JSON at byte 7: unexpected '1', expected a string key"},
    {"{\"zz\":{\"k\":1,}}", "invalid JSON at byte 13: unexpected '}', expected a string key"},
    {"{a:1}", "invalid JSON at byte 1: unexpected 'a', expected a string key"},
    {"{'s':'x'}", "invalid JSON at byte 1: unexpected ''', expected a string key"},
    {"{\"zz\":tru}", "invalid JSON at byte 6: invalid literal (expected true, false or null)"},
    {"{\"a\":nul}", "invalid JSON at byte 5: invalid literal (expected true, false or null)"},
    {"{\"a\":tru}", "invalid JSON at byte 5: invalid literal (expected true, false or null)"},
    {"{\"a\":01}", "invalid JSON at byte 6: unexpected '1', expected ',' or '}'"},
    {"{\"a\":1.}", "invalid JSON at byte 7: unexpected '}', expected a digit after '.'"},
    {"{\"a\":-}", "invalid JSON at byte 6: unexpected '}', expected a digit"},
    {"{\"a\":.5}", "invalid JSON at byte 5: unexpected '.', expected a value"},
    {"{\"a\":1e}", "invalid JSON at byte 7: unexpected '}', expected a digit in the exponent"},
    {"{\"zz\":+1}", "invalid JSON at byte 6: unexpected '+', expected a value"},
    {"{\"zz\":NaN}", "invalid JSON at byte 6: unexpected 'N', expected a value"},
    {"{\"zz\":\x01}", "invalid JSON at byte 6: unexpected byte 0x01, expected a value"},
    {"{\"o\":{\"x\":\"v\"]}", "invalid JSON at byte 13: unexpected ']', expected ',' or '}'"},
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, mal_fields, 3);
  for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
    ASSERT_EQ(EDDY_EDECODE, fx_decode(&fx, vec[i].json));
    if (strcmp(vec[i].msg, fx.err->msg) != 0)
      eddy_test_fail(__FILE__, __LINE__, "input %s:\n  expected \"%s\"\n  got      \"%s\"",
                     vec[i].json, vec[i].msg, fx.err->msg);
  }
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(malformed_strings_escapes_and_utf8) {
  static const struct {
    const char *json, *msg;
  } vec[] = {
    {"{\"s\":\"a\\x\"}", "invalid JSON at byte 7: invalid escape in string"},
    {"{\"s\":\"\\u12G4\"}", "invalid JSON at byte 6: invalid \\u escape in string"},
    {"{\"s\":\"\\u12\"}", "invalid JSON at byte 6: invalid \\u escape in string"},
    {"{\"s\":\"\\ud800\"}", "invalid JSON at byte 6: unpaired UTF-16 surrogate in string"},
    {"{\"s\":\"\\udc00\"}", "invalid JSON at byte 6: unpaired UTF-16 surrogate in string"},
    {"{\"s\":\"\\ud800\\u0041\"}", "invalid JSON at byte 6: unpaired UTF-16 surrogate in string"},
    {"{\"s\":\"a\nb\"}", "invalid JSON at byte 7: control character in string"},
    {"{\"s\":\"a\tb\"}", "invalid JSON at byte 7: control character in string"},
    {"{\"zz\":\"a\x1f\"}", "invalid JSON at byte 8: control character in string"},
    {"{\"s\":\"ab\xff\"}", "not valid UTF-8 at byte 8"},
    {"{\"s\":\"\xc0\x80\"}", "not valid UTF-8 at byte 6"},          /* overlong NUL */
    {"{\"s\":\"\xe0\x80\xaf\"}", "not valid UTF-8 at byte 6"},      /* overlong '/' */
    {"{\"s\":\"\xed\xa0\x80\"}", "not valid UTF-8 at byte 6"},      /* UTF-16 surrogate */
    {"{\"s\":\"\xf4\x90\x80\x80\"}", "not valid UTF-8 at byte 6"},  /* above U+10FFFF */
    {"{\"s\":\"\xf5\x80\x80\x80\"}", "not valid UTF-8 at byte 6"},
    {"{\"s\":\"\xe2\x82\"}", "not valid UTF-8 at byte 6"},          /* truncated sequence */
    {"{\"s\":\"x\x80\"}", "not valid UTF-8 at byte 7"},             /* lone continuation */
    {"{\"zz\":\"\xff\"}", "not valid UTF-8 at byte 7"},             /* skipped strings too */
    {"{\"\xfe\":1}", "not valid UTF-8 at byte 2"},                  /* and keys */
    {"{\"s\":\"\xe2\x82", "not valid UTF-8 at byte 6"},             /* cut inside a sequence */
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, mal_fields, 3);
  for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
    ASSERT_EQ(EDDY_EDECODE, fx_decode(&fx, vec[i].json));
    if (strcmp(vec[i].msg, fx.err->msg) != 0)
      eddy_test_fail(__FILE__, __LINE__, "case %zu:\n  expected \"%s\"\n  got      \"%s\"", i,
                     vec[i].msg, fx.err->msg);
  }
  /* Valid multi-byte UTF-8 and every escape are fine. */
  ASSERT_DECODE_OK(&fx, "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"
                        "\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\uD834\\uDD1E\"}");
  ASSERT_EQ(EDDY_T_STRING, fx.vals[1].kind);
  ASSERT_EQ(13 + 8 + 1 + 2 + 4, fx.vals[1].len);
  ASSERT_TRUE(memcmp(fx.vals[1].u.s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"
                     "\"\\/\b\f\n\r\t\0\xc3\xa9\xf0\x9d\x84\x9e", 28) == 0);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

static char *repeat(const char *head, char c, size_t n, const char *tail) {
  size_t h = strlen(head), t = strlen(tail);
  char *s = malloc(h + n + t + 1);
  memcpy(s, head, h);
  memset(s + h, c, n);
  memcpy(s + h + n, tail, t + 1);
  return s;
}

EDDY_TEST(malformed_deep_nesting_is_limited) {
  static const eddy_field_t f[] = {{"a", T_INT}, {"deep", T_ANY}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 2);
  /* Depth 64 (the object plus 63 arrays) is allowed, skipped or decoded. */
  char *open = repeat("{\"zz\":", '[', 63, "");
  char *text = repeat(open, ']', 63, ",\"a\":1}");
  ASSERT_DECODE_OK(&fx, text);
  ASSERT_INTV(1, fx.vals[0]);
  free(text);
  free(open);
  open = repeat("{\"deep\":", '[', 63, "");
  text = repeat(open, ']', 63, "}");
  ASSERT_DECODE_OK(&fx, text);
  ASSERT_EQ(EDDY_T_STRING, fx.vals[1].kind); /* untyped: the raw text */
  ASSERT_EQ(126, fx.vals[1].len);
  free(text);
  free(open);
  /* Depth 65 is not: the 64th '[' at byte 6 + 63. */
  char *bad = repeat("{\"zz\":", '[', 64, "]");
  ASSERT_DECODE_ERR(&fx, bad, "invalid JSON at byte 69: nested too deeply (limit is 64)");
  free(bad);
  /* A million levels: an error, not a stack overflow. */
  char *huge = repeat("{\"deep\":", '[', 1000000, "");
  ASSERT_DECODE_ERR(&fx, huge, "invalid JSON at byte 71: nested too deeply (limit is 64)");
  free(huge);
  huge = repeat("", '{', 100000, "");
  ASSERT_EQ(EDDY_EDECODE, fx_decode(&fx, huge));
  free(huge);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(malformed_huge_numbers) {
  static const eddy_field_t f[] = {{"a", T_INT}, {"d", T_DEC(10, 2)}, {"x", T_DBL}, {"t", T_TS}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 4);
  char *skip = repeat("{\"zz\":1", '7', 100000, ",\"a\":2}"); /* skipped: fine */
  ASSERT_DECODE_OK(&fx, skip);
  ASSERT_INTV(2, fx.vals[0]);
  free(skip);
  char *big = repeat("{\"a\":1", '0', 1000, "}");
  ASSERT_DECODE_ERR(&fx, big, "a: number 1000000000000000000000000000000000000000... is out "
                              "of range for int");
  memcpy(big + 2, "d", 1);
  ASSERT_DECODE_ERR(&fx, big, "d: number 1000000000000000000000000000000000000000... is out "
                              "of range for decimal(10,2)");
  memcpy(big + 2, "t", 1);
  ASSERT_DECODE_ERR(&fx, big, "t: number 1000000000000000000000000000000000000000... is out "
                              "of range for timestamp");
  memcpy(big + 2, "x", 1);
  ASSERT_DECODE_ERR(&fx, big, "x: number 1000000000000000000000000000000000000000... is out "
                              "of range for double");
  free(big);
  /* Long but in range: 1000 digits after the point still make a double. */
  char *frac = repeat("{\"x\":0.", '5', 1000, "}");
  ASSERT_DECODE_OK(&fx, frac);
  ASSERT_DBL_EQ(5.0 / 9.0, fx.vals[2].u.d, 1e-15);
  free(frac);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(one_megabyte_records) {
  static const eddy_field_t f[] = {{"a", T_INT}, {"s", T_STR}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 2);
  size_t mb = 1 << 20;
  char *skipped = repeat("{\"zz\":\"", 'x', mb, "\",\"a\":5}");
  ASSERT_DECODE_OK(&fx, skipped);
  ASSERT_INTV(5, fx.vals[0]);
  free(skipped);
  char *wanted = repeat("{\"a\":6,\"s\":\"", 'y', mb, "\"}");
  ASSERT_DECODE_OK(&fx, wanted);
  ASSERT_EQ(mb, fx.vals[1].len);
  ASSERT_TRUE(fx.vals[1].u.s == fx.copy + 12); /* borrowed, not copied */
  free(wanted);
  char *cut = repeat("{\"a\":6,\"s\":\"", 'y', mb, ""); /* truncated 1 MB string */
  ASSERT_DECODE_ERR(&fx, cut, "invalid JSON at byte 11: unterminated string");
  free(cut);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(every_truncation_of_an_event_is_an_error) {
  static const eddy_field_t f[] = {{"op", T_STR}, {"after.id", T_INT}, {"after.total_amount", T_DEC(10, 2)}};
  fx_t fx;
  size_t len;
  char *json = fx_read_file("debezium/orders_update_schemas_on.json", &len);
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 3);
  ASSERT_DECODE_OK(&fx, json);
  for (size_t cut = 1; cut < len; cut++) {
    int rc = fx_decode_n(&fx, json, cut);
    if (rc != EDDY_EDECODE)
      eddy_test_fail(__FILE__, __LINE__, "prefix of %zu bytes: rc %d", cut, rc);
  }
  fx_close(&fx);
  free(json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(decode_reports_arena_exhaustion) {
  static const eddy_field_t f[] = {{"s", T_STR}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_JSON, f, 1);
  char *json = repeat("{\"s\":\"\\n", 'z', 100000, "\"}"); /* escaped: copied into the arena */
  size_t len = strlen(json);
  bool failed = false;
  for (long nth = 1; nth < 10; nth++) {
    eddy_arena_t *arena = eddy_arena_new(64);
    eddy_error_t *err = NULL;
    eddy_alloc_fail_after(nth);
    int rc = eddy_decoder_decode(fx.dec, json, len, fx.vals, arena, &err);
    eddy_alloc_fail_after(0);
    if (rc == 0) {
      ASSERT_EQ(100001, fx.vals[0].len);
      ASSERT_EQ('\n', fx.vals[0].u.s[0]);
      eddy_arena_destroy(arena);
      break;
    }
    failed = true;
    ASSERT_EQ(EDDY_ENOMEM, rc);
    ASSERT_STR_EQ("out of memory decoding a record", err->msg);
    eddy_error_destroy(err);
    eddy_arena_destroy(arena);
  }
  ASSERT_TRUE(failed);
  free(json);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}
