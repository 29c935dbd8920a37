#!/usr/bin/python3
"""Avro topologies end to end: `eddy broker`, `eddy registry`, `eddy run`.

Debezium-Avro change events are encoded here, outside eddy (Apache Avro's
Python DatumWriter, schemas registered with Confluent's Python client, the
Confluent wire format built by hand), and produced with confluent_kafka.
Every output eddy writes is checked against values computed here from the
input; eddy's Avro output is decoded with Python's DatumReader and the writer
schema fetched from the registry by the id in each record.

  pipeline  where + select -> to kafka format json, and -> to kafka format
            avro (subject `<topic>-value` registered); bad records (unknown
            schema id, bad magic bytes, JSON text, too short, truncated datum)
            go to the dead-letter topic with their reason, the good records
            around them are all processed.
  outage    the registry is stopped before eddy starts and records arrive
            while it is down (schema ids eddy has not seen); eddy holds them,
            the avro sink waits to register; the registry comes back on the
            same port; every record is then processed exactly once, nothing
            is dead-lettered.
"""
import datetime
import decimal
import http.client
import io
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import avro.io  # noqa: E402
import avro.schema  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient  # noqa: E402

from test_sr_harness import EDDY, Proc, start_broker, tmout, wait_until  # noqa: E402

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
PARTITIONS = 4

DECIMAL = {"type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
           "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
           "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"}
MICROS = {"type": "long", "connect.version": 1, "connect.name": "io.debezium.time.MicroTimestamp"}

VALUE = {"type": "record", "name": "Value", "fields": [
    {"name": "order_id", "type": "long"},
    {"name": "user_id", "type": "int"},
    {"name": "total_amount", "type": DECIMAL},
    {"name": "status", "type": ["null", "string"], "default": None},
    {"name": "payment_method", "type": ["null", "string"], "default": None},
    {"name": "updated_at", "type": MICROS},
], "connect.name": "shop.public.orders.Value"}

ENVELOPE = {"type": "record", "name": "Envelope", "namespace": "shop.public.orders", "fields": [
    {"name": "before", "type": ["null", VALUE], "default": None},
    {"name": "after", "type": ["null", "Value"], "default": None},
    {"name": "source", "type": {"type": "record", "name": "Source",
                                "namespace": "io.debezium.connector.postgresql", "fields": [
                                    {"name": "db", "type": "string"},
                                    {"name": "table", "type": "string"},
                                    {"name": "lsn", "type": ["null", "long"], "default": None}]}},
    {"name": "op", "type": "string"},
    {"name": "ts_ms", "type": ["null", "long"], "default": None},
], "connect.name": "shop.public.orders.Envelope"}

STATUSES = ["pending", "processing", "completed", "cancelled"]

SCHEMA_COLUMNS = ("schema (order_id int, user_id int, total_amount decimal(10,2), "
                  "status string, updated_at timestamp)")


def pipeline_topology(app, topic, json_out, avro_out):
    text = "app %s\nstream orders from \"%s\" format debezium-avro\n  %s\n\n" % (
        app, topic, SCHEMA_COLUMNS)
    if json_out:
        text += ("orders\n"
                 "  | where after.status == \"completed\" and op == \"u\"\n"
                 "  | select order_id = after.order_id, user_id = after.user_id,\n"
                 "           amount = after.total_amount, at = after.updated_at\n"
                 "  | to kafka \"%s\" key order_id\n\n" % json_out)
    if avro_out:
        text += ("orders\n"
                 "  | where after.total_amount > 100\n"
                 "  | select order_id = after.order_id, amount = after.total_amount,\n"
                 "           status = after.status, doubled = after.total_amount * 2\n"
                 "  | to kafka \"%s\" format avro key order_id\n" % avro_out)
    return text


# ---- input events, and what eddy must make of them ----------------------------------

def event(i):
    """Order event i: deterministic, varied (creates and updates, negative totals)."""
    x = (i * 2654435761) % 4294967296
    cents = x % 150000 - (15000 if x % 11 == 0 else 0)
    after = {"order_id": 1000 + i, "user_id": x % 37,
             "total_amount": decimal.Decimal(cents).scaleb(-2),
             "status": STATUSES[(x >> 8) % 4],
             "payment_method": "card" if i % 2 else None,
             "updated_at": 1710066896000000 + i * 1000003}
    op = "c" if i % 5 == 0 else "u"
    before = None
    if op == "u":
        before = dict(after, status=STATUSES[(x >> 12) % 4], updated_at=after["updated_at"] - 7)
    return {"before": before, "after": after,
            "source": {"db": "shop", "table": "orders", "lsn": 5000 + i},
            "op": op, "ts_ms": 1710066896000 + i}


