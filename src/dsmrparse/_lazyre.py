"""Regular expressions compiled on first use, so ``import dsmrparse`` does not import ``re``.

``re`` (with ``enum``, which it imports) is a good part of an interpreter's start, and the
library's patterns serve only odd input (unusual OBIS codes, unknown objects, hex text).
``compile(pattern)`` returns a stand-in for the compiled pattern: the first use of a method
compiles the pattern and keeps that method on the stand-in, so later calls cost what the
compiled pattern's do.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

__all__ = ["compile"]


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> object:
        # called only for what the instance does not hold yet: the compiled pattern's attributes
        # (not for special names, which copy and pickle probe for, nor before __init__ ran)
        if name.startswith("__") or name in ("pattern", "flags"):
            raise AttributeError(name)
        import re

        value = getattr(re.compile(self.pattern, self.flags), name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy re.compile({self.pattern!r})"


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 (re's own name)
    """A ``str`` pattern like ``re.compile(pattern, flags)``'s, compiled on its first use."""
    return _LazyPattern(pattern, flags)  # type: ignore[return-value]
