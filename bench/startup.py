#!/usr/bin/env python3
"""Startup time: from spawning `timetracker serve` on an EXISTING data dir to its first
HTTP 200 on /healthz.

    startup.py BINARY DATA_DIR [RUNS]

Each run picks a fresh free port on 127.0.0.1, starts the server (stdout/stderr discarded,
the environment is inherited: bench/run.sh sets LOG_LEVEL=warn), polls /healthz in a tight
loop (each attempt has a 50 ms timeout; a refused connection is retried after 0.5 ms), then
stops the server with SIGTERM (SIGKILL after 10 s). The clock starts just before the spawn,
so the figure includes exec, dynamic loading, config, opening SQLite, migrations check,
template compilation and binding the socket.

Prints `startup_ms_N=…` per run, then `startup_median_ms=…` and `startup_max_ms=…`.
Exits 1 if a run gets no 200 within 10 s.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import time

DEADLINE_S = 10.0
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz_ok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as s:
            s.settimeout(0.05)
            s.sendall(REQUEST)
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def one_run(binary: str, data_dir: str) -> float:
    port = free_port()
    cmd = [binary, "--data-dir", data_dir, "serve", "--host", "127.0.0.1", "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if healthz_ok(port):
                return (time.perf_counter() - t0) * 1000.0
            if proc.poll() is not None:
                raise SystemExit(f"startup.py: the server exited with {proc.returncode} before answering")
            if time.perf_counter() - t0 > DEADLINE_S:
                raise SystemExit(f"startup.py: no 200 on /healthz within {DEADLINE_S} s")
            time.sleep(0.0005)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    # SIGTERM (bench/run.sh's cleanup) unwinds like Ctrl-C, so `finally` stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    binary, data_dir = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"startup.py: {binary} is not executable")
    times = []
    for i in range(runs):
        ms = one_run(binary, data_dir)
        times.append(ms)
        print(f"startup_ms_{i + 1}={ms:.1f}", flush=True)
        time.sleep(0.2)
    print(f"startup_median_ms={statistics.median(times):.1f}")
    print(f"startup_max_ms={max(times):.1f}")


if __name__ == "__main__":
    main()
