"""A JSON-only bridge (ESP-01 logger, DSMR-logger JSON, HomeWizard) feeds `dsmrparse serve`: its
fields become a telegram of ours, stored and served, but never taken for the meter's raw text."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from _serve_proc import Server
from dsmrparse.serve.bridge import BRIDGE_HEADER, is_bridge_telegram, telegram_from_bridge
from dsmrparse.sources.fields import from_dsmr_logger, from_esp01, from_homewizard
from test_hardware_http import ACTUAL, ESP01, HW_DATA
from test_hardware_support import Bridge

RECEIVED = datetime(2026, 1, 5, 11, 0, 7, 250000, tzinfo=timezone.utc)


def test_esp01_fields_become_a_telegram(twin: str) -> None:
    reading = from_esp01(json.loads(ESP01), "http://x/getActual.json", RECEIVED)
    telegram = telegram_from_bridge(reading)
    assert telegram.problems == () and is_bridge_telegram(telegram)
    assert telegram.header.text == BRIDGE_HEADER and telegram.crc == "ok"
    assert telegram.timestamp is not None
    assert telegram.timestamp.isoformat() == "2016-07-17T10:25:01+02:00"  # the logger's time
    assert telegram["electricity_imported_tariff_1"] == Decimal("54210.770")
    assert telegram["electricity_exported_tariff_2"] == Decimal("41832.840")
    # no unit given and far above a household's kW: watts
    assert telegram["power_imported"] == Decimal("4.680")
    assert telegram["voltage_l1"] == Decimal("241.0")
    (gas,) = [e for e in telegram.entries if e.obis == "0-1:24.2.1"]
    assert gas.value == Decimal("4756.104") and gas.unit == "m3"


def test_homewizard_and_logger_json_become_telegrams(twin: str) -> None:
    hw = telegram_from_bridge(from_homewizard(json.loads(HW_DATA), "http://x", RECEIVED))
    assert hw.problems == ()
    assert hw.timestamp is not None and hw.timestamp.isoformat() == "2026-01-05T12:00:07+01:00"
    assert hw["power_exported"] == Decimal("0.678") and hw["power_imported"] == 0
    logger = telegram_from_bridge(from_dsmr_logger(json.loads(ACTUAL), "http://x", RECEIVED))
    assert logger.problems == () and logger["power_imported"] == Decimal("1.880")
    assert logger["electricity_exported_tariff_2"] == Decimal("196.645")


def test_serve_stores_an_esp01_logger_but_keeps_no_raw_of_it(tmp_path: Path) -> None:
    routes = {"/getDeviceInfo.json": [(200, b'{"FwVersion":"v0.7.7"}')],
              "/getActual.json": [(200, ESP01)]}  # fmt: skip
    with Bridge(routes) as bridge:
        server = Server(tmp_path, bridge.url, "--interval", "0.2", "--capture")
        try:
            server.wait_for(
                lambda: server.json("/api/v1/dev/info") and _count(server) >= 2, timeout=30
            )
            actual = {r["name"]: r for r in server.json("/api/v1/sm/actual")["actual"]}
            assert actual["energy_delivered_tariff1"]["value"] == 54210.77
            assert actual["power_delivered"]["value"] == 4.68
            assert actual["gas_delivered"]["value"] == 4756.104
            (hour,) = server.json("/api/v1/hist/hours")["hours"][:1]
            assert hour["edt1"] == 54210.77
        finally:
            server.stop()
    assert not any("Traceback" in line for line in server.log)
    assert not (tmp_path / "capture").exists()  # the capture files hold only meters' own text


def _count(server: Server) -> int:
    info = {r["name"]: r["value"] for r in server.json("/api/v1/dev/info")["devinfo"]}
    return int(info["telegramcount"])
