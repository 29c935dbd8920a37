/*
 * Decoder micro-benchmark: Debezium JSON order events (~500 bytes, schemas
 * off) decoded into 5 typed fields (op, after.order_id, after.user_id,
 * after.status, after.total_amount as DECIMAL(10,2)), on one core.
 *
 * Baseline, measured in the same run over the same events: cJSON parsing
 * each event into its tree, looking up the same 5 members and freeing the
 * tree. Both sides check what they read (the sums must agree), so neither
 * can be optimised away. Time is this thread's CPU time: on a shared
 * machine, time spent descheduled would otherwise count against whichever
 * side it happened to.
 *
 * Last line: BENCH decode events_per_s=<n> baseline_per_s=<n> ratio=<r>
 */
#include <cJSON.h>
#include <inttypes.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "serde/serde.h"

#define EVENTS 4096
#define ROUNDS 3
#define SECONDS_PER_RUN 1.0

static char *events[EVENTS];
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

typedef struct {
  uint64_t events;
  uint64_t check; /* sum of order ids + status lengths */
  double seconds;
} run_t;

static run_t run_eddy(eddy_decoder_t *d, eddy_arena_t *arena) {
  eddy_value_t vals[5];
  eddy_error_t *err = NULL;
  run_t r = {0};
  double t0 = cpu_now(), t;
  do {
    for (int i = 0; i < EVENTS; i++) {
      if (eddy_decoder_decode(d, events[i], lens[i], vals, arena, &err) != 0)
        bench_die("decode: %s", eddy_error_msg(err));
      r.check += (uint64_t)vals[1].u.i + vals[3].len;
    }
    eddy_arena_reset(arena);
    r.events += EVENTS;
  } while ((t = cpu_now()) - t0 < SECONDS_PER_RUN);
  r.seconds = t - t0;
  return r;
}

static run_t run_cjson(void) {
  run_t r = {0};
  double t0 = cpu_now(), t;
  do {
    for (int i = 0; i < EVENTS; i++) {
      cJSON *root = cJSON_ParseWithLength(events[i], lens[i]);
      const cJSON *after = cJSON_GetObjectItemCaseSensitive(root, "after");
      const cJSON *op = cJSON_GetObjectItemCaseSensitive(root, "op");
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(after, "order_id");
      const cJSON *user = cJSON_GetObjectItemCaseSensitive(after, "user_id");
      const cJSON *status = cJSON_GetObjectItemCaseSensitive(after, "status");
      const cJSON *amount = cJSON_GetObjectItemCaseSensitive(after, "total_amount");
      if (!op || !id || !user || !status || !amount)
        bench_die("cJSON: event %d lacks a field", i);
      r.check += (uint64_t)id->valuedouble + strlen(status->valuestring);
      cJSON_Delete(root);
    }
    r.events += EVENTS;
  } while ((t = cpu_now()) - t0 < SECONDS_PER_RUN);
  r.seconds = t - t0;
  return r;
}

/* The Connect schema JsonConverter sends with schemas.enable=true. */
#define ROW_FIELDS                                                                       \
  "[{\"type\":\"int64\",\"optional\":false,\"field\":\"order_id\"},"                 \
  "{\"type\":\"int32\",\"optional\":false,\"field\":\"user_id\"},"                   \
  "{\"type\":\"bytes\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Decimal\"," \
  "\"version\":1,\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"},"  \
  "\"field\":\"total_amount\"},{\"type\":\"string\",\"optional\":true,\"field\":\"status\"}," \
  "{\"type\":\"int64\",\"optional\":true,\"name\":\"io.debezium.time.MicroTimestamp\","   \
  "\"version\":1,\"field\":\"created_at\"},{\"type\":\"int64\",\"optional\":true,"      \
  "\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1,\"field\":\"updated_at\"}]"
