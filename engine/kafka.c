/* librdkafka configuration, logging and error conversion. */
#include "engine/kafka.h"

#include <string.h>

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  const eddy_kafka_ctx_t *ctx = rd_kafka_opaque(rk);
  const eddy_logger_t *log = ctx ? ctx->log : NULL;
  /* librdkafka logs transient trouble it recovers from by itself (a request
   * timing out, a broker connection lost) at LOG_ERR (3). Failures that matter
   * reach the engine through return codes and fatal-error checks, which log
   * them as errors; the client's own log lines are warnings at most. */
  eddy_log_level_t l = level <= 2 ? EDDY_LOG_ERROR : level <= 4 ? EDDY_LOG_WARN
                     : level <= 6 ? EDDY_LOG_INFO : EDDY_LOG_DEBUG;
  eddy_log(log, l, "kafka", "%s: %s", fac, buf);
}

int eddy_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                        eddy_error_t **err) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    return eddy_error_set(err, EDDY_ECONFIG, "kafka setting %s=%s: %s", key, value, errstr);
  return 0;
}

static int set_defaults(rd_kafka_conf_t *conf, const eddy_config_t *c, eddy_client_kind_t kind,
                        eddy_error_t **err) {
  static const char *const consumer[][2] = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"partition.assignment.strategy", "range"}, /* same-numbered partitions together */
      {"enable.partition.eof", "false"},
      {"fetch.wait.max.ms", "10"},
  };
  static const char *const producer[][2] = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"partitioner", "murmur2_random"}, /* the Java client's partitioning of keys */
      {"message.max.bytes", "16777216"},
      {"batch.num.messages", "10000"},
  };
  int rc = eddy_kafka_conf_set(conf, "bootstrap.servers", c->bootstrap_servers, err);
  const char *const(*rows)[2] = kind == EDDY_CLIENT_CONSUMER ? consumer : producer;
  size_t cnt = kind == EDDY_CLIENT_CONSUMER ? sizeof(consumer) / sizeof(consumer[0])
                                            : sizeof(producer) / sizeof(producer[0]);
  for (size_t i = 0; i < cnt && rc == 0; i++)
    rc = eddy_kafka_conf_set(conf, rows[i][0], rows[i][1], err);
  if (rc == 0)
    rc = eddy_kafka_conf_set(conf, "log_level", c->log_level == EDDY_LOG_DEBUG ? "7" : "4", err);
  return rc;
}

static int set_passthrough(rd_kafka_conf_t *conf, const eddy_config_t *c, eddy_client_kind_t kind,
                           eddy_error_t **err) {
  const char *mine = kind == EDDY_CLIENT_CONSUMER ? "consumer." : "producer.";
  const char *other = kind == EDDY_CLIENT_CONSUMER ? "producer." : "consumer.";
  for (uint32_t i = 0; i < c->kafka_cnt; i++) {
    const char *key = c->kafka_keys[i];
    if (strncmp(key, other, strlen(other)) == 0)
      continue;
    if (strncmp(key, mine, strlen(mine)) == 0)
      key += strlen(mine);
    int rc = eddy_kafka_conf_set(conf, key, c->kafka_values[i], err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

rd_kafka_conf_t *eddy_kafka_conf(const eddy_config_t *c, eddy_client_kind_t kind,
                                 eddy_kafka_ctx_t *ctx, eddy_error_t **err) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (set_defaults(conf, c, kind, err) != 0 || set_passthrough(conf, c, kind, err) != 0) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_conf_set_opaque(conf, ctx);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  return conf;
}

rd_kafka_t *eddy_kafka_new(rd_kafka_conf_t *conf, eddy_client_kind_t kind, eddy_error_t **err) {
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(kind == EDDY_CLIENT_CONSUMER ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER,
                                conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    rd_kafka_conf_destroy(conf);
    eddy_error_set(err, EDDY_EKAFKA, "cannot create Kafka client: %s", errstr);
  }
  return rk;
}

int eddy_kafka_error(eddy_error_t **err, rd_kafka_resp_err_t e, const char *what) {
  return eddy_error_set_ex(err, EDDY_EKAFKA, "kafka", e == RD_KAFKA_RESP_ERR__TRANSPORT ||
                           e == RD_KAFKA_RESP_ERR__TIMED_OUT,
                           "%s: %s (%s)", what, rd_kafka_err2str(e), rd_kafka_err2name(e));
}

bool eddy_kafka_embedded(rd_kafka_t *rk, int timeout_ms) {
  char *id = rd_kafka_clusterid(rk, timeout_ms);
  bool mock = id != NULL && strncmp(id, "mockCluster", 11) == 0;
  if (id != NULL)
    rd_kafka_mem_free(rk, id);
  return mock;
}
