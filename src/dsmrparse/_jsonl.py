"""JSON lines for ``dsmrparse parse`` from unparsed telegram frames (``map_records(raw=True)``).

The compiled twin's ``JsonLineWriter`` writes a telegram's line straight from its bytes, byte
for byte what the full parse and ``_jsonform.json_lines`` give; a frame it cannot be sure of is
parsed in full and written by the usual writer. The pure twin has no such writer: it keeps the
parse-then-write path (cli._render). ``DSMRPARSE_JSONL_FAST=0`` turns the fast path off (tests
compare the two).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import tempfile
from collections import Counter
from typing import Any, NamedTuple

from . import _impl

__all__ = ["Spooled", "enabled", "render_frames", "render_spooled", "writer_for"]

# per process (a worker keeps its own): the writers, each with the layouts it has learnt
_writers: dict[tuple[str, str | None, bool], Any] = {}


def enabled() -> bool:
    """Whether ``dsmrparse parse`` may hand JSON lines output frames instead of Telegrams."""
    return os.environ.get("DSMRPARSE_JSONL_FAST", "1") != "0" and hasattr(
        _impl.current, "JsonLineWriter"
    )


def writer_for(profile: str | None, strict: bool) -> Any:
    """This process's JsonLineWriter for frames parsed with ``profile`` and ``strict``."""
    key = (_impl.name(), profile, strict)
    found = _writers.get(key)
    if found is None:
        found = _writers[key] = _impl.current.JsonLineWriter(profile, strict)
    return found


_CRC = ("ok", "bad", "absent", "absent")


def render_frames(
    profile: str | None, strict: bool, name: str, records: list[Any]
) -> tuple[bytes, dict[str, Any]]:
    """cli._render for ``map_records(raw=True)`` records: the JSON lines as UTF-8 bytes and the
    summary's counts, the same as _render gives for the parsed records."""
    from ._jsonform import json_lines
    from .files import Damaged, Frame, read_frame

    writer = writer_for(profile, strict)
    writer.take()  # (anything a batch cut short by an error left behind)
    writer.counts()
    counts: Counter[str] = Counter()
    damaged: list[tuple[str | None, int, str, str, str]] = []
    end = 0
    i = 0
    while True:
        i = writer.write_records(records, i)  # the frames it can write, up to one it cannot
        if i >= len(records):
            break
        offset, item = records[i]
        i += 1
        if isinstance(item, Frame):
            data = item.data
            item = read_frame(item, profile, strict, name)
            if not isinstance(item, Damaged):
                writer.learn(data, item)
        end = max(end, offset + len(item.raw))
        if isinstance(item, Damaged):
            counts[f"record:{item.kind}"] += 1
            line = item.to_json()
            damaged.append((item.source, offset, item.kind, item.error, line))
            writer.put((line + "\n").encode("utf-8"))
            continue
        counts["telegrams"] += 1
        counts[f"crc:{item.crc}"] += 1
        for problem in item.problems:
            counts[f"problem:{problem.kind}"] += 1
        writer.put(json_lines([item]))
    for code, n in enumerate(writer.counts()):  # the telegrams the writer wrote
        if n:
            counts["telegrams"] += n
            counts[f"crc:{_CRC[code]}"] += n
            if code & 1:  # (bad, or absent where the profile wants one: a "crc" problem)
                counts["problem:crc"] += n
    if records:  # (records come in stream order: the last one ends last)
        offset, item = records[-1]
        end = max(end, offset + len(item.data if isinstance(item, Frame) else item.raw))
    return writer.take(), {"counts": counts, "damaged": damaged, "end": end}


_NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK}


class Spooled(NamedTuple):
    """A worker's JSON lines left in a file for the parent to copy out: shipping them back by
    pickle cost more than writing them (they are about 5x the telegrams' bytes)."""

    path: str
    size: int


def render_spooled(
    folder: str, profile: str | None, strict: bool, name: str, records: list[Any]
) -> tuple[Spooled, dict[str, Any]]:
    """render_frames in a worker process, its output written to a new file in ``folder``."""
    out, info = render_frames(profile, strict, name, records)
    fd, path = tempfile.mkstemp(dir=folder, suffix=".jsonl")
    with os.fdopen(fd, "wb") as spool:
        spool.write(out)
    return Spooled(path, len(out)), info


def copy_spooled(spooled: Spooled, sink: Any) -> None:
    """Append a spooled file to ``sink`` (a binary file) and remove it; in the kernel where it
    can (sendfile), else through a buffer."""
    try:
        with open(spooled.path, "rb") as src:
            try:
                fd = sink.fileno()
            except (AttributeError, OSError, io.UnsupportedOperation):
                fd = None
            if fd is None:
                shutil.copyfileobj(src, sink, 1 << 20)
                return
            sink.flush()
            sent = 0
            while sent < spooled.size:
                try:
                    n = os.sendfile(fd, src.fileno(), sent, spooled.size - sent)
                except OSError as exc:
                    if exc.errno not in _NO_SENDFILE:
                        raise
                    # a sink sendfile does not serve (/dev/full says EINVAL): write it plainly,
                    # so that its own error (no space, ...) is the one reported
                    src.seek(sent)
                    shutil.copyfileobj(src, sink, 1 << 20)
                    return
                if n == 0:
                    raise OSError(f"{spooled.path}: ended after {sent} of {spooled.size} bytes")
                sent += n
    finally:
        with contextlib.suppress(OSError):
            os.unlink(spooled.path)
