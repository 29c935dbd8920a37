/*
 * Debezium JSON decoding vectors: both schemas.enable modes, every column
 * type, deletes, tombstones, snapshots, decimal modes and the messages of
 * values that do not fit. Expected values were computed independently when
 * the vectors were written (base64 of the two's-complement bytes, epoch
 * offsets of the ISO strings) and are hard-coded here.
 */
#include "test_serde_fixture.h"

static const eddy_type_t str_type = T_STR;

/* The fields of the orders vectors. */
enum {
  OP, TS_MS, B_ID, B_STATUS, B_AMOUNT, A_ID, A_USER, A_STATUS, A_AMOUNT, A_CREATED,
  A_UPDATED, A_DATE, A_SHIPPED, A_TAGS, A_DISCOUNT, S_TABLE, S_LSN, S_TS, S_SNAPSHOT, N_ORDERS
};

/* The orders layout; only the types of after.order_date and after.shipped_at
 * differ between the two modes. */
#define ORDERS_LAYOUT(date_type, shipped_type)                                   \
  {                                                                              \
    [OP] = {"op", T_STR},                                                        \
    [TS_MS] = {"ts_ms", T_TS},                                                   \
    [B_ID] = {"before.id", T_INT},                                               \
    [B_STATUS] = {"before.status", T_STR},                                       \
    [B_AMOUNT] = {"before.total_amount", T_DEC(10, 2)},                          \
    [A_ID] = {"after.id", T_INT},                                                \
    [A_USER] = {"after.user_id", T_INT},                                         \
    [A_STATUS] = {"after.status", T_STR},                                        \
    [A_AMOUNT] = {"after.total_amount", T_DEC(10, 2)},                           \
    [A_CREATED] = {"after.created_at", T_TS},                                    \
    [A_UPDATED] = {"after.updated_at", T_TS},                                    \
    [A_DATE] = {"after.order_date", date_type},                                  \
    [A_SHIPPED] = {"after.shipped_at", shipped_type},                            \
    [A_TAGS] = {"after.tags", {.kind = EDDY_T_ARRAY, .elem = &str_type}},        \
    [A_DISCOUNT] = {"after.discount", T_DEC(10, 2)},                             \
    [S_TABLE] = {"source.table", T_STR},                                         \
    [S_LSN] = {"source.lsn", T_INT},                                             \
    [S_TS] = {"source.ts_ms", T_TS},                                             \
    [S_SNAPSHOT] = {"source.snapshot", T_STR},                                   \
  }

/* Schemas off: the declared types carry the units. */
static const eddy_field_t orders_off[N_ORDERS] = ORDERS_LAYOUT(T_DATE, T_TS_MS);

/* The same with plain timestamps everywhere: with schemas on, the schema's
 * logical names (Timestamp = ms, Date = days) must decide the units. */
static const eddy_field_t orders_on[N_ORDERS] = ORDERS_LAYOUT(T_TS, T_TS);

/* 2024-03-10T12:34:56.789+02:00 = 2024-03-10T10:34:56.789Z */
#define UPDATED_US INT64_C(1710066896789000)
/* 2024-01-15T08:30:00.123456Z */
#define CREATED_US INT64_C(1705307400123456)
/* day 19792 = 2024-03-10, day 19737 = 2024-01-15 */
#define DAY_19792_US (INT64_C(19792) * 86400 * 1000000)

static void check_after_row(fx_t *fx) {
  const eddy_value_t *v = fx->vals;
  ASSERT_INTV(1001, v[A_ID]);
  ASSERT_INTV(42, v[A_USER]);
  ASSERT_STRV("completed", v[A_STATUS]);
  ASSERT_DECV(1250, 2, v[A_AMOUNT]);             /* "BOI=" = 0x04E2 = 1250 -> 12.50 */
  ASSERT_TSV(CREATED_US, v[A_CREATED]);          /* MicroTimestamp */
  ASSERT_TSV(UPDATED_US, v[A_UPDATED]);          /* ZonedTimestamp with +02:00 */
  ASSERT_TSV(DAY_19792_US, v[A_DATE]);           /* Date */
  ASSERT_TSV(INT64_C(1710066896789000), v[A_SHIPPED]); /* Timestamp (ms) */
  ASSERT_EQ(EDDY_T_ARRAY, v[A_TAGS].kind);
  ASSERT_EQ(2, v[A_TAGS].len);
  ASSERT_STRV("web", v[A_TAGS].u.items[0]);
  ASSERT_STRV("promo", v[A_TAGS].u.items[1]);
  ASSERT_DECV(1235, 2, v[A_DISCOUNT]);           /* {"scale":3,"value":"MDk="} = 12.345 -> 12.35 */
  ASSERT_STRV("orders", v[S_TABLE]);
  ASSERT_INTV(24023184, v[S_LSN]);
  ASSERT_TSV(INT64_C(1710066896789000), v[S_TS]);
}

