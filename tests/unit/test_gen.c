/* `eddy gen`: decimal bytes, the JSON and Avro encodings read back by
 * independent parsers (cJSON, avro-c), determinism, and no leaks when
 * allocations fail. */
#include <avro.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "eddy_test.h"
#include "tools/gen.h"

EDDY_TEST(gen_decimal_bytes_are_minimal_twos_complement) {
  static const struct {
    int64_t v;
    int n;
    uint8_t b[9];
  } cases[] = {
      {0, 1, {0x00}},           {1, 1, {0x01}},           {127, 1, {0x7f}},
      {128, 2, {0x00, 0x80}},   {1250, 2, {0x04, 0xe2}},  {-1, 1, {0xff}},
      {-128, 1, {0x80}},        {-129, 2, {0xff, 0x7f}},  {-12800, 2, {0xce, 0x00}},
      {INT64_MIN, 8, {0x80, 0, 0, 0, 0, 0, 0, 0}},
      {INT64_MAX, 8, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint8_t b[9];
    int n = gen_decimal_bytes(cases[i].v, b);
    ASSERT_EQ(cases[i].n, n);
    ASSERT_TRUE(memcmp(cases[i].b, b, (size_t)n) == 0);
  }
  eddy_buf_t out = {0};
  ASSERT_OK(gen_decimal_b64(&out, 1250));
  ASSERT_STR_EQ("\"BOI=\"", eddy_buf_cstr(&out));
  eddy_buf_clear(&out);
  ASSERT_OK(gen_decimal_b64(&out, -12800));
  ASSERT_STR_EQ("\"zgA=\"", eddy_buf_cstr(&out));
  eddy_buf_free(&out);
  EDDY_ASSERT_NO_LEAKS();
}

/* FNV-1a over every encoded key and value of \p n events. */
static uint64_t run_model(const gen_model_t *m, uint64_t seed, int n, bool schemas) {
  void *st = NULL;
  ASSERT_OK(m->create(&st, seed));
  gen_enc_conf_t c = {.prefix = "t", .schemas = schemas};
  gen_event_t *ev = eddy_malloc(sizeof(*ev));
  eddy_buf_t b = {0};
  uint64_t h = 1469598103934665603ull;
  int64_t last = 0;
  for (int i = 0; i < n; i++) {
    int64_t now = 1000000000000000LL + (int64_t)i * 100000;
    ASSERT_OK(m->next(st, now, ev));
    ASSERT_TRUE(ev->time_us <= now && ev->time_us >= last);
    last = ev->time_us;
    eddy_buf_clear(&b);
    ASSERT_OK(gen_json_key(&c, &m->tables[ev->table], ev, &b));
    ASSERT_OK(gen_json_value(&c, &m->tables[ev->table], ev, &b));
    for (size_t k = 0; k < b.len; k++)
      h = (h ^ (uint8_t)b.p[k]) * 1099511628211ull;
  }
  eddy_buf_free(&b);
  eddy_free(ev);
  m->destroy(st);
  return h;
}

EDDY_TEST(gen_models_are_deterministic) {
  const gen_model_t *models[] = {&eddy__gen_ecommerce, &eddy__gen_fraud, &eddy__gen_temperature};
  for (int i = 0; i < 3; i++) {
    uint64_t a = run_model(models[i], 5, 20000, i == 0);
    ASSERT_EQ(a, run_model(models[i], 5, 20000, i == 0));
    ASSERT_NE(a, run_model(models[i], 6, 20000, i == 0));
  }
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(gen_json_parses_and_key_is_primary_key) {
  void *st = NULL;
  ASSERT_OK(eddy__gen_ecommerce.create(&st, 9));
  gen_enc_conf_t c = {.prefix = "shop", .schemas = true};
  gen_event_t *ev = eddy_malloc(sizeof(*ev));
  eddy_buf_t k = {0}, v = {0};
  for (int i = 0; i < 3000; i++) {
    ASSERT_OK(eddy__gen_ecommerce.next(st, 1000000 * (int64_t)i, ev));
    const gen_table_t *t = &eddy__gen_ecommerce.tables[ev->table];
    eddy_buf_clear(&k);
    eddy_buf_clear(&v);
    ASSERT_OK(gen_json_key(&c, t, ev, &k));
    ASSERT_OK(gen_json_value(&c, t, ev, &v));
    cJSON *key = cJSON_Parse(eddy_buf_cstr(&k)), *val = cJSON_Parse(eddy_buf_cstr(&v));
    ASSERT_TRUE(key != NULL && val != NULL);
    cJSON *payload = cJSON_GetObjectItem(val, "payload");
    cJSON *after = cJSON_GetObjectItem(payload, "after");
    cJSON *kp = cJSON_GetObjectItem(cJSON_GetObjectItem(key, "payload"), t->cols[0].name);
    ASSERT_EQ((int64_t)cJSON_GetObjectItem(after, t->cols[0].name)->valuedouble,
              (int64_t)kp->valuedouble);
    ASSERT_EQ(ev->time_us / 1000, (int64_t)cJSON_GetObjectItem(payload, "ts_ms")->valuedouble);
    ASSERT_TRUE(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(val, "schema"),
                                                       "fields")) == 5);
    cJSON_Delete(key);
    cJSON_Delete(val);
  }
  eddy_buf_free(&k);
  eddy_buf_free(&v);
  eddy_free(ev);
  eddy__gen_ecommerce.destroy(st);
  EDDY_ASSERT_NO_LEAKS();
}

