"""What dsmr_parser's blocking and asyncio readers share: a spec, keys, a buffer, and a
``dsmrparse.open`` source that does the reading."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any, cast

from ....telegram import Telegram as _DsmrTelegram
from ..exceptions import InvalidChecksumError, ParseError
from ..objects import Telegram
from ..parsers import TelegramParser
from .telegram_buffer import EncryptedTelegramBuffer, TelegramBuffer

logger = logging.getLogger(__name__)


def open_source(url: str, **options: Any) -> Any:
    """``dsmrparse.open``: the one door to serial ports, sockets and files."""
    import dsmrparse

    return cast(Any, dsmrparse).open(url, **options)


class Reader:
    """Reads telegrams from ``self.url`` (set by the subclass) and yields dsmr_parser Telegrams."""

    url: str = ""

    def __init__(
        self,
        telegram_specification: dict[str, Any],
        encryption_key: str | None = "",
        authentication_key: str | None = "",
    ) -> None:
        self.telegram_parser = TelegramParser(telegram_specification)
        self.telegram_specification = telegram_specification
        self._encryption_key = encryption_key
        self._authentication_key = authentication_key
        self._encrypted = bool(telegram_specification.get("general_global_cipher"))
        self.telegram_buffer: TelegramBuffer | EncryptedTelegramBuffer = (
            EncryptedTelegramBuffer() if self._encrypted else TelegramBuffer()
        )

    def _buffer_incoming(self, data: bytes) -> Iterator[str]:
        """Raw bytes in; the whole telegrams (hex frames when encrypted) now complete."""
        self.telegram_buffer.append(data)
        return self.telegram_buffer.get_all()

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self._encrypted:
            key = self._encryption_key or ""
            options["key"] = key
            if self._authentication_key is None:
                from ....crypto import decrypt

                options["decrypt"] = partial(decrypt, key=key, auth_key=None, verify=False)
            else:
                options["auth_key"] = (
                    self._authentication_key
                    or self.telegram_specification.get("authentication_key")
                    or None
                )
        return options

    def _source(self, **extra: Any) -> Any:
        return open_source(self.url, **self._options(), **extra)

    def _convert(self, telegram: _DsmrTelegram) -> Telegram | None:
        try:
            return self.telegram_parser.from_checked(telegram)
        except InvalidChecksumError as exc:
            logger.warning("%s", exc)
        except ParseError as exc:
            logger.error("Failed to parse telegram: %s", exc)
        return None

    def _telegrams(self, **extra: Any) -> Iterator[Telegram]:
        with self._source(**extra) as source:
            for item in source:
                if isinstance(item, _DsmrTelegram):
                    converted = self._convert(item)
                    if converted is not None:
                        yield converted

    async def _atelegrams(self, **extra: Any) -> AsyncIterator[Telegram]:
        async with self._source(**extra) as source:
            async for item in source:
                if isinstance(item, _DsmrTelegram):
                    converted = self._convert(item)
                    if converted is not None:
                        yield converted

    def read(self) -> Iterator[Telegram]:
        """Telegrams as they arrive, parsed (dsmr_parser 1.x yields objects here too)."""
        return self._telegrams()

    def read_as_object(self) -> Iterator[Telegram]:
        return self._telegrams()
