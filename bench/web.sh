#!/usr/bin/env bash
# Web benchmark: whosaid serve on linux-kbuild, measured with curl (server
# render time of single pages) and wrk (requests/s, latency) on 2 cores.
#
#   bash bench/web.sh [DATA_DIR]
#
# DATA_DIR defaults to target/bench-kbuild (imported from
# ../shared/corpora/linux-kbuild when missing). Needs wrk (apt-get install
# wrk). Prints a markdown table; the static stylesheet is the baseline the
# page figures are compared with in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-target/bench-kbuild}
addr=127.0.0.1:18080
secs=${WRK_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench/web.sh needs wrk: apt-get install wrk" >&2; exit 2; }

cargo build --release --quiet
bin=target/release/whosaid
if [ ! -f "$data/store.sqlite3" ]; then
  "$bin" --data "$data" import ../shared/corpora/linux-kbuild >/dev/null
fi
"$bin" --data "$data" serve --addr "$addr" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://$addr/_/style.css" >/dev/null && break; sleep 0.1; done

big=20200624203200.78870-1-samitolvanen@google.com      # 207 messages
typical=20190710071508.173491-1-brendanhiggins@google.com # 20 messages
big_url="/linux-kbuild/$big/T/"
typical_url="/linux-kbuild/$typical/T/"
search_url="/?q=s:modpost+f:masahiro"
r_url="/r/$typical"
rss() { awk '/VmHWM/ {print $2/1024}' "/proc/$server/status"; }

# Median of 21 single requests, in ms (time to last byte, loopback).
median_ms() {
  for _ in $(seq 21); do curl -s -o /dev/null -w '%{time_total}\n' "http://$addr$1"; done |
    sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[11]*1000}'
}
# Requests/s and p99 latency with 8 connections on 2 threads.
wrk_line() {
  wrk -t2 -c8 -d"${secs}s" --latency "http://$addr$1" 2>/dev/null |
    awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         END {printf "%.0f | %s | %s", rps, p99, (bad==""?0:bad)}'
}

echo "| page | single request (median ms) | wrk req/s | wrk p99 | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
for row in "stylesheet (baseline)|/_/style.css" "207-message thread, flat|$big_url" \
           "20-message thread, flat|$typical_url" "search page|$search_url" "/r/ redirect|$r_url"; do
  name=${row%%|*}; url=${row#*|}
  echo "| $name | $(median_ms "$url") | $(wrk_line "$url") |"
done
echo
echo "peak server RSS: $(rss) MiB; machine: $(nproc) cores, $(uname -r)"
