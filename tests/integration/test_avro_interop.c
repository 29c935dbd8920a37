/*
 * Avro across independent implementations, through a real Schema Registry:
 *
 *  - Debezium-Avro change events registered with Confluent's Python client
 *    and written by Apache Avro's Python DatumWriter (test_avro_python.py
 *    produce) are decoded by eddy's decoder, which fetches each writer
 *    schema by id once; every column is checked against the values Python
 *    computed. Tombstones, an unknown id, a bad magic byte and a truncated
 *    record give the documented outcomes.
 *  - A registry outage: a record with a schema id not yet cached fails
 *    retriably (nothing decoded, nothing lost); once the registry is back the
 *    same record decodes.
 *  - Rows written by eddy's encoder (registered as `eddy.out-value`) are read
 *    back by Python's DatumReader with the schema fetched from the registry
 *    (test_avro_python.py consume).
 *
 * The registry is the in-process server on an embedded broker, or, when
 * EDDY_AVRO_REGISTRY_URL is set (test_avro_python.py runs this file that
 * way against `eddy registry --embedded`), that one.
 */
#include <cJSON.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "eddy_test.h"
#include "engine/broker.h"
#include "schema-registry/registry.h"
#include "serde/avro.h"

extern char **environ;

typedef struct {
  eddy_broker_t *broker;
  eddy_sr_server_t *server;
  eddy_sr_client_t *client;
  int port;
  bool external;
  char url[256];
} env_t;

static void server_start(env_t *e) {
  eddy_error_t *err = NULL;
  eddy_sr_server_conf_t conf;
  eddy_sr_server_conf_init(&conf);
  conf.port = e->port;
  conf.bootstrap = eddy_broker_bootstrap(e->broker);
  conf.timeout_ms = eddy_test_tmout(10000);
  if (eddy_sr_server_start(&e->server, &conf, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "registry: %s", eddy_error_msg(err));
}

static void env_start(env_t *e) {
  eddy_error_t *err = NULL;
  const char *url = getenv("EDDY_AVRO_REGISTRY_URL");
  memset(e, 0, sizeof(*e));
  if (url != NULL && url[0] != '\0') {
    e->external = true;
    snprintf(e->url, sizeof(e->url), "%s", url);
  } else {
    ASSERT_OK(eddy_broker_start(&e->broker, 1, &err));
    ASSERT_OK(eddy_broker_create_topic(e->broker, "_schemas", 1, &err));
    e->port = eddy_test_free_port(); /* fixed, so that a restarted registry has the same URL */
    server_start(e);
    snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->port);
  }
  eddy_sr_client_conf_t cc = {.url = e->url, .timeout_ms = eddy_test_tmout(5000)};
  ASSERT_OK(eddy_sr_client_new(&e->client, &cc, &err));
}

static void env_stop(env_t *e) {
  eddy_sr_client_destroy(e->client);
  eddy_sr_server_stop(e->server);
  eddy_broker_stop(e->broker);
}

/* /usr/bin/python3 test_avro_python.py <mode> <url> <file>; must exit 0. */
static void run_python(const char *mode, const char *url, const char *file) {
  char script[4096];
  const char *src = getenv("EDDY_SOURCE_DIR");
  if (src != NULL) {
    snprintf(script, sizeof(script), "%s/tests/integration/test_avro_python.py", src);
  } else {
    const char *slash = strrchr(__FILE__, '/');
    snprintf(script, sizeof(script), "%.*s/test_avro_python.py",
             slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
  }
  char *argv[] = {"/usr/bin/python3", script, (char *)mode, (char *)url, (char *)file, NULL};
  pid_t pid;
  int status = 0;
  ASSERT_OK(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ));
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    eddy_test_fail(__FILE__, __LINE__, "python %s failed (status %d)", mode, status);
}

