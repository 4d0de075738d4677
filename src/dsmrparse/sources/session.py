"""The protocol of a live source, without any I/O: it takes bytes, answers and the time, and says
what to do next. The sync and the async driver (drivers.py) only carry out what it says, so the
two modes cannot behave differently.

A driver asks :meth:`next` for an action (:class:`Connect`, :class:`Read`, :class:`Send`,
:class:`Close`, :class:`Poll`, :class:`Wait` or :data:`STOP`), performs it, and reports the outcome
back (``opened``, ``open_failed``, ``received``, ``sent``, ``lost``, ``ended``, ``closed``,
``polled``); each report returns the items to hand out. ``next`` raises the SourceError that ended
the source (out of retries, an HTTP URL that is no bridge) only after the items before it were
handed out. The websocket bridges' session (messages rather than bytes) is in ws_session.py.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Union

from ..errors import SourceError
from ..telegram import Telegram
from .common import Backoff, Item, Options, Pipeline
from .links import SerialSetting, SettingRejected, SevenBit

__all__ = [
    "Connect",
    "Read",
    "Send",
    "Close",
    "Poll",
    "Wait",
    "Stop",
    "STOP",
    "Action",
    "SerialPlan",
    "StreamSession",
    "PollSession",
]

TICK = 0.5  # the longest one read or wait blocks, so that close() and the watchdog are seen soon


class Connect(NamedTuple):
    setting: SerialSetting | None


class Read(NamedTuple):
    timeout: float


class Send(NamedTuple):
    text: str  # one websocket text message


class Close(NamedTuple):
    reason: str | None


class Poll(NamedTuple):
    pass


class Wait(NamedTuple):
    seconds: float


class Stop(NamedTuple):
    pass


STOP = Stop()
Action = Union[Connect, Read, Send, Close, Poll, Wait, Stop]


class SerialPlan:
    """The line settings to try; in auto mode, move on when no good telegram came in time."""

    def __init__(self, settings: list[SerialSetting | None], window: float) -> None:
        self.settings = settings
        self.index = 0
        self.locked = len(settings) == 1
        self.window = window
        self.since = 0.0

    def current(self) -> SerialSetting | None:
        return self.settings[self.index]

    def connected(self, now: float) -> None:
        self.since = now

    def rejected(self) -> None:
        """The device refused the current settings: in auto mode, go on to the next."""
        if not self.locked:
            self.index = (self.index + 1) % len(self.settings)

    def check(self, pipe: Pipeline, now: float) -> str | None:
        if self.locked:
            return None
        if pipe.good_telegram_seen:
            self.locked = True
            return None
        if now - self.since < self.window:
            return None
        old = self.current()
        self.index = (self.index + 1) % len(self.settings)
        return f"no good telegram at {old} in {self.window:g} s: trying {self.current()}"


class _Timed:
    """What both sessions share: the wait after a failure and the error that ends the source."""

    def __init__(self) -> None:
        self.until = 0.0
        self.error: SourceError | None = None

    def _fail(self, backoff: Backoff, cause: str | None, now: float) -> None:
        try:
            self.until = now + backoff.failure(cause)
        except SourceError as exc:
            self.error = exc  # raised by the next next(), after the items already due

    def _pending(self, now: float) -> Action | None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        if now < self.until:
            return Wait(min(self.until - now, TICK))
        return None


class StreamSession(_Timed):
    """A byte stream: serial port, ``socket://``, ``rfc2217://``, a file.

    Frames come through one FrameScanner per connection; a connection is dropped by the watchdog
    or by auto mode moving to the next line setting, and made again after a back-off.
    """

    def __init__(
        self, kind: str, opts: Options, pipe: Pipeline, backoff: Backoff, plan: SerialPlan
    ) -> None:
        super().__init__()
        self.kind = kind
        self.opts = opts
        self.pipe = pipe
        self.backoff = backoff
        self.plan = plan
        self.state = "idle"  # idle, open, closing, done
        self.reason: str | None = None  # why the connection is being closed
        self.eof = False
        self.scanner: Any = None
        self.mask = SevenBit(False)
        self.last_data = 0.0
        self.watchdog = None if kind == "file" else opts.watchdog

    def next(self, now: float) -> Action:
        if self.state == "done":
            return STOP
        if self.state == "idle":
            return self._pending(now) or Connect(self.plan.current())
        if self.state == "closing":
            return Close(self.reason)
        reason = self._verdict(now)
        if reason:
            self.state, self.reason = "closing", reason
            return Close(reason)
        return Read(self._tick(now))

    # ---- reports from the driver -------------------------------------------------------
    def opened(self, now: float) -> None:
        stats = self.pipe.stats
        if stats.connects:
            stats.reconnects += 1
        stats.connects += 1
        self.state = "open"
        self.reason, self.eof = None, False
        self.scanner = self.pipe.scanner()
        self.mask = SevenBit(self.opts.seven_bit if self.kind != "file" else False)
        self.last_data = now
        self.plan.connected(now)

    def open_failed(self, exc: BaseException, now: float) -> list[Item]:
        if isinstance(exc, SettingRejected):
            self.plan.rejected()
        cause = str(exc) or type(exc).__name__
        items = self.pipe.skip("connection", f"cannot open {self.pipe.source}: {cause}")
        self._fail(self.backoff, cause, now)
        return items

    def received(self, data: bytes, now: float) -> list[Item]:
        if not data:
            return []
        self.last_data = now
        self.pipe.stats.bytes += len(data)
        items = self.pipe.frames(self.scanner.feed(self.mask.feed(data)))
        if any(isinstance(i, Telegram) for i in items):
            self.backoff.success()
        return items

    def lost(self, reason: str) -> None:
        self.state, self.reason = "closing", f"link lost: {reason}"

    def ended(self) -> None:
        """A file (not followed) or standard input has no more bytes."""
        self.state, self.reason, self.eof = "closing", None, True

    def closed(self, now: float) -> list[Item]:
        """The driver closed the link: what was left in the scanner, and why it was closed."""
        items = self.pipe.frames(self.scanner.flush()) if self.scanner is not None else []
        self.scanner = None  # a cut-off telegram is "damaged", never whole
        if self.reason:
            items += self.pipe.skip("connection", self.reason)
        if self.eof:
            self.state = "done"
        else:
            self.state = "idle"
            self._fail(self.backoff, self.reason, now)
        return items

    # ---- timing ----------------------------------------------------------------------------
    def _tick(self, now: float) -> float:
        if self.watchdog is None:
            return TICK
        left = self.watchdog - (now - self.last_data)
        return max(0.01, min(TICK, left))

    def _verdict(self, now: float) -> str | None:
        if self.watchdog is not None and now - self.last_data >= self.watchdog:
            return f"no data for {self.watchdog:g} s (watchdog): reconnecting"
        return self.plan.check(self.pipe, now)


class PollSession(_Timed):
    """A bridge asked once per ``interval`` (HTTP): the driver performs each :class:`Poll` with
    the poller and reports what came; the session keeps the rhythm and the back-off."""

    def __init__(self, opts: Options, backoff: Backoff) -> None:
        super().__init__()
        self.opts = opts
        self.backoff = backoff
        self.started = 0.0

    def next(self, now: float) -> Action:
        pending = self._pending(now)
        if pending is not None:
            return pending
        self.started = now
        return Poll()

    def polled(self, ok: bool, cause: str | None, now: float) -> None:
        if not ok:
            self._fail(self.backoff, cause, now)
            return
        self.backoff.success()
        # the interval runs from the start of a poll; a floor keeps a 0 interval from spinning
        self.until = self.started + max(self.opts.interval, 0.05)
