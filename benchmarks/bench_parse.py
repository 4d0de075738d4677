"""Whole-telegram parse: the compiled twin, the pure twin and dsmr_parser on the same input.

Run: ``pytest benchmarks/bench_parse.py --benchmark-only --benchmark-group-by=param:name``.
Ratios between rows of one run hold on a noisy machine; absolute numbers do not.
"""

from __future__ import annotations

from pathlib import Path

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

PARSERS = ["cython", "python", "dsmr_parser"]


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
    if parser not in _impl.available():
        pytest.skip(f"the {parser} twin is not built here")
    previous = dsmrparse.use_implementation(parser)
    try:
        t = benchmark(dsmrparse.parse, data)
    finally:
        dsmrparse.use_implementation(previous)
    assert t.crc in ("ok", "absent")
