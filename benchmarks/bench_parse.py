"""Whole-telegram parse: the compiled twin, the pure twin and dsmr_parser on the same telegrams.

Run: ``pytest benchmarks/bench_parse.py --benchmark-only --benchmark-group-by=group``.
Ratios between rows of one run hold on a noisy machine; absolute numbers do not. The README's
table comes from ``python benchmarks/headline.py``, which interleaves the parsers in rounds.

Workloads (``_workloads.py``): *fresh* cycles through 2,000 distinct telegrams of the family
(every value drawn anew, more than any memo holds), *steady* parses one telegram again and
again, and the stream test parses a real meter's 566 telegrams in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

import _workloads as W
import dsmrparse
from dsmrparse import _impl

PARSERS = ["cython", "python", "dsmr_parser"]


def _parser(family: str, parser: str) -> Callable[[Any], Any]:
    if parser == "dsmr_parser":
        parse = W.peer(family)
        if parse is None:
            pytest.skip("dsmr-parser (the peer) is not installed: pip install dsmr-parser==1.11.2")
        return parse
    if parser not in _impl.available():
        pytest.skip(f"the {parser} twin is not built here")
    return dsmrparse.parse


@pytest.fixture
def twin_in_use(parser: str):  # type: ignore[no-untyped-def]
    previous = dsmrparse.implementation()
    if parser in _impl.available():
        dsmrparse.use_implementation(parser)
    yield
    dsmrparse.use_implementation(previous)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("workload", ["fresh", "steady"])
@pytest.mark.parametrize("family", list(W.FAMILIES))
@pytest.mark.usefixtures("twin_in_use")
def test_parse_telegram(benchmark, family: str, workload: str, parser: str) -> None:  # type: ignore[no-untyped-def]
    """One telegram per call: the next of the fresh list (cycling), or the same one."""
    parse = _parser(family, parser)
    items = W.fresh(family) if workload == "fresh" else [W.telegram(family)]
    benchmark.group = f"parse {family} {workload} ({len(items[0])} bytes)"
    benchmark.extra_info["distinct telegrams"] = len(items)
    if parser == "dsmr_parser":
        texts = [t.decode("latin-1") for t in items]
        nxt = itertools.cycle(texts).__next__
        benchmark(lambda: parse(nxt()))
        return
    nxt_bytes = itertools.cycle(items).__next__
    t = benchmark(lambda: parse(nxt_bytes()))
    assert t.crc in ("ok", "absent") and t.profile == W.FAMILIES[family].profile


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.usefixtures("twin_in_use")
def test_parse_stream(benchmark, parser: str) -> None:  # type: ignore[no-untyped-def]
    """566 consecutive telegrams of one meter, each parsed once per round: what a live reader or
    a capture file sees. Read ``mean`` / 566 (the ``per telegram`` extra info) for one telegram."""
    frames = W.stream()
    parse = _parser("dsmr5", parser)
    benchmark.group = f"parse a real DSMR 5 stream ({len(frames)} telegrams, in order)"
    benchmark.extra_info["telegrams"] = len(frames)
    if parser == "dsmr_parser":
        texts = [f.decode("latin-1") for f in frames]
        benchmark.pedantic(lambda: [parse(t) for t in texts], rounds=3, iterations=1)
    else:
        out = benchmark(lambda: [parse(f) for f in frames])
        assert all(t.crc == "ok" for t in out)
    if benchmark.stats is not None:  # (None under --benchmark-disable)
        benchmark.extra_info["us per telegram"] = round(
            benchmark.stats.stats.median / len(frames) * 1e6, 2
        )
