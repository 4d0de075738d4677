"""Live telegrams: a P1 serial port, raw TCP bridges, HTTP bridges, files and pipes.

>>> import dsmrparse
>>> with dsmrparse.open("/dev/ttyUSB0") as meter:        # or socket://, rfc2217://, http://, a file
...     for t in meter:                                   # `async for t in meter:` works too
...         print(t.timestamp, t["power_imported"])

The same source object serves ``for`` and ``async for``. It yields :class:`~dsmrparse.Telegram`
objects; a JSON-only bridge yields :class:`BridgeReading` objects (``raw`` is None). What it
skipped is logged (logger ``dsmrparse.sources``), counted in ``source.stats``, passed to the
``on_error`` callback, and with ``yield_errors=True`` yielded inline as :class:`Skipped` records.
See docs/sources.md for every option.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from ._bridge_fields import BridgeReading
from ._http_bridges import HttpPoller
from ._links import (
    AsyncLink,
    AsyncSocketLink,
    EndOfStream,
    FileLink,
    LinkLost,
    PySerialLink,
    SerialSetting,
    SettingRejected,
    SevenBit,
    SyncLink,
    ThreadedLink,
    serial_settings,
)
from ._source_common import Backoff, Item, Options, Pipeline, Skipped, Stats, make_options
from ._ws_bridge import WsBridge
from .errors import SourceError
from .telegram import Telegram

__all__ = ["open", "open_async", "Source", "Skipped", "Stats", "BridgeReading", "Options"]

_TICK = 0.5  # the longest a read blocks, so that close() and the watchdog are seen soon


def open(source: str | os.PathLike[str], **options: Any) -> Source:  # noqa: A001
    """A live source of telegrams; use it with ``for`` or ``async for`` (and ``with``).

    ``source`` is a device path (``/dev/ttyUSB0``, ``COM3``), ``socket://host:port``,
    ``rfc2217://host:port``, an ``http://`` URL of a bridge (a bare ``http://host`` is probed),
    ``ws://host`` for a DSMR-logger with the websocket firmware (port 81), a file path or ``-``
    for standard input. Options: see :class:`Options` and docs/sources.md.
    """
    opts = make_options(options)
    spec = os.fspath(source)
    kind = _kind_of(spec)
    return Source(spec, kind, opts)


open_async = open  # the same object serves ``async for``; the name is there for readability


def _kind_of(spec: str) -> str:
    lower = spec.lower()
    if lower.startswith(("http://", "https://")):
        return "http"
    if lower.startswith(("ws://", "wss://")):
        return "ws"
    if lower.startswith("socket://"):
        return "socket"
    if lower.startswith("rfc2217://"):
        return "rfc2217"
    if "://" in lower:
        return "serial"  # another pyserial URL handler (loop://, spy://, alt://)
    if spec == "-":
        return "file"
    if re.fullmatch(r"(?i)com\d+|\\\\\.\\com\d+", spec):
        return "serial"
    try:
        mode = os.stat(spec).st_mode
    except OSError:
        return "serial" if spec.startswith("/dev/") else "file"
    return "serial" if stat.S_ISCHR(mode) else "file"


class _SerialPlan:
    """The line settings to try; in auto mode, move on when no good telegram came in time."""

    def __init__(self, settings: list[SerialSetting | None], window: float) -> None:
        self.settings = settings
        self.index = 0
        self.locked = len(settings) == 1
        self.window = window
        self.since = time.monotonic()

    def current(self) -> SerialSetting | None:
        return self.settings[self.index]

    def connected(self) -> None:
        self.since = time.monotonic()

    def rejected(self) -> None:
        """The device refused the current settings: in auto mode, go on to the next."""
        if not self.locked:
            self.index = (self.index + 1) % len(self.settings)

    def check(self, pipe: Pipeline) -> str | None:
        if self.locked:
            return None
        if pipe.good_telegram_seen:
            self.locked = True
            return None
        if time.monotonic() - self.since < self.window:
            return None
        old = self.current()
        self.index = (self.index + 1) % len(self.settings)
        return f"no good telegram at {old} in {self.window:g} s: trying {self.current()}"


class _Session:
    """One connection's worth of reading: the scanner, the 7-bit mask and the watchdog."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.pipe = src._pipe
        self.scanner = self.pipe.scanner()
        self.mask = SevenBit(src.opts.seven_bit if src.kind != "file" else False)
        self.last_data = time.monotonic()
        src._plan.connected()

    def tick(self) -> float:
        watchdog = self.src.opts.watchdog
        if watchdog is None or self.src.kind == "file":
            return _TICK
        left = watchdog - (time.monotonic() - self.last_data)
        return max(0.01, min(_TICK, left))

    def chunk(self, data: bytes) -> list[Item]:
        self.last_data = time.monotonic()
        self.pipe.stats.bytes += len(data)
        items = self.pipe.frames(self.scanner.feed(self.mask.feed(data)))
        if any(isinstance(i, Telegram) for i in items):
            self.src._backoff.success()
        return items

    def verdict(self) -> str | None:
        """Why this connection should be dropped now, or None."""
        watchdog = self.src.opts.watchdog
        if (
            watchdog is not None
            and self.src.kind != "file"
            and time.monotonic() - self.last_data >= watchdog
        ):
            return f"no data for {watchdog:g} s (watchdog): reconnecting"
        return self.src._plan.check(self.pipe)

    def end(self, reason: str | None) -> list[Item]:
        items = self.pipe.frames(
            self.scanner.flush()
        )  # a cut-off telegram is "damaged", never whole
        if reason:
            items += self.pipe.skip("connection", reason)
        return items


