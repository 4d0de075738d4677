"""Captured telegram files: plain, gzip, xz or bzip2 (told apart by content), a path, an open binary
file or stdin, read in constant memory through the FrameScanner.

Nothing is dropped silently: every stretch of the stream that is not a whole telegram comes out as
a :class:`Damaged` record with its byte offset in the (decompressed) stream and its raw bytes.

>>> for item in iter_telegrams("p1-2024.txt.gz"):
...     if isinstance(item, Damaged):
...         print("lost", item.kind, "at byte", item.offset, item.error)
...     else:
...         print(item.timestamp, item["power_imported"])
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import re
import signal
import stat
import sys
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from functools import partial
from typing import IO, Any, NamedTuple, Optional, TypeVar, Union

from . import _impl
from ._types import Frame
from .errors import DsmrError, SourceError
from .interpret import build
from .profiles import Profile
from .telegram import Telegram, dumps

__all__ = [
    "Damaged",
    "Item",
    "Source",
    "iter_telegrams",
    "iter_records",
    "map_records",
    "open_stream",
    "compression_of",
    "read_frame",
    "DEFAULT_CHUNK_SIZE",
]

DEFAULT_CHUNK_SIZE = 1 << 20  # bytes read per step: big enough to amortise, small enough to stream
SEGMENT_SIZE = 4 << 20  # bytes of stream one worker process takes at a time (jobs > 1)
MAX_JUNK_RECORD = 1 << 20  # adjacent junk is merged into one record up to this size
# Telegrams parsed per batch: a chunk holds ~1,250 of them, and keeping that many young objects
# alive at once made the cycle collector cost more than the parsing.
PARSE_BATCH = 64

Source = Union[str, "os.PathLike[str]", IO[bytes], bytes]
T = TypeVar("T")


class Damaged(NamedTuple):
    """A stretch of the stream that did not give a usable telegram.

    ``kind`` is one of:

    - ``fragment``: the capture begins or ends inside a telegram (normal when a recording was
      started or stopped mid-stream); the piece is reported, not counted as an error;
    - ``damaged``: a telegram cut off by the next header, or longer than the scanner's limit;
    - ``junk``: bytes outside any telegram (noise, log lines), white space and padding excepted;
    - ``encrypted``: a DLMS ``0xDB`` frame, which needs a key (see ``dsmrparse.decrypt``);
    - ``invalid``: a whole telegram refused in strict mode (bad CRC or another problem);
    - ``cut``: a compressed capture is truncated or corrupt here (``raw`` is empty, ``offset`` is
      where the readable data ends); everything before it was read.
    """

    kind: str
    offset: int  # of the first byte, in the decompressed stream
    raw: bytes
    error: str
    source: str | None = None  # the file it came from, when known

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``raw`` as latin-1 text, which maps each byte to one character.

        The file name is left out, like it is from a telegram's line: the same capture gives the
        same lines whether it was read plain, compressed or from stdin.
        """
        return {
            "format": "dsmrparse/1",
            "record": self.kind,
            "offset": self.offset,
            "length": len(self.raw),
            "error": self.error,
            "raw": self.raw.decode("latin-1"),
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())


Item = Union[Telegram, Damaged]
Keys = Optional[tuple[Union[bytes, str], Union[bytes, str, None]]]  # (key, auth_key)
Record = tuple[int, Item]  # (stream offset, telegram or damaged record)

# --------------------------------------------------------------------------------------------
# opening: path, file object or "-", compression told by the first bytes

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def compression_of(head: bytes) -> str | None:
    """``gzip``, ``xz``, ``bzip2``, ``zstd`` or None (plain) from the first bytes of a stream."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            if name == "bzip2" and not (len(head) > 3 and head[3:4].isdigit()):
                continue  # a plain file may well begin with "BZh"; bzip2 writes a level digit
            return name
    return None


class Replay(io.RawIOBase):
    """A readable stream that first gives back bytes already read for sniffing."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest
        self.name = getattr(rest, "name", "<stream>")  # ("<stdin>" in messages)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


