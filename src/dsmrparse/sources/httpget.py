"""One HTTP(S) GET with a deadline for the whole request, a bound on the body, and a way out.

urllib's ``timeout`` bounds each ``recv``: a body sent a byte every half second keeps a poll going
for minutes, and nothing can interrupt it. Here the socket work is done in short steps, each one
checking the deadline and a ``cancel`` event (set by ``Source.close()``), and the bytes received are
then read by the standard library's own response parser (``http.client.HTTPResponse``), which
handles status lines, headers and chunked bodies.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from email.message import Message
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from .links import LinkLost, describe

__all__ = ["Answer", "BadAnswer", "Cancelled", "get", "tls_context"]

STEP = 0.25  # the longest one socket call blocks: close() is seen within this
MAX_REDIRECTS = 5


class Answer(NamedTuple):
    status: int
    body: bytes
    headers: Message
    url: str  # after redirects


class BadAnswer(Exception):
    """The peer answered, but not with something usable: too large, garbled, a redirect loop."""


class Cancelled(LinkLost):
    """``close()`` was called while the request was under way."""


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """``True``: the system's CAs; a path: that CA file (a device's own CA or certificate);
    ``False``: no check at all (a LAN device with a self-signed certificate)."""
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if verify is True:
        return ssl.create_default_context()
    ctx = ssl.create_default_context(cafile=verify)
    # a HomeWizard device certificate names the device (appliance/p1dongle/<serial>) in its CN
    ctx.hostname_checks_common_name = True
    return ctx


class _Clock:
    def __init__(self, url: str, timeout: float, cancel: threading.Event | None) -> None:
        self.url = url
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.cancel = cancel

    def step(self) -> float:
        """How long the next socket call may block; raises when the time is up or closed."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"GET {self.url}: cancelled by close()")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise LinkLost(f"GET {self.url}: no whole answer within {self.timeout:g} s (timeout)")
        return min(STEP, left)


def get(
    url: str,
    *,
    timeout: float,
    max_body: int,
    headers: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
    tls: ssl.SSLContext | None = None,
    server_name: str | None = None,
) -> Answer:
    """GET ``url``, following up to five redirects. Network failures raise :class:`LinkLost`,
    unusable answers :class:`BadAnswer`; any HTTP status is an :class:`Answer`. ``server_name``
    is the name the TLS certificate must carry, when it is not the URL's host."""
    clock = _Clock(url, timeout, cancel)  # one deadline for the request and its redirects
    seen = [url]
    while True:
        answer = _once(url, clock, max_body, headers or {}, tls, server_name)
        location = answer.headers.get("Location")
        if answer.status not in (301, 302, 303, 307, 308) or not location:
            return answer
        url = urljoin(url, location)
        if len(seen) > MAX_REDIRECTS or url in seen:
            raise BadAnswer(f"GET {seen[0]}: redirect loop ({' -> '.join(seen + [url])[:300]})")
        seen.append(url)


def _once(
    url: str,
    clock: _Clock,
    max_body: int,
    headers: Mapping[str, str],
    tls: ssl.SSLContext | None,
    server_name: str | None,
) -> Answer:
    parts = urlsplit(url)
    secure = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError as exc:
        raise BadAnswer(f"GET {url}: {exc}") from None
    sock = _connect(host, port, clock)
    try:
        if secure:
            sock = _handshake(sock, server_name or host, tls or tls_context(True), clock)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += ["Connection: close", "", ""]
        sock.settimeout(clock.step())
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        raw = _receive(sock, clock, max_body)
    except OSError as exc:
        raise LinkLost(f"GET {url}: {describe(exc, f'{host}:{port}')}") from exc
    finally:
        sock.close()
    return _parse(url, raw, max_body)


def _connect(host: str, port: int, clock: _Clock) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise LinkLost(f"GET {clock.url}: {describe(exc, host)}") from exc
    last: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            sock.connect(address)
        except BlockingIOError:
            pass
        except OSError as exc:
            sock.close()
            last = exc
            continue
        try:
            while True:
                _, ready, _ = select.select([], [sock], [], clock.step())
                if ready:
                    break
        except BaseException:
            sock.close()
            raise
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code == 0:
            sock.setblocking(True)
            return sock
        sock.close()
        last = OSError(code, os.strerror(code))
    where = f"{host}:{port}"
    cause = describe(last, where) if last else f"{where}: no address"
    raise LinkLost(f"GET {clock.url}: {cause}")


def _handshake(sock: socket.socket, host: str, tls: ssl.SSLContext, clock: _Clock) -> socket.socket:
    wrapped = tls.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    wrapped.setblocking(False)
    while True:
        try:
            wrapped.do_handshake()
            break
        except ssl.SSLWantReadError:
            select.select([wrapped], [], [], clock.step())
        except ssl.SSLWantWriteError:
            select.select([], [wrapped], [], clock.step())
        except ssl.SSLError as exc:
            wrapped.close()
            raise LinkLost(f"GET {clock.url}: TLS: {exc.reason or exc}") from exc
    wrapped.setblocking(True)
    return wrapped


def _receive(sock: socket.socket, clock: _Clock, max_body: int) -> bytes:
    buf = bytearray()
    head_end = -1
    limit = max_body + 64 * 1024  # room for the headers
    while True:
        sock.settimeout(clock.step())
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except ssl.SSLError as exc:  # a TLS peer that just closes: what came is the answer
            if "EOF" in str(exc):
                return bytes(buf)
            raise
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > limit:
            raise BadAnswer(f"GET {clock.url}: answer larger than max_body ({max_body} bytes)")
        if head_end < 0:
            head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0 and _complete(buf, head_end):
            return bytes(buf)


def _complete(buf: bytearray, head_end: int) -> bool:
    """Whether the answer is all there without waiting for the peer to close."""
    head = bytes(buf[:head_end]).lower()
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length" and value.strip().isdigit():
            return len(buf) >= head_end + 4 + int(value.strip())
        if name.strip() == b"transfer-encoding" and b"chunked" in value:
            return buf.endswith(b"0\r\n\r\n")
    return False


class _Bytes:
    """What HTTPResponse needs of a socket: ``makefile``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.data))


def _parse(url: str, raw: bytes, max_body: int) -> Answer:
    if not raw:
        raise LinkLost(f"GET {url}: the peer closed without an answer")
    response = http.client.HTTPResponse(_Bytes(raw))  # type: ignore[arg-type]
    try:
        response.begin()
        body = response.read()
    except (http.client.HTTPException, ValueError, OSError) as exc:
        raise BadAnswer(f"GET {url}: not a valid HTTP answer ({type(exc).__name__})") from None
    if len(body) > max_body:
        raise BadAnswer(f"GET {url}: answer larger than max_body ({max_body} bytes)")
    return Answer(response.status, body, response.msg, url)
