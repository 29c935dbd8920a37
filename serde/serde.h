/*
 * Decoders and encoders between Kafka message bytes and rows.
 *
 * A decoder is built once per source from its eddy_decode_spec_t (the row
 * layout, the path of each field in the document, which fields the topology
 * uses) and then decodes messages into value slots without building a
 * document tree: it scans the bytes once and skips subtrees it does not need.
 *
 * Timestamp columns (kind TIMESTAMP): a JSON number is read in the unit
 * given by the type's `scale` (3 = ms, 6 = µs, 9 = ns; 0 = µs, Debezium's
 * MicroTimestamp default) and `precision == 1` marks a date (days since
 * epoch); with schemas.enable the schema's Debezium logical name wins
 * (io.debezium.time.MicroTimestamp, Timestamp, NanoTimestamp, ZonedTimestamp,
 * Date). A JSON string is parsed as ISO-8601.
 */
#ifndef EDDY_SERDE_H
#define EDDY_SERDE_H

#include "dsl/plan.h"
#include "eddy/row.h"

typedef struct eddy_decoder_s eddy_decoder_t;

/** Build a decoder for \p spec (borrowed: it must outlive the decoder). */
int eddy_decoder_new(eddy_decoder_t **out, const eddy_decode_spec_t *spec, eddy_error_t **err);
/** NULL-safe. */
void eddy_decoder_destroy(eddy_decoder_t *d);

/**
 * Decode one message value into \p vals (spec->layout->cnt slots; fields not
 * wanted or absent are null). Strings borrow from \p payload when they need
 * no unescaping, else they are copied into \p arena.
 * @returns 0; EDDY_ENOENT for a tombstone (NULL/empty payload of a Debezium
 *          source); EDDY_EDECODE with a reason in *err ("after.amount:
 *          expected decimal, got string \"abc\"", "invalid JSON at byte 17:
 *          ...", "not valid UTF-8 at byte 9"); EDDY_ENOMEM when \p arena
 *          cannot grow. A null or empty json payload, or JSON null, is also
 *          EDDY_ENOENT; a string source's empty payload is an empty string.
 *          After an error, vals[] holds nothing useful. docs/debezium.md
 *          describes what is accepted.
 * @locality the stream thread that owns the decoder
 */
int eddy_decoder_decode(eddy_decoder_t *d, const void *payload, size_t len, eddy_value_t *vals,
                        eddy_arena_t *arena, eddy_error_t **err);

/**
 * Encode \p row as one JSON object: field "a.b" nests as {"a":{"b":…}};
 * decimals as exact JSON numbers (12.50), timestamps as ISO-8601 strings
 * ("2024-01-02T03:04:05.123Z"), durations as integer milliseconds, bytes as
 * base64 strings, null as null.
 * Consecutive fields sharing a prefix form one nested object. Struct values
 * become objects named by the layout's struct type. Strings are escaped
 * into valid UTF-8 JSON (invalid bytes become U+FFFD); non-finite doubles
 * are the strings "NaN", "Infinity", "-Infinity".
 * Appends to \p out. @returns 0 or EDDY_ENOMEM.
 */
int eddy_encode_json(const eddy_row_t *row, eddy_buf_t *out);
/** Encode one value as JSON (same rules; a struct without its type is an array). Appends. */
int eddy_encode_json_value(const eddy_value_t *v, eddy_buf_t *out);
/** Encode \p len bytes of \p s as a JSON string (same escaping). Appends. */
int eddy_encode_json_string(const char *s, size_t len, eddy_buf_t *out);
/** Encode one value as JSON, naming struct members from \p type (may be NULL). Appends. */
int eddy_encode_json_typed(const eddy_value_t *v, const eddy_type_t *type, eddy_buf_t *out);
/**
 * Encode a value as Kafka key bytes: strings and bytes raw, numbers and
 * timestamps as their text, null as no key (out->len == 0, returns
 * EDDY_ENOENT), structs/arrays as JSON.
 * Replaces \p out's contents (out->len is reset first).
 */
int eddy_encode_key(const eddy_value_t *v, eddy_buf_t *out);

/**
 * Standard base64 (RFC 4648) decode, appended to \p out. The '=' padding
 * is required; the unused bits of the last character are ignored.
 * @returns 0, EDDY_EDECODE on bad input (out unchanged) or EDDY_ENOMEM.
 */
int eddy_base64_decode(const char *s, size_t len, eddy_buf_t *out);
/** Standard base64 with '=' padding, appended to \p out. @returns 0 or EDDY_ENOMEM. */
int eddy_base64_encode(const uint8_t *p, size_t len, eddy_buf_t *out);

#endif
