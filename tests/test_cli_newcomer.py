"""The command as a newcomer meets it: one rule for "nothing found", damaged compressed
captures, keys for encrypted meters, a table on a terminal, progress, option checks (real
subprocesses; a pseudo-terminal where the command must see a terminal)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from clirun import COMMAND, cli, env_for
from conftest import FIXTURES
from dsmrparse import columnar, iter_telegrams

CAPTURE = FIXTURES / "streams" / "iskra_am550_566_telegrams_lf.txt"
ENCRYPTED = FIXTURES / "at" / "sagemcom_t210dr_encrypted.bin"
AT_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
AT_AUTH = "00112233445566778899AABBCCDDEEFF"
PACKERS = {"gz": gzip.compress, "xz": lzma.compress, "bz2": lambda d: bz2.compress(d, 1)}


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


# -------------------------------------------------------------------------------------------
# one rule: exit 1 when a non-empty input gave no telegram; an empty input is not an error


def test_nothing_found_is_exit_1_for_every_command(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(os.urandom(3000).replace(b"/", b"x").replace(b"!", b"x"))
    for command in ("parse", "detect", "bench"):
        r = cli(command, str(junk), *(["--stage", "crc"] if command == "bench" else []))
        assert r.returncode == 1, (command, r.stderr)
        assert "no telegram found" in r.stderr and "Traceback" not in r.stderr
    r = cli("read", "-", input=junk.read_text("latin-1"))
    assert r.returncode == 1 and "no telegram found" in r.stderr
    for command in ("parse", "detect"):
        r = cli(command, str(empty))
        assert r.returncode == 0 and "empty" in r.stderr, (command, r.stderr)
    assert cli("read", "-", input="").returncode == 0


# -------------------------------------------------------------------------------------------
# damaged compressed captures through the command


@pytest.mark.parametrize("suffix", list(PACKERS))
def test_truncated_capture_keeps_its_telegrams_and_exits_3(
    twin: str, tmp_path: Path, suffix: str
) -> None:
    packed = PACKERS[suffix](CAPTURE.read_bytes())
    path = tmp_path / f"cut.txt.{suffix}"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    r = cli("parse", str(path), twin=twin)
    assert r.returncode == 3, r.stderr
    lines = _lines(r.stdout)
    assert lines[-1]["record"] == "cut"
    telegrams = [x for x in lines if "record" not in x]
    assert len(telegrams) >= 566 // 3
    assert "cut: the compressed data ends early" in r.stderr and "Traceback" not in r.stderr
    # the same through a table, and with --jobs 2
    r2 = cli("parse", str(path), "-o", str(tmp_path / "x.csv"), "--jobs", "2", twin=twin)
    assert r2.returncode == 3
    rows = columnar.read_csv(tmp_path / "x.csv")
    assert len(rows) == len(telegrams)


@pytest.mark.parametrize("suffix", list(PACKERS))
def test_read_takes_compressed_stdin(tmp_path: Path, suffix: str) -> None:
    plain = cli("read", "-", input=CAPTURE.read_text("latin-1"))
    packed = PACKERS[suffix](CAPTURE.read_bytes())
    r = subprocess.run([*COMMAND, "read", "-"], input=packed, capture_output=True,
                       env=env_for(), timeout=120)  # fmt: skip
    assert r.returncode == 0 and r.stdout.decode() == plain.stdout
    assert len(plain.stdout.splitlines()) == 566
    cut = subprocess.run([*COMMAND, "read", "-"], input=packed[: len(packed) // 2],
                         capture_output=True, env=env_for(), timeout=120)  # fmt: skip
    assert cut.returncode == 3 and b"ends early" in cut.stderr
    got = cut.stdout.decode().splitlines()
    assert got and plain.stdout.splitlines()[: len(got)] == got


# -------------------------------------------------------------------------------------------
# keys for encrypted meters


def test_keys_for_parse_detect_and_read(twin: str) -> None:
    r = cli("detect", str(ENCRYPTED), twin=twin)
    assert r.returncode == 1 and "--key" in r.stderr
    r = cli("detect", str(ENCRYPTED), "--key", AT_KEY, "--auth-key", AT_AUTH, twin=twin)
    assert r.returncode == 0 and "austria" in r.stdout
    env = env_for(twin, DSMRPARSE_KEY=AT_KEY, DSMRPARSE_AUTH_KEY=AT_AUTH)
    r = cli("parse", str(ENCRYPTED), env=env)
    assert r.returncode == 0, r.stderr
    (telegram,) = _lines(r.stdout)
    assert telegram["profile"] == "austria" and telegram["crc"]["status"] == "ok"  # type: ignore[index]
    r = cli("read", str(ENCRYPTED), env=env)
    assert r.returncode == 0 and _lines(r.stdout)[0]["profile"] == "austria"
    r = cli("parse", str(ENCRYPTED), "-f", "csv", "--jobs", "2", env=env)  # into columns
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2, r.stderr
    r = cli("parse", str(ENCRYPTED), "--key", "not hex")
    assert r.returncode == 2 and "--key is not hex" in r.stderr
    r = cli("parse", str(ENCRYPTED), "--key", "BB" * 16, "--auth-key", AT_AUTH)
    assert r.returncode == 1 and _lines(r.stdout)[0]["record"] == "encrypted"


def test_iter_telegrams_takes_keys_and_bytes(twin: str) -> None:
    data = ENCRYPTED.read_bytes()
    (item,) = iter_telegrams(data, key=AT_KEY, auth_key=AT_AUTH)
    assert item.profile == "austria"  # type: ignore[union-attr]
    (item,) = iter_telegrams(data)
    assert item.kind == "encrypted" and "needs a key" in item.error  # type: ignore[union-attr]
    assert len([x for x in iter_telegrams(CAPTURE.read_bytes()) if hasattr(x, "crc")]) == 566
    with pytest.raises(TypeError, match="a path, '-', bytes or a binary file"):
        list(iter_telegrams(12345))  # type: ignore[arg-type]


def test_read_csv_takes_a_path(tmp_path: Path) -> None:
    out = tmp_path / "day.csv"
    assert cli("parse", str(CAPTURE), "-o", str(out)).returncode == 0
    by_path = columnar.read_csv(out)
    with open(out, newline="") as handle:
        by_file = columnar.read_csv(handle)
    assert len(by_path) == len(by_file) == 566
    assert by_path.column("power_imported") == by_file.column("power_imported")
    with pytest.raises(ValueError, match="not a dsmrparse CSV"):
        columnar.read_csv(io.StringIO("a,b\n1,2\n"))


# -------------------------------------------------------------------------------------------
# a terminal: a table, progress; pipes and files keep JSON lines


def _on_terminal(*argv: str, stdout_tty: bool, stderr_tty: bool) -> tuple[int, str, str]:
    """Run with stdout and/or stderr on a pseudo-terminal: (exit code, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*COMMAND, *argv],
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE,
        env=env_for(),
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the command ended and closed the terminal
            break
        if not data:
            break
        seen += data
    os.close(master)
    code = proc.wait(timeout=120)
    piped_out = proc.stdout.read().decode() if proc.stdout else ""
    piped_err = proc.stderr.read().decode() if proc.stderr else ""
    terminal = seen.decode("latin-1").replace("\r\n", "\n")
    return code, terminal if stdout_tty else piped_out, terminal if stderr_tty else piped_err


