#!/usr/bin/python3
"""Print what the shipped topologies wrote to Kafka: counts and a few rows.

    demo_show.py BOOTSTRAP

Reads the output topics from the beginning (confluent_kafka, Debian's
python3-confluent-kafka) and prints, per topic, how many records it holds
and its first rows as a small table.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

OUTPUTS = [
    ("inventory.alerts", "inventory alerts", ["product_id", "product_name", "current_stock",
                                              "alert_level", "created_at"]),
    ("fraud.alerts", "fraud alerts (both agents)", ["alert_type", "transaction_id", "user_id",
                                                    "amount", "score", "reason"]),
    ("revenue.windows", "revenue per window", ["period", "window_start", "total_revenue",
                                               "order_count", "avg_order_value", "top_category"]),
    ("user.sessions", "user sessions (updates)", ["user_id", "session_start", "session_end",
                                                  "page_views", "orders_placed", "total_spent"]),
    ("temperature.averages", "temperature averages", ["sensor_id", "office", "window_start",
                                                      "avg_temperature", "readings"]),
]


def read(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "demo-show-%f" % time.time(),
                  "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=10).topics.get(topic)
    if md is None or md.error is not None:
        c.close()
        return []
    ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in md.partitions}
    left = {p for p, end in ends.items() if end > 0}
    c.assign([TopicPartition(topic, p, 0) for p in left])
    rows, deadline = [], time.monotonic() + 30
    while left and time.monotonic() < deadline:
        for m in c.consume(500, timeout=0.5):
            if m.error():
                continue
            if m.value() is not None:
                rows.append(json.loads(m.value(), parse_float=str))
            if m.offset() + 1 >= ends[m.partition()]:
                left.discard(m.partition())
    c.close()
    return rows


def show(title, rows, cols, n=5):
    print("\n%s: %d" % (title, len(rows)))
    if not rows:
        return
    cells = [["" if r.get(c) is None else str(r.get(c)) for c in cols] for r in rows[:n]]
    width = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  " + "  ".join(c.ljust(w) for c, w in zip(cols, width)))
    for row in cells:
        print("  " + "  ".join(v[:40].ljust(min(w, 40)) for v, w in zip(row, width)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for topic, title, cols in OUTPUTS:
        rows = read(sys.argv[1], topic)
        if topic == "fraud.alerts":
            kinds = {}
            for r in rows:
                kinds[r["alert_type"]] = kinds.get(r["alert_type"], 0) + 1
            title += " " + ", ".join("%s %d" % kv for kv in sorted(kinds.items()))
        show(title + " (topic %s)" % topic, rows, cols)


if __name__ == "__main__":
    main()
