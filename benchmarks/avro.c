/*
 * Avro decode benchmark: 200,000 Debezium-Avro order change events
 * (Confluent wire format, envelope as the AvroConverter registers it:
 * before/after as ["null", Value], source record, op, ts_ms, transaction)
 * decoded into the 5 columns a revenue topology uses (op, after.order_id,
 * after.user_id, after.status, after.total_amount as DECIMAL(10,2)), then
 * the same filter and projection on both sides: where op == "u" and
 * after.status == "completed", sum the amounts and order ids.
 *
 * Baseline, measured in the same run over the same bytes: avro-c's generic
 * reader (avro_generic_value_new once, avro_value_read per record) followed
 * by avro_value_get_by_name / get_current_branch look-ups of the same five
 * fields, the decimal converted the same way. Both sides must agree on the
 * sums. The events are written by avro-c's writer, not by eddy.
 * Time is this thread's CPU time (see benchmarks/decode.c).
 *
 * Then the full topology, on the embedded broker with eddy's registry in
 * process: the same events (schema registered under `orders-value`) through
 * a `format debezium-avro` source, `where` + `select`, `to kafka` as JSON,
 * one stream thread, 32 partitions; against the raw librdkafka passthrough
 * (consume + produce the same records unchanged) measured in the same run,
 * as benchmarks/stateless.c does for Debezium JSON.
 *
 * The decoder's line is printed first (BENCH avro ... for the decoder
 * alone); the last line is the full topology:
 *   BENCH avro events_per_s=<n> baseline_per_s=<n> ratio=<r>
 */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <unistd.h>

#include "bench_common.h"
#include "dsl/dsl.h"
#include "engine/app.h"
#include "engine/broker.h"
#include "schema-registry/registry.h"
#include "serde/avro.h"

#define EVENTS 200000
#define ROUNDS 3

#define DECIMAL                                                                           \
  "{\"type\":\"bytes\",\"scale\":2,\"precision\":10,\"connect.version\":1,"               \
  "\"connect.parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"},"        \
  "\"connect.name\":\"org.apache.kafka.connect.data.Decimal\",\"logicalType\":\"decimal\"}"
#define MICROS "{\"type\":\"long\",\"connect.version\":1,\"connect.name\":\"io.debezium.time.MicroTimestamp\"}"
#define OPT_STRING "[\"null\",\"string\"],\"default\":null"

static const char schema_text[] =
  "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"ecommerce.public.orders\","
  "\"fields\":[{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\","
  "\"fields\":[{\"name\":\"order_id\",\"type\":\"long\"},{\"name\":\"user_id\",\"type\":\"int\"},"
  "{\"name\":\"total_amount\",\"type\":" DECIMAL "},"
  "{\"name\":\"status\",\"type\":" OPT_STRING "},"
  "{\"name\":\"shipping_address\",\"type\":" OPT_STRING "},"
  "{\"name\":\"payment_method\",\"type\":" OPT_STRING "},"
  "{\"name\":\"created_at\",\"type\":" MICROS "},{\"name\":\"updated_at\",\"type\":" MICROS "}],"
  "\"connect.name\":\"ecommerce.public.orders.Value\"}],\"default\":null},"
  "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
  "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":\"Source\","
  "\"namespace\":\"io.debezium.connector.postgresql\",\"fields\":["
  "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"connector\",\"type\":\"string\"},"
  "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":\"long\"},"
  "{\"name\":\"snapshot\",\"type\":[\"string\",\"null\"],\"default\":\"false\"},"
  "{\"name\":\"db\",\"type\":\"string\"},{\"name\":\"schema\",\"type\":\"string\"},"
  "{\"name\":\"table\",\"type\":\"string\"},{\"name\":\"txId\",\"type\":[\"null\",\"long\"],"
  "\"default\":null},{\"name\":\"lsn\",\"type\":[\"null\",\"long\"],\"default\":null}]}},"
  "{\"name\":\"op\",\"type\":\"string\"},"
  "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"],\"default\":null}],"
  "\"connect.name\":\"ecommerce.public.orders.Envelope\"}";

static uint8_t *events[EVENTS];
static size_t lens[EVENTS];

