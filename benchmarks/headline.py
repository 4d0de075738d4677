"""The README's performance table, measured in one run: ``python benchmarks/headline.py``.

Per family, µs per telegram on three workloads (see ``_workloads.py``): *fresh* (2,000 distinct
telegrams, every value new), the *real stream* (566 telegrams of a DSMR 5 meter, in order) and
*steady* (one telegram again and again), for the compiled twin, the pure twin and dsmr_parser
1.11.2. The parsers take turns within each round (and the order turns round by round), so a busy
moment of the machine falls on all of them alike; a cell is the median of the rounds and a ratio
is taken between the cells of this one run.

``--callgrind`` adds instruction counts per telegram (compiled twin and dsmr_parser, fresh
telegrams and the stream) from one valgrind run: they move by about 1% between runs where the
times move by up to 1.5x. The output is markdown, ready to paste.

Run from the repository root, with the compiled twin built in src/ (``PYTHONPATH=src`` or an
install). Takes 2-4 minutes, plus about 5 with ``--callgrind``.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import dsmrparse
except ImportError:  # a checkout built in place but not installed
    sys.path.insert(0, str(HERE.parent / "src"))
    import dsmrparse

import _workloads as W  # noqa: E402

PARSERS = ("cython", "python", "dsmr_parser")
WORKLOADS = ("fresh", "stream", "steady")
PEER_FRESH = 200  # dsmr_parser keeps no cache: a slice of the fresh list is as fresh
STEADY = 300  # parses of the same telegram per round (dsmr_parser: a third of it)
DSMR5_FLOOR_US = 15.0  # the floor: a C parse plus the Decimals a DSMR 5 result must hold


def _inputs(family: str, workload: str, parser: str, count: int) -> Sequence[Any]:
    if workload == "fresh":
        items: Sequence[bytes] = W.fresh(family, count)
        items = items[:PEER_FRESH] if parser == "dsmr_parser" else items
    elif workload == "stream":
        items = W.stream()
    else:
        items = [W.telegram(family)] * (STEADY // 3 if parser == "dsmr_parser" else STEADY)
    return [t.decode("latin-1") for t in items] if parser == "dsmr_parser" else items


def _parse_fn(family: str, parser: str) -> Callable[[Any], Any] | None:
    if parser == "dsmr_parser":
        return W.peer(family)
    return dsmrparse.parse


def _timed(parse: Callable[[Any], Any], items: Sequence[Any]) -> float:
    """Seconds per item of one pass; a failure of the parser is timed like a result."""
    gc.collect()
    began = time.perf_counter()
    for item in items:
        try:
            parse(item)
        except Exception:  # noqa: BLE001,S112 (dsmr_parser's exceptions have no common base)
            continue
    return (time.perf_counter() - began) / len(items)


def _failures(parse: Callable[[Any], Any], items: Sequence[Any]) -> int:
    bad = 0
    for item in items:
        try:
            parse(item)
        except Exception:  # noqa: BLE001
            bad += 1
    return bad


def measure(
    families: Sequence[str], rounds: int, count: int, log: Callable[[str], None]
) -> dict[tuple[str, str, str], float]:
    """{(family, workload, parser): median µs per telegram} over ``rounds`` interleaved rounds."""
    cells: list[tuple[str, str]] = [(f, "fresh") for f in families]
    if "dsmr5" in families:
        cells.append(("dsmr5", "stream"))
    cells += [(f, "steady") for f in families]
    parsers = [p for p in PARSERS if p in dsmrparse._impl.available() or p == "dsmr_parser"]
    if W.peer("dsmr5") is None:
        parsers.remove("dsmr_parser")
    prepared = {
        (f, w, p): (_parse_fn(f, p), _inputs(f, w, p, count)) for f, w in cells for p in parsers
    }
    samples: dict[tuple[str, str, str], list[float]] = {key: [] for key in prepared}
    for (_f, _w, p), (parse, items) in prepared.items():  # lazy imports, zone tables: not timed
        if p != "dsmr_parser":
            dsmrparse.use_implementation(p)
        assert parse is not None
        _failures(parse, items[:20])
    for r in range(rounds):
        began = time.perf_counter()
        order = parsers[r % len(parsers) :] + parsers[: r % len(parsers)]
        for f, w in cells:
            for p in order:
                parse, items = prepared[f, w, p]
                assert parse is not None
                if p != "dsmr_parser":
                    dsmrparse.use_implementation(p)
                samples[f, w, p].append(_timed(parse, items) * 1e6)
        log(f"round {r + 1}/{rounds}: {time.perf_counter() - began:.1f} s")
    dsmrparse.use_implementation("cython" if "cython" in parsers else "python")
    return {key: statistics.median(values) for key, values in samples.items()}


# --------------------------------------------------------------------------------------------
# callgrind: instructions per telegram, one valgrind run, phases split at a marker call

_MARKER = "os_getppid"  # a C function of libpython that nothing else calls while we measure
CG_WARM = {"cython": 600, "dsmr_parser": 3}  # fills (and overflows) the 512-entry memo first
CG_COUNT = {"cython": 200, "dsmr_parser": 20}


def _cg_plan(families: Sequence[str]) -> list[tuple[str, str]]:
    cells = [(f, "fresh") for f in families]
    return cells + [("dsmr5", "stream")] if "dsmr5" in families else cells


def callgrind(
    families: Sequence[str], count: int, log: Callable[[str], None]
) -> dict[tuple[str, str, str], float]:
    """{(family, workload, parser): instructions per telegram} for cython and dsmr_parser."""
    plan = _cg_plan(families)
    data = {(f, w): W.stream() if w == "stream" else W.fresh(f, max(count, 1000)) for f, w in plan}
    with tempfile.TemporaryDirectory(prefix="dsmrparse-callgrind-") as tmp:
        with open(Path(tmp) / "input.pickle", "wb") as fh:
            pickle.dump({"plan": plan, "data": data}, fh)
        out = Path(tmp) / "callgrind.out"
        env = dict(os.environ, PYTHONHASHSEED="0", DSMRPARSE_PURE_PYTHON="0")
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        cmd = [
            "valgrind", "--tool=callgrind", f"--dump-before={_MARKER}",
            f"--callgrind-out-file={out}", sys.executable, "-S", __file__,
            "--callgrind-child", str(Path(tmp) / "input.pickle"),
        ]  # fmt: skip
        log("valgrind: " + " ".join(cmd[:3]) + " ... (some minutes)")
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        counts = [_instructions(p) for p in dumps]
    # dump 1: start-up; then per (cell, parser): warm-up, measured pass
    result = {}
    i = 1
    for f, w in plan:
        for parser in ("cython", "dsmr_parser"):
            result[f, w, parser] = counts[i + 1] / CG_COUNT[parser]
            i += 2
    return result


def _instructions(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise ValueError(f"no instruction total in {path}")


def _callgrind_child(path: str) -> None:
    with open(path, "rb") as fh:
        job = pickle.load(fh)
    mark = os.getppid
    dsmrparse.use_implementation("cython")
    mark()
    for f, w in job["plan"]:
        items = job["data"][f, w]
        for parser in ("cython", "dsmr_parser"):
            parse = dsmrparse.parse if parser == "cython" else W.peer(f)
            assert parse is not None
            warm, n = CG_WARM[parser], CG_COUNT[parser]
            todo = items if parser == "cython" else [t.decode("latin-1") for t in items]
            _failures(parse, todo[:warm])
            gc.collect()
            mark()
            _failures(parse, todo[warm : warm + n])
            mark()


# --------------------------------------------------------------------------------------------
# the markdown


def _us(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "-"
    x = a / b
    return f"{x:.1f}x" if x < 10 else f"{x:.0f}x"


def _objects(family: str) -> str:
    ours = len(dsmrparse.parse(W.telegram(family)).entries)
    theirs = W.peer_objects(family, W.telegram(family).decode("latin-1"))
    return f"{ours} / {theirs if theirs is not None else 'fails'}"


def markdown(
    families: Sequence[str],
    times: dict[tuple[str, str, str], float],
    instructions: dict[tuple[str, str, str], float] | None,
    rounds: int,
    count: int,
) -> str:
    lines = [
        "<!-- measured by `python benchmarks/headline.py`: "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {rounds} rounds, "
        f"fresh = {count} distinct telegrams -->",
        "",
        "| family (bytes; objects: ours / dsmr_parser's) | workload | compiled µs | pure µs "
        "| dsmr_parser µs | dsmr_parser ÷ compiled | dsmr_parser ÷ pure |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in families:
        label = f"{f} ({len(W.telegram(f))} B; {_objects(f)})"
        for w in WORKLOADS:
            if (f, w, "cython") not in times and (f, w, "python") not in times:
                continue
            c, p, d = (times.get((f, w, x)) for x in PARSERS)
            name = {"fresh": "**fresh**", "stream": "real stream", "steady": "steady"}[w]
            if w == "stream":
                name = f"real stream ({len(W.stream())} telegrams, 742 B)"
            lines.append(
                f"| {label} | {name} | {_us(c)} | {_us(p)} | {_us(d)} | {_ratio(d, c)} "
                f"| {_ratio(d, p)} |"
            )
            label = ""
    lines += ["", "| goal (on fresh telegrams) | family | measured | reached |"]
    lines.append("|---|---|---|---|")
    for f in families:
        c, d = times.get((f, "fresh", "cython")), times.get((f, "fresh", "dsmr_parser"))
        if c is not None and d is not None:
            ok = "yes" if d / c >= 100 else "no"
            lines.append(f"| 100x dsmr_parser | {f} | {_ratio(d, c)} | {ok} |")
    c5 = times.get(("dsmr5", "fresh", "cython"))
    if c5 is not None:
        ok = "yes" if c5 <= 2 * DSMR5_FLOOR_US else "no"
        lines.append(
            f"| within 2x of the {DSMR5_FLOOR_US:.0f} µs floor | dsmr5 | {_us(c5)} µs "
            f"({c5 / DSMR5_FLOOR_US:.1f}x) | {ok} |"
        )
    if instructions:
        lines += [
            "",
            "| callgrind, instructions per telegram | compiled | dsmr_parser | ratio |",
            "|---|---|---|---|",
        ]
        for f, w in _cg_plan(families):
            c, d = instructions[f, w, "cython"], instructions[f, w, "dsmr_parser"]
            lines.append(f"| {f} {w} | {c / 1e3:.1f}k | {d / 1e6:.2f}M | {_ratio(d, c)} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--count", type=int, default=W.FRESH_COUNT, help="fresh telegrams a family")
    ap.add_argument("--family", action="append", choices=list(W.FAMILIES), help="only these")
    ap.add_argument("--callgrind", action="store_true", help="add instruction counts (valgrind)")
    ap.add_argument("--callgrind-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.callgrind_child:
        _callgrind_child(args.callgrind_child)
        return 0
    families = args.family or list(W.FAMILIES)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    log(f"making {args.count} fresh telegrams for {len(families)} families ...")
    for f in families:
        W.fresh(f, args.count)
    times = measure(families, args.rounds, args.count, log)
    instructions = callgrind(families, args.count, log) if args.callgrind else None
    print(markdown(families, times, instructions, args.rounds, args.count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
