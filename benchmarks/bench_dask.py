"""Captures to Parquet: ``jobs=1``, ``jobs=2`` and a 2-worker Dask LocalCluster, the overhead of
Dask per partition, and a paper estimate for a big archive (see docs/scale.md).

Run the table: ``PYTHONPATH=src python benchmarks/bench_dask.py --mb 200``; or the
pytest-benchmark rows: ``DSMRPARSE_BENCH_MB=64 pytest benchmarks/bench_dask.py --benchmark-only``.
The archive is simulated DSMR 5 (1 s meter): 20,000 distinct telegrams written again and again
until the size is reached, in four plain files (two of them gzip-compressed with ``--gz``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dsmrparse import columnar
from dsmrparse.simulate import Simulator

FILES = 4
DISTINCT = 20_000  # telegrams simulated; repeated to the size asked (simulating is slow)
YEAR_TB = 25.0  # a 1,000-meter year of 1 s DSMR 5 captures (25 GB per meter)


def make_archive(directory: Path, mb: float, gz: bool = False) -> list[Path]:
    sim = Simulator("dsmr5", seed=1, start=datetime.fromisoformat("2024-01-01T00:00:00+01:00"))
    block = b"".join(t for _, t in zip(range(DISTINCT), sim))
    per_file = int(mb * 1e6 / FILES)
    paths = []
    for i in range(FILES):
        path = directory / f"meter{i}.txt"
        with open(path, "wb") as out:
            written = 0
            while written < per_file:
                piece = block
                if per_file - written < len(block):  # the last piece ends after a telegram
                    piece = block[: block.index(b"\r\n/", per_file - written) + 2]
                out.write(piece)
                written += len(piece)
        if gz and i % 2:
            packed = path.with_suffix(".txt.gz")
            with open(path, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
                shutil.copyfileobj(src, dst)
            path.unlink()
            path = packed
        paths.append(path)
    return paths


def make_tiny(directory: Path, count: int) -> list[Path]:
    """``count`` files of 5 telegrams: partitions with next to nothing to parse."""
    directory.mkdir()
    sim = Simulator("dsmr5", seed=2, start=datetime.fromisoformat("2024-01-01T00:00:00+01:00"))
    data = b"".join(t for _, t in zip(range(5), sim))
    paths = [directory / f"m{i:04d}.txt" for i in range(count)]
    for path in paths:
        path.write_bytes(data)
    return paths


def plain_size(paths: list[Path]) -> int:
    size = 0
    for path in paths:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                while chunk := handle.read(1 << 24):
                    size += len(chunk)
        else:
            size += path.stat().st_size
    return size


def convert_local(paths: list[Path], out: Path, jobs: int) -> float:
    """Seconds for ``parse -o x.parquet -j N`` on each file (the columnar path)."""
    start = time.perf_counter()
    for i, path in enumerate(paths):
        batches = columnar.iter_columns(path, numbers="float", jobs=jobs)
        columnar.write_parquet(batches, out / f"{i}.parquet")
    return time.perf_counter() - start


def convert_dask(paths: list[Path], out: Path, blocksize: int) -> tuple[float, int]:
    """(seconds, partitions) for read_captures + to_dataset on the current Dask client."""
    import dsmrparse.dask as dd_dsmr

    start = time.perf_counter()
    found = dd_dsmr.captures([str(p) for p in paths], numbers="float", blocksize=blocksize)
    dd_dsmr.to_dataset(found.rows, str(out), errors=found.errors)
    return time.perf_counter() - start, found.rows.npartitions


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    mb = float(os.environ.get("DSMRPARSE_BENCH_MB", "64"))
    return make_archive(tmp_path_factory.mktemp("archive"), mb)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _rate(benchmark: Any, size: int, cores: int) -> None:
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["MB/s"] = round(size / 1e6 / seconds, 1)
    benchmark.extra_info["MB/s per core"] = round(size / 1e6 / seconds / cores, 1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_jobs(benchmark: Any, archive: list[Path], tmp_path: Path, jobs: int) -> None:
    benchmark.pedantic(convert_local, args=(archive, tmp_path, jobs), rounds=1, iterations=1)
    _rate(benchmark, plain_size(archive), jobs)


@pytest.mark.parametrize("blocksize", [64 << 20, 4 << 20])
def test_dask_two_workers(
    benchmark: Any, archive: list[Path], tmp_path: Path, cluster: Any, blocksize: int
) -> None:
    counter = iter(range(1000))

    def run() -> None:
        convert_dask(archive, tmp_path / f"out{next(counter)}.parquet", blocksize)

    benchmark.pedantic(run, rounds=1, iterations=1)
    _rate(benchmark, plain_size(archive), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=200, help="archive size, MB (plain)")
    parser.add_argument("--gz", action="store_true", help="half the files gzip-compressed")
    parser.add_argument("--big", type=int, default=64, help="large partitions, MiB")
    parser.add_argument("--small", type=int, default=2, help="small partitions, MiB")
    parser.add_argument("--tiny", type=int, default=100, help="files of 5 telegrams (overhead)")
    args = parser.parse_args(argv)

    import distributed

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_archive(root, args.mb, args.gz)
        size = plain_size(paths)
        mb = size / 1e6
        rows: list[tuple[str, float, int]] = []
        print(f"{mb:.0f} MB of captures ({'half gzip' if args.gz else 'plain'}), {FILES} files")
        for jobs in (1, 2):
            out = root / f"jobs{jobs}"
            out.mkdir()
            rows.append((f"jobs={jobs}", convert_local(paths, out, jobs), jobs))
            print(rows[-1], flush=True)
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
            ) as local,
            distributed.Client(local),
        ):
            convert_dask(paths[:1], root / "warm.parquet", args.big << 20)  # workers import
            big, n_big = convert_dask(paths, root / "big.parquet", args.big << 20)
            print(("big", big, n_big), flush=True)
            small, n_small = convert_dask(paths, root / "small.parquet", args.small << 20)
            print(("small", small, n_small), flush=True)
            # next to nothing to parse: the time is Dask's (and a Parquet file per partition)
            tiny_paths = make_tiny(root / "tiny", args.tiny)
            tiny, n_tiny = convert_dask(tiny_paths, root / "tiny.parquet", args.big << 20)
            print(("tiny", tiny, n_tiny), flush=True)
        rows.append((f"dask 2 workers, {n_big} partitions of <= {args.big} MiB", big, 2))
        rows.append((f"dask 2 workers, {n_small} partitions of <= {args.small} MiB", small, 2))
        rows.append((f"dask 2 workers, {n_tiny} files of 5 telegrams", tiny, 2))
        print(f"{'run':<46} {'s':>7} {'MB/s':>7} {'MB/s/core':>9}")
        for name, seconds, cores in rows:
            rate = mb / seconds
            if "telegrams" in name:
                print(f"{name:<46} {seconds:7.1f} {'':>7} {'':>9}")
                continue
            print(f"{name:<46} {seconds:7.1f} {rate:7.1f} {rate / cores:9.1f}")
        # the cost of one more partition: the same bytes in more, smaller pieces; and a
        # partition with next to nothing in it
        per_partition = (small - big) / max(n_small - n_big, 1) * 2  # worker-seconds
        bare = tiny / n_tiny * 2
        per_core = mb / big / 2
        print(
            f"Dask overhead per partition: {per_partition * 1000:.0f} ms of a worker (same bytes, "
            f"more partitions); {bare * 1000:.0f} ms (tiny files)"
        )
        for workers in (10, 100, 1000):
            total_mb = YEAR_TB * 1e6
            partitions = total_mb / (args.big * 1.048576)
            seconds = (total_mb / per_core + partitions * bare) / workers
            print(
                f"paper estimate, {YEAR_TB:.0f} TB on {workers} workers: {seconds / 3600:.1f} h "
                f"({partitions:.0f} partitions of {args.big} MiB, {per_core:.1f} MB/s a worker)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
