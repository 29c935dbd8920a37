/*
 * JSON and key encoders, base64: exact outputs for hand-checked cases,
 * escaping checked against cJSON (an independent parser), and round trips
 * (encode, then decode with the JSON decoder) over random rows.
 */
#include <cJSON.h>
#include <math.h>

#include "test_serde_fixture.h"

static const char *encode_value(const eddy_value_t *v, eddy_buf_t *b) {
  b->len = 0;
  ASSERT_OK(eddy_encode_json_value(v, b));
  return eddy_buf_cstr(b);
}

/* ---- base64 ------------------------------------------------------------ */

EDDY_TEST(base64_rfc4648_vectors) {
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  eddy_buf_t b = {0};
  for (int i = 0; i < 7; i++) {
    b.len = 0;
    ASSERT_OK(eddy_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), &b));
    ASSERT_MEM_EQ(coded[i], b.p ? b.p : "", b.len);
    b.len = 0;
    ASSERT_OK(eddy_base64_decode(coded[i], strlen(coded[i]), &b));
    ASSERT_MEM_EQ(plain[i], b.p ? b.p : "", b.len);
  }
  static const char *const bad[] = {"Zg=", "Zg", "Z===", "====", "Zm9v YmFy", "Zm9v\n", "Zg=a",
                                    "Zm-v", "Zm_v", "Z\xc3\xa9=", "=Zg="};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    b.len = 0;
    ASSERT_EQ(EDDY_EDECODE, eddy_base64_decode(bad[i], strlen(bad[i]), &b));
    ASSERT_EQ(0, b.len);
  }
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(base64_round_trips_every_byte_and_length) {
  uint8_t data[300];
  eddy_buf_t enc = {0}, dec = {0};
  for (int i = 0; i < 300; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  for (size_t len = 0; len <= 300; len++) {
    enc.len = dec.len = 0;
    ASSERT_OK(eddy_base64_encode(data, len, &enc));
    ASSERT_EQ((len + 2) / 3 * 4, enc.len);
    ASSERT_OK(eddy_base64_decode(enc.p, enc.len, &dec));
    ASSERT_EQ(len, dec.len);
    ASSERT_TRUE(len == 0 || memcmp(data, dec.p, len) == 0);
  }
  eddy_buf_free(&enc);
  eddy_buf_free(&dec);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- values and escaping ----------------------------------------------- */

EDDY_TEST(json_value_encoding_rules) {
  eddy_buf_t b = {0};
  eddy_value_t v = eddy_decimal(1250, 2);
  ASSERT_STR_EQ("12.50", encode_value(&v, &b));
  v = eddy_decimal(-5, 2);
  ASSERT_STR_EQ("-0.05", encode_value(&v, &b));
  v = eddy_int(INT64_MIN);
  ASSERT_STR_EQ("-9223372036854775808", encode_value(&v, &b));
  v = eddy_double(0.1);
  ASSERT_STR_EQ("0.1", encode_value(&v, &b));
  v = eddy_double(1.0 / 3.0);
  ASSERT_STR_EQ("0.3333333333333333", encode_value(&v, &b));
  v = eddy_double(0.1 + 0.2); /* needs all 17 digits */
  ASSERT_STR_EQ("0.30000000000000004", encode_value(&v, &b));
  v = eddy_double(1e21);
  ASSERT_STR_EQ("1e+21", encode_value(&v, &b));
  v = eddy_double(NAN);
  ASSERT_STR_EQ("\"NaN\"", encode_value(&v, &b));
  v = eddy_double(-INFINITY);
  ASSERT_STR_EQ("\"-Infinity\"", encode_value(&v, &b));
  v = eddy_timestamp(INT64_C(1710066896789000));
  ASSERT_STR_EQ("\"2024-03-10T10:34:56.789Z\"", encode_value(&v, &b));
  v = eddy_duration(1500 * EDDY_MSEC);
  ASSERT_STR_EQ("1500", encode_value(&v, &b));
  v = eddy_bytes((const uint8_t *)"\xde\xad\xbe\xef", 4);
  ASSERT_STR_EQ("\"3q2+7w==\"", encode_value(&v, &b));
  v = eddy_bool(false);
  ASSERT_STR_EQ("false", encode_value(&v, &b));
  v = eddy_null();
  ASSERT_STR_EQ("null", encode_value(&v, &b));
  eddy_value_t items[2] = {eddy_int(1), eddy_string("x", 1)};
  v = (eddy_value_t){.kind = EDDY_T_ARRAY, .len = 2};
  v.u.items = items;
  ASSERT_STR_EQ("[1,\"x\"]", encode_value(&v, &b));
  v.kind = EDDY_T_STRUCT; /* without its type a struct is an array of its values */
  ASSERT_STR_EQ("[1,\"x\"]", encode_value(&v, &b));
  static const eddy_field_t sf[] = {{"id", T_INT}, {"name", T_STR}};
  static const eddy_fields_t sfs = {2, sf};
  eddy_type_t st = {.kind = EDDY_T_STRUCT, .fields = &sfs};
  b.len = 0;
  ASSERT_OK(eddy_encode_json_typed(&v, &st, &b));
  ASSERT_STR_EQ("{\"id\":1,\"name\":\"x\"}", eddy_buf_cstr(&b));
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(json_string_escaping) {
  static const char in[] = "a\x01\x1f\"\\/\n\r\t\b\f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f"
                           " \xff \xc3 \xed\xa0\x80!";
  eddy_buf_t b = {0};
  eddy_value_t v = eddy_string(in, sizeof(in) - 1);
  const char *out = encode_value(&v, &b);
  ASSERT_STR_EQ("\"a\\u0001\\u001f\\\"\\\\/\\n\\r\\t\\b\\f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f"
                " \\ufffd \\ufffd \\ufffd\\ufffd\\ufffd!\"", out);
  /* An independent parser reads back the same characters, U+FFFD for bad bytes. */
  cJSON *j = cJSON_Parse(out);
  ASSERT_TRUE(cJSON_IsString(j));
  ASSERT_STR_EQ("a\x01\x1f\"\\/\n\r\t\b\f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f"
                " \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!",
                j->valuestring);
  cJSON_Delete(j);
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- rows -------------------------------------------------------------- */

EDDY_TEST(json_row_dotted_names_nest) {
  static const eddy_field_t f[] = {
    {"a", T_INT}, {"b.x", T_STR}, {"b.y", T_BOOL}, {"c.d.e", T_DEC(10, 2)}, {"c.d.f", T_STR},
    {"c.g", T_TS}, {"h", T_DUR}, {"b.z", T_INT}, {"we\"ird.k\ney", T_INT},
  };
  static const eddy_fields_t layout = {9, f};
  eddy_value_t vals[9] = {
    eddy_int(1), eddy_string("s", 1), eddy_bool(true), eddy_decimal(1250, 2), eddy_null(),
    eddy_timestamp(INT64_C(1710066896789000)), eddy_duration(1500000), eddy_int(3), eddy_int(4),
  };
  eddy_row_t row = {.layout = &layout, .vals = vals};
  eddy_buf_t b = {0};
  ASSERT_OK(eddy_buf_puts(&b, "prefix:")); /* encoders append */
  ASSERT_OK(eddy_encode_json(&row, &b));
  ASSERT_STR_EQ("prefix:{\"a\":1,\"b\":{\"x\":\"s\",\"y\":true},\"c\":{\"d\":{\"e\":12.50,"
                "\"f\":null},\"g\":\"2024-03-10T10:34:56.789Z\"},\"h\":1500,\"b\":{\"z\":3},"
                "\"we\\\"ird\":{\"k\\ney\":4}}",
                eddy_buf_cstr(&b));
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(key_encoding) {
  eddy_buf_t b = {0};
  eddy_value_t v = eddy_string("user-1", 6);
  ASSERT_OK(eddy_buf_puts(&b, "old contents"));
  ASSERT_OK(eddy_encode_key(&v, &b)); /* a key replaces the buffer */
  ASSERT_MEM_EQ("user-1", b.p, b.len);
  v = eddy_int(-42);
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_MEM_EQ("-42", b.p, b.len);
  v = eddy_decimal(-5, 2);
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_MEM_EQ("-0.05", b.p, b.len);
  v = eddy_double(0.25);
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_MEM_EQ("0.25", b.p, b.len);
  v = eddy_timestamp(0);
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_MEM_EQ("1970-01-01T00:00:00Z", b.p, b.len);
  v = eddy_bytes((const uint8_t *)"\x00\x01", 2);
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_EQ(2, b.len);
  ASSERT_TRUE(memcmp(b.p, "\x00\x01", 2) == 0);
  v = eddy_bool(true);
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_MEM_EQ("true", b.p, b.len);
  eddy_value_t items[2] = {eddy_int(1), eddy_string("a\"", 2)};
  v = (eddy_value_t){.kind = EDDY_T_ARRAY, .len = 2};
  v.u.items = items;
  ASSERT_OK(eddy_encode_key(&v, &b));
  ASSERT_MEM_EQ("[1,\"a\\\"\"]", b.p, b.len);
  v = eddy_null();
  ASSERT_EQ(EDDY_ENOENT, eddy_encode_key(&v, &b));
  ASSERT_EQ(0, b.len);
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- round trips ------------------------------------------------------- */

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* A random valid UTF-8 string: ASCII (controls included), 2-, 3- and 4-byte characters. */
static size_t random_utf8(char *out, size_t max_chars) {
  size_t n = 0, chars = rnd() % (max_chars + 1);
  for (size_t i = 0; i < chars; i++) {
    uint32_t cp;
    switch (rnd() % 4) {
    case 0: cp = (uint32_t)(rnd() % 0x80); break;
    case 1: cp = 0x80 + (uint32_t)(rnd() % (0x800 - 0x80)); break;
    case 2:
      do
        cp = 0x800 + (uint32_t)(rnd() % (0x10000 - 0x800));
      while (cp >= 0xd800 && cp <= 0xdfff);
      break;
    default: cp = 0x10000 + (uint32_t)(rnd() % (0x110000 - 0x10000)); break;
    }
    if (cp < 0x80) {
      out[n++] = (char)cp;
    } else if (cp < 0x800) {
      out[n++] = (char)(0xc0 | cp >> 6);
      out[n++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out[n++] = (char)(0xe0 | cp >> 12);
      out[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
      out[n++] = (char)(0x80 | (cp & 0x3f));
    } else {
      out[n++] = (char)(0xf0 | cp >> 18);
      out[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
      out[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
      out[n++] = (char)(0x80 | (cp & 0x3f));
    }
  }
  return n;
}

static double random_double(void) {
  double d;
  do {
    uint64_t bits = rnd();
    memcpy(&d, &bits, sizeof(d));
  } while (!isfinite(d));
  return d;
}

static const eddy_type_t int_type = T_INT;
static const eddy_field_t pt_fields[] = {{"x", T_INT}, {"label", T_STR}};
static const eddy_fields_t pt = {2, pt_fields};
enum { R_ID, R_NAME, R_AMOUNT, R_RATIO, R_OK, R_BLOB, R_TS, R_DUR, R_NUMS, R_PT, R_NOTE, R_CNT };
static const eddy_field_t rt_fields[R_CNT] = {
  [R_ID] = {"id", T_INT},
  [R_NAME] = {"user.name", T_STR},
  [R_AMOUNT] = {"user.amount", T_DEC(38, 6)},
  [R_RATIO] = {"ratio", T_DBL},
  [R_OK] = {"flags.ok", T_BOOL},
  [R_BLOB] = {"blob", T_BYTES},
  [R_TS] = {"at", T_TS},
  [R_DUR] = {"took", {.kind = EDDY_T_DURATION, .scale = 3}},
  [R_NUMS] = {"nums", {.kind = EDDY_T_ARRAY, .elem = &int_type}},
  [R_PT] = {"pt", {.kind = EDDY_T_STRUCT, .fields = &pt}},
  [R_NOTE] = {"flags.note", T_STR},
};

static void same_value(const eddy_value_t *a, const eddy_value_t *b, const char *what) {
  if (a->kind != b->kind)
    eddy_test_fail(__FILE__, __LINE__, "%s: kind %d != %d", what, a->kind, b->kind);
  switch (a->kind) {
  case EDDY_T_STRING:
  case EDDY_T_BYTES:
    ASSERT_EQ(a->len, b->len);
    ASSERT_TRUE(a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
    break;
  case EDDY_T_DOUBLE:
    ASSERT_TRUE(memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0);
    break;
  case EDDY_T_DECIMAL:
    ASSERT_EQ(a->scale, b->scale);
    ASSERT_TRUE(a->u.dec == b->u.dec);
    break;
  case EDDY_T_BOOL:
    ASSERT_EQ(a->u.b, b->u.b);
    break;
  case EDDY_T_ARRAY:
  case EDDY_T_STRUCT:
    ASSERT_EQ(a->len, b->len);
    for (uint32_t i = 0; i < a->len; i++)
      same_value(&a->u.items[i], &b->u.items[i], what);
    break;
  case EDDY_T_NULL:
    break;
  default:
    ASSERT_EQ(a->u.i, b->u.i);
  }
}

EDDY_TEST(json_round_trip_random_rows) {
  static const eddy_fields_t layout = {R_CNT, rt_fields};
  fx_t fx;
  eddy_buf_t out = {0};
  char name[4 * 40], note[4 * 40], note2[4 * 10];
  uint8_t blob[32];
  eddy_value_t nums[5], pt_items[2];
  fx_open(&fx, EDDY_FMT_JSON, rt_fields, R_CNT);
  for (int it = 0; it < 3000; it++) {
    eddy_value_t vals[R_CNT];
    eddy_i128 amount = (eddy_i128)(int64_t)rnd() * (int64_t)(rnd() % 1000000000000LL);
    for (size_t i = 0; i < sizeof(blob); i++)
      blob[i] = (uint8_t)rnd();
    for (int i = 0; i < 5; i++)
      nums[i] = rnd() % 5 ? eddy_int((int64_t)rnd()) : eddy_null();
    pt_items[0] = eddy_int((int64_t)(rnd() % 1000) - 500);
    pt_items[1] = eddy_string(note, random_utf8(note, 3));
    vals[R_ID] = eddy_int((int64_t)rnd());
    vals[R_NAME] = eddy_string(name, random_utf8(name, 40));
    vals[R_AMOUNT] = eddy_decimal(amount, 6);
    vals[R_RATIO] = eddy_double(random_double());
    vals[R_OK] = eddy_bool(rnd() & 1);
    vals[R_BLOB] = eddy_bytes(blob, rnd() % sizeof(blob));
    vals[R_TS] = eddy_timestamp((int64_t)(rnd() % (INT64_C(400) * 365 * EDDY_DAY)) -
                                INT64_C(100) * 365 * EDDY_DAY);
    vals[R_DUR] = eddy_duration((int64_t)(rnd() % 100000000) * EDDY_MSEC);
    vals[R_NUMS] = (eddy_value_t){.kind = EDDY_T_ARRAY, .len = (uint32_t)(rnd() % 6)};
    vals[R_NUMS].u.items = nums;
    vals[R_PT] = (eddy_value_t){.kind = EDDY_T_STRUCT, .len = 2};
    vals[R_PT].u.items = pt_items;
    vals[R_NOTE] = rnd() % 3 ? eddy_string(note2, random_utf8(note2, 10)) : eddy_null();
    eddy_row_t row = {.layout = &layout, .vals = vals};
    out.len = 0;
    ASSERT_OK(eddy_encode_json(&row, &out));
    cJSON *check = cJSON_ParseWithLength(out.p, out.len); /* well-formed for another parser */
    ASSERT_TRUE(check != NULL);
    cJSON_Delete(check);
    if (fx_decode_n(&fx, out.p, out.len) != 0)
      eddy_test_fail(__FILE__, __LINE__, "%s: %.*s", eddy_error_msg(fx.err), (int)out.len, out.p);
    for (int f = 0; f < R_CNT; f++)
      same_value(&vals[f], &fx.vals[f], rt_fields[f].name);
  }
  fx_close(&fx);
  eddy_buf_free(&out);
  EDDY_ASSERT_NO_LEAKS();
}
