#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for Encore's storage and API tests and
# prints its URL on stdout (everything else goes to stderr). Installs Debian's `postgresql`
# package when it is missing. Idempotent: a running cluster is reused.
#
#   export ENCORE_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
#
# Environment: ENCORE_PG_PORT (default 55432), ENCORE_PG_DIR (default /tmp/encore-pg).
set -euo pipefail

PORT="${ENCORE_PG_PORT:-55432}"
DIR="${ENCORE_PG_DIR:-/tmp/encore-pg}"
DB=encore_test
USER_NAME=encore
PASSWORD=encore

log() { echo "start-postgres: $*" >&2; }

pg_bin() {
  local v
  v="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)"
  [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

if [ -z "$(pg_bin)" ]; then
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(pg_bin)"

# PostgreSQL refuses to run as root: run the cluster as the `postgres` system user.
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
  RUN_AS=(runuser -u postgres --)
fi

mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"

if [ ! -f "$DIR/data/PG_VERSION" ]; then
  log "initialising a cluster in $DIR/data"
  "${RUN_AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >&2
fi

if ! "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  log "starting on 127.0.0.1:$PORT"
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" start >&2
fi

PSQL=("${RUN_AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$("${PSQL[@]}" -c "select 1 from pg_roles where rolname='$USER_NAME'")" != 1 ]; then
  "${PSQL[@]}" -c "create role $USER_NAME login password '$PASSWORD' createdb" >&2
fi
if [ "$("${PSQL[@]}" -c "select 1 from pg_database where datname='$DB'")" != 1 ]; then
  "${PSQL[@]}" -c "create database $DB owner $USER_NAME" >&2
fi

echo "postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"
