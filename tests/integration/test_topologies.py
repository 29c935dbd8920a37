#!/usr/bin/python3
"""The shipped topologies end to end, on generated data.

`eddy broker` (the embedded cluster), `eddy gen` for the ecommerce, fraud
and temperature data sets, then `eddy run` with every topology of
topologies/ that the runtime executes. The generated change events are read
back from Kafka with confluent_kafka and decoded here; what each topology
must produce is computed from them by topology_reference.py (written from
DESIGN.md §7 and the seed agents' logic, not from eddy's code), and compared
with what eddy wrote to its Kafka topics and to the PostgreSQL analytics
tables of sql/analytics.sql (a throwaway cluster started by scripts/pg.sh).
"""
import datetime
import subprocess
from subprocess import Popen
import decimal
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import psycopg2  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402

import topology_reference as ref  # noqa: E402
from test_sr_harness import EDDY, Proc, tmout  # noqa: E402

SRC = os.environ.get("EDDY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
TOPOLOGIES = ["inventory_alerts", "fraud_anomaly", "fraud_velocity", "revenue", "sessions",
              "temperature"]
ECOMMERCE = ["users", "products", "orders", "order_items", "user_events"]
MINUTE = ref.MINUTE


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(args):
    import subprocess
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(args), p.returncode, p.stderr))
    return p


def consume(bootstrap, topic, decode=None):
    """Every message of `topic`, in (partition, offset) order."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "check-%s-%f" % (topic, time.time()),
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    meta = c.list_topics(topic, timeout=10).topics[topic]
    if meta.error is not None:
        c.close()
        return []
    parts = sorted(meta.partitions)
    ends = {}
    for p in parts:
        _, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        ends[p] = hi
    c.assign([TopicPartition(topic, p, 0) for p in parts if ends[p] > 0])
    out, left = [], {p for p in parts if ends[p] > 0}
    deadline = time.monotonic() + tmout(60)
    while left and time.monotonic() < deadline:
        for m in c.consume(500, timeout=0.5):
            if m.error():
                continue
            out.append(m if decode is None else decode(m))
            if m.offset() + 1 >= ends[m.partition()]:
                left.discard(m.partition())
    c.close()
    if left:
        raise AssertionError("could not read %s to its end" % topic)
    return out


def source_events(bootstrap, topic):
    def decode(m):
        key = m.key().decode() if m.key() is not None else None
        return ref.decode_event(topic, m.partition(), m.offset(), key, m.timestamp()[1],
                                m.value())
    return [e for e in consume(bootstrap, topic, decode) if e is not None]


def output_rows(bootstrap, topic):
    rows = []
    for m in consume(bootstrap, topic):
        if m.value() is not None:
            rows.append(json.loads(m.value(), parse_float=decimal.Decimal))
    return rows


def micros(iso):
    t = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=5) as r:
        return {a["app"]: a for a in json.load(r)["apps"]}


def wait_ready(port, engine):
    deadline = time.monotonic() + tmout(60)
    while time.monotonic() < deadline:
        if engine.p.poll() is not None:
            engine.fail("eddy run exited")
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/ready" % port, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    engine.fail("not ready after 60 s")


def wait_idle(port, engine):
    """Until every application has consumed everything (lag 0) and its input
    count has not moved for a few seconds."""
    deadline = time.monotonic() + tmout(240)
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        if engine.p.poll() is not None:
            engine.fail("eddy run exited")
        try:
            apps = status(port)
        except OSError:
            time.sleep(0.5)
            continue
        now = tuple((a, s["records_in"], s["lag"]) for a, s in sorted(apps.items()))
        if now != last:
            last, since = now, time.monotonic()
        elif all(s["lag"] == 0 for s in apps.values()) and time.monotonic() - since > 3:
            return apps
        time.sleep(0.5)
    engine.fail("the applications did not settle: %s" % (last,))


def check_inventory(events, rows):
    want = ref.inventory_alerts(events)
    got = {}
    for r in rows:
        k = (r["product_id"], micros(r["created_at"]))
        assert k not in got, "duplicate inventory alert %s" % (k,)
        got[k] = (r["alert_level"], r["current_stock"], r["product_name"])
    assert got == want, "inventory alerts differ: missing %s, extra %s" % (
        sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5])
    levels = {v[0] for v in want.values()}
    assert levels == {"low", "critical", "out_of_stock"}, levels
    return len(want)


def check_fraud(events, rows):
    txs = ref.new_transactions(events)
    want = {("anomaly", t): None for t in ref.fraud_anomaly(txs)}
    want.update({("velocity", t): s for t, s in ref.fraud_velocity(txs).items()})
    got = {}
    for r in rows:
        k = (r["alert_type"], r["transaction_id"])
        assert k not in got, "duplicate fraud alert %s" % (k,)
        got[k] = r["score"]
    assert got == want, "fraud alerts differ: missing %s, extra %s" % (
        sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5])
    kinds = {k[0] for k in want}
    assert kinds == {"anomaly", "velocity"}, kinds
    return len(want)


def check_revenue(orders, items, products, rows):
    got = {}
    for r in rows:
        k = (r["period"], micros(r["window_start"]))
        assert k not in got, "window %s emitted twice" % (k,)
        got[k] = (r["total_revenue"], r["order_count"], r["avg_order_value"], r["top_category"])
    want = {}
    for period, size in (("5m", 5 * MINUTE), ("1h", 60 * MINUTE)):
        for start, v in ref.revenue(orders, items, products, size, 5 * MINUTE).items():
            want[(period, start)] = v
    assert got == want, "revenue windows differ:\n want %s\n got  %s" % (
        sorted(want.items())[:3], sorted(got.items())[:3])
    assert any(k[0] == "1h" for k in want) and sum(k[0] == "5m" for k in want) >= 5, want.keys()
    return len(want)


def want_sessions(src):
    """{(user_id, session_start): (session_end, page_views, orders_placed, total_spent)}."""
    return ref.sessions(src["user_events"], src["orders"], 30 * MINUTE)


def check_sessions(src, msgs):
    """user.sessions under emit changes: replaying its updates and retractions
    (tombstones) per record key leaves exactly the reference's sessions."""
    live, retractions = {}, 0
    for m in msgs:
        if m.value() is None:
            retractions += 1
            live.pop(m.key(), None)
        else:
            live[m.key()] = json.loads(m.value(), parse_float=decimal.Decimal)
    got = {}
    for r in live.values():
        k = (r["user_id"], micros(r["session_start"]))
        assert k not in got, "two live sessions start at %s" % (k,)
        assert r["last_activity"] == r["session_end"], r
        got[k] = (micros(r["session_end"]), r["page_views"], r["orders_placed"], r["total_spent"])
    want = want_sessions(src)
    assert got == want, "sessions differ: missing %s, extra %s, wrong %s" % (
        sorted(set(want) - set(got))[:3], sorted(set(got) - set(want))[:3],
        [(k, want[k], got[k]) for k in sorted(set(want) & set(got)) if want[k] != got[k]][:3])
    assert retractions > 0, "no session was ever replaced: the data has no merges"
    return len(want), retractions


