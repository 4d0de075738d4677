"""One table schema for every meter family: the union of the profile tables' columns.

A dataset of many meters (and a meter replaced by one of another family) must have the same
columns with the same types in every partition. The columns come from
:func:`dsmrparse.columnar.schema_for` of each family; where two families give a column the same
name but units that differ only by an SI prefix (W and kW), the values are converted to the
unit of the first family that names it (DSMR 5 first), exactly for decimals (the scale moves).
Where the units cannot be converted (kW and kVA) the later family's column gets the unit in its
name (``limiter_threshold_kva``), so a value is never put beside values of another unit.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..columnar import Column, Columns, schema_for
from ..profiles import all_profiles
from ..profiles import get as get_profile

LEAD = ("meter", "source_file", "offset", "month")  # the dataset's own columns, in front
DECIMAL_SCALE = 9  # decimals share one Arrow type: 38 digits, 9 after the point
# the objects that name the meter, best first (families differ); else the file's path
METER_COLUMNS = ("equipment_id", "serial_number", "logical_device_name", "device_address")
_PREFIX = {"k": 3, "M": 6}


def _split_unit(unit: str) -> tuple[int, str]:
    """(power of ten, base unit): ``kWh`` is (3, ``Wh``); ``Wh`` is (0, ``Wh``)."""
    if len(unit) > 1 and unit[0] in _PREFIX and unit[1:] not in ("", "g"):
        return _PREFIX[unit[0]], unit[1:]
    return 0, unit


def _shift(have: str | None, want: str | None) -> int | None:
    """The power of ten that turns a value in ``have`` into ``want`` (None: not convertible)."""
    if have == want:
        return 0
    if have is None or want is None:
        return None
    (p_have, base_have), (p_want, base_want) = _split_unit(have), _split_unit(want)
    if base_have.lower() != base_want.lower():
        return None
    return p_have - p_want


@dataclass(frozen=True)
class Target:
    """Where one of a family's columns goes in the union."""

    name: str
    shift: int  # value * 10**shift is in the union column's unit


@dataclass
class Union:
    """The union schema: ``columns`` as (name, kind, unit) in order, and per family the target
    of each of its columns."""

    numbers: str
    columns: list[tuple[str, str, str | None]]
    targets: dict[str, dict[str, Target]] = field(default_factory=dict)

    def arrow_schema(self) -> Any:
        import pyarrow as pa

        fields = [
            pa.field("meter", pa.string()),
            pa.field("source_file", pa.string()),
            pa.field("offset", pa.int64()),
            pa.field("month", pa.string()),
        ]
        for name, kind, unit in self.columns:
            meta = {"unit": unit} if unit else None
            fields.append(pa.field(name, arrow_type(kind), metadata=meta))
        return pa.schema(fields)


def arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "float": pa.float64(),
        "decimal": pa.decimal128(38, DECIMAL_SCALE),
        "int": pa.int64(),
        "str": pa.string(),
        # families live in different zones: one column type means one zone, UTC
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[kind]


@lru_cache(maxsize=32)
def union_schema(profile: str | None, numbers: str) -> Union:
    """The union of the named family's columns, or of every registered family's (DSMR 5
    first) when ``profile`` is None."""
    if numbers not in ("decimal", "float"):
        raise ValueError("numbers is 'decimal' or 'float'")
    if profile is not None:
        families = [get_profile(profile).name]
    else:
        names = [p.name for p in all_profiles()]
        families = ["dsmr5", *[n for n in names if n != "dsmr5"]]
    columns: dict[str, tuple[str, str | None]] = {}
    targets: dict[str, dict[str, Target]] = {}
    for family in families:
        mine: dict[str, Target] = {}
        for name, kind, unit in schema_for(family, numbers):
            if name == "extra":
                mine[name] = Target(name, 0)
                continue
            held = columns.get(name)
            if held is None:
                columns[name] = (kind, unit)
                mine[name] = Target(name, 0)
                continue
            shift = _shift(unit, held[1]) if held[0] == kind else None
            if shift is not None:
                mine[name] = Target(name, shift)
                continue
            alias = f"{name}_{(unit or 'nounit').lower()}"  # another unit: its own column
            columns.setdefault(alias, (kind, unit))
            mine[name] = Target(alias, 0)
        targets[family] = mine
    ordered = [(n, k, u) for n, (k, u) in columns.items()]
    ordered.append(("extra", "str", None))
    return Union(numbers, ordered, targets)


def rescale(column: Column, shift: int) -> None:
    """Multiply a column's values by ``10**shift`` in place: exactly for decimals (the scale
    moves), by one correctly rounded multiplication or division for floats."""
    if shift == 0 or column.kind not in ("decimal", "float"):
        return
    if column.kind == "float":
        values = column.values
        factor = 10.0 ** abs(shift)
        for i, v in enumerate(values):
            values[i] = v * factor if shift > 0 else v / factor
        return
    scales: array = column.scales
    values = column.values
    for i, scale in enumerate(scales):
        if not column.valid[i] or i in column.exact:
            continue
        new = scale - shift
        if new < 0:  # a scale below zero has no Arrow form: grow the digits instead
            values[i] = values[i] * 10 ** (-new)
            new = 0
        scales[i] = new
    for i, value in column.exact.items():
        column.exact[i] = value.scaleb(shift)


def _months(stamps: Any) -> Any:
    """``YYYY-MM`` of each timestamp on the meter's own clock (the month a reading belongs to
    is the local one, not UTC's). From year and month numbers: strftime per value costs ten
    times the parse."""
    import pyarrow as pa
    import pyarrow.compute as pc

    local = pc.local_timestamp(stamps)
    keys = pc.add(pc.multiply(pc.year(local), 100), pc.month(local))
    known = pc.unique(keys).drop_null()
    names = pa.array([f"{k // 100:04d}-{k % 100:02d}" for k in known.to_pylist()], pa.string())
    return pc.take(names, pc.index_in(keys, known))


def family_table(batch: Columns, union: Union) -> Any:
    """A family's batch as an Arrow table with the union's column names, units and types, and
    ``month`` (of the meter's own clock); without the other lead columns and without the
    union's columns it does not have."""
    import pyarrow as pa

    targets = union.targets[batch.profile_name]
    for name, target in targets.items():
        rescale(batch.columns[name], target.shift)
    table = batch.to_arrow()
    kinds = {n: k for n, k, _ in union.columns}
    arrays = [_months(table.column("timestamp"))]
    names = ["month"]
    for name in table.column_names:
        goes = targets[name].name
        try:
            arrays.append(table.column(name).cast(arrow_type(kinds[goes])))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValueError(
                f"column {name} of a {batch.profile_name} telegram does not fit "
                f"{arrow_type(kinds[goes])}: {exc}"
            ) from None
        names.append(goes)
    return pa.table(arrays, names=names)
