/*
 * Random mutations of valid Avro records (a Debezium envelope built by hand
 * and rows written by the encoder) fed to the decoder with typed, untyped
 * and partial layouts: every outcome is a row or EDDY_EDECODE with a
 * message, never a crash, a hang or a read outside the record (run it under
 * AddressSanitizer: each record sits in a buffer of exactly its size).
 * Seeded, so a failure replays.
 */
#include "eddy_test.h"
#include "serde/avro.h"
#include "test_serde_fixture.h"

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

typedef struct {
  uint8_t b[2048];
  size_t n;
} av_t;

static void av_raw(av_t *a, const void *p, size_t n) {
  memcpy(a->b + a->n, p, n);
  a->n += n;
}

static void av_long(av_t *a, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0);
  for (; z >= 0x80; z >>= 7)
    a->b[a->n++] = (uint8_t)(z | 0x80);
  a->b[a->n++] = (uint8_t)z;
}

static void av_str(av_t *a, const char *s) {
  av_long(a, (int64_t)strlen(s));
  av_raw(a, s, strlen(s));
}

#define ENVELOPE                                                                         \
  "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"db.orders\",\"fields\":["  \
  "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\",\"fields\":[" \
  "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":{\"type\":\"bytes\","  \
  "\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}},"                          \
  "{\"name\":\"status\",\"type\":[\"null\",\"string\"]},"                                \
  "{\"name\":\"at\",\"type\":{\"type\":\"long\",\"connect.name\":\"io.debezium.time.MicroTimestamp\"}}," \
  "{\"name\":\"zoned\",\"type\":[\"null\",{\"type\":\"string\",\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}]}," \
  "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"             \
  "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"double\"]}},"   \
  "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"K\",\"symbols\":[\"A\",\"B\"]}}," \
  "{\"name\":\"code\",\"type\":{\"type\":\"fixed\",\"name\":\"C\",\"size\":3}}]}]},"     \
  "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"                                 \
  "{\"name\":\"op\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]}]}"

static void put_value(av_t *a, int64_t id) {
  static const uint8_t amount[] = {0x04, 0xe2};
  av_long(a, id);
  av_long(a, 2);
  av_raw(a, amount, 2);
  av_long(a, 1);
  av_str(a, "completed");
  av_long(a, 1710066896789123);
  av_long(a, 1);
  av_str(a, "2024-03-10T12:34:56.789+02:00");
  av_long(a, -2); /* a sized block of 2 tags */
  av_long(a, 4);
  av_str(a, "x");
  av_str(a, "y");
  av_long(a, 0);
  av_long(a, 1);
  av_str(a, "w");
  av_long(a, 1);
  av_raw(a, "\0\0\0\0\0\0\xf8\x3f", 8); /* 1.5 */
  av_long(a, 0);
  av_long(a, 1);
  av_raw(a, "abc", 3);
}

static void envelope(av_t *a) {
  uint8_t head[5] = {0, 0, 0, 0, 1};
  a->n = 0;
  av_raw(a, head, 5);
  av_long(a, 1);
  put_value(a, 7);
  av_long(a, 1);
  put_value(a, 8);
  av_str(a, "u");
  av_long(a, 1);
  av_long(a, 1710066896801);
}

static void mutate(av_t *a) {
  int edits = 1 + (int)(rnd() % 4);
  for (int e = 0; e < edits && a->n > 5; e++) {
    size_t at = 5 + rnd() % (a->n - 5);
    switch (rnd() % 6) {
    case 0: a->b[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
    case 1: a->b[at] = (uint8_t)rnd(); break;
    case 2: a->n = at; break; /* truncate */
    case 3:                   /* insert a byte */
      if (a->n < sizeof(a->b)) {
        memmove(a->b + at + 1, a->b + at, a->n - at);
        a->b[at] = (uint8_t)rnd();
        a->n++;
      }
      break;
    case 4: /* delete a byte */
      memmove(a->b + at, a->b + at + 1, a->n - at - 1);
      a->n--;
      break;
    default: a->b[at] = (uint8_t)(rnd() % 2 ? 0x7f : 0xff); break; /* varint extremes */
    }
  }
  if (rnd() % 50 == 0)
    a->b[0] = (uint8_t)rnd(); /* magic */
  if (rnd() % 50 == 0)
    a->b[4] = (uint8_t)rnd(); /* schema id */
}

static const eddy_type_t str_t = T_STR;
static const eddy_field_t attrs_f[] = {{"w", T_DBL}, {"v", T_DBL}};
static const eddy_fields_t attrs = {2, attrs_f};

static const eddy_field_t typed[] = {
  {"op", T_STR}, {"ts_ms", T_TS}, {"after.id", T_INT}, {"after.amount", T_DEC(10, 2)},
  {"after.status", T_STR}, {"after.at", T_TS}, {"after.zoned", T_TS},
  {"after.tags", {.kind = EDDY_T_ARRAY, .elem = &str_t}},
  {"after.attrs", {.kind = EDDY_T_STRUCT, .fields = &attrs}}, {"after.kind", T_STR},
  {"after.code", T_BYTES}, {"before.id", T_INT}, {"before.amount", T_DBL},
  {"before.tags", {.kind = EDDY_T_ARRAY, .elem = &str_t}}};
static const eddy_field_t untyped[] = {
  {"op", T_ANY}, {"after", T_ANY}, {"before.attrs", T_ANY}, {"before.tags", T_ANY},
  {"before.amount", T_ANY}, {"before.zoned", T_ANY}};
static const uint8_t partial[] = {[0] = 1, [2] = 1};

typedef struct {
  eddy_avro_decoder_t *dec;
  eddy_fields_t layout;
  eddy_decode_spec_t spec;
} dec_t;

static void dec_open(dec_t *d, const eddy_field_t *f, uint32_t cnt, const uint8_t *wanted,
                     eddy_format_t fmt, int id, const eddy_sr_schema_t *s) {
  eddy_error_t *err = NULL;
  d->layout = (eddy_fields_t){cnt, f};
  d->spec = (eddy_decode_spec_t){.format = fmt, .layout = &d->layout, .wanted = wanted};
  ASSERT_OK(eddy_avro_decoder_new(&d->dec, &d->spec, NULL, &err));
  ASSERT_OK(eddy_avro_decoder_add_schema(d->dec, id, s, &err));
}

/* Decode a copy of exactly a->n bytes; @returns the outcome after checking the contract. */
static int decode_copy(dec_t *d, const av_t *a, eddy_arena_t *arena) {
  eddy_value_t vals[16];
  eddy_error_t *err = NULL;
  uint8_t *copy = malloc(a->n ? a->n : 1);
  memcpy(copy, a->b, a->n);
  int rc = eddy_avro_decoder_decode(d->dec, copy, a->n, vals, arena, &err);
  if (rc != 0 && rc != EDDY_EDECODE && rc != EDDY_ENOENT)
    eddy_test_fail(__FILE__, __LINE__, "unexpected outcome %d", rc);
  if (rc == EDDY_EDECODE)
    ASSERT_TRUE(err != NULL && err->msg[0] != '\0');
  else
    ASSERT_TRUE(err == NULL);
  eddy_error_destroy(err);
  free(copy);
  eddy_arena_reset(arena);
  return rc;
}

EDDY_TEST(avro_fuzz_mutated_envelopes) {
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_sr_schema_parse(&s, ENVELOPE, strlen(ENVELOPE), &err));
  dec_t decs[3];
  dec_open(&decs[0], typed, sizeof(typed) / sizeof(typed[0]), NULL, EDDY_FMT_DEBEZIUM_AVRO, 1, s);
  dec_open(&decs[1], untyped, sizeof(untyped) / sizeof(untyped[0]), NULL, EDDY_FMT_AVRO, 1, s);
  dec_open(&decs[2], typed, 3, partial, EDDY_FMT_DEBEZIUM_AVRO, 1, s);
  eddy_arena_t *arena = eddy_arena_new(4096);
  av_t base, a;
  envelope(&base);
  for (int i = 0; i < 3; i++) /* the unmutated record is valid for all three */
    ASSERT_EQ(0, decode_copy(&decs[i], &base, arena));
  int outcomes[2] = {0, 0};
  for (int round = 0; round < 300000; round++) {
    a = base;
    mutate(&a);
    int rc = decode_copy(&decs[round % 3], &a, arena);
    outcomes[rc == 0]++;
  }
  /* Both outcomes occur: mutations in skipped or tolerant places still decode. */
  ASSERT_TRUE(outcomes[0] > 1000 && outcomes[1] > 1000);
  for (int i = 0; i < 3; i++)
    eddy_avro_decoder_destroy(decs[i].dec);
  eddy_arena_destroy(arena);
  eddy_sr_schema_destroy(s);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_fuzz_random_bytes) {
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_sr_schema_parse(&s, ENVELOPE, strlen(ENVELOPE), &err));
  dec_t d;
  dec_open(&d, untyped, sizeof(untyped) / sizeof(untyped[0]), NULL, EDDY_FMT_AVRO, 1, s);
  eddy_arena_t *arena = eddy_arena_new(4096);
  av_t a;
  for (int round = 0; round < 100000; round++) {
    uint8_t head[5] = {0, 0, 0, 0, 1};
    a.n = 0;
    av_raw(&a, head, 5);
    size_t n = rnd() % 64;
    for (size_t i = 0; i < n; i++)
      a.b[a.n++] = (uint8_t)(rnd() % 4 == 0 ? rnd() % 4 : rnd());
    decode_copy(&d, &a, arena);
  }
  eddy_avro_decoder_destroy(d.dec);
  eddy_arena_destroy(arena);
  eddy_sr_schema_destroy(s);
  EDDY_ASSERT_NO_LEAKS();
}
