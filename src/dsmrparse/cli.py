"""The ``dsmrparse`` command: parse captures, detect and list meter families, simulate a meter,
measure speed. Data goes to stdout (or ``-o``), messages and the summary to stderr.

Exit codes (see ``docs/cli.md``): 0 all good; 1 done, but the data had problems (damaged
telegrams, bad CRCs, values that did not convert, no telegram in a non-empty input); 2 usage
error; 3 an input could not be read or an output could not be written; 4 an optional package is
missing; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); 141 the reader of stdout went away.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from . import __version__, _cli_dask, _impl, _jsonl, profiles
from ._cli_keys import add_key_options, keys_of
from ._cli_output import OutputError, Target, check_outputs
from .errors import DsmrError, ProfileError, SourceError
from .profiles.generated import RULE as GENERATED_RULE
from .telegram import Telegram

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INPUT, EXIT_MISSING, EXIT_INTERRUPT, EXIT_PIPE = (
    0, 1, 2, 3, 4, 130, 141
)  # fmt: skip
T = TypeVar("T")
EXIT_TERMINATED = 143  # SIGTERM, handled like Ctrl-C
EXAMPLE = Path(__file__).parent / "examples" / "dsmr5_sample.txt.gz"
FORMATS = ("jsonl", "csv", "parquet", "table")
SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

DESCRIPTION = """\
Read smart-meter P1 telegrams (DSMR 2.2 to 5, Belgian e-MUCS and other DSMR-style meters).

Try it without a meter:
  dsmrparse parse --example                   the shipped sample capture, as JSON lines
  dsmrparse simulate --count 5 | dsmrparse parse -
  dsmrparse parse capture.txt.gz -o data.csv  a whole capture as a table