/* Reads the vector \p file (under tests/data) and opens \p fx over \p layout. */
static char *open_orders(fx_t *fx, const char *file, const eddy_field_t *layout, size_t *len) {
  char *json = fx_read_file(file, len);
  fx_open(fx, EDDY_FMT_DEBEZIUM_JSON, layout, N_ORDERS);
  return json;
}

static void close_vector(fx_t *fx, char *json) {
  fx_close(fx);
  free(json);
}

/* ---- schemas.enable=false ---------------------------------------------- */

EDDY_TEST(debezium_create_schemas_off) {
  fx_t fx;
  size_t len;
  char *json = open_orders(&fx, "debezium/orders_create_schemas_off.json", orders_off, &len);
  ASSERT_DECODE_OK(&fx, json);
  ASSERT_STRV("c", fx.vals[OP]);
  ASSERT_TSV(INT64_C(1710066896801000), fx.vals[TS_MS]); /* ts_ms: ms -> µs */
  ASSERT_NULLV(fx.vals[B_ID]);                           /* before is null for c */
  ASSERT_NULLV(fx.vals[B_STATUS]);
  ASSERT_NULLV(fx.vals[B_AMOUNT]);
  ASSERT_STRV("false", fx.vals[S_SNAPSHOT]);
  check_after_row(&fx);
  /* Strings without escapes borrow from the message. */
  ASSERT_TRUE(fx.vals[A_STATUS].u.s > fx.copy && fx.vals[A_STATUS].u.s < fx.copy + len);
  close_vector(&fx, json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_snapshot_read_op_r) {
  fx_t fx;
  size_t len;
  char *json = open_orders(&fx, "debezium/orders_snapshot_schemas_off.json", orders_off, &len);
  ASSERT_DECODE_OK(&fx, json);
  ASSERT_STRV("r", fx.vals[OP]);
  ASSERT_STRV("true", fx.vals[S_SNAPSHOT]);
  ASSERT_STRV("pending", fx.vals[A_STATUS]);
  ASSERT_TSV(CREATED_US, fx.vals[A_UPDATED]); /* "2024-01-15T08:30:00.123456Z" */
  ASSERT_TSV(INT64_C(19737) * 86400 * 1000000, fx.vals[A_DATE]);
  ASSERT_NULLV(fx.vals[A_SHIPPED]);
  ASSERT_NULLV(fx.vals[A_DISCOUNT]);
  ASSERT_EQ(1, fx.vals[A_TAGS].len);
  ASSERT_TSV(INT64_C(1705307400500000), fx.vals[TS_MS]);
  close_vector(&fx, json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_update_and_delete_schemas_off) {
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, orders_off, N_ORDERS);
  ASSERT_DECODE_OK(&fx, "{\"before\":{\"id\":5,\"status\":\"pending\",\"total_amount\":\"/w==\"},"
                        "\"after\":{\"id\":5,\"status\":\"paid\",\"total_amount\":\"zgA=\"},"
                        "\"source\":{\"table\":\"orders\"},\"op\":\"u\",\"ts_ms\":1}");
  ASSERT_STRV("u", fx.vals[OP]);
  ASSERT_INTV(5, fx.vals[B_ID]);
  ASSERT_STRV("pending", fx.vals[B_STATUS]);
  ASSERT_DECV(-1, 2, fx.vals[B_AMOUNT]);     /* -0.01 */
  ASSERT_STRV("paid", fx.vals[A_STATUS]);
  ASSERT_DECV(-12800, 2, fx.vals[A_AMOUNT]); /* -128.00 */
  ASSERT_TSV(1000, fx.vals[TS_MS]);
  /* A delete: after is null, so every after.* field is null. */
  ASSERT_DECODE_OK(&fx, "{\"before\":{\"id\":5,\"status\":\"paid\",\"total_amount\":\"zgA=\"},"
                        "\"after\":null,\"source\":{\"table\":\"orders\"},\"op\":\"d\","
                        "\"ts_ms\":2}");
  ASSERT_STRV("d", fx.vals[OP]);
  ASSERT_INTV(5, fx.vals[B_ID]);
  ASSERT_DECV(-12800, 2, fx.vals[B_AMOUNT]);
  for (int i = A_ID; i <= A_DISCOUNT; i++)
    ASSERT_NULLV(fx.vals[i]);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_tombstones_are_enoent) {
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, orders_off, N_ORDERS);
  ASSERT_EQ(EDDY_ENOENT, fx_decode_n(&fx, NULL, 0));  /* null Kafka value */
  ASSERT_EQ(EDDY_ENOENT, fx_decode_n(&fx, "", 0));    /* zero-length value */
  ASSERT_EQ(EDDY_ENOENT, fx_decode(&fx, " null "));   /* JSON null */
  ASSERT_EQ(EDDY_ENOENT, fx_decode(&fx, "{\"schema\":null,\"payload\":null}"));
  for (int i = 0; i < N_ORDERS; i++)
    ASSERT_NULLV(fx.vals[i]);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_precise_decimals_two_complement) {
  static const eddy_field_t f[] = {{"after.a", T_DEC(10, 2)}};
  static const struct {
    const char *b64;
    int64_t unscaled;
  } vec[] = {
    {"BOI=", 1250},         /* 12.50 */
    {"/w==", -1},           /* -0.01 */
    {"zgA=", -12800},       /* -128.00 */
    {"gA==", -128},         /* -1.28: 0x80 */
    {"AIA=", 128},          /* 1.28: 0x0080 needs the sign byte */
    {"AA==", 0},            /* 0.00 */
    {"AlQL4/8=", INT64_C(9999999999)},   /* 99999999.99, the largest DECIMAL(10,2) */
    {"/av0HAE=", -INT64_C(9999999999)},  /* -99999999.99 */
  };
  fx_t fx;
  char json[128];
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 1);
  for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
    snprintf(json, sizeof(json), "{\"after\":{\"a\":\"%s\"}}", vec[i].b64);
    ASSERT_DECODE_OK(&fx, json);
    ASSERT_DECV(vec[i].unscaled, 2, fx.vals[0]);
  }
  /* 0x00 0x00 0x04 0xE2 (leading zero bytes) is still 1250. */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":\"AAAE4g==\"}}");
  ASSERT_DECV(1250, 2, fx.vals[0]);
  /* 10^37 does not fit DECIMAL(10,2). */
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":\"B4XuENXaRtkA9DagAAAAAA==\"}}",
                    "after.a: string \"B4XuENXaRtkA9DagAAAAAA==\" is out of range for "
                    "decimal(10,2)");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":\"abc\"}}",
                    "after.a: expected decimal, got string \"abc\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":\"\"}}", "after.a: expected decimal, got string \"\"");
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_decimal_38_digits) {
  static const eddy_field_t f[] = {{"after.a", T_DEC(38, 0)}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 1);
  /* -(10^38 - 1): sixteen bytes B4 C4 B3 57 A5 79 3B 85 F6 75 DD C0 00 00 00 01 */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":\"tMSzV6V5O4X2dd3AAAAAAQ==\"}}");
  eddy_i128 nines = 0;
  for (int i = 0; i < 38; i++)
    nines = nines * 10 + 9;
  ASSERT_EQ(EDDY_T_DECIMAL, fx.vals[0].kind);
  ASSERT_TRUE(fx.vals[0].u.dec == -nines);
  /* -2^127 (0x80 then fifteen zero bytes) has 39 digits. */
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":\"gAAAAAAAAAAAAAAAAAAAAA==\"}}",
                    "after.a: string \"gAAAAAAAAAAAAAAAAAAAAA==\" is out of range for decimal(38,0)");
  /* Seventeen bytes with a redundant sign byte in front: still -(10^38 - 1). */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":\"/7TEs1eleTuF9nXdwAAAAAE=\"}}");
  ASSERT_TRUE(fx.vals[0].u.dec == -nines);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_decimal_double_and_string_modes) {
  static const eddy_field_t f[] = {{"after.a", T_DEC(10, 2)}};
  fx_t fx;
  fx_open_spec(&fx, EDDY_FMT_DEBEZIUM_JSON, EDDY_DECIMAL_DOUBLE, f, 1, NULL, NULL);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":12.5}}");
  ASSERT_DECV(1250, 2, fx.vals[0]);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":0.30000000000000004}}");
  ASSERT_DECV(30, 2, fx.vals[0]);
  /* Read from the text: 12.345 rounds half away from zero to 12.35 (as a C
   * double, 12.345 is 12.3449999... and would round to 12.34). */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":12.345}}");
  ASSERT_DECV(1235, 2, fx.vals[0]);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":-12.345}}");
  ASSERT_DECV(-1235, 2, fx.vals[0]);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":-1E-2}}");
  ASSERT_DECV(-1, 2, fx.vals[0]);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":1.5e3}}");
  ASSERT_DECV(150000, 2, fx.vals[0]);
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":1e10}}",
                    "after.a: number 1e10 is out of range for decimal(10,2)");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":true}}", "after.a: expected decimal, got true");
  fx_close(&fx);

  fx_open_spec(&fx, EDDY_FMT_DEBEZIUM_JSON, EDDY_DECIMAL_STRING, f, 1, NULL, NULL);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":\"12.50\"}}");
  ASSERT_DECV(1250, 2, fx.vals[0]);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":\"-0.05\"}}");
  ASSERT_DECV(-5, 2, fx.vals[0]);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":\"7\"}}");
  ASSERT_DECV(700, 2, fx.vals[0]);
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":\"abc\"}}",
                    "after.a: expected decimal, got string \"abc\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":\"NAN\"}}",
                    "after.a: expected decimal, got string \"NAN\"");
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_variable_scale_decimal) {
  static const eddy_field_t f[] = {{"after.a", T_DEC(10, 2)}, {"after.b", T_DEC(12, 4)}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 2);
  /* 12345 scale 3 = 12.345 -> 12.35 (2 places) and 12.3450 (4 places) */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"a\":{\"scale\":3,\"value\":\"MDk=\"},"
                        "\"b\":{\"value\":\"MDk=\",\"scale\":3}}}");
  ASSERT_DECV(1235, 2, fx.vals[0]);
  ASSERT_DECV(123450, 4, fx.vals[1]);
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"a\":{\"scale\":3}}}", "after.a: expected decimal, got object");
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_time_types) {
  static const eddy_field_t f[] = {
    {"after.zoned", T_TS}, {"after.micro", T_TS}, {"after.milli", T_TS_MS},
    {"after.nano", T_TS_NS}, {"after.date", T_DATE}, {"after.mtime", T_DUR},
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 6);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"zoned\":\"2023-12-31T23:59:59.999999-05:30\","
                        "\"micro\":-1,\"milli\":1710066896789,\"nano\":-1,\"date\":-1,"
                        "\"mtime\":45296000000}}");
  ASSERT_TSV(INT64_C(1704086999999999), fx.vals[0]);
  ASSERT_TSV(-1, fx.vals[1]);
  ASSERT_TSV(INT64_C(1710066896789000), fx.vals[2]);
  ASSERT_TSV(-1, fx.vals[3]); /* -1 ns floors to -1 µs */
  ASSERT_TSV(-INT64_C(86400000000), fx.vals[4]);
  ASSERT_EQ(EDDY_T_DURATION, fx.vals[5].kind);
  ASSERT_EQ(INT64_C(45296000000), fx.vals[5].u.i); /* 12:34:56 as MicroTime */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"zoned\":\"2024-03-10T10:34:56.789Z\","
                        "\"nano\":1710066896789123456,\"date\":\"2024-03-10\"}}");
  ASSERT_TSV(UPDATED_US, fx.vals[0]);
  ASSERT_TSV(INT64_C(1710066896789123), fx.vals[3]);
  ASSERT_TSV(DAY_19792_US, fx.vals[4]);
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"milli\":9223372036854776}}",
                    "after.milli: number 9223372036854776 is out of range for timestamp");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"zoned\":\"yesterday\"}}",
                    "after.zoned: expected timestamp, got string \"yesterday\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"micro\":1.5}}",
                    "after.micro: expected timestamp, got number 1.5");
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_wrong_json_types_name_the_field) {
  static const eddy_field_t f[] = {
    {"after.id", T_INT}, {"after.flag", T_BOOL}, {"after.name", T_STR}, {"after.amount", T_DEC(10, 2)},
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 4);
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"amount\":\"abc\"}}",
                    "after.amount: expected decimal, got string \"abc\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"id\":1.5}}", "after.id: expected int, got number 1.5");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"id\":\"12\"}}", "after.id: expected int, got string \"12\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"id\":9223372036854775808}}",
                    "after.id: number 9223372036854775808 is out of range for int");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"flag\":1}}", "after.flag: expected bool, got number 1");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"name\":{\"x\":1}}}", "after.name: expected string, got object");
  ASSERT_DECODE_ERR(&fx, "{\"after\":\"x\"}", "after: expected object, got string \"x\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"name\":[1]}}", "after.name: expected string, got array");
  /* Extreme but valid ints. */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"id\":-9223372036854775808,\"flag\":false}}");
  ASSERT_INTV(INT64_MIN, fx.vals[0]);
  ASSERT_EQ(EDDY_T_BOOL, fx.vals[1].kind);
  ASSERT_FALSE(fx.vals[1].u.b);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_missing_and_unwanted_fields_are_null) {
  static const eddy_field_t f[] = {{"after.id", T_INT}, {"after.gone", T_STR}, {"op", T_STR}};
  static const uint8_t wanted[] = {1, 1, 0};
  fx_t fx;
  fx_open_spec(&fx, EDDY_FMT_DEBEZIUM_JSON, EDDY_DECIMAL_PRECISE, f, 3, NULL, wanted);
  /* op is present but not wanted: it stays null, and its wrong type is no error. */
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"id\":3},\"op\":17}");
  ASSERT_INTV(3, fx.vals[0]);
  ASSERT_NULLV(fx.vals[1]);
  ASSERT_NULLV(fx.vals[2]);
  ASSERT_DECODE_OK(&fx, "{}");
  ASSERT_NULLV(fx.vals[0]);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_explicit_paths_duplicates_and_escaped_keys) {
  static const eddy_field_t f[] = {
    {"amount", T_DEC(10, 2)}, {"amount_raw", T_DEC(12, 4)}, {"who", T_STR}, {"amount2", T_DEC(10, 2)},
  };
  static const char *const p0[] = {"after", "total_amount", NULL};
  static const char *const p2[] = {"after", "name", NULL};
  static const char *const *const paths[] = {p0, p0, p2, p0};
  fx_t fx;
  fx_open_spec(&fx, EDDY_FMT_DEBEZIUM_JSON, EDDY_DECIMAL_PRECISE, f, 4, paths, NULL);
  /* "\u0061fter" is "after"; the name needs unescaping (into the arena). */
  ASSERT_DECODE_OK(&fx, "{\"\\u0061fter\":{\"total_amount\":\"BOI=\","
                        "\"name\":\"Caf\\u00e9 \\\"X\\\" \\ud83d\\ude00\\n\"}}");
  ASSERT_DECV(1250, 2, fx.vals[0]);
  /* Same path, another declared scale: read again. Without a schema the
   * declared scale says what the unscaled bytes mean: 1250 -> 0.1250. */
  ASSERT_DECV(1250, 4, fx.vals[1]);
  ASSERT_DECV(1250, 2, fx.vals[3]);
  ASSERT_STRV("Caf\xc3\xa9 \"X\" \xf0\x9f\x98\x80\n", fx.vals[2]);
  ASSERT_TRUE(fx.vals[2].u.s < fx.copy || fx.vals[2].u.s >= fx.copy + fx.copy_len);
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_bytes_double_bool_struct) {
  static const eddy_field_t pt_fields[] = {{"x", T_INT}, {"y", T_DBL}};
  static const eddy_fields_t pt = {2, pt_fields};
  static const eddy_field_t f[] = {
    {"after.blob", T_BYTES}, {"after.ratio", T_DBL}, {"after.ok", T_BOOL},
    {"after.pt", {.kind = EDDY_T_STRUCT, .fields = &pt}}, {"after.nan", T_DBL},
  };
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 5);
  ASSERT_DECODE_OK(&fx, "{\"after\":{\"blob\":\"3q2+7w==\",\"ratio\":-2.5e-3,\"ok\":true,"
                        "\"pt\":{\"y\":0.5,\"z\":[1,{}],\"x\":-4},\"nan\":\"NaN\"}}");
  ASSERT_EQ(EDDY_T_BYTES, fx.vals[0].kind);
  ASSERT_EQ(4, fx.vals[0].len);
  ASSERT_TRUE(memcmp(fx.vals[0].u.bytes, "\xde\xad\xbe\xef", 4) == 0);
  ASSERT_DBL_EQ(-0.0025, fx.vals[1].u.d, 0);
  ASSERT_TRUE(fx.vals[2].u.b);
  ASSERT_EQ(EDDY_T_STRUCT, fx.vals[3].kind);
  ASSERT_EQ(2, fx.vals[3].len);
  ASSERT_INTV(-4, fx.vals[3].u.items[0]); /* declared order, not the document's */
  ASSERT_DBL_EQ(0.5, fx.vals[3].u.items[1].u.d, 0);
  ASSERT_TRUE(fx.vals[4].u.d != fx.vals[4].u.d); /* NaN */
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"blob\":\"3q2+7w=\"}}",
                    "after.blob: expected bytes (base64), got string \"3q2+7w=\"");
  ASSERT_DECODE_ERR(&fx, "{\"after\":{\"ratio\":1e400}}",
                    "after.ratio: number 1e400 is out of range for double");
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- schemas.enable=true ----------------------------------------------- */

