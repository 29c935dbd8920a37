/*
 * benchmarks/fraud: the two shipped fraud agents (topologies/fraud_anomaly.eddy
 * and fraud_velocity.eddy, read from the source tree, each its own
 * application as `eddy run` runs them) over pre-produced Debezium
 * transactions (2,000 users, a small share of large amounts, bursts),
 * against the raw librdkafka passthrough of the same input
 * measured in the same run. Each agent re-keys the transactions by user
 * through a repartition topic and keeps the user's last 50 transactions
 * (agent 1) or last 60 s (agent 2) in RocksDB with its changelog; the
 * alerts go to Kafka (the PostgreSQL sinks are off: postgres.sinks=off).
 *
 *   bench_fraud [events] [partitions] [both|anomaly|velocity]
 *
 * events_per_s counts input transactions per second through both agents
 * (or the one named).
 * For scale, the seed's Python agent 1 (kafka-python) handles about 20,000
 * events/s on the same kind of machine.
 *
 * Last lines:
 *   BENCH fraud_rss peak_mb=<n> budget_mb=<n>
 *   BENCH fraud events_per_s=<n> baseline_per_s=<n> ratio=<r>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "bench_engine.h"

#define BUDGET_MB 256
#define INPUT "ecommerce.public.transactions"
#define PYTHON_AGENT_PER_S 20000.0

/* Transaction \p i at 200 per second of event time from 2026-01-01. */
static int transaction(uint64_t i, char *buf, size_t size, char *key, size_t ksize, int *klen) {
  int64_t ts = 1767225600000000LL + (int64_t)i * 5000;
  return bench_transaction_event(i, ts, 2000, buf, size, key, ksize, klen);
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000;
  int partitions = argc > 2 ? atoi(argv[2]) : 48; /* ~5 MB kept per partition */
  const char *which = argc > 3 ? argv[3] : "both";
  if (strcmp(which, "anomaly") != 0 && strcmp(which, "velocity") != 0 &&
      strcmp(which, "both") != 0)
    bench_die("which agents: both, anomaly or velocity, not '%s'", which);
  char *anomaly = bench_topology_file("fraud_anomaly.eddy"), *velocity = bench_topology_file("fraud_velocity.eddy");
  const char *topologies[] = {anomaly, velocity, NULL};
  if (strcmp(which, "velocity") == 0)
    topologies[0] = velocity;
  if (strcmp(which, "both") != 0)
    topologies[1] = NULL;
  int apps = topologies[1] != NULL ? 2 : 1;
  const char *topics[] = {INPUT, "fraud.alerts", NULL};
  /* every generated event is a new transaction: each agent reads it and its re-keyed copy */
  bench_engine_conf_t c = {.name = "fraud agents", .topologies = topologies, .topics = topics,
                           .partitions = partitions, .budget_mb = BUDGET_MB,
                           .settings = "postgres.sinks=off", .records_in = 2 * (uint64_t)apps * n};
  bench_engine_result_t r;
  double base = bench_engine_compare(&c, INPUT, n, transaction, &r);
  fprintf(stderr, "eddy, %s: %.0f events/s = %.1f x the seed's Python agent 1 "
          "(%.0f events/s)\n", apps == 2 ? "both fraud agents" : which, r.rate,
          r.rate / PYTHON_AGENT_PER_S, PYTHON_AGENT_PER_S);
  bench_engine_report("fraud", &r, base);
  free(anomaly);
  free(velocity);
  return 0;
}
