"""The ```python blocks of Markdown pages, and a runner that executes them.

A block is skipped when the line just before its fence is ``<!-- no-run: REASON -->``.
``python tests/docs_blocks.py PAGE`` runs a page's blocks in order in one namespace (a fresh
process per page, cwd = the repo root), as a reader following the page would; it exits 1 naming
the first block that fails."""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
NO_RUN = re.compile(r"<!-- no-run: (\S.*?) -->")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")


class Block(NamedTuple):
    page: str
    line: int  # of the opening fence, 1-based
    code: str
    skip: str | None  # the no-run reason


def pages(root: Path = ROOT) -> list[Path]:
    """README.md and every docs/*.md, found anew each run (pages added later are covered)."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence):
            end += 1
        if lang == "python":
            before = lines[i - 1].strip() if i > 0 else ""
            reason = NO_RUN.fullmatch(before)
            code = "\n".join(lines[i + 1 : end]) + "\n"
            found.append(Block(str(path), i + 1, code, reason.group(1) if reason else None))
        i = end + 1
    return found


def run_page(path: Path) -> int:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(path):
        if block.skip is not None:
            continue
        try:
            exec(compile(block.code, f"{block.page}:{block.line}", "exec"), namespace)
        except BaseException:  # noqa: BLE001 - report any failure of the block
            traceback.print_exc()
            print(f"FAILED: the block at {block.page}:{block.line}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(run_page(Path(sys.argv[1])))
