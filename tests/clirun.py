"""Running the ``dsmrparse`` command as a real subprocess, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dsmrparse

# the directory holding the dsmrparse package this test process imported (installed or src/),
# so that subprocesses run the same build, compiled twin included
SRC = str(Path(dsmrparse.__file__).resolve().parent.parent)
COMMAND = [sys.executable, "-m", "dsmrparse"]


def env_for(twin: str = "cython", **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": SRC,
        "DSMRPARSE_PURE_PYTHON": "1" if twin == "python" else "0",
        **extra,
    }


def cli(*argv: str, twin: str = "cython", env: dict[str, str] | None = None, **kw: Any) -> Any:
    """``dsmrparse ARGV`` to the end: the CompletedProcess, stdout and stderr as text."""
    if "stdout" not in kw and "stderr" not in kw:
        kw.setdefault("capture_output", True)
    return subprocess.run(
        [*COMMAND, *argv],
        env=env or env_for(twin),
        text=True,
        timeout=120,
        **kw,
    )


def popen(*argv: str, twin: str = "cython", **kw: Any) -> subprocess.Popen[Any]:
    return subprocess.Popen([*COMMAND, *argv], env=env_for(twin), **kw)
