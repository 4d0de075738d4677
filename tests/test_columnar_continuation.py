"""The columns fast path on lines the tokenizer joins or reads another way: DSMR 2.2/3 gas records
whose value sits on a continuation line, codes written ``1-0:1.8.0*255`` (Q3D), LF telegrams
whose CRC is over the bytes as sent. Each variant gives the rows of the full parse, on both
twins; the clean ones take the fast path."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import COMPILED, FIXTURES, needs_compiled
from dsmrparse import _impl, columnar
from dsmrparse.fresh import fresh_telegrams
from test_columnar_fast import check_same, telegram_frames

DSMR3 = (FIXTURES / "nl" / "dsmr30_kamstrup_4mbus_no_crc.txt").read_bytes()
GAS = b"0-1:24.3.0(140101004100)(08)(60)(1)(0-1:24.2.1)(m3)\r\n(00100.006)\r\n"


def _gas(record: bytes, telegram: bytes = DSMR3) -> bytes:
    assert GAS in telegram
    return telegram.replace(GAS, record, 1)


def _with_crc(telegram: bytes) -> bytes:
    body = telegram[: telegram.rindex(b"!") + 1]
    return body + b"%04X\r\n" % _impl.current.crc16(body)


# (variant, does the fast path take it? None: either way, the rows are the same)
VARIANTS = [
    (GAS, True),
    (GAS.replace(b"\r\n(", b"\r\n\r\n("), True),  # a blank line between record and value
    (GAS.replace(b"\r\n(", b"\r\n  \t\r\n("), True),  # a line of white space between
    (GAS.replace(b"\r\n(", b"\r\n  ("), True),  # white space before the continuation's "("
    (GAS.replace(b"(m3)\r\n(", b"(m3)("), True),  # the value on the record's own line
    (GAS.replace(b"(00100.006)", b"(00100.006*m3)"), True),  # the value with its unit
    (GAS.replace(b"(00100.006)", b"(00100.006*M3)"), True),  # the unit in capitals
    (GAS.replace(b"(m3)", b"()"), True),  # no unit anywhere
    (GAS.replace(b"(60)(1)", b"(60)\r\n(1)"), True),  # three lines
    (GAS.replace(b"(00100.006)", b"(00100.006*kWh)"), False),  # a unit problem
    (GAS.replace(b"(m3)", b"(GJ)"), False),  # another unit in the sixth group
    (GAS.replace(b"(00100.006)", b"(00100.006*)"), None),  # an empty unit: the sixth group's
    (GAS.replace(b"(00100.006)", b"(abc)"), False),  # no number
    (GAS.replace(b"(00100.006)", b"()"), False),
    (GAS.replace(b"\r\n(00100.006)", b""), False),  # no value: 6 groups
    (GAS.replace(b"(140101004100)", b"(1401010041)"), False),  # a short time
    (GAS.replace(b"(140101004100)", b"(000101000000)"), True),  # a sentinel date: no time
    (GAS.replace(b"\r\n(", b"\r\n(1)("), True),  # two groups on the continuation line
    (GAS.replace(b"\r\n(", b"\r\n(1) ("), None),  # white space between groups
    (GAS.replace(b"\r\n(", b"\r\n(1)x("), False),  # junk between groups
    (GAS.replace(b"\r\n(00100.006)", b"\r\n(00100.006"), False),  # unterminated group
    (GAS.replace(b"\r\n(", b"\r\n0-1:24.2.1("), False),  # the value as an object of its own
]


@pytest.mark.parametrize("numbers", ["decimal", "float"])
@pytest.mark.parametrize(("index", "fast"), [(i, v[1]) for i, v in enumerate(VARIANTS)])
def test_gas_record_variants_give_the_rows_of_the_full_parse(
    twin: str, index: int, fast: bool | None, numbers: str
) -> None:
    telegram = _gas(VARIANTS[index][0])
    for variant in (telegram, telegram.replace(b"\r\n", b"\n"), _with_crc(telegram)):
        quick = check_same(variant, numbers)
        if fast is not None:
            assert quick == (1 if fast else 0)


CONTINUATIONS = [
    # a continuation line after a non-COMPLEX object (its groups are that object's)
    DSMR3.replace(b"1-0:1.8.1(000180.670*kWh)\r\n", b"1-0:1.8.1(000180.670*kWh)\r\n(5)\r\n"),
    DSMR3.replace(b"0-0:96.13.0()\r\n", b"0-0:96.13.0()\r\n(hello)\r\n"),
    DSMR3.replace(b"0-0:96.13.0()\r\n", b"0-0:96.13.0\r\n()\r\n"),  # no "(" on the object line
    # a continuation line as the first object line
    DSMR3.replace(b"\r\n\r\n0-0:96.1.1", b"\r\n\r\n(1)\r\n0-0:96.1.1"),
    DSMR3.replace(b"\r\n\r\n0-0:96.1.1", b"\r\n(1)\r\n\r\n0-0:96.1.1"),
    # after an object the profile has no row for
    DSMR3.replace(b"0-0:96.14.0(0002)\r\n", b"0-0:96.14.0(0002)\r\n9-9:9.9.9(1)\r\n(2)\r\n"),
    # a CR alone in a line, mixed line ends around the continuation line
    DSMR3.replace(GAS, GAS.replace(b"\r\n(", b"\r\n\r\r\n(")),
    DSMR3.replace(GAS, GAS.replace(b"\r\n(", b"\n(")),
    DSMR3.replace(GAS, GAS.replace(b"\r\n(", b"\r(")),
]


@pytest.mark.parametrize("numbers", ["decimal", "float"])
@pytest.mark.parametrize("index", range(len(CONTINUATIONS)))
def test_odd_continuation_lines_give_the_rows_of_the_full_parse(
    twin: str, index: int, numbers: str
) -> None:
    telegram = CONTINUATIONS[index]
    for variant in (telegram, telegram.replace(b"\r\n", b"\n"), _with_crc(telegram)):
        check_same(variant, numbers)
        check_same(variant, numbers, profile="dsmr3")


def test_a_continuation_of_a_version_object_is_left_to_the_full_parse(twin: str) -> None:
    raw = (FIXTURES / "nl" / "dsmr50_iskra_mt382.txt").read_bytes()
    variant = _with_crc(raw.replace(b"1-3:0.2.8(50)\r\n", b"1-3:0.2.8(50)\r\n(42)\r\n", 1))
    assert check_same(variant, "decimal") == 0
    assert check_same(_with_crc(raw), "decimal") == 1


@pytest.mark.parametrize("numbers", ["decimal", "float"])
@pytest.mark.parametrize(
    "name",
    [
        "nl/dsmr22_iskra_mt382.txt",
        "nl/dsmr30_iskra_mt382_text_message.txt",
        "nl/dsmr30_kamstrup_4mbus_no_crc.txt",
        "athom/dsmr-2.2-kfm-1.txt",
        "athom/dsmr-3.0-spec-example.txt",
        "de/easymeter_q3db1024.txt",
        "de/easymeter_q3da1004.txt",
        "athom/dsmr-5.0-spec-example.txt",  # LF, a CRC that matches neither rule
        "streams/iskra_am550_566_telegrams_lf.txt",  # LF, the CRC over the bytes as sent
    ],
)
def test_fresh_telegrams_of_these_families_take_the_fast_path(
    twin: str, name: str, numbers: str
) -> None:
    first = telegram_frames((FIXTURES / name).read_bytes())[0].data
    data = b"".join(fresh_telegrams(first, 40, seed=7))
    assert check_same(data, numbers) == 40


def test_q3d_odd_spellings_are_refused_where_the_tokenizer_has_a_problem(twin: str) -> None:
    raw = (FIXTURES / "de" / "easymeter_q3db1024.txt").read_bytes()
    assert check_same(raw, "decimal") == 1
    for old, new, fast in [
        (b"1-0:1.8.0*255(", b"1-0:1.8.0*255 (", False),  # a space before "("
        (b"1-0:1.8.0*255(", b"  1-0:1.8.0*255(", True),  # white space before the code
        (b"1-0:1.8.0*255(", b"1-0:1.8.0.255(", True),  # another spelling of the same code
        (b"1-0:1.8.0*255(", b"1-0:1:8.0*255(", False),  # a ':' in place of a '.'
        (b"1-0:1.8.0*255(", b"1-0:1.8.0*999(", False),  # a group over 255
        (b"1-0:1.8.0*255(", b"1-0:1.8.0*(", False),  # no code
        (b"1-0:1.8.0*255(", b"1-0:1.8.0*255*255(", False),
    ]:
        variant = raw.replace(old, new, 1)
        assert variant != raw
        assert check_same(variant, "decimal") == (1 if fast else 0), new


_PIECES = st.sampled_from([b"\r\n", b"\n", b"\r\n\r\n", b"\r\n \r\n", b"\r\n  ", b"", b"\r"])
_GROUPS = st.sampled_from(
    [b"(00100.006)", b"(00100.006*m3)", b"(1*m3)", b"(-5)", b"(+1.5)", b"()", b"(x)", b"(0.0)"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    splits=st.lists(_PIECES, min_size=6, max_size=6),
    value=_GROUPS,
    unit=st.sampled_from([b"(m3)", b"()", b"(M3)", b"(kWh)"]),
    stamp=st.sampled_from([b"(140101004100)", b"(141026023000)", b"(000101000000)", b"(14)"]),
)
def test_gas_records_split_anyhow_give_the_rows_of_the_full_parse(
    splits: list[bytes], value: bytes, unit: bytes, stamp: bytes
) -> None:
    groups = [stamp, b"(08)", b"(60)", b"(1)", b"(0-1:24.2.1)", unit, value]
    record = b"0-1:24.3.0" + groups[0]
    for sep, group in zip(splits, groups[1:]):
        record += sep + group
    record += b"\r\n"
    for name in _impl.available():  # (hypothesis and function-scoped fixtures do not mix)
        previous = dsmrparse.use_implementation(name)
        try:
            check_same(_gas(record), "decimal")
            check_same(_gas(record), "float", profile="dsmr3")
        finally:
            dsmrparse.use_implementation(previous)


# --------------------------------------------------------------------------------------------
# COMPLEX cells (power-failure logs, peak histories, billing rows) made by the compiled
# converter and JSON writer: the very text Columns.append stores

COMPLEX_FIXTURES = [
    "nl/dsmr42_kaifa.txt",
    "nl/dsmr50_iskra_mt382.txt",
    "be/fluvius_emucs171.txt",
    "be/fluvius_emucs171_sentinel.txt",
    "hu/eon_sagemcom.txt",
    "nl/dsmr30_kamstrup_4mbus_no_crc.txt",
    "athom/dsmr-luxembourgh-spec-example.txt",
]


@pytest.mark.parametrize("numbers", ["decimal", "float"])
@pytest.mark.parametrize("name", COMPLEX_FIXTURES)
def test_complex_cells_of_fresh_telegrams_are_those_of_the_full_parse(
    twin: str, name: str, numbers: str
) -> None:
    first = telegram_frames((FIXTURES / name).read_bytes())[0].data
    data = b"".join(fresh_telegrams(first, 60, seed=11))
    assert check_same(data, numbers) == 60


@needs_compiled
@pytest.mark.parametrize("name", COMPLEX_FIXTURES[:5])
def test_the_compiled_builder_writes_complex_cells_without_python(name: str) -> None:
    """Fresh logs, histories and billing rows never reach the Python cell function, and the
    cells are the ones it would have made."""
    first = telegram_frames((FIXTURES / name).read_bytes())[0].data
    schema = dsmrparse.parse(first).profile
    frames = fresh_telegrams(first, 40, seed=13)
    calls: list[str] = []

    def counted(cell: Any) -> Any:
        def call(text: str) -> Any:
            calls.append(text)
            return cell(text)

        return call

    def filled(spec_of: Any) -> dict[str, Any]:
        cols = columnar.Columns(schema)
        spec = spec_of(columnar.fast_spec(cols, None, False))
        builder = COMPILED.ColumnBuilder(spec, list(cols.columns.values()))
        assert all(builder.feed(frame) >= 0 for frame in frames)
        cols._rows = len(frames)
        return {n: cols.column(n) for n in cols.names}

    def python_cells(spec: Any) -> Any:  # no compiled converter: the Python cell function
        actions = {
            code: replace(a, converter=None, complex=counted(a.complex))
            if a.complex is not None
            else a
            for code, a in spec.actions.items()
        }
        return replace(spec, actions=actions)

    def watched(spec: Any) -> Any:
        actions = {
            code: replace(a, complex=counted(a.complex)) if a.complex is not None else a
            for code, a in spec.actions.items()
        }
        return replace(spec, actions=actions)

    compiled = filled(watched)
    assert calls == []
    assert filled(python_cells) == compiled
    assert calls  # (the reference really went through the Python cell function)
    complex_cols = [n for n in compiled if n in columnar.Columns(schema)._complex]
    assert complex_cols and any(v is not None for n in complex_cols for v in compiled[n])


_STAMPS = st.sampled_from(
    [b"101208152415W", b"200423192538S", b"000101000001W", b"632525252525W", b"00010100000W",
     b"241027023000W", b"x"]
)  # fmt: skip
_DURATIONS = st.sampled_from([b"0000000240*s", b"2147583646*s", b"5*S", b"7*min", b"", b"-1*s"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(0, 4),
    events=st.lists(st.tuples(_STAMPS, _DURATIONS), max_size=4),
    split=st.booleans(),
)
def test_odd_power_failure_logs_give_the_cells_of_the_full_parse(
    count: int, events: list[tuple[bytes, bytes]], split: bool
) -> None:
    raw = (FIXTURES / "nl" / "dsmr42_kaifa.txt").read_bytes()
    line = next(ln for ln in raw.split(b"\r\n") if ln.startswith(b"1-0:99.97.0("))
    log = b"1-0:99.97.0(%d)(0-0:96.7.19)" % count
    for i, (stamp, duration) in enumerate(events):
        log += (b"\r\n" if split and i == 1 else b"") + b"(" + stamp + b")(" + duration + b")"
    variant = _with_crc(raw.replace(line, log, 1))
    for name in _impl.available():
        previous = dsmrparse.use_implementation(name)
        try:
            check_same(variant, "decimal")
        finally:
            dsmrparse.use_implementation(previous)
