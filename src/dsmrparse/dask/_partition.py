"""One partition of a capture archive: a whole file, or one byte range of a plain file, read into
the union table (rows) and the error table (damaged stretches). Runs on a Dask worker; knows
nothing of Dask.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

from .. import _impl
from .._types import Frame
from ..columnar import Columns
from ..errors import SourceError
from ..files import (
    DEFAULT_CHUNK_SIZE,
    Damaged,
    Record,
    _Plan,
    _Recorder,
    _scan_range,
    map_records,
    read_frame,
)
from ..telegram import Telegram
from ._schema import METER_COLUMNS, Union, family_table, union_schema

ERROR_COLUMNS = ("source_file", "offset", "kind", "error", "length", "raw")


class Options(NamedTuple):
    """How every partition is read: the same for all, so the result does not depend on who
    reads which partition."""

    profile: str | None
    numbers: str
    strict: bool
    twin: str  # the parser twin of the process that built the graph
    storage_options: dict[str, Any]


class Piece(NamedTuple):
    """A partition's input: a whole file (``plan`` None), or range ``position`` of ``plan``."""

    path: str  # as fsspec knows it
    label: str  # the ``source_file`` value
    position: int = 0
    plan: _Plan | None = None


@contextlib.contextmanager
def _open(piece: Piece, options: Options) -> Iterator[IO[bytes]]:
    import fsspec

    with fsspec.open(piece.path, "rb", **options.storage_options) as handle:
        yield handle


def _reader(handle: IO[bytes]) -> Any:
    def read_at(length: int, offset: int) -> bytes:
        handle.seek(offset)
        return handle.read(length)

    return read_at


def _use_twin(options: Options) -> None:
    # the twins give the same rows: a worker without the compiled one uses the pure one
    if _impl.name() != options.twin and options.twin in _impl.available():
        _impl.use(options.twin)


def following(piece: Piece, options: Options) -> int:
    """The index of the range after the records of this range's reader (see
    ``files._scan_range``): one more than its own, unless the whole-file scan runs a frame
    over the next range's start, whose reader is then skipped. Frames only, no parsing."""
    _use_twin(options)
    assert piece.plan is not None
    recorder = _Recorder(options.profile, options.strict, piece.label, raw=True)
    try:
        with _open(piece, options) as handle:
            return _scan_range(_reader(handle), piece.position, piece.plan, recorder)[1]
    except OSError:
        return piece.position + 1  # its own reader reports the file as unreadable


def skipped(followings: list[int]) -> frozenset[int]:
    """The ranges whose records an earlier range's reader took (their partitions stay empty)."""
    out: set[int] = set()
    index = 0
    while index < len(followings):
        out.update(range(index + 1, followings[index]))
        index = followings[index]
    return frozenset(out)


def records_of(piece: Piece, options: Options) -> list[Record]:
    """The records of a piece as the whole-file scan gives them: telegrams as unparsed frames,
    the rest as Damaged. A file that cannot be read on (truncated or corrupt compressed data,
    gone since the plan was made) ends with an ``unreadable`` record where reading stopped:
    one bad file among thousands must not stop the whole archive, nor vanish from it."""
    _use_twin(options)
    out: list[Record] = []
    try:
        with _open(piece, options) as handle:
            if piece.plan is not None:
                recorder = _Recorder(options.profile, options.strict, piece.label, raw=True)
                return _scan_range(_reader(handle), piece.position, piece.plan, recorder)[0]
            for batch in map_records(
                handle,
                _keep,
                profile=options.profile,
                strict=options.strict,
                chunk_size=DEFAULT_CHUNK_SIZE,
                raw=True,
            ):
                out += batch
    except (SourceError, OSError) as exc:
        start = piece.position * piece.plan.step if piece.plan is not None else 0
        end = out[-1][0] + _length(out[-1][1]) if out else start
        why = str(exc) if isinstance(exc, SourceError) else f"cannot read: {exc}"
        out.append((end, Damaged("unreadable", end, b"", why, piece.label)))
    return out


def _length(item: Any) -> int:
    return len(item.data if isinstance(item, Frame) else item.raw)


