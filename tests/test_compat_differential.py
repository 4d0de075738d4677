"""The compat layer against dsmr_parser 1.11.2 itself, line for line, on every fixture with CRLF
line ends (dsmr_parser reads no other) and every plain specification.

Each object's ``values`` (value and unit of every group, timestamps as UTC datetimes), the
names in iteration order, the dict keys and the MBus devices must be the same, except where
listed in ``KNOWN`` with the reason (docs/migrating.md gives the same reasons).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from dsmrparse.compat.dsmr_parser import telegram_specifications as specs
from dsmrparse.compat.dsmr_parser.parsers import TelegramParser

FIXTURES = Path(__file__).parent / "fixtures"

# (fixture, specification) -> (the name whose object differs, why)
KNOWN: dict[tuple[str, str], tuple[str, str]] = {
    # (be/fluvius_emucs171.txt agrees since issue 10: the zone decides where it gives one offset,
    # so 200305122139S is winter time, as dsmr_parser reads it)
    **{
        ("nl/dsmr50_iskra_am550_dead_mbus1.txt", spec): (
            "MBUS_DEVICES",
            "the dead channel's 700101010000W is a sentinel: None, not 1970-01-01",
        )
        for spec in ("V4", "V5", "BELGIUM_FLUVIUS", "LUXEMBOURG_SMARTY")
    },
    ("hu/eon_sagemcom.txt", "BELGIUM_FLUVIUS"): (
        "(the whole telegram)",
        "dsmr_parser raises ValueError on the Hungarian 98.1.0 billing row; ours reads it",
    ),
}


def _peer() -> tuple[Any, Any]:
    try:
        from dsmr_parser import telegram_specifications as peer_specs
        from dsmr_parser.parsers import TelegramParser as PeerParser
    except ImportError:
        message = "dsmr-parser 1.11.2 (the peer) is not installed: pip install '.[test]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return peer_specs, PeerParser


def _shape(telegram: Any) -> list[tuple[str, Any]]:
    shape: list[tuple[str, Any]] = []
    for name, obj in telegram:
        if name == "MBUS_DEVICES":
            shape.append((name, [str(device) for device in obj]))
        elif isinstance(obj, list):
            shape.append((name, [repr(row.values) for row in obj]))
        else:
            shape.append((name, repr(obj.values)))
    return shape + [("dict keys", list(telegram.keys()))]


def _read(parser: Any, text: str) -> Any:
    try:
        return _shape(parser.parse(text))
    except Exception as exc:  # the peer's escape on odd values is one of the differences
        return f"{type(exc).__name__}"


def test_the_same_objects_as_dsmr_parser(twin: str) -> None:
    peer_specs, PeerParser = _peer()
    logging.disable(logging.CRITICAL)  # dsmr_parser logs every line it cannot read
    try:
        names = [
            n
            for n in specs.__all__
            if isinstance(getattr(specs, n), dict)
            and not getattr(specs, n).get("general_global_cipher")
        ]
        seen: dict[tuple[str, str], str] = {}
        compared = 0
        for path in sorted(FIXTURES.rglob("*.txt")):
            raw = path.read_bytes()
            if b"\r\n" not in raw or path.parent.name == "streams":
                continue
            text = raw.decode("latin-1")
            fixture = path.relative_to(FIXTURES).as_posix()
            for name in names:
                theirs = _read(PeerParser(getattr(peer_specs, name), False), text)
                ours = _read(TelegramParser(getattr(specs, name), False), text)
                compared += 1
                if theirs == ours:
                    continue
                if isinstance(theirs, str) or isinstance(ours, str):
                    seen[(fixture, name)] = "(the whole telegram)"
                    continue
                differing = [a[0] for a, b in zip(theirs, ours) if a != b]
                assert [a[0] for a in theirs] == [b[0] for b in ours], (fixture, name)
                seen[(fixture, name)] = differing[0]
        assert compared > 150
        assert seen == {key: name for key, (name, _) in KNOWN.items()}
    finally:
        logging.disable(logging.NOTSET)
