"""Fresh telegrams for honest benchmarks: a stream in which every value is new.

A parser that remembers what it saw (the entry memo, caches of decimals and complex values) is
fast on a telegram it has seen before. A real meter repeats most lines from one second to the
next, but an archive of many meters, or a month of one, holds far more distinct values than any
cache. ``fresh_telegrams`` takes one telegram as written and draws every register, time and
log entry anew for each copy, keeping the shape byte for byte (widths, units, flags, sentinels,
identifiers and text) and a correct CRC, so each copy parses like the original, without a problem.
"""

from __future__ import annotations

import random
import re

from . import _impl

__all__ = ["fresh_telegrams"]

_GROUP = re.compile(rb"\(([^()\r\n]*)\)")
_STAMP = re.compile(rb"(\d{2}|\d{4})(\d{2})(\d{8})([SWsw]?)")
# a register (a decimal point or a unit: not a count, a tariff or a device type)
_VALUE = re.compile(rb"([+-]?)(\d+\.\d*|\.\d+|\d+(?=\*))(\*[^()]*)?")
_SENTINELS = (b"632525252525", b"000101000000", b"700101010000", b"000000000000")
_CRC_TAIL = re.compile(rb"!([0-9A-Fa-f]{4})(\r?\n?)$")


def fresh_telegrams(telegram: bytes, count: int, seed: int = 1) -> list[bytes]:
    """``count`` distinct copies of ``telegram`` with every value drawn anew (seeded).

    Times keep their year, month and S/W flag and move within days 1-24 (away from the DST
    changes at the end of March and October), so the flag still agrees with the zone.
    """
    rng = random.Random(seed)
    header, sep, rest = telegram.partition(b"\n")
    body_end = rest.rfind(b"!")
    if not sep or body_end < 0:
        raise ValueError("not a telegram: no header line or no '!' line")
    body, tail = rest[:body_end], rest[body_end:]
    crc = _CRC_TAIL.search(tail)
    seen: set[bytes] = set()
    out: list[bytes] = []
    while len(out) < count:
        new_body = _GROUP.sub(lambda m: b"(" + _fresh_group(m.group(1), rng) + b")", body)
        head = header + sep + new_body + b"!"
        if crc is not None:
            head += b"%04X" % _impl.current.crc16(head) + crc.group(2)
        else:
            head += tail[1:]
        if head not in seen:  # (a telegram without any value would loop: say so instead)
            seen.add(head)
            out.append(head)
        elif len(seen) == 1 and len(out) == 1 and new_body == body:
            raise ValueError("the telegram has no value to draw anew")
    return out


def _fresh_group(text: bytes, rng: random.Random) -> bytes:
    stamp = _STAMP.fullmatch(text)
    if stamp is not None:
        digits = stamp.group(1) + stamp.group(2) + stamp.group(3)
        sentinel = any(digits[-12:].startswith(s) for s in _SENTINELS)
        if sentinel or not 1 <= int(stamp.group(2)) <= 12:
            return text
        day = rng.randint(1, 24)
        hour, minute, second = rng.randrange(24), rng.randrange(60), rng.randrange(60)
        moment = b"%02d%02d%02d%02d" % (day, hour, minute, second)
        return stamp.group(1) + stamp.group(2) + moment + stamp.group(4)
    value = _VALUE.fullmatch(text)
    if value is not None:
        number = bytes(c if c == 0x2E else 0x30 + rng.randrange(10) for c in value.group(2))
        return value.group(1) + number + (value.group(3) or b"")
    return text
