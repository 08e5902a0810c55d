#!/usr/bin/env bash
# `whosaid commits` over a repository's whole history, against `git log -p`
# over the same history as the baseline measured in the same run: wall
# time and peak RSS of each, median of ROUNDS, and their ratios.
#
#   bash bench/commits.sh [ROUNDS]
#
# Builds the release binary, imports ../shared/corpora/linux-modules into
# a scratch data dir and clones kmod from its bundle (both once, kept in
# $WORK, default /tmp/whosaid-bench-commits). whosaid reads the history
# three times (git's myers, histogram and patience diffs, for patch-ids
# that match whichever the poster used), then matches every commit and
# searches the archive for later mentions of each.
set -euo pipefail
ROUNDS=${1:-3}
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
WORK=${WORK:-/tmp/whosaid-bench-commits}
mkdir -p "$WORK"
cargo build --release --quiet --bin whosaid
BIN=$PWD/target/release/whosaid
[ -d "$WORK/data" ] || "$BIN" --data "$WORK/data" import "$SHARED/corpora/linux-modules" >/dev/null 2>&1
[ -d "$WORK/kmod" ] || git -c init.defaultBranch=master clone --quiet "$SHARED/corpora/kmod/kmod.bundle" "$WORK/kmod"
commits=$(git -C "$WORK/kmod" rev-list --no-merges --count HEAD)

# Runs the command ROUNDS times; prints the median "seconds KiB".
measure() {
  for _ in $(seq "$ROUNDS"); do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || {
      cat "$WORK/err" >&2
      exit 2
    }
    cat "$WORK/time"
  done | sort -n | awk '{ t[NR] = $1; m[NR] = $2 } END { i = int((NR + 1) / 2); print t[i], m[i] }'
}

read -r git_s git_kib < <(measure git -C "$WORK/kmod" log --reverse --no-merges -p --no-color HEAD)
read -r ws_s ws_kib < <(measure "$BIN" --data "$WORK/data" commits --repo "$WORK/kmod" --json)
found=$("$BIN" --data "$WORK/data" commits --repo "$WORK/kmod" | tail -1)
echo "kmod: $commits commits ($found); median of $ROUNDS rounds"
awk -v gs="$git_s" -v gk="$git_kib" -v ws="$ws_s" -v wk="$ws_kib" 'BEGIN {
  printf "%-28s %8s %10s\n", "", "seconds", "peak MiB"
  printf "%-28s %8.2f %10.1f\n", "git log -p (baseline)", gs, gk / 1024
  printf "%-28s %8.2f %10.1f\n", "whosaid commits", ws, wk / 1024
  printf "%-28s %8.2f %10.2f\n", "ratio (whosaid / git)", ws / gs, wk / gk
}'