def test_a_terminal_gets_a_table_and_a_pipe_json_lines() -> None:
    code, out, err = _on_terminal("parse", "--example", "--count", "3", stdout_tty=True,
                                  stderr_tty=False)  # fmt: skip
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split() == ["time", "import", "kW", "export", "kW", "imported", "kWh",
                               "exported", "kWh", "gas", "CRC"]  # fmt: skip
    assert len(rows) == 4 and all(r.startswith("2024-06-01T12:00:0") for r in rows[1:])
    assert rows[1].split()[-1] == "ok" and "m3" in rows[1]
    assert "--format jsonl" in err
    r = cli("parse", "--example", "--head", "3")  # a pipe
    assert [x["format"] for x in _lines(r.stdout)] == ["dsmrparse/1"] * 3


def test_progress_on_a_terminal_only(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(CAPTURE.read_bytes() * 8)
    code, _, err = _on_terminal("parse", str(big), "-o", str(tmp_path / "x.jsonl"),
                                stdout_tty=False, stderr_tty=True)  # fmt: skip
    assert code == 1  # (the seams between the copies are damaged telegrams)
    assert re.search(r"\d+\.\d% of 3\.4 MB, +\d+ s left", err), err
    packed = tmp_path / "big.txt.gz"
    packed.write_bytes(gzip.compress(big.read_bytes()))
    size = f"{packed.stat().st_size / 1e6:.1f} MB"
    code, _, err = _on_terminal("parse", str(packed), "-o", str(tmp_path / "z.jsonl"),
                                stdout_tty=False, stderr_tty=True)  # fmt: skip
    assert code == 1 and re.search(r"\d+\.\d% of " + re.escape(size), err), err
    r = cli("parse", str(big), "-o", str(tmp_path / "y.jsonl"))
    assert "% of" not in r.stderr and "\r" not in r.stderr


def test_count_for_every_format(tmp_path: Path) -> None:
    r = cli("parse", str(CAPTURE), "--count", "5", "--jobs", "2")
    assert sum("record" not in x for x in _lines(r.stdout)) == 5
    assert cli("parse", str(CAPTURE), "-n", "5", "-o", str(tmp_path / "x.csv")).returncode == 0
    assert len(columnar.read_csv(tmp_path / "x.csv")) == 5
    assert cli("parse", str(CAPTURE), "--count", "0").returncode == 2


# -------------------------------------------------------------------------------------------
# options that were silently wrong


def test_unknown_output_suffix_is_a_usage_error(tmp_path: Path) -> None:
    r = cli("parse", str(CAPTURE), "-o", str(tmp_path / "out.xml"))
    assert r.returncode == 2 and "--format" in r.stderr
    assert not list(tmp_path.iterdir())
    r = cli("parse", str(CAPTURE), "-o", str(tmp_path / "out.xml"), "--format", "jsonl", "-n", "1")
    assert r.returncode == 0 and (tmp_path / "out.xml").read_text().startswith('{"format"')


def test_simulate_refuses_a_negative_count() -> None:
    r = cli("simulate", "--count", "-1")
    assert r.returncode == 2 and "--count" in r.stderr and r.stdout == ""


def test_version_names_the_twin(twin: str) -> None:
    r = cli("--version", twin=twin)
    assert r.returncode == 0 and f"({twin} twin" in r.stdout


def test_read_serial_help_and_the_docs_name_the_same_settings() -> None:
    from dsmrparse.sources.links import serial_settings

    helptext = " ".join(cli("read", "--help").stdout.split())
    row = next(
        line for line in (Path(__file__).parent.parent / "docs" / "sources.md").read_text()
        .splitlines() if line.startswith("| `serial` |")
    )  # fmt: skip
    documented = set(re.findall(r'`"([a-z0-9-]+)"`', row)) - {"auto"}
    serial_help = helptext.split("--serial SETTING ", 1)[1].split(" --", 1)[0]
    helped = set(re.findall(r"\b(dsmr[0-9a-z-]*)\b", serial_help))
    assert documented and documented == helped
    for name in helped:
        assert serial_settings(name)


def test_bench_and_simulate_show_progress_on_a_terminal(tmp_path: Path) -> None:
    code, out, err = _on_terminal("bench", "--profile", "dsmr5", "-n", "20", "--repeat", "1",
                                  stdout_tty=False, stderr_tty=True)  # fmt: skip
    assert code == 0 and "dsmr5" in out
    assert re.search(r"\d+/7 measurements \(\d+%\)", err), err
    code, out, err = _on_terminal("simulate", "--count", "3000", "-o", str(tmp_path / "s.txt"),
                                  stdout_tty=False, stderr_tty=True)  # fmt: skip
    assert code == 0 and (tmp_path / "s.txt").stat().st_size > 0
    assert re.search(r"\d+/3000 telegrams \(\d+%\)", err), err
    r = cli("simulate", "--count", "30", "-o", str(tmp_path / "t.txt"))
    assert r.returncode == 0 and "telegrams (" not in r.stderr
