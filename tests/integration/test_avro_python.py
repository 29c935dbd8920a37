#!/usr/bin/python3
"""Avro interoperability between eddy and independent clients.

Run directly (as ctest does): start `eddy registry --embedded`, then run the
C driver tests/integration/test_avro_interop.c against it, which calls back
into this file:

  produce URL OUT   register Debezium-Avro schemas (two versions of the
                    orders envelope, and one more subject) with Confluent's
                    Python SchemaRegistryClient, write change events with
                    Apache Avro's Python DatumWriter in the Confluent wire
                    format (b"\\x00" + id + datum), and write one JSON line
                    per case to OUT: the record's hex and the column values
                    eddy must decode, computed here.
  consume URL IN    read records eddy's encoder wrote (JSON lines: hex and the
                    values eddy meant), fetch their writer schema by id from
                    the registry, decode them with Python's DatumReader and
                    compare.
"""
import datetime
import decimal
import io
import json
import os
import struct
import subprocess
import sys

import avro.io
import avro.schema
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def micros(dt):
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


# ---- Debezium-Avro schemas, as the AvroConverter registers them -----------------------

DECIMAL = {"type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
           "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
           "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"}


def connect(avro_type, name):
    return {"type": avro_type, "connect.version": 1, "connect.name": name}


def optional(t):
    return {"type": ["null", t], "default": None}


def field(name, t):
    return dict({"name": name}, **(t if "default" in t else {"type": t}))


VALUE_V1 = {"type": "record", "name": "Value", "fields": [
    field("id", "long"),
    field("user_id", "int"),
    field("amount", DECIMAL),
    field("status", optional("string")),
    field("created_at", connect("long", "io.debezium.time.MicroTimestamp")),
    field("updated_ts", optional(connect("string", "io.debezium.time.ZonedTimestamp"))),
    field("ship_date", optional(connect("int", "io.debezium.time.Date"))),
    field("weight", optional("double")),
    field("paid", optional("boolean")),
], "connect.name": "shop.public.orders.Value"}

# v2: user_id widened, weight and paid dropped, discount added, order changed
VALUE_V2 = {"type": "record", "name": "Value", "fields": [
    field("status", optional("string")),
    field("id", "long"),
    field("discount", optional(DECIMAL)),
    field("amount", DECIMAL),
    field("user_id", "long"),
    field("created_at", connect("long", "io.debezium.time.MicroTimestamp")),
    field("updated_ts", optional(connect("string", "io.debezium.time.ZonedTimestamp"))),
    field("ship_date", optional(connect("int", "io.debezium.time.Date"))),
], "connect.name": "shop.public.orders.Value"}

SOURCE = {"type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql",
          "fields": [field("version", "string"), field("connector", "string"),
                     field("name", "string"), field("ts_ms", "long"),
                     {"name": "snapshot", "type": [connect("string", "io.debezium.data.Enum"),
                                                   "null"], "default": "false"},
                     field("db", "string"), field("schema", "string"), field("table", "string"),
                     field("txId", optional("long")), field("lsn", optional("long"))],
          "connect.name": "io.debezium.connector.postgresql.Source"}


def envelope(value, namespace="shop.public.orders"):
    return {"type": "record", "name": "Envelope", "namespace": namespace, "fields": [
        {"name": "before", "type": ["null", value], "default": None},
        {"name": "after", "type": ["null", "Value"], "default": None},
        field("source", SOURCE),
        field("op", "string"),
        field("ts_ms", optional("long")),
    ], "connect.name": namespace + ".Envelope"}


# The columns the C driver decodes, in its layout order.
COLUMNS = ["op", "ts_ms", "after.id", "after.user_id", "after.amount", "after.status",
           "after.created_at", "after.updated_ts", "after.ship_date", "after.discount",
           "after.weight", "after.paid", "before.id", "before.status", "source.table",
           "source.lsn"]


def source(table, lsn):
    return {"version": "2.5.0.Final", "connector": "postgresql", "name": "shop",
            "ts_ms": 1710066896000, "snapshot": "false", "db": "shop", "schema": "public",
            "table": table, "txId": 556, "lsn": lsn}


def row(i, status, v2=False):
    r = {"id": 1000 + i, "user_id": 40 + i,
         "amount": decimal.Decimal(i * 1237 - 2000).scaleb(-2),
         "status": status,
         "created_at": micros(datetime.datetime(2024, 3, 10, 10, 0, i, 123456, tzinfo=UTC)),
         "updated_ts": "2024-03-10T12:%02d:56.789+02:00" % i if i % 2 else None,
         "ship_date": 19792 + i}
    if v2:
        r["discount"] = decimal.Decimal("-0.05") if i % 2 else None
    else:
        r["weight"] = 0.5 * i
        r["paid"] = bool(i % 2)
    return r


