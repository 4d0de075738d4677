"""The entry of an object the detected profile has no row for. Both parser twins call this, so
they agree on it by construction.

First a sibling profile's row (``1-0:1.8.0`` in a DSMR 5 telegram has the Belgian row's name and
kind); failing that, the groups are read by their shape (a number with an optional unit, a
timestamp, a timestamp plus a number, text) under a name generated from the OBIS code (see
:mod:`dsmrparse.profiles.generated`). Neither ever adds a problem: the profile does not promise
these objects, so nothing about them is wrong. A shape we cannot read keeps ``value`` None with
its raw groups.
"""

from __future__ import annotations

from decimal import Decimal

from . import _kinds as K
from ._lazyre import compile as lazy_compile
from ._types import Entry
from .profiles.generated import generated_name
from .values import (
    TimeContext,
    decode_hex_text,
    parse_integer,
    parse_quantity,
    parse_timestamp,
    split_unit,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["unknown_entry"]

_NUMBER = lazy_compile(r"^[+-]?(\d{1,40}(\.\d{0,40})?|\.\d{1,40})$")
_STAMP = lazy_compile(r"^(\d{12}|\d{14})[SWsw]$")  # a bare 12-digit text is read as a number


def unknown_entry(
    obis: str, groups: tuple[str, ...], line: int, offset: int, ctx: TimeContext
) -> Entry:
    from .profiles import sibling_plan  # (profiles imports the twins' users, not this module)

    row = sibling_plan().get(obis)
    if row is not None:
        try:
            value, unit, stamp = _by_row(row, groups, ctx)
        except ValueError:
            pass
        else:
            return Entry(obis, row[1], value, unit, stamp, groups, line, offset, None)
    value, unit, stamp = by_shape(groups, ctx)
    return Entry(obis, generated_name(obis), value, unit, stamp, groups, line, offset, None)


def by_shape(groups: tuple[str, ...], ctx: TimeContext) -> tuple[Any, str | None, Any]:
    """``(value, unit, timestamp)`` read from the groups' shape alone; all None when no rule
    fits (or every group is empty: "not present")."""
    if len(groups) == 1:
        return _one(groups[0], ctx)
    if len(groups) == 2:
        first, second = groups
        if _STAMP.match(first.strip()):
            stamp_text, value_text = first, second
        elif _STAMP.match(second.strip()):
            stamp_text, value_text = second, first
        else:
            return None, None, None
        number = _number(value_text)
        if number is None:
            return None, None, None
        try:
            stamp = parse_timestamp(stamp_text, ctx)
        except ValueError:
            return None, None, None
        return number[0], number[1], stamp
    return None, None, None


def _one(group: str, ctx: TimeContext) -> tuple[Any, str | None, Any]:
    if not group:
        return None, None, None
    if _STAMP.match(group.strip()):
        try:
            return parse_timestamp(group, ctx), None, None
        except ValueError:
            return group, None, None  # "991399..." : not a date, keep the text
    number = _number(group)
    if number is not None:
        return number[0], number[1], None
    return group, None, None


def _number(text: str) -> tuple[Decimal, str | None] | None:
    number, unit = split_unit(text)
    if not _NUMBER.match(number):
        return None
    return Decimal(number), unit


def _by_row(row: Any, groups: tuple[str, ...], ctx: TimeContext) -> tuple[Any, Any, Any]:
    """A sibling profile's row applied as that profile would (raises ValueError on a misfit)."""
    kind = row[0]
    if not any(groups):
        return None, None, None
    if kind == K.COMPLEX:
        return row[3](groups, ctx)
    if kind == K.TIMESTAMPED:
        if len(groups) != 2:
            raise ValueError("expected 2 groups")
        first, second = groups
        if "*" not in first and "." not in first and len(first) >= 12:
            stamp_text, value_text = first, second
        else:
            stamp_text, value_text = second, first
        value, unit = parse_quantity(value_text)
        return value, unit, parse_timestamp(stamp_text, ctx)
    if len(groups) != 1:
        raise ValueError("expected 1 group")
    group = groups[0]
    if kind == K.QUANTITY:
        value, unit = parse_quantity(group)
        return value, unit, None
    if kind == K.INTEGER:
        number, unit = parse_integer(group)
        return number, unit, None
    if kind == K.HEX_TEXT:
        return decode_hex_text(group), None, None
    if kind == K.TIMESTAMP:
        return parse_timestamp(group, ctx), None, None
    return group, None, None
