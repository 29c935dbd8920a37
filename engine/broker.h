/*
 * The embedded Kafka cluster: librdkafka's mock cluster behind a small
 * handle, used by `eddy broker`, `eddy run --embedded`, tests and benchmarks.
 * In memory only; each partition keeps about the last 5 MB.
 */
#ifndef EDDY_ENGINE_BROKER_H
#define EDDY_ENGINE_BROKER_H

#include "eddy/error.h"

typedef struct eddy_broker_s eddy_broker_t;

/**
 * Start a cluster of \p broker_cnt brokers on 127.0.0.1.
 * @returns 0 and *out (free with eddy_broker_stop()), or an error.
 */
int eddy_broker_start(eddy_broker_t **out, int broker_cnt, eddy_error_t **err);

/** @returns the bootstrap list "127.0.0.1:p1,..."; borrowed, valid until stop. */
const char *eddy_broker_bootstrap(const eddy_broker_t *b);

/**
 * Create \p topic with \p partition_cnt partitions (the mock broker has no
 * CreateTopics API; this is the in-process way). Existing topic: EDDY_EEXIST.
 */
int eddy_broker_create_topic(eddy_broker_t *b, const char *topic, int partition_cnt,
                             eddy_error_t **err);

/** The underlying rd_kafka_mock_cluster_t, for fault injection in tests. */
struct rd_kafka_mock_cluster_s *eddy_broker_mock(eddy_broker_t *b);

/** Stop the cluster and free it. NULL-safe. */
void eddy_broker_stop(eddy_broker_t *b);

#endif
