"""Columns, Arrow, Parquet and CSV keep the values and their types."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import dsmrparse
from conftest import FIXTURES
from dsmrparse import columnar
from dsmrparse.simulate import Simulator


def batch(numbers: str = "decimal") -> columnar.Columns:
    sim = Simulator(
        "dsmr5", seed=8, start=datetime(2024, 10, 27, 0, 30, tzinfo=timezone.utc), step=60
    )
    items = [dsmrparse.parse(data) for _, data in zip(range(120), sim)]
    items.append(
        dsmrparse.parse((FIXTURES / "nl" / "dsmr50_iskra_am550_dead_mbus1.txt").read_bytes())
    )
    return columnar.Columns.from_telegrams(items, numbers=numbers)


def test_columns_follow_the_profile(twin: str) -> None:
    cols = batch()
    assert len(cols) == 121
    assert cols.names[:4] == ["timestamp", "profile", "crc", "problems"]
    stamps = cols.column("timestamp")
    assert all(isinstance(s, datetime) and s.tzinfo for s in stamps)
    assert (
        stamps[0].utcoffset().total_seconds() == 7200
        and stamps[119].utcoffset().total_seconds() == 3600
    )
    assert isinstance(cols.column("electricity_imported_tariff_1")[0], Decimal)
    assert cols.column("mbus2_device_type")[-1] == 3  # the fixture's gas meter is on channel 2
    assert cols.column("mbus1_value")[-1] is None or isinstance(
        cols.column("mbus1_value")[-1], Decimal
    )


def test_parquet_round_trip_keeps_types(twin: str, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    cols = batch()
    path = tmp_path / "t.parquet"
    assert columnar.write_parquet([cols], path) == len(cols)
    table = pq.read_table(path)
    schema = table.schema
    assert pa.types.is_decimal(schema.field("electricity_imported_tariff_1").type)
    assert pa.types.is_timestamp(schema.field("timestamp").type)
    assert pa.types.is_int64(schema.field("power_failures").type)
    assert pa.types.is_string(schema.field("equipment_id").type)
    assert schema.field("power_imported").metadata == {b"unit": b"kW"}
    for name in ("electricity_imported_tariff_1", "power_failures", "mbus2_value", "equipment_id"):
        assert table.column(name).to_pylist() == cols.column(name), name
    for name in ("timestamp", "mbus2_timestamp"):
        # the same instants; compared as such (PEP 495: times in a repeated hour never compare
        # equal across zones)
        assert [_instant(v) for v in table.column(name).to_pylist()] == [
            _instant(v) for v in cols.column(name)
        ], name


def _instant(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def test_float_columns_go_to_arrow_as_doubles(twin: str) -> None:
    pa = pytest.importorskip("pyarrow")
    cols = batch("float")
    table = cols.to_arrow()
    assert pa.types.is_float64(table.schema.field("power_imported").type)
    exact = batch().column("power_imported")
    assert table.column("power_imported").to_pylist() == [float(v) for v in exact]
    assert table.column("mbus1_value").null_count == len(cols) - sum(
        v is not None for v in cols.column("mbus1_value")
    )


def test_csv_round_trip_keeps_types(twin: str) -> None:
    cols = batch()
    out = io.StringIO()
    columnar.write_csv([cols], out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(cols)
    assert datetime.fromisoformat(rows[0]["timestamp"]) == cols.column("timestamp")[0]
    assert (
        Decimal(rows[5]["electricity_imported_tariff_1"])
        == cols.column("electricity_imported_tariff_1")[5]
    )
    back = columnar.read_csv(io.StringIO(out.getvalue()))
    for name, col in cols.columns.items():
        expected = cols.column(name)
        if col.kind == "str":  # CSV has no null: an empty cell reads back as missing
            expected = [v or None for v in expected]
        assert back.column(name) == expected, name
