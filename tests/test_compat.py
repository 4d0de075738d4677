"""dsmrparse.compat.dsmr_parser: dsmr_parser's surface with dsmrparse's values, on both twins.

dsmr_parser's own suite (tests/test_compat_peer_suite.py) checks the shapes; these tests check
where ours gives the right value where dsmr_parser is known to be wrong, and what stays true
whatever the input.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import fixture_bytes
from dsmrparse.compat import dsmr_parser
from dsmrparse.compat.dsmr_parser import obis_references as obis
from dsmrparse.compat.dsmr_parser import telegram_specifications as specs
from dsmrparse.compat.dsmr_parser.exceptions import InvalidChecksumError, ParseError
from dsmrparse.compat.dsmr_parser.objects import (
    CosemObject,
    MBusObject,
    ProfileGenericObject,
    Telegram,
)
from dsmrparse.compat.dsmr_parser.parsers import TelegramParser

V5 = fixture_bytes("nl/dsmr50_iskra_mt382.txt").decode("latin-1")
V4 = fixture_bytes("nl/dsmr42_kaifa.txt").decode("latin-1")


def with_crc(text: str) -> str:
    """``text`` up to and including ``!`` followed by its correct CRC."""
    body = text[: text.index("!") + 1]
    return f"{body}{TelegramParser.crc16(body):04X}\r\n"


def test_import_dsmrparse_does_not_load_the_compat_layer() -> None:
    code = (
        "import sys, dsmrparse; print(any(m.startswith('dsmrparse.compat') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_same_shapes_as_dsmr_parser(twin: str) -> None:
    t = TelegramParser(specs.V4).parse(V4)
    assert isinstance(t[obis.CURRENT_ELECTRICITY_USAGE], CosemObject)
    assert t.CURRENT_ELECTRICITY_USAGE.values == [{"value": Decimal("2.027"), "unit": "kW"}]
    assert t.ELECTRICITY_ACTIVE_TARIFF.value == "0002"  # text, as dsmr_parser gives it
    assert t.SHORT_POWER_FAILURE_COUNT.value == 15
    log = t.POWER_EVENT_FAILURE_LOG
    assert isinstance(log, ProfileGenericObject) and log.buffer_length == 3
    assert [e.value for e in log.buffer] == [237126, 2147583646, 2317482647]
    assert isinstance(t.HOURLY_GAS_METER_READING, MBusObject)
    assert t.HOURLY_GAS_METER_READING.datetime == datetime(2016, 11, 29, 19, tzinfo=timezone.utc)
    assert t.P1_MESSAGE_TIMESTAMP.value.tzinfo is timezone.utc
    names = [name for name, _ in t]
    assert names[:3] == ["P1_MESSAGE_HEADER", "P1_MESSAGE_TIMESTAMP", "EQUIPMENT_IDENTIFIER"]
    data = json.loads(t.to_json())
    assert data["CURRENT_ELECTRICITY_USAGE"] == {"value": 2.027, "unit": "kW"}
    assert "CURRENT_ELECTRICITY_USAGE: \t 2.027\t[kW]\n" in str(t)


def test_mbus_devices_by_channel(twin: str) -> None:
    text = fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt").decode("latin-1")
    t = TelegramParser(specs.V5).parse(text)
    assert [d.channel_id for d in t.MBUS_DEVICES] == [1, 2]
    gas = t.get_mbus_device_by_channel(2)
    assert gas is not None and gas.MBUS_DEVICE_TYPE.value == 3
    assert gas.MBUS_METER_READING.value == Decimal("246.138")
    dead = t.get_mbus_device_by_channel(1)
    assert dead is not None and dead.MBUS_METER_READING.datetime is None  # 700101010000W
    assert t.get_mbus_device_by_channel(3) is None
    assert json.loads(gas.to_json())["CHANNEL_ID"] == 2


def test_the_s_w_flag_decides_the_repeated_october_hour(twin: str) -> None:
    """dsmr_parser ignores the flag and gives both the same instant."""
    summer = with_crc(V5.replace("170102192002W", "221030023000S"))
    winter = with_crc(V5.replace("170102192002W", "221030023000W"))
    parser = TelegramParser(specs.V5)
    first = parser.parse(summer).P1_MESSAGE_TIMESTAMP.value
    second = parser.parse(winter).P1_MESSAGE_TIMESTAMP.value
    assert first == datetime(2022, 10, 30, 0, 30, tzinfo=timezone.utc)
    assert second == datetime(2022, 10, 30, 1, 30, tzinfo=timezone.utc)


def test_timestamps_in_the_meters_own_zone(twin: str) -> None:
    """A Lithuanian meter writes Vilnius time (UTC+2 in winter); dsmr_parser reads it as
    Amsterdam time, an hour off."""
    text = with_crc(V5.replace("/ISk5\\2MT382-1000", "/ESO5\\2MT382-1000"))
    assert dsmrparse.parse(text).profile == "lithuania"
    stamp = TelegramParser(specs.V5).parse(text).P1_MESSAGE_TIMESTAMP.value
    assert stamp == datetime(2017, 1, 2, 17, 20, 2, tzinfo=timezone.utc)


def test_non_ascii_bytes_are_read_not_raised(twin: str) -> None:
    """dsmr_parser's protocol raises UnicodeDecodeError on such bytes; here the line is read."""
    odd = with_crc(V5.replace("0-0:96.13.0()", "0-0:96.13.0(Caf\xe9 \xb0C)"))
    t = TelegramParser(specs.V5).parse(odd.encode("latin-1"))
    assert t.TEXT_MESSAGE.value == "Caf\xe9 \xb0C"
    assert t.CURRENT_ELECTRICITY_USAGE.value == Decimal("0.244")


