"""Converters for the COMPLEX rows: objects whose groups are a small structure, not one value.

Each takes the raw groups and the profile's time context and returns ``(value, unit, timestamp)``;
it raises ``ValueError`` with a short reason when the groups do not have the expected shape.
"""

from __future__ import annotations

from .._types import PeakRecord, PowerFailure, Reading
from ..values import TimeContext, parse_integer, parse_quantity, parse_timestamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Result = tuple[Any, str | None, Any]


def power_failure_log(groups: tuple[str, ...], ctx: TimeContext) -> Result:
    """``(count)(0-0:96.7.19)(end)(duration*s)...`` -> a tuple of :class:`PowerFailure`.

    Some meters write ``(0)()`` or only ``(0)`` for an empty log.
    """
    if not groups:
        raise ValueError("empty power failure log")
    count, _ = parse_integer(groups[0])
    pairs = groups[2:] if len(groups) > 1 else ()
    if len(pairs) % 2:
        raise ValueError(f"power failure log has an odd number of groups ({len(groups)})")
    if len(pairs) // 2 != count:
        raise ValueError(f"power failure log says {count} entries but holds {len(pairs) // 2}")
    events = []
    for i in range(0, len(pairs), 2):
        end = parse_timestamp(pairs[i], ctx)
        duration, unit = parse_integer(pairs[i + 1])
        events.append(PowerFailure(end, duration, unit))
    return tuple(events), None, None


def legacy_gas_record(groups: tuple[str, ...], ctx: TimeContext) -> Result:
    """The DSMR 2.2/3 gas record ``0-n:24.3.0(TST)(00)(60)(1)(0-n:24.2.1)(m3)`` followed, usually on
    the next line, by ``(value)``: the value is the last group, its unit the sixth.

    The second to fifth groups (status, period, ...) are not read: some meters write non-numeric
    text there (``2C``), which stays available in the entry's raw groups.
    """
    if len(groups) < 7:
        raise ValueError(f"gas record needs 7 groups, found {len(groups)}")
    stamp = parse_timestamp(groups[0], ctx)
    value, unit = parse_quantity(groups[-1])
    return value, unit or groups[5] or None, stamp


def peak_history(groups: tuple[str, ...], ctx: TimeContext) -> Result:
    """The Belgian ``0-0:98.1.0`` month-peak history:
    ``(count)(1-0:1.6.0)(1-0:1.6.0)`` then per month ``(period start)(peak time)(v*kW)``.

    Sentinel dates (a month without a peak yet) become ``None``. Some meters write ``(0)(..)(..)()``
    for an empty history, and Swiss meters only the count ``(12)`` without the buffer: both give
    an empty tuple.
    """
    if not groups:
        raise ValueError("empty peak history")
    count, _ = parse_integer(groups[0])
    rows = [g for g in groups[3:] if g] if len(groups) > 1 else []
    if len(groups) == 1:
        return (), None, None
    if len(rows) % 3:
        raise ValueError(f"peak history rows are not (period)(time)(value) triples: {len(rows)}")
    if len(rows) // 3 != count:
        raise ValueError(f"peak history says {count} months but holds {len(rows) // 3}")
    records = []
    unit = None
    for i in range(0, len(rows), 3):
        value, unit = parse_quantity(rows[i + 2])
        period = parse_timestamp(rows[i], ctx)
        records.append(PeakRecord(period, parse_timestamp(rows[i + 1], ctx), value, unit))
    return tuple(records), unit, None


def billing_row(groups: tuple[str, ...], ctx: TimeContext) -> Result:
    """The E.ON Hungary ``0-0:98.1.0`` row of last month's registers:
    ``(billing time)(v*unit)(v*unit)...`` -> a tuple of :class:`Reading` sharing that time."""
    if len(groups) < 2:
        raise ValueError(f"billing row needs a time and values, found {len(groups)} groups")
    stamp = parse_timestamp(groups[0], ctx)
    readings = []
    for text in groups[1:]:
        value, unit = parse_quantity(text)
        readings.append(Reading(stamp, value, unit))
    return tuple(readings), None, stamp


def quantity_list(groups: tuple[str, ...], ctx: TimeContext) -> Result:
    """Several quantities on one line (``1-1:31.4.0(100*A)(-063*A)``) -> a tuple of Decimals,
    with the unit of the first."""
    if not groups:
        raise ValueError("no values")
    parsed = [parse_quantity(g) for g in groups]
    return tuple(v for v, _ in parsed), parsed[0][1], None
