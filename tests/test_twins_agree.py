"""The Cython twin (``_fastparse``) and the pure-Python twin (``_purepy``) give identical results.

Identical means ``repr``-identical: the same Decimal spelling, the same datetime offsets, the same
problem wording, the same frames for the same chunking. ``_purepy`` is the reference.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from pathlib import Path
from typing import Any

import crcmod.predefined
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsmrparse import _kinds as K
from dsmrparse import _purepy
from dsmrparse._types import Line
from dsmrparse.errors import DsmrError
from dsmrparse.values import time_context

try:
    from dsmrparse import _fastparse
except ImportError:  # not compiled here: the agreement tests skip, the pure checks still run
    _fastparse = None

FIXTURES = Path(__file__).parent / "fixtures"
STREAM = "streams/iskra_am550_566_telegrams_lf.txt"
NOT_BUILT = (
    "dsmrparse._fastparse is not built (run `pip install -e .` or "
    "`python setup.py build_ext --inplace`)"
)

if _fastparse is None and os.environ.get("DSMRPARSE_REQUIRE_CYTHON") == "1":
    raise RuntimeError(NOT_BUILT)

needs_fast = pytest.mark.skipif(_fastparse is None, reason=NOT_BUILT)
fast = pytest.param("cython", marks=needs_fast, id="cython")
TWINS = [fast, pytest.param("python", id="python")]

CTX = time_context("Europe/Amsterdam")
CTX_BE = time_context("Europe/Brussels")

ANY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def twin(name: str) -> Any:
    return _fastparse if name == "cython" else _purepy


def fixture_files() -> list[str]:
    """Every telegram-ish file under tests/fixtures (the golden JSON of peers excluded)."""
    out = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix in (".txt", ".bin") and path.name != "PROVENANCE.md":
            out.append(path.relative_to(FIXTURES).as_posix())
    return out


FILES = fixture_files()
DATA = {name: (FIXTURES / name).read_bytes() for name in FILES}
# fixtures holding a telegram header ("/" and three letters): the ones tokenize can read
WITH_HEADER = [n for n in FILES if re.search(rb"/[A-Za-z]{3}", DATA[n])]
TELEGRAMS = [DATA[name] for name in FILES if name != STREAM]


def outcome(fn: Any, *args: Any) -> tuple[str, str]:
    """The result as repr text, or the exception's type and text: what the twins must agree on."""
    try:
        return ("ok", repr(fn(*args)))
    except Exception as exc:  # noqa: BLE001 - the twins must raise the same thing
        return (type(exc).__name__, str(exc))


def both(fn_name: str, *args: Any) -> tuple[tuple[str, str], tuple[str, str]]:
    assert _fastparse is not None
    return outcome(getattr(_purepy, fn_name), *args), outcome(getattr(_fastparse, fn_name), *args)


def scan(mod: Any, data: bytes, sizes: list[int], max_frame: int | None = None) -> list[Any]:
    """All frames for ``data`` fed in chunks of the given sizes (cycled), offsets in between."""
    scanner = mod.FrameScanner() if max_frame is None else mod.FrameScanner(max_frame)
    out: list[Any] = []
    i = k = 0
    while i < len(data):
        size = sizes[k % len(sizes)]
        k += 1
        out.extend(scanner.feed(data[i : i + size]))
        out.append(("offset", scanner.offset))
        i += size
    out.extend(scanner.flush())
    out.append(("offset", scanner.offset))
    return out


def assert_scans_agree(data: bytes, sizes: list[int], max_frame: int | None = None) -> list[Any]:
    assert _fastparse is not None
    expected = scan(_purepy, data, sizes, max_frame)
    got = scan(_fastparse, data, sizes, max_frame)
    assert got == expected
    return expected


# --------------------------------------------------------------------------------------------
# a plan in the shape profiles give: OBIS code -> (kind, name, unit, converter)


def complex_groups(groups: tuple[str, ...], ctx: Any) -> tuple[Any, str | None, Any]:
    """A COMPLEX converter the way profiles write them: (value, unit, timestamp) or ValueError."""
    if len(groups) % 2:
        raise ValueError(f"odd number of groups ({len(groups)})")
    return tuple(groups), (groups[-1] or None) if groups else None, None


