"""The DSMR-logger's older websocket firmware (DSMRloggerWS): ``ws://host:81``.

The firmware serves its web page's data over a websocket on port 81 as text frames of
``msgType=Name,key=value,...`` pairs. Sending ``tabActual`` asks for the actual values: one
``msgType=Actual`` frame (early builds) or several (later builds), the last one ending in
``theTime``. Between answers it sends ``msgType=clock`` frames every few seconds, and on connect a
JSON ``{"msgType":"ConnectState",...}``. There is no raw telegram, so each answer becomes a
:class:`~dsmrparse.hardware.BridgeReading`.

Transport is the ``websocket-client`` package (the ``websocket`` extra), imported when a source is
opened. Every blocking call is bounded by a short tick, so ``close()`` and the watchdog are seen
soon; asyncio runs the same steps in a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .common import Backoff, Item, Pipeline, now_utc
from .fields import _KILO, _LOGGER, BridgeReading, _Builder, _convert, loads
from .links import MissingDependency

__all__ = ["WsBridge", "ws_url", "parse_message", "from_dsmr_logger_ws", "DEFAULT_PORT"]

DEFAULT_PORT = 81  # the firmware's websocket server; its web page connects to ws://host:81/
DEVICE = "dsmr-logger-ws"
ASK_ACTUAL = "tabActual"  # what the firmware's web page sends (every 10 s) for the actual values
_TICK = 0.5  # the longest one read blocks, so that close() and the watchdog are seen soon
_MIN_INTERVAL = 0.05  # a floor so that interval=0 cannot make the bridge answer in a busy loop
_ANSWER_TIME = 1.0  # the frames of one answer come within this; a poll never cuts them

# firmware key -> the DSMR-logger v4 name whose row in fields.py gives our name, kind, unit
_AS_LOGGER = {
    "ts": "timestamp",
    "edt1": "energy_delivered_tariff1",
    "edt2": "energy_delivered_tariff2",
    "ert1": "energy_returned_tariff1",
    "ert2": "energy_returned_tariff2",
    "gd": "gas_delivered",
    "et": "electricity_tariff",
    "pd": "power_delivered",  # kW, the sum of the phases
    "pr": "power_returned",
}
for _n in (1, 2, 3):
    _AS_LOGGER.update({f"v_l{_n}": f"voltage_l{_n}", f"c_l{_n}": f"current_l{_n}"})
# per-phase power comes in whole watts; our fields (like the logger's) are kW
_WATTS = {f"pd_l{n}": f"power_delivered_l{n}" for n in (1, 2, 3)}
_WATTS.update({f"pr_l{n}": f"power_returned_l{n}" for n in (1, 2, 3)})
# the firmware adds the tariffs up itself; the logger's REST API has no such field
_OWN = {
    "ed": ("electricity_imported_total", "q", "kWh"),
    "er": ("electricity_exported_total", "q", "kWh"),
}


def ws_url(url: str) -> str:
    """The URL to connect to: ``ws://host`` means the firmware's port 81 and path ``/``."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{url}: a websocket URL needs a host (ws://host or ws://host:81)")
    netloc = parts.netloc
    if parts.port is None and parts.scheme.lower() == "ws":
        netloc = f"{netloc}:{DEFAULT_PORT}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def parse_message(text: str) -> tuple[str, dict[str, str]] | None:
    """``msgType=Actual,ED=1.000,...`` as ("Actual", {"ED": "1.000", ...}); the connect greeting
    is JSON and parsed as such. None for anything else."""
    text = text.strip()
    if text.startswith("{"):
        try:
            doc = loads(text.encode("utf-8"))
        except ValueError:
            return None
        if not isinstance(doc, dict) or "msgType" not in doc:
            return None
        return str(doc["msgType"]), {str(k): str(v) for k, v in doc.items() if k != "msgType"}
    first, _, rest = text.partition(",")
    key, eq, kind = first.partition("=")
    if key.strip() != "msgType" or not eq or not kind.strip():
        return None
    pairs: dict[str, str] = {}
    for piece in rest.split(","):
        name, eq, value = piece.partition("=")
        if eq and name.strip():
            pairs[name.strip()] = value.strip()
    return kind.strip(), pairs


