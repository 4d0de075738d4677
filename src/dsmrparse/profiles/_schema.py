"""The shape of a profile table: one :class:`Field` row per OBIS object, composed, not copied."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import _kinds as K
from .._memo import memoized
from ..obis import ObisCode

if TYPE_CHECKING:
    from ..values import TimeContext

# A converter for COMPLEX rows: (groups, time context) -> (value, unit, timestamp)
Converter = Callable[[tuple[str, ...], "TimeContext"], tuple[Any, "str | None", Any]]

MBUS_CHANNELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Field:
    """One OBIS object of a profile."""

    obis: str  # "1-0:1.8.1"; "0-n:24.2.1" for every MBus channel
    name: str  # snake_case, direction from the household's side
    kind: int  # a constant of dsmrparse._kinds
    unit: str | None = None  # the unit the specification expects (compared case-insensitively)
    description: str = ""
    peer: str | None = None  # the name dsmr_parser (ndokter) uses, for users moving over
    converter: Converter | None = None  # for COMPLEX rows

    @property
    def kind_name(self) -> str:
        return K.NAMES[self.kind]

    @property
    def is_mbus(self) -> bool:
        return ObisCode.parse(self.obis).is_pattern

    def codes(self) -> list[str]:
        """The concrete codes this row stands for (one per MBus channel for ``0-n:`` rows)."""
        code = ObisCode.parse(self.obis)
        if not code.is_pattern:
            return [str(code)]
        return [str(code.with_channel(ch)) for ch in MBUS_CHANNELS]


@dataclass(frozen=True)
class SerialSettings:
    baudrate: int = 115200
    bytesize: int = 8
    parity: str = "N"  # pyserial's PARITY_* letters
    stopbits: int = 1


@dataclass(frozen=True)
class Profile:
    """A meter family: its rows and the facts that hold for all its meters."""

    name: str  # stable id: "dsmr5", "belgium", ...
    title: str
    fields: tuple[Field, ...]
    timezone: str = "Europe/Amsterdam"
    crc_required: bool = True
    dst_flags: bool = True  # False: the meter's S/W flag is unreliable, the zone rules decide
    serial: SerialSettings = SerialSettings()
    country: str = ""
    notes: str = ""
    # detection facts (see profiles.detect)
    header_prefixes: tuple[str, ...] = ()
    # (obis, value prefix), e.g. ("1-3:0.2.8", "5")
    version_objects: tuple[tuple[str, str], ...] = ()
    fingerprint: tuple[str, ...] = ()  # OBIS codes that, all present, make this family likely
    fingerprint_absent: tuple[str, ...] = ()  # ... provided none of these is present
    aliases: tuple[str, ...] = ()  # other names ``get`` accepts ("dsmr2.2" for "dsmr3")
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def extend(
        self,
        name: str,
        title: str,
        add: Iterable[Field] = (),
        remove: Iterable[str] = (),
        **facts: Any,
    ) -> Profile:
        """A new profile with this one's rows, minus ``remove`` (OBIS codes), plus ``add``.

        A row in ``add`` replaces the inherited row of the same OBIS code in place.
        """
        facts.setdefault("aliases", ())
        added = {f.obis: f for f in add}
        dropped = set(remove)
        rows = [added.pop(f.obis, f) for f in self.fields if f.obis not in dropped]
        rows.extend(added.values())
        return replace(self, name=name, title=title, fields=tuple(rows), **facts)

    @cached_property
    def rows(self) -> dict[str, Field]:
        """Concrete OBIS code -> its row (MBus patterns expanded to channels 1 to 4)."""
        rows: dict[str, Field] = {}
        for row in self.fields:
            for code in row.codes():
                rows.setdefault(code, row)
        return rows

    @cached_property
    def plan(self) -> dict[str, tuple[int, str, str | None, Converter | None]]:
        """Concrete OBIS code -> (kind, name, unit, converter): what the parser twins read."""
        converters = {id(r): memoized(r.converter) for r in self.fields if r.converter is not None}
        return {
            code: (r.kind, r.name, r.unit, converters.get(id(r)))
            for code, r in self.rows.items()
        }

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {row.name: row for row in self.fields}

    def field(self, key: str) -> Field | None:
        """The row for a name or an OBIS code (concrete or pattern)."""
        if key in self.by_name:
            return self.by_name[key]
        row = self.rows.get(key)
        if row is not None:
            return row
        for f in self.fields:
            if f.obis == key:
                return f
        return None

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "obis": f.obis,
                "name": f.name,
                "kind": f.kind_name,
                "unit": f.unit,
                "description": f.description,
                "peer": f.peer,
            }
            for f in self.fields
        ]
