#!/usr/bin/python3
"""Two `eddy registry` processes on one _schemas topic: writes through either
are seen by both, and concurrent registrations through both agree on every
id and version (the log order decides; losers retry)."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sr_harness import (avro_record, request, start_broker,  # noqa: E402
                             start_registry, wait_until)

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient  # noqa: E402


def schema(tag):
    return avro_record("R" + tag, [{"name": "f" + tag, "type": "string"}])


def snapshot(reg):
    _, subjects, _ = request(reg, "GET", "/subjects?deleted=true")
    out = {"subjects": subjects, "config": request(reg, "GET", "/config")[1]}
    for s in subjects:
        _, versions, _ = request(reg, "GET", "/subjects/%s/versions?deleted=true" % s)
        out[s] = [request(reg, "GET", "/subjects/%s/versions/%d?deleted=true" % (s, v))[1]
                  for v in versions]
    return out


def test_writes_through_either(a, b):
    ca, cb = SchemaRegistryClient({"url": a.url}), SchemaRegistryClient({"url": b.url})
    ida = ca.register_schema("one-value", Schema(schema("a"), "AVRO"))
    # B has not polled the log yet maybe; a miss makes it read to the end first
    got = SchemaRegistryClient({"url": b.url}).get_schema(ida)
    assert json.loads(got.schema_str) == json.loads(schema("a"))
    idb = cb.register_schema("two-value", Schema(schema("b"), "AVRO"))
    assert idb == ida + 1, (ida, idb)
    found = ca.lookup_schema("two-value", Schema(schema("b"), "AVRO"))
    assert (found.schema_id, found.version) == (idb, 1)
    # the same schema through the other instance: same global id
    assert cb.register_schema("three-value", Schema(schema("a"), "AVRO")) == ida
    cb.set_compatibility(level="NONE")
    wait_until("config to reach A", lambda: ca.get_compatibility() == "NONE")
    assert ca.delete_subject("three-value") == [1]
    wait_until("delete to reach B", lambda: "three-value" not in cb.get_subjects())


def test_concurrent_registrations(a, b):
    results, errors = {}, []
    lock = threading.Lock()

    def worker(reg, tags, subjects):
        client = SchemaRegistryClient({"url": reg.url})
        try:
            for tag in tags:
                for subject in subjects:
                    sid = client.register_schema(subject, Schema(schema(tag), "AVRO"))
                    with lock:
                        results.setdefault(tag, set()).add(sid)
        except Exception as e:  # reported below
            errors.append(repr(e))

    # Four writers, two per instance, all writing to "hot-value"; schema tags
    # overlap between writers so both instances register the same schemas.
    plans = [(a, ["x%d" % i for i in range(0, 12)], ["hot-value", "a-value"]),
             (b, ["x%d" % i for i in range(6, 18)], ["hot-value", "b-value"]),
             (a, ["y%d" % i for i in range(0, 10)], ["hot-value"]),
             (b, ["y%d" % i for i in range(5, 15)], ["hot-value"])]
    threads = [threading.Thread(target=worker, args=p) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # every schema got exactly one id, whichever instance or subject was used
    for tag, ids in results.items():
        assert len(ids) == 1, "schema %s got ids %s" % (tag, ids)
    all_ids = [next(iter(v)) for v in results.values()]
    assert len(set(all_ids)) == len(all_ids), "two schemas share an id"
    # both instances converge on the same state
    snap = wait_until("both instances to agree",
                      lambda: (lambda x, y: x if x == y else None)(snapshot(a), snapshot(b)))
    hot = snap["hot-value"]
    assert [v["version"] for v in hot] == list(range(1, len(hot) + 1)), "versions 1..n"
    assert len(hot) == len({"x%d" % i for i in range(18)} | {"y%d" % i for i in range(15)})
    for v in hot:
        tag = json.loads(v["schema"])["name"][1:]
        assert results[tag] == {v["id"]}, (tag, results[tag], v)


def main():
    broker = start_broker()
    regs = []
    try:
        regs.append(start_registry(broker.bootstrap, "--log-level", "info"))
        regs.append(start_registry(broker.bootstrap, "--log-level", "info"))
        test_writes_through_either(regs[0], regs[1])
        test_concurrent_registrations(regs[0], regs[1])
        retries = sum(r.stderr().count("taken by a concurrent writer") for r in regs)
        print("registrations retried after losing to the other instance: %d" % retries)
        for r in regs:
            r.stop()
        regs = []
    finally:
        for r in regs:
            r.stop(check=False)
        broker.stop(check=False)
    print("2 passed, 0 failed")


if __name__ == "__main__":
    main()
