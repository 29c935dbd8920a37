/* The harness of the benchmarks that run eddy applications (bench_engine.h). */
#include "bench_engine.h"

#include <signal.h>
#include <stddef.h>
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

#define MAX_APPS 8

static void diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  fprintf(stderr, "%s\n", d->message);
}

static eddy_topology_t *compile(const bench_engine_conf_t *c, size_t i) {
  eddy_topology_t *topo = NULL;
  const char *text = c->topologies[i];
  if (eddy_topology_compile(&topo, c->name, text, strlen(text), diag, NULL) != 0)
    bench_die("%s: topology %zu does not compile", c->name, i);
  return topo;
}

static void create(eddy_broker_t *b, const char *topic, int partitions) {
  eddy_error_t *err = NULL;
  if (eddy_broker_create_topic(b, topic, partitions, &err) != 0)
    bench_die("topic %s: %s", topic, eddy_error_msg(err));
}

/* The repartition, changelog and `to postgres` topics of every application. */
static void create_internal(const bench_engine_conf_t *c, eddy_broker_t *b) {
  char topic[512];
  for (size_t t = 0; c->topologies[t] != NULL; t++) {
    eddy_topology_t *topo = compile(c, t);
    const eddy_plan_t *plan = eddy_topology_plan(topo);
    for (uint32_t i = 0; i < plan->source_cnt; i++)
      if (plan->sources[i].internal) {
        eddy_plan_internal_topic(topic, sizeof(topic), plan->app_id, plan->sources[i].name);
        create(b, topic, c->partitions);
      }
    for (uint32_t i = 0; i < plan->store_cnt; i++) {
      eddy_changelog_topic_name(topic, sizeof(topic), plan->app_id, plan->stores[i].name);
      create(b, topic, c->partitions);
    }
    for (uint32_t i = 0; i < plan->node_cnt; i++)
      if (plan->nodes[i]->kind == EDDY_NODE_SINK_POSTGRES) {
        eddy_plan_internal_topic(topic, sizeof(topic), plan->app_id, plan->nodes[i]->name);
        create(b, topic, c->partitions);
      }
    eddy_topology_destroy(topo);
  }
}

