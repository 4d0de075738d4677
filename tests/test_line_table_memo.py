"""The compiled twin's line table (``Tokens.lines`` as spans) and its entry memo.

The memo lets a line that is byte for byte the line at the same place of the previous telegram
reuse that telegram's entry. These tests check that it never gives a stale entry: every parse
must give the interchange form the pure twin gives for the same bytes, whatever came before.
"""

from __future__ import annotations

import gc
import pickle
import threading
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import COMPILED as _fastparse
from conftest import fixture_bytes, needs_compiled
from dsmrparse import _purepy, profiles
from dsmrparse.errors import ValueConversionError
from dsmrparse.values import time_context

pytestmark = needs_compiled

DSMR5 = fixture_bytes("nl/dsmr50_iskra_mt382.txt")
STREAM = fixture_bytes("streams/iskra_am550_566_telegrams_lf.txt")


def _frames(data: bytes) -> list[bytes]:
    scanner = _purepy.FrameScanner()
    frames = scanner.feed(data) + scanner.flush()
    return [f.data for f in frames if f.kind == "telegram"]


def _signed(data: bytes) -> bytes:
    """The telegram with its CRC made right again after an edit."""
    body = data[: data.rindex(b"!") + 1]
    return body + b"%04X\r\n" % _purepy.crc16(body)


def _json(twin: str, data: bytes, **kwargs: object) -> str:
    previous = dsmrparse.use_implementation(twin)
    try:
        return dsmrparse.parse(data, **kwargs).to_json()  # type: ignore[arg-type]
    finally:
        dsmrparse.use_implementation(previous)


def _agree(data: bytes, **kwargs: object) -> str:
    fast = _json("cython", data, **kwargs)
    assert fast == _json("python", data, **kwargs)
    return fast


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    assert _fastparse is not None
    _fastparse.clear_memo()
    _purepy.clear_memo()
    yield
    _fastparse.clear_memo()
    _purepy.clear_memo()


@pytest.mark.parametrize("twin_name", ["cython", "python"])
def test_the_memo_never_changes_what_a_telegram_gives(twin_name: str) -> None:
    """Each twin, memo on (a stream in order, with edits between), against the same twin with its
    memo forgotten before every telegram."""
    module = _fastparse if twin_name == "cython" else _purepy
    assert module is not None
    frames = _frames(STREAM)[:150]
    edited = [
        _signed(DSMR5.replace(b"(000004.426*kWh)", b"(000004.427*kWh)")),
        _signed(DSMR5.replace(b"/ISk5\\2MT382-1000", b"/ISk5\\2MT382-10000")),
        _signed(DSMR5.replace(b"(000004.426*kWh)", b"(000004.426*kW)")),
        _signed(DSMR5.replace(b"\r\n1-3:0.2.8", b"\r\n\r\n1-3:0.2.8")),
        DSMR5,
    ]
    sequence = frames[:50] + edited + frames[50:] + edited[::-1]

    def everything(data: bytes) -> tuple[str, str, str]:
        previous = dsmrparse.use_implementation(twin_name)
        try:
            t = dsmrparse.parse(data)
        finally:
            dsmrparse.use_implementation(previous)
        return t.to_json(), repr(t.entries), repr(t.problems)  # (offsets are not in the JSON)

    with_memo = [everything(data) for data in sequence]
    without = []
    for data in sequence:
        module.clear_memo()
        without.append(everything(data))
    assert with_memo == without


# --------------------------------------------------------------------------------------------
# the table


def test_the_table_is_a_sequence_equal_to_the_pure_list() -> None:
    assert _fastparse is not None
    table = _fastparse.tokenize(DSMR5).lines
    pure = _purepy.tokenize(DSMR5).lines
    assert isinstance(table, Sequence)
    assert len(table) == len(pure) == 37
    assert table == pure and pure == table
    assert (table != pure) is False and (table != pure[1:]) is True
    assert list(table) == pure
    assert table[0] == pure[0] and table[-1] == pure[-1]
    assert table[3:7] == pure[3:7] and table[::-5] == pure[::-5]
    assert repr(table) == repr(pure)
    with pytest.raises(IndexError):
        table[37]
    with pytest.raises(IndexError):
        table[-38]
    with pytest.raises(TypeError):
        hash(table)


