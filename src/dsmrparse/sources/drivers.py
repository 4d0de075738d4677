"""The two thin loops that run a session (session.py): one with blocking calls, one with asyncio.

Each asks the session what to do, does it, and reports back; neither holds any protocol logic, so
what one mode does the other does too. Blocking links run in a worker thread under asyncio, except
``socket://``, which has a native asyncio link.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator

from .common import Item
from .links import AsyncLink, EndOfStream, LinkLost, SerialSetting, SyncLink
from .session import TICK, Close, Connect, Poll, PollSession, Read, Stop, StreamSession, Wait

__all__ = ["run_sync", "run_async"]

Poller = Callable[[], "tuple[list[Item], bool, str | None]"]


def run_sync(
    session: StreamSession | PollSession,
    closed: threading.Event,
    make_link: Callable[[SerialSetting | None], SyncLink] | None = None,
    poll: Poller | None = None,
) -> Iterator[Item]:
    link: SyncLink | None = None
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
                assert make_link is not None and isinstance(session, StreamSession)
                candidate = make_link(action.setting)
                try:
                    candidate.open()
                except LinkLost as exc:
                    yield from session.open_failed(exc, time.monotonic())
                    continue
                link = candidate
                session.opened(time.monotonic())
            elif isinstance(action, Close):
                assert isinstance(session, StreamSession)
                if link is not None:
                    link.close()
                    link = None
                yield from session.closed(time.monotonic())
            elif isinstance(action, Read):
                assert link is not None and isinstance(session, StreamSession)
                try:
                    data = link.read(action.timeout)
                except LinkLost as exc:
                    session.lost(str(exc))
                    continue
                except EndOfStream:
                    session.ended()
                    continue
                yield from session.received(data, time.monotonic())
    finally:
        if link is not None:
            link.close()


async def run_async(
    session: StreamSession | PollSession,
    closed: threading.Event,
    make_link: Callable[[SerialSetting | None], AsyncLink] | None = None,
    poll: Poller | None = None,
) -> AsyncIterator[Item]:
    link: AsyncLink | None = None
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
                assert make_link is not None and isinstance(session, StreamSession)
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
                assert isinstance(session, StreamSession)
                if link is not None:
                    await link.close()
                    link = None
                for item in session.closed(time.monotonic()):
                    yield item
            elif isinstance(action, Read):
                assert link is not None and isinstance(session, StreamSession)
                try:
                    data = await link.read(action.timeout)
                except LinkLost as exc:
                    session.lost(str(exc))
                    continue
                except EndOfStream:
                    session.ended()
                    continue
                for item in session.received(data, time.monotonic()):
                    yield item
    finally:
        if link is not None:
            await link.close()
