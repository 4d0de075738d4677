"""Values to telegram bytes: the parser's inverse, driven by the profile tables.

>>> data = encode("dsmr5", {"timestamp": now, "electricity_imported_tariff_1": Decimal("12.5")})
>>> dsmrparse.parse(data)["electricity_imported_tariff_1"]
Decimal('12.500')

Each row's value kind decides how its value is written, so any profile in the registry can be
encoded; the CRC is computed by the parser twin in use, so what the encoder writes the parser
accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, Union

from . import _impl
from . import _kinds as K
from ._types import PeakRecord, PowerFailure, Reading
from .profiles import Profile
from .profiles import get as get_profile
from .telegram import Telegram
from .values import TimeContext, time_context

__all__ = [
    "Raw",
    "encode",
    "encode_telegram",
    "format_number",
    "format_timestamp",
    "DEFAULT_HEADER",
]

DEFAULT_HEADER = "SIM5\\2dsmrparse"

# (integer digits, decimals) meters use for a unit; the spec's F9(3) style, e.g. 003432.827*kWh
_NUMBER_SHAPES = {
    "kwh": (6, 3),
    "kvarh": (6, 3),
    "mwh": (6, 3),
    "wh": (9, 0),
    "varh": (9, 0),
    "kw": (2, 3),
    "kvar": (2, 3),
    "kva": (2, 3),
    "w": (5, 0),
    "var": (5, 0),
    "va": (5, 0),
    "v": (3, 1),
    "a": (3, 0),
    "m3": (5, 3),
    "gj": (5, 3),
    "hz": (2, 2),
    "s": (10, 0),
}
_INTEGER_WIDTHS = {"tariff_indicator": 4, "mbus_device_type": 3}


class Raw(NamedTuple):
    """Groups written exactly as given: ``Raw(("0-0:96.7.19",))`` -> ``(0-0:96.7.19)``."""

    groups: tuple[str, ...]


Value = Union[Any, Raw]


def format_number(value: Decimal | float | int, unit: str | None) -> str:
    """A register value the way meters write it: zero padded, with the unit's usual decimals.

    A Decimal with more decimals than usual keeps them all, so encoding never loses a value.
    """
    digits, decimals = _NUMBER_SHAPES.get((unit or "").casefold(), (1, 3))
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals:
            decimals = -exponent
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        number = Decimal(repr(float(value)))
    text = f"{abs(number):.{decimals}f}"
    width = digits + (decimals + 1 if decimals else 0)
    text = text.zfill(width)
    if number < 0:
        text = "-" + text
    return f"{text}*{unit}" if unit else text


def format_integer(value: int, unit: str | None, name: str | None) -> str:
    width = _INTEGER_WIDTHS.get(name or "", 5)
    text = f"{abs(int(value)):0{width}d}"
    if value < 0:
        text = "-" + text
    return f"{text}*{unit}" if unit else text


def format_timestamp(value: datetime | None, ctx: TimeContext) -> str:
    """``YYMMDDhhmmss`` plus ``S`` (summer) or ``W`` (winter) in the profile's zone; None is the
    usual placeholder date. A naive datetime is wall-clock time in the profile's zone."""
    if value is None:
        return "632525252525W"
    if value.tzinfo is None:
        value = ctx.localize(value)
    offset = value.utcoffset()
    if offset == ctx.summer.utcoffset(None):
        flag = "S"
    elif offset == ctx.winter.utcoffset(None):
        flag = "W"
    else:  # another zone: move to the meter's own
        local = value.astimezone(ctx.zone)
        flag = "S" if local.utcoffset() == ctx.summer.utcoffset(None) else "W"
        value = local
    return value.strftime("%y%m%d%H%M%S") + flag


def _quantity(value: Any, unit: str | None) -> str:
    if isinstance(value, tuple) and len(value) == 2 and not isinstance(value, Reading):
        value, unit = value
    return format_number(value, unit)


