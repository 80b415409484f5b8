#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the storage and API tests, installing
# Debian's postgresql package first if it is missing. Source it: it exports DATABASE_URL_TEST
# and registers a trap that stops the server when the calling shell exits.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  echo "== installing PostgreSQL (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
PGBIN="$(pg_bin)"
PGPORT="${HPQMLS_TEST_PGPORT:-55432}"
PGDATA_DIR="$(mktemp -d /tmp/hpqmls-pg.XXXXXX)"

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"

as_pg "'$PGBIN/initdb' -D '$PGDATA_DIR/data' -A trust -U postgres --no-sync" >/dev/null
as_pg "'$PGBIN/pg_ctl' -D '$PGDATA_DIR/data' -l '$PGDATA_DIR/log' -w \
  -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >/dev/null
as_pg "'$PGBIN/createdb' -h 127.0.0.1 -p $PGPORT -U postgres hpqmls_test"

stop_postgres() { as_pg "'$PGBIN/pg_ctl' -D '$PGDATA_DIR/data' -m fast stop" >/dev/null 2>&1 || true; }
trap stop_postgres EXIT

export DATABASE_URL_TEST="postgres://postgres@127.0.0.1:$PGPORT/hpqmls_test"
echo "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"
