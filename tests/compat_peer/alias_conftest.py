"""Resolve ``dsmr_parser`` to dsmrparse's compat layer for the peer's test suite."""

from dsmrparse.compat import alias_dsmr_parser

alias_dsmr_parser()
