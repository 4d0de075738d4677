"""From raw bytes to a :class:`Telegram`: tokenize, choose the profile, convert, finish.

The twin in use (:mod:`dsmrparse._impl`) does the hot work; this module adds what is rare and
structural: COMPLEX rows, the profile's CRC rule, strict mode.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import _impl
from . import _kinds as K
from ._types import Entry, Problem, Tokens
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
from .telegram import Header, Telegram
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
    if chosen.complex_codes:
        problems = _finish_complex(entries, chosen, ctx, problems)
    if tokens.crc == "absent" and chosen.crc_required:
        problems = problems + [
            Problem("crc", f"no CRC, but {chosen.title} telegrams carry one", None, tokens.end)
        ]
    if strict and problems:
        raise _as_error(problems[0], tokens)
    return Telegram(
        raw=data,
        profile=chosen.name,
        profile_reason=reason,
        header=Header.parse(tokens.header),
        crc=tokens.crc,
        crc_given=tokens.crc_given if tokens.crc_given >= 0 else None,
        crc_computed=tokens.crc_computed,
        crc_repaired=tokens.crc_repaired,
        line_ending=tokens.line_ending,
        entries=tuple(entries),
        problems=tuple(problems),
        pins=mbus_channels,
    )


def _finish_complex(
    entries: list[Entry], profile: Profile, ctx: object, problems: list[Problem]
) -> list[Problem]:
    codes = profile.complex_codes
    for i, e in enumerate(entries):
        if e.obis not in codes:
            continue
        row = profile.plan[e.obis][3]
        assert row.converter is not None and row.kind == K.COMPLEX
        try:
            value, unit, stamp = row.converter(e.raw, ctx)  # type: ignore[arg-type]
        except ValueError as exc:
            problems = problems + [Problem("value", str(exc), e.line, e.offset, e.obis)]
            entries[i] = e._replace(error=str(exc))
            continue
        entries[i] = e._replace(value=value, unit=unit, timestamp=stamp)
    return problems


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
