"""The aiohttp application: routes, the static pages, errors as JSON, the write token."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from . import api_v1, api_v2, metrics, openapi
from .logger import Logger
from .state import LOGGER, SAVE_SETTINGS, problem

__all__ = ["make_app", "STATIC", "MAX_BODY", "is_loopback"]

log = logging.getLogger("dsmrparse.serve.http")

STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024  # no setting or month correction is near this; larger bodies get 413

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as JSON with a 4xx/5xx status, never a traceback page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.content_type == "application/json":
            body = exc.text or ""
        else:
            body = json.dumps({"error": {"status": exc.status, "message": exc.reason}})
        headers = {"Access-Control-Allow-Origin": "*"}
        if "Allow" in exc.headers:
            headers["Allow"] = exc.headers["Allow"]
        return web.Response(
            status=exc.status, text=body, content_type="application/json", headers=headers
        )
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        body = '{"error": {"status": 500, "message": "internal error (see the server log)"}}'
        return web.Response(status=500, text=body, content_type="application/json")


def _token_check(token: str, required: bool) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS") and required:
            given = request.headers.get("Authorization", "")
            if not token or given != f"Bearer {token}":
                raise problem(401, "writes need 'Authorization: Bearer TOKEN' (see docs/serve.md)")
        return await handler(request)

    return check


async def _index(request: web.Request) -> web.StreamResponse:
    page = STATIC / (request.app[LOGGER].settings.index_page or "index.html")
    if not page.is_file():
        page = STATIC / "index.html"
    if not page.is_file():
        return web.Response(
            text="<!doctype html><title>dsmrparse</title><p>dsmrparse serve is running: "
            '<a href="/api/v1/sm/actual">/api/v1/sm/actual</a>, '
            '<a href="/api/openapi.json">/api/openapi.json</a></p>',
            content_type="text/html",
        )
    return web.FileResponse(page)


async def _static(request: web.Request) -> web.StreamResponse:
    """A file of the pages folder (issue 14 writes them); anything else is a JSON 404. Our own
    lookup rather than add_static: its 404 for a missing file bypasses the JSON errors."""
    relative = request.match_info["path"]
    root = STATIC.resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, ValueError):
        raise problem(404, f"{request.path} not found") from None
    if not target.is_relative_to(root) or not target.is_file():
        raise problem(404, f"{request.path} not found")
    return web.FileResponse(target)


async def _options(request: web.Request) -> web.Response:
    return web.Response(
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
        }
    )


def make_app(
    logger: Logger, save_settings: Callable[[str], None], token: str, token_required: bool
) -> web.Application:
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[_errors, _token_check(token, token_required)],
    )
    app[LOGGER] = logger
    app[SAVE_SETTINGS] = save_settings

    async def end_streams(app: web.Application) -> None:
        logger.hub.close()

    app.on_shutdown.append(end_streams)
    app.add_routes(api_v1.routes)
    app.add_routes(api_v2.routes)
    app.add_routes(metrics.routes)
    app.add_routes(openapi.routes)
    app.router.add_route("OPTIONS", "/{tail:.*}", _options)
    app.router.add_get("/", _index)
    app.router.add_get("/{path:.+}", _static)
    return app
