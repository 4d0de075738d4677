"""What every live source shares: its options, the record of what it skipped, and the step from
frames to results (parse, CRC policy, de-duplication, reporting)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any, NamedTuple, Union

from .. import _impl
from .._types import Frame
from ..errors import DsmrError, SourceError
from ..interpret import build
from ..profiles import Profile
from ..telegram import Telegram
from .links import serial_settings

log = logging.getLogger("dsmrparse.sources")

__all__ = ["Options", "Skipped", "Stats", "Pipeline", "Backoff", "make_options"]


class Skipped(NamedTuple):
    """Something a live source read but did not hand out as a telegram, or a link event.

    ``kind`` is one of ``junk`` (bytes outside any telegram), ``damaged`` (a telegram cut off or too
    long), ``crc`` (a whole telegram whose CRC is wrong; ``telegram`` holds it parsed),
    ``encrypted`` (a DLMS frame and no ``decrypt`` option), ``parse`` (the parser gave up),
    ``empty`` (a bridge said it had no telegram), ``http`` (an HTTP error status or an unreadable
    answer), ``connection`` (connect failed, link lost, watchdog fired).
    """

    kind: str
    message: str
    source: str
    data: bytes | None = None  # the bytes concerned, when there are any
    offset: int | None = None  # stream offset of ``data`` within this connection
    telegram: Telegram | None = None  # the parsed telegram for ``crc``
    when: datetime | None = None  # UTC time it was noticed

    def to_dict(self) -> dict[str, Any]:
        return {
            "skipped": self.kind,
            "message": self.message,
            "source": self.source,
            "bytes": None if self.data is None else len(self.data),
            "offset": self.offset,
            "when": None if self.when is None else self.when.isoformat(),
        }


@dataclass
class Stats:
    """Counters a long-running reader can export as metrics."""

    telegrams: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    connects: int = 0
    reconnects: int = 0
    bytes: int = 0

    def count(self, kind: str) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + 1


ErrorCallback = Callable[[Skipped], None]


@dataclass
class Options:
    """Options of :func:`dsmrparse.open`; see docs/sources.md for each one."""

    profile: str | Profile | None = None  # None: detected per telegram
    mbus_channels: Mapping[str, int] | None = None  # e.g. {"gas": 2}
    serial: str | Sequence[str] = "auto"  # "auto", "dsmr22", "dsmr5", "9600 7E1", or a list
    seven_bit: bool | None = None  # None: mask to 7 bits when 7E1 data arrives on an 8-bit line
    request_line: str | None = None  # "rts", "dtr" or "both": raised while reading
    timeout: float = 10.0  # connect timeout, and the deadline of one whole HTTP request
    watchdog: float | None = 30.0  # seconds without a byte before reconnecting; None: never
    auto_window: float = 25.0  # auto serial mode: seconds per setting before trying the next
    interval: float = 1.0  # HTTP: seconds between the starts of two polls
    http: str = "telegram"  # bare http://host: "telegram" (raw when the bridge has it) or "json"
    dedupe: bool = True  # HTTP: a telegram equal to the previous one is not handed out again
    reconnect_delay: float = 1.0  # first wait after a failure; doubles up to reconnect_max
    reconnect_max: float = 60.0
    retries: int | None = None  # give up after this many failures in a row; None: never
    # give up after this many failures when the source was never reached at all (a wrong address
    # or a missing device); None: as ``retries``. ``dsmrparse read`` sets 2.
    retries_unreached: int | None = None
    accept_bad_crc: bool = False  # hand out telegrams whose CRC is bad (t.crc == "bad")
    yield_errors: bool = False  # hand out Skipped records in the stream too
    on_error: ErrorCallback | None = None  # called with every Skipped record
    decrypt: Callable[[bytes], bytes] | None = None  # DLMS frame -> plaintext telegram
    key: bytes | str | None = None  # AES key of encrypted meters (crypto extra): sets decrypt
    auth_key: bytes | str | None = None  # their authentication key, if the meter uses one
    token: str | None = None  # HomeWizard API v2: the bearer token (sent as Authorization)
    verify: bool | str = True  # https: check the certificate (True), a CA file path, or False
    server_name: str | None = None  # https: the name the certificate carries, if not the host
    max_body: int = 256 * 1024  # HTTP: a larger answer is skipped, never read whole
    max_frame: int = 8192
    chunk_size: int = 4096
    follow: bool = False  # files: keep reading as the file grows (tail -f)


def make_options(options: Mapping[str, Any]) -> Options:
    known = {f.name for f in dataclasses.fields(Options)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"unknown source option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    opts = Options(**options)
    if opts.reconnect_delay <= 0 or opts.reconnect_max < opts.reconnect_delay:
        raise ValueError("reconnect_delay must be > 0 and reconnect_max >= reconnect_delay")
    if opts.interval < 0 or opts.timeout <= 0:
        raise ValueError("interval must be >= 0 and timeout > 0")
    serial_settings(opts.serial)  # a bad setting fails here, not on the first connect
    if opts.key is not None and opts.decrypt is None:
        from ..crypto import decrypt

        opts.decrypt = partial(decrypt, key=opts.key, auth_key=opts.auth_key)
    if opts.max_body < 1024 or opts.chunk_size < 1 or opts.max_frame < 64:
        raise ValueError("max_body must be >= 1024, chunk_size >= 1 and max_frame >= 64")
    if opts.request_line not in (None, "rts", "dtr", "both"):
        raise ValueError("request_line must be 'rts', 'dtr' or 'both'")
    return opts


Item = Union[Telegram, Skipped, Any]  # Any: BridgeReading, kept out to avoid an import cycle


class Backoff:
    """Waits that double after each failure, reset by a success; ``retries`` bounds the failures.

    It also tells the user why: the cause of a failure is logged at WARNING the first time and
    whenever it changes (never once per retry), and the SourceError of the last retry carries it.
    """

    def __init__(self, opts: Options, source: str, stats: Stats | None = None) -> None:
        self.opts = opts
        self.source = source
        self.stats = stats  # its ``connects`` say whether the source was ever reached
        self.failures = 0
        self.cause: str | None = None  # the last failure's cause
        self._told: str | None = None  # the cause last logged at WARNING

    def success(self) -> None:
        self.failures = 0
        self._told = None

    def failure(self, cause: str | None = None) -> float:
        """Count one failure; the seconds to wait, or SourceError when out of retries."""
        self.failures += 1
        if cause:
            self.cause = cause
            if cause != self._told:
                self._told = cause
                log.warning("%s: %s", self.source, cause)
        retries = self.opts.retries
        unreached = self.opts.retries_unreached
        never_reached = self.stats is not None and not self.stats.connects
        if unreached is not None and never_reached and self.failures > unreached:
            raise SourceError(
                f"{self.source}: giving up, not reached in {self.failures} attempts: {self.cause}"
            )
        if retries is not None and self.failures > retries:
            last = f": {self.cause}" if self.cause else ""
            raise SourceError(
                f"{self.source}: giving up after {self.failures} failures in a row{last}"
            )
        delay = self.opts.reconnect_delay * (2 ** min(self.failures - 1, 16))
        return float(min(delay, self.opts.reconnect_max))


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class Pipeline:
    """Frames in, results out: the policy every source applies in the same way."""

    def __init__(self, opts: Options, source: str) -> None:
        self.opts = opts
        self.source = source
        self.stats = Stats()
        self.last_raw: bytes | None = None
        self.good_telegram_seen = False  # a telegram that proves the line settings right
        self.last_good = time.monotonic()

    def scanner(self) -> Any:
        return _impl.current.FrameScanner(self.opts.max_frame)

    def report(self, item: Skipped) -> list[Item]:
        """Count and log a Skipped record, call the callback; return it when it is to be yielded."""
        self.stats.count(item.kind)
        # noise comes in floods (a wrong baud rate, a bridge's own chatter): not a warning each
        level = logging.INFO if item.kind in ("connection", "empty", "junk") else logging.WARNING
        log.log(level, "%s: skipped %s: %s", self.source, item.kind, item.message)
        if self.opts.on_error is not None:
            try:
                self.opts.on_error(item)
            except Exception:  # a broken callback must not stop the meter reading
                log.exception("%s: on_error callback failed", self.source)
        return [item] if self.opts.yield_errors else []

    def skip(self, kind: str, message: str, **extra: Any) -> list[Item]:
        return self.report(Skipped(kind, message, self.source, when=now_utc(), **extra))

    def frames(self, frames: list[Frame], dedupe: bool = False) -> list[Item]:
        out: list[Item] = []
        for frame in frames:
            out.extend(self.frame(frame, dedupe))
        return out

    def frame(self, frame: Frame, dedupe: bool = False) -> list[Item]:
        if frame.kind == "telegram":
            return self.telegram(frame.data, frame.offset, dedupe)
        if frame.kind == "encrypted":
            if self.opts.decrypt is None:
                return self.skip(
                    "encrypted",
                    f"encrypted DLMS frame of {len(frame.data)} bytes and no decrypt option",
                    data=frame.data,
                    offset=frame.offset,
                )
            try:
                plain = self.opts.decrypt(frame.data)
            except Exception as exc:
                return self.skip(
                    "encrypted", f"decryption failed: {exc}", data=frame.data, offset=frame.offset
                )
            return self.telegram(plain, frame.offset, dedupe)
        return self.skip(
            frame.kind, frame.error or frame.kind, data=frame.data, offset=frame.offset
        )

    def telegram(self, raw: bytes, offset: int | None, dedupe: bool = False) -> list[Item]:
        if dedupe and raw == self.last_raw:
            self.stats.duplicates += 1
            log.debug("%s: same telegram as the last poll, not handed out again", self.source)
            return []
        try:
            t = build(raw, self.opts.profile, False, self.opts.mbus_channels)
        except DsmrError as exc:
            return self.skip("parse", str(exc), data=raw, offset=offset)
        except Exception as exc:  # the parser promises DsmrError only; keep reading regardless
            return self.skip(
                "parse", f"internal error: {type(exc).__name__}: {exc}", data=raw, offset=offset
            )
        self.last_raw = raw
        if t.crc == "ok" or (t.crc == "absent" and _plausible(t)):
            self.good_telegram_seen = True
            self.last_good = time.monotonic()
        if t.crc == "bad" and not self.opts.accept_bad_crc:
            return self.skip(
                "crc",
                f"CRC mismatch: telegram says {t.crc_given or 0:04X}, "
                f"computed {t.crc_computed:04X}",
                data=raw,
                offset=offset,
                telegram=t,
            )
        self.stats.telegrams += 1
        return [t]


def _plausible(t: Telegram) -> bool:
    """A telegram without CRC (DSMR 2.2/3) counts as proof of good line settings when clean."""
    return bool(t.entries) and not any(p.kind in ("framing", "syntax") for p in t.problems)