def _reading(value: Any, unit: str | None) -> tuple[datetime | None, Any, str | None]:
    if isinstance(value, Reading):
        return value.timestamp, value.value, value.unit or unit
    if isinstance(value, tuple) and len(value) in (2, 3):
        return value[0], value[1], (value[2] if len(value) == 3 else None) or unit
    raise ValueError(f"a timestamped value is (timestamp, value[, unit]), not {value!r}")


def _groups(obis: str, row: tuple[Any, ...], value: Any, ctx: TimeContext) -> list[tuple[str, ...]]:
    """The groups of one object; more than one tuple means continuation lines (DSMR 2.2 gas)."""
    kind, name, unit = row[0], row[1], row[2]
    if isinstance(value, Raw):
        return [value.groups]
    if kind == K.QUANTITY:
        return [(_quantity(value, unit),)]
    if kind == K.INTEGER:
        if isinstance(value, tuple):
            value, unit = value
        return [(format_integer(value, unit, name),)]
    if kind in (K.TEXT, K.RAW):
        return [(str(value),)]
    if kind == K.HEX_TEXT:
        return [(str(value).encode("utf-8").hex().upper(),)]
    if kind == K.TIMESTAMP:
        return [(format_timestamp(value, ctx),)]
    if kind == K.TIMESTAMPED:
        stamp, number, unit = _reading(value, unit)
        return [(format_timestamp(stamp, ctx), format_number(number, unit))]
    if kind == K.COMPLEX:
        return _complex(obis, value, unit, ctx)
    raise ValueError(f"{obis}: no way to write a value of kind {kind}")


def _complex(obis: str, value: Any, unit: str | None, ctx: TimeContext) -> list[tuple[str, ...]]:
    # Told apart by the value's shape, so a new profile's rows using these records need no code.
    if isinstance(value, tuple) and all(isinstance(v, PowerFailure) for v in value):
        groups = [str(len(value)), "0-0:96.7.19"]
        for event in value:
            groups += [
                format_timestamp(event.end, ctx),
                f"{event.duration:010d}*{event.unit or 's'}",
            ]
        return [tuple(groups)]
    if isinstance(value, tuple) and all(isinstance(v, PeakRecord) for v in value):
        groups = [str(len(value)), "1-0:1.6.0", "1-0:1.6.0"]
        for peak in value:
            groups += [
                format_timestamp(peak.period, ctx),
                format_timestamp(peak.timestamp, ctx),
                format_number(peak.value if peak.value is not None else 0, peak.unit or "kW"),
            ]
        return [tuple(groups)]
    if isinstance(value, Reading) and obis.endswith("24.3.0"):
        # DSMR 2.2/3 gas record: the value goes on a continuation line of its own
        channel = obis.split(":")[0].split("-")[1]
        number = format_number(value.value or 0, value.unit or unit or "m3").split("*")[0]
        head = (
            format_timestamp(value.timestamp, ctx)[:-1],
            "00",
            "60",
            "1",
            f"0-{channel}:24.2.1",
            value.unit or unit or "m3",
        )
        return [head, (number,)]
    raise ValueError(
        f"{obis}: give this value as Raw(groups); no writer for {type(value).__name__}"
    )