static cJSON **read_cases(const char *path, int *cnt) {
  FILE *f = fopen(path, "r");
  ASSERT_TRUE(f != NULL);
  cJSON **cases = NULL;
  char *line = NULL;
  size_t cap = 0;
  *cnt = 0;
  while (getline(&line, &cap, f) > 0) {
    cases = realloc(cases, (size_t)(*cnt + 1) * sizeof(*cases));
    cases[*cnt] = cJSON_Parse(line);
    ASSERT_TRUE(cases[*cnt] != NULL);
    (*cnt)++;
  }
  free(line);
  fclose(f);
  return cases;
}

static uint8_t *unhex(const char *hex, size_t *len) {
  *len = strlen(hex) / 2;
  uint8_t *b = malloc(*len ? *len : 1);
  for (size_t i = 0; i < *len; i++) {
    unsigned v;
    ASSERT_EQ(1, sscanf(hex + 2 * i, "%2x", &v));
    b[i] = (uint8_t)v;
  }
  return b;
}

/* ---- Python writes, eddy reads --------------------------------------------------------- */

static const eddy_field_t columns[] = {
  {"op", {.kind = EDDY_T_STRING}},
  {"ts_ms", {.kind = EDDY_T_TIMESTAMP}},
  {"after.id", {.kind = EDDY_T_INT}},
  {"after.user_id", {.kind = EDDY_T_INT}},
  {"after.amount", {.kind = EDDY_T_DECIMAL, .precision = 10, .scale = 2}},
  {"after.status", {.kind = EDDY_T_STRING}},
  {"after.created_at", {.kind = EDDY_T_TIMESTAMP}},
  {"after.updated_ts", {.kind = EDDY_T_TIMESTAMP}},
  {"after.ship_date", {.kind = EDDY_T_TIMESTAMP}},
  {"after.discount", {.kind = EDDY_T_DECIMAL, .precision = 10, .scale = 2}},
  {"after.weight", {.kind = EDDY_T_DOUBLE}},
  {"after.paid", {.kind = EDDY_T_BOOL}},
  {"before.id", {.kind = EDDY_T_INT}},
  {"before.status", {.kind = EDDY_T_STRING}},
  {"source.table", {.kind = EDDY_T_STRING}},
  {"source.lsn", {.kind = EDDY_T_INT}},
};
enum { N_COLUMNS = sizeof(columns) / sizeof(columns[0]) };

/* The value as the text Python wrote for it. */
static void value_text(const eddy_value_t *v, char *buf, size_t size) {
  switch (v->kind) {
  case EDDY_T_INT:
  case EDDY_T_TIMESTAMP: snprintf(buf, size, "%lld", (long long)v->u.i); break;
  case EDDY_T_DECIMAL: eddy_decimal_format(v->u.dec, v->scale, buf, size); break;
  case EDDY_T_STRING: snprintf(buf, size, "%.*s", (int)v->len, v->u.s); break;
  case EDDY_T_BOOL: snprintf(buf, size, "%s", v->u.b ? "true" : "false"); break;
  default: snprintf(buf, size, "(kind %d)", v->kind); break;
  }
}

static void check_value(const char *name, const char *col, const eddy_value_t *v,
                        const cJSON *want) {
  char got[256];
  if (cJSON_IsNull(want)) {
    if (v->kind != EDDY_T_NULL)
      eddy_test_fail(__FILE__, __LINE__, "%s: %s: expected null, got kind %d", name, col, v->kind);
    return;
  }
  ASSERT_TRUE(cJSON_IsString(want));
  if (v->kind == EDDY_T_DOUBLE) { /* Python's repr, compared as numbers */
    if (v->u.d != strtod(want->valuestring, NULL))
      eddy_test_fail(__FILE__, __LINE__, "%s: %s: expected %s, got %.17g", name, col,
                     want->valuestring, v->u.d);
    return;
  }
  value_text(v, got, sizeof(got));
  if (v->kind == EDDY_T_NULL || strcmp(got, want->valuestring) != 0)
    eddy_test_fail(__FILE__, __LINE__, "%s: %s: expected %s, got %s", name, col,
                   want->valuestring, v->kind == EDDY_T_NULL ? "null" : got);
}

typedef struct {
  eddy_avro_decoder_t *dec;
  eddy_arena_t *arena;
  eddy_value_t vals[N_COLUMNS];
  eddy_error_t *err;
  uint8_t *bytes;   /* the last record: decoded strings point into it */
} reader_t;

