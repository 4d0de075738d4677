"""The bridges added to the HTTP probe: DSMRloggerWS's ``/restAPI``, the DSMR-logger32 / ESP32
dongles' ``/api/v2/sm/*`` and HomeWizard API v2's ``/api/measurement``, against loopback peers."""

from __future__ import annotations

import json
import socket
from decimal import Decimal

import dsmrparse
from dsmrparse.hardware import BridgeReading
from test_hardware_support import FAST, GOOD, body
from test_sources_faults import answer, http_peer, take, url

WS_DEVINFO = {"Identification": "XMX5LGBBLB1234567890", "P1_Version": "50"}
WS_ACTUAL = {
    "Timestamp": "160717102501S",
    "Energy_Delivered": "96966.094",
    "Energy_Delivered_Tariff1": "54210.770",
    "Energy_Returned_Tariff2": "41832.840",
    "Gas_Delivered": "4756.104",
    "Energy_Tariff": "0002",
    "Power_Delivered": "4680",
    "Voltage_l1": "241.0",
}
V2_ACTUAL = {
    "actual": {
        "timestamp": {"value": "240101120000W"},
        "energy_delivered_tariff1": {"value": 1234.567, "unit": "kWh"},
        "power_delivered": {"value": 0.512, "unit": "kW"},
        "gas_delivered": {"value": 987.654, "unit": "m3"},
    }
}


def routes(table: dict[str, bytes]):
    def route(path: str, headers: dict[str, str], conn: socket.socket) -> bytes:
        found = table.get(path)
        return answer(200, found) if found is not None else answer(404, b"FileNotFound")

    return route


def test_dsmrloggerws_rest_api_is_probed_and_mapped() -> None:
    table = {
        "/restAPI?get=devinfo": json.dumps(WS_DEVINFO).encode(),
        "/restAPI?get=actual": json.dumps(WS_ACTUAL).encode(),
    }
    with http_peer(routes(table)) as server:
        src = dsmrparse.open(url(server), **FAST)
        r = take(src, 1)[0]
    assert src.endpoint == url(server, "/restAPI?get=actual")
    assert isinstance(r, BridgeReading) and r.device == "dsmr-logger-ws" and r.raw is None
    assert r["electricity_imported_tariff_1"] == Decimal("54210.770")
    assert r["electricity_imported_total"] == Decimal("96966.094")
    assert r["gas"] == Decimal("4756.104") and r["tariff_indicator"] == 2
    assert r.timestamp is not None and r.timestamp.isoformat() == "2016-07-17T10:25:01+02:00"


def test_dsmrloggerws_rest_url_given_in_full() -> None:
    with http_peer(routes({"/restAPI?get=Actual": json.dumps(WS_ACTUAL).encode()})) as server:
        r = take(dsmrparse.open(url(server, "/restAPI?get=Actual"), **FAST), 1)[0]
    assert r.device == "dsmr-logger-ws" and r["voltage_l1"] == Decimal("241.0")


def test_dsmr_logger32_v2_api_raw_telegram(twin: str) -> None:
    table = {
        "/api/v2/dev/info": b'{"devinfo": [{"name": "fwversion", "value": "v5.0"}]}',
        "/api/v2/sm/telegram": GOOD,
    }
    with http_peer(routes(table)) as server:
        src = dsmrparse.open(url(server), **FAST)
        t = take(src, 1)[0]
    assert src.endpoint == url(server, "/api/v2/sm/telegram")
    assert body(t.raw) == body(GOOD) and t.crc == "ok"


def test_dsmr_logger32_v2_api_json_values() -> None:
    table = {
        "/api/v2/dev/info": b'{"devinfo": [{"name": "fwversion", "value": "v5.0"}]}',
        "/api/v2/sm/actual": json.dumps(V2_ACTUAL).encode(),
    }
    with http_peer(routes(table)) as server:
        src = dsmrparse.open(url(server), http="json", **FAST)
        r = take(src, 1)[0]
    assert src.endpoint == url(server, "/api/v2/sm/actual")
    assert r["electricity_imported_tariff_1"] == Decimal("1234.567")
    assert r.units["electricity_imported_tariff_1"] == "kWh"
    assert r["power_imported"] == Decimal("0.512") and r["gas"] == Decimal("987.654")


def test_homewizard_v2_measurement_with_the_gas_meter_under_external() -> None:
    doc = {
        "protocol_version": 50,
        "energy_import_kwh": 13779.338,
        "energy_import_t1_kwh": 10830.511,
        "energy_export_t2_kwh": 8.0,
        "power_w": 1234,
        "power_l1_w": -200,
        "current_l1_a": -1.5,
        "voltage_l1_v": 230.1,
        "external": [
            {"unique_id": "x", "type": "gas_meter", "value": 2569.646, "unit": "m3"},
        ],
    }
    with http_peer(routes({"/api/measurement": json.dumps(doc).encode()})) as server:
        r = take(dsmrparse.open(url(server, "/api/measurement"), **FAST), 1)[0]
    assert r.device == "homewizard"
    assert r["electricity_imported_total"] == Decimal("13779.338")
    assert r["electricity_imported_tariff_1"] == Decimal("10830.511")
    assert r["power_imported"] == Decimal("1.234") and r["power_exported"] == 0
    assert r["power_exported_l1"] == Decimal("0.2") and r["current_l1"] == Decimal("1.5")
    assert r["gas"] == Decimal("2569.646") and r["p1_version"] == "50"
