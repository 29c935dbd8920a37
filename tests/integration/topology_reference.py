"""Independent computations of what the shipped topologies must produce.

Written from DESIGN.md §7 and the seed agents' logic, in plain Python over
decoded Debezium change events, without any of eddy's code. The test
(test_topologies.py) compares eddy's PostgreSQL tables and Kafka topics with
these results.

An event is a dict: {"topic", "partition", "offset", "key", "ts" (ms),
"op", "before", "after"} with before/after decoded to Python values
(decimals as decimal.Decimal, timestamps as int microseconds).
"""
import base64
import collections
import decimal
import json

MINUTE = 60 * 1000 * 1000     # µs
HOUR = 60 * MINUTE

# Declared scales of the DECIMAL columns (Debezium's precise mode, schemas off).
SCALES = {"price": 2, "total_amount": 2, "unit_price": 2, "amount": 2, "temperature": 2}


def decode_decimal(text, scale):
    raw = base64.b64decode(text)
    return decimal.Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-scale)


def decode_row(row):
    if row is None:
        return None
    out = {}
    for k, v in row.items():
        out[k] = decode_decimal(v, SCALES[k]) if k in SCALES and isinstance(v, str) else v
    return out


def decode_event(topic, partition, offset, key, ts_ms, value):
    """A Debezium JSON change event (schemas on or off), or None for a tombstone."""
    if value is None:
        return None
    doc = json.loads(value)
    if "payload" in doc and "schema" in doc:
        doc = doc["payload"]
    return {"topic": topic, "partition": partition, "offset": offset, "key": key,
            "ts": ts_ms, "op": doc["op"], "before": decode_row(doc.get("before")),
            "after": decode_row(doc.get("after"))}


def in_log_order(events):
    """Per partition, in offset order: the order a consumer sees a key's events."""
    return sorted(events, key=lambda e: (e["topic"], e["partition"], e["offset"]))


# ---- inventory alerts ------------------------------------------------------------------

def level(stock, threshold=10):
    if stock <= 0:
        return "out_of_stock"
    if stock <= 5:
        return "critical"
    if stock <= threshold:
        return "low"
    return "ok"


def inventory_alerts(product_events):
    """{(product_id, created_at): (alert_level, current_stock, product_name)}."""
    last, alerts = {}, {}
    for e in in_log_order(product_events):
        a = e["after"]
        if a is None:
            continue
        lvl = level(a["stock_quantity"])
        pid = a["product_id"]
        if last.get(pid) == lvl:
            continue
        last[pid] = lvl
        if lvl != "ok":
            alerts[(pid, a["updated_at"])] = (lvl, a["stock_quantity"], a["name"])
    return alerts


# ---- fraud agents (the seed agents' logic, on event time) ---------------------------------

def new_transactions(events):
    return [e["after"] for e in in_log_order(events) if e["op"] in ("c", "r")]


def fraud_anomaly(transactions):
    """Agent 1: {transaction_id: amount} of the anomalies. Per user, the 50
    amounts before this one; alert when at least 3 exist, amount > 3 x their
    mean and amount > 500. `transactions` are in per-user processing order."""
    history = collections.defaultdict(list)
    alerts = {}
    for t in transactions:
        h = history[t["user_id"]]
        previous = h[-50:]
        if len(previous) >= 3:
            mean = sum(previous) / len(previous)
            if t["amount"] > 3 * mean and t["amount"] > 500:
                alerts[t["id"]] = t["amount"]
        h.append(t["amount"])
    return alerts


def fraud_velocity(transactions):
    """Agent 2: {transaction_id: score}. Per user, transactions in the last 60 s
    of event time including this one; 40 if more than 5, + 50 if amount > 4000;
    alert when the score is above 70."""
    seen = collections.defaultdict(list)
    alerts = {}
    for t in transactions:
        times = seen[t["user_id"]]
        times.append(t["created_at"])
        recent = sum(1 for x in times if t["created_at"] - MINUTE <= x <= t["created_at"])
        score = (40 if recent > 5 else 0) + (50 if t["amount"] > 4000 else 0)
        if score > 70:
            alerts[t["id"]] = score
    return alerts