def test_the_table_knows_its_codes_and_unpickles_as_a_list() -> None:
    assert _fastparse is not None
    tokens = _fastparse.tokenize(DSMR5)
    assert tokens.codes == tuple(line.obis for line in tokens.lines)
    assert tokens.codes == _purepy.tokenize(DSMR5).codes
    back = pickle.loads(pickle.dumps(tokens))
    assert type(back.lines) is list and back == _purepy.tokenize(DSMR5)


def test_continuation_lines_extend_the_line_before_them() -> None:
    assert _fastparse is not None
    data = (
        b"/KFM5KAIFA-METER\r\n\r\n1-0:99.97.0(2)(0-0:96.7.19)\r\n(101208152415W)(0000000240*s)"
        b"\r\n(101208151004W)(0000000301*s)\r\n0-0:96.14.0(0002)\r\n!"
    )
    table = _fastparse.tokenize(data).lines
    assert table == _purepy.tokenize(data).lines
    assert len(table[0].groups) == 6 and table[1].groups == ("0002",)


@pytest.mark.parametrize(("lines", "groups"), [(300, 1), (3, 400), (150, 3)])
def test_tables_larger_than_the_builder_stack(lines: int, groups: int) -> None:
    assert _fastparse is not None
    body = b"".join(
        b"1-0:%d.7.0" % i + b"".join(b"(%03d.%d*kW)" % (i, g) for g in range(groups)) + b"\r\n"
        for i in range(lines)
    )
    data = _signed(b"/ISK5\\2M550T-1012\r\n\r\n" + body + b"!0000\r\n")
    tokens = _fastparse.tokenize(data)
    assert tokens == _purepy.tokenize(data) and tokens.crc == "ok"
    assert len(tokens.lines) == lines and len(tokens.lines[-1].groups) == groups
    _agree(data)


def test_a_buffer_is_read_as_the_bytes_it_holds() -> None:
    assert _fastparse is not None
    tokens = _fastparse.tokenize(bytearray(DSMR5))
    assert tokens == _purepy.tokenize(DSMR5)
    assert tokens == _fastparse.tokenize(memoryview(DSMR5))


# --------------------------------------------------------------------------------------------
# the memo


def test_a_whole_capture_in_order_agrees_with_the_pure_twin() -> None:
    frames = _frames(STREAM)
    assert len(frames) == 566
    for data in frames:
        _agree(data)


def test_a_changed_value_is_read_again_at_the_same_place() -> None:
    changed = _signed(DSMR5.replace(b"(000004.426*kWh)", b"(000004.427*kWh)"))
    assert changed != DSMR5
    first = _agree(DSMR5)
    second = _agree(changed)
    assert '"value":4.427,' in second and '"value":4.427,' not in first
    assert _agree(DSMR5) == first


def test_moved_lines_are_not_taken_for_the_lines_that_were_there() -> None:
    # one byte more in the header: every line keeps its text but moves by one byte
    moved = _signed(DSMR5.replace(b"/ISk5\\2MT382-1000", b"/ISk5\\2MT382-10000"))
    _agree(DSMR5)
    text = _agree(moved)
    entries = dsmrparse.parse(moved).entries
    assert entries[0].offset == dsmrparse.parse(DSMR5).entries[0].offset + 1
    assert text == _json("python", moved)
    # and a blank line: the same offsets after it are now a line later
    blank = _signed(DSMR5.replace(b"\r\n1-3:0.2.8", b"\r\n\r\n1-3:0.2.8"))
    _agree(blank)
    assert dsmrparse.parse(blank).entries[0].line == dsmrparse.parse(DSMR5).entries[0].line + 1


def test_a_line_problem_comes_back_with_the_reused_entry() -> None:
    wrong_unit = _signed(DSMR5.replace(b"(000004.426*kWh)", b"(000004.426*kW)"))
    for _ in range(3):
        _agree(wrong_unit)
        telegram = dsmrparse.parse(wrong_unit)
        assert [p.obis for p in telegram.problems if p.kind == "value"] == ["1-0:1.8.1"]
        with pytest.raises(ValueConversionError, match="unit 'kW' where 'kWh'"):
            dsmrparse.parse(wrong_unit, strict=True)


