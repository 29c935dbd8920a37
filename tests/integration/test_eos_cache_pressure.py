#!/usr/bin/python3
"""exactly_once_v2 under cache pressure (KIP-892, done better than a wipe).

A per-key `over` aggregate over 2,000 keys runs with write-back caches far
smaller than its state (state.cache.max.bytes=16384) and a commit interval
of ten minutes, so only full caches make it commit. Under at-least-once a
full cache evicts into RocksDB; under exactly_once_v2 that would put writes
of a transaction that may still abort into the store, which would then be
wiped and restored from the whole changelog after a crash (and, until then,
read as if committed). Instead the store asks for an early commit (counter
early_commits) and keeps its uncommitted writes until then.

The engine is killed (SIGKILL) once it has consumed every record while its
last transaction is still open and its caches hold that transaction's
writes, then restarted. The test checks:

  - early commits happened (GET /status of the metrics endpoint)
  - the restart wipes nothing and restores only the changelog tail after
    the offsets the stores recorded, not the changelog
  - the output, read with isolation.level=read_committed, has every input
    record with the running sum and count of its key's last six records,
    computed here; copies of a record carry the same values, and there are
    copies only of the records of the killed transaction: on Kafka these are
    hidden by the abort, the embedded broker shows them (docs/operations.md)

The topology has no repartition topic and writes changelog records only
when it commits, so the killed transaction left nothing but its outputs
behind, and the values stay exact on the embedded broker too.
"""
import http.client
import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from test_eos_restart import Engine, read_all, restored_records, start_broker, until  # noqa: E402
from test_sr_harness import tmout  # noqa: E402

PARTS = 4
KEYS = 2000
FRAME = 6
T0_MS = 1700000000000
APP = "eos_pressure"
CHANGELOG = APP + "-runs.over-1-store-changelog"

TOPOLOGY = """app eos_pressure
stream events from "events" format json schema (id int, amount int, at timestamp(3))
  event-time at
runs = events | over key rows 5 preceding | aggregate s = sum(amount), c = count()
runs | to kafka "runs"
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def status(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=tmout(10))
    conn.request("GET", "/status")
    body = json.loads(conn.getresponse().read())
    conn.close()
    return {a["app"]: a for a in body["apps"]}[APP]


def serving(port):
    try:
        status(port)
        return True
    except (OSError, KeyError):
        return False


def end_offsets(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pressure-size"})
    try:
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=tmout(10))[1]
                   for p in range(PARTS))
    finally:
        c.close()


def committed(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": APP, "enable.auto.commit": False})
    try:
        parts = c.committed([TopicPartition("events", p) for p in range(PARTS)],
                            timeout=tmout(10))
        return sum(max(tp.offset, 0) for tp in parts)
    finally:
        c.close()


def events(first, count):
    """Event k: key k % KEYS, amount k % 37, 1 ms apart."""
    return [{"id": k, "amount": k % 37, "at": T0_MS + k} for k in range(first, first + count)]


def engine(topo, bootstrap, state, port):
    return Engine(topo, bootstrap, state, 1,
                  ["--set", "state.cache.max.bytes=16384", "--set", "commit.interval.ms=600000",
                   "--set", "state.checkpoint.interval.ms=0",
                   "--metrics", "127.0.0.1:%d" % port])


def feed(prod, batch):
    for e in batch:
        prod.produce("events", key="k%d" % (e["id"] % KEYS), value=json.dumps(e))
    prod.flush()


def quiet(port, n):
    """True once the engine consumed n records and has not committed for a while."""
    first = status(port)
    if first["records_in"] < n:
        return False
    time.sleep(0.5)
    return status(port)["commits"] == first["commits"]


def expected_runs(evs):
    frames, out = {}, {}
    for e in evs:
        f = frames.setdefault(e["id"] % KEYS, [])
        f.append(e["amount"])
        del f[:-FRAME]
        out[e["id"]] = (sum(f), len(f))
    return out


def run(tmp):
    broker = start_broker("events:%d" % PARTS, "runs:%d" % PARTS, CHANGELOG + ":%d" % PARTS)
    topo = os.path.join(tmp, "pressure.eddy")
    with open(topo, "w") as f:
        f.write(TOPOLOGY)
    state = os.path.join(tmp, "state")
    prod = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
    port = free_port()
    e = engine(topo, broker.bootstrap, state, port)
    first, tail, second = events(0, 12000), events(12000, 10), events(12010, 8000)
    try:
        until(lambda: serving(port), 30, "no metrics endpoint")
        feed(prod, first)
        until(lambda: quiet(port, len(first)), 60, "the first burst was not consumed")
        early = status(port)["early_commits"]
        assert early > 0, "the caches never asked for an early commit"
        feed(prod, tail)   # a few records: the caches have room, the transaction stays open
        until(lambda: quiet(port, len(first) + len(tail)), 60, "the tail was not consumed")
        open_records = len(first) + len(tail) - committed(broker.bootstrap)
        changelog_before = end_offsets(broker.bootstrap, CHANGELOG)
        e.kill()   # the last transaction is open, its writes in the caches
        log = e.stderr()
        e.close()
        assert "wiping" not in log, log[-3000:]

        e = engine(topo, broker.bootstrap, state, port)
        until(lambda: restored_records(e.stderr())[1] >= 1, 60, "the tasks never got ready")
        restored = restored_records(e.stderr())[0]
        assert "wiping" not in e.stderr(), e.stderr()[-3000:]
        assert changelog_before >= 2000, changelog_before
        assert restored <= changelog_before // 20, "restored %d of %d changelog records" % (
            restored, changelog_before)
        feed(prod, second)
        want = len(first) + len(tail) + len(second)
        until(lambda: len({v["id"] for _, v in read_all(broker.bootstrap, "runs")}) >= want,
              90, "not every record came out")
        e.stop()
        runs = read_all(broker.bootstrap, "runs")
    finally:
        e.close()
        broker.stop()
    expected = expected_runs(first + tail + second)
    got, copies = {}, 0
    for _, v in runs:
        value = (v["s"], v["c"])
        if v["id"] in got:
            copies += 1
            assert got[v["id"]] == value, "record %d came out as %r and %r" % (
                v["id"], got[v["id"]], value)
        got[v["id"]] = value
    assert got == expected, "runs differ, e.g. %r" % (
        sorted(set(expected.items()) ^ set(got.items()))[:4])
    assert open_records > 0, "the kill found no open transaction"
    assert copies <= open_records, "%d copies, the killed transaction had %d records" % (
        copies, open_records)
    print("cache pressure: %d early commit(s); killed with %d records in the open transaction; "
          "the restart restored %d of %d changelog records; %d records exact (%d copies of "
          "the killed transaction's outputs)" % (early, open_records, restored,
                                                 changelog_before, len(got), copies))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    print("eos cache pressure: all checks passed")


if __name__ == "__main__":
    main()
