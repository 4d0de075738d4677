"""dsmr_parser's asyncio protocol and the readers Home Assistant creates with it.

``create_dsmr_reader`` / ``create_tcp_dsmr_reader`` return a coroutine giving
``(transport, protocol)``, as dsmr_parser's do. Behind the transport is ``dsmrparse.open``:
it reads the serial port or socket, frames telegrams (FrameScanner), checks the CRC, decrypts,
and parses each telegram once; the protocol turns it into dsmr_parser's ``Telegram`` and calls
back. ``DSMRProtocol.data_received`` still takes raw bytes for code that drives it itself.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from collections.abc import Callable
from functools import partial
from typing import Any

from ....errors import DsmrError
from ....telegram import Telegram as _DsmrTelegram
from .. import telegram_specifications as specs
from ..exceptions import DecryptionError, InvalidChecksumError, ParseError
from ..objects import Telegram
from ..parsers import TelegramParser
from ._reading import decryption_failure, open_source, source_options
from .settings import SERIAL_SETTINGS_V2_2, SERIAL_SETTINGS_V4, SERIAL_SETTINGS_V5, setting_text
from .telegram_buffer import EncryptedTelegramBuffer, TelegramBuffer

__all__ = [
    "DSMRProtocol",
    "create_dsmr_protocol",
    "create_dsmr_reader",
    "create_tcp_dsmr_reader",
    "create_serial_connection",
    "VERSIONS",
]

logger = logging.getLogger(__name__)

# dsmr_parser's version names -> (specification, serial settings)
VERSIONS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "2.2": (specs.V2_2, SERIAL_SETTINGS_V2_2),
    "4": (specs.V4, SERIAL_SETTINGS_V4),
    "4+": (specs.V5, SERIAL_SETTINGS_V4),
    "5": (specs.V5, SERIAL_SETTINGS_V5),
    "5B": (specs.BELGIUM_FLUVIUS, SERIAL_SETTINGS_V5),
    "5L": (specs.LUXEMBOURG_SMARTY, SERIAL_SETTINGS_V5),
    "5S": (specs.SWEDEN, SERIAL_SETTINGS_V5),
    "Q3D": (specs.Q3D, SERIAL_SETTINGS_V5),
    "ISKRA_IE": (specs.ISKRA_IE, SERIAL_SETTINGS_V5),
    "5EONHU": (specs.EON_HUNGARY, SERIAL_SETTINGS_V5),
    "MSn": (specs.MSN, SERIAL_SETTINGS_V5),
    "SAGEMCOM_T210_D_R": (specs.SAGEMCOM_T210_D_R, SERIAL_SETTINGS_V5),
}


def version_spec(dsmr_version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        spec, settings = VERSIONS[dsmr_version]
    except KeyError:
        raise NotImplementedError(
            f"No telegram parser found for version: {dsmr_version!r}; known: {', '.join(VERSIONS)}"
        ) from None
    return spec, dict(settings)


class DSMRProtocol(asyncio.Protocol):
    """Hands each whole telegram, parsed, to ``telegram_callback``.

    With ``keep_alive_interval`` a watchdog closes the transport when no telegram came in that
    long twice in a row, so that the caller (Home Assistant) reconnects.
    """

    transport: Any = None
    telegram_callback: Callable[[Telegram], Any] | None = None

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None,
        telegram_parser: TelegramParser,
        telegram_callback: Callable[[Telegram], Any] | None = None,
        keep_alive_interval: float | None = None,
        encryption_key: str | None = "",
        authentication_key: str | None = "",
    ) -> None:
        self.loop = loop
        self.log = logger
        self.telegram_parser = telegram_parser
        self.telegram_callback = telegram_callback
        self._encryption_key = encryption_key
        self._authentication_key = authentication_key
        self._encrypted = bool(telegram_parser.telegram_specification.get("general_global_cipher"))
        self.decryption_error: DecryptionError | None = None
        self.telegram_buffer: TelegramBuffer | EncryptedTelegramBuffer = (
            EncryptedTelegramBuffer() if self._encrypted else TelegramBuffer()
        )
        self._closed = asyncio.Event()
        self._keep_alive_interval = keep_alive_interval
        self._active = True

    # ---- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.log.debug("connected")
        self._active = False
        if self.loop and self._keep_alive_interval:
            self.loop.call_later(self._keep_alive_interval, self.keep_alive)

    def data_received(self, data: bytes) -> None:
        """Raw bytes from the line, any chunk size."""
        self._active = True
        self.telegram_buffer.append(data)
        for telegram in self.telegram_buffer.get_all():
            self.handle_telegram(telegram)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc:
            self.log.error("disconnected: %s", exc)
        else:
            self.log.info("disconnected because of close/abort.")
        self._closed.set()

    # ---- the watchdog -------------------------------------------------------------------
    def keep_alive(self) -> None:
        if self._active:
            self._active = False
            if self.loop and self._keep_alive_interval:
                self.loop.call_later(self._keep_alive_interval, self.keep_alive)
        else:
            self.log.warning("keep-alive check failed")
            if self.transport:
                self.transport.close()

    # ---- telegrams ----------------------------------------------------------------------
    def handle_telegram(self, telegram: str | bytes) -> None:
        """Parse one whole telegram (hex of the frame for encrypted meters) and call back."""
        try:
            parsed = self.telegram_parser.parse(
                telegram,
                encryption_key=self._encryption_key,
                authentication_key=self._authentication_key,
            )
        except DecryptionError as exc:
            self._decryption_failed(exc)
        except InvalidChecksumError as exc:
            self.log.info(str(exc))
        except ParseError as exc:
            self.log.error("failed to parse telegram: %s", exc)
        else:
            self._deliver(parsed)

    def handle_dsmrparse_telegram(self, telegram: _DsmrTelegram) -> None:
        """A telegram dsmrparse's source has already framed, checked and parsed."""
        self._active = True
        try:
            parsed = self.telegram_parser.from_checked(telegram)
        except InvalidChecksumError as exc:
            self.log.info(str(exc))
        except ParseError as exc:
            self.log.error("failed to parse telegram: %s", exc)
        else:
            self._deliver(parsed)

    def _deliver(self, parsed: Telegram) -> None:
        if self.telegram_callback is not None:
            self.telegram_callback(parsed)

    def _decryption_failed(self, exc: DecryptionError) -> None:
        # a configured key fails every telegram alike: stop instead of skipping forever
        self.log.error("Failed to decrypt telegram, check the keys: %s", exc)
        self.decryption_error = exc
        if self.transport:
            self.transport.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()


