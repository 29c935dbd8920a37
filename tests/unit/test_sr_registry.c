/*
 * Registry semantics over an in-memory `_schemas` log: registration,
 * idempotence, id reuse across subjects, compatibility, deletes, configs,
 * and two registries writing concurrently to one log.
 */
#include "eddy_test.h"
#include "schema-registry/sr_int.h"

#define REC(fields) "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" fields "]}"
#define A_INT "{\"name\":\"a\",\"type\":\"int\"}"
#define B_STR "{\"name\":\"b\",\"type\":\"string\"}"
#define B_STR_D "{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}"

typedef struct {
  eddy__sr_mem_shared_t *log;
  eddy__sr_registry_t *reg[2];
} fixture_t;

static void open_registry(fixture_t *f, int i) {
  eddy__sr_log_t *log = NULL;
  ASSERT_OK(eddy__sr_log_mem_open(&log, f->log));
  eddy__sr_registry_conf_t conf = {.timeout_ms = 1000};
  ASSERT_OK(eddy__sr_registry_new(&f->reg[i], log, &conf, NULL));
}

static void setup(fixture_t *f) {
  f->log = eddy__sr_mem_shared_new();
  open_registry(f, 0);
  open_registry(f, 1);
}

static void teardown(fixture_t *f) {
  eddy__sr_registry_destroy(f->reg[0]);
  eddy__sr_registry_destroy(f->reg[1]);
  eddy__sr_mem_shared_destroy(f->log);
}

/* Register; @returns the Confluent code (0 on success). */
static int reg(eddy__sr_registry_t *r, const char *subject, const char *schema, int *id,
               int *version, eddy__sr_status_t *st) {
  eddy__sr_register_t req = {.schema = schema, .schema_len = strlen(schema)};
  eddy_sr_msgs_t why = {0};
  int rc = eddy__sr_register(r, subject, &req, id, version, &why, st);
  eddy_sr_msgs_free(&why);
  return rc;
}

static void expect_registered(eddy__sr_registry_t *r, const char *subject, const char *schema,
                              int want_id, int want_version) {
  eddy__sr_status_t st = {0};
  int id = 0, version = 0;
  int rc = reg(r, subject, schema, &id, &version, &st);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "register %s: %d %s", subject, rc, st.message);
  ASSERT_EQ(want_id, id);
  ASSERT_EQ(want_version, version);
}

/* A text rendering of the whole state, to compare two stores. */
static void dump(eddy__sr_store_t *st, eddy_buf_t *out) {
  int cnt = 0;
  const char **names = eddy__sr_store_subjects(st, true, &cnt);
  eddy_buf_printf(out, "compat=%s max=%d\n",
                  eddy_sr_compat_name(eddy__sr_store_global_compat(st)), eddy__sr_store_max_id(st));
  for (int i = 0; i < cnt; i++) {
    const eddy__sr_subject_t *s = eddy__sr_store_subject(st, names[i]);
    eddy_buf_printf(out, "%s:", s->name);
    for (int v = 0; v < s->version_cnt; v++)
      eddy_buf_printf(out, " v%d=id%d%s[%s]", s->versions[v].version, s->versions[v].schema->id,
                      s->versions[v].deleted ? "(deleted)" : "", s->versions[v].schema->text);
    eddy_buf_putc(out, '\n');
  }
  eddy_free(names);
  eddy_buf_cstr(out);
}

static void expect_same_state(eddy__sr_store_t *a, eddy__sr_store_t *b) {
  eddy_buf_t da = {0}, db = {0};
  dump(a, &da);
  dump(b, &db);
  ASSERT_STR_EQ(da.p, db.p);
  eddy_buf_free(&da);
  eddy_buf_free(&db);
}