static const eddy_field_t fields[] = {
  {"op", {.kind = EDDY_T_STRING}},
  {"after.order_id", {.kind = EDDY_T_INT}},
  {"after.user_id", {.kind = EDDY_T_INT}},
  {"after.status", {.kind = EDDY_T_STRING}},
  {"after.total_amount", {.kind = EDDY_T_DECIMAL, .precision = 10, .scale = 2}},
};
static const eddy_fields_t layout = {5, fields};

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- events, written by avro-c ------------------------------------------------------ */

static void set_opt_string(avro_value_t *rec, const char *name, const char *s) {
  avro_value_t f, b;
  avro_value_get_by_name(rec, name, &f, NULL);
  if (s == NULL) {
    avro_value_set_branch(&f, 0, &b);
    avro_value_set_null(&b);
  } else {
    avro_value_set_branch(&f, 1, &b);
    avro_value_set_string(&b, s);
  }
}

static void set_row(avro_value_t *rec, uint64_t i, const char *status) {
  avro_value_t f;
  int64_t cents = 1000 + (int64_t)(i * 7919 % 99000);
  uint8_t amount[4] = {(uint8_t)(cents >> 24), (uint8_t)(cents >> 16), (uint8_t)(cents >> 8),
                       (uint8_t)cents};
  avro_value_get_by_name(rec, "order_id", &f, NULL);
  avro_value_set_long(&f, (int64_t)(100000 + i));
  avro_value_get_by_name(rec, "user_id", &f, NULL);
  avro_value_set_int(&f, (int32_t)(i % 5000));
  avro_value_get_by_name(rec, "total_amount", &f, NULL);
  avro_value_set_bytes(&f, amount, 4);
  set_opt_string(rec, "status", status);
  set_opt_string(rec, "shipping_address", "742 Evergreen Terrace, Springfield, OR 97403, USA");
  set_opt_string(rec, "payment_method", i % 3 ? "credit_card" : "paypal");
  avro_value_get_by_name(rec, "created_at", &f, NULL);
  avro_value_set_long(&f, 1710000000000000 + (int64_t)i * 1000);
  avro_value_get_by_name(rec, "updated_at", &f, NULL);
  avro_value_set_long(&f, 1710000000500000 + (int64_t)i * 1000);
}

static void set_source(avro_value_t *env, uint64_t i) {
  static const struct { const char *name, *value; } strings[] = {
    {"version", "2.5.0.Final"}, {"connector", "postgresql"}, {"name", "ecommerce"},
    {"db", "ecommerce"}, {"schema", "public"}, {"table", "orders"}};
  avro_value_t src, f, b;
  avro_value_get_by_name(env, "source", &src, NULL);
  for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++) {
    avro_value_get_by_name(&src, strings[k].name, &f, NULL);
    avro_value_set_string(&f, strings[k].value);
  }
  avro_value_get_by_name(&src, "ts_ms", &f, NULL);
  avro_value_set_long(&f, 1710000000000 + (int64_t)i);
  avro_value_get_by_name(&src, "snapshot", &f, NULL);
  avro_value_set_branch(&f, 0, &b);
  avro_value_set_string(&b, "false");
  avro_value_get_by_name(&src, "txId", &f, NULL);
  avro_value_set_branch(&f, 1, &b);
  avro_value_set_long(&b, 500 + (int64_t)i);
  avro_value_get_by_name(&src, "lsn", &f, NULL);
  avro_value_set_branch(&f, 1, &b);
  avro_value_set_long(&b, 24000000 + (int64_t)i * 64);
}

