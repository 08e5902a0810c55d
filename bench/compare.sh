#!/usr/bin/env bash
# Side-by-side benchmark: whosaid and the peers (public-inbox, notmuch, mu) on
# the same corpus, in ONE run on the same machine, so every figure can be read
# as a ratio. Not part of the tests. Writes a markdown table.
#
#   bash bench/compare.sh [RUNS] [OUT.md]      (defaults: 1, bench/RESULTS.md)
#
# Needs ../shared beside the repository (corpus and the peers' recipes in
# ../shared/bench/peers/); installs the peers with their setup.sh (Debian
# packages public-inbox, notmuch, maildir-utils, wrk). Each import runs in a
# new empty directory; rounds interleave the tools so drift in machine speed
# hits all of them alike. Timing is from outside the process (wait4, via the
# peers' bench.py): wall, user+sys CPU, peak RSS of the largest process.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1}
OUTMD=${2:-bench/RESULTS.md}
PEERS=../shared/bench/peers
CORPUS=../shared/corpora/linux-kbuild
[ -d "$CORPUS" ] && [ -d "$PEERS" ] || {
  echo "bench/compare.sh: ../shared (corpus and peer recipes) not found beside the repository" >&2; exit 2; }
sh "$PEERS/setup.sh" >/dev/null
cargo build --release --quiet --bin whosaid --example parse_floor --example search_bench
BIN=$(realpath target/release/whosaid)

W=$(mktemp -d /tmp/whosaid-compare.XXXXXX)
J=$W/results.jsonl; : > "$J"
B() { python3 "$PEERS/bench.py" --out "$J" "$@"; }
MBOX=$W/kbuild.mbox
cat "$CORPUS"/linux-kbuild-20{19,20,21,22,23,24}.mbox > "$MBOX"
MSGS=$(grep -c '^From ' "$MBOX"); BYTES=$(stat -c %s "$MBOX")
TMID=20200624203200.78870-1-samitolvanen@google.com   # the 207-message thread
T20=20190828055425.24765-1-yamada.masahiro@socionext.com   # a 19-message thread

# 1. Floors: reading the bytes; splitting and parsing every message (1 thread).
B -n 5 --label floor-read -- cat "$MBOX"
B -n 3 --label floor-parse -- target/release/examples/parse_floor "$MBOX"
# Parse and index (tantivy, same schema), no store: the floor an import is held to.
for r in 1 2 3; do
  rm -rf "$W/floor-index"
  B -n 1 --label floor-parse-index -- target/release/examples/parse_floor --index "$W/floor-index" "$MBOX"
done
rm -rf "$W/floor-index"

# 2. Imports, interleaved rounds, each into a new directory. whosaid's
# import is short next to the peers', so it runs before each of them, and
# its median spans the same stretch of machine time as theirs (the host's
# speed drifts by up to 1.6x for minutes at a time).
mkdir -p "$W/runs"
for r in $(seq "$RUNS"); do
  B -n 1 --label split-maildir -- python3 "$PEERS/mbox2maildir.py" "$MBOX" "$W/runs/split.$r"
  for p in publicinbox notmuch mu; do
    rm -rf "$W/runs/whosaid.$r"
    B -n 1 --label import-whosaid -- "$BIN" --data "$W/runs/whosaid.$r" import "$MBOX"
    B -n 1 --label "import-$p" -- "$PEERS/import_$p.sh" "$MBOX" "$W/runs/$p.$r"
  done
done
for p in whosaid publicinbox notmuch mu; do ln -sfn "runs/$p.$RUNS" "$W/w-$p"; done
{
  printf 'whosaid\t%s\n' "$(du -sbL "$W/w-whosaid" | cut -f1)"
  printf 'publicinbox\t%s\n' "$(du -sbL "$W/w-publicinbox" | cut -f1)"
  printf 'notmuch\t%s\n' "$(du -sbL "$W/w-notmuch/db" | cut -f1)"
  printf 'mu\t%s\n' "$(du -sbL "$W/w-mu/mu" | cut -f1)"
} > "$W/sizes.tsv"