def from_dsmr_logger_ws(pairs: Mapping[str, str], source: str, received: datetime) -> BridgeReading:
    """The values of one ``msgType=Actual`` answer, under our field names."""
    b = _Builder()
    for key, value in pairs.items():
        low = key.lower()
        if low in _AS_LOGGER:
            ours, kind, unit = _LOGGER[_AS_LOGGER[low]]
            b.put(ours, _convert(kind, value), unit)
        elif low in _WATTS:
            ours, _, unit = _LOGGER[_WATTS[low]]
            watts = _convert("q", value)
            b.put(ours, None if watts is None else watts / _KILO, unit)
        elif low in _OWN:
            ours, kind, unit = _OWN[low]
            b.put(ours, _convert(kind, value), unit)
        else:  # MPD / MPR (peak power "@" time), theTime: kept as the firmware wrote them
            b.extra[key] = value
    return b.reading(source, DEVICE, dict(pairs), received)


def _websocket() -> Any:
    try:
        import websocket
    except ImportError:
        raise MissingDependency(
            "ws:// sources (DSMRloggerWS) need websocket-client: pip install 'dsmrparse[websocket]'"
        ) from None
    return websocket


class _FrameTooLong(Exception):
    pass


class WsBridge:
    """One DSMRloggerWS connection at a time, driven in short steps by a Source."""

    polls = True  # the firmware answers when asked (tabActual); a pushing device does not

    def __init__(self, url: str, pipe: Pipeline, backoff: Backoff) -> None:
        self.lib = _websocket()  # fails at open(), before any iteration
        self.url = ws_url(url)
        self.pipe = pipe
        self.backoff = backoff
        self.conn: Any = None
        self.pending: dict[str, str] = {}  # Actual pairs of the answer being received
        self.pending_since = 0.0  # when its first frame came
        self.last_fields: dict[str, Any] | None = None
        self.last_frame = 0.0
        self.next_poll = 0.0

    # ---- the two loops a Source runs -------------------------------------------------------
    def run(self, wait: Callable[[float], bool], closed: threading.Event) -> Iterator[Item]:
        try:
            while not closed.is_set():
                items, pause = self.step()
                yield from items
                if pause and not wait(pause):
                    return
        finally:
            self.disconnect()

    async def arun(
        self, wait: Callable[[float], Awaitable[bool]], closed: threading.Event
    ) -> AsyncIterator[Item]:
        import asyncio

        try:
            while not closed.is_set():
                items, pause = await asyncio.to_thread(self.step)
                for item in items:
                    yield item
                if pause and not await wait(pause):
                    return
        finally:
            await asyncio.to_thread(self.disconnect)

    # ---- one step ---------------------------------------------------------------------------
    def step(self) -> tuple[list[Item], float]:
        """Connect, or ask for the actual values when due and read for at most a tick.

        Returns what came and how long to pause before the next step (a back-off after a failure).
        The async variant runs steps one at a time in worker threads, never two at once.
        """
        if self.conn is None:
            return self._connect()
        return self._read()

    def _connect(self) -> tuple[list[Item], float]:
        opts = self.pipe.opts
        try:
            conn = self.lib.create_connection(
                self.url, timeout=opts.timeout, skip_utf8_validation=True, **self._options()
            )
        except Exception as exc:  # refused, unreachable, a non-websocket answer, a bad handshake
            cause = f"cannot open {self.pipe.source}: {exc or type(exc).__name__}"
            items = self.pipe.skip("connection", cause)
            return items, self.backoff.failure(cause)
        _bound_frames(conn, opts.max_frame)
        self.conn = conn
        stats = self.pipe.stats
        if stats.connects:
            stats.reconnects += 1
        stats.connects += 1
        self.last_frame = self.next_poll = time.monotonic()
        return [], 0.0

    def _options(self) -> dict[str, Any]:
        """More keywords for ``create_connection`` (TLS settings in a subclass)."""
        return {}

    def _read(self) -> tuple[list[Item], float]:
        opts = self.pipe.opts
        items: list[Item] = []
        now = time.monotonic()
        if self.polls and self.pending and now >= self.next_poll:
            # an answer is still coming in: give its frames time before the next question
            self.next_poll = max(self.next_poll, self.pending_since + _ANSWER_TIME)
        if self.polls and now >= self.next_poll:
            items += self._complete()  # a build that never sends theTime: its answer ends here
            try:
                self.conn.send(ASK_ACTUAL)
            except Exception as exc:
                return self._lost(items, f"link lost: {exc}")
            self.next_poll = now + max(opts.interval, _MIN_INTERVAL)
        tick = min(_TICK, max(self.next_poll - now, 0.01)) if self.polls else _TICK
        if opts.watchdog is not None:
            tick = min(tick, max(opts.watchdog - (now - self.last_frame), 0.01))
        self.conn.settimeout(tick)
        try:
            opcode, data = self.conn.recv_data()
        except self.lib.WebSocketTimeoutException:
            if opts.watchdog is not None and time.monotonic() - self.last_frame >= opts.watchdog:
                return self._lost(
                    items, f"no data for {opts.watchdog:g} s (watchdog): reconnecting"
                )
            return items, 0.0
        except _FrameTooLong as exc:
            return self._lost(items, f"frame of {exc} bytes is longer than max_frame")
        except Exception as exc:  # closed, reset, a protocol error: the link is gone
            return self._lost(items, f"link lost: {exc or type(exc).__name__}")
        self.last_frame = time.monotonic()
        if opcode == self.lib.ABNF.OPCODE_CLOSE:
            return self._lost(items, "the bridge closed the connection")
        self.pipe.stats.bytes += len(data)
        return items + self._frame(opcode, data), 0.0

    def _frame(self, opcode: int, data: bytes | str) -> list[Item]:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        message = None
        if opcode == self.lib.ABNF.OPCODE_TEXT:
            try:
                message = parse_message(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                return self.pipe.skip("junk", f"a text frame that is not UTF-8 ({exc.reason})")
        if message is None:
            snippet = raw[:60].decode("latin-1", "replace")
            return self.pipe.skip("junk", f"not a DSMRloggerWS message: {snippet!r}", data=raw)
        kind, pairs = message
        if kind.lower() != "actual":
            return []  # clock, devInfo, ConnectState...: alive, but no meter values
        items: list[Item] = []
        if "TS" in pairs and "TS" in self.pending:  # a new answer began before the last ended
            items += self._complete()
        if not self.pending:
            self.pending_since = time.monotonic()
        self.pending.update(pairs)
        if "theTime" in pairs:  # the last key of every known build's answer
            items += self._complete()
        return items

    def _complete(self) -> list[Item]:
        pairs, self.pending = self.pending, {}
        if not pairs:
            return []
        try:
            reading = from_dsmr_logger_ws(pairs, self.pipe.source, now_utc())
        except ValueError as exc:  # a number out of bounds, NaN...: this answer only
            return self.pipe.skip("junk", f"an Actual answer with a bad value: {exc}")
        if not reading.fields:
            return self.pipe.skip("junk", f"an Actual answer without known values: {pairs!r:.80}")
        if self.pipe.opts.dedupe and reading.fields == self.last_fields:
            self.pipe.stats.duplicates += 1
            return []
        self.last_fields = reading.fields
        self.pipe.stats.telegrams += 1
        self.backoff.success()
        return [reading]

    def _lost(self, items: list[Item], reason: str) -> tuple[list[Item], float]:
        """Drop the connection; ``items`` came before the loss."""
        if self.pending:  # an answer cut off: never handed out as whole
            items += self.pipe.skip("damaged", f"answer cut off: {self.pending!r:.80}")
            self.pending = {}
        self.disconnect()
        items += self.pipe.skip("connection", reason)
        return items, self.backoff.failure()

    def disconnect(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close(timeout=0.2)
            except Exception:  # the link may be gone already
                conn.shutdown()


def _bound_frames(conn: Any, limit: int) -> None:
    """Refuse a frame longer than ``limit`` before its payload is read: websocket-client would
    otherwise buffer whatever length a garbled header claims."""
    buffer = getattr(conn, "frame_buffer", None)
    if buffer is None or not hasattr(buffer, "length") or not hasattr(buffer, "recv"):
        return  # another websocket-client layout: frames stay unbounded, as the package has them
    recv = buffer.recv

    def bounded(size: int) -> Any:
        if buffer.length is not None and buffer.length > limit:
            raise _FrameTooLong(buffer.length)
        return recv(size)

    buffer.recv = bounded
