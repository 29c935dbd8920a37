# `eddy check` and `eddy describe` as a user runs them: exit codes, where the
# output goes, the exact diagnostics, --help and --dot.
set -u
EDDY=${EDDY_BIN:?EDDY_BIN is not set}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect <name> <expected exit code> <expected stdout file> <expected stderr file> -- command...
expect() {
  local name=$1 code=$2 out=$3 err=$4
  shift 5
  "$@" >got.out 2>got.err
  local rc=$?
  [ "$rc" = "$code" ] || fail "$name: exit code $rc, expected $code"
  cmp -s got.out "$out" || { fail "$name: stdout differs"; diff "$out" got.out >&2; }
  cmp -s got.err "$err" || { fail "$name: stderr differs"; diff "$err" got.err >&2; }
}

cat >good.eddy <<'EOF'
stream orders from "orders" format json schema (id int, amount decimal(10,2))
unused = orders | where amount > 0
orders | where amount > 100 | to kafka "big" key id
EOF
cat >bad.eddy <<'EOF'
stream orders from "orders" format json schema (id int, amount decimal(10,2))
orders | where amout > 100 | to stdout
EOF

printf 'good.eddy: ok\n' >ok.out
cat >ok.err <<'EOF'
good.eddy:2:1: warning: 'unused' is never used
    2 | unused = orders | where amount > 0
      | ^~~~~~
EOF
expect "check a valid file" 0 ok.out ok.err -- "$EDDY" check good.eddy

: >empty
cat >bad.err <<'EOF'
bad.eddy:2:16: error: unknown field 'amout' (did you mean 'amount'?)
    2 | orders | where amout > 100 | to stdout
      |                ^~~~~
EOF
expect "check an invalid file" 1 empty bad.err -- "$EDDY" check bad.eddy

# several files: each is checked, the exit code reports any failure
cat ok.err bad.err >both.err
expect "check several files" 1 ok.out both.err -- "$EDDY" check good.eddy bad.eddy

printf 'missing.eddy: error: cannot read '"'"'missing.eddy'"'"': No such file or directory\n' >missing.err
expect "check a missing file" 1 empty missing.err -- "$EDDY" check missing.eddy

"$EDDY" check >/dev/null 2>&1
[ $? = 2 ] || fail "check without files should exit 2"
"$EDDY" check --bogus good.eddy >/dev/null 2>&1
[ $? = 2 ] || fail "check with an unknown option should exit 2"
"$EDDY" check --help >help.out 2>&1 || fail "check --help should exit 0"
grep -q '^usage: eddy check FILE' help.out || fail "check --help prints the usage"
"$EDDY" describe --help >help.out 2>&1 || fail "describe --help should exit 0"
grep -q '^usage: eddy describe FILE \[--dot\]' help.out || fail "describe --help prints the usage"

cat >describe.out <<'EOF'
Topology good (good.eddy)

Sub-topology 0
  Source orders (topics: [orders], format: json, on error: dlq)
    key: the message key (string)
    event time: the record timestamp
    decodes 2 of 2 fields: id, amount
    --> orders.where-1
  Processor orders.where-1: where amount > 100
    <-- orders
    --> orders.to-kafka-1
  Sink orders.to-kafka-1: to kafka "big" format json key id
    <-- orders.where-1

Topics
  input: orders
  output: big
  dead letters: good-dlq

Stores: none
EOF
expect "describe" 0 describe.out ok.err -- "$EDDY" describe good.eddy
expect "describe an invalid file" 1 empty bad.err -- "$EDDY" describe bad.eddy

"$EDDY" describe good.eddy --dot >dot.out 2>/dev/null || fail "describe --dot should exit 0"
grep -q '^digraph "good" {$' dot.out || fail "--dot starts a digraph"
grep -q '"orders" -> "orders.where-1";' dot.out || fail "--dot has the edges"
grep -q '"orders.to-kafka-1" -> "topic big";' dot.out || fail "--dot has the output topic"
"$EDDY" describe good.eddy bad.eddy >/dev/null 2>&1
[ $? = 2 ] || fail "describe takes one file"

[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "eddy check/describe: all good"
