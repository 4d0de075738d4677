"""Plain record types that cross the boundary between the parser twins and the Python layer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from ._record import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Line(NamedTuple):
    """One object line as the tokenizer saw it."""

    obis: str  # canonical code, ``*255``/``.255`` removed
    groups: tuple[str, ...]  # the texts between ``(`` and ``)``, continuation lines included
    line: int  # 1-based line number in the telegram (the header is line 1)
    offset: int  # byte offset of the line's first byte in the telegram


class Problem(NamedTuple):
    """Something wrong with one place of a telegram; lenient parsing collects these."""

    kind: str  # "framing", "crc", "syntax", "value", "profile", "decryption"
    message: str
    line: int | None = None
    offset: int | None = None
    obis: str | None = None


class Tokens(NamedTuple):
    """What one pass over a frame gives: header, object lines, CRC status, line endings."""

    header: str  # the identification line without "/" and line end
    lines: Sequence[Line]  # a list (pure twin) or a LineTable (compiled twin); equal either way
    crc: str  # "ok", "bad" or "absent"
    crc_given: int  # -1 when absent
    crc_computed: int  # over "/" through "!", CRLF line endings assumed when the frame had LF only
    line_ending: str  # "CRLF", "LF" or "mixed"
    crc_repaired: bool  # True when the CRC only matched with LF read as CRLF
    problems: list[Problem]
    start: int  # offset of "/" in the input
    end: int  # offset just past the CRC (or the last byte used)
    codes: tuple[str, ...]  # each line's OBIS code, in order (what detection looks at)


class Entry(NamedTuple):
    """One object of a telegram with its typed value; the raw groups are always kept."""

    obis: str
    name: str | None  # the profile's name, None for an object no profile row describes
    value: Any  # Decimal, int, str, datetime, a tuple of records, or None (sentinel / failed)
    unit: str | None  # as the meter wrote it
    timestamp: datetime | None  # for timestamped values (MBus readings, peaks)
    raw: tuple[str, ...]
    line: int
    offset: int
    error: str | None  # why the value could not be converted (then ``value`` is None)

    @property
    def generated(self) -> bool:
        """True when ``name`` was generated from the OBIS code (no profile row names the object;
        see :mod:`dsmrparse.profiles.generated`): such names start with ``obis_``."""
        name = self.name
        return name is not None and name.startswith("obis_")


class Reading(NamedTuple):
    """A value with the time it was captured (an MBus reading, a peak)."""

    timestamp: datetime | None
    value: Decimal | None
    unit: str | None


class PowerFailure(NamedTuple):
    """One entry of the long power-failure log ``1-0:99.97.0``."""

    end: datetime | None  # when power came back
    duration: int  # seconds
    unit: str | None


class PeakRecord(NamedTuple):
    """One month of the Belgian ``0-0:98.1.0`` peak history (or a billing row)."""

    period: datetime | None  # start of the period the peak belongs to
    timestamp: datetime | None  # when the peak happened
    value: Decimal | None
    unit: str | None


def as_json_value(value: Any) -> Any:
    """Plain JSON types for a typed value; Decimals stay Decimal (written exactly by to_json)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: as_json_value(v) for k, v in value._asdict().items()}
    if isinstance(value, (tuple, list)):
        return [as_json_value(v) for v in value]
    return value


class Frame(NamedTuple):
    """What the frame scanner hands out."""

    kind: str  # "telegram", "encrypted", "junk" or "damaged"
    offset: int  # stream offset of the first byte
    data: bytes
    error: str | None  # why a junk or damaged frame is not a telegram
