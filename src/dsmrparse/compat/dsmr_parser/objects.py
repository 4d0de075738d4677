"""dsmr_parser's result objects: a :class:`Telegram` keyed by line signature with attribute
access by name, and one object per line (:class:`CosemObject`, :class:`MBusObject` ...).

``values`` is dsmr_parser's shape: a list of ``{"value": ..., "unit": ...}``, one per group.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

__all__ = [
    "Telegram",
    "DSMRObject",
    "MBusObject",
    "MBusObjectPeak",
    "CosemObject",
    "ProfileGenericObject",
    "MbusDevice",
]

Values = list[dict[str, Any]]


def _utc_text(value: Any) -> Any:
    """Datetimes as ISO 8601 in UTC, the way dsmr_parser prints and serialises them."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def _json_value(value: Any) -> Any:
    value = _utc_text(value)
    return float(value) if isinstance(value, Decimal) else value


class Telegram(dict):
    """One parsed telegram: ``telegram[obis_references.X]`` (the dict form dsmr_parser keeps
    for old code), ``telegram.X`` by name, ``for name, obj in telegram``, ``MBUS_DEVICES``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._item_names: list[str] = []
        self._named: set[str] = set()  # _item_names as a set: add() runs once per line
        self._mbus_devices: list[MbusDevice] = []
        super().__init__(*args, **kwargs)

    def add(self, obis_reference: str, dsmr_object: Any, obis_name: str) -> None:
        self.__dict__[obis_name] = dsmr_object
        # a list (the Belgian 13-month peaks) is never an MBus reading
        if isinstance(dsmr_object, DSMRObject) and dsmr_object.is_mbus_reading:
            self._add_mbus(dsmr_object, obis_name)
        elif obis_name not in self._named:
            self._named.add(obis_name)
            self._item_names.append(obis_name)
        if obis_reference not in self:  # the first line of a signature wins in the dict form
            self[obis_reference] = dsmr_object

    def _add_mbus(self, dsmr_object: DSMRObject, obis_name: str) -> None:
        channel = dsmr_object.obis_id_code[1]
        device = self.get_mbus_device_by_channel(channel)
        if device is None:
            device = MbusDevice(channel_id=channel)
            self._mbus_devices.append(device)
        device.add(None, dsmr_object, obis_name)
        if "MBUS_DEVICES" not in self._named:
            self.MBUS_DEVICES = self._mbus_devices
            self._named.add("MBUS_DEVICES")
            self._item_names.append("MBUS_DEVICES")

    def get_mbus_device_by_channel(self, channel_id: int) -> MbusDevice | None:
        for device in self._mbus_devices:
            if device.channel_id == channel_id:
                return device
        return None

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._item_names:
            yield name, getattr(self, name)

    def __str__(self) -> str:
        parts: list[str] = []
        for name, value in self:
            if isinstance(value, list):
                parts.extend(str(item) for item in value)
            else:
                parts.append(f"{name}: \t {value}\n")
        return "".join(parts)

    def to_json(self) -> str:
        data: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, list):
                data[name] = [
                    json.loads(item.to_json()) if hasattr(item, "to_json") else item
                    for item in value
                ]
            elif hasattr(value, "to_json"):
                data[name] = json.loads(value.to_json())
        return json.dumps(data)


class DSMRObject:
    """One telegram line: ``obis_id_code`` is (medium, channel), ``values`` its groups."""

    # slots for speed (one object per line); __dict__ kept for code that sets its own attributes
    __slots__ = ("obis_id_code", "values", "__dict__")

    def __init__(self, obis_id_code: tuple[int, int], values: Values) -> None:
        self.obis_id_code = obis_id_code
        self.values = values

    @property
    def is_mbus_reading(self) -> bool:
        code = self.obis_id_code
        return code[0] == 0 and code[1] != 0

    def to_json(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.obis_id_code!r}, {self.values!r})"


class CosemObject(DSMRObject):
    """A line with one value (and maybe a unit)."""

    @property
    def value(self) -> Any:
        return self.values[0]["value"]

    @property
    def unit(self) -> str | None:
        return self.values[0]["unit"]

    def __str__(self) -> str:
        return f"{_utc_text(self.value)}\t[{self.unit}]"

    def to_json(self) -> str:
        return json.dumps({"value": _json_value(self.value), "unit": self.unit})


class MBusObject(DSMRObject):
    """A timestamped reading: ``(time)(value*unit)``, or DSMR 2.2's seven-group gas record."""

    @property
    def datetime(self) -> Any:
        return self.values[0]["value"]

    @property
    def value(self) -> Any:
        # DSMR 2.2's record: (time)(00)(60)(1)(0-1:24.2.1)(m3) then the value on the next line
        return self.values[1]["value"] if len(self.values) == 2 else self.values[6]["value"]

    @property
    def unit(self) -> Any:
        return self.values[1]["unit"] if len(self.values) == 2 else self.values[5]["value"]

    def __str__(self) -> str:
        return f"{self.value}\t[{self.unit}] at {_utc_text(self.datetime)}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "datetime": _utc_text(self.datetime),
                "value": _json_value(self.value),
                "unit": self.unit,
            }
        )


