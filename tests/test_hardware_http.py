"""HTTP bridges against a real loopback http.server answering like a DSMR-logger v4, an ESP-01
logger and a HomeWizard P1 meter."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

import dsmrparse
from dsmrparse.errors import SourceError
from dsmrparse.hardware import BridgeReading, Skipped
from test_hardware_support import BAD_CRC, GOOD, GOOD_B, Bridge, atake, body, free_port, take

FAST = {"interval": 0.02, "reconnect_delay": 0.02, "reconnect_max": 0.1, "timeout": 2.0}
TELEGRAM = (dsmrparse.Telegram,)

# the DSMR-logger ends its raw answer with "\r\n\n" and sometimes pads it with 0xFF
LOGGER_RAW = GOOD.rstrip(b"\r\n") + b"\r\n\n\xff\xff"
DEVINFO = json.dumps({"devinfo": [{"name": "fwversion", "value": "v3.0"}]}).encode()
ACTUAL = b"""{"actual":[
  {"name": "timestamp", "value": "210419050001S"},
  {"name": "energy_delivered_tariff1", "value": 2332.511, "unit": "kWh"},
  {"name": "energy_returned_tariff2", "value": 196.645, "unit": "kWh"},
  {"name": "power_delivered", "value": 1.880, "unit": "kW"},
  {"name": "voltage_l1", "value": 239.000, "unit": "V"},
  {"name": "electricity_threshold", "value": "-"},
  {"name": "gas_delivered", "value": 2963.380, "unit": "m3"}
]}"""
HW_INFO = b'{"product_type": "HWE-P1", "product_name": "P1 Meter", "api_version": "v1"}'
HW_DATA = b"""{"smr_version": 50, "total_power_import_t1_kwh": 10830.511,
 "total_power_export_t2_kwh": 2876.51, "active_power_w": -678, "active_power_l1_w": -676,
 "active_current_l1_a": -4, "total_gas_m3": 2569.646, "wifi_strength": 100}"""
ESP01 = b"""{"Timestamp":"160717102501S","Energy_Delivered":"96966.094",
 "Energy_Delivered_Tariff1":"54210.770","Energy_Returned_Tariff2":"41832.840",
 "Gas_Delivered":"4756.104","Voltage_l1":"241.0","Power_Delivered":"4680"}"""


def test_dsmr_logger_raw_endpoint(twin):
    with Bridge({"/api/v1/sm/telegram": [(200, LOGGER_RAW)]}) as b:
        got = take(dsmrparse.open(b.url + "/api/v1/sm/telegram", dedupe=False, **FAST), 2)
    assert [t.crc for t in got] == ["ok", "ok"]
    assert body(got[0].raw) == body(GOOD)


def test_bare_host_finds_the_dsmr_logger(twin):
    routes = {"/api/v1/dev/info": [(200, DEVINFO)], "/api/v1/sm/telegram": [(200, LOGGER_RAW)]}
    with Bridge(routes) as b:
        src = dsmrparse.open(b.url, **FAST)
        got = take(src, 1)
    assert isinstance(got[0], dsmrparse.Telegram) and got[0].crc == "ok"
    assert src.endpoint == b.url + "/api/v1/sm/telegram"


def test_bare_host_finds_the_homewizard_meter(twin):
    routes = {"/api": [(200, HW_INFO)], "/api/v1/telegram": [(200, GOOD_B)]}
    with Bridge(routes) as b:
        src = dsmrparse.open(b.url + "/", **FAST)
        got = take(src, 1)
    assert body(got[0].raw) == body(GOOD_B)
    assert src.endpoint == b.url + "/api/v1/telegram"


def test_dsmr_logger_json_maps_onto_our_field_names():
    routes = {"/api/v1/dev/info": [(200, DEVINFO)], "/api/v1/sm/actual": [(200, ACTUAL)]}
    with Bridge(routes) as b:
        got = take(dsmrparse.open(b.url, http="json", **FAST), 1)
    r = got[0]
    assert isinstance(r, BridgeReading) and r.raw is None and r.device == "dsmr-logger"
    assert r["electricity_imported_tariff_1"] == Decimal("2332.511")  # exact, not a float
    assert r.units["electricity_imported_tariff_1"] == "kWh"
    assert r["electricity_exported_tariff_2"] == Decimal("196.645")
    assert r["power_imported"] == Decimal("1.880") and r["gas"] == Decimal("2963.380")
    assert "electricity_threshold" not in r.extra  # "-" means the meter does not send it
    assert r.timestamp is not None and r.timestamp.isoformat() == "2021-04-19T05:00:01+02:00"
    line = json.loads(r.to_json())
    assert line["format"] == "dsmrparse/bridge/1" and line["raw"] is None


def test_homewizard_data_signed_watts_become_import_and_export():
    with Bridge({"/api/v1/data": [(200, HW_DATA)]}) as b:
        got = take(dsmrparse.open(b.url + "/api/v1/data", **FAST), 1)
    r = got[0]
    assert r.device == "homewizard"
    assert r["electricity_imported_tariff_1"] == Decimal("10830.511")
    assert r["power_imported"] == 0 and r["power_exported"] == Decimal("0.678")
    assert r["power_exported_l1"] == Decimal("0.676") and r["current_l1"] == 4
    assert r["gas"] == Decimal("2569.646") and r["p1_version"] == "50"
    assert r.extra["wifi_strength"] == 100


def test_esp01_logger_found_and_mapped():
    routes = {
        "/getDeviceInfo.json": [(200, b'{"FwVersion":"v0.7.7"}')],
        "/getActual.json": [(200, ESP01)],
    }
    with Bridge(routes) as b:
        src = dsmrparse.open(b.url, **FAST)
        got = take(src, 1)
    r = got[0]
    assert src.endpoint == b.url + "/getActual.json"
    assert r.device == "dsmr-logger-esp01"
    assert r["electricity_imported_tariff_1"] == Decimal("54210.770")
    assert r["electricity_exported_tariff_2"] == Decimal("41832.840")
    assert r["gas"] == Decimal("4756.104") and r.units["power_imported"] is None
    assert r["electricity_imported_total"] == Decimal("96966.094")  # the firmware's own sum


def test_http_500_is_reported_and_polling_goes_on(twin):
    answers = [(500, b"Internal Server Error"), (200, LOGGER_RAW)]
    with Bridge({"/api/v1/sm/telegram": answers}) as b:
        got = take(
            dsmrparse.open(b.url + "/api/v1/sm/telegram", yield_errors=True, **FAST),
            1,
            kinds=TELEGRAM,
        )
    assert isinstance(got[0], Skipped) and got[0].kind == "http" and "HTTP 500" in got[0].message
    assert isinstance(got[-1], dsmrparse.Telegram)


def test_no_telegram_received(twin):
    answers = [(200, b"no telegram received\r\n"), (200, LOGGER_RAW)]
    with Bridge({"/api/v1/sm/telegram": answers}) as b:
        got = take(
            dsmrparse.open(b.url + "/api/v1/sm/telegram", yield_errors=True, **FAST),
            1,
            kinds=TELEGRAM,
        )
    assert got[0].kind == "empty"
    assert isinstance(got[-1], dsmrparse.Telegram)


def test_garbage_and_half_telegrams_are_never_whole(twin):
    answers = [
        (200, b"\x00\x01<html>oops</html>"),
        (200, GOOD[:300]),
        (200, BAD_CRC),
        (200, LOGGER_RAW),
    ]
    with Bridge({"/api/v1/sm/telegram": answers}) as b:
        got = take(
            dsmrparse.open(b.url + "/api/v1/sm/telegram", yield_errors=True, **FAST),
            1,
            kinds=TELEGRAM,
        )
    # an HTML page is classified as such (one of them is no reason to stop); the half telegram
    # is damaged, never whole
    assert [i.kind for i in got[:-1]] == ["http", "damaged", "crc"]
    assert "HTML page" in got[0].message
    assert got[-1].crc == "ok"


def test_same_telegram_polled_twice_is_handed_out_once():
    answers = [(200, GOOD), (200, GOOD), (200, GOOD_B)]
    with Bridge({"/api/v1/telegram": answers}) as b:
        src = dsmrparse.open(b.url + "/api/v1/telegram", **FAST)
        got = take(src, 2)
    assert [body(t.raw) for t in got] == [body(GOOD), body(GOOD_B)]
    assert src.stats.duplicates == 1


def test_refused_http_bridge_gives_up_after_the_retries():
    src = dsmrparse.open(f"http://127.0.0.1:{free_port()}", retries=1, **FAST)
    with pytest.raises(SourceError, match="giving up"):
        list(src)
    assert src.stats.skipped["connection"] == 2


def test_unknown_http_device_is_an_error():
    with Bridge({"/": [(200, b"<html>router</html>")]}) as b, pytest.raises(SourceError):
        list(dsmrparse.open(b.url, **FAST))


def test_async_http(twin):
    routes = {
        "/api/v1/dev/info": [(200, DEVINFO)],
        "/api/v1/sm/telegram": [(500, b"busy"), (200, LOGGER_RAW)],
    }
    with Bridge(routes) as b:
        got = asyncio.run(
            atake(dsmrparse.open(b.url, yield_errors=True, **FAST), 1, kinds=TELEGRAM)
        )
    assert got[0].kind == "http" and got[-1].crc == "ok"
