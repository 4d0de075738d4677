"""dsmr_parser's names beside dsmrparse's: the tables docs/migrating.md shows.

Computed from the two sets of tables (dsmr_parser's line signatures and specifications, our
profiles), so the guide cannot drift from the code: tests/test_compat.py checks that the guide
holds exactly these tables.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .. import profiles
from .dsmr_parser import obis_references, telegram_specifications
from .dsmr_parser.clients.protocol import VERSIONS

__all__ = ["NameRow", "name_rows", "name_table", "spec_table"]

# the specifications in their module order; AUSTRIA_ENERGIENETZE_STEIERMARK is SAGEMCOM_T210_D_R
_SPECS = [
    n
    for n in telegram_specifications.__all__
    if n not in ("ALL", "AUSTRIA_ENERGIENETZE_STEIERMARK")
]


class NameRow(NamedTuple):
    reference: str  # dsmr_parser's name (``CURRENT_ELECTRICITY_USAGE``)
    obis: str  # the code its signature matches (``*`` any digit, ``n`` an MBus channel 1-9)
    names: tuple[str, ...]  # our names for the lines it matches, over every profile
    specs: tuple[str, ...]  # dsmr_parser's specifications that read it


def _code(signature: str) -> str:
    code = signature.lstrip("^").replace(r".+?\r\n", "").replace("\\.", ".")
    return (
        code.replace(r"\d", "*")
        .replace("[1-9]", "n")
        .replace("[01]", "{0,1}")
        .replace("[13]", "{1,3}")
    )


def name_rows() -> list[NameRow]:
    rows = []
    for reference, signature in vars(obis_references).items():
        if reference.startswith("_") or not isinstance(signature, str):
            continue
        pattern = re.compile(signature, re.MULTILINE | re.DOTALL)
        ours = sorted(
            {
                field.name
                for profile in profiles.all_profiles()
                for field in profile.fields
                if any(pattern.match(f"{code}(0)\r\n(0)\r\n") for code in field.codes())
            }
        )
        specs = tuple(
            name
            for name in _SPECS
            if any(
                row["obis_reference"] == signature
                for row in getattr(telegram_specifications, name)["objects"]
            )
        )
        rows.append(NameRow(reference, _code(signature), tuple(ours), specs))
    return rows


def name_table() -> str:
    lines = [
        "| obis_references | OBIS | dsmrparse name | in specifications |",
        "|---|---|---|---|",
    ]
    for row in name_rows():
        names = ", ".join(f"`{n}`" for n in row.names) or "(generated name)"
        lines.append(
            f"| `{row.reference}` | `{row.obis}` | {names} | {', '.join(row.specs) or '-'} |"
        )
    return "\n".join(lines)


def spec_table() -> str:
    """Each specification, the ``dsmr_version`` that selects it in the readers, our profile."""
    versions: dict[str, list[str]] = {}
    for version, (spec, _) in VERSIONS.items():
        for name in _SPECS:
            if getattr(telegram_specifications, name) is spec:
                versions.setdefault(name, []).append(f"`{version}`")
    lines = ["| telegram_specifications | dsmr_version | dsmrparse profile |", "|---|---|---|"]
    for name in _SPECS:
        profile = getattr(telegram_specifications, name)["dsmrparse_profile"]
        chosen_by = ", ".join(versions.get(name, [])) or "-"
        lines.append(f"| `{name}` | {chosen_by} | `{profile}` |")
    return "\n".join(lines)
