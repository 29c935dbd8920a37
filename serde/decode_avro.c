/*
 * The Avro decoder: construction, the per-id plan table, and the entry
 * point that splits the Confluent wire format, finds (or fetches and
 * compiles) the writer schema's plan and runs it.
 */
#include <string.h>

#include "serde/avro_int.h"

/* ---- construction ------------------------------------------------------ */

void eddy_avro_decoder_destroy(eddy_avro_decoder_t *d) {
  if (d == NULL)
    return;
  for (uint32_t i = 0; i < d->plan_cap; i++)
    eddy__avro_plan_destroy(d->plans[i]);
  eddy_free(d->plans);
  eddy_decoder_destroy(d->trie);
  eddy_free(d);
}

int eddy_avro_decoder_new(eddy_avro_decoder_t **out, const eddy_decode_spec_t *spec,
                          eddy_sr_client_t *registry, eddy_error_t **err) {
  *out = NULL;
  if (spec == NULL || spec->layout == NULL)
    return eddy_error_set(err, EDDY_EINVAL, "avro decoder: no row layout");
  if (spec->format != EDDY_FMT_AVRO && spec->format != EDDY_FMT_DEBEZIUM_AVRO)
    return eddy_error_set(err, EDDY_EINVAL, "avro decoder: the source's format is %s, not "
                          "avro or debezium-avro", eddy_format_name(spec->format));
  eddy_avro_decoder_t *d = eddy_calloc(1, sizeof(*d));
  if (d == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "avro decoder: out of memory");
  d->format = spec->format;
  d->registry = registry;
  d->spec = *spec;
  /* The JSON decoder's trie and envelope rules are the Avro decoder's too. */
  d->spec.format = spec->format == EDDY_FMT_DEBEZIUM_AVRO ? EDDY_FMT_DEBEZIUM_JSON : EDDY_FMT_JSON;
  int rc = eddy_decoder_new(&d->trie, &d->spec, err);
  if (rc < 0) {
    eddy_avro_decoder_destroy(d);
    return rc;
  }
  *out = d;
  return 0;
}

int eddy_avro_decoder_schema_cnt(const eddy_avro_decoder_t *d) { return (int)d->plan_cnt; }

/* ---- plans by id: open addressing, linear probing ----------------------- */

static uint32_t slot_of(const eddy_avro_decoder_t *d, int id) {
  uint32_t h = (uint32_t)id * 2654435761u;
  uint32_t mask = d->plan_cap - 1;
  uint32_t i = h & mask;
  while (d->plans[i] != NULL && d->plans[i]->id != id)
    i = (i + 1) & mask;
  return i;
}

static eddy__avro_plan_t *plan_find(const eddy_avro_decoder_t *d, int id) {
  return d->plan_cap ? d->plans[slot_of(d, id)] : NULL;
}

static int plans_grow(eddy_avro_decoder_t *d) {
  uint32_t old_cap = d->plan_cap, cap = old_cap ? old_cap * 2 : 8;
  eddy__avro_plan_t **old = d->plans;
  eddy__avro_plan_t **grown = eddy_calloc(cap, sizeof(*grown));
  if (grown == NULL)
    return EDDY_ENOMEM;
  d->plans = grown;
  d->plan_cap = cap;
  for (uint32_t i = 0; i < old_cap; i++)
    if (old[i] != NULL)
      d->plans[slot_of(d, old[i]->id)] = old[i];
  eddy_free(old);
  return 0;
}

static int plan_put(eddy_avro_decoder_t *d, int id, const eddy_sr_schema_t *schema,
                    eddy__avro_plan_t **out) {
  int rc = 0;
  if ((d->plan_cnt + 1) * 4 > d->plan_cap * 3 && (rc = plans_grow(d)) < 0)
    return rc;
  if ((rc = eddy__avro_plan_new(out, d, id, schema)) < 0)
    return rc;
  d->plans[slot_of(d, id)] = *out;
  d->plan_cnt++;
  return 0;
}

int eddy_avro_decoder_add_schema(eddy_avro_decoder_t *d, int id, const eddy_sr_schema_t *schema,
                                 eddy_error_t **err) {
  eddy__avro_plan_t *p;
  if (plan_find(d, id) != NULL)
    return eddy_error_set(err, EDDY_EEXIST, "avro decoder: schema id %d is known already", id);
  if (plan_put(d, id, schema, &p) < 0)
    return eddy_error_set(err, EDDY_ENOMEM, "avro decoder: out of memory");
  return 0;
}

