#!/usr/bin/env python3
"""Time-tracking benchmarks for TimeTracker (see bench/tracking.sh and docs/performance.md).

For each DB size (10k and 100k entries) it seeds a fresh data dir, starts the release binary,
signs in, and measures with wrk at c=16:
  - GET /entries  (the default list: this week, own entries, totals over the filtered set)
  - GET /         (the dashboard: timer, today/week totals, recent entries)
then, from one client over one keep-alive connection, timer start+stop round trips/s with a
bearer token, and finally kills the server with SIGKILL and checks that every acknowledged
timer write is in the database. It also prints EXPLAIN QUERY PLAN for the list queries.
"""
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import wrkparse  # beside this file

BIN = os.environ.get("BENCH_BIN") or os.path.join(os.path.dirname(__file__), "..", "target", "release", "timetracker")
SECS = int(os.environ.get("BENCH_SECONDS", "10"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]
ROUND_TRIPS = int(os.environ.get("BENCH_ROUND_TRIPS", "3000"))
USERS = 20
PROJECTS = 30
PASSWORD = "benchpass123"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tt(data, *args, stdin=None, env=None):
    e = {"PATH": os.environ["PATH"], "HOME": data, "LOG_LEVEL": "warn", **(env or {})}
    r = subprocess.run([BIN, "--data-dir", data, *args], input=stdin, capture_output=True, text=True, env=e)
    if r.returncode != 0:
        raise SystemExit(f"timetracker {' '.join(args)} failed: {r.stderr}")
    return r.stdout


def seed(data, n):
    """Users, projects and n finished entries spread over the last two years."""
    tt(data, "user", "add", "bench", "--password-stdin", stdin=PASSWORD + "\n")
    for i in range(USERS - 1):
        tt(data, "user", "add", f"user{i}")
    db = sqlite3.connect(os.path.join(data, "timetracker.db"))
    now = int(time.time())
    db.executemany(
        "INSERT INTO projects (name, billable, created_at) VALUES (?, 1, ?)",
        [(f"Project {i}", now) for i in range(PROJECTS)],
    )
    rnd = random.Random(42)
    span = 730 * 86400
    rows = []
    # Entries are back to back per user, newest ending an hour ago, so none overlap.
    per_user = n // USERS
    for uid in range(1, USERS + 1):
        t = now - 3600
        step = span // per_user
        for _ in range(per_user):
            dur = rnd.randint(900, max(901, step - 60))
            start = t - dur
            rows.append((uid, rnd.randint(1, PROJECTS), start, t, f"note {rnd.randint(0, 10**6)}", rnd.random() < 0.8, "manual", now, now))
            t = start - 60
    db.executemany(
        "INSERT INTO time_entries (user_id, project_id, start_at, end_at, notes, billable, source, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return len(rows)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(data, port, sync="normal"):
    env = {"PATH": os.environ["PATH"], "HOME": data, "LOG_LEVEL": "warn", "DB_SYNCHRONOUS": sync}
    p = subprocess.Popen([BIN, "--data-dir", data, "serve", "--port", str(port)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise SystemExit("server did not become ready")


def login(port):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode()
    csrf_cookie = re.search(r"tt_csrf=([^;]+)", r.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": "bench", "password": PASSWORD, "csrf_token": token})
    c.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"tt_csrf={csrf_cookie}"})
    r = c.getresponse()
    r.read()
    session = re.search(r"tt_session=([^;]+)", ",".join(r.headers.get_all("Set-Cookie") or [])).group(1)
    return f"tt_session={session}"


def cpu_seconds(pid):
    """User + system CPU time the server has used so far (clock ticks from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port, path, cookie, pid):
    # Check first that the page really renders (a redirect to /login would look fast).
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    assert r.status == 200, f"{path} answered {r.status}"
    subprocess.run(["wrk", "-t2", "-c16", "-d2s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"], capture_output=True)
    cpu0 = cpu_seconds(pid)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{SECS}s", "--latency", "--timeout", "5s", "-H", f"Cookie: {cookie}",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
    cpu = cpu_seconds(pid) - cpu0
    w = wrkparse.parse(out)
    # Server CPU per request: unlike req/s, it does not depend on what else the machine runs.
    return w["rps"], f'{w["p50_ms"]:.2f}ms', f'{w["p99_ms"]:.2f}ms', w["errors"], cpu * 1000 / max(w["requests"], 1)


def timer_round_trips(port, token, n):
    """start + stop pairs over one keep-alive connection; returns (round trips/s, acked)."""
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.connect()
    # Headers and body leave in one segment anyway; no Nagle delay on the small requests.
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"project_id": 1})
    acked = {"start": 0, "stop": 0}
    t0 = time.perf_counter()
    for _ in range(n):
        c.request("POST", "/api/v1/timer/start", body, hdr)
        r = c.getresponse(); r.read()
        assert r.status == 201, r.status
        acked["start"] += 1
        c.request("POST", "/api/v1/timer/stop", "", hdr)
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
        acked["stop"] += 1
    return n / (time.perf_counter() - t0), acked


def count_entries(data, where):
    db = sqlite3.connect(os.path.join(data, "timetracker.db"))
    n = db.execute(f"SELECT count(*) FROM time_entries WHERE {where}").fetchone()[0]
    db.close()
    return n


DURATION = ("max(coalesce(e.end_at, ?1) - e.start_at - e.break_seconds"
            " - CASE WHEN e.paused_at IS NULL THEN 0 ELSE ?1 - e.paused_at END, 0)")
# The SELECT of src/db/entries.rs, so the plans below are the server's own.
SELECT = (f"SELECT e.id, e.user_id, u.username, e.project_id, p.name, p.client_id, c.name, e.task_id, t.name, "
          f"e.start_at, e.end_at, e.paused_at, e.break_seconds, e.notes, e.billable, e.tags, e.source, e.needs_review, {DURATION} "
          "FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
          "LEFT JOIN clients c ON c.id = p.client_id LEFT JOIN tasks t ON t.id = e.task_id")
TOTALS = (f"SELECT count(*), coalesce(sum({DURATION}), 0), coalesce(sum(CASE WHEN e.billable = 1 THEN {DURATION} ELSE 0 END), 0) "
          "FROM time_entries e JOIN projects p ON p.id = e.project_id LEFT JOIN clients c ON c.id = p.client_id "
          "LEFT JOIN tasks t ON t.id = e.task_id")


def query_plans(data):
    """EXPLAIN QUERY PLAN of the queries behind the list, the dashboard and the timer."""
    db = sqlite3.connect(os.path.join(data, "timetracker.db"))
    now = int(time.time())
    week = now - 7 * 86400
    page = "ORDER BY e.start_at DESC, e.id DESC LIMIT 50 OFFSET 0"
    queries = {
        "entries list page (one user, this week)": (f"{SELECT} WHERE 1 = 1 AND e.start_at >= ?2 AND e.start_at < ?3 AND e.user_id = ?4 {page}", (now, week, now, 1)),
        "entries list totals (one user, this week)": (f"{TOTALS} WHERE 1 = 1 AND e.start_at >= ?2 AND e.start_at < ?3 AND e.user_id = ?4", (now, week, now, 1)),
        "entries list page (admin: everyone, this week)": (f"{SELECT} WHERE 1 = 1 AND e.start_at >= ?2 AND e.start_at < ?3 {page}", (now, week, now)),
        "entries list page (admin: one project, this week)": (f"{SELECT} WHERE 1 = 1 AND e.start_at >= ?2 AND e.start_at < ?3 AND e.project_id = ?4 {page}", (now, week, now, 1)),
        "dashboard recent entries": (f"{SELECT} WHERE 1 = 1 AND e.user_id = ?2 ORDER BY e.start_at DESC, e.id DESC LIMIT 10 OFFSET 0", (now, 1)),
        "running timer of a user": (f"{SELECT} WHERE e.user_id = ?2 AND e.end_at IS NULL", (now, 1)),
        "auto-stop sweep": ("UPDATE time_entries INDEXED BY one_running_timer SET needs_review = 1 "
                            "WHERE end_at IS NULL AND start_at <= ?2 - ?1 AND (?3 IS NULL OR user_id = ?3)", (43200, now, 1)),
        "overlap check of a manual entry": (f"{SELECT} WHERE e.user_id = ?2 AND e.start_at < ?4 AND e.start_at >= ?6 "
                                            "AND coalesce(e.end_at, ?1) > ?3 AND e.id IS NOT ?5 ORDER BY e.start_at",
                                            (now, 1, now - 3600, now, None, now - 3600 - 31 * 86400)),
    }
    out = []
    for name, (sql, args) in queries.items():
        plan = db.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall()
        out.append((name, [row[3] for row in plan]))
    db.close()
    return out


def main():
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} missing: cargo build --release")
    results = []
    plans = None
    full_rate = None
    for n in SIZES:
        work = tempfile.mkdtemp(prefix="tt-bench-")
        data = os.path.join(work, "data")
        try:
            log(f"seeding {n} entries")
            t0 = time.time()
            seeded = seed(data, n)
            log(f"seeded {seeded} entries in {time.time() - t0:.1f} s")
            tt(data, "project", "list")  # migrations and settings in place
            token = tt(data, "token", "create", "--user", "bench", "--name", "bench").strip()
            port = free_port()
            server = start_server(data, port)
            try:
                cookie = login(port)
                row = {"size": seeded}
                for name, path in [("list", "/entries"), ("dashboard", "/")]:
                    log(f"wrk {path} ({SECS} s, c=16)")
                    row[name] = wrk(port, path, cookie, server.pid)
                log(f"{ROUND_TRIPS} timer start+stop round trips")
                row["timer"], acked = timer_round_trips(port, token, ROUND_TRIPS)
                # One more acknowledged start, then SIGKILL: it must be there after the crash.
                c = http.client.HTTPConnection("127.0.0.1", port)
                c.request("POST", "/api/v1/timer/start", json.dumps({"project_id": 2}),
                          {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                assert c.getresponse().status == 201
                server.send_signal(signal.SIGKILL)
                server.wait()
                stopped = count_entries(data, "source = 'api' AND end_at IS NOT NULL")
                running = count_entries(data, "source = 'api' AND end_at IS NULL")
                row["durable"] = stopped == acked["stop"] and running == 1
                log(f"after kill -9: {stopped}/{acked['stop']} acknowledged stops, {running}/1 running start")
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()
            if n == min(SIZES):
                # The same round trips with DB_SYNCHRONOUS=full (an fsync per commit).
                port = free_port()
                server = start_server(data, port, sync="full")
                try:
                    log(f"{ROUND_TRIPS // 3} round trips with DB_SYNCHRONOUS=full")
                    c = http.client.HTTPConnection("127.0.0.1", port)
                    c.request("POST", "/api/v1/timer/stop", "", {"Authorization": f"Bearer {token}"})
                    c.getresponse().read()
                    full_rate, _ = timer_round_trips(port, token, ROUND_TRIPS // 3)
                finally:
                    server.terminate()
                    server.wait()
            if plans is None or n == max(SIZES):
                plans = query_plans(data)
            results.append(row)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print(f"## Time tracking benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, wrk -t2 -c16 -d{SECS}s)\n")
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"Load average at the end: {' '.join(load)} (other work on the machine lowers req/s; CPU ms per request does not move with it).\n")
    print("| Entries in DB | GET /entries req/s (p50 / p99) | CPU ms/req | GET / req/s (p50 / p99) | CPU ms/req | timer start+stop round trips/s | acknowledged writes after kill -9 |")
    print("|---:|---:|---:|---:|---:|---:|:---:|")
    for r in results:
        e, d = r["list"], r["dashboard"]
        err = "" if e[3] == 0 and d[3] == 0 else f" (non-2xx: {e[3]}/{d[3]})"
        print(f"| {r['size']:,} | {e[0]:,.0f} ({e[1]} / {e[2]}) | {e[4]:.2f} | {d[0]:,.0f} ({d[1]} / {d[2]}) | {d[4]:.2f} | {r['timer']:,.0f} | {'all kept' if r['durable'] else 'LOST'}{err} |")
    if full_rate is not None:
        print(f"\nTimer start+stop with DB_SYNCHRONOUS=full ({min(SIZES):,} entries): {full_rate:,.0f} round trips/s.")
    print("\n### Query plans (largest DB)\n")
    for name, lines in plans or []:
        print(f"{name}:\n```")
        for l in lines:
            print(l)
        print("```")


if __name__ == "__main__":
    main()
