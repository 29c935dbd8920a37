#!/usr/bin/python3
"""exactly_once_v2 under cache pressure (KIP-892, done better than a wipe).

A windowed aggregate over 2,000 keys runs with write-back caches far smaller
than its state (state.cache.max.bytes=16384 for four stores) and a commit
interval long enough that the caches fill between commits. Under
at-least-once a full cache evicts into RocksDB; under exactly_once_v2 that
would put writes of a transaction that may still abort into the store, which
must then be wiped and restored from the whole changelog after a crash.
Instead the store asks for an early commit (counter early_commits) and keeps
its uncommitted writes until then. The test checks:

  - early commits happened (GET /status of the metrics endpoint)
  - after a SIGKILL, the restart restores only the changelog tail after the
    offsets the stores recorded, never the whole changelog (no wipe)
  - the output, read with isolation.level=read_committed, holds exactly one
    result per (user, window) with the count and sum computed here

Like test_eos_restart.py, the kill comes after the input and the stores are
committed, because the embedded broker shows the records of unfinished
transactions to read_committed readers (see docs/operations.md).
"""
import http.client
import json
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from test_eos_restart import (Engine, committed_all, parse_ms, read_all,  # noqa: E402
                              restored_records, start_broker, until)
from test_sr_harness import tmout  # noqa: E402

PARTS = 4
USERS = 2000
HOUR_MS = 3600000
T0_MS = 1700000000000 - 1700000000000 % HOUR_MS
APP = "eos_pressure"
REPARTITION = APP + "-finals.group-by-1-repartition"
CHANGELOG = APP + "-finals.aggregate-1-store-changelog"

TOPOLOGY = """app eos_pressure
stream events from "events" format json schema (user int, amount int, at timestamp(3))
  event-time at
finals = events | group by user | window tumbling 1h grace 1s
  | aggregate n = count(), total = sum(amount) | emit final
finals | to kafka "finals"
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


def changelog_size(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pressure-size"})
    try:
        return sum(c.get_watermark_offsets(TopicPartition(CHANGELOG, p), timeout=tmout(10))[1]
                   for p in range(PARTS))
    finally:
        c.close()


def checkpoints_caught_up(bootstrap, state):
    """Every task's checkpoint names the last record of its changelog partition."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pressure-size"})
    try:
        for p in range(PARTS):
            _, hi = c.get_watermark_offsets(TopicPartition(CHANGELOG, p), timeout=tmout(10))
            if hi == 0:
                continue
            try:
                with open(os.path.join(state, APP, "1_%d" % p, ".checkpoint")) as f:
                    offsets = [int(line.split()[1]) for line in f.read().splitlines()[2:]]
            except (OSError, ValueError, IndexError):
                return False
            if not offsets or min(offsets) < hi - 1:
                return False
        return True
    finally:
        c.close()


def events(first, count):
    """Event k: user k % USERS, amount k % 37, 50 ms apart (all in the first hour)."""
    return [{"user": k % USERS, "amount": k % 37, "at": T0_MS + k * 50}
            for k in range(first, first + count)]


def engine(topo, bootstrap, state, port):
    return Engine(topo, bootstrap, state, 1,
                  ["--set", "state.cache.max.bytes=16384", "--set", "commit.interval.ms=3000",
                   "--set", "state.checkpoint.interval.ms=0",
                   "--metrics", "127.0.0.1:%d" % port])


def feed(prod, batch):
    for e in batch:   # one partition: the tasks see the records in event-time order
        prod.produce("events", key=str(e["user"]), value=json.dumps(e), partition=0)
    prod.flush()


def settle(bootstrap, state, what):
    until(lambda: committed_all(bootstrap, APP, ["events", REPARTITION]), 60,
          what + " was not committed")
    until(lambda: checkpoints_caught_up(bootstrap, state), 60,
          "the stores never recorded the changelog end (%s)" % what)


def run(tmp):
    broker = start_broker("events:%d" % PARTS, "finals:%d" % PARTS,
                          REPARTITION + ":%d" % PARTS, CHANGELOG + ":%d" % PARTS)
    topo = os.path.join(tmp, "pressure.eddy")
    with open(topo, "w") as f:
        f.write(TOPOLOGY)
    state = os.path.join(tmp, "state")
    prod = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
    port = free_port()
    e = engine(topo, broker.bootstrap, state, port)
    try:
        first = events(0, 12000)
        feed(prod, first)
        settle(broker.bootstrap, state, "the first burst")
        early = status(port)["early_commits"]
        assert early > 0, "the caches never asked for an early commit"
        total_before = changelog_size(broker.bootstrap)
        e.kill()
        log = e.stderr()
        e.close()
        assert "wiping" not in log, log[-3000:]

        e = engine(topo, broker.bootstrap, state, port)
        until(lambda: restored_records(e.stderr())[1] >= 1, 60, "the tasks never got ready")
        restored = restored_records(e.stderr())[0]
        assert "wiping" not in e.stderr(), e.stderr()[-3000:]
        assert restored <= total_before // 20, "restored %d of %d changelog records" % (
            restored, total_before)
        second = events(12000, 8000)
        feed(prod, second)
        settle(broker.bootstrap, state, "the second burst")
        closing = [{"user": u, "amount": 0, "at": T0_MS + 3 * HOUR_MS} for u in range(USERS)]
        feed(prod, closing)
        expected = {}
        for ev in first + second:
            w = (ev["user"], ev["at"] - ev["at"] % HOUR_MS)
            n, total = expected.get(w, (0, 0))
            expected[w] = (n + 1, total + ev["amount"])
        until(lambda: len(read_all(broker.bootstrap, "finals")) >= len(expected), 90,
              "not every window was emitted")
        e.stop()
        finals = read_all(broker.bootstrap, "finals")
    finally:
        e.close()
        broker.stop()
    got = {}
    for _, v in finals:
        w = (v["user"], parse_ms(v["window_start"]))
        assert w not in got, "window %r emitted twice: %r and %r" % (w, got[w], v)
        got[w] = (v["n"], v["total"])
    assert got == expected, "windows differ: %d expected, %d got, e.g. %r" % (
        len(expected), len(got), sorted(set(expected.items()) ^ set(got.items()))[:4])
    print("cache pressure: %d early commit(s); after the kill %d of %d changelog records "
          "restored; %d windows exactly once" % (early, restored, total_before, len(got)))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    print("eos cache pressure: all checks passed")


if __name__ == "__main__":
    main()
