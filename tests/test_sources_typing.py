"""``mypy --strict`` on a small user script (tests/typing/user_script.py) that uses
``dsmrparse.open``, ``iter_telegrams`` and ``decrypt``: the lazy attributes are typed, a source
iterates ``Telegram | BridgeReading`` and ``Skipped`` only with ``yield_errors=True``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).parent / "typing" / "user_script.py"

# a mistake the overloads must catch: without yield_errors there is no Skipped in the stream
WRONG = """import dsmrparse
for t in dsmrparse.open("socket://192.0.2.1:23"):
    print(t.kind)
"""


def test_user_script_passes_mypy_strict_and_a_wrong_one_does_not(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG)
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent"]
    command += ["--cache-dir", str(tmp_path / "cache"), "--python-version", "3.11"]
    done = subprocess.run(
        [*command, str(SCRIPT), str(wrong)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert errors, done.stdout + done.stderr
    assert not [e for e in errors if SCRIPT.name in e], done.stdout  # the user script is clean
    assert 'has no attribute "kind"' in done.stdout
