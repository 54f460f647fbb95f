#!/usr/bin/env python3
"""Reads one `wrk --latency` output and prints shell-friendly `key=value` lines.

    rps=12345.67          Requests/sec
    p50_ms=1.234          50th percentile latency, milliseconds
    p99_ms=5.678          99th percentile latency, milliseconds
    requests=123456       completed requests
    errors=0              socket errors (connect/read/write/timeout) + non-2xx/3xx answers
    status_303=17         only with bench/login.lua: answers per status code

Exits 1 when the output has no Requests/sec line (wrk failed).
"""

import re
import sys

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not m:
        raise ValueError(f"unknown latency value {value!r}")
    return float(m.group(1)) * UNITS_MS[m.group(2)]


def parse(text: str) -> dict:
    out = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not m:
        raise SystemExit("wrkparse: no Requests/sec line in wrk output:\n" + text)
    out["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if m:
            out[f"p{pct}_ms"] = round(to_ms(m.group(1)), 3)
    m = re.search(r"^\s+(\d+) requests in", text, re.M)
    out["requests"] = int(m.group(1)) if m else 0
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    out["errors"] = errors
    for code, n in re.findall(r"^status (\d+): (\d+)$", text, re.M):
        out[f"status_{code}"] = int(n)
    return out


def main() -> None:
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    for k, v in parse(text).items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()