/* Event i: an update pending -> completed (2 in 3), else a create. */
static size_t write_event(avro_value_t *env, uint64_t i, char *buf, size_t size) {
  static const char *const next[] = {"completed", "completed", "shipped"};
  avro_value_t f, rec;
  bool update = i % 3 != 0;
  avro_value_reset(env);
  avro_value_get_by_name(env, "before", &f, NULL);
  if (update) {
    avro_value_set_branch(&f, 1, &rec);
    set_row(&rec, i, "pending");
  } else {
    avro_value_set_branch(&f, 0, &rec);
    avro_value_set_null(&rec);
  }
  avro_value_get_by_name(env, "after", &f, NULL);
  avro_value_set_branch(&f, 1, &rec);
  set_row(&rec, i, update ? next[i % 3] : "pending");
  set_source(env, i);
  avro_value_get_by_name(env, "op", &f, NULL);
  avro_value_set_string(&f, update ? "u" : "c");
  avro_value_get_by_name(env, "ts_ms", &f, NULL);
  avro_value_set_branch(&f, 1, &rec);
  avro_value_set_long(&rec, 1710000000100 + (int64_t)i);
  uint8_t head[EDDY_SR_WIRE_HEADER_LEN];
  eddy_sr_wire_header(head, 1);
  memcpy(buf, head, sizeof(head));
  avro_writer_t w = avro_writer_memory(buf + 5, (int64_t)size - 5);
  if (avro_value_write(w, env) != 0)
    bench_die("avro-c write: %s", avro_strerror());
  size_t n = 5 + (size_t)avro_writer_tell(w);
  avro_writer_free(w);
  return n;
}

/* ---- the two readers ---------------------------------------------------------------- */

typedef struct {
  uint64_t selected;
  int64_t id_sum;
  eddy_i128 cents;
  double seconds;
} run_t;

