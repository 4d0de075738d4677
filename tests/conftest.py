"""Shared test fixtures: both parser twins, and the project's own telegram fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import dsmrparse
from dsmrparse import _impl

FIXTURES = Path(__file__).parent / "fixtures"
TWINS = _impl.available()
# In CI the compiled twin must exist: a silent fallback would skip half of every test.
REQUIRE_CYTHON = os.environ.get("CI") == "true" or os.environ.get("DSMRPARSE_REQUIRE_CYTHON") == "1"


try:
    from dsmrparse import _fastparse as COMPILED
except ImportError:  # not built here: tests of the compiled twin alone skip, unless CI wants it
    if REQUIRE_CYTHON:
        raise
    COMPILED = None
needs_compiled = pytest.mark.skipif(COMPILED is None, reason="the compiled twin is not built")


def pytest_report_header(config: pytest.Config) -> str:
    return f"dsmrparse twins available: {', '.join(TWINS)}"


@pytest.fixture(params=["cython", "python"])
def twin(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once per parser twin; the library uses that twin for its duration."""
    name = request.param
    if name not in TWINS:
        if name == "cython" and REQUIRE_CYTHON:
            pytest.fail("the compiled fast path is required here (CI) but was not built")
        pytest.skip(f"the {name} twin is not built here")
    previous = dsmrparse.use_implementation(name)
    try:
        yield name
    finally:
        dsmrparse.use_implementation(previous)


def fixture_bytes(relative: str) -> bytes:
    """A telegram file of tests/fixtures, byte for byte."""
    return (FIXTURES / relative).read_bytes()
