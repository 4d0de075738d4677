"""The columnar fast path (each twin's ColumnBuilder, ``Columns.add_fast``) gives the very rows the
Telegram path gives: same values, same Decimal spelling, same offsets, same problem counts."""

from __future__ import annotations

import io
import pickle
import random
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import dsmrparse
from conftest import FIXTURES
from dsmrparse import _arrow, _impl, _purepy, columnar, files, profiles
from dsmrparse._types import Frame
from dsmrparse.simulate import Simulator
from dsmrparse.telegram import Telegram
from test_files import corrupted_capture

FIXTURE_FILES = sorted(
    p for p in FIXTURES.rglob("*.txt") if "encrypted" not in p.parts and p.stat().st_size
)


def telegram_frames(data: bytes) -> list[Frame]:
    scanner = _purepy.FrameScanner()
    frames = scanner.feed(data) + scanner.flush()
    return [f for f in frames if f.kind == "telegram"]


def reference(
    frames: list[Frame], schema: str, numbers: str, profile: str | None, strict: bool
) -> columnar.Columns:
    """The Telegram path: parse each frame fully, append the Telegram."""
    cols = columnar.Columns(schema, numbers)
    for frame in frames:
        item = files.read_frame(frame, profile, strict)
        if isinstance(item, Telegram):
            cols.append(item)
    return cols


def fast(
    frames: list[Frame], schema: str, numbers: str, profile: str | None, strict: bool
) -> tuple[columnar.Columns, int]:
    """The fast path, and how many frames it read without the full parse."""
    cols = columnar.Columns(schema, numbers)
    quick = 0
    for frame in frames:
        if cols.add_fast(frame.data, profile, strict):
            quick += 1
            continue
        item = files.read_frame(frame, profile, strict)
        if isinstance(item, Telegram):
            cols.append(item)
    return cols, quick


def cells(cols: columnar.Columns) -> dict[str, Any]:
    """Every cell by repr (Decimal exponent, datetime offset, float bits), and the counts."""
    out: dict[str, Any] = {name: [repr(v) for v in cols.column(name)] for name in cols.names}
    out["<rows>"] = len(cols)
    out["<problems>"] = dict(cols.problem_kinds)
    return out


def schema_of(frames: list[Frame]) -> str:
    for frame in frames:
        item = files.read_frame(frame)
        if isinstance(item, Telegram):
            return item.profile
    return profiles.DEFAULT.name


def check_same(data: bytes, numbers: str, profile: str | None = None, strict: bool = False) -> int:
    frames = telegram_frames(data)
    schema = profile or schema_of(frames)
    expected = cells(reference(frames, schema, numbers, profile, strict))
    got, quick = fast(frames, schema, numbers, profile, strict)
    assert cells(got) == expected
    return quick


@pytest.mark.parametrize("numbers", ["decimal", "float"])
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_gives_the_rows_of_the_telegram_path(
    twin: str, path: Path, numbers: str
) -> None:
    check_same(path.read_bytes(), numbers)


@pytest.mark.parametrize("family", profiles.names())
@pytest.mark.parametrize("lf", [False, True], ids=["crlf", "lf"])
def test_simulated_captures_of_every_family(twin: str, family: str, lf: bool) -> None:
    sim = Simulator(
        family,
        seed=3,
        start=datetime.fromisoformat("2024-10-27T02:55:00+02:00"),  # across the October change
        step=30,
        failures_per_day=200,
        line_ending="\n" if lf else "\r\n",
    )
    data = b"".join(t for _, t in zip(range(60), sim))
    for numbers in ("decimal", "float"):
        check_same(data, numbers)
        check_same(data, numbers, profile=family)


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_corrupted_captures(twin: str, seed: int, strict: bool) -> None:
    data, _, _ = corrupted_capture(seed, count=120)
    check_same(data, "decimal", strict=strict)
    check_same(data, "float", strict=strict)


