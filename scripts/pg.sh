#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the demo and the tests: its own data
# directory and a free port on 127.0.0.1, the socket in the directory too.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` system user (created by Debian's postgresql package).
#
#   scripts/pg.sh start DIR   start; prints `url=postgresql://...` on stdout
#   scripts/pg.sh stop DIR    stop (fast shutdown) and remove DIR
#   scripts/pg.sh url DIR     print the connection URL of a running cluster
#   scripts/pg.sh down DIR    stop the server, keep the cluster (tests: an outage)
#   scripts/pg.sh up DIR      start a stopped cluster again on its port
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: scripts/pg.sh start|stop|url DIR"
cmd=$1
dir=$2

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] ||
  die "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

url() { echo "postgresql://$(cat "$dir/user")@127.0.0.1:$(cat "$dir/port")/postgres"; }

case $cmd in
start)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' user: install Debian's postgresql package"
    chown postgres: "$dir"
    echo postgres >"$dir/user"
  else
    id -un >"$dir/user"
  fi
  as_owner "$bindir/initdb" -D "$dir/data" -U "$(cat "$dir/user")" --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
  for attempt in 1 2 3; do
    port=$(free_port)
    echo "$port" >"$dir/port"
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
      url
      exit 0
    fi
    [ "$attempt" -lt 3 ] && echo "pg.sh: port $port taken, retrying" >&2
  done
  die "PostgreSQL did not start: $(tail -n 5 "$dir/server.log")"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
url)
  url
  ;;
down)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
up)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    die "PostgreSQL did not start again: $(tail -n 5 "$dir/server.log")"
  ;;
*)
  die "unknown command '$cmd' (start, stop, url, down or up)"
  ;;
esac
