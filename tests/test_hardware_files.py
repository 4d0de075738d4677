"""Files and pipes through the live-source interface, and ``dsmrparse read`` on every source."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import dsmrparse
from dsmrparse import _cli_read
from test_hardware_support import (
    FIXTURES,
    GOOD,
    GOOD_B,
    Bridge,
    Meter,
    Pty,
    TcpServer,
    atake,
    body,
    forever,
    serve_telegrams,
    take,
)

STREAM = FIXTURES / "streams/garbage_between_telegrams.txt"
# the directory holding the dsmrparse package this test process imported (installed or src/),
# so that subprocesses run the same build, compiled twin included
SRC = str(Path(dsmrparse.__file__).resolve().parent.parent)


def test_a_captured_file_is_read_to_its_end(twin):
    src = dsmrparse.open(str(STREAM), yield_errors=True)
    items = list(src)
    telegrams = [t for t in items if isinstance(t, dsmrparse.Telegram)]
    assert len(telegrams) == 2 and all(t.crc == "ok" for t in telegrams)
    assert src.stats.skipped.get("junk", 0) >= 1


def test_a_compressed_capture(tmp_path, twin):
    path = tmp_path / "capture.txt.gz"
    path.write_bytes(gzip.compress(GOOD + b"noise\r\n" + GOOD_B))
    assert [body(t.raw) for t in dsmrparse.open(str(path))] == [body(GOOD), body(GOOD_B)]


def test_async_file(twin):
    items = asyncio.run(atake(dsmrparse.open(str(STREAM)), 2))
    assert [t.crc for t in items] == ["ok", "ok"]


ENCRYPTED = FIXTURES / "at/sagemcom_t210dr_encrypted.bin"
AT_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
AT_AUTH = "00112233445566778899AABBCCDDEEFF"


def test_encrypted_frames_are_opened_with_a_key(tmp_path, twin):
    pytest.importorskip("cryptography")
    path = tmp_path / "encrypted.bin"
    path.write_bytes(ENCRYPTED.read_bytes() * 2)
    plain = (FIXTURES / "at/sagemcom_t210dr_plaintext.txt").read_bytes()
    items = list(dsmrparse.open(str(path), key=AT_KEY, auth_key=AT_AUTH, dedupe=False))
    assert len(items) == 2
    assert all(t.crc == "ok" and body(t.raw) == body(plain) for t in items)


def test_an_encrypted_frame_without_key_or_with_a_wrong_key_is_skipped(tmp_path, twin):
    pytest.importorskip("cryptography")
    path = tmp_path / "encrypted.bin"
    path.write_bytes(ENCRYPTED.read_bytes())
    src = dsmrparse.open(str(path))
    assert list(src) == [] and src.stats.skipped.get("encrypted") == 1
    wrong = dsmrparse.open(str(path), key="BB" * 16, auth_key=AT_AUTH, yield_errors=True)
    (record,) = list(wrong)
    assert record.kind == "encrypted" and "decryption failed" in record.message


def test_a_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(dsmrparse.SourceError):
        list(dsmrparse.open(str(tmp_path / "nope.txt")))


def test_follow_a_capture_being_written(tmp_path):
    path = tmp_path / "live.txt"
    path.write_bytes(GOOD[:200])

    def writer():
        time.sleep(0.3)
        with open(path, "ab") as f:
            f.write(GOOD[200:] + GOOD_B)

    threading.Thread(target=writer, daemon=True).start()
    got = take(dsmrparse.open(str(path), follow=True), 2, limit=5)
    assert [body(t.raw) for t in got] == [body(GOOD), body(GOOD_B)]


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="unknown source option"):
        dsmrparse.open("-", baud=9600)


# ---- dsmrparse read ----------------------------------------------------------------------------


def _read(argv: list[str], capsysbinary) -> tuple[list[dict], str, int]:
    parser = argparse.ArgumentParser(prog="dsmrparse")
    _cli_read.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["read", *argv])
    code = args.func(args)
    out, err = capsysbinary.readouterr()
    return [json.loads(line) for line in out.splitlines()], err.decode(), code


def test_read_a_file(capsysbinary):
    lines, err, code = _read([str(STREAM)], capsysbinary)
    assert code == 0 and len(lines) == 2
    assert lines[0]["format"] == "dsmrparse/1" and lines[0]["crc"]["status"] == "ok"
    assert "junk" in err  # what was skipped goes to stderr


def test_read_over_tcp_with_count(capsysbinary):
    stop = threading.Event()

    def handler(conn, n):
        stop.wait(0.2)
        serve_telegrams(stop, conn, forever(GOOD))

    with TcpServer(handler) as server:
        lines, _, code = _read([server.url, "--count", "2", "--gas-channel", "1"], capsysbinary)
        stop.set()
    assert code == 0 and len(lines) == 2 and lines[1]["mbus_channels"]["gas"] == 1


def test_read_a_serial_port(capsysbinary):
    pty = Pty()
    try:
        with Meter(pty.write, forever(GOOD)):
            lines, _, code = _read(
                [pty.path, "-n", "1", "--serial", "dsmr5", "--profile", "dsmr5"], capsysbinary
            )
    finally:
        pty.close()
    assert code == 0 and lines[0]["profile"] == "dsmr5"


def test_read_an_http_bridge_json_and_raw(capsysbinary):
    data = b'{"total_power_import_t1_kwh": 10.5, "active_power_w": 120}'
    with Bridge(
        {
            "/api": [(200, b'{"product_type": "HWE-P1"}')],
            "/api/v1/data": [(200, data)],
            "/api/v1/telegram": [(200, GOOD)],
        }
    ) as b:
        lines, _, code = _read(
            [b.url, "--http", "json", "-n", "1", "--interval", "0.05"], capsysbinary
        )
        assert code == 0 and lines[0]["format"] == "dsmrparse/bridge/1"
        fields = {f["name"]: f["value"] for f in lines[0]["fields"]}
        assert fields["electricity_imported_tariff_1"] == 10.5 and fields["power_imported"] == 0.12
        lines, _, code = _read([b.url, "-n", "1"], capsysbinary)
    assert code == 0 and lines[0]["crc"]["status"] == "ok"


def test_read_gives_up_with_exit_code_3(capsysbinary):
    from test_hardware_support import free_port

    lines, err, code = _read(
        [f"socket://127.0.0.1:{free_port()}", "--retries", "1", "--reconnect-delay", "0.05"],
        capsysbinary,
    )
    assert code == 3 and lines == [] and "giving up" in err


def test_read_refuses_a_bad_setting_with_exit_code_2(capsysbinary):
    lines, err, code = _read(["-", "--serial", "fast"], capsysbinary)
    assert code == 2 and lines == []


def test_read_stdin_through_the_real_command():
    env = dict(os.environ, PYTHONPATH=SRC)
    done = subprocess.run(
        [sys.executable, "-m", "dsmrparse", "read", "-", "--count", "2"],
        input=STREAM.read_bytes(),
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["crc"]["status"] == "ok"
