/* `eddy run`: compile topology files and run them until stopped. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsl/dsl.h"
#include "engine/app.h"
#include "engine/broker.h"
#include "engine/cli.h"
#include "engine/metrics.h"
#include "engine/util.h"

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig) {
  (void)sig;
  if (++signals_seen > 1)
    _exit(130); /* a second Ctrl-C: the user does not want to wait */
}

static void run_usage(FILE *out) {
  eddy_buf_t keys = {0};
  eddy_config_describe(&keys);
  fprintf(out,
          "usage: eddy run FILE... [options]\n\n"
          "Compile the topology files and run them against Kafka until interrupted\n"
          "(SIGINT/SIGTERM: finish the batch, flush outputs, commit, exit 0).\n"
          "Each file is one application (its `app` name is the consumer group).\n\n"
          "options:\n"
          "  -c, --config FILE        properties file (Kafka Streams-style keys, below)\n"
          "  -b, --bootstrap HOSTS    bootstrap.servers (overrides the config file)\n"
          "  -e, --embedded           start an in-process Kafka cluster and use it\n"
          "  -p, --partitions N       partitions of source topics created with --embedded (4)\n"
          "  -t, --threads N          num.stream.threads\n"
          "  -s, --set KEY=VALUE      set any configuration key (repeatable)\n"
          "  -l, --log-level LEVEL    debug, info, warn or error\n"
          "  -m, --metrics HOST:PORT  serve /metrics, /status, /health and /ready (metrics.listen)\n"
          "  -r, --registry URL       schema.registry.url (for avro sources and sinks)\n"
          "  -h, --help               show this help\n\n"
          "configuration keys:\n%s\n"
          "Records that cannot be decoded or break a `check` rule go to <app>-dlq\n"
          "(see docs/operations.md).\n",
          eddy_buf_cstr(&keys));
  eddy_buf_free(&keys);
}

typedef struct {
  eddy_config_t conf;
  const char *config_file;
  const char *bootstrap;
  bool embedded;
  int partitions;
  char **files;
  int file_cnt;
} run_opts_t;

static int apply_flag(run_opts_t *o, const char *key, const char *value) {
  eddy_error_t *err = NULL;
  if (eddy_config_set(&o->conf, key, value, &err) == 0)
    return 0;
  fprintf(stderr, "eddy run: %s\n", eddy_error_msg(err));
  eddy_error_destroy(err);
  return -1;
}

#define HELP_SHOWN (-1)

/* Remember a KEY=VALUE flag; takes ownership of \p key. */
static void push_set(char **sets, int *cnt, char *key, const char *value) {
  sets[(*cnt)++] = key;
  sets[(*cnt)++] = eddy_strdup(value);
}

/* Flags are applied after the config file, so they win. */
static int parse_args(run_opts_t *o, int argc, char **argv, char ***sets, int *set_cnt) {
  static const struct option opts[] = {
      {"config", required_argument, 0, 'c'},  {"bootstrap", required_argument, 0, 'b'},
      {"embedded", no_argument, 0, 'e'},      {"partitions", required_argument, 0, 'p'},
      {"threads", required_argument, 0, 't'}, {"set", required_argument, 0, 's'},
      {"log-level", required_argument, 0, 'l'}, {"metrics", required_argument, 0, 'm'},
      {"registry", required_argument, 0, 'r'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:b:ep:t:s:l:m:r:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': o->config_file = optarg; break;
    case 'b': o->bootstrap = optarg; break;
    case 'e': o->embedded = true; break;
    case 'p': o->partitions = atoi(optarg); break;
    case 't': push_set(*sets, set_cnt, eddy_strdup("num.stream.threads"), optarg); break;
    case 'l': push_set(*sets, set_cnt, eddy_strdup("log.level"), optarg); break;
    case 'm': push_set(*sets, set_cnt, eddy_strdup("metrics.listen"), optarg); break;
    case 'r': push_set(*sets, set_cnt, eddy_strdup("schema.registry.url"), optarg); break;
    case 's': {
      const char *eq = strchr(optarg, '=');
      if (eq == NULL || eq == optarg) {
        fprintf(stderr, "eddy run: --set expects KEY=VALUE, got '%s'\n", optarg);
        return 2;
      }
      push_set(*sets, set_cnt, eddy_strndup(optarg, (size_t)(eq - optarg)), eq + 1);
      break;
    }
    case 'h': run_usage(stdout); return HELP_SHOWN;
    default: run_usage(stderr); return 2;
    }
  }
  o->files = argv + optind;
  o->file_cnt = argc - optind;
  if (o->file_cnt == 0) {
    fprintf(stderr, "eddy run: no topology file given (try: eddy run --help)\n");
    return 2;
  }
  if (o->partitions < 0 || o->partitions > 10000) {
    fprintf(stderr, "eddy run: --partitions must be 1..10000\n");
    return 2;
  }
  return 0;
}

