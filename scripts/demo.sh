#!/usr/bin/env bash
# `make demo`: the shipped topologies on one machine. Starts a throwaway
# PostgreSQL with the analytics tables, runs the topologies on an embedded
# Kafka cluster, feeds them a minute of generated e-commerce, fraud and
# sensor change events, shows live progress, then what came out.
#   scripts/demo.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=${1:-build}
seconds=${2:-60}
cd "$(dirname "$0")/.."
eddy="$build/eddy"
python=/usr/bin/python3
work=$(mktemp -d /tmp/eddy-demo.XXXXXX)
pgdir=$(mktemp -d /tmp/eddy-demo-pg.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work" "$pgdir"
}
trap cleanup EXIT
fail() {
  echo "demo: $*" >&2
  [ -s "$work/run.log" ] && { echo "--- last lines of the engine's log ---" >&2; tail -n 15 "$work/run.log" >&2; }
  exit 1
}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
free_port() { $python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

topologies=(inventory_alerts fraud_anomaly fraud_velocity revenue sessions temperature)
files=()
for t in "${topologies[@]}"; do files+=("topologies/$t.eddy"); done

step "checking the topologies (eddy check)"
"$eddy" check "${files[@]}"

step "starting a throwaway PostgreSQL and creating the analytics tables"
pgurl=$(scripts/pg.sh start "$pgdir") || fail "PostgreSQL did not start"
psql -q -v ON_ERROR_STOP=1 "$pgurl" -f sql/analytics.sql || fail "could not create the tables"
echo "PostgreSQL: $pgurl"

step "starting ${#files[@]} topologies on an embedded Kafka cluster"
port=$(free_port)
"$eddy" run "${files[@]}" --embedded --partitions 4 --metrics "127.0.0.1:$port" \
  --set "state.dir=$work/state" --set stats.interval.ms=0 --set "postgres.url=$pgurl" \
  >"$work/run.out" 2>"$work/run.log" &
engine=$!
pids+=("$engine")
bootstrap=
for _ in $(seq 150); do
  bootstrap=$(sed -n 's/.*embedded broker: bootstrap=\([^ "]*\).*/\1/p' "$work/run.log" | head -n 1)
  [ -n "$bootstrap" ] && break
  kill -0 "$engine" 2>/dev/null || fail "eddy run exited at start"
  sleep 0.2
done
[ -n "$bootstrap" ] || fail "the embedded broker did not start"
for _ in $(seq 300); do
  $python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/ready', timeout=2)" \
    2>/dev/null && break
  kill -0 "$engine" 2>/dev/null || fail "eddy run exited while starting"
  sleep 0.2
done
echo "bootstrap servers: $bootstrap; metrics: http://127.0.0.1:$port/metrics"

step "generating change events for about $seconds s (eddy gen)"
# event time runs faster than the wall clock, so hour windows and 30-minute
# sessions happen within the minute
gen() { "$eddy" gen "$@" --bootstrap "$bootstrap" --quiet 2>>"$work/gen.log" & pids+=($!); }
gen ecommerce --rate 300 --event-rate 2 --count $((300 * seconds)) --seed 1
gen fraud --rate 150 --event-rate 10 --count $((150 * seconds)) --seed 1
gen temperature --rate 50 --event-rate 5 --count $((50 * seconds)) --seed 1
echo "ecommerce 300/s, fraud 150/s, temperature 50/s"

step "live progress (one line per topology)"
$python scripts/demo_status.py "http://127.0.0.1:$port" "$seconds" ||
  fail "a topology stopped"
wait_gen=0
for _ in $(seq 100); do
  [ -z "$(jobs -rp | grep -v "^$engine\$")" ] && { wait_gen=1; break; }
  sleep 0.2
done
[ "$wait_gen" = 1 ] || fail "the generators did not finish: $(tail -n 3 "$work/gen.log")"
# let the topologies drain what is left
for _ in $(seq 100); do
  lag=$($python -c "import json,urllib.request; a=json.load(urllib.request.urlopen('http://127.0.0.1:$port/status'))['apps']; print(sum(max(x['lag'],0) for x in a))")
  [ "$lag" = 0 ] && break
  sleep 0.3
done

step "what came out"
$python scripts/demo_show.py "$bootstrap"

step "the analytics tables in PostgreSQL (psql)"
for q in "SELECT period, window_start, total_revenue, order_count, avg_order_value, top_category FROM revenue_analytics ORDER BY window_start DESC, period LIMIT 5" \
         "SELECT product_id, product_name, current_stock, alert_level, created_at FROM inventory_alerts ORDER BY created_at DESC LIMIT 5" \
         "SELECT alert_type, transaction_id, user_id, amount, score, reason FROM fraud_alerts ORDER BY created_at DESC LIMIT 5" \
         "SELECT user_id, session_start, session_end, page_views, orders_placed, total_spent FROM user_activity ORDER BY session_end DESC, user_id LIMIT 5" \
         "SELECT sensor_id, office, window_start, avg_temperature, readings FROM temperature_averages ORDER BY window_start DESC, sensor_id LIMIT 5"; do
  psql "$pgurl" -P pager=off -c "$q" || fail "psql failed"
done
psql "$pgurl" -P pager=off -c "SELECT 'revenue_analytics' AS table_name, count(*) AS rows FROM revenue_analytics
  UNION ALL SELECT 'inventory_alerts', count(*) FROM inventory_alerts
  UNION ALL SELECT 'fraud_alerts (anomaly)', count(*) FROM fraud_alerts WHERE alert_type = 'anomaly'
  UNION ALL SELECT 'fraud_alerts (velocity)', count(*) FROM fraud_alerts WHERE alert_type = 'velocity'
  UNION ALL SELECT 'user_activity', count(*) FROM user_activity
  UNION ALL SELECT 'temperature_averages', count(*) FROM temperature_averages" || fail "psql failed"

step "summary"
$python - "$port" <<'PY'
import json, sys, urllib.request
apps = json.load(urllib.request.urlopen("http://127.0.0.1:%s/status" % sys.argv[1]))["apps"]
print("  %-18s %10s %10s %6s %6s" % ("topology", "in", "out", "dlq", "late"))
for a in apps:
    print("  %-18s %10d %10d %6d %6d" % (a["app"], a["records_in"], a["records_out"], a["dlq"], a["late"]))
PY
kill -TERM "$engine"
wait "$engine" || fail "eddy run did not stop cleanly"
echo
echo "demo finished: every topology ran, wrote its Kafka topics and PostgreSQL tables, and stopped cleanly."
