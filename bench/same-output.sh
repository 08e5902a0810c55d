#!/usr/bin/env bash
# Does a refactoring keep what users see? Compares two builds of whosaid
# on a real archive, beyond the sample threads tests/it/frozen.rs holds:
# every position `who --json` reports, a quarter of the list at a time
# (each query reads at most 2,000 messages' threads), and the stance read
# of every distinct line of the corpus's mail (examples/stance_probe).
#
#   bash bench/same-output.sh OLD_DIR NEW_DIR DATA_DIR CORPUS_DIR
#
# OLD_DIR and NEW_DIR hold a `whosaid` and an `examples/stance_probe`
# binary each (cargo build --release --bin whosaid --example stance_probe,
# copied out). Prints the differences; exits 1 if there are any.
set -euo pipefail
OLD=$1 NEW=$2 DATA=$3 CORPUS=$4
W=$(mktemp -d /tmp/whosaid-same.XXXXXX)
trap 'rm -rf "$W"' EXIT
for y in $(seq 2005 2026); do
  for q in "$y-01-01..$y-04-01" "$y-04-01..$y-07-01" "$y-07-01..$y-10-01" "$y-10-01..$((y + 1))-01-01"; do
    echo "d:$q"
  done
done > "$W/queries"
find "$CORPUS" -name '*.mbox' -exec cat {} + | iconv -f utf-8 -t utf-8 -c |
  grep -a -v -E '^(>|\+|-|@@|diff |index |From |[A-Za-z-]+: )' |
  awk 'length($0) >= 15 && length($0) <= 300 && !seen[$0]++' > "$W/lines"
differ=0
for side in OLD NEW; do
  bin=${!side}
  while read -r q; do
    "$bin/whosaid" --data "$DATA" who --json --threads 4000 "$q" 2>&1 || true
  done < "$W/queries" > "$W/who-$side"
  "$bin/examples/stance_probe" < "$W/lines" > "$W/stance-$side" 2>&1
done
for what in who stance; do
  n=$(grep -c '' "$W/$what-NEW")
  if diff "$W/$what-OLD" "$W/$what-NEW" > "$W/$what.diff"; then
    echo "$what: same ($n lines)"
  else
    differ=1
    echo "$what: DIFFERENT ($(grep -c '^<' "$W/$what.diff") of $n lines)"
    head -40 "$W/$what.diff"
  fi
done
exit $differ
