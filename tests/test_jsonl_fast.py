"""JSON lines straight from telegram frames (the compiled ``JsonLineWriter`` behind ``dsmrparse
parse``): every line it writes is byte for byte ``json_lines_reference`` of the full parse, and it
hands back (-1) every frame it cannot be sure of. The tests count the frames it wrote, so they
fail if the fast path never ran."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsmrparse
from clirun import cli, env_for
from conftest import COMPILED, FIXTURES, needs_compiled
from dsmrparse import _jsonform, _jsonl, files
from dsmrparse._types import Frame
from dsmrparse.fresh import fresh_telegrams

# every fixture telegram file (streams too), whatever its family
TELEGRAM_FILES = sorted(p for p in FIXTURES.rglob("*.txt") if "encrypted" not in p.parts)


def _frames(data: bytes) -> list[bytes]:
    """The telegram frames of a capture, as the scanner hands them to ``parse``."""
    assert COMPILED is not None
    scanner = COMPILED.FrameScanner()
    found = scanner.feed(data) + scanner.flush()
    return [f.data for f in found if f.kind == "telegram"]


def _reference(frame: bytes, profile: str | None = None, strict: bool = False) -> bytes:
    """What ``dsmrparse parse`` wrote for the frame before: the full parse, the reference
    writer."""
    item = files.read_frame(Frame("telegram", 0, frame, None), profile, strict, "x")
    return _jsonform.json_lines_reference([item])


class Checker:
    """Feeds frames to one writer the way ``_jsonl.render_frames`` does, checking each line."""

    def __init__(self, profile: str | None = None, strict: bool = False) -> None:
        assert COMPILED is not None
        self.writer = COMPILED.JsonLineWriter(profile, strict)
        self.profile = profile
        self.strict = strict

    def feed(self, frame: bytes) -> bool:
        """True when the fast path wrote the frame (and its line is the reference's)."""
        expected = _reference(frame, self.profile, self.strict)
        code = self.writer.write(frame)
        if code < 0:
            assert self.writer.take() == b""  # (nothing half-written)
            item = files.read_frame(Frame("telegram", 0, frame, None), self.profile, self.strict)
            if isinstance(item, dsmrparse.Telegram):
                self.writer.learn(frame, item)
            return False
        assert self.writer.take() == expected, frame
        item = files.read_frame(Frame("telegram", 0, frame, None), self.profile, self.strict)
        assert isinstance(item, dsmrparse.Telegram)
        assert ("ok", "bad", "absent", "absent")[code] == item.crc
        assert bool(code & 1) == bool(item.problems)
        return True


def _learnt(data: bytes, profile: str | None = None, strict: bool = False) -> Checker:
    checker = Checker(profile, strict)
    for frame in _frames(data):
        checker.feed(frame)
    return checker


@pytest.fixture(autouse=True)
def _compiled_twin() -> object:
    """The writer belongs to the compiled twin; the full parse it is compared with, too."""
    if COMPILED is None:
        yield None
        return
    previous = dsmrparse.use_implementation("cython")
    try:
        yield None
    finally:
        dsmrparse.use_implementation(previous)


@needs_compiled
@pytest.mark.parametrize("path", TELEGRAM_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_and_its_fresh_copies_are_the_reference(path: Path) -> None:
    data = path.read_bytes()
    checker = Checker()
    frames = _frames(data)
    for frame in frames:  # the first of a layout teaches, the next are written
        checker.feed(frame)
        checker.feed(frame)
    for frame in frames[:3]:
        for copy in fresh_telegrams(frame, 6, seed=len(frame)):
            checker.feed(copy)
    assert checker.writer.mismatches == 0


# families whose telegrams the fast path must take (the others may all go to the full parse:
# continuation lines, odd code spellings, no zone table, ...)
FAST_FILES = [
    "nl/dsmr50_landis_e350.txt",
    "nl/dsmr50_iskra_am550_dead_mbus1.txt",
    "nl/dsmr50_sagemcom_xs210_1phase.txt",
    "nl/dsmr42_kaifa.txt",
    "nl/heat_warmtelink_unpadded_crc.txt",
    "be/fluvius_emucs171.txt",
    "be/fluvius_emucs171_sentinel.txt",
    "be/iskra_ie5.txt",
    "hu/eon_sagemcom.txt",
    "at/sagemcom_t210dr_plaintext.txt",
    "bad/dsmrlogger_api_doc_example_lf.txt",
    "athom/dsmr-5.0-spec-example-lowercase.txt",
    "athom/unknown-xmx-1.txt",
    "streams/iskra_am550_566_telegrams_lf.txt",
]


@needs_compiled
@pytest.mark.parametrize("name", FAST_FILES)
def test_fresh_copies_take_the_fast_path(name: str) -> None:
    frame = _frames((FIXTURES / name).read_bytes())[0]
    checker = Checker()
    checker.feed(frame)  # learns the layout
    copies = fresh_telegrams(frame, 20, seed=7)
    written = sum(checker.feed(copy) for copy in copies)
    assert written >= 15, f"only {written} of 20 fresh copies took the fast path"
    assert checker.writer.learned >= 1
    assert checker.writer.mismatches == 0


@needs_compiled
def test_a_whole_stream_is_written_fast_after_its_first_telegram() -> None:
    data = (FIXTURES / "streams/iskra_am550_566_telegrams_lf.txt").read_bytes()
    checker = _learnt(data)
    assert checker.writer.fast >= 500
    assert checker.writer.learned == 1


@needs_compiled
def test_strict_leaves_every_telegram_with_a_problem_to_the_full_parse() -> None:
    frame = _frames((FIXTURES / "nl/dsmr50_landis_e350.txt").read_bytes())[0]
    bad = frame[:-4] + (b"0000" if not frame.endswith(b"0000") else b"1111")
    lenient, strict = Checker(), Checker(strict=True)
    for checker in (lenient, strict):
        checker.feed(frame)
    assert lenient.feed(bad)  # written, with its "crc" problem
    assert not strict.feed(bad)  # in strict mode the full parse refuses it
    assert strict.feed(frame)


@needs_compiled
def test_a_named_profile_is_what_the_full_parse_uses() -> None:
    frame = _frames((FIXTURES / "be/fluvius_emucs171.txt").read_bytes())[0]
    for profile in ("belgium", "dsmr5"):
        checker = Checker(profile)
        checker.feed(frame)
        for copy in fresh_telegrams(frame, 5):
            checker.feed(copy)
        assert checker.writer.mismatches == 0


# ---- mutated telegrams: whatever the mutation, a written line is the reference's

MUTATION_BASES = [
    "nl/dsmr50_landis_e350.txt",
    "nl/dsmr42_kaifa.txt",
    "be/fluvius_emucs171.txt",
    "be/iskra_ie5.txt",
    "hu/eon_sagemcom.txt",
    "nl/heat_warmtelink_unpadded_crc.txt",
]
_BASE_FRAMES: dict[str, bytes] = {}
_CHECKERS: dict[str, Checker] = {}


def _base(name: str) -> tuple[bytes, Checker]:
    if name not in _BASE_FRAMES:
        frame = _frames((FIXTURES / name).read_bytes())[0]
        _BASE_FRAMES[name] = frame
        checker = Checker()
        checker.feed(frame)
        _CHECKERS[name] = checker
    return _BASE_FRAMES[name], _CHECKERS[name]


def _with_crc(frame: bytes) -> bytes:
    """The frame with its CRC made right again (so that a mutation is not just a bad CRC)."""
    bang = frame.rindex(b"!")
    body = frame[: bang + 1]
    crlf = b"\r\n" in body
    assert COMPILED is not None
    crc = COMPILED.crc16(body if crlf else body.replace(b"\n", b"\r\n"))
    return body + b"%04X" % crc


_EDITS = st.sampled_from(
    [
        "digit",
        "unit_case",
        "unit",
        "flag",
        "sign",
        "zeros",
        "empty",
        "letter",
        "space",
        "blank",
        "point",
        "crc",
        "lf",
        "long",
    ]
)


def _mutate(frame: bytes, edits: list[tuple[str, int]]) -> bytes:
    out = bytearray(frame)
    for edit, where in edits:
        text = bytes(out)
        if edit == "lf":
            out = bytearray(text.replace(b"\r\n", b"\n"))
            continue
        if edit == "crc":
            if text[-1:] in b"0123456789ABCDEF" and text[-1:]:
                out[-1] = ord("0") if text[-1] != ord("0") else ord("1")
            continue
        if edit == "blank":
            lines = text.split(b"\n")
            at = 1 + where % max(1, len(lines) - 2)
            lines.insert(at, b"\r" if lines[0].endswith(b"\r") else b"")
            out = bytearray(b"\n".join(lines))
            continue
        if edit == "long":  # a number with many leading zeros or digits
            groups = [m for m in re.finditer(rb"\((\d+)(\.\d+)?\*", text)]
            if groups:
                m = groups[where % len(groups)]
                out[m.start(1) : m.start(1)] = b"0" * 12 if where & 1 else b"9" * 12
            continue
        spans = [m for m in re.finditer(rb"\(([^()]*)\)", text)]
        if not spans:
            continue
        m = spans[where % len(spans)]
        a, b = m.start(1), m.end(1)
        inner = text[a:b]
        if edit == "digit":
            digits = [i for i, c in enumerate(inner) if 0x30 <= c <= 0x39]
            if digits:
                i = a + digits[where % len(digits)]
                out[i] = 0x30 + (out[i] - 0x30 + 1 + where % 9) % 10
        elif edit == "unit_case" and b"*" in inner:
            star = inner.index(b"*")
            out[a + star + 1 : b] = inner[star + 1 :].swapcase()
        elif edit == "unit" and b"*" in inner:
            star = inner.index(b"*")
            out[a + star + 1 : b] = (b"", b"Wh", b" kWh", b"kW ")[where % 4]
        elif edit == "flag" and inner[-1:] in (b"W", b"S"):
            out[b - 1] = ord("S") if inner[-1:] == b"W" else ord("W")
        elif edit == "sign" and inner[:1].isdigit():
            out[a:a] = b"-" if where & 1 else b"+"
        elif edit == "zeros" and inner[:1].isdigit():
            out[a:a] = b"00"
        elif edit == "empty":
            out[a:b] = b""
        elif edit == "letter" and inner:
            out[a + where % len(inner)] = ord("x")
        elif edit == "space" and inner:
            out[a:a] = b" "
        elif edit == "point" and b"." in inner:
            dot = inner.index(b".")
            out[a + dot : a + dot + 1] = b"" if where & 1 else b".."
    return bytes(out)


@needs_compiled
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(MUTATION_BASES),
    st.lists(st.tuples(_EDITS, st.integers(0, 10_000)), min_size=1, max_size=3),
    st.booleans(),
)
def test_mutated_telegrams_are_written_as_the_reference_or_left_alone(
    name: str, edits: list[tuple[str, int]], fix_crc: bool
) -> None:
    frame, checker = _base(name)
    mutated = _mutate(frame, edits)
    if fix_crc:
        mutated = _with_crc(mutated)
    checker.feed(mutated)  # (asserts the line when written)
    assert checker.writer.mismatches == 0


@needs_compiled
def test_mutations_that_keep_a_telegram_plain_take_the_fast_path() -> None:
    """The mutation test above proves something only if many mutants are written fast."""
    frame, _ = _base("nl/dsmr50_landis_e350.txt")
    checker = Checker()
    checker.feed(frame)
    written = 0
    for where in range(40):
        for edits in (
            [("digit", where)],
            [("zeros", where)],
            [("unit_case", where)],
            [("digit", where), ("lf", 0)],
            [("blank", where)],
        ):
            written += checker.feed(_with_crc(_mutate(frame, edits)))
        written += checker.feed(_mutate(frame, [("digit", where), ("crc", 0)]))  # bad CRC
    assert written >= 150
    assert checker.writer.mismatches == 0


# ---- the command: the same output with the fast path and without it


def _mixed_capture() -> bytes:
    """Telegrams of several families, fresh copies, and damaged records between them."""
    parts: list[bytes] = []
    for name in MUTATION_BASES + ["nl/dsmr22_iskra_mt382.txt", "de/easymeter_q3da1004.txt"]:
        frame = _frames((FIXTURES / name).read_bytes())[0]
        parts.append(frame)
        parts.extend(fresh_telegrams(frame, 40, seed=3))
        parts.append(frame[: len(frame) // 2])  # cut off by the next header: damaged
        parts.append(frame[:-4] + b"0000")  # a bad CRC
        parts.append(b"some junk between telegrams")
        parts.extend(fresh_telegrams(frame, 5, seed=4))
    parts.append((FIXTURES / "streams/garbage_between_telegrams.txt").read_bytes())
    return b"\r\n".join(parts) + b"\r\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parse_writes_the_same_lines_with_and_without_the_fast_path(
    twin: str, jobs: str, tmp_path: Path
) -> None:
    capture = tmp_path / "mixed.txt"
    capture.write_bytes(_mixed_capture() * 3)
    results = {}
    for fast in ("0", "1"):
        out = tmp_path / f"out{fast}.jsonl"
        errors = tmp_path / f"errors{fast}.jsonl"
        env = env_for(twin, DSMRPARSE_JSONL_FAST=fast)
        run = cli(
            "parse",
            str(capture),
            "-o",
            str(out),
            "--errors",
            str(errors),
            "--jobs",
            jobs,
            twin=twin,
            env=env,
        )
        summary = re.sub(r" in [\d.]+ s, [\d.]+ MB/s", "", run.stderr)
        results[fast] = (run.returncode, summary, out.read_bytes(), errors.read_bytes())
    assert results["0"] == results["1"]
    code, summary, lines, errors = results["1"]
    assert lines.count(b"\n") > 400 and errors.count(b"\n") >= 10
    assert b'"status":"bad"' in lines and b'"record":"damaged"' in lines


def test_parse_to_stdout_is_the_same_with_and_without_the_fast_path(
    twin: str, tmp_path: Path
) -> None:
    capture = tmp_path / "mixed.txt"
    capture.write_bytes(_mixed_capture())
    outs = []
    for fast in ("0", "1"):
        run = cli(
            "parse",
            str(capture),
            "--format",
            "jsonl",
            twin=twin,
            env=env_for(twin, DSMRPARSE_JSONL_FAST=fast),
        )
        outs.append((run.returncode, run.stdout))
    assert outs[0] == outs[1]
    assert outs[1][1].count("\n") > 100


def test_the_fast_path_is_on_only_where_the_compiled_writer_is(twin: str) -> None:
    assert _jsonl.enabled() == (twin == "cython")


@needs_compiled
def test_crc_variants_are_written_as_the_full_parse_judges_them() -> None:
    """LF telegrams with the CRC over the CRLF form or over the bytes as sent, a missing CRC
    where the profile wants one, a bad one, a 3-digit one."""
    assert COMPILED is not None
    frame, _ = _base("nl/dsmr50_landis_e350.txt")
    lf = _mutate(frame, [("lf", 0)])
    body = lf[: lf.rindex(b"!") + 1]
    crlf_body = frame[: frame.rindex(b"!") + 1]
    variants = {
        "lf, CRC of the CRLF form": body + b"%04X" % COMPILED.crc16(crlf_body),
        "lf, CRC of the bytes as sent": body + b"%04X" % COMPILED.crc16(body),
        "lf, bad CRC": body + b"0000",
        "crlf, no CRC": crlf_body,
        "crlf, bad CRC": crlf_body + b"FFFF",
        "crlf, lowercase CRC": crlf_body + (b"%04x" % COMPILED.crc16(crlf_body)),
    }
    for name, variant in variants.items():
        checker = Checker()
        checker.feed(variant)  # learns this layout (its line ends are part of it)
        assert checker.feed(variant), name
        assert checker.feed(_with_crc(_mutate(variant, [("digit", 3)]))), name
        assert checker.writer.mismatches == 0
