#!/usr/bin/python3
"""`to postgres` against a real PostgreSQL (scripts/pg.sh) and an `eddy broker`.

The topology left-joins two tables keyed by message key and upserts the
joined rows into kv by id; a tombstone on the left table deletes the row.
The test computes the expected table from what it produced and checks:

- the table equals the expected one, after each phase;
- eddy_sink_offsets holds the sink topic's end offsets;
- exactly-once from the sink topic into PostgreSQL: a trigger appends every
  applied upsert to kv_audit, and that multiset equals the multiset of the
  sink topic's non-null records (the upstream is at-least-once, so the
  topic may hold repeats after a crash: each must be applied exactly once);
- SIGKILL of the engine while it writes, then a restart;
- PostgreSQL stopped and started again mid-run: retries logged, no loss;
- a row breaking a CHECK constraint goes to the dead-letter topic with the
  server's message and SQLSTATE, and the rest of its batch lands;
- a missing table, a missing column or a key without a unique constraint
  stop `eddy run` at start with a clear message;
- a delete and then an upsert of one key within a batch apply in that order.
"""
import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import psycopg2
from confluent_kafka import Consumer, Producer, TopicPartition

EDDY = os.environ.get("EDDY_BIN", "build/eddy")
SRC = os.environ.get("EDDY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
PG_SH = os.path.join(SRC, "scripts", "pg.sh")
SINK_TOPIC = "pgt-a.to-postgres-1"

TOPOLOGY = """app pgt
table a from "ta" format json schema (id int, v int) key key
table b from "tb" format json schema (id int, w int) key key
a | left join b on key | select id = key, v = a.v, w = b.w | to postgres kv key (id)
"""

SCHEMA = """
CREATE TABLE kv (id int PRIMARY KEY, v int NOT NULL CHECK (v <> 13), w int);
CREATE TABLE kv_audit (seq bigserial, id int, v int, w int, txid bigint DEFAULT txid_current(), at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION kv_audit_fn() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO kv_audit (id, v, w) VALUES (NEW.id, NEW.v, NEW.w); RETURN NULL; END $$;
CREATE TRIGGER kv_audit AFTER INSERT OR UPDATE ON kv FOR EACH ROW EXECUTE FUNCTION kv_audit_fn();
CREATE TABLE nokey (id int, v int, w int);
CREATE TABLE fewcols (id int PRIMARY KEY, v int);
"""


def deadline(seconds):
    end = time.monotonic() + seconds
    return lambda: time.monotonic() < end


def wait_for(what, cond, seconds=120, poll=0.2):
    alive = deadline(seconds)
    while alive():
        got = cond()
        if got:
            return got
        time.sleep(poll)
    raise AssertionError("timed out waiting for " + what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Engine:
    def __init__(self, tmp, file, bootstrap, url, name, extra=()):
        self.log_path = os.path.join(tmp, name + ".log")
        self.metrics = "127.0.0.1:%d" % free_port()
        args = [EDDY, "run", file, "-b", bootstrap, "-s", "postgres.url=" + url,
                "-s", "state.dir=" + os.path.join(tmp, "state-" + name),
                "-s", "commit.interval.ms=200", "-s", "postgres.batch.rows=100",
                "-s", "postgres.batch.ms=50", "-s", "postgres.retry.backoff.ms=50",
                "-s", "postgres.retry.backoff.max.ms=1000",
                "-s", "kafka.consumer.session.timeout.ms=6000", "-s", "stats.interval.ms=0",
                "-m", self.metrics] + list(extra)
        self.log = open(self.log_path, "w")
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def counter(self, name):
        try:
            body = urllib.request.urlopen("http://%s/metrics" % self.metrics, timeout=2).read()
        except OSError:
            return None
        for line in body.decode().splitlines():
            if line.startswith("eddy_" + name + "{"):
                return int(line.rsplit(" ", 1)[1])
        return None

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        self.log.close()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=60)
        self.log.close()
        assert rc == 0, "eddy run exited %d:\n%s" % (rc, self.text()[-3000:])


class Model:
    """What kv must hold: the left join of the tables' last values."""

    def __init__(self, bootstrap):
        self.a, self.b = {}, {}
        self.p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})

    def put_a(self, k, v):
        self.a[k] = v
        self.p.produce("ta", key=str(k), value=None if v is None else json.dumps({"id": k, "v": v}))

    def put_b(self, k, w):
        self.b[k] = w
        self.p.produce("tb", key=str(k), value=json.dumps({"id": k, "w": w}))

    def burst(self, rng, n, ids):
        for _ in range(n):
            k = rng.randrange(ids)
            r = rng.random()
            if r < 0.1:
                self.put_a(k, None)
            elif r < 0.3:
                self.put_b(k, rng.randrange(1000))
            else:
                self.put_a(k, rng.choice([rng.randrange(0, 13), rng.randrange(14, 10000)]))
        self.p.flush(30)

    def expected(self, skip=()):
        return {k: (v, self.b.get(k)) for k, v in self.a.items() if v is not None and k not in skip}


