"""The pure-Python twin of ``_fastparse.pyx``: same functions, same results, byte for byte.

It is the reference the Cython module is checked against, and what runs where no compiler was
available at install time (or when ``DSMRPARSE_PURE_PYTHON=1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import crcmod.predefined

from . import _kinds as K
from ._jsonform import dumps_reference as dumps
from ._jsonform import entries_json
from ._types import Entry, Line, Problem, Tokens
from ._unknown import unknown_entry
from .errors import FramingError
from .obis import ObisCode, spelling_problem
from .values import (
    TimeContext,
    decode_hex_text,
    flag_problem,
    parse_integer,
    parse_quantity,
    parse_timestamp,
    units_equal,
)

NAME = "python"

__all__ = [
    "NAME",
    "crc16",
    "tokenize",
    "convert",
    "clear_memo",
    "freeze",
    "entries_json",
    "dumps",
    "FrameScanner",
    "Frame",
    "DEFAULT_MAX_FRAME",
    "complex_value",
]


def complex_value(
    converter: Any, groups: tuple[str, ...], ctx: Any, expected: str | None = None
) -> tuple[Any, str | None, Any]:
    """``converter(groups, ctx)``: a COMPLEX row's (value, unit, timestamp). The compiled twin
    reads the profiles' own converters in C; here the converter itself answers."""
    return converter(groups, ctx)


_crc16 = crcmod.predefined.mkPredefinedCrcFun("crc-16")  # CRC-16/ARC: poly 0x8005 reflected, init 0

