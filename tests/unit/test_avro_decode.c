/*
 * The Avro decoder against payloads built by hand in this file from the
 * Avro specification (zigzag varints, length-prefixed strings, union
 * indexes ...), checked against avro-c's own reader where the payload is
 * meant to be valid: Debezium envelopes (create, update, delete,
 * tombstone), every Avro type, logical types and Debezium semantic names,
 * null unions, schema evolution, and every error class with its message.
 */
#include <avro.h>

#include "eddy_test.h"
#include "serde/avro.h"
#include "test_serde_fixture.h"

/* ---- building payloads by hand ---------------------------------------------------- */

typedef struct {
  uint8_t b[8192];
  size_t n;
} av_t;

static void av_raw(av_t *a, const void *p, size_t n) {
  ASSERT_TRUE(a->n + n <= sizeof(a->b));
  memcpy(a->b + a->n, p, n);
  a->n += n;
}

static void av_byte(av_t *a, uint8_t b) { av_raw(a, &b, 1); }

/* The Confluent prefix: magic 0, then the id as a big-endian int32. */
static void av_start(av_t *a, int id) {
  a->n = 0;
  uint8_t h[5] = {0, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
  av_raw(a, h, 5);
}

/* Avro spec: "int and long values are written using variable-length zig-zag coding". */
static void av_long(av_t *a, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0);
  while (z >= 0x80) {
    av_byte(a, (uint8_t)(z & 0x7f) | 0x80);
    z >>= 7;
  }
  av_byte(a, (uint8_t)z);
}

static void av_bytes(av_t *a, const void *p, size_t n) {
  av_long(a, (int64_t)n);
  av_raw(a, p, n);
}

static void av_str(av_t *a, const char *s) { av_bytes(a, s, strlen(s)); }

static void av_double(av_t *a, double d) {
  uint8_t b[8];
  uint64_t u;
  memcpy(&u, &d, 8);
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(u >> (8 * i));
  av_raw(a, b, 8);
}

static void av_float(av_t *a, float f) {
  uint8_t b[4];
  uint32_t u;
  memcpy(&u, &f, 4);
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(u >> (8 * i));
  av_raw(a, b, 4);
}

/* Does avro-c read exactly these bytes (after the prefix) as one datum of \p schema? */
static void assert_avroc_reads(const char *schema, const av_t *a) {
  avro_schema_t s = NULL;
  if (avro_schema_from_json_length(schema, strlen(schema), &s) != 0)
    eddy_test_fail(__FILE__, __LINE__, "avro-c: %s", avro_strerror());
  avro_value_iface_t *iface = avro_generic_class_from_schema(s);
  avro_value_t v;
  ASSERT_OK(avro_generic_value_new(iface, &v));
  avro_reader_t r = avro_reader_memory((const char *)a->b + 5, (int64_t)(a->n - 5));
  if (avro_value_read(r, &v) != 0)
    eddy_test_fail(__FILE__, __LINE__, "avro-c cannot read the payload: %s", avro_strerror());
  char more;
  ASSERT_NE(0, avro_read(r, &more, 1)); /* the whole payload was the datum */
  avro_reader_free(r);
  avro_value_decref(&v);
  avro_value_iface_decref(iface);
  avro_schema_decref(s);
}

/* ---- the decoder fixture ---------------------------------------------------------- */

typedef struct {
  eddy_fields_t layout;
  eddy_decode_spec_t spec;
  eddy_avro_decoder_t *dec;
  eddy_sr_schema_t *schemas[8];
  int schema_cnt;
  eddy_arena_t *arena;
  eddy_value_t vals[64];
  eddy_error_t *err;
  uint8_t *copy;
  int rc;
} ax_t;

static void ax_open(ax_t *x, eddy_format_t fmt, const eddy_field_t *f, uint32_t cnt,
                    const uint8_t *wanted) {
  memset(x, 0, sizeof(*x));
  x->layout = (eddy_fields_t){cnt, f};
  x->spec = (eddy_decode_spec_t){.format = fmt, .layout = &x->layout, .wanted = wanted};
  ASSERT_OK(eddy_avro_decoder_new(&x->dec, &x->spec, NULL, &x->err));
  x->arena = eddy_arena_new(4096);
}

static void ax_schema(ax_t *x, int id, const char *json) {
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  if (eddy_sr_schema_parse(&s, json, strlen(json), &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "schema: %s", eddy_error_msg(err));
  ASSERT_TRUE(x->schema_cnt < 8);
  x->schemas[x->schema_cnt++] = s;
  ASSERT_OK(eddy_avro_decoder_add_schema(x->dec, id, s, &err));
}

/* Decode \p len bytes copied to an exactly-sized buffer (ASan sees any overread). */
static int ax_decode_n(ax_t *x, const void *p, size_t len) {
  eddy_error_destroy(x->err);
  x->err = NULL;
  free(x->copy);
  x->copy = NULL;
  eddy_arena_reset(x->arena);
  if (p != NULL) {
    x->copy = malloc(len ? len : 1);
    memcpy(x->copy, p, len);
  }
  x->rc = eddy_avro_decoder_decode(x->dec, x->copy, len, x->vals, x->arena, &x->err);
  if (x->rc == EDDY_EDECODE)
    ASSERT_TRUE(x->err != NULL && x->err->msg[0] != '\0');
  else if (x->rc == 0 || x->rc == EDDY_ENOENT)
    ASSERT_TRUE(x->err == NULL);
  return x->rc;
}

static int ax_decode(ax_t *x, const av_t *a) { return ax_decode_n(x, a->b, a->n); }

static void ax_close(ax_t *x) {
  eddy_error_destroy(x->err);
  eddy_avro_decoder_destroy(x->dec);
  for (int i = 0; i < x->schema_cnt; i++)
    eddy_sr_schema_destroy(x->schemas[i]);
  eddy_arena_destroy(x->arena);
  free(x->copy);
}

#define ASSERT_AX_OK(x, a)                                                             \
  do {                                                                                 \
    int rc_ = ax_decode((x), (a));                                                     \
    if (rc_ != 0)                                                                      \
      eddy_test_fail(__FILE__, __LINE__, "decode failed (%d): %s", rc_,                \
                     eddy_error_msg((x)->err));                                        \
  } while (0)

#define ASSERT_AX_ERR(x, a, message)                                                   \
  do {                                                                                 \
    ASSERT_EQ(EDDY_EDECODE, ax_decode((x), (a)));                                      \
    ASSERT_STR_EQ((message), (x)->err->msg);                                           \
  } while (0)

/* ---- a Debezium envelope as the AvroConverter registers it ------------------------ */

#define DECIMAL_10_2                                                                      \
  "{\"type\":\"bytes\",\"scale\":2,\"precision\":10,\"connect.version\":1,"               \
  "\"connect.parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"},"        \
  "\"connect.name\":\"org.apache.kafka.connect.data.Decimal\",\"logicalType\":\"decimal\"}"

