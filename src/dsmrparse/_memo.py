"""Memoised COMPLEX converters.

Event logs and peak histories change a few times a year but arrive every second: converting the
same groups again would be most of the Python work per telegram. Results are immutable tuples of
immutable values, so sharing them between telegrams is safe. (The compiled twin converts the
library's own converters in C and does not go through this memo: see ``_fastcomplex.pxi``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_LIMIT = 512  # distinct (groups, zone) keys kept per converter; cleared when full


def memoized(
    converter: Callable[[tuple[str, ...], Any], Any],
) -> Callable[[tuple[str, ...], Any], Any]:
    cache: dict[tuple[tuple[str, ...], Any], Any] = {}

    def convert(groups: tuple[str, ...], ctx: Any) -> Any:
        key = (groups, ctx)
        hit = cache.get(key)
        if hit is None:
            try:
                hit = converter(groups, ctx)
            except ValueError as exc:
                hit = exc
            if len(cache) >= _LIMIT:
                cache.clear()
            cache[key] = hit
        if isinstance(hit, ValueError):
            raise ValueError(str(hit))
        return hit

    convert.__wrapped__ = converter  # type: ignore[attr-defined]
    convert.__doc__ = converter.__doc__
    return convert
