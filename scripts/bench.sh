#!/usr/bin/env bash
# Run every benchmark (or the one named), printing each one's BENCH line last.
#   scripts/bench.sh BUILD_DIR [NAME]
set -euo pipefail
build=${1:-build}
name=${2:-}
cd "$(dirname "$0")/.."
shopt -s nullglob
benches=()
for src in benchmarks/*.c; do
  b=$(basename "$src" .c)
  case $b in bench_*) continue ;; esac   # the shared harness
  [ -n "$name" ] && [ "$b" != "$name" ] && continue
  benches+=("$b")
done
if [ ${#benches[@]} -eq 0 ]; then
  echo "no benchmark named '$name'; available:" $(ls benchmarks/*.c | xargs -n1 basename | sed 's/\.c$//' | grep -v '^bench_') >&2
  exit 2
fi
results=()
for b in "${benches[@]}"; do
  echo "== $b" >&2
  line=$("$build/bench_$b" | tail -n 1)
  echo "$line"
  results+=("$line")
done
echo "== summary" >&2
printf '%s\n' "${results[@]}" >&2
