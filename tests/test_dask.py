"""Capture archives on a real Dask cluster (two worker processes on loopback): the dataset is the
single-process result row for row, its errors are what iter_telegrams reports, whatever the
partitioning, and a worker killed mid-computation loses nothing and duplicates nothing."""

from __future__ import annotations

import bz2
import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")

import cloudpickle  # noqa: E402  (comes with distributed)
import pandas as pd  # noqa: E402

import dsmrparse.dask as dd_dsmr  # noqa: E402
from dsmrparse import cli  # noqa: E402
from dsmrparse.dask import _partition  # noqa: E402
from dsmrparse.dask._partition import Options, Piece, Router  # noqa: E402
from dsmrparse.dask._schema import union_schema  # noqa: E402
from dsmrparse.files import Damaged, Telegram, _Plan, iter_records  # noqa: E402
from dsmrparse.simulate import Simulator  # noqa: E402

# the helpers below run on the workers, which cannot import this test module by name
cloudpickle.register_pickle_by_value(sys.modules[__name__])

BLOCK = 48 * 1024  # small ranges: the plain files below are cut into several


def telegrams(profile: str, count: int, seed: int, start: str, step: int = 60) -> list[bytes]:
    sim = Simulator(profile, seed=seed, start=datetime.fromisoformat(start), step=step)
    return [t for _, t in zip(range(count), sim)]


