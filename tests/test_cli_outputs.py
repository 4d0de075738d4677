"""Outputs of ``dsmrparse parse`` are whole or absent; I/O failures are one line and exit 3;
Ctrl-C and SIGTERM stop cleanly (real subprocesses)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import cli, popen
from conftest import FIXTURES

CAPTURE = FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt"


def _one_line_error(err: str) -> None:
    assert "Traceback" not in err and "Exception ignored" not in err
    assert len([x for x in err.splitlines() if x.startswith("dsmrparse: ")]) >= 1


def test_output_that_is_an_input_is_refused_before_anything_is_opened(
    twin: str, tmp_path: Path
) -> None:
    cap = tmp_path / "cap.jsonl"
    shutil.copy(CAPTURE, cap)
    (tmp_path / "soft.jsonl").symlink_to(cap)
    os.link(cap, tmp_path / "hard.jsonl")
    before = cap.read_bytes()
    for out in ("cap.jsonl", "soft.jsonl", "hard.jsonl"):
        r = cli("parse", "cap.jsonl", "-o", out, twin=twin, cwd=tmp_path)
        assert r.returncode == 2 and "is the input cap.jsonl" in r.stderr, r.stderr
        assert r.stdout == ""
    r = cli("parse", "cap.jsonl", "-o", "x.csv", "--errors", "soft.jsonl", cwd=tmp_path)
    assert r.returncode == 2 and "--errors soft.jsonl is the input" in r.stderr
    assert cap.read_bytes() == before and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    "argv, says",
    [
        (["-o", "/nonexistent_dir/x.jsonl"], "does not exist"),
        (["-o", "{tmp}"], "is a folder"),
        (["--errors", "/nonexistent/e.jsonl", "-o", "{tmp}/x.csv"], "does not exist"),
        (["-o", "/dev/full"], "No space left on device"),
        (["-o", "{tmp}/x.csv", "--errors", "/dev/full"], "cannot write /dev/full"),
    ],
)
def test_io_failures_are_one_line_and_exit_3(tmp_path: Path, argv: list[str], says: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    r = cli("parse", str(CAPTURE), *argv)
    assert r.returncode == 3, r.stderr
    assert says in r.stderr
    _one_line_error(r.stderr)
    assert not (tmp_path / "x.csv").exists()
    assert not list(tmp_path.glob(".*partial"))


def test_a_full_disk_on_stdout_is_exit_3() -> None:
    with open("/dev/full", "w") as full:
        r = cli("parse", str(CAPTURE), stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 3
    assert "cannot write stdout: No space left on device" in r.stderr
    _one_line_error(r.stderr)


def _wait_for(pattern: str, folder: Path, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if list(folder.glob(pattern)) or proc.poll() is not None:
            return
        time.sleep(0.05)


@pytest.mark.parametrize(
    "out, how, code",
    [
        ("day.parquet", signal.SIGINT, 130),
        ("day.parquet", signal.SIGTERM, 143),
        ("day.jsonl", signal.SIGTERM, 143),
        ("day.csv", signal.SIGINT, 130),
    ],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_run_leaves_no_file_that_looks_whole(
    tmp_path: Path, out: str, how: signal.Signals, code: int, jobs: str
) -> None:
    """The capture comes through a pipe that stays open, so the run is surely in the middle."""
    proc = popen(
        "parse",
        "-",
        "-o",
        out,
        "--jobs",
        jobs,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the signal reaches every worker too
    )
    assert proc.stdin is not None and proc.stderr is not None
    data = CAPTURE.read_bytes()
    for _ in range(12):  # > 4 MiB: with --jobs 2 a piece goes to a worker
        proc.stdin.write(data)
    proc.stdin.flush()
    _wait_for(f".{out}.*.partial", tmp_path, proc)
    time.sleep(0.5)
    os.killpg(proc.pid, how)
    err = proc.stderr.read().decode()
    proc.stdin.close()
    assert proc.wait(timeout=60) == code, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted after" in err and "not written" in err
    # besides the records the capture's seams give (listed for csv/parquet): one line
    assert [x for x in err.splitlines() if ": byte " not in x] == [
        next(x for x in err.splitlines() if "interrupted after" in x)
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing under any name


@pytest.mark.parametrize(
    "argv",
    [
        ["profiles"],
        ["detect", str(CAPTURE)],
        ["simulate", "--count", "3"],
        ["read", str(CAPTURE)],
        ["parse", str(CAPTURE), "--format", "csv"],
    ],
)
def test_every_command_on_a_full_disk_is_one_line_and_exit_3(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        r = cli(*argv, stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 3, r.stderr
    assert "No space left on device" in r.stderr
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr


@pytest.mark.parametrize("how, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_read_stops_cleanly_on_a_signal(how: signal.Signals, code: int) -> None:
    proc = popen("read", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(CAPTURE.read_bytes()[:20000])
    proc.stdin.flush()
    assert proc.stdout.readline().startswith(b'{"format"')  # it is reading: now the signal
    os.killpg(proc.pid, how)
    err = proc.stderr.read().decode()
    proc.stdin.close()
    assert proc.wait(timeout=60) == code, err
    assert "Traceback" not in err


def test_an_output_through_a_link_writes_where_the_link_points(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "day.csv"
    target.write_text("old\n")
    (tmp_path / "day.csv").symlink_to(target)
    r = cli("parse", str(CAPTURE), "-o", str(tmp_path / "day.csv"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "day.csv").is_symlink()
    assert target.read_text().startswith("timestamp,") and len(target.read_text()) > 1000
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["day.csv"]


def test_ctrl_c_with_jobs_on_a_plain_file_is_clean(tmp_path: Path) -> None:
    """A plain file is read in byte ranges by the workers. The output is a fifo nobody reads,
    so the run is surely in the middle (blocked writing) when Ctrl-C comes."""
    capture = tmp_path / "big.txt"
    capture.write_bytes(CAPTURE.read_bytes() * 12)
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open, never read: writes block
    try:
        proc = popen("parse", str(capture), "-o", str(fifo), "--jobs", "2",
                     stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
        assert proc.stderr is not None
        for _ in range(600):  # until the pipe is full
            if proc.poll() is not None or _fifo_full(reader):
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        err = proc.communicate(timeout=60)[1].decode()  # (a hang fails, not blocks, the test)
        assert proc.returncode == 130, err
    finally:
        os.close(reader)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert [x for x in err.splitlines() if x] == [
        next(x for x in err.splitlines() if "interrupted after" in x)
    ]


def _fifo_full(fd: int) -> bool:
    import fcntl
    import termios

    waiting = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, waiting)
    return int.from_bytes(waiting, sys.byteorder) >= 60000
