"""DSMR telegrams carried in RFXtrx packets (an RFXtrx433 with a P1 receiver).

Each packet is ``length, type, subtype, sequence, data...`` (the length byte does not count
itself); P1 data has type 0x62, subtype 0x01. The protocol strips the packets and hands the P1
bytes to :class:`DSMRProtocol`. Only the TCP reader is offered (``loop.create_connection``);
a serial RFXtrx reader is not part of the compat layer.
"""

from __future__ import annotations

import asyncio
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
    "create_rfxtrx_tcp_dsmr_reader",
]

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
