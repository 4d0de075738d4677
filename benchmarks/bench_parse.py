"""Whole-telegram parse: the compiled twin, the pure twin and dsmr_parser on the same input.

Run: ``pytest benchmarks/bench_parse.py --benchmark-only --benchmark-group-by=param:name``.
Ratios between rows of one run hold on a noisy machine; absolute numbers do not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dsmrparse
from dsmrparse import _impl

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

# one representative telegram per family (the 900-byte DSMR 5 one is the headline number)
TELEGRAMS = {
    "dsmr5": "nl/dsmr50_iskra_mt382.txt",
    "dsmr4": "nl/dsmr42_kaifa.txt",
    "dsmr3": "nl/dsmr30_kamstrup_4mbus_no_crc.txt",
    "belgium": "be/fluvius_emucs171.txt",
    "hungary": "hu/eon_sagemcom.txt",
    "q3d": "de/easymeter_q3db1024.txt",
}

PARSERS = ["cython", "cython-cold", "python", "python-cold", "dsmr_parser"]
STREAM = "streams/iskra_am550_566_telegrams_lf.txt"  # a real DSMR 5 meter, one telegram a second


def _dsmr_parser_for(family: str):  # type: ignore[no-untyped-def]
    try:
        from dsmr_parser import telegram_specifications
        from dsmr_parser.parsers import TelegramParser
    except ImportError:
        pytest.skip("dsmr-parser (the peer) is not installed: pip install dsmr-parser==1.11.2")
    spec = {
        "dsmr5": telegram_specifications.V5,
        "dsmr4": telegram_specifications.V4,
        "dsmr3": telegram_specifications.V3,
        "belgium": telegram_specifications.BELGIUM_FLUVIUS,
        "hungary": getattr(telegram_specifications, "EON_HUNGARY", None),
        "q3d": telegram_specifications.Q3D,
    }.get(family)
    if spec is None:
        pytest.skip(f"dsmr_parser has no specification for {family}")
    return TelegramParser(spec)


def _ours(parser: str, parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """dsmrparse.parse on the named twin; ``-cold`` forgets the previous telegram's lines first
    (the entry memo), which is what a first telegram, or one unlike the last, costs."""
    twin = parser.removesuffix("-cold")
    if twin not in _impl.available():
        pytest.skip(f"the {twin} twin is not built here")
    if parser.endswith("-cold"):
        clear = _impl.module(twin).clear_memo

        def cold(data: bytes) -> Any:
            clear()
            return parse(data)

        return cold
    return parse


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("family", list(TELEGRAMS))
def test_parse_telegram(benchmark, family: str, parser: str) -> None:  # type: ignore[no-untyped-def]
    data = (FIXTURES / TELEGRAMS[family]).read_bytes()
    benchmark.group = f"parse {family} ({len(data)} bytes)"
    if parser == "dsmr_parser":
        peer = _dsmr_parser_for(family)
        text = data.decode("latin-1")
        benchmark(peer.parse, text)
        return
    previous = dsmrparse.use_implementation(parser.removesuffix("-cold"))
    try:
        t = benchmark(_ours(parser, dsmrparse.parse), data)
    finally:
        dsmrparse.use_implementation(previous)
    assert t.crc in ("ok", "absent")


def _stream() -> list[bytes]:
    """The capture's telegrams in order, with the CR the logger dropped put back (their CRCs are
    over CRLF lines, and dsmr_parser checks the CRC over the text as given)."""
    from dsmrparse import _purepy

    scanner = _purepy.FrameScanner()
    data = (FIXTURES / STREAM).read_bytes()
    frames = scanner.feed(data) + scanner.flush()
    return [f.data.replace(b"\n", b"\r\n") for f in frames if f.kind == "telegram"]


@pytest.mark.parametrize("parser", PARSERS)
def test_parse_stream(benchmark, parser: str) -> None:  # type: ignore[no-untyped-def]
    """566 consecutive telegrams of one meter, each parsed once per round: what a live reader or
    a capture file sees. Read ``mean`` / 566 (the ``per telegram`` extra info) for one telegram."""
    frames = _stream()
    benchmark.group = f"parse a real DSMR 5 stream ({len(frames)} telegrams, in order)"
    benchmark.extra_info["telegrams"] = len(frames)
    if parser == "dsmr_parser":
        peer = _dsmr_parser_for("dsmr5")
        texts = [f.decode("latin-1") for f in frames]
        benchmark.pedantic(lambda: [peer.parse(t) for t in texts], rounds=3, iterations=1)
        return
    previous = dsmrparse.use_implementation(parser.removesuffix("-cold"))
    try:
        parse = _ours(parser, dsmrparse.parse)
        out = benchmark(lambda: [parse(f) for f in frames])
    finally:
        dsmrparse.use_implementation(previous)
    assert all(t.crc == "ok" for t in out)
    benchmark.extra_info["us per telegram"] = round(
        benchmark.stats.stats.median / len(frames) * 1e6, 2
    )
