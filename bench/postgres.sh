#!/usr/bin/env bash
# PostgreSQL vs SQLite as the store (issue 9; not part of the tests), in one
# run on one machine:
#   1. import linux-kbuild (6 mboxes, 20,443 messages) into a fresh SQLite
#      data dir and into a fresh PostgreSQL database, alternating, ROUNDS
#      times (default 3); medians. PostgreSQL runs on loopback with its
#      default durability (fsync on, synchronous_commit on), in a throwaway
#      cluster (.ci/postgres.sh) on the same 2 cores as the importer.
#   2. thread pages: whosaid serve on each store, wrk -t2 -c8 for SECS
#      (default 10) on the 207- and 19-message threads (served from the
#      page cache after the first request), on a mix of 200 distinct thread
#      pages in three layouts (bench/load.lua), and on /r/ redirects (one
#      store lookup each, no cache);
#   3. a first view's store work in process (examples/page_bench: loading
#      the 207-message thread, reading its raw messages), medians of 21.
#
#   bash bench/postgres.sh [ROUNDS] [SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; SECS=${2:-10}
CORPUS=../shared/corpora/linux-kbuild
[ -d "$CORPUS" ] || { echo "bench/postgres.sh: $CORPUS not found beside the repository" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/postgres.sh needs wrk: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet --bin whosaid --example page_bench
BIN=$(realpath target/release/whosaid)
W=/tmp/whosaid-pgbench-$$
mkdir -p "$W"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; .ci/postgres.sh stop "$W/pg"; rm -rf "$W"' EXIT
BASE=$(.ci/postgres.sh start "$W/pg" 18432)
psql() { command psql -X -q -h 127.0.0.1 -p 18432 -U whosaid "$@"; }
TMID=20200624203200.78870-1-samitolvanen@google.com   # the 207-message thread
T20=20190828055425.24765-1-yamada.masahiro@socionext.com   # a 19-message thread

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timed() { # command...: wall seconds
  local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", b-a}'
}
: > "$W/sqlite.times"; : > "$W/pg.times"
for r in $(seq "$ROUNDS"); do
  rm -rf "$W/sqlite" "$W/pgdata"
  psql -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
  timed "$BIN" --data "$W/sqlite" import "$CORPUS" >> "$W/sqlite.times"
  timed "$BIN" --data "$W/pgdata" --store "${BASE%/*}/bench" import "$CORPUS" >> "$W/pg.times"
done
MSGS=$("$BIN" --data "$W/sqlite" stats --json | sed -n 's/.*"messages": *\([0-9]*\).*/\1/p' | head -1)
INDEX_BYTES=$(du -sb "$W/sqlite/index" | cut -f1)
# A new node on the PostgreSQL store builds its index from zero: the time
# until its follower says it has caught up.
"$BIN" --data "$W/node" --store "${BASE%/*}/bench" serve --addr 127.0.0.1:18085 2> "$W/node.log" &
node=$!; pids+=($node); t0=$(date +%s.%N)
until grep -q "the index took" "$W/node.log"; do sleep 0.1; done
NODE_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b-a}')
kill $node
NODE_INDEX=$(du -sb "$W/node/index" | cut -f1)
PG_BYTES=$(psql -d bench -At -c "SELECT pg_database_size('bench')")
SQ_BYTES=$(du -sb "$W/sqlite/store.sqlite3" | cut -f1)

"$BIN" --data "$W/sqlite" serve --addr 127.0.0.1:18083 >/dev/null 2>&1 & pids+=($!)
"$BIN" --data "$W/pgdata" serve --addr 127.0.0.1:18084 >/dev/null 2>&1 & pids+=($!)
for port in 18083 18084; do
  for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/_/style.css" && break; sleep 0.1; done
done
"$BIN" --data "$W/sqlite" search --json --limit 200 "s:PATCH" | python3 -c '
import json, sys, urllib.parse as u
hits = json.load(sys.stdin)["hits"]
for i, h in enumerate(hits):
    print("/linux-kbuild/%s/%s" % (u.quote(h["message_id"], safe="@"), ["T/", "t/", ""][i % 3]))' > "$W/paths"
