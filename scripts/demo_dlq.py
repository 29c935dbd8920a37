#!/usr/bin/python3
"""Print the first dead letters of a topic with their eddy.* headers.

usage: demo_dlq.py BOOTSTRAP TOPIC [COUNT]
"""
import sys

from confluent_kafka import Consumer


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "eddy-demo-dlq-reader",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    shown, idle = 0, 0
    while shown < count and idle < 50:
        msg = consumer.poll(0.2)
        if msg is None or msg.error():
            idle += 1
            continue
        headers = {k: v.decode(errors="replace") for k, v in (msg.headers() or [])}
        print(f"  reason:   {headers.get('eddy.error.reason')}")
        print(f"  code:     {headers.get('eddy.error.code')}  operator: "
              f"{headers.get('eddy.error.operator')}")
        print(f"  source:   {headers.get('eddy.source.topic')} "
              f"[{headers.get('eddy.source.partition')}] @{headers.get('eddy.source.offset')}")
        value = (msg.value() or b"").decode(errors="replace")
        print(f"  value:    {value[:100]}{'...' if len(value) > 100 else ''}\n")
        shown += 1
    consumer.close()


if __name__ == "__main__":
    main()
