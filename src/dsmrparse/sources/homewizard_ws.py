"""HomeWizard P1 meter, API v2 push: ``wss://host/api/ws``.

The device greets with ``{"type": "authorization_requested"}``, takes ``{"type":
"authorization", "data": TOKEN}``, answers ``{"type": "authorized"}``, and after ``{"type":
"subscribe", "data": "measurement"}`` sends a ``{"type": "measurement", "data": {...}}`` message
whenever the values change; ``data`` is what ``/api/measurement`` gives. Only the meaning of the
messages is here: the connection, back-off, watchdog, de-duplication and frame bound are the
websocket session's and link's (ws_session.py, wslink.py), shared with DSMRloggerWS.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import SourceError
from .common import Item, Options, Pipeline, now_utc
from .fields import from_homewizard, loads
from .httpget import tls_context

__all__ = ["HomeWizardPush", "push_url", "push_options", "is_push"]


def is_push(url: str) -> bool:
    """``wss://`` (any path) and ``ws://host/api/ws`` are HomeWizard's push API."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "wss" or parts.path.rstrip("/").lower() == "/api/ws"


def push_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path if parts.path not in ("", "/") else "/api/ws"
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, parts.query, ""))


def push_options(url: str, opts: Options) -> dict[str, Any]:
    """TLS settings for websocket-client's ``create_connection`` (the device's own certificate)."""
    if not url.startswith("wss:"):
        return {}
    sslopt: dict[str, Any] = {"context": tls_context(opts.verify)}
    if opts.server_name:
        sslopt["server_hostname"] = opts.server_name
    if opts.verify is False:
        sslopt.update(cert_reqs=0, check_hostname=False)
    return {"sslopt": sslopt}


class HomeWizardPush:
    """What the push API's messages mean (a :class:`~.ws_session.WsProtocol`): the authorise and
    subscribe exchange, then one reading per measurement."""

    polls = False
    ask = ""
    pending_since: float | None = None  # a measurement is one message: nothing is ever pending

    def __init__(self, url: str, pipe: Pipeline) -> None:
        if not pipe.opts.token:
            raise ValueError(
                f"{url}: HomeWizard's push API needs token= (press the meter's button, then "
                "POST /api/user; see docs/sources.md)"
            )
        self.url = push_url(url)
        self.pipe = pipe
        self.authorized = False
        self.outbox: list[str] = []

    def reset(self) -> None:
        self.authorized, self.outbox = False, []

    def feed(self, text: bool, raw: bytes, now: float) -> list[Item]:
        try:
            message = loads(raw)
        except ValueError as exc:
            return self.pipe.skip("junk", f"not a HomeWizard message: {exc}", data=raw[:4096])
        if not isinstance(message, dict):
            return self.pipe.skip("junk", f"not a HomeWizard message: {raw[:60]!r}")
        kind = message.get("type")
        if kind == "authorization_requested":
            self._send({"type": "authorization", "data": self.pipe.opts.token})
        elif kind == "authorized":
            self.authorized = True
            self._send({"type": "subscribe", "data": "measurement"})
        elif kind == "error":
            detail = str(message.get("data"))[:120]
            if not self.authorized:  # a wrong token: no retry mends it
                raise SourceError(f"{self.url}: the device refused the token: {detail}")
            return self.pipe.skip("junk", f"the device reports an error: {detail}")
        elif kind == "measurement":
            return self._measurement(message.get("data"))
        return []  # device, system...: alive, but no meter values

    def complete(self) -> list[Item]:
        return []

    def cut(self) -> list[Item]:
        return []

    def _measurement(self, data: Any) -> list[Item]:
        try:
            return [from_homewizard(data, self.pipe.source, now_utc())]
        except ValueError as exc:  # not an object, NaN, a number out of bounds
            return self.pipe.skip("junk", f"a measurement with a bad value: {exc}")

    def _send(self, message: dict[str, Any]) -> None:
        self.outbox.append(json.dumps(message))
