/*
 * `eddy gen`: the generating loop. Event i happens at start + i / event_rate
 * (simulated time); the model makes it, it is encoded (Debezium JSON or
 * Avro) and written; with a wall-clock rate the loop is paced; progress goes
 * to stderr once a second.
 */
#include "tools/gen_run.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "eddy/value.h"
#include "engine/util.h"
#include "schema-registry/sr_client.h"
#include "tools/gen_out.h"

#define TABLES_MAX 8

typedef struct {
  const gen_opts_t *o;
  gen_enc_conf_t enc;
  char topics[TABLES_MAX][256];
  int schema_ids[TABLES_MAX], key_ids[TABLES_MAX];
  long long per_table[TABLES_MAX];
  eddy_buf_t key, value;
  gen_sink_t *sink;
  eddy_sr_client_t *registry;
  long long done;
  int64_t now_us, last_event_us;
  int64_t t0_wall, last_report, last_done;
} run_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Register table \p i's value (or key) schema under `<topic>-value` (`-key`). */
static int register_one(run_t *r, int i, bool key, eddy_error_t **err) {
  const gen_table_t *t = &r->o->model->tables[i];
  eddy_buf_t schema = {0}, subject = {0};
  int rc = key ? gen_avro_key_schema(&r->enc, t, &schema) : gen_avro_schema(&r->enc, t, &schema);
  if (rc == 0)
    rc = eddy_buf_printf(&subject, "%s-%s", r->topics[i], key ? "key" : "value");
  if (rc == 0 && (eddy_buf_cstr(&schema) == NULL || eddy_buf_cstr(&subject) == NULL))
    rc = EDDY_ENOMEM;
  if (rc == 0)
    rc = eddy_sr_client_register(r->registry, subject.p, schema.p,
                                 key ? &r->key_ids[i] : &r->schema_ids[i], err);
  eddy_buf_free(&schema);
  eddy_buf_free(&subject);
  return rc;
}

static int register_schemas(run_t *r, eddy_error_t **err) {
  eddy_sr_client_conf_t cc = {.url = r->o->registry, .timeout_ms = 10000};
  int rc = eddy_sr_client_new(&r->registry, &cc, err);
  for (int i = 0; rc == 0 && i < r->o->model->table_cnt; i++) {
    if (r->o->avro)
      rc = register_one(r, i, false, err);
    if (rc == 0 && r->o->avro_keys)
      rc = register_one(r, i, true, err);
  }
  return rc;
}

static int encode(run_t *r, const gen_event_t *ev) {
  const gen_table_t *t = &r->o->model->tables[ev->table];
  uint8_t header[EDDY_SR_WIRE_HEADER_LEN];
  eddy_buf_clear(&r->key);
  eddy_buf_clear(&r->value);
  int rc;
  if (r->o->avro_keys) {
    eddy_sr_wire_header(header, r->key_ids[ev->table]);
    rc = eddy_buf_append(&r->key, header, sizeof(header));
    rc = rc ? rc : gen_avro_key_datum(t, ev, &r->key);
  } else {
    rc = gen_json_key(&r->enc, t, ev, &r->key);
  }
  if (rc != 0 || !r->o->avro)
    return rc ? rc : gen_json_value(&r->enc, t, ev, &r->value);
  eddy_sr_wire_header(header, r->schema_ids[ev->table]);
  rc = eddy_buf_append(&r->value, header, sizeof(header));
  return rc ? rc : gen_avro_datum(&r->enc, t, ev, &r->value);
}

static void per_table(const run_t *r) {
  for (int i = 0; i < r->o->model->table_cnt; i++)
    fprintf(stderr, "%s %s %lld", i ? "," : "", r->o->model->tables[i].name, r->per_table[i]);
  fprintf(stderr, "\n");
}

static void report(run_t *r) {
  int64_t wall = eddy_clock_monotonic_us();
  double window = (double)(wall - r->last_report) / 1e6;
  double rate = window > 0 ? (double)(r->done - r->last_done) / window : 0;
  long long written, acked, failed;
  gen_sink_counts(r->sink, &written, &acked, &failed);
  char eta[64] = "";
  double left = -1;
  if (r->o->count >= 0)
    left = (double)(r->o->count - r->done);
  else if (r->o->duration_us >= 0)
    left = (double)(r->o->start_us + r->o->duration_us - r->now_us) / 1e6 * r->o->event_rate;
  if (left >= 0 && rate > 0)
    snprintf(eta, sizeof(eta), ", ETA %.0fs", left / rate);
  fprintf(stderr, "eddy gen: %lld events, %.0f/s, %lld %s%s;", r->done, rate, acked,
          r->o->output ? "written" : "acknowledged", eta);
  per_table(r);
  r->last_report = wall;
  r->last_done = r->done;
}

