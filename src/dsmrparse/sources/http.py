"""HTTP(S) bridges: the DSMR-logger (v4 REST API, DSMR-logger32/ESP32 v2 API, the websocket
firmware's ``/restAPI`` and the older ESP-01 firmware) and HomeWizard P1 meters (API v1, and API v2
over HTTPS with a bearer token).

A full endpoint URL is used as given; a bare ``http://host`` is probed once to find the device.
Raw telegram answers go through a FrameScanner, so padding, junk and cut-off telegrams are handled
exactly as on a serial line; JSON answers become :class:`BridgeReading` records. Every request has
one deadline (``timeout``) and a body bound (``max_body``), and ``close()`` cuts it short.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..errors import SourceError
from .common import Item, Pipeline, now_utc
from .fields import (
    BridgeReading,
    from_dsmr_logger,
    from_esp01,
    from_homewizard,
    known_esp01,
    loads,
)
from .httpget import Answer, BadAnswer, Cancelled, get, tls_context
from .links import LinkLost

__all__ = ["Endpoint", "classify", "HttpPoller", "STRANGE_LIMIT"]

RAW = "raw"
LOGGER_JSON = "dsmr-logger"
ESP01_JSON = "dsmr-logger-esp01"
WS_REST_JSON = "dsmr-logger-ws"
HOMEWIZARD_JSON = "homewizard"
GUESS = "guess"

STRANGE_LIMIT = 3  # answers in a row that are no telegram and no bridge's JSON: a wrong URL

_PATHS = {
    "/api/v1/sm/telegram": (RAW, LOGGER_JSON),
    "/api/v2/sm/telegram": (RAW, LOGGER_JSON),
    "/api/v1/telegram": (RAW, HOMEWIZARD_JSON),
    "/api/telegram": (RAW, HOMEWIZARD_JSON),  # HomeWizard API v2
    "/api/v1/sm/actual": (LOGGER_JSON, LOGGER_JSON),
    "/api/v1/sm/fields": (LOGGER_JSON, LOGGER_JSON),
    "/api/v0/sm/actual": (LOGGER_JSON, LOGGER_JSON),
    "/api/v2/sm/actual": (LOGGER_JSON, LOGGER_JSON),
    "/api/v2/sm/fields": (LOGGER_JSON, LOGGER_JSON),
    "/getactual.json": (ESP01_JSON, ESP01_JSON),
    "/api/v1/data": (HOMEWIZARD_JSON, HOMEWIZARD_JSON),
    "/api/measurement": (HOMEWIZARD_JSON, HOMEWIZARD_JSON),  # HomeWizard API v2
}


class Endpoint(NamedTuple):
    url: str
    kind: str  # RAW or one of the JSON shapes, or GUESS (decided from each answer)
    device: str  # "dsmr-logger", "dsmr-logger-ws", "dsmr-logger-esp01", "homewizard", "unknown"


def classify(url: str) -> Endpoint | None:
    """The endpoint a full URL names, or None for a bare host that needs probing."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/").lower()
    if not path:
        return None
    if path == "/restapi":  # DSMRloggerWS: /restAPI?get=actual (or Actueel)
        query = parse_qs(parts.query)
        asked = [v.lower() for k, values in query.items() if k.lower() == "get" for v in values]
        if any(v in ("actual", "actueel") for v in asked):
            return Endpoint(url, WS_REST_JSON, WS_REST_JSON)
        return Endpoint(url, GUESS, "unknown")
    if path.startswith(("/api/v1/sm/fields", "/api/v2/sm/fields")):
        return Endpoint(url, LOGGER_JSON, LOGGER_JSON)
    kind, device = _PATHS.get(path, (GUESS, "unknown"))
    return Endpoint(url, kind, device)


