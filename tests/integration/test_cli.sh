#!/usr/bin/env bash
# The eddy command line: --help everywhere, clear errors and exit codes for bad
# configuration and bad topologies, and a run on the embedded broker that
# stops cleanly on SIGTERM.
set -uo pipefail
eddy=${EDDY_BIN:?EDDY_BIN is not set}
src=${EDDY_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

expect_exit() { # expected_code description cmd...
  local want=$1 what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want; stderr: $(head -3 "$tmp/err")"
}
expect_stderr() { # pattern description
  grep -qF -- "$1" "$tmp/err" || fail "$2: stderr lacks '$1'; got: $(head -5 "$tmp/err")"
}

for cmd in run check describe broker registry; do
  expect_exit 0 "eddy $cmd --help" "$eddy" "$cmd" --help
  grep -q "usage: eddy $cmd" "$tmp/out" || fail "eddy $cmd --help prints no usage"
done
expect_exit 0 "--version" "$eddy" --version
grep -q '^eddy [0-9]' "$tmp/out" || fail "--version output: $(cat "$tmp/out")"
expect_exit 2 "unknown command" "$eddy" frobnicate
expect_stderr "unknown command 'frobnicate'" "unknown command"

# bad configuration: unknown key with a suggestion, file:line
printf 'application.id=x\ncomit.interval.ms=5\n' >"$tmp/bad.properties"
expect_exit 2 "bad config" "$eddy" run "$src/examples/completed_orders.eddy" --config "$tmp/bad.properties"
expect_stderr "bad.properties:2: unknown configuration key 'comit.interval.ms' (did you mean 'commit.interval.ms'?)" "bad config"
expect_exit 2 "bad --set" "$eddy" run "$src/examples/completed_orders.eddy" --set num.stream.threads=zero
expect_stderr "num.stream.threads: expected a non-negative integer, got 'zero'" "bad --set"

# bad topology: file:line:col and non-zero exit
cat >"$tmp/typo.eddy" <<'EOT'
stream orders from "orders" format debezium-json schema (order_id int, status string)
orders | where after.stauts == "completed" | to stdout
EOT
expect_exit 1 "typo in topology" "$eddy" check "$tmp/typo.eddy"
expect_stderr "typo.eddy:2:16: error: unknown field 'after.stauts' (did you mean 'after.status'?)" "typo"
expect_exit 1 "run refuses a bad topology" "$eddy" run "$tmp/typo.eddy" --embedded
expect_stderr "typo.eddy:2:16: error:" "run refuses a bad topology"
expect_exit 0 "check a good topology" "$eddy" check "$src/examples/completed_orders.eddy"
expect_exit 0 "describe" "$eddy" describe "$src/examples/completed_orders.eddy"
grep -q "ecommerce.public.orders" "$tmp/out" || fail "describe does not name the source topic"
expect_exit 0 "describe --dot" "$eddy" describe --dot "$src/examples/completed_orders.eddy"
grep -q "digraph" "$tmp/out" || fail "describe --dot is not Graphviz"

# a run on the embedded broker stops cleanly (exit 0) on SIGTERM
"$eddy" run "$src/examples/completed_orders.eddy" --embedded --set stats.interval.ms=0 \
  >"$tmp/run.out" 2>"$tmp/run.err" &
pid=$!
for _ in $(seq 100); do grep -q "assigned" "$tmp/run.err" && break; sleep 0.1; done
grep -q "assigned" "$tmp/run.err" || fail "run never got partitions: $(tail -5 "$tmp/run.err")"
kill -TERM "$pid"
wait "$pid"
code=$?
pid=
[ "$code" -eq 0 ] || fail "run exited $code after SIGTERM: $(tail -5 "$tmp/run.err")"
grep -q "stopping: flushing outputs and committing" "$tmp/run.err" || fail "no shutdown message"

[ "$failures" -eq 0 ] && echo "cli: all checks passed"
exit $((failures > 0))
