"""The whole corpus (tests/fixtures/manifest.json): every telegram parses under its family with no
unexplained problem, and agrees with the golden output of another parser (athom/*.json) except
where that output is wrong, for the reasons listed in ``GOLDEN_WRONG``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

import dsmrparse
from conftest import FIXTURES, fixture_bytes
from dsmrparse import _impl

MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))

FAMILY = {
    "dsmr2.2": "dsmr3",
    "dsmr3": "dsmr3",
    "dsmr4": "dsmr4",
    "dsmr5": "dsmr5",
    "belgium": "belgium",
    "hungary": "hungary",
    "austria": "austria",
    "q3d": "q3d",
}
# where the manifest's broad family has a narrower profile of its own
PROFILE = {
    "nl/heat_warmtelink_unpadded_crc.txt": "warmtelink",  # heat-only DSMR 5 set
    "be/iskra_ie5.txt": "iskra_ie5",  # Belgian meter whose DST flag is ignored
    "bad/wrong_crc_sagemcom.txt": "belgium",  # /FLU5 header and 0-0:96.1.4: a Belgian telegram
    "athom/dsmr-2.2-kfm-1.txt": "dsmr3",
    "athom/dsmr-3.0-spec-example.txt": "dsmr3",
    "athom/dsmr-4.0-isk-1.txt": "dsmr4",
    "athom/dsmr-4.0-isk-2.txt": "dsmr4",
    "athom/dsmr-4.0-spec-example.txt": "dsmr4",
    "athom/dsmr-4.2-kfm-1.txt": "dsmr4",
    "athom/dsmr-4.2-xmx-1.txt": "dsmr4",
    "athom/dsmr-4.2.2-spec-example.txt": "dsmr4",
    "athom/dsmr-5.0-ene-1.txt": "dsmr5",
    "athom/dsmr-5.0-ene-2.txt": "dsmr5",
    "athom/dsmr-5.0-ene-3.txt": "dsmr5",
    "athom/dsmr-5.0-est-units.txt": "austria",  # /EST5 header, Wh units
    "athom/dsmr-5.0-isk-1.txt": "dsmr5",
    "athom/dsmr-5.0-spec-example-lowercase.txt": "dsmr5",
    "athom/dsmr-5.0-spec-example.txt": "dsmr5",
    "athom/dsmr-luxembourgh-spec-example.txt": "luxembourg",
    "athom/emucs-p1-v2.1.1-spec-example-1.txt": "belgium",
    "athom/emucs-p1-v2.1.1-spec-example-2.txt": "belgium",
    "athom/iskra-mt-382-no-crc-with-text-message.txt": "dsmr3",
    "athom/iskra-mt-382-no-crc.txt": "dsmr3",
    "athom/kamstrup-OMNIA-e-meter-three-phase.txt": "sweden",
    "athom/sagemcom-xt211.txt": "swiss",
    "athom/unknown-xmx-1.txt": "dsmr3",  # no version object, no timestamp, no CRC
}
# problems that are the telegram's own, beyond what its "crc" column says
EXPLAINED = {
    "athom/kamstrup-OMNIA-e-meter-three-phase.txt": ["value"],  # 0-0:1.0.0(250000000000W): month 0
    "athom/sagemcom-xt211.txt": ["value"],  # 0-0:1.0.0(123412341234W): month 34 (anonymised)
    # 1-0:99:97.0 and 1-0:72:32.0: a ':' in place of a '.', read and reported (issue 10)
    "athom/dsmr-4.0-isk-1.txt": ["syntax", "syntax"],
    "athom/dsmr-4.0-spec-example.txt": ["syntax", "syntax"],
    "athom/dsmr-4.2.2-spec-example.txt": ["syntax"],
    # 0-1:24.2.1(210606140010W): a winter flag in June, the zone's offset kept (issue 10)
    "bad/homewizard_doc_mangled_header_lf.txt": ["value"],
}
EXPECTED_CRC_PROBLEMS = {
    "ok": [],
    "ok-after-crlf": [],
    "absent": [],
    "bad": ["crc"],
    "no-end": ["framing"],
}

SINGLE = [m for m in MANIFEST if m["family"] not in ("stream", "encrypted")]


@pytest.mark.parametrize("item", SINGLE, ids=[m["file"] for m in SINGLE])
def test_telegram_parses_under_its_family(twin: str, item: dict[str, Any]) -> None:
    t = dsmrparse.parse(fixture_bytes(item["file"]))
    assert t.profile == PROFILE.get(item["file"], FAMILY.get(item["family"]))
    kinds = sorted(p.kind for p in t.problems)
    expected = sorted(EXPECTED_CRC_PROBLEMS[item["crc"]] + EXPLAINED.get(item["file"], []))
    assert kinds == expected, t.problems
    assert t.crc == {"ok-after-crlf": "ok", "no-end": "absent"}.get(item["crc"], item["crc"])


def test_encrypted_fixtures(twin: str) -> None:
    pytest.importorskip("cryptography")
    notes = {m["file"]: m for m in MANIFEST if m["family"] == "encrypted"}
    assert len(notes) == 3
    t = dsmrparse.parse(
        fixture_bytes("at/sagemcom_t210dr_encrypted.bin"),
        key="AA" * 16,
        auth_key="00112233445566778899AABBCCDDEEFF",
    )
    assert t.profile == "austria" and t.problems == ()
    for name in ("with", "without"):
        frame = bytes.fromhex(
            fixture_bytes(f"athom/encrypted/dsmr-luxembourgh-spec-example-{name}-aad.txt").decode(
                "ascii"
            )
        )
        auth = "ffeeddccbbaa99887766554433221100" if name == "with" else None
        t = dsmrparse.parse(frame, key="0123456789abcdef0123456789abcdef", auth_key=auth)
        assert t.profile == "luxembourg" and [p.kind for p in t.problems] == ["crc"]


@pytest.mark.parametrize(
    "relative, telegrams, family",
    [
        ("streams/garbage_between_telegrams.txt", 2, "dsmr4"),
        ("streams/iskra_am550_566_telegrams_lf.txt", 566, "dsmr5"),
    ],
)
def test_streams(twin: str, relative: str, telegrams: int, family: str) -> None:
    scanner = _impl.current.FrameScanner()
    frames = scanner.feed(fixture_bytes(relative)) + scanner.flush()
    parsed = [dsmrparse.parse(f.data) for f in frames if f.kind == "telegram"]
    assert len(parsed) == telegrams
    assert all(t.crc == "ok" and t.problems == () and t.profile == family for t in parsed)


# ---- golden values of athombv/node-dsmr-parser ------------------------------------------------

WALL_CLOCK = "their time is the meter's wall clock labelled UTC (offset and DST flag ignored)"
LOST_DIGITS = "their number lost digits: an 18-digit code does not fit a JavaScript number"
ROLLED_OVER = (
    "the meter's date is invalid; theirs rolls it over to another date, ours keeps it "
    "raw with a value problem"
)

# every place their golden output differs from ours and why ours is right (timestamps aside,
# which all differ for WALL_CLOCK; see test_golden_values)
GOLDEN_WRONG = {
    ("dsmr-3.0-spec-example", "metadata.numericMessage"): LOST_DIGITS,
    ("kamstrup-OMNIA-e-meter-three-phase", "metadata.timestamp"): ROLLED_OVER,
    ("sagemcom-xt211", "metadata.timestamp"): ROLLED_OVER,
}
_SCALE = {"kwh": 1000, "kw": 1000}  # they give Wh and W


def _flatten(obj: Any, path: str = "") -> Any:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flatten(value, f"{path}.{key}" if path else key)
    else:
        yield path, obj


def _utc_text(stamp: datetime | None) -> str | None:
    return (
        None if stamp is None else stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    )


def _wall_text(t: dsmrparse.Telegram, path: str) -> str | None:
    parts = path.split(".")
    e = t.entry("timestamp") if parts[0] == "metadata" else None
    if parts[0] == "mBus":
        reading = t.mbus[int(parts[1])].reading
        stamp = reading.timestamp if reading else None
    else:
        stamp = e.value if e else None
    return None if stamp is None else stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _register(t: dsmrparse.Telegram, name: str, scaled: bool = True) -> Any:
    e = t.entry(name)
    if e.value is None or not scaled:
        return e.value
    return e.value * _SCALE.get((e.unit or "").casefold(), 1)


def _ours(t: dsmrparse.Telegram, path: str) -> Any:
    """Our value for one of their fields, in their representation."""
    p = path.split(".")
    if p[0] == "metadata":
        simple = {
            "timestamp": lambda: _utc_text(t.timestamp),
            "equipmentId": lambda: t.entry("equipment_id").raw[0],
            "serialNumber": lambda: t["ean"],
            "dsmrVersion": lambda: Decimal(t["p1_version"]) / 10,  # "42" -> 4.2
            "textMessage": lambda: t.entry("text_message").raw[0],  # they keep the hex
            "numericMessage": lambda: int(t.entry("text_message_code").raw[0] or 0),
        }
        if p[1] in simple:
            return simple[p[1]]()
        counts = {"powerFailures": "power_failures", "longPowerFailures": "long_power_failures"}
        if p[2] in counts:
            return t[counts[p[2]]]
        kind = "sags" if p[2] == "voltageSags" else "swells"
        return t[f"voltage_{kind}_{p[3]}"]
    if p[0] == "electricity":
        direction = {"received": "imported", "returned": "exported"}
        if p[1] == "tariffs":
            return _register(t, f"electricity_{direction[p[3]]}_tariff_{p[2]}")
        if p[1] == "total":
            return _register(t, f"electricity_{direction[p[2]]}_total")
        if p[1] == "currentTariff":
            return t["tariff_indicator"]
        if p[1] in ("powerReceivedTotal", "powerReturnedTotal"):
            return _register(t, "power_imported" if "Received" in p[1] else "power_exported")
        if p[1] in ("powerReceived", "powerReturned"):
            return _register(t, f"power_{direction[p[1][5:].lower()]}_{p[2]}")
        return _register(t, f"{p[1]}_{p[2]}", scaled=False)  # voltage, current
    device = t.mbus[int(p[1])]
    reading = device.reading
    ids = [e for e in t.entries if e.name == "mbus_equipment_id" and e.obis[2] == p[1]]
    return {
        "deviceType": lambda: device.device_type,
        "equipmentId": lambda: ids[0].raw[0],
        "timestamp": lambda: _utc_text(reading.timestamp if reading else None),
        "value": lambda: reading.value if reading else None,
        "unit": lambda: reading.unit if reading else None,
        "recordingPeriodMinutes": lambda: int(t.entry(f"0-{p[1]}:24.3.0").raw[2]),
    }[p[2]]()


def _agrees(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, (int, float)) and isinstance(ours, (int, Decimal)):
        return Decimal(str(theirs)) == Decimal(ours)
    return bool(ours == theirs)


def golden_disagreements() -> list[tuple[str, str, Any, Any, str | None]]:
    """(file, field, theirs, ours, reason) for every field where the goldens differ from us."""
    out = []
    for path in sorted((FIXTURES / "athom").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        t = dsmrparse.parse(path.with_suffix(".txt").read_bytes())
        for key in ("metadata", "electricity", "mBus"):
            for field, theirs in _flatten(gold.get(key, {}), key):
                ours = _ours(t, field)
                if _agrees(ours, theirs):
                    continue
                reason = GOLDEN_WRONG.get((path.stem, field))
                wall = field.endswith("timestamp") and theirs == _wall_text(t, field)
                if reason is None and wall:
                    reason = WALL_CLOCK
                out.append((path.stem, field, theirs, ours, reason))
    return out


def test_golden_values(twin: str) -> None:
    found = golden_disagreements()
    unexplained = [d for d in found if d[4] is None]
    assert unexplained == []
    listed = {(f, k) for f, k, _, _, r in found if r != WALL_CLOCK}
    assert listed == set(GOLDEN_WRONG)
    # the wall-clock disagreements are exactly the timestamps of meters that are not at UTC
    assert all(k.endswith("timestamp") for f, k, _, _, r in found if r == WALL_CLOCK)
    assert len(found) == 39  # 36 wall-clock times and the three above


def test_golden_fields_are_compared(twin: str) -> None:
    compared = 0
    for path in sorted((FIXTURES / "athom").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        for key in ("metadata", "electricity", "mBus"):
            compared += sum(1 for _ in _flatten(gold.get(key, {}), key))
    assert compared > 400
