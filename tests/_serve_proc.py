"""Helpers of the serve tests: `dsmrparse serve` as a real subprocess on a loopback port, and a
real Mosquitto broker."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parent.parent / "src"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONFAULTHANDLER"] = "1"  # (a server that hangs on stop shows where, see stop())
    return env


class Server:
    """``dsmrparse serve ARGS --port 0``; ``url`` once it listens."""

    def __init__(self, data: Path, *args: str, host: str = "127.0.0.1") -> None:
        command = [sys.executable, "-m", "dsmrparse", "serve", "--host", host, "--port", "0",
                   "--data", str(data), *args]  # fmt: skip
        self.proc = subprocess.Popen(
            command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].strip().rstrip("/")
                return
        self.stop()
        raise RuntimeError("the server did not start:\n" + "".join(self.log))

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            self.lines.put(line)

    def get(self, path: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
        return request(self.url + path, headers=headers)

    def json(self, path: str) -> Any:
        status, body, _ = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def post(self, path: str, body: bytes, **headers: str) -> tuple[int, Any]:
        status, answer, _ = request(self.url + path, data=body, headers=headers)
        try:
            return status, json.loads(answer)
        except ValueError:
            return status, answer

    def wait_for(self, check: Any, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("condition not met in time; server log:\n" + "".join(self.log))

    def finished(self) -> bool:
        return self.json("/api/v2/status")["source"] == "finished"

    def stop(self) -> None:
        """Stop it (SIGTERM) and check that it never wrote a traceback: bad input, lost
        sources and brokers are reported in words, and a clean stop exits 0."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGABRT)  # (faulthandler: every thread's stack)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                time.sleep(0.2)  # the last lines of stderr
                raise AssertionError(
                    "the server did not stop on SIGTERM; its log and stacks:\n" + "".join(self.log)
                ) from None
            assert self.proc.returncode == 0, (self.proc.returncode, "".join(self.log))
        time.sleep(0.05)  # the last lines of stderr
        assert "Traceback" not in "".join(self.log), "".join(self.log)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """A real broker on a loopback port (Debian's mosquitto), restartable on the same port."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