def text(v):
    """The canonical text the C driver compares against (None: null)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def expected(op, before, after, table, lsn):
    e = {"op": op, "ts_ms": str(1710066896801 * 1000), "source.table": table,
         "source.lsn": str(lsn)}
    for prefix, r in (("after", after), ("before", before)):
        r = r or {}
        for col in COLUMNS:
            if not col.startswith(prefix + "."):
                continue
            name = col[len(prefix) + 1:]
            v = r.get(name)
            if v is not None and name == "created_at":
                v = v  # MicroTimestamp: already microseconds
            elif v is not None and name == "updated_ts":
                v = micros(datetime.datetime.fromisoformat(v))
            elif v is not None and name == "ship_date":
                v = micros(EPOCH + datetime.timedelta(days=v))
            e[col] = text(v)
    return {c: e.get(c) for c in COLUMNS}


def datum(schema, obj):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(obj, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def wire(schema_id, payload):
    return struct.pack(">bI", 0, schema_id) + payload


def produce(url, out_path):
    client = SchemaRegistryClient({"url": url})
    subject = "shop.public.orders-value"
    versions = {}
    for tag, value in (("v1", VALUE_V1), ("v2", VALUE_V2)):
        text_ = json.dumps(envelope(value))
        sid = client.register_schema(subject, Schema(text_, "AVRO"))
        versions[tag] = (sid, avro.schema.parse(text_))
    other_text = json.dumps(envelope(VALUE_V1, "shop.public.refunds"))
    other_id = client.register_schema("shop.public.refunds-value", Schema(other_text, "AVRO"))
    other = avro.schema.parse(other_text)
    cases = []

    def add(name, schema_id, schema, op, before, after, table="orders", lsn=24023184, **extra):
        obj = {"before": before, "after": after, "source": source(table, lsn), "op": op,
               "ts_ms": 1710066896801}
        raw = wire(schema_id, datum(schema, obj))
        case = {"name": name, "hex": raw.hex(), "expect": expected(op, before, after, table, lsn)}
        case.update(extra)
        cases.append(case)
        return raw

    sid1, s1 = versions["v1"]
    sid2, s2 = versions["v2"]
    add("v1 create", sid1, s1, "c", None, row(1, "pending"))
    add("v1 update", sid1, s1, "u", row(2, "pending"), row(2, "completed"))
    good = add("v1 delete", sid1, s1, "d", row(3, None), None)
    cases.append({"name": "tombstone", "hex": "", "tombstone": True})
    add("v2 create", sid2, s2, "c", None, row(4, "pending", v2=True))
    add("v2 update", sid2, s2, "u", row(5, "pending", v2=True), row(5, "shipped", v2=True))
    add("v1 again", sid1, s1, "r", None, row(6, "completed"))
    add("other subject", other_id, other, "c", None, row(7, "refunded"), table="refunds",
        outage=True)
    unknown = max(sid1, sid2, other_id) + 1000
    cases.append({"name": "unknown id", "hex": wire(unknown, good[5:]).hex(),
                  "error": "unknown Avro schema id %d" % unknown})
    cases.append({"name": "bad magic", "hex": (b"\x01" + good[1:]).hex(),
                  "error": "bad magic byte 0x01"})
    cases.append({"name": "truncated", "hex": good[:len(good) // 2].hex(),
                  "error": "truncated Avro datum"})
    cases.append({"name": "json on an avro topic", "hex": b'{"op":"c"}'.hex(),
                  "error": "bad magic byte 0x7b"})
    with open(out_path, "w") as f:
        for c in cases:
            f.write(json.dumps(c) + "\n")


# ---- reading what eddy wrote --------------------------------------------------------

def normalize(v):
    """Python avro's values in the JSON shapes the C driver wrote."""
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        return micros(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize(x) for x in v]
    return v


def consume(url, in_path):
    client = SchemaRegistryClient({"url": url})
    latest = client.get_latest_version("eddy.out-value")
    schemas = {}
    n = 0
    with open(in_path) as f:
        for line in f:
            case = json.loads(line)
            raw = bytes.fromhex(case["hex"])
            magic, sid = struct.unpack(">bI", raw[:5])
            assert magic == 0, magic
            assert sid == latest.schema_id, (sid, latest.schema_id)
            if sid not in schemas:
                schemas[sid] = avro.schema.parse(client.get_schema(sid).schema_str)
            dec = avro.io.BinaryDecoder(io.BytesIO(raw[5:]))
            got = normalize(avro.io.DatumReader(schemas[sid]).read(dec))
            assert dec.reader.read() == b"", "bytes left after the datum"
            assert got == case["expect"], "record %d:\n  got      %r\n  expected %r" % (
                n, got, case["expect"])
            n += 1
    assert n > 0
    print("python read %d records eddy wrote" % n)


# ---- the driver -----------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import test_sr_harness as h
    build = os.environ.get("EDDY_BUILD_DIR", ".")
    driver = os.path.join(build, "integration_test_avro_interop")
    reg = h.Proc([h.EDDY, "registry", "--embedded", "--listen", "127.0.0.1:0", "--log-level",
                  "warn"], "registry")
    try:
        url = reg.read_value("listening", 60)
        env = dict(os.environ, EDDY_AVRO_REGISTRY_URL=url)
        res = subprocess.run([driver], env=env, timeout=h.tmout(600))
        assert res.returncode == 0, "the C driver failed (exit %d)" % res.returncode
    finally:
        reg.stop()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "consume":
        consume(sys.argv[2], sys.argv[3])
    else:
        main()
