"""Parquet output: row groups by rows or bytes (not one per batch), the same table as the
batches' own Arrow tables, and Arrow columns built from buffers equal to pyarrow's own."""

from __future__ import annotations

import io
from array import array
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import FIXTURES
from dsmrparse import cli, columnar
from dsmrparse.fresh import fresh_telegrams

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _batches(count: int, chunk: int, numbers: str = "decimal") -> list[columnar.Columns]:
    raw = (FIXTURES / "nl/dsmr50_landis_e350.txt").read_bytes()
    data = b"".join(fresh_telegrams(raw, count, seed=2))
    return list(columnar.iter_columns(io.BytesIO(data), chunk_size=chunk, numbers=numbers))


def _reference(batches: list[columnar.Columns]) -> object:
    """The table as the batches give it, each cast to the first one's schema."""
    tables = [b.to_arrow() for b in batches if len(b)]
    return pa.concat_tables([t.cast(tables[0].schema) for t in tables])


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_row_groups_follow_the_row_limit_not_the_batches(
    twin: str, tmp_path: Path, numbers: str
) -> None:
    batches = _batches(300, 16 * 1024, numbers)
    assert len(batches) > 10  # (many small batches)
    path = tmp_path / "x.parquet"
    assert columnar.write_parquet(batches, path, row_group_rows=100) == 300
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(sizes) == 300
    assert all(size >= 100 for size in sizes[:-1])
    assert len(sizes) <= 3 < len(batches)
    assert pq.read_table(path).equals(_reference(batches))


def test_a_byte_limit_closes_a_row_group_early(tmp_path: Path) -> None:
    batches = _batches(120, 16 * 1024)
    path = tmp_path / "x.parquet"
    columnar.write_parquet(batches, path, row_group_rows=10**6, row_group_bytes=1)
    assert pq.ParquetFile(path).metadata.num_row_groups == len([b for b in batches if len(b)])
    columnar.write_parquet(batches, path)
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    assert pq.read_table(path).equals(_reference(batches))


def test_the_command_writes_one_row_group_for_a_small_capture(tmp_path: Path) -> None:
    raw = (FIXTURES / "be/fluvius_emucs171.txt").read_bytes()
    capture = tmp_path / "capture.txt"
    capture.write_bytes(b"".join(fresh_telegrams(raw, 400, seed=4)))
    out = tmp_path / "x.parquet"
    assert cli.main(["parse", str(capture), "-q", "-o", str(out)]) == 0
    assert pq.ParquetFile(out).metadata.num_row_groups == 1
    expected = _reference(list(columnar.iter_columns(capture, "belgium")))
    assert pq.read_table(out).equals(expected)


def _column(kind: str, values: list[object]) -> columnar.Column:
    col = columnar.Column("c", kind)
    for v in values:
        col.append(v)
    return col


@pytest.mark.parametrize(
    "values",
    [
        ["ok", "bad", "ok"],
        ["é", None, "€ \U0001f600", ""],
        [None, None],
        [],
    ],
)
def test_string_columns_equal_pyarrows_own(values: list[object]) -> None:
    col = _column("str", values)
    built = columnar._arrow_array(pa, col, len(values), "UTC")
    assert built.equals(pa.array(values, type=pa.string()))
    built.validate(full=True)


@pytest.mark.parametrize(
    "values",
    [
        [Decimal("1.500"), Decimal("-2.250"), None, Decimal("0.000")],  # one scale
        [Decimal("1.5"), Decimal("-2.25"), Decimal("7"), None],  # several: to the largest
        [None, None, None],  # no value at all
        [Decimal("-999999999999999999"), Decimal("1")],  # 18 digits, negative
        [Decimal("123456789012345678.9"), Decimal("-0.001")],  # past int64 once rescaled
        [Decimal("-0"), Decimal("1E+3")],  # kept whole (exact)
    ],
)
def test_decimal_columns_equal_pyarrows_own(values: list[Decimal | None]) -> None:
    col = _column("decimal", values)
    built = columnar._arrow_array(pa, col, len(values), "UTC")
    given = [v for v in values if v is not None]
    scale = max((-v.as_tuple().exponent for v in given), default=3)  # type: ignore[operator]
    expected = pa.array(values, type=pa.decimal128(38, scale))
    assert built.equals(expected)
    built.validate(full=True)


def test_int128_keeps_the_sign() -> None:
    ints = array("q", [0, 1, -1, 2**63 - 1, -(2**63)])
    data = bytes(columnar._int128(pa, ints))
    assert [
        int.from_bytes(data[i : i + 16], "little", signed=True) for i in range(0, 80, 16)
    ] == list(ints)
