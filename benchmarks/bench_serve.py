"""`dsmrparse serve` under load: 50 clients polling ``/api/v1/sm/actual`` and
``/api/v1/hist/hours`` while one telegram a second comes in; requests per second, p50/p99
latency, and CPU per telegram stored.

Run: ``PYTHONPATH=src python benchmarks/bench_serve.py [--clients 50] [--seconds 20]`` (prints a
table), or ``pytest benchmarks/bench_serve.py --benchmark-only`` (numbers in extra_info).
The server is a real subprocess (simulator, 1 telegram/s) with 50 hours of history filled first;
the clients run in this process (aiohttp), so on a small machine they compete for the same
cores and the numbers are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
TICK = os.sysconf("SC_CLK_TCK")


def _start(data: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dsmrparse", "serve", "--port", "0", "--data", str(data), *args],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if "listening on " in line:
            return proc, line.split("listening on ", 1)[1].strip().rstrip("/")
    raise RuntimeError("server did not start")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
    return float(match.group(1)) if match else float("nan")


async def _load(url: str, clients: int, seconds: float) -> list[float]:
    import aiohttp

    latencies: list[float] = []
    end = time.monotonic() + seconds
    paths = ("/api/v1/sm/actual", "/api/v1/hist/hours")

    async def client(session: aiohttp.ClientSession, n: int) -> None:
        i = n
        while time.monotonic() < end:
            start = time.perf_counter()
            async with session.get(url + paths[i % 2]) as response:
                await response.read()
                assert response.status == 200
            latencies.append(time.perf_counter() - start)
            i += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session, n) for n in range(clients)))
    return latencies


def measure(clients: int = 50, seconds: float = 20.0) -> dict[str, Any]:
    import urllib.request

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        # 50 hours of history, fast
        fill, fill_url = _start(
            data, "--simulate", "dsmr5", "--sim-start", "2026-03-01T00:00:00+01:00",
            "--sim-step", "60", "--interval", "0.001", "--sim-count", "3000", "--sim-seed", "1",
        )  # fmt: skip
        status = b""
        while b'"finished"' not in status:
            time.sleep(0.5)
            with urllib.request.urlopen(fill_url + "/api/v2/status") as response:
                status = response.read()
        fill.terminate()
        fill.wait()
        proc, url = _start(
            data, "--simulate", "dsmr5", "--sim-start", "2026-03-03T02:00:00+01:00",
            "--sim-seed", "2", "--interval", "1",
        )  # fmt: skip
        try:
            time.sleep(2)
            idle_cpu0, idle_t0 = _cpu_seconds(proc.pid), time.monotonic()
            time.sleep(5)
            idle_cpu = (_cpu_seconds(proc.pid) - idle_cpu0) / (time.monotonic() - idle_t0)
            cpu0 = _cpu_seconds(proc.pid)
            wall0 = time.monotonic()
            latencies = asyncio.run(_load(url, clients, seconds))
            wall = time.monotonic() - wall0
            cpu = _cpu_seconds(proc.pid) - cpu0
            with urllib.request.urlopen(url + "/metrics") as response:
                metrics = response.read().decode()
            with urllib.request.urlopen(url + "/api/v1/hist/hours") as response:
                hours = response.read().count(b"recnr")
        finally:
            proc.terminate()
            proc.wait()
    latencies.sort()
    telegrams = _metric(metrics, "dsmr_telegrams_total")
    ingest = _metric(metrics, "dsmr_ingest_cpu_seconds_total")
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "hist_hours_records": hours,
        "server_cpu_share_under_load": round(cpu / wall, 3),
        "server_cpu_ms_per_request": round(cpu / len(latencies) * 1000, 3),
        "server_cpu_share_idle": round(idle_cpu, 4),
        "ingest_cpu_ms_per_telegram": round(ingest / telegrams * 1000, 3),
        "telegrams": int(telegrams),
    }


@pytest.mark.benchmark(group="serve")
def test_fifty_clients(benchmark: Any) -> None:
    result = benchmark.pedantic(measure, kwargs={"seconds": 10.0}, rounds=1, iterations=1)
    benchmark.extra_info.update(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    for key, value in measure(args.clients, args.seconds).items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