static int configure(run_opts_t *o, int argc, char **argv) {
  char **sets = eddy_calloc((size_t)argc * 2 + 2, sizeof(char *));
  int set_cnt = 0;
  int rc = parse_args(o, argc, argv, &sets, &set_cnt);
  if (rc == 0 && o->config_file != NULL) {
    eddy_error_t *err = NULL;
    if (eddy_config_load_file(&o->conf, o->config_file, &err) != 0) {
      fprintf(stderr, "eddy run: %s\n", eddy_error_msg(err));
      eddy_error_destroy(err);
      rc = 2;
    }
  }
  for (int i = 0; i < set_cnt; i += 2)
    if (rc == 0 && apply_flag(o, sets[i], sets[i + 1]) != 0)
      rc = 2;
  if (rc == 0 && o->bootstrap != NULL && apply_flag(o, "bootstrap.servers", o->bootstrap) != 0)
    rc = 2;
  for (int i = 0; i < set_cnt; i++)
    eddy_free(sets[i]);
  eddy_free(sets);
  return rc;
}

static void print_diag(void *opaque, const eddy_diag_t *d) {
  (void)opaque;
  eddy_buf_t b = {0};
  eddy_diag_format(d, &b);
  fprintf(stderr, "%.*s", (int)b.len, b.p ? b.p : "");
  eddy_buf_free(&b);
}

static void log_progress(eddy_app_t **apps, int cnt, const eddy_logger_t *log,
                         long long *last_in, double secs) {
  for (int i = 0; i < cnt; i++) {
    const eddy_counters_t *c = eddy_app_counters(apps[i]);
    long long in = atomic_load(&c->records_in);
    eddy_log(log, EDDY_LOG_INFO, "run",
             "app=%s in=%lld (%.0f/s) out=%lld dlq=%lld skipped=%lld tombstones=%lld late=%lld "
             "lag=%lld",
             eddy_app_id(apps[i]), in, secs > 0 ? (double)(in - last_in[i]) / secs : 0.0,
             (long long)atomic_load(&c->records_out), (long long)atomic_load(&c->dlq),
             (long long)atomic_load(&c->skipped), (long long)atomic_load(&c->tombstones),
             (long long)atomic_load(&c->late), eddy_app_lag(apps[i]));
    last_in[i] = in;
  }
}

static bool any_stopped(eddy_app_t **apps, int cnt) {
  for (int i = 0; i < cnt; i++)
    if (!eddy_app_running(apps[i]))
      return true;
  return false;
}

/* Wait for a signal or an application failure, logging progress. */
static void supervise(eddy_app_t **apps, int cnt, const eddy_config_t *conf,
                      const eddy_logger_t *log) {
  long long *last_in = eddy_calloc((size_t)cnt, sizeof(long long));
  int64_t last = eddy_clock_monotonic_us();
  while (!signals_seen && !any_stopped(apps, cnt)) {
    usleep(100 * 1000);
    int64_t now = eddy_clock_monotonic_us();
    if (conf->stats_interval_ms > 0 && now - last >= conf->stats_interval_ms * EDDY_MSEC) {
      log_progress(apps, cnt, log, last_in, (double)(now - last) / 1e6);
      last = now;
    }
  }
  if (signals_seen)
    eddy_log(log, EDDY_LOG_INFO, "run", "stopping: flushing outputs and committing");
  log_progress(apps, cnt, log, last_in, 0);
  eddy_free(last_in);
}

static int create_embedded_topics(eddy_broker_t *b, eddy_topology_t **topos, int cnt, int parts) {
  for (int i = 0; i < cnt; i++) {
    const eddy_plan_t *p = eddy_topology_plan(topos[i]);
    for (uint32_t s = 0; s < p->source_cnt; s++)
      for (uint32_t t = 0; t < p->sources[s].topic_cnt; t++) {
        eddy_error_t *err = NULL;
        int rc = eddy_broker_create_topic(b, p->sources[s].topics[t], parts, &err);
        eddy_error_destroy(err);
        if (rc != 0 && rc != EDDY_EEXIST)
          return rc;
      }
  }
  return 0;
}

/* The embedded broker has no CreateTopics: internal topics are made in process. */
static int create_on_broker(void *opaque, const char *topic, int partitions, eddy_error_t **err) {
  return eddy_broker_create_topic(opaque, topic, partitions, err);
}