def _base(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _json(answer: Answer) -> Any:
    if answer.status != 200:
        return None
    try:
        return loads(answer.body)
    except ValueError:
        return None


def _is_logger_info(d: Any) -> bool:
    return isinstance(d, dict) and "devinfo" in d


def _is_homewizard(d: Any) -> bool:
    return isinstance(d, dict) and "product_type" in d


def _is_ws_info(d: Any) -> bool:
    keys = {str(k).lower() for k in d} if isinstance(d, dict) else set()
    return bool(keys & {"identification", "p1_version"})


def _is_homewizard_data(d: Any) -> bool:
    return isinstance(d, dict) and any(str(k).startswith("total_power") for k in d)


# (path, test, device, raw path, JSON path), tried in this order on a bare http://host
_PROBES: tuple[tuple[str, Callable[[Any], bool], str, str | None, str], ...] = (
    ("/api/v1/dev/info", _is_logger_info, LOGGER_JSON, "/api/v1/sm/telegram", "/api/v1/sm/actual"),
    ("/api/v2/dev/info", _is_logger_info, LOGGER_JSON, "/api/v2/sm/telegram", "/api/v2/sm/actual"),
    ("/api", _is_homewizard, HOMEWIZARD_JSON, "/api/v1/telegram", "/api/v1/data"),
    ("/restAPI?get=devinfo", _is_ws_info, WS_REST_JSON, None, "/restAPI?get=actual"),
    ("/getDeviceInfo.json", lambda d: isinstance(d, dict), ESP01_JSON, None, "/getActual.json"),
    ("/api/v1/data", _is_homewizard_data, HOMEWIZARD_JSON, "/api/v1/telegram", "/api/v1/data"),
)


class HttpPoller:
    """One poll at a time: fetch, then hand the answer to the pipeline."""

    def __init__(self, url: str, pipe: Pipeline, cancel: threading.Event | None = None) -> None:
        self.url = url
        self.pipe = pipe
        self.cancel = cancel
        self.endpoint = classify(url)
        opts = pipe.opts
        self.headers = {"User-Agent": "dsmrparse", "Accept": "*/*"}
        if opts.token:  # HomeWizard API v2
            self.headers.update({"Authorization": f"Bearer {opts.token}", "X-Api-Version": "2"})
        self.tls = tls_context(opts.verify) if url.lower().startswith("https:") else None
        self.server_name = opts.server_name
        self.strange = 0  # answers in a row that were neither a telegram nor a bridge's JSON

    def fetch(self, url: str) -> Answer:
        opts = self.pipe.opts
        return get(
            url,
            timeout=opts.timeout,
            max_body=opts.max_body,
            headers=self.headers,
            cancel=self.cancel,
            tls=self.tls,
            server_name=self.server_name,
        )

    def poll(self) -> tuple[list[Item], bool, str | None]:
        """The results of one poll, whether the bridge answered sensibly (else back off), and the
        cause when it did not. SourceError when the URL is plainly no bridge."""
        if self.endpoint is None:
            try:
                self.endpoint = self.probe()
            except Cancelled:
                return [], True, None
            except (LinkLost, BadAnswer) as exc:
                cause = f"no bridge reachable: {exc}"
                return self.pipe.skip("connection", cause), False, cause
            self.pipe.stats.connects += 1
        endpoint = self.endpoint
        try:
            answer = self.fetch(endpoint.url)
        except Cancelled:
            return [], True, None
        except LinkLost as exc:
            return self.pipe.skip("connection", str(exc)), False, str(exc)
        except BadAnswer as exc:
            return self.pipe.skip("http", str(exc)), False, str(exc)
        stats = self.pipe.stats
        stats.bytes += len(answer.body)
        if not stats.connects:  # a full URL: the first answer says the bridge is there
            stats.connects = 1
        if answer.status != 200:
            snippet = answer.body[:80].decode("latin-1", "replace").strip()
            cause = f"HTTP {answer.status} from {endpoint.url}: {snippet!r}{_hint(answer.status)}"
            if answer.status == 401:  # a missing or wrong token does not mend itself
                raise SourceError(cause)
            if answer.status == 503 and b"no-telegram" in answer.body:  # HomeWizard v2
                return self.pipe.skip("empty", f"bridge has no telegram: {snippet!r}"), True, None
            return self.pipe.skip("http", cause, data=answer.body[:4096]), False, cause
        return self._interpret(endpoint, answer.body), True, None

    def probe(self) -> Endpoint:
        """Which bridge answers at a bare ``http://host``; LinkLost when nothing answers at all."""
        base = _base(self.url)
        secure = base.lower().startswith("https:")
        raw_wanted = self.pipe.opts.http != "json"
        reached = False
        last_error = ""
        for path, test, device, raw_path, json_path in _PROBES:
            try:
                answer = self.fetch(base + path)
            except (LinkLost, BadAnswer) as exc:
                if isinstance(exc, Cancelled):
                    raise
                last_error = str(exc)
                continue
            reached = True
            if answer.status == 401:
                raise SourceError(f"{base}{path} answers 401 Unauthorized{_hint(401)}")
            data = _json(answer)
            if not test(data):
                continue
            if device == HOMEWIZARD_JSON and (secure or _api_v2(data)):
                raw_path, json_path = "/api/telegram", "/api/measurement"
            if raw_wanted and raw_path is not None:
                return Endpoint(base + raw_path, RAW, device)
            return Endpoint(base + json_path, device, device)
        if not reached:
            raise LinkLost(last_error or f"{base}: no answer")
        raise SourceError(
            f"{base} answers HTTP but is no known bridge (DSMR-logger, DSMR-logger32, "
            "DSMRloggerWS, ESP-01 logger, HomeWizard); give the full endpoint URL"
        )

    # ---- one answer ----------------------------------------------------------------------
    def _interpret(self, endpoint: Endpoint, body: bytes) -> list[Item]:
        kind = endpoint.kind
        if _looks_html(body) and kind in (RAW, GUESS):
            return self._strange(endpoint, "an HTML page", body)
        if kind == GUESS:
            kind = _guess(body)
            if kind == GUESS:
                return self._strange(endpoint, "JSON that no known bridge sends", body)
        if kind == RAW:
            return self._raw(endpoint, body)
        self.strange = 0
        parser = _PARSERS[kind]
        try:
            data = loads(body)
            reading = parser(data, endpoint.url, now_utc())
        except ValueError as exc:  # not JSON, NaN, a number out of bounds, too deep, not UTF-8
            return self.pipe.skip("http", f"{endpoint.url}: {exc}", data=body[:4096])
        self.pipe.stats.telegrams += 1
        return [reading]

    def _raw(self, endpoint: Endpoint, body: bytes) -> list[Item]:
        if b"/" not in body:
            text = body.strip(b"\r\n\t \x00\xff").decode("latin-1", "replace")
            if not text or "no telegram" in text.lower():
                self.strange = 0
                return self.pipe.skip("empty", f"bridge has no telegram: {text[:60]!r}")
            return self._strange(endpoint, "text that holds no telegram", body)
        self.strange = 0
        scanner = self.pipe.scanner()  # a fresh one per answer: answers never join up
        frames = scanner.feed(body) + scanner.flush()
        return self.pipe.frames(frames, dedupe=self.pipe.opts.dedupe)

    def _strange(self, endpoint: Endpoint, what: str, body: bytes) -> list[Item]:
        self.strange += 1
        message = f"{endpoint.url} answers {what}, not a telegram or a known bridge's JSON"
        items = self.pipe.skip("http", message, data=body[:4096])
        if self.strange >= STRANGE_LIMIT:
            raise SourceError(f"{message} ({self.strange} answers in a row); check the URL")
        return items


_PARSERS: dict[str, Callable[[Any, str, datetime], BridgeReading]] = {
    LOGGER_JSON: from_dsmr_logger,
    ESP01_JSON: from_esp01,
    WS_REST_JSON: partial(from_esp01, device=WS_REST_JSON),
    HOMEWIZARD_JSON: from_homewizard,
}


def _hint(status: int) -> str:
    if status in (401, 403):
        return (
            " (HomeWizard API v2 wants a token: press the button on the meter, create a user "
            "with POST /api/user, and pass token=...)"
        )
    return ""


def _api_v2(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("api_version", "")).startswith("2")


def _looks_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<?xml")) or b"<html" in head


def _guess(body: bytes) -> str:
    head = body.lstrip(b"\r\n\t \xff\x00")[:1]
    if head not in (b"{", b"["):
        return RAW
    try:
        data = loads(body)
    except ValueError:
        return LOGGER_JSON  # JSON-looking but broken: the parser step reports why
    if not isinstance(data, dict):
        return GUESS
    keys = {str(k).lower() for k in data}
    if keys & {"actual", "fields"} or "energy_delivered_tariff1" in keys:
        return LOGGER_JSON
    if any(k.startswith(("total_power_", "active_power", "energy_import")) for k in keys):
        return HOMEWIZARD_JSON
    if known_esp01(data):
        return ESP01_JSON
    return GUESS
