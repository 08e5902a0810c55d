#!/usr/bin/env bash
# Growth benchmark: whosaid on linux-kbuild at 1x, 4x and 16x its size (the
# larger corpora made by bench/grow_corpus.py, which rewrites Message-IDs and
# references consistently so every copy's threads stay intact). For each
# scale: import wall and CPU, messages/s, peak RSS, bytes on disk, server-side
# search latency (examples/search_bench: parse, search, first page with
# snippets), and wrk on a thread page and a search page. Not part of the
# tests; about 8 minutes on 2 cores. Prints a markdown section. Peak memory is
# sampled by bench/peakmem.py: anonymous memory apart from the file pages of
# the index that tantivy maps while merging (page cache; see that script).
#
#   bash bench/growth.sh [SCALES...]        (default: 1 4 16)
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=../shared/bench/peers
CORPUS=../shared/corpora/linux-kbuild
[ -d "$CORPUS" ] && [ -d "$PEERS" ] || {
  echo "bench/growth.sh: ../shared (corpus and bench.py) not found beside the repository" >&2; exit 2; }
SCALES=${*:-1 4 16}
cargo build --release --quiet --bin whosaid --example search_bench
BIN=$(realpath target/release/whosaid)
W=$(mktemp -d /tmp/whosaid-growth.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
J=$W/results.jsonl; : > "$J"
TMID=20200624203200.78870-1-samitolvanen@google.com   # 207 messages, in every copy
PORT=18093
echo "| scale | messages | mbox MB | import wall s | CPU s | msgs/s | per-message µs | peak RSS MiB (anonymous / file-backed) | on disk MB | x disk/mbox | search p50 / p99 ms | thread page req/s | search page req/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in $SCALES; do
  mbox=$W/g$n.mbox
  python3 bench/grow_corpus.py "$n" "$mbox" "$CORPUS"/linux-kbuild-20{19,20,21,22,23,24}.mbox
  msgs=$(grep -c '^From ' "$mbox"); bytes=$(stat -c %s "$mbox")
  python3 bench/peakmem.py --label "import-$n" --out "$J" -- "$BIN" --data "$W/d$n" import "$mbox" >/dev/null
  rm -f "$mbox"
  disk=$(du -sb "$W/d$n" | cut -f1)
  lat=$(target/release/examples/search_bench "$W/d$n" 20 | awk '/runs: p50/ {gsub(",", ""); print $5 " / " $8}')
  "$BIN" --data "$W/d$n" serve --addr 127.0.0.1:$PORT >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$PORT/_/style.css && break; sleep 0.1; done
  rps() { wrk -t2 -c8 -d5s "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
  thread=$(rps "http://127.0.0.1:$PORT/linux-kbuild/$TMID/T/")
  search=$(rps "http://127.0.0.1:$PORT/?q=reproducible")
  kill $pid; wait $pid 2>/dev/null || true
  python3 - "$J" "$n" "$msgs" "$bytes" "$disk" "$lat" "$thread" "$search" <<'PY'
import json, sys
j, n, msgs, nbytes, disk, lat, thread, search = sys.argv[1:]
msgs, nbytes, disk = int(msgs), int(nbytes), int(disk)
r = [json.loads(l) for l in open(j) if json.loads(l)["label"] == f"import-{n}"][0]
print(f"| {n}x | {msgs:,} | {nbytes/1e6:,.0f} | {r['wall']:.1f} | {r['cpu']:.1f} | {msgs/r['wall']:,.0f} | "
      f"{r['wall']/msgs*1e6:.0f} | {r['maxrss_mib']:.0f} ({r['anon_mib']:.0f} / {r['file_mib']:.0f}) | {disk/1e6:,.0f} | {disk/nbytes:.2f} | {lat} | {thread} | {search} |")
PY
  rm -rf "$W/d$n"
done
