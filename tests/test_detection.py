"""Detection: header prefix, OBIS fingerprint, version objects; a named profile always wins."""

from __future__ import annotations

import pytest

import dsmrparse
from conftest import fixture_bytes
from dsmrparse.profiles import detect

CASES = [
    ("nl/dsmr22_iskra_mt382.txt", "dsmr3", "objects 1-0:1.8.1 present, no 1-3:0.2.8"),
    ("nl/dsmr30_kamstrup_4mbus_no_crc.txt", "dsmr3", "objects 1-0:1.8.1 present"),
    ("nl/dsmr40_kaifa_minimal.txt", "dsmr4", "1-3:0.2.8 is 40"),
    ("nl/dsmr42_kaifa.txt", "dsmr4", "1-3:0.2.8 is 42"),
    ("nl/dsmr50_landis_e350.txt", "dsmr5", "1-3:0.2.8 is 50"),
    ("nl/heat_warmtelink_unpadded_crc.txt", "warmtelink", "header /NWA-WARMTELINK"),
    ("be/fluvius_emucs171.txt", "belgium", "header /FLU5"),
    ("be/iskra_ie5.txt", "iskra_ie5", "header /ISk5\\x02MIE5"),
    ("hu/eon_sagemcom.txt", "hungary", "objects 1-0:1.8.3, 1-0:5.8.0 present"),
    ("at/sagemcom_t210dr_plaintext.txt", "austria", "header /EST5"),
    ("de/easymeter_q3da1004.txt", "q3d", "header /ESY5Q3D"),
    ("athom/dsmr-luxembourgh-spec-example.txt", "luxembourg", "header /LUX5"),
    ("athom/kamstrup-OMNIA-e-meter-three-phase.txt", "sweden", "objects 1-0:1.8.0"),
    ("athom/sagemcom-xt211.txt", "swiss", "header /GRE5"),
    ("athom/unknown-xmx-1.txt", "dsmr3", "objects 1-0:1.8.1 present"),
]


@pytest.mark.parametrize("relative, family, reason", CASES, ids=[c[0] for c in CASES])
def test_detected_family_and_reason(twin: str, relative: str, family: str, reason: str) -> None:
    t = dsmrparse.parse(fixture_bytes(relative))
    assert t.profile == family
    assert t.profile_reason.startswith(reason)


def test_belgian_version_object_without_known_header(twin: str) -> None:
    data = fixture_bytes("be/fluvius_emucs171.txt").replace(b"/FLU5", b"/XYZ5")
    t = dsmrparse.parse(data)
    assert t.profile == "belgium" and t.profile_reason == "0-0:96.1.4 is 50217"


def test_luxembourg_by_fingerprint_without_its_header(twin: str) -> None:
    data = fixture_bytes("athom/dsmr-luxembourgh-spec-example.txt").replace(b"/Lux5", b"/SAG5")
    assert dsmrparse.parse(data).profile == "luxembourg"


def test_header_beats_version_object(twin: str) -> None:
    # the Austrian meter says 1-3:0.2.8(50), but its header names the family
    t = dsmrparse.parse(fixture_bytes("at/sagemcom_t210dr_plaintext.txt"))
    assert t.profile == "austria" and t["p1_version"] == "50"


def test_unknown_version_falls_back_to_dsmr5(twin: str) -> None:
    data = fixture_bytes("nl/dsmr50_landis_e350.txt").replace(b"1-3:0.2.8(50)", b"1-3:0.2.8(99)")
    t = dsmrparse.parse(data)
    assert t.profile == "dsmr5" and "unknown version" in t.profile_reason


def test_named_profile_always_wins(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("be/fluvius_emucs171.txt"), "dsmr5")
    assert t.profile == "dsmr5" and t.profile_reason == "named by the caller"
    t = dsmrparse.parse(fixture_bytes("nl/dsmr22_iskra_mt382.txt"), "dsmr2.2")
    assert t.profile == "dsmr3"


def test_detection_follows_the_version_each_time(twin: str) -> None:
    # the layout is cached, the version value is read again for every telegram
    four = fixture_bytes("nl/dsmr50_landis_e350.txt").replace(b"1-3:0.2.8(50)", b"1-3:0.2.8(42)")
    assert dsmrparse.parse(four).profile == "dsmr4"
    assert dsmrparse.parse(fixture_bytes("nl/dsmr50_landis_e350.txt")).profile == "dsmr5"
    assert dsmrparse.parse(four).profile == "dsmr4"


def test_detect_is_a_plain_function(twin: str) -> None:
    tokens = dsmrparse._impl.current.tokenize(fixture_bytes("hu/eon_sagemcom.txt"))
    profile, reason = detect(tokens)
    assert profile.name == "hungary" and "1-0:1.8.3" in reason
    assert detect(tokens) == (profile, reason)  # cached: same answer


def test_a_profile_registered_later_is_seen_by_the_next_telegram(twin: str) -> None:
    from dsmrparse import profiles

    data = fixture_bytes("nl/dsmr50_landis_e350.txt")
    saved = (dict(profiles._REGISTRY), dict(profiles._ALIASES))
    assert dsmrparse.parse(data).profile == "dsmr5"  # (and now the latest decision)
    header = dsmrparse.parse(data).header.text
    mine = profiles.get("dsmr5").extend("mine", "My meter", header_prefixes=(header[:4],))
    try:
        profiles.register(mine)
        t = dsmrparse.parse(data)
        assert (t.profile, t.profile_reason) == ("mine", f"header /{header[:4]}")
    finally:
        profiles._REGISTRY.clear()
        profiles._REGISTRY.update(saved[0])
        profiles._ALIASES.clear()
        profiles._ALIASES.update(saved[1])
        profiles.register(profiles.get("dsmr5"))  # (clears the caches)
    assert dsmrparse.parse(data).profile == "dsmr5"
