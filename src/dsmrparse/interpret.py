"""From raw bytes to a :class:`Telegram`: tokenize, choose the profile, convert, finish.

The twin in use (:mod:`dsmrparse._impl`) does the hot work; this module adds what holds for the
whole telegram: the profile's choice and CRC rule, strict mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from . import _impl
from ._types import Problem, Tokens
from .errors import (
    CrcError,
    DecryptionError,
    DsmrError,
    FramingError,
    LineSyntaxError,
    ProfileError,
    ValueConversionError,
)
from .profiles import Profile, detect
from .profiles import get as get_profile
from .telegram import Telegram
from .values import time_context

_ERRORS: dict[str, type[DsmrError]] = {
    "framing": FramingError,
    "crc": CrcError,
    "syntax": LineSyntaxError,
    "value": ValueConversionError,
    "profile": ProfileError,
    "decryption": DecryptionError,
}


def to_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        try:
            return data.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise FramingError(
                f"text holds a character that is not a byte ({exc.object[exc.start]!r})",
                offset=exc.start,
            ) from None
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"parse() takes bytes or str, not {type(data).__name__}")


def build(
    data: bytes,
    profile: str | Profile | None = None,
    strict: bool = False,
    mbus_channels: Mapping[str, int] | None = None,
) -> Telegram:
    impl = _impl.current
    tokens: Tokens = impl.tokenize(data)
    if profile is None:
        chosen, reason = detect(tokens)
    else:
        chosen, reason = get_profile(profile), "named by the caller"
    ctx = time_context(chosen.timezone)
    entries, value_problems = impl.convert(tokens.lines, chosen.plan, ctx)
    problems = tokens.problems
    if value_problems:
        problems = problems + value_problems
    if tokens.crc == "absent" and chosen.crc_required:
        problems = problems + [
            Problem("crc", f"no CRC, but {chosen.title} telegrams carry one", None, tokens.end)
        ]
    if strict and problems:
        raise _as_error(problems[0], tokens)
    if mbus_channels is not None:
        mbus_channels = MappingProxyType(dict(mbus_channels))
    return Telegram(data, tokens, chosen, reason, tuple(entries), tuple(problems), mbus_channels)


def _as_error(problem: Problem, tokens: Tokens) -> DsmrError:
    cls = _ERRORS.get(problem.kind, DsmrError)
    where = {"line": problem.line, "offset": problem.offset, "obis": problem.obis}
    if cls is CrcError:
        return CrcError(
            problem.message,
            expected=tokens.crc_given,
            computed=tokens.crc_computed,
            **where,
        )
    return cls(problem.message, **where)  # type: ignore[arg-type]
