/* Avro schema parsing, validation and canonical text. */
#include "eddy_test.h"
#include <avro.h>

#include "schema-registry/avro_schema.h"
#include "schema-registry/sr_int.h"

static char *canonical(const char *text) {
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  if (eddy_sr_schema_parse(&s, text, strlen(text), &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "cannot parse %s: %s", text, eddy_error_msg(err));
  char *c = eddy_strdup(eddy_sr_schema_canonical(s));
  eddy_sr_schema_destroy(s);
  return c;
}

static void expect_canonical(const char *want, const char *text) {
  char *c = canonical(text);
  ASSERT_STR_EQ(want, c);
  /* the canonical text is a fixed point */
  char *again = canonical(c);
  ASSERT_STR_EQ(want, again);
  eddy_free(c);
  eddy_free(again);
}

/* Parsing must fail with a message containing \p needle. */
static void expect_invalid(const char *text, const char *needle) {
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  int rc = eddy_sr_schema_parse(&s, text, strlen(text), &err);
  if (rc != EDDY_ESCHEMA || s != NULL || strstr(eddy_error_msg(err), needle) == NULL)
    eddy_test_fail(__FILE__, __LINE__, "schema %s: expected an error with '%s', got rc=%d '%s'",
                   text, needle, rc, eddy_error_msg(err));
  eddy_error_destroy(err);
}

EDDY_TEST(schema_primitives_canonical) {
  expect_canonical("\"int\"", "\"int\"");
  expect_canonical("\"string\"", "  {\"type\" : \"string\"} ");
  expect_canonical("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}",
                   "{\"logicalType\":\"timestamp-millis\",\"type\":\"long\"}");
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_whitespace_and_attribute_order_do_not_matter) {
  const char *a = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\","
                  "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
                  "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
  const char *b = "{\n  \"fields\": [ {\"type\": \"long\", \"name\": \"id\"},\n"
                  "   {\"default\": null, \"name\": \"note\", \"type\": [\"null\", \"string\"]}],\n"
                  "  \"namespace\": \"shop\", \"name\": \"Order\", \"type\": \"record\"\n}\n";
  char *ca = canonical(a), *cb = canonical(b);
  ASSERT_STR_EQ(ca, cb);
  ASSERT_STR_EQ(a, ca);   /* already in canonical order */
  eddy_free(ca);
  eddy_free(cb);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_names_relative_to_namespace) {
  /* fullname in "name" splits into name + namespace; nested types in the same
     namespace omit it; references use the short name in the same namespace */
  expect_canonical(
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a.b\",\"fields\":["
      "{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}},"
      "{\"name\":\"y\",\"type\":\"F\"},"
      "{\"name\":\"z\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"c\","
      "\"symbols\":[\"A\"]}},"
      "{\"name\":\"w\",\"type\":\"c.E\"}]}",
      "{\"type\":\"record\",\"name\":\"a.b.R\",\"fields\":["
      "{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}},"
      "{\"name\":\"y\",\"type\":\"a.b.F\"},"
      "{\"name\":\"z\",\"type\":{\"type\":\"enum\",\"name\":\"c.E\",\"symbols\":[\"A\"]}},"
      "{\"name\":\"w\",\"type\":\"c.E\"}]}");
  /* a short name falls back to the null namespace */
  expect_canonical(
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
      "{\"name\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"namespace\":\"\","
      "\"fields\":[]}},{\"name\":\"y\",\"type\":\"S\"}]}",
      "{\"type\":\"record\",\"name\":\"n.R\",\"fields\":["
      "{\"name\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"namespace\":\"\","
      "\"fields\":[]}},{\"name\":\"y\",\"type\":\"S\"}]}");
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_keeps_docs_defaults_aliases_and_props) {
  expect_canonical(
      "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"d\",\"fields\":["
      "{\"name\":\"a\",\"type\":\"int\",\"doc\":\"fa\",\"default\":1,\"order\":\"descending\","
      "\"x-tag\":\"pii\",\"aliases\":[\"old_a\"]}],\"connect.name\":\"R\",\"aliases\":[\"Q\"]}",
      "{\"aliases\":[\"Q\"],\"connect.name\":\"R\",\"type\":\"record\",\"doc\":\"d\","
      "\"name\":\"R\",\"fields\":[{\"x-tag\":\"pii\",\"aliases\":[\"old_a\"],\"order\":"
      "\"descending\",\"default\":1,\"doc\":\"fa\",\"type\":\"int\",\"name\":\"a\"}]}");
  /* a default is part of the identity */
  char *a = canonical("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                      "{\"name\":\"a\",\"type\":\"int\",\"default\":1}]}");
  char *b = canonical("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                      "{\"name\":\"a\",\"type\":\"int\",\"default\":2}]}");
  ASSERT_TRUE(strcmp(a, b) != 0);
  eddy_free(a);
  eddy_free(b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_recursive_types) {
  const char *list = "{\"type\":\"record\",\"name\":\"L\",\"fields\":["
                     "{\"name\":\"v\",\"type\":\"int\"},"
                     "{\"name\":\"next\",\"type\":[\"null\",\"L\"],\"default\":null}]}";
  expect_canonical(list, list);
  eddy_sr_schema_t *s = NULL;
  ASSERT_OK(eddy_sr_schema_parse(&s, list, strlen(list), NULL));
  const eddy_sr_node_t *root = eddy_sr_schema_root(s);
  ASSERT_EQ(EDDY_SR_RECORD, root->type);
  ASSERT_TRUE(root->fields[1].type->branches[1] == root);
  eddy_sr_schema_destroy(s);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_logical_types) {
  const char *text = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                     "{\"name\":\"m\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
                     "\"precision\":10,\"scale\":2}},"
                     "{\"name\":\"bad\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
                     "\"precision\":2,\"scale\":5}},"
                     "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"D\",\"size\":2,"
                     "\"logicalType\":\"decimal\",\"precision\":5}},"
                     "{\"name\":\"t\",\"type\":{\"type\":\"int\",\"logicalType\":\"timestamp-millis\"}},"
                     "{\"name\":\"d\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}}]}";
  eddy_sr_schema_t *s = NULL;
  ASSERT_OK(eddy_sr_schema_parse(&s, text, strlen(text), NULL));
  const eddy_sr_node_t *r = eddy_sr_schema_root(s);
  ASSERT_STR_EQ("decimal", r->fields[0].type->logical);
  ASSERT_EQ(10, r->fields[0].type->precision);
  ASSERT_EQ(2, r->fields[0].type->scale);
  ASSERT_TRUE(r->fields[1].type->logical == NULL);   /* scale > precision: ignored */
  ASSERT_TRUE(r->fields[2].type->logical == NULL);   /* 2 bytes hold 4 digits at most, not 5 */
  ASSERT_TRUE(r->fields[3].type->logical == NULL);   /* timestamp-millis needs long */
  ASSERT_STR_EQ("date", r->fields[4].type->logical);
  eddy_sr_schema_destroy(s);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_invalid_schemas_are_rejected) {
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"", "not valid JSON");
  expect_invalid("\"int\" x", "trailing data");
  expect_invalid("\"Nope\"", "undefined name: \"Nope\"");
  expect_invalid("{\"type\":\"nope\"}", "undefined name");
  expect_invalid("{\"name\":\"R\"}", "no \"type\"");
  expect_invalid("42", "JSON string, object or array");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\"}", "\"fields\" array");
  expect_invalid("{\"type\":\"record\",\"fields\":[]}", "\"name\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"1R\",\"fields\":[]}", "invalid name");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"long\"}]}",
                 "duplicate field name: \"a\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a-b\",\"type\":\"int\"}]}",
                 "invalid field name");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}",
                 "has no \"type\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}]}",
                 "invalid default for field \"a\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"a\",\"type\":\"int\",\"default\":1.5}]}",
                 "invalid default");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"a\",\"type\":\"int\",\"order\":\"up\"}]}",
                 "invalid field order");
  expect_invalid("[\"int\",\"int\"]", "duplicate in union: int");
  expect_invalid("[\"int\",[\"null\"]]", "unions may not immediately contain other unions");
  expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
                 "duplicate enum symbol");
  expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}",
                 "is not a symbol");
  expect_invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "non-negative integer");
  expect_invalid("{\"type\":\"array\"}", "missing \"items\"");
  expect_invalid("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}",
                 "can't redefine primitive");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"a\",\"type\":{\"type\":\"enum\",\"name\":\"R\",\"symbols\":[]}}]}",
                 "can't redefine: R");
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_defaults_checked_against_their_type) {
  const char *ok = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                   "{\"name\":\"u\",\"type\":[\"null\",\"int\"],\"default\":null},"
                   "{\"name\":\"v\",\"type\":[\"string\",\"null\"],\"default\":null},"
                   "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"},\"default\":[1,2]},"
                   "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"boolean\"},"
                   "\"default\":{\"x\":true}},"
                   "{\"name\":\"d\",\"type\":\"double\",\"default\":1.5},"
                   "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},"
                   "\"default\":\"A\"},"
                   "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":["
                   "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\",\"default\":0}]},"
                   "\"default\":{\"x\":1}}]}";
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  int rc = eddy_sr_schema_parse(&s, ok, strlen(ok), &err);
  if (rc != 0)
    eddy_test_fail(__FILE__, __LINE__, "%s", eddy_error_msg(err));
  eddy_sr_schema_destroy(s);
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":["
                 "{\"name\":\"x\",\"type\":\"int\"}]},\"default\":{}}]}",
                 "invalid default");
  expect_invalid("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                 "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},"
                 "\"default\":\"Z\"}]}",
                 "invalid default");
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_nesting_is_bounded) {
  eddy_buf_t b = {0};
  for (int i = 0; i < 300; i++)
    eddy_buf_puts(&b, "{\"type\":\"array\",\"items\":");
  eddy_buf_puts(&b, "\"int\"");
  for (int i = 0; i < 300; i++)
    eddy_buf_putc(&b, '}');
  expect_invalid(eddy_buf_cstr(&b), "nested too deeply");
  eddy_buf_free(&b);
  EDDY_ASSERT_NO_LEAKS();
}