def create_dsmr_protocol(
    dsmr_version: str,
    telegram_callback: Callable[[Telegram], Any],
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Any,
) -> tuple[Callable[[], DSMRProtocol], dict[str, Any]]:
    """A protocol factory for ``dsmr_version`` (``"2.2"``, ``"4"``, ``"5"``, ``"5B"`` ...) and
    the serial settings of those meters."""
    spec, settings = version_spec(dsmr_version)
    factory = partial(
        DSMRProtocol, loop, TelegramParser(spec), telegram_callback=telegram_callback, **kwargs
    )
    return factory, settings


def create_dsmr_reader(
    port: str,
    dsmr_version: str,
    telegram_callback: Callable[[Telegram], Any],
    loop: asyncio.AbstractEventLoop | None = None,
    keep_alive_interval: float | None = None,
    encryption_key: str | None = "",
    authentication_key: str | None = "",
) -> Any:
    """Coroutine giving ``(transport, protocol)`` reading ``port`` (a device, or any URL
    ``dsmrparse.open`` takes, e.g. ``socket://host:port``)."""
    if loop is None:
        loop = asyncio.get_running_loop()
    factory, settings = create_dsmr_protocol(
        dsmr_version,
        telegram_callback,
        loop=loop,
        keep_alive_interval=keep_alive_interval,
        encryption_key=encryption_key,
        authentication_key=authentication_key,
    )
    settings["url"] = port
    return create_serial_connection(loop, factory, **settings)


