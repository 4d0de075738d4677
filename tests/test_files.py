"""Captured files: compression by content, LF repair, fragments, damage reported with offsets,
the same result on several processes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
from datetime import datetime
from pathlib import Path

import pytest

from conftest import FIXTURES
from dsmrparse import files
from dsmrparse.errors import SourceError
from dsmrparse.files import Damaged, iter_records, iter_telegrams
from dsmrparse.simulate import Simulator
from dsmrparse.telegram import Telegram

LF_CAPTURE = FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt"


def _summary(records: list[tuple[int, object]]) -> list[tuple[int, str, bytes]]:
    # The line end after a CRC is part of the frame only when it came in the same chunk (a
    # FrameScanner detail); compare without it.
    return [
        (off, item.kind if isinstance(item, Damaged) else item.crc, item.raw.rstrip(b"\r\n"))  # type: ignore[attr-defined]
        for off, item in records
    ]


def test_lf_capture_gives_566_repaired_telegrams_and_one_fragment(twin: str) -> None:
    records = list(iter_records(LF_CAPTURE))
    telegrams = [t for _, t in records if isinstance(t, Telegram)]
    damaged = [(off, d) for off, d in records if isinstance(d, Damaged)]
    assert len(telegrams) == 566
    assert all(t.crc == "ok" and t.crc_repaired for t in telegrams)
    assert len(damaged) == 1
    offset, fragment = damaged[0]
    assert offset == fragment.offset == 0
    assert fragment.kind == "fragment"
    assert LF_CAPTURE.read_bytes().startswith(fragment.raw)


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress, bz2.compress])
def test_compressed_capture_is_read_by_content(twin: str, tmp_path: Path, compress) -> None:
    data = LF_CAPTURE.read_bytes()
    packed = tmp_path / "capture.bin"  # no telling suffix: the first bytes decide
    packed.write_bytes(compress(data))
    expected = _summary(list(iter_records(LF_CAPTURE)))
    assert _summary(list(iter_records(packed))) == expected
    with open(packed, "rb") as handle:
        assert _summary(list(iter_records(handle, chunk_size=777))) == expected


def test_chunk_size_does_not_change_the_result(twin: str) -> None:
    data = (FIXTURES / "streams" / "garbage_between_telegrams.txt").read_bytes()
    expected = _summary(list(iter_records(io.BytesIO(data))))
    for size in (151, 4096):  # (tiny chunks may report one junk stretch in pieces)
        assert _summary(list(iter_records(io.BytesIO(data), chunk_size=size))) == expected
    kinds = [k for _, k, _ in expected]
    assert "junk" in kinds and kinds.count("ok") == 2


def test_missing_and_unsupported_inputs_raise_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        list(iter_telegrams(tmp_path / "nope.txt"))
    zst = tmp_path / "x.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    with pytest.raises(SourceError, match="zstd"):
        list(iter_telegrams(zst))
    truncated = tmp_path / "cut.gz"
    truncated.write_bytes(gzip.compress(LF_CAPTURE.read_bytes())[:5000])
    with pytest.raises(SourceError):
        list(iter_telegrams(truncated))


def corrupted_capture(seed: int, count: int = 150) -> tuple[bytes, list[bytes], list[range]]:
    """Simulated telegrams, some damaged (bit flip, cut line, noise inside): the bytes, the
    untouched telegrams, and the byte spans of the damaged ones."""
    rng = random.Random(seed)
    sim = Simulator("dsmr5", seed=seed, start=datetime.fromisoformat("2024-05-01T10:00:00+02:00"))
    out = bytearray()
    good: list[bytes] = []
    spans: list[range] = []
    for i, telegram in zip(range(count), sim):
        if i % 7 != 3:
            good.append(telegram.rstrip(b"\r\n"))  # a frame ends with its last CRC digit
            out += telegram
            continue
        body = bytearray(telegram)
        pos = rng.randrange(0, len(body) - 2)  # the CRLF after the CRC is outside the CRC
        how = rng.choice(("flip", "cut", "noise"))
        if how == "flip":
            body[pos] ^= 1 << rng.randrange(8)
        elif how == "cut":
            del body[pos : min(pos + rng.randint(5, 60), len(body) - 2)]
        else:
            noise = bytes(rng.choice(b"xyz#@$%0123456789") for _ in range(rng.randint(3, 30)))
            body[pos:pos] = noise
        spans.append(range(len(out), len(out) + len(body)))
        out += body
    return bytes(out), good, spans


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_corruption_loses_exactly_the_damaged_telegrams(twin: str, seed: int) -> None:
    data, good, spans = corrupted_capture(seed)
    records = list(iter_records(io.BytesIO(data), strict=True, chunk_size=4096))
    telegrams = [t.raw for _, t in records if isinstance(t, Telegram)]
    assert telegrams == good
    damaged = [d for _, d in records if isinstance(d, Damaged)]
    assert all(d.error for d in damaged)
    for d in damaged:  # every report points into a damaged telegram ...
        assert any(d.offset in span for span in spans), d
    for span in spans:  # ... and every damaged telegram is reported
        assert any(d.offset in span for d in damaged), span
    lenient = [t for t in iter_telegrams(io.BytesIO(data)) if isinstance(t, Telegram)]
    assert [t.raw for t in lenient if t.crc == "ok"] == good


def test_jobs_two_gives_the_same_records_as_one(
    twin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(files, "SEGMENT_SIZE", 32 * 1024)  # several pieces from a small file
    data, _, _ = corrupted_capture(7, count=300)
    path = tmp_path / "corrupted.txt"
    path.write_bytes(LF_CAPTURE.read_bytes()[:50_000] + data)
    one = _summary(list(iter_records(path, strict=True)))
    two = _summary(list(iter_records(path, strict=True, jobs=2)))
    assert one == two
    assert len(one) > 300
