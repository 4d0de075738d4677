"""The README's performance table, measured in one run: ``python benchmarks/headline.py``.

Per family, µs per telegram on three workloads (see ``_workloads.py``): *fresh* (2,000 distinct
telegrams, every value new), the *real stream* (566 telegrams of a DSMR 5 meter, in order) and
*steady* (one telegram again and again), for the compiled twin, the pure twin and dsmr_parser
1.11.2. The parsers take turns within each round (and the order turns round by round), so a busy
moment of the machine falls on all of them alike; a cell is the median of the rounds and a ratio
is taken between the cells of this one run.

Beside them, the bulk rates the issue sets goals for (captures of the same fresh telegrams to
columns, ``dsmrparse parse`` to JSON lines and to Parquet, compiled twin) and the import time.

``--callgrind`` adds instruction counts per telegram (compiled twin and dsmr_parser, fresh
telegrams and the stream) from one valgrind run: they move by about 1% between runs where the
times move by up to 1.5x. The output is markdown, ready to paste.

Run from the repository root, with the compiled twin built in src/ (``PYTHONPATH=src`` or an
install). Takes 3-6 minutes, plus about 5 with ``--callgrind``. ``--update README.md`` also
puts the tables between the ``<!-- BEGIN headline -->`` and ``<!-- END headline -->`` lines.
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
from functools import partial
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
# bulk: captures of the fresh telegrams to columns, JSON lines and Parquet (compiled twin)

BULK_REPEAT = 3


def bulk(
    families: Sequence[str], rounds: int, count: int, log: Callable[[str], None]
) -> dict[tuple[str, str], float]:
    """{(family, path): median MB/s of capture}; JSON lines and Parquet for dsmr5 only."""
    import contextlib
    import io

    from dsmrparse import columnar
    from dsmrparse.cli import main as cli

    if "cython" in dsmrparse._impl.available():
        dsmrparse.use_implementation("cython")
    samples: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="dsmrparse-headline-") as tmp:
        captures = {}
        for f in families:
            captures[f] = Path(tmp) / f"{f}.txt"
            # the fresh list three times over (5 MB for dsmr5): a command's set-up weighs little
            captures[f].write_bytes(b"".join(W.fresh(f, count)) * BULK_REPEAT)

        def columns(f: str, numbers: str) -> None:
            schema = W.FAMILIES[f].profile
            for _ in columnar.iter_columns(captures[f], schema, numbers=numbers):
                pass

        def command(f: str, suffix: str) -> None:
            with contextlib.redirect_stderr(io.StringIO()):
                code = cli(["parse", str(captures[f]), "-q", "-o", str(Path(tmp) / f"out{suffix}")])
            if code != 0:
                raise RuntimeError(f"dsmrparse parse {captures[f]} -o out{suffix}: exit {code}")

        jobs: list[tuple[str, str, Callable[[], None]]] = []
        for f in families:
            for numbers in ("decimal", "float"):
                jobs.append((f, f"columns {numbers}", partial(columns, f, numbers)))
        if "dsmr5" in families:
            jobs.append(("dsmr5", "json lines", partial(command, "dsmr5", ".jsonl")))
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                log("pyarrow is not installed: no Parquet row")
            else:
                jobs.append(("dsmr5", "parquet", partial(command, "dsmr5", ".parquet")))
        for f in families:  # how many of the fresh telegrams the columnar fast path takes
            probe = columnar.Columns(W.FAMILIES[f].profile)
            sample = W.fresh(f, count)[:200]
            taken = sum(probe.add_fast(t) for t in sample)
            samples[f, "fast path"] = [100.0 * taken / len(sample)]
        for _, _, job in jobs:
            job()  # lazy imports, first files: not timed
        for r in range(min(rounds, 3)):
            began = time.perf_counter()
            for f, path, job in jobs:
                gc.collect()
                t0 = time.perf_counter()
                job()
                rate = captures[f].stat().st_size / 1e6 / (time.perf_counter() - t0)
                samples.setdefault((f, path), []).append(rate)
            log(f"bulk round {r + 1}/{min(rounds, 3)}: {time.perf_counter() - began:.1f} s")
    return {key: statistics.median(values) for key, values in samples.items()}


# Reasons measured outside this script (callgrind of the whole command, per telegram)
JSON_REASON = (
    "a timed rate, which moves with the load; callgrind, marginal instructions per telegram of "
    "the whole `parse -o x.jsonl` (two capture sizes): 40k for DSMR 5 since the compiled writer "
    "goes from the frame's bytes to its line (154k before), 61k DSMR 4, 80k Belgium, 149k "
    "Hungary, whose COMPLEX lines, new in every fresh telegram, still go through the converter"
)
PARQUET_REASON = (
    "a timed ratio, which moves with the load; callgrind, marginal instructions per telegram "
    "(`parse -o x.parquet` and `iter_columns` on 6 and 12 MB of a simulated DSMR 5 capture): "
    "70k against 50.5k, 1.38x (96k against 53k, 1.81x, before the Arrow conversion went to "
    "buffers)"
)


def _complex_names(family: str) -> list[str]:
    """The COMPLEX objects (converted by a converter, kept as a JSON cell) of the family's
    telegram, by name, once each."""
    from dsmrparse import _kinds as K
    from dsmrparse.profiles import get

    kinds = {row.name: row.kind for row in get(W.FAMILIES[family].profile).fields}
    names = [e.name for e in dsmrparse.parse(W.telegram(family)).entries]
    return list(dict.fromkeys(n for n in names if n and kinds.get(n) == K.COMPLEX))


def import_ms(runs: int = 15) -> tuple[float, float]:
    """Medians of ``python -c pass`` and ``python -c "import dsmrparse"`` in a bare venv, in ms."""
    import import_time

    python, env = import_time._python(True), import_time._env()
    import_time._run(python, "import dsmrparse", env)  # byte code
    bare, full = [], []
    for _ in range(runs):
        bare.append(import_time._run(python, "pass", env))
        full.append(import_time._run(python, "import dsmrparse", env))
    return statistics.median(bare) * 1e3, statistics.median(full) * 1e3


# --------------------------------------------------------------------------------------------
# callgrind: instructions per telegram, one valgrind run, phases split at a marker call

_MARKER = "os_getppid"  # a C function of libpython that nothing else calls while we measure
CG_WARM = {"cython": 600, "dsmr_parser": 3}  # fills (and overflows) the 512-entry memo first
CG_COUNT = {"cython": 200, "dsmr_parser": 20}


def _cg_slice(workload: str, parser: str) -> tuple[int, int]:
    """(telegrams parsed first, telegrams counted): the stream has only 566 telegrams."""
    if workload == "stream" and parser == "cython":
        return 200, 300
    return CG_WARM[parser], CG_COUNT[parser]


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
            result[f, w, parser] = counts[i + 1] / _cg_slice(w, parser)[1]
            i += 2
    return result


def import_instructions() -> tuple[int, int]:
    """callgrind instructions of ``python -c pass`` and ``python -c "import dsmrparse"`` (bare
    venv, byte code written first), which the machine's load does not move."""
    import import_time

    python, env = import_time._python(True), import_time._env()
    import_time._run(python, "import dsmrparse", env)  # byte code
    counts = []
    with tempfile.TemporaryDirectory(prefix="dsmrparse-callgrind-") as tmp:
        for code in ("pass", "import dsmrparse"):
            out = Path(tmp) / "import.out"
            cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
            subprocess.run([*cmd, python, "-c", code], env=env, check=True, capture_output=True)
            counts.append(_instructions(out))
    return counts[0], counts[1]


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
            warm, n = _cg_slice(w, parser)
            todo = items if parser == "cython" else [t.decode("latin-1") for t in items]
            _failures(parse, todo[:warm])
            gc.collect()
            mark()
            _failures(parse, todo[warm : warm + n])
            mark()


