#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL cluster on 127.0.0.1, its URL in TRIALMATCH_TEST_PG_URL.
#
# Installs Debian's postgresql when it is missing and we may (root or passwordless sudo). When no server can
# be had, runs the command without the variable: the PostgreSQL tests then report themselves as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

find_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo_cmd="sudo -n"; else sudo_cmd="none"; fi
fi

pg_bin=$(find_bin || true)
if [ -z "$pg_bin" ] && [ "$sudo_cmd" != "none" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL (Debian package postgresql) for the database tests"
    $sudo_cmd apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    pg_bin=$(find_bin || true)
fi
if [ -z "$pg_bin" ]; then
    echo "PostgreSQL is not available here: the PostgreSQL tests will be skipped." >&2
    exec "$@"
fi

workdir=$(mktemp -d /tmp/trialmatch-pg.XXXXXX)
chmod 755 "$workdir"
port=$(( 20000 + RANDOM % 20000 ))
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" -eq 0 ]; then chown postgres "$workdir"; fi

cleanup() {
    as_pg "$pg_bin/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap cleanup EXIT

if ! as_pg "$pg_bin/initdb" -D "$workdir/data" -A trust -U trialmatch -E UTF8 >"$workdir/initdb.log" 2>&1; then
    echo "initdb failed; PostgreSQL tests will be skipped:" >&2
    cat "$workdir/initdb.log" >&2
    "$@"
    exit $?
fi
if ! as_pg "$pg_bin/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $workdir -c fsync=off" start >/dev/null; then
    echo "PostgreSQL did not start; PostgreSQL tests will be skipped:" >&2
    cat "$workdir/server.log" >&2
    "$@"
    exit $?
fi
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U trialmatch trialmatch_test
export TRIALMATCH_TEST_PG_URL="postgresql+psycopg2://trialmatch@127.0.0.1:$port/trialmatch_test"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for the database tests"
"$@"
