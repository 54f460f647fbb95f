#!/usr/bin/env bash
# Time-tracking benchmarks: entries list and dashboard req/s with 10k and 100k entries,
# timer start+stop round trips/s from one client, and durability after kill -9.
#
#   bench/tracking.sh                       build the release binary, run, print Markdown
#   BENCH_SKIP_BUILD=1 bench/tracking.sh    use the existing target/release/timetracker
#
# Knobs: BENCH_SECONDS (10), BENCH_SIZES (10000,100000), BENCH_ROUND_TRIPS (3000),
# BENCH_BIN (binary to test). Needs wrk and python3; installs them with apt-get when missing.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""
[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
for tool in wrk python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "installing $tool with apt-get" >&2
        $SUDO apt-get install -y "$tool" >/dev/null 2>&1 \
            || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "$tool" >/dev/null; }
    fi
done
if [[ -z "${BENCH_BIN:-}" && "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$REPO" && cargo build --release --quiet)
fi
export BENCH_BIN="${BENCH_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/timetracker}"
exec python3 "$REPO/bench/tracking.py"
