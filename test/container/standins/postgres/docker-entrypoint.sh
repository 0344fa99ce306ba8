#!/usr/bin/env bash
# TEST STAND-IN entrypoint (see the Containerfile): the official postgres image's documented
# behaviour for a first start, written for this stand-in. As root it owns PGDATA and drops to the
# postgres user; with an empty PGDATA it runs initdb with POSTGRES_USER, the password and
# POSTGRES_INITDB_ARGS, creates POSTGRES_DB, and then runs the server.
set -Eeo pipefail

# VAR from $VAR or from the file named by $VAR_FILE (Docker secrets), never both.
file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}" val="${2:-}"
  if [ -n "${!var:-}" ] && [ -n "${!fileVar:-}" ]; then
    echo >&2 "error: both $var and $fileVar are set (but are exclusive)"
    exit 1
  fi
  if [ -n "${!var:-}" ]; then val="${!var}"; elif [ -n "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"; fi
  export "$var"="${val:-$def}"
  unset "$fileVar"
}

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  if [ -z "$POSTGRES_PASSWORD" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != 'trust' ]; then
    echo >&2 'error: the database is uninitialized and POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is not set'
    exit 1
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") -E UTF8 --locale=C.UTF-8 -D "$PGDATA" \
    ${POSTGRES_INITDB_ARGS:-} >/dev/null
  printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
  # A temporary server on the socket only, to create the database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w -s start
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    # From stdin, where psql interpolates :"db" as a quoted identifier (-c would not).
    echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
      -p "${PGPORT:-5432}" -q --set db="$POSTGRES_DB"
  fi
  pg_ctl -D "$PGDATA" -m fast -w -s stop
  echo 'PostgreSQL init process complete; ready for start up.'
  unset POSTGRES_PASSWORD
fi

exec "$@"
