"""Readings from bridges that give JSON instead of the raw telegram, mapped onto our field names.

Three shapes are known: the DSMR-logger v4 REST API (``{"actual": [{"name", "value", "unit"}]}``
lists, or the flat ``/api/v0/sm/actual`` object), the older ESP-01 loggers' ``/getActual.json``
(one flat object of strings) and HomeWizard's ``/api/v1/data`` (one flat object, signed watts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..telegram import dumps
from ..values import decode_hex_text, parse_timestamp, time_context

__all__ = ["BridgeReading", "from_dsmr_logger", "from_esp01", "from_homewizard", "BRIDGE_FORMAT"]

BRIDGE_FORMAT = "dsmrparse/bridge/1"


class BridgeReading:
    """What a JSON-only bridge endpoint gave. There is no raw telegram: ``raw`` is None.

    ``fields`` holds values under this library's field names (``electricity_imported_tariff_1``,
    ``power_imported``, ``gas``...), numbers as exact ``Decimal``; ``units`` their units;
    ``extra`` the bridge's keys that have no counterpart, as given; ``data`` the whole document.
    """

    __slots__ = ("source", "device", "fields", "units", "extra", "data", "received", "timestamp")

    raw = None
    crc = "absent"

    def __init__(
        self,
        *,
        source: str,
        device: str,
        fields: dict[str, Any],
        units: dict[str, str | None],
        extra: dict[str, Any],
        data: Any,
        received: datetime,
        timestamp: datetime | None,
    ) -> None:
        self.source = source
        self.device = device
        self.fields = fields
        self.units = units
        self.extra = extra
        self.data = data
        self.received = received
        self.timestamp = timestamp

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.fields

    def keys(self) -> list[str]:
        return list(self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BRIDGE_FORMAT,
            "raw": None,
            "device": self.device,
            "source": self.source,
            "received": self.received.isoformat(),
            "timestamp": None if self.timestamp is None else self.timestamp.isoformat(),
            "fields": [
                {"name": k, "value": _jsonable(v), "unit": self.units.get(k)}
                for k, v in self.fields.items()
            ],
            "extra": {k: _jsonable(v) for k, v in self.extra.items()},
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())

    def __repr__(self) -> str:
        return f"<BridgeReading {self.device} fields={len(self.fields)} raw=None>"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# --- DSMR-logger (arduino-dsmr names) ---------------------------------------------------------

# logger name -> (our name, kind, unit when the flat form gives none); kinds: q quantity,
# i integer, t text, h hex text, ts timestamp
_LOGGER: dict[str, tuple[str, str, str | None]] = {
    "timestamp": ("timestamp", "ts", None),
    "p1_version": ("p1_version", "t", None),
    "equipment_id": ("equipment_id", "h", None),
    "energy_delivered_tariff1": ("electricity_imported_tariff_1", "q", "kWh"),
    "energy_delivered_tariff2": ("electricity_imported_tariff_2", "q", "kWh"),
    "energy_returned_tariff1": ("electricity_exported_tariff_1", "q", "kWh"),
    "energy_returned_tariff2": ("electricity_exported_tariff_2", "q", "kWh"),
    "electricity_tariff": ("tariff_indicator", "i", None),
    "power_delivered": ("power_imported", "q", "kW"),
    "power_returned": ("power_exported", "q", "kW"),
    "electricity_failures": ("power_failures", "i", None),
    "electricity_long_failures": ("long_power_failures", "i", None),
    "message_short": ("text_message_code", "h", None),
    "message_long": ("text_message", "h", None),
    "gas_delivered": ("gas", "q", "m3"),
}
for _n in (1, 2, 3):
    _LOGGER.update(
        {
            f"voltage_l{_n}": (f"voltage_l{_n}", "q", "V"),
            f"current_l{_n}": (f"current_l{_n}", "q", "A"),
            f"power_delivered_l{_n}": (f"power_imported_l{_n}", "q", "kW"),
            f"power_returned_l{_n}": (f"power_exported_l{_n}", "q", "kW"),
            f"electricity_sags_l{_n}": (f"voltage_sags_l{_n}", "i", None),
            f"electricity_swells_l{_n}": (f"voltage_swells_l{_n}", "i", None),
        }
    )

_ZONE = time_context("Europe/Amsterdam")


def _convert(kind: str, value: Any) -> Any:
    if kind == "q":
        return _decimal(value)
    if kind == "i":
        number = _decimal(value)
        return (
            int(number) if number is not None and number == number.to_integral_value() else number
        )
    if kind == "h":
        text = str(value)
        try:
            return decode_hex_text(text) if text else text
        except ValueError:
            return text
    if kind == "ts":
        try:
            return parse_timestamp(str(value), _ZONE)
        except ValueError:
            return None
    return str(value)


# Bounds on a number taken from a bridge: a meter register has a dozen digits. Without them a
# "1e1000000" costs seconds of CPU in one conversion, and NaN/Infinity break arithmetic.
MAX_NUMBER_TEXT = 40
MAX_EXPONENT = 30
MAX_DEPTH = 32  # JSON nesting; bridges send two or three levels


def _decimal(value: Any) -> Decimal | None:
    """A finite, bounded Decimal; None for no number; ValueError for a number out of bounds."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"number {text[:20]!r}... is longer than {MAX_NUMBER_TEXT} characters")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    if number and abs(number.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"number {text!r} is out of range (exponent beyond {MAX_EXPONENT})")
    return number


