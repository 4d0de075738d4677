"""pytest settings for the benchmark suites: ``pytest benchmarks/ --benchmark-only``.

The project's own pytest settings (testpaths) stay on tests/; here the files are ``bench_*.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import dsmrparse  # noqa: F401
except ImportError:  # a checkout built with `setup.py build_ext --inplace` but not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def pytest_configure(config: pytest.Config) -> None:
    # benchmark modules are bench_*.py; collect them (test_*.py would still be found too)
    patterns = config.getini("python_files")
    if "bench_*.py" not in patterns:
        config.addinivalue_line("python_files", "bench_*.py")