#define VALUE_V1                                                                          \
  "{\"type\":\"record\",\"name\":\"Value\",\"fields\":["                                  \
  "{\"name\":\"id\",\"type\":\"long\"},"                                                  \
  "{\"name\":\"user_id\",\"type\":\"int\"},"                                              \
  "{\"name\":\"amount\",\"type\":" DECIMAL_10_2 "},"                                      \
  "{\"name\":\"status\",\"type\":[\"null\",\"string\"],\"default\":null},"                \
  "{\"name\":\"created_at\",\"type\":{\"type\":\"long\",\"connect.version\":1,"           \
  "\"connect.name\":\"io.debezium.time.MicroTimestamp\"}},"                               \
  "{\"name\":\"updated_ts\",\"type\":[\"null\",{\"type\":\"string\",\"connect.version\":1," \
  "\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}],\"default\":null},"             \
  "{\"name\":\"ship_date\",\"type\":[\"null\",{\"type\":\"int\",\"connect.version\":1,"   \
  "\"connect.name\":\"io.debezium.time.Date\"}],\"default\":null},"                       \
  "{\"name\":\"weight\",\"type\":[\"null\",\"double\"],\"default\":null},"                \
  "{\"name\":\"paid\",\"type\":[\"null\",\"boolean\"],\"default\":null}],"                \
  "\"connect.name\":\"shop.public.orders.Value\"}"

#define SOURCE                                                                            \
  "{\"type\":\"record\",\"name\":\"Source\",\"namespace\":\"io.debezium.connector.postgresql\"," \
  "\"fields\":[{\"name\":\"version\",\"type\":\"string\"},"                               \
  "{\"name\":\"connector\",\"type\":\"string\"},{\"name\":\"name\",\"type\":\"string\"},"  \
  "{\"name\":\"ts_ms\",\"type\":\"long\"},"                                               \
  "{\"name\":\"snapshot\",\"type\":[{\"type\":\"string\",\"connect.version\":1,"          \
  "\"connect.parameters\":{\"allowed\":\"true,last,false,incremental\"},"                 \
  "\"connect.default\":\"false\",\"connect.name\":\"io.debezium.data.Enum\"},\"null\"],"  \
  "\"default\":\"false\"},"                                                               \
  "{\"name\":\"db\",\"type\":\"string\"},{\"name\":\"schema\",\"type\":\"string\"},"      \
  "{\"name\":\"table\",\"type\":\"string\"},"                                             \
  "{\"name\":\"txId\",\"type\":[\"null\",\"long\"],\"default\":null},"                    \
  "{\"name\":\"lsn\",\"type\":[\"null\",\"long\"],\"default\":null}],"                    \
  "\"connect.name\":\"io.debezium.connector.postgresql.Source\"}"

#define ENVELOPE(value)                                                                   \
  "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"shop.public.orders\","      \
  "\"fields\":[{\"name\":\"before\",\"type\":[\"null\"," value "],\"default\":null},"     \
  "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"                  \
  "{\"name\":\"source\",\"type\":" SOURCE "},"                                            \
  "{\"name\":\"op\",\"type\":\"string\"},"                                                \
  "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"],\"default\":null},"                   \
  "{\"name\":\"transaction\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"block\"," \
  "\"namespace\":\"event\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"            \
  "{\"name\":\"total_order\",\"type\":\"long\"},"                                         \
  "{\"name\":\"data_collection_order\",\"type\":\"long\"}]}],\"default\":null}],"         \
  "\"connect.name\":\"shop.public.orders.Envelope\"}"

static const char envelope_v1[] = ENVELOPE(VALUE_V1);

typedef struct {
  int64_t id;
  int32_t user_id;
  const uint8_t *amount; /* two's-complement bytes */
  size_t amount_len;
  const char *status;    /* NULL: null */
  int64_t created_at;
  const char *updated_ts;
  int32_t ship_date;
  double weight;
  int paid;              /* -1: null */
} order_t;

static void put_value_v1(av_t *a, const order_t *o) {
  av_long(a, o->id);
  av_long(a, o->user_id);
  av_bytes(a, o->amount, o->amount_len);
  if (o->status) {
    av_long(a, 1);
    av_str(a, o->status);
  } else {
    av_long(a, 0);
  }
  av_long(a, o->created_at);
  av_long(a, o->updated_ts ? 1 : 0);
  if (o->updated_ts)
    av_str(a, o->updated_ts);
  av_long(a, 1);
  av_long(a, o->ship_date);
  av_long(a, 1);
  av_double(a, o->weight);
  av_long(a, o->paid < 0 ? 0 : 1);
  if (o->paid >= 0)
    av_byte(a, (uint8_t)o->paid);
}

static void put_source(av_t *a, int64_t lsn) {
  av_str(a, "2.5.0.Final");
  av_str(a, "postgresql");
  av_str(a, "shop");
  av_long(a, 1710066896000);
  av_long(a, 0); /* snapshot: branch 0, the string */
  av_str(a, "false");
  av_str(a, "shop");
  av_str(a, "public");
  av_str(a, "orders");
  av_long(a, 1);
  av_long(a, 556);
  av_long(a, 1);
  av_long(a, lsn);
}

