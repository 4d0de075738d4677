"""Telegrams as columns: one column per field, for bulk work (Arrow, Parquet, CSV, pandas).

The schema comes from the profile table, so every batch of a file has the same columns:

- ``timestamp``, ``profile``, ``crc``, ``problems`` (how many), then one column per row of the
  table in its order: registers as Decimal (exact) or float (``numbers="float"``), integers,
  text, timestamps (timezone-aware);
- ``<name>_timestamp`` beside each timestamped value (a peak and when it happened);
- MBus devices per channel 1 to 4: ``mbus<N>_device_type``, ``_equipment_id``, ``_timestamp``,
  ``_value``, ``_unit``;
- ``extra``: JSON of the objects the schema has no column for, so nothing is lost.

Floats, integers, timestamps and decimals are kept in typed arrays (``array('d')``,
``array('q')``; a decimal as its unscaled integer and its scale) and handed to Arrow as buffers,
not as one Python object per value. :meth:`Columns.add_frame` fills them straight from a
telegram's bytes through the twin's ``ColumnBuilder`` (see ``_purepy``) and takes the full parse
only for a telegram that path cannot read exactly, so the rows are the same either way.
"""

from __future__ import annotations

import csv
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any

from . import _impl
from . import _kinds as K
from ._arrow import DECIMAL_DIGITS, table_of, write_parquet
from ._types import as_json_value
from .profiles import Profile, detect
from .profiles import get as get_profile
from .profiles._converters import legacy_gas_record
from .telegram import Telegram, dumps
from .values import time_context, units_equal

__all__ = [
    "Columns",
    "schema_for",
    "iter_columns",
    "columns_from_records",
    "read_csv",
    "write_parquet",
    "write_csv",
]

MBUS_CHANNELS = (1, 2, 3, 4)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


_TYPED = ("float", "int", "timestamp", "decimal")
_MAX_UNSCALED = 10**18  # decimals with up to 18 digits are kept as (unscaled int64, scale)
_INT64 = range(-(2**63), 2**63)


class TooWide(OverflowError):
    """A value that no cell of its column's kind holds exactly (an integer past 64 bits, a
    number of more than 38 digits): :meth:`Columns.append` keeps it in ``extra`` instead."""


