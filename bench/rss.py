#!/usr/bin/env python3
"""Samples a process's resident memory until told to stop.

    rss.py PID OUTFILE [INTERVAL_S]

Reads VmRSS from /proc/PID/status every INTERVAL_S (default 0.05 s) and, on SIGTERM/SIGINT
or when the process is gone, writes `max_kib=N samples=M` to OUTFILE.
"""

import signal
import sys
import time

pid, outfile = sys.argv[1], sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
peak, samples, running = 0, 0, True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

while running:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]))
                    samples += 1
                    break
    except OSError:
        break
    time.sleep(interval)

with open(outfile, "w") as f:
    f.write(f"max_kib={peak} samples={samples}\n")
