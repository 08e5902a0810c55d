#!/usr/bin/env bash
# Search benchmark: imports a corpus (default linux-kbuild) into a fresh data
# dir, times rebuilding the index alone (`whosaid reindex`), and prints query
# latency (median and p99 per query, p50/p99 overall) for a fixed query set.
# Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpora/linux-kbuild}
[ -d "$corpus" ] || { echo "corpus $corpus not found: check out ../shared beside the repository" >&2; exit 2; }
cargo build --release --quiet --bin whosaid --example search_bench
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
target/release/whosaid --data "$data" import "$corpus" | head -1
target/release/whosaid --data "$data" reindex
du -sh "$data/index" | awk '{print "index on disk: " $1}'
printf '\nmachine: %s, %s cores\n\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)"
target/release/examples/search_bench "$data" 50