Exit codes: 0 ok, 1 the data had problems or no telegram was found (see the summary),
2 usage error, 3 an input could not be read or an output written, 4 an optional package is
missing, 130 interrupted.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code (2) is ours too
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dsmrparse",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "parse",
        help="turn captured telegram files into JSON lines, CSV or Parquet",
        description="Parse captured telegrams (plain, .gz, .xz or .bz2; '-' reads stdin). "
        "Whole telegrams become records; anything else (damaged telegrams, noise) is reported "
        "with its byte offset. A summary goes to stderr at the end.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="capture files; '-' for stdin")
    p.add_argument(
        "--example",
        action="store_true",
        help="parse the sample capture shipped with dsmrparse (simulated DSMR 5, 5 minutes)",
    )
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        help="jsonl (one telegram per line), csv, parquet or table (a short row per telegram, "
        "for people); default: from OUT's extension, else table on a terminal and jsonl into "
        "a pipe or file",
    )
    p.add_argument(
        "-n",
        "--count",
        "--head",
        type=int,
        metavar="N",
        dest="count",
        help="stop after N telegrams",
    )
    p.add_argument(
        "-p",
        "--profile",
        metavar="NAME",
        help="the meter family (see 'dsmrparse profiles'); detected when not given",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="treat a telegram with any problem (bad CRC, bad value) as damaged",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="parse on N processes (same output, same order)",
    )
    p.add_argument(
        "--numbers",
        choices=("decimal", "float"),
        default="decimal",
        help="registers in csv/parquet as exact decimals (default) or floats",
    )
    p.add_argument(
        "--errors", metavar="PATH", help="also write every damaged record as a JSON line to PATH"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")
    add_key_options(p)
    _cli_dask.register(p)  # --recursive, --dask
    p.set_defaults(run=cmd_parse)

    d = sub.add_parser(
        "detect",
        help="say which meter family wrote a capture, and why",
        description="Read the first telegram of each file and name its family.",
    )
    d.add_argument("files", nargs="+", metavar="FILE")
    d.add_argument("--json", action="store_true", help="one JSON object per file")
    add_key_options(d)
    d.set_defaults(run=cmd_detect)

    pr = sub.add_parser(
        "profiles",
        help="list the meter families and their fields",
        description="Without NAME: the families. With NAME: its fields.",
    )
    pr.add_argument("name", nargs="?", metavar="NAME")
    pr.add_argument("--json", action="store_true", help="as JSON")
    pr.set_defaults(run=cmd_profiles)

    s = sub.add_parser(
        "simulate",
        help="write realistic telegrams of a simulated meter",
        description="Write telegrams of a simulated household meter with valid CRCs: to stdout, "
        "a file, a pseudo-terminal (/dev/pts/N) or a TCP port (socket://127.0.0.1:PORT; port 0 "
        "picks a free one and prints it on stderr).",
    )
    s.add_argument(
        "-p", "--profile", default="dsmr5", metavar="NAME", help="meter family (default dsmr5)"
    )
    s.add_argument(
        "-n", "--count", type=int, default=60, help="how many telegrams (default 60; 0 = forever)"
    )
    s.add_argument(
        "--interval",
        type=float,
        default=0.0,
        metavar="S",
        help="wait S seconds between telegrams (default: as fast as possible)",
    )
    s.add_argument(
        "--step",
        type=float,
        metavar="S",
        help="simulated seconds between telegrams (default: --interval, else the "
        "meter's own: 1 s DSMR 5, 10 s older)",
    )
    s.add_argument("--seed", type=int, help="random seed, for the same telegrams every run")
    s.add_argument(
        "--start",
        metavar="ISO",
        help="simulated time of the first telegram, e.g. 2024-10-27T02:30:00+02:00 (default: now)",
    )
    s.add_argument(
        "--failures-per-day",
        type=float,
        default=1.0,
        metavar="F",
        help="average power failures per simulated day (default 1)",
    )
    s.add_argument("--lf", action="store_true", help="LF line ends, like a capture that lost CR")
    s.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="PATH",
        help="file, pseudo-terminal or socket://127.0.0.1:PORT (default stdout)",
    )
    s.set_defaults(run=cmd_simulate)

    b = sub.add_parser(
        "bench",
        help="measure parsing speed per family and stage, compiled vs pure Python",
        description="Telegrams/s and MB/s per family and per stage (frame scan, CRC, tokenize, "
        "typed values, parse, JSON, columns) on the telegrams of FILEs, or on simulated "
        "telegrams of every family; both twins in the same run, with their ratio.",
    )
    b.add_argument("files", nargs="*", metavar="FILE", help="captures to measure on")
    b.add_argument("--profile", help="only this family (and parse FILEs as it)")
    b.add_argument(
        "-n", "--count", type=int, default=300, help="simulated telegrams per family (default 300)"
    )
    b.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    b.add_argument(
        "--stage",
        action="append",
        help="only these stages (repeatable): scan, crc, tokenize, typed, parse, json, columns",
    )
    b.add_argument(
        "--fresh",
        nargs="?",
        const=2000,
        type=int,
        metavar="N",
        help="add per family N distinct telegrams with every value new (default 2000, beyond "
        "every cache) and one telegram N times (steady)",
    )
    b.set_defaults(run=cmd_bench)

    try:  # the live-source command lives in its own module
        from . import _cli_read
    except ImportError:
        pass
    else:
        _cli_read.register(sub)
    from .serve import command as serve_command  # imports nothing heavy until it runs

    serve_command.register(sub)
    return parser


def _version() -> str:
    twin = _impl.name()
    how = "compiled" if twin == "cython" else "pure Python"
    return f"dsmrparse {__version__} ({twin} twin: {how}; Python {sys.version.split()[0]})"


class Terminated(KeyboardInterrupt):
    """SIGTERM: stops the command as Ctrl-C does (outputs removed, a message), exit 143."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # (a full disk shows here, not in the interpreter's last flush)
        return code
    except Terminated:
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        return EXIT_INTERRUPT
    except BrokenPipeError:
        # the reader went away (| head): stop quietly, as shell tools do
        _silence_stdout()
        return EXIT_PIPE
    except OutputError as exc:
        print(f"dsmrparse: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_INPUT
    except OSError as exc:  # a full disk, a device that refuses: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"dsmrparse: {where}{exc.strerror or exc}", file=sys.stderr)
        _silence_stdout()
        return EXIT_INPUT
    except ProfileError as exc:
        print(f"dsmrparse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SourceError as exc:
        print(f"dsmrparse: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except _Missing as exc:
        print(f"dsmrparse: {exc}", file=sys.stderr)
        return EXIT_MISSING
    except DsmrError as exc:  # nothing else is expected here; still say it plainly
        print(f"dsmrparse: {exc}", file=sys.stderr)
        return EXIT_DATA
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, dropping what it still buffers, so that the interpreter's last
    flush does not print a second complaint (a closed pipe, a full disk)."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _Missing(Exception):
    """An optional package is needed for what was asked."""


# --------------------------------------------------------------------------------------------
# parse


def _render(records: list[Any]) -> tuple[Any, dict[str, Any]]:
    """JSON lines. Runs where the records were parsed (maybe a worker): output plus the
    summary's counts."""
    from ._jsonform import json_lines
    from .files import Damaged

    counts: Counter[str] = Counter()
    damaged: list[tuple[str | None, int, str, str, str]] = []
    end = 0
    for offset, item in records:
        if isinstance(item, Damaged):
            counts[f"record:{item.kind}"] += 1
            damaged.append((item.source, offset, item.kind, item.error, item.to_json()))
            end = max(end, offset + len(item.raw))
            continue
        counts["telegrams"] += 1
        counts[f"crc:{item.crc}"] += 1
        for problem in item.problems:
            counts[f"problem:{problem.kind}"] += 1
        end = max(end, offset + len(item.raw))
    out = json_lines([item for _, item in records])  # (UTF-8 bytes, written as they are)
    return out, {"counts": counts, "damaged": damaged, "end": end}


