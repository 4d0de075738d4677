"""Byte links: where a stream source gets its bytes. One small class per kind of link.

A sync link has ``open()``, ``read(timeout) -> bytes`` (``b""`` when nothing came in time) and
``close()``; an async link has the same as coroutines. ``read`` raises :class:`LinkLost` when the
connection ended and :class:`EndOfStream` when a file ended. pyserial is imported only here and
only when a serial or ``rfc2217://`` link is opened (``socket://`` uses the standard library).
"""

from __future__ import annotations

import asyncio
import bz2
import contextlib
import errno
import gzip
import lzma
import os
import re
import select
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any, NamedTuple, Protocol

from ..errors import SourceError

__all__ = [
    "LinkLost",
    "MissingDependency",
    "SettingRejected",
    "EndOfStream",
    "SerialSetting",
    "serial_settings",
    "SevenBit",
    "SyncLink",
    "AsyncLink",
    "PySerialLink",
    "AsyncSocketLink",
    "SocketLink",
    "describe",
    "ThreadedLink",
    "FileLink",
]


class LinkLost(Exception):
    """The connection ended: EOF from the peer, a reset, the device went away."""


class MissingDependency(SourceError):
    """An optional package this source needs is not installed."""


class SettingRejected(LinkLost):
    """The device is there but refuses these line settings (a pseudo-terminal refuses 7E1)."""


class EndOfStream(Exception):
    """A file (not followed) has no more bytes."""


class SerialSetting(NamedTuple):
    baudrate: int
    bytesize: int
    parity: str  # "N" or "E"
    stopbits: int

    def __str__(self) -> str:
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"


S_115200_8N1 = SerialSetting(115200, 8, "N", 1)  # DSMR 4 and 5
S_9600_7E1 = SerialSetting(9600, 7, "E", 1)  # DSMR 2.2 and 3
S_115200_7E1 = SerialSetting(115200, 7, "E", 1)  # some DSMR 4 meters

_NAMED = {
    "dsmr5": [S_115200_8N1],
    "dsmr4": [S_115200_8N1],
    "dsmr4-7e1": [S_115200_7E1],
    "dsmr3": [S_9600_7E1],
    "dsmr22": [S_9600_7E1],
    "dsmr2": [S_9600_7E1],
    "auto": [S_115200_8N1, S_9600_7E1, S_115200_7E1],
}


def serial_settings(spec: str | Sequence[str]) -> list[SerialSetting]:
    """``"auto"``, a family (``"dsmr5"``, ``"dsmr22"``, ``"dsmr4-7e1"``), ``"9600 7E1"``, or a
    list of these to try in turn."""
    if not isinstance(spec, str):
        tried = [s for item in spec for s in serial_settings(item)]
        if not tried:
            raise ValueError("serial: an empty list of settings")
        return tried
    key = spec.strip().lower()
    if key in _NAMED:
        return list(_NAMED[key])
    parts = key.replace(",", " ").split()
    try:
        baud = int(parts[0])
        frame = parts[1].upper()
        setting = SerialSetting(baud, int(frame[0]), frame[1], int(frame[2:]))
    except (IndexError, ValueError):
        raise ValueError(
            f"serial setting {spec!r}: use 'auto', {', '.join(sorted(_NAMED))} or like '9600 7E1'"
        ) from None
    if (
        setting.bytesize not in (7, 8)
        or setting.parity not in "NEO"
        or setting.stopbits not in (1, 2)
    ):
        raise ValueError(f"serial setting {spec!r} is not a valid byte frame")
    return [setting]


# 7E1 data read on an 8N1 line carries the parity bit as bit 7; 0xFF padding stays as it is
_MASK = bytes(b & 0x7F if b != 0xFF else 0xFF for b in range(256))
_HIGH = bytes(range(0x80, 0xFF))
_PRINTABLE_MASKED = frozenset(list(range(0x20, 0x7F)) + [0x0D, 0x0A])


