"""dsmr_parser's stream buffers, backed by dsmrparse's FrameScanner.

``TelegramBuffer`` hands out whole plain telegrams (``/`` ... ``!CRC`` and the line end) as text,
``EncryptedTelegramBuffer`` whole DLMS ``0xDB`` frames as hex. The scanner resynchronises after
noise and keeps memory bounded; bytes that cannot start a telegram are dropped at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from ...._types import Frame


def _scanner() -> Any:
    # the twin in use (compiled or pure) provides the scanner; one place to change if it moves
    from .... import _impl

    return _impl.current.FrameScanner()


class _ScanBuffer:
    _KIND = "telegram"

    def __init__(self) -> None:
        self._scanner = _scanner()
        self._fed = 0
        self._held = bytearray()  # the bytes the scanner holds: an unfinished telegram
        self._ready: deque[Frame] = deque()

    def append(self, data: str | bytes | bytearray) -> None:
        """Add bytes (or latin-1 text) as they arrive; any chunk size."""
        raw = data.encode("latin-1") if isinstance(data, str) else bytes(data)
        self._fed += len(raw)
        for frame in self._scanner.feed(raw):
            if frame.kind == self._KIND:
                self._ready.append(frame)
        self._held += raw
        keep = self._fed - self._scanner.offset
        del self._held[: len(self._held) - keep]

    def frames(self) -> Iterator[Frame]:
        while self._ready:
            yield self._ready.popleft()

    @property
    def _buffer(self) -> str:
        """What is held back, waiting for the rest of a telegram (dsmr_parser's attribute)."""
        return self._held.decode("latin-1")


class TelegramBuffer(_ScanBuffer):
    """Text in (``append``), whole telegrams out (``get_all``)."""

    def get_all(self) -> Iterator[str]:
        for frame in self.frames():
            yield frame.data.decode("latin-1") + "\r\n"


class EncryptedTelegramBuffer(_ScanBuffer):
    """Bytes in, whole general-global-cipher frames out as hex (what ``TelegramParser`` takes)."""

    _KIND = "encrypted"
    GENERAL_GLOBAL_CIPHER_TAG = 0xDB
    LONG_FORM_LENGTH_INDICATOR = 0x82

    def get_all(self) -> Iterator[str]:
        for frame in self.frames():
            yield frame.data.hex()
