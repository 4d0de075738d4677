"""The telegrams every parse benchmark runs on, and dsmr_parser set up for each family.

Three workloads per family, none of which a cache can flatter more than a real meter does:

- *fresh*: ``FRESH_COUNT`` distinct copies of the family's telegram, every value drawn anew
  (``dsmrparse.fresh.fresh_telegrams``), more than any memo of the parser holds (512 entries);
- *stream*: a real DSMR 5 meter's 566 consecutive telegrams, in order (what a live reader sees);
- *steady*: the same telegram again and again (the best case, for comparison only).

Shared by ``bench_parse.py`` (pytest-benchmark) and ``headline.py`` (the README's table).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
FRESH_COUNT = 2000  # above the 512-entry memo of complex values and the entry memo
STREAM = "streams/iskra_am550_566_telegrams_lf.txt"  # a real DSMR 5 meter, one telegram a second


class Family(NamedTuple):
    fixture: str  # under tests/fixtures
    profile: str  # what dsmrparse detects it as
    peer_spec: str  # dsmr_parser.telegram_specifications name


# one representative telegram per family (the 890-byte DSMR 5 one is the headline number)
FAMILIES: dict[str, Family] = {
    "dsmr5": Family("nl/dsmr50_iskra_mt382.txt", "dsmr5", "V5"),
    "dsmr4": Family("nl/dsmr42_kaifa.txt", "dsmr4", "V4"),
    "dsmr3": Family("nl/dsmr30_kamstrup_4mbus_no_crc.txt", "dsmr3", "V3"),
    "dsmr2.2": Family("nl/dsmr22_iskra_mt382.txt", "dsmr3", "V2_2"),
    "belgium": Family("be/fluvius_emucs171.txt", "belgium", "BELGIUM_FLUVIUS"),
    "iskra_ie5": Family("be/iskra_ie5.txt", "iskra_ie5", "ISKRA_IE"),
    "hungary": Family("hu/eon_sagemcom.txt", "hungary", "EON_HUNGARY"),
    "q3d": Family("de/easymeter_q3db1024.txt", "q3d", "Q3D"),
}


def telegram(family: str) -> bytes:
    return (FIXTURES / FAMILIES[family].fixture).read_bytes()


@cache
def fresh(family: str, count: int = FRESH_COUNT) -> list[bytes]:
    """``count`` distinct telegrams of the family (seeded: the same list in every run)."""
    from dsmrparse.fresh import fresh_telegrams

    return fresh_telegrams(telegram(family), count, seed=1)


@cache
def stream() -> list[bytes]:
    """The capture's telegrams in order, with the CR the logger dropped put back (their CRCs are
    over CRLF lines, and dsmr_parser checks the CRC over the text as given)."""
    from dsmrparse import _purepy

    scanner = _purepy.FrameScanner()
    frames = scanner.feed((FIXTURES / STREAM).read_bytes()) + scanner.flush()
    return [f.data.replace(b"\n", b"\r\n") for f in frames if f.kind == "telegram"]


def peer(family: str) -> Callable[[str], Any] | None:
    """dsmr_parser 1.11.2's ``parse`` for the family, or None when it is not installed."""
    try:
        from dsmr_parser import telegram_specifications
        from dsmr_parser.parsers import TelegramParser
    except ImportError:
        return None
    spec = getattr(telegram_specifications, FAMILIES[family].peer_spec)
    return TelegramParser(spec).parse


def peer_objects(family: str, text: str) -> int | None:
    """How many objects dsmr_parser reads from a telegram (None when it fails on it)."""
    parse = peer(family)
    if parse is None:
        return None
    try:
        return len(parse(text))
    except Exception:  # noqa: BLE001 (its exceptions have no common base)
        return None