def test_another_profile_or_time_zone_reads_the_same_bytes_its_own_way() -> None:
    names = set()
    for profile in ("dsmr5", "dsmr4", "belgium", "dsmr5", "luxembourg", "dsmr5"):
        text = _agree(DSMR5, profile=profile)
        names.add(text)
    assert len(names) == 4  # each family names or times the objects its own way


def test_changing_meters_in_one_stream_never_mixes_their_entries() -> None:
    others = [fixture_bytes(n) for n in ("nl/dsmr50_landis_e350.txt", "be/fluvius_emucs171.txt")]
    frames = _frames(STREAM)[:40]
    for i, data in enumerate(frames):
        _agree(data)
        _agree(others[i % 2])


def test_threads_parsing_different_meters_get_their_own_entries() -> None:
    assert _fastparse is not None
    frames = _frames(STREAM)[:120]
    other = fixture_bytes("nl/dsmr50_landis_e350.txt")
    expected = {d: _json("python", d) for d in [*frames, other]}
    failures: list[str] = []

    def work(inputs: list[bytes]) -> None:
        for _ in range(5):
            for data in inputs:
                got = dsmrparse.parse(data).to_json()
                if got != expected[data]:
                    failures.append(got)

    previous = dsmrparse.use_implementation("cython")
    try:
        threads = [
            threading.Thread(target=work, args=(frames,)),
            threading.Thread(target=work, args=([other] * 120,)),
            threading.Thread(target=work, args=(frames[::-1],)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        dsmrparse.use_implementation(previous)
    assert failures == []


def test_convert_without_memo_never_keeps_an_entry() -> None:
    assert _fastparse is not None
    tokens = _fastparse.tokenize(DSMR5)
    plan = dict(profiles.get("dsmr5").plan)
    ctx = time_context("Europe/Amsterdam")
    first, _ = _fastparse.convert(tokens.lines, plan, ctx)
    plan["1-0:1.8.1"] = (plan["1-0:1.8.1"][0], "renamed", "kWh", None)  # a plan changed in place
    second, _ = _fastparse.convert(tokens.lines, plan, ctx)
    at = tokens.codes.index("1-0:1.8.1")
    assert first[at].name == "electricity_imported_tariff_1" and second[at].name == "renamed"


DIGIT_EDITS = st.lists(
    st.tuples(st.integers(0, 2000), st.sampled_from(b"0123456789()*.\r\n")), max_size=4
)


@pytest.mark.parametrize("twin_name", ["cython", "python"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 565), DIGIT_EDITS, st.booleans()), min_size=2, max_size=6))
def test_any_sequence_of_edited_telegrams_gives_what_a_fresh_parse_gives(
    twin_name: str, picks: list[tuple[int, list[tuple[int, int]], bool]]
) -> None:
    module = _fastparse if twin_name == "cython" else _purepy
    assert module is not None
    frames = _frames(STREAM)
    previous = dsmrparse.use_implementation(twin_name)
    try:
        for index, edits, sign in picks:
            data = bytearray(frames[index])
            for at, byte in edits:
                data[at % len(data)] = byte
            telegram_bytes = _signed(bytes(data)) if sign and b"!" in data else bytes(data)
            got = _outcome(telegram_bytes)
            module.clear_memo()
            assert got == _outcome(telegram_bytes)
            _outcome(frames[(index + 1) % len(frames)])  # leave another telegram in the memo
    finally:
        dsmrparse.use_implementation(previous)


def _outcome(data: bytes) -> tuple[str, ...]:
    try:
        t = dsmrparse.parse(data)
    except dsmrparse.DsmrError as exc:
        return (repr(exc),)
    return t.to_json(), repr(t.entries), repr(t.problems)


def test_records_are_tracked_by_the_cycle_collector_only_when_they_can_be_in_a_cycle() -> None:
    assert _fastparse is not None
    tokens = _fastparse.tokenize(DSMR5)
    assert gc.is_tracked(tokens)  # it holds a list
    assert not any(gc.is_tracked(e) for e in dsmrparse.parse(DSMR5).entries)  # only atomic items
    gc.collect()
    tokens.problems.append(tokens)  # a cycle through a record ...
    del tokens
    assert gc.collect() >= 2  # ... is found and freed
