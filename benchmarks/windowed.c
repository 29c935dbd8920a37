/*
 * benchmarks/windowed: Debezium order events grouped by one of 10,000 users,
 * tumbling 1-minute windows on event time, count and sum, emit final, with
 * RocksDB stores and their changelogs; against the raw librdkafka
 * passthrough measured in the same run on the same input.
 *
 * The embedded broker runs in a child process and the engine in another, so
 * the engine's peak RSS is its own: it must stay within state.memory.bytes
 * + 100 MB. (The broker has no CreateTopics: its process creates the
 * internal topics the topology names, and the engine finds them there.)
 *
 *   bench_windowed [events] [partitions]
 *
 * Last lines:
 *   BENCH windowed_rss peak_mb=<n> budget_mb=<n>
 *   BENCH windowed events_per_s=<n> baseline_per_s=<n> ratio=<r>
 * With EDDY_BENCH_EOS=1 the engine runs under processing.guarantee=exactly_once_v2
 * and the lines start `BENCH eos_windowed`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "bench_engine.h"

#define APP "bench_windowed"
#define BUDGET_MB 256

static const char topology[] =
    "app " APP "\n"
    "stream orders from \"orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          created_at timestamp, updated_at timestamp)\n"
    "  event-time after.updated_at\n"
    "orders\n"
    "  | group by user_id = after.user_id\n"
    "  | window tumbling 1m grace 3m\n"
    "  | aggregate orders = count(), revenue = sum(after.total_amount)\n"
    "  | emit final\n"
    "  | to kafka \"user_revenue\"\n";

static const char *const topologies[] = {topology, NULL};
static const char *const topics[] = {"orders", "user_revenue", NULL};

static bool eos_mode(void) {
  return getenv("EDDY_BENCH_EOS") != NULL && strcmp(getenv("EDDY_BENCH_EOS"), "1") == 0;
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000;
  int partitions = argc > 2 ? atoi(argv[2]) : 48; /* ~5 MB kept per partition: 240 MB */
  bench_engine_conf_t c = {.name = "windowed.eddy", .topologies = topologies, .topics = topics,
                           .partitions = partitions, .budget_mb = BUDGET_MB,
                           .eos = eos_mode(), .records_in = 2 * n};  /* input + repartition */
  bench_engine_result_t r;
  double base = bench_engine_compare(&c, "orders", n, bench_order_record, &r);
  fprintf(stderr, "eddy group by + tumbling window + count/sum: %.0f events/s\n", r.rate);
  bench_engine_report(c.eos ? "eos_windowed" : "windowed", &r, base);
  return 0;
}