static const char schema_text[] =
  "{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":" ROW_FIELDS
  ",\"optional\":true,\"name\":\"ecommerce.public.orders.Value\",\"field\":\"before\"},"
  "{\"type\":\"struct\",\"fields\":" ROW_FIELDS ",\"optional\":true,"
  "\"name\":\"ecommerce.public.orders.Value\",\"field\":\"after\"},"
  "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
  "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},{\"type\":\"string\","
  "\"optional\":false,\"field\":\"name\"},{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
  "{\"type\":\"string\",\"optional\":true,\"field\":\"snapshot\"},{\"type\":\"string\","
  "\"optional\":false,\"field\":\"db\"},{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
  "{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},{\"type\":\"int64\","
  "\"optional\":true,\"field\":\"txId\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"}],"
  "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"field\":\"source\"},"
  "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},{\"type\":\"int64\",\"optional\":true,"
  "\"field\":\"ts_ms\"}],\"optional\":false,\"name\":\"ecommerce.public.orders.Envelope\",\"version\":1}";

/* Informational: the same events wrapped with their schema (schemas.enable=true). */
static void schemas_on_rate(eddy_decoder_t *d, eddy_arena_t *arena) {
  static char *wrapped[EVENTS];
  static size_t wlen[EVENTS];
  size_t total = 0;
  for (int i = 0; i < EVENTS; i++) {
    wlen[i] = strlen(schema_text) + lens[i] + 24;
    wrapped[i] = malloc(wlen[i]);
    wlen[i] = (size_t)snprintf(wrapped[i], wlen[i], "{\"schema\":%s,\"payload\":%.*s}", schema_text,
                               (int)lens[i], events[i]);
    total += wlen[i];
  }
  char *save[EVENTS];
  size_t save_len[EVENTS];
  memcpy(save, events, sizeof(save));
  memcpy(save_len, lens, sizeof(save_len));
  memcpy(events, wrapped, sizeof(events));
  memcpy(lens, wlen, sizeof(lens));
  run_t r = run_eddy(d, arena);
  memcpy(events, save, sizeof(events));
  memcpy(lens, save_len, sizeof(lens));
  printf("schemas.enable=true (%.0f bytes, schema cached): eddy %.0f events/s\n",
         (double)total / EVENTS, (double)r.events / r.seconds);
  for (int i = 0; i < EVENTS; i++)
    free(wrapped[i]);
}

int main(void) {
  char buf[2048];
  size_t total = 0;
  for (int i = 0; i < EVENTS; i++) {
    int n = bench_order_event((uint64_t)i, buf, sizeof(buf));
    events[i] = malloc((size_t)n);
    memcpy(events[i], buf, (size_t)n);
    lens[i] = (size_t)n;
    total += (size_t)n;
  }
  eddy_decode_spec_t spec = {.format = EDDY_FMT_DEBEZIUM_JSON, .layout = &layout};
  eddy_decoder_t *d;
  eddy_error_t *err = NULL;
  if (eddy_decoder_new(&d, &spec, &err) != 0)
    bench_die("decoder: %s", eddy_error_msg(err));
  eddy_arena_t *arena = eddy_arena_new(1 << 16);
  double best_eddy = 0, best_base = 0;
  for (int round = 0; round < ROUNDS; round++) { /* interleaved: both see the same machine */
    run_t e = run_eddy(d, arena), c = run_cjson();
    if (e.check / e.events != c.check / c.events)
      bench_die("eddy and cJSON read different values");
    double er = (double)e.events / e.seconds, cr = (double)c.events / c.seconds;
    printf("round %d: eddy %.0f events/s, cJSON %.0f events/s\n", round + 1, er, cr);
    best_eddy = er > best_eddy ? er : best_eddy;
    best_base = cr > best_base ? cr : best_base;
  }
  schemas_on_rate(d, arena);
  printf("events: %d distinct, %.0f bytes on average; %.0f MB/s decoded\n", EVENTS,
         (double)total / EVENTS, best_eddy * (double)total / EVENTS / 1e6);
  printf("BENCH decode events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", best_eddy, best_base,
         best_eddy / best_base);
  eddy_arena_destroy(arena);
  eddy_decoder_destroy(d);
  for (int i = 0; i < EVENTS; i++)
    free(events[i]);
  return 0;
}
