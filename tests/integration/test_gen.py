#!/usr/bin/python3
"""`eddy gen`: the generated Debezium events, checked from outside.

  determinism  the same seed and options give byte-identical dumps; another
               seed gives other data (every data set, schemas on and off).
  ecommerce    produced to an embedded broker (`eddy broker`), read back with
               confluent_kafka: topics, keys (the primary key as JSON) and
               record timestamps (the event time); the envelopes decoded here
               (base64 decimals included) must keep the shop's invariants:
               order totals equal the sum of their items, status changes
               follow pending -> processing -> completed|cancelled with the
               previous row as `before`, stock never negative and equal to
               the initial stock minus ordered plus restocked quantities,
               every alert level reached, page-view sessions with gaps both
               over and under 30 minutes.
  fraud        large amounts (> 3 x the user's earlier mean and > 500) and
               bursts of more than 5 transactions within 60 s, some over 4000.
  eddy reads   a `format debezium-json` topology reads the generated orders
               (schemas off, and schemas on from another prefix); its output
               equals what this test decodes itself.
  avro         --format avro with `eddy registry`: decoded with Apache Avro's
               Python reader and the writer schema fetched by id, the values
               equal those of the JSON events of the same seed.
"""
import base64
import collections
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import avro.io  # noqa: E402
import avro.schema  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402

from test_sr_harness import EDDY, Proc, start_broker, start_registry, tmout, wait_until  # noqa

START_MS = 1767225600000          # 2026-01-01T00:00:00Z, the default --start
ECOMMERCE = ["users", "products", "orders", "order_items", "user_events"]


def gen(*args, check=True):
    r = subprocess.run([EDDY, "gen"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=tmout(300))
    if check and r.returncode != 0:
        raise AssertionError("eddy gen %s: exit %d\n%s" % (args, r.returncode, r.stderr.decode()))
    return r


def dump(*args):
    return gen(*(list(args) + ["--dump", "--quiet"])).stdout


def dec(b64):
    """Debezium precise decimal (scale 2): base64 big-endian two's complement -> cents."""
    return int.from_bytes(base64.b64decode(b64), "big", signed=True)


# ---- reading topics ----------------------------------------------------------------

def read_all(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "t-" + uuid.uuid4().hex,
                  "enable.auto.commit": False})
    try:
        md = c.list_topics(topic, timeout=tmout(10)).topics.get(topic)
        if md is None or md.error is not None:
            return []
        ends, assign = {}, []
        for p in md.partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=tmout(10))
            if hi > lo:
                ends[p] = hi
                assign.append(TopicPartition(topic, p, lo))
        out = []
        if not assign:
            return out
        c.assign(assign)
        left = set(ends)

        def drain():
            for m in c.consume(1000, 0.2):
                if m.error() is None:
                    out.append(m)
                    if m.offset() + 1 >= ends[m.partition()]:
                        left.discard(m.partition())
            return not left
        wait_until("reading " + topic, drain, 60)
        return out
    finally:
        c.close()


def records_from_dump(text):
    return [json.loads(line) for line in text.decode().splitlines()]


# ---- invariants --------------------------------------------------------------------

def by_table(records):
    tables = collections.defaultdict(list)
    for r in records:
        tables[r["topic"].rsplit(".", 1)[1]].append(r)
    return tables


def check_keys_and_times(records):
    for r in records:
        v = r["value"]
        row = v["after"] if v["after"] is not None else v["before"]
        pk = next(iter(row))
        assert r["key"] == {pk: row[pk]}, (r["key"], row)
        assert r["timestamp"] == v["ts_ms"] == v["source"]["ts_ms"], r
    times = [r["timestamp"] for r in records]
    assert times == sorted(times), "event time goes back"


