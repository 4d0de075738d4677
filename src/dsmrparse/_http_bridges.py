"""HTTP bridges polled with the standard library: the DSMR-logger (v4 REST API and the older ESP-01
firmware) and HomeWizard-style P1 dongles.

A full endpoint URL is used as given; a bare ``http://host`` is probed once to find the device.
Raw telegram answers go through a FrameScanner, so padding, junk and cut-off telegrams are handled
exactly as on a serial line; JSON answers become :class:`BridgeReading` records.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from ._bridge_fields import from_dsmr_logger, from_esp01, from_homewizard, loads
from ._links import LinkLost
from ._source_common import Item, Pipeline, now_utc
from .errors import SourceError

__all__ = ["Endpoint", "classify", "HttpPoller", "MAX_BODY"]

MAX_BODY = 256 * 1024  # no bridge answer is near this; a bound keeps memory bounded

RAW = "raw"
LOGGER_JSON = "dsmr-logger"
ESP01_JSON = "dsmr-logger-esp01"
HOMEWIZARD_JSON = "homewizard"
GUESS = "guess"

_PATHS = {
    "/api/v1/sm/telegram": RAW,
    "/api/v1/telegram": RAW,
    "/api/v1/sm/actual": LOGGER_JSON,
    "/api/v1/sm/fields": LOGGER_JSON,
    "/api/v0/sm/actual": LOGGER_JSON,
    "/getactual.json": ESP01_JSON,
    "/api/v1/data": HOMEWIZARD_JSON,
}


class Endpoint(NamedTuple):
    url: str
    kind: str  # RAW or one of the JSON shapes, or GUESS (decided from each answer)
    device: str  # "dsmr-logger", "dsmr-logger-esp01", "homewizard" or "unknown"


def classify(url: str) -> Endpoint | None:
    """The endpoint a full URL names, or None for a bare host that needs probing."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/").lower()
    if not path:
        return None
    kind = _PATHS.get(path)
    if path.startswith("/api/v1/sm/fields"):
        kind = LOGGER_JSON
    if kind is None:
        return Endpoint(url, GUESS, "unknown")
    if kind == RAW:
        device = HOMEWIZARD_JSON if path == "/api/v1/telegram" else LOGGER_JSON
    else:
        device = kind
    return Endpoint(url, kind, device)


class _Answer(NamedTuple):
    status: int
    body: bytes


