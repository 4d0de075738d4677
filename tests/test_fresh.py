"""fresh_telegrams: distinct copies that parse like the original, on both twins."""

from __future__ import annotations

from pathlib import Path

import pytest

import dsmrparse
from dsmrparse.fresh import fresh_telegrams

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCES = [
    "nl/dsmr50_iskra_mt382.txt",
    "nl/dsmr42_kaifa.txt",
    "nl/dsmr30_kamstrup_4mbus_no_crc.txt",
    "nl/dsmr22_iskra_mt382.txt",
    "be/fluvius_emucs171.txt",
    "be/iskra_ie5.txt",
    "hu/eon_sagemcom.txt",
    "de/easymeter_q3db1024.txt",
]


@pytest.mark.parametrize("source", SOURCES)
def test_copies_are_distinct_and_parse_like_the_original(twin: str, source: str) -> None:
    raw = (FIXTURES / source).read_bytes()
    original = dsmrparse.parse(raw)
    copies = fresh_telegrams(raw, 40, seed=7)
    assert len(set(copies)) == 40
    assert copies == fresh_telegrams(raw, 40, seed=7)  # seeded: the same stream again
    changed = 0
    for copy in copies:
        telegram = dsmrparse.parse(copy, strict=True)  # CRC and every value still good
        assert telegram.profile == original.profile
        assert [e.obis for e in telegram.entries] == [e.obis for e in original.entries]
        changed += sum(
            a.value != b.value for a, b in zip(telegram.entries, original.entries, strict=True)
        )
    assert changed > 40 * 3  # values were drawn anew, not only one digit of one line


def test_a_telegram_without_values_is_refused() -> None:
    with pytest.raises(ValueError, match="no value"):
        fresh_telegrams(b"/ISk5\\2MT382-1000\r\n\r\n0-0:96.1.1(4B384547)\r\n!\r\n", 3)
    with pytest.raises(ValueError, match="not a telegram"):
        fresh_telegrams(b"no telegram", 3)
