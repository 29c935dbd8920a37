#!/usr/bin/python3
"""Produce Debezium-format order change events (JSON, schemas off) for the demo.

Orders move pending -> processing -> completed/cancelled as update events, the
way Debezium reports them; a few events are deliberately broken so the demo
shows the dead-letter topic at work.

usage: demo_events.py BOOTSTRAP TOPIC COUNT
"""
import base64
import json
import random
import sys
import time

from confluent_kafka import Producer


def decimal_b64(cents):
    """Debezium precise decimal: big-endian two's complement, base64."""
    length = max(1, (cents.bit_length() + 8) // 8)
    return base64.b64encode(cents.to_bytes(length, "big", signed=True)).decode()


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rnd = random.Random(42)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    now_us = int(time.time() * 1e6)
    orders = {}
    sent = 0
    order_id = 0
    while sent < count:
        if not orders or rnd.random() < 0.35:
            order_id += 1
            cents = rnd.randint(500, 50000)
            row = {"order_id": order_id, "user_id": rnd.randint(1, 200),
                   "total_amount": decimal_b64(cents), "status": "pending",
                   "created_at": now_us, "updated_at": now_us}
            orders[order_id] = row
            before, after, op = None, row, "c"
        else:
            oid = rnd.choice(list(orders))
            before = orders[oid]
            nxt = {"pending": "processing",
                   "processing": rnd.choice(["completed", "completed", "cancelled"])}
            after = dict(before, status=nxt[before["status"]], updated_at=now_us)
            if after["status"] in ("completed", "cancelled"):
                del orders[oid]
            else:
                orders[oid] = after
            op = "u"
        if sent % 97 == 0:   # a broken event: negative total
            after = dict(after, total_amount=decimal_b64(-100))
        event = {"before": before, "after": after, "op": op, "ts_ms": now_us // 1000,
                 "source": {"db": "ecommerce", "schema": "public", "table": "orders"}}
        value = json.dumps(event) if sent % 211 != 0 else '{"before": null, "after": {'
        producer.produce(topic, key=json.dumps({"order_id": after["order_id"]}), value=value)
        producer.poll(0)
        sent += 1
        now_us += rnd.randint(1000, 200000)
    producer.flush(30)
    print(f"produced {sent} events to {topic}", file=sys.stderr)


if __name__ == "__main__":
    main()
