"""What the request handlers share: the app keys and the JSON answer helpers."""

from __future__ import annotations

import json
from collections.abc import Callable

from aiohttp import web

from .logger import Logger

__all__ = ["LOGGER", "SAVE_SETTINGS", "json_response", "problem"]

LOGGER = web.AppKey("logger", Logger)
SAVE_SETTINGS: web.AppKey[Callable[[str], None]] = web.AppKey("save_settings")


def json_response(text: str, status: int = 200) -> web.Response:
    # the firmware allows any origin; pages served elsewhere (Home Assistant cards) rely on it
    return web.Response(
        text=text,
        status=status,
        content_type="application/json",
        headers={"Access-Control-Allow-Origin": "*"},
    )


def problem(status: int, message: str) -> web.HTTPException:
    """An HTTP error with a JSON body ``{"error": {"status", "message"}}``, to raise."""
    body = json.dumps({"error": {"status": status, "message": message}})
    cls = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 404: web.HTTPNotFound,
           413: web.HTTPRequestEntityTooLarge}.get(status, web.HTTPInsufficientStorage)  # fmt: skip
    return cls(text=body, content_type="application/json")
