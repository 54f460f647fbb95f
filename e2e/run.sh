#!/usr/bin/env bash
# One command for TimeTracker's browser end-to-end tests.
#
#   e2e/run.sh                          # all tests (builds the app with `cargo build` first)
#   e2e/run.sh tests/local-login.test.mjs
#   TT_BIN=/path/to/timetracker e2e/run.sh   # test that binary, no cargo build
#   e2e/run.sh --selftest               # check the harness against selftest/fake-timetracker.mjs
#
# Exit code = test result. Everything spawned (app, IdP, Chromium) is killed at the end.
set -uo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$E2E_DIR/.." && pwd)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
TOTAL_TIMEOUT="${E2E_TOTAL_TIMEOUT:-1800}"   # seconds for the whole test run

log() { printf '\n== %s\n' "$*" >&2; }

if [[ "${1:-}" == "--selftest" ]]; then
  shift
  export TT_BIN="$E2E_DIR/selftest/fake-timetracker.mjs"
  export E2E_SCREENSHOT_DIR="$E2E_DIR/test-results/selftest-screenshots"  # keep the real ones
  log "selftest: running the tests against $TT_BIN (not the real app)"
fi

# 1. Chromium (Debian package; playwright-core downloads no browser).
if [[ ! -x "$CHROMIUM" ]]; then
  log "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get install -y --no-install-recommends chromium \
    || { timeout 300 apt-get update && timeout 600 apt-get install -y --no-install-recommends chromium; } \
    || { echo "cannot install chromium; set CHROMIUM=/path/to/chromium" >&2; exit 2; }
fi

# 2. Node dependencies, exactly as locked.
log "npm ci"
(cd "$E2E_DIR" && timeout 300 npm ci --no-audit --no-fund) || { echo "npm ci failed" >&2; exit 2; }

# 3. The app binary.
if [[ -z "${TT_BIN:-}" ]]; then
  log "cargo build (in $REPO_DIR)"
  (cd "$REPO_DIR" && timeout 1800 cargo build) || { echo "cargo build failed" >&2; exit 2; }
  export TT_BIN="$REPO_DIR/target/debug/timetracker"
fi
[[ -x "$TT_BIN" ]] || { echo "TT_BIN=$TT_BIN is not an executable" >&2; exit 2; }
log "testing $TT_BIN"

# 4. The tests, in their own process group so nothing outlives this script.
cd "$E2E_DIR"
if [[ $# -gt 0 ]]; then
  cmd=(node --test --test-concurrency=1 --test-reporter=spec "$@")
else
  cmd=(npm test)
fi
setsid timeout -k 10 "$TOTAL_TIMEOUT" "${cmd[@]}" &
pgid=$!
cleanup() { kill -TERM -- "-$pgid" 2>/dev/null; sleep 0.5; kill -KILL -- "-$pgid" 2>/dev/null; }
trap 'cleanup; exit 130' INT TERM
wait "$pgid"
rc=$?
cleanup
trap - INT TERM
if [[ $rc -eq 124 ]]; then echo "e2e: the whole run exceeded ${TOTAL_TIMEOUT}s" >&2; fi
if [[ $rc -ne 0 ]]; then
  echo "e2e: FAILED (exit $rc). Logs and failure screenshots: $E2E_DIR/test-results/" >&2
else
  echo "e2e: all tests passed. Screenshots: ${E2E_SCREENSHOT_DIR:-$E2E_DIR/screenshots}/" >&2
fi
exit $rc
