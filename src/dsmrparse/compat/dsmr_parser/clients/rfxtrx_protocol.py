"""DSMR telegrams carried in RFXtrx packets (an RFXtrx433 with a P1 receiver).

Each packet is ``length, type, subtype, sequence, data...`` (the length byte does not count
itself); P1 data has type 0x62, subtype 0x01. The protocol strips the packets and hands the P1
bytes to :class:`DSMRProtocol`. Over TCP asyncio's own connection carries the bytes; on a serial
port pyserial reads them in a thread (the packets must be unwrapped before any telegram framing,
so ``dsmrparse.open`` cannot read this link).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from ..objects import Telegram
from ..parsers import TelegramParser
from .protocol import DSMRProtocol, version_spec

__all__ = [
    "PACKETTYPE_DSMR",
    "SUBTYPE_P1",
    "RFXtrxDSMRProtocol",
    "create_rfxtrx_dsmr_protocol",
    "create_rfxtrx_dsmr_reader",
    "create_rfxtrx_tcp_dsmr_reader",
]

logger = logging.getLogger(__name__)

PACKETTYPE_DSMR = 0x62
SUBTYPE_P1 = 0x01


class RFXtrxDSMRProtocol(DSMRProtocol):
    """Unwraps RFXtrx packets; other packet types passing by are dropped."""

    remaining_data = b""

    def data_received(self, data: bytes) -> None:
        data = self.remaining_data + data
        while data and len(data) >= data[0] + 1:
            size = data[0] + 1
            packet, data = data[:size], data[size:]
            if size >= 4 and packet[1] == PACKETTYPE_DSMR and packet[2] == SUBTYPE_P1:
                super().data_received(packet[4:])
        self.remaining_data = data


def create_rfxtrx_dsmr_protocol(
    dsmr_version: str,
    telegram_callback: Callable[[Telegram], Any],
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Any,
) -> tuple[Callable[[], RFXtrxDSMRProtocol], dict[str, Any]]:
    spec, settings = version_spec(dsmr_version)
    factory = partial(
        RFXtrxDSMRProtocol,
        loop,
        TelegramParser(spec),
        telegram_callback=telegram_callback,
        **kwargs,
    )
    return factory, settings


def create_rfxtrx_tcp_dsmr_reader(
    host: str,
    port: int,
    dsmr_version: str,
    telegram_callback: Callable[[Telegram], Any],
    loop: asyncio.AbstractEventLoop | None = None,
    keep_alive_interval: float | None = None,
) -> Any:
    """Coroutine giving ``(transport, protocol)`` for an RFXtrx reachable over TCP."""
    if loop is None:
        loop = asyncio.get_running_loop()
    factory, _ = create_rfxtrx_dsmr_protocol(
        dsmr_version, telegram_callback, loop=loop, keep_alive_interval=keep_alive_interval
    )
    return loop.create_connection(factory, host, port)


def create_rfxtrx_dsmr_reader(
    port: str,
    dsmr_version: str,
    telegram_callback: Callable[[Telegram], Any],
    loop: asyncio.AbstractEventLoop | None = None,
) -> Any:
    """Coroutine giving ``(transport, protocol)`` for an RFXtrx on a serial port (or any
    pyserial URL)."""
    factory, settings = create_rfxtrx_dsmr_protocol(dsmr_version, telegram_callback, loop=loop)
    return _open_serial(loop, factory, port, settings)


async def _open_serial(
    loop: asyncio.AbstractEventLoop | None,
    factory: Callable[[], RFXtrxDSMRProtocol],
    port: str,
    settings: dict[str, Any],
) -> tuple[SerialThreadTransport, RFXtrxDSMRProtocol]:
    import serial  # pyserial: the 'compat' extra

    loop = loop or asyncio.get_running_loop()
    options = {
        k: settings[k] for k in ("baudrate", "bytesize", "parity", "stopbits") if k in settings
    }
    link = await loop.run_in_executor(
        None, partial(serial.serial_for_url, port, timeout=_POLL, **options)
    )
    protocol = factory()
    transport = SerialThreadTransport(loop, link, protocol)
    protocol.connection_made(transport)
    transport.start()
    return transport, protocol


_POLL = 0.5  # seconds a read blocks, so that close() is seen soon


class SerialThreadTransport(asyncio.Transport):
    """A pyserial port read in a thread; the bytes go to the protocol on the event loop."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, link: Any, protocol: asyncio.Protocol
    ) -> None:
        super().__init__()
        self._loop = loop
        self._link = link
        self._protocol = protocol
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._read, name="rfxtrx-serial", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _read(self) -> None:
        error: Exception | None = None
        try:
            while not self._closing.is_set():
                data = self._link.read(max(1, self._link.in_waiting))
                if data:
                    self._loop.call_soon_threadsafe(self._protocol.data_received, data)
        except Exception as exc:  # the port went away (pyserial raises SerialException, OSError)
            error = exc
        finally:
            self._link.close()
            if not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._protocol.connection_lost, error)

    def close(self) -> None:
        self._closing.set()

    def is_closing(self) -> bool:
        return self._closing.is_set()

    def abort(self) -> None:
        self.close()
