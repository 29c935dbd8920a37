/*
 * Restore benchmark: 16 tasks each restore one RocksDB key-value store from
 * its partition of a changelog holding >= 1,000,000 small records in total
 * (written through eddy's changelog writer to the embedded broker, which
 * keeps ~5 MB per partition, hence the partitions). Also measures, in the
 * same run, a plain librdkafka consumer reading the same partitions without
 * storing anything: the ceiling restore can approach.
 *
 *   bench_restore [records] [partitions] [keys per partition]
 *
 * Last line: BENCH restore records_per_s=<n>
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "eddy/store.h"
#include "engine/broker.h"

#define TOPIC "bench-restore-changelog"
static unsigned keys_per_partition = 50000;

static void stderr_log(void *opaque, eddy_log_level_t level, const char *component,
                       const char *msg) {
  (void)opaque;
  fprintf(stderr, "%s %s: %s\n", eddy_log_level_name(level), component, msg);
}

static rd_kafka_t *make_producer(const char *bootstrap) {
  char errstr[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *kv[] = {"bootstrap.servers", bootstrap, "linger.ms", "20",
                      "batch.num.messages", "10000", "batch.size", "1000000",
                      "queue.buffering.max.messages", "1000000", NULL};
  for (int i = 0; kv[i] != NULL; i += 2)
    if (rd_kafka_conf_set(c, kv[i], kv[i + 1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
      bench_die("producer %s: %s", kv[i], errstr);
  rd_kafka_conf_set_dr_msg_cb(c, eddy_delivery_dispatch);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
  if (rk == NULL)
    bench_die("producer: %s", errstr);
  return rk;
}

/* Write the changelog through one eddy changelog writer per partition. */
static void fill(const char *bootstrap, int partitions, int64_t records) {
  rd_kafka_t *rk = make_producer(bootstrap);
  eddy_changelog_t **cl = calloc((size_t)partitions, sizeof(*cl));
  eddy_error_t *err = NULL;
  for (int p = 0; p < partitions; p++)
    if (eddy_changelog_new(&cl[p], rk, TOPIC, p, &err) != 0)
      bench_die("changelog: %s", eddy_error_msg(err));
  uint64_t x = 12345;
  for (int64_t i = 0; i < records; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    char key[16], val[16];
    int klen = snprintf(key, sizeof(key), "k%08u", (unsigned)(x >> 40) % keys_per_partition);
    int vlen = snprintf(val, sizeof(val), "%012" PRId64, i);
    eddy_slice_t v = eddy_slice(val, (size_t)vlen);
    if (eddy_changelog_send(cl[i % partitions], eddy_slice(key, (size_t)klen), &v, 0, &err) != 0)
      bench_die("send: %s", eddy_error_msg(err));
  }
  if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("producer flush timed out");
  for (int p = 0; p < partitions; p++) {
    if (eddy_changelog_check(cl[p], &err) != 0)
      bench_die("changelog: %s", eddy_error_msg(err));
    eddy_changelog_destroy(cl[p]);
  }
  free(cl);
  rd_kafka_destroy(rk);
}

