"""The websocket link: one connection of ``websocket-client`` (the ``websocket`` extra), imported
only when a ``ws://`` or ``wss://`` source is opened. It carries messages and says when the link is
gone; what the messages mean is the session's business (ws_session.py).

Every read is bounded by the session's timeout, so ``close()`` and the watchdog are seen soon;
asyncio runs the same calls in a worker thread (:class:`ThreadedWsLink`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .links import LinkLost, MissingDependency
from .ws_session import Message

__all__ = ["websocket_lib", "WsLink", "ThreadedWsLink"]


def websocket_lib() -> Any:
    try:
        import websocket
    except ImportError:
        raise MissingDependency(
            "ws:// sources (DSMRloggerWS) need websocket-client: pip install 'dsmrparse[websocket]'"
        ) from None
    return websocket


class _FrameTooLong(Exception):
    pass


class WsLink:
    """``open()``, ``read(timeout) -> Message | None``, ``send(text)``, ``close()``; a failure is
    :class:`LinkLost` with the reason as the user reads it."""

    def __init__(self, url: str, options: dict[str, Any], timeout: float, max_frame: int) -> None:
        self.url = url
        self.options = options  # more keywords for create_connection (TLS settings)
        self.timeout = timeout
        self.max_frame = max_frame
        self.lib = websocket_lib()
        self.conn: Any = None

    def open(self) -> None:
        try:
            conn = self.lib.create_connection(
                self.url, timeout=self.timeout, skip_utf8_validation=True, **self.options
            )
        except Exception as exc:  # refused, unreachable, a non-websocket answer, a bad handshake
            raise LinkLost(str(exc) or type(exc).__name__) from exc
        _bound_frames(conn, self.max_frame)
        self.conn = conn

    def read(self, timeout: float) -> Message | None:
        if self.conn is None:
            raise LinkLost("link lost: not open")
        self.conn.settimeout(timeout)
        try:
            opcode, data = self.conn.recv_data()
        except self.lib.WebSocketTimeoutException:
            return None
        except _FrameTooLong as exc:
            raise LinkLost(f"frame of {exc} bytes is longer than max_frame") from None
        except Exception as exc:  # closed, reset, a protocol error: the link is gone
            raise LinkLost(f"link lost: {exc or type(exc).__name__}") from exc
        if opcode == self.lib.ABNF.OPCODE_CLOSE:
            raise LinkLost("the bridge closed the connection")
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return opcode == self.lib.ABNF.OPCODE_TEXT, raw

    def send(self, text: str) -> None:
        try:
            self.conn.send(text)
        except Exception as exc:
            raise LinkLost(f"link lost: {exc or type(exc).__name__}") from exc

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close(timeout=0.2)
            except Exception:  # the link may be gone already
                conn.shutdown()


class ThreadedWsLink:
    """A :class:`WsLink` driven from asyncio through a worker thread, one call at a time."""

    def __init__(self, link: WsLink) -> None:
        self.link = link

    async def open(self) -> None:
        await asyncio.to_thread(self.link.open)

    async def read(self, timeout: float) -> Message | None:
        return await asyncio.to_thread(self.link.read, timeout)

    async def send(self, text: str) -> None:
        await asyncio.to_thread(self.link.send, text)

    async def close(self) -> None:
        await asyncio.to_thread(self.link.close)


def _bound_frames(conn: Any, limit: int) -> None:
    """Refuse a frame longer than ``limit`` before its payload is read: websocket-client would
    otherwise buffer whatever length a garbled header claims."""
    buffer = getattr(conn, "frame_buffer", None)
    if buffer is None or not hasattr(buffer, "length") or not hasattr(buffer, "recv"):
        return  # another websocket-client layout: frames stay unbounded, as the package has them
    recv = buffer.recv

    def bounded(size: int) -> Any:
        if buffer.length is not None and buffer.length > limit:
            raise _FrameTooLong(buffer.length)
        return recv(size)

    buffer.recv = bounded