/* The plan of \p id, asking the registry the first time. */
static int plan_get(eddy_avro_decoder_t *d, int id, eddy__avro_plan_t **out,
                    eddy_error_t **err) {
  if (d->last != NULL && d->last->id == id) {
    *out = d->last;
    return 0;
  }
  if ((*out = plan_find(d, id)) != NULL) {
    d->last = *out;
    return 0;
  }
  if (d->registry == NULL)
    return eddy_error_set(err, EDDY_EDECODE, "unknown Avro schema id %d (no schema registry "
                          "configured: set schema.registry.url)", id);
  const eddy_sr_schema_t *schema = NULL;
  eddy_error_t *why = NULL;
  int rc = eddy_sr_client_schema(d->registry, id, &schema, &why);
  if (rc == EDDY_EIO || rc == EDDY_ETIMEOUT) {
    /* Unreachable (retriable), or refusing us (401, 403: not retriable, a
       configuration problem): either way the record itself is not at fault. */
    rc = eddy_error_set_ex(err, rc, "registry", why == NULL || why->retriable,
                           "fetching Avro schema id %d: %s", id, eddy_error_msg(why));
  } else if (rc == EDDY_ENOENT) {
    rc = eddy_error_set(err, EDDY_EDECODE, "unknown Avro schema id %d (%s)", id,
                        eddy_error_msg(why));
  } else if (rc == EDDY_ENOMEM) {
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory fetching Avro schema id %d", id);
  } else if (rc < 0) {
    rc = eddy_error_set(err, EDDY_EDECODE, "Avro schema id %d cannot be used: %s", id,
                        eddy_error_msg(why));
  } else if (plan_put(d, id, schema, out) < 0) {
    rc = eddy_error_set(err, EDDY_ENOMEM, "out of memory compiling Avro schema id %d", id);
  } else {
    d->last = *out;
  }
  eddy_error_destroy(why);
  return rc;
}

/* ---- decoding ---------------------------------------------------------- */

static int wire_parse(const uint8_t *b, size_t len, int *id, eddy_error_t **err) {
  if (b[0] != 0)
    return eddy_error_set(err, EDDY_EDECODE, "bad magic byte 0x%02x: not the Confluent Avro "
                          "wire format (magic byte 0, 4-byte schema id, Avro datum)", b[0]);
  if (len < EDDY_SR_WIRE_HEADER_LEN)
    return eddy_error_set(err, EDDY_EDECODE, "truncated record: %zu bytes, the Confluent wire "
                          "format needs 5 before the Avro datum", len);
  const uint8_t *payload;
  size_t payload_len;
  return eddy_sr_wire_parse(b, len, id, &payload, &payload_len);
}

int eddy_avro_decoder_decode(eddy_avro_decoder_t *d, const void *payload, size_t len,
                             eddy_value_t *vals, eddy_arena_t *arena, eddy_error_t **err) {
  const uint8_t *b = payload;
  uint32_t cnt = d->spec.layout->cnt;
  int id = 0;
  memset(vals, 0, cnt * sizeof(*vals));
  if (payload == NULL || len == 0)
    return EDDY_ENOENT; /* a tombstone */
  int rc = wire_parse(b, len, &id, err);
  eddy__avro_plan_t *plan = NULL;
  if (rc < 0 || (rc = plan_get(d, id, &plan, err)) < 0)
    return rc;
  eddy__avro_rd_t r = {.p = b + EDDY_SR_WIRE_HEADER_LEN, .end = b + len, .base = b, .vals = vals,
                       .arena = arena, .err = err, .d = d, .plan = plan};
  if ((rc = eddy__avro_run(&r, plan->root)) < 0)
    return rc == EDDY_ENOMEM ? eddy_error_set(err, EDDY_ENOMEM, "out of memory decoding a record")
                             : rc;
  if (r.p != r.end)
    return eddy_error_set(err, EDDY_EDECODE, "%zu bytes after the Avro datum (schema id %d): the "
                          "record does not match its writer schema", (size_t)(r.end - r.p), id);
  return 0;
}
