"""dsmr_parser's serial readers, reading through ``dsmrparse.open``."""

from __future__ import annotations

import asyncio
from typing import Any

from ._reading import Reader
from .settings import setting_text

__all__ = ["SerialReader", "AsyncSerialReader"]


class SerialReader(Reader):
    """``SerialReader(device, SERIAL_SETTINGS_V5, telegram_specifications.V5).read_as_object()``
    yields telegrams from a serial port (or a pyserial URL such as ``socket://host:port``)."""

    PORT_KEY = "url"

    def __init__(
        self,
        device: str,
        serial_settings: dict[str, Any],
        telegram_specification: dict[str, Any],
        encryption_key: str | None = "",
        authentication_key: str | None = "",
    ) -> None:
        super().__init__(telegram_specification, encryption_key, authentication_key)
        self.serial_settings = serial_settings
        self.serial_settings[self.PORT_KEY] = device
        self.url = device

    def _options(self) -> dict[str, Any]:
        options = super()._options()
        if "baudrate" in self.serial_settings:
            options["serial"] = setting_text(self.serial_settings)
        return options


class AsyncSerialReader(SerialReader):
    """The same in asyncio: parsed telegrams are put on a queue."""

    async def read(self, queue: asyncio.Queue[Any]) -> None:  # type: ignore[override]
        async for telegram in self._atelegrams():
            queue.put_nowait(telegram)

    async def read_as_object(self, queue: asyncio.Queue[Any]) -> None:  # type: ignore[override]
        await self.read(queue)