def check_temperature(events, rows):
    last = {}
    for r in rows:   # emit changes: a window's last row is its current value
        last[(r["sensor_id"], micros(r["window_start"]))] = (r["avg_temperature"], r["readings"])
    want = {}
    for k, (avg, n) in ref.temperature_averages(events).items():
        want[k] = (avg.quantize(decimal.Decimal("0.000001"), rounding=decimal.ROUND_HALF_UP), n)
    assert last == want, "temperature averages differ: %s" % (
        sorted((k, want.get(k), last.get(k)) for k in set(want) ^ set(last)
               or [k for k in want if want[k] != last.get(k)])[:5],)
    return len(want)


def internal_topics(path, partitions):
    """The repartition, changelog and PostgreSQL-sink topics `eddy describe` names, as
    name:partitions: the embedded broker has no CreateTopics, so they are made with it."""
    out = []
    for line in run([EDDY, "describe", path]).stdout.splitlines():
        line = line.strip()
        if line.startswith(("repartition:", "changelogs:")):
            out += ["%s:%d" % (t, partitions) for t in line.split(":", 1)[1].split()]
        elif line.startswith("output:"):
            out += ["%s:%d" % (t, partitions) for t in line.split(":", 1)[1].split()
                    if ".to-postgres-" in t]
    return out


