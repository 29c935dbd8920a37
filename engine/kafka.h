/*
 * librdkafka boundary: client configuration from eddy's config, logging
 * into the eddy logger, and conversion of Kafka errors.
 */
#ifndef EDDY_ENGINE_KAFKA_H
#define EDDY_ENGINE_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "eddy/log.h"
#include "engine/config.h"

typedef enum { EDDY_CLIENT_CONSUMER, EDDY_CLIENT_PRODUCER } eddy_client_kind_t;

/**
 * The opaque of every eddy Kafka client: its logger and its owner (e.g. the
 * stream thread, for rebalance and delivery callbacks). Must outlive the client.
 */
typedef struct {
  const eddy_logger_t *log;
  void *owner;
} eddy_kafka_ctx_t;

/**
 * A new rd_kafka_conf_t with bootstrap.servers, eddy's defaults for \p kind
 * and the kafka.* pass-through keys (`kafka.consumer.x` / `kafka.producer.x`
 * apply to one kind only). Its opaque is \p ctx (logs go to ctx->log).
 * @returns NULL with *err set on an invalid key or value.
 */
rd_kafka_conf_t *eddy_kafka_conf(const eddy_config_t *c, eddy_client_kind_t kind,
                                 eddy_kafka_ctx_t *ctx, eddy_error_t **err);
/** Set one property; EDDY_ECONFIG with librdkafka's message on failure. */
int eddy_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                        eddy_error_t **err);
/** Create a client from \p conf (consumed, even on failure). */
rd_kafka_t *eddy_kafka_new(rd_kafka_conf_t *conf, eddy_client_kind_t kind, eddy_error_t **err);
/** EDDY_EKAFKA error from a Kafka error code, keeping its name in the message. */
int eddy_kafka_error(eddy_error_t **err, rd_kafka_resp_err_t e, const char *what);
/**
 * @returns true when \p rk talks to the embedded broker (librdkafka's mock
 * cluster, whose cluster id is "mockCluster<hex>"). Waits up to \p timeout_ms
 * for the cluster id.
 */
bool eddy_kafka_embedded(rd_kafka_t *rk, int timeout_ms);

#endif