/* The ceiling: consume every partition to its end, storing nothing. */
static double consume_only(const char *bootstrap, int partitions, int64_t records) {
  rd_kafka_t *rk = NULL;
  eddy_error_t *err = NULL;
  if (eddy_restore_consumer_new(&rk, bootstrap, "bench-baseline", NULL, &err) != 0)
    bench_die("consumer: %s", eddy_error_msg(err));
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(parts, TOPIC, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  double t0 = bench_now();
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
  rd_kafka_message_t *msgs[2048];
  int64_t seen = 0, eofs = 0;
  while (eofs < partitions && bench_now() - t0 < 300) {
    ssize_t n = rd_kafka_consume_batch_queue(q, 100, msgs, 2048);
    for (ssize_t i = 0; i < n; i++) {
      if (msgs[i]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        eofs++;
      else if (msgs[i]->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        seen++;
      rd_kafka_message_destroy(msgs[i]);
    }
  }
  double secs = bench_now() - t0;
  if (seen != records)
    bench_die("baseline consumed %" PRId64 " of %" PRId64 " records", seen, records);
  rd_kafka_queue_destroy(q);
  rd_kafka_assign(rk, NULL);
  rd_kafka_destroy(rk);
  return (double)records / secs;
}

static eddy_logger_t logger = {stderr_log, NULL, EDDY_LOG_INFO};

/* One RocksDB key-value store per task 0_<p>, each with its restore job. */
static eddy_state_env_t *open_stores(const char *dir, int partitions, eddy_store_t **stores,
                                     eddy_restore_job_t *jobs) {
  eddy_error_t *err = NULL;
  eddy_state_conf_t sc;
  eddy_state_conf_init(&sc);
  sc.dir = dir;
  sc.memory_bytes = 256u << 20;
  sc.logger = &logger;
  eddy_state_env_t *env = NULL;
  if (eddy_state_env_new(&env, &sc, &err) != 0)
    bench_die("env: %s", eddy_error_msg(err));
  for (int p = 0; p < partitions; p++) {
    char task[16];
    snprintf(task, sizeof(task), "0_%d", p);
    eddy_store_conf_t c;
    eddy_store_conf_init(&c);
    c.name = "counts";
    c.app = "bench";
    c.task = task;
    if (eddy_store_open(&stores[p], env, &c, &err) != 0)
      bench_die("open: %s", eddy_error_msg(err));
    jobs[p] = (eddy_restore_job_t){.store = stores[p], .topic = TOPIC, .partition = p};
  }
  return env;
}

/* Restore every store; check each ends at its changelog's end. @returns seconds. */
static double restore_all(const char *bootstrap, int partitions, int64_t records,
                          eddy_store_t **stores, eddy_restore_job_t *jobs) {
  eddy_error_t *err = NULL;
  rd_kafka_t *consumer = NULL;
  if (eddy_restore_consumer_new(&consumer, bootstrap, "bench-restore", NULL, &err) != 0)
    bench_die("consumer: %s", eddy_error_msg(err));
  eddy_restore_conf_t rc;
  eddy_restore_conf_init(&rc);
  rc.logger = &logger;
  eddy_restore_progress_t progress = {0};
  double t0 = bench_now();
  if (eddy_restore_run(consumer, jobs, (size_t)partitions, &rc, &progress, &err) != 0)
    bench_die("restore: %s", eddy_error_msg(err));
  double secs = bench_now() - t0;
  rd_kafka_destroy(consumer);
  int64_t restored = 0;
  for (int p = 0; p < partitions; p++) {
    restored += jobs[p].records;
    if (eddy_store_committed_offset(stores[p]) != jobs[p].end_offset - 1)
      bench_die("store %d ends at %" PRId64 ", changelog at %" PRId64, p,
                eddy_store_committed_offset(stores[p]), jobs[p].end_offset - 1);
  }
  if (restored != records || atomic_load(&progress.records_done) != records)
    bench_die("restored %" PRId64 " of %" PRId64 " records", restored, records);
  return secs;
}

int main(int argc, char **argv) {
  int64_t records = argc > 1 ? atoll(argv[1]) : 1000000;
  int partitions = argc > 2 ? atoi(argv[2]) : 16;
  if (argc > 3)
    keys_per_partition = (unsigned)atol(argv[3]);
  eddy_error_t *err = NULL;
  eddy_broker_t *broker = NULL;
  if (eddy_broker_start(&broker, 1, &err) != 0 ||
      eddy_broker_create_topic(broker, TOPIC, partitions, &err) != 0)
    bench_die("broker: %s", eddy_error_msg(err));
  const char *bootstrap = eddy_broker_bootstrap(broker);
  double t0 = bench_now();
  fill(bootstrap, partitions, records);
  fprintf(stderr, "wrote %" PRId64 " changelog records in %.2f s\n", records, bench_now() - t0);

  char dir[] = "/tmp/eddy-bench-restore-XXXXXX";
  if (mkdtemp(dir) == NULL)
    bench_die("mkdtemp failed");
  eddy_store_t **stores = calloc((size_t)partitions, sizeof(*stores));
  eddy_restore_job_t *jobs = calloc((size_t)partitions, sizeof(*jobs));
  eddy_state_env_t *env = open_stores(dir, partitions, stores, jobs);
  double secs = restore_all(bootstrap, partitions, records, stores, jobs);
  double rate = (double)records / secs;
  double baseline = consume_only(bootstrap, partitions, records);

  eddy_state_memory_t mem;
  eddy_state_env_memory(env, &mem);
  for (int p = 0; p < partitions; p++)
    eddy_store_close(stores[p]);
  eddy_state_env_destroy(env);
  free(stores);
  free(jobs);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  eddy_broker_stop(broker);
  printf("BENCH restore_detail records=%" PRId64 " stores=%d seconds=%.3f "
         "consume_only_per_s=%.0f ratio=%.2f peak_rss_mb=%.0f block_cache_mb=%.0f\n",
         records, partitions, secs, baseline, rate / baseline, bench_peak_rss_mb(),
         (double)mem.block_cache_bytes / (1 << 20));
  printf("BENCH restore records_per_s=%.0f\n", rate);
  return 0;
}
