/*
 * Helpers for integration tests on the embedded cluster: produce, read a
 * whole topic back, run a topology in process. They abort the test on
 * failure (eddy_test_fail), so tests stay short.
 */
#ifndef EDDY_KAFKA_TEST_H
#define EDDY_KAFKA_TEST_H

#include <librdkafka/rdkafka.h>

#include "dsl/dsl.h"
#include "engine/app.h"
#include "engine/broker.h"

typedef struct {
  char *key;            /* NUL-terminated copy, NULL when the message has no key */
  size_t key_len;
  char *value;          /* NUL-terminated copy, NULL for a tombstone */
  size_t len;
  int32_t partition;
  int64_t offset;
  int64_t timestamp_ms;
  rd_kafka_headers_t *headers; /* copy or NULL */
} tk_msg_t;

/** A started broker with \p partitions-partition \p topics created (NULL-terminated). */
eddy_broker_t *tk_broker(const char *const *topics, int partitions);
/**
 * A client of \p type on \p bootstrap, configured with the NULL-terminated
 * name, value, name, value... list \p kv (may be NULL).
 */
rd_kafka_t *tk_client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv);
rd_kafka_t *tk_producer(const char *bootstrap);
/** Produce (copying) to \p partition (-1: by key); value NULL = tombstone. */
void tk_produce(rd_kafka_t *p, const char *topic, int32_t partition, const char *key,
                const void *value, size_t len);
/** Flush and destroy. */
void tk_producer_close(rd_kafka_t *p);
/**
 * Read \p topic from the beginning of every partition until \p expect
 * messages arrived and every partition is read to its end (then a short
 * grace to catch extras), or \p timeout_ms of silence. @returns the count; *out is an array freed by tk_msgs_free().
 */
int tk_consume_all(const char *bootstrap, const char *topic, int expect, int timeout_ms,
                   tk_msg_t **out);
void tk_msgs_free(tk_msg_t *msgs, int cnt);
/** @returns the value of header \p name as a static copy ("" when absent). */
const char *tk_header(const tk_msg_t *m, const char *name);

/** Compile \p text (failing the test with the diagnostics on error). */
eddy_topology_t *tk_compile(const char *text);
/** Start an application for \p topo on \p bootstrap with small intervals. */
eddy_app_t *tk_start(eddy_topology_t *topo, const char *bootstrap, int threads);
/**
 * Start an application for \p topo on \p broker (internal topics are created
 * on it) with small intervals and the NULL-terminated "key=value" \p settings.
 */
eddy_app_t *tk_start_app(eddy_topology_t *topo, eddy_broker_t *broker, int threads,
                         const char *const *settings);
/** Wait until the app consumed \p n records (fails the test after \p timeout_ms). */
void tk_wait_consumed(eddy_app_t *app, long long n, int timeout_ms);
/** Stop, join (asserting a clean exit) and destroy. */
void tk_stop(eddy_app_t *app);
/** Wait until \p counter reaches \p n (fails the test after \p timeout_ms). */
void tk_wait_counter(const atomic_llong *counter, long long n, int timeout_ms);

/** What most runs need: a broker with topics, a fresh state directory, a topology. */
typedef struct {
  eddy_broker_t *broker;
  const char *bootstrap;       /* of broker */
  char *dir;                   /* the state directory, created empty */
  char state_setting[600];     /* "state.dir=<dir>", for tk_start_app's settings */
  eddy_topology_t *topo;       /* NULL when no text was given */
} tk_env_t;

/**
 * Start a broker with \p partitions-partition \p topics (NULL-terminated), create a
 * state directory named after \p tag and compile \p text (NULL: none).
 */
void tk_env_open(tk_env_t *env, const char *const *topics, int partitions, const char *tag,
                 const char *text);
/** Destroy the topology, remove the state directory and stop the broker. */
void tk_env_close(tk_env_t *env);

#endif