/* The broker process: every topic; then wait for SIGTERM. */
static void run_broker(const bench_engine_conf_t *c, int out_fd) {
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  int brokers = getenv("BENCH_BROKERS") ? atoi(getenv("BENCH_BROKERS")) : 1;
  if (eddy_broker_start(&b, brokers, &err) != 0)
    bench_die("broker: %s", eddy_error_msg(err));
  for (size_t i = 0; c->topics[i] != NULL; i++)
    create(b, c->topics[i], c->partitions);
  create(b, "baseline_out", c->partitions);
  create_internal(c, b);
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

pid_t bench_engine_broker(const bench_engine_conf_t *c, char *bootstrap, size_t size) {
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
    run_broker(c, fds[1]);
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

void bench_engine_broker_stop(pid_t broker) {
  kill(broker, SIGTERM);
  waitpid(broker, NULL, 0);
}

/* The internal topics exist already (the broker process made them). */
static int already_there(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  (void)opaque, (void)topic, (void)partitions, (void)err;
  return EDDY_EEXIST;
}

/* Apply "key=value;key=value" (NULL: nothing). */
static void set_list(eddy_config_t *conf, const char *list, const char *what) {
  eddy_error_t *err = NULL;
  char *sets = list ? strdup(list) : NULL;
  for (char *kv = sets ? strtok(sets, ";") : NULL; kv != NULL; kv = strtok(NULL, ";")) {
    char *eq = strchr(kv, '=');
    if (eq == NULL || (*eq = '\0', eddy_config_set(conf, kv, eq + 1, &err)) != 0)
      bench_die("%s: %s", what, eq == NULL ? "expected key=value" : eddy_error_msg(err));
  }
  free(sets);
}

static void configure(const bench_engine_conf_t *c, eddy_config_t *conf, const char *bootstrap,
                      const char *dir) {
  eddy_error_t *err = NULL;
  char budget[32];
  snprintf(budget, sizeof(budget), "%dm", c->budget_mb);
  eddy_config_init(conf);
  if (eddy_config_set(conf, "bootstrap.servers", bootstrap, &err) != 0 ||
      eddy_config_set(conf, "state.dir", dir, &err) != 0 ||
      eddy_config_set(conf, "state.memory.bytes", budget, &err) != 0 ||
      (c->eos && eddy_config_set(conf, "processing.guarantee", "exactly_once_v2", &err) != 0))
    bench_die("config: %s", eddy_error_msg(err));
  set_list(conf, c->settings, "settings");
  /* EDDY_BENCH_SET="key=value;key=value" tries settings without rebuilding */
  set_list(conf, getenv("EDDY_BENCH_SET"), "EDDY_BENCH_SET");
}

static eddy_app_t *start_app(eddy_topology_t *topo, const eddy_config_t *conf) {
  static eddy_logger_t log = {.fn = eddy_log_stderr, .level = EDDY_LOG_WARN};
  log.level = conf->log_level < EDDY_LOG_WARN ? conf->log_level : EDDY_LOG_WARN;
  eddy_error_t *err = NULL;
  eddy_app_t *app = NULL;
  if (eddy_app_new(&app, eddy_topology_plan(topo), conf, &log, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  eddy_app_set_topic_creator(app, already_there, NULL);
  if (eddy_app_start(app, &err) != 0)
    bench_die("app: %s", eddy_error_msg(err));
  return app;
}

void bench_thread_cpu(const char *what, int pid, double wall) {
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

typedef struct {
  size_t cnt;
  eddy_topology_t *topos[MAX_APPS];
  eddy_app_t *apps[MAX_APPS];
} apps_t;

/* One counter (at \p offset in eddy_counters_t) summed over the applications. */
static long long sum(const apps_t *a, size_t offset) {
  long long total = 0;
  for (size_t i = 0; i < a->cnt; i++) {
    const char *c = (const char *)eddy_app_counters(a->apps[i]);
    total += atomic_load((const atomic_llong *)(const void *)(c + offset));
  }
  return total;
}

#define SUM(a, field) sum(a, offsetof(eddy_counters_t, field))

static void wait_consumed(const apps_t *a, uint64_t target) {
  while ((uint64_t)SUM(a, records_in) < target) {
    for (size_t i = 0; i < a->cnt; i++)
      if (!eddy_app_running(a->apps[i]))
        bench_die("application stopped");
    usleep(1000);
  }
}

/* Stop every application; @returns when each made its final commit. */
static void stop_committed(apps_t *a) {
  long long commits[MAX_APPS];
  for (size_t i = 0; i < a->cnt; i++) {
    commits[i] = atomic_load(&eddy_app_counters(a->apps[i])->commits);
    eddy_app_request_stop(a->apps[i]);
  }
  for (size_t i = 0; i < a->cnt; i++)
    while (atomic_load(&eddy_app_counters(a->apps[i])->commits) == commits[i] &&
           eddy_app_running(a->apps[i]))
      usleep(500);
}

static void report(const apps_t *a) {
  fprintf(stderr, "eddy: %lld in (input + internal), %lld out, %lld late, %lld commits "
          "(%lld early), %lld aborts\n", SUM(a, records_in), SUM(a, records_out), SUM(a, late),
          SUM(a, commits), SUM(a, early_commits), SUM(a, txn_aborts));
}

static void start_all(const bench_engine_conf_t *c, const eddy_config_t *conf, apps_t *a) {
  for (; c->topologies[a->cnt] != NULL && a->cnt < MAX_APPS; a->cnt++) {
    a->topos[a->cnt] = compile(c, a->cnt);
    a->apps[a->cnt] = start_app(a->topos[a->cnt], conf);
  }
}

static void finish(apps_t *a, eddy_config_t *conf, const char *dir) {
  for (size_t i = 0; i < a->cnt; i++) {
    eddy_app_destroy(a->apps[i]);
    eddy_topology_destroy(a->topos[i]);
  }
  eddy_config_free(conf);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  _exit(0);
}

/* The engine process: run until everything is consumed and committed, then report. */
static void run_engine(const bench_engine_conf_t *c, int out_fd, const char *bootstrap,
                       uint64_t n) {
  char dir[] = "/tmp/eddy-bench-XXXXXX";
  if (mkdtemp(dir) == NULL)
    bench_die("mkdtemp");
  eddy_config_t conf;
  configure(c, &conf, bootstrap, dir);
  apps_t a = {0};
  start_all(c, &conf, &a);
  while (SUM(&a, records_in) == 0)
    usleep(1000);
  double t0 = bench_now();
  wait_consumed(&a, c->records_in);
  bench_thread_cpu("engine", (int)getpid(), bench_now() - t0);
  /* the clock stops when the last commit is done (every output and store write
   * acknowledged), as the baseline's stops at its last acknowledged output; closing
   * the stores (memtables to disk) is shutdown, reported apart */
  stop_committed(&a);
  double secs = bench_now() - t0, t1 = bench_now();
  eddy_error_t *err = NULL;
  for (size_t i = 0; i < a.cnt; i++)
    if (eddy_app_join(a.apps[i], &err) != 0)
      bench_die("app: %s", eddy_error_msg(err));
  fprintf(stderr, "processed and committed in %.2f s; stopping took %.2f s more\n", secs,
          bench_now() - t1);
  report(&a);
  dprintf(out_fd, "%.0f %.0f %.0f\n", (double)n / secs, bench_peak_rss_mb(),
          (double)conf.state_memory_bytes / (1 << 20));
  finish(&a, &conf, dir);
}

/* The engine process of bench_engine_spawn(): run until SIGTERM. */
static void run_until_term(const bench_engine_conf_t *c, const char *bootstrap) {
  char dir[] = "/tmp/eddy-bench-XXXXXX";
  if (mkdtemp(dir) == NULL)
    bench_die("mkdtemp");
  eddy_config_t conf;
  configure(c, &conf, bootstrap, dir);
  apps_t a = {0};
  start_all(c, &conf, &a);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  int sig;
  sigwait(&set, &sig);
  report(&a);
  for (size_t i = 0; i < a.cnt; i++)
    eddy_app_request_stop(a.apps[i]);
  eddy_error_t *err = NULL;
  for (size_t i = 0; i < a.cnt; i++)
    if (eddy_app_join(a.apps[i], &err) != 0)
      bench_die("app: %s", eddy_error_msg(err));
  finish(&a, &conf, dir);
}

pid_t bench_engine_spawn(const bench_engine_conf_t *c, const char *bootstrap) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);   /* the child waits for it with sigwait */
  pid_t pid = fork();
  if (pid == 0)
    run_until_term(c, bootstrap);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  return pid;
}

void bench_engine_kill(pid_t engine) {
  kill(engine, SIGTERM);
  waitpid(engine, NULL, 0);
}

void bench_engine_measure(const bench_engine_conf_t *c, const char *bootstrap, uint64_t n,
                          bench_engine_result_t *out) {
  int fds[2];
  if (pipe(fds) != 0)
    bench_die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    run_engine(c, fds[1], bootstrap, n);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  if (f == NULL || fscanf(f, "%lf %lf %lf", &out->rate, &out->peak_mb, &out->budget_mb) != 3)
    bench_die("the engine process failed");
  fclose(f);
  int status;
  waitpid(pid, &status, 0);
}

void bench_produce_batched(const char *bootstrap, const char *topic, uint64_t n,
                           bench_event_fn event) {
  char errstr[256], buf[2048], key[128];
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
    int klen = 0;
    int len = event(i, buf, sizeof(buf), key, sizeof(key), &klen);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(buf, (size_t)len),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 5);
  }
  if (rd_kafka_flush(p, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die("flush of the input timed out");
  rd_kafka_destroy(p);
}

int bench_order_record(uint64_t i, char *buf, size_t size, char *key, size_t ksize, int *klen) {
  *klen = snprintf(key, ksize, "{\"order_id\":%llu}", (unsigned long long)i);
  return bench_order_event(i, buf, size);
}

char *bench_topology_file(const char *name) {
  char path[1024];
  const char *src = getenv("EDDY_SOURCE_DIR") ? getenv("EDDY_SOURCE_DIR") : EDDY_SOURCE_DIR;
  snprintf(path, sizeof(path), "%s/topologies/%s", src, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    bench_die("cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)len + 1);
  if (s == NULL || fread(s, 1, (size_t)len, f) != (size_t)len)
    bench_die("cannot read %s", path);
  s[len] = '\0';
  fclose(f);
  return s;
}

double bench_engine_compare(const bench_engine_conf_t *c, const char *input, uint64_t n,
                            bench_event_fn event, bench_engine_result_t *out) {
  char bootstrap[256];
  pid_t broker = bench_engine_broker(c, bootstrap, sizeof(bootstrap));
  fprintf(stderr, "producing %llu events to %d partitions...\n", (unsigned long long)n,
          c->partitions);
  bench_produce_batched(bootstrap, input, n, event);
  double base = bench_passthrough(bootstrap, input, "baseline_out", "bench-baseline", n);
  fprintf(stderr, "baseline passthrough: %.0f events/s\n", base);
  bench_thread_cpu("broker", (int)broker, 0);
  bench_engine_measure(c, bootstrap, n, out);
  bench_thread_cpu("broker", (int)broker, 0);
  bench_engine_broker_stop(broker);
  return base;
}

void bench_engine_report(const char *name, const bench_engine_result_t *r, double baseline) {
  printf("BENCH %s_rss peak_mb=%.0f budget_mb=%.0f\n", name, r->peak_mb, r->budget_mb);
  printf("BENCH %s events_per_s=%.0f baseline_per_s=%.0f ratio=%.2f\n", name, r->rate, baseline,
         r->rate / baseline);
}
