/* `eddy registry`: run the Schema Registry until SIGINT or SIGTERM. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/broker.h"
#include "engine/cli.h"
#include "engine/util.h"
#include "schema-registry/registry.h"

typedef struct {
  eddy_sr_server_conf_t server;
  char host[256];
  bool embedded;
  eddy_logger_t logger;
} options_t;

static void usage(FILE *out) {
  fprintf(out,
          "usage: eddy registry [--listen HOST:PORT] [--bootstrap HOST:PORT,...] [--topic NAME]\n"
          "                     [--embedded] [options]\n\n"
          "Run a Confluent-compatible Schema Registry (Avro) whose state lives in the\n"
          "compacted Kafka topic _schemas. Several instances on one topic agree on ids\n"
          "and versions; any of them accepts writes. Prints `listening=http://HOST:PORT`\n"
          "on stdout once it serves, then runs until interrupted (Ctrl-C or SIGTERM).\n\n"
          "  -l, --listen HOST:PORT   address to listen on (default 127.0.0.1:8081;\n"
          "                           port 0 picks a free port)\n"
          "  -b, --bootstrap LIST     Kafka bootstrap servers (default 127.0.0.1:9092)\n"
          "  -t, --topic NAME         the schemas topic (default _schemas)\n"
          "  -e, --embedded           start an in-memory Kafka broker in this process\n"
          "                           (prints `bootstrap=...` first); data is lost on exit\n"
          "      --timeout-ms N       Kafka write/read-back timeout (default 5000)\n"
          "      --max-body-bytes N   largest request body accepted (default 16777216)\n"
          "      --log-level LEVEL    debug, info, warn, error (default info)\n"
          "  -h, --help               show this help\n");
}

static int parse_listen(const char *arg, options_t *o) {
  int port;
  if (eddy_parse_listen(arg, o->host, sizeof(o->host), &port) != 0)
    return -1;
  o->server.host = o->host;
  o->server.port = port;
  return 0;
}

static int parse_number(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* @returns 0 to run, 1 when --help was shown, 2 on a usage error. */
static int parse_args(int argc, char **argv, options_t *o) {
  static const struct option opts[] = {
      {"listen", required_argument, 0, 'l'},     {"bootstrap", required_argument, 0, 'b'},
      {"topic", required_argument, 0, 't'},      {"embedded", no_argument, 0, 'e'},
      {"timeout-ms", required_argument, 0, 'T'}, {"max-body-bytes", required_argument, 0, 'M'},
      {"log-level", required_argument, 0, 'L'},  {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int ch;
  long n = 0;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "l:b:t:eh", opts, NULL)) != -1) {
    const char *bad = NULL;
    switch (ch) {
    case 'l': bad = parse_listen(optarg, o) ? "--listen expects HOST:PORT" : NULL; break;
    case 'b': o->server.bootstrap = optarg; break;
    case 't': o->server.topic = optarg; break;
    case 'e': o->embedded = true; break;
    case 'T':
      bad = parse_number(optarg, 100, 600000, &n) ? "--timeout-ms must be 100..600000" : NULL;
      o->server.timeout_ms = (int)n;
      break;
    case 'M':
      bad = parse_number(optarg, 1024, 1L << 30, &n) ? "--max-body-bytes must be 1024..2^30" : NULL;
      o->server.max_body = (size_t)n;
      break;
    case 'L':
      bad = eddy_log_level_parse(optarg, &o->logger.level) ? "bad --log-level" : NULL;
      break;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return 2;
    }
    if (bad != NULL) {
      fprintf(stderr, "eddy registry: %s\n", bad);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "eddy registry: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  return 0;
}

static int start_embedded(eddy_broker_t **b, options_t *o) {
  eddy_error_t *err = NULL;
  if (eddy_broker_start(b, 1, &err) != 0 ||
      eddy_broker_create_topic(*b, o->server.topic, 1, &err) != 0) {
    fprintf(stderr, "eddy registry: embedded broker: %s\n", eddy_error_msg(err));
    eddy_error_destroy(err);
    return -1;
  }
  o->server.bootstrap = eddy_broker_bootstrap(*b);
  printf("bootstrap=%s\n", o->server.bootstrap);
  fflush(stdout);
  return 0;
}

static int serve(options_t *o, const sigset_t *stop_signals) {
  eddy_sr_server_t *srv = NULL;
  eddy_error_t *err = NULL;
  if (eddy_sr_server_start(&srv, &o->server, &err) != 0) {
    fprintf(stderr, "eddy registry: %s\n", eddy_error_msg(err));
    eddy_error_destroy(err);
    return 1;
  }
  printf("listening=http://%s:%d\n", o->server.host, eddy_sr_server_port(srv));
  fflush(stdout);
  eddy_log(&o->logger, EDDY_LOG_INFO, "registry", "serving on %s:%d (topic %s)", o->server.host,
           eddy_sr_server_port(srv), o->server.topic);
  int sig = 0;
  sigwait(stop_signals, &sig);
  eddy_log(&o->logger, EDDY_LOG_INFO, "registry", "stopping (signal %d)", sig);
  eddy_sr_server_stop(srv);
  return 0;
}

int eddy_cmd_registry(int argc, char **argv) {
  options_t o = {.logger = {.fn = eddy_log_stderr, .level = EDDY_LOG_INFO}};
  eddy_sr_server_conf_init(&o.server);
  o.server.bootstrap = "127.0.0.1:9092";
  o.server.logger = &o.logger;
  int rc = parse_args(argc, argv, &o);
  if (rc != 0)
    return rc == 1 ? 0 : 2;
  /* Block the stop signals before any thread exists: every thread inherits
     the mask and only sigwait() below receives them. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);
  eddy_broker_t *broker = NULL;
  if (o.embedded && start_embedded(&broker, &o) != 0) {
    eddy_broker_stop(broker);
    return 1;
  }
  rc = serve(&o, &stop_signals);
  eddy_broker_stop(broker);
  return rc;
}
