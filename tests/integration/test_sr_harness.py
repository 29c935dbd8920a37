#!/usr/bin/python3
"""Shared helpers for the Schema Registry integration tests, and a smoke test
when run directly: start an embedded broker and `eddy registry`, check that
GET / answers {} and that SIGTERM stops the registry cleanly.

The helpers start `$EDDY_BIN broker` and `$EDDY_BIN registry --listen
127.0.0.1:0` (free ports chosen by the processes themselves, read back from
their first stdout lines) and stop them with SIGTERM, asserting exit code 0 so
that a sanitizer build's leak or error reports fail the test.
"""
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

EDDY = os.environ.get("EDDY_BIN", "eddy")
SCALE = float(os.environ.get("EDDY_TEST_TIMEOUT_SCALE", "1"))
MEDIA = "application/vnd.schemaregistry.v1+json"


def tmout(seconds):
    return seconds * SCALE


class Proc:
    """A child process whose stdout lines are read as it starts."""

    def __init__(self, args, name):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix="eddy-%s-" % name, suffix=".log",
                                               delete=False)
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log,
                                  stdin=subprocess.DEVNULL)

    def read_value(self, key, timeout):
        """Wait for a stdout line `key=value` and return value."""
        deadline = time.monotonic() + tmout(timeout)
        buf = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.p.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                for line in buf.decode().splitlines():
                    if line.startswith(key + "="):
                        return line[len(key) + 1:]
            elif self.p.poll() is not None:
                break
        self.fail("no %s= line on stdout" % key)

    def fail(self, why):
        self.p.kill()
        self.p.wait()
        raise AssertionError("%s: %s\n--- stderr ---\n%s" % (self.name, why, self.stderr()))

    def stderr(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-6000:]

    def stop(self, check=True):
        """SIGTERM, wait, and (with check) require a clean exit."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=tmout(30))
            except subprocess.TimeoutExpired:
                self.fail("did not stop within 30 s of SIGTERM")
        code = self.p.returncode
        err = self.stderr()
        self.p.stdout.close()
        self.log.close()
        os.unlink(self.log.name)
        if check and code != 0:
            raise AssertionError("%s exited with %s\n--- stderr ---\n%s" % (self.name, code, err))
        return code


def start_broker():
    """An embedded Kafka cluster with _schemas created with one partition."""
    b = Proc([EDDY, "broker", "--brokers", "1", "--topic", "_schemas:1"], "broker")
    b.bootstrap = b.read_value("bootstrap", 30)
    return b


def start_registry(bootstrap, *extra):
    r = Proc([EDDY, "registry", "--bootstrap", bootstrap, "--listen", "127.0.0.1:0",
              "--log-level", "warn"] + list(extra), "registry")
    r.url = r.read_value("listening", 60)
    r.host, r.port = r.url[len("http://"):].rsplit(":", 1)
    r.port = int(r.port)
    return r


def request(reg, method, path, body=None, headers=None, conn=None):
    """One HTTP request; returns (status, parsed JSON or raw text, headers)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection(reg.host, reg.port, timeout=tmout(30))
    hdrs = {"Accept": MEDIA}
    if body is not None:
        hdrs["Content-Type"] = MEDIA
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
    hdrs.update(headers or {})
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    raw = resp.read().decode()
    if own:
        conn.close()
    try:
        data = json.loads(raw)
    except ValueError:
        data = raw
    return resp.status, data, dict(resp.getheaders())


def avro_record(name, fields):
    return json.dumps({"type": "record", "name": name, "fields": fields})


def wait_until(what, fn, timeout=30):
    """Poll fn() until it returns a true value (no fixed sleeps)."""
    deadline = time.monotonic() + tmout(timeout)
    delay = 0.01
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def main():
    broker = start_broker()
    try:
        reg = start_registry(broker.bootstrap)
        status, body, headers = request(reg, "GET", "/")
        assert status == 200 and body == {}, (status, body)
        assert headers["Content-Type"] == MEDIA, headers
        status, body, _ = request(reg, "GET", "/schemas/types")
        assert status == 200 and body == ["AVRO"], body
        reg.stop()
    finally:
        broker.stop(check=False)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
