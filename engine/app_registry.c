/* The application's Schema Registry client: one per application, shared by its threads. */
#include "engine/app_int.h"
#include "schema-registry/sr_client.h"

/* The first Avro source or sink of \p plan (its DSL name), or NULL. */
static const char *avro_user(const eddy_plan_t *plan, const char **what) {
  for (uint32_t i = 0; i < plan->source_cnt; i++) {
    eddy_format_t f = plan->sources[i].decode.format;
    if (f == EDDY_FMT_AVRO || f == EDDY_FMT_DEBEZIUM_AVRO) {
      *what = "source";
      return plan->sources[i].name;
    }
  }
  for (uint32_t i = 0; i < plan->node_cnt; i++) {
    const eddy_plan_node_t *n = plan->nodes[i];
    if (n->kind == EDDY_NODE_SINK_KAFKA && n->u.sink_kafka.format == EDDY_FMT_AVRO) {
      *what = "sink";
      return n->name;
    }
  }
  return NULL;
}

int eddy__app_registry(eddy_app_t *app, eddy_error_t **err) {
  const char *what = NULL;
  const char *name = avro_user(app->plan, &what);
  if (name == NULL)
    return 0;
  const char *url = app->conf.schema_registry_url;
  if (url == NULL || url[0] == '\0')
    return eddy_error_set(err, EDDY_ECONFIG,
                          "%s '%s' uses Avro, which needs a Schema Registry: set "
                          "schema.registry.url (or eddy run --registry URL)", what, name);
  eddy_sr_client_conf_t conf = {.url = url,
                                .timeout_ms = (int)app->conf.schema_registry_timeout_ms,
                                .logger = &app->log};
  int rc = eddy_sr_client_new(&app->registry, &conf, err);
  if (rc == 0)
    eddy_log(&app->log, EDDY_LOG_INFO, "app", "schema registry: %s", url);
  return rc;
}
