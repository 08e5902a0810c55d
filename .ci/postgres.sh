#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.
#   .ci/postgres.sh start DIR PORT [fast]   prints the URL of its `postgres` database
#   .ci/postgres.sh replica DIR PORT PRIMARY_PORT   a streaming replica of
#                                   the cluster on PRIMARY_PORT; prints its URL
#   .ci/postgres.sh start-tls DIR PORT   a fast cluster that takes TCP
#                                   connections over TLS only: DIR/ca.crt
#                                   signed its certificate (for the name
#                                   localhost only) and DIR/client.crt+key
#                                   (role certuser, which must show it);
#                                   DIR/other-ca.crt signed nothing of it
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
start-tls)
    port=$3
    url=$(bash "$0" start "$dir" "$port" fast)
    command -v openssl >/dev/null || { echo "postgres.sh: start-tls needs openssl (apt-get install openssl)" >&2; exit 2; }
    (
        cd "$dir"
        ca() { openssl req -x509 -new -nodes -newkey rsa:2048 -days 2 -subj "/CN=$1" -keyout "$2.key" -out "$2.crt"; }
        leaf() { # CN EXTENSIONS NAME: a key and a certificate signed by ca
            openssl req -new -nodes -newkey rsa:2048 -subj "/CN=$1" -keyout "$3.key" -out "$3.csr"
            printf '%s\n' "$2" >"$3.ext"
            openssl x509 -req -in "$3.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "$3.ext" -out "$3.crt"
        }
        ca "whosaid test CA" ca
        ca "another CA" other-ca
        leaf localhost "subjectAltName=DNS:localhost" server
        leaf certuser "extendedKeyUsage=clientAuth" client
        chmod 600 ./*.key
    ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 2; }
    [ ${#as[@]} -eq 0 ] || chown postgres "$dir/server.key" "$dir/server.crt"
    cat >"$dir/data/pg_hba.conf" <<HBA
local     all all                trust
hostnossl all all  127.0.0.1/32  reject
hostssl   all certuser 127.0.0.1/32 cert
hostssl   all all  127.0.0.1/32  trust
HBA
    cat >>"$dir/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
ssl_ca_file = '$dir/ca.crt'
CONF
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >/dev/null \
        || { cat "$dir/server.log" >&2; exit 2; }
    "${as[@]}" "$bin/psql" -h "$dir" -p "$port" -U whosaid -d postgres -qc "CREATE ROLE certuser LOGIN SUPERUSER" >/dev/null
    echo "${url/127.0.0.1/localhost}"
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
