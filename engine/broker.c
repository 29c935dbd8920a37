/* The embedded Kafka cluster (librdkafka mock) and `eddy broker`. */
#include "engine/broker.h"

#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/alloc.h"
#include "engine/cli.h"

struct eddy_broker_s {
  rd_kafka_t *host;                 /* the mock cluster lives in this handle */
  rd_kafka_mock_cluster_t *mcluster;
  int broker_cnt;
};

int eddy_broker_start(eddy_broker_t **out, int broker_cnt, eddy_error_t **err) {
  char errstr[512];
  *out = NULL;
  if (broker_cnt < 1 || broker_cnt > 16)
    return eddy_error_set(err, EDDY_EINVAL, "broker count must be 1..16, not %d", broker_cnt);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (host == NULL) {
    rd_kafka_conf_destroy(conf);
    return eddy_error_set(err, EDDY_EKAFKA, "embedded broker: %s", errstr);
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(host, broker_cnt);
  if (mc == NULL) {
    rd_kafka_destroy(host);
    return eddy_error_set(err, EDDY_EKAFKA, "embedded broker: cannot create mock cluster");
  }
  eddy_broker_t *b = eddy_calloc(1, sizeof(*b));
  if (b == NULL) {
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(host);
    return EDDY_ENOMEM;
  }
  b->host = host;
  b->mcluster = mc;
  b->broker_cnt = broker_cnt;
  *out = b;
  return 0;
}

const char *eddy_broker_bootstrap(const eddy_broker_t *b) {
  return rd_kafka_mock_cluster_bootstraps(b->mcluster);
}

int eddy_broker_create_topic(eddy_broker_t *b, const char *topic, int partition_cnt,
                             eddy_error_t **err) {
  int rf = b->broker_cnt < 3 ? b->broker_cnt : 3;
  rd_kafka_resp_err_t rc = rd_kafka_mock_topic_create(b->mcluster, topic, partition_cnt, rf);
  if (rc == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    return eddy_error_set(err, EDDY_EEXIST, "topic '%s' already exists", topic);
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
    return eddy_error_set(err, EDDY_EKAFKA, "create topic '%s': %s", topic, rd_kafka_err2str(rc));
  return 0;
}

struct rd_kafka_mock_cluster_s *eddy_broker_mock(eddy_broker_t *b) {
  return b->mcluster;
}

void eddy_broker_stop(eddy_broker_t *b) {
  if (b == NULL)
    return;
  rd_kafka_mock_cluster_destroy(b->mcluster);
  rd_kafka_destroy(b->host);
  eddy_free(b);
}

/* ---- eddy broker ------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void broker_usage(FILE *out) {
  fprintf(out,
          "usage: eddy broker [--brokers N] [--partitions N] [--topic NAME[:PARTITIONS]]...\n\n"
          "Start an embedded, in-memory Kafka cluster on 127.0.0.1 for development,\n"
          "tests and the demo. Prints `bootstrap=<host:port,...>` on the first line of\n"
          "stdout, then runs until interrupted (Ctrl-C or SIGTERM).\n\n"
          "  -b, --brokers N        number of brokers (default 3)\n"
          "  -p, --partitions N     partitions of the topics given with --topic\n"
          "                         (default 4; auto-created topics always get 4)\n"
          "  -t, --topic NAME[:P]   create a topic up front (repeatable)\n"
          "  -h, --help             show this help\n\n"
          "Limits: data lives in memory only, there is no compaction, and each\n"
          "partition keeps only about its last 5 MB (older records are dropped).\n");
}

static int parse_count(const char *s, int lo, int hi, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = (int)v;
  return 0;
}

static int create_topic_arg(eddy_broker_t *b, const char *arg, int default_parts) {
  char name[256];
  int parts = default_parts;
  const char *colon = strrchr(arg, ':');
  size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
  if (len == 0 || len >= sizeof(name) ||
      (colon && parse_count(colon + 1, 1, 10000, &parts) != 0)) {
    fprintf(stderr, "eddy broker: bad --topic '%s' (expected NAME or NAME:PARTITIONS)\n", arg);
    return -1;
  }
  memcpy(name, arg, len);
  name[len] = '\0';
  eddy_error_t *err = NULL;
  if (eddy_broker_create_topic(b, name, parts, &err) != 0) {
    fprintf(stderr, "eddy broker: %s\n", eddy_error_msg(err));
    eddy_error_destroy(err);
    return -1;
  }
  fprintf(stderr, "eddy broker: created topic %s with %d partitions\n", name, parts);
  return 0;
}

int eddy_cmd_broker(int argc, char **argv) {
  static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                       {"partitions", required_argument, 0, 'p'},
                                       {"topic", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int brokers = 3, parts = 4, c;
  const char *topics[256];
  int topic_cnt = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "b:p:t:h", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      if (parse_count(optarg, 1, 16, &brokers) != 0) {
        fprintf(stderr, "eddy broker: --brokers must be 1..16\n");
        return 2;
      }
      break;
    case 'p':
      if (parse_count(optarg, 1, 10000, &parts) != 0) {
        fprintf(stderr, "eddy broker: --partitions must be 1..10000\n");
        return 2;
      }
      break;
    case 't':
      if (topic_cnt == 256) {
        fprintf(stderr, "eddy broker: too many --topic (limit is 256)\n");
        return 2;
      }
      topics[topic_cnt++] = optarg;
      break;
    case 'h':
      broker_usage(stdout);
      return 0;
    default:
      broker_usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "eddy broker: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  eddy_broker_t *b = NULL;
  eddy_error_t *err = NULL;
  if (eddy_broker_start(&b, brokers, &err) != 0) {
    fprintf(stderr, "eddy broker: %s\n", eddy_error_msg(err));
    eddy_error_destroy(err);
    return 1;
  }
  int rc = 0;
  for (int i = 0; i < topic_cnt && rc == 0; i++)
    rc = create_topic_arg(b, topics[i], parts);
  if (rc == 0) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("bootstrap=%s\n", eddy_broker_bootstrap(b));
    fflush(stdout);
    fprintf(stderr, "eddy broker: %d broker(s) listening on %s (Ctrl-C to stop)\n", brokers,
            eddy_broker_bootstrap(b));
    while (!stop_requested)
      pause();
    fprintf(stderr, "eddy broker: stopping\n");
  }
  eddy_broker_stop(b);
  return rc == 0 ? 0 : 1;
}
