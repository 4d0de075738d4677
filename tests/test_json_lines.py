"""The whole-telegram JSON writers: ``Telegram.to_json`` and the JSON lines of ``dsmrparse parse``
give the reference writer's text byte for byte (the reference is the form-dict path the library
had before the compiled writer wrote telegrams end to end)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import dsmrparse
from conftest import FIXTURES, needs_compiled
from dsmrparse import _jsonform, cli, files
from dsmrparse._types import Entry, Problem
from dsmrparse.fresh import fresh_telegrams
from dsmrparse.simulate import Simulator

# every fixture telegram the library reads (streams included), whatever its family
TELEGRAM_FILES = sorted(p for p in FIXTURES.rglob("*.txt") if "encrypted" not in p.parts)


def _telegrams(data: bytes) -> list[dsmrparse.Telegram]:
    return [t for t in files.iter_telegrams(io.BytesIO(data)) if isinstance(t, dsmrparse.Telegram)]


def _corpus() -> list[dsmrparse.Telegram]:
    """Fixture telegrams, fresh copies of some (every value new), a simulated stream per family
    (MBus devices, power failures, peak histories), and telegrams with pinned MBus channels."""
    out: list[dsmrparse.Telegram] = []
    for path in TELEGRAM_FILES:
        out.extend(_telegrams(path.read_bytes()))
    for name in (
        "nl/dsmr50_landis_e350.txt",
        "be/fluvius_emucs171.txt",
        "athom/dsmr-3.0-spec-example.txt",
    ):
        for raw in fresh_telegrams((FIXTURES / name).read_bytes(), 5):
            out.append(dsmrparse.parse(raw))
    for family in ("dsmr5", "belgium", "dsmr3", "iskra_ie5", "luxembourg"):
        start = datetime(2024, 10, 27, 1, 59, 58, tzinfo=timezone(timedelta(hours=2)))
        sim = Simulator(family, seed=3, start=start, failures_per_day=2000)
        for _, raw in zip(range(4), sim):
            out.append(dsmrparse.parse(raw))
    mbus = (FIXTURES / "nl/dsmr30_kamstrup_4mbus_no_crc.txt").read_bytes()
    for pins in ({"gas": 2}, {"water": 9, "heat": 1}):
        out.append(dsmrparse.parse(mbus, mbus_channels=pins))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[dsmrparse.Telegram]:
    return _corpus()


def test_the_corpus_has_what_the_writer_must_handle(corpus: list[dsmrparse.Telegram]) -> None:
    assert len(corpus) > 80
    assert any(len(t.mbus) > 1 for t in corpus)
    assert any(t.problems for t in corpus)
    assert any(t.pins for t in corpus)
    assert len({t.profile for t in corpus}) >= 8


@needs_compiled
def test_compiled_telegram_json_is_the_reference(corpus: list[dsmrparse.Telegram]) -> None:
    from dsmrparse import _fastjson

    previous = dsmrparse.use_implementation("cython")
    try:
        for t in corpus:
            expected = _jsonform.telegram_json_reference(t)
            assert _fastjson.telegram_json(t) == expected, t
            assert t.to_json() == expected
    finally:
        dsmrparse.use_implementation(previous)


def test_twins_write_the_same_json(corpus: list[dsmrparse.Telegram], twin: str) -> None:
    """Each twin's to_json and json_lines give the pure twin's reference text."""
    previous = dsmrparse.use_implementation("python")
    try:
        expected = [_jsonform.telegram_json_reference(t) for t in corpus]
    finally:
        dsmrparse.use_implementation(previous)
    assert [t.to_json() for t in corpus] == expected
    lines = "".join(text + "\n" for text in expected).encode("utf-8")
    assert _jsonform.json_lines(corpus) == lines


@needs_compiled
def test_mbus_known_before_writing_gives_the_same_text(corpus: list[dsmrparse.Telegram]) -> None:
    """A Telegram whose ``mbus`` was read first is written from those devices."""
    from dsmrparse import _fastjson

    for t in corpus:
        again = [
            dsmrparse.parse(t.raw, profile=t.profile, mbus_channels=t.pins or None) for _ in "ab"
        ]
        again[0].mbus  # noqa: B018 (computes and keeps the devices)
        again[0].get("0-0:1.0.0")  # (builds the index)
        assert _fastjson.telegram_json(again[0]) == _jsonform.telegram_json_reference(again[1])


@needs_compiled
def test_times_of_any_zone_are_written_as_isoformat() -> None:
    """Fixed offsets are written in C, other zones by isoformat(); both give isoformat's text."""
    from dsmrparse import _fastjson

    stamps = [
        datetime(2024, 3, 31, 2, 30),
        datetime(999, 1, 2, 3, 4, 5, 7),
        datetime(2024, 1, 1, 0, 0, 0, 120, tzinfo=timezone.utc),
        datetime(2024, 7, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        datetime(2024, 7, 1, tzinfo=timezone(timedelta(seconds=3601, microseconds=5))),
        datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Amsterdam")),
    ]
    for stamp in stamps:
        assert _fastjson.dumps(stamp) == f'"{stamp.isoformat()}"'
        entry = Entry("0-0:1.0.0", "timestamp", stamp, None, stamp, ("x",), 2, 0, None)
        assert _fastjson.entries_json([entry]) == _jsonform.entries_json([entry])


def test_json_lines_write_other_records_by_their_own_to_json(twin: str) -> None:
    damaged = files.Damaged("damaged", 10, b"/ABC5\r\n1-0:1.8.1(\xe9", "cut by a header", "x.txt")
    t = dsmrparse.parse((FIXTURES / "nl/dsmr50_landis_e350.txt").read_bytes())
    out = _jsonform.json_lines([t, damaged, t])
    assert out == f"{t.to_json()}\n{damaged.to_json()}\n{t.to_json()}\n".encode()


def test_a_telegram_with_problems_lists_them(twin: str) -> None:
    raw = (FIXTURES / "nl/dsmr50_landis_e350.txt").read_bytes().replace(b"!425D", b"!0000")
    t = dsmrparse.parse(raw)
    assert t.crc == "bad"
    text = t.to_json()
    assert text == _jsonform.telegram_json_reference(t)
    assert '"status":"bad"' in text
    problem = Problem("value", 'bad "value" \\ é', 3, 40, "1-0:1.8.1")
    odd = dsmrparse.Telegram(
        t.raw, t._tokens, t.profile_object, t.profile_reason, t.entries, (problem,)
    )
    assert odd.to_json() == _jsonform.telegram_json_reference(odd)
    assert '"problems":[{"kind":"value","message":"bad \\"value\\" \\\\ é"' in odd.to_json()


def test_values_the_writer_does_not_know_go_through_the_reference(twin: str) -> None:
    t = dsmrparse.parse((FIXTURES / "nl/dsmr50_landis_e350.txt").read_bytes())
    entries = list(t.entries)
    entries[3] = entries[3]._replace(value=[Decimal("1.5"), 2.5, {"a": (1, None)}])
    odd = dsmrparse.Telegram(
        t.raw, t._tokens, t.profile_object, t.profile_reason, tuple(entries), t.problems
    )
    assert odd.to_json() == _jsonform.telegram_json_reference(odd)
    assert _jsonform.json_lines([odd]) == (odd.to_json() + "\n").encode()


def _capture(tmp_path: Path) -> Path:
    """A capture of fresh telegrams of three families, with noise and a cut telegram at the end."""
    parts = []
    for name in (
        "nl/dsmr50_landis_e350.txt",
        "be/fluvius_emucs171.txt",
        "nl/dsmr22_iskra_mt382.txt",
    ):
        parts.extend(fresh_telegrams((FIXTURES / name).read_bytes(), 40, seed=5))
    data = b"".join(parts[:60]) + b"noise\r\n" + b"".join(parts[60:]) + parts[0][:100]
    path = tmp_path / "capture.txt"
    path.write_bytes(data)
    return path


def test_parse_command_writes_the_reference_lines(
    tmp_path: Path, twin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dsmrparse parse -o out.jsonl`` and to stdout: each record's reference JSON line."""
    path = _capture(tmp_path)
    out = tmp_path / "out.jsonl"
    assert cli.main(["parse", str(path), "-q", "-o", str(out)]) in (0, 1, 3)
    records = list(files.iter_telegrams(path))
    previous = dsmrparse.use_implementation("python")
    try:
        expected = _jsonform.json_lines_reference(records)
    finally:
        dsmrparse.use_implementation(previous)
    assert out.read_bytes() == expected
    capsys.readouterr()
    cli.main(["parse", str(path), "-q", "--format", "jsonl"])
    assert capsys.readouterr().out.encode("utf-8") == expected
