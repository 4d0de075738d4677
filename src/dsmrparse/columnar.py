"""Telegrams as columns: one column per field, for bulk work (Arrow, Parquet, CSV, pandas).

The schema comes from the profile table, so every batch of a file has the same columns:

- ``timestamp``, ``profile``, ``crc``, ``problems`` (how many), then one column per row of the
  table in its order: registers as Decimal (exact) or float (``numbers="float"``), integers,
  text, timestamps (timezone-aware);
- ``<name>_timestamp`` beside each timestamped value (a peak and when it happened);
- MBus devices per channel 1 to 4: ``mbus<N>_device_type``, ``_equipment_id``, ``_timestamp``,
  ``_value``, ``_unit``;
- ``extra``: JSON of the objects the schema has no column for, so nothing is lost.

Floats, integers and timestamps are kept in typed arrays (``array('d')``, ``array('q')``) and
handed to Arrow as buffers, not as one Python object per value.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any

from . import _kinds as K
from ._types import as_json_value
from .profiles import Profile
from .profiles import get as get_profile
from .telegram import Telegram, dumps

__all__ = ["Columns", "schema_for", "read_csv", "write_parquet", "write_csv"]

MBUS_CHANNELS = (1, 2, 3, 4)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_BITS = bytes.maketrans(b"\x00\x01", b"01")


@dataclass
class Column:
    """One column: ``kind`` is decimal, float, int, str or timestamp."""

    name: str
    kind: str
    unit: str | None = None
    values: Any = None  # array('d'), array('q') (int, timestamp micros) or a list
    offsets: array = field(default_factory=lambda: array("h"))  # timestamps: UTC offset, minutes
    valid: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        if self.values is None:
            self.values = (
                array("d")
                if self.kind == "float"
                else (array("q") if self.kind in ("int", "timestamp") else [])
            )

    def append(self, value: Any) -> None:
        if value is None:
            self.valid.append(0)
            if self.kind in ("float", "int", "timestamp"):
                self.values.append(0)
                if self.kind == "timestamp":
                    self.offsets.append(0)
            else:
                self.values.append(None)
            return
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

    def get(self, i: int) -> Any:
        if not self.valid[i]:
            return None
        if self.kind == "timestamp":
            zone = timezone(timedelta(minutes=self.offsets[i]))
            return (_EPOCH + timedelta(microseconds=self.values[i])).astimezone(zone)
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

    def append(self, t: Telegram) -> None:
        row: dict[str, Any] = {
            "timestamp": t.timestamp,
            "profile": t.profile,
            "crc": t.crc,
            "problems": len(t.problems),
        }
        extra: dict[str, Any] = {}
        cols = self.columns
        for e in t.entries:
            name = e.name
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
        if extra:
            row["extra"] = dumps(extra)
        for name, col in cols.items():
            value = row.get(name)
            if value is not None and col.kind in ("str",) and not isinstance(value, str):
                value = str(value)
            try:
                col.append(value)
            except (TypeError, ValueError):  # a value of another shape than the table says
                col.append(None)
        self._rows += 1

    def extend(self, other: Columns) -> None:
        for name, col in self.columns.items():
            theirs = other.columns[name]
            col.values.extend(theirs.values)
            col.offsets.extend(theirs.offsets)
            col.valid.extend(theirs.valid)
        self._rows += other._rows

    def to_pydict(self) -> dict[str, list[Any]]:
        return {name: col.to_list() for name, col in self.columns.items()}

    # ---- Arrow --------------------------------------------------------------------------
    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` (needs the ``arrow`` extra: ``pip install dsmrparse[arrow]``)."""
        try:
            import pyarrow as pa
        except ImportError:
            raise ImportError(
                "Arrow output needs pyarrow: pip install 'dsmrparse[arrow]'"
            ) from None
        arrays = []
        fields = []
        n = self._rows
        for col in self.columns.values():
            arr = _arrow_array(pa, col, n, self.timezone)
            meta = {"unit": col.unit} if col.unit else None
            fields.append(pa.field(col.name, arr.type, metadata=meta))
            arrays.append(arr)
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

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


def _bitmap(pa: Any, valid: bytearray) -> Any:
    if all(valid):
        return None
    bits = valid.translate(_BITS)[::-1] or b"0"
    return pa.py_buffer(int(bits, 2).to_bytes((len(valid) + 7) // 8, "little"))


def _arrow_array(pa: Any, col: Column, n: int, zone: str) -> Any:
    if col.kind == "float":
        return pa.Array.from_buffers(
            pa.float64(), n, [_bitmap(pa, col.valid), pa.py_buffer(col.values)]
        )
    if col.kind == "int":
        return pa.Array.from_buffers(
            pa.int64(), n, [_bitmap(pa, col.valid), pa.py_buffer(col.values)]
        )
    if col.kind == "timestamp":
        kind = pa.timestamp("us", tz=zone)
        return pa.Array.from_buffers(kind, n, [_bitmap(pa, col.valid), pa.py_buffer(col.values)])
    if col.kind == "decimal":
        scale = max((-v.as_tuple().exponent for v in col.values if v is not None), default=3)
        return pa.array(col.values, type=pa.decimal128(max(18, scale + 12), scale))
    return pa.array(col.values, type=pa.string())


# --------------------------------------------------------------------------------------------
# writers: batches in, one file out


def write_parquet(batches: Iterable[Columns], path: Any) -> int:
    """Write batches to one Parquet file; returns the number of rows."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet output needs pyarrow: pip install 'dsmrparse[arrow]'") from None
    writer = None
    rows = 0
    try:
        for batch in batches:
            if not len(batch):
                continue
            table = batch.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            elif table.schema != writer.schema:
                table = table.cast(writer.schema)
            writer.write_table(table)
            rows += len(batch)
    finally:
        if writer is not None:
            writer.close()
    return rows


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


def read_csv(source: IO[str], numbers: str = "decimal") -> Columns:
    """Read back a CSV written by :func:`write_csv`, with the column types of its profile."""
    reader = csv.reader(source)
    header = next(reader)
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
