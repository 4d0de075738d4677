"""An OpenAPI 3.1 description of every endpoint, at ``/api/openapi.json``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .. import __version__
from .state import json_response

__all__ = ["routes", "document", "ENDPOINTS"]

routes = web.RouteTableDef()

_RANGE = [
    {"name": "from", "in": "query", "schema": {"type": "string"},
     "description": "ISO 8601 (meter's local time without offset) or epoch seconds"},
    {"name": "to", "in": "query", "schema": {"type": "string"},
     "description": "end, exclusive; same forms as from"},
]  # fmt: skip
_NAME = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]

# (method, path, summary, parameters, write)
ENDPOINTS: list[tuple[str, str, str, list[dict[str, Any]], bool]] = [
    ("get", "/api/v1/sm/actual", "Main values of the last telegram", [], False),
    ("get", "/api/v0/sm/actual", "The same as one flat object (firmware v0)", [], False),
    ("get", "/api/v1/sm/info", "Identification fields of the meter", [], False),
    ("get", "/api/v1/sm/fields", "Every field; '-' for those the meter does not send", [], False),
    ("get", "/api/v1/sm/fields/{name}", "timestamp and the fields whose name starts with name",
     _NAME, False),
    ("get", "/api/v1/sm/telegram", "The last raw telegram as text", [], False),
    ("get", "/api/v1/dev/info", "Device information (firmware shape plus our store/source state)",
     [], False),
    ("get", "/api/v1/dev/time", "Meter time and uptime", [], False),
    ("get", "/api/v1/dev/settings", "Settings as name/value/type/limits rows", [], False),
    ("post", "/api/v1/dev/settings", 'Change one setting: {"name": ..., "value": ...}', [], True),
    ("get", "/api/v1/hist/hours", "Hour history: newest 49 (firmware) or a from/to range",
     _RANGE, False),
    ("get", "/api/v1/hist/days", "Day history: newest 15 or a from/to range", _RANGE, False),
    ("get", "/api/v1/hist/months", "Month history: newest 25 or a from/to range", _RANGE, False),
    ("get", "/api/v1/hist/hours/desc", "Hour history, oldest first (the firmware's 'desc')", [],
     False),
    ("get", "/api/v1/hist/days/desc", "Day history, oldest first", [], False),
    ("get", "/api/v1/hist/months/desc", "Month history, oldest first", [], False),
    ("post", "/api/v1/hist/months", 'Correct a month: {"recid": "YYMM", "edt1": ..., "gdt": ...}',
     [], True),
    ("get", "/api/v2/telegram", "The last telegram in the interchange form", [], False),
    ("get", "/api/v2/status", "Source and store state, counts", [], False),
    ("get", "/api/v2/readings", "Fine readings in a from/to range", _RANGE, False),
    ("get", "/api/v2/events", "Server-sent events: 'telegram' and 'status'", [], False),
    ("get", "/metrics", "Prometheus text format", [], False),
    ("get", "/api/openapi.json", "This description", [], False),
]  # fmt: skip


def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, parameters, write in ENDPOINTS:
        operation: dict[str, Any] = {
            "summary": summary,
            "responses": {
                "200": {"description": "OK"},
                "400": {"description": "bad request (JSON error)"},
            },
        }
        if parameters:
            operation["parameters"] = parameters
        if write:
            operation["security"] = [{"bearer": []}]
            operation["requestBody"] = {
                "content": {"application/json": {"schema": {"type": "object"}}}
            }
            operation["responses"]["401"] = {"description": "token missing or wrong"}
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "dsmrparse serve (DSMR-logger compatible)", "version": __version__},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(json.dumps(document()))
