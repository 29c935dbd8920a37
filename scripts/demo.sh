#!/usr/bin/env bash
# `make demo`: start the embedded broker, feed it Debezium order events, run
# the example topology, show what came out, and clean up.
#   scripts/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
eddy="$build/eddy"
work=$(mktemp -d /tmp/eddy-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "demo: $*" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "starting the embedded Kafka cluster"
"$eddy" broker --topic ecommerce.public.orders:4 >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^bootstrap=' "$work/broker.out" 2>/dev/null && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/broker.out")
[ -n "$bootstrap" ] || fail "the broker did not start: $(cat "$work/broker.log")"
echo "bootstrap servers: $bootstrap"

step "checking the topology (eddy check)"
"$eddy" check examples/completed_orders.eddy

step "producing 3000 Debezium order events (a few deliberately broken)"
/usr/bin/python3 scripts/demo_events.py "$bootstrap" ecommerce.public.orders 3000

step "running examples/completed_orders.eddy for 15 seconds"
"$eddy" run examples/completed_orders.eddy --bootstrap "$bootstrap" \
  --set stats.interval.ms=3000 >"$work/out.jsonl" 2>"$work/run.log" &
runner=$!
pids+=($runner)
for i in $(seq 15); do
  sleep 1
  kill -0 "$runner" 2>/dev/null || fail "eddy run exited early: $(tail -5 "$work/run.log")"
  printf '\r  %2ds  completed orders printed: %s' "$i" "$(wc -l <"$work/out.jsonl")"
done
echo
kill -TERM "$runner"
wait "$runner" || fail "eddy run did not stop cleanly: $(tail -5 "$work/run.log")"

step "a few completed orders (to stdout; also in topic orders.completed)"
head -n 5 "$work/out.jsonl"
step "the run's last progress line"
grep 'component=run' "$work/run.log" | tail -n 1
step "two dead letters, with the reason eddy recorded"
/usr/bin/python3 scripts/demo_dlq.py "$bootstrap" completed_orders-dlq 2
step "summary"
echo "completed orders: $(wc -l <"$work/out.jsonl")"
echo "dead letters:     $(grep -o 'dlq=[0-9]*' "$work/run.log" | tail -n 1 | cut -d= -f2) (topic completed_orders-dlq, with the reason in headers)"
echo
echo "demo finished."
