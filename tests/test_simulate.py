"""The simulator's telegrams are realistic and parse back; the encoder round-trips values."""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from conftest import FIXTURES
from dsmrparse import _impl, profiles
from dsmrparse.encode import encode, encode_telegram
from dsmrparse.simulate import Simulator, run


def telegrams(profile: str, count: int, **options) -> list[dsmrparse.Telegram]:
    sim = Simulator(profile, **options)
    out = []
    for _, data in zip(range(count), sim):
        out.append(dsmrparse.parse(data))
    return out


@pytest.mark.parametrize("name", profiles.names())
def test_every_profile_simulates_valid_telegrams(twin: str, name: str) -> None:
    # families whose meters write no CRC are simulated without one, as on the wire
    expected_crc = "ok" if profiles.get(name).crc_required else "absent"
    for t in telegrams(name, 20, seed=4, start=datetime(2024, 1, 2, 12, tzinfo=timezone.utc)):
        assert t.crc == expected_crc
        assert t.profile == name
        assert t.problems == ()


def test_counters_rise_with_the_power_written(twin: str) -> None:
    ts = telegrams(
        "dsmr5",
        900,
        seed=1,
        failures_per_day=0,
        start=datetime(2024, 6, 1, 10, tzinfo=timezone.utc),
    )

    def imported(t):
        return t["electricity_imported_tariff_1"] + t["electricity_imported_tariff_2"]

    def exported(t):
        return t["electricity_exported_tariff_1"] + t["electricity_exported_tariff_2"]

    for a, b in zip(ts, ts[1:]):
        assert imported(b) >= imported(a) and exported(b) >= exported(a)
    expected = sum(t["power_imported"] for t in ts[:-1]) / 3600  # kW over 1 s steps
    assert abs((imported(ts[-1]) - imported(ts[0])) - expected) <= Decimal("0.002")
    for t in ts:  # per-phase powers add up to the totals, exactly
        for direction in ("imported", "exported"):
            phases = sum(t[f"power_{direction}_l{p}"] for p in (1, 2, 3))
            assert phases == t[f"power_{direction}"]


@pytest.mark.parametrize(("name", "every"), [("dsmr5", 300), ("dsmr4", 3600)])
def test_gas_reading_moves_on_every_5_minutes_or_hourly(twin: str, name: str, every: int) -> None:
    ts = telegrams(
        name,
        800,
        seed=2,
        step=10,
        failures_per_day=0,
        start=datetime(2024, 1, 10, 6, 1, tzinfo=timezone.utc),
    )
    stamps = sorted({t.gas.timestamp for t in ts})
    assert len(stamps) > 1
    assert all(int(s.timestamp()) % every == 0 for s in stamps)
    assert all((b - a).total_seconds() == every for a, b in zip(stamps, stamps[1:]))


@pytest.mark.parametrize(
    ("start", "flags"),
    [("2024-10-27T02:50:00+02:00", "SW"), ("2024-03-31T01:50:00+01:00", "WS")],
)
def test_dst_flags_are_right_across_the_transitions(twin: str, start: str, flags: str) -> None:
    ts = telegrams(
        "dsmr5", 40, seed=3, step=60, failures_per_day=0, start=datetime.fromisoformat(start)
    )
    raw = [t.entry("timestamp").raw[0] for t in ts]
    seen = "".join(dict.fromkeys(r[-1] for r in raw))
    assert seen == flags
    moments = [t.timestamp for t in ts]
    assert all((b - a) == timedelta(minutes=1) for a, b in zip(moments, moments[1:]))


def test_power_failures_show_in_counters_and_log(twin: str) -> None:
    ts = telegrams(
        "dsmr5",
        300,
        seed=5,
        step=10,
        failures_per_day=2000,
        start=datetime(2024, 2, 1, tzinfo=timezone.utc),
    )
    last = ts[-1]
    assert last["power_failures"] + last["long_power_failures"] > 0
    assert len(last["power_failure_log"]) == min(last["long_power_failures"], 10)
    gaps = [(b.timestamp - a.timestamp).total_seconds() for a, b in zip(ts, ts[1:])]
    assert max(gaps) > 10


