"""Converters for the COMPLEX rows: objects whose groups are a small structure, not one value.

Each takes the raw groups and the profile's time context and returns ``(value, unit, timestamp)``;
it raises ``ValueError`` with a short reason when the groups do not have the expected shape.
"""

from __future__ import annotations

from typing import Any

from .._types import PowerFailure
from ..values import TimeContext, parse_integer, parse_quantity, parse_timestamp

Result = tuple[Any, "str | None", Any]


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
    the next line, by ``(value)``: the value is the last group, its unit the sixth."""
    if len(groups) < 7:
        raise ValueError(f"gas record needs 7 groups, found {len(groups)}")
    stamp = parse_timestamp(groups[0], ctx)
    value, unit = parse_quantity(groups[-1])
    return value, unit or groups[5] or None, stamp
