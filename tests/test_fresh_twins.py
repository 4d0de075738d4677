"""The twins agree on fresh telegrams and on odd COMPLEX groups and timestamps.

The compiled twin converts power-failure logs, peak histories, DSMR 2.2/3 gas records, billing
rows and quantity lists in C, and builds timestamps from a table of each zone's offset changes;
the pure twin runs profiles/_converters.py and values.parse_timestamp. Fresh telegrams (every
value drawn anew) defeat every cache, so each copy goes through those paths; the property tests
add the shapes and times no fixture holds (odd counts, sentinels, the DST repeated hour and gap).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import COMPILED as _COMPILED
from conftest import needs_compiled
from dsmrparse import _kinds as K
from dsmrparse import _purepy
from dsmrparse._types import Line
from dsmrparse._zonetable import year_table
from dsmrparse.errors import DsmrError
from dsmrparse.fresh import fresh_telegrams
from dsmrparse.profiles import BELGIUM, DSMR3, DSMR4, HUNGARY, LUXEMBOURG
from dsmrparse.profiles import _converters as C
from dsmrparse.values import time_context

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPILED: Any = _COMPILED  # (None when not built: those tests skip)
# the families of the benchmarks, and the fixtures with the COMPLEX objects: power-failure logs
# (dsmr42, xs210), peak histories with a sentinel row, two-line gas records, a billing row
FRESH = [
    ("nl/dsmr50_iskra_mt382.txt", 200),
    ("nl/dsmr42_kaifa.txt", 200),
    ("nl/dsmr30_kamstrup_4mbus_no_crc.txt", 200),
    ("nl/dsmr30_iskra_mt382_text_message.txt", 100),
    ("nl/dsmr22_iskra_mt382.txt", 200),
    ("nl/dsmr50_sagemcom_xs210_1phase.txt", 100),
    ("nl/dsmr50_iskra_am550_dead_mbus1.txt", 100),
    ("be/fluvius_emucs171.txt", 200),
    ("be/fluvius_emucs171_sentinel.txt", 100),
    ("be/iskra_ie5.txt", 200),
    ("hu/eon_sagemcom.txt", 200),
    ("de/easymeter_q3db1024.txt", 100),
    ("at/sagemcom_t210dr_plaintext.txt", 100),
    ("athom/dsmr-luxembourgh-spec-example.txt", 100),
    ("athom/emucs-p1-v2.1.1-spec-example-2.txt", 100),
]


def parsed(name: str, copies: list[bytes]) -> list[tuple[str, str, str]]:
    """What a user sees of each copy on one twin: the interchange form, the entries, problems."""
    previous = dsmrparse.use_implementation(name)
    try:
        out = []
        for data in copies:
            telegram = dsmrparse.parse(data)
            out.append((telegram.to_json(), repr(telegram.entries), repr(telegram.problems)))
        return out
    finally:
        dsmrparse.use_implementation(previous)


@needs_compiled
@pytest.mark.parametrize(("source", "count"), FRESH)
def test_twins_agree_on_fresh_copies(source: str, count: int) -> None:
    copies = fresh_telegrams((FIXTURES / source).read_bytes(), count, seed=17)
    expected = parsed("python", copies)
    got = parsed("cython", copies)
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert a == b, f"copy {i} of {source}"


# --------------------------------------------------------------------------------------------
# convert() on odd COMPLEX groups, with the library's own plan rows

POWER_LOG = DSMR4.plan["1-0:99.97.0"]
GAS_RECORD = DSMR3.plan["0-1:24.3.0"]
PEAKS = BELGIUM.plan["0-0:98.1.0"]
BILLING = HUNGARY.plan["0-0:98.1.0"]
LIMITS = next(row for row in LUXEMBOURG.plan.values() if row[3] is not None)


def _custom(groups: tuple[str, ...], ctx: Any) -> Any:
    value, unit, stamp = C.peak_history(groups, ctx)
    return ("custom", value), unit, stamp


# a converter that names one of ours as __wrapped__ but returns something else: it must run
CUSTOM = functools.wraps(C.peak_history)(_custom)
ROWS = [
    POWER_LOG,
    GAS_RECORD,
    PEAKS,
    BILLING,
    LIMITS,
    (K.COMPLEX, "power_log_plain", None, C.power_failure_log),  # the unwrapped functions
    (K.COMPLEX, "gas_plain", "m3", C.legacy_gas_record),
    (K.COMPLEX, "peaks_plain", "kW", C.peak_history),
    (K.COMPLEX, "custom", "kW", CUSTOM),
]
ZONES = [
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Budapest",
    "Europe/Vienna",
    "Europe/Luxembourg",
    "Europe/Zurich",
    "Europe/Stockholm",
    "Europe/Vilnius",
    "Europe/Berlin",
]


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@st.composite
def stamps(draw: st.DrawFn) -> str:
    """Meter times: around the DST changes (the gap, the repeated hour) and anywhere, with every
    flag spelling, and sentinels, long years, padding and garbage."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(
            st.sampled_from(
                [
                    "632525252525",
                    "000101000000",
                    "700101010000",
                    "000000000000",
                    "6325252525250",
                    "2003010203040",
                    "",
                    " ",
                    "S",
                    "W",
                ]
            )
        )
    if kind == 1:
        return draw(st.text(alphabet="0123456789SW sw*.", max_size=16))
    if kind <= 5:  # the hours around the spring gap and the autumn repeated hour
        year = draw(st.integers(2000, 2099))
        change = _last_sunday(year, draw(st.sampled_from([3, 10])))
        moment = change + timedelta(minutes=draw(st.integers(-150, 240)))
    else:
        moment = datetime(2000, 1, 1) + timedelta(minutes=draw(st.integers(0, 100 * 366 * 1440)))
    moment += timedelta(seconds=draw(st.integers(0, 59)))
    digits = moment.strftime("%Y%m%d%H%M%S" if draw(st.integers(0, 9)) == 0 else "%y%m%d%H%M%S")
    flag = draw(st.sampled_from(["S", "W", "s", "w", "", "S", "W"]))
    text = digits + flag
    if draw(st.integers(0, 19)) == 0:
        text = draw(st.sampled_from([" ", "\t"])) + text
    return text