# --------------------------------------------------------------------------------------------
# the reason behind a ratio: how much of a fresh parse is Python value code (cProfile)

_PARSE_LAYER = ("interpret.py", "__init__.py", "telegram.py")  # parse(), build(), Telegram


def python_share(family: str, count: int) -> tuple[float, list[str]]:
    """(share of a fresh parse in Python code called from the compiled twin, its biggest parts).

    The compiled twin's own time counts as its caller's (``build``); what remains outside the
    parse layer is the value code it calls back: converters, timestamps, ``datetime`` methods.
    cProfile inflates Python calls, so the share is an upper bound.
    """
    import cProfile
    import pstats

    dsmrparse.use_implementation("cython")
    items = W.fresh(family, count)
    warm = min(600, len(items) // 3)
    for t in items[:warm]:
        dsmrparse.parse(t)
    profile = cProfile.Profile()
    profile.enable()
    for t in items[warm : warm + 1000]:
        dsmrparse.parse(t)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values())
    parts: dict[str, float] = {}
    for (path, _, name), row in stats.items():
        where = Path(path).name
        if where in _PARSE_LAYER or "disable" in name:
            continue
        if where.endswith(".py"):
            label = f"{where.removesuffix('.py')}.{name}"
        else:  # "<method 'replace' of 'datetime.datetime' objects>" -> "datetime.datetime.replace"
            words = name.strip("<>").replace("'", "").split()
            label = f"{words[3]}.{words[1]}" if words[:1] == ["method"] else words[-1]
        parts[label] = parts.get(label, 0.0) + row[2]
    top = sorted(parts, key=lambda k: -parts[k])[:2]
    return sum(parts.values()) / total, top


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


