"""``dsmrparse bench``: how fast on these telegrams, per family and per stage, both twins.

Every stage runs on the same telegrams with the compiled and the pure twin in one run, so the
ratio between them holds however busy the machine is; absolute numbers are the best of
``repeat`` runs.

``--fresh`` adds two rows per family beside the telegrams as given: *fresh*, N distinct copies of
the family's first telegram with every value drawn anew (more than any memo of the parser holds,
as in an archive of many meters), and *steady*, that telegram N times (the best case).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from . import _impl, profiles
from .interpret import build
from .telegram import Telegram
from .values import time_context

Stage = Callable[[list[bytes], bytes, str], object]


def _scan(frames: list[bytes], joined: bytes, family: str) -> object:
    scanner = _impl.current.FrameScanner()
    return scanner.feed(joined) + scanner.flush()


def _crc(frames: list[bytes], joined: bytes, family: str) -> object:
    crc16 = _impl.current.crc16
    return [crc16(f) for f in frames]


def _tokenize(frames: list[bytes], joined: bytes, family: str) -> object:
    tokenize = _impl.current.tokenize
    return [tokenize(f) for f in frames]


def profile_of(label: str) -> str:
    """The profile of a row: ``"dsmr5 fresh"`` -> ``"dsmr5"``."""
    return label.split(" ", 1)[0]


def _typed(frames: list[bytes], joined: bytes, family: str) -> object:
    impl = _impl.current
    profile = profiles.get(profile_of(family))
    ctx = time_context(profile.timezone, profile.dst_flags)
    tokens = [impl.tokenize(f) for f in frames]  # (not timed apart: typed = tokenize + convert)
    return [impl.convert(t.lines, profile.plan, ctx, True) for t in tokens]  # as parse() does


def _parse(frames: list[bytes], joined: bytes, family: str) -> object:
    return [build(f, None) for f in frames]


def _json(frames: list[bytes], joined: bytes, family: str) -> object:
    return [build(f, None).to_json() for f in frames]


def _columns(frames: list[bytes], joined: bytes, family: str) -> object:
    from .columnar import iter_columns

    return list(iter_columns(io.BytesIO(joined), profile_of(family), numbers="float"))


STAGES: dict[str, tuple[Stage, str]] = {
    "scan": (_scan, "frame scanning of the byte stream"),
    "crc": (_crc, "CRC16 of each telegram"),
    "tokenize": (_tokenize, "tokenize: header, lines, groups, CRC check"),
    "typed": (_typed, "tokenize and typed values (profile given)"),
    "parse": (_parse, "parse(): detection and the Telegram"),
    "json": (_json, "parse() and the interchange form as JSON"),
    "columns": (_columns, "a capture to columns (the columnar fast path)"),
}


def simulated(names: Iterable[str], count: int) -> dict[str, list[bytes]]:
    from .simulate import Simulator

    out = {}
    for name in names:
        sim = iter(
            Simulator(name, seed=1, start=datetime.fromisoformat("2024-03-31T01:00:00+01:00"))
        )
        out[name] = [next(sim) for _ in range(count)]
    return out


def from_files(paths: Iterable[str], profile: str | None) -> dict[str, list[bytes]]:
    from .files import iter_telegrams

    out: dict[str, list[bytes]] = {}
    for path in paths:
        for item in iter_telegrams(path, profile=profile):
            if isinstance(item, Telegram):
                out.setdefault(item.profile, []).append(item.raw)
    return out


FRESH_COUNT = 2000  # above the memo of complex values (512) and every other cache


def with_fresh(
    families: dict[str, list[bytes]], count: int, warn: Callable[[str], None]
) -> dict[str, list[bytes]]:
    """``families`` plus a ``"<family> fresh"`` and a ``"<family> steady"`` row for each."""
    from .fresh import fresh_telegrams

    out = dict(families)
    for family, frames in families.items():
        try:
            out[f"{family} fresh"] = fresh_telegrams(frames[0], count)
        except ValueError as exc:  # a telegram with no value to draw anew
            warn(f"no fresh row for {family}: {exc}")
            continue
        out[f"{family} steady"] = [frames[0]] * count
    return out


def measure(
    families: dict[str, list[bytes]],
    stages: Iterable[str],
    repeat: int,
    progress: Callable[[], None] | None = None,
) -> list[tuple[str, str, int, int, dict[str, float]]]:
    """(family, stage, telegrams, bytes, {twin: best seconds}) for every family and stage."""
    rows = []
    previous = _impl.name()
    try:
        for family, frames in sorted(families.items()):
            joined = b"\r\n".join(frames) + b"\r\n"
            for stage in stages:
                fn = STAGES[stage][0]
                best: dict[str, float] = {}
                for twin in _impl.available():
                    _impl.use(twin)
                    fn(frames[:5], joined[:2000], family)  # warm caches and lazy imports
                    best[twin] = min(_timed(fn, frames, joined, family) for _ in range(repeat))
                rows.append((family, stage, len(frames), len(joined), best))
                if progress is not None:
                    progress()
    finally:
        _impl.use(previous)
    return rows


def _timed(fn: Stage, frames: list[bytes], joined: bytes, family: str) -> float:
    began = time.perf_counter()
    fn(frames, joined, family)
    return time.perf_counter() - began


def report(rows: list[tuple[str, str, int, int, dict[str, float]]]) -> str:
    twins = _impl.available()
    width = max([11] + [len(row[0]) for row in rows])
    head = f"{'family':<{width}} {'stage':<9} {'telegrams':>9}"
    for twin in twins:
        head += f" {twin + ' tg/s':>13} {twin + ' MB/s':>12}"
    head += "  cython/python" if len(twins) == 2 else ""
    lines = [head]
    for family, stage, count, size, best in rows:
        line = f"{family:<{width}} {stage:<9} {count:9d}"
        for twin in twins:
            line += f" {count / best[twin]:13.0f} {size / 1e6 / best[twin]:12.1f}"
        if len(twins) == 2:
            line += f"  {best['python'] / best['cython']:12.1f}x"
        lines.append(line)
    return "\n".join(lines)