class _Builder:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.units: dict[str, str | None] = {}
        self.extra: dict[str, Any] = {}

    def put(self, name: str, value: Any, unit: str | None) -> None:
        if value is None:
            return
        self.fields[name] = value
        self.units[name] = unit

    def reading(self, source: str, device: str, data: Any, received: datetime) -> BridgeReading:
        stamp = self.fields.get("timestamp")
        return BridgeReading(
            source=source,
            device=device,
            fields=self.fields,
            units=self.units,
            extra=self.extra,
            data=data,
            received=received,
            timestamp=stamp if isinstance(stamp, datetime) else None,
        )


def from_dsmr_logger(data: Any, source: str, received: datetime) -> BridgeReading:
    """``/api/v1/sm/actual`` or ``/api/v1/sm/fields`` (name/value/unit lists), the flat
    ``/api/v0/sm/actual`` object, or ``/api/v2/sm/actual`` (name -> value/unit objects).
    A value ``"-"`` means the meter does not send that field."""
    rows: list[tuple[str, Any, str | None]] = []
    if isinstance(data, Mapping) and len(data) == 1 and isinstance(next(iter(data.values())), list):
        for row in next(iter(data.values())):
            if isinstance(row, Mapping) and "name" in row:
                rows.append((str(row["name"]), row.get("value"), row.get("unit")))
    elif isinstance(data, Mapping):
        inner = next(iter(data.values())) if len(data) == 1 else None
        if isinstance(inner, Mapping) and all(isinstance(v, Mapping) for v in inner.values()):
            data = inner  # {"actual": {name: {"value", "unit"}}}
        for k, v in data.items():  # flat (v0), or name -> {"value", "unit"} (v2, logger32)
            if isinstance(v, Mapping) and "value" in v:
                unit = v.get("unit")
                rows.append((str(k), v["value"], None if unit in (None, "") else str(unit)))
            else:
                rows.append((str(k), v, None))
    else:
        raise ValueError("not a DSMR-logger JSON document")
    b = _Builder()
    for name, value, unit in rows:
        if value == "-":
            continue
        spec = _LOGGER.get(name.lower())
        if spec is None:
            b.extra[name] = value
            continue
        ours, kind, default_unit = spec
        b.put(ours, _convert(kind, value), unit if unit is not None else default_unit)
    _gas_from_mbus(b)
    return b.reading(source, "dsmr-logger", data, received)


def _gas_from_mbus(b: _Builder) -> None:
    """The ``/sm/fields`` form names MBus channels, not gas: take the channel of device type 3."""
    if "gas" in b.fields:
        return
    for ch in (1, 2, 3, 4):
        if str(b.extra.get(f"mbus{ch}_device_type")) == "3":
            value = _decimal(b.extra.get(f"mbus{ch}_delivered"))
            b.put("gas", value, "m3")
            return


