"""Columns to Arrow arrays from their buffers, and batches of columns to one Parquet file.

No ``pa.array`` on Python lists where it can be helped (it looks for pandas, whose import costs
the Parquet command a second) and no ``pyarrow.compute`` (another second), except for columns
that are rare by nature.
"""

from __future__ import annotations

import os
import sys
import tempfile
from array import array
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate, compress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .columnar import Column, Columns

DECIMAL_DIGITS = 38  # Arrow's decimal128: a longer number does not fit a decimal column
DEFAULT_SCALE = 3  # a decimal column with no value in its batch
ROW_GROUP_ROWS = 128 * 1024
ROW_GROUP_BYTES = 64 * 1024 * 1024

_BITS = bytes.maketrans(b"\x00\x01", b"01")
_SIGNS = bytes(0xFF if b >= 0x80 else 0 for b in range(256))  # an int64's high byte -> its sign


@lru_cache(maxsize=64)
def _steps(step: int, n: int) -> bytes:
    """The offsets of ``n`` strings of ``step`` bytes each (a batch's constant columns have a
    few lengths and batches have similar sizes, so they are made once)."""
    return array("i", range(0, step * (n + 1), step) if step else bytes(4 * (n + 1))).tobytes()


def table_of(batch: Columns, scales: Mapping[str, int] | None = None) -> Any:
    """``batch`` as a ``pyarrow.Table``; a decimal column named in ``scales`` gets at least
    that scale (so batches of one file share their schema)."""
    import pyarrow as pa

    arrays = []
    fields = []
    n = len(batch)
    for col in batch.columns.values():
        floor = scales.get(col.name) if scales else None
        arr = arrow_array(pa, col, n, batch.timezone, floor)
        meta = {"unit": col.unit} if col.unit else None
        fields.append(pa.field(col.name, arr.type, metadata=meta))
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def arrow_array(pa: Any, col: Column, n: int, zone: str, scale: int | None = None) -> Any:
    """One column; ``scale``: the least scale of a decimal column."""
    if col.kind == "float":
        return pa.Array.from_buffers(
            pa.float64(), n, [bitmap(pa, col.valid), pa.py_buffer(col.values)]
        )
    if col.kind == "int":
        return pa.Array.from_buffers(
            pa.int64(), n, [bitmap(pa, col.valid), pa.py_buffer(col.values)]
        )
    if col.kind == "timestamp":
        kind = pa.timestamp("us", tz=zone)
        return pa.Array.from_buffers(kind, n, [bitmap(pa, col.valid), pa.py_buffer(col.values)])
    if col.kind == "decimal":
        return arrow_decimal(pa, col, n, scale)
    return arrow_strings(pa, col, n)


def bitmap(pa: Any, valid: bytearray) -> Any:
    """Arrow's validity bitmap of a column's 0/1 bytes (None: no nulls)."""
    if 0 not in valid:  # (bytearray's ``in`` is a memchr; ``all()`` walks it in Python)
        return None
    bits = valid.translate(_BITS)[::-1] or b"0"
    return pa.py_buffer(int(bits, 2).to_bytes((len(valid) + 7) // 8, "little"))


def arrow_strings(pa: Any, col: Column, n: int) -> Any:
    """A string column from its offsets and data buffers."""
    values = col.values
    first = values[0] if n else None
    if n and values.count(first) == n:  # one value all along (profile, crc, ids, units, null)
        return _repeated(pa, first, n, col.valid)
    try:
        joined = "".join(values)
    except TypeError:  # nulls (None), or something that is no text
        values = ["" if v is None else v for v in values]
        try:
            joined = "".join(values)
        except TypeError:
            return pa.array(col.values, type=pa.string())  # (as pyarrow sees it)
    data = joined.encode("utf-8")
    if len(data) >= 2**31:  # (past the offsets of a string array: a large one is no string)
        return pa.array(col.values, type=pa.string())
    sizes = map(len, values) if joined.isascii() else (len(v.encode("utf-8")) for v in values)
    offsets = array("i", accumulate(sizes, initial=0))
    return pa.Array.from_buffers(
        pa.string(), n, [bitmap(pa, col.valid), pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _repeated(pa: Any, value: Any, n: int, valid: bytearray) -> Any:
    if value is None:
        return pa.Array.from_buffers(
            pa.string(), n, [bitmap(pa, valid), pa.py_buffer(bytes(4 * (n + 1))), pa.py_buffer(b"")]
        )
    if not isinstance(value, str):
        return pa.array([value] * n, type=pa.string())  # (as pyarrow sees it)
    one = value.encode("utf-8")
    if len(one) * n >= 2**31:
        return pa.array([value] * n, type=pa.string())
    offsets = _steps(len(one), n)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(one * n)]
    )


def int128(pa: Any, values: array) -> Any:
    """int64s as the little-endian 128-bit integers of a decimal128 column: each one's 8 bytes,
    then 8 bytes of its sign (without a ``pyarrow.compute`` cast, whose import alone costs the
    Parquet command most of a second)."""
    if sys.byteorder != "little":
        ints = pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])
        return ints.cast(pa.decimal128(38, 0)).buffers()[1]
    wide = array("q", bytes(16 * len(values)))
    wide[0::2] = values
    if 0xFF in values.tobytes()[7::8].translate(_SIGNS):  # (slices and memchr: no int objects)
        wide[1::2] = array("q", [-1 if v < 0 else 0 for v in values])
    return pa.py_buffer(wide)