def pg_rows(url, sql):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def wait_pg(url, table, want, engine):
    """Until the sink has written `want` rows to `table` (and none moves for a second)."""
    deadline = time.monotonic() + tmout(300)
    last = None
    while time.monotonic() < deadline:
        if engine.p.poll() is not None:
            engine.fail("eddy run exited")
        n = pg_rows(url, "SELECT count(*) FROM %s" % table)[0][0]
        if n == want and n == last:
            return
        last = n
        time.sleep(1)
    # where each sink stands, to tell a sink that stopped reading from rows never produced
    offsets = pg_rows(url, "SELECT app, topic, partition, next_offset FROM eddy_sink_offsets "
                           "ORDER BY 1, 2, 3")
    engine.fail("%s has %s rows, expected %d; sink offsets %s" % (table, last, want, offsets))


def micros_of(t):
    delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def check_postgres(url, engine, src, readings):
    """The analytics tables hold exactly the reference rows."""
    cent = decimal.Decimal("0.01")
    want = {(k[0], k[1]): (v[0], v[1], v[2]) for k, v in ref.inventory_alerts(src["products"]).items()}
    wait_pg(url, "inventory_alerts", len(want), engine)
    got = {(r[0], micros_of(r[1])): (r[2], r[3], r[4]) for r in pg_rows(
        url, "SELECT product_id, created_at, alert_level, current_stock, product_name "
             "FROM inventory_alerts")}
    assert got == want, "inventory_alerts differs from the reference"
    txs = ref.new_transactions(src["transactions"])
    want = {(t, "anomaly"): None for t in ref.fraud_anomaly(txs)}
    want.update({(t, "velocity"): s for t, s in ref.fraud_velocity(txs).items()})
    wait_pg(url, "fraud_alerts", len(want), engine)
    got = {(r[0], r[1]): r[2] for r in pg_rows(
        url, "SELECT transaction_id, alert_type, score FROM fraud_alerts")}
    assert got == want, "fraud_alerts differs from the reference"
    want = {}
    for period, size in (("5m", 5 * MINUTE), ("1h", 60 * MINUTE)):
        for start, (total, n, avg, top) in ref.revenue(src["orders"], src["order_items"],
                                                     src["products"], size, 5 * MINUTE).items():
            want[(period, start)] = (total, n, avg.quantize(cent, decimal.ROUND_HALF_UP), top)
    wait_pg(url, "revenue_analytics", len(want), engine)
    got = {(r[0], micros_of(r[1])): tuple(r[2:]) for r in pg_rows(
        url, "SELECT period, window_start, total_revenue, order_count, avg_order_value, "
             "top_category FROM revenue_analytics")}
    assert got == want, "revenue_analytics differs from the reference"
    want = want_sessions(src)
    wait_pg(url, "user_activity", len(want), engine)
    want = {k: v + (v[0],) for k, v in want.items()}   # last_activity is the session's end
    got = {(r[0], micros_of(r[1])): (micros_of(r[2]), r[3], r[4], r[5], micros_of(r[6]))
           for r in pg_rows(url, "SELECT user_id, session_start, session_end, page_views, "
                                 "orders_placed, total_spent, last_activity FROM user_activity")}
    assert got == want, "user_activity differs from the reference"
    want = {k: (avg.quantize(decimal.Decimal("0.000001"), decimal.ROUND_HALF_UP), n)
            for k, (avg, n) in ref.temperature_averages(readings).items()}
    wait_pg(url, "temperature_averages", len(want), engine)
    deadline = time.monotonic() + tmout(60)
    while True:   # emit changes: the last update of each window lands last
        got = {(r[0], micros_of(r[1])): (r[2], r[3]) for r in pg_rows(
            url, "SELECT sensor_id, window_start, avg_temperature, readings "
                 "FROM temperature_averages")}
        if got == want or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert got == want, "temperature_averages differs from the reference"
    return sum(pg_rows(url, "SELECT count(*) FROM %s" % t)[0][0] for t in
               ("inventory_alerts", "fraud_alerts", "revenue_analytics", "user_activity",
                "temperature_averages"))