EDDY_TEST(registry_register_is_idempotent_and_reuses_ids) {
  fixture_t f;
  setup(&f);
  expect_registered(f.reg[0], "orders-value", REC(A_INT), 1, 1);
  /* the same schema with other whitespace and attribute order */
  expect_registered(f.reg[0], "orders-value",
                    "{ \"fields\" : [ {\"type\":\"int\", \"name\":\"a\"} ], \"name\":\"R\", "
                    "\"type\":\"record\" }",
                    1, 1);
  /* the same schema under another subject keeps its global id */
  expect_registered(f.reg[1], "payments-value", REC(A_INT), 1, 1);
  expect_registered(f.reg[1], "orders-value", REC(A_INT "," B_STR_D), 2, 2);
  ASSERT_EQ(3, eddy__sr_mem_shared_cnt(f.log));   /* only three writes happened */
  eddy__sr_registry_poll(f.reg[0]);
  expect_same_state(eddy__sr_registry_store(f.reg[0]), eddy__sr_registry_store(f.reg[1]));
  teardown(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(registry_compatibility_is_enforced) {
  fixture_t f;
  setup(&f);
  eddy__sr_status_t st = {0};
  int id, version;
  expect_registered(f.reg[0], "s", REC(A_INT), 1, 1);
  /* BACKWARD (default): b has no default, v1 lacks b */
  ASSERT_EQ(409, reg(f.reg[0], "s", REC(A_INT "," B_STR), &id, &version, &st));
  ASSERT_TRUE(strstr(st.message, "READER_FIELD_MISSING_DEFAULT_VALUE") != NULL);
  ASSERT_TRUE(strstr(st.message, "{oldSchemaVersion: 1}") != NULL);
  ASSERT_EQ(409, eddy__sr_http_status(st.code));
  ASSERT_OK(eddy__sr_set_config(f.reg[0], "s", "none", &st));
  expect_registered(f.reg[0], "s", REC(A_INT "," B_STR), 2, 2);
  ASSERT_EQ(42203, eddy__sr_set_config(f.reg[0], NULL, "SOMETIMES", &st));
  ASSERT_EQ(422, eddy__sr_http_status(st.code));
  ASSERT_EQ(42201, reg(f.reg[0], "s", "{\"type\":\"recrod\"}", &id, &version, &st));
  ASSERT_EQ(42201, reg(f.reg[0], "s", "not json", &id, &version, &st));
  teardown(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(registry_soft_and_hard_deletes) {
  fixture_t f;
  setup(&f);
  eddy__sr_status_t st = {0};
  int *versions = NULL, cnt = 0, deleted = 0;
  ASSERT_OK(eddy__sr_set_config(f.reg[0], "s", "NONE", &st));
  expect_registered(f.reg[0], "s", REC(A_INT), 1, 1);
  expect_registered(f.reg[0], "s", REC(B_STR), 2, 2);
  ASSERT_EQ(40405, eddy__sr_delete_subject(f.reg[0], "s", true, &versions, &cnt, &st));
  ASSERT_EQ(40407, eddy__sr_delete_version(f.reg[0], "s", 1, true, &deleted, &st));
  ASSERT_OK(eddy__sr_delete_version(f.reg[0], "s", 1, false, &deleted, &st));
  ASSERT_EQ(1, deleted);
  ASSERT_EQ(40406, eddy__sr_delete_version(f.reg[0], "s", 1, false, &deleted, &st));
  ASSERT_OK(eddy__sr_delete_subject(f.reg[1], "s", false, &versions, &cnt, &st));
  ASSERT_EQ(1, cnt);
  ASSERT_EQ(2, versions[0]);
  eddy_free(versions);
  ASSERT_EQ(40404, eddy__sr_delete_subject(f.reg[1], "s", false, &versions, &cnt, &st));
  /* re-registering after a soft delete makes a new version (numbers are not
     reused) with the same id */
  expect_registered(f.reg[0], "s", REC(A_INT), 1, 3);
  ASSERT_OK(eddy__sr_delete_subject(f.reg[0], "s", false, &versions, &cnt, &st));
  eddy_free(versions);
  ASSERT_OK(eddy__sr_delete_subject(f.reg[0], "s", true, &versions, &cnt, &st));
  ASSERT_EQ(3, cnt);
  eddy_free(versions);
  ASSERT_EQ(40401, eddy__sr_delete_subject(f.reg[0], "s", true, &versions, &cnt, &st));
  eddy__sr_store_t *store = eddy__sr_registry_store(f.reg[0]);
  ASSERT_TRUE(eddy__sr_store_subject(store, "s") == NULL);   /* config went too */
  ASSERT_TRUE(eddy__sr_store_by_id(store, 1) == NULL);
  /* ids are never reused after a hard delete */
  expect_registered(f.reg[1], "t", REC(B_STR), 3, 1);
  teardown(&f);
  EDDY_ASSERT_NO_LEAKS();
}

/* Replay only the last record of every key, as log compaction would keep. */
static eddy__sr_store_t *replay_compacted(eddy__sr_mem_shared_t *log) {
  eddy__sr_store_t *st = eddy__sr_store_new(NULL);
  int n = eddy__sr_mem_shared_cnt(log);
  for (int i = 0; i < n; i++) {
    const eddy__sr_record_t *r = eddy__sr_mem_shared_record(log, i);
    bool superseded = false;
    for (int k = i + 1; k < n && !superseded; k++)
      superseded = strcmp(r->key, eddy__sr_mem_shared_record(log, k)->key) == 0;
    if (!superseded)
      eddy__sr_store_apply(st, r->key, strlen(r->key), r->value, r->value ? strlen(r->value) : 0,
                           i);
  }
  return st;
}

typedef struct {
  fixture_t *f;
  const char *subject;
  const char *schema;
} competitor_t;

static void compete(void *opaque) {
  competitor_t *c = opaque;
  expect_registered(c->f->reg[1], c->subject, c->schema, 1, 1);
}

/* Both registries pick version 1 of "s"; the one whose record is first in
   the log wins, the other retries as version 2. */
EDDY_TEST(registry_concurrent_writers_same_subject) {
  fixture_t f;
  setup(&f);
  eddy__sr_status_t st = {0};
  ASSERT_OK(eddy__sr_set_config(f.reg[0], NULL, "NONE", &st));
  competitor_t c = {&f, "s", REC(B_STR)};
  ASSERT_OK(eddy__sr_registry_sync(f.reg[1], 0, &st));
  eddy__sr_mem_shared_hook(f.log, compete, &c);
  expect_registered(f.reg[0], "s", REC(A_INT), 2, 2);
  eddy__sr_registry_poll(f.reg[1]);
  expect_same_state(eddy__sr_registry_store(f.reg[0]), eddy__sr_registry_store(f.reg[1]));
  eddy__sr_store_t *compacted = replay_compacted(f.log);
  expect_same_state(eddy__sr_registry_store(f.reg[0]), compacted);
  eddy__sr_store_destroy(compacted);
  teardown(&f);
  EDDY_ASSERT_NO_LEAKS();
}

/* Both pick id 1 for different schemas in different subjects. */
EDDY_TEST(registry_concurrent_writers_same_id) {
  fixture_t f;
  setup(&f);
  eddy__sr_status_t st = {0};
  competitor_t c = {&f, "other", REC(B_STR)};
  ASSERT_OK(eddy__sr_registry_sync(f.reg[1], 0, &st));
  eddy__sr_mem_shared_hook(f.log, compete, &c);
  expect_registered(f.reg[0], "s", REC(A_INT), 2, 1);
  eddy__sr_registry_poll(f.reg[1]);
  expect_same_state(eddy__sr_registry_store(f.reg[0]), eddy__sr_registry_store(f.reg[1]));
  eddy__sr_store_t *compacted = replay_compacted(f.log);
  expect_same_state(eddy__sr_registry_store(f.reg[0]), compacted);
  eddy__sr_store_destroy(compacted);
  teardown(&f);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(store_reads_confluent_records) {
  eddy__sr_store_t *st = eddy__sr_store_new(NULL);
  static const char *const log[][2] = {
      {"{\"keytype\":\"NOOP\",\"magic\":0}", NULL},
      {"{\"keytype\":\"CONFIG\",\"magic\":0}", "{\"compatibilityLevel\":\"FULL\"}"},
      {"{\"keytype\":\"SCHEMA\",\"subject\":\"x-value\",\"version\":1,\"magic\":1}",
       "{\"subject\":\"x-value\",\"version\":1,\"id\":21,\"schema\":\"\\\"string\\\"\","
       "\"deleted\":false}"},
      {"{\"keytype\":\"SCHEMA\",\"subject\":\"x-value\",\"version\":2,\"magic\":1}",
       "{\"subject\":\"x-value\",\"version\":2,\"id\":22,\"schemaType\":\"JSON\","
       "\"schema\":\"{\\\"type\\\":\\\"object\\\"}\",\"deleted\":false,\"md5\":\"x\"}"},
      {"not json", "{}"},
      {"{\"keytype\":\"CONTEXT\",\"magic\":0}", "{\"tenant\":\"t\"}"},
      {"{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"x-value\",\"magic\":0}",
       "{\"subject\":\"x-value\",\"version\":1}"},
  };
  for (size_t i = 0; i < sizeof(log) / sizeof(log[0]); i++)
    eddy__sr_store_apply(st, log[i][0], strlen(log[i][0]), log[i][1],
                         log[i][1] ? strlen(log[i][1]) : 0, (int64_t)i);
  ASSERT_EQ(7, eddy__sr_store_next_offset(st));
  ASSERT_EQ(EDDY_SR_COMPAT_FULL, eddy__sr_store_global_compat(st));
  ASSERT_EQ(22, eddy__sr_store_max_id(st));
  const eddy__sr_subject_t *s = eddy__sr_store_subject(st, "x-value");
  ASSERT_EQ(2, s->version_cnt);
  ASSERT_TRUE(s->versions[0].deleted);
  ASSERT_FALSE(s->versions[1].deleted);
  ASSERT_STR_EQ("JSON", s->versions[1].schema->schema_type);
  ASSERT_STR_EQ("\"string\"", eddy__sr_store_by_id(st, 21)->text);
  eddy__sr_store_destroy(st);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(records_match_confluent_layout) {
  eddy__sr_record_t r = {0};
  ASSERT_OK(eddy__sr_record_schema(&r, "o-value", 3, 7, "\"int\"", NULL, false));
  ASSERT_STR_EQ("{\"keytype\":\"SCHEMA\",\"subject\":\"o-value\",\"version\":3,\"magic\":1}", r.key);
  ASSERT_STR_EQ("{\"subject\":\"o-value\",\"version\":3,\"id\":7,\"schema\":\"\\\"int\\\"\","
                "\"deleted\":false}", r.value);
  eddy__sr_record_clear(&r);
  ASSERT_OK(eddy__sr_record_config(&r, NULL, "FULL"));
  ASSERT_STR_EQ("{\"keytype\":\"CONFIG\",\"magic\":0}", r.key);
  ASSERT_STR_EQ("{\"compatibilityLevel\":\"FULL\"}", r.value);
  eddy__sr_record_clear(&r);
  ASSERT_OK(eddy__sr_record_config(&r, "s", NULL));
  ASSERT_STR_EQ("{\"keytype\":\"CONFIG\",\"subject\":\"s\",\"magic\":0}", r.key);
  ASSERT_TRUE(r.value == NULL);
  eddy__sr_record_clear(&r);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(registry_modes) {
  fixture_t f;
  setup(&f);
  eddy__sr_status_t st = {0};
  int id = 0, version = 0, deleted = 0;
  expect_registered(f.reg[0], "s", REC(A_INT), 1, 1);
  ASSERT_EQ(42204, eddy__sr_set_mode(f.reg[0], NULL, "FAST", &st));
  ASSERT_OK(eddy__sr_set_mode(f.reg[0], NULL, "READONLY", &st));
  ASSERT_EQ(42205, reg(f.reg[1], "s", REC(B_STR), &id, &version, &st));
  ASSERT_EQ(42205, eddy__sr_delete_version(f.reg[1], "s", 1, false, &deleted, &st));
  /* a subject-level mode overrides the global one */
  ASSERT_OK(eddy__sr_set_mode(f.reg[1], "s", "READWRITE", &st));
  ASSERT_OK(eddy__sr_set_config(f.reg[1], "s", "NONE", &st));
  expect_registered(f.reg[1], "s", REC(B_STR), 2, 2);
  ASSERT_EQ(42205, reg(f.reg[1], "t", REC(B_STR), &id, &version, &st));
  ASSERT_OK(eddy__sr_set_mode(f.reg[1], "s", NULL, &st));
  ASSERT_EQ(40409, eddy__sr_set_mode(f.reg[1], "s", NULL, &st));
  /* IMPORT: the client chooses id and version, no compatibility check */
  ASSERT_OK(eddy__sr_set_mode(f.reg[0], NULL, "IMPORT", &st));
  eddy__sr_register_t req = {.schema = REC(A_INT "," B_STR), .id = 100, .version = 7};
  req.schema_len = strlen(req.schema);
  eddy_sr_msgs_t why = {0};
  ASSERT_OK(eddy__sr_register(f.reg[0], "imported", &req, &id, &version, &why, &st));
  ASSERT_EQ(100, id);
  ASSERT_EQ(7, version);
  req.schema = REC(B_STR);   /* id 100 is taken by another schema */
  req.schema_len = strlen(req.schema);
  req.version = 8;
  ASSERT_EQ(42207, eddy__sr_register(f.reg[0], "imported", &req, &id, &version, &why, &st));
  ASSERT_OK(eddy__sr_set_mode(f.reg[0], NULL, "READWRITE", &st));
  /* ids continue after the imported one */
  expect_registered(f.reg[0], "u", "\"string\"", 101, 1);
  eddy_sr_msgs_free(&why);
  teardown(&f);
  EDDY_ASSERT_NO_LEAKS();
}
