"""Faults: the source dropping and coming back, `kill -9` of the server and a restart with
nothing lost, and the round trip: dsmrparse.open() reads our own server as a DSMR-logger."""

from __future__ import annotations

import signal
import socket
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiohttp")

import dsmrparse  # noqa: E402
from _serve_proc import Server  # noqa: E402
from dsmrparse.simulate import Simulator  # noqa: E402


class Feeder:
    """A TCP bridge on loopback (like ser2net) that sends batches of simulated telegrams, one
    connection per batch, and closes the connection in between: the source drops."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sim = Simulator("dsmr5", seed=5, start=datetime.fromisoformat(
            "2026-06-01T12:00:00+02:00"), step=10, failures_per_day=0)  # fmt: skip
        self.telegrams = iter(self.sim)
        self.batches: list[threading.Event] = []
        self.sent = 0

    def batch(
        self, count: int, jump_minutes: int = 0, hold: threading.Event | None = None
    ) -> threading.Event:
        """Send ``count`` telegrams on the next connection, then close it (after ``hold``)."""
        done = threading.Event()

        def run() -> None:
            conn, _ = self.server.accept()
            with conn:
                if jump_minutes:
                    for _ in range(jump_minutes * 6):
                        self.sim.advance()
                for _ in range(count):
                    conn.sendall(next(self.telegrams))
                    self.sent += 1
                    threading.Event().wait(0.02)
                done.set()
                if hold is not None:
                    hold.wait(30)

        threading.Thread(target=run, daemon=True).start()
        return done

    def close(self) -> None:
        self.server.close()


def test_source_drops_and_returns(tmp_path: Path) -> None:
    feeder = Feeder()
    first = feeder.batch(20)
    srv = Server(tmp_path, f"socket://127.0.0.1:{feeder.port}", "--profile", "dsmr5")
    try:
        assert first.wait(20)
        srv.wait_for(lambda: srv.json("/api/v2/status")["source"] == "lost")
        info = {r["name"]: r["value"] for r in srv.json("/api/v1/dev/info")["devinfo"]}
        assert info["telegramcount"] == 20 and info["source"] == "lost" and info["source_error"]
        release = threading.Event()
        # the meter ran on for 30 minutes while we could not see it
        second = feeder.batch(20, jump_minutes=30, hold=release)
        assert second.wait(30)
        srv.wait_for(lambda: srv.json("/api/v2/status")["telegrams"] == 40)
        assert srv.json("/api/v2/status")["source"] == "reading"
        release.set()
        view = srv.json("/api/v1/hist/hours?from=0")
        assert [g["reason"] for g in view["gaps"]] == ["no telegrams"]
        assert view["gaps"][0]["seconds"] >= 30 * 60
    finally:
        srv.stop()
        feeder.close()


def test_kill_9_and_restart_lose_nothing(tmp_path: Path) -> None:
    sim = ["--simulate", "dsmr5", "--sim-step", "60", "--sim-failures-per-day", "0",
           "--interval", "0.005"]  # fmt: skip
    srv = Server(tmp_path, *sim, "--sim-start", "2026-01-10T08:00:00+01:00")
    try:
        srv.wait_for(lambda: srv.json("/api/v2/status")["store"].get("hours", 0) >= 3)
        before = srv.json("/api/v2/status")["store"]
        hours_before = srv.json("/api/v1/hist/hours?from=0")["hours"]
    finally:
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
    again = Server(tmp_path, *sim, "--sim-start", "2026-01-11T08:00:00+01:00")
    try:
        # the last telegram before the kill is served at once, before any new one
        assert again.json("/api/v1/sm/actual")["actual"]
        again.wait_for(lambda: again.json("/api/v2/status")["telegrams"] >= 5)
        after = again.json("/api/v2/status")["store"]
        assert after["hours"] >= before["hours"] and after["readings"] >= before["readings"]
        hours_after = {h["start"]: h for h in again.json("/api/v1/hist/hours?from=0")["hours"]}
        for hour in hours_before:
            if hour.get("missing"):
                continue
            kept = hours_after[hour["start"]]
            assert kept["samples"] >= hour["samples"] and kept["edt1"] >= hour["edt1"]
        reasons = [g["reason"] for g in again.json("/api/v1/hist/hours?from=0")["gaps"]]
        assert reasons == ["server down"]
        missing = [h for h in hours_after.values() if h.get("missing")]
        assert len(missing) > 10  # the hours of the night it was down are marked
    finally:
        again.stop()


def test_round_trip_open_reads_our_server_as_a_dsmr_logger(tmp_path: Path) -> None:
    start = "2026-02-01T10:00:00+01:00"
    srv = Server(tmp_path, "--simulate", "dsmr5", "--sim-start", start, "--sim-seed", "9",
                 "--sim-step", "1", "--sim-failures-per-day", "0", "--interval", "0.25",
                 "--sim-count", "40")  # fmt: skip
    try:
        expected = Simulator("dsmr5", seed=9, start=datetime.fromisoformat(start), step=1,
                             failures_per_day=0)  # fmt: skip
        # the bytes from "/" to the CRC; line ends after the CRC belong to the link, not the frame
        sent = [raw.rstrip(b"\r\n") for raw, _ in zip(expected, range(40))]
        got: list[Any] = []
        with dsmrparse.open(srv.url, interval=0.05, timeout=5) as source:
            assert source.endpoint is None or "/api/v1/sm/telegram" in str(source.endpoint)
            for item in source:
                got.append(item)
                if len(got) == 4:
                    break
        assert all(isinstance(t, dsmrparse.Telegram) for t in got)
        positions = [
            sent.index(t.raw.rstrip(b"\r\n")) for t in got
        ]  # each is one of the telegrams that went in
        assert positions == sorted(positions) and len(set(positions)) == 4
    finally:
        srv.stop()


def test_a_capture_file_as_source_and_a_source_that_is_not_there(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "nl" / "dsmr50_landis_e350.txt"
    srv = Server(tmp_path / "a", str(fixture))
    try:
        srv.wait_for(srv.finished)
        expected = dsmrparse.parse(fixture.read_bytes())
        raw = srv.get("/api/v1/sm/telegram")[1]
        assert dsmrparse.parse(raw) == expected
        assert srv.json("/api/v1/hist/hours")["hours"][0]["recid"] == expected.timestamp.strftime(  # type: ignore[union-attr]
            "%y%m%d%H"
        )
    finally:
        srv.stop()
    srv = Server(tmp_path / "b", str(tmp_path / "no-such-meter"))
    try:
        srv.wait_for(lambda: srv.json("/api/v2/status")["source_error"])
        assert srv.json("/api/v2/status")["source"] in ("lost", "failed")
        assert srv.json("/api/v1/sm/actual") == {"actual": []}  # serving goes on
    finally:
        srv.stop()


def test_a_full_store_is_reported_and_serving_goes_on(tmp_path: Path) -> None:
    # --store-max-mb caps the history file; beyond it every write fails as on a full disk
    srv = Server(tmp_path, "--simulate", "dsmr5", "--sim-step", "60", "--interval", "0.01",
                 "--store-max-mb", "0.05")  # fmt: skip

    def info() -> dict[str, Any]:
        return {r["name"]: r["value"] for r in srv.json("/api/v1/dev/info")["devinfo"]}

    try:
        srv.wait_for(lambda: info()["store_error"])
        assert "full" in info()["store_error"]
        count = srv.json("/api/v2/status")["telegrams"]
        srv.wait_for(lambda: srv.json("/api/v2/status")["telegrams"] > count + 5)
        assert srv.json("/api/v1/sm/actual")["actual"]  # the newest telegram is still served
        assert srv.json("/api/v1/hist/hours")["hours"]  # and the history that was stored
        assert "dsmr_store_ok 0" in srv.get("/metrics")[1].decode()
    finally:
        srv.stop()
    said = "".join(srv.log)
    assert said.count("write failed") == 1, said  # in the log once, not once per telegram


def test_start_up_mistakes_are_said_in_words(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from _serve_proc import SRC

    taken = socket.create_server(("127.0.0.1", 0))
    port = str(taken.getsockname()[1])
    cases = [
        (["--simulate", "nosuch"], 2, "no profile 'nosuch'"),
        (["--simulate", "dsmr5", "--sim-start", "yesterday"], 2, "not an ISO 8601 time"),
        ([], 2, "give a SOURCE or --simulate"),
        (["--simulate", "dsmr5", "--port", port], 3, "cannot listen"),
    ]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    cases.append((["--simulate", "dsmr5", "--data", str(broken)], 3, "not a database"))
    env = dict(os.environ, PYTHONPATH=str(SRC))
    try:
        for args, code, said in cases:
            done = subprocess.run(
                [sys.executable, "-m", "dsmrparse", "serve", "--data", str(tmp_path), *args],
                env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == code and said in done.stderr, (args, done.stderr)
            assert "Traceback" not in done.stderr
    finally:
        taken.close()