VALUES = st.one_of(
    st.builds(
        lambda d, u: d + u,
        st.from_regex(r"[+-]?\d{1,6}(\.\d{1,3})?", fullmatch=True),
        st.sampled_from(["", "*kW", "*kWh", "*s", "*m3", "*A", "*", "* kW", "*V"]),
    ),
    st.sampled_from(
        ["", "0", "00004", "1.5", "x", "5*s", "-1*s", "0001*s", "99999999999999999999"]
    ),
    st.text(max_size=8),
)


@st.composite
def complex_groups(draw: st.DrawFn) -> tuple[str, ...]:
    """Well-formed logs, histories, records and rows (so the C path runs) and broken ones."""
    shape = draw(st.integers(0, 6))
    n = draw(st.integers(0, 4))
    if shape == 0:  # power-failure log
        groups = [str(n + draw(st.sampled_from([0, 0, 0, 1, -1]))), "0-0:96.7.19"]
        for _ in range(n):
            groups += [draw(stamps()), draw(st.sampled_from(["0000000123*s", "123*s", "5", "x*s"]))]
    elif shape == 1:  # peak history, some rows empty or sentinel
        groups = [str(n + draw(st.sampled_from([0, 0, 0, 1]))), "1-0:1.6.0", "1-0:1.6.0"]
        for _ in range(n):
            groups += [draw(stamps()), draw(stamps()), draw(VALUES)]
            if draw(st.booleans()):
                groups.insert(draw(st.integers(3, len(groups))), "")
    elif shape == 2:  # DSMR 2.2/3 gas record
        groups = [
            draw(stamps()),
            "00",
            "60",
            "1",
            "0-1:24.2.1",
            draw(st.sampled_from(["m3", ""])),
            draw(VALUES),
        ]
    elif shape == 3:  # billing row
        groups = [draw(stamps())] + [draw(VALUES) for _ in range(n + 1)]
    elif shape == 4:  # quantity list
        groups = [draw(VALUES) for _ in range(n)]
    else:  # anything
        groups = draw(st.lists(st.one_of(stamps(), VALUES), max_size=8))
    if draw(st.integers(0, 9)) == 0 and groups:  # one group too many or too few
        if draw(st.booleans()):
            groups.pop(draw(st.integers(0, len(groups) - 1)))
        else:
            groups.append(draw(st.one_of(stamps(), VALUES)))
    return tuple(groups)


def _convert(module: Any, lines: list[Line], plan: dict[str, Any], ctx: Any) -> tuple[str, str]:
    try:
        return ("ok", repr(module.convert(lines, plan, ctx)))
    except Exception as exc:  # noqa: BLE001 - the twins must fail alike (and they must not fail)
        return (type(exc).__name__, str(exc))


@needs_compiled
@given(
    st.lists(st.tuples(st.sampled_from(ROWS), complex_groups()), min_size=1, max_size=4),
    st.sampled_from(ZONES),
    st.booleans(),
)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_twins_agree_on_odd_complex_groups(rows: list, zone: str, flags: bool) -> None:
    ctx = time_context(zone, flags)
    lines = [Line(f"0-0:98.1.{i}", groups, i + 2, 20 * i) for i, (_, groups) in enumerate(rows)]
    plan = {f"0-0:98.1.{i}": row for i, (row, _) in enumerate(rows)}
    expected = _convert(_purepy, lines, plan, ctx)
    assert expected[0] == "ok"
    assert _convert(COMPILED, lines, plan, ctx) == expected