def encode(
    profile: str | Profile,
    objects: Mapping[str, Value] | Iterable[tuple[str, Value]],
    *,
    header: str | None = None,
    line_ending: str = "\r\n",
    crc: bool | None = None,
) -> bytes:
    """One telegram with the objects given, in that order, and a valid CRC (by default only for
    families whose meters write one: DSMR 2.2/3 and the Q3D gateway do not).

    ``objects`` maps names (``"power_imported"``) or concrete OBIS codes (``"0-1:24.2.1"``) to
    values of the kind the profile row expects: a Decimal (or ``(Decimal, unit)``) for a
    quantity, an int, text, a datetime, a ``Reading`` or ``(timestamp, value)`` for a timestamped
    value, a tuple of ``PowerFailure``/``PeakRecord``, or :class:`Raw` groups for anything else.
    ``line_ending="\\n"`` writes an LF-only capture (its CRC still covers CRLF, as meters send it).
    """
    chosen = get_profile(profile)
    if crc is None:
        crc = chosen.crc_required
    ctx = time_context(chosen.timezone)
    items = objects.items() if isinstance(objects, Mapping) else objects
    lines = [f"/{header or _default_header(chosen)}", ""]
    for key, value in items:
        obis, row = _resolve(chosen, key)
        groups = _groups(obis, row, value, ctx)
        lines.append(obis + "".join(f"({g})" for g in groups[0]))
        lines.extend("".join(f"({g})" for g in more) for more in groups[1:])
    return _finish(lines, line_ending, crc)


def _resolve(profile: Profile, key: str) -> tuple[str, tuple[Any, ...]]:
    row = profile.plan.get(key)
    if row is not None:
        return key, row
    field = profile.by_name.get(key)
    if field is not None and not field.is_mbus:
        return field.codes()[0], profile.plan[field.codes()[0]]
    if field is not None:
        raise ValueError(
            f"{key!r} is an MBus row: name its channel's code, e.g. {field.codes()[0]}"
        )
    if ":" in key:  # an object the profile does not describe: written as text
        return key, (K.RAW, None, None)
    raise ValueError(f"{profile.name} has no object {key!r}")


def _default_header(profile: Profile) -> str:
    """A header the profile's detection recognises: its own prefix, completed."""
    if not profile.header_prefixes:
        return DEFAULT_HEADER
    prefix = profile.header_prefixes[0]
    if len(prefix) == 3:
        return prefix + "5\\2dsmrparse"
    if len(prefix) == 4:
        return prefix + "\\2dsmrparse"
    return prefix


def _finish(lines: list[str], line_ending: str, crc: bool) -> bytes:
    # The CRC covers "/" through "!" with CRLF line ends, whatever the capture later loses.
    body = ("\r\n".join(lines) + "\r\n!").encode("latin-1")
    tail = f"{_impl.current.crc16(body):04X}" if crc else ""
    if line_ending != "\r\n":
        body = body.replace(b"\r\n", line_ending.encode("latin-1"))
    return body + tail.encode("ascii") + line_ending.encode("latin-1")


def encode_telegram(
    telegram: Telegram, *, line_ending: str | None = None, crc: bool = True
) -> bytes:
    """A telegram written again from its values (objects that failed to convert: from their raw
    groups). Parsing the result gives the same values."""
    profile = get_profile(telegram.profile)
    ctx = time_context(profile.timezone)
    lines = [f"/{telegram.header.text}", ""]
    for e in telegram.entries:
        row = profile.plan.get(e.obis)
        groups: list[tuple[str, ...]]
        if row is None or e.error is not None:
            groups = [e.raw]
        else:
            value: Any = e.value
            if row[0] == K.TIMESTAMPED:
                value = Reading(e.timestamp, e.value, e.unit)
            elif (
                row[0] == K.QUANTITY
                and e.value is not None
                or row[0] == K.INTEGER
                and e.value is not None
            ):
                value = (e.value, e.unit)
            elif row[0] == K.COMPLEX and e.obis.endswith("24.3.0"):
                value = Reading(e.timestamp, e.value, e.unit)
            try:
                groups = _groups(e.obis, row, value, ctx) if value is not None else [e.raw]
            except (ValueError, TypeError):
                groups = [e.raw]
        lines.append(e.obis + "".join(f"({g})" for g in groups[0]))
        lines.extend("".join(f"({g})" for g in more) for more in groups[1:])
    ending = line_ending or ("\n" if telegram.line_ending == "LF" else "\r\n")
    return _finish(lines, ending, crc)