def as_datetime(us):
    return EPOCH + datetime.timedelta(microseconds=us)


def expected_json(events):
    out = []
    for e in events:
        a = e["after"]
        if a["status"] == "completed" and e["op"] == "u":
            out.append((str(a["order_id"]), (a["order_id"], a["user_id"], a["total_amount"],
                                             as_datetime(a["updated_at"]))))
    return sorted(out)


def expected_avro(events):
    out = []
    for e in events:
        a = e["after"]
        if a["total_amount"] > 100:
            out.append((str(a["order_id"]), (a["order_id"], a["total_amount"], a["status"],
                                             a["total_amount"] * 2)))
    return sorted(out)


def datum(schema, obj):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(obj, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def wire(schema_id, payload):
    return b"\x00" + struct.pack(">I", schema_id) + payload


# ---- Kafka helpers -----------------------------------------------------------------

def produce(bootstrap, topic, records):
    """records: (partition, key, value); returns the offset of each, in order."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    offsets = [None] * len(records)

    def report(idx):
        def cb(err, msg):
            assert err is None, err
            offsets[idx] = msg.offset()
        return cb

    for idx, (part, key, value) in enumerate(records):
        p.produce(topic, value=value, key=key, partition=part, on_delivery=report(idx))
        p.poll(0)
    assert p.flush(tmout(30)) == 0, "undelivered records"
    return offsets


def read_all(bootstrap, topic):
    """Every record of \\p topic up to its current end (no topic: none)."""
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
        wait_until("reading %s" % topic, lambda: drain(c, ends, left, out) or not left, 30)
        return out
    finally:
        c.close()


def drain(c, ends, left, out):
    for m in c.consume(500, 0.2):
        if m.error() is not None:
            continue
        out.append(m)
        if m.offset() + 1 >= ends[m.partition()]:
            left.discard(m.partition())
    return False


# ---- eddy's outputs, decoded independently -----------------------------------------

def decode_json_out(msgs):
    out = []
    for m in msgs:
        v = json.loads(m.value(), parse_float=decimal.Decimal, parse_int=int)
        at = datetime.datetime.fromisoformat(v["at"].replace("Z", "+00:00"))
        out.append((m.key().decode(), (v["order_id"], v["user_id"],
                                       decimal.Decimal(v["amount"]), at)))
    return sorted(out)


def decode_avro_out(msgs, client, schemas):
    out = []
    for m in msgs:
        raw = m.value()
        assert raw[0] == 0 and len(raw) > 5, raw
        sid = struct.unpack(">I", raw[1:5])[0]
        if sid not in schemas:
            schemas[sid] = avro.schema.parse(client.get_schema(sid).schema_str)
        v = avro.io.DatumReader(schemas[sid]).read(avro.io.BinaryDecoder(io.BytesIO(raw[5:])))
        out.append((m.key().decode(), (v["order_id"], v["amount"], v["status"], v["doubled"])))
    return sorted(out)


def avro_ids(msgs):
    return {struct.unpack(">I", m.value()[1:5])[0] for m in msgs}


def header(m, name):
    for k, v in m.headers() or []:
        if k == name:
            return v.decode()
    return None


# ---- processes ---------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_registry_on(bootstrap, port):
    r = Proc([EDDY, "registry", "--bootstrap", bootstrap, "--listen", "127.0.0.1:%d" % port,
              "--log-level", "warn"], "registry")
    r.url = r.read_value("listening", 60)
    return r


def start_eddy(tmp, bootstrap, url, topologies, *extra):
    files = []
    for name, text in topologies:
        path = os.path.join(tmp, name + ".eddy")
        with open(path, "w") as f:
            f.write(text)
        files.append(path)
    args = [EDDY, "run"] + files + ["--bootstrap", bootstrap, "--registry", url,
                                    "--threads", "2",   # two threads share one registry client
                                    "-s", "state.dir=" + os.path.join(tmp, "state"),
                                    "-s", "commit.interval.ms=200",
                                    "-s", "schema.registry.retry.backoff.ms=50",
                                    "-s", "schema.registry.retry.backoff.max.ms=800",
                                    "-s", "schema.registry.timeout.ms=2000"] + list(extra)
    return Proc(args, "eddy-run")


def status(port):
    """GET /status of eddy's metrics endpoint, by application id."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=tmout(10))
    conn.request("GET", "/status")
    body = json.loads(conn.getresponse().read())
    conn.close()
    return {a["app"]: a for a in body["apps"]}


def wait_count(bootstrap, topic, n, proc, timeout=90):
    def enough():
        if proc.p.poll() is not None:
            proc.fail("eddy run exited early")
        return len(read_all(bootstrap, topic)) >= n
    wait_until("%d records in %s" % (n, topic), enough, timeout)


# ---- the tests ---------------------------------------------------------------------

def test_pipeline(broker, tmp):
    bs = broker.bootstrap
    reg = start_registry_on(bs, free_port())
    try:
        client = SchemaRegistryClient({"url": reg.url})
        schema = avro.schema.parse(json.dumps(ENVELOPE))
        sid = client.register_schema("orders-value", Schema(json.dumps(ENVELOPE), "AVRO"))
        assert sid != 9999
        events = [event(i) for i in range(400)]
        records = [(i % PARTITIONS, str(e["after"]["order_id"]).encode(),
                    wire(sid, datum(schema, e))) for i, e in enumerate(events)]
        good = datum(schema, event(7))
        bad = [(wire(9999, good), "unknown Avro schema id 9999"),
               (b"\x01" + wire(sid, good)[1:], "bad magic byte 0x01"),
               (b'{"before":null,"after":{"order_id":1}}', "bad magic byte 0x7b"),
               (b"\x00\x00\x01", "truncated record: 3 bytes"),
               (wire(sid, good)[:-4], "truncated Avro datum")]
        # the bad records sit among the good ones of partition 1
        for k, (value, _) in enumerate(bad):
            records.insert(41 + 40 * k, (1, b"bad", value))
        offsets = produce(bs, "orders", records)
        bad_offsets = [offsets[i] for i, r in enumerate(records) if r[1] == b"bad"]

        proc = start_eddy(tmp, bs, reg.url,
                          [("pipeline", pipeline_topology("avro_itest", "orders",
                                                          "completed_json", "big_avro"))])
        want_json, want_avro = expected_json(events), expected_avro(events)
        assert len(want_json) > 20 and len(want_avro) > 100, (len(want_json), len(want_avro))
        wait_count(bs, "completed_json", len(want_json), proc)
        wait_count(bs, "big_avro", len(want_avro), proc)
        wait_count(bs, "avro_itest-dlq", len(bad), proc)
        proc.stop()

        got_json = decode_json_out(read_all(bs, "completed_json"))
        assert got_json == want_json, "json output differs: %d vs %d records" % (
            len(got_json), len(want_json))
        avro_msgs = read_all(bs, "big_avro")
        got_avro = decode_avro_out(avro_msgs, client, {})
        assert got_avro == want_avro, "avro output differs: %d vs %d records" % (
            len(got_avro), len(want_avro))
        # the subject got registered, and that is the id eddy wrote
        registered = client.get_latest_version("big_avro-value")
        assert avro_ids(avro_msgs) == {registered.schema_id}, (avro_ids(avro_msgs),
                                                               registered.schema_id)
        fields = {f["name"]: f["type"] for f in json.loads(registered.schema.schema_str)["fields"]}
        assert fields["amount"] == ["null", {"type": "bytes", "logicalType": "decimal",
                                             "precision": 10, "scale": 2}], fields["amount"]

        dlq = sorted(read_all(bs, "avro_itest-dlq"), key=lambda m: m.offset())
        assert len(dlq) == len(bad), [header(m, "eddy.error.reason") for m in dlq]
        by_offset = {int(header(m, "eddy.source.offset")): m for m in dlq}
        for (value, reason), off in zip(bad, bad_offsets):
            m = by_offset[off]
            assert header(m, "eddy.source.topic") == "orders"
            assert header(m, "eddy.source.partition") == "1"
            assert header(m, "eddy.error.code") == "EDECODE", header(m, "eddy.error.code")
            assert reason in header(m, "eddy.error.reason"), (reason,
                                                              header(m, "eddy.error.reason"))
            assert m.value() == value
    finally:
        reg.stop()


def test_outage(broker, tmp):
    bs = broker.bootstrap
    port = free_port()
    reg = start_registry_on(bs, port)
    url = reg.url
    client = SchemaRegistryClient({"url": url})
    # a schema no eddy process has seen: another record name
    envelope = dict(ENVELOPE, namespace="shop.public.orders2")
    schema = avro.schema.parse(json.dumps(envelope))
    sid = client.register_schema("orders2-value", Schema(json.dumps(envelope), "AVRO"))
    events = [event(i) for i in range(1000, 1300)]

    def records(evs):
        return [(i % PARTITIONS, str(e["after"]["order_id"]).encode(), wire(sid, datum(schema, e)))
                for i, e in enumerate(evs)]

    produce(bs, "orders2", records(events[:150]))
    reg.stop()                               # down before eddy starts
    reg = None
    metrics_port = free_port()
    proc = start_eddy(tmp, bs, url, [
        ("outage_json", pipeline_topology("avro_outage", "orders2", "outage_json", None)),
        ("outage_avro", pipeline_topology("avro_outage_sink", "orders2", None, "outage_avro"))],
        "--metrics", "127.0.0.1:%d" % metrics_port)
    try:
        wait_until("eddy holding records", lambda: "the record is kept" in proc.stderr(), 60)
        wait_until("the avro sink waiting to register",
                   lambda: "cannot register the output schema" in proc.stderr(), 60)
        produce(bs, "orders2", records(events[150:]))   # more records during the outage
        # four partitions held, four rounds of retries (the backoff grows to its cap)
        wait_until("retry rounds", lambda: proc.stderr().count("the record is kept") >= 16, 60)
        assert read_all(bs, "outage_json") == []
        holds = proc.stderr().count("the record is kept")
        waits = status(metrics_port)["avro_outage"]["registry_waits"]
        assert waits >= 16 and waits >= holds - 1, (waits, holds)
        assert status(metrics_port)["avro_outage"]["records_in"] == 0
        reg = start_registry_on(bs, port)     # back, same address, same _schemas topic
        want_json, want_avro = expected_json(events), expected_avro(events)
        wait_count(bs, "outage_json", len(want_json), proc)
        wait_count(bs, "outage_avro", len(want_avro), proc)
        proc.stop()
        assert decode_json_out(read_all(bs, "outage_json")) == want_json
        assert decode_avro_out(read_all(bs, "outage_avro"), client, {}) == want_avro
        assert read_all(bs, "avro_outage-dlq") == []
        assert read_all(bs, "avro_outage_sink-dlq") == []
    except BaseException:
        if proc.p.poll() is None:
            proc.p.kill()
        raise
    finally:
        if reg is not None:
            reg.stop(check=False)


def test_no_registry(broker, tmp):
    """An Avro topology without a registry URL does not start, and says why."""
    path = os.path.join(tmp, "t.eddy")
    with open(path, "w") as f:
        f.write(pipeline_topology("avro_noreg", "orders", None, "x_out"))
    r = subprocess.run([EDDY, "run", path, "--bootstrap", broker.bootstrap],
                       capture_output=True, text=True, timeout=tmout(60))
    assert r.returncode != 0, r
    assert "source 'orders' uses Avro, which needs a Schema Registry: set schema.registry.url" \
        in r.stderr, r.stderr


def test_incompatible(broker, tmp):
    """A subject whose rule rejects eddy's output schema stops eddy with the reason."""
    reg = start_registry_on(broker.bootstrap, free_port())
    try:
        client = SchemaRegistryClient({"url": reg.url})
        # eddy's record has order_id ["null","long"]: it cannot read this version's strings
        old = {"type": "record", "name": "clash_out", "namespace": "eddy",
               "fields": [{"name": "order_id", "type": "string"}]}
        client.register_schema("clash_out-value", Schema(json.dumps(old), "AVRO"))
        path = os.path.join(tmp, "t.eddy")
        with open(path, "w") as f:
            f.write(pipeline_topology("avro_clash", "orders", None, "clash_out"))
        r = subprocess.run([EDDY, "run", path, "--bootstrap", broker.bootstrap,
                            "--registry", reg.url], capture_output=True, text=True,
                           timeout=tmout(60))
        assert r.returncode != 0, r
        assert "cannot register the output schema under subject 'clash_out-value'" in r.stderr, \
            r.stderr
        assert "HTTP 409" in r.stderr and "MISSING_UNION_BRANCH" in r.stderr, r.stderr
        assert client.get_versions("clash_out-value") == [1]
    finally:
        reg.stop()


def main():
    broker = start_broker()
    passed = 0
    try:
        for test in (test_no_registry, test_incompatible, test_pipeline, test_outage):
            with tempfile.TemporaryDirectory(prefix="eddy-avro-") as tmp:
                test(broker, tmp)
            passed += 1
            print("ok", test.__name__, flush=True)
    finally:
        broker.stop(check=False)
    print("%d passed, 0 failed" % passed)


if __name__ == "__main__":
    main()
