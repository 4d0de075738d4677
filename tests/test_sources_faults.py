"""The fault table: every fault scenario runs through both drivers (sync ``for`` and asyncio
``async for``) against real loopback peers (TCP, HTTP, HTTPS, websocket, a pseudo-terminal).

Each scenario is one function ``(mode) -> None``; the table at the bottom crosses them with the two
modes. What every row checks: nothing whole is lost, damaged data is a ``Skipped`` record (never a
traceback), memory and work stay bounded (counted in records, not timed), and a user mistake ends
with a clear ``SourceError`` saying what to do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dsmrparse
from dsmrparse.errors import SourceError
from dsmrparse.hardware import AddressError, BridgeReading, Skipped
from test_hardware_support import (
    FAST,
    GOOD,
    GOOD_B,
    Meter,
    Pty,
    TcpServer,
    atake,
    body,
    forever,
    free_port,
    take,
)

TELEGRAM = (dsmrparse.Telegram,)
READING = (BridgeReading,)
SKIPPED = (Skipped,)
QUICK = {**FAST, "interval": 0.05, "reconnect_delay": 0.02, "reconnect_max": 0.05}


def collect(src: Any, mode: str, count: int, kinds: tuple[type, ...] = (), limit: float = 8.0):
    if mode == "sync":
        return take(src, count, limit, kinds)
    return asyncio.run(atake(src, count, limit, kinds))


def fails(src: Any, mode: str, match: str, limit: float = 8.0) -> SourceError:
    with pytest.raises(SourceError, match=match) as info:
        collect(src, mode, 10**6, limit=limit)
    return info.value


# ---- peers --------------------------------------------------------------------------------------


def read_request(conn: socket.socket) -> tuple[str, dict[str, str]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise OSError("client went away")
        data += chunk
    lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return lines[0].split(" ")[1], headers


def answer(status: int, content: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(content)}", *extra, "", ""]
    return "\r\n".join(head).encode() + content


Route = Callable[[str, dict[str, str], socket.socket], "bytes | None"]


def http_peer(route: Route, tls: ssl.SSLContext | None = None) -> TcpServer:
    """A loopback HTTP(S) server: ``route(path, headers, conn)`` gives the whole answer (or
    writes it itself and gives None)."""

    def handler(conn: socket.socket, n: int) -> None:
        if tls is not None:
            conn = tls.wrap_socket(conn, server_side=True)
        path, headers = read_request(conn)
        out = route(path, headers, conn)
        if out is not None:
            conn.sendall(out)

    return TcpServer(handler)


def url(server: TcpServer, path: str = "", scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.port}{path}"


def in_turn(*answers: bytes) -> Route:
    """Answers given in turn, the last one repeated."""
    count = [0]

    def route(path: str, headers: dict[str, str], conn: socket.socket) -> bytes:
        count[0] += 1
        return answers[min(count[0], len(answers)) - 1]

    return route


HOMEWIZARD_OK = json.dumps(
    {"active_power_w": -543, "total_power_import_t1_kwh": 10830.511, "total_gas_m3": 2569.646}
).encode()


def homewizard(first: bytes) -> Route:
    return in_turn(answer(200, first), answer(200, HOMEWIZARD_OK))


# ---- TCP (socket://) ------------------------------------------------------------------------


def telegrams_on_connect(mode: str) -> None:
    """A bridge that sends the moment a client connects: nothing of it may be lost."""
    stop = threading.Event()

    def handler(conn: socket.socket, n: int) -> None:
        conn.sendall(GOOD + GOOD_B)
        stop.wait(5)

    with TcpServer(handler) as server:
        got = collect(dsmrparse.open(server.url, **QUICK), mode, 2)
        stop.set()
    assert [body(t.raw) for t in got] == [body(GOOD), body(GOOD_B)]


def tcp_spelling(mode: str) -> None:
    """``tcp://`` (what many manuals and ``dsmrparse simulate`` write) is read as socket://."""
    stop = threading.Event()

    def handler(conn: socket.socket, n: int) -> None:
        conn.sendall(GOOD)
        stop.wait(5)

    with TcpServer(handler) as server:
        src = dsmrparse.open(f"tcp://127.0.0.1:{server.port}", **QUICK)
        got = collect(src, mode, 1)
        stop.set()
    assert src.kind == "socket" and body(got[0].raw) == body(GOOD)