static bool is(const char *s, size_t len, const char *lit) {
  return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

static run_t run_eddy(eddy_avro_decoder_t *d, eddy_arena_t *arena) {
  eddy_value_t v[5];
  eddy_error_t *err = NULL;
  run_t r = {0};
  double t0 = cpu_now();
  for (int i = 0; i < EVENTS; i++) {
    if (eddy_avro_decoder_decode(d, events[i], lens[i], v, arena, &err) != 0)
      bench_die("eddy: %s", eddy_error_msg(err));
    if (is(v[0].u.s, v[0].len, "u") && v[3].kind == EDDY_T_STRING &&
        is(v[3].u.s, v[3].len, "completed")) {
      r.selected++;
      r.id_sum += v[1].u.i + v[2].u.i;
      r.cents += v[4].u.dec;
    }
    if ((i & 1023) == 1023)
      eddy_arena_reset(arena);
  }
  r.seconds = cpu_now() - t0;
  return r;
}

static int64_t get_long(avro_value_t *rec, const char *name) {
  avro_value_t f;
  int64_t l;
  int32_t i;
  avro_value_get_by_name(rec, name, &f, NULL);
  if (avro_value_get_type(&f) == AVRO_INT32) {
    avro_value_get_int(&f, &i);
    return i;
  }
  avro_value_get_long(&f, &l);
  return l;
}

static run_t run_avroc(avro_value_t *env) {
  avro_reader_t reader = avro_reader_memory(NULL, 0);
  run_t r = {0};
  double t0 = cpu_now();
  for (int i = 0; i < EVENTS; i++) {
    avro_value_t op, after_u, after, status_u, status, amount;
    const char *s;
    size_t slen;
    if (events[i][0] != 0)
      bench_die("magic");
    avro_reader_memory_set_source(reader, (const char *)events[i] + 5, (int64_t)lens[i] - 5);
    if (avro_value_read(reader, env) != 0)
      bench_die("avro-c read: %s", avro_strerror());
    avro_value_get_by_name(env, "op", &op, NULL);
    avro_value_get_string(&op, &s, &slen);
    avro_value_get_by_name(env, "after", &after_u, NULL);
    avro_value_get_current_branch(&after_u, &after);
    avro_value_get_by_name(&after, "status", &status_u, NULL);
    avro_value_get_current_branch(&status_u, &status);
    int64_t id = get_long(&after, "order_id"), user = get_long(&after, "user_id");
    if (!is(s, slen - 1, "u") || avro_value_get_type(&status) != AVRO_STRING)
      continue; /* avro-c string sizes count the NUL */
    avro_value_get_string(&status, &s, &slen);
    if (!is(s, slen - 1, "completed"))
      continue;
    const void *bytes;
    size_t n;
    avro_value_get_by_name(&after, "total_amount", &amount, NULL);
    avro_value_get_bytes(&amount, &bytes, &n);
    const uint8_t *b = bytes;
    eddy_i128 c = (b[0] & 0x80) ? -1 : 0;
    for (size_t k = 0; k < n; k++)
      c = c * 256 + b[k];
    r.selected++;
    r.id_sum += id + user;
    r.cents += c;
  }
  r.seconds = cpu_now() - t0;
  avro_reader_free(reader);
  return r;
}

/* ---- the full topology ------------------------------------------------------------- */

static const char *topology =
    "app bench_avro\n"
    "stream orders from \"orders\" format debezium-avro\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          created_at timestamp, updated_at timestamp)\n"
    "orders\n"
    "  | where after.status == \"completed\" or after.total_amount > 100\n"
    "  | select order_id = after.order_id, user_id = after.user_id,\n"
    "           amount = after.total_amount, status = after.status, at = after.updated_at\n"
    "  | to kafka \"orders_out\" key order_id\n";

static void diag(void *opaque, const eddy_diag_t *dg) {
  (void)opaque;
  eddy_buf_t b = {0};
  eddy_diag_format(dg, &b);
  fprintf(stderr, "%.*s", (int)b.len, b.p);
  eddy_buf_free(&b);
}

/* The events, with the id the registry gave their schema, keyed by order. */
static void produce_events(const char *bootstrap, const char *topic, int id) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != 0 ||
      rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof(errstr)) != 0)
    bench_die("producer conf: %s", errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (p == NULL)
    bench_die("producer: %s", errstr);
  for (int i = 0; i < EVENTS; i++) {
    eddy_sr_wire_header(events[i], id);
    char key[32];
    int klen = snprintf(key, sizeof(key), "%d", 100000 + i);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                             RD_KAFKA_V_VALUE(events[i], lens[i]),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 10);
  }
  if (rd_kafka_flush(p, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("flush of the input timed out");
  rd_kafka_destroy(p);
}

static double run_app(const char *bootstrap, const char *url) {
  eddy_topology_t *topo = NULL;
  if (eddy_topology_compile(&topo, "avro.eddy", topology, strlen(topology), diag, NULL) != 0)
    bench_die("topology does not compile");
  eddy_config_t conf;
  eddy_config_init(&conf);
  eddy_error_t *err = NULL;
  eddy_logger_t log = {.fn = eddy_log_stderr, .level = EDDY_LOG_WARN};
  eddy_app_t *app = NULL;
  if (eddy_config_set(&conf, "bootstrap.servers", bootstrap, &err) != 0 ||
      eddy_config_set(&conf, "schema.registry.url", url, &err) != 0 ||
      eddy_app_new(&app, eddy_topology_plan(topo), &conf, &log, &err) != 0 ||
      eddy_app_start(app, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  const eddy_counters_t *c = eddy_app_counters(app);
  while (atomic_load(&c->records_in) == 0)
    usleep(1000);
  double t0 = bench_now();
  while (atomic_load(&c->records_in) < EVENTS) {
    if (!eddy_app_running(app))
      bench_die("application stopped");
    usleep(1000);
  }
  eddy_app_request_stop(app);
  if (eddy_app_join(app, &err) != 0) /* flushes every output */
    bench_die("app: %s", eddy_error_msg(err));
  double secs = bench_now() - t0;
  fprintf(stderr, "eddy: %lld in, %lld out, %lld dead letters\n",
          (long long)atomic_load(&c->records_in), (long long)atomic_load(&c->records_out),
          (long long)atomic_load(&c->dlq));
  if (atomic_load(&c->dlq) != 0)
    bench_die("dead letters in the benchmark");
  eddy_app_destroy(app);
  eddy_config_free(&conf);
  eddy_topology_destroy(topo);
  return EVENTS / secs;
}

static void run_topology(void) {
  int partitions = 32;
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  if (eddy_broker_start(&b, 1, &err) != 0 ||
      eddy_broker_create_topic(b, "_schemas", 1, &err) != 0 ||
      eddy_broker_create_topic(b, "orders", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "orders_out", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "baseline_out", partitions, &err) != 0)
    bench_die("broker: %s", eddy_error_msg(err));
  const char *bs = eddy_broker_bootstrap(b);
  eddy_sr_server_conf_t sc;
  eddy_sr_server_conf_init(&sc);
  sc.port = 0;
  sc.bootstrap = bs;
  eddy_sr_server_t *reg = NULL;
  if (eddy_sr_server_start(&reg, &sc, &err) != 0)
    bench_die("registry: %s", eddy_error_msg(err));
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", eddy_sr_server_port(reg));
  eddy_sr_client_conf_t cc = {.url = url};
  eddy_sr_client_t *client = NULL;
  int id = 0;
  if (eddy_sr_client_new(&client, &cc, &err) != 0 ||
      eddy_sr_client_register(client, "orders-value", schema_text, &id, &err) != 0)
    bench_die("registering the schema: %s", eddy_error_msg(err));
  eddy_sr_client_destroy(client);
  fprintf(stderr, "producing %d Debezium-Avro events (schema id %d) to %d partitions...\n",
          EVENTS, id, partitions);
  produce_events(bs, "orders", id);
  double base = bench_passthrough(bs, "orders", "baseline_out", "bench-avro-baseline", EVENTS);
  fprintf(stderr, "baseline passthrough: %.0f events/s\n", base);
  double rate = run_app(bs, url);
  printf("topology: debezium-avro source, where + select, to kafka json: %.0f events/s; "
         "raw passthrough %.0f events/s\n", rate, base);
  eddy_sr_server_stop(reg);
  eddy_broker_stop(b);
  printf("BENCH avro events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", rate, base,
         rate / base);
}

int main(void) {
  avro_schema_t avs;
  if (avro_schema_from_json_length(schema_text, strlen(schema_text), &avs) != 0)
    bench_die("avro-c schema: %s", avro_strerror());
  avro_value_iface_t *iface = avro_generic_class_from_schema(avs);
  avro_value_t env;
  avro_generic_value_new(iface, &env);
  char buf[1024];
  size_t total = 0;
  for (int i = 0; i < EVENTS; i++) {
    lens[i] = write_event(&env, (uint64_t)i, buf, sizeof(buf));
    events[i] = malloc(lens[i]);
    memcpy(events[i], buf, lens[i]);
    total += lens[i];
  }
  eddy_sr_schema_t *schema = NULL;
  eddy_avro_decoder_t *d = NULL;
  eddy_error_t *err = NULL;
  eddy_decode_spec_t spec = {.format = EDDY_FMT_DEBEZIUM_AVRO, .layout = &layout};
  if (eddy_sr_schema_parse(&schema, schema_text, strlen(schema_text), &err) != 0 ||
      eddy_avro_decoder_new(&d, &spec, NULL, &err) != 0 ||
      eddy_avro_decoder_add_schema(d, 1, schema, &err) != 0)
    bench_die("eddy: %s", eddy_error_msg(err));
  eddy_arena_t *arena = eddy_arena_new(1 << 16);
  double best_eddy = 0, best_base = 0;
  for (int round = 0; round < ROUNDS; round++) { /* interleaved: both see the same machine */
    run_t e = run_eddy(d, arena), c = run_avroc(&env);
    if (e.selected != c.selected || e.id_sum != c.id_sum || e.cents != c.cents)
      bench_die("eddy and avro-c read different values");
    double er = EVENTS / e.seconds, cr = EVENTS / c.seconds;
    printf("round %d: eddy %.0f events/s, avro-c generic reader %.0f events/s (%llu selected)\n",
           round + 1, er, cr, (unsigned long long)e.selected);
    best_eddy = er > best_eddy ? er : best_eddy;
    best_base = cr > best_base ? cr : best_base;
  }
  printf("events: %d, %.0f bytes on average; %.0f MB/s decoded by eddy\n", EVENTS,
         (double)total / EVENTS, best_eddy * (double)total / EVENTS / 1e6);
  printf("BENCH avro events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", best_eddy, best_base,
         best_eddy / best_base);
  fflush(stdout);
  run_topology();
  eddy_arena_destroy(arena);
  eddy_avro_decoder_destroy(d);
  eddy_sr_schema_destroy(schema);
  avro_value_decref(&env);
  avro_value_iface_decref(iface);
  avro_schema_decref(avs);
  for (int i = 0; i < EVENTS; i++)
    free(events[i]);
  return 0;
}
