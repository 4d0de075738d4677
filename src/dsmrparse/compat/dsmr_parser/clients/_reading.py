"""What dsmr_parser's blocking and asyncio readers share: a spec, keys, a buffer, and a
``dsmrparse.open`` source that does the reading."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from functools import partial
from typing import Any, cast

from ....telegram import Telegram as _DsmrTelegram
from ..exceptions import DecryptionError, InvalidChecksumError, ParseError
from ..objects import Telegram
from ..parsers import TelegramParser
from .telegram_buffer import EncryptedTelegramBuffer, TelegramBuffer

logger = logging.getLogger(__name__)


def open_source(url: str, **options: Any) -> Any:
    """``dsmrparse.open``: the one door to serial ports, sockets and files."""
    import dsmrparse

    return cast(Any, dsmrparse).open(url, **options)


def source_options(
    spec: Mapping[str, Any], key: str | None, auth_key: str | None
) -> dict[str, Any]:
    """``dsmrparse.open`` options for a specification's meters: the keys of encrypted ones.
    ``auth_key=None`` is dsmr_parser's opt-in to skip the tag check (the CRC then guards);
    ``""`` means the specification's own key, if it has one."""
    if not spec.get("general_global_cipher"):
        return {}
    options: dict[str, Any] = {"key": key or ""}
    if auth_key is None:
        from ....crypto import decrypt

        options["decrypt"] = partial(decrypt, key=key or "", auth_key=None, verify=False)
    else:
        options["auth_key"] = auth_key or spec.get("authentication_key") or None
    return options


def decryption_failure(item: Any, options: Mapping[str, Any]) -> DecryptionError | None:
    """The error for a record the source skipped because the keys did not open a frame (with
    no key given, an encrypted frame is skipped like any other noise, as dsmr_parser does)."""
    if getattr(item, "kind", None) == "encrypted" and "key" in options:
        return DecryptionError(getattr(item, "message", "decryption failed"))
    return None


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
        return source_options(
            self.telegram_specification, self._encryption_key, self._authentication_key
        )

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
        with self._source(yield_errors=True, **extra) as source:
            for item in source:
                converted = self._item(item)
                if converted is not None:
                    yield converted

    async def _atelegrams(self, **extra: Any) -> AsyncIterator[Telegram]:
        async with self._source(yield_errors=True, **extra) as source:
            async for item in source:
                converted = self._item(item)
                if converted is not None:
                    yield converted

    def _item(self, item: Any) -> Telegram | None:
        if isinstance(item, _DsmrTelegram):
            return self._convert(item)
        failure = decryption_failure(item, self._options())
        if failure is not None:  # as dsmr_parser's readers: a wrong key ends the reading
            raise failure
        return None  # junk, a damaged telegram, a bad CRC: logged by the source

    def read(self) -> Iterator[Telegram]:
        """Telegrams as they arrive, parsed (dsmr_parser 1.x yields objects here too)."""
        return self._telegrams()

    def read_as_object(self) -> Iterator[Telegram]:
        return self._telegrams()
