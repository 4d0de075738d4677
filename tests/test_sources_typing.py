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


def _mypy(script: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp / "cache"),
            "--python-version",
            "3.11",
            str(script),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp,
    )


def test_user_script_passes_mypy_strict(tmp_path: Path) -> None:
    done = _mypy(SCRIPT, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_skipped_is_not_in_the_stream_without_yield_errors(tmp_path: Path) -> None:
    """The overloads are no blanket Any: a Skipped-only attribute is an error without them."""
    script = tmp_path / "wrong.py"
    script.write_text(
        "import dsmrparse\nfor t in dsmrparse.open('socket://192.0.2.1:23'):\n    print(t.kind)\n"
    )
    done = _mypy(script, tmp_path)
    assert done.returncode == 1 and 'has no attribute "kind"' in done.stdout, done.stdout
