/*
 * benchmarks/over: Debezium order events of 10,000 users, each emitted with
 * the count and average amount of its user's last 50 orders before it
 * (`over user_id rows 50 preceding`): the changes are re-keyed by user
 * through a repartition topic, the over store is RocksDB with its
 * changelog; against the raw librdkafka passthrough measured in the same
 * run on the same input.
 *
 * The embedded broker runs in a child process and the engine in another, so
 * the engine's peak RSS is its own: it must stay within state.memory.bytes
 * + 100 MB. (The broker has no CreateTopics: its process creates the
 * internal topics the topology names, and the engine finds them there.)
 *
 *   bench_over [events] [partitions]
 *
 * Last lines:
 *   BENCH over_rss peak_mb=<n> budget_mb=<n>
 *   BENCH over events_per_s=<n> baseline_per_s=<n> ratio=<r>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "bench_engine.h"

#define APP "bench_over"
#define BUDGET_MB 256

static const char topology[] =
    "app " APP "\n"
    "stream orders from \"orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          created_at timestamp, updated_at timestamp)\n"
    "  event-time after.updated_at\n"
    "orders\n"
    "  | select order_id = after.order_id, user_id = after.user_id, amount = after.total_amount\n"
    "  | over user_id rows 50 preceding exclude current\n"
    "  | aggregate previous = count(amount), previous_avg = avg(amount)\n"
    "  | to kafka \"user_avg\"\n";

static const char *const topologies[] = {topology, NULL};
static const char *const topics[] = {"orders", "user_avg", NULL};

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000;
  int partitions = argc > 2 ? atoi(argv[2]) : 48; /* ~5 MB kept per partition: 240 MB */
  bench_engine_conf_t c = {.name = "over.eddy", .topologies = topologies, .topics = topics,
                           .partitions = partitions, .budget_mb = BUDGET_MB,
                           .eos = false, .records_in = 2 * n};  /* input + repartition */
  bench_engine_result_t r;
  double base = bench_engine_compare(&c, "orders", n, bench_order_record, &r);
  fprintf(stderr, "eddy re-key + over rows 50 + count/avg: %.0f events/s\n", r.rate);
  bench_engine_report("over", &r, base);
  return 0;
}
