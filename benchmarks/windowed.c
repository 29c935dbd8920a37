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
 * and the lines start `BENCH eos_windowed`. EDDY_BENCH_WINDOW sets another window
 * clause (e.g. "window session gap 1m grace 3m").
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_common.h"
#include "dsl/dsl.h"
#include "engine/app.h"
#include "engine/broker.h"

#define APP "bench_windowed"
#define BUDGET_MB 256

static const char *topology =
    "app " APP "\n"
    "stream orders from \"orders\" format debezium-json\n"
    "  schema (order_id int, user_id int, total_amount decimal(10,2), status string,\n"
    "          created_at timestamp, updated_at timestamp)\n"
    "  event-time after.updated_at\n"
    "orders\n"
    "  | group by user_id = after.user_id\n"
    "  | %s\n"
    "  | aggregate orders = count(), revenue = sum(after.total_amount)\n"
    "  | emit final\n"
    "  | to kafka \"user_revenue\"\n";

/* EDDY_BENCH_WINDOW replaces the window, e.g. "window session gap 1m grace 3m". */
static const char *window_clause(void) {
  const char *w = getenv("EDDY_BENCH_WINDOW");
  return w != NULL && *w != '\0' ? w : "window tumbling 1m grace 3m";
}

static void diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  fprintf(stderr, "%s\n", d->message);
}

static eddy_topology_t *compile(void) {
  char text[2048];
  snprintf(text, sizeof(text), topology, window_clause());
  eddy_topology_t *topo = NULL;
  if (eddy_topology_compile(&topo, "windowed.eddy", text, strlen(text), diag, NULL) != 0)
    bench_die("topology does not compile");
  return topo;
}

static void create(eddy_broker_t *b, const char *topic, int partitions) {
  eddy_error_t *err = NULL;
  if (eddy_broker_create_topic(b, topic, partitions, &err) != 0)
    bench_die("topic %s: %s", topic, eddy_error_msg(err));
}

/* The broker process: every topic, internal ones included; then wait for SIGTERM. */
static void run_broker(int out_fd, int partitions) {
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  int brokers = getenv("BENCH_BROKERS") ? atoi(getenv("BENCH_BROKERS")) : 1;
  if (eddy_broker_start(&b, brokers, &err) != 0)
    bench_die("broker: %s", eddy_error_msg(err));
  create(b, "orders", partitions);
  create(b, "user_revenue", partitions);
  create(b, "baseline_out", partitions);
  eddy_topology_t *topo = compile();
  const eddy_plan_t *plan = eddy_topology_plan(topo);
  char topic[512];
  for (uint32_t i = 0; i < plan->source_cnt; i++)
    if (plan->sources[i].internal) {
      eddy_plan_internal_topic(topic, sizeof(topic), APP, plan->sources[i].name);
      create(b, topic, partitions);
    }
  for (uint32_t i = 0; i < plan->store_cnt; i++) {
    eddy_changelog_topic_name(topic, sizeof(topic), APP, plan->stores[i].name);
    create(b, topic, partitions);
  }
  eddy_topology_destroy(topo);
  dprintf(out_fd, "%s\n", eddy_broker_bootstrap(b));
  close(out_fd);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  int sig;
  sigwait(&set, &sig);
  eddy_broker_stop(b);
  _exit(0);
}

static pid_t start_broker(int partitions, char *bootstrap, size_t size) {
  int fds[2];
  if (pipe(fds) != 0)
    bench_die("pipe");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);   /* the child waits for it with sigwait */
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    run_broker(fds[1], partitions);
  }
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  if (f == NULL || fgets(bootstrap, (int)size, f) == NULL)
    bench_die("the broker did not start");
  fclose(f);
  bootstrap[strcspn(bootstrap, "\n")] = '\0';
  return pid;
}

/* The internal topics exist already (the broker process made them). */
static int already_there(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  (void)opaque, (void)topic, (void)partitions, (void)err;
  return EDDY_EEXIST;
}