class SevenBit:
    """Masks bytes to 7 bits when asked, or when it sees 7E1 text on an 8-bit line (auto)."""

    SAMPLE = 256

    def __init__(self, mode: bool | None) -> None:
        self.mode = mode
        self._seen = 0
        self._high = 0
        self._text_high = 0

    def feed(self, chunk: bytes) -> bytes:
        if self.mode is None:
            self._decide(chunk)
        return chunk.translate(_MASK) if self.mode else chunk

    def _decide(self, chunk: bytes) -> None:
        if b"\xdb\x08" in chunk:  # an encrypted DLMS frame needs all 8 bits
            self.mode = False
            return
        high = len(chunk) - len(chunk.translate(None, _HIGH))
        self._seen += len(chunk)
        if high:
            self._high += high
            self._text_high += sum(1 for b in chunk if b & 0x80 and b & 0x7F in _PRINTABLE_MASKED)
        if self._seen < 64:
            return
        if self._high * 8 >= self._seen and self._text_high * 20 >= self._high * 19:
            self.mode = True
        elif self._seen >= self.SAMPLE or self._high == 0:
            self.mode = False


class SyncLink(Protocol):
    def open(self) -> None: ...
    def read(self, timeout: float) -> bytes: ...
    def close(self) -> None: ...


class AsyncLink(Protocol):
    async def open(self) -> None: ...
    async def read(self, timeout: float) -> bytes: ...
    async def close(self) -> None: ...


def _pyserial() -> Any:
    try:
        import serial
    except ImportError:
        raise MissingDependency(
            "serial and rfc2217:// sources need pyserial: pip install 'dsmrparse[serial]'"
        ) from None
    return serial


