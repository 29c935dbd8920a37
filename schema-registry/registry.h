/*
 * The Confluent-compatible Schema Registry server, embeddable: `eddy
 * registry` runs one, and a process that wants a registry beside its own
 * work (tests, an all-in-one demo) can start one on a thread.
 *
 * State lives in the Kafka topic `_schemas` (one partition, compacted); the
 * server reads it to its end before it accepts connections. Several servers
 * on one topic agree on ids and versions: see docs/schema-registry.md.
 */
#ifndef EDDY_SR_REGISTRY_H
#define EDDY_SR_REGISTRY_H

#include <stddef.h>

#include "eddy/error.h"
#include "eddy/log.h"

typedef struct {
  const char *host;         /* listen address, default "127.0.0.1" */
  int port;                 /* default 8081; 0 picks a free port */
  const char *bootstrap;    /* Kafka bootstrap servers (required) */
  const char *topic;        /* default "_schemas" */
  int timeout_ms;           /* Kafka write and read-back, default 5000 */
  int init_timeout_ms;      /* reading the topic at start, default 60000 */
  size_t max_body;          /* request body limit, default 16 MiB */
  size_t max_url;           /* request target limit, default 8 KiB */
  int max_headers;          /* header count limit, default 100 */
  int max_connections;      /* default 1000 */
  int idle_timeout_ms;      /* keep-alive idle timeout, default 60000 */
  const eddy_logger_t *logger;
} eddy_sr_server_conf_t;

/** Fill \p conf with the defaults above (bootstrap NULL). */
void eddy_sr_server_conf_init(eddy_sr_server_conf_t *conf);

typedef struct eddy_sr_server_s eddy_sr_server_t;

/**
 * Start a registry on a new thread: open `_schemas` (create it if missing),
 * read it to the end, listen. Returns once it serves, or failed to.
 * @returns 0 and *out (stop with eddy_sr_server_stop()), or an error.
 * @locality any thread
 */
int eddy_sr_server_start(eddy_sr_server_t **out, const eddy_sr_server_conf_t *conf,
                         eddy_error_t **err);

/** @returns the TCP port the server listens on. */
int eddy_sr_server_port(const eddy_sr_server_t *s);

/** Close the listener and connections, stop the thread, free. NULL-safe. */
void eddy_sr_server_stop(eddy_sr_server_t *s);

#endif