def test_serves_on_a_loopback_tcp_port(twin: str) -> None:
    read_fd, write_fd = os.pipe()
    announce = os.fdopen(write_fd, "w")
    sim = Simulator("dsmr5", seed=6)
    worker = threading.Thread(target=run, args=(sim, "tcp://127.0.0.1:0", 5, 0.0, announce))
    worker.start()
    line = os.fdopen(read_fd).readline()
    port = int(line.rsplit(":", 1)[1])
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        while chunk := conn.recv(65536):
            data += chunk
    worker.join(10)
    announce.close()
    found = list(dsmrparse.iter_telegrams(__import__("io").BytesIO(data)))
    assert len(found) == 5 and all(t.crc == "ok" for t in found)


def test_writes_to_a_pseudo_terminal(twin: str) -> None:
    master, slave = os.openpty()
    try:
        import tty

        tty.setraw(slave)
        run(Simulator("dsmr4", seed=7), os.ttyname(slave), 2)
        data = b""
        while data.count(b"!") < 2:
            data += os.read(master, 65536)
    finally:
        os.close(master)
        os.close(slave)
    scanner = _impl.current.FrameScanner()
    frames = scanner.feed(data) + scanner.flush()
    assert [dsmrparse.parse(f.data).crc for f in frames if f.kind == "telegram"] == ["ok", "ok"]


def test_encode_telegram_round_trips_the_fixtures(twin: str) -> None:
    for path in sorted(FIXTURES.glob("nl/*.txt")) + sorted(FIXTURES.glob("be/*.txt")):
        t = dsmrparse.parse(path.read_bytes())
        again = dsmrparse.parse(encode_telegram(t), t.profile)
        assert again.crc == "ok"
        assert [(e.obis, e.value, e.unit, e.timestamp) for e in again.entries] == [
            (e.obis, e.value, e.unit, e.timestamp) for e in t.entries
        ], path


def _decimals(places: int, digits: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, 10 ** (digits + places) - 1).map(lambda n: Decimal(n).scaleb(-places))


_AMSTERDAM = dsmrparse.values.time_context("Europe/Amsterdam")
_moments = st.datetimes(
    min_value=datetime(2001, 1, 1),
    max_value=datetime(2037, 12, 31),
    timezones=st.just(timezone.utc),
).map(lambda d: d.replace(microsecond=0).astimezone(_AMSTERDAM.zone))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    energy=_decimals(3, 6),
    power=_decimals(3, 2),
    volts=_decimals(1, 3),
    failures=st.integers(0, 99999),
    moment=_moments,
    gas=_decimals(3, 5),
    text=st.text(
        st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="()"), max_size=40
    ),
)
def test_encode_then_parse_gives_the_values_back(
    twin: str, energy, power, volts, failures, moment, gas, text
) -> None:
    values = {
        "timestamp": moment,
        "electricity_imported_tariff_1": energy,
        "power_imported": power,
        "voltage_l1": volts,
        "power_failures": failures,
        "text_message": text,
        "0-1:24.1.0": 3,
        "0-1:24.2.1": (moment, gas, "m3"),
    }
    t = dsmrparse.parse(encode("dsmr5", values))
    assert t.crc == "ok" and not t.problems
    for key, value in values.items():
        if key == "0-1:24.2.1":
            assert (t.gas.timestamp, t.gas.value, t.gas.unit) == value
            assert t.gas.timestamp.utcoffset() == moment.utcoffset()
        elif key == "text_message" and value and not value.isprintable():
            continue
        elif key == "text_message" and not value:
            assert t[key] is None  # "()": not present
        else:
            assert t[key] == value, key
    assert t.timestamp.utcoffset() == moment.utcoffset()  # the DST flag was written right
