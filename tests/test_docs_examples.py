"""Every ```python block of README.md and docs/*.md runs as written.

Each page runs in a fresh process (cwd = the repo root), its blocks in order in one namespace,
as a reader following the page would: a later block may use an earlier one's imports. A block
whose fence is preceded on the line just before by ``<!-- no-run: REASON -->`` is skipped. The
pages are found anew on every run, so pages added later are covered without editing this file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clirun import env_for
from docs_blocks import ROOT, blocks, pages

RUNNER = str(Path(__file__).parent / "docs_blocks.py")


def _run(page: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, RUNNER, str(page)],
        cwd=ROOT,
        env=env_for(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_examples_run(page: Path) -> None:
    if not any(b.skip is None for b in blocks(page)):
        pytest.skip("no runnable python block on this page")
    done = _run(page)
    assert done.returncode == 0, done.stderr[-4000:]


def test_the_pages_have_examples_that_run() -> None:
    names = [p.relative_to(ROOT).as_posix() for p in pages()]
    assert "README.md" in names and "docs/cli.md" in names
    readme = blocks(ROOT / "README.md")
    assert sum(b.skip is None for b in readme) >= 3  # the three jobs, at least


def test_the_runner_fails_on_a_broken_block_and_skips_a_marked_one(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n<!-- no-run: needs a meter -->\n```python\nraise SystemExit(9)\n"
        "```\n\n```python\nassert x == 1\nimport dsmrparse\n1 / 0\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [b.skip for b in found] == [None, "needs a meter", None]
    done = _run(page)
    assert done.returncode == 1
    assert f"FAILED: the block at {page}:10" in done.stderr and "ZeroDivisionError" in done.stderr


def test_readme_families_table_matches_the_profiles() -> None:
    from dsmrparse.profiles.docs import BEGIN_FAMILIES, END_FAMILIES, families_table

    page = (ROOT / "README.md").read_text(encoding="utf-8")
    start = page.index(BEGIN_FAMILIES) + len(BEGIN_FAMILIES)
    assert page[start : page.index(END_FAMILIES)] == families_table(), (
        "run python -m dsmrparse.profiles.docs README.md docs/profiles.md"
    )