def create_tcp_dsmr_reader(
    host: str,
    port: int | str,
    dsmr_version: str,
    telegram_callback: Callable[[Telegram], Any],
    loop: asyncio.AbstractEventLoop | None = None,
    keep_alive_interval: float | None = None,
    encryption_key: str | None = "",
    authentication_key: str | None = "",
) -> Any:
    """The same over TCP (ser2net, a P1 dongle): ``socket://host:port``."""
    return create_dsmr_reader(
        f"socket://{host}:{port}",
        dsmr_version,
        telegram_callback,
        loop=loop,
        keep_alive_interval=keep_alive_interval,
        encryption_key=encryption_key,
        authentication_key=authentication_key,
    )


async def create_serial_connection(
    loop: asyncio.AbstractEventLoop | None,
    protocol_factory: Callable[[], DSMRProtocol],
    url: str,
    **settings: Any,
) -> tuple[SourceTransport, DSMRProtocol]:
    """Open ``url`` with ``dsmrparse.open`` and feed ``protocol_factory()``'s protocol.

    A device path that does not exist raises ``FileNotFoundError`` here, as pyserial's open
    does (Home Assistant's setup tells "cannot connect" by it); any later failure of the link
    ends the transport with ``connection_lost(exc)``.
    """
    if "://" not in url and url != "-" and not os.path.exists(url):
        raise FileNotFoundError(errno.ENOENT, f"could not open port {url}", url)
    protocol = protocol_factory()
    transport = SourceTransport(loop or asyncio.get_running_loop(), url, settings, protocol)
    protocol.connection_made(transport)
    transport.start()
    return transport, protocol


class SourceTransport(asyncio.Transport):
    """The read side of a ``dsmrparse.open`` source as an asyncio transport.

    The source does not reconnect on its own here (``retries=0``): a lost link ends the
    transport with ``connection_lost(exc)``, and the caller reconnects, as with dsmr_parser.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        url: str,
        settings: dict[str, Any],
        protocol: DSMRProtocol,
    ) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        options = source_options(
            protocol.telegram_parser.telegram_specification,
            protocol._encryption_key,
            protocol._authentication_key,
        )
        if "baudrate" in settings:
            options["serial"] = setting_text(settings)
        self._keyed = options
        self._source = open_source(url, retries=0, watchdog=None, yield_errors=True, **options)

    def start(self) -> None:
        self._task = self._loop.create_task(self._run())

    async def _run(self) -> None:
        error: Exception | None = None
        try:
            async for item in self._source:
                if isinstance(item, _DsmrTelegram):
                    self._protocol.handle_dsmrparse_telegram(item)
                else:
                    failure = decryption_failure(item, self._keyed)
                    if failure is not None:
                        self._protocol._decryption_failed(failure)
        except asyncio.CancelledError:
            pass
        except DsmrError as exc:  # the link is gone (retries=0): the caller reconnects
            error = exc
        except Exception as exc:  # the callback failed: end the connection, as asyncio does
            logger.exception("telegram callback failed; closing the connection")
            error = exc
        finally:
            self._finish(error)

    def _finish(self, error: Exception | None) -> None:
        if not self._closing:
            self._closing = True
            self._source.close()
        protocol, self._protocol = self._protocol, None  # type: ignore[assignment]
        if protocol is not None:
            protocol.connection_lost(error)

    # ---- asyncio.Transport --------------------------------------------------------------
    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._source.close()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        elif self._task is None:
            self._finish(None)

    def is_closing(self) -> bool:
        return self._closing

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"url": self._source.spec}.get(name, default)