class PySerialLink:
    """A serial device or ``rfc2217://`` (and other pyserial URLs) through ``serial_for_url``."""

    READ_TIMEOUT = 0.25  # the longest one read blocks; the caller's tick is this coarse

    def __init__(
        self,
        url: str,
        setting: SerialSetting | None,
        request_line: str | None = None,
        chunk_size: int = 4096,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.setting = setting
        self.request_line = request_line
        self.chunk_size = chunk_size
        self.timeout = timeout
        self._port: Any = None

    def open(self) -> None:
        serial = _pyserial()
        kwargs: dict[str, Any] = {"timeout": self.READ_TIMEOUT, "do_not_open": True}
        if self.setting is not None:
            kwargs.update(
                baudrate=self.setting.baudrate,
                bytesize=self.setting.bytesize,
                parity=self.setting.parity,
                stopbits=self.setting.stopbits,
            )
        try:
            port = serial.serial_for_url(self.url, **kwargs)
            if self.request_line in ("rts", "both"):
                port.rts = True  # P1 "data request" (pin 2) is driven from RTS or DTR
            if self.request_line in ("dtr", "both"):
                port.dtr = True
            port.open()
        except (serial.SerialException, OSError) as exc:
            raise LinkLost(describe(exc, self.url)) from exc
        except Exception as exc:  # termios.error or ValueError: the settings, not the device
            raise SettingRejected(f"{self.setting}: {exc}") from exc
        self._port = port

    def read(self, timeout: float) -> bytes:
        port = self._port
        if port is None:
            raise LinkLost("not open")
        try:
            # the port's own timeout stays fixed: changing it re-programs the line every time
            data = port.read(1)
            if data:
                waiting = port.in_waiting
                if waiting:
                    data += port.read(min(waiting, self.chunk_size))
            return bytes(data)
        except Exception as exc:  # SerialException, OSError, termios.error: the port is gone
            raise LinkLost(str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            # closing a vanished device may fail; it is gone either way
            with contextlib.suppress(Exception):
                port.close()


def describe(exc: BaseException, where: str) -> str:
    """The cause of a failed open or a lost link, in words a user can act on."""
    err = exc if isinstance(exc, OSError) else exc.__cause__ or exc.__context__
    code = getattr(err, "errno", None)
    if code is None:  # pyserial wraps the OSError: "[Errno 13] could not open port ..."
        found = re.search(r"\[Errno (\d+)\]", str(exc))
        code = int(found.group(1)) if found else None
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {where}: add your user to the 'dialout' group "
            "(sudo usermod -aG dialout $USER, then log in again)"
        )
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"no such device {where} (is the cable plugged in? ls /dev/serial/by-id/)"
    if code == errno.ECONNREFUSED:
        return f"connection refused by {where} (nothing listens on that port)"
    if isinstance(exc, (socket.timeout, asyncio.TimeoutError, TimeoutError)) or code in (
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
    ):
        return f"{where} does not answer ({exc or 'timed out'})"
    if isinstance(exc, socket.gaierror) or isinstance(err, socket.gaierror):
        return f"host of {where} not found ({err})"
    return f"cannot open {where}: {exc or type(exc).__name__}"


class SocketLink:
    """``socket://host:port`` with a plain socket: every byte the peer sent from the moment the
    connection stands is read (pyserial's socket handler drops what came during its open), and
    whatever is there is read in one block of up to ``chunk_size``."""

    def __init__(self, host: str, port: int, chunk_size: int = 4096, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.chunk_size = chunk_size
        self.timeout = timeout
        self._sock: socket.socket | None = None

    def open(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as exc:
            raise LinkLost(describe(exc, f"{self.host}:{self.port}")) from exc

    def read(self, timeout: float) -> bytes:
        sock = self._sock
        if sock is None:
            raise LinkLost("not open")
        try:
            sock.settimeout(max(timeout, 0.001))
            data = sock.recv(self.chunk_size)
        except socket.timeout:
            return b""
        except OSError as exc:
            raise LinkLost(str(exc) or type(exc).__name__) from exc
        if not data:
            raise LinkLost("connection closed by the peer")
        return data

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


class AsyncSocketLink:
    """``socket://host:port`` with asyncio streams (no thread)."""

    def __init__(self, host: str, port: int, chunk_size: int = 4096, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.chunk_size = chunk_size
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        except (OSError, asyncio.TimeoutError) as exc:
            raise LinkLost(describe(exc, f"{self.host}:{self.port}")) from exc

    async def read(self, timeout: float) -> bytes:
        if self._reader is None:
            raise LinkLost("not open")
        try:
            data = await asyncio.wait_for(self._reader.read(self.chunk_size), max(timeout, 0.0))
        except asyncio.TimeoutError:
            return b""
        except OSError as exc:
            raise LinkLost(str(exc)) from exc
        if not data:
            raise LinkLost("connection closed by the peer")
        return data

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)


class ThreadedLink:
    """Any sync link, driven from asyncio through a worker thread (serial, rfc2217, files)."""

    def __init__(self, link: SyncLink) -> None:
        self.link = link

    async def open(self) -> None:
        await asyncio.to_thread(self.link.open)

    async def read(self, timeout: float) -> bytes:
        return await asyncio.to_thread(self.link.read, timeout)

    async def close(self) -> None:
        await asyncio.to_thread(self.link.close)


_OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


class FileLink:
    """A captured file (plain, .gz, .bz2, .xz), or ``-`` for standard input."""

    def __init__(self, path: str, follow: bool = False, chunk_size: int = 65536) -> None:
        self.path = path
        self.follow = follow
        self.chunk_size = chunk_size
        self._file: IO[bytes] | None = None
        self._fd: int | None = None
        self._head = b""  # stdin's first bytes, read to tell compressed data from plain

    def open(self) -> None:
        if self.path == "-":
            from ..files import decompressing_stdin

            # gzip, xz or bzip2 on stdin is told by content, as `dsmrparse parse -` does
            self._file, self._head = decompressing_stdin()
            if self._file is None:
                self._fd = sys.stdin.fileno()
            return
        opener = _OPENERS.get(os.path.splitext(self.path)[1].lower())
        try:
            self._file = opener(self.path, "rb") if opener else open(self.path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise SourceError(f"{self.path}: {exc.strerror or exc}") from exc

    def read(self, timeout: float) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        if self._fd is not None:
            return self._read_fd(self._fd, timeout)
        if self._file is None:
            raise LinkLost("not open")
        try:
            data = self._file.read(self.chunk_size)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise SourceError(f"{self.path}: {exc}") from exc
        if data:
            return data
        damage = getattr(getattr(self._file, "raw", None), "damage", None)
        if damage is not None:  # a damaged compressed stdin: all before it was read
            raise SourceError(f"{self.path}: {damage}")
        if not self.follow:
            raise EndOfStream()
        time.sleep(min(timeout, 0.25))  # wait for the writer; never a busy loop
        return b""

    def _read_fd(self, fd: int, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([fd], [], [], max(timeout, 0.0))
        except (OSError, ValueError):  # no select on this fd (Windows console): block instead
            ready = [fd]
        if not ready:
            return b""
        data = os.read(fd, self.chunk_size)
        if not data:
            raise EndOfStream()
        return data

    def close(self) -> None:
        f, self._file = self._file, None
        self._fd = None
        if f is not None:
            f.close()
