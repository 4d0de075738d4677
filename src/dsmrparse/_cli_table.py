"""The table ``dsmrparse parse`` shows on a terminal: one short row per telegram that a person
can read (JSON lines stay the default for pipes and files)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from .telegram import Telegram

HEADER = (
    f"{'time':<25} {'import kW':>9} {'export kW':>9} {'imported kWh':>13} {'exported kWh':>13} "
    f"{'gas':>12}  CRC"
)
HINT = (
    "(a table because stdout is a terminal; JSON lines: --format jsonl, or redirect or pipe "
    "the output)"
)


def _register(t: Telegram, direction: str) -> Decimal | None:
    """The total register of one direction: its total, else the sum of its tariffs."""
    total = t.get(f"electricity_{direction}_total")
    if isinstance(total, Decimal):
        return total
    parts = [
        e.value
        for e in t.entries
        if e.name
        and e.name.startswith(f"electricity_{direction}_tariff_")
        and isinstance(e.value, Decimal)
    ]
    return sum(parts, Decimal(0)) if parts else None


def _cell(value: Any, width: int) -> str:
    return f"{'-' if value is None else value!s:>{width}}"


def row(t: Telegram) -> str:
    gas = t.gas
    gas_text = f"{gas.value} {gas.unit or ''}".strip() if gas is not None else None
    stamp = t.timestamp.isoformat() if t.timestamp is not None else None
    return (
        f"{'-' if stamp is None else stamp:<25} {_cell(t.get('power_imported'), 9)} "
        f"{_cell(t.get('power_exported'), 9)} {_cell(_register(t, 'imported'), 13)} "
        f"{_cell(_register(t, 'exported'), 13)} {_cell(gas_text, 12)}  {t.crc}"
    )


def render_table(records: list[Any]) -> tuple[str, dict[str, Any]]:
    """Like the command's JSON lines renderer, as table rows; what is no telegram is one short
    line with its offset."""
    from .files import Damaged

    counts: Counter[str] = Counter()
    damaged = []
    lines = []
    end = 0
    for offset, item in records:
        end = max(end, offset + len(item.raw))
        if isinstance(item, Damaged):
            counts[f"record:{item.kind}"] += 1
            damaged.append((item.source, offset, item.kind, item.error, item.to_json()))
            lines.append(f"-- byte {offset}: {item.kind} ({len(item.raw)} bytes) {item.error}")
            continue
        counts["telegrams"] += 1
        counts[f"crc:{item.crc}"] += 1
        for problem in item.problems:
            counts[f"problem:{problem.kind}"] += 1
        lines.append(row(item))
    out = "".join(line + "\n" for line in lines)
    return out, {"counts": counts, "damaged": damaged, "end": end}
