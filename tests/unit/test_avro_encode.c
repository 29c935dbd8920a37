/*
 * The Avro encoder: the schema it derives from a row layout, the exact
 * bytes it writes (computed by hand from the Avro specification), every
 * written record read back by avro-c's reader, a seeded random round trip
 * through the decoder, and the errors.
 */
#include <avro.h>

#include "eddy_test.h"
#include "serde/avro.h"
#include "test_serde_fixture.h"

static const eddy_type_t str_t = T_STR;

static eddy_avro_encoder_t *encoder(const eddy_field_t *f, uint32_t cnt, eddy_fields_t *layout,
                                    int id) {
  *layout = (eddy_fields_t){cnt, f};
  eddy_avro_encoder_conf_t conf = {.topic = "orders.out", .layout = layout, .schema_id = id};
  eddy_avro_encoder_t *enc = NULL;
  eddy_error_t *err = NULL;
  if (eddy_avro_encoder_new(&enc, &conf, NULL, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "encoder: %s", eddy_error_msg(err));
  return enc;
}

static void assert_bytes(const uint8_t *expected, size_t n, const eddy_buf_t *b) {
  if (b->len != n || memcmp(b->p, expected, n) != 0) {
    char got[512] = "";
    for (size_t i = 0; i < b->len && i < 100; i++)
      snprintf(got + strlen(got), sizeof(got) - strlen(got), "%02x ", (uint8_t)b->p[i]);
    eddy_test_fail(__FILE__, __LINE__, "bytes differ (%zu vs %zu): %s", n, b->len, got);
  }
}

/* avro-c reads exactly the datum after the 5-byte prefix. */
static void assert_avroc_reads(const char *schema, const eddy_buf_t *b) {
  avro_schema_t s = NULL;
  if (avro_schema_from_json_length(schema, strlen(schema), &s) != 0)
    eddy_test_fail(__FILE__, __LINE__, "avro-c: %s", avro_strerror());
  avro_value_iface_t *iface = avro_generic_class_from_schema(s);
  avro_value_t v;
  ASSERT_OK(avro_generic_value_new(iface, &v));
  avro_reader_t r = avro_reader_memory(b->p + 5, (int64_t)(b->len - 5));
  if (avro_value_read(r, &v) != 0)
    eddy_test_fail(__FILE__, __LINE__, "avro-c cannot read it: %s", avro_strerror());
  char more;
  ASSERT_NE(0, avro_read(r, &more, 1));
  avro_reader_free(r);
  avro_value_decref(&v);
  avro_value_iface_decref(iface);
  avro_schema_decref(s);
}

EDDY_TEST(avro_encoder_schema_and_bytes) {
  static const eddy_field_t f[] = {
    {"id", T_INT}, {"after.amount", T_DEC(10, 2)}, {"after.at", T_TS},
    {"tags", {.kind = EDDY_T_ARRAY, .elem = &str_t}}};
  eddy_fields_t layout;
  eddy_avro_encoder_t *enc = encoder(f, 4, &layout, 5);
  ASSERT_STR_EQ(
    "{\"type\":\"record\",\"name\":\"orders_out\",\"namespace\":\"eddy\",\"fields\":["
    "{\"name\":\"id\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"after\",\"type\":{\"type\":\"record\",\"name\":\"orders_out_after\",\"fields\":["
    "{\"name\":\"amount\",\"type\":[\"null\",{\"type\":\"bytes\",\"logicalType\":\"decimal\","
    "\"precision\":10,\"scale\":2}],\"default\":null},"
    "{\"name\":\"at\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}],"
    "\"default\":null}]}},"
    "{\"name\":\"tags\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",\"string\"]}],"
    "\"default\":null}]}",
    eddy_avro_encoder_schema(enc));
  ASSERT_EQ(5, eddy_avro_encoder_id(enc));
  eddy_value_t tags[] = {eddy_string("a", 1), eddy_null()};
  eddy_value_t vals[] = {eddy_int(1), eddy_decimal(125, 1), eddy_null(),
                         {.kind = EDDY_T_ARRAY, .len = 2, .u.items = tags}};
  eddy_row_t row = {.layout = &layout, .vals = vals};
  eddy_buf_t out = {0};
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_avro_encode_row(enc, &row, &out, &err));
  static const uint8_t expected[] = {
    0x00, 0x00, 0x00, 0x00, 0x05,    /* magic, id 5 */
    0x02, 0x02,                      /* id: branch 1, long 1 */
    0x02, 0x04, 0x04, 0xe2,          /* amount: branch 1, 2 bytes, 1250 (12.5 at scale 2) */
    0x00,                            /* at: null */
    0x02, 0x04, 0x02, 0x02, 'a', 0x00, 0x00}; /* tags: 2 items ("a", null), end */
  assert_bytes(expected, sizeof(expected), &out);
  assert_avroc_reads(eddy_avro_encoder_schema(enc), &out);
  /* Appends: a second row follows the first. */
  ASSERT_OK(eddy_avro_encode_row(enc, &row, &out, &err));
  ASSERT_EQ(2 * sizeof(expected), out.len);
  eddy_buf_free(&out);
  eddy_avro_encoder_destroy(enc);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_encoder_decimal_bytes_are_minimal_twos_complement) {
  static const struct { int64_t v; uint8_t b[3]; size_t n; } vec[] = {
    {0, {0x00}, 1}, {1, {0x01}, 1}, {-1, {0xff}, 1}, {127, {0x7f}, 1}, {128, {0x00, 0x80}, 2},
    {-128, {0x80}, 1}, {-129, {0xff, 0x7f}, 2}, {1250, {0x04, 0xe2}, 2},
    {-12800, {0xce, 0x00}, 2}, {32768, {0x00, 0x80, 0x00}, 3}};
  static const eddy_field_t f[] = {{"d", T_DEC(38, 0)}};
  eddy_fields_t layout;
  eddy_avro_encoder_t *enc = encoder(f, 1, &layout, 1);
  eddy_error_t *err = NULL;
  for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
    eddy_value_t v = eddy_decimal(vec[i].v, 0);
    eddy_row_t row = {.layout = &layout, .vals = &v};
    eddy_buf_t out = {0};
    ASSERT_OK(eddy_avro_encode_row(enc, &row, &out, &err));
    ASSERT_EQ(5 + 1 + 1 + vec[i].n, out.len);
    ASSERT_EQ(2 * vec[i].n, (uint8_t)out.p[6]); /* zigzag length */
    ASSERT_EQ(0, memcmp(out.p + 7, vec[i].b, vec[i].n));
    eddy_buf_free(&out);
  }
  /* 38 nines: 16 bytes */
  eddy_value_t big = eddy_decimal(eddy_decimal_pow10(38) - 1, 0);
  eddy_row_t row = {.layout = &layout, .vals = &big};
  eddy_buf_t out = {0};
  ASSERT_OK(eddy_avro_encode_row(enc, &row, &out, &err));
  ASSERT_EQ(5 + 1 + 1 + 16, out.len);
  eddy_buf_free(&out);
  eddy_avro_encoder_destroy(enc);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_encoder_errors_leave_out_unchanged) {
  static const eddy_field_t f[] = {{"n", T_INT}, {"d", T_DEC(4, 2)}};
  eddy_fields_t layout;
  eddy_avro_encoder_t *enc = encoder(f, 2, &layout, 9);
  eddy_value_t vals[] = {eddy_int(1), eddy_decimal(12345, 2)};
  eddy_row_t row = {.layout = &layout, .vals = vals};
  eddy_buf_t out = {0};
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_buf_puts(&out, "keep"));
  ASSERT_EQ(EDDY_EINVAL, eddy_avro_encode_row(enc, &row, &out, &err));
  ASSERT_STR_EQ("d: cannot write a decimal value as decimal(4,2): beyond the declared precision",
                err->msg);
  ASSERT_EQ(4, out.len);
  eddy_error_destroy(err);
  err = NULL;
  vals[1] = eddy_decimal(1, 0);
  vals[0] = eddy_string("x", 1);
  ASSERT_EQ(EDDY_EINVAL, eddy_avro_encode_row(enc, &row, &out, &err));
  ASSERT_STR_EQ("n: cannot write a string value as int", err->msg);
  ASSERT_EQ(4, out.len);
  eddy_error_destroy(err);
  err = NULL;
  eddy_buf_free(&out);
  eddy_avro_encoder_destroy(enc);
  /* construction */
  static const eddy_field_t clash[] = {{"a", T_INT}, {"a.b", T_INT}};
  layout = (eddy_fields_t){2, clash};
  eddy_avro_encoder_conf_t conf = {.topic = "t", .layout = &layout, .schema_id = 1};
  ASSERT_EQ(EDDY_EINVAL, eddy_avro_encoder_new(&enc, &conf, NULL, &err));
  ASSERT_STR_EQ("avro encoder: column 'a.b' clashes with another column's name", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  static const eddy_field_t sanitised[] = {{"a-b", T_INT}, {"a_b", T_INT}};
  layout = (eddy_fields_t){2, sanitised};
  ASSERT_EQ(EDDY_EINVAL, eddy_avro_encoder_new(&enc, &conf, NULL, &err));
  ASSERT_TRUE(strstr(err->msg, "the layout makes no valid Avro schema") != NULL);
  eddy_error_destroy(err);
  err = NULL;
  conf.schema_id = 0;
  ASSERT_EQ(EDDY_EINVAL, eddy_avro_encoder_new(&enc, &conf, NULL, &err));
  ASSERT_STR_EQ("avro encoder: writing Avro to 't' needs a schema registry "
                "(schema.registry.url)", err->msg);
  eddy_error_destroy(err);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- round trip ---------------------------------------------------------------------- */

__extension__ typedef unsigned __int128 u128_t;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static eddy_value_t random_value(const eddy_type_t *t, eddy_arena_t *a, int depth);

static eddy_value_t random_string(eddy_arena_t *a) {
  static const char *const pieces[] = {"a", "Z", "\xc3\xa9", "\xe2\x82\xac", " ", "\"", "\\", "0"};
  uint32_t n = (uint32_t)(rnd() % 12), len = 0;
  char *s = eddy_arena_alloc(a, n * 3 + 1);
  for (uint32_t i = 0; i < n; i++) {
    const char *p = pieces[rnd() % 8];
    memcpy(s + len, p, strlen(p));
    len += (uint32_t)strlen(p);
  }
  return eddy_string(s, len);
}

static eddy_value_t random_items(const eddy_type_t *t, eddy_arena_t *a, int depth) {
  uint32_t n = t->kind == EDDY_T_STRUCT ? t->fields->cnt : (uint32_t)(rnd() % 5);
  eddy_value_t *items = eddy_arena_calloc(a, n ? n : 1, sizeof(*items));
  for (uint32_t i = 0; i < n; i++)
    items[i] = random_value(t->kind == EDDY_T_STRUCT ? &t->fields->items[i].type : t->elem, a,
                            depth + 1);
  eddy_value_t v = {.kind = t->kind, .len = n};
  v.u.items = items;
  return v;
}

static eddy_value_t random_value(const eddy_type_t *t, eddy_arena_t *a, int depth) {
  if (rnd() % 5 == 0)
    return eddy_null();
  int64_t i = (int64_t)rnd() >> (rnd() % 64);
  switch (t->kind) {
  case EDDY_T_BOOL: return eddy_bool(rnd() & 1);
  case EDDY_T_INT: return eddy_int(i);
  case EDDY_T_DOUBLE: return eddy_double((double)i / 7.0);
  case EDDY_T_STRING: return random_string(a);
  case EDDY_T_BYTES: {
    eddy_value_t s = random_string(a);
    return eddy_bytes((const uint8_t *)s.u.s, s.len);
  }
  case EDDY_T_DECIMAL: {
    u128_t lim = (u128_t)eddy_decimal_pow10(t->precision);
    eddy_i128 u = (eddy_i128)(((u128_t)rnd() << 64 | rnd()) % lim);
    return eddy_decimal(rnd() & 1 ? -u : u, t->scale);
  }
  case EDDY_T_TIMESTAMP: return eddy_timestamp(i);
  case EDDY_T_DURATION: return eddy_duration(i);
  default: return depth > 3 ? eddy_null() : random_items(t, a, depth);
  }
}

static bool same(const eddy_value_t *a, const eddy_value_t *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case EDDY_T_NULL: return true;
  case EDDY_T_BOOL: return a->u.b == b->u.b;
  case EDDY_T_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
  case EDDY_T_DECIMAL: return a->scale == b->scale && a->u.dec == b->u.dec;
  case EDDY_T_STRING:
  case EDDY_T_BYTES: return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
  case EDDY_T_ARRAY:
  case EDDY_T_STRUCT:
    if (a->len != b->len)
      return false;
    for (uint32_t i = 0; i < a->len; i++)
      if (!same(&a->u.items[i], &b->u.items[i]))
        return false;
    return true;
  default: return a->u.i == b->u.i;
  }
}