QTY, INT, TXT, HEX, TS, TSD, CPX = (
    K.QUANTITY,
    K.INTEGER,
    K.TEXT,
    K.HEX_TEXT,
    K.TIMESTAMP,
    K.TIMESTAMPED,
    K.COMPLEX,
)
PLAN: dict[str, tuple[Any, ...]] = {
    "1-3:0.2.8": (INT, "dsmr_version", None, None),
    "0-0:96.1.4": (INT, "dsmr_version_be", None, None),
    "0-0:1.0.0": (TS, "timestamp", None, None),
    "0-0:96.1.1": (HEX, "equipment_id", None, None),
    "0-0:96.1.0": (HEX, "equipment_id_be", None, None),
    "1-0:1.8.1": (QTY, "electricity_imported_tariff_1", "kWh", None),
    "1-0:1.8.2": (QTY, "electricity_imported_tariff_2", "kWh", None),
    "1-0:2.8.1": (QTY, "electricity_exported_tariff_1", "kWh", None),
    "1-0:2.8.2": (QTY, "electricity_exported_tariff_2", "kWh", None),
    "1-0:1.8.0": (QTY, "electricity_imported", "kWh", None),
    "1-0:2.8.0": (QTY, "electricity_exported", "kWh", None),
    "0-0:96.14.0": (INT, "tariff", None, None),
    "1-0:1.7.0": (QTY, "power_imported", "kW", None),
    "1-0:2.7.0": (QTY, "power_exported", "kW", None),
    "0-0:17.0.0": (QTY, "power_limit", "kW", None),
    "0-0:96.3.10": (INT, "breaker_state", None, None),
    "0-0:96.7.21": (INT, "power_failures", None, None),
    "0-0:96.7.9": (INT, "long_power_failures", None, None),
    "1-0:99.97.0": (CPX, "power_failure_log", None, complex_groups),
    "1-0:32.32.0": (INT, "voltage_sags_l1", None, None),
    "1-0:52.32.0": (INT, "voltage_sags_l2", None, None),
    "1-0:72.32.0": (INT, "voltage_sags_l3", None, None),
    "1-0:32.36.0": (INT, "voltage_swells_l1", None, None),
    "1-0:52.36.0": (INT, "voltage_swells_l2", None, None),
    "1-0:72.36.0": (INT, "voltage_swells_l3", None, None),
    "0-0:96.13.1": (HEX, "text_message_code", None, None),
    "0-0:96.13.0": (HEX, "text_message", None, None),
    "1-0:32.7.0": (QTY, "voltage_l1", "V", None),
    "1-0:52.7.0": (QTY, "voltage_l2", "V", None),
    "1-0:72.7.0": (QTY, "voltage_l3", "V", None),
    "1-0:31.7.0": (INT, "current_l1", "A", None),
    "1-0:51.7.0": (INT, "current_l2", "A", None),
    "1-0:71.7.0": (INT, "current_l3", "A", None),
    "1-0:21.7.0": (QTY, "power_imported_l1", "kW", None),
    "1-0:41.7.0": (QTY, "power_imported_l2", "kW", None),
    "1-0:61.7.0": (QTY, "power_imported_l3", "kW", None),
    "1-0:22.7.0": (QTY, "power_exported_l1", "kW", None),
    "1-0:42.7.0": (QTY, "power_exported_l2", "kW", None),
    "1-0:62.7.0": (QTY, "power_exported_l3", "kW", None),
    "1-0:1.4.0": (QTY, "average_demand", "kW", None),
    "1-0:1.6.0": (TSD, "max_demand_month", "kW", None),
    "0-0:98.1.0": (CPX, "max_demand_history", None, complex_groups),
    "1-0:31.4.0": (QTY, "fuse_l1", "A", None),
    "0-0:96.50.68": (TXT, "meter_state", None, None),
    "0-0:42.0.0": (HEX, "logical_device_name", None, None),
}
for _ch in range(1, 5):
    PLAN[f"0-{_ch}:24.1.0"] = (INT, f"mbus{_ch}_device_type", None, None)
    PLAN[f"0-{_ch}:96.1.0"] = (HEX, f"mbus{_ch}_equipment_id", None, None)
    PLAN[f"0-{_ch}:96.1.1"] = (HEX, f"mbus{_ch}_equipment_id_be", None, None)
    PLAN[f"0-{_ch}:24.2.1"] = (TSD, f"mbus{_ch}_reading", "m3", None)
    PLAN[f"0-{_ch}:24.2.3"] = (TSD, f"mbus{_ch}_reading_be", "m3", None)
    PLAN[f"0-{_ch}:24.3.0"] = (CPX, f"mbus{_ch}_reading_legacy", None, complex_groups)
    PLAN[f"0-{_ch}:24.4.0"] = (INT, f"mbus{_ch}_valve", None, None)