# ---- revenue ------------------------------------------------------------------------------

def completions(order_events):
    """{order_id: (completed_at, total_amount)} for the updates that complete an order."""
    done = {}
    for e in in_log_order(order_events):
        a, b = e["after"], e["before"]
        if e["op"] in ("c", "u", "r") and a is not None and a["status"] == "completed" and (
                b is None or b["status"] != "completed"):
            done[a["order_id"]] = (a["updated_at"], a["total_amount"])
    return done


def revenue(order_events, item_events, product_events, size, grace):
    """{window_start: (total_revenue, order_count, avg_order_value, top_category)} of
    the windows that closed: stream time (the largest completion time) has
    passed end + grace. Items join their order's completion when created at
    most an hour apart."""
    categories = {}
    for e in in_log_order(product_events):
        if e["after"] is not None:
            categories[e["after"]["product_id"]] = e["after"]["category"]
    done = completions(order_events)
    windows = collections.defaultdict(lambda: {"sum": decimal.Decimal(0), "n": 0,
                                               "weights": collections.defaultdict(decimal.Decimal)})
    for oid, (t, amount) in done.items():
        w = windows[t - t % size]
        w["sum"] += amount
        w["n"] += 1
    for e in item_events:
        a = e["after"]
        if e["op"] not in ("c", "r") or a["order_id"] not in done:
            continue
        t, _ = done[a["order_id"]]
        if abs(t - a["created_at"]) > HOUR:
            continue
        cat = categories.get(a["product_id"], "unknown")
        windows[max(t, a["created_at"]) - max(t, a["created_at"]) % size]["weights"][cat] += (
            a["quantity"] * a["unit_price"])
    stream_time = max((t for t, _ in done.values()), default=0)
    out = {}
    for start, w in windows.items():
        if start + size + grace > stream_time or w["n"] == 0:
            continue
        avg = (w["sum"] / w["n"]).quantize(decimal.Decimal("0.000001"),
                                           rounding=decimal.ROUND_HALF_UP)
        top = None
        if w["weights"]:
            best = max(w["weights"].values())
            top = min(c for c, v in w["weights"].items() if v == best)
        out[start] = (w["sum"], w["n"], avg, top)
    return out


# ---- temperature --------------------------------------------------------------------------

def temperature_averages(reading_events, size=10 * MINUTE):
    """{(sensor_id, window_start): (avg, readings)} over every reading."""
    acc = collections.defaultdict(list)
    for e in reading_events:
        a = e["after"]
        if e["op"] in ("c", "r") and a is not None:
            acc[(a["sensor_id"], a["created_at"] - a["created_at"] % size)].append(
                a["temperature"])
    return {k: (sum(v) / len(v), len(v)) for k, v in acc.items()}


# ---- sessions -----------------------------------------------------------------------------

def sessions(view_events, order_events, gap=30 * MINUTE):
    """{(user_id, session_start): (session_end, page_views, orders_placed, total_spent)}:
    per user, activities (page views, orders placed) closer than `gap` apart
    form one session."""
    acts = collections.defaultdict(list)
    for e in view_events:
        a = e["after"]
        if e["op"] in ("c", "r") and a is not None and a["event_type"] == "page_view":
            acts[a["user_id"]].append((a["created_at"], 1, 0, decimal.Decimal(0)))
    for e in order_events:
        a = e["after"]
        if e["op"] in ("c", "r") and a is not None:
            acts[a["user_id"]].append((a["created_at"], 0, 1, a["total_amount"]))
    out = {}
    for user, items in acts.items():
        items.sort()
        cur = None
        for t, views, orders, spent in items:
            if cur is None or t - cur[1] > gap:
                if cur is not None:
                    out[(user, cur[0])] = tuple(cur[1:])
                cur = [t, t, 0, 0, decimal.Decimal(0)]
            cur[1] = t
            cur[2] += views
            cur[3] += orders
            cur[4] += spent
        out[(user, cur[0])] = tuple(cur[1:])
    return out
