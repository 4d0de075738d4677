"""Home Assistant's way of using dsmr_parser, on the compat layer: ``create_dsmr_reader`` on a
real pseudo-terminal and ``create_tcp_dsmr_reader`` on a loopback server, with the callback
reading telegrams the way HA's dsmr integration does."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import dsmrparse
from conftest import fixture_bytes
from dsmrparse.compat.dsmr_parser import telegram_specifications
from dsmrparse.compat.dsmr_parser.clients import (
    FileReader,
    create_dsmr_reader,
    create_tcp_dsmr_reader,
)
from dsmrparse.compat.dsmr_parser.objects import Telegram

pytest.importorskip("serial", reason="pyserial (the 'compat' extra) is needed for serial sources")

V5 = fixture_bytes("nl/dsmr50_iskra_mt382.txt")  # 1.7.0 0.244 kW; gas on channel 1
TWO_MBUS = fixture_bytes("nl/dsmr50_iskra_am550_dead_mbus1.txt")  # gas on channel 2
WAIT = 20.0  # generous: only a hang would take this long


def ha_reading(telegram: Telegram) -> dict[str, Any]:
    """What HA's dsmr sensors read: attributes by name, MBus devices by channel and type."""
    out: dict[str, Any] = {
        "power": getattr(telegram, "CURRENT_ELECTRICITY_USAGE").value,  # noqa: B009
        "power_unit": telegram.CURRENT_ELECTRICITY_USAGE.unit,
        "tariff": telegram.ELECTRICITY_ACTIVE_TARIFF.value,
        "mbus": {},
    }
    for device in getattr(telegram, "MBUS_DEVICES", []):
        device_type = getattr(device, "MBUS_DEVICE_TYPE", None)
        if device_type is None:
            continue
        reading = getattr(device, "MBUS_METER_READING", None)
        out["mbus"][device.channel_id] = (
            int(device_type.value),
            reading.value if reading else None,
            reading.unit if reading else None,
        )
        assert telegram.get_mbus_device_by_channel(device.channel_id) is device
    return out


class Meter:
    """Writes a telegram into a file descriptor every 50 ms until stopped."""

    def __init__(self, write: Any, data: bytes) -> None:
        self._write, self._data = write, data
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._write(self._data)
            except OSError:
                return
            self._stop.wait(0.05)

    def __enter__(self) -> Meter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    yield master, path
    os.close(master)
    os.close(slave)


async def _first(reader: Any, received: list[Telegram]) -> tuple[Any, Any]:
    got = asyncio.Event()

    def callback(telegram: Telegram) -> None:
        received.append(telegram)
        got.set()

    transport, protocol = await reader(callback)
    try:
        await asyncio.wait_for(got.wait(), WAIT)
    finally:
        transport.close()
    await asyncio.wait_for(protocol.wait_closed(), WAIT)
    return transport, protocol


def test_create_dsmr_reader_on_a_pseudo_terminal(twin: str, pty: tuple[int, str]) -> None:
    master, path = pty
    received: list[Telegram] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with Meter(lambda data: os.write(master, data), V5):
            await _first(lambda cb: create_dsmr_reader(path, "5", cb, loop=loop), received)

    asyncio.run(main())
    assert isinstance(received[0], Telegram)
    assert ha_reading(received[0]) == {
        "power": Decimal("0.244"),
        "power_unit": "kW",
        "tariff": "0002",
        "mbus": {1: (3, Decimal("0.107"), "m3"), 2: (3, None, None)},
    }