static void put_envelope(av_t *a, int id, const order_t *before, const order_t *after,
                         const char *op) {
  av_start(a, id);
  av_long(a, before ? 1 : 0);
  if (before)
    put_value_v1(a, before);
  av_long(a, after ? 1 : 0);
  if (after)
    put_value_v1(a, after);
  put_source(a, 24023184);
  av_str(a, op);
  av_long(a, 1);
  av_long(a, 1710066896801);
  av_long(a, 0); /* transaction: null */
}

enum { OP, TS, A_ID, A_USER, A_AMOUNT, A_STATUS, A_CREATED, A_UPDATED, A_SHIP, A_WEIGHT,
       A_PAID, S_TABLE, S_LSN, S_TS, B_ID, B_STATUS, N_ORDER };

static const eddy_field_t order_fields[] = {
  [OP] = {"op", T_STR},
  [TS] = {"ts_ms", T_TS},
  [A_ID] = {"after.id", T_INT},
  [A_USER] = {"after.user_id", T_INT},
  [A_AMOUNT] = {"after.amount", T_DEC(10, 2)},
  [A_STATUS] = {"after.status", T_STR},
  [A_CREATED] = {"after.created_at", T_TS},
  [A_UPDATED] = {"after.updated_ts", T_TS},
  [A_SHIP] = {"after.ship_date", T_TS},
  [A_WEIGHT] = {"after.weight", T_DBL},
  [A_PAID] = {"after.paid", T_BOOL},
  [S_TABLE] = {"source.table", T_STR},
  [S_LSN] = {"source.lsn", T_INT},
  [S_TS] = {"source.ts_ms", T_TS},
  [B_ID] = {"before.id", T_INT},
  [B_STATUS] = {"before.status", T_STR},
};

static const uint8_t amount_1250[] = {0x04, 0xe2}; /* 12.50 at scale 2 */
static const uint8_t amount_neg[] = {0xff};        /* -0.01 */

static const order_t order_a = {
  .id = 1001, .user_id = 42, .amount = amount_1250, .amount_len = 2, .status = "pending",
  .created_at = 1710066896789123, .updated_ts = "2024-03-10T12:34:56.789+02:00",
  .ship_date = 19792, .weight = 2.5, .paid = 1};

/* ---- the envelope ------------------------------------------------------------------ */

EDDY_TEST(avro_spec_zigzag_vectors) {
  /* The specification's table: 0 -> 00, -1 -> 01, 1 -> 02, -2 -> 03, 2 -> 04, -64 -> 7f, 64 -> 80 01. */
  static const struct { int64_t v; uint8_t b[3]; size_t n; } vec[] = {
    {0, {0x00}, 1}, {-1, {0x01}, 1}, {1, {0x02}, 1}, {-2, {0x03}, 1}, {2, {0x04}, 1},
    {-64, {0x7f}, 1}, {64, {0x80, 0x01}, 2}};
  static const eddy_field_t f[] = {{"v", T_INT}};
  ax_t x;
  ax_open(&x, EDDY_FMT_AVRO, f, 1, NULL);
  ax_schema(&x, 1, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"}]}");
  for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
    av_t a;
    av_start(&a, 1);
    av_raw(&a, vec[i].b, vec[i].n);
    ASSERT_AX_OK(&x, &a);
    ASSERT_INTV(vec[i].v, x.vals[0]);
    av_start(&a, 1); /* and the builder agrees with the table */
    av_long(&a, vec[i].v);
    ASSERT_EQ(5 + vec[i].n, a.n);
    ASSERT_EQ(0, memcmp(a.b + 5, vec[i].b, vec[i].n));
  }
  /* extremes */
  int64_t ext[] = {INT64_MAX, INT64_MIN, INT32_MIN, (int64_t)1 << 62};
  for (size_t i = 0; i < 4; i++) {
    av_t a;
    av_start(&a, 1);
    av_long(&a, ext[i]);
    ASSERT_AX_OK(&x, &a);
    ASSERT_INTV(ext[i], x.vals[0]);
  }
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_debezium_create) {
  ax_t x;
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, order_fields, N_ORDER, NULL);
  ax_schema(&x, 7, envelope_v1);
  av_t a;
  put_envelope(&a, 7, NULL, &order_a, "c");
  assert_avroc_reads(envelope_v1, &a);
  ASSERT_AX_OK(&x, &a);
  eddy_value_t *v = x.vals;
  ASSERT_STRV("c", v[OP]);
  ASSERT_TSV(1710066896801000, v[TS]); /* ts_ms: milliseconds by its name */
  ASSERT_INTV(1001, v[A_ID]);
  ASSERT_INTV(42, v[A_USER]);
  ASSERT_DECV(1250, 2, v[A_AMOUNT]);
  ASSERT_STRV("pending", v[A_STATUS]);
  ASSERT_TSV(1710066896789123, v[A_CREATED]);
  ASSERT_TSV(1710066896789000, v[A_UPDATED]); /* 12:34:56.789+02:00 */
  ASSERT_TSV(1710028800000000, v[A_SHIP]);    /* day 19792 = 2024-03-10 */
  ASSERT_EQ(EDDY_T_DOUBLE, v[A_WEIGHT].kind);
  ASSERT_DBL_EQ(2.5, v[A_WEIGHT].u.d, 0);
  ASSERT_EQ(EDDY_T_BOOL, v[A_PAID].kind);
  ASSERT_TRUE(v[A_PAID].u.b);
  ASSERT_STRV("orders", v[S_TABLE]);
  ASSERT_INTV(24023184, v[S_LSN]);
  ASSERT_TSV(1710066896000000, v[S_TS]);
  ASSERT_NULLV(v[B_ID]);
  ASSERT_NULLV(v[B_STATUS]);
  /* strings point into the record: no copy */
  ASSERT_TRUE((const uint8_t *)v[OP].u.s >= x.copy && (const uint8_t *)v[OP].u.s < x.copy + a.n);
  ASSERT_EQ(1, eddy_avro_decoder_schema_cnt(x.dec));
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_debezium_update_delete_tombstone) {
  ax_t x;
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, order_fields, N_ORDER, NULL);
  ax_schema(&x, 7, envelope_v1);
  order_t after = order_a, before = order_a;
  after.status = "completed";
  after.amount = amount_neg;
  after.amount_len = 1;
  after.paid = -1;
  av_t a;
  put_envelope(&a, 7, &before, &after, "u");
  assert_avroc_reads(envelope_v1, &a);
  ASSERT_AX_OK(&x, &a);
  ASSERT_STRV("u", x.vals[OP]);
  ASSERT_STRV("completed", x.vals[A_STATUS]);
  ASSERT_STRV("pending", x.vals[B_STATUS]);
  ASSERT_INTV(1001, x.vals[B_ID]);
  ASSERT_DECV(-1, 2, x.vals[A_AMOUNT]);
  ASSERT_NULLV(x.vals[A_PAID]);
  /* a delete: after is null, before holds the old row */
  before.status = NULL;
  put_envelope(&a, 7, &before, NULL, "d");
  ASSERT_AX_OK(&x, &a);
  ASSERT_STRV("d", x.vals[OP]);
  ASSERT_INTV(1001, x.vals[B_ID]);
  ASSERT_NULLV(x.vals[B_STATUS]);
  for (int f = A_ID; f <= A_PAID; f++)
    ASSERT_NULLV(x.vals[f]);
  ASSERT_STRV("orders", x.vals[S_TABLE]);
  /* the tombstone after it: a null or empty Kafka value */
  ASSERT_EQ(EDDY_ENOENT, ax_decode_n(&x, NULL, 0));
  ASSERT_EQ(EDDY_ENOENT, ax_decode_n(&x, "", 0));
  for (int f = 0; f < N_ORDER; f++)
    ASSERT_NULLV(x.vals[f]);
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_unwanted_fields_are_skipped_unread) {
  static const uint8_t wanted[N_ORDER] = {[OP] = 1, [A_ID] = 1};
  ax_t x;
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, order_fields, N_ORDER, wanted);
  ax_schema(&x, 7, envelope_v1);
  order_t o = order_a;
  o.updated_ts = "not a time"; /* would be an error if it were read */
  o.status = "\xff\xfe";       /* not UTF-8: skipped, not checked */
  av_t a;
  put_envelope(&a, 7, &o, &o, "u");
  ASSERT_AX_OK(&x, &a);
  ASSERT_STRV("u", x.vals[OP]);
  ASSERT_INTV(1001, x.vals[A_ID]);
  ASSERT_NULLV(x.vals[A_STATUS]);
  ASSERT_NULLV(x.vals[TS]);
  ASSERT_NULLV(x.vals[B_ID]);
  /* the same record with those columns wanted */
  ax_close(&x);
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, order_fields, N_ORDER, NULL);
  ax_schema(&x, 7, envelope_v1);
  ASSERT_AX_ERR(&x, &a, "before.status: string is not valid UTF-8 at byte 14");
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- schema evolution --------------------------------------------------------------- */