def check_orders(t):
    items = collections.defaultdict(int)
    for r in t["order_items"]:
        a = r["value"]["after"]
        assert r["value"]["op"] == "c" and a["quantity"] >= 1
        items[a["order_id"]] += a["quantity"] * dec(a["unit_price"])
    state, completed, cancelled = {}, 0, 0
    nxt = {"pending": {"processing"}, "processing": {"completed", "cancelled"}}
    for r in t["orders"]:
        v = r["value"]
        a = v["after"]
        if v["op"] == "c":
            assert v["before"] is None and a["status"] == "pending", v
            assert a["order_id"] not in state
        else:
            assert v["op"] == "u", v
            assert v["before"] == state[a["order_id"]], (v["before"], state[a["order_id"]])
            assert a["status"] in nxt[v["before"]["status"]], v
            assert a["updated_at"] == r["timestamp"] * 1000 and a["created_at"] == \
                v["before"]["created_at"]
            completed += a["status"] == "completed"
            cancelled += a["status"] == "cancelled"
        assert dec(a["total_amount"]) == items[a["order_id"]], (a, items[a["order_id"]])
        assert a["total_amount"] == v["after"]["total_amount"]
        state[a["order_id"]] = a
    assert len(state) > 50 and completed > 10 and cancelled > 0, (len(state), completed)
    return state


def check_stock(t):
    ordered = collections.defaultdict(int)
    for r in t["order_items"]:
        ordered[r["value"]["after"]["product_id"]] += r["value"]["after"]["quantity"]
    initial, current, restocked, levels = {}, {}, collections.defaultdict(int), set()
    for r in t["products"]:
        v = r["value"]
        a = v["after"]
        pid = a["product_id"]
        if v["op"] == "c":
            initial[pid] = current[pid] = a["stock_quantity"]
            continue
        assert v["before"]["stock_quantity"] == current[pid], v
        delta = a["stock_quantity"] - current[pid]
        if delta > 0:
            restocked[pid] += delta
        current[pid] = a["stock_quantity"]
        s = a["stock_quantity"]
        assert s >= 0, v
        levels.add("out_of_stock" if s == 0 else "critical" if s <= 5 else
                   "low" if s <= 10 else "ok")
    for pid in initial:
        assert current[pid] == initial[pid] - ordered[pid] + restocked[pid], pid
    assert levels >= {"low", "critical", "out_of_stock", "ok"}, levels
    assert sum(1 for p in restocked if restocked[p] > 0) > 3


def check_sessions(t):
    gap = 30 * 60 * 1000000
    views = collections.defaultdict(list)
    late = []
    for r in t["user_events"]:
        a = r["value"]["after"]
        assert a["event_type"] == "page_view" and a["created_at"] <= r["timestamp"] * 1000
        views[a["user_id"]].append(a["created_at"])
        if a["created_at"] < r["timestamp"] * 1000:
            late.append((a["user_id"], a["created_at"]))
    # A late view (made offline, synced later) falls between two bursts more than
    # 30 minutes apart and within 30 minutes of both: it merges two sessions.
    merges = 0
    for user, at in late:
        ts = sorted(views[user])
        i = ts.index(at)
        if 0 < i < len(ts) - 1 and ts[i + 1] - ts[i - 1] > gap and \
                at - ts[i - 1] <= gap and ts[i + 1] - at <= gap:
            merges += 1
    assert merges >= 5 and merges >= len(late) * 0.9, (merges, len(late))
    long_gaps = short_gaps = 0
    sessions = []
    for user, ts in views.items():
        ts = sorted(ts)
        run = 1
        for a, b in zip(ts, ts[1:]):
            if b - a > gap:
                long_gaps += 1
                sessions.append(run)
                run = 1
            else:
                short_gaps += b - a > 3 * 60 * 1000000   # an idle gap that joins bursts
                run += 1
        sessions.append(run)
    assert long_gaps > 20 and short_gaps > 20, (long_gaps, short_gaps)
    assert sum(1 for s in sessions if s >= 3) > len(sessions) / 2, sessions[:20]
    users = {r["value"]["after"]["user_id"] for r in t["users"]}
    assert set(views) <= users


def check_fraud(records):
    per_user = collections.defaultdict(list)
    anomalies = bursts = big_bursts = 0
    for r in records:
        a = r["value"]["after"]
        amount, t = dec(a["amount"]), a["created_at"]
        prev = per_user[a["user_id"]]
        last50 = [x for _, x in prev[-50:]]
        if len(last50) >= 3 and amount > 3 * sum(last50) / len(last50) and amount > 50000:
            anomalies += 1
        recent = [x for ts, x in prev if ts >= t - 60000000] + [amount]
        if len(recent) > 5:
            bursts += 1
            big_bursts += amount > 400000
        prev.append((t, amount))
    assert anomalies >= 10 and bursts >= 10 and big_bursts >= 3, (anomalies, bursts, big_bursts)


