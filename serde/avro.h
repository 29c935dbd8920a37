/*
 * Avro in the Confluent wire format: the decoder for `format avro` and
 * `format debezium-avro` sources and the encoder for `to kafka ... format
 * avro` sinks. Both talk to a Schema Registry through eddy_sr_client_t.
 *
 *   +------+----------------------------+-----------------------------+
 *   | 0x00 | schema id (int32, big end) | Avro binary datum ...       |
 *   +------+----------------------------+-----------------------------+
 *     1 B               4 B                 rest of the record value
 *
 * Decoding: the writer schema of each id is fetched from the registry once
 * (the client caches it), then compiled once per decoder into a plan that
 * maps the source's wanted paths (Debezium: ("after","amount"), ("op"),
 * ("source","table"); plain Avro: fields of the top-level record) onto the
 * writer's fields. Decoding a record runs that plan over the Avro binary
 * directly: wanted fields are converted into eddy values, every other
 * field is skipped without being materialised. Fields are matched by name,
 * so two versions of a writer schema (fields added, removed, reordered,
 * widened) decode into the same row; a wanted field the writer lacks is
 * null. Types convert as in the JSON path (docs/debezium.md, docs/avro.md):
 * decimals exact from their two's-complement bytes, timestamps by logical
 * type or Debezium semantic name (io.debezium.time.*).
 *
 * Encoding: the row layout becomes an Avro record schema (every column a
 * union ["null", T]), registered once under `<topic>-value` (topic-name
 * strategy); each row is written as the 5-byte prefix and the Avro datum.
 */
#ifndef EDDY_SERDE_AVRO_H
#define EDDY_SERDE_AVRO_H

#include "dsl/plan.h"
#include "eddy/row.h"
#include "schema-registry/avro_schema.h"
#include "schema-registry/sr_client.h"

/* ---- decoding ------------------------------------------------------------------------ */

typedef struct eddy_avro_decoder_s eddy_avro_decoder_t;

/**
 * Build a decoder for \p spec (format EDDY_FMT_AVRO or EDDY_FMT_DEBEZIUM_AVRO).
 * \p spec and \p registry are borrowed: both must outlive the decoder.
 * \p registry may be NULL when every schema is given with
 * eddy_avro_decoder_add_schema(). Does no I/O.
 * @returns 0 and *out (free with eddy_avro_decoder_destroy()), EDDY_EINVAL
 *          for a bad spec (message in *err) or EDDY_ENOMEM.
 * @locality any thread; the decoder is then used by one thread at a time
 */
int eddy_avro_decoder_new(eddy_avro_decoder_t **out, const eddy_decode_spec_t *spec,
                          eddy_sr_client_t *registry, eddy_error_t **err);
/** NULL-safe. */
void eddy_avro_decoder_destroy(eddy_avro_decoder_t *d);

/**
 * Make \p schema the writer schema of \p id without asking the registry
 * (tests, fixed schemas). \p schema is borrowed: it must outlive the
 * decoder. @returns 0, EDDY_EEXIST when \p id is known already, EDDY_ENOMEM.
 */
int eddy_avro_decoder_add_schema(eddy_avro_decoder_t *d, int id, const eddy_sr_schema_t *schema,
                                 eddy_error_t **err);

/**
 * Decode one Kafka record value into \p vals (spec->layout->cnt slots;
 * fields not wanted or not in the writer schema are null). Strings and
 * bytes borrow from \p payload (enum symbols from the writer schema, valid
 * while the registry client lives); arrays, JSON text of untyped composites and
 * the like are allocated in \p arena. Same contract as eddy_decoder_decode().
 * @returns 0;
 *          EDDY_ENOENT for a tombstone (NULL or empty payload);
 *          EDDY_EDECODE, not retriable, with the reason in *err: bad magic
 *            byte, shorter than the 5-byte prefix, unknown schema id, a
 *            schema eddy cannot use, a truncated or malformed datum, bytes
 *            after the datum, a writer type that does not match the
 *            declared column, a value out of range for it;
 *          EDDY_EIO / EDDY_ETIMEOUT when the registry could not be asked
 *            for a new schema id; nothing was decoded and the record is not
 *            at fault: with (*err)->retriable set (unreachable, timeout,
 *            HTTP 5xx) the caller retries the same record later with
 *            backoff and must not drop it; without it (HTTP 401/403, a
 *            malformed answer) retrying will not help: stop with the error;
 *          EDDY_ENOMEM.
 *          After an error vals[] holds nothing useful.
 * @locality the thread that owns the decoder (the registry client locks itself)
 */
