"""The two thin loops that run a session (session.py): one with blocking calls, one with asyncio.

Each asks the session what to do, does it, and reports back; neither holds any protocol logic, so
what one mode does the other does too. Blocking links run in a worker thread under asyncio, except
``socket://``, which has a native asyncio link. A stream session reads bytes from its link, the
websocket session (ws_session.py) messages, and sends messages too; the loops pass what was read
on without looking at it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol, Union, cast

from .common import Item
from .links import EndOfStream, LinkLost, SerialSetting
from .session import TICK, Close, Connect, Poll, PollSession, Read, Send, Stop, StreamSession, Wait
from .ws_session import MessageSession

__all__ = ["run_sync", "run_async"]

Poller = Callable[[], "tuple[list[Item], bool, str | None]"]
Session = Union[StreamSession, PollSession, MessageSession]


class _SyncLink(Protocol):  # links.SyncLink (bytes) or wslink.WsLink (messages, and send)
    def open(self) -> None: ...
    def read(self, timeout: float) -> Any: ...
    def close(self) -> None: ...


class _AsyncLink(Protocol):
    async def open(self) -> None: ...
    async def read(self, timeout: float) -> Any: ...
    async def close(self) -> None: ...


class _Sender(Protocol):  # the link of a MessageSession
    def send(self, text: str) -> None: ...


class _AsyncSender(Protocol):
    async def send(self, text: str) -> None: ...


def run_sync(
    session: Session,
    closed: threading.Event,
    make_link: Callable[[SerialSetting | None], _SyncLink] | None = None,
    poll: Poller | None = None,
) -> Iterator[Item]:
    link: _SyncLink | None = None
    try:
        while not closed.is_set():
            action = session.next(time.monotonic())
            if isinstance(action, Stop):
                return
            if isinstance(action, Wait):
                closed.wait(action.seconds)
            elif isinstance(action, Poll):
                assert poll is not None and isinstance(session, PollSession)
                items, ok, cause = poll()
                session.polled(ok, cause, time.monotonic())
                yield from items
            elif isinstance(action, Connect):
                assert make_link is not None and not isinstance(session, PollSession)
                candidate = make_link(action.setting)
                try:
                    candidate.open()
                except LinkLost as exc:
                    yield from session.open_failed(exc, time.monotonic())
                    continue
                link = candidate
                session.opened(time.monotonic())
            elif isinstance(action, Close):
                assert not isinstance(session, PollSession)
                if link is not None:
                    link.close()
                    link = None
                yield from session.closed(time.monotonic())
            elif isinstance(action, Read):
                assert link is not None and not isinstance(session, PollSession)
                try:
                    data = link.read(action.timeout)
                except LinkLost as exc:
                    session.lost(str(exc))
                    continue
                except EndOfStream:
                    assert isinstance(session, StreamSession)
                    session.ended()
                    continue
                yield from session.received(data, time.monotonic())
            elif isinstance(action, Send):
                assert link is not None and isinstance(session, MessageSession)
                try:
                    cast(_Sender, link).send(action.text)
                except LinkLost as exc:
                    session.lost(str(exc))
                    continue
                yield from session.sent(time.monotonic())
    finally:
        if link is not None:
            link.close()


async def run_async(
    session: Session,
    closed: threading.Event,
    make_link: Callable[[SerialSetting | None], _AsyncLink] | None = None,
    poll: Poller | None = None,
) -> AsyncIterator[Item]:
    link: _AsyncLink | None = None
    try:
        while not closed.is_set():
            action = session.next(time.monotonic())
            if isinstance(action, Stop):
                return
            if isinstance(action, Wait):
                await asyncio.sleep(min(action.seconds, TICK))
            elif isinstance(action, Poll):
                assert poll is not None and isinstance(session, PollSession)
                items, ok, cause = await asyncio.to_thread(poll)
                session.polled(ok, cause, time.monotonic())
                for item in items:
                    yield item
            elif isinstance(action, Connect):
                assert make_link is not None and not isinstance(session, PollSession)
                candidate = make_link(action.setting)
                try:
                    await candidate.open()
                except LinkLost as exc:
                    for item in session.open_failed(exc, time.monotonic()):
                        yield item
                    continue
                link = candidate
                session.opened(time.monotonic())
            elif isinstance(action, Close):
                assert not isinstance(session, PollSession)
                if link is not None:
                    await link.close()
                    link = None
                for item in session.closed(time.monotonic()):
                    yield item
            elif isinstance(action, Read):
                assert link is not None and not isinstance(session, PollSession)
                try:
                    data = await link.read(action.timeout)
                except LinkLost as exc:
                    session.lost(str(exc))
                    continue
                except EndOfStream:
                    assert isinstance(session, StreamSession)
                    session.ended()
                    continue
                for item in session.received(data, time.monotonic()):
                    yield item
            elif isinstance(action, Send):
                assert link is not None and isinstance(session, MessageSession)
                try:
                    await cast(_AsyncSender, link).send(action.text)
                except LinkLost as exc:
                    session.lost(str(exc))
                    continue
                for item in session.sent(time.monotonic()):
                    yield item
    finally:
        if link is not None:
            await link.close()
