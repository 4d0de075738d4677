"""The README's table of meter families, generated from the profile tables so it cannot drift.

``python -m dsmrparse.profiles.docs`` prints it; ``tests/test_profiles_docs.py`` checks that
``docs/profiles.md`` holds exactly this text.
"""

from __future__ import annotations

from ..obis import ObisCode
from . import get
from ._schema import Profile

# the order of the columns: the Dutch family first, then by country
ORDER = (
    "dsmr3",
    "dsmr4",
    "dsmr5",
    "warmtelink",
    "belgium",
    "iskra_ie5",
    "luxembourg",
    "austria",
    "hungary",
    "sweden",
    "lithuania",
    "swiss",
    "q3d",
)


def _profiles() -> list[Profile]:
    return [get(name) for name in ORDER]


def _detection(p: Profile) -> str:
    ways = [f"header `/{h}`".replace("\x02", "\\x02") for h in p.header_prefixes]
    ways += [f"`{code}` = {prefix}…" for code, prefix in p.version_objects]
    if p.fingerprint:
        ways.append("objects " + ", ".join(f"`{c}`" for c in p.fingerprint))
    return "; ".join(ways) or "default"


def families_table() -> str:
    out = [
        "| profile | family | zone | CRC | serial | detected by |",
        "|---|---|---|---|---|---|",
    ]
    for p in _profiles():
        s = p.serial
        serial = f"{s.baudrate} {s.bytesize}{s.parity}{s.stopbits}"
        crc = "required" if p.crc_required else "none"
        out.append(
            f"| `{p.name}` | {p.title} | {p.timezone} | {crc} | {serial} | {_detection(p)} |"
        )
    return "\n".join(out) + "\n"


def objects_table() -> str:
    profiles = _profiles()
    rows: dict[tuple[str, str], dict[str, str]] = {}
    kinds: dict[tuple[str, str], str] = {}
    for p in profiles:
        for f in p.fields:
            key = (f.obis, f.name)
            rows.setdefault(key, {})[p.name] = f.unit or "✓"
            kinds.setdefault(key, f.kind_name)
    head = "| OBIS | name | kind | " + " | ".join(p.name for p in profiles) + " |"
    out = [head, "|" + "---|" * (3 + len(profiles))]
    for obis, name in sorted(rows, key=lambda k: (ObisCode.parse(k[0]), k[1])):
        cells = rows[(obis, name)]
        marks = " | ".join(cells.get(p.name, "") for p in profiles)
        out.append(f"| `{obis}` | `{name}` | {kinds[(obis, name)]} | {marks} |")
    return "\n".join(out) + "\n"


def markdown_table() -> str:
    """Every family with its facts, then every OBIS object with its name and, per family, the
    unit the family expects (✓ for objects without a unit)."""
    return (
        families_table() + "\nObjects per family (the cell holds the expected unit;"
        " `0-n` is any MBus channel 1-4):\n\n" + objects_table()
    )


BEGIN = "<!-- BEGIN generated table -->\n"
END = "<!-- END generated table -->"
# the README holds only the families; docs/profiles.md the objects too
BEGIN_FAMILIES = "<!-- BEGIN generated families -->\n"
END_FAMILIES = "<!-- END generated families -->"


def rewrite(path: str) -> None:
    """Put the current tables between the markers of a Markdown page (README, docs)."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    for begin, end, table in (
        (BEGIN, END, markdown_table),
        (BEGIN_FAMILIES, END_FAMILIES, families_table),
    ):
        if begin in page:
            start = page.index(begin) + len(begin)
            page = page[:start] + table() + page[page.index(end) :]
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":  # pragma: no cover
    import sys

    # python -m dsmrparse.profiles.docs README.md docs/profiles.md   (no argument: print it)
    for page_path in sys.argv[1:]:
        rewrite(page_path)
    if len(sys.argv) == 1:
        print(markdown_table(), end="")