EDDY_TEST(avro_encode_decode_round_trip) {
  static const eddy_type_t dec_t = T_DEC(18, 4);
  static const eddy_field_t addr_f[] = {{"city", T_STR}, {"zip", T_INT}, {"amounts",
                                         {.kind = EDDY_T_ARRAY, .elem = &dec_t}}};
  static const eddy_fields_t addr = {3, addr_f};
  static const eddy_type_t addr_t = {.kind = EDDY_T_STRUCT, .fields = &addr};
  static const eddy_field_t f[] = {
    {"id", T_INT}, {"name", T_STR}, {"amount", T_DEC(10, 2)}, {"price", T_DBL},
    {"ok", T_BOOL}, {"at", T_TS}, {"took", T_DUR}, {"blob", T_BYTES},
    {"tags", {.kind = EDDY_T_ARRAY, .elem = &str_t}}, {"addr", addr_t},
    {"after.x", T_INT}, {"after.y", T_DEC(38, 0)}, {"after.deep.z", T_STR},
    {"homes", {.kind = EDDY_T_ARRAY, .elem = &addr_t}}};
  enum { N = sizeof(f) / sizeof(f[0]) };
  eddy_fields_t layout;
  eddy_avro_encoder_t *enc = encoder(f, N, &layout, 42);
  eddy_sr_schema_t *schema = NULL;
  eddy_error_t *err = NULL;
  const char *text = eddy_avro_encoder_schema(enc);
  ASSERT_OK(eddy_sr_schema_parse(&schema, text, strlen(text), &err));
  eddy_decode_spec_t spec = {.format = EDDY_FMT_AVRO, .layout = &layout};
  eddy_avro_decoder_t *dec = NULL;
  ASSERT_OK(eddy_avro_decoder_new(&dec, &spec, NULL, &err));
  ASSERT_OK(eddy_avro_decoder_add_schema(dec, 42, schema, &err));
  eddy_arena_t *a = eddy_arena_new(1 << 16);
  eddy_buf_t out = {0};
  for (int round = 0; round < 2000; round++) {
    eddy_value_t vals[N], got[N];
    for (int i = 0; i < N; i++)
      vals[i] = random_value(&f[i].type, a, 0);
    eddy_row_t row = {.layout = &layout, .vals = vals};
    eddy_buf_clear(&out);
    ASSERT_OK(eddy_avro_encode_row(enc, &row, &out, &err));
    if (round < 200)
      assert_avroc_reads(text, &out);
    if (eddy_avro_decoder_decode(dec, out.p, out.len, got, a, &err) != 0)
      eddy_test_fail(__FILE__, __LINE__, "round %d: %s", round, eddy_error_msg(err));
    for (int i = 0; i < N; i++)
      if (!same(&vals[i], &got[i]))
        eddy_test_fail(__FILE__, __LINE__, "round %d: column %s differs", round, f[i].name);
    eddy_arena_reset(a);
  }
  eddy_buf_free(&out);
  eddy_arena_destroy(a);
  eddy_avro_decoder_destroy(dec);
  eddy_sr_schema_destroy(schema);
  eddy_avro_encoder_destroy(enc);
  EDDY_ASSERT_NO_LEAKS();
}
