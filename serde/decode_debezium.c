/*
 * The Debezium envelope, as Kafka Connect's JsonConverter writes it:
 *
 *   schemas.enable=false   {"before":{..}|null, "after":{..}|null, "source":{..},
 *                           "op":"c|u|d|r|t|m", "ts_ms":1700000000000, ...}
 *   schemas.enable=true    {"schema":{<Connect schema of the envelope>},
 *                           "payload":{<the envelope above>}}
 *
 * Which of the two a message is, is decided per message by its first key
 * ("schema" or "payload" means the wrapped form), so a topic may switch
 * converters without a restart. Field paths start at the envelope in both
 * forms. A tombstone (null or empty Kafka value, a JSON null, or a null
 * payload) is EDDY_ENOENT.
 */
#include <string.h>

#include "serde/decoder_int.h"

static bool key_is(const eddy__jstr_t *k, const char *lit, size_t n) {
  return !k->escaped && k->len == n && memcmp(k->p, lit, n) == 0;
}

/* Is the first key of the object at the cursor "schema" or "payload"? */
static int wrapped(eddy__dctx_t *c, bool *yes) {
  eddy__json_t probe = c->j;
  eddy__jstr_t key;
  bool first = true;
  int rc = eddy__json_obj_open(&probe);
  if (rc >= 0)
    rc = eddy__json_obj_key(&probe, &first, &key);
  if (rc < 0)
    return rc;
  *yes = rc == 1 && (key_is(&key, "schema", 6) || key_is(&key, "payload", 7));
  return 0;
}

/* The payload: the envelope object, or null (a tombstone). */
static int decode_payload(eddy__dctx_t *c, bool *tombstone) {
  int ch = eddy__json_peek(&c->j);
  if (ch == 'n') {
    *tombstone = true;
    return eddy__json_literal(&c->j, "null", 4);
  }
  if (ch == '{')
    return eddy__decode_object(c, 0);
  eddy__vspec_t vs = {.path = "payload"};
  return eddy__value_mismatch(c, &vs, "object");
}

/* Decode a payload that came before its schema, now that the schema is known. */
static int decode_payload_at(eddy__dctx_t *c, const char *at, uint32_t depth,
                             bool *tombstone) {
  const char *save_p = c->j.p;
  uint32_t save_depth = c->j.depth;
  c->j.p = at;
  c->j.depth = depth;
  int rc = decode_payload(c, tombstone);
  c->j.p = save_p;
  c->j.depth = save_depth;
  return rc;
}

static int decode_wrapped(eddy__dctx_t *c) {
  eddy__jstr_t key;
  bool first = true, have_schema = false, tombstone = false, payload_done = false;
  const char *payload_at = NULL;
  uint32_t payload_depth = 0;
  int rc = eddy__json_obj_open(&c->j);
  while (rc >= 0 && (rc = eddy__json_obj_key(&c->j, &first, &key)) == 1) {
    if (key_is(&key, "schema", 6) && !have_schema) {
      have_schema = true;
      rc = eddy__schema_read(c);
    } else if (key_is(&key, "payload", 7) && payload_at == NULL) {
      eddy__json_peek(&c->j);
      payload_at = c->j.p;
      payload_depth = c->j.depth;
      payload_done = have_schema;
      rc = have_schema ? decode_payload(c, &tombstone) : eddy__json_skip(&c->j);
    } else {
      rc = eddy__json_skip(&c->j);
    }
  }
  if (rc >= 0)
    rc = eddy__json_finish(&c->j);
  if (rc < 0)
    return rc;
  if (payload_at == NULL)
    return eddy_error_set(c->j.err, EDDY_EDECODE,
                          "Debezium message with \"schema\" but no \"payload\"");
  if (!payload_done && (rc = decode_payload_at(c, payload_at, payload_depth, &tombstone)) < 0)
    return rc;
  return tombstone ? EDDY_ENOENT : 0;
}

int eddy__decode_debezium(eddy__dctx_t *c) {
  int rc, ch = eddy__json_peek(&c->j);
  bool wrap;
  if (ch == 'n') {
    if ((rc = eddy__json_literal(&c->j, "null", 4)) < 0 || (rc = eddy__json_finish(&c->j)) < 0)
      return rc;
    return EDDY_ENOENT;
  }
  if (ch != '{')
    return eddy__json_unexpected(&c->j, c->j.p, "a JSON object (a Debezium event)");
  if ((rc = wrapped(c, &wrap)) < 0)
    return rc;
  if (wrap)
    return decode_wrapped(c);
  if ((rc = eddy__decode_object(c, 0)) < 0)
    return rc;
  return eddy__json_finish(&c->j);
}
