"""The parsing core: CRC, tokenizer cases, typed values, strict and lenient modes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import dsmrparse
from conftest import FIXTURES, fixture_bytes
from dsmrparse import CrcError, DsmrError, FramingError, LineSyntaxError, ValueConversionError

MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
CRC_OK = [e["file"] for e in MANIFEST if e["crc"] == "ok" and not e["file"].startswith("streams")]
CRC_OK_AFTER_CRLF = [e["file"] for e in MANIFEST if e["crc"] == "ok-after-crlf"]
CRC_BAD = [e["file"] for e in MANIFEST if e["file"].startswith("bad/")]
DSMR5 = [e["file"] for e in MANIFEST if e["family"] == "dsmr5" and not e["file"].startswith("bad/")]

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))


def telegram(*lines: str, crc: bool = True, eol: str = "\r\n") -> bytes:
    """A telegram made of these object lines, with a correct CRC unless crc=False."""
    body = eol.join(["/ISK5\\2M550T-1012", "", *lines, "!"]).encode("latin-1")
    if not crc:
        return body + eol.encode()
    value = dsmrparse._impl.current.crc16(body.replace(b"\n", b"\r\n") if eol == "\n" else body)
    return body + f"{value:04X}".encode() + eol.encode()


@pytest.mark.parametrize("name", CRC_OK)
def test_every_crc_ok_file_parses_with_crc_ok(twin: str, name: str) -> None:
    t = dsmrparse.parse(fixture_bytes(name))
    assert t.crc == "ok"
    assert not t.crc_repaired
    assert t.crc_given == t.crc_computed


@pytest.mark.parametrize("name", DSMR5)
def test_every_dsmr5_file_parses_cleanly(twin: str, name: str) -> None:
    t = dsmrparse.parse(fixture_bytes(name), strict=True)
    assert t.crc == "ok"
    assert t.timestamp is not None and t.timestamp.tzinfo is not None


@pytest.mark.parametrize("name", CRC_OK_AFTER_CRLF)
def test_lf_only_capture_is_checked_as_crlf(twin: str, name: str) -> None:
    t = dsmrparse.parse(fixture_bytes(name))
    assert t.line_ending == "LF"
    assert t.crc == "ok"
    assert t.crc_repaired
    assert t.to_dict()["crc"]["checked_as_crlf"] is True


def test_lf_stream_capture_can_be_checked(twin: str) -> None:
    data = fixture_bytes("streams/iskra_am550_566_telegrams_lf.txt")
    first = data.index(b"/")
    second = data.index(b"\n/", first) + 1
    t = dsmrparse.parse(data[second : data.index(b"\n/", second) + 1])
    assert (t.crc, t.line_ending, t.crc_repaired) == ("ok", "LF", True)


@pytest.mark.parametrize("name", CRC_BAD)
def test_bad_crc_names_both_values(twin: str, name: str) -> None:
    data = fixture_bytes(name)
    t = dsmrparse.parse(data)
    assert t.crc == "bad"
    given, computed = f"{t.crc_given:04X}", f"{t.crc_computed:04X}"
    assert given != computed
    with pytest.raises(CrcError) as info:
        dsmrparse.parse(data, strict=True)
    assert given in str(info.value) and computed in str(info.value)
    assert (info.value.expected, info.value.computed) == (t.crc_given, t.crc_computed)


def test_three_digit_and_lower_case_crc(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/heat_warmtelink_unpadded_crc.txt"))
    assert t.crc == "ok" and t.crc_given == 0xB9F
    good = telegram("1-0:1.8.1(000001.000*kWh)")
    lower = good[:-6] + good[-6:-2].lower() + b"\r\n"
    assert dsmrparse.parse(lower).crc == "ok"


def test_values_are_exact_decimals_with_units(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt"))
    value = t["electricity_imported_tariff_1"]
    assert isinstance(value, Decimal) and value == Decimal("2130.115")
    assert t.entry("1-0:1.8.1").unit == "kWh"
    assert t["1-0:1.8.1"] == value
    assert t["voltage_l1"] == Decimal("229.9")
    assert t["tariff_indicator"] == 1
    assert t["equipment_id"] == "E0044007382246019"
    assert t.entry("equipment_id").raw == ("4530303434303037333832323436303139",)
    assert t.timestamp == datetime(2020, 4, 26, 22, 33, 25, tzinfo=CEST)


def test_mbus_devices_and_dead_channel(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt"))
    assert sorted(t.mbus) == [1, 2]
    assert not t.mbus[1].alive
    assert t.mbus[2].alive and t.mbus[2].kind == "gas"
    assert t.gas is not None and t.gas.value == Decimal("246.138") and t.gas.unit == "m3"
    assert t["gas"] == Decimal("246.138")
    pinned = dsmrparse.parse(
        fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt"), mbus_channels={"gas": 1}
    )
    assert pinned.gas is not None and pinned.gas.timestamp is None
    assert pinned.to_dict()["mbus_channels"]["gas"] == 1


def test_power_failure_log(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr42_kaifa.txt"))
    log = t["power_failure_log"]
    assert len(log) == 3
    assert log[0].end == datetime(2000, 1, 4, 18, 3, 20, tzinfo=CET)
    assert log[0].duration == 237126 and log[0].unit == "s"


@pytest.mark.parametrize(
    ("stamp", "expected_utc"),
    [
        # the repeated October hour: the flag tells the two 02:30 apart
        ("201025023000S", datetime(2020, 10, 25, 0, 30, tzinfo=timezone.utc)),
        ("201025023000W", datetime(2020, 10, 25, 1, 30, tzinfo=timezone.utc)),
        # the March gap: 01:59:59 W and 03:00:00 S are one second apart
        ("200329015959W", datetime(2020, 3, 29, 0, 59, 59, tzinfo=timezone.utc)),
        ("200329030000S", datetime(2020, 3, 29, 1, 0, 0, tzinfo=timezone.utc)),
    ],
)
def test_dst_flag_decides_the_offset(twin: str, stamp: str, expected_utc: datetime) -> None:
    t = dsmrparse.parse(telegram(f"0-0:1.0.0({stamp})"))
    assert t.timestamp == expected_utc
    assert t.timestamp is not None and t.timestamp.utcoffset() in (
        timedelta(hours=1),
        timedelta(hours=2),
    )


def test_timestamp_without_flag_uses_the_profile_zone(twin: str) -> None:
    t = dsmrparse.parse(telegram("0-0:1.0.0(200701120000)", "0-0:1.0.0(200101120000)"))
    assert t.timestamp == datetime(2020, 7, 1, 12, tzinfo=CEST)


@pytest.mark.parametrize("sentinel", ["632525252525W", "000101000000W", "700101010000W"])
def test_sentinel_timestamps_become_none(twin: str, sentinel: str) -> None:
    t = dsmrparse.parse(telegram(f"0-1:24.2.1({sentinel})(00000000)"))
    e = t.entry("0-1:24.2.1")
    assert e.timestamp is None and e.raw[0] == sentinel and e.error is None


def test_obis_suffix_empty_groups_and_two_digit_groups(twin: str) -> None:
    t = dsmrparse.parse(
        telegram("1-0:1.8.1*255(000001.000*kWh)", "0-0:96.7.21(00004)", "0-0:96.13.0()")
    )
    assert t["1-0:1.8.1"] == Decimal("1.000")
    assert t["power_failures"] == 4
    assert t["text_message"] is None  # "()": not present (issue 10)
    assert not t.problems


def test_nul_and_padding_after_crc_are_ignored(twin: str) -> None:
    data = telegram("1-0:1.8.1(000001.000*kWh)") + b"\x00\x00\xff\xff"
    t = dsmrparse.parse(data)
    assert t.crc == "ok" and not t.problems


def test_legacy_gas_record_spans_the_line_break(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr22_iskra_mt382.txt"))
    e = t.entry("0-1:24.3.0")
    assert e.raw[-1] == "00001.001"
    assert t.crc == "absent"


def test_unknown_objects_are_kept_raw(twin: str) -> None:
    t = dsmrparse.parse(telegram("1-0:1.8.1(000001.000*kWh)", "9-9:9.9.9(abc)(def)"))
    e = t.entry("9-9:9.9.9")
    # no shape rule reads two text groups: a generated name, no value, the raw groups kept
    assert e.name == "obis_9_9_9_9_9" and e.generated and e.value is None
    assert e.raw == ("abc", "def") and t.ok
    assert t.to_dict()["objects"][-1]["raw"] == ["abc", "def"]


def test_a_bad_value_is_kept_raw_with_its_error(twin: str) -> None:
    data = telegram("1-0:1.8.1(00x001.000*kWh)", "1-0:1.8.2(000002.000*kWh)")
    t = dsmrparse.parse(data)
    e = t.entry("1-0:1.8.1")
    assert e.value is None and e.raw == ("00x001.000*kWh",) and "not a number" in (e.error or "")
    assert t["1-0:1.8.2"] == Decimal("2.000")
    (problem,) = t.problems
    assert (problem.kind, problem.line, problem.obis) == ("value", 3, "1-0:1.8.1")
    with pytest.raises(ValueConversionError) as info:
        dsmrparse.parse(data, strict=True)
    assert info.value.line == 3 and info.value.obis == "1-0:1.8.1"
    assert "line 3" in str(info.value)


def test_syntax_errors_say_where(twin: str) -> None:
    data = telegram("1-0:1.8.1(000001.000*kWh", "1-0:1.8.2(000002.000*kWh)")
    t = dsmrparse.parse(data)
    assert [p.kind for p in t.problems] == ["syntax"]
    assert t["1-0:1.8.2"] == Decimal("2.000")
    with pytest.raises(LineSyntaxError) as info:
        dsmrparse.parse(data, strict=True)
    assert info.value.line == 3 and info.value.offset is not None


def test_no_header_and_no_end(twin: str) -> None:
    with pytest.raises(FramingError):
        dsmrparse.parse(b"1-0:1.8.1(000001.000*kWh)\r\n!1234\r\n")
    t = dsmrparse.parse(b"/ISK5\\2MT382-1000\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n")
    assert t.crc == "absent" and [p.kind for p in t.problems][0] == "framing"
    with pytest.raises(FramingError):
        dsmrparse.parse(b"/ISK5\\2MT382-1000\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n", strict=True)


def test_missing_crc_on_a_crc_profile_is_a_problem(twin: str) -> None:
    t = dsmrparse.parse(telegram("1-3:0.2.8(50)", "1-0:1.8.1(000001.000*kWh)", crc=False))
    assert t.crc == "absent"
    assert any(p.kind == "crc" for p in t.problems)


def test_str_input_is_latin1(twin: str) -> None:
    data = fixture_bytes("nl/dsmr50_landis_e350.txt")
    assert dsmrparse.parse(data.decode("latin-1")).to_dict() == dsmrparse.parse(data).to_dict()
    with pytest.raises(FramingError):
        dsmrparse.parse("/ISK5 \u20ac")


def test_telegram_is_immutable(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_landis_e350.txt"))
    with pytest.raises(AttributeError):
        t.crc = "ok"  # type: ignore[misc]
    assert t.raw == fixture_bytes("nl/dsmr50_landis_e350.txt")
    with pytest.raises(KeyError):
        t["no_such_field"]
    assert t.get("no_such_field", 5) == 5


def test_interchange_form_is_json_with_exact_numbers(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt"))
    text = t.to_json()
    assert '"value":2130.115' in text and '"value":0.000' in text
    d = json.loads(text, parse_float=Decimal)
    assert d["format"] == "dsmrparse/1"
    assert d["crc"] == {
        "status": "ok",
        "given": "56DD",
        "computed": "56DD",
        "checked_as_crlf": False,
    }
    assert d["timestamp"] == "2020-04-26T22:33:25+02:00"
    first = d["objects"][3]
    assert first == {
        "obis": "1-0:1.8.1",
        "name": "electricity_imported_tariff_1",
        "value": Decimal("2130.115"),
        "unit": "kWh",
        "raw": ["002130.115*kWh"],
        "line": 6,
    }
    gas = [m for m in d["mbus"] if m["channel"] == 2][0]
    assert gas["kind"] == "gas" and gas["value"] == Decimal("246.138") and gas["alive"]


ALL_TELEGRAMS = [e["file"] for e in MANIFEST if e["line_endings"] != "binary"]


@pytest.mark.parametrize("name", ALL_TELEGRAMS)
def test_twins_give_identical_interchange_form(name: str) -> None:
    twins = dsmrparse._impl.available()
    if len(twins) < 2:
        pytest.skip("the compiled twin is not built here")
    data = fixture_bytes(name)
    forms = []
    for twin_name in twins:
        previous = dsmrparse.use_implementation(twin_name)
        try:
            try:
                forms.append(dsmrparse.parse(data).to_json())
            except DsmrError as exc:
                forms.append(f"{type(exc).__name__}: {exc}")
        finally:
            dsmrparse.use_implementation(previous)
    assert forms[0] == forms[1]


def test_implementation_is_reported() -> None:
    assert dsmrparse.implementation() in ("cython", "python")


def test_a_slash_in_leading_noise_is_not_the_header(twin: str) -> None:
    data = fixture_bytes("nl/dsmr50_landis_e350.txt")
    t = dsmrparse.parse(b"GET /api 200\r\n" + data)
    assert t.header.text == dsmrparse.parse(data).header.text
    assert t.crc == "ok"
    assert [p.kind for p in t.problems] == ["framing"]  # the noise is reported


def test_an_unreadable_line_stays_as_a_raw_entry(twin: str) -> None:
    t = dsmrparse.parse(telegram("1-0:1.8.1(000001.000*kWh)", "0-0:96.13.0(a(b)c)"))
    e = t.entries[-1]
    assert (e.obis, e.name, e.value, e.raw, e.line) == (
        "0-0:96.13.0",
        None,
        None,
        ("0-0:96.13.0(a(b)c)",),
        4,
    )
    assert e.error and [p.kind for p in t.problems] == ["syntax"]


def test_bytes_after_the_end_are_a_problem(twin: str) -> None:
    data = fixture_bytes("nl/dsmr50_landis_e350.txt")
    t = dsmrparse.parse(data + data)
    assert t.crc == "ok"
    assert [p.kind for p in t.problems] == ["framing"]
    assert "after the end" in t.problems[0].message
    q3d = dsmrparse.parse(fixture_bytes("de/easymeter_q3db1024.txt"))  # its gateway's trailer
    assert q3d.problems == ()


def test_lf_telegram_whose_crc_covers_the_lf_bytes(twin: str) -> None:
    body = b"/ISK5\\2M550T-1012\n\n1-0:1.8.1(000001.000*kWh)\n!"
    crc = dsmrparse._impl.current.crc16(body)
    t = dsmrparse.parse(body + f"{crc:04X}\n".encode())
    assert t.crc == "ok" and not t.crc_repaired and t.line_ending == "LF"


def test_more_than_one_telegram_of_bytes_is_refused(twin: str) -> None:
    with pytest.raises(FramingError):
        dsmrparse.parse(b"(1)\r\n" * 20000)


@pytest.mark.parametrize("name", ["nl/dsmr42_kaifa.txt", "be/fluvius_emucs171_sentinel.txt"])
def test_json_writer_matches_the_plain_writer(twin: str, name: str) -> None:
    from dsmrparse._jsonform import _dumps_slowly, dumps

    d = dsmrparse.parse(fixture_bytes(name)).to_dict()
    assert dumps(d) == _dumps_slowly(d)
    clash = {"a": Decimal("1.50"), "b": "\ue000", "c": [Decimal("-0.001")]}  # a marker look-alike
    assert dumps(clash) == _dumps_slowly(clash) == '{"a":1.50,"b":"\ue000","c":[-0.001]}'


@pytest.mark.parametrize("name", ALL_TELEGRAMS)
def test_mbus_channels_in_the_form_are_what_mbus_device_says(twin: str, name: str) -> None:
    try:
        plain = dsmrparse.parse(fixture_bytes(name))
    except DsmrError:
        return  # not one telegram (a capture): nothing to compare
    for pins in (None, {"gas": 1}, {"gas": 2, "water": 9}, {"heat": 3}):
        t = dsmrparse.parse(plain.raw, mbus_channels=pins)
        expected = {}
        for kind in ("gas", "water", "heat"):
            device = t.mbus_device(kind)
            expected[kind] = None if device is None else device.channel
        assert t.to_dict()["mbus_channels"] == expected