static bool eos_mode(void) {
  return getenv("EDDY_BENCH_EOS") != NULL && strcmp(getenv("EDDY_BENCH_EOS"), "1") == 0;
}

static eddy_app_t *start_app(eddy_topology_t *topo, eddy_config_t *conf, const char *bootstrap,
                             const char *dir) {
  eddy_error_t *err = NULL;
  eddy_config_init(conf);
  eddy_config_set(conf, "bootstrap.servers", bootstrap, &err);
  eddy_config_set(conf, "state.dir", dir, &err);
  char budget[32];
  snprintf(budget, sizeof(budget), "%dm", BUDGET_MB);
  eddy_config_set(conf, "state.memory.bytes", budget, &err);
  if (eos_mode())
    eddy_config_set(conf, "processing.guarantee", "exactly_once_v2", &err);
  /* EDDY_BENCH_SET="key=value;key=value" tries settings without rebuilding */
  char *sets = getenv("EDDY_BENCH_SET") ? strdup(getenv("EDDY_BENCH_SET")) : NULL;
  for (char *kv = sets ? strtok(sets, ";") : NULL; kv != NULL; kv = strtok(NULL, ";")) {
    char *eq = strchr(kv, '=');
    if (eq == NULL || (*eq = '\0', eddy_config_set(conf, kv, eq + 1, &err)) != 0)
      bench_die("EDDY_BENCH_SET: %s", eddy_error_msg(err));
  }
  free(sets);
  static eddy_logger_t log = {.fn = eddy_log_stderr, .level = EDDY_LOG_WARN};
  log.level = conf->log_level < EDDY_LOG_WARN ? conf->log_level : EDDY_LOG_WARN;
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), conf, &log, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  eddy_app_set_topic_creator(app, already_there, NULL);
  if (eddy_app_start(app, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  return app;
}

/* CPU seconds per thread of this process (name: seconds), to see where time goes. */
static void thread_cpu_report(const char *what, int pid, double wall) {
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "for t in /proc/%d/task/*; do echo \"$(cat $t/comm) $(cut -d' ' "
           "-f14,15 $t/stat)\"; done", pid);
  FILE *p = popen(cmd, "r");
  char name[64];
  long ut, st;
  double ticks = (double)sysconf(_SC_CLK_TCK), total = 0;
  fprintf(stderr, "%s CPU (after %.2f s):", what, wall);
  while (p != NULL && fscanf(p, "%63s %ld %ld", name, &ut, &st) == 3) {
    double secs = (double)(ut + st) / ticks;
    total += secs;
    if (secs >= 0.05)
      fprintf(stderr, " %s=%.2f", name, secs);
  }
  fprintf(stderr, " total=%.2f\n", total);
  if (p != NULL)
    pclose(p);
}

