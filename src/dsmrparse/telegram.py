"""The immutable result of parsing one telegram, and its interchange form."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from types import MappingProxyType

from ._jsonform import (
    dumps,  # noqa: F401 (re-exported: files, columnar, sources import it here)
    entry_item,
    telegram_json,
)
from ._record import NamedTuple
from ._types import Entry, Problem, Reading, Tokens, as_json_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .profiles import Profile

__all__ = ["Telegram", "Header", "MBusDevice", "DEVICE_TYPES", "FORMAT"]

FORMAT = "dsmrparse/1"  # the interchange form's version; bumped only on an incompatible change

# EN 13757-3 device types seen on P1 MBus channels
DEVICE_TYPES = {
    2: "electricity",
    3: "gas",
    4: "heat",
    6: "warm_water",
    7: "water",
    10: "cooling",
    11: "cooling",
    12: "heat",
    13: "heat_cooling",
    21: "hot_water",
    22: "cold_water",
}
_SHORTCUTS = {
    "gas": frozenset({3}),
    "water": frozenset({7, 22}),
    "heat": frozenset({4, 12, 13}),
    "hot_water": frozenset({6, 21}),
}


class Header(NamedTuple):
    """The identification line: ``/ISK5\\2M550T-1012`` -> ``ISK``, ``5``, ``\\2M550T-1012``."""

    text: str
    manufacturer: str
    baud: str
    identification: str

    @classmethod
    def parse(cls, text: str) -> Header:
        return cls(text, text[0:3], text[3:4], text[4:])


class MBusDevice(NamedTuple):
    """What one MBus channel says: device type, identifier, last reading, valve."""

    channel: int
    device_type: int | None
    equipment_id: str | None
    reading: Reading | None
    valve: int | None
    device_type_inferred: bool = False  # no device-type line: the type comes from the unit

    @property
    def kind(self) -> str | None:
        return DEVICE_TYPES.get(self.device_type) if self.device_type is not None else None

    @property
    def alive(self) -> bool:
        """False for a placeholder channel (no device type, or a sentinel reading time)."""
        return (
            self.device_type not in (None, 0)
            and self.reading is not None
            and self.reading.timestamp is not None
        )

    def to_dict(self) -> dict[str, Any]:
        r = self.reading
        return {
            "channel": self.channel,
            "device_type": self.device_type,
            "kind": self.kind,
            "equipment_id": self.equipment_id,
            "timestamp": as_json_value(r.timestamp) if r else None,
            "value": r.value if r else None,
            "unit": r.unit if r else None,
            "valve": self.valve,
            "alive": self.alive,
            "device_type_inferred": self.device_type_inferred,
        }


# a channel without its 0-n:24.1.0 line: the kind from the reading's unit (casefolded)
_TYPE_BY_UNIT = {"m3": 3, "gj": 4, "mj": 4, "kwh": 4}


def _inferred_type(reading: Reading | None, profile: Profile) -> int | None:
    """The device type a reading's unit implies; ``m3`` is gas unless the profile says water
    (``extra["m3_device_type"] = 7``)."""
    if reading is None or reading.unit is None:
        return None
    unit = reading.unit.strip().casefold()
    if unit == "m3":
        return int(profile.extra.get("m3_device_type", 3))
    return _TYPE_BY_UNIT.get(unit)


def _reading_time(device: MBusDevice) -> datetime:
    """Sort key of live devices (``alive`` guarantees a reading with a timestamp)."""
    assert device.reading is not None and device.reading.timestamp is not None
    return device.reading.timestamp


_NO_PINS: Mapping[str, int] = MappingProxyType({})

_MBUS_ROLES = {
    "mbus_device_type": "device_type",
    "mbus_equipment_id": "equipment_id",
    "mbus_reading": "reading",
    "mbus_valve": "valve",
}


def _on_mbus(obis: str) -> bool:
    """``0-1:...`` to ``0-4:...``: an object of an MBus channel, not of the meter itself."""
    return obis[:2] == "0-" and obis[2:4] != "0:"


class Telegram:
    """One parsed telegram. Immutable; the raw bytes, every object and every problem are kept.

    ``t[key]`` gives the value of an object by name (``"electricity_imported_tariff_1"``) or OBIS
    code (``"1-0:1.8.1"``); ``t.entry(key)`` the whole :class:`Entry` (value, unit, raw groups,
    line). The ``gas``, ``water`` and ``heat`` shortcuts pick the MBus device by type and live
    timestamp, unless ``mbus_channels`` pinned them.
    """

    __slots__ = (
        "_raw",
        "_tokens",
        "_profile",
        "_reason",
        "_entries",
        "_problems",
        "_pins",
        "_index",
        "_mbus",
        "_header",
    )

    def __init__(
        self,
        raw: bytes,
        tokens: Tokens,
        profile: Profile,
        profile_reason: str,
        entries: tuple[Entry, ...],
        problems: tuple[Problem, ...],
        pins: Mapping[str, int] | None = None,
    ) -> None:
        # Plain slot stores: this runs once per telegram on the hot path. The public attributes
        # are read-only properties, which is what makes a Telegram immutable.
        self._raw = raw
        self._tokens = tokens
        self._profile = profile
        self._reason = profile_reason
        self._entries = entries
        self._problems = problems
        self._pins = pins if pins is not None else _NO_PINS
        self._index: dict[str, Entry] | None = None
        self._mbus: dict[int, MBusDevice] | None = None
        self._header: Header | None = None

    @property
    def raw(self) -> bytes:
        """The telegram's bytes as given to ``parse``."""
        return self._raw

    @property
    def profile(self) -> str:
        """Name of the family that read it (``dsmr5``, ``belgium`` ...)."""
        return self._profile.name

    @property
    def profile_object(self) -> Profile:
        return self._profile

    @property
    def profile_reason(self) -> str:
        """Why that family was chosen (a header prefix, a version object, the caller)."""
        return self._reason

    @property
    def header(self) -> Header:
        header = self._header
        if header is None:
            header = self._header = Header.parse(self._tokens.header)
        return header

    @property
    def crc(self) -> str:
        """``ok``, ``bad`` or ``absent``."""
        return self._tokens.crc

    @property
    def crc_given(self) -> int | None:
        """The CRC written after ``!``, or None when there is none."""
        given = self._tokens.crc_given
        return given if given >= 0 else None

    @property
    def crc_computed(self) -> int:
        return self._tokens.crc_computed

    @property
    def crc_repaired(self) -> bool:
        """True when the CRC only matched with the capture's LF line ends read as CRLF."""
        return self._tokens.crc_repaired

    @property
    def line_ending(self) -> str:
        """``CRLF``, ``LF`` or ``mixed``."""
        return self._tokens.line_ending

    @property
    def offset(self) -> int:
        """Offset of the ``/`` in ``raw``."""
        return self._tokens.start

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems

    @property
    def pins(self) -> Mapping[str, int]:
        """MBus shortcuts pinned to a channel by the caller (``{"gas": 2}``)."""
        return self._pins

    # ---- lookup -------------------------------------------------------------------------
    def _lookup(self) -> dict[str, Entry]:
        index = self._index
        if index is None:
            index = {}
            for e in self.entries:
                index.setdefault(e.obis, e)
                name = e.name
                if name is None:
                    continue
                held = index.get(name)
                # a name repeated on MBus channels never shadows the meter's own object,
                # whichever comes first in the telegram
                if held is None or (_on_mbus(held.obis) and not _on_mbus(e.obis)):
                    index[name] = e
            self._index = index
        return index

    def entry(self, key: str) -> Entry:
        """The entry for a name or OBIS code; ``KeyError`` when the telegram has none."""
        try:
            return self._lookup()[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in this {self.profile} telegram") from None

    def __getitem__(self, key: str) -> Any:
        if key in _SHORTCUTS:
            reading = self.mbus_reading(key)
            if reading is None:
                raise KeyError(f"no live {key} meter on the MBus")
            return reading.value
        return self.entry(key).value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._lookup()

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def keys(self) -> list[str]:
        """Names (or OBIS codes for objects the profile does not know), in telegram order."""
        return [e.name or e.obis for e in self.entries]

    @property
    def timestamp(self) -> datetime | None:
        index = self._index
        if index is not None:
            e = index.get("0-0:1.0.0")
            return e.value if e is not None else None
        for e in self._entries:  # (to_json needs only this: no index for it)
            if e.obis == "0-0:1.0.0":
                return e.value
        return None

    @property
    def ok(self) -> bool:
        """True when the CRC is not bad and no problem was found."""
        return self.crc != "bad" and not self.problems

    # ---- MBus ---------------------------------------------------------------------------
    @property
    def mbus(self) -> dict[int, MBusDevice]:
        """MBus devices by channel (1 to 4), in channel order."""
        devices = self._mbus
        if devices is None:
            parts: dict[int, dict[str, Any]] = {}
            for e in self.entries:
                role = _MBUS_ROLES.get(e.name or "")
                if role is None:
                    continue
                obis = e.obis
                channel = int(obis[obis.index("-") + 1 : obis.index(":")])
                slot = parts.setdefault(channel, {})
                if role == "reading":
                    slot.setdefault(role, Reading(e.timestamp, e.value, e.unit))
                else:
                    slot.setdefault(role, e.value)
            devices = {}
            for ch, slot in sorted(parts.items()):
                device_type = slot.get("device_type")
                inferred = False
                if device_type is None:  # no line, or "()": not present
                    device_type = _inferred_type(slot.get("reading"), self._profile)
                    inferred = device_type is not None
                devices[ch] = MBusDevice(
                    ch,
                    device_type,
                    slot.get("equipment_id"),
                    slot.get("reading"),
                    slot.get("valve"),
                    inferred,
                )
            self._mbus = devices
        return devices

    def mbus_device(self, kind: str) -> MBusDevice | None:
        """The device that answers for ``kind`` (``gas``, ``water``, ``heat``, ``hot_water``).

        A pinned channel wins; otherwise the live device of that type with the newest reading.
        """
        pinned = self.pins.get(kind)
        devices = self.mbus
        if pinned is not None:
            return devices.get(pinned)
        types = _SHORTCUTS.get(kind)
        if types is None:
            raise KeyError(f"unknown MBus kind {kind!r}; known: {', '.join(_SHORTCUTS)}")
        candidates = [d for d in devices.values() if d.device_type in types and d.alive]
        if not candidates:
            return None
        return max(candidates, key=_reading_time)

    def _shortcut_channels(self) -> dict[str, int | None]:
        """The channel of ``mbus_device(kind)`` for gas, water and heat, in one pass."""
        devices = self.mbus
        pins = self._pins
        channels: dict[str, int | None] = {}
        for kind in ("gas", "water", "heat"):
            pinned = pins.get(kind)
            if pinned is not None:
                channels[kind] = pinned if pinned in devices else None
                continue
            types = _SHORTCUTS[kind]
            best: MBusDevice | None = None
            for device in devices.values():  # the first of the newest, as max() picks
                if (
                    device.device_type in types
                    and device.alive
                    and (best is None or _reading_time(device) > _reading_time(best))
                ):
                    best = device
            channels[kind] = None if best is None else best.channel
        return channels

    def mbus_reading(self, kind: str) -> Reading | None:
        device = self.mbus_device(kind)
        return device.reading if device is not None else None

    @property
    def gas(self) -> Reading | None:
        return self.mbus_reading("gas")

    @property
    def water(self) -> Reading | None:
        return self.mbus_reading("water")

    @property
    def heat(self) -> Reading | None:
        return self.mbus_reading("heat")

    # ---- interchange form ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The interchange form (README, "The interchange form"): plain JSON types except that
        numbers are exact ``Decimal`` (``to_json`` writes them as JSON numbers digit for digit)."""
        return self._form([entry_item(e) for e in self._entries])

    def _form(self, objects: Any) -> dict[str, Any]:
        stamp = self.timestamp
        return {
            "format": FORMAT,
            "profile": self.profile,
            "profile_reason": self.profile_reason,
            "header": self.header.text,
            "manufacturer": self.header.manufacturer,
            "crc": {
                "status": self.crc,
                "given": None if self.crc_given is None else f"{self.crc_given:04X}",
                "computed": f"{self.crc_computed:04X}",
                "checked_as_crlf": self.crc_repaired,
            },
            "line_ending": self.line_ending,
            "timestamp": stamp.isoformat() if stamp is not None else None,
            "objects": objects,
            "mbus": [d.to_dict() for d in self.mbus.values()],
            "mbus_channels": self._shortcut_channels(),
            "problems": [p._asdict() for p in self.problems],
        }

    def to_json(self) -> str:
        """The interchange form as one line of JSON; Decimals written exactly as JSON numbers
        (by the twin in use: the compiled one in C)."""
        return telegram_json(self)

    def __repr__(self) -> str:
        stamp = self.timestamp
        return (
            f"<Telegram {self.profile} {self.header.text!r} crc={self.crc} "
            f"{stamp.isoformat() if stamp else 'no time'} objects={len(self.entries)} "
            f"problems={len(self.problems)}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Telegram):
            return NotImplemented
        return (
            self._raw == other._raw and self.profile == other.profile and self._pins == other._pins
        )

    def __hash__(self) -> int:
        return hash((self._raw, self.profile))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # the profile travels by name (its converters are functions): jobs > 1 sends telegrams back
        return (
            _restore,
            (
                self._raw,
                self._tokens,
                self._profile.name,
                self._reason,
                self._entries,
                self._problems,
                dict(self._pins),
            ),
        )


def _restore(
    raw: bytes,
    tokens: Tokens,
    profile: str,
    reason: str,
    entries: tuple[Entry, ...],
    problems: tuple[Problem, ...],
    pins: dict[str, int],
) -> Telegram:
    from . import profiles

    return Telegram(
        raw,
        tokens,
        profiles.get(profile),
        reason,
        entries,
        problems,
        MappingProxyType(pins) if pins else None,
    )