# --- ESP-01 loggers (DSMRlogger2HTTP, /getActual.json) -------------------------------------------

# keys compared without case and underscores: "Energy_Delivered_Tariff1" and "EnergyDelivered..."
_ESP01: dict[str, tuple[str, str, str | None]] = {
    "timestamp": ("timestamp", "ts", None),
    "energydelivered": ("electricity_imported_total", "q", "kWh"),
    "energyreturned": ("electricity_exported_total", "q", "kWh"),
    "energydeliveredtariff1": ("electricity_imported_tariff_1", "q", "kWh"),
    "energydeliveredtariff2": ("electricity_imported_tariff_2", "q", "kWh"),
    "energyreturnedtariff1": ("electricity_exported_tariff_1", "q", "kWh"),
    "energyreturnedtariff2": ("electricity_exported_tariff_2", "q", "kWh"),
    "energytariff": ("tariff_indicator", "i", None),
    "electricitytariff": ("tariff_indicator", "i", None),
    "gasdelivered": ("gas", "q", "m3"),
    # power: builds differ between kW and W, so no unit is claimed
    "powerdelivered": ("power_imported", "q", None),
    "powerreturned": ("power_exported", "q", None),
}
for _n in (1, 2, 3):
    _ESP01.update(
        {
            f"voltagel{_n}": (f"voltage_l{_n}", "q", "V"),
            f"currentl{_n}": (f"current_l{_n}", "q", "A"),
            f"powerdeliveredl{_n}": (f"power_imported_l{_n}", "q", None),
            f"powerreturnedl{_n}": (f"power_exported_l{_n}", "q", None),
        }
    )


def from_esp01(
    data: Any, source: str, received: datetime, device: str = "dsmr-logger-esp01"
) -> BridgeReading:
    """``/getActual.json`` of the ESP-01 loggers, and DSMRloggerWS's ``/restAPI?get=actual``
    (the same flat object of strings)."""
    if not isinstance(data, Mapping):
        raise ValueError("not an ESP-01 logger JSON object")
    b = _Builder()
    for key, value in data.items():
        spec = _ESP01.get(str(key).replace("_", "").replace(" ", "").lower())
        if spec is None:
            b.extra[str(key)] = value
            continue
        ours, kind, unit = spec
        b.put(ours, _convert(kind, value), unit)
    return b.reading(source, device, data, received)


# --- HomeWizard P1 (/api/v1/data) -------------------------------------------------------------

_HOMEWIZARD: dict[str, tuple[str, str, str | None]] = {
    "total_power_import_t1_kwh": ("electricity_imported_tariff_1", "q", "kWh"),
    "total_power_import_t2_kwh": ("electricity_imported_tariff_2", "q", "kWh"),
    "total_power_export_t1_kwh": ("electricity_exported_tariff_1", "q", "kWh"),
    "total_power_export_t2_kwh": ("electricity_exported_tariff_2", "q", "kWh"),
    "active_tariff": ("tariff_indicator", "i", None),
    "any_power_fail_count": ("power_failures", "i", None),
    "long_power_fail_count": ("long_power_failures", "i", None),
    "total_gas_m3": ("gas", "q", "m3"),
    "unique_id": ("equipment_id", "h", None),
}
for _n in (1, 2, 3):
    _HOMEWIZARD.update(
        {
            f"active_voltage_l{_n}_v": (f"voltage_l{_n}", "q", "V"),
            f"voltage_sag_l{_n}_count": (f"voltage_sags_l{_n}", "i", None),
            f"voltage_swell_l{_n}_count": (f"voltage_swells_l{_n}", "i", None),
        }
    )
_KILO = Decimal(1000)


