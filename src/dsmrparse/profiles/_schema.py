"""The shape of a profile table: one :class:`Field` row per OBIS object, composed, not copied."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

from .. import _kinds as K
from .._memo import memoized
from .._record import NamedTuple
from ..obis import ObisCode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..values import TimeContext

    # A converter for COMPLEX rows: (groups, time context) -> (value, unit, timestamp)
    Converter = Callable[[tuple[str, ...], TimeContext], tuple[Any, str | None, Any]]

MBUS_CHANNELS = (1, 2, 3, 4)


class Field(NamedTuple):
    """One OBIS object of a profile (a NamedTuple: ``row._replace(unit="W")`` derives a row)."""

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


class SerialSettings(NamedTuple):
    baudrate: int = 115200
    bytesize: int = 8
    parity: str = "N"  # pyserial's PARITY_* letters
    stopbits: int = 1


class Profile:
    """A meter family: its rows and the facts that hold for all its meters.

    A plain class rather than a dataclass: profiles are built at import time, and ``dataclasses``
    would pull ``inspect`` into every ``import dsmrparse``.
    """

    # the facts besides name, title and fields, with their defaults
    FACTS: dict[str, Any] = {
        "timezone": "Europe/Amsterdam",
        "crc_required": True,
        "dst_flags": True,  # False: the meter's S/W flag is unreliable, the zone rules decide
        "serial": SerialSettings(),
        "country": "",
        "notes": "",
        # detection facts (see profiles.detect)
        "header_prefixes": (),
        "version_objects": (),  # (obis, value prefix), e.g. ("1-3:0.2.8", "5")
        "fingerprint": (),  # OBIS codes that, all present, make this family likely
        "fingerprint_absent": (),  # ... provided none of these is present
        "aliases": (),  # other names ``get`` accepts ("dsmr2.2" for "dsmr3")
        "gateway_trailer": False,  # True: bytes after the end line are expected, not a problem
        "extra": None,
    }

    name: str  # stable id: "dsmr5", "belgium", ...
    title: str
    fields: tuple[Field, ...]
    timezone: str
    crc_required: bool
    dst_flags: bool
    serial: SerialSettings
    country: str
    notes: str
    header_prefixes: tuple[str, ...]
    version_objects: tuple[tuple[str, str], ...]
    fingerprint: tuple[str, ...]
    fingerprint_absent: tuple[str, ...]
    aliases: tuple[str, ...]
    gateway_trailer: bool
    extra: dict[str, Any]

    def __init__(self, name: str, title: str, fields: tuple[Field, ...], **facts: Any) -> None:
        unknown = set(facts) - set(self.FACTS)
        if unknown:
            raise TypeError(f"unknown profile facts: {', '.join(sorted(unknown))}")
        self.name = name
        self.title = title
        self.fields = tuple(fields)
        for fact, default in self.FACTS.items():
            setattr(self, fact, facts.get(fact, default))
        if self.extra is None:
            self.extra = {}

    def facts(self) -> dict[str, Any]:
        return {fact: getattr(self, fact) for fact in self.FACTS}

    def __repr__(self) -> str:
        return f"<Profile {self.name}: {self.title}, {len(self.fields)} rows>"

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
        return Profile(name, title, tuple(rows), **{**self.facts(), **facts})

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
        """Concrete OBIS code -> (kind, name, unit, converter): what the parser twins read.

        Read-only: parse() lets unchanged lines reuse entries made with this plan (the memo of
        ``convert``), so a change made here in place would not reach them; build a new profile
        with :meth:`extend` instead."""
        converters = {id(r): memoized(r.converter) for r in self.fields if r.converter is not None}
        return {
            code: (r.kind, r.name, r.unit, converters.get(id(r))) for code, r in self.rows.items()
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
