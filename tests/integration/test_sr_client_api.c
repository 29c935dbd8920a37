/*
 * The engine-side registry client against an in-process embedded broker and
 * registry server: registration, fetch by id with caching, errors that say
 * whether a retry helps, the cache surviving a registry outage, avro-c
 * schemas, and the Confluent wire-format prefix.
 */
#include <avro.h>

#include "eddy_test.h"
#include "engine/broker.h"
#include "schema-registry/registry.h"
#include "schema-registry/sr_client.h"

#define ORDER "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":[" \
              "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"total\",\"type\":{\"type\":"   \
              "\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}}]}"

typedef struct {
  eddy_broker_t *broker;
  eddy_sr_server_t *server;
  eddy_sr_client_t *client;
  char url[64];
} env_t;

static void start(env_t *e) {
  eddy_error_t *err = NULL;
  ASSERT_OK(eddy_broker_start(&e->broker, 1, &err));
  ASSERT_OK(eddy_broker_create_topic(e->broker, "_schemas", 1, &err));
  eddy_sr_server_conf_t conf;
  eddy_sr_server_conf_init(&conf);
  conf.port = 0;
  conf.bootstrap = eddy_broker_bootstrap(e->broker);
  conf.timeout_ms = eddy_test_tmout(10000);
  if (eddy_sr_server_start(&e->server, &conf, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "registry: %s", eddy_error_msg(err));
  snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", eddy_sr_server_port(e->server));
  eddy_sr_client_conf_t cc = {.url = e->url, .timeout_ms = eddy_test_tmout(5000)};
  ASSERT_OK(eddy_sr_client_new(&e->client, &cc, &err));
}

static void stop(env_t *e) {
  eddy_sr_client_destroy(e->client);
  eddy_sr_server_stop(e->server);
  eddy_broker_stop(e->broker);
}

EDDY_TEST(client_registers_and_fetches_with_cache) {
  env_t e = {0};
  start(&e);
  eddy_error_t *err = NULL;
  int id = 0, again = 0;
  ASSERT_OK(eddy_sr_client_register(e.client, "orders-value", ORDER, &id, &err));
  ASSERT_EQ(1, id);
  /* cached: no second request */
  long before = eddy_sr_client_requests(e.client);
  ASSERT_OK(eddy_sr_client_register(e.client, "orders-value", ORDER, &again, &err));
  ASSERT_EQ(id, again);
  ASSERT_EQ(before, eddy_sr_client_requests(e.client));

  const eddy_sr_schema_t *s = NULL;
  ASSERT_OK(eddy_sr_client_schema(e.client, id, &s, &err));
  const eddy_sr_node_t *root = eddy_sr_schema_root(s);
  ASSERT_EQ(EDDY_SR_RECORD, root->type);
  ASSERT_STR_EQ("shop.Order", root->fullname);
  ASSERT_STR_EQ("decimal", root->fields[1].type->logical);
  ASSERT_EQ(2, root->fields[1].type->scale);
  before = eddy_sr_client_requests(e.client);
  const eddy_sr_schema_t *s2 = NULL;
  ASSERT_OK(eddy_sr_client_schema(e.client, id, &s2, &err));
  ASSERT_TRUE(s == s2);
  ASSERT_EQ(before, eddy_sr_client_requests(e.client));

  avro_schema_t avro = NULL;
  ASSERT_OK(eddy_sr_client_avro(e.client, id, &avro, &err));
  ASSERT_TRUE(is_avro_record(avro));
  ASSERT_EQ(2, avro_schema_record_size(avro));
  stop(&e);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(client_errors_say_whether_to_retry) {
  env_t e = {0};
  start(&e);
  eddy_error_t *err = NULL;
  const eddy_sr_schema_t *s = NULL;
  int id = 0;
  ASSERT_EQ(EDDY_ENOENT, eddy_sr_client_schema(e.client, 77, &s, &err));
  ASSERT_FALSE(err->retriable);
  ASSERT_TRUE(strstr(eddy_error_msg(err), "40403") != NULL);
  eddy_error_destroy(err);
  err = NULL;
  ASSERT_EQ(EDDY_ESCHEMA, eddy_sr_client_register(e.client, "x", "{\"type\":\"nope\"}", &id, &err));
  eddy_error_destroy(err);
  err = NULL;
  /* an incompatible change: 409 */
  ASSERT_OK(eddy_sr_client_register(e.client, "x", "{\"type\":\"record\",\"name\":\"R\","
                                                   "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}",
                                    &id, &err));
  ASSERT_EQ(EDDY_ECOMPAT,
            eddy_sr_client_register(e.client, "x", "{\"type\":\"record\",\"name\":\"R\","
                                                   "\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}",
                                    &id, &err));
  ASSERT_TRUE(strstr(eddy_error_msg(err), "TYPE_MISMATCH") != NULL);
  eddy_error_destroy(err);
  err = NULL;
  /* registry gone: cached ids still resolve, others fail retriably */
  ASSERT_OK(eddy_sr_client_schema(e.client, 1, &s, &err));
  eddy_sr_server_stop(e.server);
  ASSERT_OK(eddy_sr_client_schema(e.client, 1, &s, &err));
  ASSERT_EQ(EDDY_EIO, eddy_sr_client_schema(e.client, 2, &s, &err));
  ASSERT_TRUE(err->retriable);
  eddy_error_destroy(err);
  err = NULL;
  /* right after that, other ids fail at once (no request), with the same reason */
  long sent = eddy_sr_client_requests(e.client);
  ASSERT_EQ(EDDY_EIO, eddy_sr_client_schema(e.client, 3, &s, &err));
  ASSERT_TRUE(err->retriable);
  ASSERT_TRUE(strstr(eddy_error_msg(err), "unreachable (GET /schemas/ids/2)") != NULL);
  ASSERT_EQ(sent, eddy_sr_client_requests(e.client));
  eddy_error_destroy(err);
  eddy_sr_client_destroy(e.client);
  eddy_broker_stop(e.broker);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(client_tries_each_url) {
  env_t e = {0};
  start(&e);
  eddy_sr_client_t *c = NULL;
  eddy_error_t *err = NULL;
  char urls[160];
  /* the first URL refuses connections (a port nothing listens on) */
  snprintf(urls, sizeof(urls), "http://127.0.0.1:%d/,%s", eddy_test_free_port(), e.url);
  eddy_sr_client_conf_t cc = {.url = urls, .timeout_ms = eddy_test_tmout(5000)};
  ASSERT_OK(eddy_sr_client_new(&c, &cc, &err));
  int id = 0;
  ASSERT_OK(eddy_sr_client_register(c, "s", "\"string\"", &id, &err));
  ASSERT_EQ(1, id);
  eddy_sr_client_destroy(c);
  eddy_sr_client_conf_t bad = {.url = "ftp://x"};
  ASSERT_EQ(EDDY_ECONFIG, eddy_sr_client_new(&c, &bad, &err));
  eddy_error_destroy(err);
  stop(&e);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(wire_format_prefix) {
  uint8_t buf[8];
  eddy_sr_wire_header(buf, 0x01020304);
  ASSERT_EQ(0, buf[0]);
  ASSERT_EQ(1, buf[1]);
  ASSERT_EQ(4, buf[4]);
  buf[5] = 0xAA;
  int id = 0;
  const uint8_t *payload = NULL;
  size_t len = 0;
  ASSERT_OK(eddy_sr_wire_parse(buf, 6, &id, &payload, &len));
  ASSERT_EQ(0x01020304, id);
  ASSERT_EQ(1, len);
  ASSERT_EQ(0xAA, payload[0]);
  ASSERT_EQ(EDDY_EDECODE, eddy_sr_wire_parse(buf, 4, &id, &payload, &len));
  buf[0] = 1;
  ASSERT_EQ(EDDY_EDECODE, eddy_sr_wire_parse(buf, 6, &id, &payload, &len));
  EDDY_ASSERT_NO_LEAKS();
}