def _keep(records: list[Record]) -> list[Record]:
    return records


class Router:
    """Puts each telegram into the batch of its family, in stream order: the fast column path
    for the family of the telegram before, the full parse when that does not read it (another
    family: a meter was replaced) or cannot read it exactly."""

    def __init__(self, union: Union, options: Options, label: str) -> None:
        self.union = union
        self.options = options
        self.label = label
        self.batches: dict[str, Columns] = {}
        self.offsets: dict[str, list[int]] = {}
        self.errors: list[tuple[int, Damaged]] = []
        self._current: Columns | None = None

    def add(self, offset: int, item: Any) -> None:
        profile, strict = self.options.profile, self.options.strict
        if not isinstance(item, (Telegram, Damaged)):  # a Frame
            current = self._current
            if current is not None and current.add_fast(item.data, profile, strict):
                self.offsets[current.profile_name].append(offset)
                return
            item = read_frame(item, profile, strict, self.label)
        if isinstance(item, Telegram):
            batch = self._batch(item.profile)
            batch.append(item)
            self.offsets[batch.profile_name].append(offset)
            self._current = batch
        else:
            self.errors.append((offset, item))

    def _batch(self, family: str) -> Columns:
        batch = self.batches.get(family)
        if batch is None:
            if family not in self.union.targets:  # cannot happen: the union has every family
                raise ValueError(f"a {family} telegram, but the schema was made without it")
            batch = self.batches[family] = Columns(family, self.union.numbers)
            self.offsets[family] = []
        return batch

    def rows(self) -> Any:
        """The rows as one Arrow table of the union schema, in stream order."""
        import pyarrow as pa
        import pyarrow.compute as pc

        schema = self.union.arrow_schema()
        parts = []
        for family, batch in self.batches.items():
            if not len(batch):
                continue
            table = family_table(batch, self.union)
            columns = {name: table.column(name) for name in table.column_names}
            n = len(batch)
            columns["offset"] = pa.chunked_array([pa.array(self.offsets[family], pa.int64())])
            columns["source_file"] = pa.chunked_array([pa.array([self.label] * n, pa.string())])
            meter = None
            for name in METER_COLUMNS:
                if name in columns:
                    named = columns[name]
                    named = pc.if_else(pc.equal(named, ""), None, named)
                    meter = named if meter is None else pc.coalesce(meter, named)
            fallback = columns["source_file"]
            columns["meter"] = fallback if meter is None else pc.coalesce(meter, fallback)
            arrays = [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in schema]
            parts.append(pa.Table.from_arrays(arrays, schema=schema))
        if not parts:
            return schema.empty_table()
        table = pa.concat_tables(parts)
        if len(parts) > 1:
            table = table.sort_by("offset")  # (offsets within one piece are unique)
        return table

    def error_table(self) -> Any:
        return error_table(self.label, self.errors)


def error_table(label: str, errors: list[tuple[int, Damaged]]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "source_file": pa.array([label] * len(errors), pa.string()),
            "offset": pa.array([off for off, _ in errors], pa.int64()),
            "kind": pa.array([d.kind for _, d in errors], pa.string()),
            "error": pa.array([d.error for _, d in errors], pa.string()),
            "length": pa.array([len(d.raw) for _, d in errors], pa.int64()),
            "raw": pa.array([d.raw for _, d in errors], pa.binary()),
        }
    )


def error_schema() -> Any:
    return error_table("", []).schema


def read_piece(piece: Piece, options: Options, skip: frozenset[int] = frozenset()) -> Any:
    """(rows, errors) of a piece as pandas DataFrames with Arrow-backed columns; both empty for
    a range that an earlier range's reader took."""
    union = union_schema(options.profile, options.numbers)
    router = Router(union, options, piece.label)
    if not (piece.plan is not None and piece.position in skip):
        for offset, item in records_of(piece, options):
            router.add(offset, item)
    return to_pandas(router.rows()), to_pandas(router.error_table())


def to_pandas(table: Any) -> Any:
    import pandas as pd

    return table.to_pandas(types_mapper=pd.ArrowDtype)
