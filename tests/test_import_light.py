"""``import dsmrparse`` stays light: no ``re``, ``typing`` or other heavy modules at import.

Behaviour, not timing: a fresh interpreter without ``site`` (so this machine's ``.pth`` files,
which import ``re`` and ``typing`` themselves, hide nothing) imports dsmrparse and lists what it
brought in. The stand-ins that make this possible (lazy patterns, ``NamedTuple`` without
``typing``) must behave like what they replace.
"""

from __future__ import annotations

import ast
import copy
import os
import pickle
import re
import subprocess
import sys
import sysconfig
import typing
from decimal import Decimal
from pathlib import Path

import pytest

import dsmrparse
from dsmrparse import _impl
from dsmrparse._lazyre import compile as lazy_compile
from dsmrparse._record import NamedTuple

# the directory holding the dsmrparse this test imported (installed or src/), compiled twin included
SRC = str(Path(dsmrparse.__file__).resolve().parent.parent)
HEAVY = {
    "re", "typing", "enum", "warnings", "contextlib", "importlib", "inspect", "dataclasses",
    "json", "zoneinfo", "random", "logging", "socket", "ssl", "asyncio", "threading",
    "crcmod", "serial", "cryptography", "pyarrow", "aiohttp", "dsmrparse._purepy",
    "dsmrparse.fresh", "dsmrparse.files", "dsmrparse.columnar", "dsmrparse.cli",
}  # fmt: skip
# site-packages at the end of the path, for the pure twin's crcmod (its .pth files stay unread)
SITE = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
PROBE = (
    "import sys\n"
    "before = set(sys.modules)\n"
    "sys.path[:0] = [{src!r}]\n"
    "sys.path += {site!r}\n"
    "import dsmrparse\n"
    "print(repr([sorted(before), sorted(set(sys.modules) - before), dsmrparse.implementation()]))\n"
)


def _imports(pure: bool = False) -> tuple[set[str], set[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["DSMRPARSE_PURE_PYTHON"] = "1" if pure else "0"
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE.format(src=SRC, site=SITE)],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    before, new, twin = ast.literal_eval(out)
    return set(before), set(new), twin


def test_import_brings_in_no_heavy_module() -> None:
    if "cython" not in _impl.available():
        pytest.skip("the compiled twin is not built here (the pure one imports crcmod)")
    before, new, twin = _imports()
    assert twin == "cython"
    assert not HEAVY & before  # the bare interpreter had none of them: the check can fail
    assert sorted(HEAVY & new) == []
    assert {"decimal", "datetime", "dsmrparse._fastparse"} <= new  # what a parse does need


def test_the_pure_twin_loads_only_its_own_needs() -> None:
    # (it imports re, typing and crcmod itself: it is the fallback, not the fast start)
    _, new, twin = _imports(pure=True)
    assert twin == "python" and "crcmod" in new
    assert sorted({"json", "zoneinfo", "random", "dsmrparse.fresh", "dsmrparse.cli"} & new) == []


def test_odd_codes_still_parse_once_patterns_compile(twin: str) -> None:
    # `1-0:1.8.1*255` goes through the lazily compiled OBIS pattern; hex text through another
    raw = (Path(__file__).parent / "fixtures" / "de" / "easymeter_q3db1024.txt").read_bytes()
    t = dsmrparse.parse(raw)
    assert t.profile == "q3d" and not t.problems
    assert isinstance(t.entries[1].value, Decimal)


def test_lazy_patterns_answer_like_compiled_ones() -> None:
    pattern = r"^(\d{2})-(\d+)$"
    lazy, real = lazy_compile(pattern), re.compile(pattern)
    for text in ("12-345", "1-2", "12-", "ab-12"):
        a, b = lazy.match(text), real.match(text)
        assert (a and a.groups()) == (b and b.groups())
        assert bool(lazy.fullmatch(text)) == bool(real.fullmatch(text))
    assert lazy.sub(r"\2", "12-345") == "345"
    assert lazy.pattern == pattern and "lazy" in repr(lazy)
    ignoring = lazy_compile("abc", re.IGNORECASE)
    assert ignoring.match("ABC") is not None
    copied = copy.deepcopy(lazy_compile(pattern))  # copies and pickles as a plain object
    assert (
        copied.match("12-3") is not None and pickle.loads(pickle.dumps(copied)).pattern == pattern
    )


def _pair() -> tuple[type, type]:
    made = []
    for base in (NamedTuple, typing.NamedTuple):

        class Point(base):  # type: ignore[valid-type,misc]
            """A point."""

            x: int
            y: int = 0

            def norm(self) -> int:
                return abs(self.x) + abs(self.y)

        made.append(Point)
    return made[0], made[1]


def test_namedtuple_without_typing_makes_typings_class() -> None:
    ours, theirs = _pair()
    assert ours.__mro__[1:] == theirs.__mro__[1:] == (tuple, object)
    assert ours._fields == theirs._fields and ours._field_defaults == theirs._field_defaults
    assert ours.__doc__ == theirs.__doc__ == "A point."
    assert (ours.__name__, ours.__qualname__) == (theirs.__name__, theirs.__qualname__)
    p, q = ours(3, -4), theirs(3, -4)
    assert p == q and repr(p) == repr(q) and p.norm() == q.norm() == 7
    assert p._replace(y=1) == (3, 1) and ours(5) == (5, 0) and p._asdict() == q._asdict()
    with pytest.raises(TypeError, match="Non-default namedtuple field"):

        class Bad(NamedTuple):  # type: ignore[misc]
            x: int = 0
            y: int

    with pytest.raises(AttributeError, match="Cannot overwrite NamedTuple attribute _replace"):

        class Worse(NamedTuple):
            x: int

            def _replace(self) -> None:  # type: ignore[override]
                pass


def test_library_records_still_pickle_and_compare() -> None:
    t = dsmrparse.parse(
        (Path(__file__).parent / "fixtures" / "nl" / "dsmr50_iskra_mt382.txt").read_bytes()
    )
    entry = t.entries[3]
    assert pickle.loads(pickle.dumps(entry)) == entry
    assert type(pickle.loads(pickle.dumps(entry))) is dsmrparse.Entry
    assert dsmrparse.Entry._fields[:2] == ("obis", "name")
