"""Streaming a ~1 GB capture keeps memory flat: prints RSS as it goes (a check, not a unit test).

Run: ``PYTHONPATH=src python3 benchmarks/memory_flat.py [--gb 1] [--mode columns|telegrams]``.
The capture is a simulated one repeated through a pipe (``os.pipe`` fed by a thread), so
nothing of that size is written to disk; the RSS column should stay level after the first
lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from datetime import datetime

from dsmrparse import columnar, files
from dsmrparse.simulate import Simulator


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def capture(count: int) -> bytes:
    sim = Simulator("dsmr5", seed=1, start=datetime.fromisoformat("2024-01-01T00:00:00+01:00"))
    return b"".join(t for _, t in zip(range(count), sim))


def feed(fd: int, block: bytes, total: int) -> None:
    with os.fdopen(fd, "wb") as out:
        sent = 0
        while sent < total:
            out.write(block)
            sent += len(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="how much to stream (default 1)")
    parser.add_argument("--mode", choices=("columns", "telegrams"), default="columns")
    parser.add_argument("--every", type=float, default=100.0, help="print every N MB")
    args = parser.parse_args()
    block = capture(2000)  # ~1.7 MB, repeated
    total = int(args.gb * 1e9)
    read_fd, write_fd = os.pipe()
    threading.Thread(target=feed, args=(write_fd, block, total), daemon=True).start()
    per_telegram = len(block) / 2000
    began = time.perf_counter()
    mark = args.every
    print(f"{'MB':>8} {'rows':>10} {'RSS MB':>8} {'MB/s':>7}")
    with os.fdopen(read_fd, "rb") as stream:
        if args.mode == "columns":
            items = (len(b) for b in columnar.iter_columns(stream, numbers="float"))
        else:
            items = (1 for _ in files.iter_telegrams(stream))
        rows = 0
        for n in items:
            rows += n
            done = rows * per_telegram / 1e6
            if done >= mark:
                took = time.perf_counter() - began
                print(f"{done:8.0f} {rows:10d} {rss_mb():8.1f} {done / took:7.1f}", flush=True)
                mark += args.every
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"done: {rows} rows, peak RSS {peak:.1f} MB")


if __name__ == "__main__":
    main()
