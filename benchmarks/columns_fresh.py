"""Fresh telegrams to columns, per family: MB/s of input through ``iter_columns`` (a capture file
of ``FRESH_COUNT`` distinct telegrams, the family's columns, one process; best of three passes
after one untimed pass that pays the one-time costs) and the share of telegrams that took the
fast path (``Columns.add_fast``); and MB/s of ``Columns.add_frame`` in a loop over the frames
already cut (fast path, else the full parse).

Two source trees (e.g. main and a branch) are measured in one run, rounds interleaved, each
round in a fresh process per tree; the best round counts:

    python benchmarks/columns_fresh.py --tree /path/to/main/src --tree src [--rounds 3]

``--callgrind FAMILY`` instead prints instructions per telegram of ``Columns.add_frame`` (fast
path, else the full parse) for each tree: two valgrind runs of 200 and 1,200 telegrams, whose
difference leaves out start-up and set-up.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child_rate(families: list[str], folder: str) -> None:
    """(in a child, on the tree in PYTHONPATH) {family: [MB/s, fast share]} as JSON."""
    import dsmrparse
    from dsmrparse import columnar

    out = {}
    for family in families:
        path = Path(folder) / f"{family}.txt"
        data = path.read_bytes()
        frames = _frames(data)
        profile = _profile_of(frames[0])
        took = float("inf")
        for _ in range(4):  # the first pass pays one-time costs (zone tables, specs): not timed
            start = time.perf_counter()
            rows = 0
            for batch in columnar.iter_columns(path, profile):  # (the family's columns)
                rows += len(batch)
            took = min(took, time.perf_counter() - start) if _ else 1e9
        cols = columnar.Columns(profile)
        fast = sum(cols.add_fast(f) for f in frames)
        loop = float("inf")
        for _ in range(3):  # Columns.add_frame (the fast path, else the full parse) on frames
            cols = columnar.Columns(profile)  # already cut
            start = time.perf_counter()
            for frame in frames:
                cols.add_frame(frame, dsmrparse.parse)
            loop = min(loop, time.perf_counter() - start)
        out[family] = [len(data) / took / 1e6, fast / len(frames), len(data) / loop / 1e6]
    print(json.dumps(out))


def _frames(data: bytes) -> list[bytes]:
    from dsmrparse import _purepy

    scanner = _purepy.FrameScanner()
    return [f.data for f in scanner.feed(data) + scanner.flush() if f.kind == "telegram"]


def _profile_of(frame: bytes) -> str:
    import dsmrparse

    return str(dsmrparse.parse(frame).profile)


def _child_callgrind(family: str, folder: str, count: int) -> None:
    import dsmrparse
    from dsmrparse import columnar

    # every frame is loaded whatever the count, so the difference of two runs is the loop's
    frames = pickle.loads((Path(folder) / f"{family}.pickle").read_bytes())[:count]
    profile = _profile_of(frames[0])
    cols = columnar.Columns(profile)
    for frame in frames:
        cols.add_frame(frame, dsmrparse.parse)


def _write_captures(families: list[str], folder: str) -> None:
    sys.path.insert(0, str(HERE))
    from _workloads import fresh

    for family in families:
        (Path(folder) / f"{family}.txt").write_bytes(b"".join(fresh(family)))
        (Path(folder) / f"{family}.pickle").write_bytes(pickle.dumps(fresh(family)))


def _run(tree: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=tree)
    cmd = [sys.executable, __file__, *args]
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout


def _instructions(tree: str, family: str, folder: str, count: int) -> int:
    with tempfile.TemporaryDirectory(prefix="dsmrparse-cg-") as tmp:
        out = Path(tmp) / "cg.out"
        env = dict(os.environ, PYTHONPATH=tree)
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
               __file__, "--child-callgrind", family, folder, str(count)]  # fmt: skip
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        for line in out.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("no callgrind total")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", help="a src folder (repeat: measured side by side)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--family", action="append", help="default: every family of _workloads")
    ap.add_argument("--callgrind", help="instructions per telegram for this family instead")
    ap.add_argument("--child-rate", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-callgrind", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_rate:
        _child_rate(args.child_rate[0].split(","), args.child_rate[1])
        return
    if args.child_callgrind:
        family, folder, count = args.child_callgrind
        _child_callgrind(family, folder, int(count))
        return
    sys.path.insert(0, str(HERE))
    from _workloads import FAMILIES

    trees = args.tree or [str(HERE.parent / "src")]
    families = args.family or list(FAMILIES)
    with tempfile.TemporaryDirectory(prefix="dsmrparse-columns-") as folder:
        _write_captures([args.callgrind] if args.callgrind else families, folder)
        if args.callgrind:
            for tree in trees:
                low = _instructions(tree, args.callgrind, folder, 200)
                high = _instructions(tree, args.callgrind, folder, 1200)
                print(
                    f"{tree}: {args.callgrind}: {(high - low) / 1000:,.0f} instructions a telegram"
                )
            return
        best: dict[str, dict[str, list[float]]] = {tree: {} for tree in trees}
        for _ in range(args.rounds):
            for tree in trees:
                got = json.loads(_run(tree, "--child-rate", ",".join(families), folder))
                for family, (rate, share, loop) in got.items():
                    old = best[tree].get(family)
                    if old is None or rate > old[0]:
                        best[tree][family] = [rate, share, old[2] if old else 0.0]
                    best[tree][family][2] = max(best[tree][family][2], loop)
    head = " | ".join(f"{t}: iter_columns MB/s (fast share), add_frame loop MB/s" for t in trees)
    two = len(trees) == 2
    print(f"| family | {head} |" + (" ratio iter_columns | ratio add_frame |" if two else ""))
    print("|---|" + "---|" * len(trees) + ("---|---|" if two else ""))
    for family in families:
        cells = [
            f"{best[t][family][0]:.1f} ({best[t][family][1]:.0%}), {best[t][family][2]:.1f}"
            for t in trees
        ]
        ratio = ""
        if two:
            old, new = best[trees[0]][family], best[trees[1]][family]
            ratio = f" {new[0] / old[0]:.2f}x | {new[2] / old[2]:.2f}x |"
        print(f"| {family} | " + " | ".join(cells) + " |" + ratio)


if __name__ == "__main__":
    main()
