"""Telegrams as other parsers' suites and real meters write them (issue 10): nothing lost, every
value read, every oddity said. Each behaviour runs on both twins."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import fixture_bytes
from dsmrparse import FramingError, LineSyntaxError, ValueConversionError, _impl, files
from dsmrparse.profiles.generated import generated_name

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
ROOT = Path(__file__).resolve().parent.parent


def with_crc(body: str) -> bytes:
    """``body`` (from ``/`` through ``!``) with its CRC and a line end."""
    data = body.encode("latin-1")
    return data + f"{_impl.current.crc16(data):04X}\r\n".encode()


def telegram(*lines: str, header: str = "/ISK5\\2M550T-1012") -> bytes:
    return with_crc("\r\n".join([header, "", *lines, "!"]))


DSMR5_LINES = (
    "1-3:0.2.8(50)",
    "0-0:1.0.0(201201120000W)",
    "1-0:1.8.1(000123.456*kWh)",
    "1-0:1.7.0(00.193*kW)",
)


# ---- 1. an unusual identification line never costs the telegram ---------------------------


@pytest.mark.parametrize(
    "header",
    ["/Test\\V5-Telegram", "/identification", "/isk5\\2MT382", "/ISKx", "/", "/AB"],
)
def test_an_odd_header_is_a_framing_problem_and_the_body_is_read(twin: str, header: str) -> None:
    data = telegram(*DSMR5_LINES, header=header)
    t = dsmrparse.parse(data)
    assert t.crc == "ok"
    assert t["electricity_imported_tariff_1"] == Decimal("123.456")
    assert t.header.text == header[1:]
    odd = [p for p in t.problems if p.kind == "framing"]
    if header in ("/isk5\\2MT382",):  # lower-case letters are still /XXXn
        assert not odd
        return
    assert [p.kind for p in t.problems] == ["framing"]
    assert odd[0].line == 1 and "identification line" in odd[0].message
    with pytest.raises(FramingError, match="identification line"):
        dsmrparse.parse(data, strict=True)


def test_the_first_slash_wins_over_a_later_standard_header_in_a_value(twin: str) -> None:
    data = telegram("0-0:96.13.0(http://ABC5.example)", "1-0:1.8.1(000001.000*kWh)", header="/x")
    t = dsmrparse.parse(data)
    assert t.offset == 0 and t["text_message"] == "http://ABC5.example" and t.crc == "ok"


def test_noise_then_an_odd_header_at_a_line_start(twin: str) -> None:
    data = b"garbage\r\n" + telegram(*DSMR5_LINES, header="/Test")
    t = dsmrparse.parse(data)
    assert t.offset == 9 and t.crc == "ok"
    assert [p.kind for p in t.problems] == ["framing", "framing"]  # noise, header


def test_no_slash_at_all_is_still_a_framing_error(twin: str) -> None:
    with pytest.raises(FramingError):
        dsmrparse.parse(b"1-0:1.8.1(000001.000*kWh)\r\n!")


def scan(data: bytes, size: int) -> list[dsmrparse.Frame]:
    scanner = _impl.current.FrameScanner()
    out = []
    for i in range(0, len(data), size):
        out += scanner.feed(data[i : i + size])
    return out + scanner.flush()


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_the_scanner_takes_an_odd_header_whose_crc_checks_out(twin: str, size: int) -> None:
    good = telegram(*DSMR5_LINES, header="/Test\\V5-Telegram")
    bad = good.replace(b"123.456", b"123.457")  # the CRC no longer checks out: noise
    normal = telegram(*DSMR5_LINES)
    frames = scan(b"noise\r\n" + good + bad + normal, size)
    kinds = [f.kind for f in frames]
    merged = [k for i, k in enumerate(kinds) if k != "junk" or kinds[i - 1 : i] != ["junk"]]
    assert merged == ["junk", "telegram", "junk", "telegram"]  # (small feeds cut junk up)
    telegrams = [f.data for f in frames if f.kind == "telegram"]
    assert telegrams == [good.rstrip(b"\r\n"), normal.rstrip(b"\r\n")]


def test_a_loose_start_never_swallows_a_real_header_on_its_line(twin: str) -> None:
    normal = telegram(*DSMR5_LINES)
    frames = scan(b"\r\n/noise " + normal, 5)
    assert [f.kind for f in frames] == ["junk", "telegram"]
    assert frames[1].data == normal.rstrip(b"\r\n")


DSMR22_ODD = (
    b"/Test\\V2\r\n\r\n0-0:96.1.1(00000000000000)\r\n1-0:1.8.1(00001.001*kWh)\r\n0-0:96.13.0()\r\n!"
)


def test_a_dsmr22_file_with_an_odd_header_and_no_crc_reads_as_parse_reads_it(
    twin: str, tmp_path: Path
) -> None:
    path = tmp_path / "d22.txt"
    path.write_bytes(DSMR22_ODD + b"\r\n" + DSMR22_ODD)  # the last one ends at "!"
    records = list(files.iter_telegrams(path))
    assert [type(r).__name__ for r in records] == ["Telegram", "Telegram"]
    alone = dsmrparse.parse(DSMR22_ODD)
    assert records[0].to_json() == alone.to_json()
    assert records[1]["electricity_imported_tariff_1"] == Decimal("1.001")


def test_the_cli_reads_that_file_as_telegrams(tmp_path: Path) -> None:
    path = tmp_path / "d22.txt"
    path.write_bytes(DSMR22_ODD)
    run = subprocess.run(
        [sys.executable, "-m", "dsmrparse", "parse", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 1, run.stderr  # done, with a problem: the odd header
    assert '"record"' not in run.stdout and '"profile"' in run.stdout
    assert "1 telegrams" in run.stderr and "framing 1" in run.stderr


# ---- 2. objects no profile names ------------------------------------------------------------


@pytest.mark.parametrize(
    "line, name, value, unit",
    [
        ("1-0:1.8.11(007132.419*kWh)", "obis_active_import_register_tariff_11", "7132.419", "kWh"),
        ("1-0:13.7.1(0.998)", "obis_power_factor_instantaneous_harmonic_1", "0.998", None),
        ("1-0:14.7.1(50*Hz)", "obis_frequency_instantaneous_harmonic_1", "50", "Hz"),
        ("1-0:16.24.0(-03.618*kW)", "obis_active_net_period_demand", "-3.618", "kW"),
        ("1-0:0.8.2(00900*s)", "obis_1_0_0_8_2", "900", "s"),
        ("1-0:54.7.0(49.98*Hz)", "obis_frequency_l2_instantaneous", "49.98", "Hz"),
        ("1-0:16.7.0(-00.120*kW)", "obis_active_net_instantaneous", "-0.120", "kW"),
        ("1-2:1.8.1(000001.000*kWh)", "obis_active_import_register_tariff_1_channel_2", "1", "kWh"),
    ],
)
def test_an_unknown_plain_object_is_typed_under_a_generated_name(
    twin: str, line: str, name: str, value: str, unit: str | None
) -> None:
    t = dsmrparse.parse(telegram(*DSMR5_LINES, line))
    e = t.entry(line.partition("(")[0])
    assert (e.name, e.value, e.unit) == (name, Decimal(value), unit)
    assert e.generated and t[name] == Decimal(value) and t.ok


def test_unknown_timestamps_text_and_timestamped_values(twin: str) -> None:
    t = dsmrparse.parse(
        telegram(
            *DSMR5_LINES,
            "0-0:96.50.68(ON)",
            "1-0:99.1.0(201201120000W)",
            "1-0:1.6.0(201201101500W)(02.000*kW)",
            "7-0:99.99.9(a)(b)(c)",
        )
    )
    assert t.entry("0-0:96.50.68").value == "ON"
    assert t.entry("1-0:99.1.0").value.utcoffset() == timedelta(hours=1)
    peak = t.entry("1-0:1.6.0")  # a sibling (Belgian) row names this one
    assert peak.value == Decimal("2.000") and peak.timestamp is not None and not peak.generated
    assert t.entry("7-0:99.99.9").value is None and t.entry("7-0:99.99.9").generated
    assert t.ok


def test_a_sibling_profile_row_names_what_the_detected_profile_leaves_out(twin: str) -> None:
    t = dsmrparse.parse(
        telegram(
            *DSMR5_LINES,
            "1-0:13.7.0(0.998)",
            "1-0:14.7.0(50*Hz)",
            "1-0:1.8.0(000200.000*kWh)",
            "0-0:96.13.1(3031)",
            "0-1:24.1.0(003)",
            "0-1:24.2.3(201201120000W)(00012.345*m3)",
        )
    )
    assert t.profile == "dsmr5"
    assert (t["power_factor"], t["frequency"]) == (Decimal("0.998"), Decimal("50"))
    total = t.entry("1-0:1.8.0")
    assert total.value == Decimal("200.000") and not total.generated and total.name
    assert not t.entry("0-0:96.13.1").generated
    assert t.gas is not None and t.gas.value == Decimal("12.345")
    assert t.ok


def test_a_profile_row_wins_over_the_shape_rule(twin: str) -> None:
    t = dsmrparse.parse(telegram(*DSMR5_LINES))
    assert t.entry("1-0:1.8.1").name == "electricity_imported_tariff_1"
    assert not any(e.generated for e in t)


def test_generated_names_are_a_stable_function_of_the_code() -> None:
    assert generated_name("1-0:1.8.11") == "obis_active_import_register_tariff_11"
    assert generated_name("1-0:32.7.5") == "obis_voltage_l1_instantaneous_harmonic_5"
    assert generated_name("0-0:96.99.9") == "obis_0_0_96_99_9"
    names = {row.name for p in dsmrparse.profiles.all_profiles() for row in p.fields}
    assert not any(n.startswith("obis_") for n in names)


def test_columnar_keeps_unknown_objects_in_extra_by_code(twin: str) -> None:
    from dsmrparse.columnar import Columns

    t = dsmrparse.parse(telegram(*DSMR5_LINES, "1-0:14.7.0(50*Hz)"))
    batch = Columns("dsmr5")
    assert not batch.add_fast(t.raw)  # typed per telegram: the full parse fills extra
    batch.append(t)
    assert batch.column("extra") == ['{"1-0:14.7.0":50}']


def test_profiles_json_lists_the_generated_naming_rule() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "dsmrparse", "profiles", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert "obis_<quantity>" in run.stdout


# ---- 3. malformed lines, read and reported --------------------------------------------------


@pytest.mark.parametrize(
    "line, code, what",
    [
        ("1-0:72:32.0(00000)", "1-0:72.32.0", "':' in place of a '.'"),
        ("1-0:1.8.300(000001.000*kWh)", "1-0:1.8.300", "over 255"),
        ("1-0:1.8.1 (000001.000*kWh)", "1-0:1.8.1", "space between"),
    ],
)
def test_a_malformed_code_is_read_and_reported(twin: str, line: str, code: str, what: str) -> None:
    data = telegram(*DSMR5_LINES[:2], line)
    t = dsmrparse.parse(data)
    (problem,) = t.problems
    assert problem.kind == "syntax" and what in problem.message
    assert (problem.line, problem.obis) == (5, code)
    assert t.entry(code).value is not None
    assert len(t.entries) == 3  # the line is read once, not also kept as an unreadable one
    with pytest.raises(LineSyntaxError, match=what.strip("'")):
        dsmrparse.parse(data, strict=True)


def test_the_star_255_suffix_is_no_problem(twin: str) -> None:
    t = dsmrparse.parse(telegram(*DSMR5_LINES[:2], "1-0:1.8.1*255(000001.000*kWh)"))
    assert t.ok and t["electricity_imported_tariff_1"] == Decimal("1.000")


def test_each_line_of_an_odd_spelling_says_its_problems_every_time(twin: str) -> None:
    # the compiled twin keeps a spelling's verdict after its first line: every later line and
    # telegram (spaced or not, short or long spelling) must still say exactly the same
    from dsmrparse.obis import spelling_problem

    lines = [
        "1-0:72:32.0(00000)",
        "1-0:72:32.0 (00000)",
        "1-0:1.8.300(000001.000*kWh)",
        "1-0:1.8.300 (000001.000*kWh)",
        "1-0:1.8.2*255(000002.000*kWh)",
        "1-0:1.8.2*255 (000002.000*kWh)",
        "1-0:2.8.1 (000003.000*kWh)",
        "1-0:2.8.1(000003.000*kWh)",
        "001-000:002.008.002*255(000004.000*kWh)",  # past 16 bytes: not kept in a slot
        "001-000:002.008.002*255 (000004.000*kWh)",
    ]
    expected = []
    for number, line in enumerate(lines, start=5):
        code, spaced = line.split("(")[0].rstrip(), line.split("(")[0].endswith(" ")
        obis = dsmrparse.ObisCode.parse(code)
        expected += [(m, number, str(obis)) for m in spelling_problem(code, str(obis), spaced)]
    data = telegram(*DSMR5_LINES[:2], *lines)
    for _ in range(3):
        t = dsmrparse.parse(data)
        got = [(p.message, p.line, p.obis) for p in t.problems]
        assert got == expected


# ---- 4. MBus without its device-type line, empty groups ------------------------------------


@pytest.mark.parametrize(
    "unit, kind, device_type",
    [("m3", "gas", 3), ("GJ", "heat", 4), ("kWh", "heat", 4), ("MJ", "heat", 4)],
)
def test_a_channel_without_a_device_type_line_is_inferred_from_its_unit(
    twin: str, unit: str, kind: str, device_type: int
) -> None:
    t = dsmrparse.parse(telegram(*DSMR5_LINES, f"0-2:24.2.1(201201120000W)(00012.345*{unit})"))
    device = t.mbus[2]
    assert (device.device_type, device.kind, device.device_type_inferred) == (
        device_type,
        kind,
        True,
    )
    assert t.mbus_reading(kind) is not None and t.mbus_reading(kind).value == Decimal("12.345")
    assert t.to_dict()["mbus"][0]["device_type_inferred"] is True
    assert t.ok


def test_a_device_type_line_wins_over_the_unit(twin: str) -> None:
    t = dsmrparse.parse(
        telegram(*DSMR5_LINES, "0-1:24.1.0(007)", "0-1:24.2.1(201201120000W)(00012.345*m3)")
    )
    assert (t.mbus[1].kind, t.mbus[1].device_type_inferred) == ("water", False)
    assert t.gas is None and t.water is not None


def test_empty_groups_mean_not_present(twin: str) -> None:
    t = dsmrparse.parse(
        telegram(
            *DSMR5_LINES,
            "0-0:96.13.0()",
            "0-1:24.1.0()",
            "0-1:96.1.0()",
            "0-1:24.2.1()()",
        )
    )
    assert t.ok, t.problems
    for code in ("0-0:96.13.0", "0-1:24.1.0", "0-1:96.1.0", "0-1:24.2.1"):
        assert t.entry(code).value is None and t.entry(code).error is None


# ---- 5. edges of the fast paths -------------------------------------------------------------


def test_a_register_past_64_bits_is_written_exactly(twin: str, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from dsmrparse import columnar

    data = telegram(
        *DSMR5_LINES[:2],
        "1-0:1.8.1(12345678901234567890.123*kWh)",
        "1-0:1.8.2(99999999999999999999*kWh)",
        "0-0:96.7.21(123456789012345678901)",
    )
    path = tmp_path / "x.txt"
    path.write_bytes(data)
    batches = list(columnar.iter_columns(path))
    out = io.StringIO()
    columnar.write_csv(batches, out)
    text = out.getvalue()
    assert "12345678901234567890.123" in text and "99999999999999999999" in text
    assert '""power_failures"":123456789012345678901' in text
    columnar.write_parquet(batches, tmp_path / "x.parquet")
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.column("electricity_imported_tariff_1")[0].as_py() == Decimal(
        "12345678901234567890.123"
    )
    assert table.schema.field("electricity_imported_tariff_2").type == pa.decimal128(38, 0)


def test_add_fast_of_a_stub_header_says_no_on_both_twins(twin: str) -> None:
    from dsmrparse.columnar import Columns

    assert Columns("dsmr5").add_fast(b"/ab") is False
    assert Columns("dsmr5").add_fast(b"/") is False


def dlms(systitle: bytes, payload: bytes) -> bytes:
    """A general-global-cipher frame: 0xDB, the system title, a length, security byte, data."""
    body = b"\x30" + b"\x00\x00\x00\x01" + payload
    return b"\xdb\x08" + systitle + bytes([0x82]) + len(body).to_bytes(2, "big") + body


def test_a_truncated_encrypted_frame_loses_only_itself(twin: str) -> None:
    title = b"SAGY\x00\x01\x02\x03"
    first = dlms(title, b"\x11" * 300)
    second = dlms(title, b"\x22" * 300)
    for size in (1, 13, 4096):
        frames = scan(first[:150] + second, size)
        assert [f.kind for f in frames] == ["damaged", "encrypted"]
        assert frames[1].data == second and "cut off" in (frames[0].error or "")
        # an intact pair is still two frames
        assert [f.kind for f in scan(first + second, size)] == ["encrypted", "encrypted"]


def test_small_feeds_of_a_long_line_give_the_frames_of_one_feed(twin: str) -> None:
    # (the scanner resumes past what it has seen; the cost is in the benchmarks, not asserted)
    long_line = "0-0:96.13.0(" + "41" * 3000 + ")"
    data = telegram(*DSMR5_LINES, long_line)
    scanner = _impl.current.FrameScanner(max_frame=16384)
    frames = []
    for i in range(0, len(data), 4):
        frames += scanner.feed(data[i : i + 4])
    frames += scanner.flush()
    assert [f.kind for f in frames] == ["telegram"] and frames[0].data == data.rstrip(b"\r\n")


@pytest.mark.parametrize(
    "stamp, offset, contradicts",
    [
        ("201201120000S", CET, True),  # "S" in December: the zone gives one offset
        ("201201120000W", CET, False),
        ("200601120000W", CEST, True),
        ("200601120000S", CEST, False),
        ("201025023000S", CEST, False),  # the repeated autumn hour: the flag chooses
        ("201025023000W", CET, False),
        ("200329023000S", CEST, False),  # the spring gap: the flag chooses
    ],
)
def test_the_zone_decides_and_the_flag_only_chooses(
    twin: str, stamp: str, offset: timezone, contradicts: bool
) -> None:
    data = telegram("1-3:0.2.8(50)", f"0-0:1.0.0({stamp})", f"0-1:24.2.1({stamp})(00001.000*m3)")
    t = dsmrparse.parse(data)
    assert t.timestamp.utcoffset() == offset.utcoffset(None)
    assert t.entry("0-1:24.2.1").timestamp.utcoffset() == offset.utcoffset(None)
    conflicts = [p for p in t.problems if p.kind == "value"]
    assert len(conflicts) == (2 if contradicts else 0)
    if contradicts:
        assert stamp in conflicts[0].message and t.entry("0-0:1.0.0").raw == (stamp,)
        with pytest.raises(ValueConversionError, match="contradicts"):
            dsmrparse.parse(data, strict=True)


def test_real_meters_read_exactly_as_before(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_iskra_mt382.txt"))
    assert t.ok


# ---- the twins agree on odd input, and only the library's errors escape ---------------------


ODD_HEADERS = st.one_of(
    st.sampled_from(["/", "/ISK5\\2M550T-1012", "/Test\\V5-Telegram", "/identification", "/x"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20).map(
        lambda text: "/" + text.replace("\n", "").replace("!", "")
    ),
)
GROUP = st.integers(0, 300).map(str)
CODES = st.builds(
    lambda a, b, c, d, e, sep1, sep2, space: f"{a}-{b}:{c}{sep1}{d}{sep2}{e}{space}",
    GROUP,
    GROUP,
    GROUP,
    GROUP,
    GROUP,
    st.sampled_from([".", ":"]),
    st.sampled_from([".", ":"]),
    st.sampled_from(["", " ", "\t"]),
)
VALUES = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.builds(
        lambda v, u: f"{v}*{u}",
        st.integers(-(10**25), 10**25),
        st.sampled_from(["kWh", "kW", "V", "A", "Hz", "m3", "GJ", "s", ""]),
    ),
    st.sampled_from(["", "201201120000S", "201025023000W", "200329023000S", "ON", "4142"]),
    st.text(
        st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="()"), max_size=12
    ),
)
LINES = st.builds(
    lambda code, groups: code + "".join(f"({g})" for g in groups),
    CODES,
    st.lists(VALUES, min_size=1, max_size=3),
)


@pytest.mark.skipif(len(_impl.available()) < 2, reason="the compiled twin is not built")
@given(ODD_HEADERS, st.lists(LINES, max_size=8), st.booleans())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_twins_agree_on_odd_headers_unknown_objects_and_malformed_codes(
    header: str, lines: list[str], strict: bool
) -> None:
    data = telegram(*DSMR5_LINES[:2], *lines, header=header)
    results = []
    for name in ("cython", "python"):
        previous = dsmrparse.use_implementation(name)
        try:
            t = dsmrparse.parse(data, strict=strict)
            results.append(("ok", t.to_json()))
        except dsmrparse.DsmrError as exc:  # nothing else may escape, and no bug of ours
            assert "internal error" not in str(exc)
            results.append((type(exc).__name__, str(exc)))
        finally:
            dsmrparse.use_implementation(previous)
    assert results[0] == results[1]


def test_crc_less_telegrams_with_odd_headers_survive_noise_between_them(twin: str) -> None:
    noise = b"xx\r\n/noise line\r\n!\r\n"  # a loose start whose lines are no object lines
    data = DSMR22_ODD + b"\r\n" + noise + DSMR22_ODD + b"\r\n" + DSMR22_ODD
    frames = [f for f in scan(data, 5) if f.kind != "junk" or f.data.strip()]
    kinds = [f.kind for f in frames]
    merged = [k for i, k in enumerate(kinds) if k != "junk" or kinds[i - 1 : i] != ["junk"]]
    assert merged == ["telegram", "junk", "telegram", "telegram"]


def test_odd_spellings_read_in_threads_keep_their_own_problems(twin: str) -> None:
    # the compiled twin keeps each spelling's verdict in a shared cache, filled while Python code
    # runs (and other threads may run too): every thread must still see its own spelling's words
    import threading

    from dsmrparse.obis import spelling_problem

    def case(k: int) -> tuple[bytes, list[str]]:
        code = f"1-0:{k}.8.1*{k}" if k % 2 else f"1-0:{k}:8.1"
        obis = str(dsmrparse.ObisCode.parse(code))
        line = f"{code} (000001.000*kWh)" if k % 3 == 0 else f"{code}(000001.000*kWh)"
        expected = spelling_problem(code, obis, k % 3 == 0)
        return telegram(*DSMR5_LINES[:2], line), expected

    cases = [case(k) for k in range(30, 60)]
    failures: list[str] = []

    def work(offset: int) -> None:
        for i in range(150):
            data, expected = cases[(offset + i) % len(cases)]
            got = [p.message for p in dsmrparse.parse(data).problems]
            if got != expected:
                failures.append(f"{got} != {expected}")

    threads = [threading.Thread(target=work, args=(n * 7,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
