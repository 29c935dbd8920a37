#!/usr/bin/python3
"""`eddy registry` driven by an independent client: Debian's
python3-confluent-kafka SchemaRegistryClient (register, get by id, versions,
lookup, compatibility, config, deletes), with expected answers written from
Confluent's documented API, plus raw HTTP for what that client does not call.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sr_harness import (avro_record, request, start_broker,  # noqa: E402
                             start_registry)

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.error import SchemaRegistryError  # noqa: E402

ORDER_V1 = avro_record("Order", [{"name": "id", "type": "long"}])
ORDER_V2 = avro_record("Order", [{"name": "id", "type": "long"},
                                 {"name": "note", "type": ["null", "string"], "default": None}])
ORDER_BAD = avro_record("Order", [{"name": "id", "type": "long"},
                                  {"name": "qty", "type": "int"}])
PAYMENT = avro_record("Payment", [{"name": "amount", "type": {
    "type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}}])

checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def expect_error(fn, http_status, code):
    try:
        fn()
    except SchemaRegistryError as e:
        check(e.http_status_code == http_status and e.error_code == code,
              "expected %d/%d, got %d/%d: %s" % (http_status, code, e.http_status_code,
                                                 e.error_code, e.error_message))
        return e
    raise AssertionError("expected error %d" % code)


def fresh_client(reg):
    # a new client each time: the library caches ids and schemas
    return SchemaRegistryClient({"url": reg.url})


def test_register_and_read(reg):
    c = fresh_client(reg)
    id1 = c.register_schema("orders-value", Schema(ORDER_V1, "AVRO"))
    check(id1 == 1, "first id is 1, got %r" % id1)
    # idempotent: same schema, other whitespace, from a client without a cache
    spaced = json.dumps(json.loads(ORDER_V1), indent=4)
    check(fresh_client(reg).register_schema("orders-value", Schema(spaced, "AVRO")) == id1,
          "re-registration returns the same id")
    # the same schema under another subject keeps its global id
    check(fresh_client(reg).register_schema("audit-value", Schema(ORDER_V1, "AVRO")) == id1,
          "same schema in another subject reuses the id")
    id2 = c.register_schema("orders-value", Schema(ORDER_V2, "AVRO"))
    check(id2 == 2, "second schema gets id 2, got %r" % id2)

    s = fresh_client(reg).get_schema(id2)
    check(s.schema_type == "AVRO" and json.loads(s.schema_str) == json.loads(ORDER_V2),
          "get_schema returns the registered schema")
    check(fresh_client(reg).get_versions("orders-value") == [1, 2], "versions [1, 2]")
    latest = c.get_latest_version("orders-value")
    check((latest.schema_id, latest.version, latest.subject) == (2, 2, "orders-value"),
          "latest is version 2 / id 2")
    v1 = c.get_version("orders-value", 1)
    check(v1.schema_id == 1 and json.loads(v1.schema.schema_str) == json.loads(ORDER_V1),
          "version 1 is the first schema")
    found = c.lookup_schema("orders-value", Schema(ORDER_V2, "AVRO"))
    check((found.schema_id, found.version) == (2, 2), "lookup finds version 2")
    check(sorted(c.get_subjects()) == ["audit-value", "orders-value"], "two subjects")

    status, body, _ = request(reg, "GET", "/schemas/ids/1/versions")
    check(status == 200 and body == [{"subject": "audit-value", "version": 1},
                                     {"subject": "orders-value", "version": 1}],
          "id 1 is used by both subjects: %r" % (body,))
    status, body, _ = request(reg, "GET", "/subjects/orders-value/versions/2/schema")
    check(status == 200 and body == json.loads(ORDER_V2), "raw schema of version 2")


def test_compatibility(reg):
    c = fresh_client(reg)
    check(c.test_compatibility("orders-value", Schema(ORDER_V2, "AVRO")) is True,
          "v2 is compatible with itself")
    check(c.test_compatibility("orders-value", Schema(ORDER_BAD, "AVRO")) is False,
          "a field without default is not backward compatible")
    e = expect_error(lambda: c.register_schema("orders-value", Schema(ORDER_BAD, "AVRO")),
                     409, 409)
    check("READER_FIELD_MISSING_DEFAULT_VALUE" in e.error_message and "qty" in e.error_message,
          "the 409 says why: " + e.error_message)
    status, body, _ = request(reg, "POST",
                              "/compatibility/subjects/orders-value/versions/latest?verbose=true",
                              {"schema": ORDER_BAD})
    check(status == 200 and body["is_compatible"] is False and
          any("qty" in m for m in body["messages"]), "verbose messages name the field")
    expect_error(lambda: c.test_compatibility("nobody", Schema(ORDER_V1, "AVRO")), 404, 40401)
    expect_error(lambda: c.test_compatibility("orders-value", Schema(ORDER_V1, "AVRO"), 9),
                 404, 40402)


def test_config(reg):
    c = fresh_client(reg)
    check(c.get_compatibility() == "BACKWARD", "default global level is BACKWARD")
    expect_error(lambda: c.get_compatibility("orders-value"), 404, 40408)
    check(c.set_compatibility("orders-value", "NONE") == {"compatibility": "NONE"},
          "set subject level")
    check(c.get_compatibility("orders-value") == "NONE", "subject level reads back")
    check(c.register_schema("orders-value", Schema(ORDER_BAD, "AVRO")) == 3,
          "NONE accepts the incompatible schema as id 3")
    check(c.set_compatibility(level="full") == {"compatibility": "FULL"}, "set global level")
    check(c.get_compatibility() == "FULL", "global level reads back")
    check(c.get_compatibility("orders-value") == "NONE", "subject level wins over global")
    expect_error(lambda: c.set_compatibility(level="SOMETIMES"), 422, 42203)
    status, body, _ = request(reg, "DELETE", "/config/orders-value")
    check(status == 200 and body == {"compatibilityLevel": "NONE"}, "delete returns the old level")
    status, body, _ = request(reg, "GET", "/config/orders-value?defaultToGlobal=true")
    check(status == 200 and body == {"compatibilityLevel": "FULL"}, "falls back to global")
    status, body, _ = request(reg, "PUT", "/config", {"compatibility": "BACKWARD"})
    check(status == 200, "reset global level")


def test_deletes(reg):
    c = fresh_client(reg)
    check(c.register_schema("pay-value", Schema(PAYMENT, "AVRO")) == 4, "payment is id 4")
    check(c.delete_version("orders-value", 3) == 3, "soft-delete version 3")
    check(c.get_versions("orders-value") == [1, 2], "version 3 hidden")
    expect_error(lambda: c.get_version("orders-value", 3), 404, 40402)
    status, body, _ = request(reg, "GET", "/subjects/orders-value/versions?deleted=true")
    check(body == [1, 2, 3], "?deleted=true shows version 3")
    check(fresh_client(reg).get_schema(3) is not None, "a soft-deleted schema is still served by id")
    status, body, _ = request(reg, "DELETE", "/subjects/orders-value/versions/3?permanent=true")
    check(status == 200 and body == 3, "hard-delete version 3")
    expect_error(lambda: fresh_client(reg).get_schema(3), 404, 40403)

    check(c.delete_subject("pay-value") == [1], "soft-delete a subject")
    check("pay-value" not in c.get_subjects(), "deleted subject not listed")
    status, body, _ = request(reg, "GET", "/subjects?deleted=true")
    check("pay-value" in body, "listed with ?deleted=true")
    expect_error(lambda: c.get_versions("pay-value"), 404, 40401)
    status, body, _ = request(reg, "DELETE", "/subjects/pay-value")
    check(status == 404 and body["error_code"] == 40404, "second soft delete: 40404")
    status, body, _ = request(reg, "DELETE", "/subjects/audit-value?permanent=true")
    check(status == 404 and body["error_code"] == 40405, "hard delete needs a soft delete first")
    check(c.delete_subject("audit-value", permanent=True) == [1], "soft then hard delete")
    status, body, _ = request(reg, "GET", "/subjects?deleted=true")
    check("audit-value" not in body, "hard-deleted subject is gone")
    # id 1 is still used by orders-value version 1
    check(json.loads(fresh_client(reg).get_schema(1).schema_str) == json.loads(ORDER_V1),
          "id 1 survives through its other subject")
    # a new schema never reuses a deleted id
    check(c.register_schema("fresh-value", Schema(avro_record("F", []), "AVRO")) == 5,
          "next id is 5")


def test_errors(reg):
    c = fresh_client(reg)
    expect_error(lambda: c.get_schema(999), 404, 40403)
    expect_error(lambda: c.get_versions("missing"), 404, 40401)
    expect_error(lambda: c.get_version("orders-value", 77), 404, 40402)
    expect_error(lambda: c.lookup_schema("orders-value", Schema(PAYMENT, "AVRO")), 404, 40403)
    expect_error(lambda: c.register_schema("x", Schema('{"type":"recrod"}', "AVRO")), 422, 42201)
    expect_error(lambda: c.register_schema("x", Schema('{"type": "object"}', "JSON")), 422, 42201)
    # larger than a Kafka record may be (the request itself is within limits)
    huge = avro_record("Huge", [{"name": "f", "type": "string", "doc": "d" * 1200000}])
    status, body, _ = request(reg, "POST", "/subjects/huge/versions", {"schema": huge})
    check(status == 422 and body["error_code"] == 42209, "schema too large: %r" % (body,))


def main():
    broker = start_broker()
    reg = None
    try:
        reg = start_registry(broker.bootstrap)
        for t in (test_register_and_read, test_compatibility, test_config, test_deletes,
                  test_errors):
            t(reg)
        reg.stop()
        reg = None
    finally:
        if reg is not None:
            reg.stop(check=False)
        broker.stop(check=False)
    print("%d passed, 0 failed" % checks)


if __name__ == "__main__":
    main()