static int decode_case(reader_t *r, const cJSON *c) {
  size_t len;
  free(r->bytes);
  r->bytes = unhex(cJSON_GetObjectItem(c, "hex")->valuestring, &len);
  eddy_error_destroy(r->err);
  r->err = NULL;
  eddy_arena_reset(r->arena);
  return eddy_avro_decoder_decode(r->dec, len ? r->bytes : NULL, len, r->vals, r->arena, &r->err);
}

static void check_case(reader_t *r, const cJSON *c) {
  const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
  const cJSON *error = cJSON_GetObjectItem(c, "error");
  int rc = decode_case(r, c);
  if (cJSON_IsTrue(cJSON_GetObjectItem(c, "tombstone"))) {
    ASSERT_EQ(EDDY_ENOENT, rc);
    return;
  }
  if (error != NULL) {
    ASSERT_EQ(EDDY_EDECODE, rc);
    ASSERT_FALSE(r->err->retriable);
    if (strstr(r->err->msg, error->valuestring) == NULL)
      eddy_test_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", name, r->err->msg,
                     error->valuestring);
    return;
  }
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "%s: %s", name, eddy_error_msg(r->err));
  const cJSON *expect = cJSON_GetObjectItem(c, "expect");
  for (int i = 0; i < N_COLUMNS; i++)
    check_value(name, columns[i].name, &r->vals[i], cJSON_GetObjectItem(expect, columns[i].name));
}

/* The registry is down: the record fails retriably; restarted, the same record decodes. */
static void outage(env_t *e, reader_t *r, const cJSON *c) {
  eddy_sr_server_stop(e->server);
  e->server = NULL;
  int rc = decode_case(r, c);
  ASSERT_TRUE(rc == EDDY_EIO || rc == EDDY_ETIMEOUT);
  ASSERT_TRUE(r->err->retriable);
  server_start(e);
  /* the caller's loop: back off and retry the same record until it decodes */
  struct timespec now, delay = {0, 10 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &now);
  double deadline = (double)now.tv_sec + eddy_test_tmout(30000) / 1000.0;
  while ((rc = decode_case(r, c)) != 0) {
    ASSERT_TRUE(r->err->retriable);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)now.tv_sec > deadline)
      eddy_test_fail(__FILE__, __LINE__, "registry did not come back: %s", r->err->msg);
    nanosleep(&delay, NULL);
    delay.tv_nsec = delay.tv_nsec < 400 * 1000 * 1000 ? delay.tv_nsec * 2 : delay.tv_nsec;
  }
  check_case(r, c);
}

EDDY_TEST(avro_python_records_decode) {
  env_t e;
  env_start(&e);
  char *dir = eddy_test_tmpdir("avro"), path[600];
  snprintf(path, sizeof(path), "%s/cases.jsonl", dir);
  run_python("produce", e.url, path);
  int cnt;
  cJSON **cases = read_cases(path, &cnt);
  ASSERT_TRUE(cnt >= 10);
  eddy_fields_t layout = {N_COLUMNS, columns};
  eddy_decode_spec_t spec = {.format = EDDY_FMT_DEBEZIUM_AVRO, .layout = &layout};
  reader_t r = {.arena = eddy_arena_new(4096)};
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_avro_decoder_new(&r.dec, &spec, e.client, &err));
  const cJSON *held = NULL;
  for (int i = 0; i < cnt; i++) {
    if (!e.external && cJSON_IsTrue(cJSON_GetObjectItem(cases[i], "outage")))
      held = cases[i]; /* its schema id must not be cached before the outage */
    else
      check_case(&r, cases[i]);
  }
  /* Schemas are fetched once: a second pass over the valid records asks nothing. */
  long requests = eddy_sr_client_requests(e.client);
  int valid = 0;
  for (int i = 0; i < cnt; i++)
    if (cases[i] != held && !cJSON_GetObjectItem(cases[i], "error")) {
      check_case(&r, cases[i]);
      valid++;
    }
  ASSERT_TRUE(valid >= 7);
  ASSERT_EQ(requests, eddy_sr_client_requests(e.client));
  if (held != NULL)
    outage(&e, &r, held);
  ASSERT_EQ(3, eddy_avro_decoder_schema_cnt(r.dec)); /* v1, v2, refunds */
  eddy_error_destroy(r.err);
  free(r.bytes);
  eddy_avro_decoder_destroy(r.dec);
  eddy_arena_destroy(r.arena);
  for (int i = 0; i < cnt; i++)
    cJSON_Delete(cases[i]);
  free(cases);
  free(dir);
  env_stop(&e);
  EDDY_ASSERT_NO_LEAKS();
}

