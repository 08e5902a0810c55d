#!/usr/bin/env bash
# Load test (issue 8; not part of the tests): whosaid serve on 127.0.0.1
# with linux-kbuild imported, driven by wrk over a mix of thread pages (flat,
# nested, single message), searches, /r/ redirects and 404s for permalinks
# that do not exist, WHILE an import of another copy of the corpus (new
# Message-IDs, two copies: 40,886 messages, via bench/grow_corpus.py) writes
# to the same data dir, outlasting the first wrk run.
# Reports requests/s, p50/p99 latency, the count of intended 404s, errors
# (any other status >= 400, or a socket error: must be 0), and the server's
# peak RSS. Then the same mix without the import, as the baseline.
#
#   bash bench/load.sh [SECONDS] [CONNECTIONS]     (defaults: 30, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}; CONNS=${2:-16}
CORPUS=../shared/corpora/linux-kbuild
[ -d "$CORPUS" ] || { echo "bench/load.sh: $CORPUS not found beside the repository" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/load.sh needs wrk: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet --bin whosaid
BIN=$(realpath target/release/whosaid)
W=$(mktemp -d /tmp/whosaid-load.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
"$BIN" --data "$W/data" import "$CORPUS" >/dev/null
python3 bench/grow_corpus.py 3 "$W/new.mbox" "$CORPUS"/linux-kbuild-20{19,20,21,22,23,24}.mbox
ADDR=127.0.0.1:18094
"$BIN" --data "$W/data" serve --addr $ADDR >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://$ADDR/_/style.css" && break; sleep 0.1; done

# The mix: 200 thread pages of real threads in three layouts, 40 searches
# (words, prefixes, phrases, some with no match), 40 redirects, 20 404s.
"$BIN" --data "$W/data" search --json --limit 200 "s:PATCH" |
  python3 -c '
import json, random, sys, urllib.parse as u
random.seed(8)
hits = json.load(sys.stdin)["hits"]
q = lambda s: "/?q=" + u.quote(s)
out = []
for i, h in enumerate(hits):
    mid = u.quote(h["message_id"], safe="@")
    out.append("/linux-kbuild/%s/%s" % (mid, ["T/", "t/", ""][i % 3]))
words = ["modpost", "kallsyms", "s:kconfig", "f:masahiroy", "\"reviewed by\"", "nq:warning",
         "dfn:Makefile", "b:CONFIG_MODULES", "q:fail", "s:nosuchthingatall", "objtool OR lto",
         "d:2021-01-01..2021-06-01", "a:nathan s:clang", "reproducible", "s:kbuild -s:fix",
         "dfn:scripts/Makefile.lib", "b:\"make W=1\"", "s:\"[PATCH v2\"", "zzzz", "l:linux-kbuild s:fix"]
out += [q(w) for w in words] * 2
out += ["/r/" + u.quote(h["message_id"], safe="@") for h in hits[:40]]
out += ["/r/missing-%d@nowhere.example" % i for i in range(20)]
random.shuffle(out)
print("\n".join(out))' > "$W/paths"
export LOAD_PATHS=$W/paths

row() {  # label, then wrk output on stdin
  awk -v label="$1" -v secs="$SECS" '/^LOAD / {
      printf "| %s | %d | %.0f | %.1f | %.1f | %d | %d |\n", label, $2, $2/secs, $6, $7, $4, $5 + $8 }'
}
echo "| run | requests | req/s | p50 ms | p99 ms | intended 404s | errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
# Under import: the import starts with wrk and usually outlasts it.
python3 bench/peakmem.py --label "import 2 new copies" -- "$BIN" --data "$W/data" import "$W/new.mbox" \
  > "$W/import.out" &
importer=$!
wrk -t2 -c"$CONNS" -d"${SECS}s" -s bench/load.lua "http://$ADDR" 2>/dev/null | row "mix, during an import"
import_running=$(kill -0 $importer 2>/dev/null && echo yes || echo no)
wait $importer
wrk -t2 -c"$CONNS" -d"${SECS}s" -s bench/load.lua "http://$ADDR" 2>/dev/null | row "mix, idle (baseline)"
echo
echo "import still running when the first wrk ended: $import_running; $(cat "$W/import.out")"
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$server/status) MiB;" \
  "$(nproc) cores; wrk -t2 -c$CONNS, ${SECS}s each; server, importer and wrk share the machine"
