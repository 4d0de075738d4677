"""The sans-IO session on its own: bytes and times in, actions and items out. No sockets, no
sleeping: the clock is a number the test moves."""

from __future__ import annotations

import pytest

import dsmrparse
from dsmrparse.errors import SourceError
from dsmrparse.sources.common import Backoff, Pipeline, make_options
from dsmrparse.sources.links import LinkLost, SerialSetting, serial_settings
from dsmrparse.sources.session import (
    STOP,
    Close,
    Connect,
    Poll,
    PollSession,
    Read,
    SerialPlan,
    StreamSession,
    Wait,
)
from test_hardware_support import GOOD, body


def stream(kind: str = "socket", **options: object) -> StreamSession:
    opts = make_options(options)
    pipe = Pipeline(opts, "test")
    settings: list[SerialSetting | None]
    settings = list(serial_settings(opts.serial)) if kind == "serial" else [None]
    return StreamSession(
        kind, opts, pipe, Backoff(opts, "test", pipe.stats), SerialPlan(settings, opts.auto_window)
    )


def test_a_telegram_in_two_pieces_comes_out_whole(twin: str) -> None:
    s = stream()
    assert s.next(0.0) == Connect(None)
    s.opened(0.0)
    assert isinstance(s.next(0.0), Read)
    assert s.received(GOOD[:100], 0.1) == []
    (t,) = s.received(GOOD[100:], 0.2)
    assert isinstance(t, dsmrparse.Telegram) and body(t.raw) == body(GOOD)
    assert s.pipe.stats.connects == 1 and s.pipe.stats.bytes == len(GOOD)


def test_the_watchdog_closes_at_its_time_and_the_back_off_doubles() -> None:
    s = stream(watchdog=5.0, reconnect_delay=1.0, reconnect_max=8.0, yield_errors=True)
    s.next(0.0)
    s.opened(0.0)
    assert s.next(4.9) == Read(pytest.approx(0.1))  # the read ends when the watchdog is due
    action = s.next(5.0)
    assert isinstance(action, Close) and "watchdog" in (action.reason or "")
    (skipped,) = s.closed(5.0)
    assert skipped.kind == "connection"
    assert s.next(5.5) == Wait(0.5)  # the first back-off is reconnect_delay
    assert s.next(6.0) == Connect(None)
    s.open_failed(LinkLost("connection refused"), 6.0)
    assert s.next(6.0) == Wait(0.5)  # waits are cut into ticks of at most half a second
    assert s.until == pytest.approx(8.0)  # the second failure in a row waits twice as long


def test_a_cut_telegram_is_damaged_never_whole(twin: str) -> None:
    s = stream(yield_errors=True)
    s.next(0.0)
    s.opened(0.0)
    s.received(GOOD[:200], 0.1)
    s.lost("reset by peer")
    assert s.next(0.2) == Close("link lost: reset by peer")
    kinds = [i.kind for i in s.closed(0.2)]
    assert kinds == ["damaged", "connection"]


def test_end_of_a_file_stops() -> None:
    s = stream("file")
    s.next(0.0)
    s.opened(0.0)
    s.ended()
    assert isinstance(s.next(0.0), Close)
    s.closed(0.0)
    assert s.next(0.0) is STOP


def test_auto_mode_moves_to_the_next_setting_when_no_good_telegram_comes() -> None:
    s = stream("serial", auto_window=25.0, yield_errors=True)
    first = s.next(0.0)
    assert first == Connect(SerialSetting(115200, 8, "N", 1))
    s.opened(0.0)
    s.received(b"\x00garbage at the wrong baud rate\xff" * 10, 1.0)
    assert isinstance(s.next(24.0), Read)
    action = s.next(25.0)
    assert isinstance(action, Close) and "trying 9600 7E1" in (action.reason or "")


def test_out_of_retries_after_the_items_due() -> None:
    s = stream(retries=0, yield_errors=True)
    s.next(0.0)
    items = s.open_failed(LinkLost("connection refused by 127.0.0.1:9"), 0.0)
    assert [i.kind for i in items] == ["connection"]  # handed out first...
    with pytest.raises(SourceError, match="giving up after 1 failures in a row: connection"):
        s.next(0.0)  # ...then the error


def test_polls_keep_their_rhythm_from_the_start_of_each_poll() -> None:
    opts = make_options({"interval": 2.0, "reconnect_delay": 1.0})
    p = PollSession(opts, Backoff(opts, "test"))
    assert p.next(10.0) == Poll()
    p.polled(True, None, 10.7)  # the poll took 0.7 s
    assert p.next(11.5) == Wait(0.5)
    assert p.next(12.0) == Poll()  # 2 s after the start of the last one
    p.polled(False, "HTTP 500", 12.1)
    assert p.until == pytest.approx(13.1)  # a failure backs off from its end


def test_import_dsmrparse_loads_no_source_module() -> None:
    """``import dsmrparse`` stays light: the sources load with the first ``dsmrparse.open``."""
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src"
    code = (
        "import sys, dsmrparse\n"
        "bad = [m for m in sys.modules if m.startswith(('dsmrparse.sources', 'dsmrparse.hardware',"
        " 'serial', 'websocket', 'ssl', 'asyncio'))]\n"
        "print(bad)\n"
        "dsmrparse.open('socket://127.0.0.1:9')\n"
        "print('dsmrparse.sources.session' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": ""},
        timeout=60,
    )
    assert done.stdout.split("\n")[:2] == ["[]", "True"], done.stdout + done.stderr