def _name_of(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return "<stdin>" if os.fspath(source) == "-" else os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


@contextmanager
def open_stream(source: Source) -> Iterator[IO[bytes]]:
    """The decompressed bytes of a path, ``"-"`` (stdin) or an open binary file.

    Raises :class:`SourceError` when the file cannot be opened or its compression is unknown.
    """
    owned: IO[bytes] | None = None
    if isinstance(source, (str, os.PathLike)) and os.fspath(source) == "-":
        raw: IO[bytes] = sys.stdin.buffer
    elif isinstance(source, (str, os.PathLike)):
        try:
            raw = owned = open(source, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise SourceError(f"cannot open {os.fspath(source)}: {exc.strerror or exc}") from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raw = io.BytesIO(bytes(source))
    else:
        raw = source
    try:
        head = raw.read(6)
        if not isinstance(head, bytes):
            raise SourceError(f"{_name_of(source)} is not opened in binary mode")
        kind = compression_of(head)
        replay = io.BufferedReader(Replay(head, raw))
        if kind is None:
            yield replay
        elif kind in _DECOMPRESSORS:
            # our own reader, not GzipFile & co: those throw away what they decompressed in the
            # read() call that met the damage (see _Decompressing)
            yield io.BufferedReader(_Decompressing(replay, kind), 1 << 16)
        else:
            raise SourceError(f"{_name_of(source)} is {kind}-compressed; decompress it first")
    finally:
        if owned is not None:
            owned.close()


_DECOMPRESSORS: dict[str, Callable[[], Any]] = {
    "gzip": lambda: zlib.decompressobj(wbits=31),
    "xz": lzma.LZMADecompressor,
    "bzip2": bz2.BZ2Decompressor,
}
_DECOMPRESS_ERRORS = (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)


class _Decompressing(io.RawIOBase):
    """The decompressed bytes of a gzip, xz or bzip2 stream (members or streams one after the
    other, as their tools write them), that ends cleanly at damage.

    A truncated or corrupt stream gives every byte decompressed before the damage, then end of
    file; ``damage`` then says what went wrong, and where in the decompressed stream."""

    def __init__(self, raw: IO[bytes], kind: str) -> None:
        self._raw = raw
        self._kind = kind
        self._new = _DECOMPRESSORS[kind]
        self._decomp = self._new()
        self._pending = b""  # compressed bytes not yet given to the decompressor
        self._out = b""  # decompressed bytes, handed out from ``_at`` on
        self._at = 0
        self._done = False
        self.produced = 0  # decompressed bytes handed out
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at >= len(self._out) and not self._done:
            self._out, self._at = b"", 0
            self._step(len(buffer))
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = memoryview(self._out)[self._at : self._at + n]  # (no copy of the rest)
        self._at += n
        self.produced += n
        return n

    def _step(self, size: int) -> None:
        limit = max(size, 1 << 20)  # bounded output per step: a zip bomb cannot fill memory
        decomp = self._decomp
        held = self._kind != "gzip" and not decomp.eof and not decomp.needs_input
        if not self._pending and not held:
            self._pending = self._raw.read(1 << 18)
            if not self._pending:
                if not decomp.eof:
                    self.damage = "the compressed data ends early (a truncated file)"
                self._done = True
                return
        if decomp.eof:  # the next member or stream, or what trails the last one
            data = self._pending
            while len(data) < 6:  # enough to tell the next member's magic bytes
                more = self._raw.read(1 << 18)
                if not more:
                    break
                data += more
            self._pending = b""
            if not data.strip(b"\0"):  # zero padding, as gzip itself allows
                return
            if compression_of(data[:6]) != self._kind:
                self.damage = "something else follows the compressed data"
                self._done = True
                return
            self._pending = data
            self._decomp = decomp = self._new()
        try:
            out = decomp.decompress(self._pending, limit)
        except _DECOMPRESS_ERRORS as exc:
            self.damage = f"corrupt {self._kind} data ({exc})"
            self._done = True
            return
        if self._kind == "gzip":
            self._pending = decomp.unconsumed_tail or decomp.unused_data
        else:
            self._pending = decomp.unused_data if decomp.eof else b""
        self._out = out

    def close(self) -> None:
        self._raw.close()
        super().close()


def decompressing_stdin() -> tuple[IO[bytes] | None, bytes]:
    """For live reading of stdin: (a decompressing reader, b"") when stdin holds gzip, xz or
    bzip2 data, else (None, its first bytes, to be given back before reading on)."""
    fd = sys.stdin.fileno()
    head = b""
    while len(head) < 6:
        data = os.read(fd, 6 - len(head))
        if not data:
            break
        head += data
    kind = compression_of(head)
    if kind not in _DECOMPRESSORS:
        return None, head
    replay = io.BufferedReader(Replay(head, io.FileIO(fd, "rb", closefd=False)))
    return io.BufferedReader(_Decompressing(replay, kind), 1 << 16), b""


def _chunks(stream: IO[bytes], name: str, chunk_size: int, cut: list[Damaged]) -> Iterator[bytes]:
    """Full chunks of ``chunk_size`` (so a compressed file is cut where the plain one would be).
    Where the decompressed stream ends at damage, a ``cut`` record goes into ``cut``."""
    read = stream.read
    total = 0
    while True:
        try:
            data = read(chunk_size)
        except OSError as exc:
            raise SourceError(f"{name}: cannot read on: {exc.strerror or exc}") from None
        if not data:
            break
        total += len(data)
        yield data
    damage = getattr(getattr(stream, "raw", None), "damage", None)
    if damage is not None:
        why = f"{damage}: stream cut at byte {total}; everything before it was read"
        cut.append(Damaged("cut", total, b"", why, name))


# --------------------------------------------------------------------------------------------
# frames to records


_TELEGRAM_TAIL = re.compile(rb"\n![0-9A-Fa-f]{0,4}\s*$")


class _Recorder:
    """Turns scanner frames into records: parses telegrams, classifies the rest, merges junk."""

    def __init__(
        self,
        profile: str | Profile | None,
        strict: bool,
        name: str | None,
        raw: bool = False,
        keys: Keys = None,
    ) -> None:
        self.profile = profile
        self.keys = keys  # (key, auth_key) for encrypted frames
        self.strict = strict
        self.name = name
        self.raw = raw  # hand whole telegrams out as their Frame, unparsed
        self._junk: Damaged | None = None

    def frames(self, frames: Iterable[Frame], first: bool, last: bool) -> list[Record]:
        """Records for frames; ``first``/``last`` say the frames touch the stream's start/end."""
        out: list[Record] = []
        for frame in frames:
            if frame.kind == "junk":
                self._add_junk(frame, out, at_start=first and frame.offset == 0)
                continue
            self._flush_junk(out)
            if self.raw and frame.kind == "telegram":
                out.append((frame.offset, frame))  # type: ignore[arg-type]  # raw mode
            else:
                out.append((frame.offset, self._record(frame)))
        if last:
            self._flush_junk(out, at_end=True)
            rec = out[-1][1] if out else None
            if isinstance(rec, Damaged) and rec.kind == "damaged":
                off = out[-1][0]
                if rec.error.startswith("stream ended"):
                    out[-1] = (off, rec._replace(kind="fragment", error=_FRAGMENT_END))
        return out

    def _record(self, frame: Frame) -> Item:
        if frame.kind == "telegram":
            try:
                telegram = build(frame.data, self.profile, False, None)
            except DsmrError as exc:
                return Damaged("damaged", frame.offset, frame.data, str(exc), self.name)
            return self._checked(telegram, frame)
        if frame.kind == "encrypted":
            if self.keys is None:
                why = "encrypted DLMS frame: needs a key (key=..., dsmrparse parse --key)"
                return Damaged("encrypted", frame.offset, frame.data, why, self.name)
            try:
                telegram = build(frame.data, self.profile, False, None, *self.keys)
            except DsmrError as exc:
                return Damaged("encrypted", frame.offset, frame.data, str(exc), self.name)
            return self._checked(telegram, frame)
        return Damaged("damaged", frame.offset, frame.data, frame.error or "damaged", self.name)

    def _checked(self, telegram: Telegram, frame: Frame) -> Item:
        if self.strict and (telegram.crc == "bad" or telegram.problems):
            p = telegram.problems[0] if telegram.problems else None
            why = p.message if p is not None else "bad CRC"
            return Damaged("invalid", frame.offset, frame.data, why, self.name)
        return telegram

    def _add_junk(self, frame: Frame, out: list[Record], at_start: bool) -> None:
        held = self._junk
        if (
            held is not None
            and held.offset + len(held.raw) == frame.offset
            and len(held.raw) < MAX_JUNK_RECORD
        ):
            self._junk = held._replace(raw=held.raw + frame.data)
            return
        self._flush_junk(out)
        kind = "fragment" if at_start else "junk"
        self._junk = Damaged(kind, frame.offset, frame.data, "", self.name)

    def _flush_junk(self, out: list[Record], at_end: bool = False) -> None:
        held = self._junk
        if held is None:
            return
        self._junk = None
        if held.kind == "fragment" and _TELEGRAM_TAIL.search(held.raw[-64:]):
            held = held._replace(error=_FRAGMENT_START)
        else:
            held = held._replace(kind="junk", error=f"{len(held.raw)} bytes outside any telegram")
        out.append((held.offset, held))


def read_frame(
    frame: Frame,
    profile: str | Profile | None = None,
    strict: bool = False,
    name: str | None = None,
    keys: Keys = None,
) -> Item:
    """What :func:`iter_telegrams` makes of a scanner frame: a Telegram or a Damaged record
    (for the frames that ``map_records(..., raw=True)`` hands out unparsed)."""
    return _Recorder(profile, strict, name, False, keys)._record(frame)


_FRAGMENT_START = "the capture begins inside a telegram: its tail is all there is"
_FRAGMENT_END = "the capture ends inside a telegram: its head is all there is"


def _scan(
    chunks: Iterable[bytes],
    recorder: _Recorder,
    base: int = 0,
    lookahead: bytes | None = None,
    stop: int | None = None,
) -> Iterator[list[Record]]:
    """Scan chunks into lists of records. With ``stop`` (a segment of a bigger stream) the frames
    at or past ``stop`` belong to the next segment and ``lookahead`` (its first bytes) lets a
    telegram cut off by that segment's header be reported exactly as a whole-stream scan would."""
    scanner = _impl.current.FrameScanner()
    first = base == 0
    # parsed telegrams go out in small batches (see PARSE_BATCH); unparsed frames in one
    step = 1 << 30 if recorder.raw else PARSE_BATCH
    for chunk in chunks:
        frames = _rebase(scanner.feed(chunk), base)
        for i in range(0, len(frames), step):
            yield recorder.frames(frames[i : i + step], first, False)
    if stop is None:
        tail = _rebase(scanner.flush(), base)
        batches = [tail[i : i + step] for i in range(0, len(tail), step)] or [[]]
        for batch in batches[:-1]:
            yield recorder.frames(batch, first, False)
        yield recorder.frames(batches[-1], first, True)
        return
    tail = _rebase(scanner.feed(lookahead or b""), base)
    yield recorder.frames([f for f in tail if f.offset < stop], first, False)
    held: list[Record] = []
    recorder._flush_junk(held)
    yield held


_CUT_OFF = "telegram cut off: a new header began at byte "


def _rebase(frames: list[Frame], base: int) -> list[Frame]:
    """Frames of a scanner that began at stream offset ``base``, with stream offsets."""
    return [_rebased(f, base) for f in frames] if base else frames


def _rebased(frame: Frame, base: int) -> Frame:
    kind, offset, data, error = frame
    offset += base
    if error and error.startswith(_CUT_OFF):
        # the scanner names the byte where the next header began: in its own offsets
        error = f"{_CUT_OFF}{offset + len(data)}"
    return Frame(kind, offset, data, error)  # (not _replace: twice as fast, for every frame)


# --------------------------------------------------------------------------------------------
# public iteration


def iter_telegrams(
    source: Source,
    *,
    profile: str | Profile | None = None,
    strict: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    jobs: int = 1,
    key: bytes | str | None = None,
    auth_key: bytes | str | None = None,
) -> Iterator[Item]:
    """Every telegram of a capture as a :class:`Telegram`, everything else as :class:`Damaged`.

    ``source`` is a path, ``"-"`` for stdin, or a file opened in binary mode; gzip, xz and bzip2
    are recognised by their first bytes; ``bytes`` are read as a capture held in memory.
    LF-only captures are CRC-checked as CRLF
    (``Telegram.crc_repaired`` says so). Lenient by default: a telegram with a bad CRC is still a
    Telegram (``crc == "bad"``, its problems listed); ``strict=True`` turns any telegram with a
    problem into a ``Damaged`` record of kind ``invalid`` instead. ``jobs`` is accepted and
    ignored here: a Telegram costs more to send between processes than to parse (about 7 µs
    compiled), so telegram objects are always made in this process. Other processes pay where
    only text or columns come back: :func:`dsmrparse.columnar.iter_columns` and
    ``dsmrparse parse --jobs``.
    ``key`` (and ``auth_key`` where the meter uses one) open encrypted DLMS frames (``0xDB``,
    see :func:`dsmrparse.decrypt`); without them such a frame is a ``Damaged`` record of kind
    ``encrypted``. A compressed stream that is cut short or corrupt gives everything decompressed
    before the damage, then a ``Damaged`` record of kind ``cut`` at that offset.
    """
    for _, item in iter_records(
        source,
        profile=profile,
        strict=strict,
        chunk_size=chunk_size,
        jobs=jobs,
        key=key,
        auth_key=auth_key,
    ):
        yield item


def iter_records(
    source: Source,
    *,
    profile: str | Profile | None = None,
    strict: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    jobs: int = 1,
    key: bytes | str | None = None,
    auth_key: bytes | str | None = None,
) -> Iterator[Record]:
    """Like :func:`iter_telegrams`, with each item's byte offset: ``(offset, item)``.

    ``jobs`` is ignored, as for :func:`iter_telegrams`."""
    for batch in map_records(
        source,
        _identity,
        profile=profile,
        strict=strict,
        chunk_size=chunk_size,
        jobs=1,
        key=key,
        auth_key=auth_key,
    ):
        yield from batch


def _identity(records: list[Record]) -> list[Record]:
    return records


def map_records(
    source: Source,
    render: Callable[[list[Record]], T],
    *,
    profile: str | Profile | None = None,
    strict: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    jobs: int = 1,
    raw: bool = False,
    key: bytes | str | None = None,
    auth_key: bytes | str | None = None,
) -> Iterator[T]:
    """``render`` applied to successive batches of records, in stream order.

    With ``jobs > 1`` the stream is cut at telegram boundaries and each piece is parsed *and
    rendered* in a worker process, so only ``render``'s result (lines of JSON, columns) travels
    back; ``render`` must then be a module-level function. With ``raw=True`` whole telegrams
    come to ``render`` as their unparsed :class:`Frame` (for ``Columns.add_fast``, which reads
    them without making Telegram objects; :func:`read_frame` parses one as it would have been).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif not isinstance(source, (str, os.PathLike)) and not hasattr(source, "read"):
        raise TypeError(
            f"a capture is a path, '-', bytes or a binary file, not {type(source).__name__}"
        )
    keys: Keys = None if key is None else (key, auth_key)
    name = _name_of(source)
    if jobs > 1:
        plan = _plan_ranges(source, jobs, chunk_size)
        if plan is not None:  # a plain file: each worker reads its own byte ranges
            yield from _parallel_ranges(plan, render, profile, strict, name, jobs, raw, keys)
            return
    cut: list[Damaged] = []
    with open_stream(source) as stream:
        chunks = _chunks(stream, name, chunk_size, cut)
        if jobs <= 1:
            recorder = _Recorder(profile, strict, name, raw, keys)
            for records in _scan(chunks, recorder):
                if records:
                    yield render(records)
        else:
            yield from _parallel(chunks, render, profile, strict, name, jobs, raw, keys)
    if cut:  # the damage of a compressed stream, after all that came before it
        yield render([(cut[0].offset, cut[0])])


# --------------------------------------------------------------------------------------------
# several processes: cut at telegram boundaries, keep the order

_BOUNDARY = re.compile(rb"\n/[A-Za-z]{3}")


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the work and reports once, so a
    # worker does not print its own traceback
    with suppress(ValueError):  # (not in a thread pool that stands in for processes)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_quiet_worker)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # the pieces not begun are dropped
        raise
    pool.shutdown(wait=True)


def _segments(chunks: Iterable[bytes], size: int) -> Iterator[tuple[int, bytes, bytes]]:
    """(offset, bytes, lookahead) pieces of the stream, each cut just before a line that starts a
    telegram header, so that no telegram spans two pieces."""
    buf = bytearray()
    base = 0
    for chunk in chunks:
        buf += chunk
        while len(buf) >= size:
            # the last header start in the piece; a piece without one grows until it has one
            cut = -1
            for m in _BOUNDARY.finditer(buf, size // 2):
                cut = m.start() + 1
                break
            if cut < 0 or cut + 4 > len(buf):
                if len(buf) < 16 * size:
                    break
                cut = len(buf)  # no header for a long way: cut anywhere (junk either side)
            piece = bytes(buf[:cut])
            yield base, piece, bytes(buf[cut : cut + 4])
            del buf[:cut]
            base += cut
    yield base, bytes(buf), b""


def _worker(
    args: tuple[
        int,
        bytes,
        bytes,
        bool,
        str | Profile | None,
        bool,
        str,
        str,
        Callable[..., Any],
        bool,
        Keys,
    ],
) -> Any:
    base, piece, lookahead, last, profile, strict, name, twin, render, raw, keys = args
    if _impl.name() != twin:
        _impl.use(twin)
    # Telegrams do pickle, but unpickling one costs ~6x parsing it again (Decimals and datetimes
    # one by one): for plain records the worker only frames, the parent parses
    identity = render is _identity
    recorder = _Recorder(profile, strict, name, raw or identity, keys)
    stop = None if last else base + len(piece)
    records: list[Record] = []
    for batch in _scan([piece], recorder, base, lookahead, stop):
        records.extend(batch)
    return _pack(records, render)


def _pack(records: list[Record], render: Callable[[list[Record]], Any]) -> tuple[str, Any]:
    """A worker's answer: ``render``'s result, or for plain records the frames (see _collect)."""
    if render is _identity:
        return ("frames", [(off, it.data if isinstance(it, Frame) else it) for off, it in records])
    return ("done", render(records))


def _parallel(
    chunks: Iterable[bytes],
    render: Callable[[list[Record]], T],
    profile: str | Profile | None,
    strict: bool,
    name: str,
    jobs: int,
    raw: bool = False,
    keys: Keys = None,
) -> Iterator[T]:
    twin = _impl.name()
    pending: deque[Future[Any]] = deque()
    segments = _segments(chunks, SEGMENT_SIZE)
    current = next(segments)
    with _pool(jobs) as pool:
        done = False
        while not done:
            # keep a bounded number of pieces in flight: memory stays constant
            while len(pending) < 2 * jobs and not done:
                following = next(segments, None)
                base, piece, lookahead = current
                last = following is None
                args = (
                    base,
                    piece,
                    lookahead,
                    last,
                    profile,
                    strict,
                    name,
                    twin,
                    render,
                    raw,
                    keys,
                )
                pending.append(pool.submit(_worker, args))
                if following is None:
                    done = True
                else:
                    current = following
            yield from _collect(pending.popleft().result(), render, profile, strict, name, keys)
        while pending:
            yield from _collect(pending.popleft().result(), render, profile, strict, name, keys)


def _collect(
    result: tuple[str, Any],
    render: Callable[[list[Record]], T],
    profile: str | Profile | None,
    strict: bool,
    name: str,
    keys: Keys = None,
) -> Iterator[T]:
    status, value = result
    if status == "done":
        yield value
        return
    recorder = _Recorder(profile, strict, name, False, keys)
    records: list[Record] = []
    for off, item in value:
        if isinstance(item, bytes):
            records.append((off, recorder._record(Frame("telegram", off, item, None))))
        else:
            records.append((off, item))
    yield render(records)


# --------------------------------------------------------------------------------------------
# several processes on a plain file: each worker reads its own byte ranges
#
# The file is cut into equal ranges. The frames of range k are those a whole-file scan would
# give from S[k] up to S[k+1], where S[k] is the first frame start at or after the range's first
# byte (found by a FrameScanner started there; S[0] = 0). A worker scans from S[k] with a fresh
# scanner: that gives the whole-file frames only if the whole-file scan starts a frame at S[k],
# which the worker of the range before checks (it scans on until it meets a frame at S[k+1]).
# Where it does not (S[k+1] fell inside a frame, say a "/" and letters in the middle of a line),
# that worker scans on to the next S that it does meet and the parent skips the ranges between.

RANGES_PER_JOB = 4  # ranges per process: pieces small enough that the processes finish together
RANGE_SIZE = 4 << 20  # bytes at most per range: memory stays flat on a big file
_FIND_STEP = 16 * 1024  # bytes read at a time while looking for a range's first frame
_LEAD = 16 * 1024  # ranges of whole chunks begin this far before a chunk ends (see _plan_ranges)


class _Plan(NamedTuple):
    """A plain file of ``size`` bytes cut into ``ranges`` ranges of ``step`` bytes, each but the
    first beginning ``lead`` bytes early; read ``chunk_size`` bytes at a time as a whole-file
    read would."""

    path: str
    size: int
    step: int
    lead: int
    ranges: int
    chunk_size: int

    def begin(self, read_at: Reader, index: int) -> int:
        """S[index]: where the frames of range ``index`` begin (``size`` past the last range)."""
        if index == 0:
            return 0
        if index >= self.ranges:
            return self.size
        return _first_start(read_at, index * self.step - self.lead, self.size)


class _RangeTask(NamedTuple):
    plan: _Plan
    position: int  # which range
    profile: str | Profile | None
    strict: bool
    name: str
    twin: str
    render: Callable[[list[Record]], Any]
    raw: bool
    keys: Keys


# (length, offset) -> the bytes there, like os.pread without the descriptor: a local file or any
# seekable file object (fsspec's, for dsmrparse.dask) can be cut into ranges
# (an int is a file descriptor: os.pread on it)
ReadAt = Callable[[int, int], bytes]
Reader = Union[int, ReadAt]


def _read_at(reader: Reader) -> ReadAt:
    return partial(os.pread, reader) if isinstance(reader, int) else reader


def _plan_ranges(source: Source, jobs: int, chunk_size: int) -> _Plan | None:
    """Ranges for an uncompressed regular file; None for anything else (stdin, a pipe, an open
    file, compressed data), which is read as one stream."""
    if not isinstance(source, (str, os.PathLike)) or os.fspath(source) == "-":
        return None
    path = os.fspath(source)
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or compression_of(handle.read(6)) is not None:
                return None
    except OSError:
        return None  # the stream path says what is wrong
    size = info.st_size  # what is appended while we read waits for the next run
    return _plan_of(str(path), size, max(jobs * RANGES_PER_JOB, -(-size // RANGE_SIZE)), chunk_size)


def _plan_of(path: str, size: int, count: int, chunk_size: int) -> _Plan:
    """About ``count`` ranges of a plain file of ``size`` bytes."""
    step = max(1, -(-size // count))
    lead = 0
    if step >= chunk_size:
        # Whole chunks, ending a little before a chunk does: the telegram that runs over a
        # range's end then ends in the chunk its worker has read already, which it would
        # otherwise read and scan a whole further chunk for.
        step = round(step / chunk_size) * chunk_size
        lead = min(_LEAD, chunk_size // 2)
    count = max(1, -(-(size + lead) // step))
    return _Plan(path, size, step, lead, count, chunk_size)


def _first_start(reader: Reader, pos: int, size: int) -> int:
    """The offset of the first frame that a FrameScanner started at ``pos`` finds (junk before
    it skipped), or ``size`` when there is none."""
    read_at = _read_at(reader)
    scanner = _impl.current.FrameScanner()
    at = pos
    while at < size:
        data = read_at(min(_FIND_STEP, size - at), at)
        if not data:
            break
        at += len(data)
        found = _first_frame(scanner.feed(data))
        if found is not None:
            return pos + found
    found = _first_frame(scanner.flush())
    return size if found is None else pos + found


def _first_frame(frames: list[Frame]) -> int | None:
    return next((f.offset for f in frames if f.kind != "junk"), None)


def _range_frames(reader: Reader, begin: int, plan: _Plan) -> Iterator[tuple[list[Frame], bool]]:
    """(frames, at the end of the file) of a scanner fed from ``begin`` to the end of the file,
    with offsets from ``begin``.

    The pieces end where a whole-file read ends its chunks, so that the scanner's few results
    that depend on the chunks (the length of an over-long telegram, where junk is cut up) are
    the same once it is in step with the whole-file scan."""
    read_at = _read_at(reader)
    scanner = _impl.current.FrameScanner()
    at = begin
    while at < plan.size:
        stop = min((at // plan.chunk_size + 1) * plan.chunk_size, plan.size)
        data = read_at(stop - at, at)
        if not data:
            break
        yield scanner.feed(data), False
        at += len(data)
    yield scanner.flush(), True


def _scan_range(
    read_at: Reader, index: int, plan: _Plan, recorder: _Recorder
) -> tuple[list[Record], int]:
    """The records of range ``index`` and the index of the range that follows them."""
    begin = plan.begin(read_at, index)
    following = index + 1
    target = plan.begin(read_at, following)
    records: list[Record] = []
    if target == begin:  # no frame starts in this range
        return records, following
    first = index == 0
    # frames are rebased only once kept: the scan runs on up to a chunk past the range
    for frames, final in _range_frames(read_at, begin, plan):
        while frames and frames[-1].offset >= target - begin:
            cut = next(i for i, f in enumerate(frames) if f.offset >= target - begin)
            if frames[cut].offset == target - begin and frames[cut].kind != "junk":
                # in step: the whole-file scan starts a frame here too, the next range's worker
                # took it from there
                records += recorder.frames(_rebase(frames[:cut], begin), first, False)
                recorder._flush_junk(records)
                return records, following
            following += 1  # S[following] lay inside a frame: read on to the next range's
            target = plan.begin(read_at, following)
        records += recorder.frames(_rebase(frames, begin), first, final)
    return records, plan.ranges


def _range_worker(task: _RangeTask) -> tuple[int, tuple[str, Any] | None]:
    """(the index of the range that follows, the packed records or None) for one range."""
    if _impl.name() != task.twin:
        _impl.use(task.twin)
    # plain records travel as frames, the parent parses them (see _worker)
    raw = task.raw or task.render is _identity
    recorder = _Recorder(task.profile, task.strict, task.name, raw, task.keys)
    with open(task.plan.path, "rb") as handle:
        records, following = _scan_range(handle.fileno(), task.position, task.plan, recorder)
    return following, (_pack(records, task.render) if records else None)


def _parallel_ranges(
    plan: _Plan,
    render: Callable[[list[Record]], T],
    profile: str | Profile | None,
    strict: bool,
    name: str,
    jobs: int,
    raw: bool,
    keys: Keys = None,
) -> Iterator[T]:
    twin = _impl.name()
    pending: deque[tuple[int, Future[Any]]] = deque()
    submitted = wanted = 0  # wanted: the range whose records come next
    with _pool(jobs) as pool:
        while wanted < plan.ranges:
            # a bounded number of ranges in flight: memory stays constant
            while submitted < plan.ranges and len(pending) < 2 * jobs:
                task = _RangeTask(plan, submitted, profile, strict, name, twin, render, raw, keys)
                pending.append((submitted, pool.submit(_range_worker, task)))
                submitted += 1
            index, future = pending.popleft()
            following, result = future.result()
            if index < wanted:
                continue  # its records were read by the worker of a range before
            wanted = following
            submitted = max(submitted, wanted)
            if result is not None:
                yield from _collect(result, render, profile, strict, name, keys)
