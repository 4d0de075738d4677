"""dsmr_parser's TCP reader (ser2net, P1 dongles), reading through ``dsmrparse.open``."""

from __future__ import annotations

from typing import Any

from ._reading import Reader

__all__ = ["SocketReader"]


class SocketReader(Reader):
    """``SocketReader(host, port, telegram_specifications.V5).read_as_object()``."""

    BUFFER_SIZE = 256

    def __init__(
        self,
        host: str,
        port: int,
        telegram_specification: dict[str, Any],
        encryption_key: str | None = "",
        authentication_key: str | None = "",
    ) -> None:
        super().__init__(telegram_specification, encryption_key, authentication_key)
        self.host = host
        self.port = port
        self.url = f"socket://{host}:{port}"
