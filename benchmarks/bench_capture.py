"""A whole capture file: to columns (the fast path) and to Telegram objects, on both twins and
with dsmr_parser where it applies, jobs=1 against jobs=2.

Run: ``pytest benchmarks/bench_capture.py --benchmark-only --benchmark-group-by=group
--benchmark-columns=median,rounds``; each row's ``MB/s`` is in its extra info
(``--benchmark-json``). Ratios between rows of one run hold on a noisy machine; absolute
numbers do not.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import dsmrparse
from dsmrparse import _impl, columnar, files
from dsmrparse.simulate import Simulator

SMALL = 2_000  # telegrams (~1.7 MB): per-twin rows
LARGE = 20_000  # telegrams (~17 MB): jobs=1 against jobs=2 (process start-up amortised)
TWINS = ["cython", "python"]


def _capture(directory: Path, count: int) -> Path:
    sim = Simulator("dsmr5", seed=1, start=datetime.fromisoformat("2024-01-01T00:00:00+01:00"))
    path = directory / f"capture_{count}.txt"
    with open(path, "wb") as out:
        for _, telegram in zip(range(count), sim):
            out.write(telegram)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _capture(tmp_path_factory.mktemp("capture"), SMALL)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _capture(tmp_path_factory.mktemp("capture"), LARGE)


def _with_twin(twin: str) -> str:
    if twin not in _impl.available():
        pytest.skip(f"the {twin} twin is not built here")
    return dsmrparse.use_implementation(twin)


def _rate(benchmark: Any, size: int) -> None:
    benchmark.extra_info["MB"] = round(size / 1e6, 2)
    benchmark.extra_info["MB/s"] = round(size / 1e6 / benchmark.stats.stats.median, 1)


def _columns(path: Path, numbers: str, jobs: int = 1) -> int:
    return sum(len(batch) for batch in columnar.iter_columns(path, numbers=numbers, jobs=jobs))


def _telegrams(path: Path) -> int:
    return sum(1 for _ in files.iter_telegrams(path))


@pytest.mark.parametrize("numbers", ["float", "decimal"])
@pytest.mark.parametrize("twin", TWINS)
def test_capture_to_columns(benchmark: Any, small: Path, twin: str, numbers: str) -> None:
    benchmark.group = f"capture to columns ({numbers}), {SMALL} telegrams"
    previous = _with_twin(twin)
    try:
        assert benchmark(_columns, small, numbers) == SMALL
    finally:
        dsmrparse.use_implementation(previous)
    _rate(benchmark, small.stat().st_size)


@pytest.mark.parametrize("numbers", ["float", "decimal"])
@pytest.mark.parametrize("twin", TWINS)
def test_capture_to_columns_through_telegrams(
    benchmark: Any, small: Path, twin: str, numbers: str
) -> None:
    """The path before the fast one: Telegram objects, then Columns.from_telegrams."""
    benchmark.group = f"capture to columns ({numbers}), {SMALL} telegrams"
    previous = _with_twin(twin)

    def run() -> int:
        return len(columnar.Columns.from_telegrams(files.iter_telegrams(small), numbers=numbers))

    try:
        assert benchmark(run) == SMALL
    finally:
        dsmrparse.use_implementation(previous)
    _rate(benchmark, small.stat().st_size)


@pytest.mark.parametrize("twin", [*TWINS, "dsmr_parser"])
def test_capture_to_telegrams(benchmark: Any, small: Path, twin: str) -> None:
    benchmark.group = f"capture to telegram objects, {SMALL} telegrams"
    if twin == "dsmr_parser":
        buffer_type, parser = _dsmr_parser()
        text = small.read_bytes().decode("latin-1")  # (read_text would drop the CRs)

        def peer() -> int:
            # fed in 4 KiB pieces, as its readers do (all at once, its buffer copies quadratically)
            buffer = buffer_type()
            count = 0
            for i in range(0, len(text), 4096):
                buffer.append(text[i : i + 4096])
                for telegram in buffer.get_all():
                    parser.parse(telegram)
                    count += 1
            return count

        assert benchmark(peer) == SMALL
        _rate(benchmark, small.stat().st_size)
        return
    previous = _with_twin(twin)
    try:
        assert benchmark(_telegrams, small) == SMALL
    finally:
        dsmrparse.use_implementation(previous)
    _rate(benchmark, small.stat().st_size)


def _dsmr_parser() -> tuple[Any, Any]:
    try:
        from dsmr_parser import telegram_specifications
        from dsmr_parser.clients.telegram_buffer import TelegramBuffer
        from dsmr_parser.parsers import TelegramParser
    except ImportError:
        pytest.skip("dsmr-parser (the peer) is not installed: pip install dsmr-parser==1.11.2")
    return TelegramBuffer, TelegramParser(telegram_specifications.V5)


@pytest.mark.parametrize("jobs", [1, 2])
def test_large_capture_to_columns_jobs(benchmark: Any, large: Path, jobs: int) -> None:
    benchmark.group = f"capture to columns (float), {LARGE} telegrams, jobs"
    previous = _with_twin("cython")
    try:
        count = benchmark.pedantic(_columns, (large, "float", jobs), rounds=5, iterations=1)
    finally:
        dsmrparse.use_implementation(previous)
    assert count == LARGE
    _rate(benchmark, large.stat().st_size)


def _json_lines(path: Path, jobs: int) -> int:
    """What ``dsmrparse parse --jobs N`` does: JSON lines made where the telegrams are parsed."""
    from dsmrparse.cli import _render

    return sum(len(out) for out, _ in files.map_records(path, _render, jobs=jobs))


@pytest.mark.parametrize("jobs", [1, 2])
def test_large_capture_to_json_lines_jobs(benchmark: Any, large: Path, jobs: int) -> None:
    benchmark.group = f"capture to JSON lines, {LARGE} telegrams, jobs"
    previous = _with_twin("cython")
    try:
        size = benchmark.pedantic(_json_lines, (large, jobs), rounds=3, iterations=1)
    finally:
        dsmrparse.use_implementation(previous)
    assert size > LARGE * 1000
    _rate(benchmark, large.stat().st_size)


# ---- the parse command's outputs, beside the library calls they are built on ----------------


def _command(path: Path, out: Path, *extra: str) -> int:
    from dsmrparse import cli

    return cli.main(["parse", str(path), "-q", "-o", str(out), *extra])


@pytest.mark.parametrize("twin", TWINS)
def test_capture_to_json_lines_command(
    benchmark: Any, large: Path, tmp_path: Path, twin: str
) -> None:
    """``dsmrparse parse CAPTURE -o out.jsonl`` (in this process: no interpreter start)."""
    benchmark.group = f"capture to JSON lines, {LARGE} telegrams"
    previous = _with_twin(twin)
    try:
        code = benchmark.pedantic(
            _command, (large, tmp_path / "out.jsonl"), rounds=3 if twin == "cython" else 1
        )
    finally:
        dsmrparse.use_implementation(previous)
    assert code == 0
    _rate(benchmark, large.stat().st_size)


def test_capture_to_json_lines_library(benchmark: Any, large: Path) -> None:
    """The same records as Telegram.to_json() lines, joined: the command's floor."""
    benchmark.group = f"capture to JSON lines, {LARGE} telegrams"
    previous = _with_twin("cython")

    def run() -> int:
        return len("".join(t.to_json() + "\n" for t in files.iter_telegrams(large)))

    try:
        assert benchmark.pedantic(run, rounds=3) > LARGE * 1000
    finally:
        dsmrparse.use_implementation(previous)
    _rate(benchmark, large.stat().st_size)


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_capture_to_parquet_command(
    benchmark: Any, large: Path, tmp_path: Path, numbers: str
) -> None:
    """``dsmrparse parse CAPTURE -o x.parquet``; the goal is 1.5x of iter_columns at most."""
    pytest.importorskip("pyarrow")
    benchmark.group = f"capture to Parquet ({numbers}), {LARGE} telegrams"
    previous = _with_twin("cython")
    try:
        out = tmp_path / "x.parquet"
        code = benchmark.pedantic(_command, (large, out, "--numbers", numbers), rounds=3)
    finally:
        dsmrparse.use_implementation(previous)
    assert code == 0
    import pyarrow.parquet as pq

    benchmark.extra_info["row_groups"] = pq.ParquetFile(out).metadata.num_row_groups
    _rate(benchmark, large.stat().st_size)


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_capture_to_columns_beside_parquet(benchmark: Any, large: Path, numbers: str) -> None:
    """iter_columns on the same capture: the Parquet command's reference rate."""
    benchmark.group = f"capture to Parquet ({numbers}), {LARGE} telegrams"
    previous = _with_twin("cython")
    try:
        assert benchmark.pedantic(_columns, (large, numbers), rounds=3) == LARGE
    finally:
        dsmrparse.use_implementation(previous)
    _rate(benchmark, large.stat().st_size)
