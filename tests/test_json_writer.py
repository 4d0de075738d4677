"""The compiled JSON writer gives the reference writer's text, byte for byte, for any value."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import COMPILED as _fastparse
from conftest import FIXTURES, fixture_bytes, needs_compiled
from dsmrparse import _jsonform, _purepy
from dsmrparse._types import Entry, PowerFailure, Reading

pytestmark = needs_compiled
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", '"', "\\", "\x00\x1f\x7f", "\n\r\t\b\f", "\ue000", "\ue001", "é", "€", "\U0001f600"]
)
decimals = st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [Decimal("0.000"), Decimal("-0"), Decimal("1E+3"), Decimal("1.5E-7"), Decimal("000004.426")]
)
stamps = st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2))]))
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | texts
    | decimals
    | stamps
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(texts, inner, max_size=4)
        | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=2)
        | st.builds(Reading, stamps | st.none(), decimals | st.none(), texts | st.none())
    ),
    max_leaves=12,
)


def same(value: Any) -> str:
    assert _fastparse is not None
    expected = _jsonform.dumps_reference(value)
    assert _fastparse.dumps(value) == expected
    return expected


@SETTINGS
@given(values)
def test_any_value_is_written_as_the_reference_writes_it(value: Any) -> None:
    same(value)


def test_the_writer_keeps_json_escapes_and_exact_numbers() -> None:
    text = same({"a": Decimal("1.50"), "b": "\ue000", "c": [Decimal("-0.001"), Decimal("1E+2")]})
    assert text == '{"a":1.50,"b":"\ue000","c":[-0.001,100]}'
    assert same(["\x00\x1f", '"\\', "\n\r\t\b\f", "é€"]) == (
        '["\\u0000\\u001f","\\"\\\\","\\n\\r\\t\\b\\f","é€"]'
    )
    assert same([Decimal("NaN"), float("inf"), 2**80, -(2**63), True, None]) == (
        '["NaN",Infinity,1208925819614629174706176,-9223372036854775808,true,null]'
    )
    assert same({1: "a", None: "b"}) == '{"1":"a","null":"b"}'


def test_a_lone_surrogate_is_written_as_json_dumps_writes_it() -> None:
    assert same({"s": "a\udcffb"}) == '{"s":"a\udcffb"}'
    assert _fastparse is not None
    items = [Entry("1-0:1.8.1", "x", "a\udcffb", None, None, ("r",), 3, 20, None)]
    expected = _jsonform.entries_json(items)
    assert '"a\udcffb"' in expected
    assert _fastparse.entries_json(items) == expected
    assert _fastparse.entries_json(iter(items)) == expected  # (an iterator, read once)


entries = st.builds(
    Entry,
    texts,
    texts | st.none(),
    values | st.lists(st.builds(PowerFailure, stamps | st.none(), st.integers(), texts)),
    texts | st.none(),
    stamps | st.none(),
    st.lists(texts, max_size=3).map(tuple),
    st.integers(1, 5000),
    st.integers(0, 65535),
    texts | st.none(),
)


@SETTINGS
@given(st.lists(entries, max_size=4))
def test_any_entries_are_written_as_the_reference_writes_them(items: list[Entry]) -> None:
    assert _fastparse is not None
    assert _fastparse.entries_json(items) == _jsonform.entries_json(items)


MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())


@pytest.mark.parametrize("name", [e["file"] for e in MANIFEST if e["line_endings"] != "binary"])
def test_every_fixture_gives_the_same_json_by_both_writers(name: str) -> None:
    assert _fastparse is not None
    scanner = _purepy.FrameScanner()
    frames = scanner.feed(fixture_bytes(name)) + scanner.flush()
    data = fixture_bytes(name)
    telegrams = [f.data for f in frames if f.kind == "telegram"] or [data]  # (cut-off ones)
    for data in telegrams:
        try:
            telegram = dsmrparse.parse(data)
        except dsmrparse.DsmrError:  # encrypted, written as hex: no telegram to write
            assert "encrypted" in name
            continue
        assert telegram.to_json() == _jsonform.dumps_reference(telegram.to_dict())
        entries = telegram.entries
        assert _fastparse.entries_json(entries) == _jsonform.entries_json(entries)


def test_records_of_several_kinds_in_turn_are_written_as_the_reference_writes_them() -> None:
    """Entry values whose records change kind from one to the next (the writer keeps the last
    record type's fields), a record of another shape, and a record subclass with a __dict__."""
    from collections import namedtuple

    assert _fastparse is not None
    Odd = namedtuple("Odd", ["a"])  # noqa: PYI024
    Short = namedtuple("Short", ["x", "y"])  # noqa: PYI024

    class Loose(Short):  # instances get a __dict__: its answer is not kept by type
        pass

    loose = Loose(1, 2)
    loose.note = "kept apart"  # type: ignore[attr-defined]
    stamp = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    mixed = (
        Reading(stamp, Decimal("1.5"), "kWh"),
        PowerFailure(stamp, 5, "s"),
        Reading(None, None, None),
        (Odd(1), Odd("x")),
        [Short(Decimal("2"), "y"), loose, Short(1, (2, 3))],
        PowerFailure(stamp, 7, "s"),
    )
    items = [Entry("1-0:99.97.0", "log", v, None, None, (), 1, 0, None) for v in mixed]
    items.append(Entry("1-0:99.97.0", "log", mixed, None, None, (), 2, 0, None))
    assert _fastparse.entries_json(items) == _jsonform.entries_json(items)
