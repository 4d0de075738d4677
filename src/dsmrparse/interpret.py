"""From raw bytes to a :class:`Telegram`: tokenize, choose the profile, convert, finish.

The twin in use (:mod:`dsmrparse._impl`) does the hot work; this module adds what holds for the
whole telegram: the profile's choice and CRC rule, strict mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from . import _impl
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
from .telegram import Telegram
from .values import time_context

_PADDING = b" \t\r\n\x00\xff"
MAX_TELEGRAM = 65536  # the largest real telegrams are about 2 KiB; anything bigger is a stream

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
    key: bytes | str | None = None,
    auth_key: bytes | str | None = None,
) -> Telegram:
    if len(data) > MAX_TELEGRAM:
        raise FramingError(
            f"{len(data)} bytes is no single telegram (at most {MAX_TELEGRAM}); "
            "use iter_telegrams or a FrameScanner for streams",
            offset=0,
        )
    if data.startswith(b"\xdb"):  # a DLMS general-global-cipher frame: open it first
        data = _open_frame(data, key, auth_key)
    impl = _impl.current
    tokens: Tokens = impl.tokenize(data)
    if profile is None:
        chosen, reason = detect(tokens)
    else:
        chosen, reason = get_profile(profile), "named by the caller"
    ctx = time_context(chosen.timezone, chosen.dst_flags)
    # (memo: the profile's own plan, which nobody changes, so unchanged lines keep their entries)
    entries, value_problems = impl.convert(tokens.lines, chosen.plan, ctx, True)
    problems = tokens.problems
    if problems:  # rare: keep each line the tokenizer could not read as a raw entry
        entries = _with_unreadable_lines(data, entries, problems)
    if value_problems:
        problems = problems + value_problems
    end = tokens.end
    if end < len(data) and not chosen.gateway_trailer:
        extra = data[end:].strip(_PADDING)
        if extra:
            problems = problems + [
                Problem(
                    "framing",
                    f"{len(extra)} bytes after the end of the telegram ignored",
                    None,
                    tokens.end,
                )
            ]
    if tokens.crc == "absent" and chosen.crc_required:
        problems = problems + [
            Problem("crc", f"no CRC, but {chosen.title} telegrams carry one", None, tokens.end)
        ]
    if strict and problems:
        raise _as_error(problems[0], tokens)
    if mbus_channels is not None:
        mbus_channels = MappingProxyType(dict(mbus_channels))
    return Telegram(
        data, tokens, chosen, reason, impl.freeze(entries), tuple(problems), mbus_channels
    )


def _with_unreadable_lines(
    data: bytes, entries: list[Entry], problems: list[Problem]
) -> list[Entry]:
    """Entries plus one raw entry per line with a syntax problem, in telegram order.

    Nothing is lost: such a line keeps its text (``raw``), its place and its error; its ``obis`` is
    the text before the first ``(`` (or the whole line), as written.
    """
    extra = []
    for p in problems:
        if p.kind != "syntax" or p.line is None or p.offset is None or p.obis is not None:
            continue  # (a syntax problem with a code is on a line that was read)
        start = data.rfind(b"\n", 0, p.offset) + 1
        end = data.find(b"\n", p.offset)
        text = data[start : end if end >= 0 else len(data)].decode("latin-1").rstrip("\r")
        code = text.partition("(")[0].strip()
        extra.append(Entry(code, None, None, None, None, (text,), p.line, start, p.message))
    if not extra:
        return entries
    return sorted(entries + extra, key=_line_of)


def _line_of(entry: Entry) -> int:
    return entry.line


def _open_frame(data: bytes, key: bytes | str | None, auth_key: bytes | str | None) -> bytes:
    if key is None:
        raise DecryptionError("encrypted frame: a key is needed (parse(data, key=...))")
    from .crypto import decrypt

    return decrypt(data, key, auth_key)


def _as_error(problem: Problem, tokens: Tokens) -> DsmrError:
    cls = _ERRORS.get(problem.kind, DsmrError)
    line, offset, obis = problem.line, problem.offset, problem.obis
    if cls is CrcError:
        return CrcError(
            problem.message,
            expected=tokens.crc_given,
            computed=tokens.crc_computed,
            line=line,
            offset=offset,
            obis=obis,
        )
    return cls(problem.message, line=line, offset=offset, obis=obis)
