"""What ``import dsmrparse`` adds to an interpreter's start: ``python benchmarks/import_time.py``.

Runs ``python -c "pass"`` and ``python -c "import dsmrparse"`` in turns, 15 times each (the
issue's measure), and prints the medians and their difference. ``--bare`` runs them in a venv
with no packages and no ``.pth`` files (made once under the temporary directory), so modules
that this machine's site-packages import at every start (``re``, ``typing`` ...) count against
dsmrparse as they would on a clean machine. Byte code is written (under the temporary directory)
and used, as an installed package has it. Also prints what ``import dsmrparse`` imports beyond
the bare start, and the slowest of them (``-X importtime``, one run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _python(bare: bool) -> str:
    if not bare:
        return sys.executable
    venv = (
        Path(tempfile.gettempdir()) / f"dsmrparse-bare-py{sys.version_info[0]}{sys.version_info[1]}"
    )
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return str(python)


def _env() -> dict[str, str]:
    import dsmrparse  # the build this process sees (src/ or installed), for the children too

    where = str(Path(dsmrparse.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=where)
    # byte code, as an installed package has it (kept apart, so the checkout stays clean)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "dsmrparse-import-pycache")
    return env


def _run(python: str, code: str, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([python, "-c", code], env=env, check=True)
    return time.perf_counter() - began


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--bare", action="store_true", help="in a venv without packages or .pth")
    args = ap.parse_args()
    python, env = _python(args.bare), _env()
    bare, full = [], []
    _run(python, "import dsmrparse", env)  # writes the byte code
    for _ in range(args.runs):
        bare.append(_run(python, "pass", env))
        full.append(_run(python, "import dsmrparse", env))
    b, f = statistics.median(bare) * 1e3, statistics.median(full) * 1e3
    print(f"python -c pass:             {b:6.1f} ms (median of {args.runs})")
    print(f"python -c 'import dsmrparse': {f:6.1f} ms")
    print(f"import dsmrparse adds:      {f - b:6.1f} ms")
    probe = "import sys; a = set(sys.modules); import dsmrparse; b = set(sys.modules) - a; "
    probe += "print(' '.join(sorted(m for m in b if not m.startswith('dsmrparse'))))"
    out = subprocess.run([python, "-c", probe], env=env, capture_output=True, text=True)
    print("imports beyond the start:", out.stdout.strip())
    trace = subprocess.run(
        [python, "-X", "importtime", "-c", "import dsmrparse"],
        env=env,
        capture_output=True,
        text=True,
    ).stderr.splitlines()
    rows = [line.split("|") for line in trace[1:] if line.startswith("import time:")]
    slow = sorted(rows, key=lambda r: -int(r[0].split(":")[1]))[:8]
    print(
        "slowest (self µs):",
        ", ".join(f"{r[2].strip()} {r[0].split(':')[1].strip()}" for r in slow),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
