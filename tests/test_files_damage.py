"""Damaged compressed captures: everything decompressed before the damage is kept, then one
``cut`` record says where the readable data ends (both twins)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FIXTURES
from dsmrparse.files import Damaged, iter_records
from dsmrparse.telegram import Telegram

CAPTURE = (FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt").read_bytes()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6)


def _bz2(data: bytes) -> bytes:
    return bz2.compress(data, compresslevel=1)  # 100 kB blocks: a cut keeps the whole ones


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": _gzip,
    "xz": lzma.compress,
    "bzip2": _bz2,
}


def _telegrams_ending_before(limit: int) -> list[bytes]:
    """The raw telegrams of the plain capture that end at or before ``limit``."""
    return [
        item.raw
        for off, item in iter_records(CAPTURE)
        if isinstance(item, Telegram) and off + len(item.raw) <= limit
    ]


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_truncated_capture_keeps_what_came_before(twin: str, kind: str) -> None:
    packed = COMPRESSORS[kind](CAPTURE)
    cut = packed[: len(packed) * 2 // 3]
    records = list(iter_records(cut))
    last_off, last = records[-1]
    assert isinstance(last, Damaged) and last.kind == "cut"
    assert "ends early" in last.error and f"byte {last.offset}" in last.error
    assert last_off == last.offset > 0
    got = [item.raw for _, item in records if isinstance(item, Telegram)]
    # every telegram that was decompressed whole before the cut is there, and nothing else
    assert got == _telegrams_ending_before(last.offset)
    assert len(got) >= 566 // 3  # (bzip2: whole 100 kB blocks only)
    assert not any(isinstance(i, Damaged) and i.kind == "cut" for _, i in records[:-1])


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_trailing_garbage_is_reported_after_every_telegram(twin: str, kind: str) -> None:
    packed = COMPRESSORS[kind](CAPTURE) + b"this is not compressed data" * 10
    records = list(iter_records(packed))
    telegrams = [i for _, i in records if isinstance(i, Telegram)]
    assert len(telegrams) == 566
    cut = records[-1][1]
    assert isinstance(cut, Damaged) and cut.kind == "cut" and cut.offset == len(CAPTURE)
    assert "something else follows" in cut.error


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_members_one_after_another_and_zero_padding(twin: str, kind: str) -> None:
    half = len(CAPTURE) // 2
    pack = COMPRESSORS[kind]
    packed = pack(CAPTURE[:half]) + pack(CAPTURE[half:]) + b"\0" * 512
    assert [i for _, i in iter_records(packed)] == [i for _, i in iter_records(CAPTURE)]


def test_corrupt_gzip_body(twin: str) -> None:
    packed = bytearray(_gzip(CAPTURE))
    packed[len(packed) // 2] ^= 0xFF
    records = list(iter_records(bytes(packed)))
    cut = records[-1][1]
    assert isinstance(cut, Damaged) and cut.kind == "cut" and "corrupt gzip" in cut.error
    kept = [i.raw for _, i in records if isinstance(i, Telegram) and i.crc == "ok"]
    assert kept[:50] == _telegrams_ending_before(cut.offset)[:50]


def test_cut_with_jobs_and_from_a_path(twin: str, tmp_path: Path) -> None:
    packed = lzma.compress(CAPTURE)
    path = tmp_path / "cut.xz"
    path.write_bytes(packed[: len(packed) // 2])
    one = list(iter_records(path))
    assert one[-1][1].kind == "cut"  # type: ignore[union-attr]
    from dsmrparse.files import _identity, map_records

    two = [r for batch in map_records(path, _identity, jobs=2) for r in batch]
    assert [(o, getattr(i, "raw", None)) for o, i in two] == [
        (o, getattr(i, "raw", None)) for o, i in one
    ]


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_a_member_boundary_at_any_read_boundary(twin: str, kind: str) -> None:
    """The next member's magic bytes may arrive split over two reads of the compressed file."""
    from dsmrparse.files import _Decompressing

    pack = COMPRESSORS[kind]
    part = CAPTURE[:3000]
    first = pack(part)
    packed = first + pack(part)

    class Trickle(io.RawIOBase):  # hands the compressed bytes out in pieces ending at the seam
        def __init__(self) -> None:
            self.pos = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            stop = len(first) + 2 if self.pos < len(first) + 2 else len(packed)
            piece = packed[self.pos : stop]
            self.pos += len(piece)
            return piece

    stream = _Decompressing(Trickle(), kind)  # type: ignore[arg-type]
    out = b""
    while True:
        buf = bytearray(1 << 16)
        n = stream.readinto(buf)
        if not n:
            break
        out += bytes(buf[:n])
    assert stream.damage is None and out == part + part