def arrow_decimal(pa: Any, col: Column, n: int, least: int | None = None) -> Any:
    """A decimal128(38, scale) column: the scale is the largest of the column's and ``least``."""
    valid = col.valid
    if 1 not in valid:  # (a column no telegram of the batch has)
        kind = pa.decimal128(DECIMAL_DIGITS, DEFAULT_SCALE if least is None else least)
        return pa.Array.from_buffers(kind, n, [bitmap(pa, valid), pa.py_buffer(bytes(16 * n))])
    scales = set(col.scales if 0 not in valid else compress(col.scales, valid))
    if least is not None:
        scales.add(least)
    if len(scales) == 1 and not col.exact:
        # one scale for the whole column: the unscaled int64s are the decimal128 values
        kind = pa.decimal128(DECIMAL_DIGITS, scales.pop())
        return pa.Array.from_buffers(kind, n, [bitmap(pa, valid), int128(pa, col.values)])
    if not col.exact and sys.byteorder == "little":
        # scales that differ: each unscaled value brought to the largest
        scale = max(scales)
        if scale <= DECIMAL_DIGITS:
            limit = 10**DECIMAL_DIGITS
            ints = [
                v * 10 ** (scale - s) if ok else 0
                for v, s, ok in zip(col.values, col.scales, valid)
            ]
            if -limit < min(ints) and max(ints) < limit:
                data = b"".join(i.to_bytes(16, "little", signed=True) for i in ints)
                kind = pa.decimal128(DECIMAL_DIGITS, scale)
                return pa.Array.from_buffers(kind, n, [bitmap(pa, valid), pa.py_buffer(data)])
    # (pa.array on a list looks for pandas, whose import costs a second: only for rare columns)
    values: list[Decimal | None] = col.to_list()
    scale = max((-v.as_tuple().exponent for v in values if v is not None), default=DEFAULT_SCALE)  # type: ignore[operator]
    if least is not None:
        scale = max(scale, least)
    # one precision for every batch (38, the widest decimal128), so batches of one file share
    # their schema whatever their numbers' lengths
    return pa.array(values, type=pa.decimal128(DECIMAL_DIGITS, min(scale, DECIMAL_DIGITS)))


# --------------------------------------------------------------------------------------------
# Parquet


