"""Live telegrams: a P1 serial port, raw TCP bridges, HTTP(S) bridges, files and pipes.

>>> import dsmrparse
>>> with dsmrparse.open("/dev/ttyUSB0") as meter:        # or socket://, rfc2217://, http://, a file
...     for t in meter:                                   # `async for t in meter:` works too
...         print(t.timestamp, t["power_imported"])

The same source object serves ``for`` and ``async for``. It yields :class:`~dsmrparse.Telegram`
objects; a JSON-only bridge yields :class:`BridgeReading` objects (``raw`` is None). What it
skipped is logged (logger ``dsmrparse.sources``), counted in ``source.stats``, passed to the
``on_error`` callback, and with ``yield_errors=True`` yielded inline as :class:`Skipped` records.
See docs/sources.md for every option.

This module is the public door; what stands behind it lives in ``dsmrparse.sources``: one module
per kind of link or bridge, and the sans-IO session that the sync and the async driver both run.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, Literal, TypeVar, Union, overload

from .sources.address import AddressError, parse_address
from .sources.common import Backoff, Options, Pipeline, Skipped, Stats, make_options
from .sources.drivers import run_async, run_sync
from .sources.fields import BridgeReading
from .sources.homewizard_ws import HomeWizardPush, is_push, push_options
from .sources.http import HttpPoller
from .sources.links import (
    AsyncLink,
    AsyncSocketLink,
    FileLink,
    PySerialLink,
    SerialSetting,
    SocketLink,
    SyncLink,
    ThreadedLink,
    serial_settings,
)
from .sources.session import PollSession, SerialPlan, StreamSession
from .sources.ws import LoggerWs, ws_url
from .sources.ws_session import MessageSession, WsProtocol
from .sources.wslink import ThreadedWsLink, WsLink, websocket_lib
from .telegram import Telegram

__all__ = [
    "open",
    "open_async",
    "Source",
    "Skipped",
    "Stats",
    "BridgeReading",
    "Options",
    "AddressError",
    "Reading",
]

Reading = Union[Telegram, BridgeReading]  # what a source hands out without yield_errors
T_co = TypeVar("T_co", covariant=True)


@overload
def open(  # noqa: A001
    source: str | os.PathLike[str], *, yield_errors: Literal[False] = ..., **options: Any
) -> Source[Reading]: ...
@overload
def open(  # noqa: A001
    source: str | os.PathLike[str], *, yield_errors: Literal[True], **options: Any
) -> Source[Reading | Skipped]: ...
@overload
def open(  # noqa: A001
    source: str | os.PathLike[str], *, yield_errors: bool, **options: Any
) -> Source[Reading | Skipped]: ...
def open(  # noqa: A001
    source: str | os.PathLike[str], *, yield_errors: bool = False, **options: Any
) -> Source[Any]:
    """A live source of telegrams; use it with ``for`` or ``async for`` (and ``with``).

    ``source`` is a device path (``/dev/ttyUSB0``, ``COM3``), ``socket://host:port`` (or
    ``tcp://host:port``), ``rfc2217://host:port``, an ``http://`` or ``https://`` URL of a bridge
    (a bare host is probed), ``ws://host`` for a DSMR-logger with the websocket firmware (port
    81), a file path or ``-`` for standard input. A malformed address raises
    :class:`AddressError` (a :class:`~dsmrparse.SourceError` and a ``ValueError``) before anything
    is tried. Options: see :class:`Options` and docs/sources.md.
    """
    opts = make_options({**options, "yield_errors": yield_errors})
    address = parse_address(os.fspath(source))
    return Source(address.spec, address.kind, opts)


open_async = open  # the same object serves ``async for``; the name is there for readability


class Source(Generic[T_co]):
    """A live source: iterate it with ``for`` or ``async for``; close it (or use ``with``)."""

    def __init__(self, spec: str, kind: str, opts: Options) -> None:
        self.spec = spec
        self.kind = kind  # "serial", "socket", "rfc2217", "http", "ws" or "file"
        self.opts = opts
        self._pipe = Pipeline(opts, _redact(spec))
        self._backoff = Backoff(opts, _redact(spec), self._pipe.stats)
        settings: list[SerialSetting | None]
        settings = list(serial_settings(opts.serial)) if kind in ("serial", "rfc2217") else [None]
        self._plan = SerialPlan(settings, opts.auto_window)
        self._closed = threading.Event()
        self._http = HttpPoller(spec, self._pipe, self._closed) if kind == "http" else None
        self._ws: WsProtocol | None = None
        self._ws_url = ""
        self._ws_options: dict[str, Any] = {}
        if kind == "ws":
            websocket_lib()  # a missing package is said at open(), before any iteration
            self._ws_url = ws_url(spec)
            if is_push(spec):
                push = HomeWizardPush(spec, self._pipe)
                self._ws, self._ws_url = push, push.url
                self._ws_options = push_options(push.url, opts)
            else:
                self._ws = LoggerWs(self._pipe)
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
        """Stop reading; a running loop (an HTTP request too) ends within about half a second."""
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __enter__(self) -> Source[T_co]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Source[T_co]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        agen, self._agen = self._agen, None
        if agen is not None:
            await agen.aclose()

    def __repr__(self) -> str:
        return f"<dsmrparse.Source {self.kind} {_redact(self.spec)!r}>"

    def __iter__(self) -> Iterator[T_co]:
        it: Iterator[Any]
        if self._ws is not None:
            it = run_sync(self._ws_session(), self._closed, make_link=self._ws_link)
        elif self._http is not None:
            it = run_sync(self._poll_session(), self._closed, poll=self._http.poll)
        else:
            it = run_sync(self._stream_session(), self._closed, make_link=self._sync_link)
        return it

    def __aiter__(self) -> AsyncIterator[T_co]:
        agen: AsyncIterator[Any]
        if self._ws is not None:
            agen = run_async(self._ws_session(), self._closed, make_link=self._async_ws_link)
        elif self._http is not None:
            agen = run_async(self._poll_session(), self._closed, poll=self._http.poll)
        else:
            agen = run_async(self._stream_session(), self._closed, make_link=self._async_link)
        self._agen = agen
        return agen

    # ---- sessions and links ------------------------------------------------------------------
    def _stream_session(self) -> StreamSession:
        return StreamSession(self.kind, self.opts, self._pipe, self._backoff, self._plan)

    def _poll_session(self) -> PollSession:
        return PollSession(self.opts, self._backoff)

    def _ws_session(self) -> MessageSession:
        assert self._ws is not None
        return MessageSession(self.opts, self._pipe, self._backoff, self._ws)

    def _ws_link(self, setting: SerialSetting | None = None) -> WsLink:
        return WsLink(self._ws_url, self._ws_options, self.opts.timeout, self.opts.max_frame)

    def _async_ws_link(self, setting: SerialSetting | None = None) -> ThreadedWsLink:
        return ThreadedWsLink(self._ws_link())

    def _sync_link(self, setting: SerialSetting | None) -> SyncLink:
        o = self.opts
        if self.kind == "file":
            return FileLink(self.spec, o.follow, max(o.chunk_size, 65536))
        if self.kind == "socket":
            host, port = _host_port(self.spec)
            return SocketLink(host, port, o.chunk_size, o.timeout)
        return PySerialLink(self.spec, setting, o.request_line, o.chunk_size, o.timeout)

    def _async_link(self, setting: SerialSetting | None) -> AsyncLink:
        if self.kind == "socket":
            host, port = _host_port(self.spec)
            return AsyncSocketLink(host, port, self.opts.chunk_size, self.opts.timeout)
        return ThreadedLink(self._sync_link(setting))


def _host_port(spec: str) -> tuple[str, int]:
    address = parse_address(spec)
    assert address.host is not None and address.port is not None  # checked by open()
    return address.host, address.port


def _redact(spec: str) -> str:
    """A URL without its password, for logs."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", spec)