class MBusObjectPeak(DSMRObject):
    """One row of the Belgian peak history: month, when the peak occurred, the peak."""

    @property
    def datetime(self) -> Any:
        return self.values[0]["value"]

    @property
    def occurred(self) -> Any:
        return self.values[1]["value"]

    @property
    def value(self) -> Any:
        return self.values[2]["value"]

    @property
    def unit(self) -> Any:
        return self.values[2]["unit"]

    def __str__(self) -> str:
        return (
            f"{_json_value(self.value)}\t[{self.unit}] at {_utc_text(self.datetime)} "
            f"occurred {_utc_text(self.occurred)}"
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "datetime": _utc_text(self.datetime),
                "occurred": _utc_text(self.occurred),
                "value": _json_value(self.value),
                "unit": self.unit,
            }
        )


class ProfileGenericObject(DSMRObject):
    """A buffer of (time, value) pairs: the power-failure log ``99.97.0``."""

    def __init__(self, obis_id_code: tuple[int, int], values: Values) -> None:
        super().__init__(obis_id_code, values)
        self._buffer: list[MBusObject] | None = None  # built on first use

    @property
    def value(self) -> Values:
        return self.values

    @property
    def unit(self) -> None:
        return None

    @property
    def buffer_length(self) -> Any:
        return self.values[0]["value"]

    @property
    def buffer_type(self) -> Any:
        return self.values[1]["value"]

    @property
    def buffer(self) -> list[MBusObject]:
        if self._buffer is None:
            pairs = self.values[2:]
            self._buffer = [
                MBusObject(self.obis_id_code, [pairs[i], pairs[i + 1]])
                for i in range(0, 2 * self.buffer_length, 2)
            ]
        return self._buffer

    def __str__(self) -> str:
        text = f"\t buffer length: {self.buffer_length}\n\t buffer type: {self.buffer_type}"
        for item in self.buffer:
            text += f"\n\t event occured at: {_utc_text(item.datetime)}"
            text += f"\t for: {item.value} [{item.unit}]"
        return text

    def to_json(self) -> str:
        return json.dumps(
            {
                "buffer_length": self.buffer_length,
                "buffer_type": self.buffer_type,
                "buffer": [json.loads(item.to_json()) for item in self.buffer],
            }
        )


class MbusDevice:
    """The lines of one MBus channel, by name (``device.MBUS_METER_READING``)."""

    def __init__(self, channel_id: int) -> None:
        self.channel_id = channel_id
        self._item_names: list[str] = []

    def add(self, obis_reference: str | None, dsmr_object: Any, obis_name: str) -> None:
        setattr(self, obis_name, dsmr_object)
        self._item_names.append(obis_name)

    def __len__(self) -> int:
        return len(self._item_names)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._item_names:
            yield name, getattr(self, name)

    def __str__(self) -> str:
        text = f"MBUS DEVICE (channel {self.channel_id})\n"
        for name, value in self:
            text += f"\t{name}: \t {value}\n"
        return text

    def to_json(self) -> str:
        data: dict[str, Any] = {name: json.loads(value.to_json()) for name, value in self}
        data["CHANNEL_ID"] = self.channel_id
        return json.dumps(data)
