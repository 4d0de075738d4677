"""``dsmrparse parse --recursive`` (folders of captures) and ``--dask ADDRESS`` (the conversion
on a Dask cluster, ``dsmrparse.dask``). Kept apart from cli.py; nothing here imports Dask
until ``--dask`` is given."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from typing import Any


def register(parser: argparse.ArgumentParser) -> None:
    """The two options, on the ``parse`` subcommand."""
    parser.add_argument(
        "--recursive",
        action="store_true",
        help="a FILE that is a folder stands for every file under it (sorted, hidden ones "
        "left out)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="convert on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for "
        "a local cluster of --jobs workers; FILEs may be globs or fsspec URLs (s3://...); "
        "writes a Parquet dataset partitioned by meter and month to -o, and the damaged "
        "stretches to --errors (default OUT.errors.parquet). Needs dsmrparse[dask]",
    )


def expand_dirs(sources: list[Any]) -> list[Any]:
    """Folders replaced by the files under them, in sorted order."""
    out: list[Any] = []
    for source in sources:
        if isinstance(source, str) and source != "-" and os.path.isdir(source):
            found = []
            for root, dirs, names in os.walk(source):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [os.path.join(root, n) for n in names if not n.startswith(".")]
            out += sorted(found)
        else:
            out.append(source)
    return out


def run(args: argparse.Namespace, sources: list[str]) -> int:
    """``parse --dask``: the files to a Parquet dataset on the cluster; the exit code as for
    ``parse``."""
    from . import cli

    fmt = args.format or cli._format_of(args.output)
    if fmt != "parquet" or not args.output or args.output == "-":
        print(
            "dsmrparse parse: --dask writes a Parquet dataset: give -o OUT.parquet", file=sys.stderr
        )
        return cli.EXIT_USAGE
    if "-" in sources:
        print("dsmrparse parse: --dask reads files, not stdin", file=sys.stderr)
        return cli.EXIT_USAGE
    try:
        import distributed

        from . import dask as dd_dsmr
    except ImportError as exc:
        raise cli._Missing(f"{exc}: pip install 'dsmrparse[dask]'") from None
    import fsspec

    for target in (args.output, args.errors or dd_dsmr.errors_path_for(args.output)):
        fs, path = fsspec.core.url_to_fs(target)
        if fs.exists(path):
            # a dataset written over another mixes old and new partitions: refuse
            print(f"dsmrparse parse: {target} exists; remove it or choose another", file=sys.stderr)
            return cli.EXIT_USAGE
    start = time.perf_counter()
    try:
        found = dd_dsmr.captures(
            sources,
            profile=args.profile,
            numbers=args.numbers,
            strict=args.strict,
            recursive=args.recursive,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"dsmrparse parse: {exc}", file=sys.stderr)
        return cli.EXIT_INPUT
    if args.dask == "local":
        workers = args.jobs if args.jobs > 1 else os.cpu_count() or 1
        cluster: Any = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
    else:
        cluster = None
        try:
            client = distributed.Client(args.dask, timeout="30s")
        except OSError as exc:
            print(f"dsmrparse parse: no Dask scheduler at {args.dask}: {exc}", file=sys.stderr)
            return cli.EXIT_INPUT
    try:
        with client:
            written = dd_dsmr.to_dataset(
                found.rows,
                args.output,
                partition_on=["meter", "month"],
                errors=found.errors,
                errors_path=args.errors,
            )
    finally:
        if cluster is not None:
            cluster.close()
    totals: Counter[str] = Counter(written.counts)
    totals["telegrams"] = totals.pop("rows", 0)
    problems = totals.pop("problems", 0)
    if problems:  # by kind: the dataset's rows say, in their problems column by count
        totals["problem:any"] = problems
    if not args.quiet:
        cli._summary(totals, found.size, time.perf_counter() - start)
        print(f"dsmrparse: wrote {written.path} and {written.errors_path}", file=sys.stderr)
    return cli.EXIT_DATA if cli._error_count(totals) else cli.EXIT_OK
