#!/usr/bin/python3
"""Malformed and hostile requests against `eddy registry` over raw sockets:
truncated requests, oversized headers, URLs and bodies, invalid JSON and
schemas, unknown subjects/versions/ids/routes. Each must get the documented
HTTP status and Confluent error code, and the server must keep serving and
stop cleanly afterwards (run against a sanitizer build, that also means no
memory error and no leak)."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sr_harness import avro_record, start_broker, start_registry, tmout  # noqa: E402

MAX_BODY = 65536
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def parse_responses(data):
    """Split raw bytes into [(status, headers, body)], skipping 100 Continue."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip()
                   for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        body, data = rest[:length], rest[length:]
        if status != 100:
            out.append((status, headers, body.decode()))
    return out


def raw(reg, payload, expect=1, half_close=False):
    """Send \\p payload on a new connection; read \\p expect responses."""
    s = socket.create_connection((reg.host, reg.port), timeout=tmout(20))
    try:
        s.sendall(payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        data = b""
        deadline = time.monotonic() + tmout(20)
        while len(parse_responses(data)) < expect and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return parse_responses(data)
    finally:
        s.close()


def req(method, path, body=None, extra=""):
    body = body.encode() if isinstance(body, str) else body
    head = "%s %s HTTP/1.1\r\nHost: test\r\n%s" % (method, path, extra)
    if body is not None:
        head += "Content-Type: application/vnd.schemaregistry.v1+json\r\n"
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + (body or b"")


def expect(reg, payload, status, code=None, what="", half_close=False):
    res = raw(reg, payload, half_close=half_close)
    check(len(res) == 1, "%s: expected one response, got %r" % (what, res))
    got_status, headers, body = res[0]
    check(got_status == status, "%s: status %d, expected %d (%s)" % (what, got_status, status, body))
    check(headers.get("content-type") == "application/vnd.schemaregistry.v1+json",
          "%s: content type %r" % (what, headers.get("content-type")))
    if code is not None:
        err = json.loads(body)
        check(err.get("error_code") == code and isinstance(err.get("message"), str),
              "%s: error body %s, expected code %d" % (what, body, code))
    return headers, body


def test_truncated(reg):
    expect(reg, req("POST", "/subjects/x/versions", '{"schema": "\\"int\\""}')[:-8], 400, 400,
           "truncated body", half_close=True)
    expect(reg, b"GET /subjects HTTP/1.1\r\nHost: x\r\nAccept: */", 400, 400,
           "truncated headers", half_close=True)
    expect(reg, b"HELLO\r\n\r\n", 400, 400, "garbage request line")
    expect(reg, bytes(range(256)) * 4, 400, 400, "binary garbage")
    expect(reg, b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, 400, "bad content length")


def test_limits(reg):
    expect(reg, req("GET", "/subjects", extra="X-Big: %s\r\n" % ("a" * 100000)), 431, 431,
           "100 KB header")
    many = "".join("X-H%d: v\r\n" % i for i in range(150))
    expect(reg, req("GET", "/subjects", extra=many), 431, 431, "150 headers")
    expect(reg, req("GET", "/subjects/" + "s" * 10000), 414, 414, "10 KB URL")
    expect(reg, b"POST /subjects/x/versions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
           413, 413, "declared body over the limit")
    chunk = b"%x\r\n%s\r\n" % (40000, b"a" * 40000)
    expect(reg, b"POST /subjects/x/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                b"\r\n\r\n" + chunk * 2 + b"0\r\n\r\n", 413, 413, "chunked body over the limit")
    ok = json.dumps({"schema": avro_record("Big", [{"name": "f", "type": "string",
                                                     "doc": "d" * (MAX_BODY - 200)}])})
    check(len(ok) < MAX_BODY, "body under the limit")
    expect(reg, req("POST", "/subjects/big/versions", ok), 200, None, "body just under the limit")


def test_bad_bodies(reg):
    bad = [("not json", 42201), ("[1,2]", 42201), ('{"schema": 5}', 42201),
           ('{"nothing": "here"}', 42201), ('{"schema": "{\\"type\\": \\"recrod\\"}"}', 42201),
           ('{"schema": "{not json"}', 42201), ('{"schema": ""}', 42201),
           ('{"schema": "\\"int\\"", "schemaType": "PROTOBUF"}', 42201),
           ('{"schema": "{\\"type\\":\\"record\\",\\"name\\":\\"R\\",\\"fields\\":'
            '[{\\"name\\":\\"a\\",\\"type\\":\\"int\\",\\"default\\":\\"x\\"}]}"}', 42201)]
    for body, code in bad:
        expect(reg, req("POST", "/subjects/x/versions", body), 422, code, "register " + body)
        expect(reg, req("POST", "/compatibility/subjects/x/versions", body), 422, code,
               "compat " + body)
    expect(reg, req("PUT", "/config", "{oops"), 422, 42203, "config not json")
    expect(reg, req("PUT", "/config", '{"compatibility": "SIDEWAYS"}'), 422, 42203, "bad level")
    expect(reg, req("PUT", "/mode", '{"mode": "FAST"}'), 422, 42204, "bad mode")
    expect(reg, req("POST", "/subjects/x/versions", "[" * 50000), 422, 42201, "deep JSON body")
    deep = '{"type":"array","items":' * 300 + '"int"' + "}" * 300
    _, body = expect(reg, req("POST", "/subjects/x/versions", json.dumps({"schema": deep})), 422,
                     42201, "deeply nested schema")
    check("nested too deeply" in body, body)
    _, body = expect(reg, req("POST", "/subjects/x/versions",
                              json.dumps({"schema": '{"type":"array"}'})), 422, 42201)
    check("items" in json.loads(body)["message"], "the message names the problem: " + body)


def test_unknown_things(reg):
    expect(reg, req("GET", "/subjects/nobody/versions"), 404, 40401, "unknown subject")
    expect(reg, req("GET", "/subjects/nobody/versions/1"), 404, 40401, "unknown subject version")
    expect(reg, req("POST", "/subjects/nobody", json.dumps({"schema": '"int"'})), 404, 40401,
           "lookup under unknown subject")
    expect(reg, req("POST", "/subjects/known/versions", json.dumps({"schema": '"int"'})), 200)
    expect(reg, req("GET", "/subjects/known/versions/2"), 404, 40402, "unknown version")
    expect(reg, req("POST", "/subjects/known", json.dumps({"schema": '"long"'})), 404, 40403,
           "lookup of an unregistered schema")
    for v in ("abc", "0", "-5", "99999999999"):
        expect(reg, req("GET", "/subjects/known/versions/" + v), 422, 42202, "version " + v)
    expect(reg, req("GET", "/schemas/ids/424242"), 404, 40403, "unknown id")
    expect(reg, req("GET", "/schemas/ids/abc"), 404, 40403, "non-numeric id")
    expect(reg, req("GET", "/no/such/route"), 404, 404, "unknown route")
    expect(reg, req("GET", "/subjects/%ZZ/versions"), 404, 404, "bad percent-encoding")
    headers, _ = expect(reg, req("DELETE", "/schemas/types"), 405, 405, "wrong method")
    check(headers.get("allow") == "GET", "Allow header: %r" % headers)
    expect(reg, req("POST", "/subjects/a%01b/versions", json.dumps({"schema": '"int"'})), 422,
           42208, "control character in a subject")
    expect(reg, req("DELETE", "/subjects/nobody"), 404, 40401, "delete unknown subject")
    expect(reg, req("DELETE", "/subjects/known/versions/9"), 404, 40402, "delete unknown version")


def test_connection_behaviour(reg):
    # keep-alive: several requests on one connection, and pipelining
    two = req("GET", "/subjects") + req("GET", "/schemas/ids/1")
    res = raw(reg, two, expect=2)
    check([r[0] for r in res] == [200, 200], "pipelined responses: %r" % res)
    check(json.loads(res[0][2]) == sorted(json.loads(res[0][2])), "subjects listed")
    res = raw(reg, req("GET", "/subjects", extra="Connection: close\r\n"), expect=1)
    check(res[0][1].get("connection") == "close", "Connection: close honoured")
    # Expect: 100-continue gets its interim response, then the answer
    body = json.dumps({"schema": '"string"'})
    res = raw(reg, req("POST", "/subjects/slash%2Fsubject/versions", body,
                       extra="Expect: 100-continue\r\n"))
    check(res and res[0][0] == 200, "register with Expect: 100-continue: %r" % res)
    res = raw(reg, req("GET", "/subjects/slash%2Fsubject/versions"))
    check(res[0][0] == 200 and json.loads(res[0][2]) == [1], "a subject with an encoded slash")
    # abandoned half-requests do not wedge the server
    socks = []
    for _ in range(20):
        s = socket.create_connection((reg.host, reg.port), timeout=tmout(5))
        s.sendall(b"POST /subjects/x/versions HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
        socks.append(s)
    expect(reg, req("GET", "/"), 200, None, "still serving with 20 half-open requests")
    for s in socks:
        s.close()


def main():
    broker = start_broker()
    reg = None
    try:
        reg = start_registry(broker.bootstrap, "--max-body-bytes", str(MAX_BODY))
        for t in (test_truncated, test_limits, test_bad_bodies, test_unknown_things,
                  test_connection_behaviour):
            t(reg)
        expect(reg, req("GET", "/"), 200, None, "alive at the end")
        reg.stop()   # exit code 0: clean shutdown (and no sanitizer report)
        reg = None
    finally:
        if reg is not None:
            reg.stop(check=False)
        broker.stop(check=False)
    print("%d passed, 0 failed" % checks)


if __name__ == "__main__":
    main()
