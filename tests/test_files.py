"""Captured files: compression by content, LF repair, fragments, damage reported with offsets,
the same result on several processes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

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


def in_workers(source: Path, **options: Any) -> list[tuple[int, Any]]:
    """The records as worker processes find them (map_records with jobs > 1: what the CLI and
    iter_columns use), in stream order."""
    return [r for batch in files.map_records(source, files._identity, **options) for r in batch]


def test_iter_telegrams_makes_its_objects_here_whatever_jobs_says(
    twin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_processes(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no worker process is wanted for telegram objects")

    monkeypatch.setattr(files, "ProcessPoolExecutor", no_processes)
    records = list(iter_records(LF_CAPTURE))
    assert _exact(list(iter_records(LF_CAPTURE, jobs=2))) == _exact(records)
    assert [t.raw for t in iter_telegrams(LF_CAPTURE, jobs=3)] == [t.raw for _, t in records]


def test_jobs_two_gives_the_same_records_as_one(
    twin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(files, "SEGMENT_SIZE", 32 * 1024)  # several pieces from a small file
    data, _, _ = corrupted_capture(7, count=300)
    path = tmp_path / "corrupted.txt"
    path.write_bytes(LF_CAPTURE.read_bytes()[:50_000] + data)
    one = _summary(list(iter_records(path, strict=True)))
    two = _summary(in_workers(path, strict=True, jobs=2))
    assert one == two
    assert len(one) > 300


# --------------------------------------------------------------------------------------------
# jobs > 1 on a plain file: each worker reads its own byte ranges


def _exact(records: list[tuple[int, object]]) -> list[tuple[int, str, str | None]]:
    """Everything a record says (its JSON line carries the raw bytes and the error)."""
    return [(off, item.to_json(), getattr(item, "source", None)) for off, item in records]  # type: ignore[attr-defined]


def junk_capture() -> bytes:
    """Telegrams with every kind of edge between and inside them: junk with header-like text
    and a DLMS-like byte pair, a header-like line inside a telegram, a telegram cut off by the
    next one, one longer than the scanner's limit, padding, a lone "/", and a capture that
    begins and ends inside a telegram."""
    sim = Simulator("dsmr5", seed=3, start=datetime.fromisoformat("2024-05-01T10:00:00+02:00"))
    t = [telegram for _, telegram in zip(range(11), sim)]
    parts = [
        t[0][300:],
        t[1],
        b"noise /ABC5 more noise /XY\r\n",
        t[2],
        t[3][:200] + b"mid/KFM5 line\r\n" + t[3][200:],
        t[4][:400],
        t[5],
        b"\xdb\x08\x00\x00\x00\x00\x00 log line\n",  # (a valid DLMS length: takes the header)
        t[5],
        b"\xdb\x08garbage!\x05\x00 more log\n",
        b"\r\n" * 10 + b"\x00\xff" * 5,
        b"/ISK5" + b"x" * 9000 + b"\r\n",
        t[6],
        b"x/ABC5y" * 300,
        t[7],
        b"just noise, no slash " * 40,
        t[8],
        b"\n/AB",
        t[9],
        t[10][:500],
    ]
    return b"".join(parts)


def _capture_file(kind: str, tmp_path: Path) -> Path:
    if kind == "lf":
        return LF_CAPTURE
    path = tmp_path / f"{kind}.txt"
    if kind == "corrupted":
        data, _, _ = corrupted_capture(7, count=300)
        path.write_bytes(LF_CAPTURE.read_bytes()[:50_000] + data)
    else:
        path.write_bytes(junk_capture())
    return path


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("kind", ["lf", "corrupted", "junk"])
def test_byte_ranges_give_exactly_the_records_of_one_pass(
    twin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, jobs: int
) -> None:
    path = _capture_file(kind, tmp_path)
    size = path.stat().st_size // 37 + 1  # many ranges, cut anywhere
    monkeypatch.setattr(files, "RANGE_SIZE", size)
    for chunk_size in (files.DEFAULT_CHUNK_SIZE, 4096):
        for strict in (False, True):
            one = _exact(list(iter_records(path, strict=strict, chunk_size=chunk_size)))
            many = in_workers(path, strict=strict, chunk_size=chunk_size, jobs=jobs)
            assert _exact(many) == one
    assert files._plan_ranges(path, jobs, 4096).ranges > 20


@pytest.mark.parametrize("kind", ["lf", "corrupted", "junk"])
def test_every_range_edge_gives_the_records_of_one_pass(
    twin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str
) -> None:
    """Range sizes from 1 byte up, so that range starts fall on every kind of byte: inside a
    header, a CRLF, a CRC, junk, padding. (Threads stand in for processes: the same code, fast
    enough to try many sizes.)"""
    data = _capture_file(kind, tmp_path).read_bytes()
    path = tmp_path / "piece.txt"  # a piece small enough for 1-byte ranges
    path.write_bytes(data[-9000:] if kind == "corrupted" else data[:9000])
    monkeypatch.setattr(files, "ProcessPoolExecutor", ThreadPoolExecutor)
    monkeypatch.setattr(files, "MAX_JUNK_RECORD", 100)  # long junk comes out in pieces too
    for chunk_size in (files.DEFAULT_CHUNK_SIZE, 1000):
        one = _exact(list(iter_records(path, chunk_size=chunk_size)))
        for size in [1, 2, 3, 5, 8, 13, 21, *range(34, 3000, 97)]:
            monkeypatch.setattr(files, "RANGE_SIZE", size)
            many = in_workers(path, chunk_size=chunk_size, jobs=2)
            assert _exact(many) == one, (size, chunk_size)


def test_a_range_that_begins_inside_a_telegram_hands_on_to_the_next(tmp_path: Path) -> None:
    """A header-like "/KFM5" in the middle of a line starts a frame for a scanner that begins
    just before it, but not for the whole-file scan: the range before reads on, the parent
    skips that range."""
    sim = Simulator("dsmr5", seed=5, start=datetime.fromisoformat("2024-05-01T10:00:00+02:00"))
    t = [telegram for _, telegram in zip(range(4), sim)]
    data = t[0] + t[1][:200] + b"mid/KFM5 line\r\n" + t[1][200:] + t[2] + t[3]
    path = tmp_path / "capture.txt"
    path.write_bytes(data)
    inside = data.index(b"mid/KFM5") + 3
    plan = files._Plan(str(path), len(data), inside - 1, 0, 3, 1 << 20)
    with open(path, "rb") as handle:
        fd = handle.fileno()
        assert plan.begin(fd, 1) == inside
        recorder = files._Recorder(None, False, str(path), True)
        records, following = files._scan_range(fd, 0, plan, recorder)
        assert following == 2
        assert records[-1][0] < plan.begin(fd, 2) <= records[-1][0] + len(t[1]) + 20
    assert _exact(in_workers(path, jobs=2)) == _exact(list(iter_records(path)))


def test_cut_off_telegrams_name_the_stream_byte_on_every_path(tmp_path: Path) -> None:
    data = junk_capture()
    path = tmp_path / "junk.txt"
    path.write_bytes(data)
    cut = [d for _, d in iter_records(path) if isinstance(d, Damaged) and "cut off" in d.error]
    assert cut and all(d.error.endswith(f"byte {d.offset + len(d.raw)}") for d in cut)
    packed = tmp_path / "junk.txt.gz"
    packed.write_bytes(gzip.compress(data))
    one = [(off, line) for off, line, _ in _exact(list(iter_records(path)))]
    piped = _exact(in_workers(packed, jobs=2))  # the pipe path, from a gz file
    assert [(off, line) for off, line, _ in piped] == one
