#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.
#   .ci/postgres.sh start DIR PORT [fast]   prints the URL of its `postgres` database
#   .ci/postgres.sh replica DIR PORT PRIMARY_PORT   a streaming replica of
#                                   the cluster on PRIMARY_PORT; prints its URL
#   .ci/postgres.sh restart DIR     (a fast shutdown: clients are disconnected)
#   .ci/postgres.sh stop DIR
# `fast` turns fsync off (tests); without it the server runs with
# PostgreSQL's defaults (benchmarks). Run as root, the server runs as the
# `postgres` user (initdb refuses root); otherwise as the caller.
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
case $cmd in
start)
    port=$3 mode=${4:-}
    rm -rf "$dir"; mkdir -p "$dir"
    [ ${#as[@]} -eq 0 ] || chown postgres "$dir"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U whosaid --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 2; }
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c shared_buffers=256MB"
    if [ "$mode" = fast ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 2; }
    echo "postgres://whosaid@127.0.0.1:$port/postgres"
    ;;
replica)
    port=$3 primary=$4
    rm -rf "$dir"; mkdir -p "$dir"
    [ ${#as[@]} -eq 0 ] || chown postgres "$dir"
    "${as[@]}" "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U whosaid -D "$dir/data" -R -X stream -c fast \
        >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 2; }
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c hot_standby=on -c max_connections=400"
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 2; }
    echo "postgres://whosaid@127.0.0.1:$port/postgres"
    ;;
restart)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >/dev/null
    ;;
stop)
    [ -d "$dir/data" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
esac
