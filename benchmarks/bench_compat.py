"""The compat layer's ``TelegramParser.parse`` against dsmr_parser's, on the same telegrams, in
one run; dsmrparse's own ``parse`` beside them shows what the compat objects cost.

Run: ``pytest benchmarks/bench_compat.py --benchmark-only --benchmark-group-by=param:family
--benchmark-columns=median,rounds``. Needs ``pip install dsmr-parser==1.11.2`` for its rows.
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

# family -> (fixture, the specification's name in both packages)
TELEGRAMS = {
    "dsmr5": ("nl/dsmr50_iskra_mt382.txt", "V5"),
    "dsmr4": ("nl/dsmr42_kaifa.txt", "V4"),
    "dsmr3": ("nl/dsmr30_iskra_mt382_text_message.txt", "V3"),
    "belgium": ("be/fluvius_emucs171.txt", "BELGIUM_FLUVIUS"),
    "hungary": ("hu/eon_sagemcom.txt", "EON_HUNGARY"),
}
PARSERS = ["compat-cython", "compat-python", "dsmr_parser", "dsmrparse-cython"]


def _with_twin(twin: str) -> None:
    if twin not in _impl.available():
        pytest.skip(f"the {twin} twin is not built here")
    dsmrparse.use_implementation(twin)


def _parser(name: str, spec_name: str) -> Callable[[str], Any]:
    if name == "dsmr_parser":
        try:
            from dsmr_parser import telegram_specifications
            from dsmr_parser.parsers import TelegramParser
        except ImportError:
            pytest.skip("dsmr-parser (the peer) is not installed: pip install dsmr-parser==1.11.2")
        return TelegramParser(getattr(telegram_specifications, spec_name)).parse  # type: ignore[no-any-return]
    kind, twin = name.split("-")
    _with_twin(twin)
    if kind == "dsmrparse":
        return dsmrparse.parse
    from dsmrparse.compat.dsmr_parser import telegram_specifications as specs
    from dsmrparse.compat.dsmr_parser.parsers import TelegramParser as CompatParser

    return CompatParser(getattr(specs, spec_name)).parse


@pytest.mark.parametrize("family", list(TELEGRAMS))
@pytest.mark.parametrize("name", PARSERS)
def test_telegram_parser_parse(benchmark: Any, family: str, name: str) -> None:
    path, spec_name = TELEGRAMS[family]
    text = (FIXTURES / path).read_bytes().decode("latin-1")
    parse = _parser(name, spec_name)
    previous = dsmrparse.implementation()
    try:
        result = benchmark(parse, text)
    finally:
        dsmrparse.use_implementation(previous)
    assert len(result) > 0