def damaged_stream(t: list[bytes]) -> bytes:
    """Telegrams with damage between and inside them: begins inside a telegram, noise, a
    telegram cut off by the next header, a header-like text inside a line, a bad CRC, and it
    ends inside a telegram."""
    out = bytearray(t[0][250:])
    for i, telegram in enumerate(t[1:-1], 1):
        if i % 97 == 5:
            out += b"log: link down /XYZ5 retry\r\n"
        if i % 97 == 20:
            out += telegram[:333]  # cut off: the next telegram's header follows
            continue
        if i % 97 == 40:
            out += telegram[:180] + b"mid/KFM5 line\r\n" + telegram[180:]
            continue
        if i % 97 == 60:
            out += telegram.replace(b"1-0:1.7.0(0", b"1-0:1.7.0(1", 1)  # CRC now wrong
            continue
        out += telegram
    out += t[-1][:400]
    return bytes(out)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Several meters and families, plain and compressed, damaged stretches, and a meter
    replaced by one of another family inside one file; about 700 kB in all."""
    root = tmp_path_factory.mktemp("archive")
    (root / "a").mkdir()
    (root / "b" / "c").mkdir(parents=True)
    dsmr5 = telegrams("dsmr5", 400, 1, "2024-03-31T00:00:00+01:00")
    belgium = telegrams("belgium", 200, 2, "2024-03-31T12:00:00+02:00")
    # meter 1: a big plain DSMR 5 file, replaced by a Belgian meter at the end
    (root / "a" / "meter1.txt").write_bytes(damaged_stream(dsmr5) + b"".join(belgium[:60]))
    # meter 2: Belgian, gzip (one partition), with damage
    (root / "b" / "meter2.txt.gz").write_bytes(gzip.compress(damaged_stream(belgium)))
    # meter 3: EasyMeter (W, no equipment id: the path names it), LF only, bzip2
    q3d = b"".join(telegrams("q3d", 100, 3, "2024-04-30T23:00:00+02:00"))
    (root / "b" / "c" / "meter3.txt.bz2").write_bytes(bz2.compress(q3d.replace(b"\r\n", b"\n")))
    # meter 4: DSMR 4, plain, split in ranges too
    dsmr4 = telegrams("dsmr4", 200, 4, "2024-10-31T21:30:00+01:00", step=60)
    (root / "b" / "c" / "meter4.txt").write_bytes(damaged_stream(dsmr4))
    (root / ".hidden").write_bytes(b"not a capture")
    return root


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_port=0,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def reference(paths: list[Path], numbers: str, strict: bool = False) -> tuple[Any, Any]:
    """One process, one pass per file, every telegram fully parsed (no fast column path)."""
    key = (tuple(paths), numbers, strict)
    if key not in _REFERENCE:
        _REFERENCE[key] = _reference(paths, numbers, strict)
    return _REFERENCE[key]


_REFERENCE: dict[Any, tuple[Any, Any]] = {}


def _reference(paths: list[Path], numbers: str, strict: bool) -> tuple[Any, Any]:
    union = union_schema(None, numbers)
    options = Options(None, numbers, strict, "cython", {})
    rows, errors = [], []
    for path in paths:
        router = Router(union, options, str(path))
        for offset, item in iter_records(path, strict=strict):
            router.add(offset, item)
        rows.append(router.rows())
        errors.append(router.error_table())
    return (
        _partition.to_pandas(pa.concat_tables(rows)),
        _partition.to_pandas(pa.concat_tables(errors)),
    )


def same(got: Any, want: Any) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_dataset_equals_one_process_row_for_row(
    twin: str, client: Any, archive: Path, numbers: str
) -> None:
    found = dd_dsmr.captures(str(archive), recursive=True, numbers=numbers, blocksize=BLOCK)
    assert found.rows.npartitions > 6  # the plain files were cut into ranges
    rows, errors = client.compute([found.rows, found.errors], sync=True)
    want_rows, want_errors = reference(files_of(archive), numbers)
    same(rows, want_rows)
    same(errors, want_errors)
    assert set(rows["profile"]) == {"dsmr5", "belgium", "q3d", "dsmr4"}
    assert set(errors["kind"]) >= {"fragment", "junk", "damaged"}
    assert (rows["crc"] == "bad").sum() >= 3  # bad CRCs stay rows, flagged, as in iter_telegrams


def test_errors_are_what_iter_telegrams_reports(twin: str, client: Any, archive: Path) -> None:
    errors = dd_dsmr.read_errors(f"{archive}/**", blocksize=BLOCK).compute()
    want = []
    for path in files_of(archive):
        for offset, item in iter_records(path):
            if isinstance(item, Damaged):
                want.append((str(path), offset, item.kind, item.error, item.raw))
    got = list(errors[["source_file", "offset", "kind", "error", "raw"]].itertuples(index=False))
    assert [tuple(g) for g in got] == want


def test_rows_keep_file_order_and_name_each_meter(client: Any, archive: Path) -> None:
    rows = dd_dsmr.read_captures(str(archive), recursive=True, blocksize=BLOCK).compute()
    for path, group in rows.groupby("source_file", sort=False):
        telegrams = [t for t in iter_records(path) if isinstance(t[1], Telegram)]
        assert list(group["offset"]) == [off for off, _ in telegrams]
    meters = rows.groupby("source_file")["meter"].unique()
    assert len(meters[str(archive / "a" / "meter1.txt")]) == 2  # the replaced meter
    assert list(meters[str(archive / "b" / "c" / "meter3.txt.bz2")]) == [
        str(archive / "b" / "c" / "meter3.txt.bz2")  # no identifier: the file names the meter
    ]
    meter4 = rows[rows["source_file"] == str(archive / "b" / "c" / "meter4.txt")]
    stamps = meter4["timestamp"].astype("datetime64[us, UTC]")
    last_utc_hour = (stamps.dt.month == 10) & (stamps.dt.hour == 23)
    assert last_utc_hour.any()
    assert set(meter4["month"][last_utc_hour]) == {"2024-11"}  # the meter's month, not UTC's
    assert set(meter4["month"]) == {"2024-10", "2024-11"}


def test_partitioning_does_not_change_the_result(client: Any, archive: Path) -> None:
    small = dd_dsmr.captures(str(archive), recursive=True, blocksize=16 * 1024)
    whole = dd_dsmr.captures(str(archive), recursive=True)
    assert small.rows.npartitions > whole.rows.npartitions == 4
    got = client.compute([small.rows, small.errors, whole.rows, whole.errors], sync=True)
    same(got[0], got[2])
    same(got[1], got[3])


def test_units_of_another_family_are_converted_exactly(client: Any, archive: Path) -> None:
    rows = dd_dsmr.read_captures(str(archive / "b" / "c" / "meter3.txt.bz2")).compute()
    schema = union_schema(None, "decimal").arrow_schema()
    assert schema.field("power_imported").metadata == {b"unit": b"kW"}
    first = next(t for _, t in iter_records(archive / "b" / "c" / "meter3.txt.bz2"))
    assert isinstance(first, Telegram)
    watts = first.entry("power_imported")
    assert watts.unit == "W"
    assert rows["power_imported"].iloc[0] == watts.value.scaleb(-3)


def _kill_once(frame: Any, marker: str) -> Any:
    """Kill this worker's process the first time any worker gets here (the marker file says a
    worker did); Dask then reruns the lost tasks on a restarted worker."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return frame
    os._exit(1)


