"""The dsmrparse command: output, summary, exit codes; simulate piped into parse."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dsmrparse
from conftest import FIXTURES
from dsmrparse import profiles
from dsmrparse.cli import main

LF_CAPTURE = FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt"
# the directory holding the dsmrparse package this test process imported (installed or src/),
# so that subprocesses run the same build, compiled twin included
SRC = str(Path(dsmrparse.__file__).resolve().parent.parent)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_lf_capture(twin: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "parse", str(LF_CAPTURE))
    lines = [json.loads(line) for line in out.splitlines()]
    telegrams = [x for x in lines if "record" not in x]
    others = [x for x in lines if "record" in x]
    assert code == 0
    assert len(telegrams) == 566
    assert all(t["crc"]["status"] == "ok" and t["crc"]["checked_as_crlf"] for t in telegrams)
    assert [(x["record"], x["offset"]) for x in others] == [("fragment", 0)]
    assert "566 telegrams (CRC ok 566)" in err and "MB/s" in err


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress, bz2.compress])
def test_compressed_gives_the_same_output(
    twin: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, compress
) -> None:
    packed = tmp_path / "capture.txt.gz"
    packed.write_bytes(compress(LF_CAPTURE.read_bytes()))
    _, plain, _ = run(capsys, "parse", str(LF_CAPTURE))
    code, out, _ = run(capsys, "parse", str(packed), "--jobs", "2")
    assert code == 0 and out == plain


def test_damaged_data_exits_1_and_reports_offsets(
    twin: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from test_files import corrupted_capture

    data, good, spans = corrupted_capture(11, count=60)
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    errors = tmp_path / "errors.jsonl"
    code, out, err = run(capsys, "parse", str(path), "--strict", "--errors", str(errors))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert sum("record" not in x for x in lines) == len(good)
    reported = [json.loads(line) for line in errors.read_text().splitlines()]
    assert reported == [x for x in lines if "record" in x]
    assert all(any(r["offset"] in span for span in spans) for r in reported)
    assert "not telegrams:" in err


def test_usage_and_input_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "parse", str(LF_CAPTURE), "--profile", "nope")[0] == 2
    code, out, err = run(capsys, "parse", str(tmp_path / "missing.txt"))
    assert code == 3 and out == "" and "cannot open" in err
    assert run(capsys, "parse")[0] == 2
    assert run(capsys)[0] == 2
    with pytest.raises(SystemExit) as exc:
        main(["parse", "--format", "xml", "x"])
    assert exc.value.code == 2


def test_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("parse", "detect", "profiles", "simulate", "bench", "Exit codes"):
        assert command in out


def test_csv_and_parquet_outputs(
    twin: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_path = tmp_path / "out.csv"
    code, out, _ = run(capsys, "parse", str(LF_CAPTURE), "-o", str(csv_path), "--jobs", "2")
    assert code == 0 and out == ""
    rows = csv_path.read_text().splitlines()
    assert len(rows) == 567 and rows[0].startswith("timestamp,profile,crc,problems,")
    pq = pytest.importorskip("pyarrow.parquet")
    pq_path = tmp_path / "out.parquet"
    assert run(capsys, "parse", str(LF_CAPTURE), "-o", str(pq_path), "--numbers", "float")[0] == 0
    table = pq.read_table(pq_path)
    assert table.num_rows == 566
    assert str(table.schema.field("power_imported").type) == "double"


def test_example_detect_profiles(twin: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "parse", "--example")
    assert code == 0 and len(out.splitlines()) == 300 and "300 telegrams" in err
    code, out, _ = run(capsys, "detect", str(FIXTURES / "be" / "fluvius_emucs171.txt"))
    assert code == 0 and out.startswith(str(FIXTURES / "be" / "fluvius_emucs171.txt") + ": belgium")
    code, out, _ = run(capsys, "profiles")
    assert code == 0 and all(name in out for name in profiles.names())
    code, out, _ = run(capsys, "profiles", "dsmr5", "--json")
    assert code == 0 and json.loads(out)["name"] == "dsmr5"


def test_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "-n", "3", "--repeat", "1")
    rows = [line.split() for line in out.splitlines()[1:]]
    assert code == 0
    # every family, every stage, a rate per twin
    assert {r[0] for r in rows} == set(profiles.names())
    assert {r[1] for r in rows} == {"scan", "crc", "tokenize", "typed", "parse", "json", "columns"}
    assert all(float(r[3]) > 0 for r in rows)


def test_bench_on_a_capture_for_one_stage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "bench", str(LF_CAPTURE), "--profile", "dsmr5", "--stage", "parse", "--repeat", "1"
    )
    (row,) = [line.split() for line in out.splitlines()[1:]]
    assert code == 0 and row[:3] == ["dsmr5", "parse", "566"]
    assert run(capsys, "bench", "--stage", "nope")[0] == 2


@pytest.mark.parametrize("name", profiles.names())
def test_simulate_into_parse_stdin_for_every_family(
    twin: str,
    name: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path = tmp_path / "sim.txt"
    assert (
        run(capsys, "simulate", "--profile", name, "--count", "20", "--seed", "1", "-o", str(path))[
            0
        ]
        == 0
    )
    fake_stdin = io.TextIOWrapper(io.BytesIO(path.read_bytes()))
    monkeypatch.setattr(sys, "stdin", fake_stdin)
    code, out, _ = run(capsys, "parse", "-")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 20
    assert {x["profile"] for x in lines} == {name}


def test_real_pipe_between_two_processes(twin: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "DSMRPARSE_PURE_PYTHON": "1" if twin == "python" else "0",
    }
    command = [sys.executable, "-m", "dsmrparse"]
    sim = subprocess.Popen(
        [*command, "simulate", "--count", "30", "--lf"], stdout=subprocess.PIPE, env=env
    )
    parsed = subprocess.run(
        [*command, "parse", "-", "-f", "csv"],
        stdin=sim.stdout,
        capture_output=True,
        env=env,
        timeout=60,
    )
    sim.wait(timeout=60)
    assert sim.returncode == 0 and parsed.returncode == 0, parsed.stderr
    assert len(parsed.stdout.decode().splitlines()) == 31
    assert f"({twin} twin)".encode() in parsed.stderr


@pytest.mark.parametrize("command", ["parse", "read"])
def test_a_reader_that_goes_away_gives_exit_code_141(twin: str, command: str) -> None:
    """`dsmrparse parse|read ... | head`: both stop quietly with 141, as the README says."""
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "DSMRPARSE_PURE_PYTHON": "1" if twin == "python" else "0",
    }
    capture = str(FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dsmrparse", command, capture],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)  # the first line has begun: then the reader leaves
    proc.stdout.close()
    errors = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert b"Traceback" not in errors and b"BrokenPipe" not in errors
