"""Register values are real Decimals, whichever way the compiled twin makes them (issue 17).

The compiled twin fills a Decimal's fields in C instead of calling Decimal(str), after a
self-check; whatever it builds must be indistinguishable from Decimal(str) of the same text.
"""

from __future__ import annotations

import copy
import pickle
import sys
from decimal import Decimal, Inexact, Rounded, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import COMPILED, TWINS, needs_compiled
from dsmrparse import _impl

_fastparse: Any = COMPILED  # (the compiled module has no stubs)


@st.composite
def register_texts(draw: st.DrawFn) -> str:
    """Texts _number_end accepts: [+-]?digits[.digits], any zeros, 1 to 25 digits in all."""
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    digits = draw(st.text("0123456789", min_size=1, max_size=25))
    zeros = "0" * draw(st.integers(0, 4))
    body = zeros + digits
    if draw(st.booleans()):
        point = draw(st.integers(0, len(body)))
        body = body[:point] + "." + body[point:]
    return sign + body


def same(mine: Decimal, ref: Decimal) -> None:
    assert type(mine) is Decimal
    assert mine.as_tuple() == ref.as_tuple()
    assert (str(mine), repr(mine), hash(mine)) == (str(ref), repr(ref), hash(ref))
    assert mine == ref and (mine != ref) is False and mine <= ref
    assert mine.is_signed() == ref.is_signed() and mine.is_zero() == ref.is_zero()
    assert mine + 1 == ref + 1 and mine * mine == ref * ref and -mine == -ref
    assert (mine - ref).is_zero()
    if not ref.is_zero():
        assert mine / 7 == ref / 7
    assert mine.quantize(Decimal("0.01")) == ref.quantize(Decimal("0.01"))
    assert float(mine) == float(ref) and int(mine) == int(ref)
    back = pickle.loads(pickle.dumps(mine))
    assert back.as_tuple() == ref.as_tuple()
    assert copy.deepcopy(mine).as_tuple() == ref.as_tuple()
    assert {mine: 1}[ref] == 1


@needs_compiled
def test_the_builder_is_in_use_where_its_self_check_passes() -> None:
    # CPython 3.11 is what the filled layout was checked for; anything else keeps Decimal(str)
    expected = "filled" if sys.version_info[:2] == (3, 11) else "from text"
    assert _fastparse.decimal_builder() == expected


@needs_compiled
@settings(max_examples=400, deadline=None)
@given(register_texts())
def test_a_filled_decimal_is_decimal_of_its_text(text: str) -> None:
    same(_fastparse._decimal_of(text), Decimal(text))
    same(_fastparse._decimal_of(text, False), Decimal(text))


@needs_compiled
@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "+0",
        "-0.000",
        ".5",
        "5.",
        "-.0",
        "0" * 30,
        "9" * 19,
        "9" * 20,
        "1" + "0" * 24,
        "00052185.7825309",
        "0." + "0" * 19 + "1",
    ],
)
def test_edge_shapes(text: str) -> None:
    same(_fastparse._decimal_of(text), Decimal(text))


@needs_compiled
def test_the_callers_context_changes_nothing() -> None:
    # Decimal(str) is exact whatever the context; so is the filled one
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[Inexact] = ctx.traps[Rounded] = True
        value = _fastparse._decimal_of("123456.789")
    assert value.as_tuple() == Decimal("123456.789").as_tuple()


def telegram(values: list[str]) -> bytes:
    codes = ["1-0:1.8.1", "1-0:1.8.2", "1-0:2.8.1", "1-0:2.8.2", "1-0:1.7.0", "1-0:2.7.0"]
    lines = [f"{code}({value}*kWh)" for code, value in zip(codes, values)]
    body = "\r\n".join(["/ISK5\\2M550T-1012", "", "1-3:0.2.8(50)", *lines, "!"]).encode()
    return body + f"{_impl.current.crc16(body):04X}\r\n".encode()


@settings(max_examples=60, deadline=None)
@given(st.lists(register_texts(), min_size=6, max_size=6))
def test_parsed_registers_are_the_decimals_of_their_text(values: list[str]) -> None:
    data = telegram(values)
    results = {}
    for twin in TWINS:
        previous = dsmrparse.use_implementation(twin)
        try:
            t = dsmrparse.parse(data)
        finally:
            dsmrparse.use_implementation(previous)
        got = [e.value for e in t.entries[1:]]
        for value, text in zip(got, values):
            same(value, Decimal(text))
        results[twin] = t.to_json()
        assert pickle.loads(pickle.dumps(t.entries)) == t.entries
    assert len(set(results.values())) == 1  # the twins agree byte for byte