# 3. CLI queries: a new process each time, 20 runs, index in the page cache.
#    whosaid takes lore's syntax, as public-inbox does.
while IFS=$'\t' read -r label qpi qnm qmu <&3; do
  [ "$qpi" = - ] || {
    B -n 20 --label "q-whosaid-$label" -- "$BIN" --data "$W/w-whosaid" search --limit 200 "$qpi"
    B -n 20 --label "q-publicinbox-$label" -- "$PEERS/query_publicinbox.sh" "$W/w-publicinbox" "$qpi"; }
  [ "$qnm" = - ] || B -n 20 --label "q-notmuch-$label" -- "$PEERS/query_notmuch.sh" "$W/w-notmuch" "$qnm"
  [ "$qmu" = - ] || B -n 20 --label "q-mu-$label" -- "$PEERS/query_mu.sh" "$W/w-mu" "$qmu"
done 3< <(grep -v '^#' "$PEERS/queries-kbuild.tsv")

# 3b. Server-side search latency: the queries a search page runs, in process
#     (parse, search, first page with snippets), 24 queries x 20 runs.
target/release/examples/search_bench "$W/w-whosaid" 20 > "$W/search_bench.txt"

# 4. Web: the same pages on both servers, wrk with 2 threads, 8 connections.
PI_PID=$("$PEERS/serve_publicinbox.sh" "$W/w-publicinbox" 18081 2)
"$BIN" --data "$W/w-whosaid" serve --addr 127.0.0.1:18082 >/dev/null 2>&1 &
WS_PID=$!
trap 'kill "$PI_PID" "$WS_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:18082/_/style.css && break; sleep 0.1; done
wrk_row() { # name url
  wrk -t2 -c8 -d"${WRK_D:-10s}" --latency "$2" 2>/dev/null |
    awk -v n="$1" '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
       END {printf "%s\t%s\t%s\t%s\t%s\n", n, r, p50, p99, (bad==""?0:bad)}'
}
{
  wrk_row "whosaid thread (207 msgs, flat)" "http://127.0.0.1:18082/linux-kbuild/$TMID/T/"
  wrk_row "public-inbox thread (207 msgs, flat)" "http://127.0.0.1:18081/bench/$TMID/T/"
  wrk_row "whosaid search page" "http://127.0.0.1:18082/?q=reproducible"
  wrk_row "public-inbox search page" "http://127.0.0.1:18081/bench/?q=reproducible"
  wrk_row "whosaid /r/ redirect" "http://127.0.0.1:18082/r/$TMID"
  wrk_row "whosaid thread (19 msgs, flat)" "http://127.0.0.1:18082/linux-kbuild/$T20/T/"
  wrk_row "public-inbox thread (19 msgs, flat)" "http://127.0.0.1:18081/bench/$T20/T/"
  wrk_row "whosaid list index" "http://127.0.0.1:18082/linux-kbuild/"
  wrk_row "public-inbox list index" "http://127.0.0.1:18081/bench/"
} > "$W/wrk.tsv"

python3 - "$W" "$MSGS" "$BYTES" "$RUNS" > "$OUTMD" <<'PY'
import json, os, platform, statistics, subprocess, sys
w, msgs, nbytes, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
recs = {}
for line in open(f"{w}/results.jsonl"):
    r = json.loads(line); recs.setdefault(r["label"], []).extend(r["runs"])
def med(label, k): return statistics.median(x[k] for x in recs[label])
sizes = dict(l.split("\t") for l in open(f"{w}/sizes.tsv").read().split("\n") if l)
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print("# whosaid and its peers, side by side\n")
print(f"Produced by `bench/compare.sh {runs}` in one run. Machine: {os.cpu_count()} cores ({cpu}), "
      f"{platform.release()}. Corpus: linux-kbuild, {msgs:,} messages, {nbytes/1e6:.1f} MB (one mbox).\n")
