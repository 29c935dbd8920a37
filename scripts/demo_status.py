#!/usr/bin/python3
"""Live view of a running `eddy run --metrics`: one line per topology.

    demo_status.py URL SECONDS

Polls URL/status every second for SECONDS and redraws one line per
application: state, records in and out (with rates), dead letters, late
records and consumer lag. Exits early with status 1 when an application
stops. Standard library only.
"""
import json
import sys
import time
import urllib.error
import urllib.request


def fetch(url):
    try:
        with urllib.request.urlopen(url + "/status", timeout=2) as r:
            return json.load(r)["apps"]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def line(app, prev, secs):
    rate_in = (app["records_in"] - prev.get("records_in", 0)) / secs if prev else 0
    lag = app["lag"] if app["lag"] >= 0 else "?"
    return (f"  {app['app']:<18} {app['state']:<9} in {app['records_in']:>9,} "
            f"({rate_in:>7,.0f}/s)  out {app['records_out']:>8,}  dlq {app['dlq']:>4}  "
            f"late {app['late']:>4}  lag {lag:>6}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    url, seconds = sys.argv[1].rstrip("/"), float(sys.argv[2])
    tty = sys.stdout.isatty()
    start = last = time.monotonic()
    prev, drawn, apps = {}, 0, None
    while time.monotonic() - start < seconds:
        time.sleep(1)
        now = time.monotonic()
        apps = fetch(url)
        if apps is None:
            print("  (metrics endpoint not answering)")
            continue
        lines = [f"  {int(now - start):>3}s of {int(seconds)}s"]
        lines += [line(a, prev.get(a["app"]), now - last) for a in apps]
        if tty and drawn:
            sys.stdout.write(f"\x1b[{drawn}F")
        if tty or int(now - start) % 10 == 0:
            sys.stdout.write("".join(f"\x1b[2K{l}\n" if tty else f"{l}\n" for l in lines))
            sys.stdout.flush()
            drawn = len(lines)
        prev = {a["app"]: a for a in apps}
        last = now
        stopped = [a["app"] for a in apps if a["state"] == "stopped"]
        if stopped:
            print(f"  stopped: {', '.join(stopped)}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
