#!/usr/bin/python3
"""The shipped topologies under exactly-once, through a PostgreSQL outage and a crash.

The same run as test_topologies.py (every shipped topology on generated data,
an embedded cluster and a throwaway PostgreSQL), with
processing.guarantee=exactly_once_v2 and two accidents:

1. PostgreSQL is stopped while events keep coming: the topologies go on
   processing (checked), the sinks retry with backoff and fall behind;
2. once PostgreSQL is back and the sinks are catching up, the engine is
   killed with SIGKILL in the middle of their writing, then started again on
   the same state directory.

Then every Kafka output (read_committed) and every analytics table must
equal the independent computation of topology_reference.py: no row or alert
lost, none duplicated. An audit trigger on fraud_alerts logs every row each
statement wrote: no fraud alert is written twice.

The kill comes while the sinks write and the topologies themselves have
committed all their input. On real Kafka the kill could come at any moment:
the records of the transaction a crash leaves open are hidden from
read_committed readers. The embedded broker delivers them anyway (see
docs/operations.md, "The embedded broker and transactions"), so a kill in
the middle of a transaction would let the restarted topologies read those
records twice; tests/integration/test_eos_restart.py covers what holds
there.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_topologies as topo  # noqa: E402
from test_sr_harness import tmout  # noqa: E402

AUDIT = """
CREATE TABLE fraud_alerts_audit (transaction_id INTEGER, alert_type TEXT, op TEXT);
CREATE FUNCTION audit_fraud() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO fraud_alerts_audit VALUES (OLD.transaction_id, OLD.alert_type, TG_OP);
    RETURN OLD;
  END IF;
  INSERT INTO fraud_alerts_audit VALUES (NEW.transaction_id, NEW.alert_type, TG_OP);
  RETURN NEW;
END $$;
CREATE TRIGGER fraud_alerts_audit AFTER INSERT OR UPDATE OR DELETE ON fraud_alerts
  FOR EACH ROW EXECUTE FUNCTION audit_fraud();
"""


TABLES = ("revenue_analytics", "inventory_alerts", "fraud_alerts", "user_activity",
          "temperature_averages")
# small sink batches: the kill lands between two of them; short backoffs: the sinks
# find PostgreSQL soon after it is back
SETTINGS = ("processing.guarantee=exactly_once_v2", "postgres.batch.rows=50",
            "postgres.retry.backoff.max.ms=1000",
            # the killed engine's members leave the groups in 6 s, not 45
            "kafka.consumer.session.timeout.ms=6000")


def count(setup, table):
    return topo.pg_rows(setup.url, "SELECT count(*) FROM %s" % table)[0][0]


def wait_for(what, cond, engine, timeout=120):
    deadline = time.monotonic() + tmout(timeout)
    while time.monotonic() < deadline:
        if engine.p.poll() is not None:
            engine.fail("eddy run exited while waiting for %s" % what)
        if cond():
            return
        time.sleep(0.2)
    engine.fail("timed out waiting for %s" % what)


def records_in(port):
    return sum(a["records_in"] for a in topo.status(port).values())


def total_rows(setup):
    return sum(count(setup, t) for t in TABLES)


def postgres_outage(setup, gens, seconds=5):
    """Stop PostgreSQL once the first rows are in; the topologies must go on
    processing meanwhile. It stays down until the generators are done and the
    topologies have committed all their input. @returns the rows written before."""
    wait_for("the first PostgreSQL rows",
             lambda: count(setup, "fraud_alerts") >= 10 and count(setup, "user_activity") >= 10,
             setup.engine)
    written = total_rows(setup)
    setup.pg("down")
    before = records_in(setup.port)
    time.sleep(seconds)   # the engine must keep going meanwhile
    during = records_in(setup.port) - before
    print("PostgreSQL down; %d records processed in the next %d s" % (during, seconds))
    assert during > 0, "the topologies stopped while PostgreSQL was down"
    for g in gens:
        if g.wait(timeout=tmout(180)) != 0:
            raise AssertionError("eddy gen failed: %s" % g.args)
    topo.wait_idle(setup.port, setup.engine)
    return written


def crash_while_writing(setup, written):
    """PostgreSQL up again (it held \p written rows); SIGKILL as soon as the sinks'
    writes show; restart."""
    setup.pg("up")
    wait_for("the sinks to write again", lambda: total_rows(setup) > written, setup.engine)
    setup.engine.p.send_signal(signal.SIGKILL)
    setup.engine.p.wait()
    setup.engine.stop(check=False)
    rows = {t: count(setup, t) for t in TABLES}
    print("killed the engine while the sinks wrote: %s rows in; restarting" % rows)
    setup.start_engine(*SETTINGS)
    return rows


def check_audit(setup):
    """Every fraud alert was inserted once and never written again: a sink batch
    applied twice would have updated its rows a second time."""
    rows = topo.pg_rows(setup.url, "SELECT transaction_id, alert_type, count(*), "
                                   "string_agg(op, ',') FROM fraud_alerts_audit "
                                   "GROUP BY 1, 2 HAVING count(*) > 1 OR min(op) <> 'INSERT'")
    assert not rows, "fraud alerts written more than once: %s" % rows[:5]
    n = topo.pg_rows(setup.url, "SELECT count(*) FROM fraud_alerts_audit")[0][0]
    assert n == count(setup, "fraud_alerts"), "audit rows %d" % n
    print("fraud_alerts: each of %d rows written exactly once" % n)


def main():
    setup = topo.Setup()
    try:
        topo.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", setup.url, "-c", AUDIT])
        setup.start_engine(*SETTINGS)
        gens = setup.generate(ecommerce=200, fraud=400, temperature=200)
        written = postgres_outage(setup, gens)
        at_kill = crash_while_writing(setup, written)
        setup.check(gens)
        final = {t: count(setup, t) for t in TABLES}
        assert sum(at_kill.values()) < sum(final.values()), \
            "the sinks had finished before the kill: %s" % final
        check_audit(setup)
        setup.engine.stop()
        setup.engine = None
    finally:
        setup.close()
    print("topologies through a PostgreSQL outage and a crash: all checks passed")


if __name__ == "__main__":
    main()