static int start_apps(run_opts_t *o, eddy_topology_t **topos, eddy_app_t **apps,
                      eddy_broker_t *broker, const eddy_logger_t *log) {
  for (int i = 0; i < o->file_cnt; i++) {
    eddy_error_t *err = NULL;
    const eddy_plan_t *plan = eddy_topology_plan(topos[i]);
    int rc = eddy_app_new(&apps[i], plan, &o->conf, log, &err);
    if (rc == 0 && broker != NULL)
      eddy_app_set_topic_creator(apps[i], create_on_broker, broker);
    if (rc == 0)
      rc = eddy_app_start(apps[i], &err);
    if (rc != 0) {
      fprintf(stderr, "eddy run: %s: %s\n", o->files[i], eddy_error_msg(err));
      eddy_error_destroy(err);
      return rc;
    }
  }
  return 0;
}

static int compile_all(run_opts_t *o, eddy_topology_t **topos) {
  int rc = 0;
  for (int i = 0; i < o->file_cnt; i++)
    if (eddy_topology_compile_file(&topos[i], o->files[i], print_diag, NULL) != 0)
      rc = 1;
  if (rc == 0 && o->file_cnt > 1 && o->conf.application_id[0]) {
    fprintf(stderr, "eddy run: application.id applies to one topology; with several files "
                    "each uses its own `app` name\n");
    rc = 2;
  }
  return rc;
}

static int run_all(run_opts_t *o, eddy_topology_t **topos, eddy_app_t **apps,
                   eddy_broker_t *broker, const eddy_logger_t *log) {
  int rc = start_apps(o, topos, apps, broker, log);
  eddy_metrics_server_t *metrics = NULL;
  if (rc == 0 && o->conf.metrics_listen[0] != '\0') {
    eddy_error_t *err = NULL;
    rc = eddy_metrics_server_start(&metrics, o->conf.metrics_listen, apps, o->file_cnt, log,
                                   &err);
    if (rc != 0)
      fprintf(stderr, "eddy run: metrics: %s\n", eddy_error_msg(err));
    eddy_error_destroy(err);
  }
  if (rc == 0)
    supervise(apps, o->file_cnt, &o->conf, log);
  eddy_metrics_server_stop(metrics);
  int exit_code = rc == 0 ? 0 : 1;
  for (int i = 0; i < o->file_cnt; i++) {
    if (apps[i] == NULL)
      continue;
    eddy_app_request_stop(apps[i]);
    eddy_error_t *err = NULL;
    if (eddy_app_join(apps[i], &err) != 0) {
      fprintf(stderr, "eddy run: application '%s' failed: %s\n", eddy_app_id(apps[i]),
              eddy_error_msg(err));
      exit_code = 1;
    }
    eddy_error_destroy(err);
    eddy_app_destroy(apps[i]);
  }
  return exit_code;
}

int eddy_cmd_run(int argc, char **argv) {
  run_opts_t o = {.partitions = 4};
  eddy_config_init(&o.conf);
  int rc = configure(&o, argc, argv);
  eddy_topology_t **topos = NULL;
  eddy_app_t **apps = NULL;
  eddy_broker_t *broker = NULL;
  eddy_logger_t log = {.fn = eddy_log_stderr, .level = o.conf.log_level};
  if (rc == HELP_SHOWN)
    rc = 0;
  if (rc != 0 || o.file_cnt == 0)
    goto out;
  topos = eddy_calloc((size_t)o.file_cnt, sizeof(*topos));
  apps = eddy_calloc((size_t)o.file_cnt, sizeof(*apps));
  rc = compile_all(&o, topos);
  if (rc != 0)
    goto out;
  if (o.embedded) {
    eddy_error_t *err = NULL;
    if (eddy_broker_start(&broker, 3, &err) != 0 ||
        create_embedded_topics(broker, topos, o.file_cnt, o.partitions) != 0) {
      fprintf(stderr, "eddy run: embedded broker: %s\n", eddy_error_msg(err));
      eddy_error_destroy(err);
      rc = 1;
      goto out;
    }
    apply_flag(&o, "bootstrap.servers", eddy_broker_bootstrap(broker));
    eddy_log(&log, EDDY_LOG_INFO, "run", "embedded broker: bootstrap=%s",
             eddy_broker_bootstrap(broker));
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  rc = run_all(&o, topos, apps, broker, &log);
out:
  for (int i = 0; topos != NULL && i < o.file_cnt; i++)
    eddy_topology_destroy(topos[i]);
  eddy_free(topos);
  eddy_free(apps);
  eddy_broker_stop(broker);
  eddy_config_free(&o.conf);
  return rc;
}
