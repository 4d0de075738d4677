"""The history store: periods, a meter replacement, gaps, schema versions, a full disk, and
the firmware view of a real telegram (both parser twins)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import dsmrparse
from conftest import fixture_bytes
from dsmrparse.serve import firmware, history
from dsmrparse.serve.settings import MASK, SettingError, Settings, load, save
from dsmrparse.serve.store import SCHEMA_VERSION, Store

AMS = ZoneInfo("Europe/Amsterdam")


def regs(e1: str, e2: str = "0", gas: str | None = "1") -> dict[str, Decimal | None]:
    return {"edt1": Decimal(e1), "edt2": Decimal(e2), "ert1": Decimal(0), "ert2": Decimal(0),
            "gdt": None if gas is None else Decimal(gas)}  # fmt: skip


def feed(store: Store, start: datetime, minutes: list[int], values: list[str]) -> None:
    for minute, value in zip(minutes, values):
        # in UTC: aware arithmetic in a ZoneInfo zone is wall-clock arithmetic
        moment = (start.astimezone(timezone.utc) + timedelta(minutes=minute)).astimezone(AMS)
        assert store.add(moment.timestamp(), moment, AMS, regs(value))


def test_hours_days_months_and_usage(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    start = datetime(2026, 3, 31, 22, 30, tzinfo=AMS)
    feed(store, start, list(range(0, 120, 5)), [f"{100 + i}" for i in range(24)])
    hours = list(reversed(store.periods("hours")))
    assert [p.start_local for p in hours] == [
        "2026-03-31T22:00:00+02:00", "2026-03-31T23:00:00+02:00", "2026-04-01T00:00:00+02:00"
    ]  # fmt: skip
    # the next hour starts where the previous ended: no usage falls between two rows
    assert hours[1].start["edt1"] == hours[0].end["edt1"]
    assert sum(p.usage()["edt1"] or 0 for p in hours) == Decimal(123) - Decimal(100)
    months = store.periods("months")
    assert [p.recid for p in months] == ["26040100", "26030100"]
    assert store.periods("days")[0].start_local == "2026-04-01T00:00:00+02:00"


def test_a_new_meter_starts_a_new_series_instead_of_negative_usage(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    start = datetime(2026, 5, 1, 10, 0, tzinfo=AMS)
    feed(store, start, [0, 10, 20, 30, 40], ["5000", "5001", "3", "4", "6"])
    rows = store.periods("hours")
    assert {p.series for p in rows} == {1, 2}
    assert all((p.usage()["edt1"] or 0) >= 0 for p in rows)
    new = next(p for p in rows if p.series == 2)
    assert new.start["edt1"] == Decimal(3) and new.end["edt1"] == Decimal(6)


def test_a_month_entered_by_hand_uses_the_month_before_as_its_start(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    store.correct_month(datetime(2026, 1, 1, tzinfo=AMS), regs("100", "50", "10"))
    store.correct_month(datetime(2026, 2, 1, tzinfo=AMS), regs("160", "70", "14"))
    feb, jan = store.periods("months")
    assert jan.usage() == {"edt1": 0, "edt2": 0, "ert1": 0, "ert2": 0, "gdt": 0}  # nothing before
    assert feb.start["edt1"] == Decimal(100) and feb.corrected
    assert feb.usage() == {"edt1": 60, "edt2": 20, "ert1": 0, "ert2": 0, "gdt": 4}


def test_silences_are_gaps_not_zero_usage(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    start = datetime(2026, 5, 1, 10, 0, tzinfo=AMS)
    feed(store, start, [0, 5, 200, 205], ["10", "11", "15", "16"])
    (gap,) = store.gaps()
    assert gap[1] - gap[0] == 195 * 60 and gap[2] == "no telegrams"
    view = history.range_view(store, Settings(), "hours", None, None, AMS)
    missing = [h["recid"] for h in view["hours"] if h.get("missing")]
    assert missing == ["26050111", "26050112"]
    after = next(h for h in view["hours"] if h["recid"] == "26050113")
    assert after["gap"] is True and after["usage"]["edt1"] == Decimal(1)
    # a restart: the silence before the first telegram of a run is "server down"
    store.close()
    again = Store(tmp_path / "h.sqlite3")
    feed(again, start, [400], ["20"])
    assert again.gaps()[-1][2] == "server down"


def test_schema_is_versioned_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)


def test_a_full_disk_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    start = datetime(2026, 5, 1, 10, 0, tzinfo=AMS)
    feed(store, start, [0], ["1"])
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: "disk full"
    moment = start.replace(hour=11)
    ok = True
    for i in range(300):
        moment += timedelta(hours=1)
        ok = store.add(moment.timestamp(), moment, AMS, regs(str(2 + i))) and ok
    assert not ok and store.error is not None and "full" in store.error
    assert store.failed_writes > 0
    assert store.periods("hours")  # what was stored can still be read
    store.db.execute("PRAGMA max_page_count = 1073741823")
    moment += timedelta(hours=1)
    assert store.add(moment.timestamp(), moment, AMS, regs("999"))
    assert store.error is None


def test_firmware_view_of_a_real_telegram(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_landis_e350.txt"))
    rows = firmware.rows(t, {1: 3, 2: 0, 3: 0, 4: 0}, "actual")
    by_name = {r["name"]: r for r in rows}
    assert by_name["timestamp"]["value"] == t.entry("timestamp").raw[0]
    assert by_name["energy_delivered_tariff1"]["unit"] == "kWh"
    value = by_name["energy_delivered_tariff1"]["value"]
    assert value == t["electricity_imported_tariff_1"] and value.as_tuple().exponent == -3
    assert rows[-1]["name"] == "gas_delivered"
    assert rows[-1]["value"] == t.gas.value.quantize(Decimal("0.001"))  # type: ignore[union-attr]
    every = firmware.rows(t, {1: 3, 2: 0, 3: 0, 4: 0}, "fields")
    assert [r["name"] for r in every] == firmware.ALL_FIELDS
    assert all(r["value"] == "-" for r in every if r["name"].startswith("mbus4_"))


def test_gas_follows_the_mbus_type_setting(twin: str) -> None:
    t = dsmrparse.parse(fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt"))
    gas = firmware.gas_delivered(t, {1: 0, 2: 3, 3: 0, 4: 0})
    assert gas == t.mbus[2].reading.value.quantize(Decimal("0.001"))  # type: ignore[union-attr]


def test_settings_file_round_trip_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    s = Settings()
    s.update("ed_tariff1", "0.27")
    s.update("hostname", 'my "meter"')
    s.update("mqtt_passwd", "secret")
    save(s, path)
    again = load(path)
    assert again.ed_tariff1 == 0.27 and again.hostname == 'my "meter"'
    view = {r["name"]: r["value"] for r in again.firmware_view()}
    assert view["mqtt_passwd"] == MASK
    again.update("mqtt_passwd", MASK)  # the pages send the mask back: nothing changes
    assert again.mqtt_passwd == "secret"
    for name, value in (("tlgrm_interval", "1"), ("ed_tariff1", "x"), ("hostname", "h" * 40),
                        ("mbus1_type", "2.5"), ("unknown", "1")):  # fmt: skip
        with pytest.raises(SettingError):
            again.update(name, value)
    path.write_text("port = 'eighty'\n")
    with pytest.raises(SettingError, match="port"):
        load(path)
    path.write_text("not toml [")
    with pytest.raises(SettingError, match="TOML"):
        load(path)


def test_history_when_accepts_iso_and_epoch() -> None:
    assert history.parse_when("0", AMS) == 0.0
    stamp = history.parse_when("2026-10-25T02:30", AMS)
    assert stamp == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc).timestamp()
    with pytest.raises(ValueError):
        history.parse_when("yesterday", AMS)


def test_spring_forward_day_has_23_hours(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    start = datetime(2026, 3, 28, 23, 30, tzinfo=AMS)  # the night the clocks go forward
    minutes = list(range(0, 26 * 60, 30))
    feed(store, start, minutes, [str(1000 + i) for i in range(len(minutes))])
    day = next(p for p in store.periods("days") if p.recid == "26032900")
    hours = [p for p in store.periods("hours") if p.recid.startswith("260329")]
    assert len(hours) == 23 and "26032902" not in {p.recid for p in hours}
    assert day.start_local == "2026-03-29T00:00:00+01:00"
    nxt = next(p for p in store.periods("days") if p.recid == "26033000")
    assert nxt.start_local == "2026-03-30T00:00:00+02:00"
    assert nxt.start_utc - day.start_utc == 23 * 3600


@pytest.mark.parametrize("profile", __import__("dsmrparse.profiles").profiles.names())
def test_every_family_is_logged_and_served(tmp_path: Path, profile: str, twin: str) -> None:
    """Simulated telegrams of each family go through the logger: stored, and shown in the
    firmware's shapes and our views without an error."""
    import json

    from dsmrparse.serve.logger import Logger
    from dsmrparse.simulate import Simulator

    store = Store(tmp_path / "h.sqlite3")
    logger = Logger(Settings(), store, tmp_path)
    sim = Simulator(profile, seed=1, start=datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc))
    for raw, _ in zip(sim, range(5)):
        assert logger.ingest(dsmrparse.parse(raw, sim.profile))
    actual = {r["name"]: r for r in json.loads(logger.actual_body)["actual"]}
    assert list(actual)[-1] == "gas_delivered"
    # every family has an import register: shown in kWh whatever the meter's unit (Wh ...)
    energy = actual["energy_delivered_tariff1"]
    assert energy["unit"] == "kWh" and 0 <= energy["value"] < 100_000, energy
    (hour,) = store.periods("hours")
    assert hour.samples == 5 and hour.end["edt1"] == Decimal(str(energy["value"])).quantize(
        Decimal("0.001")
    )
    fields = firmware.rows(logger.last, logger.settings.mbus_types, "fields")  # type: ignore[arg-type]
    assert [r["name"] for r in fields] == firmware.ALL_FIELDS
    assert history.firmware_view(store, "hours", False)["hours"][0]["recnr"] == 0


def test_units_are_the_firmware_ones_and_a_heat_meter_is_not_gas(twin: str) -> None:
    austria = dsmrparse.parse(fixture_bytes("at/sagemcom_t210dr_plaintext.txt"))
    values = firmware.values(austria, {1: 3, 2: 0, 3: 0, 4: 0})
    wh = austria["electricity_imported_tariff_1"]
    assert austria.entry("electricity_imported_tariff_1").unit == "Wh"
    assert values["energy_delivered_tariff1"] == ((wh / 1000).quantize(Decimal("0.001")), "kWh")
    heat = dsmrparse.parse(fixture_bytes("nl/heat_warmtelink_unpadded_crc.txt"))
    assert heat.mbus[1].device_type == 4
    assert firmware.gas_reading(heat, {1: 3, 2: 0, 3: 0, 4: 0}) is None  # GJ is not gas
    assert firmware.gas_delivered(heat, {1: 3, 2: 0, 3: 0, 4: 0}) == Decimal("0.000")
