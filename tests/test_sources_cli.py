"""``dsmrparse read`` on mistaken addresses: a message and the documented exit code within a few
seconds (2 malformed, 3 not reached); the cause is logged once, not once per retry."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dsmrparse
from dsmrparse.errors import SourceError
from dsmrparse.sources.links import describe
from test_hardware_support import FAST, free_port

ROOT = Path(__file__).resolve().parent.parent


def read(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "dsmrparse", "read", *args, "--reconnect-delay", "0.05"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("address", "code", "message"),
    [
        ("socket://127.0.0.1", 2, "no port; use socket://HOST:PORT"),
        ("socket://127.0.0.1:70000", 2, "not a number from 1 to 65535; use socket://HOST:PORT"),
        ("socket://:23", 2, "no host; use socket://HOST:PORT"),
        ("serial://127.0.0.1:23", 2, "unknown scheme 'serial://'; use /dev/ttyUSB0"),
        ("http://:80", 2, "no host; use http://HOST[:PORT]"),
        ("tcp://127.0.0.1:{port}", 3, "not reached in 3 attempts: connection refused"),
        ("socket://127.0.0.1:{port}", 3, "connection refused by 127.0.0.1:"),
        ("http://127.0.0.1:{port}", 3, "connection refused"),
        ("/dev/ttyDSMRPARSE-ABSENT", 3, "no such device /dev/ttyDSMRPARSE-ABSENT"),
    ],
)
def test_a_mistaken_address_ends_with_a_message(address: str, code: int, message: str) -> None:
    if address.startswith("/dev/"):
        pytest.importorskip("serial")
    done = read(address.format(port=free_port()))
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_retries_given_keeps_trying_that_often() -> None:
    done = read(f"socket://127.0.0.1:{free_port()}", "--retries", "4")
    assert done.returncode == 3
    assert "not reached in 5 attempts: connection refused" in done.stderr
    assert done.stderr.count("connection refused") == 2  # logged once, then in the final error


def test_the_cause_is_logged_once_per_change(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dsmrparse.sources")
    src = dsmrparse.open(f"socket://127.0.0.1:{free_port()}", retries=5, **FAST)
    with pytest.raises(SourceError, match="connection refused"):
        list(src)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "connection refused" in warnings[0]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EACCES, "add your user to the 'dialout' group"),
        (errno.ENOENT, "no such device /dev/ttyUSB0"),
        (errno.ECONNREFUSED, "connection refused"),
    ],
)
def test_causes_in_words_a_user_can_act_on(code: int, words: str) -> None:
    assert words in describe(OSError(code, os.strerror(code)), "/dev/ttyUSB0")


def test_pyserial_wrapped_permission_error_gets_the_dialout_hint() -> None:
    serial = pytest.importorskip("serial")
    exc = serial.SerialException(
        "[Errno 13] could not open port /dev/ttyUSB0: [Errno 13] Permission denied"
    )
    assert "dialout" in describe(exc, "/dev/ttyUSB0")


def test_simulate_prints_an_address_read_accepts() -> None:
    from dsmrparse.simulate import _TcpSink

    rd, wr = os.pipe()
    with os.fdopen(wr, "w") as announce:
        sink = _TcpSink("127.0.0.1", 0, announce)
    line = os.fdopen(rd).readline()
    sink.close()
    address = line.split("serving on ", 1)[1].strip()
    assert address.startswith("socket://127.0.0.1:")
    assert dsmrparse.open(address).kind == "socket"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/index.html", "answers an HTML page, not a telegram or a known bridge's JSON"),
        ("", "answers HTTP but is no known bridge"),
    ],
)
def test_a_web_page_is_no_bridge(path: str, message: str) -> None:
    from test_sources_faults import HTML, answer, http_peer, in_turn, url

    with http_peer(in_turn(answer(200, HTML))) as server:
        done = read(url(server, path), "--interval", "0.1")
    assert done.returncode == 3, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
