"""The DSMR-logger's websocket firmware (DSMRloggerWS, ``ws://host:81``) against a real websocket
server on loopback that answers ``tabActual`` the way the firmware does."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import socket
import struct
import sys
from collections.abc import Callable
from decimal import Decimal
from importlib.util import find_spec

import pytest

import dsmrparse
from dsmrparse import _cli_read
from dsmrparse.errors import SourceError
from dsmrparse.hardware import BridgeReading
from dsmrparse.sources.ws import parse_message, ws_url
from test_hardware_support import TcpServer, take

needs_ws = pytest.mark.skipif(
    find_spec("websocket") is None,
    reason="websocket-client is not installed (pip install 'dsmrparse[websocket]')",
)
FAST = {
    "interval": 0.05,
    "reconnect_delay": 0.02,
    "reconnect_max": 0.1,
    "timeout": 2.0,
    "watchdog": 2.0,
}
READINGS = (BridgeReading,)


# ---- a websocket server: RFC 6455 handshake and frames, enough to play the firmware ---------


_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def handshake(conn: socket.socket) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(1024)
        if not chunk:
            raise OSError("client went away during the handshake")
        request += chunk
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    conn.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def frame(payload: bytes | str, opcode: int = 1) -> bytes:
    """An unmasked server frame (text by default)."""
    data = payload.encode() if isinstance(payload, str) else payload
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + data


def _exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def receive(conn: socket.socket) -> tuple[int, bytes]:
    """One (masked) client frame: its opcode and unmasked payload."""
    b1, b2 = _exact(conn, 2)
    n = b2 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _exact(conn, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _exact(conn, 8))[0]
    mask = _exact(conn, 4) if b2 & 0x80 else b"\0\0\0\0"
    data = _exact(conn, n)
    return b1 & 0x0F, bytes(c ^ mask[i % 4] for i, c in enumerate(data))


def actual(n: int) -> list[str]:
    """The three msgType=Actual frames of a v1.0.x build; ``n`` makes each answer differ."""
    return [
        f"msgType=Actual,TS=2104190500{n % 60:02d}S,ED=2529.156,EDT1=2332.511,EDT2=196.645,"
        f"ER=0.000,ERT1=0.000,ERT2=0.000,GD=2963.380,ET=0002",
        f"msgType=Actual,PD=1.{n % 1000:03d},PD_l1=412,PD_l2=0,PD_l3=1468,PR=0.000,PR_l1=0,"
        "PR_l2=0,PR_l3=0",
        "msgType=Actual,V_l1=229.0,V_l2=0.0,V_l3=231.5,C_l1=2,C_l2=0,C_l3=6,"
        "MPD=3.120  @07:15,MPR=0.000  @00:00,theTime=2021-04-19 05:00",
    ]


Play = Callable[[socket.socket, int, int], bool]  # (conn, connection no, request no) -> go on


def logger(play: Play | None = None) -> Callable[[socket.socket, int], None]:
    """A DSMRloggerWS connection handler: greets, then answers each ``tabActual`` (``play`` may
    answer instead; it returns False to end the connection)."""

    def handler(conn: socket.socket, n: int) -> None:
        handshake(conn)
        conn.sendall(frame('{"msgType":"ConnectState","Value":"Connected"}'))
        requests = 0
        while True:
            opcode, data = receive(conn)
            if opcode == 8:  # close
                conn.sendall(frame(data, 8))
                return
            if opcode != 1 or b"tabActual" not in data:
                continue
            if play is not None and not play(conn, n, requests):
                return
            if play is None:
                for text in actual(requests):
                    conn.sendall(frame(text))
                conn.sendall(frame("msgType=clock,DT=2021-04-19 05:00"))
            requests += 1

    return handler


def url_of(server: TcpServer) -> str:
    return f"ws://127.0.0.1:{server.port}"


# ---- what arrives ----------------------------------------------------------------------------


@needs_ws
def test_actual_values_map_onto_our_field_names():
    with TcpServer(logger()) as server:
        got = take(dsmrparse.open(url_of(server), **FAST), 2)
    r = got[0]
    assert isinstance(r, BridgeReading) and r.raw is None and r.device == "dsmr-logger-ws"
    assert r["electricity_imported_tariff_1"] == Decimal("2332.511")  # exact, not a float
    assert r.units["electricity_imported_tariff_1"] == "kWh"
    assert r["electricity_imported_tariff_2"] == Decimal("196.645")
    assert r["electricity_imported_total"] == Decimal("2529.156")
    assert r["gas"] == Decimal("2963.380") and r.units["gas"] == "m3"
    assert r["tariff_indicator"] == 2
    assert r["power_imported"] == Decimal("1.000") and r.units["power_imported"] == "kW"
    assert r["power_imported_l1"] == Decimal("0.412") and r.units["power_imported_l1"] == "kW"
    assert r["power_imported_l3"] == Decimal("1.468")
    assert r["voltage_l3"] == Decimal("231.5") and r["current_l3"] == 6
    assert r.timestamp is not None and r.timestamp.isoformat() == "2021-04-19T05:00:00+02:00"
    assert r.extra["MPD"] == "3.120  @07:15" and r.extra["theTime"] == "2021-04-19 05:00"
    assert r.data["EDT1"] == "2332.511"  # the firmware's own pairs, merged from its three frames
    line = json.loads(r.to_json())
    assert line["format"] == "dsmrparse/bridge/1" and line["raw"] is None
    assert got[1]["power_imported"] == Decimal("1.001")  # the next answer, not the same one


@needs_ws
def test_an_early_build_answers_in_one_frame():
    def one_frame(conn: socket.socket, n: int, i: int) -> bool:
        conn.sendall(frame(",".join(actual(i)).replace(",msgType=Actual", "")))
        return True

    with TcpServer(logger(one_frame)) as server:
        got = take(dsmrparse.open(url_of(server), **FAST), 1)
    assert got[0]["electricity_imported_tariff_1"] == Decimal("2332.511")
    assert got[0]["current_l1"] == 2 and "theTime" in got[0].extra


@needs_ws
def test_the_same_answer_twice_is_handed_out_once():
    def same(conn: socket.socket, n: int, i: int) -> bool:
        for text in actual(0 if i < 3 else i):
            conn.sendall(frame(text))
        return True

    with TcpServer(logger(same)) as server:
        src = dsmrparse.open(url_of(server), **FAST)
        got = take(src, 2)
    assert got[0]["power_imported"] != got[1]["power_imported"]
    assert src.stats.duplicates == 2 and src.stats.telegrams == 2


# ---- faults ----------------------------------------------------------------------------------
# The websocket fault scenarios (a closing peer, an answer cut off, garbage frames, a frame over
# max_frame, silence and the watchdog, a refused connection) are rows of the fault table in
# test_sources_faults.py, which runs each through the sync and the async driver.


# ---- the command -----------------------------------------------------------------------------


def _read(argv: list[str], capsysbinary) -> tuple[list[dict], str, int]:
    parser = argparse.ArgumentParser(prog="dsmrparse")
    _cli_read.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["read", *argv])
    code = args.func(args)
    out, err = capsysbinary.readouterr()
    return [json.loads(line) for line in out.splitlines()], err.decode(), code


@needs_ws
def test_read_ws_writes_bridge_json_lines(capsysbinary):
    with TcpServer(logger()) as server:
        lines, err, code = _read(
            [url_of(server), "-n", "2", "--interval", "0.05", "--timeout", "2"], capsysbinary
        )
    assert code == 0 and len(lines) == 2, err
    assert lines[0]["format"] == "dsmrparse/bridge/1" and lines[0]["device"] == "dsmr-logger-ws"
    fields = {f["name"]: f["value"] for f in lines[0]["fields"]}
    assert fields["electricity_imported_tariff_1"] == 2332.511 and fields["tariff_indicator"] == 2
    assert "2 written" in err


@needs_ws
def test_read_ws_as_raw_is_refused_with_exit_code_3(capsysbinary):
    with TcpServer(logger()) as server:
        lines, err, code = _read([url_of(server), "-f", "raw", "--interval", "0.05"], capsysbinary)
    assert code == 3 and "no raw telegram" in err


# ---- no network needed -----------------------------------------------------------------------


def test_ws_host_means_port_81():
    assert ws_url("ws://dsmr-ws.local") == "ws://dsmr-ws.local:81/"
    assert ws_url("ws://192.0.2.7:8081/") == "ws://192.0.2.7:8081/"
    assert ws_url("WS://dsmr-ws.local") == "ws://dsmr-ws.local:81/"


def test_messages_are_parsed_as_the_web_page_does():
    assert parse_message("msgType=clock,DT=2021-04-19 05:00") == (
        "clock",
        {"DT": "2021-04-19 05:00"},
    )
    assert parse_message("msgType=devInfo, devName=DSMR-WS, devVersion=[v1.0.4]") == (
        "devInfo",
        {"devName": "DSMR-WS", "devVersion": "[v1.0.4]"},
    )
    assert parse_message('{"msgType":"ConnectState","Value":"Connected"}') == (
        "ConnectState",
        {"Value": "Connected"},
    )
    assert parse_message("ED=1.000") is None and parse_message("") is None


def test_missing_websocket_client_is_a_clear_source_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "websocket", None)  # import fails
    with pytest.raises(SourceError, match=r"pip install 'dsmrparse\[websocket\]'"):
        dsmrparse.open("ws://127.0.0.1:9")
