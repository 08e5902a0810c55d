#!/usr/bin/env bash
# Import benchmark: imports a corpus into a fresh data dir and prints
# messages/s, MB/s, peak RSS and store size, with the floors measured in the
# same run (reading the bytes; splitting and parsing on one thread) and the
# manifest check. Not part of the tests.
#
#   bench/import.sh [CORPUS_DIR]      (default ../shared/corpora/linux-kbuild)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpora/linux-kbuild}
[ -d "$corpus" ] || { echo "corpus $corpus not found: check out ../shared beside the repository" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet --bin whosaid --example parse_floor --example verify_manifest
bin=target/release/whosaid
files=("$corpus"/*.mbox)
bytes=$(cat "${files[@]}" | wc -c)
messages=$(($(wc -l < "$corpus/MANIFEST.tsv") - 1))
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

now() { date +%s.%N; }
t0=$(now); cat "${files[@]}" > /dev/null; t1=$(now)
read_s=$(echo "$t1 - $t0" | bc -l)
t0=$(now); parse_line=$(target/release/examples/parse_floor "${files[@]}"); t1=$(now)
parse_s=$(echo "$t1 - $t0" | bc -l)
/usr/bin/time -v -o "$data.time" "$bin" --data "$data" import "$corpus" > "$data.report"
wall=$(grep 'Elapsed (wall clock)' "$data.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
user=$(grep 'User time' "$data.time" | awk '{print $NF}')
sys=$(grep 'System time' "$data.time" | awk '{print $NF}')
rss_kb=$(grep 'Maximum resident' "$data.time" | awk '{print $NF}')
cpu=$(grep 'Percent of CPU' "$data.time" | awk '{print $NF}')
store=$(du -sb "$data" | awk '{print $1}')
target/release/examples/verify_manifest "$data" "$corpus"

printf '\nmachine: %s, %s cores, %s\n' "$(uname -m)" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf 'corpus: %s (%d messages, %.1f MB)\n\n' "$corpus" "$messages" "$(echo "$bytes/1000000" | bc -l)"
printf '| measure | value | ratio |\n| --- | ---: | ---: |\n'
printf '| read floor (cat) | %.3f s | 1x |\n' "$read_s"
printf '| split+parse floor, 1 thread | %.2f s | %.0fx read |\n' "$parse_s" "$(echo "$parse_s/$read_s" | bc -l)"
printf '| whosaid import wall | %.2f s | %.2fx parse floor |\n' "$wall" "$(echo "$wall/$parse_s" | bc -l)"
printf '| import CPU (user+sys) | %.2f s (%s of a core) | |\n' "$(echo "$user+$sys" | bc -l)" "$cpu"
printf '| messages/s | %.0f | |\n' "$(echo "$messages/$wall" | bc -l)"
printf '| MB/s | %.1f | |\n' "$(echo "$bytes/1000000/$wall" | bc -l)"
printf '| peak RSS | %.1f MiB | |\n' "$(echo "$rss_kb/1024" | bc -l)"
printf '| store on disk | %.1f MB | %.2fx of the mbox |\n' "$(echo "$store/1000000" | bc -l)" "$(echo "$store/$bytes" | bc -l)"
thread_s=$(grep -o 'in [0-9.]* s$' "$data.report" | tail -1 | awk '{print $2}')
printf '| threading (all threads, store included) | %.2f s | %.2fx parse floor |\n' "$thread_s" "$(echo "$thread_s/$parse_s" | bc -l)"
echo
echo "$parse_line"
head -1 "$data.report"
rm -f "$data.time" "$data.report"
