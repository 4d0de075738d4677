"""A telegram as the DSMRloggerAPI firmware shows it: its field names, units and number shapes.

Facts from the firmware (restAPI.cpp, jsonStuff.cpp) and arduino-dsmr, whose field list it uses:
- ``/api/v1/sm/actual`` lists a fixed set of fields, only those present, then ``gas_delivered``
  in m3 (the reading of the MBus channel whose ``mbusN_type`` setting is 3);
- ``/api/v1/sm/info`` a fixed set of identification fields, only those present;
- ``/api/v1/sm/fields`` every field, ``"-"`` for those the meter does not send;
  ``/api/v1/sm/fields/NAME`` gives ``timestamp`` and every field whose name starts with NAME;
- numbers with a fraction are written with three decimals (``%.3f``), counters as integers,
  texts as the meter wrote them (hex texts are not decoded there), each row
  ``{"name": ..., "value": ..., "unit": ...}`` with ``unit`` only when the field has one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..telegram import Telegram

__all__ = ["ACTUAL", "INFO", "ALL_FIELDS", "rows", "values", "gas_delivered", "gas_reading"]

_THOUSANDTH = Decimal("0.001")

# firmware name -> (our field name, kind, unit); kinds: f %.3f number, u integer, s raw text,
# ts the raw timestamp text. Order: arduino-dsmr's field list, which the firmware walks.
_TABLE: dict[str, tuple[str, str, str]] = {
    "identification": ("", "s", ""),
    "p1_version": ("p1_version", "s", ""),
    "p1_version_be": ("p1_version_be", "s", ""),
    "timestamp": ("timestamp", "ts", ""),
    "equipment_id": ("equipment_id", "s", ""),
    # meters with one register only (Nordic, Luxembourg, EasyMeter) show it as tariff 1
    "energy_delivered_tariff1": (
        "electricity_imported_tariff_1|electricity_imported_total",
        "f",
        "kWh",
    ),
    "energy_delivered_tariff2": ("electricity_imported_tariff_2", "f", "kWh"),
    "energy_returned_tariff1": (
        "electricity_exported_tariff_1|electricity_exported_total",
        "f",
        "kWh",
    ),
    "energy_returned_tariff2": ("electricity_exported_tariff_2", "f", "kWh"),
    "electricity_tariff": ("tariff_indicator", "s", ""),
    "power_delivered": ("power_imported", "f", "kW"),
    "power_returned": ("power_exported", "f", "kW"),
    "electricity_threshold": ("electricity_threshold", "f", "kW"),
    "electricity_switch_position": ("electricity_switch_position", "u", ""),
    "electricity_failures": ("power_failures", "u", ""),
    "electricity_long_failures": ("long_power_failures", "u", ""),
    "electricity_failure_log": ("power_failure_log", "s", ""),
    "electricity_sags_l1": ("voltage_sags_l1", "u", ""),
    "electricity_sags_l2": ("voltage_sags_l2", "u", ""),
    "electricity_sags_l3": ("voltage_sags_l3", "u", ""),
    "electricity_swells_l1": ("voltage_swells_l1", "u", ""),
    "electricity_swells_l2": ("voltage_swells_l2", "u", ""),
    "electricity_swells_l3": ("voltage_swells_l3", "u", ""),
    "message_short": ("text_message_code", "s", ""),
    "message_long": ("text_message", "s", ""),
    "voltage_l1": ("voltage_l1", "f", "V"),
    "voltage_l2": ("voltage_l2", "f", "V"),
    "voltage_l3": ("voltage_l3", "f", "V"),
    "current_l1": ("current_l1", "u", "A"),
    "current_l2": ("current_l2", "u", "A"),
    "current_l3": ("current_l3", "u", "A"),
    "power_delivered_l1": ("power_imported_l1", "f", "kW"),
    "power_delivered_l2": ("power_imported_l2", "f", "kW"),
    "power_delivered_l3": ("power_imported_l3", "f", "kW"),
    "power_returned_l1": ("power_exported_l1", "f", "kW"),
    "power_returned_l2": ("power_exported_l2", "f", "kW"),
    "power_returned_l3": ("power_exported_l3", "f", "kW"),
}
_MBUS = ("device_type", "equipment_id_tc", "equipment_id_ntc", "valve_position", "delivered",
         "delivered_tc", "delivered_ntc", "delivered_dbl")  # fmt: skip

ALL_FIELDS: list[str] = list(_TABLE) + [f"mbus{n}_{part}" for n in (1, 2, 3, 4) for part in _MBUS]
ACTUAL = ["timestamp", "energy_delivered_tariff1", "energy_delivered_tariff2",
          "energy_returned_tariff1", "energy_returned_tariff2", "power_delivered",
          "power_returned", "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2",
          "current_l3", "power_delivered_l1", "power_delivered_l2", "power_delivered_l3",
          "power_returned_l1", "power_returned_l2", "power_returned_l3", "mbus1_delivered",
          "mbus2_delivered", "mbus3_delivered", "mbus4_delivered"]  # fmt: skip
INFO = ["identification", "p1_version", "p1_version_be", "equipment_id", "electricity_tariff",
        "mbus1_device_type", "mbus1_equipment", "mbus2_device_type", "mbus2_equipment",
        "mbus3_device_type", "mbus3_equipment", "mbus4_device_type", "mbus4_equipment"]  # fmt: skip


_PREFIX = {"k": Decimal(1000), "K": Decimal(1000), "M": Decimal(1000000)}


def _split_unit(unit: str) -> tuple[Decimal, str]:
    if len(unit) > 1 and unit[0] in _PREFIX:
        return _PREFIX[unit[0]], unit[1:]
    return Decimal(1), unit


def _scaled(value: Decimal, unit: str, wanted: str) -> Decimal | None:
    """``value`` in ``unit`` expressed in ``wanted`` (Wh -> kWh, W -> kW ...); None when they
    are not the same quantity. Units are matched case-insensitively, as the meters vary."""
    have_factor, have_base = _split_unit(unit.strip())
    want_factor, want_base = _split_unit(wanted)
    if have_base.casefold() != want_base.casefold():
        return None
    return value * have_factor / want_factor


def _number(value: Any, kind: str, unit: str | None = None, wanted: str = "") -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    if wanted and unit is not None:
        value = _scaled(Decimal(value), unit, wanted)
        if value is None:
            return None
    if kind == "u" and value == int(value):
        return int(value)
    # an integer field with a fraction (Belgian currents: 001.23*A) keeps it rather than
    # being cut as the firmware's uint16_t would
    return Decimal(value).quantize(_THOUSANDTH)


def _present(telegram: Telegram, names: str) -> str | None:
    for name in names.split("|"):
        if name and name in telegram:
            return name
    return None


def _raw(telegram: Telegram, name: str) -> str | None:
    if name not in telegram:
        return None
    raw = telegram.entry(name).raw
    # several groups (the failure log) as arduino-dsmr keeps them: the raw "(...)(...)" text
    return "".join(f"({g})" for g in raw) if len(raw) > 1 else (raw[0] if raw else "")


def values(telegram: Telegram, mbus_types: dict[int, int]) -> dict[str, tuple[Any, str]]:
    """Every firmware field the telegram holds: name -> (value, unit or "")."""
    out: dict[str, tuple[Any, str]] = {}
    for fw, (ours, kind, unit) in _TABLE.items():
        if fw == "identification":
            out[fw] = (telegram.header.text, "")
            continue
        name = _present(telegram, ours)
        if name is None:
            continue
        if kind in ("s", "ts"):
            text = _raw(telegram, name)
            if text is not None:
                out[fw] = (text, "")
            continue
        value = _number(telegram.get(name), kind, telegram.entry(name).unit, unit)
        if value is not None:
            out[fw] = (value, unit)
    for channel, device in sorted(telegram.mbus.items()):
        if not 1 <= channel <= 4:
            continue
        prefix = f"mbus{channel}_"
        if device.device_type is not None:
            out[prefix + "device_type"] = (int(device.device_type), "")
        if device.equipment_id:
            out[prefix + "equipment_id_tc"] = (device.equipment_id, "")
        reading = device.reading
        if reading is not None and reading.value is not None:
            out[prefix + "delivered"] = (_number(reading.value, "f"), reading.unit or "m3")
    return out


def gas_delivered(telegram: Telegram, mbus_types: dict[int, int]) -> Decimal:
    """The firmware's ``gasDelivered``: the channel set as gas (type 3), else the detected gas
    meter; 0.000 when there is none, as the firmware writes it."""
    found = gas_reading(telegram, mbus_types)
    return Decimal("0.000") if found is None else found


def gas_reading(telegram: Telegram, mbus_types: dict[int, int]) -> Decimal | None:
    """The gas register (m3, three decimals), or None when the meter has no gas meter."""
    for channel, kind in sorted(mbus_types.items()):
        device = telegram.mbus.get(channel)
        if kind != 3 or device is None or device.reading is None or device.reading.value is None:
            continue
        if device.device_type not in (None, 3):  # the meter says it is not gas (heat, water)
            continue
        return Decimal(device.reading.value).quantize(_THOUSANDTH)
    gas = telegram.gas
    if gas is not None and gas.value is not None:
        return Decimal(gas.value).quantize(_THOUSANDTH)
    return None


def _row(name: str, value: Any, unit: str) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit} if unit else {"name": name, "value": value}


def rows(
    telegram: Telegram, mbus_types: dict[int, int], view: str, prefix: str = ""
) -> list[dict[str, Any]]:
    """The list of one firmware answer: ``view`` is "actual", "info" or "fields"."""
    have = values(telegram, mbus_types)
    # the firmware walks its whole field list and keeps the names that start with a listed one
    # ("mbus1_equipment" finds mbus1_equipment_id_tc), so the order is the field list's
    if view == "actual":
        out = [_row(n, *have[n]) for n in ALL_FIELDS if n in have and _listed(n, ACTUAL)]
        out.append(_row("gas_delivered", gas_delivered(telegram, mbus_types), "m3"))
        return out
    if view == "info":
        return [_row(n, *have[n]) for n in ALL_FIELDS if n in have and _listed(n, INFO)]
    wanted = ["timestamp", prefix] if prefix else None
    out = []
    for name in ALL_FIELDS:
        if wanted is not None and not _listed(name, wanted):
            continue
        out.append(_row(name, *have[name]) if name in have else {"name": name, "value": "-"})
    return out


def _listed(name: str, wanted: list[str]) -> bool:
    return any(name.startswith(w) for w in wanted)
