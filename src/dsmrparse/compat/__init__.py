"""Drop-in layers for other parsers' APIs, backed by dsmrparse.

``from dsmrparse.compat import dsmr_parser`` gives a package shaped like dsmr_parser 1.11
(ndokter): its specifications, parser, objects and clients, with dsmrparse doing the work.
Nothing here is imported by ``import dsmrparse``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

__all__ = ["dsmr_parser", "alias_dsmr_parser"]


def alias_dsmr_parser() -> ModuleType:
    """Make ``import dsmr_parser`` (and its submodules) resolve to the compat layer, for code
    that cannot be edited: call it before that code imports dsmr_parser."""
    import sys

    package = import_module(f"{__name__}.dsmr_parser")
    sys.modules["dsmr_parser"] = package
    for name in package.SUBMODULES:
        sys.modules[f"dsmr_parser.{name}"] = import_module(f"{package.__name__}.{name}")
    return package


def __getattr__(name: str) -> ModuleType:
    if name == "dsmr_parser":
        module = import_module(f"{__name__}.dsmr_parser")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
