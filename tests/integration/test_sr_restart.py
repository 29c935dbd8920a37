#!/usr/bin/python3
"""Ids and versions survive a restart: the registry keeps nothing but the
_schemas topic, so a new process on the same broker must serve exactly what
the old one did (read back from the log before it listens) and continue the
id sequence without reusing ids."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sr_harness import avro_record, request, start_broker, start_registry  # noqa: E402

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient  # noqa: E402


def schema(i):
    return avro_record("R%d" % i, [{"name": "f%d" % i, "type": "long"}])


def snapshot(reg):
    """Everything a client can read, as plain data."""
    _, subjects, _ = request(reg, "GET", "/subjects?deleted=true")
    out = {"subjects": subjects, "config": request(reg, "GET", "/config")[1]}
    for s in subjects:
        _, versions, _ = request(reg, "GET", "/subjects/%s/versions?deleted=true" % s)
        out[s] = [request(reg, "GET", "/subjects/%s/versions/%d?deleted=true" % (s, v))[1]
                  for v in versions]
        out[s + "/config"] = request(reg, "GET", "/config/%s" % s)[1]
    for i in range(1, 12):
        out["id%d" % i] = request(reg, "GET", "/schemas/ids/%d" % i)[1]
    return out


def main():
    broker = start_broker()
    reg = None
    try:
        reg = start_registry(broker.bootstrap)
        c = SchemaRegistryClient({"url": reg.url})
        c.set_compatibility(level="NONE")
        ids = {}
        for i in range(8):
            subject = "s%d-value" % (i % 3)
            ids[(subject, i)] = c.register_schema(subject, Schema(schema(i), "AVRO"))
        assert sorted(ids.values()) == list(range(1, 9)), ids
        c.set_compatibility("s1-value", "FULL")
        c.delete_version("s0-value", 1)
        before = snapshot(reg)
        reg.stop()

        reg = start_registry(broker.bootstrap)
        after = snapshot(reg)
        assert before == after, "state changed across restart:\n%s\n%s" % (
            json.dumps(before, indent=1, sort_keys=True), json.dumps(after, indent=1, sort_keys=True))
        c = SchemaRegistryClient({"url": reg.url})
        for (subject, i), sid in ids.items():
            if (subject, i) != ("s0-value", 0):   # soft-deleted above
                assert c.lookup_schema(subject, Schema(schema(i), "AVRO")).schema_id == sid
        # idempotent after restart, and the next new schema gets the next id
        assert c.register_schema("s2-value", Schema(schema(2), "AVRO")) == ids[("s2-value", 2)]
        assert c.register_schema("s2-value", Schema(schema(100), "AVRO")) == 9
        assert c.get_compatibility("s1-value") == "FULL"
        reg.stop()
        reg = None
    finally:
        if reg is not None:
            reg.stop(check=False)
        broker.stop(check=False)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