static void summary(const run_t *r) {
  double secs = (double)(eddy_clock_monotonic_us() - r->t0_wall) / 1e6;
  char last[40] = "-";
  if (r->done > 0)
    eddy_timestamp_format(r->last_event_us, last, sizeof(last));
  fprintf(stderr, "eddy gen: done: %lld events in %.1f s (%.0f/s), all %s, last event time %s;",
          r->done, secs, secs > 0 ? (double)r->done / secs : 0.0,
          r->o->output ? "written" : "acknowledged", last);
  per_table(r);
}

/* Sleep (serving delivery reports) until event \p i is due on the wall clock. */
static void pace(run_t *r, long long i) {
  if (r->o->rate <= 0) {
    if ((i & 1023) == 0)
      gen_sink_wait(r->sink, 0);
    return;
  }
  int64_t due = r->t0_wall + (int64_t)((double)i * 1e6 / r->o->rate);
  for (;;) {
    int64_t wait = due - eddy_clock_monotonic_us();
    if (wait <= 0 || stop_requested)
      break;
    gen_sink_wait(r->sink, wait > 100000 ? 100 : (int)((wait + 999) / 1000));
  }
}

static bool finished(const run_t *r) {
  const gen_opts_t *o = r->o;
  if (stop_requested || (o->count >= 0 && r->done >= o->count))
    return true;
  return o->duration_us >= 0 && r->now_us >= o->start_us + o->duration_us;
}

static int loop(run_t *r, void *state, eddy_error_t **err) {
  const gen_opts_t *o = r->o;
  gen_event_t *ev = eddy_malloc(sizeof(*ev));
  if (ev == NULL)
    return EDDY_ENOMEM;
  int rc = 0;
  for (;;) {
    r->now_us = o->start_us + (int64_t)((double)r->done * 1e6 / o->event_rate);
    if (finished(r))
      break;
    pace(r, r->done);
    if ((rc = o->model->next(state, r->now_us, ev)) != 0 || (rc = encode(r, ev)) != 0)
      break;
    gen_record_t rec = {.topic = r->topics[ev->table], .key = r->key.p, .key_len = r->key.len,
                        .value = r->value.p, .value_len = r->value.len,
                        .key_is_json = !o->avro_keys, .value_is_json = !o->avro,
                        .timestamp_ms = ev->time_us / 1000};
    if ((rc = gen_sink_write(r->sink, &rec, err)) != 0)
      break;
    r->per_table[ev->table]++;
    r->last_event_us = ev->time_us;
    r->done++;
    if (!o->quiet && eddy_clock_monotonic_us() - r->last_report >= 1000000)
      report(r);
  }
  eddy_free(ev);
  return rc;
}

static int setup(run_t *r, eddy_error_t **err) {
  const gen_opts_t *o = r->o;
  r->enc.prefix = o->prefix ? o->prefix : o->model->default_prefix;
  r->enc.schemas = o->schemas;
  for (int i = 0; i < o->model->table_cnt; i++)
    snprintf(r->topics[i], sizeof(r->topics[i]), "%s.public.%s", r->enc.prefix,
             o->model->tables[i].name);
  if (o->avro || o->avro_keys) {
    int rc = register_schemas(r, err);
    if (rc != 0)
      return rc;
  }
  if (o->output != NULL)
    return gen_sink_open_file(&r->sink, o->output, err);
  return gen_sink_open_kafka(&r->sink, o->bootstrap, o->props, err);
}

int gen_run(const gen_opts_t *o) {
  run_t r = {.o = o};
  eddy_error_t *err = NULL;
  void *state = NULL;
  int rc = setup(&r, &err);
  if (rc == 0)
    rc = o->model->create(&state, o->seed);
  if (rc == 0) {
    stop_requested = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    r.t0_wall = r.last_report = eddy_clock_monotonic_us();
    rc = loop(&r, state, &err);
    if (rc == 0 && o->output == NULL && !o->quiet)
      fprintf(stderr, "eddy gen: flushing %lld events\n", r.done);
    int crc = gen_sink_close(r.sink, 60000, rc == 0 ? &err : NULL);
    r.sink = NULL;
    rc = rc ? rc : crc;
    if (!o->quiet && rc == 0)
      summary(&r);
  }
  if (rc != 0)
    fprintf(stderr, "eddy gen: %s\n", err ? eddy_error_msg(err) : eddy_strerror(rc));
  eddy_error_destroy(err);
  gen_sink_close(r.sink, 1000, NULL);
  if (state != NULL)
    o->model->destroy(state);
  eddy_sr_client_destroy(r.registry);
  eddy_buf_free(&r.key);
  eddy_buf_free(&r.value);
  return rc == 0 ? 0 : 1;
}