def burst_in_blocks(mode: str) -> None:
    """4 MB of noise at once: read in blocks, a few junk records per block, not per byte."""
    noise = b"x" * (4 * 1024 * 1024)
    stop = threading.Event()

    def handler(conn: socket.socket, n: int) -> None:
        conn.sendall(noise + GOOD)
        stop.wait(10)

    with TcpServer(handler) as server:
        src = dsmrparse.open(server.url, chunk_size=65536, **QUICK)
        got = collect(src, mode, 1, TELEGRAM, limit=30)
        stop.set()
    assert body(got[0].raw) == body(GOOD)
    assert src.stats.bytes >= len(noise)
    assert src.stats.skipped.get("junk", 0) <= 2 * len(noise) // 4096


def cut_mid_telegram(mode: str) -> None:
    """A peer that drops the link mid-telegram: the half is damaged, the next one whole."""
    stop = threading.Event()

    def handler(conn: socket.socket, n: int) -> None:
        if n == 0:
            conn.sendall(GOOD[:300])
            return
        conn.sendall(GOOD_B)
        stop.wait(5)

    with TcpServer(handler) as server:
        src = dsmrparse.open(server.url, yield_errors=True, **QUICK)
        got = collect(src, mode, 1, TELEGRAM)
        stop.set()
    kinds = [i.kind for i in got if isinstance(i, Skipped)]
    assert "damaged" in kinds and "connection" in kinds
    assert body(got[-1].raw) == body(GOOD_B) and src.stats.reconnects >= 1


def silent_peer_watchdog(mode: str) -> None:
    stop = threading.Event()

    def handler(conn: socket.socket, n: int) -> None:
        if n > 0:
            conn.sendall(GOOD)
        stop.wait(5)

    with TcpServer(handler) as server:
        src = dsmrparse.open(server.url, yield_errors=True, **{**QUICK, "watchdog": 0.3})
        got = collect(src, mode, 1, TELEGRAM)
        stop.set()
    assert any(isinstance(i, Skipped) and "watchdog" in i.message for i in got)
    assert body(got[-1].raw) == body(GOOD)


def refused(mode: str) -> None:
    src = dsmrparse.open(f"socket://127.0.0.1:{free_port()}", retries=1, **QUICK)
    fails(src, mode, "giving up after 2 failures in a row: connection refused")


def never_reached(mode: str) -> None:
    src = dsmrparse.open(f"socket://127.0.0.1:{free_port()}", retries_unreached=0, **QUICK)
    fails(src, mode, "not reached in 1 attempts: connection refused")


def malformed_addresses(mode: str) -> None:
    for bad, hint in [
        ("socket://127.0.0.1", "no port; use socket://HOST:PORT"),
        ("socket://127.0.0.1:0", "is not a number from 1 to 65535"),
        ("socket://127.0.0.1:http", "is not a number from 1 to 65535"),
        ("rfc2217://:2217", "no host"),
        ("telnet://127.0.0.1:23", "unknown scheme 'telnet://'"),
        ("http://", "no host"),
        ("", "empty source address"),
    ]:
        with pytest.raises(AddressError, match=hint):
            dsmrparse.open(bad)


# ---- a pseudo-terminal (serial) -------------------------------------------------------------


def serial_port(mode: str) -> None:
    pty = Pty()
    try:
        with Meter(pty.write, forever(GOOD), period=0.05):
            got = collect(dsmrparse.open(pty.path, serial="dsmr5", **QUICK), mode, 2, TELEGRAM)
    finally:
        pty.close()
    assert all(body(t.raw) == body(GOOD) for t in got)


