"""Parquet output: row groups by rows or bytes (not one per batch), the same table as the
batches' own Arrow tables, and Arrow columns built from buffers equal to pyarrow's own."""

from __future__ import annotations

import io
from array import array
from decimal import Decimal
from pathlib import Path

import pytest

import dsmrparse
from conftest import FIXTURES
from dsmrparse import _arrow, cli, columnar
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
        ["ok"] * 5,  # one value all along: offsets made once
        ["€"] * 3,
        [""] * 4,
        [None] * 3,
    ],
)
def test_string_columns_equal_pyarrows_own(values: list[object]) -> None:
    col = _column("str", values)
    built = _arrow.arrow_array(pa, col, len(values), "UTC")
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
    built = _arrow.arrow_array(pa, col, len(values), "UTC")
    given = [v for v in values if v is not None]
    scale = max((-v.as_tuple().exponent for v in given), default=3)  # type: ignore[operator]
    expected = pa.array(values, type=pa.decimal128(38, scale))
    assert built.equals(expected)
    built.validate(full=True)


def test_int128_keeps_the_sign() -> None:
    ints = array("q", [0, 1, -1, 2**63 - 1, -(2**63)])
    data = bytes(_arrow.int128(pa, ints))
    assert [
        int.from_bytes(data[i : i + 16], "little", signed=True) for i in range(0, 80, 16)
    ] == list(ints)


# ---- a decimal column whose scale grows in a later batch (a meter that starts writing more
# digits after the point): the file takes the larger scale, no digit is lost


def _voltage_batch(volts: str) -> columnar.Columns:
    raw = (FIXTURES / "nl/dsmr50_iskra_mt382.txt").read_bytes()
    changed = raw.replace(b"32.7.0(0230.0*V)", b"32.7.0(" + volts.encode() + b"*V)")
    assert b"32.7.0(" + volts.encode() + b"*V)" in changed
    telegram = dsmrparse.parse(changed)
    assert not telegram.problems or {p.kind for p in telegram.problems} == {"crc"}
    return columnar.Columns.from_telegrams([telegram], "dsmr5")


def _volts(table: object) -> list[str]:
    return [str(v) for v in table.column("voltage_l1").to_pylist()]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("volts", "expected_type", "expected"),
    [
        (["0230.0", "0230.05", "0229.9"], "decimal128(38, 2)", ["230.00", "230.05", "229.90"]),
        (["0230.0", "0230.05", "0230.125"], "decimal128(38, 3)", ["230.000", "230.050", "230.125"]),
        (["0230.05", "0230.0", "0231"], "decimal128(38, 2)", ["230.05", "230.00", "231.00"]),
    ],
)
@pytest.mark.parametrize("target", ["path", "file"])
def test_more_digits_in_a_later_batch_widen_the_file(
    twin: str,
    tmp_path: Path,
    volts: list[str],
    expected_type: str,
    expected: list[str],
    target: str,
) -> None:
    batches = [_voltage_batch(v) for v in volts]
    path = tmp_path / "x.parquet"
    if target == "path":
        rows = columnar.write_parquet(batches, path, row_group_rows=1)
    else:
        with open(path, "wb") as out:
            rows = columnar.write_parquet(batches, out, row_group_rows=1)
    assert rows == 3
    table = pq.read_table(path)
    assert str(table.schema.field("voltage_l1").type) == expected_type
    assert _volts(table) == expected
    # the other columns are as the batches have them, and the groups as asked
    assert table.column("electricity_imported_tariff_1").to_pylist() == [
        b.column("electricity_imported_tariff_1")[0] for b in batches
    ]
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]  # no sibling left


def test_a_batch_with_fewer_digits_is_written_at_the_files_scale(twin: str, tmp_path: Path) -> None:
    batches = [_voltage_batch("0230.05"), _voltage_batch("0230.0")]
    table = _arrow.table_of(batches[1], {"voltage_l1": 2})
    assert str(table.schema.field("voltage_l1").type) == "decimal128(38, 2)"
    assert _volts(table) == ["230.00"]
    columnar.write_parquet(batches, tmp_path / "x.parquet")
    assert _volts(pq.read_table(tmp_path / "x.parquet")) == ["230.05", "230.00"]
