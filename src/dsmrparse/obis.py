"""OBIS codes as a value type: ``A-B:C.D.E`` with an optional ``F`` (``*255`` / ``.255``).

``ObisCode.parse("0-n:24.2.1")`` is a pattern whose channel ``n`` matches any MBus channel.
"""

from __future__ import annotations

from functools import total_ordering

from ._lazyre import compile as lazy_compile

__all__ = ["ObisCode", "normalize", "code_problem", "spelling_problem"]

_CODE = lazy_compile(
    r"^\s*(?:(\d{1,3}|n)-(\d{1,3}|n):)?(\d{1,3})[.:](\d{1,3})\.(\d{1,3})(?:[.*&](\d{1,3}))?\s*$"
)
WILDCARD = -1


@total_ordering
class ObisCode:
    """An OBIS code; ``b == -1`` (written ``n``) is a channel wildcard."""

    __slots__ = ("a", "b", "c", "d", "e", "f")

    def __init__(self, a: int, b: int, c: int, d: int, e: int, f: int = 255) -> None:
        self.a, self.b, self.c, self.d, self.e, self.f = a, b, c, d, e, f

    @classmethod
    def parse(cls, text: str) -> ObisCode:
        """Parse `1-0:1.8.1`, `1-0:1.8.1*255`, `1-0:1.8.1.255` or the pattern `0-n:24.2.1`."""
        m = _CODE.match(text)
        if m is None:
            raise ValueError(f"not an OBIS code: {text!r}")
        a, b, c, d, e, f = m.groups()
        return cls(_group(a, 0), _group(b, 0), int(c), int(d), int(e), 255 if f is None else int(f))

    @property
    def is_pattern(self) -> bool:
        return self.a == WILDCARD or self.b == WILDCARD

    @property
    def channel(self) -> int:
        """The B group: the MBus channel for ``0-n:`` objects, the measurement channel otherwise."""
        return self.b

    def matches(self, other: ObisCode | str) -> bool:
        """True when ``other`` equals this code, a wildcard group here matching any value."""
        if isinstance(other, str):
            other = ObisCode.parse(other)
        return all(mine in (WILDCARD, theirs) for mine, theirs in zip(self._key(), other._key()))

    def with_channel(self, channel: int) -> ObisCode:
        return ObisCode(self.a, channel, self.c, self.d, self.e, self.f)

    def pattern(self) -> ObisCode:
        """This code with its channel replaced by the wildcard ``n``."""
        return self.with_channel(WILDCARD)

    def _key(self) -> tuple[int, int, int, int, int, int]:
        return (self.a, self.b, self.c, self.d, self.e, self.f)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = ObisCode.parse(other)
            except ValueError:
                return False
        if not isinstance(other, ObisCode):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: ObisCode) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        a = "n" if self.a == WILDCARD else str(self.a)
        b = "n" if self.b == WILDCARD else str(self.b)
        text = f"{a}-{b}:{self.c}.{self.d}.{self.e}"
        return text if self.f == 255 else f"{text}*{self.f}"

    def __repr__(self) -> str:
        return f"ObisCode({str(self)!r})"


def _group(text: str | None, default: int) -> int:
    if text is None:
        return default
    return WILDCARD if text == "n" else int(text)


def normalize(text: str) -> str:
    """The canonical text of a code as written on a line: ``1-0:1.8.0*255`` -> ``1-0:1.8.0``."""
    return str(ObisCode.parse(text))


def code_problem(text: str) -> str | None:
    """What is off in a code that :meth:`ObisCode.parse` still reads, or None: a ``:`` in place
    of a ``.`` (``1-0:72:32.0``), a group over 255 (OBIS groups are one byte)."""
    m = _CODE.match(text)
    if m is None:
        return None
    reasons = []
    if text.count(":") > 1:
        reasons.append("a ':' in place of a '.'")
    big = [g for g in m.groups() if g is not None and g != "n" and int(g) > 255]
    if big:
        reasons.append(f"group {big[0]} is over 255")
    return "; ".join(reasons) or None


def spelling_problem(code: str, obis: str, spaced: bool) -> list[str]:
    """The syntax problems of an object line whose code was read as ``obis`` (the messages both
    parser twins give): an odd code, a space between the code and ``(``."""
    found = []
    reason = code_problem(code)
    if reason is not None:
        found.append(f"odd OBIS code {code[:40]!r}: {reason}; read as {obis}")
    if spaced:
        found.append(f"space between the OBIS code {obis} and '('")
    return found