/* The engine process: consume everything (input and repartition topic), then report. */
static void run_engine(int out_fd, const char *bootstrap, uint64_t n) {
  char dir[] = "/tmp/eddy-bench-windowed-XXXXXX";
  if (mkdtemp(dir) == NULL)
    bench_die("mkdtemp");
  eddy_topology_t *topo = compile();
  eddy_config_t conf;
  eddy_app_t *app = start_app(topo, &conf, bootstrap, dir);
  const eddy_counters_t *c = eddy_app_counters(app);
  while (atomic_load(&c->records_in) == 0)
    usleep(1000);
  double t0 = bench_now();
  while ((uint64_t)atomic_load(&c->records_in) < 2 * n) {
    if (!eddy_app_running(app))
      bench_die("application stopped");
    usleep(1000);
  }
  eddy_error_t *err = NULL;
  thread_cpu_report("engine", (int)getpid(), bench_now() - t0);
  /* the clock stops when the last commit is done (every output and store write
   * acknowledged), as the baseline's stops at its last acknowledged output; closing
   * the stores (memtables to disk) is shutdown, reported apart */
  long long commits = atomic_load(&c->commits);
  eddy_app_request_stop(app);
  while (atomic_load(&c->commits) == commits && eddy_app_running(app))
    usleep(500);
  double secs = bench_now() - t0, t1 = bench_now();
  if (eddy_app_join(app, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  fprintf(stderr, "processed and committed in %.2f s; stopping took %.2f s more\n", secs,
          bench_now() - t1);
  fprintf(stderr, "eddy: %lld in (input + repartition), %lld results, %lld late, %lld commits "
          "(%lld early), %lld aborts\n",
          (long long)atomic_load(&c->records_in), (long long)atomic_load(&c->records_out),
          (long long)atomic_load(&c->late), (long long)atomic_load(&c->commits),
          (long long)atomic_load(&c->early_commits), (long long)atomic_load(&c->txn_aborts));
  dprintf(out_fd, "%.0f %.0f %.0f\n", (double)n / secs, bench_peak_rss_mb(),
          (double)conf.state_memory_bytes / (1 << 20));
  eddy_app_destroy(app);
  eddy_config_free(&conf);
  eddy_topology_destroy(topo);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  _exit(0);
}

static void measure_engine(const char *bootstrap, uint64_t n, double *rate, double *peak_mb,
                           double *budget_mb) {
  int fds[2];
  if (pipe(fds) != 0)
    bench_die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    run_engine(fds[1], bootstrap, n);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  if (f == NULL || fscanf(f, "%lf %lf %lf", rate, peak_mb, budget_mb) != 3)
    bench_die("the engine process failed");
  fclose(f);
  int status;
  waitpid(pid, &status, 0);
}

/*
 * The input, in batches of equal size. The embedded broker returns one
 * produced batch per partition per fetch, so partitions written in batches
 * of different sizes would be read at different speeds of event time, and
 * the skew between them (not the engine) would decide how many records
 * arrive after their window closed.
 */
static void produce_input(const char *bootstrap, uint64_t n) {
  char errstr[256], buf[1024], key[32];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *kv[] = {"bootstrap.servers", bootstrap, "linger.ms", "100",
                      "batch.num.messages", "1000", "queue.buffering.max.messages", "1000000",
                      NULL};
  for (int i = 0; kv[i] != NULL; i += 2)
    if (rd_kafka_conf_set(c, kv[i], kv[i + 1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
      bench_die("producer %s: %s", kv[i], errstr);
  rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
  if (p == NULL)
    bench_die("producer: %s", errstr);
  for (uint64_t i = 0; i < n; i++) {
    int len = bench_order_event(i, buf, sizeof(buf));
    int klen = snprintf(key, sizeof(key), "{\"order_id\":%llu}", (unsigned long long)i);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC("orders"), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(buf, (size_t)len),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 5);
  }
  if (rd_kafka_flush(p, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("flush of the input timed out");
  rd_kafka_destroy(p);
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000;
  int partitions = argc > 2 ? atoi(argv[2]) : 48; /* ~5 MB kept per partition: 240 MB */
  char bootstrap[256];
  pid_t broker = start_broker(partitions, bootstrap, sizeof(bootstrap));
  fprintf(stderr, "producing %llu events to %d partitions...\n", (unsigned long long)n,
          partitions);
  produce_input(bootstrap, n);
  double base = bench_passthrough(bootstrap, "orders", "baseline_out", "bench-baseline", n);
  fprintf(stderr, "baseline passthrough: %.0f events/s\n", base);
  double rate, peak, budget;
  thread_cpu_report("broker", (int)broker, 0);
  measure_engine(bootstrap, n, &rate, &peak, &budget);
  thread_cpu_report("broker", (int)broker, 0);
  fprintf(stderr, "eddy group by + tumbling window + count/sum: %.0f events/s\n", rate);
  kill(broker, SIGTERM);
  waitpid(broker, NULL, 0);
  const char *name = eos_mode() ? "eos_windowed" : "windowed";
  printf("BENCH %s_rss peak_mb=%.0f budget_mb=%.0f\n", name, peak, budget);
  printf("BENCH %s events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", name, rate, base,
         rate / base);
  return 0;
}
