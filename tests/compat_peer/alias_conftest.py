"""Resolve ``dsmr_parser`` to dsmrparse's compat layer for the peer's test suite."""

import importlib
import sys

from dsmrparse.compat import dsmr_parser as _compat

sys.modules["dsmr_parser"] = _compat
for _name in _compat.SUBMODULES:
    sys.modules[f"dsmr_parser.{_name}"] = importlib.import_module(f"{_compat.__name__}.{_name}")
