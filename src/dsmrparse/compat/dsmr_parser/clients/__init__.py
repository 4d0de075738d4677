"""dsmr_parser's clients: serial, socket and file readers and the asyncio protocol."""

from __future__ import annotations

from .filereader import FileInputReader, FileReader, FileTailReader
from .protocol import create_dsmr_protocol, create_dsmr_reader, create_tcp_dsmr_reader
from .serial_ import AsyncSerialReader, SerialReader
from .settings import SERIAL_SETTINGS_V2_2, SERIAL_SETTINGS_V4, SERIAL_SETTINGS_V5
from .socket_ import SocketReader
from .telegram_buffer import EncryptedTelegramBuffer, TelegramBuffer

__all__ = [
    "SERIAL_SETTINGS_V2_2",
    "SERIAL_SETTINGS_V4",
    "SERIAL_SETTINGS_V5",
    "SerialReader",
    "AsyncSerialReader",
    "SocketReader",
    "FileReader",
    "FileInputReader",
    "FileTailReader",
    "TelegramBuffer",
    "EncryptedTelegramBuffer",
    "create_dsmr_protocol",
    "create_dsmr_reader",
    "create_tcp_dsmr_reader",
]
