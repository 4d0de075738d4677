"""Readings of JSON-only bridges (old ESP-01 loggers, DSMR-logger JSON, HomeWizard) as telegrams.

The logger keeps history, MQTT and the pages on ``Telegram`` objects. A bridge that gives only
JSON has no raw telegram, so one is written from its fields with the DSMR 5 profile's objects
(the names the bridge mapping uses), parsed back, and marked: the logger stores its values but
neither keeps it as the meter's last raw telegram nor writes it to the capture files.
"""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal
from typing import Any

from .._types import Reading
from ..telegram import Telegram

__all__ = ["telegram_from_bridge", "is_bridge_telegram", "BRIDGE_HEADER"]

BRIDGE_HEADER = "JSN5\\dsmrparse-bridge"  # says where the telegram came from

_KILO = Decimal(1000)
# A household connection stays far below 100 kW: a power above this, given without a unit (the
# ESP-01 firmware builds differ between kW and W), is in watts.
_WATTS_ABOVE = Decimal(100)
_POWER = ("power_imported", "power_exported")


def telegram_from_bridge(reading: Any) -> Telegram:
    """The ``Telegram`` of a ``BridgeReading``: its fields that the DSMR 5 profile names, the gas
    reading as MBus channel 1, and the time of the reading (or of its arrival)."""
    from zoneinfo import ZoneInfo

    from .. import parse
    from ..encode import encode
    from ..profiles import get as get_profile

    profile = get_profile("dsmr5")
    zone = profile.timezone
    stamp = reading.timestamp or reading.received
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    stamp = stamp.astimezone(ZoneInfo(zone)).replace(microsecond=0)
    objects: list[tuple[str, Any]] = [("timestamp", stamp)]
    for name, value in reading.fields.items():
        field = profile.by_name.get(name)
        if name == "timestamp" or field is None or field.is_mbus or value is None:
            continue
        objects.append((name, _in_profile_unit(name, value, reading.units.get(name), field.unit)))
    gas = reading.fields.get("gas")
    if isinstance(gas, Decimal):
        objects += [("0-1:24.1.0", 3), ("0-1:24.2.1", Reading(stamp, gas, "m3"))]
    return parse(encode(profile, objects, header=BRIDGE_HEADER), profile)


def _in_profile_unit(name: str, value: Any, unit: str | None, wanted: str | None) -> Any:
    if not isinstance(value, Decimal) or wanted is None:
        return value
    if unit is None and name.startswith(_POWER) and wanted == "kW" and abs(value) > _WATTS_ABOVE:
        unit = "W"
    if unit is not None and unit == wanted[1:] and wanted[0] == "k":
        return value / _KILO  # W -> kW, Wh -> kWh
    return value


def is_bridge_telegram(telegram: Telegram) -> bool:
    return telegram.header.text == BRIDGE_HEADER
