"""The P1 serial path against a real pseudo-terminal: pyserial opens the slave end, the test
writes telegrams into the master as a meter would."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

import dsmrparse
from dsmrparse.hardware import Skipped
from test_hardware_support import (
    BAD_CRC,
    DSMR22,
    FAST,
    GOOD,
    GOOD_B,
    Meter,
    Pty,
    atake,
    body,
    forever,
    take,
    with_parity,
)

pytest.importorskip("serial", reason="pyserial (the 'serial' extra) is needed for serial sources")


@pytest.fixture
def pty():
    p = Pty()
    yield p
    p.close()


def test_telegrams_from_a_serial_port(twin, pty):
    with Meter(pty.write, forever(GOOD, GOOD_B)):
        got = take(dsmrparse.open(pty.path, serial="dsmr5", **FAST), 3, kinds=(dsmrparse.Telegram,))
    telegrams = [t for t in got if isinstance(t, dsmrparse.Telegram)]
    assert len(telegrams) == 3
    assert all(t.crc == "ok" for t in telegrams)
    assert {body(t.raw) for t in telegrams} <= {body(GOOD), body(GOOD_B)}


def test_one_byte_chunks(twin, pty):
    with Meter(pty.write, forever(GOOD), period=0.02, chunk=1):
        got = take(dsmrparse.open(pty.path, **FAST), 2, kinds=(dsmrparse.Telegram,))
    # the CR LF after the CRC belongs to the frame only when it came with it: compare without
    assert [body(t.raw) for t in got if isinstance(t, dsmrparse.Telegram)] == [body(GOOD)] * 2


def test_noise_between_telegrams_is_skipped_and_reported(twin, pty):
    seen: list[Skipped] = []
    with Meter(pty.write, forever(GOOD, b"\x00\xffnoise here\r\n", GOOD_B)):
        src = dsmrparse.open(pty.path, on_error=seen.append, **FAST)
        got = take(src, 3, kinds=(dsmrparse.Telegram,))
    assert sum(isinstance(t, dsmrparse.Telegram) for t in got) == 3
    assert any(s.kind == "junk" and b"noise" in (s.data or b"") for s in seen)
    assert src.stats.skipped.get("junk", 0) >= 1


def test_bad_crc_is_reported_and_the_next_telegram_read(twin, pty):
    with Meter(pty.write, forever(BAD_CRC, GOOD)):
        got = take(
            dsmrparse.open(pty.path, yield_errors=True, **FAST), 2, kinds=(dsmrparse.Telegram,)
        )
    crc = [s for s in got if isinstance(s, Skipped) and s.kind == "crc"]
    assert crc and crc[0].telegram is not None and crc[0].telegram.crc == "bad"
    assert "CRC mismatch" in crc[0].message
    assert all(t.crc == "ok" for t in got if isinstance(t, dsmrparse.Telegram))


def test_bad_crc_can_be_accepted(pty):
    with Meter(pty.write, forever(BAD_CRC)):
        got = take(dsmrparse.open(pty.path, accept_bad_crc=True, **FAST), 1)
    assert isinstance(got[0], dsmrparse.Telegram) and got[0].crc == "bad"


def test_seven_bit_data_on_an_eight_bit_line_is_masked(twin, pty):
    with Meter(pty.write, forever(with_parity(GOOD))):
        got = take(
            dsmrparse.open(pty.path, serial="115200 8N1", **FAST), 2, kinds=(dsmrparse.Telegram,)
        )
    telegrams = [t for t in got if isinstance(t, dsmrparse.Telegram)]
    assert telegrams and body(telegrams[-1].raw) == body(GOOD) and telegrams[-1].crc == "ok"


def test_seven_bit_masking_can_be_turned_off(pty):
    with Meter(pty.write, forever(with_parity(GOOD))):
        got = take(
            dsmrparse.open(pty.path, seven_bit=False, yield_errors=True, **FAST), 3, limit=1.0
        )
    assert not any(isinstance(t, dsmrparse.Telegram) for t in got)


def test_auto_mode_moves_on_until_a_good_telegram_arrives(pty):
    start = time.monotonic()

    def frames():
        while time.monotonic() - start < 0.6:  # a wrong baud rate looks like this
            yield b"\x12\x34garbled line\r\n"
        yield from forever(DSMR22)

    with Meter(pty.write, frames(), period=0.05):
        src = dsmrparse.open(pty.path, serial="auto", auto_window=0.4, yield_errors=True, **FAST)
        got = take(src, 1, kinds=(dsmrparse.Telegram,))
    assert any(isinstance(s, Skipped) and "trying 9600 7E1" in s.message for s in got)
    assert str(src.serial_setting) == "9600 7E1"
    assert isinstance(got[-1], dsmrparse.Telegram) and got[-1].crc == "absent"


def test_auto_tries_the_three_dsmr_line_settings():
    from dsmrparse.sources.links import serial_settings

    assert [str(s) for s in serial_settings("auto")] == ["115200 8N1", "9600 7E1", "115200 7E1"]
    assert [str(s) for s in serial_settings("dsmr22")] == ["9600 7E1"]
    with pytest.raises(ValueError):
        serial_settings("fast please")


def test_request_line_is_raised_where_the_port_has_one(pty):
    # a pseudo-terminal has no modem lines; asking for them must not stop the reading
    with Meter(pty.write, forever(GOOD)):
        got = take(dsmrparse.open(pty.path, request_line="both", **FAST), 1)
    assert isinstance(got[0], dsmrparse.Telegram)


def test_silence_fires_the_watchdog_and_reading_resumes(pty):
    start = time.monotonic()

    def frames():
        yield GOOD
        while time.monotonic() - start < 0.9:  # the meter goes quiet
            yield b""
        yield from forever(GOOD)

    with Meter(pty.write, frames(), period=0.05):
        src = dsmrparse.open(pty.path, watchdog=0.4, yield_errors=True, **FAST)
        got = take(src, 2, kinds=(dsmrparse.Telegram,))
    assert any(isinstance(s, Skipped) and "watchdog" in s.message for s in got)
    assert sum(isinstance(t, dsmrparse.Telegram) for t in got) == 2
    assert src.stats.reconnects >= 1


def test_device_that_vanishes_and_returns(tmp_path):
    # a udev-style symlink (like /dev/serial/by-id/...) that points at the device while it is there
    link = tmp_path / "ttyP1"
    first = Pty()
    os.symlink(first.path, link)
    second: Pty | None = None
    try:
        with Meter(first.write, forever(GOOD)):
            src = dsmrparse.open(str(link), serial="dsmr5", yield_errors=True, **FAST)
            it = iter(src)
            assert isinstance(next(it), dsmrparse.Telegram)
        first.close()  # unplugged
        os.unlink(link)
        events = []
        for item in it:  # the link is lost, reopening fails at least once
            events.append(item)
            if sum(isinstance(e, Skipped) and e.kind == "connection" for e in events) >= 2:
                break
        second = Pty()  # plugged in again: a new device node behind the same name
        os.symlink(second.path, link)
        with Meter(second.write, forever(GOOD_B)):
            for item in it:
                if isinstance(item, dsmrparse.Telegram):
                    assert body(item.raw) == body(GOOD_B)
                    break
        src.close()
        assert src.stats.reconnects >= 1
    finally:
        first.close()
        if second is not None:
            second.close()


def test_async_serial(twin, pty):
    with Meter(pty.write, forever(GOOD)):
        got = asyncio.run(atake(dsmrparse.open(pty.path, **FAST), 2, kinds=(dsmrparse.Telegram,)))
    assert [body(t.raw) for t in got if isinstance(t, dsmrparse.Telegram)] == [body(GOOD)] * 2