/* Read one datum with avro-c's generic reader and check a few fields. */
static void check_avro(avro_schema_t schema, const eddy_buf_t *datum, const gen_event_t *ev,
                       const gen_table_t *t) {
  avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
  avro_value_t val, field, branch, col;
  ASSERT_OK(avro_generic_value_new(iface, &val));
  avro_reader_t rd = avro_reader_memory(datum->p, (int64_t)datum->len);
  ASSERT_OK(avro_value_read(rd, &val));
  char extra;
  ASSERT_TRUE(avro_read(rd, &extra, 1) != 0);   /* the datum used every byte */
  const char *op = NULL;
  size_t len = 0;
  ASSERT_OK(avro_value_get_by_name(&val, "op", &field, NULL));
  ASSERT_OK(avro_value_get_string(&field, &op, &len));
  ASSERT_EQ(ev->op, op[0]);
  ASSERT_OK(avro_value_get_by_name(&val, "after", &field, NULL));
  ASSERT_OK(avro_value_get_current_branch(&field, &branch));
  ASSERT_OK(avro_value_get_by_index(&branch, 0, &col, NULL));
  int32_t id = 0;
  ASSERT_OK(avro_value_get_int(&col, &id));
  ASSERT_EQ(ev->after.v[0].i, id);
  for (int i = 0; i < t->col_cnt; i++) {
    if (t->cols[i].type != GEN_DECIMAL)
      continue;
    const void *bytes = NULL;
    ASSERT_OK(avro_value_get_by_index(&branch, (size_t)i, &col, NULL));
    ASSERT_OK(avro_value_get_bytes(&col, &bytes, &len));
    __extension__ __int128 x = (((const int8_t *)bytes)[0] < 0) ? -1 : 0;
    for (size_t j = 0; j < len; j++)
      x = x * 256 + ((const uint8_t *)bytes)[j];
    ASSERT_EQ(ev->after.v[i].i, (int64_t)x);
  }
  avro_reader_free(rd);
  avro_value_decref(&val);
  avro_value_iface_decref(iface);
}

EDDY_TEST(gen_avro_reads_back_with_avro_c) {
  void *st = NULL;
  ASSERT_OK(eddy__gen_ecommerce.create(&st, 4));
  gen_enc_conf_t c = {.prefix = "shop-1", .schemas = false};
  avro_schema_t schemas[5];
  eddy_buf_t b = {0};
  for (int i = 0; i < 5; i++) {
    eddy_buf_clear(&b);
    ASSERT_OK(gen_avro_schema(&c, &eddy__gen_ecommerce.tables[i], &b));
    ASSERT_OK(avro_schema_from_json_length(b.p, b.len, &schemas[i]));
  }
  gen_event_t *ev = eddy_malloc(sizeof(*ev));
  for (int i = 0; i < 3000; i++) {
    ASSERT_OK(eddy__gen_ecommerce.next(st, 1000000 * (int64_t)i, ev));
    eddy_buf_clear(&b);
    ASSERT_OK(gen_avro_datum(&c, &eddy__gen_ecommerce.tables[ev->table], ev, &b));
    check_avro(schemas[ev->table], &b, ev, &eddy__gen_ecommerce.tables[ev->table]);
    /* the key: record Key { <pk> }, one int */
    eddy_buf_t ks = {0};
    avro_schema_t key_schema;
    ASSERT_OK(gen_avro_key_schema(&c, &eddy__gen_ecommerce.tables[ev->table], &ks));
    ASSERT_OK(avro_schema_from_json_length(ks.p, ks.len, &key_schema));
    ASSERT_STR_EQ("Key", avro_schema_name(key_schema));
    eddy_buf_clear(&b);
    ASSERT_OK(gen_avro_key_datum(&eddy__gen_ecommerce.tables[ev->table], ev, &b));
    avro_value_iface_t *iface = avro_generic_class_from_schema(key_schema);
    avro_value_t kv, col;
    int32_t id = 0;
    ASSERT_OK(avro_generic_value_new(iface, &kv));
    avro_reader_t rd = avro_reader_memory(b.p, (int64_t)b.len);
    ASSERT_OK(avro_value_read(rd, &kv));
    ASSERT_OK(avro_value_get_by_index(&kv, 0, &col, NULL));
    ASSERT_OK(avro_value_get_int(&col, &id));
    ASSERT_EQ(ev->after.v[0].i, id);
    avro_reader_free(rd);
    avro_value_decref(&kv);
    avro_value_iface_decref(iface);
    avro_schema_decref(key_schema);
    eddy_buf_free(&ks);
  }
  for (int i = 0; i < 5; i++)
    avro_schema_decref(schemas[i]);
  eddy_buf_free(&b);
  eddy_free(ev);
  eddy__gen_ecommerce.destroy(st);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(gen_models_survive_failed_allocations) {
  const gen_model_t *models[] = {&eddy__gen_ecommerce, &eddy__gen_fraud, &eddy__gen_temperature};
  gen_event_t ev;
  for (int m = 0; m < 3; m++)
    for (long nth = 1; nth < 40; nth++) {
      void *st = NULL;
      eddy_alloc_fail_after(nth);
      int rc = models[m]->create(&st, 1);
      for (int i = 0; rc == 0 && i < 5000; i++)
        rc = models[m]->next(st, 1000000 * (int64_t)i, &ev);
      eddy_alloc_fail_after(0);
      ASSERT_TRUE(rc == 0 || rc == EDDY_ENOMEM);
      if (st != NULL)
        models[m]->destroy(st);
      EDDY_ASSERT_NO_LEAKS();
    }
}