def test_a_worker_killed_midway_loses_and_doubles_nothing(
    client: Any, archive: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "killed"
    found = dd_dsmr.captures(str(archive), recursive=True, blocksize=BLOCK)
    killing = found.rows.map_partitions(_kill_once, str(marker), meta=found.rows._meta)
    rows, errors = client.compute([killing, found.errors], sync=True)
    assert marker.exists()  # a worker did die
    want_rows, want_errors = reference(files_of(archive), "decimal")
    same(rows, want_rows)
    same(errors, want_errors)
    assert not rows.duplicated(["source_file", "offset"]).any()


def test_to_dataset_writes_rows_partitioned_and_errors_beside(
    client: Any, archive: Path, tmp_path: Path
) -> None:
    import pyarrow.dataset as ds

    rows = dd_dsmr.read_captures(str(archive), recursive=True, numbers="float", blocksize=BLOCK)
    out = str(tmp_path / "p1.parquet")
    written = dd_dsmr.to_dataset(rows, out, partition_on=["meter", "month"])
    assert written.path == out
    assert written.errors_path == str(tmp_path / "p1.errors.parquet")
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    want_rows, want_errors = reference(files_of(archive), "float")
    assert table.num_rows == len(want_rows)
    assert set(table.column("meter").to_pylist()) == set(want_rows["meter"])
    errors = pd.read_parquet(written[1])
    assert len(errors) == len(want_errors)
    key = ["source_file", "offset"]
    assert errors[key].sort_values(key).values.tolist() == want_errors[key].values.tolist()
    counts = written.counts
    assert counts["rows"] == len(want_rows)
    assert counts["crc:bad"] == (want_rows["crc"] == "bad").sum()
    assert sum(n for k, n in counts.items() if k.startswith("record:")) == len(want_errors)


def test_a_range_that_begins_inside_a_telegram_is_left_to_the_range_before(
    twin: str, tmp_path: Path
) -> None:
    """A header-like text inside a line starts a frame for a reader that begins just before
    it: the range before reads on over it, and the range's own partition stays empty."""
    t = telegrams("dsmr5", 4, 5, "2024-05-01T10:00:00+02:00")
    data = t[0] + t[1][:200] + b"mid/KFM5 line\r\n" + t[1][200:] + t[2] + t[3]
    path = tmp_path / "capture.txt"
    path.write_bytes(data)
    inside = data.index(b"mid/KFM5") + 3
    plan = _Plan(str(path), len(data), inside - 1, 0, 3, 1 << 20)
    options = Options(None, "decimal", False, twin, {})
    pieces = [Piece(str(path), str(path), k, plan) for k in range(3)]
    follow = [_partition.following(p, options) for p in pieces]
    assert follow[0] == 2
    skip = _partition.skipped(follow)
    assert skip == {1}
    parts = [_partition.read_piece(p, options, skip) for p in pieces]
    assert len(parts[1][0]) == 0
    got = pd.concat([rows for rows, _ in parts])
    want, _ = reference([path], "decimal")
    same(got, want)


def test_bad_requests_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no capture files"):
        dd_dsmr.captures(str(tmp_path / "nothing-*.txt"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_bytes(b"")
    with pytest.raises(ValueError, match="directory"):
        dd_dsmr.captures(str(tmp_path / "d"))
    with pytest.raises(ValueError, match="numbers"):
        dd_dsmr.captures(str(tmp_path / "d"), recursive=True, numbers="int")
    with pytest.raises(ValueError, match="blocksize"):
        dd_dsmr.captures(str(tmp_path / "d"), recursive=True, blocksize=10)


def test_import_dsmrparse_stays_light() -> None:
    code = (
        "import sys, dsmrparse, dsmrparse.cli; "
        "print([m for m in ('dask', 'distributed', 'pandas', 'fsspec') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_cli_writes_the_dataset_on_a_cluster(
    client: Any, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p1.parquet"
    address = client.scheduler.address
    status = cli.main(
        ["parse", str(archive), "--recursive", "-o", str(out), "--dask", address, "-q"]
    )
    assert status == cli.EXIT_DATA  # the archive has damaged stretches
    want_rows, want_errors = reference(files_of(archive), "decimal")
    table = pa.dataset.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(want_rows)
    assert len(pd.read_parquet(tmp_path / "p1.errors.parquet")) == len(want_errors)


def test_cli_refuses_what_a_dataset_cannot_be(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["parse", str(archive), "--recursive", "--dask", "local"]
    assert cli.main([*args, "-o", str(tmp_path / "x.csv")]) == cli.EXIT_USAGE
    assert "parquet" in capsys.readouterr().err
    assert cli.main([*args, "-o", "-", "-f", "parquet"]) == cli.EXIT_USAGE
    (tmp_path / "old.parquet").mkdir()  # a dataset written over another would mix them
    assert cli.main([*args, "-o", str(tmp_path / "old.parquet")]) == cli.EXIT_USAGE
    assert "exists" in capsys.readouterr().err


def test_cli_recursive_without_dask_reads_every_file_in_order(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.jsonl"
    status = cli.main(["parse", str(archive / "b"), "--recursive", "-o", str(out), "-q"])
    assert status == cli.EXIT_DATA
    lines = out.read_text().splitlines()
    want = sum(1 for p in files_of(archive / "b") for _ in iter_records(p))
    assert len(lines) == want


def test_any_fsspec_filesystem_serves(archive: Path) -> None:
    """fsspec's in-memory filesystem stands for s3:// and the like: the same rows, byte ranges
    read through seek and read instead of a file descriptor."""
    import dask
    import fsspec

    memory = fsspec.filesystem("memory")
    for path in files_of(archive):
        memory.pipe(f"/arch/{path.relative_to(archive).as_posix()}", path.read_bytes())
    with dask.config.set(scheduler="sync"):  # (the memory lives in this process only)
        found = dd_dsmr.captures("memory://arch", recursive=True, blocksize=BLOCK)
        rows, errors = dask.compute(found.rows, found.errors)
    assert found.rows.npartitions > 4
    assert set(rows["source_file"]) == {
        memory.unstrip_protocol(f"/arch/{p.relative_to(archive).as_posix()}")
        for p in files_of(archive)
    }
    want_rows, want_errors = reference(files_of(archive), "decimal")
    same(
        rows.drop(columns=["source_file", "meter"]),
        want_rows.drop(columns=["source_file", "meter"]),
    )
    assert list(errors["offset"]) == list(want_errors["offset"])


def test_an_unreadable_file_is_an_error_record_not_the_end_of_the_run(tmp_path: Path) -> None:
    import dask

    good = b"".join(telegrams("dsmr5", 30, 7, "2024-05-01T10:00:00+02:00"))
    (tmp_path / "a.txt").write_bytes(good)
    packed = gzip.compress(good * 60)  # 1.5 MB: more than one read of the stream
    (tmp_path / "b.txt.gz").write_bytes(packed[: len(packed) * 3 // 4])  # cut short
    with dask.config.set(scheduler="sync"):
        found = dd_dsmr.captures(str(tmp_path / "*.txt*"))
        rows, errors = dask.compute(found.rows, found.errors)
    by_file = rows.groupby("source_file").size()
    assert by_file[str(tmp_path / "a.txt")] == 30
    assert 0 < by_file.get(str(tmp_path / "b.txt.gz"), 0) < 30 * 60  # what came before the cut
    last = errors[errors["source_file"] == str(tmp_path / "b.txt.gz")].iloc[-1]
    assert last["kind"] == "unreadable" and "cannot read on" in last["error"]
    assert last["offset"] >= rows["offset"][rows["source_file"] == str(tmp_path / "b.txt.gz")].max()


@pytest.mark.parametrize("name", ["b/meter2.txt.gz", "b/c/meter4.txt"])
def test_values_are_those_of_the_columnar_form(
    twin: str, client: Any, archive: Path, name: str
) -> None:
    """For a file of one family, every column of the profile table holds what
    ``columnar.iter_columns`` gives (one process, the file's own schema)."""
    from dsmrparse import columnar

    path = archive / name
    rows = dd_dsmr.read_captures(str(path), blocksize=BLOCK).compute()
    family = rows["profile"].iloc[0]
    batches = list(columnar.iter_columns(path, schema=family))
    own = pa.concat_tables([b.to_arrow() for b in batches if len(b)])
    assert own.num_rows == len(rows) > 0
    targets = union_schema(None, "decimal").targets[family]
    for column in own.column_names:
        target = targets[column]
        assert target.shift == 0  # (these families write the canonical units)
        got = pa.array(rows[target.name]).to_pylist()
        assert got == own.column(column).to_pylist(), column
