"""`dsmrparse parse --jobs N` to JSON lines: the worker processes leave their lines in spool
files that the parent copies out (the lines are about 5x the telegrams' bytes, and shipping them
back by pickle made two processes slower than one). The output is the one process's, byte for
byte, and no spool file outlives the command."""

from __future__ import annotations

import errno
import io
import os
import threading
from pathlib import Path

import pytest

from clirun import cli, env_for
from conftest import FIXTURES
from dsmrparse import _impl, _jsonl, files
from dsmrparse.fresh import fresh_telegrams

needs_compiled = pytest.mark.skipif(
    "cython" not in _impl.available(), reason="the compiled JSON-lines writer is not built"
)


def _capture(tmp_path: Path) -> Path:
    raw = (FIXTURES / "nl/dsmr50_iskra_mt382.txt").read_bytes()
    frames = fresh_telegrams(raw, 600, seed=7)
    frames[100] = frames[100][:300]  # damaged: cut short by the next header
    capture = tmp_path / "capture.txt"
    capture.write_bytes(b"".join(frames) + b"trailing junk")
    return capture


def _spool_dirs(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith("dsmrparse-spool-")]


@needs_compiled
@pytest.mark.parametrize("where", ["file", "stdout"])
def test_jobs_2_writes_what_jobs_1_writes_and_leaves_no_spool(tmp_path: Path, where: str) -> None:
    capture = _capture(tmp_path)
    spool_root = tmp_path / "tmp"
    spool_root.mkdir()
    env = env_for("cython", TMPDIR=str(spool_root))
    outputs = []
    for jobs in ("1", "2"):
        if where == "file":
            out = tmp_path / f"out{jobs}.jsonl"
            run = cli("parse", str(capture), "-q", "--jobs", jobs, "-o", str(out), env=env)
            outputs.append((run.returncode, out.read_bytes()))
        else:
            run = cli("parse", str(capture), "-q", "--jobs", jobs, "--format", "jsonl", env=env)
            outputs.append((run.returncode, run.stdout.encode()))
        assert _spool_dirs(spool_root) == []
    assert outputs[0] == outputs[1]
    code, lines = outputs[1]
    assert code == 1  # (the damaged telegram)
    assert lines.count(b'"format":"dsmrparse/1","profile":"dsmr5"') == 599
    assert lines.count(b'"record":"damaged"') + lines.count(b'"record":"junk"') >= 1


@needs_compiled
def test_the_spool_is_what_render_frames_gives(tmp_path: Path) -> None:
    capture = _capture(tmp_path)
    records = [r for batch in files.map_records(capture, list, raw=True) for r in batch]
    expected, info = _jsonl.render_frames(None, False, "capture.txt", records)
    spooled, spooled_info = _jsonl.render_spooled(
        str(tmp_path), None, False, "capture.txt", records
    )
    assert spooled_info == info
    assert spooled.size == len(expected) and Path(spooled.path).read_bytes() == expected


def _spooled(tmp_path: Path, data: bytes) -> _jsonl.Spooled:
    path = tmp_path / "piece.jsonl"
    path.write_bytes(data)
    return _jsonl.Spooled(str(path), len(data))


DATA = b"".join(b'{"n":%d}\n' % i for i in range(200_000))  # 2 MB: more than one sendfile


def test_a_spool_is_copied_into_a_file_after_what_was_buffered(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with open(out, "wb") as sink:
        sink.write(b"first\n")  # still in the buffer: must come out before the spool
        _jsonl.copy_spooled(_spooled(tmp_path, DATA), sink)
        sink.write(b"last\n")
    assert out.read_bytes() == b"first\n" + DATA + b"last\n"
    assert not (tmp_path / "piece.jsonl").exists()


def test_a_spool_is_copied_into_a_pipe(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    got = bytearray()

    def drain() -> None:
        with os.fdopen(read_end, "rb") as r:
            while chunk := r.read(1 << 16):
                got.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    with os.fdopen(write_end, "wb") as sink:
        _jsonl.copy_spooled(_spooled(tmp_path, DATA), sink)
    reader.join(timeout=30)
    assert bytes(got) == DATA


def test_a_spool_is_copied_into_a_file_object_without_a_descriptor(tmp_path: Path) -> None:
    sink = io.BytesIO()
    _jsonl.copy_spooled(_spooled(tmp_path, DATA), sink)
    assert sink.getvalue() == DATA
    assert not (tmp_path / "piece.jsonl").exists()


def test_a_spool_that_is_shorter_than_announced_is_an_error_not_a_short_output(
    tmp_path: Path,
) -> None:
    piece = _spooled(tmp_path, DATA)
    with open(tmp_path / "out.jsonl", "wb") as sink, pytest.raises(OSError, match="ended after"):
        _jsonl.copy_spooled(piece._replace(size=len(DATA) + 10), sink)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_sink_without_room_reports_no_space_not_sendfiles_einval(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as sink, pytest.raises(OSError) as caught:
        _jsonl.copy_spooled(_spooled(tmp_path, DATA), sink)
    assert caught.value.errno == errno.ENOSPC
    assert not (tmp_path / "piece.jsonl").exists()
