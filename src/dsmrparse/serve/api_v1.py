"""The REST API of the DSMRloggerAPI firmware (v1, and the flat v0 ``actual``): same paths, same
JSON shapes, same names and units, so the firmware's clients work unchanged.

Where we differ on purpose: unknown paths answer a JSON 404 (the firmware sends an HTML page);
``/api/v1/sm/telegram`` returns the last telegram at once (the firmware waits for the next one);
GET settings shows the MQTT password masked.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from .. import __version__, dumps
from . import firmware, history
from .settings import SettingError
from .state import LOGGER, SAVE_SETTINGS, json_response, problem

__all__ = ["routes"]

routes = web.RouteTableDef()


def _list(name: str, rows: list[dict[str, Any]]) -> web.Response:
    return json_response(dumps({name: rows}))


@routes.get("/api/v1/sm/actual")
async def sm_actual(request: web.Request) -> web.Response:
    return json_response(request.app[LOGGER].actual_body)


@routes.get("/api/v1/sm/info")
async def sm_info(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    if logger.last is None:
        return _list("info", [])
    return _list("info", firmware.rows(logger.last, logger.settings.mbus_types, "info"))


@routes.get("/api/v1/sm/fields")
@routes.get("/api/v1/sm/fields/{name}")
async def sm_fields(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    prefix = request.match_info.get("name", "")
    if logger.last is None:
        return _list("fields", [])
    return _list("fields", firmware.rows(logger.last, logger.settings.mbus_types, "fields", prefix))


@routes.get("/api/v0/sm/actual")
async def v0_actual(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    if logger.last is None:
        return json_response("{}")
    flat = {
        r["name"]: r["value"]
        for r in firmware.rows(logger.last, logger.settings.mbus_types, "actual")
    }
    return json_response(dumps(flat))


@routes.get("/api/v1/sm/telegram")
async def sm_telegram(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    if logger.last is None:
        return web.Response(text="no telegram received", content_type="application/plain")
    raw = logger.last.raw
    if not raw.endswith(b"\n"):  # as on the wire (the firmware too ends it with a line end)
        raw += b"\r\n" if logger.last.line_ending != "LF" else b"\n"
    return web.Response(body=raw, content_type="application/plain")


def _uptime(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 86400}(d)-{whole % 86400 // 3600:02d}:{whole % 3600 // 60:02d}(H:m)"


def _row(name: str, value: Any, unit: str = "") -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit} if unit else {"name": name, "value": value}


@routes.get("/api/v1/dev/info")
async def dev_info(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    s = logger.settings
    up = time.time() - logger.started
    try:
        disk = shutil.disk_usage(logger.data_dir)
        free_mb = round(disk.free / 2**20)
    except OSError:
        free_mb = -1
    mqtt = logger.mqtt
    rows = [
        _row("author", "dsmrparse"),
        _row("fwversion", f"dsmrparse-{__version__}"),
        _row("compiled", "python"),
        _row("hostname", s.hostname or socket.gethostname()),
        _row("ipaddress", request.host.rsplit(":", 1)[0] if request.host else ""),
        _row("indexfile", s.index_page),
        _row("filesystem_free", free_mb, "MB"),
        _row("uptime", _uptime(up)),
        _row("uptime_secs", int(up), "sec"),
        _row("smhasfaseinfo", s.sm_has_fase_info),
        _row("telegraminterval", s.tlgrm_interval),
        _row("telegramcount", logger.telegram_count),
        _row("telegramerrors", logger.telegram_errors),
        _row("mqttbroker", f"{s.mqtt_broker}:{s.mqtt_broker_port:04d}"),
        _row("mqttinterval", s.mqtt_interval),
        _row("mqttbroker_connected", "yes" if mqtt is not None and mqtt.connected else "no"),
        _row("reboots", 0),
        _row("lastreset", "start"),
        # ours
        _row("source", logger.source_state),
        _row("source_error", logger.source_error or ""),
        _row("store", str(logger.store.path)),
        _row("store_schema", logger.store.schema_version),
        _row("store_error", logger.store.error or ""),
        _row("pid", os.getpid()),
    ]
    return _list("devinfo", rows)


@routes.get("/api/v1/dev/time")
async def dev_time(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    stamp = ""
    moment = datetime.now(timezone.utc)
    if logger.last is not None:
        values = firmware.values(logger.last, logger.settings.mbus_types)
        stamp = str(values.get("timestamp", ("", ""))[0])
        if logger.last.timestamp is not None:
            moment = logger.last.timestamp
    up = time.time() - logger.started
    rows = [
        _row("timestamp", stamp),
        _row("time", moment.strftime("%Y-%m-%d %H:%M:%S")),
        _row("epoch", int(moment.timestamp())),
        _row("uptime", _uptime(up)),
        _row("uptime_secs", int(up), "sec"),
    ]
    return _list("devtime", rows)


@routes.get("/api/v1/dev/settings")
async def dev_settings(request: web.Request) -> web.Response:
    return _list("settings", request.app[LOGGER].settings.firmware_view())


async def _json_body(request: web.Request) -> Any:
    text = await request.text()  # aiohttp answers 413 beyond client_max_size
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise problem(400, f"the body is not JSON: {exc}") from None


@routes.post("/api/v1/dev/settings")
@routes.put("/api/v1/dev/settings")
async def dev_settings_write(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict) or "name" not in body or "value" not in body:
        raise problem(400, 'expected {"name": SETTING, "value": VALUE}')
    logger = request.app[LOGGER]
    try:
        new = logger.settings.update(str(body["name"]), body["value"])
    except SettingError as exc:
        raise problem(400, str(exc)) from None
    request.app[SAVE_SETTINGS](str(body["name"]))
    return json_response(dumps({"name": body["name"], "value": new}))


@routes.get("/api/v1/hist/{kind:hours|days|months}")
@routes.get("/api/v1/hist/{kind:hours|days|months}/{order:desc}")
async def hist(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    kind = request.match_info["kind"]
    query = request.query
    if "from" in query or "to" in query:
        zone = logger.zone(logger.last) if logger.last is not None else None
        try:
            since = history.parse_when(query.get("from"), zone)
            until = history.parse_when(query.get("to"), zone)
        except ValueError as exc:
            raise problem(400, f"from/to: {exc}") from None
        body = history.range_view(logger.store, logger.settings, kind, since, until, zone)
        return json_response(dumps(body))
    desc = request.match_info.get("order") == "desc"
    # the ring view changes only when a telegram is stored: many pollers share one answer
    key = (kind, desc, logger.store.writes, logger.store.corrections)
    cached = logger.cache.get(("hist", kind, desc))
    if cached is None or cached[0] != key:
        cached = (key, dumps(history.firmware_view(logger.store, kind, desc)))
        logger.cache[("hist", kind, desc)] = cached
    return json_response(cached[1])


@routes.post("/api/v1/hist/months")
@routes.put("/api/v1/hist/months")
async def hist_months_write(request: web.Request) -> web.Response:
    """Correct one month: ``{"recid": "YYMM", "edt1": ..., ..., "gdt": ...}`` (the firmware
    appends ``0101`` to the recid itself, so YYMM is what its pages send)."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise problem(400, "expected a JSON object")
    recid = str(body.get("recid", ""))
    if len(recid) < 4 or not recid[:4].isdigit() or not 1 <= int(recid[2:4]) <= 12:
        raise problem(400, f"recid {recid!r} is not YYMM")
    registers: dict[str, Decimal | None] = {}
    for name in ("edt1", "edt2", "ert1", "ert2", "gdt"):
        try:
            value = Decimal(str(body.get(name, "0")))
        except InvalidOperation:
            raise problem(400, f"{name}: {body.get(name)!r} is not a number") from None
        if not value.is_finite() or value < 0:
            raise problem(400, f"{name}: {value} is not a meter reading")
        registers[name] = value.quantize(Decimal("0.001"))
    logger = request.app[LOGGER]
    zone = logger.zone(logger.last) if logger.last is not None else None
    year, month = 2000 + int(recid[:2]), int(recid[2:4])
    start = datetime(year, month, 1, tzinfo=zone or timezone.utc)
    try:
        logger.store.correct_month(start, registers)
    except Exception as exc:
        raise problem(507, f"history store: {exc}") from None
    return json_response(dumps({"recid": recid[:4], **registers}))
