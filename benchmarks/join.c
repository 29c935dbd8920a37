/*
 * benchmarks/join: Debezium order events (~500 bytes) enriched with their
 * user from a 100,000-row table: `select` the order's columns, then a
 * stream-table `join` on the user id, `select` and write to an output
 * topic. The table is keyed by its message key (`key key`), so its source
 * topic is its changelog; the orders are re-keyed by user id through a
 * repartition topic. 32 partitions (the embedded broker keeps ~5 MB per
 * partition), one stream thread, RocksDB state.
 *
 * The application first loads the table and stops; the timed run then
 * restarts it on the orders (its table comes back from the local state):
 * events/s from the first order consumed to the last output acknowledged,
 * against the raw librdkafka passthrough of the same orders in the same run.
 *
 *   bench_join [orders] [partitions]
 *
 * Last line: BENCH join events_per_s=<n> baseline_per_s=<n> ratio=<r>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_common.h"
#include "dsl/dsl.h"
#include "engine/app.h"
#include "engine/broker.h"

#define USERS 100000

static const char *topology =
    "app bench_join\n"
    "table users from \"users\" format json\n"
    "  schema (user_id int, name string, country string, tier string) key key\n"
    "stream orders from \"orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          created_at timestamp, updated_at timestamp)\n"
    "orders\n"
    "  | select order_id = after.order_id, user = cast(after.user_id as string),\n"
    "           amount = after.total_amount, status = after.status\n"
    "  | join users on user\n"
    "  | select order_id = orders.order_id, amount = orders.amount, status = orders.status,\n"
    "           country = users.country, tier = users.tier\n"
    "  | to kafka \"orders_enriched\" key order_id\n";

static void diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  fprintf(stderr, "%s\n", d->message);
}

static int create_topic(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  return eddy_broker_create_topic(opaque, topic, partitions, err);
}

/* The users, keyed by their id as text, partitioned as the Java client does (murmur2). */
static void produce_users(const char *bootstrap) {
  char errstr[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != 0 ||
      rd_kafka_conf_set(c, "partitioner", "murmur2_random", errstr, sizeof(errstr)) != 0 ||
      rd_kafka_conf_set(c, "linger.ms", "5", errstr, sizeof(errstr)) != 0 ||
      rd_kafka_conf_set(c, "queue.buffering.max.messages", "1000000", errstr, sizeof(errstr)))
    bench_die("producer: %s", errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
  if (p == NULL)
    bench_die("producer: %s", errstr);
  static const char *const countries[] = {"NL", "DE", "FR", "US", "JP", "BR"};
  static const char *const tiers[] = {"free", "plus", "pro"};
  for (int i = 0; i < USERS; i++) {
    char key[16], value[160];
    int kl = snprintf(key, sizeof(key), "%d", i);
    int vl = snprintf(value, sizeof(value), "{\"user_id\":%d,\"name\":\"user %d\",\"country\":"
                      "\"%s\",\"tier\":\"%s\"}", i, i, countries[i % 6], tiers[i % 3]);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC("users"), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(value, (size_t)vl),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 5);
  }
  if (rd_kafka_flush(p, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("flush of the users timed out");
  rd_kafka_destroy(p);
}

static eddy_app_t *start(eddy_topology_t *topo, eddy_broker_t *b, const char *dir) {
  eddy_config_t conf;
  eddy_config_init(&conf);
  eddy_error_t *err = NULL;
  if (eddy_config_set(&conf, "bootstrap.servers", eddy_broker_bootstrap(b), &err) != 0 ||
      eddy_config_set(&conf, "state.dir", dir, &err) != 0)
    bench_die("config: %s", eddy_error_msg(err));
  char *sets = getenv("EDDY_BENCH_SET") ? strdup(getenv("EDDY_BENCH_SET")) : NULL;
  for (char *kv = sets ? strtok(sets, ";") : NULL; kv != NULL; kv = strtok(NULL, ";")) {
    char *eq = strchr(kv, '=');
    if (eq == NULL || (*eq = '\0', eddy_config_set(&conf, kv, eq + 1, &err)) != 0)
      bench_die("EDDY_BENCH_SET: %s", eddy_error_msg(err));
  }
  free(sets);
  static eddy_logger_t log = {.fn = eddy_log_stderr, .level = EDDY_LOG_WARN};
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), &conf, &log, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  eddy_app_set_topic_creator(app, create_topic, b);
  if (eddy_app_start(app, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  eddy_config_free(&conf);
  return app;
}

static void wait_in(eddy_app_t *app, long long n) {
  const eddy_counters_t *c = eddy_app_counters(app);
  while (atomic_load(&c->records_in) < n) {
    if (!eddy_app_running(app))
      bench_die("application stopped");
    usleep(1000);
  }
}

static void stop(eddy_app_t *app) {
  eddy_error_t *err = NULL;
  eddy_app_request_stop(app);
  if (eddy_app_join(app, &err) != 0) /* flushes every output */
    bench_die("app: %s", eddy_error_msg(err));
}

static double run_eddy(eddy_broker_t *b, uint64_t n) {
  eddy_topology_t *topo = NULL;
  if (eddy_topology_compile(&topo, "join.eddy", topology, strlen(topology), diag, NULL) != 0)
    bench_die("topology does not compile");
  char dir[] = "/tmp/bench_join_XXXXXX";
  if (mkdtemp(dir) == NULL)
    bench_die("mkdtemp");
  eddy_app_t *app = start(topo, b, dir);   /* load the table */
  wait_in(app, USERS);
  stop(app);
  eddy_app_destroy(app);
  bench_produce_orders(eddy_broker_bootstrap(b), "orders", n);
  app = start(topo, b, dir);
  const eddy_counters_t *c = eddy_app_counters(app);
  wait_in(app, 1);
  double t0 = bench_now();
  wait_in(app, 2 * (long long)n);   /* the orders and their repartition topic */
  stop(app);
  double secs = bench_now() - t0;
  fprintf(stderr, "eddy: %lld in, %lld out, %lld dead letters\n",
          (long long)atomic_load(&c->records_in), (long long)atomic_load(&c->records_out),
          (long long)atomic_load(&c->dlq));
  if ((uint64_t)atomic_load(&c->records_out) < n)
    bench_die("only %lld of %llu orders were joined", (long long)atomic_load(&c->records_out),
              (unsigned long long)n);
  eddy_app_destroy(app);
  eddy_topology_destroy(topo);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    bench_die("%s failed", cmd);
  return (double)n / secs;
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
  int partitions = argc > 2 ? atoi(argv[2]) : 32;
  if (partitions < 4)
    bench_die("at least 4 partitions");
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  if (eddy_broker_start(&b, 1, &err) != 0 ||
      eddy_broker_create_topic(b, "orders", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "users", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "orders_enriched", partitions, &err) != 0 ||
      eddy_broker_create_topic(b, "baseline_out", partitions, &err) != 0)
    bench_die("broker: %s", eddy_error_msg(err));
  const char *bs = eddy_broker_bootstrap(b);
  fprintf(stderr, "producing %d users and %llu orders to %d partitions...\n", USERS,
          (unsigned long long)n, partitions);
  produce_users(bs);
  double eddy = run_eddy(b, n);
  fprintf(stderr, "eddy stream-table join: %.0f events/s\n", eddy);
  double base = bench_passthrough(bs, "orders", "baseline_out", "bench-baseline", n);
  fprintf(stderr, "baseline passthrough: %.0f events/s\n", base);
  eddy_broker_stop(b);
  printf("BENCH join events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", eddy, base,
         eddy / base);
  return 0;
}
