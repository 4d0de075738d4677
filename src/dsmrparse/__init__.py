"""dsmrparse: fast, exact parsing of smart-meter P1 telegrams.

>>> import dsmrparse
>>> t = dsmrparse.parse(data)                 # one telegram, "/" to "!CRC", bytes or str
>>> t.crc, t.timestamp, t["electricity_imported_tariff_1"]
"""

from __future__ import annotations

from collections.abc import Mapping

from . import _impl
from ._types import Entry, Frame, PeakRecord, PowerFailure, Problem, Reading
from .errors import (
    CrcError,
    DecryptionError,
    DsmrError,
    FramingError,
    LineSyntaxError,
    ProfileError,
    SourceError,
    ValueConversionError,
)
from .interpret import build, to_bytes
from .obis import ObisCode
from .profiles import Profile
from .telegram import Header, MBusDevice, Telegram, dumps

TYPE_CHECKING = False  # (typing stays out of import dsmrparse; type checkers know the name)

__version__ = "0.1.0"

__all__ = [
    "parse",
    "implementation",
    "use_implementation",
    "Telegram",
    "Header",
    "Entry",
    "Reading",
    "PowerFailure",
    "PeakRecord",
    "MBusDevice",
    "Problem",
    "Frame",
    "ObisCode",
    "Profile",
    "dumps",
    "DsmrError",
    "FramingError",
    "CrcError",
    "LineSyntaxError",
    "ValueConversionError",
    "ProfileError",
    "DecryptionError",
    "SourceError",
    "open",
    "iter_telegrams",
    "decrypt",
]

if TYPE_CHECKING:  # what the lazy names below are, for type checkers (never imported at run time)
    from .crypto import decrypt as decrypt
    from .files import iter_telegrams as iter_telegrams
    from .hardware import open as open  # noqa: A004

# Heavier parts load on first use so that ``import dsmrparse`` stays fast.
_LAZY = {
    "open": ("hardware", "open"),
    "iter_telegrams": ("files", "iter_telegrams"),
    "decrypt": ("crypto", "decrypt"),
}


def __getattr__(name: str) -> object:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'dsmrparse' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{target[0]}"), target[1])
    globals()[name] = value
    return value


def parse(
    data: bytes | bytearray | memoryview | str,
    profile: str | Profile | None = None,
    *,
    strict: bool = False,
    mbus_channels: Mapping[str, int] | None = None,
    key: bytes | str | None = None,
    auth_key: bytes | str | None = None,
) -> Telegram:
    """Parse one telegram (``/`` header to ``!CRC``) into a :class:`Telegram`.

    ``profile`` names the meter family (``"dsmr5"``, ``"belgium"`` ...); by default it is detected.
    Lenient by default: problems are collected on ``Telegram.problems``; ``strict=True`` raises the
    first as a :class:`DsmrError`. ``mbus_channels={"gas": 2}`` pins a shortcut to a channel.
    An encrypted DLMS frame (``0xDB ...``, Luxembourg, Austria) is opened first with ``key`` (and
    ``auth_key`` when the meter uses one); see :func:`dsmrparse.decrypt`.
    Only :class:`DsmrError` subclasses escape, whatever the bytes (a ``TypeError`` says that
    ``data`` was neither bytes nor str).
    """
    raw = to_bytes(data)
    try:
        return build(raw, profile, strict, mbus_channels, key, auth_key)
    except DsmrError:
        raise
    except Exception as exc:  # a bug of ours must still reach the caller as a DsmrError
        raise DsmrError(f"internal error while parsing: {type(exc).__name__}: {exc}") from exc


def implementation() -> str:
    """``"cython"`` when the compiled fast path is in use, ``"python"`` for the pure twin."""
    return _impl.name()


def use_implementation(name: str) -> str:
    """Switch between ``"cython"`` and ``"python"``; returns the previous name."""
    return _impl.use(name)