EDDY_TEST(schema_parse_survives_allocation_failures) {
  const char *text = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                     "{\"name\":\"a\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"E\","
                     "\"symbols\":[\"X\",\"Y\"]}],\"default\":null,\"p\":1}]}";
  for (long nth = 1; nth < 60; nth++) {
    eddy_alloc_fail_after(nth);
    eddy_sr_schema_t *s = NULL;
    eddy_error_t *err = NULL;
    int rc = eddy_sr_schema_parse(&s, text, strlen(text), &err);
    eddy_alloc_fail_after(0);
    ASSERT_TRUE(rc == 0 || rc == EDDY_ENOMEM);
    eddy_sr_schema_destroy(s);
    eddy_error_destroy(err);
  }
  EDDY_ASSERT_NO_LEAKS();
}

/* A Debezium AvroConverter envelope (PostgreSQL connector): connect.*
   attributes, nested namespaces, a decimal, a reference to a type defined in
   an earlier field, union defaults. It must parse, keep its attributes, and
   its canonical text must be usable by avro-c for decoding. */
EDDY_TEST(schema_debezium_envelope) {
  const char *text =
      "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"ecommerce.public.orders\","
      "\"fields\":["
      "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\",\"fields\":["
      "{\"name\":\"order_id\",\"type\":\"int\"},"
      "{\"name\":\"total_amount\",\"type\":{\"type\":\"bytes\",\"scale\":2,\"precision\":10,"
      "\"connect.version\":1,\"connect.parameters\":{\"scale\":\"2\","
      "\"connect.decimal.precision\":\"10\"},\"connect.name\":"
      "\"org.apache.kafka.connect.data.Decimal\",\"logicalType\":\"decimal\"}},"
      "{\"name\":\"status\",\"type\":[\"null\",\"string\"],\"default\":null},"
      "{\"name\":\"created_at\",\"type\":{\"type\":\"long\",\"connect.version\":1,"
      "\"connect.name\":\"io.debezium.time.MicroTimestamp\"}}],"
      "\"connect.name\":\"ecommerce.public.orders.Value\"}],\"default\":null},"
      "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
      "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":\"Source\","
      "\"namespace\":\"io.debezium.connector.postgresql\",\"fields\":["
      "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":\"long\"},"
      "{\"name\":\"snapshot\",\"type\":[{\"type\":\"string\",\"connect.version\":1,"
      "\"connect.parameters\":{\"allowed\":\"true,last,false,incremental\"},"
      "\"connect.default\":\"false\",\"connect.name\":\"io.debezium.data.Enum\"},\"null\"],"
      "\"default\":\"false\"},"
      "{\"name\":\"txId\",\"type\":[\"null\",\"long\"],\"default\":null}],"
      "\"connect.name\":\"io.debezium.connector.postgresql.Source\"}},"
      "{\"name\":\"op\",\"type\":\"string\"},"
      "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"],\"default\":null},"
      "{\"name\":\"transaction\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"ConnectDefault\","
      "\"namespace\":\"io.confluent.connect.avro\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
      "{\"name\":\"total_order\",\"type\":\"long\"}]}],\"default\":null}],"
      "\"connect.name\":\"ecommerce.public.orders.Envelope\"}";
  eddy_sr_schema_t *s = NULL;
  eddy_error_t *err = NULL;
  if (eddy_sr_schema_parse(&s, text, strlen(text), &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "%s", eddy_error_msg(err));
  const eddy_sr_node_t *root = eddy_sr_schema_root(s);
  ASSERT_STR_EQ("ecommerce.public.orders.Envelope", root->fullname);
  const eddy_sr_node_t *value = root->fields[0].type->branches[1];
  ASSERT_TRUE(root->fields[1].type->branches[1] == value);
  ASSERT_STR_EQ("ecommerce.public.orders.Value", value->fullname);
  ASSERT_STR_EQ("decimal", value->fields[1].type->logical);
  ASSERT_EQ(10, value->fields[1].type->precision);
  ASSERT_STR_EQ("io.debezium.connector.postgresql.Source", root->fields[2].type->fullname);
  const char *canonical = eddy_sr_schema_canonical(s);
  ASSERT_TRUE(strstr(canonical, "\"connect.name\":\"io.debezium.time.MicroTimestamp\"") != NULL);
  ASSERT_TRUE(strstr(canonical, "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],"
                                "\"default\":null}") != NULL);
  expect_canonical(canonical, canonical);
  struct avro_obj_t *avro = NULL;
  if (eddy__sr_avro_parse(canonical, &avro, &err) != 0)
    eddy_test_fail(__FILE__, __LINE__, "%s", eddy_error_msg(err));
  ASSERT_EQ(6, avro_schema_record_size(avro));
  avro_schema_decref(avro);
  eddy_sr_schema_destroy(s);
  EDDY_ASSERT_NO_LEAKS();
}