print("## Import and index\n")
print("| tool | wall s (median) | CPU s | msgs/s | MB/s | peak RSS MiB | on disk MB | x disk/mbox | whosaid faster by |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
ws = med("import-whosaid", "wall")
for tool, label, size in [("whosaid", "import-whosaid", "whosaid"), ("public-inbox", "import-publicinbox", "publicinbox"),
                          ("notmuch (split + notmuch new)", "import-notmuch", "notmuch"), ("mu (split + mu index)", "import-mu", "mu")]:
    wall = med(label, "wall")
    # The Maildir split is timed apart and not counted against notmuch and mu.
    net = wall - (med("split-maildir", "wall") if size in ("notmuch", "mu") else 0)
    s = int(sizes[size])
    shown = f"{wall:.1f} (without split {net:.1f})" if size in ("notmuch", "mu") else f"{wall:.1f}"
    print(f"| {tool} | {shown} | {med(label,'cpu'):.1f} | {msgs/net:,.0f} | {nbytes/1e6/net:.1f} | "
          f"{med(label,'maxrss_mib'):.0f} | {s/1e6:.0f} | {s/nbytes:.2f} | {net/ws:.1f}x |")
print(f"| floor: read (cat) | {med('floor-read','wall'):.2f} | | | | | | | |")
print(f"| floor: split + parse, 1 thread | {med('floor-parse','wall'):.2f} | | | | | | | whosaid = {ws/med('floor-parse','wall'):.1f}x this |")
fi_ = med('floor-parse-index', 'wall')
print(f"| floor: parse + index (tantivy, no store) | {fi_:.2f} | {med('floor-parse-index','cpu'):.1f} | | | {med('floor-parse-index','maxrss_mib'):.0f} | | | whosaid = {ws/fi_:.2f}x this |")
print(f"| Maildir split (Python, for notmuch and mu) | {med('split-maildir','wall'):.1f} | | | | | | | |")
print("\n## CLI query latency (ms, a new process per query, 20 runs)\n")
print("| query | whosaid median | whosaid max | public-inbox | notmuch | mu |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
labels = sorted({l.split("-", 2)[2] for l in recs if l.startswith("q-whosaid-")})
for q in labels:
    def m(tool):
        l = f"q-{tool}-{q}"
        return f"{med(l,'wall')*1000:.1f}" if l in recs else "-"
    mx = max(x["wall"] for x in recs[f"q-whosaid-{q}"]) * 1000
    print(f"| {q} | {m('whosaid')} | {mx:.1f} | {m('publicinbox')} | {m('notmuch')} | {m('mu')} |")
print("\n## Server-side search latency (in process: parse, search, first page with snippets)\n")
print("```")
print(open(f"{w}/search_bench.txt").read().strip())
print("```")
print("\n## Web (wrk -t2 -c8, server and wrk on the same 2 cores)\n")
print("| page | requests/s | p50 | p99 | non-2xx |\n| --- | ---: | ---: | ---: | ---: |")
for line in open(f"{w}/wrk.tsv"):
    n, r, p50, p99, bad = line.rstrip("\n").split("\t")
    print(f"| {n} | {r} | {p50} | {p99} | {bad} |")
PY
# Growth: whosaid alone at 1x, 4x and 16x (the peers would take hours at 16x).
{ echo; echo "## Growth (bench/growth.sh, whosaid at 1x, 4x, 16x linux-kbuild)"; echo
  bash bench/growth.sh 1 4 16; } >> "$OUTMD"
# What the profiles said, kept by hand beside the script.
[ -f bench/profile-notes.md ] && { echo; cat bench/profile-notes.md; } >> "$OUTMD"
echo "wrote $OUTMD (work dir $W)"
