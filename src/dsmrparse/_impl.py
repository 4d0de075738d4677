"""Which twin does the hot work: the compiled ``_fastparse`` or the pure-Python ``_purepy``.

``DSMRPARSE_PURE_PYTHON=1`` in the environment forces the pure twin; :func:`use` switches at run
time (the test suite runs every behaviour under both).
"""

from __future__ import annotations

import os
from types import ModuleType

_fast: ModuleType | None
try:
    from . import _fastparse as _fast  # type: ignore[no-redef]
except ImportError:  # no compiler at install time: the pure twin serves
    _fast = None


def _pure() -> ModuleType:
    # imported only when wanted: with the compiled twin in use, crcmod and the pure code stay out
    # of ``import dsmrparse`` (and so does importlib, which imports warnings)
    from importlib import import_module

    return import_module(f"{__package__}._purepy")


current: ModuleType = (
    _fast
    if _fast is not None and os.environ.get("DSMRPARSE_PURE_PYTHON", "") in ("", "0")
    else _pure()
)


def available() -> list[str]:
    """Names of the twins that can be used here: ``["cython", "python"]`` or ``["python"]``."""
    return ["cython", "python"] if _fast is not None else ["python"]


def module(name: str) -> ModuleType:
    if name == "python":
        return _pure()
    if name == "cython" and _fast is not None:
        return _fast
    raise ValueError(f"implementation {name!r} is not available here; have {available()}")


def use(name: str) -> str:
    """Switch the twin in use; returns the name of the previous one."""
    global current
    previous = current.NAME
    current = module(name)
    return str(previous)


def name() -> str:
    return str(current.NAME)
