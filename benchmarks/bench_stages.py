"""The hot stages, each timed on both parser twins (ids ``cython`` and ``python``).

Run: ``pytest benchmarks/ --benchmark-only`` (add ``--benchmark-group-by=group`` to compare the
twins stage by stage).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from dsmrparse import _kinds as K
from dsmrparse import _purepy
from dsmrparse.values import time_context

try:
    from dsmrparse import _fastparse
except ImportError:
    _fastparse = None

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
TELEGRAM = (FIXTURES / "nl" / "dsmr50_iskra_mt382.txt").read_bytes()  # DSMR 5, 890 bytes, 37 lines
STREAM = (FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt").read_bytes()
MIB = random.Random(1).randbytes(1 << 20)
CTX = time_context("Europe/Amsterdam")

TWINS = [
    pytest.param(
        _fastparse,
        id="cython",
        marks=pytest.mark.skipif(_fastparse is None, reason="dsmrparse._fastparse is not built"),
    ),
    pytest.param(_purepy, id="python"),
]


def _plan() -> dict[str, tuple[Any, ...]]:
    """The DSMR 5 profile's plan (what parse() hands the twins); a stand-in if it cannot load."""
    try:
        from dsmrparse import profiles

        return dict(profiles.get("dsmr5").plan)
    except Exception:  # noqa: BLE001 - the profiles are not this benchmark's subject
        q, i, h, ts = K.QUANTITY, K.INTEGER, K.HEX_TEXT, K.TIMESTAMP
        plan = {f"1-0:{c}.8.{t}": (q, f"e{c}{t}", "kWh", None) for c in (1, 2) for t in (1, 2)}
        powers = (1, 2, 21, 22, 41, 42, 61, 62)
        plan.update({f"1-0:{c}.7.0": (q, f"p{c}", "kW", None) for c in powers})
        plan.update({f"1-0:{c}.7.0": (q, f"u{c}", "V", None) for c in (32, 52, 72)})
        plan.update({f"1-0:{c}.7.0": (i, f"i{c}", "A", None) for c in (31, 51, 71)})
        plan["0-0:1.0.0"] = (ts, "timestamp", None, None)
        plan["0-0:96.1.1"] = (h, "id", None, None)
        plan["0-1:24.2.1"] = (K.TIMESTAMPED, "gas", "m3", None)
        return plan


PLAN = _plan()
LINES = _purepy.tokenize(TELEGRAM).lines


@pytest.mark.parametrize("twin", TWINS)
def test_crc16_1mib(benchmark: Any, twin: Any) -> None:
    benchmark.group = "crc16 1 MiB"
    assert benchmark(twin.crc16, MIB) == _purepy.crc16(MIB)


@pytest.mark.parametrize("twin", TWINS)
def test_crc16_telegram(benchmark: Any, twin: Any) -> None:
    benchmark.group = "crc16 890-byte telegram"
    assert benchmark(twin.crc16, TELEGRAM) == _purepy.crc16(TELEGRAM)


@pytest.mark.parametrize("twin", TWINS)
def test_tokenize_dsmr5(benchmark: Any, twin: Any) -> None:
    benchmark.group = "tokenize nl/dsmr50_iskra_mt382.txt"
    tokens = benchmark(twin.tokenize, TELEGRAM)
    assert tokens.crc == "ok" and len(tokens.lines) == len(LINES)


@pytest.mark.parametrize("twin", TWINS)
def test_convert_dsmr5(benchmark: Any, twin: Any) -> None:
    """Typed values for every line, none reused (memo off): what a line new to the stream costs."""
    benchmark.group = f"convert {len(LINES)} lines (DSMR 5 plan), every line new"
    lines = twin.tokenize(TELEGRAM).lines  # the twin's own (a LineTable when compiled)
    entries, problems = benchmark(twin.convert, lines, PLAN, CTX)
    assert len(entries) == len(LINES)


def _frames() -> list[bytes]:
    scanner = _purepy.FrameScanner()
    return [f.data for f in scanner.feed(STREAM) + scanner.flush() if f.kind == "telegram"]


@pytest.mark.parametrize("twin", TWINS)
def test_crc_of_each_telegram_of_a_capture(benchmark: Any, twin: Any) -> None:
    """The baseline of the next one: CRC16 over the same telegrams."""
    frames = _frames()
    benchmark.group = f"566-telegram capture ({len(STREAM)} bytes): scan + tokenize vs CRC"
    crc16 = twin.crc16
    benchmark(lambda: [crc16(f) for f in frames])


@pytest.mark.parametrize("twin", TWINS)
def test_scan_and_tokenize_a_capture(benchmark: Any, twin: Any) -> None:
    benchmark.group = f"566-telegram capture ({len(STREAM)} bytes): scan + tokenize vs CRC"
    tokenize = twin.tokenize

    def run() -> int:
        scanner = twin.FrameScanner()
        frames = scanner.feed(STREAM) + scanner.flush()
        return len([tokenize(f.data) for f in frames if f.kind == "telegram"])

    assert benchmark(run) == 566


@pytest.mark.parametrize("twin", TWINS)
def test_to_json_dsmr5(benchmark: Any, twin: Any) -> None:
    """The interchange form as JSON text, of a telegram parsed once (its lazy parts made)."""
    import dsmrparse

    benchmark.group = "to_json() of the DSMR 5 telegram"
    previous = dsmrparse.use_implementation(twin.NAME)
    try:
        telegram = dsmrparse.parse(TELEGRAM)
        text = benchmark(telegram.to_json)
    finally:
        dsmrparse.use_implementation(previous)
    assert text.startswith('{"format":')


def _scan_all(twin: Any, chunk: int) -> int:
    scanner = twin.FrameScanner()
    count = 0
    for i in range(0, len(STREAM), chunk):
        count += len(scanner.feed(STREAM[i : i + chunk]))
    return count + len(scanner.flush())


@pytest.mark.parametrize("chunk", [len(STREAM), 4096], ids=["one-chunk", "4KiB-chunks"])
@pytest.mark.parametrize("twin", TWINS)
def test_frame_scanner_stream(benchmark: Any, twin: Any, chunk: int) -> None:
    benchmark.group = f"FrameScanner 566 telegrams ({len(STREAM)} bytes), chunk {chunk}"
    assert benchmark(_scan_all, twin, chunk) >= 566