def absent_device(mode: str) -> None:
    pytest.importorskip("serial")
    src = dsmrparse.open("/dev/ttyDSMRPARSE-ABSENT", retries=0, **QUICK)
    fails(src, mode, "no such device /dev/ttyDSMRPARSE-ABSENT")


# ---- HTTP bridges -------------------------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><head><title>Router</title></head><body>Hi</body></html>"


def html_page(mode: str) -> None:
    """A URL that answers a web page: a few such answers in a row end with a clear error."""
    with http_peer(in_turn(answer(200, HTML))) as server:
        src = dsmrparse.open(url(server, "/index.html"), **QUICK)
        fails(src, mode, "answers an HTML page, not a telegram or a known bridge's JSON")


def bad_numbers(mode: str, number: str) -> None:
    doc = b'{"active_power_w": %s, "total_power_import_t1_kwh": 1.5}' % number.encode()
    with http_peer(homewizard(doc)) as server:
        src = dsmrparse.open(url(server, "/api/v1/data"), yield_errors=True, **QUICK)
        got = collect(src, mode, 1, READING)
    assert isinstance(got[0], Skipped) and got[0].kind == "http"
    assert str(got[-1]["electricity_imported_tariff_1"]) == "10830.511"
    assert str(got[-1]["power_exported"]) == "0.543"


def nan_in_strings(mode: str) -> None:
    """sNaN and huge exponents inside JSON strings (the DSMR-logger sends strings too)."""
    doc = json.dumps({"actual": [{"name": "power_delivered", "value": "sNaN", "unit": "kW"}]})
    good = json.dumps({"actual": [{"name": "power_delivered", "value": 1.25, "unit": "kW"}]})
    route = in_turn(answer(200, doc.encode()), answer(200, good.encode()))
    with http_peer(route) as server:
        src = dsmrparse.open(url(server, "/api/v1/sm/actual"), yield_errors=True, **QUICK)
        got = collect(src, mode, 1, READING)
    assert got[0].kind == "http" and "not a finite number" in got[0].message
    assert str(got[-1]["power_imported"]) == "1.25"


def deep_json(mode: str) -> None:
    with http_peer(homewizard(b"[" * 100_000 + b"]" * 100_000)) as server:
        src = dsmrparse.open(url(server, "/api/v1/data"), yield_errors=True, max_body=1 << 20)
        got = collect(src, mode, 1, READING)
    assert got[0].kind == "http" and "nested" in got[0].message
    assert isinstance(got[-1], BridgeReading)


def not_utf8(mode: str) -> None:
    with http_peer(homewizard(b'{"active_power_w": 5, "x": "\xff\xfe"}')) as server:
        src = dsmrparse.open(url(server, "/api/v1/data"), yield_errors=True, **QUICK)
        got = collect(src, mode, 1, READING)
    assert got[0].kind == "http" and "UTF-8" in got[0].message


def too_large(mode: str) -> None:
    big = answer(200, b"/" + b"x" * 300_000)
    with http_peer(in_turn(big, answer(200, GOOD))) as server:
        src = dsmrparse.open(url(server, "/api/v1/sm/telegram"), yield_errors=True, **QUICK)
        got = collect(src, mode, 1, TELEGRAM)
    assert got[0].kind == "http" and "larger than max_body" in got[0].message
    assert body(got[-1].raw) == body(GOOD)


def redirect_loop(mode: str) -> None:
    def route(path: str, headers: dict[str, str], conn: socket.socket) -> bytes:
        target = "/b" if path == "/a" else "/a"
        return answer(302, b"", f"Location: {target}")

    with http_peer(route) as server:
        src = dsmrparse.open(url(server, "/a"), yield_errors=True, **QUICK)
        got = collect(src, mode, 2, SKIPPED)
    assert got[0].kind == "http" and "redirect loop" in got[0].message


def garbled_status(mode: str) -> None:
    with http_peer(in_turn(b"HTTP/9 nonsense\r\n\r\n", answer(200, GOOD))) as server:
        src = dsmrparse.open(url(server, "/api/v1/sm/telegram"), yield_errors=True, **QUICK)
        got = collect(src, mode, 1, TELEGRAM)
    assert got[0].kind == "http" and body(got[-1].raw) == body(GOOD)


