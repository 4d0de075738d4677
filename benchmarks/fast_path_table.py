"""Which fixtures take the columns fast path (``Columns.add_fast``), per twin.

For every telegram fixture under tests/fixtures: how many of its frames ``add_fast`` accepts, and
how many of ``--fresh N`` fresh copies of its first telegram (``fresh.fresh_telegrams``), on
each twin, with the first reason the pure twin's builder gives for refusing one (its steps
redone here one by one, so the reason is measured, not guessed).

    PYTHONPATH=src python benchmarks/fast_path_table.py [--fresh 20]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import dsmrparse
from dsmrparse import _impl, _purepy, columnar, profiles
from dsmrparse.fresh import fresh_telegrams
from dsmrparse.telegram import Telegram

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def frames_of(data: bytes) -> list[bytes]:
    scanner = _purepy.FrameScanner()
    return [f.data for f in scanner.feed(data) + scanner.flush() if f.kind == "telegram"]


def schema_of(frames: list[bytes]) -> str | None:
    for frame in frames:
        try:
            item = dsmrparse.parse(frame)
        except dsmrparse.DsmrError:
            continue
        if isinstance(item, Telegram):
            return item.profile
    return None


def accepted(frames: list[bytes], schema: str, twin: str) -> int:
    previous = dsmrparse.use_implementation(twin)
    try:
        cols = columnar.Columns(schema)
        return sum(cols.add_fast(frame) for frame in frames)
    finally:
        dsmrparse.use_implementation(previous)


def reason(frame: bytes, schema: str) -> str:
    """The pure builder's first reason to refuse ``frame`` ("" when it takes it)."""
    previous = dsmrparse.use_implementation("python")
    try:
        cols = columnar.Columns(schema)
        spec = columnar.fast_spec(cols, None, False)
        if spec is None:
            return "no spec"
        tokens = _purepy.tokenize(frame)
        if tokens.line_ending == "mixed":
            return "mixed line ends"
        odd = [p for p in tokens.problems if p.kind != "crc"]
        if odd:
            return f"tokenizer: {odd[0].kind}: {odd[0].message[:50]}"
        if not spec.layout(frame)[0]:
            unknown = [ln.obis for ln in tokens.lines if ln.obis not in spec.plan]
            return f"layout: codes not in the profile {unknown[:3]}" if unknown else "layout"
        ctx = _purepy.ColumnBuilder(spec, [])._ctx
        entries, value_problems = _purepy.convert(tokens.lines, spec.plan, ctx)
        if value_problems:
            return f"value: {value_problems[0].message[:60]}"
        for e in entries:
            action = spec.actions.get(e.obis)
            if action is not None and action.op != columnar.OP_VALUE:
                return f"fallback action: {e.obis} {e.name}"
            complex_cell = action.complex if action is not None else None
            refused = (
                complex_cell is not None
                and e.value is not None
                and not complex_cell("(" + ")(".join(e.raw) + ")")[0]
            )
            if refused:
                return f"complex cell refused: {e.obis}"
        return "" if cols.add_fast(frame) else "builder (other)"
    finally:
        dsmrparse.use_implementation(previous)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", type=int, default=20, help="fresh copies per fixture")
    args = ap.parse_args()
    twins = _impl.available()
    print(
        "| fixture | profile | "
        + " | ".join(f"{t} frames | {t} fresh" for t in twins)
        + " | first refusal (pure twin) |"
    )
    print("|---|---|" + "---|---|" * len(twins) + "---|")
    for path in sorted(FIXTURES.rglob("*.txt")):
        if "encrypted" in path.parts or not path.stat().st_size:
            continue
        frames = frames_of(path.read_bytes())
        schema = schema_of(frames)
        name = str(path.relative_to(FIXTURES))
        if not frames or schema is None:
            print(f"| {name} | - | " + " | ".join("- | -" for _ in twins) + " | no telegram |")
            continue
        try:
            fresh = fresh_telegrams(frames[0], args.fresh, seed=1)
        except ValueError:
            fresh = []
        cells = []
        for twin in twins:
            cells.append(f"{accepted(frames, schema, twin)}/{len(frames)}")
            cells.append(f"{accepted(fresh, schema, twin)}/{len(fresh)}")
        why = next((r for r in (reason(f, schema) for f in frames + fresh) if r), "")
        print(f"| {name} | {schema} | " + " | ".join(cells) + f" | {why} |")


if __name__ == "__main__":
    profiles.get("dsmr5")  # (the profile table loads before the timing-free loop)
    main()
