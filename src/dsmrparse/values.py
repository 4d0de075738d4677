"""Typed values: quantities, timestamps with the DST flag, hex text, sentinels.

Both parser twins use these functions for everything off their fast path, so the rules for odd
input (and the wording of every value error) live in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from ._lazyre import compile as lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = [
    "TimeContext",
    "time_context",
    "parse_timestamp",
    "parse_quantity",
    "parse_integer",
    "decode_hex_text",
    "SENTINEL_TIMESTAMPS",
    "units_equal",
    "flag_problem",
]

# Dates meters write where there is no real date: unused MBus channels, empty peak history rows.
SENTINEL_TIMESTAMPS = frozenset({"632525252525", "000101000000", "700101010000", "000000000000"})

_MAX_DIGITS = 40
_NUMBER = lazy_compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_HEX = lazy_compile(r"^(?:[0-9A-Fa-f]{2})+$")


class TimeContext:
    """How a profile turns meter time into aware datetimes.

    The zone decides wherever it gives one offset for the wall time; the ``S``/``W`` flag
    (``W`` the zone's standard offset, ``S`` one hour more) chooses only where the zone leaves a
    choice: the repeated October hour and the March gap. A flag that contradicts the zone is
    reported by the parser (:func:`flag_problem`). Timestamps without a flag follow the zone.
    """

    __slots__ = ("zone_name", "zone", "winter", "summer", "flags", "_says")

    def __init__(self, zone_name: str, flags: bool = True) -> None:
        self.zone_name = zone_name
        # False for meters whose S/W flag does not follow the season: the zone's rules decide
        self.flags = flags
        from zoneinfo import ZoneInfo  # on first use: it pulls importlib.resources in

        self.zone = ZoneInfo(zone_name)
        standard = _standard_offset(self.zone)
        self.winter: tzinfo = timezone(standard)
        self.summer: tzinfo = timezone(standard + timedelta(hours=1))
        self._says: dict[tuple[int, int, int, int], int] = {}

    def says_at(self, year: int, month: int, day: int, hour: int) -> int:
        """What the zone says of that wall-clock hour: 0 a choice (the repeated hour, the gap),
        1 standard (winter) time, 2 summer time, 3 another offset. Zones change their offset on
        whole hours, so the hour decides."""
        key = (year, month, day, hour)
        found = self._says.get(key)
        if found is None:
            wall = datetime(year, month, day, hour)
            first = wall.replace(tzinfo=self.zone).utcoffset()
            second = wall.replace(tzinfo=self.zone, fold=1).utcoffset()
            if first != second:
                found = 0
            elif first == self.winter.utcoffset(None):
                found = 1
            elif first == self.summer.utcoffset(None):
                found = 2
            else:
                found = 3
            if len(self._says) >= 4096:
                self._says.clear()
            self._says[key] = found
        return found

    def localize(self, naive: datetime) -> datetime:
        """Aware datetime for a wall-clock time without a DST flag (fixed offset, zone rules)."""
        offset = naive.replace(tzinfo=self.zone).utcoffset()
        if offset is None:  # pragma: no cover - ZoneInfo always answers
            return naive.replace(tzinfo=self.winter)
        standard = offset == self.winter.utcoffset(None)
        return naive.replace(tzinfo=self.winter if standard else self.summer)

    def __repr__(self) -> str:
        return f"TimeContext({self.zone_name!r}, flags={self.flags})"


@cache
def time_context(zone_name: str, flags: bool = True) -> TimeContext:
    return TimeContext(zone_name, flags)


def _standard_offset(zone: ZoneInfo) -> timedelta:
    january = datetime(2021, 1, 15, 12, tzinfo=zone).utcoffset()
    july = datetime(2021, 7, 15, 12, tzinfo=zone).utcoffset()
    assert january is not None and july is not None
    return min(january, july)


def parse_timestamp(text: str, ctx: TimeContext) -> datetime | None:
    """``YYMMDDhhmmss[S|W]``, ``YYYYMMDDhhmmss[S|W]`` or a 12-byte hex COSEM date-time.

    Sentinel dates give ``None``. Raises ``ValueError`` with a short reason otherwise.
    """
    text = text.strip()
    flag = ""
    if text[-1:] in ("S", "W", "s", "w"):
        flag = text[-1].upper()
        text = text[:-1]
    if text in SENTINEL_TIMESTAMPS or text.startswith("632525252525"):
        return None
    if len(text) == 24:  # no decimal timestamp is this long: a hex COSEM date-time
        return _cosem_datetime(text, ctx)
    if not (text.isascii() and text.isdigit()) or len(text) not in (12, 14):
        raise ValueError(f"not a timestamp: {text + flag!r}")
    year = 2000 + int(text[0:2]) if len(text) == 12 else int(text[0:4])
    rest = text[-10:]
    try:
        naive = datetime(
            year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]), int(rest[8:10])
        )
    except ValueError as exc:
        raise ValueError(f"not a valid date {text + flag!r}: {exc}") from None
    if flag and ctx.flags:
        says = ctx.says_at(naive.year, naive.month, naive.day, naive.hour)
        if says == 0:  # the zone leaves a choice: the flag makes it
            return naive.replace(tzinfo=ctx.summer if flag == "S" else ctx.winter)
        if says == 1:
            return naive.replace(tzinfo=ctx.winter)
        if says == 2:
            return naive.replace(tzinfo=ctx.summer)
    return ctx.localize(naive)


def flag_problem(text: str, value: object, ctx: TimeContext) -> str | None:
    """The value problem of a timestamp whose S/W flag contradicts the zone (the zone's reading
    was kept), or None."""
    if not ctx.flags or not isinstance(value, datetime):
        return None
    flag = text.strip()[-1:].upper()
    if flag not in ("S", "W"):
        return None
    wanted = (ctx.summer if flag == "S" else ctx.winter).utcoffset(None)
    if value.utcoffset() == wanted:
        return None
    return (
        f"DST flag {flag!r} of {text.strip()!r} contradicts {ctx.zone_name}, "
        f"which gives {value.isoformat()}: the zone's offset kept"
    )


def _cosem_datetime(text: str, ctx: TimeContext) -> datetime | None:
    """A COSEM date-time in hex (``07E8061C05...``): year(2) month day weekday hour minute second
    hundredths deviation(2) clock-status(1); 0xFF fields mean "not specified".

    The deviation is UTC minus local time in minutes (CET is written -60, ``FFC4``), so the UTC
    offset is its negation; ``0x8000`` means "not specified", and then the clock status's
    daylight-saving bit (0x80) picks summer or winter time, or the zone rules decide when the status
    is not specified either.
    """
    if not _HEX.match(text):
        raise ValueError(f"not a timestamp: {text!r}")
    raw = bytes.fromhex(text)
    year = int.from_bytes(raw[0:2], "big")
    month, day, hour, minute, second = raw[2], raw[3], raw[5], raw[6], raw[7]
    if year in (0, 0xFFFF) or month in (0, 0xFF) or day in (0, 0xFF):
        return None
    try:
        naive = datetime(year, month, day, hour % 0xFF, minute % 0xFF, second % 0xFF)
    except ValueError as exc:
        raise ValueError(f"not a valid COSEM date {text!r}: {exc}") from None
    deviation = int.from_bytes(raw[9:11], "big", signed=True)
    status = raw[11]
    if deviation != -0x8000:
        if not -720 <= deviation <= 720:
            raise ValueError(f"COSEM deviation out of range in {text!r}: {deviation} minutes")
        return naive.replace(tzinfo=timezone(timedelta(minutes=-deviation)))
    if status != 0xFF and ctx.flags:
        return naive.replace(tzinfo=ctx.summer if status & 0x80 else ctx.winter)
    return ctx.localize(naive)


def split_unit(text: str) -> tuple[str, str | None]:
    """``"001.5*kWh"`` -> ``("001.5", "kWh")``; no ``*`` -> no unit."""
    number, star, unit = text.partition("*")
    return number.strip(), (unit.strip() if star else None)


def parse_quantity(text: str) -> tuple[Decimal, str | None]:
    """An exact register value and the unit as written. Raises ``ValueError`` with the reason."""
    number, unit = split_unit(text)
    if not _NUMBER.match(number):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(number), unit
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"not a number: {text!r}") from None


def parse_integer(text: str) -> tuple[int, str | None]:
    number, unit = split_unit(text)
    digits = number[1:] if number[:1] in ("+", "-") else number
    # isdigit alone admits "²" and other digits int() refuses; and no register has 40 digits
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_DIGITS:
        raise ValueError(f"not an integer: {text!r}")
    return int(number), unit


@lru_cache(maxsize=1024)  # ids and messages repeat in every telegram of a meter
def decode_hex_text(text: str) -> str:
    """Hex-encoded text (``4530...`` -> ``E0...``) when it decodes to printable text; as written
    otherwise (some meters write equipment ids in plain text or as binary serials)."""
    if not text or not _HEX.match(text):
        return text
    decoded = bytes.fromhex(text)
    try:
        result = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return text
    if result.isprintable() or all(ch.isprintable() or ch in "\r\n\t" for ch in result):
        return result
    return text


def units_equal(a: str | None, b: str | None) -> bool:
    """Units compare case-insensitively (``kWh`` == ``KWH``)."""
    if a is None or b is None:
        return a is b
    return a.casefold() == b.casefold()
