"""The DSMR-logger's older websocket firmware (DSMRloggerWS): ``ws://host:81``.

The firmware serves its web page's data over a websocket on port 81 as text frames of
``msgType=Name,key=value,...`` pairs. Sending ``tabActual`` asks for the actual values: one
``msgType=Actual`` frame (early builds) or several (later builds), the last one ending in
``theTime``. Between answers it sends ``msgType=clock`` frames every few seconds, and on connect a
JSON ``{"msgType":"ConnectState",...}``. There is no raw telegram, so each answer becomes a
:class:`~dsmrparse.hardware.BridgeReading`.

:class:`LoggerWs` is only the meaning of these messages; the connection, the rhythm of questions,
the watchdog, back-off and de-duplication are the websocket session's (ws_session.py), and the
transport is wslink.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from .common import Item, Pipeline, now_utc
from .fields import _KILO, _LOGGER, BridgeReading, _Builder, _convert, loads

__all__ = ["LoggerWs", "ws_url", "parse_message", "from_dsmr_logger_ws", "DEFAULT_PORT"]

DEFAULT_PORT = 81  # the firmware's websocket server; its web page connects to ws://host:81/
DEVICE = "dsmr-logger-ws"
ASK_ACTUAL = "tabActual"  # what the firmware's web page sends (every 10 s) for the actual values

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


class LoggerWs:
    """What DSMRloggerWS messages mean (a :class:`~.ws_session.WsProtocol`): the frames of one
    ``msgType=Actual`` answer are gathered into one reading."""

    polls = True
    ask = ASK_ACTUAL

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe
        self.pending: dict[str, str] = {}  # Actual pairs of the answer being received
        self.pending_since: float | None = None  # when its first frame came
        self.outbox: list[str] = []

    def reset(self) -> None:
        self.pending, self.pending_since, self.outbox = {}, None, []

    def feed(self, text: bool, raw: bytes, now: float) -> list[Item]:
        message = None
        if text:
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
            items += self.complete()
        if not self.pending:
            self.pending_since = now
        self.pending.update(pairs)
        if "theTime" in pairs:  # the last key of every known build's answer
            items += self.complete()
        return items

    def complete(self) -> list[Item]:
        pairs, self.pending, self.pending_since = self.pending, {}, None
        if not pairs:
            return []
        try:
            reading = from_dsmr_logger_ws(pairs, self.pipe.source, now_utc())
        except ValueError as exc:  # a number out of bounds, NaN...: this answer only
            return self.pipe.skip("junk", f"an Actual answer with a bad value: {exc}")
        if not reading.fields:
            return self.pipe.skip("junk", f"an Actual answer without known values: {pairs!r:.80}")
        return [reading]

    def cut(self) -> list[Item]:
        pairs, self.pending, self.pending_since = self.pending, {}, None
        if not pairs:
            return []
        return self.pipe.skip("damaged", f"answer cut off: {pairs!r:.80}")  # never a whole one
