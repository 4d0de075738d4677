"""Whatever bytes come in, only the library's own errors come out, in both twins, alike."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import fixture_bytes
from dsmrparse import DsmrError

SEED = fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt")
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def outcome(data: bytes) -> str:
    try:
        return dsmrparse.parse(data).to_json()
    except DsmrError as exc:
        return f"{type(exc).__name__}: {exc}"


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEED)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, len(data) - 1)) if data else 0
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 20))]
    return bytes(data)


@SETTINGS
@given(
    st.binary(max_size=400)
    | mutated()
    | st.text(alphabet="/!()*.:-0123456789ABSW\r\n", max_size=300).map(lambda s: s.encode())
)
def test_only_dsmr_errors_escape(twin: str, data: bytes) -> None:
    # parse() turns a bug of ours into DsmrError("internal error ..."): that must never happen
    for strict in (False, True):
        try:
            dsmrparse.parse(data, strict=strict)
        except DsmrError as exc:
            assert not str(exc).startswith("internal error"), exc


@SETTINGS
@given(st.binary(max_size=300) | mutated())
def test_twins_agree_on_any_input(data: bytes) -> None:
    if len(dsmrparse._impl.available()) < 2:
        pytest.skip("the compiled twin is not built here")
    results = []
    for name in ("cython", "python"):
        previous = dsmrparse.use_implementation(name)
        try:
            results.append(outcome(data))
        finally:
            dsmrparse.use_implementation(previous)
    assert results[0] == results[1]