def _render_columns(
    numbers: str,
    schema: str,
    profile: str | None,
    strict: bool,
    name: str,
    records: list[Any],
) -> tuple[Any, dict[str, Any]]:
    """Like _render for csv/parquet, from unparsed telegram frames (``map_records(raw=True)``):
    the twin's ColumnBuilder fills the columns, the full parse only where it must."""
    from .columnar import columns_from_records
    from .files import Frame

    out, left = columns_from_records(schema, numbers, profile, strict, name, records)
    counts: Counter[str] = Counter()
    end = 0
    if records:  # (records are in stream order and do not overlap: the last one ends last)
        offset, item = records[-1]
        end = offset + len(item.data if isinstance(item, Frame) else item.raw)
    damaged = [(d.source, off, d.kind, d.error, d.to_json()) for off, d in left]
    counts.update(f"record:{d.kind}" for _, d in left)
    counts["telegrams"] = len(out)
    counts.update({f"crc:{crc}": n for crc, n in Counter(out.columns["crc"].values).items()})
    counts.update({f"problem:{kind}": n for kind, n in out.problem_kinds.items()})
    return out, {"counts": counts, "damaged": damaged, "end": end}


class _Progress:
    """One status line on stderr, only when stderr is a terminal: with a known input size the
    percentage, rate and time left."""

    def __init__(self, enabled: bool, total: int | None = None) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total  # bytes of all inputs on disk, when known (no stdin)
        self.start = time.perf_counter()
        self.last = 0.0
        self.bytes = 0  # of the (decompressed) streams
        self.position = 0  # bytes of the inputs on disk read so far (compressed ones too)
        self.telegrams = 0
        self.errors = 0

    def update(self, done: int, counts: Counter[str]) -> None:
        self.bytes += done
        self.telegrams += counts["telegrams"]
        self.errors += _error_count(counts)
        now = time.perf_counter()
        if not self.enabled or (self.last and now - self.last < 0.2):  # (the first at once)
            return
        self.last = now
        took = max(now - self.start, 1e-9)
        rate = self.bytes / took
        where = f"{self.bytes / 1e6:8.1f} MB"
        if self.total:
            share = min(self.position / self.total, 1.0)
            left = took * (1 - share) / share if share > 0 else 0.0
            where = f"{share:6.1%} of {self.total / 1e6:.1f} MB, {left:4.0f} s left"
        sys.stderr.write(
            f"\r{where}  {self.telegrams:9d} telegrams  {rate / 1e6:6.1f} MB/s  "
            f"{self.errors} errors "
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r" + " " * 79 + "\r")


def _error_count(counts: Counter[str]) -> int:
    return sum(
        n
        for k, n in counts.items()
        if k == "crc:bad"
        or k.startswith("problem:")
        or (k.startswith("record:") and k != "record:fragment")
    )


def _schema_profile(args: argparse.Namespace, sources: list[Any]) -> tuple[str, list[Any]]:
    """The profile whose table gives the csv/parquet columns: named, or the first telegram's."""
    from .files import Replay, iter_telegrams

    if args.profile:
        return profiles.get(args.profile).name, sources
    first = sources[0]
    if first == "-":  # peek at stdin, then give the bytes back
        head = sys.stdin.buffer.read(256 * 1024)
        sources = [io.BufferedReader(Replay(head, sys.stdin.buffer)), *sources[1:]]
        probe: Any = io.BytesIO(head)
    else:
        probe = first
    try:
        for item in iter_telegrams(probe, chunk_size=64 * 1024):
            if isinstance(item, Telegram):
                return item.profile, sources
    except SourceError:
        pass
    return profiles.DEFAULT.name, sources


def _known_size(sources: list[Any]) -> int | None:
    """The bytes on disk of all inputs, None when one is stdin or cannot be looked at."""
    total = 0
    for source in sources:
        if not isinstance(source, str) or source == "-":
            return None
        try:
            total += os.stat(source).st_size
        except OSError:
            return None
    return total


class _Counting(io.RawIOBase):
    """A compressed input file that counts the bytes read from it, for the progress line."""

    def __init__(self, path: str) -> None:
        self.name = path
        self._file = open(path, "rb")  # noqa: SIM115 (closed with this object)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._file.readinto(buffer) or 0
        self.count += n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def _counted(source: Any) -> Any:
    """A compressed file as a counting file object (plain ones are counted by their offsets)."""
    from .files import compression_of

    if not isinstance(source, str) or source == "-":
        return source
    try:
        with open(source, "rb") as handle:
            if compression_of(handle.read(6)) is None:
                return source
        return _Counting(source)
    except OSError:
        return source  # the reader says what is wrong


class _Limit:
    """Keeps the records up to the N-th telegram (``parse --count``); runs in this process."""

    def __init__(self, count: int, render: Any) -> None:
        self.left = count
        self.render = render

    def __call__(self, records: list[Any]) -> Any:
        from .files import Damaged

        kept = []
        for record in records:
            if self.left <= 0:
                break
            kept.append(record)
            if not isinstance(record[1], Damaged):
                self.left -= 1
        return self.render(kept)


def cmd_parse(args: argparse.Namespace) -> int:
    from .files import _name_of, map_records

    sources: list[Any] = list(args.files)
    if args.example:
        sources.insert(0, str(EXAMPLE))
    if not sources:
        print("dsmrparse parse: give capture FILEs, '-' for stdin, or --example", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs < 1:
        print("dsmrparse parse: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.count is not None and args.count < 1:
        print("dsmrparse parse: --count must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        key, auth_key = keys_of(args)
    except ValueError as exc:
        print(f"dsmrparse parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.profile:
        profiles.get(args.profile)  # an unknown name is a usage error, before any output
    if args.dask:
        return _cli_dask.run(args, sources)
    if args.recursive:
        sources = _cli_dask.expand_dirs(sources)
    fmt = args.format or _format_of(args.output)
    if fmt is None:
        print(
            f"dsmrparse parse: cannot tell the format of {args.output}: name it .jsonl, .csv or "
            ".parquet, or give --format",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if fmt == "parquet":
        if not args.output or args.output == "-":
            print("dsmrparse parse: parquet needs -o FILE", file=sys.stderr)
            return EXIT_USAGE
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise _Missing("parquet output needs pyarrow: pip install 'dsmrparse[arrow]'") from None
    # before anything is opened: an output must not be one of the inputs
    check_outputs([("-o", args.output), ("--errors", args.errors)], [str(x) for x in sources])
    schema = ""
    if fmt in ("csv", "parquet"):
        schema, sources = _schema_profile(args, sources)
    progress = _Progress(not args.quiet, _known_size(sources))
    totals: Counter[str] = Counter()
    output = Target(args.output)
    errors_target = Target(args.errors) if args.errors else None
    if errors_target is not None:
        errors_target.open()
    listed = 0
    empty_inputs: list[str] = []
    no_telegram: list[str] = []
    limit = _Limit(args.count, None) if args.count is not None else None
    jobs = 1 if limit is not None else args.jobs  # (the limit counts in this process)
    # JSON lines from unparsed frames where the compiled writer can (not with --count, which
    # counts parsed records)
    frames_jsonl = fmt == "jsonl" and limit is None and _jsonl.enabled()
    # worker processes leave their JSON lines in files here (see _jsonl.Spooled)
    spool = (
        tempfile.TemporaryDirectory(prefix="dsmrparse-spool-")
        if frames_jsonl and jobs > 1
        else None
    )

    def results() -> Generator[Any, None, None]:
        nonlocal listed
        base = 0  # on-disk bytes of the inputs already read
        for source in sources:
            if limit is not None and limit.left <= 0:
                break
            done = 0
            found = 0
            counted = _counted(source) if progress.enabled else source
            render: Any = _render
            if spool is not None:
                render = partial(
                    _jsonl.render_spooled,
                    spool.name,
                    args.profile,
                    args.strict,
                    _name_of(source),
                )
            elif frames_jsonl:
                render = partial(_jsonl.render_frames, args.profile, args.strict, _name_of(source))
            elif fmt == "table":
                from ._cli_table import render_table

                render = render_table
            elif fmt != "jsonl":
                render = partial(
                    _render_columns,
                    args.numbers,
                    schema,
                    args.profile,
                    args.strict,
                    _name_of(source),
                )
            if limit is not None:
                limit.render = render
                render = limit
            for out, info in map_records(
                counted,
                render,
                profile=args.profile,
                strict=args.strict,
                jobs=jobs,
                raw=fmt in ("csv", "parquet") or frames_jsonl,
                key=key,
                auth_key=auth_key,
            ):
                totals.update(info["counts"])
                found += info["counts"]["telegrams"]
                done_before, done = done, max(done, info["end"])
                progress.position = base + (
                    counted.count if isinstance(counted, _Counting) else done
                )
                progress.update(done - done_before, info["counts"])
                for name, offset, kind, error, line in info["damaged"]:
                    if errors_target is not None:
                        errors_target.write(line + "\n")
                    if kind == "cut" or (fmt != "jsonl" and listed < 20 and not args.quiet):
                        print(f"dsmrparse: {name}: byte {offset}: {kind}: {error}", file=sys.stderr)
                        listed += 1
                yield out
                if limit is not None and limit.left <= 0:
                    break
            if isinstance(counted, _Counting):
                counted.close()
            with contextlib.suppress(OSError, TypeError):
                base += os.stat(source).st_size
            if not found:
                (no_telegram if done else empty_inputs).append(_name_of(source))

    try:
        with spool or contextlib.nullcontext():
            written = results()
            try:
                _write(fmt, output, written)
            finally:
                written.close()  # (the workers stop before their spool goes)
        if errors_target is not None:  # (first: when it fails, the output is not kept either)
            errors_target.commit()
        output.commit()
    except BaseException as exc:
        progress.done()
        removed = output.discard()
        if errors_target is not None:
            removed = errors_target.discard() or removed
        quietly = args.quiet or isinstance(exc, BrokenPipeError)  # (| head: as shell tools do)
        if isinstance(exc, (KeyboardInterrupt, OSError, DsmrError, OutputError)) and not quietly:
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped"
            kept = " (the output files were not written)" if removed else ""
            print(
                f"dsmrparse parse: {why} after {progress.bytes / 1e6:.2f} MB, "
                f"{progress.telegrams} telegrams{kept}",
                file=sys.stderr,
            )
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise OutputError(_io_message(exc, output)) from None
        raise
    progress.done()
    took = time.perf_counter() - progress.start
    if not args.quiet:
        _summary(totals, progress.bytes, took)
        for name in no_telegram:
            print(f"dsmrparse parse: {name}: no telegram found", file=sys.stderr)
        for name in empty_inputs:
            print(f"dsmrparse parse: {name}: empty", file=sys.stderr)
        if fmt == "table" and args.output in (None, "-"):
            from ._cli_table import HINT

            print(HINT, file=sys.stderr)
    if totals["record:cut"]:
        return EXIT_INPUT
    return EXIT_DATA if _error_count(totals) or no_telegram else EXIT_OK


def _io_message(exc: OSError, output: Target) -> str:
    name = exc.filename or output.name
    if output.temp is not None and name == output.temp:
        name = output.name
    return f"cannot write {name}: {exc.strerror or exc}"


def _format_of(output: str | None) -> str | None:
    """The format OUT's suffix names (None for one it does not know); for stdout, a table when
    it is a terminal and JSON lines otherwise."""
    if not output or output == "-":
        return "table" if sys.stdout.isatty() else "jsonl"
    suffix = Path(output).suffix.lower()
    if not suffix:
        return "jsonl"
    return SUFFIXES.get(suffix)


def _write(fmt: str, output: Target, results: Iterator[Any]) -> None:
    from . import columnar

    if fmt == "parquet":
        columnar.write_parquet(results, output.writing_path())
        return
    if fmt == "jsonl":
        sink = output.open_binary()
        for data in results:
            if isinstance(data, _jsonl.Spooled):
                _jsonl.copy_spooled(data, sink)
            else:
                _write_all(sink, data)
        sink.flush()
        return
    target = output.open()
    if fmt == "table":
        from ._cli_table import HEADER

        target.write(HEADER + "\n")
    if fmt == "csv":
        columnar.write_csv(results, target)
    else:
        for text in results:
            target.write(text)
    target.flush()


def _write_all(sink: Any, data: bytes) -> None:
    """All of data: a buffered write that got only part of a large block into a pipe whose reader
    went away (| head) returns the count instead of raising; writing the rest raises."""
    n = sink.write(data)
    while (
        isinstance(sink, (io.BufferedIOBase, io.RawIOBase)) and n is not None and 0 < n < len(data)
    ):
        data = data[n:]
        n = sink.write(data)


def _summary(totals: Counter[str], size: int, took: float) -> None:
    crc = ", ".join(f"{k[4:]} {n}" for k, n in sorted(totals.items()) if k.startswith("crc:"))
    lines = [f"{totals['telegrams']} telegrams (CRC {crc or 'none'})"]
    records = {k[7:]: n for k, n in totals.items() if k.startswith("record:")}
    if records:
        lines.append("not telegrams: " + ", ".join(f"{k} {n}" for k, n in sorted(records.items())))
    problems = {k[8:]: n for k, n in totals.items() if k.startswith("problem:")}
    if problems:
        lines.append("problems: " + ", ".join(f"{k} {n}" for k, n in sorted(problems.items())))
    rate = size / 1e6 / took if took > 0 else 0.0
    lines.append(f"{size / 1e6:.2f} MB in {took:.2f} s, {rate:.1f} MB/s ({_impl.name()} twin)")
    print("dsmrparse: " + "; ".join(lines), file=sys.stderr)


# --------------------------------------------------------------------------------------------
# detect, profiles


def cmd_detect(args: argparse.Namespace) -> int:
    from .files import iter_telegrams

    try:
        key, auth_key = keys_of(args)
    except ValueError as exc:
        print(f"dsmrparse detect: {exc}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for name in args.files:
        found: Telegram | None = None
        seen: list[str] = []
        for item in iter_telegrams(name, chunk_size=64 * 1024, key=key, auth_key=auth_key):
            if isinstance(item, Telegram):
                found = item
                break
            seen.append(item.kind)
            if len(seen) >= 1000:
                break  # a first telegram is not this far in
        if found is None:
            if not seen:
                print(f"dsmrparse detect: {name}: empty, nothing to detect", file=sys.stderr)
                continue
            why = "no telegram found"
            if "encrypted" in seen:
                why = (
                    "encrypted DLMS frames: give the meter's key with --key (or $DSMRPARSE_KEY)"
                    if key is None
                    else "encrypted DLMS frames that this key does not open"
                )
            elif "cut" in seen:
                why = "no telegram before the compressed data was cut off"
            print(f"dsmrparse detect: {name}: {why}", file=sys.stderr)
            status = EXIT_DATA
            continue
        profile = profiles.get(found.profile)
        if args.json:
            print(
                json.dumps(
                    {
                        "file": name,
                        "profile": profile.name,
                        "title": profile.title,
                        "reason": found.profile_reason,
                        "header": found.header.text,
                        "crc": found.crc,
                    }
                )
            )
        else:
            print(
                f"{name}: {profile.name} ({profile.title}): {found.profile_reason}; "
                f"header /{_printable(found.header.text)}, CRC {found.crc}"
            )
    return status


def _printable(text: str) -> str:
    """Control bytes as escapes (the Iskra IE.5 header holds 0x02), for a terminal."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def cmd_profiles(args: argparse.Namespace) -> int:
    if args.name is None:
        items = profiles.all_profiles()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "name": p.name,
                            "title": p.title,
                            "country": p.country,
                            "fields": len(p.fields),
                            "generated_names": GENERATED_RULE["pattern"],
                        }
                        for p in items
                    ]
                )
            )
            return EXIT_OK
        width = max(len(p.name) for p in items)
        for p in items:
            print(
                f"{p.name:<{width}}  {p.country or '--':<2}  {len(p.fields):3d} fields  {p.title}"
            )
        print("\n'dsmrparse profiles NAME' lists a family's fields.", file=sys.stderr)
        return EXIT_OK
    profile = profiles.get(args.name)
    rows = profile.describe()
    if args.json:
        print(
            json.dumps(
                {
                    "name": profile.name,
                    "title": profile.title,
                    "timezone": profile.timezone,
                    "fields": rows,
                    "generated_names": GENERATED_RULE,
                }
            )
        )
        return EXIT_OK
    print(
        f"{profile.name}: {profile.title} (time zone {profile.timezone}, "
        f"CRC {'required' if profile.crc_required else 'optional'})"
    )
    w_obis = max(len(r["obis"]) for r in rows)
    w_name = max(len(r["name"]) for r in rows)
    for r in rows:
        unit = r["unit"] or ""
        print(
            f"  {r['obis']:<{w_obis}}  {r['name']:<{w_name}}  {r['kind']:<11} {unit:<5} "
            f"{r['description']}"
        )
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# simulate, bench


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import Simulator, run

    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            print(
                f"dsmrparse simulate: --start {args.start!r} is not an ISO 8601 time",
                file=sys.stderr,
            )
            return EXIT_USAGE
    if args.count < 0:
        print(
            "dsmrparse simulate: --count must be 0 (forever) or more, not " + str(args.count),
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.interval < 0 or (args.step is not None and args.step <= 0):
        print("dsmrparse simulate: --interval must be >= 0 and --step > 0", file=sys.stderr)
        return EXIT_USAGE
    step = args.step if args.step is not None else (args.interval or None)
    simulator = Simulator(
        args.profile,
        seed=args.seed,
        start=start,
        step=step,
        failures_per_day=args.failures_per_day,
        line_ending="\n" if args.lf else "\r\n",
    )
    # progress on a terminal's stderr, unless the telegrams themselves go to that terminal
    to_terminal = args.output == "-" and sys.stdout.isatty()
    ticker = _Ticker("telegrams", args.count or None, enabled=not to_terminal)
    try:
        run(cast(Simulator, ticker.wrap(simulator)), args.output, args.count or None, args.interval)
        ticker.done()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        where = "stdout" if args.output == "-" else args.output
        print(f"dsmrparse simulate: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from . import _bench

    stages = args.stage or list(_bench.STAGES)
    unknown = [s for s in stages if s not in _bench.STAGES]
    if unknown:
        known = ", ".join(_bench.STAGES)
        print(f"dsmrparse: unknown stage {', '.join(unknown)}; known: {known}", file=sys.stderr)
        return EXIT_USAGE
    if args.count < 1 or args.repeat < 1 or (args.fresh is not None and args.fresh < 1):
        print("dsmrparse bench: --count, --repeat and --fresh must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.files:
        families = _bench.from_files(args.files, args.profile)
        if not families:
            print(f"dsmrparse bench: no telegram found in {', '.join(args.files)}", file=sys.stderr)
            return EXIT_DATA
    else:
        names = [args.profile] if args.profile else [p.name for p in profiles.all_profiles()]
        families = _bench.simulated([profiles.get(n).name for n in names], args.count)
    if args.fresh is not None:
        families = _bench.with_fresh(
            families, args.fresh, lambda text: print(f"dsmrparse bench: {text}", file=sys.stderr)
        )
    ticker = _Ticker("measurements", len(families) * len(stages))
    rows = _bench.measure(families, stages, args.repeat, progress=ticker.tick)
    ticker.done()
    print(_bench.report(rows))
    return EXIT_OK


class _Ticker:
    """Progress of a long run on stderr (a terminal only): done/total, rate, time left."""

    def __init__(self, what: str, total: int | None, enabled: bool = True) -> None:
        self.what = what
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self.count = 0
        self.start = time.perf_counter()
        self.last = 0.0

    def tick(self, step: int = 1) -> None:
        self.count += step
        now = time.perf_counter()
        if not self.enabled or (self.last and now - self.last < 0.2):  # (the first at once)
            return
        self.last = now
        rate = self.count / max(now - self.start, 1e-9)
        text = f"{self.count} {self.what}, {rate:.0f}/s"
        if self.total:
            left = (self.total - self.count) / rate if rate > 0 else 0.0
            text = (
                f"{self.count}/{self.total} {self.what} ({self.count / self.total:.0%}), "
                f"{left:.0f} s left"
            )
        sys.stderr.write(f"\r{text:<72}")
        sys.stderr.flush()

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.tick()

    def done(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r" + " " * 72 + "\r")
            sys.stderr.flush()
