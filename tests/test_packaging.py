"""The sdist as a newcomer installs it: it ships the generated C, the tests, fixtures and docs;
a fresh venv without Cython gets the compiled twin from that C, and a failing compiler gives the
pure twin with one warning line.

One sdist build and one C compile (one to two minutes in all); marked ``packaging``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging
SKIP = shutil.ignore_patterns(
    "*.so", "*.c", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis"
)


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("Cython", reason="building the sdist generates the C with Cython")
    tree = tmp_path_factory.mktemp("tree")
    for name in ("src", "tests", "docs", "benchmarks", ".ci"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tree / name, ignore=SKIP)
    for name in ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy(ROOT / name, tree / name)
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "setup.py", "-q", "sdist", "-d", out, cwd=tree)
    (archive,) = out.glob("dsmrparse-*.tar.gz")
    return archive


def test_the_sdist_ships_c_tests_fixtures_and_docs(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in (
        "src/dsmrparse/_fastparse.c",
        "src/dsmrparse/_fastjson.c",
        "tests/conftest.py",
        "tests/fixtures/PROVENANCE.md",
        "tests/fixtures/nl/dsmr50_iskra_am550_dead_mbus1.txt",
        "docs/cli.md",
        "README.md",
    ):
        assert needed in names, needed
    assert not any(n.endswith(".so") for n in names)


def test_fresh_venv_installs_from_the_sdist(sdist: Path, tmp_path: Path) -> None:
    """Without Cython: the compiled twin from the shipped C; with CC=/bin/false: the pure twin
    and one warning line that names it and how to get the compiled one."""
    home = tmp_path / "venv"
    venv.create(home, with_pip=True)
    py = home / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    _run(py, "-m", "pip", "install", "-q", "setuptools>=68", "wheel", env=env)
    no_cython = subprocess.run([py, "-c", "import Cython"], capture_output=True, env=env)
    assert no_cython.returncode != 0  # the point: nothing but the shipped C to build from
    pip = [py, "-m", "pip", "install", "--no-build-isolation", "--no-cache-dir", "-v"]
    log = _run(*pip, sdist, env=env)
    assert "compiled twin not built" not in log
    version = _run(py, "-m", "dsmrparse", "--version", cwd=tmp_path, env=env)
    assert "(cython twin: compiled" in version

    log = _run(*pip, "--force-reinstall", "--no-deps", sdist, env={**env, "CC": "/bin/false"})
    warnings = [line for line in log.splitlines() if "compiled twin not built" in line]
    assert len(warnings) == 1, log[-3000:]
    assert "pure-Python twin" in warnings[0] and "pip install" in warnings[0]
    version = _run(py, "-m", "dsmrparse", "--version", cwd=tmp_path, env=env)
    assert "(python twin: pure Python" in version