def drip(stop: threading.Event) -> Route:
    """Headers, then one byte of the body every 0.2 s."""

    def route(path: str, headers: dict[str, str], conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            if stop.wait(0.2):
                return
            conn.sendall(b"x")

    return route


def slow_body_deadline(mode: str) -> None:
    """``timeout`` bounds the whole request, not each recv."""
    stop = threading.Event()
    with http_peer(drip(stop)) as server:
        src = dsmrparse.open(url(server, "/api/v1/sm/telegram"), yield_errors=True, timeout=0.6)
        got = collect(src, mode, 1, SKIPPED)
        stop.set()
    assert got[0].kind == "connection" and "no whole answer within 0.6 s" in got[0].message


def close_during_poll(mode: str) -> None:
    """``close()`` ends a poll in progress: the loop ends long before the drip would."""
    stop = threading.Event()
    with http_peer(drip(stop)) as server:
        src = dsmrparse.open(url(server, "/api/v1/sm/telegram"), timeout=60)
        done = threading.Event()

        def consume() -> None:
            if mode == "sync":
                for _ in src:
                    pass
            else:

                async def run() -> None:
                    async for _ in src:
                        pass

                asyncio.run(run())
            done.set()

        worker = threading.Thread(target=consume, daemon=True)
        worker.start()
        while server.connections == 0 and worker.is_alive():
            threading.Event().wait(0.02)
        src.close()
        finished = done.wait(5)
        stop.set()
    assert finished


# ---- HTTPS: HomeWizard API v2 -------------------------------------------------------------------


def _certificate(tmp: Path, san: bool = True) -> tuple[Path, Path]:
    """A self-signed device certificate named as HomeWizard names theirs; with ``san`` it also
    holds the address 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appliance/p1dongle/test")])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    cert = builder.sign(key, hashes.SHA256())
    cert_path, key_path = tmp / "device.pem", tmp / "device.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def homewizard_v2_device(tmp: Path, san: bool = True) -> tuple[TcpServer, Path]:
    pytest.importorskip("cryptography")
    cert, key = _certificate(tmp, san)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    sent = [0]

    def route(path: str, headers: dict[str, str], conn: socket.socket) -> bytes:
        if headers.get("authorization") != "Bearer 0123456789ABCDEF":
            return answer(401, b'{"error": "user:unauthorized"}')
        if path == "/api":
            info = {"product_type": "HWE-P1", "serial": "5c2fafabcdef", "api_version": "2.0.0"}
            return answer(200, json.dumps(info).encode())
        if path == "/api/telegram":
            sent[0] += 1
            if sent[0] == 1:  # what the device answers before the meter sent anything
                return answer(503, b"telegram:no-telegram-received")
            return answer(200, GOOD, "Content-Type: text/plain")
        if path == "/api/measurement":
            doc = {"energy_import_t1_kwh": 10830.511, "power_w": -543, "tariff": 2}
            return answer(200, json.dumps(doc).encode())
        return answer(404, b"")

    return http_peer(route, tls), cert


def homewizard_v2(mode: str, tmp: Path) -> None:
    server, cert = homewizard_v2_device(tmp)
    with server:
        token = "0123456789ABCDEF"
        src = dsmrparse.open(
            url(server, scheme="https"), token=token, verify=str(cert), yield_errors=True, **QUICK
        )
        got = collect(src, mode, 1, TELEGRAM)
        assert src.endpoint == url(server, "/api/telegram", "https")
        assert [i.kind for i in got[:-1]] == ["empty"]  # 503 no-telegram-received: no error
        assert body(got[-1].raw) == body(GOOD)
        src = dsmrparse.open(url(server, "/api/measurement", "https"), token=token, verify=False)
        reading = collect(src, mode, 1)[0]
        assert str(reading["power_exported"]) == "0.543" and reading["tariff_indicator"] == 2


def homewizard_v2_by_its_name(mode: str, tmp: Path) -> None:
    """The real device's certificate names the device, not its address: ``server_name``."""
    server, cert = homewizard_v2_device(tmp, san=False)
    with server:
        src = dsmrparse.open(
            url(server, "/api/telegram", "https"),
            token="0123456789ABCDEF",
            verify=str(cert),
            server_name="appliance/p1dongle/test",
            **QUICK,
        )
        assert body(collect(src, mode, 1)[0].raw) == body(GOOD)
        wrong = dsmrparse.open(
            url(server, "/api/telegram", "https"),
            token="0123456789ABCDEF",
            verify=str(cert),
            server_name="appliance/p1dongle/other",
            retries=0,
        )
        fails(wrong, mode, "CERTIFICATE_VERIFY_FAILED")


def homewizard_v2_no_token(mode: str, tmp: Path) -> None:
    server, cert = homewizard_v2_device(tmp)
    with server:
        src = dsmrparse.open(url(server, scheme="https"), verify=str(cert), **QUICK)
        fails(src, mode, "401 Unauthorized .*token=")


def homewizard_v2_wrong_token(mode: str, tmp: Path) -> None:
    """A full URL and a wrong token: 401 ends the source at once, with the hint."""
    server, cert = homewizard_v2_device(tmp)
    with server:
        src = dsmrparse.open(url(server, "/api/telegram", "https"), token="wrong", verify=False)
        fails(src, mode, "HTTP 401 .*pass token=")
        assert server.connections == 1


def https_untrusted(mode: str, tmp: Path) -> None:
    """A self-signed device certificate and verify left on: the cause is named, not hidden."""
    server, _ = homewizard_v2_device(tmp)
    with server:
        src = dsmrparse.open(url(server, "/api/telegram", "https"), retries=0, **QUICK)
        fails(src, mode, "CERTIFICATE_VERIFY_FAILED")


def push_device(tmp: Path, stop: threading.Event) -> tuple[TcpServer, Path]:
    """HomeWizard's ``wss://.../api/ws``: authorize, subscribe, then a measurement every 0.05 s
    (one with NaN among them, which is skipped)."""
    pytest.importorskip("websocket")
    from test_hardware_ws import frame, handshake, receive

    cert, key = _certificate(tmp)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    def send(conn: socket.socket, message: dict[str, Any]) -> None:
        conn.sendall(frame(json.dumps(message)))

    def handler(conn: socket.socket, n: int) -> None:
        conn = tls.wrap_socket(conn, server_side=True)
        handshake(conn)
        send(conn, {"type": "authorization_requested", "data": {"api_version": "2.0.0"}})
        _, auth = receive(conn)
        if json.loads(auth) != {"type": "authorization", "data": "0123456789ABCDEF"}:
            send(conn, {"type": "error", "data": {"message": "user:unauthorized"}})
            return
        send(conn, {"type": "authorized"})
        _, subscribe = receive(conn)
        assert json.loads(subscribe) == {"type": "subscribe", "data": "measurement"}
        i = 0
        while not stop.wait(0.05):
            i += 1
            data: dict[str, Any] = {"energy_import_t1_kwh": 10830.511, "power_w": 100 + i}
            if i == 1:
                conn.sendall(frame('{"type": "measurement", "data": {"power_w": NaN}}'))
                continue
            send(conn, {"type": "measurement", "data": data})

    return TcpServer(handler), cert


def homewizard_v2_push(mode: str, tmp: Path) -> None:
    stop = threading.Event()
    server, cert = push_device(tmp, stop)
    with server:
        src = dsmrparse.open(
            f"wss://127.0.0.1:{server.port}/api/ws",
            token="0123456789ABCDEF",
            verify=str(cert),
            yield_errors=True,
            **QUICK,
        )
        got = collect(src, mode, 2, READING)
        stop.set()
    assert [i.kind for i in got if isinstance(i, Skipped)] == ["junk"]
    readings = [i for i in got if isinstance(i, BridgeReading)]
    assert [str(r["power_imported"]) for r in readings] == ["0.102", "0.103"]
    assert (
        readings[0]["electricity_imported_tariff_1"] == readings[1]["electricity_imported_tariff_1"]
    )


def homewizard_v2_push_wrong_token(mode: str, tmp: Path) -> None:
    stop = threading.Event()
    server, _ = push_device(tmp, stop)
    with server:
        src = dsmrparse.open(f"wss://127.0.0.1:{server.port}", token="wrong", verify=False)
        fails(src, mode, "refused the token: .*user:unauthorized")
        stop.set()


# ---- websocket (DSMRloggerWS) ----------------------------------------------------------------

WS = {**QUICK, "reconnect_max": 0.1, "watchdog": 2.0}


def ws_peer(play: Callable[[socket.socket, int, int], bool]) -> TcpServer:
    """A DSMRloggerWS firmware on loopback; ``play(conn, connection no, question no)`` answers."""
    pytest.importorskip("websocket")
    from test_hardware_ws import logger

    return TcpServer(logger(play))


def ws_url(server: TcpServer) -> str:
    return f"ws://127.0.0.1:{server.port}"


def ws_send(conn: socket.socket, *texts: str | bytes) -> None:
    from test_hardware_ws import frame

    for text in texts:
        conn.sendall(frame(text))


def ws_actual(i: int) -> list[str]:
    from test_hardware_ws import actual

    return actual(i)


def ws_bad_numbers(mode: str) -> None:
    def play(conn: socket.socket, n: int, i: int) -> bool:
        texts = ws_actual(i)
        if i == 0:
            texts = [t.replace("GD=2963.380", "GD=sNaN") for t in texts]
        if i == 1:
            texts = [t.replace("ED=2529.156", "ED=1e1000000") for t in texts]
        ws_send(conn, *texts)
        return True

    with ws_peer(play) as server:
        src = dsmrparse.open(
            ws_url(server),
            yield_errors=True,
            # a poll due while an answer's frames come in ends that answer: keep polls apart
            **{**WS, "interval": 0.5},
        )
        got = collect(src, mode, 1, READING)
    bad = [i for i in got if isinstance(i, Skipped)]
    assert [i.kind for i in bad] == ["junk", "junk"]
    assert "not a finite number" in bad[0].message and "out of range" in bad[1].message
    assert str(got[-1]["gas"]) == "2963.380"


def ws_peer_closes(mode: str) -> None:
    """The firmware restarting: a close frame after the first answer, then a reconnect."""

    def play(conn: socket.socket, n: int, i: int) -> bool:
        from test_hardware_ws import frame

        ws_send(conn, *ws_actual(n))
        if n == 0:
            conn.sendall(frame(b"\x03\xe8", 8))  # a close frame
            return False
        return True

    with ws_peer(play) as server:
        src = dsmrparse.open(ws_url(server), yield_errors=True, **WS)
        got = collect(src, mode, 2, READING)
    readings = [i for i in got if isinstance(i, BridgeReading)]
    lost = [i for i in got if isinstance(i, Skipped)]
    assert [str(r["power_imported"]) for r in readings] == ["1.000", "1.001"]
    assert lost and lost[0].kind == "connection" and "closed" in lost[0].message
    assert src.stats.reconnects == 1 and server.connections == 2


def ws_cut_mid_answer(mode: str) -> None:
    """The first connection dies after two of the three frames of an answer."""

    def play(conn: socket.socket, n: int, i: int) -> bool:
        texts = ws_actual(n)
        ws_send(conn, *(texts if n else texts[:2]))
        return n > 0

    with ws_peer(play) as server:
        got = collect(dsmrparse.open(ws_url(server), yield_errors=True, **WS), mode, 1, READING)
    kinds = [i.kind for i in got if isinstance(i, Skipped)]
    assert kinds[:2] == ["damaged", "connection"]
    assert isinstance(got[-1], BridgeReading) and "voltage_l1" in got[-1]


def ws_garbage_frames(mode: str) -> None:
    def play(conn: socket.socket, n: int, i: int) -> bool:
        from test_hardware_ws import frame

        if i == 0:
            ws_send(conn, "<html>hello</html>")
            conn.sendall(frame(b"\xff\xfe\x00binary", 2))
            ws_send(conn, b"msgType=Actual,ED=\xff\xfe")  # not UTF-8
            ws_send(conn, "msgType=Actual,theTime=,nonsense")  # no value we know
            ws_send(conn, "{not json")
        ws_send(conn, *ws_actual(i))
        return True

    with ws_peer(play) as server:
        src = dsmrparse.open(ws_url(server), yield_errors=True, **WS)
        got = collect(src, mode, 1, READING)
    skipped = [i for i in got if isinstance(i, Skipped)]
    assert [i.kind for i in skipped] == ["junk"] * 5
    assert "<html>" in skipped[0].message
    assert sum("not a DSMRloggerWS message" in i.message for i in skipped) == 3
    assert sum("not UTF-8" in i.message for i in skipped) == 1
    assert isinstance(got[-1], BridgeReading) and str(got[-1]["gas"]) == "2963.380"
    assert src.stats.connects == 1  # garbage is no reason to reconnect


def ws_frame_too_long(mode: str) -> None:
    def play(conn: socket.socket, n: int, i: int) -> bool:
        if n == 0:
            conn.sendall(struct.pack("!BBQ", 0x81, 127, 1 << 40))  # claims a terabyte
            return False
        ws_send(conn, *ws_actual(i))
        return True

    with ws_peer(play) as server:
        got = collect(dsmrparse.open(ws_url(server), yield_errors=True, **WS), mode, 1, READING)
    assert "longer than max_frame" in got[0].message
    assert isinstance(got[-1], BridgeReading)


def ws_silent_watchdog(mode: str) -> None:
    def play(conn: socket.socket, n: int, i: int) -> bool:
        if n > 0:
            ws_send(conn, *ws_actual(i))
        return True  # the first connection stays open and never answers

    with ws_peer(play) as server:
        src = dsmrparse.open(ws_url(server), yield_errors=True, **{**WS, "watchdog": 0.3})
        got = collect(src, mode, 1, READING)
    assert "watchdog" in got[0].message and isinstance(got[-1], BridgeReading)
    assert server.connections == 2


def ws_refused(mode: str) -> None:
    pytest.importorskip("websocket")
    src = dsmrparse.open(f"ws://127.0.0.1:{free_port()}", retries=1, **WS)
    fails(src, mode, "giving up")
    assert src.stats.skipped["connection"] == 2


# ---- the table ---------------------------------------------------------------------------------

SCENARIOS: list[Callable[..., None]] = [
    telegrams_on_connect,
    tcp_spelling,
    burst_in_blocks,
    cut_mid_telegram,
    silent_peer_watchdog,
    refused,
    never_reached,
    malformed_addresses,
    serial_port,
    absent_device,
    html_page,
    nan_in_strings,
    deep_json,
    not_utf8,
    too_large,
    redirect_loop,
    garbled_status,
    slow_body_deadline,
    close_during_poll,
    ws_bad_numbers,
    ws_peer_closes,
    ws_cut_mid_answer,
    ws_garbage_frames,
    ws_frame_too_long,
    ws_silent_watchdog,
    ws_refused,
]
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e1000000", "1e100000000"]
TLS_SCENARIOS = [
    homewizard_v2,
    homewizard_v2_by_its_name,
    homewizard_v2_no_token,
    homewizard_v2_wrong_token,
    https_untrusted,
    homewizard_v2_push,
    homewizard_v2_push_wrong_token,
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_fault(scenario: Callable[[str], None], mode: str) -> None:
    scenario(mode)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("number", NUMBERS)
def test_fault_bad_number(number: str, mode: str) -> None:
    bad_numbers(mode, number)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("scenario", TLS_SCENARIOS, ids=lambda f: f.__name__)
def test_fault_https(scenario: Callable[[str, Path], None], mode: str, tmp_path: Path) -> None:
    scenario(mode, tmp_path)
