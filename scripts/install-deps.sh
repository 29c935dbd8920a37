#!/usr/bin/env bash
# Install the Debian packages eddy needs, if any is missing. Idempotent and quiet
# when everything is present.
set -euo pipefail

packages=(build-essential cmake pkg-config
  librdkafka-dev librocksdb-dev libavro-dev libuv1-dev libpq-dev libcjson-dev
  libhttp-parser-dev postgresql postgresql-client
  python3 python3-kafka python3-confluent-kafka python3-avro python3-requests python3-psycopg2)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "eddy: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "eddy: not root and no sudo; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
