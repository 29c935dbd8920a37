/*
 * The executor's Avro side: `format avro` / `format debezium-avro` sources
 * decode through the Schema Registry decoder, `to kafka ... format avro`
 * sinks encode through the registry encoder. Both share the application's
 * registry client (env.registry), which locks itself and caches schemas
 * and registrations for every stream thread.
 */
#include <librdkafka/rdkafka.h>

#include "operators/exec_int.h"
#include "serde/avro.h"

static bool format_is_avro(eddy_format_t f) {
  return f == EDDY_FMT_AVRO || f == EDDY_FMT_DEBEZIUM_AVRO;
}

bool eddy__exec_source_is_avro(const eddy_plan_source_t *s) {
  return format_is_avro(s->decode.format);
}

static int need_registry(const eddy_exec_t *x, const char *what, const char *name,
                         eddy_error_t **err) {
  if (x->env.registry != NULL)
    return 0;
  return eddy_error_set(err, EDDY_ECONFIG,
                        "%s '%s' uses Avro, which needs a Schema Registry: set "
                        "schema.registry.url (or eddy run --registry URL)", what, name);
}

static int make_decoders(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  for (uint32_t i = 0; i < plan->source_cnt; i++) {
    const eddy_plan_source_t *s = &plan->sources[i];
    if (!eddy__exec_source_is_avro(s))
      continue;
    int rc = need_registry(x, "source", s->name, err);
    rc = rc == 0 ? eddy_avro_decoder_new(&x->avro_decoders[i], &s->decode, x->env.registry, err)
                 : rc;
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int make_encoders(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    const eddy_plan_node_t *n = plan->nodes[i];
    if (n->kind != EDDY_NODE_SINK_KAFKA || n->u.sink_kafka.format != EDDY_FMT_AVRO)
      continue;
    int rc = need_registry(x, "sink", n->name, err);
    eddy_avro_encoder_conf_t conf = {.topic = n->u.sink_kafka.topic, .layout = n->in};
    rc = rc == 0 ? eddy_avro_encoder_new(&x->avro_encoders[n->id], &conf, x->env.registry, err)
                 : rc;
    if (rc != 0)
      return rc;
  }
  return 0;
}

int eddy__exec_avro_new(eddy_exec_t *x, eddy_error_t **err) {
  const eddy_plan_t *plan = x->plan;
  x->avro_decoders = eddy_calloc(plan->source_cnt + 1, sizeof(*x->avro_decoders));
  x->avro_encoders = eddy_calloc(plan->node_cnt + 1, sizeof(*x->avro_encoders));
  if (x->avro_decoders == NULL || x->avro_encoders == NULL)
    return eddy_error_set(err, EDDY_ENOMEM, "out of memory");
  int rc = make_decoders(x, err);
  return rc == 0 ? make_encoders(x, err) : rc;
}

void eddy__exec_avro_destroy(eddy_exec_t *x) {
  for (uint32_t i = 0; x->avro_decoders != NULL && i < x->plan->source_cnt; i++)
    eddy_avro_decoder_destroy(x->avro_decoders[i]);
  for (uint32_t i = 0; x->avro_encoders != NULL && i < x->plan->node_cnt; i++)
    eddy_avro_encoder_destroy(x->avro_encoders[i]);
  eddy_free(x->avro_decoders);
  eddy_free(x->avro_encoders);
  x->avro_decoders = NULL;
  x->avro_encoders = NULL;
}

/*
 * A registry that cannot be asked is not the record's fault: retriable
 * (unreachable, timeout, 5xx) means "the same record, later"; otherwise
 * (401/403, a malformed answer) retrying cannot help and the application
 * stops with the reason. Both keep their code; only the first is turned
 * into EDDY_EXEC_RETRY.
 */
int eddy__exec_decode(eddy_exec_t *x, uint32_t source, const rd_kafka_message_t *msg,
                      eddy_value_t *vals, eddy_error_t **why) {
  eddy_avro_decoder_t *d = x->avro_decoders[source];
  if (d == NULL)
    return eddy_decoder_decode(x->decoders[source], msg->payload, msg->len, vals, x->arena, why);
  int rc = eddy_avro_decoder_decode(d, msg->payload, msg->len, vals, x->arena, why);
  if ((rc == EDDY_EIO || rc == EDDY_ETIMEOUT) && *why != NULL && (*why)->retriable)
    return EDDY_EXEC_RETRY;
  return rc;
}

int eddy_exec_register_schemas(eddy_exec_t *x, eddy_error_t **err) {
  for (uint32_t i = 0; i < x->plan->node_cnt; i++) {
    eddy_avro_encoder_t *enc = x->avro_encoders[i];
    if (enc == NULL || eddy_avro_encoder_id(enc) > 0)
      continue;
    eddy_error_t *why = NULL;
    int rc = eddy_avro_encoder_register(enc, &why);
    if (rc != 0) {
      const char *topic = x->plan->nodes[i]->u.sink_kafka.topic;
      eddy_error_set_ex(err, rc, "schema-registry", why != NULL && why->retriable,
                        "to kafka \"%s\" format avro: cannot register the output schema under "
                        "subject '%s-value': %s", topic, topic, eddy_error_msg(why));
      eddy_error_destroy(why);
      return rc;
    }
    eddy_log(x->env.log, EDDY_LOG_INFO, "avro", "subject '%s-value': schema id %d",
             x->plan->nodes[i]->u.sink_kafka.topic, eddy_avro_encoder_id(enc));
  }
  return 0;
}

int eddy__avro_encode(eddy_exec_t *x, const eddy_plan_node_t *n, const eddy_row_t *row,
                      eddy_buf_t *out, eddy_error_t **why) {
  return eddy_avro_encode_row(x->avro_encoders[n->id], row, out, why);
}
