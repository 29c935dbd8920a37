#!/usr/bin/python3
"""The shipped topologies on `eddy gen` data: the alerts they must raise.

`eddy gen fraud` and `eddy gen ecommerce` write to an embedded broker; the
transactions topic has one partition, so eddy sees every user's
transactions in event-time order. This test decodes the same events itself
(base64 decimals included) and computes, with exact fractions, which
transactions the anomaly agent (more than 3 x the mean of the user's last
50 earlier amounts, at least 3 of them, and over 500) and the velocity agent
(more than 5 of the user's transactions in the last 60 s and an amount over
4000) must flag, and which inventory alerts (one per change of a product's
level to low, critical or out_of_stock) must come out; then it runs
topologies/fraud_anomaly.eddy, fraud_velocity.eddy and inventory_alerts.eddy
with `eddy run` and compares their outputs with those sets. It also checks
that the generator made each kind of alert happen.
"""
import collections
import json
import os
import re
import sys
import tempfile
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_gen import dec, dump, gen, read_all, records_from_dump  # noqa: E402
from test_sr_harness import EDDY, Proc, wait_until  # noqa: E402

SOURCE = os.environ.get("EDDY_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))


def expected_fraud(records):
    history = collections.defaultdict(list)
    anomaly, velocity = set(), set()
    for r in records:
        a = r["value"]["after"]
        amount, t, uid = Fraction(dec(a["amount"]), 100), a["created_at"], a["user_id"]
        prev = history[uid]
        last = [x for _, x in prev[-50:]]
        if len(last) >= 3 and amount * len(last) > 3 * sum(last) and amount > 500:
            anomaly.add(a["id"])
        recent = 1 + sum(1 for ts, _ in prev if ts >= t - 60000000)
        if recent > 5 and amount > 4000:
            velocity.add(a["id"])
        prev.append((t, amount))
    return anomaly, velocity


def expected_inventory(records):
    level, alerts = {}, collections.Counter()
    for r in records:
        a = r["value"]["after"]
        s = a["stock_quantity"]
        lv = ("out_of_stock" if s <= 0 else "critical" if s <= 5 else
              "low" if s <= 10 else "ok")
        if lv != level.get(a["product_id"]):
            if lv != "ok":
                alerts[(a["product_id"], lv, s)] += 1
            level[a["product_id"]] = lv
    return alerts


TOPOLOGIES = [os.path.join(SOURCE, "topologies", f) for f in
              ("fraud_anomaly.eddy", "fraud_velocity.eddy", "inventory_alerts.eddy")]


def main():
    with tempfile.TemporaryDirectory(prefix="eddy-gen-topo-") as tmp:
        # The topologies have repartition and changelog topics, which only `eddy run
        # --embedded` can create on the embedded cluster; one partition per source
        # topic keeps every user's transactions in order.
        proc = Proc([EDDY, "run"] + TOPOLOGIES +
                    ["--embedded", "--partitions", "1", "-s", "state.dir=" + tmp,
                     "-s", "commit.interval.ms=200", "-s", "stats.interval.ms=0",
                     "-s", "postgres.sinks=off"], "eddy-run")
        try:
            found = wait_until("the embedded broker's address",
                               lambda: re.search(r"bootstrap=([0-9.:,]+)", proc.stderr()), 60)
            run(found.group(1), proc)
        finally:
            proc.stop()
    print("ok")


def run(bs, proc):
    fraud_args = ["fraud", "-n", "8000", "--seed", "11"]
    shop_args = ["ecommerce", "-n", "12000", "-e", "1", "--seed", "11"]
    gen(*(fraud_args + ["--bootstrap", bs, "--quiet"]))
    gen(*(shop_args + ["--bootstrap", bs, "--quiet"]))
    anomaly, velocity = expected_fraud(records_from_dump(dump(*fraud_args)))
    products = [r for r in records_from_dump(dump(*shop_args))
                if r["topic"] == "ecommerce.public.products"]
    inventory = expected_inventory(products)
    assert len(anomaly) >= 10 and len(velocity) >= 3, (len(anomaly), len(velocity))
    assert {lv for _, lv, _ in inventory} == {"low", "critical", "out_of_stock"}, inventory

    want_fraud = len(anomaly) + len(velocity)
    want_inv = sum(inventory.values())

    def done():
        if proc.p.poll() is not None:
            proc.fail("eddy run exited early")
        return (len(read_all(bs, "fraud.alerts")) >= want_fraud and
                len(read_all(bs, "inventory.alerts")) >= want_inv)
    wait_until("%d fraud and %d inventory alerts" % (want_fraud, want_inv), done, 180)

    got = collections.defaultdict(set)
    for m in read_all(bs, "fraud.alerts"):
        v = json.loads(m.value())
        assert m.key().decode() == str(v["user_id"])
        got[v["alert_type"]].add(v["transaction_id"])
    assert got["anomaly"] == anomaly, (sorted(got["anomaly"] ^ anomaly))
    assert got["velocity"] == velocity, (sorted(got["velocity"] ^ velocity))
    got_inv = collections.Counter()
    for m in read_all(bs, "inventory.alerts"):
        v = json.loads(m.value())
        got_inv[(v["product_id"], v["alert_level"], v["current_stock"])] += 1
    assert got_inv == inventory, (got_inv - inventory, inventory - got_inv)
    print("fraud: %d anomaly and %d velocity alerts, inventory: %d alerts: as computed" %
          (len(anomaly), len(velocity), want_inv))


if __name__ == "__main__":
    main()
