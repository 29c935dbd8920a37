#!/usr/bin/env bash
# A stateful topology from the command line: `eddy describe` names its
# internal topics and stores, `eddy run --embedded` creates them, restores
# its tasks, reports them ready on its metrics endpoint and stops cleanly on
# SIGTERM, leaving checkpoints behind.
set -uo pipefail
eddy=${EDDY_BIN:?EDDY_BIN is not set}
src=${EDDY_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
topo=$src/examples/revenue_windows.eddy

"$eddy" describe "$topo" >"$tmp/describe" 2>&1 || fail "describe failed: $(cat "$tmp/describe")"
for want in "repartition: revenue_windows-revenue_5m.group-by-1-repartition revenue_windows-by_user.group-by-1-repartition" \
            "changelogs: revenue_windows-revenue_5m.aggregate-1-store-changelog revenue_windows-by_user.aggregate-1-store-changelog" \
            "store: revenue_5m.aggregate-1-store (window, retention 5m30s" \
            "store: by_user.aggregate-1-store (key-value"; do
  grep -qF -- "$want" "$tmp/describe" || fail "describe lacks '$want'"
done

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$eddy" run "$topo" --embedded --set stats.interval.ms=0 --set "state.dir=$tmp/state" \
  --threads 2 --metrics "127.0.0.1:$port" >"$tmp/run.out" 2>"$tmp/run.err" &
pid=$!
for _ in $(seq 900); do [ "$(grep -c 'task(s) ready' "$tmp/run.err")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c 'task(s) ready' "$tmp/run.err")" -ge 2 ] ||
  fail "the threads' tasks never got ready: $(tail -5 "$tmp/run.err")"
# the metrics endpoint: ready once the stores are restored, restore gauges agree
get() { /usr/bin/python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5); print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
PY
}
for _ in $(seq 100); do [ "$(get "http://127.0.0.1:$port/ready" | head -1)" = 200 ] && break; sleep 0.1; done
[ "$(get "http://127.0.0.1:$port/ready" | head -1)" = 200 ] || fail "/ready never answered 200"
get "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
gauge() { sed -n "s/^eddy_$1{app=\"revenue_windows\"} //p" "$tmp/metrics"; }
[ "$(gauge running)" = 1 ] || fail "eddy_running is not 1: $(head -c 300 "$tmp/metrics")"
stores=$(gauge restore_stores); done_=$(gauge restore_stores_done)
[ -n "$stores" ] && [ "$stores" -ge 1 ] && [ "$stores" = "$done_" ] ||
  fail "restore gauges: stores=$stores done=$done_"
kill -TERM "$pid"
wait "$pid"
code=$?
pid=
[ "$code" -eq 0 ] || fail "run exited $code after SIGTERM: $(tail -5 "$tmp/run.err")"
# 4 partitions each for the two stateful sub-topologies, over two threads
tasks=$(ls -d "$tmp"/state/revenue_windows/*_* 2>/dev/null | wc -l)
[ "$tasks" -eq 8 ] || fail "expected 8 task directories, found $tasks"
grep -q "level=error" "$tmp/run.err" && fail "errors in the log: $(grep level=error "$tmp/run.err" | head -3)"

[ "$failures" -eq 0 ] && echo "cli stateful: all checks passed"
exit $((failures > 0))