# HomeWizard API v2 (/api/measurement): the same meter values under shorter names
_HOMEWIZARD_V2: dict[str, tuple[str, str, str | None]] = {
    "energy_import_kwh": ("electricity_imported_total", "q", "kWh"),
    "energy_export_kwh": ("electricity_exported_total", "q", "kWh"),
    "energy_import_t1_kwh": ("electricity_imported_tariff_1", "q", "kWh"),
    "energy_import_t2_kwh": ("electricity_imported_tariff_2", "q", "kWh"),
    "energy_export_t1_kwh": ("electricity_exported_tariff_1", "q", "kWh"),
    "energy_export_t2_kwh": ("electricity_exported_tariff_2", "q", "kWh"),
    "tariff": ("tariff_indicator", "i", None),
    "any_power_fail_count": ("power_failures", "i", None),
    "long_power_fail_count": ("long_power_failures", "i", None),
    "unique_id": ("equipment_id", "h", None),
}
for _n in (1, 2, 3):
    _HOMEWIZARD_V2.update(
        {
            f"voltage_l{_n}_v": (f"voltage_l{_n}", "q", "V"),
            f"voltage_sag_l{_n}_count": (f"voltage_sags_l{_n}", "i", None),
            f"voltage_swell_l{_n}_count": (f"voltage_swells_l{_n}", "i", None),
        }
    )


def from_homewizard(data: Any, source: str, received: datetime) -> BridgeReading:
    """Signed watts (``active_power_w`` < 0 while exporting) become ``power_imported`` and
    ``power_exported`` in kW, both >= 0 as in a telegram; currents become their magnitude.
    Takes ``/api/v1/data`` and API v2's ``/api/measurement``."""
    if not isinstance(data, Mapping):
        raise ValueError("not a HomeWizard JSON object")
    b = _Builder()
    v2 = "power_w" in data or "energy_import_kwh" in data or "protocol_version" in data
    table = _HOMEWIZARD_V2 if v2 else _HOMEWIZARD
    for key, value in data.items():
        key = str(key)
        spec = table.get(key)
        if spec is not None:
            ours, kind, unit = spec
            b.put(ours, _convert(kind, value), unit)
            continue
        bare = key.removeprefix("active_")
        if key in ("smr_version", "protocol_version"):
            b.put("p1_version", str(value), None)
        elif bare == "power_w" or (bare.startswith("power_l") and bare.endswith("_w")):
            phase = "" if bare == "power_w" else "_" + bare[len("power_") : -2]
            watts = _decimal(value)
            if watts is None:
                continue
            b.put(f"power_imported{phase}", max(watts, Decimal(0)) / _KILO, "kW")
            b.put(f"power_exported{phase}", max(-watts, Decimal(0)) / _KILO, "kW")
        elif bare.startswith("current_l") and bare.endswith("_a"):
            amps = _decimal(value)
            b.put(f"current_{bare[len('current_') : -2]}", None if amps is None else abs(amps), "A")
        elif key == "external" and isinstance(value, list):
            b.extra[key] = value
            _gas_from_external(b, value)
        else:
            b.extra[key] = value
    return b.reading(source, "homewizard", data, received)


def _gas_from_external(b: _Builder, devices: list[Any]) -> None:
    """API v2 lists MBus meters under ``external``; the gas meter is the one of type gas_meter."""
    if "gas" in b.fields:
        return
    for device in devices:
        if isinstance(device, Mapping) and device.get("type") == "gas_meter":
            b.put("gas", _decimal(device.get("value")), str(device.get("unit") or "m3"))
            return


def known_esp01(data: Any) -> bool:
    """Whether a JSON object has the ESP-01 / DSMRloggerWS ``Energy_Delivered_Tariff1`` keys."""
    return isinstance(data, Mapping) and any(
        str(k).replace("_", "").replace(" ", "").lower() in _ESP01 for k in data
    )


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _json_number(text: str) -> Decimal | int:
    number = _decimal(text)
    if number is None:
        raise ValueError(f"bad number {text!r}")
    return int(number) if "." not in text and "e" not in text.lower() else number


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON holds {name}, which is not a meter value")


def loads(body: bytes) -> Any:
    """JSON with exact decimals (``2332.511`` stays ``Decimal("2332.511")``), checked: strict
    UTF-8, no NaN/Infinity, numbers bounded, nesting at most MAX_DEPTH. ValueError otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ValueError(f"JSON nested {deepest} deep (a bridge sends at most a few levels)")
    try:
        return json.loads(
            text, parse_float=_json_number, parse_int=_json_number, parse_constant=_no_constant
        )
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