# ---- the tests ---------------------------------------------------------------------

def test_determinism():
    for args in (["ecommerce", "-n", "3000"], ["fraud", "-n", "2000"],
                 ["temperature", "-n", "500"], ["ecommerce", "-n", "500", "--schemas", "on"]):
        a, b = dump(*(args + ["--seed", "7"])), dump(*(args + ["--seed", "7"]))
        c = dump(*(args + ["--seed", "8"]))
        assert a == b and len(a.splitlines()) == int(args[2]), args
        assert a != c, args
    # --schemas on: the same key and envelope inside "payload", with the Connect schema.
    off = records_from_dump(dump("ecommerce", "-n", "3000"))
    on = records_from_dump(dump("ecommerce", "-n", "3000", "--schemas", "on"))
    for x, y in zip(off, on):
        assert y["key"]["payload"] == x["key"] and y["value"]["payload"] == x["value"]
        assert y["timestamp"] == x["timestamp"] and y["topic"] == x["topic"]
        table = x["topic"].rsplit(".", 1)[1]
        after = {f["field"]: f for f in y["value"]["schema"]["fields"]}["after"]
        assert after["name"] == "ecommerce.public.%s.Value" % table
        for f in after["fields"]:
            if f["field"] in ("price", "total_amount", "unit_price"):
                assert f["name"] == "org.apache.kafka.connect.data.Decimal"
                assert f["parameters"] == {"scale": "2", "connect.decimal.precision": "10"}
            if f["field"].endswith("_at"):
                assert f["name"] == "io.debezium.time.MicroTimestamp" and f["type"] == "int64"
    print("determinism: ok")


def test_dump_invariants():
    records = records_from_dump(dump("ecommerce", "-n", "20000", "--event-rate", "1"))
    check_keys_and_times(records)
    t = by_table(records)
    check_orders(t)
    check_stock(t)
    check_sessions(t)
    fraud = records_from_dump(dump("fraud", "-n", "5000"))
    check_keys_and_times(fraud)
    check_fraud(fraud)
    print("invariants (dump): ok")


def as_record(m):
    return {"topic": m.topic(), "key": json.loads(m.key()), "timestamp": m.timestamp()[1],
            "value": json.loads(m.value()), "offset": (m.partition(), m.offset())}


def test_broker(broker):
    bs = broker.bootstrap
    r = gen("ecommerce", "-n", "20000", "--event-rate", "1", "--bootstrap", bs)
    assert b"all acknowledged" in r.stderr, r.stderr
    expected = records_from_dump(dump("ecommerce", "-n", "20000", "--event-rate", "1"))
    got = []
    for table in ECOMMERCE:
        msgs = read_all(bs, "ecommerce.public." + table)
        got += [as_record(m) for m in msgs]
    assert len(got) == len(expected), (len(got), len(expected))
    # Per key, Kafka keeps the order; compare each key's sequence with the dump's.
    want = collections.defaultdict(list)
    for e in expected:
        want[(e["topic"], json.dumps(e["key"]))].append((e["timestamp"], e["value"]))
    have = collections.defaultdict(list)
    for g in sorted(got, key=lambda g: g["offset"]):
        have[(g["topic"], json.dumps(g["key"]))].append((g["timestamp"], g["value"]))
    assert have == want
    ordered = sorted(got, key=lambda g: (g["timestamp"], g["value"]["source"]["lsn"]))
    t = by_table(ordered)
    check_orders(t)
    check_stock(t)
    check_sessions(t)
    r = gen("fraud", "-n", "5000", "--bootstrap", bs)
    fraud = sorted((as_record(m) for m in read_all(bs, "ecommerce.public.transactions")),
                   key=lambda g: g["value"]["after"]["id"])
    assert len(fraud) == 5000
    check_keys_and_times(fraud)
    check_fraud(fraud)
    print("broker: ok")


