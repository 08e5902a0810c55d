#!/usr/bin/env bash
# Runs every fuzz target for a fixed time and prints a table of executions
# and findings. Not part of the tests (CI's test command does not run it).
#
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60, all)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Corpora are seeded from sample-mboxes/ into fuzz/corpus/TARGET (not kept in
# git: libFuzzer grows them); inputs that once crashed are kept in
# fuzz/regressions/TARGET and replayed first. A crash leaves its input in
# fuzz/artifacts/TARGET and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(mbox_split parse rules query msgid_path)

seed() {
  python3 - "$@" <<'PY'
import os, re, sys, glob
root = "fuzz/corpus"
mboxes = sorted(glob.glob("sample-mboxes/*.mbox"))
def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
messages = []
for path in mboxes:
    data = open(path, "rb").read()
    # The first byte picks the splitter's read size.
    put("mbox_split", os.path.basename(path), b"\x07" + data)
    for m in re.split(rb"(?m)^From [^\n]*\n", data):
        if m.strip():
            messages.append(m)
for i, m in enumerate(messages):
    put("parse", f"msg{i:04}", m)
    body = m.split(b"\n\n", 1)[-1]
    put("rules", f"body{i:04}", body)
    for line in m.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            put("msgid_path", f"id{i:04}", line.split(b":", 1)[1].strip())
queries = ["s:modpost", "f:dana", 'nq:"I fail to see why HMM"', "q:fail",
           "b:kallsyms AND NOT s:re", "d:2019-01-01..2019-03-31", "dfn:mm/hmm.c",
           "a:masahiroy@kernel.org", "(rust OR clang) -gcc", "tr:acked-by",
           "kern*", "m:<a@b>", "d:2.weeks.ago..", "l:linux-mm s:\"PATCH v2\""]
for i, q in enumerate(queries):
    put("query", f"q{i:02}", q.encode())
PY
}
seed

status=0
printf '| target | seconds | executions | exec/s | corpus | crashes |\n| --- | ---: | ---: | ---: | ---: | ---: |\n'
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/regressions/$t" "fuzz/artifacts/$t"
  log=$(mktemp)
  # Replay the kept crashers first (no time limit: each must pass).
  if compgen -G "fuzz/regressions/$t/*" > /dev/null; then
    cargo +nightly fuzz run --release "$t" fuzz/regressions/$t/* -- -runs=1 >"$log" 2>&1 || {
      echo "regression input of $t fails again; see $log" >&2; status=1; continue; }
  fi
  set +e
  cargo +nightly fuzz run --release "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  crashes=$(ls "fuzz/artifacts/$t" | wc -l)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$SECS" "${runs:-?}" \
    "$(( ${runs:-0} / SECS ))" "$corpus" "$crashes"
  if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
    echo "  $t: exit $rc; log $log; inputs in fuzz/artifacts/$t" >&2
    status=1
  fi
done
exit $status