class Source:
    """A live source: iterate it with ``for`` or ``async for``; close it (or use ``with``)."""

    def __init__(self, spec: str, kind: str, opts: Options) -> None:
        self.spec = spec
        self.kind = kind  # "serial", "socket", "rfc2217", "http", "ws" or "file"
        self.opts = opts
        self._pipe = Pipeline(opts, _redact(spec))
        self._backoff = Backoff(opts, _redact(spec))
        settings: list[SerialSetting | None]
        settings = list(serial_settings(opts.serial)) if kind in ("serial", "rfc2217") else [None]
        self._plan = _SerialPlan(settings, opts.auto_window)
        self._closed = threading.Event()
        self._http = HttpPoller(spec, self._pipe) if kind == "http" else None
        self._ws = WsBridge(spec, self._pipe, self._backoff) if kind == "ws" else None
        self._agen: Any = None

    # ---- public --------------------------------------------------------------------------
    @property
    def stats(self) -> Stats:
        return self._pipe.stats

    @property
    def serial_setting(self) -> SerialSetting | None:
        """The line settings in use (for serial and rfc2217 sources)."""
        return self._plan.current()

    @property
    def endpoint(self) -> str | None:
        """For HTTP bridges: the endpoint URL in use (found by probing for a bare host)."""
        return (
            None if self._http is None or self._http.endpoint is None else self._http.endpoint.url
        )

    def close(self) -> None:
        """Stop reading; a running loop ends within about half a second."""
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Source:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        agen, self._agen = self._agen, None
        if agen is not None:
            await agen.aclose()

    def __repr__(self) -> str:
        return f"<dsmrparse.Source {self.kind} {_redact(self.spec)!r}>"

    def __iter__(self) -> Iterator[Item]:
        if self.kind == "http":
            return self._http_sync()
        if self._ws is not None:
            return self._ws.run(self._wait, self._closed)
        return self._stream_sync()

    def __aiter__(self) -> AsyncIterator[Item]:
        if self._ws is not None:
            agen = self._ws.arun(self._await, self._closed)
        else:
            agen = self._http_async() if self.kind == "http" else self._stream_async()
        self._agen = agen
        return agen

    # ---- links ---------------------------------------------------------------------------
    def _sync_link(self, setting: SerialSetting | None) -> SyncLink:
        o = self.opts
        if self.kind == "file":
            return FileLink(self.spec, o.follow, max(o.chunk_size, 65536))
        return PySerialLink(self.spec, setting, o.request_line, o.chunk_size, o.timeout)

    def _async_link(self, setting: SerialSetting | None) -> AsyncLink:
        if self.kind == "socket":
            parts = urlsplit(self.spec)
            if parts.hostname is None or parts.port is None:
                raise SourceError(f"{self.spec}: socket:// needs host:port")
            return AsyncSocketLink(
                parts.hostname, parts.port, self.opts.chunk_size, self.opts.timeout
            )
        return ThreadedLink(self._sync_link(setting))

    def _wait(self, seconds: float) -> bool:
        """Sleep unless closed first; False when closed."""
        return not self._closed.wait(seconds)

    async def _await(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while not self._closed.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, _TICK))
        return False

    def _connect_failed(self, exc: BaseException) -> tuple[list[Item], float]:
        if isinstance(exc, SettingRejected):
            self._plan.rejected()
        items = self._pipe.skip("connection", f"cannot open {_redact(self.spec)}: {exc}")
        return items, self._backoff.failure()

    # ---- byte streams: serial, socket://, rfc2217://, files --------------------------------
    def _stream_sync(self) -> Iterator[Item]:
        while not self._closed.is_set():
            link = self._sync_link(self._plan.current())
            try:
                link.open()
            except LinkLost as exc:
                items, wait = self._connect_failed(exc)
                yield from items
                if not self._wait(wait):
                    return
                continue
            self._count_connect()
            session = _Session(self)
            reason: str | None = None
            eof = False
            try:
                while not self._closed.is_set():
                    try:
                        data = link.read(session.tick())
                    except LinkLost as exc:
                        reason = f"link lost: {exc}"
                        break
                    except EndOfStream:
                        eof = True
                        break
                    if data:
                        yield from session.chunk(data)
                    reason = session.verdict()
                    if reason:
                        break
            finally:
                link.close()
            yield from session.end(reason)
            if eof or self._closed.is_set() or not self._wait(self._backoff.failure()):
                return

    async def _stream_async(self) -> AsyncIterator[Item]:
        while not self._closed.is_set():
            link = self._async_link(self._plan.current())
            try:
                await link.open()
            except LinkLost as exc:
                items, wait = self._connect_failed(exc)
                for item in items:
                    yield item
                if not await self._await(wait):
                    return
                continue
            self._count_connect()
            session = _Session(self)
            reason: str | None = None
            eof = False
            try:
                while not self._closed.is_set():
                    try:
                        data = await link.read(session.tick())
                    except LinkLost as exc:
                        reason = f"link lost: {exc}"
                        break
                    except EndOfStream:
                        eof = True
                        break
                    if data:
                        for item in session.chunk(data):
                            yield item
                    reason = session.verdict()
                    if reason:
                        break
            finally:
                await link.close()
            for item in session.end(reason):
                yield item
            if eof or self._closed.is_set() or not await self._await(self._backoff.failure()):
                return

    def _count_connect(self) -> None:
        stats = self._pipe.stats
        if stats.connects:
            stats.reconnects += 1
        stats.connects += 1

    # ---- HTTP bridges --------------------------------------------------------------------
    def _http_sync(self) -> Iterator[Item]:
        assert self._http is not None
        while not self._closed.is_set():
            started = time.monotonic()
            items, ok = self._http.poll()
            yield from items
            wait = self._after_poll(ok, started)
            if not self._wait(wait):
                return

    async def _http_async(self) -> AsyncIterator[Item]:
        assert self._http is not None
        while not self._closed.is_set():
            started = time.monotonic()
            items, ok = await asyncio.to_thread(self._http.poll)
            for item in items:
                yield item
            if not await self._await(self._after_poll(ok, started)):
                return

    def _after_poll(self, ok: bool, started: float) -> float:
        if not ok:
            return self._backoff.failure()
        self._backoff.success()
        # the interval runs from the start of a poll; a floor keeps a 0 interval from spinning
        return max(self.opts.interval - (time.monotonic() - started), 0.05)


def _redact(spec: str) -> str:
    """A URL without its password, for logs."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", spec)