def _objects(family: str, count: int) -> str:
    ours = len(dsmrparse.parse(W.telegram(family)).entries)
    theirs = W.peer_objects(family, W.telegram(family).decode("latin-1"))
    text = f"{ours} / {theirs if theirs is not None else 'fails'}"
    peer = W.peer(family)
    if peer is not None:  # does dsmr_parser read every fresh telegram it was timed on?
        items = [t.decode("latin-1") for t in W.fresh(family, count)[:PEER_FRESH]]
        failed = _failures(peer, items)
        if failed:
            text += f"; dsmr_parser fails on {failed} of {len(items)} fresh"
    return text


def markdown(
    families: Sequence[str],
    times: dict[tuple[str, str, str], float],
    rates: dict[tuple[str, str], float] | None,
    start: tuple[tuple[float, float] | None, tuple[int, int] | None],
    shares: dict[str, tuple[float, list[str]]],
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
        label = f"{f} ({len(W.telegram(f))} B; {_objects(f, count)})"
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

    def why(f: str, reached: bool) -> str:
        if reached or f not in shares:
            return ""
        share, top = shares[f]
        if share < 0.25:
            return (
                f"Python value code is only {share:.0%} of a fresh parse: the rest is the "
                "compiled parse and the new objects of the result (a Decimal, an Entry per line)"
            )
        return f"Python value code is {share:.0%} of a fresh parse ({', '.join(top)})"

    lines += ["", "| goal (on fresh telegrams) | family | measured | reached | measured reason |"]
    lines.append("|---|---|---|---|---|")
    for f in families:
        c, d = times.get((f, "fresh", "cython")), times.get((f, "fresh", "dsmr_parser"))
        if c is not None and d is not None:
            ok = d / c >= 100
            lines.append(
                f"| 100x dsmr_parser | {f} | {_ratio(d, c)} | {'yes' if ok else 'no'} "
                f"| {why(f, ok)} |"
            )
    c5 = times.get(("dsmr5", "fresh", "cython"))
    if c5 is not None:
        ok = c5 <= 2 * DSMR5_FLOOR_US
        steady = times.get(("dsmr5", "steady", "cython"))
        reason = "" if ok else why("dsmr5", ok)
        if not ok and steady is not None:
            reason += f"; steady, with no new objects: {_us(steady)} µs"
        lines.append(
            f"| within 2x of the {DSMR5_FLOOR_US:.0f} µs floor | dsmr5 | {_us(c5)} µs "
            f"({c5 / DSMR5_FLOOR_US:.1f}x) | {'yes' if ok else 'no'} | {reason} |"
        )
    if rates:
        for f in families:
            dec, flo = rates.get((f, "columns decimal")), rates.get((f, "columns float"))
            if dec is not None and flo is not None:
                fast = "yes" if min(dec, flo) >= 100 else ("floats only" if flo >= 100 else "no")
                reason = why(f, fast == "yes")
                taken = rates.get((f, "fast path"))
                if fast != "yes" and taken is not None and taken < 100:
                    reason = (
                        f"the columnar fast path takes {taken:.0f}% of these telegrams; the rest "
                        "go through parse() and Columns.append, in Python"
                    )
                elif fast != "yes" and taken is not None:
                    names = _complex_names(f)
                    reason = (
                        f"the columnar fast path takes every telegram; each one's new "
                        f"{' and '.join(names)} (a COMPLEX object, redrawn in every fresh "
                        "telegram) is still converted to Python objects for the C writer to make "
                        "its JSON cell"
                        if names
                        else "the columnar fast path takes every telegram (C per line); on short "
                        "telegrams the work per telegram around it (scan, records, batches) "
                        "weighs most"
                    )
                lines.append(
                    f"| columns at 100 MB/s a core | {f} | {dec:.0f} MB/s decimals, "
                    f"{flo:.0f} MB/s floats | {fast} | {reason} |"
                )
        js = rates.get(("dsmr5", "json lines"))
        if js is not None:
            lines.append(
                f"| `dsmrparse parse` JSON lines at 50 MB/s | dsmr5 | {js:.0f} MB/s "
                f"| {'yes' if js >= 50 else 'no'} | {'' if js >= 50 else JSON_REASON} |"
            )
        pq, dec = rates.get(("dsmr5", "parquet")), rates.get(("dsmr5", "columns decimal"))
        if pq is not None and dec is not None:
            lines.append(
                f"| `-o x.parquet` within 1.5x of `iter_columns` | dsmr5 | {pq:.0f} against "
                f"{dec:.0f} MB/s ({dec / pq:.1f}x) | {'yes' if dec / pq <= 1.5 else 'no'} "
                f"| {'' if dec / pq <= 1.5 else PARQUET_REASON} |"
            )
    startup, import_counts = start
    if startup is not None:
        bare, full = startup
        counted = ""
        if import_counts is not None:
            plain, loaded = import_counts
            counted = (
                f"; callgrind: {(loaded - plain) / 1e6:.1f}M instructions "
                f"on a bare {plain / 1e6:.1f}M"
            )
        lines.append(
            f"| `import dsmrparse` within 30 ms of a bare start | - | {full - bare:.1f} ms "
            f"({full:.0f} against {bare:.0f} ms, medians of 15, venv without packages{counted}) "
            f"| {'yes' if full - bare <= 30 else 'no'} | |"
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
    ap.add_argument("--no-bulk", action="store_true", help="only the parse table")
    ap.add_argument("--update", metavar="FILE", action="append", help="rewrite FILE's table")
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
    rates = None if args.no_bulk else bulk(families, args.rounds, args.count, log)
    startup = None if args.no_bulk else import_ms()
    shares = {f: python_share(f, args.count) for f in families}
    instructions, import_counts = None, None
    if args.callgrind:
        import shutil

        if shutil.which("valgrind") is None:
            log("valgrind is not installed (apt-get install valgrind): no instruction counts")
        else:
            instructions = callgrind(families, args.count, log)
            import_counts = None if args.no_bulk else import_instructions()
    text = markdown(
        families,
        times,
        rates,
        (startup, import_counts),
        shares,
        instructions,
        args.rounds,
        args.count,
    )
    print(text)
    for path in args.update or []:
        update(Path(path), text)
        log(f"updated {path}")
    return 0


BEGIN, END = "<!-- BEGIN headline -->", "<!-- END headline -->"


def update(path: Path, text: str) -> None:
    """Replace what stands between the BEGIN and END lines of ``path`` with ``text``."""
    page = path.read_text(encoding="utf-8")
    head, sep, rest = page.partition(BEGIN + "\n")
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} lines to put the table between")
    path.write_text(head + sep + text + "\n" + sep2 + tail, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