@needs_compiled
@given(st.lists(stamps(), min_size=1, max_size=6), st.sampled_from(ZONES), st.booleans())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_twins_agree_on_timestamps_around_dst_changes(texts: list, zone: str, flags: bool) -> None:
    """The TIMESTAMP and TIMESTAMPED kinds: the value, and the problem of a contradicting flag."""
    ctx = time_context(zone, flags)
    plan = {
        "0-0:1.0.0": (K.TIMESTAMP, "t", None, None),
        "0-1:24.2.1": (K.TIMESTAMPED, "g", "m3", None),
    }
    lines = []
    for i, text in enumerate(texts):
        lines.append(Line("0-0:1.0.0", (text,), 2 * i, 0))
        lines.append(Line("0-1:24.2.1", (text, "00012.345*m3"), 2 * i + 1, 0))
    expected = _convert(_purepy, lines, plan, ctx)
    assert _convert(COMPILED, lines, plan, ctx) == expected


def _telegram(lines: list[str]) -> bytes:
    return ("/KFM5KAIFA-METER\r\n\r\n" + "".join(ln + "\r\n" for ln in lines) + "!\r\n").encode()


@needs_compiled
@given(
    st.lists(
        st.tuples(st.sampled_from(["1-0:99.97.0", "0-1:24.3.0", "0-0:98.1.0"]), complex_groups()),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["dsmr4", "dsmr3", "belgium", "hungary"]),
    st.booleans(),
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parse_of_odd_complex_lines_agrees_and_raises_only_dsmr_errors(
    objects: list, profile: str, strict: bool
) -> None:
    data = _telegram(
        ["0-0:1.0.0(210101120000W)"]
        + [code + "".join(f"({g})" for g in groups) for code, groups in objects]
    )
    results = []
    for name in ("python", "cython"):
        previous = dsmrparse.use_implementation(name)
        try:
            telegram = dsmrparse.parse(data, profile, strict=strict)
            results.append(("ok", telegram.to_json(), repr(telegram.entries)))
        except DsmrError as exc:  # anything else fails the test
            results.append((type(exc).__name__, str(exc), ""))
        finally:
            dsmrparse.use_implementation(previous)
    assert results[0] == results[1]


# --------------------------------------------------------------------------------------------
# the zone tables themselves


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Australia/Lord_Howe", "America/Sao_Paulo"])
def test_year_table_finds_each_change_to_the_second(zone: str) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    found = year_table(tz, 2016)
    assert found is not None
    first, changes = found
    epoch = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
    assert changes  # all three changed their clocks in 2016
    for at, before, after in changes:
        assert (epoch + timedelta(seconds=at - 1)).astimezone(tz).utcoffset() == timedelta(
            seconds=before
        )
        assert (epoch + timedelta(seconds=at)).astimezone(tz).utcoffset() == timedelta(
            seconds=after
        )
    assert (epoch + timedelta(seconds=changes[0][0] - 1)).astimezone(tz).utcoffset() == timedelta(
        seconds=first
    )
    assert year_table(tz, 1900) is None and year_table(tz, 2500) is None  # values.py answers


@needs_compiled
@pytest.mark.parametrize(
    "zone", ["Europe/Amsterdam", "Europe/London", "Australia/Lord_Howe", "America/Sao_Paulo", "UTC"]
)
def test_compiled_timestamps_agree_on_every_quarter_hour_of_the_change_days(zone: str) -> None:
    """Zones with other rules too (a 30-minute change, southern summers, no DST), so the table's
    reading of fold 0 and fold 1 is the zone's for any change, not only Europe's."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    lines = []
    for year in (2003, 2016, 2024, 2050):
        found = year_table(tz, year)
        assert found is not None
        days = {datetime(year, 6, 15)}
        for at, _, _ in found[1]:
            local = (datetime(1970, 1, 1) + timedelta(seconds=at)).replace(hour=0, minute=0)
            days |= {local - timedelta(days=1), local, local + timedelta(days=1)}
        for day in days:
            for quarter in range(96):
                wall = day + timedelta(minutes=15 * quarter, seconds=quarter % 60)
                for flag in ("S", "W", ""):
                    lines.append(Line("0-0:1.0.0", (wall.strftime("%y%m%d%H%M%S") + flag,), 1, 0))
    plan = {"0-0:1.0.0": (K.TIMESTAMP, "t", None, None)}
    for flags in (True, False):
        ctx = time_context(zone, flags)
        assert repr(COMPILED.convert(lines, plan, ctx)) == repr(_purepy.convert(lines, plan, ctx))


@needs_compiled
@pytest.mark.parametrize("source", [name for name, _ in FRESH[:12]])
def test_compiled_twin_calls_no_python_value_code_on_fresh_copies(source: str) -> None:
    """The point of the C converters and zone tables: once a zone's year is tabled, fresh logs,
    histories, gas records, billing rows and timestamps (flagged or not) call no Python."""
    import sys

    copies = fresh_telegrams((FIXTURES / source).read_bytes(), 30, seed=5)
    watched = ("values.py", "_converters.py", "_memo.py", "_zonetable.py")
    called: set[str] = set()

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.endswith(watched):
            called.add(f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}")

    previous = dsmrparse.use_implementation("cython")
    try:
        dsmrparse.parse(copies[0])  # (the zone's year is read here, once)
        sys.setprofile(watch)
        try:
            for data in copies[1:]:
                dsmrparse.parse(data)
        finally:
            sys.setprofile(None)
    finally:
        dsmrparse.use_implementation(previous)
    assert called == set()
