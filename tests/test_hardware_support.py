"""Real parts for the live-source tests: pseudo-terminals, a loopback TCP server, a loopback HTTP
bridge, ser2net. Everything listens on 127.0.0.1 only. (No tests in this module.)"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import struct
import threading
import time
import tty
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = (FIXTURES / "nl/dsmr50_landis_e350.txt").read_bytes()  # CRC ok
GOOD_B = (FIXTURES / "nl/dsmr42_kaifa.txt").read_bytes()  # CRC ok, another meter
BAD_CRC = (FIXTURES / "bad/wrong_crc_sagemcom.txt").read_bytes()
DSMR22 = (FIXTURES / "nl/dsmr22_iskra_mt382.txt").read_bytes()  # no CRC

FAST = {"reconnect_delay": 0.05, "reconnect_max": 0.2, "timeout": 2.0}


def body(raw: bytes) -> bytes:
    """A telegram without the line end after its CRC (which a frame holds only if it came along)."""
    return raw.rstrip(b"\r\n")


def with_parity(data: bytes) -> bytes:
    """7E1 bytes as an 8N1 line sees them: the even-parity bit in bit 7."""
    return bytes(b | (0x80 if bin(b).count("1") % 2 else 0) for b in data)


def take(source: Any, count: int, limit: float = 5.0, kinds: tuple[type, ...] = ()) -> list[Any]:
    """Iterate a source until ``count`` items (of ``kinds``, if given) came, or ``limit`` s passed
    (the source is closed then, so a hang becomes a failed assertion)."""
    out: list[Any] = []
    wanted = 0
    timer = threading.Timer(limit, source.close)
    timer.start()
    try:
        for item in source:
            out.append(item)
            if not kinds or isinstance(item, kinds):
                wanted += 1
            if wanted >= count:
                break
    finally:
        timer.cancel()
        source.close()
    return out


async def atake(
    source: Any, count: int, limit: float = 5.0, kinds: tuple[type, ...] = ()
) -> list[Any]:
    import asyncio

    out: list[Any] = []

    async def run() -> None:
        wanted = 0
        async with source:
            async for item in source:
                out.append(item)
                if not kinds or isinstance(item, kinds):
                    wanted += 1
                if wanted >= count:
                    break

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(run(), limit)
    return out


class Pty:
    """A pseudo-terminal pair: the library opens ``path``; the test writes into the master."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.open = True

    def write(self, data: bytes) -> None:
        if self.open:
            with contextlib.suppress(OSError):
                os.write(self.master, data)

    def close(self) -> None:
        if self.open:
            self.open = False
            os.close(self.master)
            os.close(self.slave)


class Meter(threading.Thread):
    """Writes a telegram (or what ``frames`` yields) every ``period`` s, as a meter does."""

    def __init__(
        self,
        write: Callable[[bytes], None],
        frames: Iterable[bytes],
        period: float = 0.1,
        chunk: int | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.write = write
        self.frames = iter(frames)
        self.period = period
        self.chunk = chunk
        self.stop = threading.Event()

    def run(self) -> None:
        for frame in self.frames:
            if self.stop.is_set():
                return
            if self.chunk:
                for i in range(0, len(frame), self.chunk):
                    self.write(frame[i : i + self.chunk])
            else:
                self.write(frame)
            if self.stop.wait(self.period):
                return

    def __enter__(self) -> Meter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(2)


def forever(*frames: bytes) -> Iterator[bytes]:
    while True:
        yield from frames


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TcpServer:
    """A loopback TCP server; ``handler(conn, n)`` serves the n-th connection (0-based)."""

    def __init__(self, handler: Callable[[socket.socket, int], None], port: int = 0) -> None:
        self.handler = handler
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"socket://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            n = self.connections
            self.connections += 1
            threading.Thread(target=self._one, args=(conn, n), daemon=True).start()

    def _one(self, conn: socket.socket, n: int) -> None:
        with contextlib.suppress(OSError):
            self.handler(conn, n)
        with contextlib.suppress(OSError):
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()

    def __enter__(self) -> TcpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def serve_telegrams(
    stop: threading.Event, conn: socket.socket, frames: Iterable[bytes], period: float = 0.1
) -> None:
    for frame in frames:
        if stop.is_set():
            return
        conn.sendall(frame)
        if stop.wait(period):
            return


Response = tuple[int, bytes]


class Bridge:
    """A loopback HTTP server; ``routes[path]`` is a list of (status, body) answers given in turn,
    the last one repeated."""

    def __init__(self, routes: dict[str, list[Response]]) -> None:
        self.routes = routes
        self.hits: dict[str, int] = {}
        bridge = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                n = bridge.hits.get(path, 0)
                bridge.hits[path] = n + 1
                answers = bridge.routes.get(path)
                status, body = (
                    (404, b"FileNotFound") if not answers else answers[min(n, len(answers) - 1)]
                )
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_port(port: int, limit: float = 5.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False
