"""The sans-IO session on its own: bytes and times in, actions and items out. No sockets, no
sleeping: the clock is a number the test moves."""

from __future__ import annotations

import pytest

import dsmrparse
from dsmrparse.errors import SourceError
from dsmrparse.sources.common import Backoff, Pipeline, make_options
from dsmrparse.sources.fields import BridgeReading
from dsmrparse.sources.homewizard_ws import HomeWizardPush
from dsmrparse.sources.links import LinkLost, SerialSetting, serial_settings
from dsmrparse.sources.session import (
    STOP,
    Close,
    Connect,
    Poll,
    PollSession,
    Read,
    Send,
    SerialPlan,
    StreamSession,
    Wait,
)
from dsmrparse.sources.ws import LoggerWs
from dsmrparse.sources.ws_session import ANSWER_TIME, MessageSession, WsProtocol
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


# ---- the websocket bridges' session -------------------------------------------------------------

ANSWER = [  # the three frames of one DSMRloggerWS answer
    b"msgType=Actual,TS=210419050000S,ED=2529.156,EDT1=2332.511,GD=2963.380",
    b"msgType=Actual,PD=1.000,PD_l1=412",
    b"msgType=Actual,V_l1=229.0,theTime=2021-04-19 05:00",
]


def messages(make: type, **options: object) -> MessageSession:
    opts = make_options(options)
    pipe = Pipeline(opts, "test")
    protocol: WsProtocol = make(pipe) if make is LoggerWs else make("wss://192.0.2.1", pipe)
    return MessageSession(opts, pipe, Backoff(opts, "test", pipe.stats), protocol)


def test_dsmrloggerws_is_asked_at_its_interval_and_three_frames_are_one_reading() -> None:
    s = messages(LoggerWs, interval=2.0, watchdog=None)
    assert s.next(0.0) == Connect(None)
    s.opened(0.0)
    assert s.next(0.0) == Send("tabActual")  # asked at once
    assert s.sent(0.0) == []
    assert s.next(0.5) == Read(0.5)
    assert s.received((True, ANSWER[0]), 0.6) == []
    assert s.received((True, ANSWER[1]), 0.7) == []
    (r,) = s.received((True, ANSWER[2]), 0.8)
    assert isinstance(r, BridgeReading) and str(r["power_imported_l1"]) == "0.412"
    read = s.next(1.9)  # a read that ends when the next question is due
    assert isinstance(read, Read) and read.timeout == pytest.approx(0.1)
    assert s.next(2.0) == Send("tabActual")  # 2 s after the last question
    assert s.pipe.stats.telegrams == 1 and s.pipe.stats.bytes == sum(map(len, ANSWER))


def test_a_question_waits_for_an_answer_still_coming_in() -> None:
    s = messages(LoggerWs, interval=0.05, watchdog=None)
    s.next(0.0)
    s.opened(0.0)
    s.next(0.0)
    s.received((True, ANSWER[0]), 0.01)
    assert isinstance(s.next(0.5), Read)  # due at 0.05, but the answer's frames get a second
    s.received((True, ANSWER[1]), 0.9)
    assert isinstance(s.next(0.9), Read)
    # a build that never sends theTime: its answer ends at the next question
    assert s.next(0.01 + ANSWER_TIME) == Send("tabActual")
    (r,) = s.sent(0.01 + ANSWER_TIME)
    assert isinstance(r, BridgeReading) and "power_imported" in r


def test_the_same_answer_again_is_counted_not_handed_out() -> None:
    s = messages(LoggerWs, watchdog=None)
    s.next(0.0)
    s.opened(0.0)
    for t in (0.1, 0.2):
        out = [i for m in ANSWER for i in s.received((True, m), t)]
    assert out == [] and s.pipe.stats.duplicates == 1 and s.pipe.stats.telegrams == 1


def test_the_watchdog_cuts_an_answer_in_progress_and_backs_off() -> None:
    s = messages(LoggerWs, interval=100.0, watchdog=5.0, reconnect_delay=1.0, yield_errors=True)
    s.next(0.0)
    s.opened(0.0)
    s.next(0.0)
    s.received((True, ANSWER[0]), 1.0)
    read = s.next(5.9)  # a read that ends when the watchdog is due
    assert isinstance(read, Read) and read.timeout == pytest.approx(0.1)
    action = s.next(6.0)
    assert isinstance(action, Close) and "watchdog" in (action.reason or "")
    assert [getattr(i, "kind", None) for i in s.closed(6.0)] == ["damaged", "connection"]
    assert s.next(6.5) == Wait(0.5)
    assert s.next(7.0) == Connect(None)


def test_homewizard_authorises_subscribes_then_hands_out_measurements() -> None:
    s = messages(HomeWizardPush, token="T0KEN", watchdog=None)
    s.next(0.0)
    s.opened(0.0)
    assert isinstance(s.next(0.0), Read)  # a pushing device is never asked
    s.received((True, b'{"type": "authorization_requested"}'), 0.1)
    assert s.next(0.1) == Send('{"type": "authorization", "data": "T0KEN"}')
    s.sent(0.1)
    s.received((True, b'{"type": "authorized"}'), 0.2)
    assert s.next(0.2) == Send('{"type": "subscribe", "data": "measurement"}')
    s.sent(0.2)
    (r,) = s.received((True, b'{"type": "measurement", "data": {"power_w": 120}}'), 0.3)
    assert isinstance(r, BridgeReading) and str(r["power_imported"]) == "0.12"


def test_homewizard_refusing_the_token_ends_the_source_without_retries() -> None:
    s = messages(HomeWizardPush, token="wrong", yield_errors=True)
    s.next(0.0)
    s.opened(0.0)
    s.received((True, b'{"type": "error", "data": {"message": "user:unauthorized"}}'), 0.1)
    assert s.next(0.1) == Close(None)
    assert s.closed(0.1) == []
    with pytest.raises(SourceError, match="refused the token: .*user:unauthorized"):
        s.next(0.1)


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
