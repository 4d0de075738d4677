"""``dsmrparse bench --fresh``: fresh and steady rows beside the telegrams as given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES
from dsmrparse import profiles
from dsmrparse.cli import EXIT_DATA, EXIT_USAGE, main

LF_CAPTURE = FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt"
ROW = re.compile(r"^(\S+)(?: (fresh|steady))? +(\w+) +(\d+) +(\d+) +([\d.]+)")


def _rows(out: str) -> list[tuple[str, str, str, int, float]]:
    """(family, "given"/"fresh"/"steady", stage, telegrams, telegrams/s) of every row."""
    lines = out.splitlines()
    assert lines[0].startswith("family")
    rows = []
    for line in lines[1:]:
        m = ROW.match(line)
        assert m is not None, line
        family, kind, stage, count, rate = m.group(1, 2, 3, 4, 5)
        rows.append((family, kind or "given", stage, int(count), float(rate)))
    return rows


def test_simulated_families_get_fresh_and_steady_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["bench", "-n", "3", "--fresh", "25", "--repeat", "1", "--stage", "parse"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = _rows(out)
    for name in profiles.names():
        mine = {(kind, count) for family, kind, _, count, _ in rows if family == name}
        assert mine == {("given", 3), ("fresh", 25), ("steady", 25)}, name
    assert all(stage == "parse" and rate > 0 for _, _, stage, _, rate in rows)


def test_a_capture_gets_fresh_rows_from_its_own_telegrams(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["bench", str(LF_CAPTURE), "--fresh", "20", "--repeat", "1"]
    code = main([*argv, "--stage", "typed", "--stage", "columns"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = {(family, kind, stage): count for family, kind, stage, count, _ in _rows(out)}
    assert rows == {
        ("dsmr5", kind, stage): count
        for kind, count in (("given", 566), ("fresh", 20), ("steady", 20))
        for stage in ("typed", "columns")
    }


def test_a_file_without_telegrams_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"no telegram here\r\nnor here\r\n")
    assert main(["bench", str(junk), "--fresh"]) == EXIT_DATA
    out, err = capsys.readouterr()
    assert out == "" and "no telegram found" in err and "Traceback" not in err


def test_a_telegram_without_values_gets_no_fresh_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = tmp_path / "ids.txt"  # only an identifier: nothing to draw anew
    capture.write_bytes(b"/ISk5\\2MT382-1000\r\n\r\n0-0:96.1.1(4B384547)\r\n!\r\n")
    code = main(["bench", str(capture), "--fresh", "5", "--repeat", "1", "--stage", "parse"])
    out, err = capsys.readouterr()
    assert code == 0
    assert [kind for _, kind, _, _, _ in _rows(out)] == ["given"]
    assert "no fresh row for dsmr5: the telegram has no value to draw anew" in err


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_fresh_count_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["bench", "--fresh", value, "--stage", "parse"])
    except SystemExit as exc:  # argparse refuses a non-number
        code = int(exc.code or 0)
    assert code == EXIT_USAGE
    assert "--fresh" in capsys.readouterr().err
