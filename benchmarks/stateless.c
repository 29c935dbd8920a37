/*
 * benchmarks/stateless: Debezium JSON order events (~500 bytes, schemas
 * off) through `where` + `select` to an output topic, 4 partitions, one
 * stream thread, against the raw librdkafka passthrough measured in the
 * same run on the same input.
 *
 * Last line: BENCH stateless events_per_s=<n> baseline_per_s=<n> ratio=<r>
 * With EDDY_BENCH_EOS=1 the engine runs under processing.guarantee=exactly_once_v2
 * and the line starts `BENCH eos_stateless`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "dsl/dsl.h"
#include "engine/app.h"
#include "engine/broker.h"

static const char *topology =
    "app bench_stateless\n"
    "stream orders from \"orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          created_at timestamp, updated_at timestamp)\n"
    "orders\n"
    "  | where after.status == \"completed\" or after.total_amount > 100\n"
    "  | select order_id = after.order_id, user_id = after.user_id,\n"
    "           amount = after.total_amount, status = after.status, at = after.updated_at\n"
    "  | to kafka \"orders_out\" key order_id\n";

static void diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  eddy_buf_t b = {0};
  eddy_diag_format(d, &b);
  fprintf(stderr, "%.*s", (int)b.len, b.p);
  eddy_buf_free(&b);
}

static double run_eddy(const char *bootstrap, uint64_t n) {
  eddy_topology_t *topo = NULL;
  if (eddy_topology_compile(&topo, "stateless.eddy", topology, strlen(topology), diag, NULL) != 0)
    bench_die("topology does not compile");
  eddy_config_t conf;
  eddy_config_init(&conf);
  eddy_error_t *err = NULL;
  eddy_config_set(&conf, "bootstrap.servers", bootstrap, &err);
  if (getenv("EDDY_BENCH_EOS") != NULL && strcmp(getenv("EDDY_BENCH_EOS"), "1") == 0)
    eddy_config_set(&conf, "processing.guarantee", "exactly_once_v2", &err);
  /* EDDY_BENCH_SET="key=value;key=value" tries settings without rebuilding */
  char *sets = getenv("EDDY_BENCH_SET") ? strdup(getenv("EDDY_BENCH_SET")) : NULL;
  for (char *kv = sets ? strtok(sets, ";") : NULL; kv != NULL; kv = strtok(NULL, ";")) {
    char *eq = strchr(kv, '=');
    if (eq == NULL || (*eq = '\0', eddy_config_set(&conf, kv, eq + 1, &err)) != 0)
      bench_die("EDDY_BENCH_SET: %s", eddy_error_msg(err));
  }
  free(sets);
  eddy_logger_t log = {.fn = eddy_log_stderr, .level = EDDY_LOG_WARN};
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), &conf, &log, &err) != 0 ||
      eddy_app_start(app, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  const eddy_counters_t *c = eddy_app_counters(app);
  while (atomic_load(&c->records_in) == 0)
    usleep(1000);
  double t0 = bench_now();
  while ((uint64_t)atomic_load(&c->records_in) < n) {
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
  eddy_app_destroy(app);
  eddy_config_free(&conf);
  eddy_topology_destroy(topo);
  return (double)n / secs;
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
  int partitions = 32; /* the embedded broker keeps ~5 MB per partition: room for 160 MB */
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  if (eddy_broker_start(&b, 1, &err) != 0 ||
      eddy_broker_create_topic(b, "orders", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "orders_out", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "baseline_out", partitions, &err) != 0)
    bench_die("broker: %s", eddy_error_msg(err));
  const char *bs = eddy_broker_bootstrap(b);
  fprintf(stderr, "producing %llu events to %d partitions...\n", (unsigned long long)n, partitions);
  bench_produce_orders(bs, "orders", n);
  double base = bench_passthrough(bs, "orders", "baseline_out", "bench-baseline", n);
  fprintf(stderr, "baseline passthrough: %.0f events/s\n", base);
  double eddy = run_eddy(bs, n);
  fprintf(stderr, "eddy where+select: %.0f events/s\n", eddy);
  eddy_broker_stop(b);
  bool eos = getenv("EDDY_BENCH_EOS") != NULL && strcmp(getenv("EDDY_BENCH_EOS"), "1") == 0;
  printf("BENCH %sstateless events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n",
         eos ? "eos_" : "", eddy, base,
         eddy / base);
  return 0;
}