/* v2: user_id widened to long, weight and paid dropped, discount added, fields reordered. */
#define VALUE_V2                                                                          \
  "{\"type\":\"record\",\"name\":\"Value\",\"fields\":["                                  \
  "{\"name\":\"status\",\"type\":[\"null\",\"string\"],\"default\":null},"                \
  "{\"name\":\"id\",\"type\":\"long\"},"                                                  \
  "{\"name\":\"discount\",\"type\":[\"null\"," DECIMAL_10_2 "],\"default\":null},"         \
  "{\"name\":\"amount\",\"type\":" DECIMAL_10_2 "},"                                      \
  "{\"name\":\"user_id\",\"type\":\"long\"},"                                             \
  "{\"name\":\"created_at\",\"type\":{\"type\":\"long\",\"connect.version\":1,"           \
  "\"connect.name\":\"io.debezium.time.MicroTimestamp\"}}],"                              \
  "\"connect.name\":\"shop.public.orders.Value\"}"

static void put_value_v2(av_t *a, const order_t *o, bool discount) {
  av_long(a, 1);
  av_str(a, o->status);
  av_long(a, o->id);
  av_long(a, discount ? 1 : 0);
  if (discount)
    av_bytes(a, amount_neg, 1);
  av_bytes(a, o->amount, o->amount_len);
  av_long(a, o->user_id);
  av_long(a, o->created_at);
}

EDDY_TEST(avro_schema_evolution_two_writers_one_row) {
  static const char envelope_v2[] = ENVELOPE(VALUE_V2);
  enum { F_ID, F_USER, F_AMOUNT, F_STATUS, F_WEIGHT, F_DISCOUNT, F_OP, N };
  static const eddy_field_t f[] = {
    [F_ID] = {"after.id", T_INT}, [F_USER] = {"after.user_id", T_INT},
    [F_AMOUNT] = {"after.amount", T_DEC(12, 3)}, [F_STATUS] = {"after.status", T_STR},
    [F_WEIGHT] = {"after.weight", T_DBL}, [F_DISCOUNT] = {"after.discount", T_DEC(10, 2)},
    [F_OP] = {"op", T_STR}};
  ax_t x;
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, f, N, NULL);
  ax_schema(&x, 1, envelope_v1);
  ax_schema(&x, 2, envelope_v2);
  av_t a1, a2;
  put_envelope(&a1, 1, NULL, &order_a, "c");
  av_start(&a2, 2);
  av_long(&a2, 0);
  av_long(&a2, 1);
  put_value_v2(&a2, &order_a, true);
  put_source(&a2, 99);
  av_str(&a2, "c");
  av_long(&a2, 0);
  av_long(&a2, 0);
  assert_avroc_reads(envelope_v2, &a2);
  for (int round = 0; round < 2; round++) { /* alternate: plans stay apart */
    ASSERT_AX_OK(&x, &a1);
    ASSERT_INTV(1001, x.vals[F_ID]);
    ASSERT_INTV(42, x.vals[F_USER]);
    ASSERT_DECV(12500, 3, x.vals[F_AMOUNT]);
    ASSERT_STRV("pending", x.vals[F_STATUS]);
    ASSERT_DBL_EQ(2.5, x.vals[F_WEIGHT].u.d, 0);
    ASSERT_NULLV(x.vals[F_DISCOUNT]); /* v1 has no such field */
    ASSERT_AX_OK(&x, &a2);
    ASSERT_INTV(1001, x.vals[F_ID]);
    ASSERT_INTV(42, x.vals[F_USER]);
    ASSERT_DECV(12500, 3, x.vals[F_AMOUNT]);
    ASSERT_STRV("pending", x.vals[F_STATUS]);
    ASSERT_NULLV(x.vals[F_WEIGHT]); /* v2 dropped it */
    ASSERT_DECV(-1, 2, x.vals[F_DISCOUNT]);
    ASSERT_STRV("c", x.vals[F_OP]);
  }
  ASSERT_EQ(2, eddy_avro_decoder_schema_cnt(x.dec));
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- every type ------------------------------------------------------------------- */

