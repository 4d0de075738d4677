"""Time under every profile: the S/W flag around the DST changes, zone rules for flagless meters,
sentinels, and hex COSEM date-times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import dsmrparse
from conftest import fixture_bytes
from dsmrparse.values import parse_timestamp, time_context


def tz(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


def with_time(relative: str, old: bytes, new: bytes, profile: str | None = None) -> datetime:
    data = fixture_bytes(relative).replace(old, new)
    t = dsmrparse.parse(data, profile)
    return t.timestamp  # type: ignore[return-value]


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


def test_repeated_october_hour_by_flag(twin: str) -> None:
    f, old = "nl/dsmr50_landis_e350.txt", b"180409095501S"
    first = with_time(f, old, b"181028023000S")
    second = with_time(f, old, b"181028023000W")
    assert first == datetime(2018, 10, 28, 2, 30, tzinfo=tz(2))
    assert second == datetime(2018, 10, 28, 2, 30, tzinfo=tz(1))
    assert utc(second) - utc(first) == timedelta(hours=1)


def test_march_gap_by_flag(twin: str) -> None:
    f, old = "nl/dsmr50_landis_e350.txt", b"180409095501S"
    before = with_time(f, old, b"180325015959W")
    after = with_time(f, old, b"180325030000S")
    assert utc(after) - utc(before) == timedelta(seconds=1)


def test_belgian_dst_by_flag(twin: str) -> None:
    f, old = "be/fluvius_emucs171.txt", b"200512135409S"
    assert with_time(f, old, b"201025023000S") == datetime(2020, 10, 25, 2, 30, tzinfo=tz(2))
    assert with_time(f, old, b"201025023000W") == datetime(2020, 10, 25, 2, 30, tzinfo=tz(1))


@pytest.mark.parametrize(
    "stamp, offset",
    [
        (b"230326015959S", 1),  # before the March change: the S is ignored, zone rules say CET
        (b"230326030000W", 2),  # after it: CEST whatever the flag
        (b"231029023000S", 2),  # the repeated hour: zone rules take the first (summer) one
        (b"231029033000S", 1),
        (b"230702120000W", 2),
    ],
)
def test_iskra_ie5_flagless_by_zone_rules(twin: str, stamp: bytes, offset: int) -> None:
    got = with_time("be/iskra_ie5.txt", b"230202132747S", stamp)
    assert got.utcoffset() == timedelta(hours=offset)


def test_flagless_march_gap_is_deterministic(twin: str) -> None:
    got = with_time("be/iskra_ie5.txt", b"230202132747S", b"230326023000")
    assert utc(got) == datetime(2023, 3, 26, 1, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "profile, zone_offset_winter",
    [("luxembourg", 1), ("hungary", 1), ("lithuania", 2), ("sweden", 1), ("swiss", 1)],
)
def test_each_profile_has_its_zone(twin: str, profile: str, zone_offset_winter: int) -> None:
    got = with_time("nl/dsmr50_landis_e350.txt", b"180409095501S", b"180115120000W", profile)
    assert got.utcoffset() == timedelta(hours=zone_offset_winter)


@pytest.mark.parametrize(
    "sentinel", ["632525252525W", "000101000000W", "700101010000W", "000000000000"]
)
def test_sentinels_are_none(sentinel: str) -> None:
    assert parse_timestamp(sentinel, time_context("Europe/Amsterdam")) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        # deviation -60 (CET, written UTC minus local), status 0
        ("07E8011C0D0C1E1E00FFC400", datetime(2024, 1, 28, 12, 30, 30, tzinfo=tz(1))),
        # deviation -120 (CEST), status 0x80 (daylight saving)
        ("07E8061C050C1E1E00FF8880", datetime(2024, 6, 28, 12, 30, 30, tzinfo=tz(2))),
        # deviation not specified: the status bit decides, in the profile's zone
        ("07E8061C050C1E1E00800080", datetime(2024, 6, 28, 12, 30, 30, tzinfo=tz(2))),
        ("07E8011C0D0C1E1E00800000", datetime(2024, 1, 28, 12, 30, 30, tzinfo=tz(1))),
        # neither: zone rules
        ("07E8061C050C1E1EFF8000FF", datetime(2024, 6, 28, 12, 30, 30, tzinfo=tz(2))),
        # no date at all
        ("FFFFFFFFFFFFFFFFFF8000FF", None),
    ],
)
def test_cosem_hex_datetime(text: str, expected: datetime | None) -> None:
    assert parse_timestamp(text, time_context("Europe/Vienna")) == expected


def test_cosem_hex_datetime_in_a_telegram(twin: str) -> None:
    got = with_time(
        "at/sagemcom_t210dr_plaintext.txt", b"(221006155014S)", b"(07E60A06040F320E00FF8880)"
    )
    assert got == datetime(2022, 10, 6, 15, 50, 14, tzinfo=tz(2))


def test_bad_cosem_datetime_is_a_value_problem(twin: str) -> None:
    data = fixture_bytes("at/sagemcom_t210dr_plaintext.txt").replace(
        b"(221006155014S)", b"(07E60D06040F320E00FF8880)"
    )
    t = dsmrparse.parse(data)
    # month 13: kept raw with its error (the edit also broke the CRC)
    assert t.timestamp is None and [p.kind for p in t.problems] == ["crc", "value"]
    assert t.entry("timestamp").raw == ("07E60D06040F320E00FF8880",)
