"""Our own API (v2): the interchange form (``Telegram.to_dict()``) and the push channel.

``GET /api/v2/events`` is a stream of server-sent events: ``event: telegram`` per stored telegram
with ``data: {"actual": <the body of /api/v1/sm/actual>, "telegram": <the interchange form>}``,
and ``event: status`` when the source's state changes (``{"source": "reading" | "lost" ...}``).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from .. import dumps
from .state import LOGGER, json_response, problem

__all__ = ["routes"]

routes = web.RouteTableDef()
KEEPALIVE = 15.0  # seconds: a comment line keeps proxies from closing a quiet stream


@routes.get("/api/v2/telegram")
async def telegram(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    if logger.last is None:
        raise problem(404, "no telegram received yet")
    return json_response(logger.last.to_json())


@routes.get("/api/v2/status")
async def status(request: web.Request) -> web.Response:
    logger = request.app[LOGGER]
    body = logger.status_dict()
    body["store"] = logger.store.counts()
    return json_response(dumps(body))


@routes.get("/api/v2/readings")
async def readings(request: web.Request) -> web.Response:
    """The fine readings (``readings_resolution`` seconds apart) between from and to."""
    from .history import parse_when

    logger = request.app[LOGGER]
    zone = logger.zone(logger.last) if logger.last is not None else None
    try:
        since = parse_when(request.query.get("from"), zone) or 0.0
        until = parse_when(request.query.get("to"), zone) or 1e12
    except ValueError as exc:
        raise problem(400, f"from/to: {exc}") from None
    return json_response(dumps({"readings": logger.store.readings(since, until)}))


@routes.get("/api/v2/events")
async def events(request: web.Request) -> web.StreamResponse:
    logger = request.app[LOGGER]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "Access-Control-Allow-Origin": "*",
        }
    )
    await response.prepare(request)
    queue = logger.hub.subscribe()
    # taken with the subscription, no await between: a page gets the telegram it must show at
    # once, and every later one exactly once through the queue
    last = logger.telegram_event()
    try:
        await response.write(f"event: status\ndata: {dumps(logger.status_dict())}\n\n".encode())
        if last is not None:
            await response.write(f"event: telegram\ndata: {last}\n\n".encode())
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), KEEPALIVE)
            except asyncio.TimeoutError:
                message = ": keepalive\n\n"
            if not message:  # the server is shutting down
                break
            await response.write(message.encode())
    except ConnectionResetError:  # the client went away
        pass
    finally:
        logger.hub.unsubscribe(queue)
    with contextlib.suppress(ConnectionResetError, RuntimeError):
        await response.write_eof()
    return response
