"""The websocket bridges' protocol without any I/O: messages and the time in, actions out.

:class:`MessageSession` keeps what every websocket bridge shares: connecting and the back-off,
the watchdog, the rhythm of questions for a bridge that answers when asked, de-duplication and the
counters. What the messages mean is a :class:`WsProtocol` (DSMRloggerWS in ws.py, HomeWizard's
push API in homewizard_ws.py): it turns one message into readings or skips and may queue replies.
The same drivers (drivers.py) that run the stream and HTTP sessions run this one.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import SourceError
from .common import Backoff, Item, Options, Pipeline
from .fields import BridgeReading
from .session import TICK, Action, Close, Connect, Read, Send, _Timed

__all__ = ["Message", "WsProtocol", "MessageSession", "ANSWER_TIME", "MIN_INTERVAL"]

MIN_INTERVAL = 0.05  # a floor so that interval=0 cannot make the bridge answer in a busy loop
ANSWER_TIME = 1.0  # the frames of one answer come within this; a question never cuts them

Message = tuple[bool, bytes]  # (a text frame?, its payload)


class WsProtocol(Protocol):
    """The meaning of one bridge's messages."""

    polls: bool  # the bridge answers when asked (``ask``); a pushing bridge does not
    ask: str  # the question, for a polling bridge
    pending_since: float | None  # when the first frame of an answer still coming in arrived
    outbox: list[str]  # replies to send, in order

    def reset(self) -> None:
        """A new connection: forget the last one's state."""

    def feed(self, text: bool, raw: bytes, now: float) -> list[Item]:
        """One message: readings and skips; SourceError when no retry can mend it."""
        ...

    def complete(self) -> list[Item]:
        """The answer received so far is all there is (a new question is due)."""
        ...

    def cut(self) -> list[Item]:
        """The connection ends: what an answer in progress becomes."""
        ...


class MessageSession(_Timed):
    def __init__(
        self, opts: Options, pipe: Pipeline, backoff: Backoff, protocol: WsProtocol
    ) -> None:
        super().__init__()
        self.opts = opts
        self.pipe = pipe
        self.backoff = backoff
        self.protocol = protocol
        self.state = "idle"  # idle, open, closing
        self.reason: str | None = None  # why the connection is being closed
        self.fatal: SourceError | None = None  # ends the source once the connection is closed
        self.carry: list[Item] = []  # items due with the next report
        self.last_frame = 0.0
        self.next_poll = 0.0
        self.last_fields: dict[str, object] | None = None

    def next(self, now: float) -> Action:
        if self.state == "idle":
            return self._pending(now) or Connect(None)
        if self.state == "closing":
            return Close(self.reason)
        watchdog = self.opts.watchdog
        if watchdog is not None and now - self.last_frame >= watchdog:
            self.state = "closing"
            self.reason = f"no data for {watchdog:g} s (watchdog): reconnecting"
            return Close(self.reason)
        protocol = self.protocol
        if protocol.outbox:
            return Send(protocol.outbox.pop(0))
        if protocol.polls:
            if protocol.pending_since is not None and now >= self.next_poll:
                # an answer is still coming in: give its frames time before the next question
                self.next_poll = max(self.next_poll, protocol.pending_since + ANSWER_TIME)
            if now >= self.next_poll:
                # a build that never ends its answer: the answer ends at the next question
                self.carry += self._accept(protocol.complete())
                self.next_poll = now + max(self.opts.interval, MIN_INTERVAL)
                return Send(protocol.ask)
        return Read(self._tick(now))

    # ---- reports from the driver -------------------------------------------------------
    def opened(self, now: float) -> None:
        stats = self.pipe.stats
        if stats.connects:
            stats.reconnects += 1
        stats.connects += 1
        self.state, self.reason = "open", None
        self.last_frame = self.next_poll = now
        self.protocol.reset()

    def open_failed(self, exc: BaseException, now: float) -> list[Item]:
        cause = f"cannot open {self.pipe.source}: {str(exc) or type(exc).__name__}"
        items = self.pipe.skip("connection", cause)
        self._fail(self.backoff, cause, now)
        return items

    def received(self, message: Message | None, now: float) -> list[Item]:
        """One message, or None when none came within the read's timeout."""
        if message is None:
            return self._drain()
        text, raw = message
        self.last_frame = now
        self.pipe.stats.bytes += len(raw)
        try:
            items = self.protocol.feed(text, raw, now)
        except SourceError as exc:
            self.fatal = exc
            self.state, self.reason = "closing", None
            return self._drain()
        return self._drain() + self._accept(items)

    def sent(self, now: float) -> list[Item]:
        return self._drain()

    def lost(self, reason: str) -> None:
        """The link is gone; ``reason`` is said as it is."""
        self.state, self.reason = "closing", reason

    def closed(self, now: float) -> list[Item]:
        items = self._drain() + self.protocol.cut()
        if self.reason:
            items += self.pipe.skip("connection", self.reason)
        self.state = "idle"
        if self.fatal is not None:
            self.error, self.fatal = self.fatal, None  # raised by the next next()
        else:
            self._fail(self.backoff, None, now)
        return items

    # ---- helpers -------------------------------------------------------------------------
    def _drain(self) -> list[Item]:
        items, self.carry = self.carry, []
        return items

    def _accept(self, items: list[Item]) -> list[Item]:
        """Readings are de-duplicated and counted; skips pass as they are."""
        out: list[Item] = []
        for item in items:
            if isinstance(item, BridgeReading):
                if self.opts.dedupe and item.fields == self.last_fields:
                    self.pipe.stats.duplicates += 1
                    continue
                self.last_fields = item.fields
                self.pipe.stats.telegrams += 1
                self.backoff.success()
            out.append(item)
        return out

    def _tick(self, now: float) -> float:
        tick = TICK
        if self.protocol.polls:
            tick = min(tick, max(self.next_poll - now, 0.01))
        if self.opts.watchdog is not None:
            tick = min(tick, max(self.opts.watchdog - (now - self.last_frame), 0.01))
        return tick