"$BIN" --data "$W/sqlite" search --json --limit 200 "s:PATCH" | python3 -c '
import json, sys, urllib.parse as u
for h in json.load(sys.stdin)["hits"]:
    print("/r/" + u.quote(h["message_id"], safe="@"))' > "$W/redirects"
export LOAD_PATHS
wrk_rps() { # url [paths file]
  if [ -n "${2:-}" ]; then LOAD_PATHS=$2 wrk -t2 -c8 -d"${SECS}s" -s bench/load.lua "$1" 2>/dev/null |
      awk '/^LOAD / {printf "%.0f", $2/'"$SECS"'}'
  else wrk -t2 -c8 -d"${SECS}s" "$1" 2>/dev/null | awk '/Requests\/sec/ {printf "%.0f", $2}'; fi
}
row() { # label, sqlite req/s, pg req/s
  awk -v l="$1" -v s="$2" -v p="$3" 'BEGIN {printf "| %s | %s | %s | %.2fx |\n", l, s, p, p/s}'
}
bench_page() { # data dir: "load ms,read ms"
  target/release/examples/page_bench "$1" linux-kbuild "$TMID" 2>/dev/null |
    awk '/^load thread/ {l=$3} /^read raws/ {r=$3} END {printf "%s %s", l, r}'
}
sq_imp=$(median < "$W/sqlite.times"); pg_imp=$(median < "$W/pg.times")
echo "## PostgreSQL vs SQLite store ($(nproc) cores; $(date -u +%F); $ROUNDS rounds)"
echo
echo "| measure | SQLite | PostgreSQL | PostgreSQL / SQLite |"
echo "| --- | ---: | ---: | ---: |"
awk -v s="$sq_imp" -v p="$pg_imp" -v n="$MSGS" 'BEGIN {
  printf "| import linux-kbuild, s (median; %s) | %.1f | %.1f | %.2fx |\n", n " msgs", s, p, p/s
  printf "| import throughput, msgs/s | %.0f | %.0f | %.2fx |\n", n/s, n/p, (n/p)/(n/s) }'
awk -v s="$SQ_BYTES" -v p="$PG_BYTES" 'BEGIN {printf "| store size, MB | %.1f | %.1f | %.2fx |\n", s/1e6, p/1e6, p/s}'
awk -v n="$NODE_S" -v m="$MSGS" -v i="$INDEX_BYTES" -v j="$NODE_INDEX" 'BEGIN {
  printf "| search index (per node), MB | %.1f | %.1f | %.2fx |\n", i/1e6, j/1e6, j/i
  printf "| new node builds its index from the store, s | - | %.1f (%.0f msgs/s) | - |\n", n, m/n }'
row "thread page, 207 msgs (req/s)" "$(wrk_rps "http://127.0.0.1:18083/linux-kbuild/$TMID/T/")" "$(wrk_rps "http://127.0.0.1:18084/linux-kbuild/$TMID/T/")"
row "thread page, 19 msgs (req/s)" "$(wrk_rps "http://127.0.0.1:18083/linux-kbuild/$T20/T/")" "$(wrk_rps "http://127.0.0.1:18084/linux-kbuild/$T20/T/")"
row "200 thread pages, 3 layouts (req/s)" "$(wrk_rps http://127.0.0.1:18083 "$W/paths")" "$(wrk_rps http://127.0.0.1:18084 "$W/paths")"
row "/r/ redirects, 200 ids (req/s)" "$(wrk_rps http://127.0.0.1:18083 "$W/redirects")" "$(wrk_rps http://127.0.0.1:18084 "$W/redirects")"
read -r sl sr <<<"$(bench_page "$W/sqlite")"; read -r pl pr <<<"$(bench_page "$W/pgdata")"
awk -v s="$sl" -v p="$pl" 'BEGIN {printf "| first view: load the 207-msg thread, ms | %s | %s | %.2fx |\n", s, p, p/s}'
awk -v s="$sr" -v p="$pr" 'BEGIN {printf "| first view: read its 207 raw messages, ms | %s | %s | %.2fx |\n", s, p, p/s}'
echo
echo "Import times per round: SQLite $(paste -sd' ' "$W/sqlite.times") s; PostgreSQL $(paste -sd' ' "$W/pg.times") s."
