"""Capture archives as a Dask DataFrame: many files, many meters, many machines.

>>> import dsmrparse.dask as dd_dsmr
>>> df = dd_dsmr.read_captures("archive/**/*.txt.gz", numbers="float")
>>> df.groupby("meter").power_imported.mean().compute()
>>> dd_dsmr.to_dataset(df, "p1.parquet", partition_on=["meter", "month"])

One partition per compressed file (a compressed stream cannot be entered in the middle) and per
byte range of a plain file, cut at telegram boundaries with the machinery of ``jobs=N``
(``files._scan_range``): no telegram is lost or read twice at a cut. The columns are the union
of the profile tables (see ``_schema``), the same in every partition; damaged stretches go to a
separate errors table (:func:`errors_of`). Needs the ``dask`` extra:
``pip install 'dsmrparse[dask]'``. See docs/scale.md.
"""

from __future__ import annotations

import glob
import posixpath
from operator import getitem
from typing import Any, NamedTuple
from urllib.parse import quote

try:
    import dask
    import dask.dataframe as dd
    import fsspec
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        f"dsmrparse.dask needs dask[dataframe] and distributed ({exc.name} is missing): "
        "pip install 'dsmrparse[dask]'"
    ) from None

from .. import _impl
from ..files import DEFAULT_CHUNK_SIZE, _plan_of, compression_of
from ._partition import (
    Options,
    Piece,
    error_schema,
    following,
    read_piece,
    skipped,
    to_pandas,
)
from ._schema import union_schema

__all__ = [
    "BLOCKSIZE",
    "Captures",
    "captures",
    "errors_of",
    "expand",
    "plan",
    "read_captures",
    "read_errors",
    "to_dataset",
    "Written",
]

BLOCKSIZE = 64 << 20  # bytes of a plain file per partition (see docs/scale.md for the choice)
MIN_BLOCKSIZE = 4096  # (ranges are still read in whole chunks of DEFAULT_CHUNK_SIZE)

# rows DataFrame name -> its errors DataFrame (the same partition tasks), for to_dataset
_ERRORS: dict[str, Any] = {}
_KEEP_ERRORS = 256


class Captures(NamedTuple):
    """The rows and the errors of an archive: two Dask DataFrames over the same partition
    tasks, so computing both together parses every partition once."""

    rows: Any
    errors: Any
    size: int = 0  # bytes of the files as stored (compressed ones compressed)


def expand(
    urlpath: str | list[str], recursive: bool = False, storage_options: dict[str, Any] | None = None
) -> tuple[Any, list[str]]:
    """(fsspec filesystem, sorted file paths) for a path, a glob (``**`` included) or a list
    of them; a directory gives the files under it with ``recursive`` (else it is an error, or
    skipped when a glob matched it). Dot files that a glob or folder brings in are skipped."""
    fs, _, paths = fsspec.core.get_fs_token_paths(
        urlpath, mode="rb", storage_options=storage_options or {}, expand=True
    )
    named = [urlpath] if isinstance(urlpath, str) else list(urlpath)
    globbed = any(glob.has_magic(u) for u in named)
    found: set[str] = set()
    for path in paths:
        if fs.isdir(path):
            if not recursive and not globbed:
                raise ValueError(f"{path} is a directory: name its files or ask for recursive")
            if recursive:
                found.update(p for p in fs.find(path) if not _hidden(p))
        elif not (globbed and _hidden(path)):
            found.add(path)
    if not found:
        raise FileNotFoundError(f"no capture files match {urlpath!r}")
    return fs, sorted(found)


def _hidden(path: str) -> bool:
    # dot files (.DS_Store, editors' temporary files) are not captures; named ones are read
    return posixpath.basename(path).startswith(".")


