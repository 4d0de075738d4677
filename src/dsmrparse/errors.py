"""One exception hierarchy: nothing else escapes :func:`dsmrparse.parse`.

Every error says *where* (line number, byte offset, OBIS code when known) and *what*.
"""

from __future__ import annotations

__all__ = [
    "DsmrError",
    "FramingError",
    "CrcError",
    "LineSyntaxError",
    "ValueConversionError",
    "ProfileError",
    "DecryptionError",
    "SourceError",
]


class DsmrError(Exception):
    """Base class of every error this library raises.

    ``line`` (1-based, the header is line 1), ``offset`` (byte offset in the telegram or stream) and
    ``obis`` (the object's code) are set when known.
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        offset: int | None = None,
        obis: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.offset = offset
        self.obis = obis
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        if self.obis:
            where.append(self.obis)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class FramingError(DsmrError):
    """The bytes are not one whole telegram: no ``/`` header, no ``!`` end, truncated, too long."""

    kind = "framing"


class CrcError(DsmrError):
    """The CRC written after ``!`` does not match the bytes (both values in hex)."""

    kind = "crc"

    def __init__(
        self,
        message: str,
        *,
        expected: int,
        computed: int,
        line: int | None = None,
        offset: int | None = None,
        obis: str | None = None,
    ) -> None:
        self.expected = expected
        self.computed = computed
        super().__init__(message, line=line, offset=offset, obis=obis)


class LineSyntaxError(DsmrError):
    """An object line is not ``OBIS(group)(group)...``."""

    kind = "syntax"


class ValueConversionError(DsmrError):
    """A group has the right shape but its content cannot be the value the profile expects."""

    kind = "value"


class ProfileError(DsmrError):
    """No such profile, or the data cannot be the named profile."""

    kind = "profile"


class DecryptionError(DsmrError):
    """An encrypted DLMS frame could not be opened: wrong key, bad tag, malformed frame."""

    kind = "decryption"


class SourceError(DsmrError):
    """A live source or file could not be opened or read."""

    kind = "source"