def test_clock():
    """Event i is at start + i / event-rate; --duration counts event time; --rate paces."""
    import time
    recs = records_from_dump(dump("temperature", "--duration", "10m"))
    assert len(recs) == 6000, len(recs)               # 10 events/s of event time
    assert [r["timestamp"] for r in recs] == [START_MS + 100 * i for i in range(6000)]
    recs = records_from_dump(dump("fraud", "-n", "50", "-e", "4/s", "--start",
                                  "2024-02-29T23:59:59Z"))
    assert [r["timestamp"] for r in recs] == [1709251199000 + 250 * i for i in range(50)]
    t0 = time.monotonic()
    recs = records_from_dump(dump("temperature", "-n", "200", "--rate", "400/s"))
    assert time.monotonic() - t0 >= 0.45               # paced: 200 events at 400/s
    assert [r["timestamp"] for r in recs] == [START_MS + (i * 10) // 4 for i in range(200)]
    print("clock: ok")


def test_interrupt(broker):
    """SIGINT stops an unbounded run; what was produced is flushed and counted."""
    import re
    import signal
    bs = broker.bootstrap
    p = subprocess.Popen([EDDY, "gen", "temperature", "--rate", "2000/s", "-b", bs,
                          "--topic-prefix", "sigint"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        wait_until("records before SIGINT",
                   lambda: len(read_all(bs, "sigint.public.sensor_readings")) >= 200, 60)
    finally:
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=tmout(60))
    assert p.returncode == 0, err
    n = int(re.search(rb"done: (\d+) events", err).group(1))
    recs = read_all(bs, "sigint.public.sensor_readings")
    assert len(recs) == n and n >= 200, (len(recs), n)
    assert sorted(json.loads(m.key())["id"] for m in recs) == list(range(1, n + 1))
    print("interrupt: ok")


def test_undelivered():
    """Nothing listens on the bootstrap port: exit 1, naming the undelivered records."""
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    r = gen("temperature", "-n", "10", "--bootstrap", "127.0.0.1:%d" % port,
            "-X", "message.timeout.ms=1500", check=False)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert b"10 of 10 messages not delivered" in r.stderr, r.stderr
    r = gen("temperature", "--format", "avro", check=False)
    assert r.returncode == 2 and b"need --registry URL" in r.stderr, r.stderr
    print("undelivered: ok")


# ---- eddy reads what eddy gen writes -------------------------------------------------

ORDER_COLUMNS = ("schema (order_id int, user_id int, total_amount decimal(10,2), status string,"
                 " created_at timestamp, updated_at timestamp)")


def topology(app, topic, fmt, out):
    return ("app %s\nstream orders from \"%s\" format %s\n  %s\n\n"
            "orders\n"
            "  | where op == \"u\" and after.status in (\"completed\", \"cancelled\")\n"
            "  | select order_id = after.order_id, user_id = after.user_id,\n"
            "           amount = after.total_amount, status = after.status,\n"
            "           was = before.status, at = after.updated_at\n"
            "  | to kafka \"%s\" key order_id\n" % (app, topic, fmt, ORDER_COLUMNS, out))


def iso(us):
    import datetime
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
        datetime.timedelta(microseconds=us)
    return t


def expected_finals(records):
    """What the topology must write, computed here from the decoded events."""
    out = {}
    for r in records:
        v = r["value"]
        if r["topic"].endswith(".orders") and v["op"] == "u" and \
                v["after"]["status"] in ("completed", "cancelled"):
            a = v["after"]
            out[a["order_id"]] = (a["user_id"], dec(a["total_amount"]), a["status"],
                                  v["before"]["status"], iso(a["updated_at"]))
    return out


def decode_eddy_out(msgs):
    import datetime
    import decimal
    out = {}
    for m in msgs:
        v = json.loads(m.value(), parse_float=decimal.Decimal)
        assert m.key().decode() == str(v["order_id"])
        at = datetime.datetime.fromisoformat(v["at"].replace("Z", "+00:00"))
        cents = decimal.Decimal(v["amount"]) * 100
        assert cents == int(cents), v
        assert v["order_id"] not in out
        out[v["order_id"]] = (v["user_id"], int(cents), v["status"], v["was"], at)
    return out


def run_topologies(tmp, bs, registry, topologies, outputs):
    files = []
    for name, text in topologies:
        path = os.path.join(tmp, name + ".eddy")
        with open(path, "w") as f:
            f.write(text)
        files.append(path)
    args = [EDDY, "run"] + files + ["--bootstrap", bs, "-s", "state.dir=" + tmp,
                                    "-s", "commit.interval.ms=200", "--log-level", "warn"]
    if registry:
        args += ["--registry", registry]
    proc = Proc(args, "eddy-run")
    try:
        for topic, n in outputs:
            def enough(topic=topic, n=n):
                if proc.p.poll() is not None:
                    proc.fail("eddy run exited early")
                return len(read_all(bs, topic)) >= n
            wait_until("%d records in %s" % (n, topic), enough, 120)
    finally:
        proc.stop()
    return {topic: decode_eddy_out(read_all(bs, topic)) for topic, _ in outputs}


def test_eddy_reads(broker, tmp):
    """schemas off, schemas on and Avro: eddy decodes the same orders as this test."""
    bs = broker.bootstrap
    reg = start_registry(bs)
    try:
        args = ["ecommerce", "-n", "6000", "-e", "1", "--seed", "3", "--quiet"]
        gen(*(args + ["--bootstrap", bs, "--topic-prefix", "plain"]))
        gen(*(args + ["--bootstrap", bs, "--topic-prefix", "wrapped", "--schemas", "on"]))
        gen(*(args + ["--bootstrap", bs, "--topic-prefix", "binary", "--format", "avro",
                      "--key-format", "avro", "--registry", reg.url]))
        records = records_from_dump(dump(*args))
        want = expected_finals(records)
        assert len(want) > 50, len(want)
        outs = run_topologies(tmp, bs, reg.url, [
            ("plain", topology("gen_plain", "plain.public.orders", "debezium-json", "out.plain")),
            ("wrapped", topology("gen_wrapped", "wrapped.public.orders", "debezium-json",
                                 "out.wrapped")),
            ("binary", topology("gen_binary", "binary.public.orders", "debezium-avro",
                                "out.binary"))],
            [("out.plain", len(want)), ("out.wrapped", len(want)), ("out.binary", len(want))])
        for topic, got in outs.items():
            assert got == want, (topic, len(got), len(want))
        check_avro(bs, reg.url, records)
    finally:
        reg.stop()
    print("eddy reads generated events (schemas off, on, avro): ok")


def from_json_value(v, table):
    """The JSON envelope with decimals as Python Decimals, as Avro's reader gives them."""
    import decimal
    cols = {"products": ["price"], "orders": ["total_amount"], "order_items": ["unit_price"]}
    out = json.loads(json.dumps(v))
    for row in ("before", "after"):
        for c in cols.get(table, []):
            if out[row] is not None:
                out[row][c] = decimal.Decimal(dec(out[row][c])).scaleb(-2)
    for k in ("name", "db"):
        out["source"][k] = "binary"
    return out


def avro_decode(client, schemas, raw):
    """A Confluent wire-format datum, its writer schema fetched by id."""
    assert raw[0] == 0
    sid = struct.unpack(">I", raw[1:5])[0]
    if sid not in schemas:
        schemas[sid] = avro.schema.parse(client.get_schema(sid).schema_str)
    return avro.io.DatumReader(schemas[sid]).read(avro.io.BinaryDecoder(io.BytesIO(raw[5:])))


def check_avro(bs, url, records):
    client = SchemaRegistryClient({"url": url})
    schemas = {}
    for table in ECOMMERCE:
        topic = "binary.public." + table
        want = [r for r in records if r["topic"] == "ecommerce.public." + table]
        msgs = sorted(read_all(bs, topic), key=lambda m: (m.timestamp()[1], m.offset()))
        assert len(msgs) == len(want), (topic, len(msgs), len(want))
        got = collections.defaultdict(list)
        for m in msgs:
            v = avro_decode(client, schemas, m.value())
            assert m.timestamp()[1] == v["ts_ms"]
            got[json.dumps(avro_decode(client, schemas, m.key()), separators=(",", ":"))].append(v)
        exp = collections.defaultdict(list)
        for r in want:
            exp[json.dumps(r["key"], separators=(",", ":"))].append(from_json_value(r["value"],
                                                                                    table))
        assert got == exp, topic
        for subject in (topic + "-value", topic + "-key"):
            assert client.get_latest_version(subject).schema_id in schemas


def main():
    test_determinism()
    test_dump_invariants()
    test_clock()
    test_undelivered()
    broker = start_broker()
    try:
        test_broker(broker)
        test_interrupt(broker)
        with tempfile.TemporaryDirectory(prefix="eddy-gen-") as tmp:
            test_eddy_reads(broker, tmp)
    finally:
        broker.stop()
    print("ok")


if __name__ == "__main__":
    main()