def plan(fs: Any, paths: list[str], blocksize: int = BLOCKSIZE) -> list[list[Piece]]:
    """The pieces of each file, in order: one for a compressed or small file, about
    ``size / blocksize`` byte ranges for a plain one."""
    if blocksize < MIN_BLOCKSIZE:
        raise ValueError(f"blocksize must be at least {MIN_BLOCKSIZE} bytes")
    local = "file" in _protocols(fs)
    out: list[list[Piece]] = []
    for path in paths:
        label = path if local else fs.unstrip_protocol(path)
        size = fs.size(path)
        if size is None or size <= blocksize:
            out.append([Piece(label, label)])
            continue
        with fs.open(path, "rb") as handle:
            head = handle.read(6)
        if compression_of(head) is not None:
            out.append([Piece(label, label)])
            continue
        cut = _plan_of(label, size, -(-size // blocksize), DEFAULT_CHUNK_SIZE)
        out.append([Piece(label, label, k, cut) for k in range(cut.ranges)])
    return out


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def captures(
    urlpath: str | list[str],
    *,
    profile: str | None = None,
    numbers: str = "decimal",
    strict: bool = False,
    recursive: bool = False,
    blocksize: int = BLOCKSIZE,
    storage_options: dict[str, Any] | None = None,
) -> Captures:
    """Rows and errors of every capture file that ``urlpath`` names (any fsspec path: local,
    ``s3://``, ``gs://``... where that filesystem's package is installed).

    ``profile`` names the family every telegram is parsed as (its columns only); None detects
    each telegram's family and gives the union of all families' columns. ``numbers`` is
    ``"decimal"`` (exact, ``decimal128(38, 9)``) or ``"float"``. Partitions follow the files and
    ``blocksize``, never the workers: the result is the same on any cluster.
    """
    union = union_schema(profile, numbers)
    fs, paths = expand(urlpath, recursive, storage_options)
    options = Options(profile, numbers, strict, _impl.name(), dict(storage_options or {}))
    rows_meta = to_pandas(union.arrow_schema().empty_table())
    errors_meta = to_pandas(error_schema().empty_table())
    read = dask.delayed(read_piece, pure=True)
    parts = []
    for pieces in plan(fs, paths, blocksize):
        skip: Any = frozenset()
        if len(pieces) > 1:
            # which ranges an earlier range's reader took: a frame scan of each range, in
            # parallel, before the parsing (see files._scan_range)
            follow = [dask.delayed(following, pure=True)(p, options) for p in pieces]
            skip = dask.delayed(skipped, pure=True)(follow)
        parts += [read(p, options, skip) for p in pieces]
    pick = dask.delayed(getitem, pure=True)
    rows = dd.from_delayed([pick(p, 0) for p in parts], meta=rows_meta, verify_meta=False)
    errors = dd.from_delayed([pick(p, 1) for p in parts], meta=errors_meta, verify_meta=False)
    _ERRORS[rows._name] = errors
    while len(_ERRORS) > _KEEP_ERRORS:  # (a long session makes many; keep the recent ones)
        del _ERRORS[next(iter(_ERRORS))]
    return Captures(rows, errors, sum(fs.size(p) or 0 for p in paths))


def read_captures(urlpath: str | list[str], **kwargs: Any) -> Any:
    """The rows of :func:`captures` (a Dask DataFrame); :func:`errors_of` gives its errors."""
    return captures(urlpath, **kwargs).rows


def read_errors(urlpath: str | list[str], **kwargs: Any) -> Any:
    """The errors of :func:`captures`: ``source_file``, ``offset`` (in the decompressed
    file), ``kind``, ``error``, ``length`` and the ``raw`` bytes of every damaged stretch."""
    return captures(urlpath, **kwargs).errors


def errors_of(rows: Any) -> Any | None:
    """The errors DataFrame that belongs to rows made by :func:`read_captures` (None for any
    other DataFrame, e.g. one filtered since)."""
    return _ERRORS.get(rows._name)


def _quote_columns(frame: Any, names: list[str]) -> Any:
    frame = frame.copy()
    for name in names:
        column = frame[name]
        if column.dtype.kind in "OUS" or "string" in str(column.dtype):
            # few values per partition (meters, months): quote those, not every row
            changed = {v: q for v in column.dropna().unique() if (q := _quote(v)) != v}
            if changed:
                frame[name] = column.replace(changed)
    return frame


def _quote(value: Any) -> str:
    return quote(str(value), safe="")


def errors_path_for(path: str) -> str:
    """Where the errors dataset goes beside ``p1.parquet``: ``p1.errors.parquet``."""
    root, ext = posixpath.splitext(path.rstrip("/"))
    return f"{root}.errors{ext}" if ext else f"{root}.errors"


class Written(NamedTuple):
    """What :func:`to_dataset` wrote: the two paths and the counts of the run."""

    path: str
    errors_path: str | None  # None when no errors dataset was written
    counts: dict[str, int]  # rows, crc:<status>, problems, record:<kind> (errors by kind)


def to_dataset(
    rows: Any,
    path: str,
    *,
    partition_on: list[str] | None = None,
    errors: Any | None = None,
    errors_path: str | None = None,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Written:
    """Write the rows as a Parquet dataset at ``path`` and, in the same computation (each
    partition parsed once), the errors as a second dataset at ``errors_path`` (default
    ``<path>.errors.parquet``). ``errors`` defaults to :func:`errors_of` ``(rows)``; pass
    ``errors=False`` to write the rows only. Other keywords go to ``DataFrame.to_parquet``."""
    if errors is None:
        errors = errors_of(rows)
    if partition_on:
        # a folder name cannot hold "/" (the file path that names a meter without an
        # identifier): values are written URI-encoded, which Arrow's hive reading decodes
        rows = rows.map_partitions(_quote_columns, list(partition_on), meta=rows._meta)
    tasks = [
        rows.to_parquet(
            path,
            partition_on=partition_on,
            write_index=False,
            compute=False,
            storage_options=storage_options,
            **kwargs,
        ),
        rows.shape[0],
    ]
    with_crc = "crc" in rows.columns and "problems" in rows.columns
    if with_crc:
        tasks += [rows["crc"].value_counts(split_out=1), rows["problems"].sum()]
    written: str | None = None
    if errors is not None and errors is not False:
        written = errors_path or errors_path_for(path)
        tasks += [
            errors.to_parquet(
                written, write_index=False, compute=False, storage_options=storage_options
            ),
            errors["kind"].value_counts(split_out=1),
        ]
    done = dask.compute(*tasks)
    counts = {"rows": int(done[1])}
    if with_crc:
        counts.update({f"crc:{k}": int(n) for k, n in done[2].items()})
        counts["problems"] = int(done[3])
    if written is not None:
        counts.update({f"record:{k}": int(n) for k, n in done[-1].items()})
    return Written(path, written, counts)