_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_CANONICAL = re.compile(r"^\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}$")
_BYTE = r"(?:25[0-5]|2[0-4]\d|1\d\d|\d\d?)"  # an OBIS group: 0 to 255
_PLAIN = re.compile(rf"{_BYTE}-{_BYTE}:{_BYTE}\.{_BYTE}\.{_BYTE}\Z")
# a plain code followed by well-formed groups and nothing else
_SIMPLE_LINE = re.compile(
    rf"({_BYTE}-{_BYTE}:{_BYTE}\.{_BYTE}\.{_BYTE})\(([^()]*(?:\)\([^()]*)*)\)\r?\Z"
)
_SPACES = frozenset(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0")  # str.isspace, latin-1
_BARE_LF = re.compile(rb"(?<!\r)\n")
_SKIPPABLE = frozenset(b" \t\r\n\x00\xff")

DEFAULT_MAX_FRAME = 8192
_SECURITY_BYTES = frozenset((0x10, 0x20, 0x30))  # authenticated, encrypted, both


def crc16(data: bytes) -> int:
    """CRC-16/ARC of ``data`` (the DSMR telegram CRC, computed over ``/`` through ``!``)."""
    return _crc16(data)


# --------------------------------------------------------------------------------------------
# tokenizer


_obis_cache: dict[str, str | None] = {}


def canonical_obis(code: str) -> str | None:
    """``1-0:1.8.0*255`` -> ``1-0:1.8.0``; None when the text is no OBIS code."""
    if _CANONICAL.match(code):
        return code
    cached = _obis_cache.get(code)
    if cached is None and code not in _obis_cache:
        try:
            cached = str(ObisCode.parse(code))
        except ValueError:
            cached = None
        if len(_obis_cache) < 4096:
            _obis_cache[code] = cached
    return cached


def tokenize(data: bytes) -> Tokens:
    """One pass over one telegram: header, object lines, CRC status, line endings.

    Raises :class:`FramingError` when there is no ``/`` header at all; everything else wrong is
    reported in ``Tokens.problems``.
    """
    start = _header_start(data)
    if start < 0:
        raise FramingError("no header ('/' at a line start) found", offset=0)
    problems: list[Problem] = []
    if start and any(b not in _SKIPPABLE for b in data[:start]):
        problems.append(Problem("framing", f"{start} bytes of noise before the '/' header", 1, 0))
    if not _looks_like_header(data[start + 1 : start + 5]):
        problems.append(_odd_header(data, start))

    bang = data.find(b"\n!", start)
    if bang < 0:
        body = data[start:]
        end = len(data)
        crc_text = ""
        problems.append(Problem("framing", "no '!' end line: telegram is incomplete", None, end))
        has_end = False
    else:
        body = data[start : bang + 2]
        pos = bang + 2
        limit = min(pos + 4, len(data))
        while pos < limit and data[pos] in _HEX_DIGITS:
            pos += 1
        crc_text = data[bang + 2 : pos].decode("ascii")
        end = pos
        has_end = True

    crlf = body.count(b"\r\n")
    lf = body.count(b"\n")
    line_ending = "CRLF" if crlf == lf else ("LF" if crlf == 0 else "mixed")

    crc_given = -1
    crc_repaired = False
    computed = _crc16(body.replace(b"\n", b"\r\n")) if line_ending == "LF" else _crc16(body)
    if not crc_text:
        crc = "absent"
    elif len(crc_text) < 3:
        crc = "bad"
        problems.append(
            Problem("crc", f"CRC {crc_text!r} is not 3 or 4 hex digits", None, bang + 2)
        )
    else:
        crc_given = int(crc_text, 16)
        if line_ending == "mixed" and crc_given != computed:
            repaired = _crc16(_BARE_LF.sub(b"\r\n", body))
            if repaired == crc_given:
                computed = repaired
                crc_repaired = True
        elif line_ending == "LF":
            if crc_given == computed:
                crc_repaired = True
            else:  # a device that computed it over the LF-only bytes as sent
                as_sent = _crc16(body)
                if as_sent == crc_given:
                    computed = as_sent
        crc = "ok" if crc_given == computed else "bad"
        if crc == "bad":
            problems.append(
                Problem(
                    "crc",
                    f"CRC mismatch: telegram says {crc_given:04X}, computed {computed:04X}",
                    None,
                    bang + 2,
                )
            )
    if crc != "ok":
        crc_repaired = False

    text = body.decode("latin-1")
    lines, header = _split_lines(text, start, has_end, problems)
    codes = tuple([ln.obis for ln in lines])
    return Tokens(
        header,
        lines,
        crc,
        crc_given,
        computed,
        line_ending,
        crc_repaired,
        problems,
        start,
        end,
        codes,
    )


def _header_start(data: bytes) -> int:
    """Offset of the header's ``/``, or -1.

    The first byte past padding when it is a ``/``, whatever follows (one given telegram is read
    whatever its identification line looks like); else the first ``/XXXn`` (the scanner's rule,
    see _looks_like_header), after noise; else the first ``/`` at a line start.
    """
    size = len(data)
    first = 0
    while first < size and data[first] in _SKIPPABLE:
        first += 1
    if first < size and data[first] == 0x2F:
        return first
    pos = data.find(b"/")
    while pos >= 0:
        if _looks_like_header(data[pos + 1 : pos + 5]):
            return pos
        pos = data.find(b"/", pos + 1)
    pos = data.find(b"\n/")
    return pos + 1 if pos >= 0 else -1


def _odd_header(data: bytes, start: int) -> Problem:
    """The framing problem of an identification line that is not ``/XXXn...``."""
    end = data.find(b"\n", start)
    line = data[start : end if end >= 0 else len(data)].rstrip(b"\r").decode("latin-1")
    return Problem(
        "framing",
        f"identification line {line[:40]!r} is not '/XXXn...' (three letters, a baud digit)",
        1,
        start,
    )


def _looks_like_header(after_slash: bytes | bytearray) -> bool:
    """``/XXXZ``: three letters of manufacturer, then the baud-rate digit (``/NWA-`` too).

    Every header seen has this shape; a "/" in noise (a URL, "GET /api") rarely does.
    """
    return (
        len(after_slash) == 4
        and bytes(after_slash[:3]).isalpha()
        and (0x30 <= after_slash[3] <= 0x39 or after_slash[3] == 0x2D)
    )


def _split_lines(
    text: str, base: int, has_end: bool, problems: list[Problem]
) -> tuple[list[Line], str]:
    raw_lines = text.split("\n")
    if has_end:
        raw_lines.pop()  # the "!" that ends the telegram
    header = raw_lines[0].rstrip("\r")[1:]
    lines: list[Line] = []
    offset = base + len(raw_lines[0]) + 1
    simple = _SIMPLE_LINE.match
    for number, raw in enumerate(raw_lines[1:], start=2):
        line_offset = offset
        offset += len(raw) + 1
        m = simple(raw)
        if m is not None:  # the common, well-formed line: one regex instead of the walk below
            lines.append(Line(m[1], tuple(m[2].split(")(")), number, line_offset))
            continue
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        paren = line.find("(")
        if paren < 0:
            problems.append(
                Problem("syntax", f"no '(' in object line {line[:40]!r}", number, line_offset)
            )
            continue
        groups = _groups(line, paren, number, line_offset, problems)
        if groups is None:
            continue
        if paren == 0 or not line[:paren].strip():
            if not lines:
                problems.append(
                    Problem("syntax", "continuation line before any object", number, line_offset)
                )
                continue
            last = lines[-1]
            lines[-1] = Line(last.obis, last.groups + groups, last.line, last.offset)
            continue
        code = line[:paren].strip()
        obis = canonical_obis(code)
        if obis is None:
            problems.append(
                Problem("syntax", f"not an OBIS code: {code[:40]!r}", number, line_offset)
            )
            continue
        spaced = line[paren - 1] in _SPACES
        if spaced or not _PLAIN.match(code):
            for message in spelling_problem(code, obis, spaced):
                problems.append(Problem("syntax", message, number, line_offset, obis))
        lines.append(Line(obis, groups, number, line_offset))
    return lines, header


def _groups(
    line: str, pos: int, number: int, offset: int, problems: list[Problem]
) -> tuple[str, ...] | None:
    groups = []
    size = len(line)
    while pos < size:
        ch = line[pos]
        if ch == "(":
            close = line.find(")", pos + 1)
            if close < 0:
                problems.append(Problem("syntax", "unterminated '(' group", number, offset + pos))
                return None
            groups.append(line[pos + 1 : close])
            pos = close + 1
        elif ch in " \t":
            pos += 1
        else:
            problems.append(
                Problem("syntax", f"unexpected {ch!r} after a group", number, offset + pos)
            )
            return None
    return tuple(groups)


# --------------------------------------------------------------------------------------------
# typed values

PlanRow = tuple  # (kind, name, unit, converter): see Profile.plan


def convert(
    lines: Iterable[Line], plan: Mapping[str, PlanRow], ctx: TimeContext, memo: bool = False
) -> tuple[list[Entry], list[Problem]]:
    """Typed entries for the object lines, following the profile's plan.

    COMPLEX rows call the row's converter (Python, shared by both twins); objects the plan does not
    know are kept with ``name`` and ``value`` None and their raw groups.

    ``memo=True`` (for a profile's own plan, which nobody changes) lets a line equal to the line at
    the same place of the previous telegram reuse that telegram's entry: an Entry depends only on
    its line (code, groups, number, offset), the plan and the time context.
    """
    entries: list[Entry] = []
    problems: list[Problem] = []
    if not memo:
        for ln in lines:
            entries.append(_entry(ln, plan, ctx, problems))
        return entries, problems
    global _memo
    owner_plan, owner_ctx, old_lines, old_results = _memo  # one snapshot: threads may swap it
    if owner_plan is not plan or owner_ctx is not ctx:
        old_lines, old_results = [], []
    known = len(old_lines)
    new_lines: list[Line] = []
    new_results: list[tuple[Entry, list[Problem]]] = []
    for i, ln in enumerate(lines):
        if i < known and old_lines[i] == ln:
            result = old_results[i]
        else:
            line_problems: list[Problem] = []
            result = (_entry(ln, plan, ctx, line_problems), line_problems)
        entries.append(result[0])
        problems.extend(result[1])
        if i < _MEMO_LINES:
            new_lines.append(ln)
            new_results.append(result)
    _memo = (plan, ctx, new_lines, new_results)
    return entries, problems


_MEMO_LINES = 128  # as the compiled twin: no telegram has more lines worth keeping
_memo: tuple[Any, Any, list[Line], list[tuple[Entry, list[Problem]]]] = (None, None, [], [])


def freeze(entries: list[Entry]) -> tuple[Entry, ...]:
    """The entries as the tuple a Telegram keeps."""
    return tuple(entries)


def clear_memo() -> None:
    """Forget the entries of earlier telegrams (tests, and whoever changes a plan in place)."""
    global _memo
    _memo = (None, None, [], [])


def _entry(
    ln: Line, plan: Mapping[str, PlanRow], ctx: TimeContext, problems: list[Problem]
) -> Entry:
    """The Entry of one line (and its problems, appended)."""
    row = plan.get(ln.obis)
    if row is None:
        return unknown_entry(ln.obis, ln.groups, ln.line, ln.offset, ctx)
    kind, name, expected_unit = row[0], row[1], row[2]
    value: Any = None
    unit = None
    stamp = None
    error = None
    stamp_text = None  # a timestamp's text, whose S/W flag is checked against the zone
    try:
        if kind == K.COMPLEX:
            value, unit, stamp = row[3](ln.groups, ctx)
        elif kind == K.TIMESTAMPED:
            stamp, value, unit, stamp_text = _timestamped(ln.groups, ctx)
        else:
            if len(ln.groups) != 1:
                raise ValueError(f"expected 1 group, found {len(ln.groups)}")
            group = ln.groups[0]
            if kind == K.QUANTITY:
                number, star, unit = group.partition("*")
                if number.isascii() and number.replace(".", "", 1).isdigit():
                    value, unit = Decimal(number), (unit.strip() if star else None)
                else:  # signs, spaces, garbage: the shared rules (and error texts)
                    value, unit = parse_quantity(group)
            elif kind == K.INTEGER:
                if group.isascii() and group.isdigit() and len(group) <= 18:
                    value = int(group)
                else:
                    value, unit = parse_integer(group)
            elif kind == K.TEXT:
                value = group or None  # "()": not present
            elif kind == K.HEX_TEXT:
                value = decode_hex_text(group) if group else None
            elif kind == K.TIMESTAMP:
                value = parse_timestamp(group, ctx)
                stamp_text = group
            else:
                value = group or None
    except ValueError as exc:
        value = stamp = unit = stamp_text = None
        if any(ln.groups):  # ("()" everywhere: the object is not present, no problem)
            error = str(exc)
            problems.append(Problem("value", error, ln.line, ln.offset, ln.obis))
    if stamp_text is not None:
        conflict = flag_problem(stamp_text, stamp if kind == K.TIMESTAMPED else value, ctx)
        if conflict is not None:
            problems.append(Problem("value", conflict, ln.line, ln.offset, ln.obis))
    if (
        unit is not None
        and expected_unit is not None
        and unit != expected_unit
        and not units_equal(unit, expected_unit)
    ):
        message = f"unit {unit!r} where {expected_unit!r} was expected"
        problems.append(Problem("value", message, ln.line, ln.offset, ln.obis))
    return Entry(ln.obis, name, value, unit, stamp, ln.groups, ln.line, ln.offset, error)


def _timestamped(groups: tuple[str, ...], ctx: TimeContext) -> tuple[Any, Decimal, str | None, str]:
    """``(TST)(v*u)`` or ``(v*u)(TST)``: the timestamp is the group without a ``*`` or ``.``."""
    if len(groups) != 2:
        raise ValueError(f"expected 2 groups (time and value), found {len(groups)}")
    first, second = groups
    if _looks_like_time(first):
        stamp_text, value_text = first, second
    else:
        stamp_text, value_text = second, first
    value, unit = parse_quantity(value_text)
    return parse_timestamp(stamp_text, ctx), value, unit, stamp_text


def _looks_like_time(text: str) -> bool:
    return "*" not in text and "." not in text and len(text) >= 12


# --------------------------------------------------------------------------------------------
# frame scanner

from ._types import Frame  # noqa: E402  (kept beside its user)


class FrameScanner:
    """Bytes in, in chunks of any size; whole frames out.

    ``feed`` returns the frames completed by the chunk: ``telegram`` (``/`` ... ``!CRC``),
    ``encrypted`` (a length-framed DLMS ``0xDB`` frame), ``junk`` (bytes outside any frame other
    than white space and padding) and ``damaged`` (a telegram cut off by a new header or longer
    than ``max_frame``). Memory stays below ``max_frame`` plus the chunk being fed.

    A frame starts at ``/XXXn`` (three letters, a baud digit) anywhere, or at any other ``/`` at
    a line start: such a loose start is a telegram only when it ends in a ``!`` line whose CRC
    checks out, or that has no CRC at all where the stream is clean (at its start, or right after
    a telegram) or every line between is an object line (a file of DSMR 2.2 telegrams), and junk
    otherwise (noise may well hold a ``/`` at a line start).
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        if max_frame < 64:
            raise ValueError("max_frame must be at least 64 bytes")
        self.max_frame = max_frame
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._in_frame = False  # _buf[0] is the start of a frame ("/")
        self._loose = False  # ... one whose header is not /XXXn (a telegram only if its CRC is)
        self._line_start = True  # the byte before _buf[0] was a LF (or there was none)
        self._clean = True  # nothing but telegrams and padding so far
        self._scan = 0  # where to resume looking for the end inside a frame

    @property
    def offset(self) -> int:
        """Stream offset of the next byte not yet handed out."""
        return self._base

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        while self._step(out, final=False):
            pass
        return out

    def flush(self) -> list[Frame]:
        """The end of the stream: hand out whatever is left."""
        out: list[Frame] = []
        while self._step(out, final=True):
            pass
        if self._buf:
            if self._in_frame and not self._loose:
                self._emit(out, "damaged", len(self._buf), "stream ended inside a telegram")
            else:
                self._junk(out, len(self._buf))
        self._in_frame = self._loose = False
        self._scan = 0
        return out

    # one step: True when it consumed something and should run again
    def _step(self, out: list[Frame], final: bool) -> bool:
        buf = self._buf
        if not buf:
            return False
        if not self._in_frame:
            start, verdict = _find_start(buf, 0, final, self._line_start)
            if start < 0:
                # keep a possible start at the very end (a "/" whose letters have not come yet)
                keep = _partial_start(buf, final, self._line_start)
                if len(buf) - keep > 0:
                    self._junk(out, len(buf) - keep)
                return False
            if start:
                self._junk(out, start)
            self._in_frame = True
            self._loose = verdict == 2
            self._scan = 1
            return True
        if buf[0] == 0xDB:
            return self._step_encrypted(out, final)
        return self._step_telegram(out, final)

    def _step_telegram(self, out: list[Frame], final: bool) -> bool:
        buf = self._buf
        pos = self._scan
        limit = len(buf)
        strict = _strict_start(buf, 1) if self._loose else -1
        if strict > 0:  # a loose frame never swallows a real frame start
            limit = strict
        while True:
            nl = buf.find(b"\n", pos, limit)
            if nl < 0:  # (resume past the bytes seen: many small feeds of a long line stay linear)
                self._scan = max(limit, 1)
                break
            if nl + 1 >= limit:
                self._scan = max(nl, 1)
                break
            nxt = buf[nl + 1]
            if nxt == 0x21:  # "!"
                end = _crc_end(buf, nl + 2, final)
                if end < 0:
                    self._scan = nl
                    break
                if (
                    self._loose
                    and not _crc_checks(buf, nl + 2, end)
                    and not (end == nl + 2 and (self._clean or _plain_body(buf, nl)))
                ):
                    self._junk(out, end)  # a "/" at a line start in noise, not a telegram
                    self._in_frame = self._loose = False
                    self._scan = 0
                elif end > self.max_frame:  # arrived whole in one chunk, still too long
                    self._emit(
                        out, "damaged", end, f"telegram longer than {self.max_frame} bytes dropped"
                    )
                else:
                    self._emit(out, "telegram", end, None)
                return True
            if nxt == 0x2F:  # "/" at a line start: a new header cuts this telegram off
                verdict = _is_start(buf, nl + 1, final, True)
                if verdict == 0:
                    self._scan = nl  # wait for the header letters
                    break
                where = self._base + nl + 1
                self._cut(out, nl + 1, f"telegram cut off: a new header began at byte {where}")
                return True
            pos = nl + 1
        if strict > 0:
            self._cut(out, strict, "")  # (loose: junk)
            return True
        if len(buf) > self.max_frame:
            self._cut(out, len(buf), f"telegram longer than {self.max_frame} bytes dropped")
            return True
        return False

    def _cut(self, out: list[Frame], size: int, error: str) -> None:
        """The frame ends before its ``!`` line: damaged, or junk if its start was loose."""
        if self._loose:
            self._junk(out, size)
            self._in_frame = self._loose = False
            self._scan = 0
        else:
            self._emit(out, "damaged", size, error)

    def _step_encrypted(self, out: list[Frame], final: bool) -> bool:
        buf = self._buf
        total = _dlms_length(buf)
        if total == 0:  # not enough bytes yet to know
            if final:
                self._emit(out, "damaged", len(buf), "stream ended inside an encrypted frame")
                return True
            return False
        if total < 0 or total > self.max_frame:
            self._emit(out, "damaged", 1, "not a valid encrypted frame header")
            return True
        # a frame of the same meter (the same system title) starting inside this one: this one
        # was cut short and its length field must not swallow the next
        limit = min(len(buf), total + 9)
        inner = buf.find(bytes(buf[:10]), max(self._scan, 1), limit)
        if 0 < inner < total:
            where = self._base + inner
            self._emit(
                out, "damaged", inner, f"encrypted frame cut off: a new frame began at byte {where}"
            )
            return True
        self._scan = max(self._scan, limit - 9, 1)
        if len(buf) < total:
            if final:
                self._emit(out, "damaged", len(buf), "stream ended inside an encrypted frame")
                return True
            return False
        self._emit(out, "encrypted", total, None)
        return True

    def _emit(self, out: list[Frame], kind: str, size: int, error: str | None) -> None:
        data = bytes(self._buf[:size])
        out.append(Frame(kind, self._base, data, error))
        self._line_start = data[-1] == 0x0A
        self._clean = kind == "telegram"
        del self._buf[:size]
        self._base += size
        self._in_frame = self._loose = False
        self._scan = 0

    def _junk(self, out: list[Frame], size: int) -> None:
        chunk = bytes(self._buf[:size])
        if any(b not in _SKIPPABLE for b in chunk):
            out.append(Frame("junk", self._base, chunk, f"{size} bytes outside any telegram"))
            self._clean = False
        self._line_start = chunk[-1] == 0x0A
        del self._buf[:size]
        self._base += size


def _fits(value: Any) -> bool:
    """A cell value a typed column holds exactly (columnar.TooWide otherwise)."""
    if type(value) is int:
        return -(2**63) <= value < 2**63
    if type(value) is Decimal:
        return len(value.as_tuple().digits) <= 38
    return True


def _is_start(buf: bytearray, pos: int, final: bool, line_start: bool) -> int:
    """1: a telegram or encrypted frame starts at pos; 2: a loose start (a "/" at a line start,
    line_start saying whether pos 0 is one); -1: not; 0: not enough bytes to say."""
    head = buf[pos]
    if head == 0x2F:
        loose = buf[pos - 1] == 0x0A if pos else line_start
        need = pos + 5
        if len(buf) < need:
            return (2 if loose else -1) if final else 0
        if _looks_like_header(buf[pos + 1 : need]):
            return 1
        return 2 if loose else -1
    if head == 0xDB:
        if len(buf) < pos + 2:
            return -1 if final else 0
        return 1 if buf[pos + 1] == 0x08 else -1
    return -1


def _find_start(buf: bytearray, pos: int, final: bool, line_start: bool) -> tuple[int, int]:
    """The first frame start at or after pos and its verdict (1 or 2), or (-1, 0)."""
    while True:
        slash = buf.find(b"/", pos)
        db = buf.find(b"\xdb", pos)
        cands = [c for c in (slash, db) if c >= 0]
        if not cands:
            return -1, 0
        cand = min(cands)
        verdict = _is_start(buf, cand, final, line_start)
        if verdict > 0:
            return cand, verdict
        if verdict == 0:
            return -1, 0
        pos = cand + 1


def _partial_start(buf: bytearray, final: bool, line_start: bool) -> int:
    """How many bytes at the end of buf could still become a frame start."""
    if final:
        return 0
    for back in range(min(4, len(buf)), 0, -1):
        pos = len(buf) - back
        if _is_start(buf, pos, False, line_start) == 0:
            return back
    return 0


def _strict_start(buf: bytearray, pos: int) -> int:
    """The first /XXXn or 0xDB 0x08 at or after pos whose bytes are all there, or -1."""
    while True:
        slash = buf.find(b"/", pos)
        db = buf.find(b"\xdb", pos)
        cands = [c for c in (slash, db) if c >= 0]
        if not cands:
            return -1
        cand = min(cands)
        if buf[cand] == 0x2F:
            if len(buf) >= cand + 5 and _looks_like_header(buf[cand + 1 : cand + 5]):
                return cand
        elif len(buf) >= cand + 2 and buf[cand + 1] == 0x08:
            return cand
        pos = cand + 1


def _plain_body(buf: bytearray, nl: int) -> bool:
    """Every line between the header and the "!" line (whose LF is at nl) is blank or an object
    line (a digit or "(" first, ")" last), and one is: a CRC-less telegram, not noise."""
    seen = False
    for line in bytes(buf[buf.find(b"\n") + 1 : nl]).split(b"\n"):
        line = line.rstrip(b"\r")
        if not line.strip(b" \t\r"):
            continue
        if not (line[:1].isdigit() or line[:1] == b"(") or not line.endswith(b")"):
            return False
        seen = True
    return seen


def _crc_checks(buf: bytearray, body_end: int, end: int) -> bool:
    """The CRC in buf[body_end:end] (3 or 4 hex digits) is that of buf[0:body_end], as sent or
    with bare LFs read as CRLF."""
    if end - body_end < 3:
        return False
    given = int(bytes(buf[body_end:end]), 16)
    body = bytes(buf[:body_end])
    return given == _crc16(body) or given == _crc16(_BARE_LF.sub(b"\r\n", body))


def _crc_end(buf: bytearray, pos: int, final: bool) -> int:
    """End of the CRC that starts at pos (0 to 4 hex digits), -1 if more bytes are needed.

    The frame ends with the last CRC digit, never with the line end after it, so that the frames
    handed out do not depend on how the stream was cut into chunks.
    """
    size = len(buf)
    for i in range(4):
        if pos + i >= size:
            return pos + i if final else -1
        if buf[pos + i] not in _HEX_DIGITS:
            return pos + i
    return pos + 4


def _dlms_length(buf: bytearray) -> int:
    """Whole length of a general-global-cipher frame at buf[0], 0 if unknown yet, -1 if invalid."""
    # 0xDB, systitle length (8), systitle, then a BER length of what follows
    # and a security byte: without that check "\xdb\x08" in noise would swallow what follows
    if len(buf) < 11:
        return 0
    if buf[1] != 0x08:
        return -1
    first = buf[10]
    if first < 0x80:
        head, length = 11, first
    else:
        width = first & 0x7F
        if width not in (1, 2):
            return -1
        if len(buf) < 11 + width:
            return 0
        head, length = 11 + width, int.from_bytes(buf[11 : 11 + width], "big")
    if len(buf) <= head:
        return 0
    if buf[head] not in _SECURITY_BYTES:
        return -1
    return head + length


# --------------------------------------------------------------------------------------------
# columnar: whole telegrams straight to columns (see columnar.Columns.add_frame)

_OP_VALUE = 1  # columnar.OP_VALUE
_CLAIMED = object()  # a cell some earlier object of the telegram already filled


class ColumnBuilder:
    """Whole telegram frames in, one row each, appended to the columns' typed storage.

    ``spec`` is a ``columnar.FastSpec`` and ``columns`` its ``columnar.Column`` objects in order.
    :meth:`feed` returns the row's number of problems (only CRC problems get this far), or -1
    when the frame needs the full parse, and then nothing was appended: a line or value with a
    problem, another profile, mixed line ends, an object the spec leaves to the full parse, any
    problem in strict mode.
    """

    def __init__(self, spec: Any, columns: list[Any]) -> None:
        from .values import time_context

        self._spec = spec
        self._columns = columns
        self._ctx = time_context(spec.timezone, spec.dst_flags)
        self._layouts: dict[bytes, tuple[bool, str | None]] = {}

    def feed(self, data: bytes) -> int:
        spec = self._spec
        if data[:1] != b"/" or not _looks_like_header(data[1:5]):
            return -1  # (an odd header is a framing problem: the full parse reports it)
        tokens = tokenize(data)
        if tokens.line_ending == "mixed" or any(p.kind != "crc" for p in tokens.problems):
            return -1
        problems = len(tokens.problems)
        if tokens.crc == "absent" and spec.crc_required:
            problems += 1
        if problems and spec.strict:
            return -1
        ours, extra = self._layout(tokens, data)
        if not ours:
            return -1
        entries, value_problems = convert(tokens.lines, spec.plan, self._ctx)
        if value_problems:
            return -1
        cells = self._cells(entries)
        if cells is None:
            return -1
        cells[1] = spec.profile
        cells[2] = tokens.crc
        cells[3] = problems
        cells[spec.extra_col] = extra
        for i, column in enumerate(self._columns):
            column.append(cells.get(i))
        return problems

    def _cells(self, entries: list[Entry]) -> dict[int, Any] | None:
        """Column index -> value; the first object of a name wins, as in Columns.append."""
        cells: dict[int, Any] = {}
        actions = self._spec.actions
        for e in entries:
            action = actions.get(e.obis)
            if action is None:  # unknown to the profile: its code is in the layout's extra cell
                continue
            if action.op != _OP_VALUE:
                return None
            if action.kind == K.INTEGER and not any(e.raw):
                return None  # (an MBus device type "()": the full parse may infer it)
            if action.col < 0 or action.col in cells:
                continue
            value = e.value
            if action.complex is not None:
                ok, value = action.complex("(" + ")(".join(e.raw) + ")")
                if not ok:
                    return None
            if not _fits(value):
                return None  # too wide for its column: the full parse keeps it in extra
            cells[action.col] = value
            if action.stamp_col >= 0:
                cells[action.stamp_col] = e.timestamp
            if action.unit_col >= 0:
                cells[action.unit_col] = e.unit
        return cells

    def _layout(self, tokens: Tokens, data: bytes) -> tuple[bool, str | None]:
        """(the spec's profile reads it?, extra cell), cached on what decides them."""
        parts = [tokens.header, "\n"]
        actions = self._spec.actions
        for ln in tokens.lines:
            parts.append(ln.obis)
            action = actions.get(ln.obis)
            if action is not None and action.version:
                parts.append("(" + ")(".join(ln.groups) + ")")
            parts.append("\n")
        key = "".join(parts).encode("latin-1")
        found = self._layouts.get(key)
        if found is None:
            if len(self._layouts) >= 256:
                self._layouts.clear()
            found = self._layouts[key] = self._spec.layout(data)
        return found
