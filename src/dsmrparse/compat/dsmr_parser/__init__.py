"""dsmr_parser's public surface (1.11), backed by dsmrparse.

Switch with one import: ``from dsmrparse.compat import dsmr_parser`` (or alias the modules, see
docs/migrating.md). The submodules keep dsmr_parser's names: ``obis_references``,
``telegram_specifications``, ``parsers``, ``objects``, ``exceptions``, ``value_types`` and
``clients``.
"""

from __future__ import annotations

from . import exceptions, obis_references, objects, parsers, telegram_specifications, value_types

__all__ = [
    "exceptions",
    "obis_references",
    "objects",
    "parsers",
    "telegram_specifications",
    "value_types",
    "SUBMODULES",
]

# every module of the package, for a ``sys.modules`` alias that makes ``import dsmr_parser...``
# resolve here (tests/test_compat_peer_suite.py and docs/migrating.md use it)
SUBMODULES = (
    "exceptions",
    "obis_references",
    "objects",
    "parsers",
    "profile_generic_specifications",
    "telegram_specifications",
    "value_types",
    "clients",
    "clients.filereader",
    "clients.protocol",
    "clients.rfxtrx_protocol",
    "clients.serial_",
    "clients.settings",
    "clients.socket_",
    "clients.telegram_buffer",
)