@dataclass
class Column:
    """One column: ``kind`` is decimal, float, int, str or timestamp.

    A decimal is stored as its unscaled integer in ``values`` and its scale in ``scales``
    (``Decimal("1.500")`` is 1500 and 3); the rare one that does not fit (more than 18 digits,
    ``-0``, an exponent) is kept whole in ``exact`` under its row index.
    """

    name: str
    kind: str
    unit: str | None = None
    values: Any = None  # array('d'), array('q') (int, timestamp micros, unscaled decimal), list
    offsets: array = field(default_factory=lambda: array("h"))  # timestamps: UTC offset, minutes
    valid: bytearray = field(default_factory=bytearray)
    scales: array = field(default_factory=lambda: array("b"))  # decimals: digits after the point
    exact: dict[int, Decimal] = field(default_factory=dict)  # decimals that do not fit

    def __post_init__(self) -> None:
        if self.values is None:
            self.values = (
                array("d") if self.kind == "float" else (array("q") if self.kind in _TYPED else [])
            )

    def append(self, value: Any) -> None:
        if value is None:
            self.valid.append(0)
            if self.kind in _TYPED:
                self.values.append(0)
                if self.kind == "timestamp":
                    self.offsets.append(0)
                elif self.kind == "decimal":
                    self.scales.append(0)
            else:
                self.values.append(None)
            return
        if self.kind == "decimal":
            self._append_decimal(value)
            return
        if self.kind == "int":
            value = int(value)
            if value not in _INT64:
                raise TooWide(f"{value} does not fit a 64-bit integer column")
        self.valid.append(1)
        if self.kind == "timestamp":
            delta = value - _EPOCH
            self.values.append(
                (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
            )
            offset = value.utcoffset()
            self.offsets.append(int(offset.total_seconds() // 60) if offset else 0)
        elif self.kind == "float":
            self.values.append(float(value))
        elif self.kind == "int":
            self.values.append(int(value))
        else:
            self.values.append(value)

    def _append_decimal(self, value: Any) -> None:
        if not isinstance(value, Decimal):
            value = Decimal(value)  # (TypeError, ValueError: the caller stores None)
        sign, digits, exponent = value.as_tuple()
        if len(digits) > DECIMAL_DIGITS:
            raise TooWide(f"{value} has more than {DECIMAL_DIGITS} digits")
        unscaled = 0
        fits = isinstance(exponent, int) and -127 <= exponent <= 0 and len(digits) <= 18
        if fits:
            for d in digits:
                unscaled = unscaled * 10 + d
            fits = not (sign and unscaled == 0)  # -0 has no int64 form
        if not fits:
            self.exact[len(self.valid)] = value
            unscaled = exponent = 0
        self.valid.append(1)
        self.values.append(-unscaled if sign else unscaled)
        self.scales.append(-exponent)

    def get(self, i: int) -> Any:
        if not self.valid[i]:
            return None
        if self.kind == "timestamp":
            zone = timezone(timedelta(minutes=self.offsets[i]))
            return (_EPOCH + timedelta(microseconds=self.values[i])).astimezone(zone)
        if self.kind == "decimal":
            held = self.exact.get(i) if self.exact else None
            if held is not None:
                return held
            return Decimal(self.values[i]).scaleb(-self.scales[i])
        return self.values[i]

    def to_list(self) -> list[Any]:
        return [self.get(i) for i in range(len(self.valid))]


def schema_for(
    profile: str | Profile, numbers: str = "decimal"
) -> list[tuple[str, str, str | None]]:
    """``(column, kind, unit)`` in order for a profile's telegrams."""
    if numbers not in ("decimal", "float"):
        raise ValueError("numbers is 'decimal' or 'float'")
    chosen = get_profile(profile)
    cols: list[tuple[str, str, str | None]] = [
        ("timestamp", "timestamp", None),
        ("profile", "str", None),
        ("crc", "str", None),
        ("problems", "int", None),
    ]
    for row in chosen.fields:
        if row.is_mbus or row.obis == "0-0:1.0.0":
            continue
        if row.kind == K.QUANTITY:
            cols.append((row.name, numbers, row.unit))
        elif row.kind == K.INTEGER:
            cols.append((row.name, "int", row.unit))
        elif row.kind == K.TIMESTAMP:
            cols.append((row.name, "timestamp", None))
        elif row.kind == K.TIMESTAMPED:
            cols += [(row.name, numbers, row.unit), (f"{row.name}_timestamp", "timestamp", None)]
        else:  # text, hex text, and structures (logs, histories) as JSON text
            cols.append((row.name, "str", row.unit))
    for ch in MBUS_CHANNELS:
        cols += [
            (f"mbus{ch}_device_type", "int", None),
            (f"mbus{ch}_equipment_id", "str", None),
            (f"mbus{ch}_timestamp", "timestamp", None),
            (f"mbus{ch}_value", numbers, None),
            (f"mbus{ch}_unit", "str", None),
        ]
    cols.append(("extra", "str", None))
    return cols


class Columns:
    """A batch of telegrams as columns. Build with :meth:`from_telegrams` or :meth:`append`."""

    def __init__(self, profile: str | Profile, numbers: str = "decimal") -> None:
        chosen = get_profile(profile)
        self.profile_name = chosen.name  # a name, not the Profile: batches cross processes
        self.timezone = chosen.timezone
        self.numbers = numbers
        self.columns = {
            name: Column(name, kind, unit) for name, kind, unit in schema_for(chosen, numbers)
        }
        self._rows = 0
        self._complex = {row.name for row in chosen.fields if row.kind == K.COMPLEX}
        self.problem_kinds: Counter[str] = Counter()  # the rows' problems, by kind
        self._builder: Any = None  # the twin's ColumnBuilder, made on first use of add_frame
        self._builder_for: tuple[Any, ...] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()  # the builder (compiled, tied to this process) stays here
        state["_builder"] = state["_builder_for"] = None
        return state

    @classmethod
    def from_telegrams(
        cls,
        telegrams: Iterable[Any],
        profile: str | Profile | None = None,
        numbers: str = "decimal",
    ) -> Columns:
        """Columns for the telegrams (other items, e.g. damaged records, are skipped); the profile
        is the first telegram's unless named."""
        batch: Columns | None = None if profile is None else cls(profile, numbers)
        for t in telegrams:
            if not isinstance(t, Telegram):
                continue
            if batch is None:
                batch = cls(t.profile, numbers)
            batch.append(t)
        return batch if batch is not None else cls(profile or "dsmr5", numbers)

    def __len__(self) -> int:
        return self._rows

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def column(self, name: str) -> list[Any]:
        """The values of one column as Python objects (None where missing)."""
        return self.columns[name].to_list()

    def add_frame(
        self,
        data: bytes,
        parse: Callable[[bytes], Any],
        profile: str | Profile | None = None,
        strict: bool = False,
    ) -> Any:
        """Append the telegram in ``data`` (one frame, ``/`` to ``!CRC``) as a row.

        The twin's ColumnBuilder reads the frame straight into the columns; a telegram it cannot
        read exactly goes through ``parse`` (bytes -> Telegram, or another record such as
        ``files.Damaged``), as :meth:`append` would get it. ``profile`` and ``strict`` must be what
        ``parse`` uses. Returns None when a row was added, else what ``parse`` gave.
        """
        if self.add_fast(data, profile, strict):
            return None
        item = parse(data)
        if not isinstance(item, Telegram):
            return item
        self.append(item)
        return None

    def add_fast(
        self, data: bytes, profile: str | Profile | None = None, strict: bool = False
    ) -> bool:
        """Append the telegram in ``data`` as a row if the fast path reads it exactly; False
        (nothing appended) when it needs the full parse: then :meth:`append` what that gives.
        ``profile`` and ``strict`` are those the full parse uses."""
        builder = self._builder_of(profile, strict)
        if builder is None:
            return False
        problems = builder.feed(data)
        if problems < 0:
            return False
        self._rows += 1
        if problems:  # the fast path keeps only telegrams whose problems are CRC ones
            self.problem_kinds["crc"] += problems
        return True

    def add_records(
        self,
        records: list[tuple[int, Any]],
        profile: str | Profile | None,
        strict: bool,
        name: str | None,
    ) -> list[tuple[int, Any]]:
        """Append the telegrams of ``files.map_records(..., raw=True)`` records as rows (see
        :func:`columns_from_records`); returns the records that are no row."""
        from .files import Frame, read_frame

        builder = self._builder_of(profile, strict)
        feed = None if builder is None else builder.feed  # (looked up once a batch, not a row)
        left: list[tuple[int, Any]] = []
        rows = crc_problems = 0
        for offset, item in records:
            if type(item) is Frame:
                problems = -1 if feed is None else feed(item.data)
                if problems >= 0:
                    rows += 1
                    crc_problems += problems  # (the fast path keeps only CRC problems)
                    continue
                item = read_frame(item, profile, strict, name)
            if isinstance(item, Telegram):  # (also a decrypted frame, which comes parsed)
                self._rows += rows
                rows = 0
                self.append(item)
                continue
            left.append((offset, item))
        self._rows += rows
        if crc_problems:
            self.problem_kinds["crc"] += crc_problems
        return left

    def _builder_of(self, profile: str | Profile | None, strict: bool) -> Any:
        key = (_impl.name(), None if profile is None else get_profile(profile).name, strict)
        if self._builder_for != key:
            spec = fast_spec(self, profile, strict)
            self._builder = (
                None
                if spec is None
                else _impl.current.ColumnBuilder(spec, list(self.columns.values()))
            )
            self._builder_for = key
        return self._builder

    def append(self, t: Telegram) -> None:
        for problem in t.problems:
            self.problem_kinds[problem.kind] += 1
        row: dict[str, Any] = {
            "timestamp": t.timestamp,
            "profile": t.profile,
            "crc": t.crc,
            "problems": len(t.problems),
        }
        extra: dict[str, Any] = {}
        cols = self.columns
        plan = t.profile_object.plan
        for e in t.entries:
            name = e.name
            if e.obis not in plan:  # no row of the telegram's profile: kept by its code
                if not (name and name.startswith("mbus_")):
                    extra[e.obis] = as_json_value(e.value) if e.error is None else list(e.raw)
                continue
            if name is None or name not in cols or e.obis.startswith("0-") and _channel(e.obis):
                if not (name and name.startswith("mbus_")):
                    extra[name or e.obis] = (
                        as_json_value(e.value) if e.error is None else list(e.raw)
                    )
                continue
            if name in row:
                continue
            if name in self._complex:
                row[name] = dumps(as_json_value(e.value)) if e.value is not None else None
            else:
                row[name] = e.value
            stamp_col = f"{name}_timestamp"
            if stamp_col in cols:
                row[stamp_col] = e.timestamp
        for ch, device in t.mbus.items():
            if ch not in MBUS_CHANNELS:
                continue
            reading = device.reading
            row[f"mbus{ch}_device_type"] = device.device_type
            row[f"mbus{ch}_equipment_id"] = device.equipment_id
            if reading is not None:
                row[f"mbus{ch}_timestamp"] = reading.timestamp
                row[f"mbus{ch}_value"] = reading.value
                row[f"mbus{ch}_unit"] = reading.unit
        for name, col in cols.items():
            if name == "extra":  # (the last column: values too wide for theirs are in it now)
                col.append(dumps(extra) if extra else None)
                continue
            value = row.get(name)
            if value is not None and col.kind in ("str",) and not isinstance(value, str):
                value = str(value)
            try:
                col.append(value)
            except TooWide:  # exact in ``extra``, under the column's name
                col.append(None)
                extra[name] = value
            except (TypeError, ValueError):  # a value of another shape than the table says
                col.append(None)
        self._rows += 1

    def extend(self, other: Columns) -> None:
        for name, col in self.columns.items():
            theirs = other.columns[name]
            base = len(col.valid)
            col.values.extend(theirs.values)
            col.offsets.extend(theirs.offsets)
            col.scales.extend(theirs.scales)
            col.exact.update({base + i: v for i, v in theirs.exact.items()})
            col.valid.extend(theirs.valid)
        self._rows += other._rows
        self.problem_kinds.update(other.problem_kinds)

    def to_pydict(self) -> dict[str, list[Any]]:
        return {name: col.to_list() for name, col in self.columns.items()}

    # ---- Arrow --------------------------------------------------------------------------
    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` (needs the ``arrow`` extra: ``pip install dsmrparse[arrow]``)."""
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError(
                "Arrow output needs pyarrow: pip install 'dsmrparse[arrow]'"
            ) from None
        return table_of(self)

    # ---- CSV ----------------------------------------------------------------------------
    def rows(self) -> Iterator[list[str]]:
        """The CSV cells, row by row: exact decimals, ISO 8601 times with the meter's offset."""
        cols = list(self.columns.values())
        for i in range(self._rows):
            out = []
            for col in cols:
                value = col.get(i)
                if value is None:
                    out.append("")
                elif isinstance(value, datetime):
                    out.append(value.isoformat())
                elif isinstance(value, float):
                    out.append(repr(value))
                else:
                    out.append(str(value))
            yield out


def _channel(obis: str) -> int:
    return int(obis.split(":")[0].split("-")[1])


# --------------------------------------------------------------------------------------------
# the spec a twin's ColumnBuilder follows: where each OBIS code of the profile goes

OP_VALUE = 1  # convert by kind into column ``col`` (-1: convert, keep nothing)
OP_FALLBACK = 2  # a telegram with this object takes the full parse (rare shapes)
_MBUS_ROLE_COLUMNS = {
    "mbus_device_type": "device_type",
    "mbus_equipment_id": "equipment_id",
    "mbus_reading": "value",
}
_VERSION_CODES = frozenset({"1-3:0.2.8", "0-0:96.1.4"})  # profiles.detect may read their value


@dataclass(frozen=True)
class Action:
    """What the builder does with one OBIS code's line."""

    op: int
    kind: int = K.RAW  # the plan's value kind
    col: int = -1  # the value's column
    stamp_col: int = -1  # TIMESTAMPED: the column of its time
    unit_col: int = -1  # MBus readings: the column of the unit as written
    unit: str | None = None  # the unit the profile expects (a mismatch takes the full parse)
    version: bool = False  # a version object: its groups decide the profile
    gas: bool = False  # a DSMR 2.2/3 gas record (COMPLEX): fills an MBus reading's cells
    complex: Callable[[str], tuple[bool, str | None]] | None = None  # COMPLEX: groups text -> cell
    converter: Any = None  # COMPLEX: the plan's converter (the compiled builder may run its own)


@dataclass(frozen=True)
class FastSpec:
    """Everything a ColumnBuilder needs, in plain values: twin-neutral."""

    profile: str
    actions: dict[str, Action]  # concrete OBIS code -> action; codes not here go to ``extra``
    kinds: tuple[str, ...]  # each column's kind, in column order
    layout: Callable[[bytes], tuple[bool, str | None]]  # frame -> (ours?, extra cell)
    crc_required: bool
    strict: bool
    winter: int  # UTC offsets of the profile's W and S times, minutes
    summer: int
    timezone: str
    dst_flags: bool  # False: the meter's S/W flags are not trusted, the zone decides
    plan: dict[str, Any]  # the profile's plan, for the pure twin's convert()
    extra_col: int


def fast_spec(batch: Columns, profile: str | Profile | None, strict: bool) -> FastSpec | None:
    """The spec for filling ``batch`` from frames parsed with ``profile`` (None: detected), or
    None when the fast path cannot give the same rows (a named profile other than the
    batch's)."""
    chosen = get_profile(batch.profile_name)
    if profile is not None and get_profile(profile).name != chosen.name:
        return None
    index = {name: i for i, name in enumerate(batch.columns)}
    kinds = tuple(col.kind for col in batch.columns.values())
    ctx = time_context(chosen.timezone, chosen.dst_flags)
    actions = {code: _action(code, row, index, kinds, ctx) for code, row in chosen.plan.items()}
    winter = ctx.winter.utcoffset(None)
    summer = ctx.summer.utcoffset(None)
    assert winter is not None and summer is not None
    return FastSpec(
        profile=chosen.name,
        actions=actions,
        kinds=kinds,
        layout=_layout_reader(chosen, profile is not None),
        crc_required=chosen.crc_required,
        strict=strict,
        winter=int(winter.total_seconds()) // 60,
        summer=int(summer.total_seconds()) // 60,
        timezone=chosen.timezone,
        dst_flags=chosen.dst_flags,
        plan=chosen.plan,
        extra_col=index["extra"],
    )


# the column kinds each value kind may fill (None: a column of the numbers choice)
_FILLS: dict[int, tuple[str, ...]] = {
    K.QUANTITY: ("decimal", "float"),
    K.INTEGER: ("int",),
    K.TIMESTAMP: ("timestamp",),
    K.TIMESTAMPED: ("decimal", "float"),
    K.TEXT: ("str",),
    K.HEX_TEXT: ("str",),
    K.RAW: ("str",),
    K.COMPLEX: ("str",),
}
_FIXED = frozenset({"profile", "crc", "problems", "extra"})


def _action(
    code: str, row: tuple[Any, ...], index: dict[str, int], kinds: tuple[str, ...], ctx: Any
) -> Action:
    """Where ``code`` goes, by the rules of :meth:`Columns.append`."""
    kind, name, unit, converter = row
    version = code in _VERSION_CODES
    fallback = Action(OP_FALLBACK)
    if kind not in _FILLS:
        return fallback
    channel = _channel(code) if code.startswith("0-") else 0
    if name.startswith("mbus_"):
        role = _MBUS_ROLE_COLUMNS.get(name) if channel in MBUS_CHANNELS else None
        if role is None:  # converted (its problems count), kept nowhere
            if kind == K.COMPLEX:
                return fallback
            return Action(OP_VALUE, kind, -1, -1, -1, unit, version)
        col = index[f"mbus{channel}_{role}"]
        if role == "value":
            # (the plan's converter may be a memo around it: _memo.memoized keeps __wrapped__)
            gas = kind == K.COMPLEX and (
                getattr(converter, "__wrapped__", converter) is legacy_gas_record
            )
            if kind != K.TIMESTAMPED and not gas:
                return fallback
            stamp, unit_col = index[f"mbus{channel}_timestamp"], index[f"mbus{channel}_unit"]
            return Action(OP_VALUE, kind, col, stamp, unit_col, unit, version, gas=gas)
    elif channel or name not in index or name in _FIXED:
        return fallback  # would go to ``extra`` with its value, or clash with a fixed column
    elif code == "0-0:1.0.0" or name == "timestamp":
        if code != "0-0:1.0.0" or name != "timestamp" or kind != K.TIMESTAMP:
            return fallback
        col = index["timestamp"]
    else:
        col = index[name]
    if kinds[col] not in _FILLS[kind]:
        return fallback
    stamp_col = index.get(f"{name}_timestamp", -1)
    if (stamp_col >= 0) != (kind == K.TIMESTAMPED) and not name.startswith("mbus_"):
        return fallback
    if kind == K.COMPLEX:
        return Action(
            OP_VALUE,
            kind,
            col,
            unit=unit,
            version=version,
            complex=_complex_cell(converter, unit, ctx),
            converter=converter,
        )
    if name.startswith("mbus_"):
        stamp_col = -1
    return Action(OP_VALUE, kind, col, stamp_col, -1, unit, version)


def _complex_cell(
    converter: Any, expected: str | None, ctx: Any
) -> Callable[[str], tuple[bool, str | None]]:
    """``(g1)(g2)...`` -> (converted cleanly?, the JSON cell): what append() stores for it."""

    def cell(text: str) -> tuple[bool, str | None]:
        groups = tuple(text[1:-1].split(")("))
        try:
            value, unit, _ = _impl.current.complex_value(converter, groups, ctx, expected)
        except ValueError:
            return False, None
        if unit is not None and expected is not None and not units_equal(unit, expected):
            return False, None
        return True, (dumps(as_json_value(value)) if value is not None else None)

    return cell


def _layout_reader(profile: Profile, named: bool) -> Callable[[bytes], tuple[bool, str | None]]:
    """frame -> (does ``profile`` read it?, its ``extra`` cell). Both depend only on the header,
    the OBIS codes in order and the version objects' groups: the builders cache the answer."""
    plan = profile.plan

    def layout(data: bytes) -> tuple[bool, str | None]:
        tokens = _impl.current.tokenize(data)
        ours = named or detect(tokens)[0].name == profile.name
        # objects the profile has no row for are typed by the full parse (their values go in
        # ``extra``, which differs per telegram): such a layout is not the fast path's
        # and an MBus channel without its device-type line: the full parse infers the type
        readings, typed = set(), set()
        for ln in tokens.lines:
            row = plan.get(ln.obis)
            if row is None:
                return False, None
            if row[1] == "mbus_reading":
                readings.add(ln.obis[:4])
            elif row[1] == "mbus_device_type":
                typed.add(ln.obis[:4])
        return (ours and readings <= typed), None

    return layout


# --------------------------------------------------------------------------------------------
# a whole capture to columns


def columns_from_records(
    schema: str | Profile,
    numbers: str,
    profile: str | Profile | None,
    strict: bool,
    name: str | None,
    records: list[tuple[int, Any]],
) -> tuple[Columns, list[tuple[int, Any]]]:
    """Columns for a batch of ``files.map_records(..., raw=True)`` records, and the records that
    are not rows (damaged, fragments, junk; telegrams refused in strict mode) in stream order.

    ``profile``, ``strict`` and ``name`` are what the records were read with: a telegram that
    the fast path cannot read is parsed as :func:`files.iter_telegrams` would have."""
    batch = Columns(schema, numbers)
    left = batch.add_records(records, profile, strict, name)
    return batch, left


def _columns_only(
    schema: str,
    numbers: str,
    profile: str | Profile | None,
    strict: bool,
    name: str,
    records: list[tuple[int, Any]],
) -> Columns:
    return columns_from_records(schema, numbers, profile, strict, name, records)[0]


def iter_columns(
    source: Any,
    schema: str | Profile | None = None,
    *,
    profile: str | Profile | None = None,
    numbers: str = "decimal",
    strict: bool = False,
    jobs: int = 1,
    chunk_size: int | None = None,
) -> Iterator[Columns]:
    """A whole capture as batches of columns, in stream order, without a Telegram object per
    telegram where the fast path can read it (damaged records are left out; see
    :func:`columns_from_records` to keep them). The columns are ``schema``'s (default: the
    named ``profile``, else DSMR 5); ``profile`` is what the telegrams are parsed with
    (detected when None); ``jobs=N`` fills batches on N processes."""
    from functools import partial

    from .files import DEFAULT_CHUNK_SIZE, _name_of, map_records

    table = get_profile(schema or profile or "dsmr5").name
    render = partial(_columns_only, table, numbers, profile, strict, _name_of(source))
    yield from map_records(
        source,
        render,
        profile=profile,
        strict=strict,
        chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
        jobs=jobs,
        raw=True,
    )


# --------------------------------------------------------------------------------------------
# writers: batches in, one file out


# A Parquet row group of this many rows (or this many bytes of Arrow data, whichever comes
# first): a batch of a capture is about a thousand telegrams, and a row group per batch made
# files of many small groups, slow to write and to read.
def write_csv(batches: Iterable[Columns], out: IO[str]) -> int:
    """Write batches as CSV with one header line (the first batch's columns)."""
    writer = csv.writer(out, lineterminator="\n")
    header: list[str] | None = None
    rows = 0
    for batch in batches:
        if header is None:
            header = batch.names
            writer.writerow(header)
        writer.writerows(batch.rows())
        rows += len(batch)
    return rows


def read_csv(source: IO[str] | str | os.PathLike[str], numbers: str = "decimal") -> Columns:
    """Read back a CSV written by :func:`write_csv` (a path or an open text file), with the
    column types of its profile."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8", newline="") as handle:
            return read_csv(handle, numbers)
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None or "profile" not in header:
        name = getattr(source, "name", "the CSV")
        raise ValueError(f"{name} is not a dsmrparse CSV: no header with a 'profile' column")
    batch: Columns | None = None
    for cells in reader:
        if batch is None:
            batch = Columns(cells[header.index("profile")], numbers)
        row = dict(zip(header, cells))
        for name, col in batch.columns.items():
            text = row.get(name, "")
            col.append(_from_text(text, col.kind) if text != "" else None)
        batch._rows += 1
    return batch if batch is not None else Columns("dsmr5", numbers)


def _from_text(text: str, kind: str) -> Any:
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "float":
        return float(text)
    if kind == "int":
        return int(text)
    return text