/* ---- eddy writes, Python reads --------------------------------------------------------- */

static const eddy_type_t str_t = {.kind = EDDY_T_STRING};
static const eddy_field_t addr_f[] = {{"city", {.kind = EDDY_T_STRING}},
                                      {"zip", {.kind = EDDY_T_INT}}};
static const eddy_fields_t addr = {2, addr_f};
static const eddy_field_t out_cols[] = {
  {"id", {.kind = EDDY_T_INT}},
  {"amount", {.kind = EDDY_T_DECIMAL, .precision = 10, .scale = 2}},
  {"at", {.kind = EDDY_T_TIMESTAMP}},
  {"name", {.kind = EDDY_T_STRING}},
  {"score", {.kind = EDDY_T_DOUBLE}},
  {"ok", {.kind = EDDY_T_BOOL}},
  {"tags", {.kind = EDDY_T_ARRAY, .elem = &str_t}},
  {"addr", {.kind = EDDY_T_STRUCT, .fields = &addr}},
  {"after.x", {.kind = EDDY_T_INT}},
};
enum { N_OUT = sizeof(out_cols) / sizeof(out_cols[0]) };

/* The row's values in the JSON shapes test_avro_python.py normalises Python's to. */
static cJSON *expect_json(const eddy_value_t *v, const eddy_type_t *t) {
  char buf[64];
  cJSON *o;
  switch (v->kind) {
  case EDDY_T_NULL: return cJSON_CreateNull();
  case EDDY_T_INT:
  case EDDY_T_TIMESTAMP: return cJSON_CreateNumber((double)v->u.i);
  case EDDY_T_DOUBLE: return cJSON_CreateNumber(v->u.d);
  case EDDY_T_BOOL: return cJSON_CreateBool(v->u.b);
  case EDDY_T_STRING: {
    char *text = strndup(v->u.s, v->len);
    o = cJSON_CreateString(text);
    free(text);
    return o;
  }
  case EDDY_T_DECIMAL:
    eddy_decimal_format(v->u.dec, v->scale, buf, sizeof(buf));
    return cJSON_CreateString(buf);
  case EDDY_T_ARRAY:
    o = cJSON_CreateArray();
    for (uint32_t i = 0; i < v->len; i++)
      cJSON_AddItemToArray(o, expect_json(&v->u.items[i], t->elem));
    return o;
  default:
    o = cJSON_CreateObject();
    for (uint32_t i = 0; i < v->len; i++)
      cJSON_AddItemToObject(o, t->fields->items[i].name, expect_json(&v->u.items[i],
                                                                      &t->fields->items[i].type));
    return o;
  }
}

static cJSON *expect_row(const eddy_value_t *vals) {
  cJSON *row = cJSON_CreateObject(), *after = cJSON_CreateObject();
  for (int i = 0; i < N_OUT; i++) {
    cJSON *v = expect_json(&vals[i], &out_cols[i].type);
    if (strncmp(out_cols[i].name, "after.", 6) == 0)
      cJSON_AddItemToObject(after, out_cols[i].name + 6, v);
    else
      cJSON_AddItemToObject(row, out_cols[i].name, v);
  }
  cJSON_AddItemToObject(row, "after", after);
  return row;
}