def table(conn):
    with conn.cursor() as c:
        c.execute("SELECT id, v, w FROM kv")
        return {r[0]: (r[1], r[2]) for r in c.fetchall()}


def sink_topic_records(bootstrap, upto):
    """The sink topic's records below the stored offsets: (key json, value json or None)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pgt-reader",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    parts = [TopicPartition(SINK_TOPIC, p, 0) for p in sorted(upto) if upto[p] > 0]
    c.assign(parts)
    out, left = [], {p.partition for p in parts}
    alive = deadline(60)
    while left and alive():
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            continue
        if m.offset() < upto[m.partition()]:
            out.append(m.value())
        if m.offset() + 1 >= upto[m.partition()]:
            left.discard(m.partition())
    c.close()
    assert not left, "could not read the sink topic up to the stored offsets"
    return out


def end_offsets(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pgt-ends"})
    md = c.list_topics(SINK_TOPIC, timeout=10)
    ends = {}
    for p in md.topics[SINK_TOPIC].partitions:
        ends[p] = c.get_watermark_offsets(TopicPartition(SINK_TOPIC, p), timeout=10)[1]
    c.close()
    return ends


def stored_offsets(conn):
    with conn.cursor() as c:
        c.execute("SELECT partition, next_offset FROM eddy_sink_offsets WHERE app = 'pgt' "
                  "AND topic = %s", (SINK_TOPIC,))
        return dict(c.fetchall())


def converged(conn, model, bootstrap, skip=()):
    if table(conn) != model.expected(skip):
        return False
    ends = end_offsets(bootstrap)
    stored = stored_offsets(conn)
    return all(stored.get(p, 0) == e for p, e in ends.items())


def check_exactly_once(conn, bootstrap):
    stored = stored_offsets(conn)
    applied = collections.Counter()
    for v in sink_topic_records(bootstrap, stored):
        if v is not None:
            row = json.loads(v)
            if row["v"] != 13:   # those went to the dead-letter topic
                applied[(int(row["id"]), row["v"], row["w"])] += 1
    with conn.cursor() as c:
        c.execute("SELECT id, v, w FROM kv_audit")
        audit = collections.Counter(tuple(r) for r in c.fetchall())
    if audit != applied:
        extra = audit - applied
        print("extra total", sum(extra.values()), "missing", sum((applied - audit).values()))
        with conn.cursor() as c:
            for k in list(extra)[:3]:
                c.execute("SELECT seq, txid, at FROM kv_audit WHERE id=%s AND v=%s AND w IS NOT DISTINCT FROM %s", k)
                print(k, c.fetchall())
    assert audit == applied, "applied != sink topic: missing %s, extra %s" % (
        list((applied - audit).items())[:5], list((audit - applied).items())[:5])
    return sum(applied.values())


def dead_letters(bootstrap, want):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pgt-dlq",
                  "auto.offset.reset": "earliest"})
    c.subscribe(["pgt-dlq"])
    out = []
    alive = deadline(60)
    while len(out) < want and alive():
        m = c.poll(0.5)
        if m is not None and not m.error():
            out.append((m.value(), dict((k, v.decode()) for k, v in m.headers() or [])))
    c.close()
    return out


def startup_errors(tmp, bootstrap, url):
    cases = [("missing", "to postgres nosuch key (id)", "does not exist"),
             ("column", "to postgres fewcols key (id)", "has no column 'w'"),
             ("unique", "to postgres nokey key (id)", "is not its primary key or a unique")]
    for name, sink, want in cases:
        path = os.path.join(tmp, name + ".eddy")
        with open(path, "w") as f:
            f.write(TOPOLOGY.replace("to postgres kv key (id)", sink).replace("app pgt",
                                                                            "app pgt" + name))
        r = subprocess.run([EDDY, "run", path, "-b", bootstrap, "-s", "postgres.url=" + url,
                            "-s", "state.dir=" + os.path.join(tmp, "st-" + name)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, name
        assert want in r.stderr, "%s: %r" % (name, r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="eddy-pg-")
    os.chmod(tmp, 0o755)   # the cluster belongs to the postgres user when run as root
    pgdir = os.path.join(tmp, "pg")
    url = subprocess.run(["bash", PG_SH, "start", pgdir], capture_output=True, text=True,
                         check=True).stdout.strip()
    broker = subprocess.Popen([EDDY, "broker", "--topic", "ta:4", "--topic", "tb:4",
                               "--topic", SINK_TOPIC + ":4"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    engine = None
    try:
        bootstrap = broker.stdout.readline().strip().split("=", 1)[1]
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as c:
            c.execute(SCHEMA)
        startup_errors(tmp, bootstrap, url)

        topo = os.path.join(tmp, "pgt.eddy")
        with open(topo, "w") as f:
            f.write(TOPOLOGY)
        rng = random.Random(7)
        model = Model(bootstrap)
        model.burst(rng, 3000, 300)

        # 1. upserts and deletes land; offsets match the topic
        engine = Engine(tmp, topo, bootstrap, url, "run1")
        wait_for("phase 1", lambda: converged(conn, model, bootstrap))
        assert engine.counter("pg_rows_upserted_total") > 0
        assert engine.counter("pg_rows_deleted_total") > 0
        print("phase 1: %d rows, upserted %d, deleted %d" % (
            len(table(conn)), engine.counter("pg_rows_upserted_total"),
            engine.counter("pg_rows_deleted_total")))

        # 2. SIGKILL while the sink writes, restart
        with conn.cursor() as c:
            c.execute("SELECT count(*) FROM kv_audit")
            before = c.fetchone()[0]
        model.burst(rng, 20000, 300)

        def audit_grew():
            with conn.cursor() as c:
                c.execute("SELECT count(*) FROM kv_audit")
                return c.fetchone()[0] > before + 200
        wait_for("the sink writing", audit_grew, poll=0.02)
        engine.kill()
        engine = Engine(tmp, topo, bootstrap, url, "run2")
        wait_for("phase 2", lambda: converged(conn, model, bootstrap))
        print("phase 2: converged after SIGKILL")

        # 3. PostgreSQL down for a while
        subprocess.run(["bash", PG_SH, "down", pgdir], check=True)
        conn.close()
        model.burst(rng, 3000, 300)
        wait_for("a retry", lambda: "retrying in" in engine.text())
        subprocess.run(["bash", PG_SH, "up", pgdir], check=True)
        conn = psycopg2.connect(url)
        conn.autocommit = True
        wait_for("phase 3", lambda: converged(conn, model, bootstrap))
        assert engine.counter("pg_retries_total") > 0
        print("phase 3: converged after an outage, %d retries" % engine.counter("pg_retries_total"))

        # 4. a CHECK violation goes to the dead-letter topic, its batch lands
        bad = list(range(1000, 1005))
        for k in range(1000, 1010):
            model.put_a(k, 13 if k in bad else k)
        model.p.flush(30)
        wait_for("phase 4", lambda: converged(conn, model, bootstrap, skip=bad))
        dlq = dead_letters(bootstrap, len(bad))
        assert sorted(json.loads(v)["id"] for v, _ in dlq) == [str(k) for k in bad], dlq
        for _, h in dlq:
            assert h["eddy.error.sqlstate"] == "23514", h
            assert "violates check constraint" in h["eddy.error.reason"], h
            assert h["eddy.source.topic"] == SINK_TOPIC, h
        print("phase 4: %d dead letters, the rest landed" % len(dlq))

        engine.stop()
        engine = None
        n = check_exactly_once(conn, bootstrap)
        print("exactly once: %d applied upserts match the sink topic" % n)

        # 5. a delete and then an upsert of one key in one batch leave the row (a retracted
        #    session followed by its new row under the same PostgreSQL key): written straight
        #    to the sink topic while the engine is down, so that one fetch brings them all
        raw = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50})

        def put(k, v):
            raw.produce(SINK_TOPIC, key=json.dumps({"id": str(k)}),   # id is the message key
                        value=None if v is None else json.dumps({"id": str(k), "v": v, "w": None}))
        for k in range(5000, 5020):
            put(k, 1)
            put(k, None)
            put(k, 2)
        for k in range(5100, 5110):
            put(k, 3)
            put(k, None)
        raw.flush(30)
        engine = Engine(tmp, topo, bootstrap, url, "run3")

        def landed():
            t = table(conn)
            ends, stored = end_offsets(bootstrap), stored_offsets(conn)
            return (all(t.get(k) == (2, None) for k in range(5000, 5020)) and
                    not any(k in t for k in range(5100, 5110)) and
                    all(stored.get(p, 0) == e for p, e in ends.items()))
        wait_for("phase 5", landed)
        engine.stop()
        engine = None
        print("phase 5: deletes and upserts of one key apply in order")
        conn.close()
    finally:
        if engine is not None:
            engine.kill()
        broker.send_signal(signal.SIGTERM)
        broker.wait(timeout=30)
        subprocess.run(["bash", PG_SH, "stop", pgdir])
    print("1 passed, 0 failed")


if __name__ == "__main__":
    sys.exit(main())