class Setup:
    """The embedded cluster (sources, sink and internal topics made up front) and a
    throwaway PostgreSQL with the analytics tables."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="eddy-topologies-")
        self.pgdir = tempfile.mkdtemp(prefix="eddy-topologies-pg-")  # chowned to postgres by pg.sh
        self.files = [os.path.join(SRC, "topologies", t + ".eddy") for t in TOPOLOGIES]
        topics = ["ecommerce.public.%s:4" % t for t in ECOMMERCE]
        # one partition keeps each user's transactions in order (Debezium keys them by id)
        topics += ["ecommerce.public.transactions:1", "office.public.sensor_readings:4"]
        for t, f in zip(TOPOLOGIES, self.files):
            topics += internal_topics(f, 1 if t.startswith("fraud") else 4)
        self.broker = Proc([EDDY, "broker", "--brokers", "1"] +
                           sum((["--topic", t] for t in topics), []), "broker")
        self.bs = self.broker.read_value("bootstrap", 30)
        self.engine = None
        self.url = run([os.path.join(SRC, "scripts", "pg.sh"), "start", self.pgdir]).stdout.strip()
        run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-f",
             os.path.join(SRC, "sql", "analytics.sql")])

    def pg(self, cmd):
        run([os.path.join(SRC, "scripts", "pg.sh"), cmd, self.pgdir])

    def start_engine(self, *settings):
        """`eddy run` of every topology, ready to process; self.port serves /status."""
        self.port = free_port()
        args = [EDDY, "run"] + self.files + [
            "--bootstrap", self.bs, "--metrics", "127.0.0.1:%d" % self.port,
            "--set", "state.dir=" + os.path.join(self.work, "state"),
            "--set", "stats.interval.ms=0", "--set", "commit.interval.ms=200",
            "--set", "postgres.url=" + self.url]
        for kv in settings:
            args += ["--set", kv]
        self.engine = Proc(args, "eddy-run")
        wait_ready(self.port, self.engine)
        return self.engine

    def generate(self, ecommerce=200, fraud=2000, temperature=200):
        """Start the generators at these rates (events per wall-clock second): the
        data arrives while the topologies run, as it would from Debezium. Event time
        runs about 100 times faster than the wall clock here: the graces of the
        topologies, minutes of event time, are a second or two of skew between the
        partitions' consumers."""
        def gen(kind, count, event_rate, rate):
            return Popen([EDDY, "gen", kind, "--count", str(count), "--event-rate",
                          str(event_rate), "--rate", str(rate), "--seed", "7",
                          "--bootstrap", self.bs, "--quiet"])
        return [gen("ecommerce", 8000, 1, ecommerce), gen("fraud", 4000, 10, fraud),
                gen("temperature", 3000, 2, temperature)]

    def check(self, gens):
        """Wait for the generators and for quiet, then compare every output."""
        for g in gens:
            if g.wait(timeout=tmout(180)) != 0:
                raise AssertionError("eddy gen failed: %s" % g.args)
        apps = wait_idle(self.port, self.engine)
        for name, s in apps.items():
            assert s["dlq"] == 0 and s["late"] == 0, "%s: dlq=%d late=%d" % (name, s["dlq"],
                                                                           s["late"])
        bs = self.bs
        src = {t: source_events(bs, "ecommerce.public." + t)
               for t in ["products", "orders", "order_items", "user_events", "transactions"]}
        readings = source_events(bs, "office.public.sensor_readings")
        n = check_inventory(src["products"], output_rows(bs, "inventory.alerts"))
        print("inventory alerts: %d, as computed" % n)
        n = check_fraud(src["transactions"], output_rows(bs, "fraud.alerts"))
        print("fraud alerts: %d, as computed" % n)
        n = check_revenue(src["orders"], src["order_items"], src["products"],
                          output_rows(bs, "revenue.windows"))
        print("revenue windows: %d, as computed" % n)
        n, retracted = check_sessions(src, consume(bs, "user.sessions"))
        print("user sessions: %d, as computed (%d retractions on the way)" % (n, retracted))
        n = check_temperature(readings, output_rows(bs, "temperature.averages"))
        print("temperature windows: %d, as computed" % n)
        n = check_postgres(self.url, self.engine, src, readings)
        print("PostgreSQL analytics tables: %d rows, as computed" % n)

    def close(self):
        if self.engine is not None:
            self.engine.stop(check=False)
        self.broker.stop(check=False)
        subprocess.run([os.path.join(SRC, "scripts", "pg.sh"), "stop", self.pgdir])
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    setup = Setup()
    try:
        setup.start_engine()
        setup.check(setup.generate())
        setup.engine.stop()
        setup.engine = None
    finally:
        setup.close()
    print("topologies: all checks passed")


if __name__ == "__main__":
    main()
