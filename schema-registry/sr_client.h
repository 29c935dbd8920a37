/*
 * Schema Registry client for the engine's Avro serde: fetch writer schemas
 * by id (cached for the life of the client: ids are immutable), register a
 * subject's schema (cached per subject and schema), and the Confluent wire
 * format prefix.
 *
 * Requests are plain blocking HTTP/1.1 over one keep-alive connection; the
 * client tries each base URL in turn. It does not retry by itself: errors
 * say whether a retry can help (eddy_error_t.retriable), so the caller can
 * back off and try again without dropping data. After the registry could
 * not be reached, further requests fail at once, with the same retriable
 * error, for 500 ms (callers with many records waiting do not each pay the
 * connect timeout); cached answers are served as usual.
 */
#ifndef EDDY_SR_CLIENT_H
#define EDDY_SR_CLIENT_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/error.h"
#include "eddy/log.h"
#include "schema-registry/avro_schema.h"

typedef struct {
  const char *url;          /* "http://host:port[/prefix]", several comma-separated */
  int timeout_ms;           /* connect + request, default 5000 */
  const eddy_logger_t *logger;
} eddy_sr_client_conf_t;

typedef struct eddy_sr_client_s eddy_sr_client_t;

/**
 * @returns 0 and *out (free with eddy_sr_client_destroy()), or EDDY_ECONFIG
 *          for a malformed URL. Connects lazily.
 */
int eddy_sr_client_new(eddy_sr_client_t **out, const eddy_sr_client_conf_t *conf,
                       eddy_error_t **err);
/** NULL-safe. */
void eddy_sr_client_destroy(eddy_sr_client_t *c);

/**
 * The schema registered under \p id.
 * @returns 0 and *schema (borrowed: valid until the client is destroyed);
 *          EDDY_ENOENT when the registry does not know the id (40403; not
 *          retriable); EDDY_ESCHEMA when it is not an Avro schema eddy can
 *          parse; EDDY_EIO / EDDY_ETIMEOUT when the registry cannot be
 *          reached or fails (retriable).
 * @locality any thread  @locks the client's mutex (held during a fetch)
 */
int eddy_sr_client_schema(eddy_sr_client_t *c, int id, const eddy_sr_schema_t **schema,
                          eddy_error_t **err);

/**
 * Like eddy_sr_client_schema(), as an avro-c schema for decoding.
 * *out is borrowed (valid until the client is destroyed; avro_schema_incref()
 * to keep it longer). avro-c rejects a few valid schemas (for instance a
 * reference to a null-namespace type from inside a namespace): EDDY_ESCHEMA.
 */
int eddy_sr_client_avro(eddy_sr_client_t *c, int id, avro_schema_t *out, eddy_error_t **err);

/**
 * Register \p schema (Avro JSON text) under \p subject, or find it there.
 * @returns 0 and *id; EDDY_ECOMPAT for 409 (incompatible, message says why);
 *          EDDY_ESCHEMA for an invalid schema; EDDY_EIO / EDDY_ETIMEOUT
 *          (retriable) when the registry is unreachable.
 */
int eddy_sr_client_register(eddy_sr_client_t *c, const char *subject, const char *schema,
                            int *id, eddy_error_t **err);

/** Requests sent so far (cache misses); for tests and metrics. */
long eddy_sr_client_requests(const eddy_sr_client_t *c);

/* ---- Confluent wire format ----------------------------------------------------------
 *
 *   +------+---------------------------+----------------------------+
 *   | 0x00 | schema id (int32, big end) | Avro binary datum ...      |
 *   +------+---------------------------+----------------------------+
 *     1 B              4 B                  rest of the record value
 */
#define EDDY_SR_WIRE_HEADER_LEN 5

/** Write the 5-byte prefix for \p id into \p out. */
void eddy_sr_wire_header(uint8_t out[EDDY_SR_WIRE_HEADER_LEN], int id);

/**
 * Split a record value in the wire format.
 * @returns 0 with *id and the payload (a slice of \p buf), or EDDY_EDECODE
 *          when it is shorter than 5 bytes or the magic byte is not 0.
 */
int eddy_sr_wire_parse(const void *buf, size_t len, int *id, const uint8_t **payload,
                       size_t *payload_len);

#endif
