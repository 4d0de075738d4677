"""A zone's UTC-offset changes around one year, for the compiled twin's timestamps.

The compiled twin turns meter wall-clock times into offsets from this table, in C, instead of
asking the zone (``datetime.replace(tzinfo=zone)``) per value. The table is read from the zone
itself (its UTC-to-local conversion, which is unambiguous), once per zone and year, so the C
answer is the zone's own answer: the tests compare both on every hour of several years.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

__all__ = ["year_table", "FIRST_YEAR", "LAST_YEAR"]

# Years the table covers: meters write 2000-2099 (two-digit years); older or far years are left
# to the zone (the Python path), where datetime's own limits and errors apply.
FIRST_YEAR = 1971
LAST_YEAR = 2199

_STEP = 86400  # sampling step: no zone changes its offset and back within one day
_MARGIN = 3 * 86400  # UTC instants this far around the year cover its wall times in any zone
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _offset(zone: tzinfo, instant: int) -> int | None:
    """The zone's UTC offset at a UTC instant (seconds), or None when not whole seconds."""
    delta = datetime.fromtimestamp(instant, zone).utcoffset()
    if delta is None or delta.microseconds:
        return None
    return delta.days * 86400 + delta.seconds


def year_table(zone: tzinfo, year: int) -> tuple[int, list[tuple[int, int, int]]] | None:
    """``(offset before, [(utc instant, offset before, offset after), ...])`` for the UTC
    instants from a few days before ``year`` to a few days after it; offsets in seconds, instants
    in seconds since 1970, each instant the first second of its new offset. None when the zone
    cannot be tabled (offsets not in whole seconds, a year outside the covered range)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    start = int((datetime(year, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds()) - _MARGIN
    stop = int((datetime(year + 1, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds()) + _MARGIN
    first = _offset(zone, start)
    if first is None:
        return None
    changes: list[tuple[int, int, int]] = []
    before, at = first, start
    while at < stop:
        nxt = min(at + _STEP, stop)
        after = _offset(zone, nxt)
        if after is None:
            return None
        if after != before:
            low, high = at, nxt  # offset(low) == before, offset(high) == after
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(zone, mid) == before:
                    low = mid
                else:
                    high = mid
            changes.append((high, before, after))
        before, at = after, nxt
    return first, changes
