#!/usr/bin/env bash
# TimeTracker load and resource benchmark: one command, prints a Markdown report.
#
#   bench/run.sh
#
# Environment knobs (all optional):
#   BENCH_SECONDS=10     duration of each measured wrk run
#   BENCH_WARMUP=2       seconds of unmeasured warm-up per endpoint
#   BENCH_STARTUP_RUNS=5 restarts for the startup-time figure
#   BENCH_STORM_ROUNDS=3 alternating (alone, during storm) dashboard rounds for the login storm
#   BENCH_SKIP_BUILD=1   use the existing release binary, do not run cargo
#   BENCH_BIN=PATH       benchmark this binary instead (no build)
#   BENCH_OUT=FILE       also write the report to FILE (and the raw key=value results to FILE.env)
#   BENCH_KEEP=1         keep the temporary data dir and raw wrk outputs (path is printed)
#   CARGO_TARGET_DIR     where cargo builds (default: <repo>/target)
#
# Everything runs on 127.0.0.1; every process started here is stopped on exit.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
SECS="${BENCH_SECONDS:-10}"
WARMUP="${BENCH_WARMUP:-2}"
STARTUP_RUNS="${BENCH_STARTUP_RUNS:-5}"
STORM_ROUNDS="${BENCH_STORM_ROUNDS:-3}"
BENCH_USER=bench
BENCH_PASS=benchpass123

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer (got '$SECS')"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer (got '$WARMUP')"
[[ "$STORM_ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_STORM_ROUNDS must be a positive integer"
[[ "$STARTUP_RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_STARTUP_RUNS must be a positive integer"

# ---------------------------------------------------------------- tools
SUDO=""
[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
apt_install() {
    log "installing $* with apt-get"
    $SUDO apt-get install -y "$@" >/dev/null 2>&1 \
        || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "$@" >/dev/null; }
}
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v python3 >/dev/null 2>&1 || apt_install python3
command -v curl >/dev/null 2>&1 || apt_install curl
command -v cargo >/dev/null 2>&1 || [[ "${BENCH_SKIP_BUILD:-0}" == 1 || -n "${BENCH_BIN:-}" ]] \
    || die "cargo not found"

# ---------------------------------------------------------------- build
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
[[ "$TARGET_DIR" = /* ]] || TARGET_DIR="$REPO/$TARGET_DIR"
BIN="${BENCH_BIN:-$TARGET_DIR/release/timetracker}"
if [[ -n "${BENCH_BIN:-}" ]]; then
    log "using BENCH_BIN=$BIN (no build)"
elif [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release (target dir $TARGET_DIR)"
    (cd "$REPO" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --quiet)
fi
[[ -x "$BIN" ]] || die "no release binary at $BIN"

# ---------------------------------------------------------------- sandbox and cleanup
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tt-bench.XXXXXX")"
DATA="$WORK/data"
RESULTS="$WORK/results.env"
: >"$RESULTS"
SERVER_PID=""
BG_PIDS=()

stop_server() {
    local pid="$SERVER_PID"
    [[ -n "$pid" ]] || return 0
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "server $pid ignored SIGTERM for 15 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    stop_server
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server reads ./.env and the environment: run from the empty sandbox with a known env.
cd "$WORK"
unset DATABASE_URL TIMETRACKER_DATA_DIR PUBLIC_URL TRUSTED_PROXIES SECRET_KEY SECRET_KEY_FILE \
    HOST PORT SESSION_COOKIE_SECURE ALLOW_SELF_REGISTER
export AUTH_METHOD=local LOG_LEVEL=warn LOG_FORMAT=text

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"

start_server() {
    "$BIN" --data-dir "$DATA" serve --host 127.0.0.1 --port "$PORT" >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 200); do
        if curl -fsS -m 1 -o /dev/null "$BASE/healthz" 2>/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "server exited"; }
        sleep 0.05
    done
    die "server did not answer /healthz within 10 s"
}

status_of() { # status_of PID KEY  -> a field of /proc/PID/status (KiB for memory)
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

record() { echo "$1=$2" >>"$RESULTS"; }

# ---------------------------------------------------------------- start, user, sign-in
log "data dir $DATA, port $PORT"
record loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"
echo "$BENCH_PASS" | "$BIN" --data-dir "$DATA" user add "$BENCH_USER" --admin --password-stdin \
    >"$WORK/user-add.log" 2>&1 || { cat "$WORK/user-add.log" >&2; die "user add failed"; }
start_server
log "server pid $SERVER_PID"

# A CSRF token and its tt_csrf cookie, from the login page.
csrf_pair() {
    local hdr="$WORK/csrf.hdr" body="$WORK/csrf.html"
    curl -fsS -m 5 -D "$hdr" -o "$body" "$BASE/login"
    CSRF_COOKIE="$(sed -n 's/^[Ss]et-[Cc]ookie: tt_csrf=\([^;]*\).*/\1/p' "$hdr" | tr -d '\r' | head -1)"
    CSRF_TOKEN="$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$body" | head -1)"
    [[ -n "$CSRF_COOKIE" && -n "$CSRF_TOKEN" ]] || die "no CSRF token/cookie on GET /login"
}
csrf_pair
hdr="$WORK/login.hdr"
code="$(curl -sS -m 10 -o /dev/null -D "$hdr" -w '%{http_code}' \
    -H "Cookie: tt_csrf=$CSRF_COOKIE" \
    --data-urlencode "username=$BENCH_USER" --data-urlencode "password=$BENCH_PASS" \
    --data-urlencode "csrf_token=$CSRF_TOKEN" "$BASE/login")"
[[ "$code" == 303 ]] || die "POST /login answered $code, expected 303"
SESSION="$(sed -n 's/^[Ss]et-[Cc]ookie: tt_session=\([^;]*\).*/\1/p' "$hdr" | tr -d '\r' | head -1)"
[[ -n "$SESSION" ]] || die "POST /login set no tt_session cookie"
COOKIE_HDR="Cookie: tt_session=$SESSION"

dashboard_status() { curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "$COOKIE_HDR" "$BASE/"; }
[[ "$(dashboard_status)" == 200 ]] || die "GET / with the session cookie is not 200"

# ---------------------------------------------------------------- idle RSS
for _ in 1 2 3; do
    curl -fsS -m 5 -o /dev/null "$BASE/healthz"
    curl -fsS -m 5 -o /dev/null "$BASE/login"
    curl -fsS -m 5 -o /dev/null -H "$COOKIE_HDR" "$BASE/"
done
sleep 1
record idle_rss_kib "$(status_of "$SERVER_PID" VmRSS)"
record idle_rss_anon_kib "$(status_of "$SERVER_PID" RssAnon)"
record idle_rss_file_kib "$(status_of "$SERVER_PID" RssFile)"
record idle_threads "$(status_of "$SERVER_PID" Threads)"

# ---------------------------------------------------------------- load runs
RSS_PEAK_KIB=0
run_wrk() { # run_wrk NAME CONNS URL [wrk args...]  -> NAME_rps, NAME_p99_ms, ... in results
    local name="$1" conns="$2" url="$3"
    shift 3
    local out="$WORK/wrk-$name.txt"
    wrk -t2 -c"$conns" -d"${SECS}s" --timeout 5s --latency "$@" "$url" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk $name failed"; }
    python3 "$BENCH_DIR/wrkparse.py" "$out" | sed "s/^/${name}_/" >>"$RESULTS"
    log "$name: $(grep -E '^Requests/sec' "$out" | tr -s ' ') p99 $(grep -E '^ +99%' "$out" | awk '{print $2}')"
}
warmup() { # warmup URL [wrk args...]
    local url="$1"
    shift
    [[ "$WARMUP" -gt 0 ]] || return 0
    wrk -t2 -c16 -d"${WARMUP}s" --timeout 5s "$@" "$url" >/dev/null 2>&1 || true
}
# Peak resident memory while CMD runs: the larger of VmRSS sampled every 50 ms and VmHWM, the
# kernel's exact high-water mark, reset just before CMD (writing 5 to clear_refs, Linux >= 4.0;
# without the reset VmHWM would include the argon2 buffer of the sign-in above, so it is
# skipped when the reset is not allowed).
with_rss_sampler() { # with_rss_sampler CMD...  -> raises RSS_PEAK_KIB
    local f="$WORK/rss-sample.txt" hwm_ok=0
    echo 5 2>/dev/null >"/proc/$SERVER_PID/clear_refs" && hwm_ok=1
    python3 "$BENCH_DIR/rss.py" "$SERVER_PID" "$f" 0.05 &
    local sampler=$!
    BG_PIDS+=("$sampler")
    "$@"
    kill -TERM "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    local peak hwm=0
    peak="$(sed -n 's/^max_kib=\([0-9]*\).*/\1/p' "$f")"
    peak="${peak:-0}"
    [[ "$hwm_ok" == 1 ]] && hwm="$(status_of "$SERVER_PID" VmHWM)"
    ((hwm > peak)) && peak=$hwm
    ((peak > RSS_PEAK_KIB)) && RSS_PEAK_KIB=$peak
    return 0
}

log "load runs: ${SECS}s each, wrk -t2, c=16 and c=64"
warmup "$BASE/healthz"
run_wrk healthz_c16 16 "$BASE/healthz"
with_rss_sampler run_wrk healthz_c64 64 "$BASE/healthz"
warmup "$BASE/login"
run_wrk login_c16 16 "$BASE/login"
with_rss_sampler run_wrk login_c64 64 "$BASE/login"
warmup "$BASE/" -H "$COOKIE_HDR"
run_wrk dash_c16 16 "$BASE/" -H "$COOKIE_HDR"
with_rss_sampler run_wrk dash_c64 64 "$BASE/" -H "$COOKIE_HDR"
[[ "$(dashboard_status)" == 200 ]] || die "the session stopped working during the dashboard runs"
record loaded_rss_max_kib "$RSS_PEAK_KIB"
record loaded_threads "$(status_of "$SERVER_PID" Threads)"

# ---------------------------------------------------------------- login storm
# Alternating rounds (alone, then storm) so that a change in the machine's background load
# hits both sides; the report uses the medians.
log "login storm: $STORM_ROUNDS rounds of dashboard c=16 alone, then with POST /login (correct password) at c=8"
csrf_pair
storm() { # storm ROUND: POST /login at c=8 for SECS+4 s; a dashboard run sits 2 s inside it
    local round="$1"
    BENCH_USER="$BENCH_USER" BENCH_PASS="$BENCH_PASS" BENCH_CSRF="$CSRF_TOKEN" BENCH_CSRF_COOKIE="$CSRF_COOKIE" \
        wrk -t2 -c8 -d"$((SECS + 4))s" --timeout 5s --latency -s "$BENCH_DIR/login.lua" "$BASE/login" \
        >"$WORK/wrk-storm_login_r$round.txt" 2>&1 &
    local storm_pid=$!
    BG_PIDS+=("$storm_pid")
    sleep 2
    run_wrk "storm_dash_r$round" 16 "$BASE/" -H "$COOKIE_HDR"
    wait "$storm_pid" || { cat "$WORK/wrk-storm_login_r$round.txt" >&2; die "login storm wrk failed"; }
    python3 "$BENCH_DIR/wrkparse.py" "$WORK/wrk-storm_login_r$round.txt" | sed "s/^/storm_login_r${round}_/" >>"$RESULTS"
    grep -q "^storm_login_r${round}_status_303=[1-9]" "$RESULTS" \
        || { cat "$WORK/wrk-storm_login_r$round.txt" >&2; die "the login storm got no 303 (successful sign-in)"; }
}
RSS_PEAK_KIB=0
for round in $(seq 1 "$STORM_ROUNDS"); do
    run_wrk "storm_base_r$round" 16 "$BASE/" -H "$COOKIE_HDR"
    with_rss_sampler storm "$round"
done
record storm_rss_max_kib "$RSS_PEAK_KIB"
sleep 2
record post_storm_rss_kib "$(status_of "$SERVER_PID" VmRSS)"
[[ "$(dashboard_status)" == 200 ]] || die "the session stopped working during the login storm"

# ---------------------------------------------------------------- startup on an existing DB
log "startup: $STARTUP_RUNS restarts on the existing data dir"
stop_server
python3 "$BENCH_DIR/startup.py" "$BIN" "$DATA" "$STARTUP_RUNS" >>"$RESULTS"

# ---------------------------------------------------------------- static facts
record binary_bytes "$(stat -c %s "$BIN")"
record bench_seconds "$SECS"
record bench_warmup "$WARMUP"
record nproc "$(nproc)"
record loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"

report="$(python3 "$BENCH_DIR/report.py" "$RESULTS")"
printf '%s\n' "$report"
if [[ -n "${BENCH_OUT:-}" ]]; then
    printf '%s\n' "$report" >"$BENCH_OUT"
    cp "$RESULTS" "$BENCH_OUT.env"
    log "report written to $BENCH_OUT"
fi