def test_a_bad_line_is_left_out_and_logged_or_raised(
    twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    bad = with_crc(V5.replace("1-0:1.7.0(00.244*kW)", "1-0:1.7.0(00.2x4*kW)"))
    parser = TelegramParser(specs.V5)
    with caplog.at_level(logging.ERROR):
        t = parser.parse(bad)
    assert obis.CURRENT_ELECTRICITY_USAGE not in t
    assert "CURRENT_ELECTRICITY_USAGE" in caplog.text
    with pytest.raises(ParseError, match="line 11"):
        parser.parse(bad, throw_ex=True)


def test_checksums(twin: str) -> None:
    parser = TelegramParser(specs.V5)
    broken = V5.replace("00.244", "00.245")
    with pytest.raises(InvalidChecksumError, match="does not match"):
        parser.parse(broken)
    assert TelegramParser(specs.V5, apply_checksum_validation=False).parse(broken)
    with pytest.raises(ParseError, match="incomplete"):
        TelegramParser.validate_checksum(V5[: V5.index("!") + 1])
    TelegramParser.validate_checksum(V5)
    assert TelegramParser.crc16(V5[: V5.index("!") + 1]) == 0x6EEE
    assert isinstance(InvalidChecksumError("x"), dsmrparse.DsmrError)


def test_every_spec_reads_its_own_fixture_like_dsmrparse(twin: str) -> None:
    """The Decimal values agree with dsmrparse's own reading of the same lines."""
    cases = [
        (specs.V2_2, "nl/dsmr22_iskra_mt382.txt"),
        (specs.V3, "nl/dsmr30_iskra_mt382_text_message.txt"),
        (specs.V4, "nl/dsmr42_kaifa.txt"),
        (specs.V5, "nl/dsmr50_landis_e350.txt"),
        (specs.BELGIUM_FLUVIUS, "be/fluvius_emucs171.txt"),
        (specs.EON_HUNGARY, "hu/eon_sagemcom.txt"),
        (specs.ISKRA_IE, "be/iskra_ie5.txt"),
        (specs.Q3D, "de/easymeter_q3db1024.txt"),
    ]
    for spec, path in cases:
        raw = fixture_bytes(path)
        ours = dsmrparse.parse(raw)
        t = TelegramParser(spec).parse(raw.decode("latin-1"))
        assert len(t) > 0, path
        for name, obj in t:
            if isinstance(obj, CosemObject) and isinstance(obj.value, Decimal):
                assert any(e.value == obj.value for e in ours.entries), (path, name)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_input_gives_a_telegram_or_a_parse_error(twin: str, data: bytes | str) -> None:
    for spec in (specs.V5, specs.V2_2, specs.SAGEMCOM_T210_D_R):
        try:
            result = TelegramParser(spec).parse(data, encryption_key="AA" * 16)
        except dsmrparse.DsmrError:  # ParseError, InvalidChecksumError, DecryptionError
            continue
        assert isinstance(result, Telegram)


def test_package_is_importable_as_one_name() -> None:
    assert dsmr_parser.obis_references.CURRENT_ELECTRICITY_USAGE == r"^\d-\d:1\.7\.0.+?\r\n"
    assert dsmr_parser.telegram_specifications.ALL == (specs.V2_2, specs.V3, specs.V4, specs.V5)


def test_the_migration_guide_holds_the_generated_tables_and_every_difference() -> None:
    from pathlib import Path

    from dsmrparse.compat import names
    from test_compat_peer_suite import EXPECTED_TO_DIFFER

    guide = (Path(__file__).resolve().parent.parent / "docs" / "migrating.md").read_text()
    assert names.spec_table() in guide
    assert names.name_table() in guide
    for node, reason in EXPECTED_TO_DIFFER.items():
        assert f"| `{node}` | {reason} |" in guide, node
    constants = [n for n in vars(obis) if n.isupper() and not n.startswith("_")]
    assert all(f"| `{n}` |" in guide for n in constants if isinstance(getattr(obis, n), str))


def test_alias_makes_import_dsmr_parser_resolve_here() -> None:
    code = (
        "from dsmrparse.compat import alias_dsmr_parser; alias_dsmr_parser();"
        "from dsmr_parser.clients.protocol import create_dsmr_reader;"
        "import dsmr_parser.objects as o; print(create_dsmr_reader.__module__, o.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "dsmrparse.compat.dsmr_parser.clients.protocol",
        "dsmrparse.compat.dsmr_parser.objects",
    ]


def test_the_layout_plan_builds_what_the_general_path_builds(twin: str) -> None:
    """The per-layout plan is a shortcut of Telegram.add: same names, order, dict keys, MBus
    grouping, str and JSON, on every fixture and every specification that reads it."""
    import glob
    from pathlib import Path

    from dsmrparse.values import time_context

    root = Path(__file__).parent / "fixtures"
    compared = 0
    for path in sorted(glob.glob(str(root / "**" / "*.txt"), recursive=True)):
        try:
            parsed = dsmrparse.parse(Path(path).read_bytes())
        except dsmrparse.DsmrError:
            continue
        profile = parsed.profile_object
        ctx = time_context(profile.timezone, profile.dst_flags)
        for name in specs.__all__:
            spec = getattr(specs, name)
            if not isinstance(spec, dict):
                continue
            parser = TelegramParser(spec)
            planned = parser.from_dsmrparse(parsed)
            general = parser._from_hits(parsed.entries, ctx, throw_ex=False)
            assert [n for n, _ in planned] == [n for n, _ in general], (path, name)
            assert [(k, repr(v)) for k, v in planned.items()] == [
                (k, repr(v)) for k, v in general.items()
            ]
            assert str(planned) == str(general) and planned.to_json() == general.to_json()
            assert {k: repr(v) for k, v in vars(planned).items() if "MBUS" not in k.upper()} == {
                k: repr(v) for k, v in vars(general).items() if "MBUS" not in k.upper()
            }
            assert [str(d) for d in planned._mbus_devices] == [
                str(d) for d in general._mbus_devices
            ]
            compared += 1
    assert compared > 100


def test_line_parsers_read_one_line_of_text(twin: str) -> None:
    from dsmrparse.compat.dsmr_parser.parsers import CosemParser, MBusParser, ValueParser
    from dsmrparse.compat.dsmr_parser.value_types import timestamp

    cosem = CosemParser(ValueParser(Decimal)).parse("1-0:1.8.1(001581.123*kWh)\r\n")
    assert (cosem.obis_id_code, cosem.value, cosem.unit) == ((1, 0), Decimal("1581.123"), "kWh")
    gas = MBusParser(ValueParser(timestamp), ValueParser(Decimal)).parse(
        "0-1:24.2.1(161129200000W)(00981.443*m3)\r\n"
    )
    assert gas.obis_id_code == (0, 1) and gas.is_mbus_reading
    assert gas.datetime == datetime(2016, 11, 29, 19, tzinfo=timezone.utc)
    with pytest.raises(ParseError, match="expects 2"):
        MBusParser(ValueParser(timestamp), ValueParser(Decimal)).parse("0-1:24.2.1(1)\r\n")


def test_a_capture_that_lost_its_cr_bytes_passes_the_crc(twin: str) -> None:
    """The CRC matches once LF is read as CRLF (dsmr_parser rejects such a capture)."""
    lf = V5.replace("\r\n", "\n")
    TelegramParser.validate_checksum(lf)
    assert TelegramParser(specs.V5).parse(lf).CURRENT_ELECTRICITY_USAGE.value == Decimal("0.244")