def write_parquet(
    batches: Iterable[Columns],
    path: Any,
    row_group_rows: int = ROW_GROUP_ROWS,
    row_group_bytes: int = ROW_GROUP_BYTES,
) -> int:
    """Write batches to one Parquet file, in row groups of about ``row_group_rows`` rows (fewer
    when they pass ``row_group_bytes``); returns the number of rows.

    A decimal column's scale is the largest any batch has: a batch with more digits after the
    point than the file so far widens the file (what is written is rewritten at the new scale),
    so no digit is lost. ``path`` is a path or a binary file open for writing."""
    try:
        import pyarrow.parquet  # noqa: F401  (the error below instead of one from inside)
    except ImportError:
        raise ImportError("Parquet output needs pyarrow: pip install 'dsmrparse[arrow]'") from None
    if isinstance(path, (str, os.PathLike)):
        return _ParquetFile(os.fspath(path), row_group_rows, row_group_bytes).write(batches)
    # a file object: written whole into it at the end, as widening must read back what is written
    with tempfile.TemporaryDirectory(prefix="dsmrparse-parquet-") as folder:
        local = os.path.join(folder, "out.parquet")
        rows = _ParquetFile(local, row_group_rows, row_group_bytes).write(batches)
        if os.path.exists(local):
            with open(local, "rb") as done:
                while chunk := done.read(1 << 20):
                    path.write(chunk)
    return rows


class _ParquetFile:
    """One Parquet file being written: its schema, its pending row group, its widening."""

    def __init__(self, path: str, group_rows: int, group_bytes: int) -> None:
        self.path = path
        self.writing = path  # where the writer writes: a sibling once the file was widened
        self.group_rows = group_rows
        self.group_bytes = group_bytes
        self.writer: Any = None
        self.scales: dict[str, int] = {}  # the file's decimal columns and their scales
        self.pending: list[Any] = []  # the tables of the next row group
        self.pending_rows = self.pending_bytes = 0
        self.widenings = 0

    def write(self, batches: Iterable[Columns]) -> int:
        rows = 0
        done = False
        try:
            for batch in batches:
                if not len(batch):
                    continue
                self.add(table_of(batch, self.scales))
                rows += len(batch)
            self.flush()
            done = True
        finally:
            if self.writer is not None:
                self.writer.close()
            if self.writing != self.path:
                if done:
                    os.replace(self.writing, self.path)
                else:
                    os.unlink(self.writing)
        return rows

    def add(self, table: Any) -> None:
        import pyarrow.parquet as pq

        if self.writer is None:
            self.writer = pq.ParquetWriter(self.writing, table.schema)
            self.scales = _decimal_scales(table.schema)
        elif table.schema != self.writer.schema:
            more = _decimal_scales(table.schema)
            if any(more.get(name, scale) > scale for name, scale in self.scales.items()):
                self.widen({name: max(s, more.get(name, s)) for name, s in self.scales.items()})
            if table.schema != self.writer.schema:
                table = table.cast(self.writer.schema)  # (other differences: pyarrow decides)
        self.pending.append(table)
        self.pending_rows += table.num_rows
        self.pending_bytes += table.nbytes
        if self.pending_rows >= self.group_rows or self.pending_bytes >= self.group_bytes:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.writer is None or not self.pending:
            return
        # (concat_tables only lists the batches' chunks: the row group is written from them)
        group = self.pending[0] if len(self.pending) == 1 else pa.concat_tables(self.pending)
        self.writer.write_table(group, row_group_size=max(len(group), 1))
        self.pending.clear()
        self.pending_rows = self.pending_bytes = 0

    def widen(self, scales: dict[str, int]) -> None:
        """Go on in a sibling file whose decimal columns have ``scales``, with what is written
        so far copied into it: a lossless cast, and rare (a meter that starts writing more
        digits), so pyarrow.compute does it."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self.writer.schema
        for name, scale in scales.items():
            i = schema.get_field_index(name)
            schema = schema.set(i, schema.field(i).with_type(pa.decimal128(DECIMAL_DIGITS, scale)))
        self.writer.close()
        self.writer = None
        written = self.writing
        self.widenings += 1
        self.writing = f"{self.path}.widened-{os.getpid()}-{self.widenings}"
        self.writer = pq.ParquetWriter(self.writing, schema)
        with pq.ParquetFile(written) as old:
            for g in range(old.num_row_groups):
                group = old.read_row_group(g).cast(schema)
                self.writer.write_table(group, row_group_size=max(group.num_rows, 1))
        if written != self.path:
            os.unlink(written)
        self.pending = [t.cast(schema) for t in self.pending]
        self.scales = scales


def _decimal_scales(schema: Any) -> dict[str, int]:
    import pyarrow as pa

    return {f.name: f.type.scale for f in schema if pa.types.is_decimal(f.type)}