ALL_KINDS = [K.RAW, QTY, INT, TXT, HEX, TS, TSD, CPX, 99]


def shuffled_plan(lines: list[Line], seed: int) -> dict[str, tuple[Any, ...]]:
    """Every object of a telegram read as some kind, most of them wrong: the error paths."""
    rng = random.Random(seed)
    units = [None, "kWh", "KWH", "m3", "V", "A", "kW", "", "*"]
    return {
        ln.obis: (rng.choice(ALL_KINDS), ln.obis, rng.choice(units), complex_groups) for ln in lines
    }


# --------------------------------------------------------------------------------------------
# the module surface


@needs_fast
def test_the_twins_name_themselves_and_share_the_frame_limit() -> None:
    assert (_purepy.NAME, _fastparse.NAME) == ("python", "cython")
    assert _fastparse.DEFAULT_MAX_FRAME == _purepy.DEFAULT_MAX_FRAME
    assert set(_purepy.__all__) == set(_fastparse.__all__)
    assert _fastparse.Frame is _purepy.Frame


# --------------------------------------------------------------------------------------------
# crc16

CRC_ARC = crcmod.predefined.mkPredefinedCrcFun("crc-16")


def crc16_bitwise(data: bytes) -> int:
    """CRC-16/ARC the slow way: reflected polynomial 0xA001, initial value 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@pytest.mark.parametrize("name", TWINS)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0x0000),
        (b"123456789", 0xBB3D),  # the CRC-16/ARC check value
        (b"\x00", 0x0000),
        (b"A", 0x30C0),
        (b"\xff" * 8, 0x8441),  # exactly one 8-byte block
        (b"\xff" * 17, 0xB031),  # two blocks and a tail byte
    ],
)
def test_crc16_known_values(name: str, data: bytes, expected: int) -> None:
    assert crc16_bitwise(data) == expected
    assert twin(name).crc16(data) == expected


@needs_fast
@given(st.binary(max_size=2048))
@ANY_SETTINGS
def test_crc16_matches_crcmod_for_bytes_bytearray_and_memoryview(data: bytes) -> None:
    expected = CRC_ARC(data)
    assert _fastparse.crc16(data) == expected
    assert _fastparse.crc16(bytearray(data)) == expected
    assert _fastparse.crc16(memoryview(data)) == expected
    assert _purepy.crc16(data) == expected
    if len(data) < 64:
        assert crc16_bitwise(data) == expected


@needs_fast
def test_crc16_matches_crcmod_on_long_random_data_and_every_tail_length() -> None:
    rng = random.Random(16)
    big = rng.randbytes(1 << 20)
    assert _fastparse.crc16(big) == CRC_ARC(big)
    assert _fastparse.crc16(memoryview(big)[3:-5]) == CRC_ARC(big[3:-5])
    for size in range(40):
        assert _fastparse.crc16(big[:size]) == CRC_ARC(big[:size])


@needs_fast
def test_crc16_of_every_fixture() -> None:
    for name, data in DATA.items():
        assert _fastparse.crc16(data) == _purepy.crc16(data), name


# --------------------------------------------------------------------------------------------
# canonical_obis


@needs_fast
@pytest.mark.parametrize(
    "code",
    [
        "1-0:1.8.1",
        "1-0:1.8.1*255",
        "1-0:1.8.1.255",
        "1-0:1.8.1&255",
        "1.8.1",
        "1:8.1",
        " 1-0:1.8.1 ",
        "0-n:24.2.1",
        "1-0:1.8.1\n",
        "abc",
        "",
        "1-0:1.8",
        "1234-0:1.8.1",
        "1-0:1.8.1*1000",
        "\u0661-0:1.8.1",
        "1-0:1.8.1*254",
        "0-1:24.2.1*255",
        "1-0:1..1",
    ],
)
def test_canonical_obis_agrees(code: str) -> None:
    for _ in range(2):  # second round answers from the caches
        assert _fastparse.canonical_obis(code) == _purepy.canonical_obis(code)


# --------------------------------------------------------------------------------------------
# tokenize


@needs_fast
@pytest.mark.parametrize("name", FILES)
def test_tokenize_agrees_on_every_fixture(name: str) -> None:
    data = DATA[name]
    expected, got = both("tokenize", data)
    assert got == expected
    # any bytes-like input reads the same in the fast twin
    assert outcome(_fastparse.tokenize, bytearray(data)) == expected
    assert outcome(_fastparse.tokenize, memoryview(data)) == expected


@needs_fast
@pytest.mark.parametrize("name", FILES)
def test_tokenize_agrees_with_lf_only_and_mixed_line_endings(name: str) -> None:
    data = DATA[name]
    lf = data.replace(b"\r\n", b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    variants = [lf, crlf, crlf.replace(b"\r\n", b"\n", 3), lf.replace(b"\n", b"\r\n", 2)]
    variants.append(data.replace(b"\n", b"\r\r\n", 1))
    for variant in variants:
        expected, got = both("tokenize", variant)
        assert got == expected


@needs_fast
def test_tokenize_agrees_on_every_telegram_of_the_stream() -> None:
    stream = DATA[STREAM]
    frames = _purepy.FrameScanner().feed(stream) + _purepy.FrameScanner().flush()
    assert len(frames) > 500
    for frame in frames:
        expected, got = both("tokenize", frame.data)
        assert got == expected


@needs_fast
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"/",
        b"/\n!",
        b"/\r\n!",
        b"/ABC5\r\n!12",
        b"/ABC5\r\n!1234",
        b"/ABC5\n!abcd\r\n",
        b"noise/ABC5\r\n!",
        b"\r\n\x00\xff/ABC5\r\n!",
        b"/ABC5\r\n1-0:1.8.1(1)",
        b"/X\n(1)\n!",
        b"/X\n 1-0:1.8.1(1)(2) \n  (3)\n!",
        b"/X\n1-0:1.8.1(1\n!",
        b"/X\n1-0:1.8.1(1)x\n!",
        b"/X\nfoo\n!",
        b"/X\nfoo(1)\n!",
        b"/X\n1-0:1.8.1*255(1)\n!",
        b"/X\n\xa0\x85\n!",
        b"/X\n\xe91-0:1.8.1(\xe9)\n!",
        b"/X\r\r\n1-0:1.8.1(1)\r\r\n!",
        b"/X\n" + b"a" * 100 + b"\n!",
        b"/X\n1-0:1.8.1(1)\t(2)\r(3)\n!",
        b"/X\n!!!!\n!",
        b"/X\n!\n!",
        b"/\n\n\n",
    ],
)
def test_tokenize_agrees_on_edge_cases(data: bytes) -> None:
    expected, got = both("tokenize", data)
    assert got == expected


def _mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, what in ops:
        if not buf:
            break
        i = where % len(buf)
        if op == 0:  # bit flip
            buf[i] ^= 1 << (what % 8)
        elif op == 1:  # truncation
            del buf[i:]
        elif op == 2:  # an inserted byte, often one that matters to the syntax
            syntax = b"\r\n!/()*.: \tSW0\xdb\x08"
            buf[i:i] = bytes([syntax[what % 16] if what < 200 else what % 256])
        elif op == 3:  # a deleted run
            del buf[i : i + what % 16]
        else:  # a lost CR
            j = buf.find(b"\r\n", i)
            if j >= 0:
                del buf[j]
    return bytes(buf)


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8
)
TELEGRAM = st.sampled_from(TELEGRAMS)


@needs_fast
@given(st.binary(max_size=600))
@ANY_SETTINGS
def test_tokenize_agrees_on_arbitrary_bytes(data: bytes) -> None:
    expected, got = both("tokenize", data)
    assert got == expected
    assert expected[0] in ("ok", "FramingError")


@needs_fast
@given(TELEGRAM, MUTATIONS)
@ANY_SETTINGS
def test_tokenize_agrees_on_mutated_telegrams(telegram: bytes, ops: list) -> None:
    data = _mutate(telegram, ops)
    expected, got = both("tokenize", data)
    assert got == expected


@pytest.mark.parametrize("name", TWINS)
@given(data=st.one_of(st.binary(max_size=400), st.builds(_mutate, TELEGRAM, MUTATIONS)))
@ANY_SETTINGS
def test_tokenize_raises_only_dsmr_errors(name: str, data: bytes) -> None:
    with contextlib.suppress(DsmrError):
        twin(name).tokenize(data)


# --------------------------------------------------------------------------------------------
# convert


def tokens_of(data: bytes) -> Any:
    return _purepy.tokenize(data)


@needs_fast
@pytest.mark.parametrize("name", WITH_HEADER)
@pytest.mark.parametrize("ctx", [CTX, CTX_BE], ids=["nl", "be"])
def test_convert_agrees_on_every_fixture(name: str, ctx: Any) -> None:
    lines = tokens_of(DATA[name]).lines
    expected, got = both("convert", lines, PLAN, ctx)
    assert expected[0] == "ok"
    assert got == expected


@needs_fast
@pytest.mark.parametrize("name", WITH_HEADER)
def test_convert_agrees_when_the_plan_reads_objects_as_the_wrong_kind(name: str) -> None:
    lines = tokens_of(DATA[name]).lines
    for seed in range(6):
        plan = shuffled_plan(lines, seed)
        expected, got = both("convert", lines, plan, CTX)
        assert got == expected


@needs_fast
@pytest.mark.parametrize("name", WITH_HEADER)
def test_convert_agrees_with_the_library_profiles(name: str) -> None:
    from dsmrparse import profiles

    lines = tokens_of(DATA[name]).lines
    for profile in profiles.all_profiles():
        expected, got = both("convert", lines, profile.plan, CTX)
        assert got == expected


@needs_fast
def test_convert_accepts_any_mapping_iterable_and_kind_type() -> None:
    from types import MappingProxyType

    lines = tokens_of(DATA["nl/dsmr50_iskra_mt382.txt"]).lines
    bool_kind = {"1-0:1.8.1": (True, "t1", "kWh", None)}  # True == QUANTITY, as Python compares
    for plan in (MappingProxyType(PLAN), bool_kind, {k: list(v) for k, v in PLAN.items()}):
        expected = outcome(_purepy.convert, iter(lines), plan, CTX)
        assert outcome(_fastparse.convert, iter(lines), plan, CTX) == expected
        assert expected[0] == "ok"


def _line(*groups: str) -> Line:
    return Line("1-0:1.8.1", tuple(groups), 7, 123)


TIMESTAMPS = [
    "200426223325S",
    "200426223325W",
    "200426223325s",
    "201025025959w",
    "200229120000W",
    "210229120000W",
    "000229120000W",
    "200431120000S",
    "201301000000W",
    "200100000000W",
    "200101240000W",
    "200101006000W",
    "200101000060W",
    "632525252525W",
    "632525252525S",
    "000101000000W",
    "700101010000W",
    "000000000000S",
    "200426223325",
    "20200426223325S",
    "200426223325X",
    " 200426223325S",
    "200426223325S ",
    "20042622332S",
    "2004262233255S",
    "07E40A1A040217200000FF8880",
    "07E40A1A0402172000FF8880",
    "07E40A1A0402172000FFC400",
    "FFFF0A1A0402172000FF8880",
    "07E4FF1A0402172000FF8880",
    "07E40A1F0402172000FF8880",
    "²00426223325S",
    "",
    "S",
    "W",
]
QUANTITIES = [
    "001234.567*kWh",
    "001234.567*KWH",
    "001234.567*kwh",
    "1234",
    "-1.5*kW",
    "+1.5*kW",
    "1.*kW",
    ".5*kW",
    ".*kW",
    "*kW",
    "1.5*",
    "1.5* kWh",
    "1.5*kWh ",
    " 1.5*kWh",
    "1.5 *kWh",
    "1,5*kWh",
    "1e3*kWh",
    "1.5*kWh*2",
    "0000.000*m3",
    "12345678901234567890.123456789*Wh",
    "NaN",
    "inf*kW",
    "--1",
    "1.2.3",
    "٣*kWh",
    "1.5*m\u00b3",
    "1.5*\x85kWh",
    "-0*kW",
    "00*A",
]
INTEGERS = [
    "00005",
    "5*A",
    "+5",
    "-5*A",
    "-0",
    "+",
    "",
    "5.0",
    "²",
    "12345678901234567890",
    "0" * 30,
    "123456789012345678",
    "1234567890123456789",
    "5 *A",
    "5* A",
    "5*a",
    "5*",
    "abc",
    " 5",
]
HEXES = [
    "",
    "4B464D5F",
    "4b464d5f",
    "4B464D5",
    "E0043007052870318",
    "4B464D5F0A",
    "0A",
    "C3A9",
    "FF",
    "4B46\n",
    "30313233343536373839",
    "00",
    "7E7F",
    "20",
    "G1",
    "4B464D5F\n",
    "\u0661\u0662",
    "4B 46",
]


@needs_fast
@pytest.mark.parametrize("group", TIMESTAMPS)
@pytest.mark.parametrize("kind", [TS, TSD])
def test_convert_agrees_on_timestamps(group: str, kind: int) -> None:
    plan = {"1-0:1.8.1": (kind, "x", "kWh", None)}
    for groups in ((group,), (group, "1.5*kWh"), ("1.5*kWh", group), (group, group)):
        for ctx in (CTX, CTX_BE):
            expected, got = both("convert", [_line(*groups)], plan, ctx)
            assert got == expected


@needs_fast
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_convert_agrees_on_odd_values(kind: int) -> None:
    for unit in (None, "kWh", "A", "m3", ""):
        plan = {"1-0:1.8.1": (kind, "x", unit, complex_groups)}
        for group in QUANTITIES + INTEGERS + HEXES + TIMESTAMPS:
            for groups in ((group,), (), (group, group), ("200426223325S", group)):
                expected, got = both("convert", [_line(*groups)], plan, CTX)
                assert got == expected, (groups, plan)


GROUP_TEXT = st.one_of(
    st.text(alphabet="0123456789.*+-kWhAVm3 SsWw", max_size=16),
    st.text(alphabet="0123456789ABCDEFabcdef\n", max_size=20),
    st.text(max_size=12),
    st.sampled_from(QUANTITIES + INTEGERS + HEXES + TIMESTAMPS),
    st.builds(
        lambda d, f: d + f,
        st.text(alphabet="0123456789", min_size=12, max_size=12),
        st.sampled_from(["S", "W", "s", "w", "", "X"]),
    ),
)


@needs_fast
@given(
    st.lists(st.tuples(st.sampled_from(ALL_KINDS), st.lists(GROUP_TEXT, max_size=3)), max_size=6),
    st.sampled_from([None, "kWh", "A", "m3", "V"]),
)
@ANY_SETTINGS
def test_convert_agrees_on_arbitrary_groups(rows: list, unit: str | None) -> None:
    lines = [
        Line(f"1-0:{i}.8.1", tuple(groups), i + 2, 10 * i) for i, (_, groups) in enumerate(rows)
    ]
    plan = {
        f"1-0:{i}.8.1": (kind, f"f{i}", unit, complex_groups) for i, (kind, _) in enumerate(rows)
    }
    expected, got = both("convert", lines, plan, CTX)
    assert expected[0] == "ok"
    assert got == expected


# --------------------------------------------------------------------------------------------
# FrameScanner


@pytest.mark.parametrize("name", TWINS)
def test_frame_scanner_refuses_a_tiny_limit(name: str) -> None:
    with pytest.raises(ValueError, match="at least 64"):
        twin(name).FrameScanner(63)
    assert twin(name).FrameScanner(64).offset == 0


@needs_fast
@pytest.mark.parametrize("name", FILES)
def test_frame_scanner_agrees_on_every_fixture_in_one_chunk_and_in_random_chunks(name: str) -> None:
    data = DATA[name]
    frames = assert_scans_agree(data, [len(data) or 1])
    assert frames[-1] == ("offset", len(data))
    rng = random.Random(name)
    for _ in range(3):
        assert_scans_agree(data, [rng.randint(1, 97) for _ in range(11)])


@needs_fast
def test_frame_scanner_agrees_on_all_fixtures_fed_one_byte_at_a_time() -> None:
    data = b"\r\n".join(TELEGRAMS) + DATA[STREAM][:40000]
    assert_scans_agree(data, [1])


@needs_fast
def test_frame_scanner_agrees_on_the_566_telegram_stream() -> None:
    data = DATA[STREAM]
    frames = assert_scans_agree(data, [len(data)])
    assert sum(1 for f in frames if getattr(f, "kind", None) == "telegram") == 566
    rng = random.Random(566)
    assert_scans_agree(data, [rng.randint(1, 4096) for _ in range(64)])
    assert_scans_agree(data, [rng.randint(1, 64) for _ in range(64)])


@needs_fast
@pytest.mark.parametrize("max_frame", [64, 200, 900])
def test_frame_scanner_agrees_with_small_frame_limits(max_frame: int) -> None:
    data = b"".join(TELEGRAMS)
    rng = random.Random(max_frame)
    for sizes in ([len(data)], [1], [rng.randint(1, 300) for _ in range(9)]):
        assert_scans_agree(data, sizes, max_frame)


@needs_fast
@pytest.mark.parametrize("kind", ["bytearray", "memoryview"])
def test_frame_scanner_takes_any_bytes_like_chunk(kind: str) -> None:
    data = b"".join(TELEGRAMS)
    wrap = bytearray if kind == "bytearray" else memoryview
    fast_scanner = _fastparse.FrameScanner()
    got = fast_scanner.feed(wrap(data)) + fast_scanner.flush()
    pure_scanner = _purepy.FrameScanner()
    assert got == pure_scanner.feed(data) + pure_scanner.flush()


ENCRYPTED_HEADS = [
    b"\xdb\x08" + b"SYSTITLE" + b"\x10" + b"x" * 16,
    b"\xdb\x08" + b"SYSTITLE" + b"\x81\x20" + b"x" * 32,
    b"\xdb\x08" + b"SYSTITLE" + b"\x82\x00\x30" + b"x" * 48,
    b"\xdb\x08" + b"SYSTITLE" + b"\x83\x00\x00\x30",
    b"\xdb\x08" + b"SYSTITLE" + b"\x82\xff\xff" + b"x" * 4,
    b"\xdb\x07",
    b"\xdb\x08SYS",
]


@needs_fast
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=40),
            TELEGRAM,
            st.builds(_mutate, TELEGRAM, MUTATIONS),
            st.sampled_from(ENCRYPTED_HEADS),
            st.sampled_from([b"/", b"/AB", b"\n/ABC5", b"\r\n!", b"\n!12", b"\xdb", b"\xff\x00"]),
        ),
        max_size=6,
    ),
    st.lists(st.integers(1, 300), min_size=1, max_size=8),
    st.sampled_from([None, 64, 300]),
)
@ANY_SETTINGS
def test_frame_scanner_agrees_on_arbitrary_streams(
    parts: list[bytes], sizes: list[int], max_frame: int | None
) -> None:
    data = b"".join(parts)
    assume(data)
    assert_scans_agree(data, sizes, max_frame)
    assert_scans_agree(data, [1], max_frame)


@pytest.mark.parametrize("name", TWINS)
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), min_size=1, max_size=4))
@ANY_SETTINGS
def test_frame_scanner_never_raises_and_hands_out_every_byte(
    name: str, data: bytes, sizes: list[int]
) -> None:
    frames = scan(twin(name), data, sizes)
    assert frames[-1] == ("offset", len(data))
    for frame in frames:
        if not isinstance(frame, tuple) or frame[0] != "offset":
            assert data[frame.offset : frame.offset + len(frame.data)] == frame.data


@pytest.mark.parametrize("name", TWINS)
def test_a_dlms_lookalike_in_noise_does_not_swallow_the_next_telegram(name: str) -> None:
    telegram = DATA["nl/dsmr50_landis_e350.txt"]
    noise = b"\xdb\x08" + b"N" * 8 + b"\x82\x03\x00"  # no security byte follows: not a frame
    scanner = twin(name).FrameScanner()
    frames = scanner.feed(noise + telegram) + scanner.flush()
    assert [f.kind for f in frames].count("telegram") == 1
    assert frames[-1].data == telegram.rstrip(b"\r\n")
