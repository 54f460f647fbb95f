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


def wrk(port, path, cookie):
    # Check first that the page really renders (a redirect to /login would look fast).
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    assert r.status == 200, f"{path} answered {r.status}"
    subprocess.run(["wrk", "-t2", "-c16", "-d2s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"], capture_output=True)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{SECS}s", "--latency", "--timeout", "5s", "-H", f"Cookie: {cookie}",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return rps, p50, p99, errors


def timer_round_trips(port, token, n):
    """start + stop pairs over one keep-alive connection; returns (round trips/s, acked)."""
    c = http.client.HTTPConnection("127.0.0.1", port)
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


def query_plans(data):
    """EXPLAIN QUERY PLAN of the entries-list queries, as the server runs them."""
    db = sqlite3.connect(os.path.join(data, "timetracker.db"))
    now = int(time.time())
    week = now - 7 * 86400
    joins = ("FROM time_entries e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id "
             "LEFT JOIN clients c ON c.id = p.client_id LEFT JOIN tasks t ON t.id = e.task_id")
    queries = {
        "list page, one user, this week": (f"SELECT e.id {joins} WHERE 1 = 1 AND e.start_at >= ? AND e.start_at < ? AND e.user_id = ? ORDER BY e.start_at DESC, e.id DESC LIMIT 50 OFFSET 0", (week, now, 1)),
        "totals, one user, this week": (f"SELECT count(*), sum(e.end_at - e.start_at) {joins} WHERE 1 = 1 AND e.start_at >= ? AND e.start_at < ? AND e.user_id = ?", (week, now, 1)),
        "list page, everyone, one project, this week": (f"SELECT e.id {joins} WHERE 1 = 1 AND e.start_at >= ? AND e.start_at < ? AND e.project_id = ? ORDER BY e.start_at DESC, e.id DESC LIMIT 50 OFFSET 0", (week, now, 1)),
        "list page, everyone, this week": (f"SELECT e.id {joins} WHERE 1 = 1 AND e.start_at >= ? AND e.start_at < ? ORDER BY e.start_at DESC, e.id DESC LIMIT 50 OFFSET 0", (week, now)),
        "running timer of a user": ("SELECT e.id FROM time_entries e WHERE e.user_id = ? AND e.end_at IS NULL", (1,)),
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
                row = {"entries": seeded}
                for name, path in [("entries", "/entries"), ("dashboard", "/")]:
                    log(f"wrk {path} ({SECS} s, c=16)")
                    row[name] = wrk(port, path, cookie)
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
            if plans is None or n == max(SIZES):
                plans = query_plans(data)
            results.append(row)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print(f"## Time tracking benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, wrk -t2 -c16 -d{SECS}s)\n")
    print("| Entries in DB | GET /entries req/s (p50 / p99) | GET / req/s (p50 / p99) | timer start+stop round trips/s | all acknowledged writes after kill -9 |")
    print("|---:|---:|---:|---:|:---:|")
    for r in results:
        e, d = r["entries"], r["dashboard"]
        err = "" if e[3] == 0 and d[3] == 0 else f" (non-2xx: {e[3]}/{d[3]})"
        print(f"| {r['entries']:,} | {e[0]:,.0f} ({e[1]} / {e[2]}) | {d[0]:,.0f} ({d[1]} / {d[2]}) | {r['timer']:,.0f} | {'yes' if r['durable'] else 'NO'}{err} |")
    print("\n### Query plans (largest DB)\n")
    for name, lines in plans or []:
        print(f"{name}:\n```")
        for l in lines:
            print(l)
        print("```")


if __name__ == "__main__":
    main()