EDDY_TEST(debezium_update_schemas_on_uses_schema_types) {
  fx_t fx;
  size_t len;
  char *json = open_orders(&fx, "debezium/orders_update_schemas_on.json", orders_on, &len);
  for (int round = 0; round < 3; round++) { /* the second and third use the cached schema */
    ASSERT_DECODE_OK(&fx, json);
    ASSERT_STRV("u", fx.vals[OP]);
    ASSERT_TSV(INT64_C(1710066896801000), fx.vals[TS_MS]);
    ASSERT_INTV(1001, fx.vals[B_ID]);
    ASSERT_STRV("pending", fx.vals[B_STATUS]);
    ASSERT_DECV(1250, 2, fx.vals[B_AMOUNT]);
    check_after_row(&fx);
  }
  close_vector(&fx, json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_payload_before_schema) {
  fx_t fx;
  size_t len;
  char *json = open_orders(&fx, "debezium/orders_update_payload_first.json", orders_on, &len);
  ASSERT_DECODE_OK(&fx, json);
  check_after_row(&fx);
  close_vector(&fx, json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_delete_schemas_on) {
  fx_t fx;
  size_t len;
  char *json = open_orders(&fx, "debezium/orders_delete_schemas_on.json", orders_on, &len);
  ASSERT_DECODE_OK(&fx, json);
  ASSERT_STRV("d", fx.vals[OP]);
  ASSERT_INTV(1001, fx.vals[B_ID]);
  ASSERT_DECV(1250, 2, fx.vals[B_AMOUNT]);
  for (int i = A_ID; i <= A_DISCOUNT; i++)
    ASSERT_NULLV(fx.vals[i]);
  ASSERT_INTV(24023300, fx.vals[S_LSN]);
  ASSERT_TSV(INT64_C(1710066900012000), fx.vals[TS_MS]);
  close_vector(&fx, json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_schema_scale_wins_and_cache_follows_changes) {
  static const eddy_field_t f[] = {
    {"after.price", T_DEC(10, 2)}, {"after.name", T_STR}, {"after.price3", T_DEC(12, 3)},
  };
  static const char *const p0[] = {"after", "price", NULL};
  static const char *const p1[] = {"after", "name", NULL};
  static const char *const *const paths[] = {p0, p1, p0};
  fx_t fx;
  size_t len;
  char *json = fx_read_file("debezium/products_create_scale3_schemas_on.json", &len);
  fx_open_spec(&fx, EDDY_FMT_DEBEZIUM_JSON, EDDY_DECIMAL_PRECISE, f, 3, paths, NULL);
  ASSERT_DECODE_OK(&fx, json);
  /* "Aw0/" = 199999 at the schema's scale 3 = 199.999: 200.00 at scale 2. */
  ASSERT_DECV(20000, 2, fx.vals[0]);
  ASSERT_DECV(199999, 3, fx.vals[2]);
  ASSERT_STRV("Caf\xc3\xa9 cr\xc3\xa8me \"deluxe\"", fx.vals[1]);
  /* The same message with scale "1" in the schema: 19999.9. */
  char *p = strstr(json, "\"scale\":\"3\"");
  ASSERT_TRUE(p != NULL);
  p[9] = '1';
  p = strstr(p + 1, "\"scale\":\"3\"");
  ASSERT_TRUE(p != NULL);
  p[9] = '1';
  ASSERT_DECODE_OK(&fx, json);
  ASSERT_DECV(1999990, 2, fx.vals[0]);
  ASSERT_DECV(19999900, 3, fx.vals[2]);
  close_vector(&fx, json);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(debezium_schema_mismatch_is_an_error) {
  static const eddy_field_t f[] = {{"after.amount", T_DEC(10, 2)}, {"after.t", T_TS}};
  fx_t fx;
  fx_open(&fx, EDDY_FMT_DEBEZIUM_JSON, f, 2);
  ASSERT_DECODE_ERR(&fx,
                    "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":["
                    "{\"type\":\"boolean\",\"optional\":true,\"field\":\"amount\"}],"
                    "\"optional\":true,\"field\":\"after\"}]},"
                    "\"payload\":{\"after\":{\"amount\":true}}}",
                    "after.amount: schema type boolean does not match declared decimal(10,2)");
  ASSERT_DECODE_ERR(&fx,
                    "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":["
                    "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTime\",\"field\":\"t\"}],"
                    "\"field\":\"after\"}]},\"payload\":{\"after\":{\"t\":1000}}}",
                    "after.t: schema type int64 (io.debezium.time.MicroTime) does not match "
                    "declared timestamp");
  /* A schema string for a decimal column: the decimal's text (string mode). */
  ASSERT_DECODE_OK(&fx,
                   "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":["
                   "{\"type\":\"string\",\"field\":\"amount\"}],\"field\":\"after\"}]},"
                   "\"payload\":{\"after\":{\"amount\":\"-3.10\"}}}");
  ASSERT_DECV(-310, 2, fx.vals[0]);
  ASSERT_DECODE_ERR(&fx, "{\"schema\":{\"type\":\"struct\"}}",
                    "Debezium message with \"schema\" but no \"payload\"");
  fx_close(&fx);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- construction ------------------------------------------------------ */

EDDY_TEST(decoder_new_rejects_bad_specs_and_survives_oom) {
  static const char *const empty[] = {NULL};
  static const char *const *const paths[] = {empty};
  static const eddy_field_t f[] = {{"x", T_INT}};
  eddy_fields_t layout = {1, f};
  eddy_decode_spec_t spec = {.format = EDDY_FMT_AVRO, .layout = &layout};
  eddy_decoder_t *d = NULL;
  eddy_error_t *err = NULL;
  ASSERT_EQ(EDDY_EINVAL, eddy_decoder_new(&d, &spec, &err));
  ASSERT_STR_EQ("decoder: only debezium-json, json, string and internal row sources are decoded here "
                "(Avro needs the schema registry decoder)", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  spec.format = EDDY_FMT_JSON;
  spec.paths = paths;
  ASSERT_EQ(EDDY_EINVAL, eddy_decoder_new(&d, &spec, &err));
  ASSERT_STR_EQ("decoder: field 0 ('x') has an empty path", err->msg);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_TRUE(d == NULL);
  /* Every allocation failing in turn: an error and no leak, or a decoder. */
  spec.format = EDDY_FMT_DEBEZIUM_JSON;
  spec.layout = &(eddy_fields_t){N_ORDERS, orders_on};
  spec.paths = NULL;
  for (long nth = 1; nth < 200; nth++) {
    eddy_alloc_fail_after(nth);
    int rc = eddy_decoder_new(&d, &spec, &err);
    eddy_alloc_fail_after(0);
    if (rc == 0) {
      ASSERT_TRUE(nth > 5); /* construction allocates several blocks */
      eddy_decoder_destroy(d);
      break;
    }
    ASSERT_EQ(EDDY_ENOMEM, rc);
    ASSERT_TRUE(d == NULL);
    eddy_error_destroy(err);
    err = NULL;
    EDDY_ASSERT_NO_LEAKS();
  }
  EDDY_ASSERT_NO_LEAKS();
}
