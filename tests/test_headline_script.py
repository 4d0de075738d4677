"""benchmarks/headline.py, the README's performance table, still runs: a tiny run, its markdown
and its --update between the marker lines. (No timing is checked: only the table's shape.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dsmrparse

ROOT = Path(__file__).resolve().parent.parent
SRC = str(Path(dsmrparse.__file__).resolve().parent.parent)


def test_a_small_run_prints_the_table_and_updates_a_page(tmp_path: Path) -> None:
    pytest.importorskip("dsmr_parser")  # the peer, in the test extra
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n<!-- BEGIN headline -->\nold table\n<!-- END headline -->\n\nEnd.\n")
    env = dict(os.environ, PYTHONPATH=SRC)
    argv = ["--rounds", "1", "--family", "q3d", "--family", "dsmr2.2", "--count", "40"]
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "headline.py"), *argv, "--no-bulk",
         "--update", str(page)],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    fresh = [r for r in rows if "| **fresh** |" in r]
    assert len(fresh) == 2 and any(r.startswith("| q3d (346 B; 9 / 9)") for r in fresh)
    assert len([r for r in rows if "| steady |" in r]) == 2
    goals = [r for r in rows if r.startswith("| 100x dsmr_parser |")]
    assert [g.split(" | ")[1] for g in goals] == ["q3d", "dsmr2.2"]
    assert all(g.split(" | ")[3] in ("yes", "no") for g in goals)
    text = page.read_text()
    assert "old table" not in text and text.startswith("# Page\n\n<!-- BEGIN headline -->\n")
    assert text.endswith("<!-- END headline -->\n\nEnd.\n") and "| **fresh** |" in text


def test_update_refuses_a_page_without_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# No markers\n")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import headline
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    try:
        headline.update(page, "table")
    except SystemExit as exc:
        assert "no <!-- BEGIN headline -->" in str(exc)
    else:
        raise AssertionError("update() wrote a page without marker lines")
    assert page.read_text() == "# No markers\n"