def fetch(url: str, timeout: float) -> _Answer:
    """One GET; HTTP error statuses are answers, network failures raise LinkLost."""
    request = urllib.request.Request(url, headers={"User-Agent": "dsmrparse", "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http only)
            return _Answer(response.status, response.read(MAX_BODY))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(4096)
        except OSError:
            body = b""
        return _Answer(exc.code, body)
    except (urllib.error.URLError, OSError, socket.timeout) as exc:
        reason = getattr(exc, "reason", exc)
        raise LinkLost(f"GET {url}: {reason}") from exc
    except Exception as exc:  # http.client raises its own types on a garbled status line
        raise LinkLost(f"GET {url}: {type(exc).__name__}: {exc}") from exc


def _base(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _json(answer: _Answer) -> Any:
    if answer.status != 200:
        return None
    try:
        return loads(answer.body)
    except (ValueError, json.JSONDecodeError):
        return None


def probe(url: str, timeout: float, prefer: str) -> Endpoint:
    """Which bridge answers at a bare ``http://host``; LinkLost when nothing answers at all."""
    base = _base(url)
    raw_wanted = prefer != "json"
    reached = False
    checks = (
        (
            "/api/v1/dev/info",
            lambda d: isinstance(d, dict) and "devinfo" in d,
            LOGGER_JSON,
            "/api/v1/sm/telegram",
            "/api/v1/sm/actual",
        ),
        (
            "/api",
            lambda d: isinstance(d, dict) and "product_type" in d,
            HOMEWIZARD_JSON,
            "/api/v1/telegram",
            "/api/v1/data",
        ),
        ("/getDeviceInfo.json", lambda d: isinstance(d, dict), ESP01_JSON, None, "/getActual.json"),
        (
            "/api/v1/data",
            lambda d: isinstance(d, dict) and any(k.startswith("total_power") for k in d),
            HOMEWIZARD_JSON,
            "/api/v1/telegram",
            "/api/v1/data",
        ),
    )
    last_error = ""
    for path, test, device, raw_path, json_path in checks:
        try:
            answer = fetch(base + path, timeout)
        except LinkLost as exc:
            last_error = str(exc)
            continue
        reached = True
        if test(_json(answer)):
            if raw_wanted and raw_path is not None:
                return Endpoint(base + raw_path, RAW, device)
            return Endpoint(base + json_path, device, device)
    if not reached:
        raise LinkLost(last_error or f"{base}: no answer")
    raise SourceError(
        f"{base} answers HTTP but is no known bridge (DSMR-logger, ESP-01 logger, HomeWizard); "
        "give the full endpoint URL"
    )


_PARSERS = {LOGGER_JSON: from_dsmr_logger, ESP01_JSON: from_esp01, HOMEWIZARD_JSON: from_homewizard}


class HttpPoller:
    """One poll at a time: fetch, then hand the answer to the pipeline."""

    def __init__(self, url: str, pipe: Pipeline) -> None:
        self.url = url
        self.pipe = pipe
        self.endpoint = classify(url)

    def poll(self) -> tuple[list[Item], bool]:
        """The results of one poll, and whether the bridge answered sensibly (else back off)."""
        opts = self.pipe.opts
        if self.endpoint is None:
            try:
                self.endpoint = probe(self.url, opts.timeout, opts.http)
            except LinkLost as exc:
                return self.pipe.skip("connection", f"no bridge reachable: {exc}"), False
            self.pipe.stats.connects += 1
        endpoint = self.endpoint
        try:
            answer = fetch(endpoint.url, opts.timeout)
        except LinkLost as exc:
            return self.pipe.skip("connection", str(exc)), False
        self.pipe.stats.bytes += len(answer.body)
        if answer.status != 200:
            snippet = answer.body[:80].decode("latin-1", "replace").strip()
            return self.pipe.skip(
                "http", f"HTTP {answer.status} from {endpoint.url}: {snippet!r}", data=answer.body
            ), False
        return self._interpret(endpoint, answer.body), True

    def _interpret(self, endpoint: Endpoint, body: bytes) -> list[Item]:
        kind = endpoint.kind
        if kind == GUESS:
            kind = _guess(body)
        if kind == RAW:
            return self._raw(body)
        parser = _PARSERS.get(kind)
        data = _json(_Answer(200, body))
        if parser is None or data is None:
            return self.pipe.skip(
                "http", f"{endpoint.url}: neither a telegram nor known JSON", data=body[:4096]
            )
        try:
            reading = parser(data, endpoint.url, now_utc())
        except ValueError as exc:
            return self.pipe.skip("http", f"{endpoint.url}: {exc}", data=body[:4096])
        self.pipe.stats.telegrams += 1
        return [reading]

    def _raw(self, body: bytes) -> list[Item]:
        if b"/" not in body:
            text = body.strip(b"\r\n\t \x00\xff").decode("latin-1", "replace")
            if not text or "no telegram" in text.lower():
                return self.pipe.skip("empty", f"bridge has no telegram: {text[:60]!r}")
            return self.pipe.skip("junk", f"answer holds no telegram: {text[:60]!r}", data=body)
        scanner = self.pipe.scanner()  # a fresh one per answer: answers never join up
        frames = scanner.feed(body) + scanner.flush()
        return self.pipe.frames(frames, dedupe=self.pipe.opts.dedupe)


def _guess(body: bytes) -> str:
    head = body.lstrip(b"\r\n\t \xff\x00")[:1]
    if head not in (b"{", b"["):
        return RAW
    data = _json(_Answer(200, body))
    if not isinstance(data, dict):
        return RAW
    keys = {str(k).lower() for k in data}
    if keys & {"actual", "fields"} or "energy_delivered_tariff1" in keys:
        return LOGGER_JSON
    if any(k.startswith("total_power_") or k.startswith("active_power") for k in keys):
        return HOMEWIZARD_JSON
    return ESP01_JSON
