#!/bin/sh
# Runs a command beside a real redis-server and a real PostgreSQL server, both Debian's packages, started
# here on free loopback ports with their data in a temporary folder and stopped (folder removed) when the
# command ends, whatever its outcome. The command sees where they are in
#   JAZZBOT_TEST_REDIS_URL     redis://127.0.0.1:PORT/0
#   JAZZBOT_TEST_DATABASE_URL  postgresql://jazzbot@127.0.0.1:PORT/jazzbot
# `make test` runs pytest through it, so the suite exercises both storage backends and the job queue.
# The throwaway cluster trusts loopback connections and skips fsync: it holds nothing worth a password
# or durability. The one exception: members of the role `needs_password` must give their password over
# TCP (scram-sha-256), so a test can create such a role and see a wrong password refused for real.
# PostgreSQL refuses to run as root, so as root its programs run as the `postgres` user that Debian's
# package creates.
#
# Usage: scripts/with-services.sh COMMAND [ARG...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/install-system-packages.sh" redis-server postgresql

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "with-services: PostgreSQL programs not found under /usr/lib/postgresql" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jazzbot-services.XXXXXX")
chmod 755 "$tmp"
as_pg=""
if [ "$(id -u)" -eq 0 ]; then
  as_pg="runuser -u postgres --"
  mkdir "$tmp/pg"
  chown postgres "$tmp/pg"
fi
redis_port=$(free_port)
pg_port=$(free_port)

stop() {
  status=$?
  trap - EXIT INT TERM
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  $as_pg "$pg_bin/pg_ctl" -D "$tmp/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$status"
}
trap stop EXIT INT TERM

mkdir "$tmp/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$tmp/redis" --save "" --appendonly no \
  --daemonize yes --pidfile "$tmp/redis/redis.pid" --logfile "$tmp/redis/redis.log"

$as_pg "$pg_bin/initdb" -D "$tmp/pg/data" -U jazzbot -A trust -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; exit 1; }
# First match wins: the password rule for `needs_password` members comes before the trust lines.
cat >"$tmp/pg_hba.conf" <<'HBA'
local all all                  trust
host  all +needs_password 127.0.0.1/32 scram-sha-256
host  all all 127.0.0.1/32     trust
host  all all ::1/128          trust
HBA
$as_pg "$pg_bin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $tmp/pg -c fsync=off -c max_connections=200 -c hba_file=$tmp/pg_hba.conf" \
  start >/dev/null || { cat "$tmp/pg/server.log" >&2; exit 1; }
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U jazzbot jazzbot
"$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U jazzbot -d jazzbot -qc "CREATE ROLE needs_password NOLOGIN"

for _ in 1 2 3 4 5 6 7 8 9 10; do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.2
done
echo "with-services: redis-server on 127.0.0.1:$redis_port, PostgreSQL on 127.0.0.1:$pg_port (data in $tmp)"

export JAZZBOT_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
export JAZZBOT_TEST_DATABASE_URL="postgresql://jazzbot@127.0.0.1:$pg_port/jazzbot"
"$@"