#define ALL_TYPES                                                                         \
  "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"t\",\"fields\":["                \
  "{\"name\":\"n\",\"type\":\"null\"},"                                                   \
  "{\"name\":\"b\",\"type\":\"boolean\"},"                                                \
  "{\"name\":\"i\",\"type\":\"int\"},"                                                    \
  "{\"name\":\"l\",\"type\":\"long\"},"                                                   \
  "{\"name\":\"f\",\"type\":\"float\"},"                                                  \
  "{\"name\":\"d\",\"type\":\"double\"},"                                                 \
  "{\"name\":\"by\",\"type\":\"bytes\"},"                                                 \
  "{\"name\":\"s\",\"type\":\"string\"},"                                                 \
  "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4}},"           \
  "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\"]}}," \
  "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"long\"]}},"      \
  "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"                   \
  "{\"name\":\"rec\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":["       \
  "{\"name\":\"x\",\"type\":\"long\"},{\"name\":\"y\",\"type\":[\"null\",\"string\"]}]}}," \
  "{\"name\":\"dfix\",\"type\":{\"type\":\"fixed\",\"name\":\"D8\",\"size\":8,"           \
  "\"logicalType\":\"decimal\",\"precision\":18,\"scale\":4}},"                           \
  "{\"name\":\"tms\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}," \
  "{\"name\":\"tus\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}}," \
  "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"              \
  "{\"name\":\"tod\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"}},"      \
  "{\"name\":\"ns\",\"type\":{\"type\":\"long\",\"connect.name\":\"io.debezium.time.NanoTimestamp\"}}," \
  "{\"name\":\"vsd\",\"type\":{\"type\":\"record\",\"name\":\"VariableScaleDecimal\","    \
  "\"namespace\":\"io.debezium.data\",\"fields\":[{\"name\":\"scale\",\"type\":\"int\"}," \
  "{\"name\":\"value\",\"type\":\"bytes\"}],\"connect.name\":\"io.debezium.data.VariableScaleDecimal\"}}," \
  "{\"name\":\"dstr\",\"type\":\"string\"},"                                              \
  "{\"name\":\"ddbl\",\"type\":\"double\"}]}"

static void put_all(av_t *a) {
  static const uint8_t by[] = {0x00, 0xff, 0x10};
  static const uint8_t dfix[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcf, 0xc7}; /* -12345 */
  static const uint8_t vsd[] = {0x30, 0x39};                                     /* 12345 */
  av_start(a, 3);
  av_byte(a, 1);              /* b */
  av_long(a, -7);             /* i */
  av_long(a, 5000000000);     /* l */
  av_float(a, 1.5f);          /* f */
  av_double(a, -0.25);        /* d */
  av_bytes(a, by, 3);         /* by */
  av_str(a, "h\xc3\xa9llo"); /* s: "héllo" */
  av_raw(a, "ABCD", 4);       /* fx */
  av_long(a, 1);              /* e: GREEN */
  av_long(a, 3);              /* arr: one block of 3 */
  av_long(a, 1);
  av_long(a, 10);
  av_long(a, 0);              /*   null */
  av_long(a, 1);
  av_long(a, -20);
  av_long(a, -1);             /*   a sized block: -1 item, 3 bytes */
  av_long(a, 3);
  av_long(a, 1);
  av_long(a, 1000);           /*   1000 = 2 bytes */
  av_long(a, 0);
  av_long(a, 2);              /* m: {"y": "why", "x": "ex"} */
  av_str(a, "y");
  av_str(a, "why");
  av_str(a, "x");
  av_str(a, "ex");
  av_long(a, 0);
  av_long(a, 9);              /* rec.x */
  av_long(a, 1);              /* rec.y */
  av_str(a, "yy");
  av_raw(a, dfix, 8);         /* dfix: -1.2345 */
  av_long(a, 1700000000123);  /* tms */
  av_long(a, 1700000000123456); /* tus */
  av_long(a, -1);             /* day: 1969-12-31 */
  av_long(a, 3600000000);     /* tod: 01:00 */
  av_long(a, -1500);          /* ns: -1.5 µs floors to -2 */
  av_long(a, 3);              /* vsd: 12.345 */
  av_bytes(a, vsd, 2);
  av_str(a, "-3.10");         /* dstr */
  av_double(a, 12.345);       /* ddbl */
}

EDDY_TEST(avro_every_type_declared) {
  static const eddy_type_t long_t = T_INT;
  static const eddy_field_t inner_f[] = {{"y", T_STR}, {"x", T_INT}, {"z", T_INT}};
  static const eddy_fields_t inner = {3, inner_f};
  static const eddy_field_t map_f[] = {{"x", T_STR}, {"y", T_STR}};
  static const eddy_fields_t map_fields = {2, map_f};
  static const eddy_field_t f[] = {
    {"n", T_INT}, {"b", T_BOOL}, {"i", T_INT}, {"l", T_INT}, {"f", T_DBL}, {"d", T_DBL},
    {"by", T_BYTES}, {"s", T_STR}, {"fx", T_BYTES}, {"e", T_STR},
    {"arr", {.kind = EDDY_T_ARRAY, .elem = &long_t}},
    {"m", {.kind = EDDY_T_STRUCT, .fields = &map_fields}},
    {"rec", {.kind = EDDY_T_STRUCT, .fields = &inner}},
    {"dfix", T_DEC(18, 4)}, {"tms", T_TS}, {"tus", T_TS}, {"day", T_TS}, {"tod", T_DUR},
    {"ns", T_TS}, {"vsd", T_DEC(10, 2)}, {"dstr", T_DEC(10, 2)}, {"ddbl", T_DEC(10, 3)},
    {"i", T_DBL}, {"l", T_DEC(12, 1)}, {"rec.y", T_STR}, {"missing", T_STR}};
  ax_t x;
  ax_open(&x, EDDY_FMT_AVRO, f, sizeof(f) / sizeof(f[0]), NULL);
  ax_schema(&x, 3, ALL_TYPES);
  av_t a;
  put_all(&a);
  assert_avroc_reads(ALL_TYPES, &a);
  ASSERT_AX_OK(&x, &a);
  eddy_value_t *v = x.vals;
  ASSERT_NULLV(v[0]);
  ASSERT_TRUE(v[1].kind == EDDY_T_BOOL && v[1].u.b);
  ASSERT_INTV(-7, v[2]);
  ASSERT_INTV(5000000000, v[3]);
  ASSERT_DBL_EQ(1.5, v[4].u.d, 0);
  ASSERT_DBL_EQ(-0.25, v[5].u.d, 0);
  ASSERT_EQ(EDDY_T_BYTES, v[6].kind);
  ASSERT_EQ(3, v[6].len);
  ASSERT_EQ(0xff, v[6].u.bytes[1]);
  ASSERT_STRV("h\xc3\xa9llo", v[7]);
  ASSERT_EQ(4, v[8].len);
  ASSERT_EQ(0, memcmp(v[8].u.bytes, "ABCD", 4));
  ASSERT_STRV("GREEN", v[9]);
  ASSERT_EQ(EDDY_T_ARRAY, v[10].kind);
  ASSERT_EQ(4, v[10].len);
  ASSERT_INTV(10, v[10].u.items[0]);
  ASSERT_NULLV(v[10].u.items[1]);
  ASSERT_INTV(-20, v[10].u.items[2]);
  ASSERT_INTV(1000, v[10].u.items[3]);
  ASSERT_EQ(EDDY_T_STRUCT, v[11].kind); /* a map read as a struct: members by key */
  ASSERT_STRV("ex", v[11].u.items[0]);
  ASSERT_STRV("why", v[11].u.items[1]);
  ASSERT_EQ(3, v[12].len);              /* members in the declared order */
  ASSERT_STRV("yy", v[12].u.items[0]);
  ASSERT_INTV(9, v[12].u.items[1]);
  ASSERT_NULLV(v[12].u.items[2]);
  ASSERT_DECV(-12345, 4, v[13]);
  ASSERT_TSV(1700000000123000, v[14]);
  ASSERT_TSV(1700000000123456, v[15]);
  ASSERT_TSV(-86400000000, v[16]);
  ASSERT_EQ(EDDY_T_DURATION, v[17].kind);
  ASSERT_EQ(3600000000, v[17].u.i);
  ASSERT_TSV(-2, v[18]);
  ASSERT_DECV(1235, 2, v[19]); /* 12.345 -> 12.35, half away from zero */
  ASSERT_DECV(-310, 2, v[20]);
  ASSERT_DECV(12345, 3, v[21]); /* the double 12.345 read at 15 digits */
  ASSERT_DBL_EQ(-7.0, v[22].u.d, 0);
  ASSERT_DECV(50000000000, 1, v[23]);
  ASSERT_STRV("yy", v[24]);
  ASSERT_NULLV(v[25]);
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_every_type_untyped) {
  static const eddy_field_t f[] = {
    {"b", T_ANY}, {"l", T_ANY}, {"d", T_ANY}, {"s", T_ANY}, {"e", T_ANY}, {"by", T_ANY},
    {"arr", T_ANY}, {"m", T_ANY}, {"rec", T_ANY}, {"dfix", T_ANY}, {"tus", T_ANY},
    {"vsd", T_ANY}, {"n", T_ANY}};
  ax_t x;
  ax_open(&x, EDDY_FMT_AVRO, f, sizeof(f) / sizeof(f[0]), NULL);
  ax_schema(&x, 3, ALL_TYPES);
  av_t a;
  put_all(&a);
  ASSERT_AX_OK(&x, &a);
  eddy_value_t *v = x.vals;
  ASSERT_TRUE(v[0].kind == EDDY_T_BOOL && v[0].u.b);
  ASSERT_INTV(5000000000, v[1]);
  ASSERT_DBL_EQ(-0.25, v[2].u.d, 0);
  ASSERT_STRV("h\xc3\xa9llo", v[3]);
  ASSERT_STRV("GREEN", v[4]);
  ASSERT_EQ(EDDY_T_BYTES, v[5].kind);
  ASSERT_STRV("[10,null,-20,1000]", v[6]);
  ASSERT_STRV("{\"y\":\"why\",\"x\":\"ex\"}", v[7]);
  ASSERT_STRV("{\"x\":9,\"y\":\"yy\"}", v[8]);
  ASSERT_DECV(-12345, 4, v[9]);
  ASSERT_TSV(1700000000123456, v[10]);
  ASSERT_DECV(12345, 3, v[11]);
  ASSERT_NULLV(v[12]);
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_plain_value_and_shared_paths) {
  /* A top-level value that is not a record is the column `value`. */
  static const eddy_field_t f[] = {{"value", T_STR}};
  ax_t x;
  ax_open(&x, EDDY_FMT_AVRO, f, 1, NULL);
  ax_schema(&x, 1, "\"string\"");
  ax_schema(&x, 2, "[\"null\",\"string\"]");
  av_t a;
  av_start(&a, 1);
  av_str(&a, "hello");
  ASSERT_AX_OK(&x, &a);
  ASSERT_STRV("hello", x.vals[0]);
  av_start(&a, 2);
  av_long(&a, 0);
  ASSERT_AX_OK(&x, &a);
  ASSERT_NULLV(x.vals[0]);
  ax_close(&x);
  /* Two columns on one path, and a struct column beside one of its members. */
  static const eddy_field_t mf[] = {{"x", T_STR}, {"y", T_INT}};
  static const eddy_fields_t members = {2, mf};
  static const eddy_field_t g[] = {
    {"after.amount", T_DEC(10, 2)}, {"after.amount", T_DBL}, {"after.amount", T_DEC(10, 1)},
    {"after", {.kind = EDDY_T_STRUCT, .fields = &members}}, {"after.id", T_INT}};
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, g, 5, NULL);
  ax_schema(&x, 7, envelope_v1);
  put_envelope(&a, 7, NULL, &order_a, "c");
  ASSERT_AX_OK(&x, &a);
  ASSERT_DECV(1250, 2, x.vals[0]);
  ASSERT_DBL_EQ(12.5, x.vals[1].u.d, 0);
  ASSERT_DECV(125, 1, x.vals[2]);
  ASSERT_EQ(EDDY_T_STRUCT, x.vals[3].kind);
  ASSERT_NULLV(x.vals[3].u.items[0]);
  ASSERT_NULLV(x.vals[3].u.items[1]);
  ASSERT_INTV(1001, x.vals[4]);
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- null unions and type mismatches ------------------------------------------------ */

EDDY_TEST(avro_unions_and_mismatches) {
  static const eddy_field_t f[] = {{"u", T_STR}, {"amount", T_DEC(10, 2)}, {"t", T_TS},
                                   {"big", T_DEC(4, 2)}, {"ts", T_TS}};
  static const char schema[] =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
    "{\"name\":\"u\",\"type\":[\"null\",\"long\",\"string\"]},"
    "{\"name\":\"amount\",\"type\":[\"null\",\"boolean\"]},"
    "{\"name\":\"t\",\"type\":[\"null\",{\"type\":\"long\",\"connect.name\":\"io.debezium.time.MicroTime\"}]},"
    "{\"name\":\"big\",\"type\":[\"null\"," DECIMAL_10_2 "]},"
    "{\"name\":\"ts\",\"type\":[\"null\",{\"type\":\"long\",\"connect.name\":\"io.debezium.time.Timestamp\"}]}]}";
  ax_t x;
  ax_open(&x, EDDY_FMT_AVRO, f, 5, NULL);
  ax_schema(&x, 4, schema);
  av_t a;
  /* all null: every branch 0 */
  av_start(&a, 4);
  for (int i = 0; i < 5; i++)
    av_long(&a, 0);
  ASSERT_AX_OK(&x, &a);
  for (int i = 0; i < 5; i++)
    ASSERT_NULLV(x.vals[i]);
  /* the string branch of a three-way union */
  av_start(&a, 4);
  av_long(&a, 2);
  av_str(&a, "s");
  for (int i = 0; i < 4; i++)
    av_long(&a, 0);
  ASSERT_AX_OK(&x, &a);
  ASSERT_STRV("s", x.vals[0]);
  /* its long branch does not fit a string column */
  av_start(&a, 4);
  av_long(&a, 1);
  av_long(&a, 5);
  for (int i = 0; i < 4; i++)
    av_long(&a, 0);
  ASSERT_AX_ERR(&x, &a, "u: schema type long does not match declared string");
  av_start(&a, 4);
  av_long(&a, 0);
  av_long(&a, 1);
  av_byte(&a, 1);
  for (int i = 0; i < 3; i++)
    av_long(&a, 0);
  ASSERT_AX_ERR(&x, &a, "amount: schema type boolean does not match declared decimal(10,2)");
  av_start(&a, 4);
  av_long(&a, 0);
  av_long(&a, 0);
  av_long(&a, 1);
  av_long(&a, 1000);
  av_long(&a, 0);
  av_long(&a, 0);
  ASSERT_AX_ERR(&x, &a, "t: schema type long (io.debezium.time.MicroTime) does not match "
                        "declared timestamp");
  /* 123.45 does not fit decimal(4,2) */
  static const uint8_t v12345[] = {0x30, 0x39};
  av_start(&a, 4);
  av_long(&a, 0);
  av_long(&a, 0);
  av_long(&a, 0);
  av_long(&a, 1);
  av_bytes(&a, v12345, 2);
  av_long(&a, 0);
  ASSERT_AX_ERR(&x, &a, "big: 123.45 is out of range for decimal(4,2)");
  /* Debezium's +infinity for a Timestamp (ms) is beyond int64 microseconds */
  av_start(&a, 4);
  for (int i = 0; i < 4; i++)
    av_long(&a, 0);
  av_long(&a, 1);
  av_long(&a, 9223372036825200000);
  ASSERT_AX_ERR(&x, &a, "ts: long (io.debezium.time.Timestamp) 9223372036825200000 is out of "
                        "range for timestamp");
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- broken records ---------------------------------------------------------------- */

EDDY_TEST(avro_wire_errors) {
  ax_t x;
  ax_open(&x, EDDY_FMT_DEBEZIUM_AVRO, order_fields, N_ORDER, NULL);
  ax_schema(&x, 7, envelope_v1);
  av_t a;
  put_envelope(&a, 7, NULL, &order_a, "c");
  a.b[0] = 1;
  ASSERT_AX_ERR(&x, &a, "bad magic byte 0x01: not the Confluent Avro wire format (magic byte 0, "
                        "4-byte schema id, Avro datum)");
  ASSERT_EQ(EDDY_EDECODE, ax_decode_n(&x, "{\"op\":\"c\"}", 10)); /* JSON on an Avro topic */
  ASSERT_STR_EQ("bad magic byte 0x7b: not the Confluent Avro wire format (magic byte 0, "
                "4-byte schema id, Avro datum)", x.err->msg);
  ASSERT_EQ(EDDY_EDECODE, ax_decode_n(&x, "\0\0\0", 3));
  ASSERT_STR_EQ("truncated record: 3 bytes, the Confluent wire format needs 5 before the Avro "
                "datum", x.err->msg);
  put_envelope(&a, 8, NULL, &order_a, "c");
  ASSERT_AX_ERR(&x, &a, "unknown Avro schema id 8 (no schema registry configured: set "
                        "schema.registry.url)");
  ASSERT_FALSE(x.err->retriable);
  /* every proper prefix of a valid record is truncated */
  put_envelope(&a, 7, &order_a, &order_a, "u");
  for (size_t n = 5; n < a.n; n++) {
    ASSERT_EQ(EDDY_EDECODE, ax_decode_n(&x, a.b, n));
    ASSERT_TRUE(strstr(x.err->msg, "truncated Avro datum") != NULL);
  }
  av_t longer = a;
  av_byte(&longer, 0);
  ASSERT_AX_ERR(&x, &longer, "1 bytes after the Avro datum (schema id 7): the record does not "
                             "match its writer schema");
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_malformed_data) {
  static const eddy_field_t f[] = {{"u", T_STR}, {"b", T_BOOL}, {"e", T_STR}};
  static const char schema[] =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
    "{\"name\":\"u\",\"type\":[\"null\",\"string\"]},{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}}]}";
  ax_t x;
  ax_open(&x, EDDY_FMT_AVRO, f, 3, NULL);
  ax_schema(&x, 1, schema);
  av_t a;
  av_start(&a, 1);
  av_long(&a, 2);
  ASSERT_AX_ERR(&x, &a, "invalid Avro datum at byte 5: union branch index out of range "
                        "(schema id 1)");
  av_start(&a, 1);
  av_long(&a, 1);
  av_long(&a, -3);
  ASSERT_AX_ERR(&x, &a, "invalid Avro datum at byte 6: negative length (schema id 1)");
  av_start(&a, 1);
  av_long(&a, 1);
  av_long(&a, 1000);
  av_str(&a, "short");
  ASSERT_EQ(EDDY_EDECODE, ax_decode(&x, &a));
  ASSERT_STR_EQ("truncated Avro datum: the record ends at byte 14, inside a value (schema id 1)",
                x.err->msg);
  av_start(&a, 1);
  av_long(&a, 0);
  av_byte(&a, 2);
  av_long(&a, 0);
  ASSERT_AX_ERR(&x, &a, "invalid Avro datum at byte 6: boolean byte is neither 0 nor 1 "
                        "(schema id 1)");
  av_start(&a, 1);
  av_long(&a, 0);
  av_byte(&a, 0);
  av_long(&a, 1);
  ASSERT_AX_ERR(&x, &a, "invalid Avro datum at byte 7: enum symbol index out of range "
                        "(schema id 1)");
  av_start(&a, 1);
  av_long(&a, 1);
  av_str(&a, "\xc0\xaf");
  av_byte(&a, 0);
  av_long(&a, 0);
  ASSERT_AX_ERR(&x, &a, "u: string is not valid UTF-8 at byte 7");
  av_start(&a, 1);
  av_raw(&a, "\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x01", 11);
  ASSERT_AX_ERR(&x, &a, "invalid Avro datum at byte 5: varint longer than 64 bits (schema id 1)");
  ax_close(&x);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_hostile_nesting_and_counts) {
  /* A recursive list: each link one level deeper. */
  static const char list[] =
    "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"},"
    "{\"name\":\"next\",\"type\":[\"null\",\"L\"]},"
    "{\"name\":\"nulls\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}";
  static const eddy_field_t f[] = {{"v", T_INT}, {"next", T_ANY}, {"nulls", T_ANY}};
  static const uint8_t skip_all[] = {1, 0, 0};
  for (int pass = 0; pass < 2; pass++) {
    ax_t x;
    ax_open(&x, EDDY_FMT_AVRO, f, 3, pass == 0 ? skip_all : NULL);
    ax_schema(&x, 1, list);
    av_t a;
    av_start(&a, 1);
    for (int depth = 0; depth < 1000; depth++) {
      av_long(&a, depth);
      av_long(&a, 1);
    }
    ASSERT_EQ(EDDY_EDECODE, ax_decode(&x, &a));
    ASSERT_TRUE(strstr(x.err->msg, "nested too deeply (limit is 64)") != NULL);
    /* 2^62 nulls take no bytes: refused, not looped over */
    av_start(&a, 1);
    av_long(&a, 1);
    av_long(&a, 0);
    av_long(&a, (int64_t)1 << 62);
    av_long(&a, 0);
    ASSERT_EQ(EDDY_EDECODE, ax_decode(&x, &a));
    ASSERT_TRUE(strstr(x.err->msg, "too many items of zero size") != NULL);
    /* but a few are fine */
    av_start(&a, 1);
    av_long(&a, 1);
    av_long(&a, 0);
    av_long(&a, 3);
    av_long(&a, 0);
    ASSERT_AX_OK(&x, &a);
    ASSERT_INTV(1, x.vals[0]);
    if (pass == 1)
      ASSERT_STRV("[null,null,null]", x.vals[2]);
    ax_close(&x);
  }
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(avro_decoder_new_rejects_bad_specs_and_survives_oom) {
  static const eddy_field_t f[] = {{"x", T_INT}};
  eddy_fields_t layout = {1, f};
  eddy_decode_spec_t spec = {.format = EDDY_FMT_JSON, .layout = &layout};
  eddy_avro_decoder_t *d = NULL;
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EINVAL, eddy_avro_decoder_new(&d, &spec, NULL, &err));
  ASSERT_STR_EQ("avro decoder: the source's format is json, not avro or debezium-avro", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  spec.format = EDDY_FMT_DEBEZIUM_AVRO;
  spec.layout = &(eddy_fields_t){N_ORDER, order_fields};
  eddy_sr_schema_t *s = NULL;
  ASSERT_OK(eddy_sr_schema_parse(&s, envelope_v1, strlen(envelope_v1), &err));
  for (long nth = 1; nth < 400; nth++) {
    eddy_alloc_fail_after(nth);
    int rc = eddy_avro_decoder_new(&d, &spec, NULL, &err);
    if (rc == 0)
      rc = eddy_avro_decoder_add_schema(d, 1, s, &err);
    eddy_alloc_fail_after(0);
    eddy_avro_decoder_destroy(d);
    d = NULL;
    if (rc == 0)
      break;
    ASSERT_EQ(EDDY_ENOMEM, rc);
    eddy_error_destroy(err);
    err = NULL;
  }
  eddy_sr_schema_destroy(s);
  EDDY_ASSERT_NO_LEAKS();
}