async def _serve(data: bytes, close_after: bool = False) -> tuple[asyncio.AbstractServer, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                writer.write(data)
                await writer.drain()
                if close_after:
                    break
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_create_tcp_dsmr_reader_on_a_loopback_server(twin: str) -> None:
    received: list[Telegram] = []

    async def main() -> None:
        server, port = await _serve(TWO_MBUS)
        async with server:
            await _first(
                lambda cb: create_tcp_dsmr_reader(
                    "127.0.0.1", port, "5", cb, keep_alive_interval=60
                ),
                received,
            )

    asyncio.run(main())
    reading = ha_reading(received[0])
    assert (
        reading["power"] == received[0]["^\\d-\\d:1\\.7\\.0.+?\\r\\n"].value
    )  # the dict form that older code uses
    assert reading["mbus"][2][0] == 3 and reading["mbus"][2][2] == "m3"
    assert reading["mbus"][2][1] > 0  # the live gas meter is on channel 2


def test_a_lost_connection_ends_wait_closed_so_the_caller_reconnects(twin: str) -> None:
    async def main() -> list[Telegram]:
        received: list[Telegram] = []
        server, port = await _serve(V5, close_after=True)
        async with server:
            _, protocol = await create_tcp_dsmr_reader("127.0.0.1", port, "5", received.append)
            await asyncio.wait_for(protocol.wait_closed(), WAIT)
        return received

    assert [t.CURRENT_ELECTRICITY_USAGE.value for t in asyncio.run(main())] == [Decimal("0.244")]


def test_a_wrong_key_stops_the_reader_with_a_decryption_error(twin: str) -> None:
    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")

    async def main() -> Any:
        server, port = await _serve(frame)
        async with server:
            transport, protocol = await create_tcp_dsmr_reader(
                "127.0.0.1",
                port,
                "SAGEMCOM_T210_D_R",
                lambda t: None,
                encryption_key="00" * 16,
                authentication_key="00112233445566778899AABBCCDDEEFF",
            )
            await asyncio.wait_for(protocol.wait_closed(), WAIT)
            assert transport.is_closing()
            return protocol.decryption_error

    assert "decrypt" in str(asyncio.run(main())).lower()


def test_the_right_key_gives_telegrams(twin: str) -> None:
    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")
    received: list[Telegram] = []

    async def main() -> None:
        server, port = await _serve(frame)
        async with server:
            await _first(
                lambda cb: create_tcp_dsmr_reader(
                    "127.0.0.1",
                    port,
                    "SAGEMCOM_T210_D_R",
                    cb,
                    encryption_key="AA" * 16,
                    authentication_key="00112233445566778899AABBCCDDEEFF",
                ),
                received,
            )

    asyncio.run(main())
    assert received[0].CURRENT_ELECTRICITY_USAGE.unit == "W"
    assert received[0].CURRENT_ELECTRICITY_USAGE.value == Decimal("286")


def test_file_reader_reads_a_capture(twin: str, tmp_path: Path) -> None:
    path = tmp_path / "capture.txt"
    path.write_bytes(V5 + b"junk\r\n" + TWO_MBUS)
    got = list(FileReader(path, telegram_specifications.V5).read_as_object())
    assert [t.CURRENT_ELECTRICITY_USAGE.value for t in got] == [Decimal("0.244"), Decimal("0.111")]


def test_the_console_prints_each_telegrams_values(twin: str) -> None:
    """``python -m dsmrparse.compat.dsmr_parser`` (dsmr_console) against a loopback server."""
    import socket
    import subprocess
    import sys

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            while not stop.is_set():
                try:
                    conn.sendall(V5)
                except OSError:
                    return
                stop.wait(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    src = str(Path(dsmrparse.__file__).resolve().parent.parent)  # the dsmrparse under test
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    env["DSMRPARSE_PURE_PYTHON"] = "1" if twin == "python" else "0"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dsmrparse.compat.dsmr_parser",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--version",
            "5",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == "" and len(lines) > 1:
                break
    finally:
        proc.terminate()
        proc.wait(10)
        stop.set()
        server.close()
    assert "0.244 kW" in lines
    assert "4.426 kWh" in lines


def test_serial_and_socket_readers(twin: str, pty: tuple[int, str]) -> None:
    """The blocking SerialReader on a pty, SocketReader and AsyncSerialReader likewise."""
    from dsmrparse.compat.dsmr_parser.clients import (
        SERIAL_SETTINGS_V5,
        AsyncSerialReader,
        SerialReader,
        SocketReader,
    )

    master, path = pty
    with Meter(lambda data: os.write(master, data), V5):
        reader = SerialReader(path, dict(SERIAL_SETTINGS_V5), telegram_specifications.V5)
        first = next(iter(reader.read_as_object()))
        assert first.CURRENT_ELECTRICITY_USAGE.value == Decimal("0.244")

        async def from_queue() -> Telegram:
            queue: asyncio.Queue[Telegram] = asyncio.Queue()
            task = asyncio.create_task(
                AsyncSerialReader(path, dict(SERIAL_SETTINGS_V5), telegram_specifications.V5).read(
                    queue
                )
            )
            try:
                return await asyncio.wait_for(queue.get(), WAIT)
            finally:
                task.cancel()

        assert asyncio.run(from_queue()).ELECTRICITY_USED_TARIFF_1.value == Decimal("4.426")

    async def over_tcp() -> Telegram:
        server, port = await _serve(TWO_MBUS)
        async with server:
            reader = SocketReader("127.0.0.1", port, telegram_specifications.V5)
            return await asyncio.to_thread(lambda: next(iter(reader.read_as_object())))

    assert asyncio.run(over_tcp()).get_mbus_device_by_channel(2) is not None


def test_a_failing_callback_closes_the_connection(twin: str) -> None:
    def callback(telegram: Telegram) -> None:
        raise RuntimeError("the caller's bug")

    async def main() -> None:
        server, port = await _serve(V5)
        async with server:
            transport, protocol = await create_tcp_dsmr_reader("127.0.0.1", port, "5", callback)
            await asyncio.wait_for(protocol.wait_closed(), WAIT)
            assert transport.is_closing()

    asyncio.run(main())


def test_file_tail_reader_follows_a_growing_file(twin: str, tmp_path: Path) -> None:
    from dsmrparse.compat.dsmr_parser.clients import FileTailReader

    path = tmp_path / "growing.txt"
    path.write_bytes(b"")
    with open(path, "ab", buffering=0) as out, Meter(out.write, V5):
        telegrams = FileTailReader(path, telegram_specifications.V5).read_as_object()
        assert next(telegrams).CURRENT_ELECTRICITY_USAGE.value == Decimal("0.244")
        telegrams.close()


def test_file_input_reader_reads_standard_input(twin: str) -> None:
    import subprocess
    import sys

    code = (
        "from dsmrparse.compat.dsmr_parser.clients import FileInputReader\n"
        "from dsmrparse.compat.dsmr_parser import telegram_specifications as s\n"
        "for t in FileInputReader(s.V5).read_as_object(): print(t.CURRENT_ELECTRICITY_USAGE.value)"
    )
    src = str(Path(dsmrparse.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-c", code], input=V5 + TWO_MBUS, capture_output=True, env=env, timeout=60
    )
    assert out.stdout.split() == [b"0.244", b"0.111"], out.stderr


def rfxtrx_packets(data: bytes) -> bytes:
    """P1 bytes in RFXtrx packets (length, type 0x62, subtype 0x01, sequence, data), with a
    packet of another type between them, as other RF traffic would be."""
    out = b""
    for seq, start in enumerate(range(0, len(data), 200)):
        chunk = data[start : start + 200]
        out += bytes([len(chunk) + 3, 0x62, 0x01, seq & 0xFF]) + chunk
        out += b"\x03\x01\x02\x03"
    return out


def test_rfxtrx_reader_on_a_pseudo_terminal(twin: str, pty: tuple[int, str]) -> None:
    from dsmrparse.compat.dsmr_parser.clients.rfxtrx_protocol import create_rfxtrx_dsmr_reader

    master, path = pty
    received: list[Telegram] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with Meter(lambda data: os.write(master, data), rfxtrx_packets(V5)):
            await _first(lambda cb: create_rfxtrx_dsmr_reader(path, "5", cb, loop=loop), received)

    asyncio.run(main())
    assert ha_reading(received[0])["power"] == Decimal("0.244")


def test_rfxtrx_tcp_reader_on_a_loopback_server(twin: str) -> None:
    from dsmrparse.compat.dsmr_parser.clients.rfxtrx_protocol import create_rfxtrx_tcp_dsmr_reader

    received: list[Telegram] = []

    async def main() -> None:
        server, port = await _serve(rfxtrx_packets(TWO_MBUS))
        async with server:
            await _first(
                lambda cb: create_rfxtrx_tcp_dsmr_reader("127.0.0.1", port, "5", cb), received
            )

    asyncio.run(main())
    assert ha_reading(received[0])["mbus"][2][0] == 3


def test_home_assistants_imports_resolve_after_the_alias() -> None:
    """The dsmr integration's import lines, as written, with ``alias_dsmr_parser()`` first."""
    import subprocess
    import sys

    code = "\n".join(
        [
            "from dsmrparse.compat import alias_dsmr_parser",
            "alias_dsmr_parser()",
            "from dsmr_parser import obis_references as obis_ref",
            "from dsmr_parser import telegram_specifications",
            "from dsmr_parser.clients.protocol import create_dsmr_reader, create_tcp_dsmr_reader",
            "from dsmr_parser.clients.rfxtrx_protocol import (",
            "    create_rfxtrx_dsmr_reader, create_rfxtrx_tcp_dsmr_reader)",
            "from dsmr_parser.objects import DSMRObject, MbusDevice, Telegram",
            "print(obis_ref.EQUIPMENT_IDENTIFIER_GAS, Telegram.__module__)",
        ]
    )
    src = str(Path(dsmrparse.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "dsmrparse.compat.dsmr_parser.objects"


def test_a_missing_device_raises_at_connect_as_pyserial_does(tmp_path: Path) -> None:
    async def main() -> None:
        await create_dsmr_reader(str(tmp_path / "ttyUSB9"), "5", lambda t: None)

    with pytest.raises(FileNotFoundError):
        asyncio.run(main())


def test_a_blocking_reader_raises_a_decryption_error_for_a_wrong_key(twin: str) -> None:
    from dsmrparse.compat.dsmr_parser.clients import SocketReader
    from dsmrparse.compat.dsmr_parser.exceptions import DecryptionError

    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")

    async def main() -> None:
        server, port = await _serve(frame)
        async with server:
            reader = SocketReader(
                "127.0.0.1",
                port,
                telegram_specifications.SAGEMCOM_T210_D_R,
                encryption_key="00" * 16,
                authentication_key="00112233445566778899AABBCCDDEEFF",
            )
            with pytest.raises(DecryptionError):
                await asyncio.to_thread(lambda: next(iter(reader.read_as_object())))

    asyncio.run(main())