int eddy_avro_decoder_decode(eddy_avro_decoder_t *d, const void *payload, size_t len,
                             eddy_value_t *vals, eddy_arena_t *arena, eddy_error_t **err);

/** Writer schemas compiled so far (distinct ids seen); for tests and metrics. */
int eddy_avro_decoder_schema_cnt(const eddy_avro_decoder_t *d);

/* ---- encoding ------------------------------------------------------------------------ */

typedef struct {
  const char *topic;            /* subject `<topic>-value`; names the record by default */
  const eddy_fields_t *layout;  /* the rows' layout; dotted names nest as records */
  const char *record_name;      /* Avro full name of the record; NULL: "eddy.<topic>" with
                                   characters Avro names cannot hold replaced by '_' */
  int schema_id;                /* > 0: write this id and never register (registry unused) */
} eddy_avro_encoder_conf_t;

typedef struct eddy_avro_encoder_s eddy_avro_encoder_t;

/**
 * Derive the Avro schema of \p conf->layout (see docs/avro.md):
 *   bool -> boolean, int -> long, double -> double, string -> string,
 *   bytes -> bytes, decimal(p,s) -> bytes with logicalType decimal p/s
 *   (precision 38 when undeclared), timestamp -> long timestamp-micros,
 *   duration -> long (µs), array<T> -> array of ["null", T],
 *   struct -> record, untyped -> string;
 * every column (and struct member) is ["null", T] with default null;
 * "a.b" and "a.c" become a record "a" holding b and c.
 * Copies what it needs from \p conf; \p registry is borrowed (may be NULL
 * when conf->schema_id > 0). Does no I/O: registration happens on the first
 * eddy_avro_encode_row() or eddy_avro_encoder_register().
 * @returns 0 and *out (free with eddy_avro_encoder_destroy()), EDDY_EINVAL
 *          (no topic, no layout, or names that make an invalid schema) or
 *          EDDY_ENOMEM.
 */
int eddy_avro_encoder_new(eddy_avro_encoder_t **out, const eddy_avro_encoder_conf_t *conf,
                          eddy_sr_client_t *registry, eddy_error_t **err);
/** NULL-safe. */
void eddy_avro_encoder_destroy(eddy_avro_encoder_t *enc);

/** @returns the derived schema (Avro JSON); borrowed, valid as long as \p enc. */
const char *eddy_avro_encoder_schema(const eddy_avro_encoder_t *enc);

/**
 * Register the schema under `<topic>-value` unless done already (or a
 * fixed id was configured). Call at start-up to fail early; encode_row
 * does it too.
 * @returns 0 and the id is known; EDDY_ECOMPAT (the subject's compatibility
 *          rule rejects the schema: not retriable, the message says why),
 *          EDDY_ESCHEMA, or EDDY_EIO / EDDY_ETIMEOUT with (*err)->retriable
 *          (registry unreachable: retry with backoff).
 */
int eddy_avro_encoder_register(eddy_avro_encoder_t *enc, eddy_error_t **err);

/** @returns the schema id in use, or 0 before a successful registration. */
int eddy_avro_encoder_id(const eddy_avro_encoder_t *enc);

/**
 * Append \p row (laid out as the encoder's layout) to \p out: magic byte 0,
 * the 4-byte schema id, the Avro binary datum. Registers first if needed.
 * @returns 0; the errors of eddy_avro_encoder_register() (out unchanged);
 *          EDDY_EINVAL when a value cannot be written as its column's type
 *          (a decimal beyond the declared precision, a string where a long
 *          goes), out unchanged; EDDY_ENOMEM.
 * @locality the thread that owns the encoder
 */
int eddy_avro_encode_row(eddy_avro_encoder_t *enc, const eddy_row_t *row, eddy_buf_t *out,
                         eddy_error_t **err);

#endif