EDDY_TEST(avro_eddy_records_python_reads) {
  env_t e;
  env_start(&e);
  eddy_fields_t layout = {N_OUT, out_cols};
  eddy_avro_encoder_conf_t conf = {.topic = "eddy.out", .layout = &layout};
  eddy_avro_encoder_t *enc = NULL;
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_avro_encoder_new(&enc, &conf, e.client, &err));
  ASSERT_EQ(0, eddy_avro_encoder_id(enc));
  eddy_value_t tags[] = {eddy_string("a", 1), eddy_null(), eddy_string("\xc3\xa9t\xc3\xa9", 5)};
  eddy_value_t place[] = {eddy_string("Lyon", 4), eddy_int(69001)};
  eddy_value_t rows[4][N_OUT] = {
    {eddy_int(1), eddy_decimal(1250, 2), eddy_timestamp(1710066896789123), eddy_string("x", 1),
     eddy_double(0.25), eddy_bool(true), {.kind = EDDY_T_ARRAY, .len = 3, .u.items = tags},
     {.kind = EDDY_T_STRUCT, .len = 2, .u.items = place}, eddy_int(-5)},
    {eddy_int(2), eddy_decimal(-5, 2), eddy_timestamp(-1), eddy_string("", 0),
     eddy_double(-1e300), eddy_bool(false), {.kind = EDDY_T_ARRAY, .len = 0},
     eddy_null(), eddy_null()},
    {eddy_int(3), eddy_decimal(9999999999, 2), eddy_null(), eddy_null(), eddy_null(),
     eddy_null(), eddy_null(), eddy_null(), eddy_int(4503599627370496)},
    {eddy_int(4), eddy_decimal(0, 2), eddy_timestamp(0), eddy_string("\"q\"\\", 4),
     eddy_double(3.5), eddy_bool(true), eddy_null(),
     {.kind = EDDY_T_STRUCT, .len = 2, .u.items = (eddy_value_t[]){eddy_null(), eddy_int(0)}},
     eddy_int(0)}};
  char *dir = eddy_test_tmpdir("avro-out"), path[600];
  snprintf(path, sizeof(path), "%s/rows.jsonl", dir);
  FILE *f = fopen(path, "w");
  eddy_buf_t out = {0};
  /* and eddy reads its own records back through the registry */
  eddy_decode_spec_t spec = {.format = EDDY_FMT_AVRO, .layout = &layout};
  eddy_avro_decoder_t *dec = NULL;
  ASSERT_OK(eddy_avro_decoder_new(&dec, &spec, e.client, &err));
  eddy_arena_t *arena = eddy_arena_new(4096);
  for (int i = 0; i < 4; i++) {
    eddy_row_t row = {.layout = &layout, .vals = rows[i]};
    eddy_buf_clear(&out);
    if (eddy_avro_encode_row(enc, &row, &out, &err) != 0)
      eddy_test_fail(__FILE__, __LINE__, "encode: %s", eddy_error_msg(err));
    cJSON *line = cJSON_CreateObject();
    char *hex = malloc(out.len * 2 + 1);
    for (size_t k = 0; k < out.len; k++)
      sprintf(hex + 2 * k, "%02x", (uint8_t)out.p[k]);
    cJSON_AddStringToObject(line, "hex", out.len ? hex : "");
    cJSON_AddItemToObject(line, "expect", expect_row(rows[i]));
    char *text = cJSON_PrintUnformatted(line);
    fprintf(f, "%s\n", text);
    free(text);
    free(hex);
    cJSON_Delete(line);
    eddy_value_t back[N_OUT];
    if (eddy_avro_decoder_decode(dec, out.p, out.len, back, arena, &err) != 0)
      eddy_test_fail(__FILE__, __LINE__, "decode: %s", eddy_error_msg(err));
    for (int c = 0; c < N_OUT; c++)
      ASSERT_TRUE(eddy_value_cmp(&rows[i][c], &back[c]) == 0);
  }
  fclose(f);
  ASSERT_TRUE(eddy_avro_encoder_id(enc) > 0);
  run_python("consume", e.url, path);
  eddy_arena_destroy(arena);
  eddy_avro_decoder_destroy(dec);
  eddy_buf_free(&out);
  eddy_avro_encoder_destroy(enc);
  free(dir);
  env_stop(&e);
  EDDY_ASSERT_NO_LEAKS();
}