def test_odd_lines_and_values_fall_back_to_the_same_rows(twin: str) -> None:
    base = (FIXTURES / "nl" / "dsmr50_iskra_mt382.txt").read_bytes()
    rng = random.Random(5)
    variants = [
        base.replace(b"*kWh)", b"*KWH)", 1),  # another spelling of the unit: no problem
        base.replace(b"*kWh)", b"*MWh)", 1),  # a unit problem
        base.replace(b"1-0:1.8.1(", b"1-0:1.8.1*255(", 1),  # an odd OBIS spelling
        base.replace(b"(0", b"(-0", 1),
        base.replace(b")\r\n1-0:2", b") (7)\r\n1-0:2", 1),  # white space between groups
        base.replace(b"\r\n", b"\n", 3),  # mixed line ends
        base.replace(b"S)", b")", 1),  # a time without its DST flag
        base.replace(b"1-0:1.8.1(", b"1-0:1.8.1(1", 1),  # 19 digits: a float, no int64 decimal
        base.replace(b"\r\n1-0:2.8.1", b"\r\n9-9:9.9.9(x)\r\n1-0:2.8.1", 1),  # unknown object
    ]
    for _ in range(40):  # and random damage anywhere
        body = bytearray(base)
        body[rng.randrange(len(body))] = rng.choice(b"()*.:-!/SW \r\n0123456789xZ")
        variants.append(bytes(body))
    for numbers in ("decimal", "float"):
        for variant in variants:
            check_same(variant, numbers)
            check_same(variant + b"\r\n" + base, numbers)


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_a_clean_capture_never_needs_the_full_parse(twin: str, numbers: str) -> None:
    sim = Simulator("dsmr5", seed=1, start=datetime.fromisoformat("2024-01-01T00:00:00+01:00"))
    data = b"".join(t for _, t in zip(range(300), sim))
    assert check_same(data, numbers) == 300
    lf = (FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt").read_bytes()
    assert check_same(lf, numbers) == 566


def test_both_builders_fill_identical_columns() -> None:
    if "cython" not in _impl.available():
        pytest.skip("the compiled twin is not built here")
    data, _, _ = corrupted_capture(11, count=200)
    frames = telegram_frames(data + (FIXTURES / "be" / "fluvius_emucs171.txt").read_bytes())
    results = []
    for name in ("cython", "python"):
        previous = dsmrparse.use_implementation(name)
        try:
            results.append(cells(fast(frames, "dsmr5", "decimal", None, False)[0]))
        finally:
            dsmrparse.use_implementation(previous)
    assert results[0] == results[1]


def test_iter_columns_on_two_processes_gives_the_same_batches(
    twin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(files, "SEGMENT_SIZE", 32 * 1024)
    data, _, _ = corrupted_capture(9, count=300)
    path = tmp_path / "capture.txt"
    path.write_bytes(data)

    def joined(jobs: int) -> dict[str, Any]:
        total = columnar.Columns("dsmr5", "float")
        for batch in columnar.iter_columns(path, numbers="float", jobs=jobs):
            total.extend(batch)
        return cells(total)

    one = joined(1)
    assert one["<rows>"] > 250
    assert joined(2) == one
    frames = telegram_frames(data)
    assert one == cells(reference(frames, "dsmr5", "float", None, False))


def test_decimal_cells_keep_every_value_exactly() -> None:
    col = columnar.Column("x", "decimal")
    odd = ["1.500", "-0.0", "0", "1E+2", "123456789012345678901234.5", "-7.25", "NaN", "5."]
    for text in odd:
        col.append(Decimal(text))
    col.append(None)
    assert [repr(v) for v in col.to_list()] == [repr(Decimal(t)) for t in odd] + ["None"]


def test_decimal_columns_go_to_arrow_from_their_buffers() -> None:
    pa = pytest.importorskip("pyarrow")
    uniform = columnar.Column("x", "decimal")
    mixed = columnar.Column("y", "decimal")
    for i, text in enumerate(["1.500", "22.250", None, "-0.125"]):
        uniform.append(None if text is None else Decimal(text))
        mixed.append(None if text is None else Decimal(text).normalize() if i else Decimal(text))
    for col in (uniform, mixed):
        arr = _arrow.arrow_array(pa, col, 4, "UTC")
        assert arr.to_pylist() == col.to_list()
    assert _arrow.arrow_array(pa, uniform, 4, "UTC").type == pa.decimal128(38, 3)


def test_telegrams_pickle_whole() -> None:
    data = (FIXTURES / "nl" / "dsmr50_iskra_mt382.txt").read_bytes()
    for pins in (None, {"gas": 1}):
        t = dsmrparse.parse(data, mbus_channels=pins)
        back = pickle.loads(pickle.dumps(t))
        assert back == t and back.to_json() == t.to_json() and dict(back.pins) == dict(t.pins)


def test_cli_csv_is_the_same_with_the_fast_path(tmp_path: Path) -> None:
    from dsmrparse import cli

    data, _, _ = corrupted_capture(4, count=100)
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    out = tmp_path / "c.csv"
    assert cli.main(["parse", str(path), "-o", str(out), "-q"]) in (0, 1)
    frames = telegram_frames(data)
    expected = io.StringIO()
    columnar.write_csv([reference(frames, "dsmr5", "decimal", None, False)], expected)
    assert out.read_text() == expected.getvalue()


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("kind", ["lf", "corrupted", "junk"])
def test_iter_columns_on_byte_ranges_gives_the_columns_of_one_pass(
    twin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, jobs: int
) -> None:
    from test_files import _capture_file

    path = _capture_file(kind, tmp_path)
    monkeypatch.setattr(files, "RANGE_SIZE", path.stat().st_size // 37 + 1)

    def joined(jobs: int) -> dict[str, Any]:
        total = columnar.Columns("dsmr5", "float")
        for batch in columnar.iter_columns(path, numbers="float", jobs=jobs, chunk_size=4096):
            total.extend(batch)
        return cells(total)

    one = joined(1)
    assert one["<rows>"] > 5
    assert joined(jobs) == one


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_cli_parse_on_byte_ranges_writes_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    from dsmrparse import cli
    from test_files import _capture_file

    path = _capture_file("corrupted", tmp_path)
    monkeypatch.setattr(files, "RANGE_SIZE", 9973)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.{fmt}"
        errors = tmp_path / f"errors{jobs}.jsonl"
        argv = ["parse", str(path), "-o", str(out), "--errors", str(errors), "-q", "--jobs", jobs]
        assert cli.main(argv) == 1  # (the capture has damaged telegrams)
        outputs.append((out.read_bytes(), errors.read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][1].count(b"\n") > 3


@pytest.mark.parametrize("numbers", ["decimal", "float"])
@pytest.mark.parametrize("name", ["nl/dsmr42_kaifa.txt", "nl/dsmr50_landis_e350.txt"])
def test_binary_serials_take_the_fast_path(twin: str, name: str, numbers: str) -> None:
    """Ids written as hex of non-printable bytes (kept as written, as the full parse keeps
    them) do not send every telegram of such a meter to the full parse."""
    from dsmrparse.fresh import fresh_telegrams

    raw = (FIXTURES / name).read_bytes()
    data = b"".join(fresh_telegrams(raw, 50, seed=3))
    assert check_same(data, numbers) == 50


def _with_stamp(raw: bytes, old: bytes, new: bytes) -> bytes:
    from dsmrparse import _impl

    body = raw[: raw.rindex(b"!") + 1].replace(old, new)
    return body + b"%04X\r\n" % _impl.current.crc16(body)


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_a_profile_without_trusted_flags_takes_the_fast_path(twin: str, numbers: str) -> None:
    """Iskra IE.5 (S/W flags not trusted: the zone decides) gives the rows of the full parse,
    also in the repeated October hour and the March gap, whatever flag the meter wrote."""
    from dsmrparse.fresh import fresh_telegrams

    raw = (FIXTURES / "be/iskra_ie5.txt").read_bytes()
    assert check_same(b"".join(fresh_telegrams(raw, 50, seed=5)), numbers) == 50
    stamp = raw.split(b"0-0:1.0.0(", 1)[1][:13]
    edges = [b"241027023000W", b"241027023000S", b"240331023000S", b"240331023000W",
             b"241027013000W", b"240331033000W"]  # fmt: skip
    data = b"".join(_with_stamp(raw, stamp, edge) for edge in edges)
    assert check_same(data, numbers) == len(edges)
