"""HomeWizard P1 meter, API v2 push: ``wss://host/api/ws``.

The device greets with ``{"type": "authorization_requested"}``, takes ``{"type":
"authorization", "data": TOKEN}``, answers ``{"type": "authorized"}``, and after ``{"type":
"subscribe", "data": "measurement"}`` sends a ``{"type": "measurement", "data": {...}}`` message
whenever the values change; ``data`` is what ``/api/measurement`` gives. The connection, back-off,
watchdog and frame bound are the DSMRloggerWS bridge's (ws.py); only the messages differ.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import SourceError
from .common import Backoff, Item, Pipeline, now_utc
from .fields import from_homewizard, loads
from .httpget import tls_context
from .ws import WsBridge

__all__ = ["HomeWizardPush", "push_url", "is_push"]


def is_push(url: str) -> bool:
    """``wss://`` (any path) and ``ws://host/api/ws`` are HomeWizard's push API."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "wss" or parts.path.rstrip("/").lower() == "/api/ws"


def push_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path if parts.path not in ("", "/") else "/api/ws"
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, parts.query, ""))


class HomeWizardPush(WsBridge):
    polls = False

    def __init__(self, url: str, pipe: Pipeline, backoff: Backoff) -> None:
        if not pipe.opts.token:
            raise ValueError(
                f"{url}: HomeWizard's push API needs token= (press the meter's button, then "
                "POST /api/user; see docs/sources.md)"
            )
        super().__init__(url, pipe, backoff)
        self.url = push_url(url)
        self.authorized = False

    def _options(self) -> dict[str, Any]:
        opts = self.pipe.opts
        sslopt: dict[str, Any] = {"context": tls_context(opts.verify)}
        if opts.server_name:
            sslopt["server_hostname"] = opts.server_name
        if opts.verify is False:
            sslopt.update(cert_reqs=0, check_hostname=False)
        return {"sslopt": sslopt} if self.url.startswith("wss:") else {}

    def _connect(self) -> tuple[list[Item], float]:
        self.authorized = False
        return super()._connect()

    def _frame(self, opcode: int, data: bytes | str) -> list[Item]:
        raw = data.encode("utf-8") if isinstance(data, str) else data
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

    def _measurement(self, data: Any) -> list[Item]:
        try:
            reading = from_homewizard(data, self.pipe.source, now_utc())
        except ValueError as exc:  # not an object, NaN, a number out of bounds
            return self.pipe.skip("junk", f"a measurement with a bad value: {exc}")
        if self.pipe.opts.dedupe and reading.fields == self.last_fields:
            self.pipe.stats.duplicates += 1
            return []
        self.last_fields = reading.fields
        self.pipe.stats.telegrams += 1
        self.backoff.success()
        return [reading]

    def _send(self, message: dict[str, Any]) -> None:
        # when the link is gone, the next read sees it and reconnects
        with contextlib.suppress(Exception):
            self.conn.send(json.dumps(message))
