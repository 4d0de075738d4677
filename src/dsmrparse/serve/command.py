"""``dsmrparse serve``: options, the settings file, and the process that runs it all."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import socket
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]

log = logging.getLogger("dsmrparse.serve")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="be a DSMR-logger: read a meter, keep its history, serve its REST API and MQTT",
        description="Read a meter (a device, socket://, http://, a file) or the built-in "
        "simulator, keep hour/day/month history in SQLite and serve the DSMRloggerAPI REST API, "
        "our v2 API, /metrics and MQTT. Settings live in a TOML file (default DATA/settings.toml); "
        "options given here win over it and are not written back. See docs/serve.md.",
    )
    p.add_argument("source", nargs="?", help="what dsmrparse.open() reads (omit with --simulate)")
    p.add_argument("--simulate", metavar="PROFILE", help="use the simulated meter of PROFILE")
    p.add_argument("--host", help="listen address (default 127.0.0.1; 0.0.0.0 for the LAN)")
    p.add_argument("--port", type=int, help="listen port (default 8080; 0 picks a free one)")
    p.add_argument("--data", metavar="DIR", help="data folder (default ./dsmrparse-data)")
    p.add_argument("--settings", metavar="FILE", help="settings file (default DATA/settings.toml)")
    p.add_argument("--token", help="token for writes when listening beyond loopback")
    p.add_argument("--profile", help="meter family (default: detected)")
    p.add_argument("--key", help="decryption key of an encrypted meter")
    p.add_argument("--mqtt-broker", metavar="HOST", help="MQTT broker (empty: no MQTT)")
    p.add_argument("--mqtt-port", type=int, metavar="PORT", help="MQTT broker port (1883)")
    p.add_argument("--mqtt-user", metavar="USER")
    p.add_argument("--mqtt-password", metavar="PASSWORD")
    p.add_argument("--mqtt-top", metavar="TOPIC", help="top topic (default dsmrparse)")
    p.add_argument(
        "--mqtt-interval",
        type=int,
        metavar="S",
        help="seconds between MQTT publications (0: MQTT off, as the firmware)",
    )
    p.add_argument("--capture", action="store_true", help="also keep raw telegrams, daily .gz")
    p.add_argument(
        "--store-max-mb",
        type=float,
        metavar="MB",
        help="cap on the history file; beyond it writes fail as on a full disk",
    )
    sim = p.add_argument_group("simulator")
    sim.add_argument(
        "--interval",
        type=float,
        metavar="S",
        help="real seconds between simulated telegrams (default 1)",
    )
    sim.add_argument(
        "--sim-step",
        type=float,
        metavar="S",
        help="simulated seconds per telegram (default: the meter's own)",
    )
    sim.add_argument("--sim-start", metavar="ISO", help="simulated start time (default now)")
    sim.add_argument("--sim-seed", type=int, metavar="N")
    sim.add_argument("--sim-failures-per-day", type=float, metavar="F", default=1.0)
    sim.add_argument("--sim-count", type=int, metavar="N", help="stop simulating after N")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request and more")
    p.set_defaults(run=run)  # fmt: skip


def _apply_options(settings: Any, args: argparse.Namespace) -> None:
    """Command-line options override the file for this run only."""
    pairs = {
        "host": args.host, "port": args.port, "data": args.data, "simulate": args.simulate,
        "source": args.source, "profile": args.profile, "key": args.key, "token": args.token,
        "mqtt_broker": args.mqtt_broker, "mqtt_broker_port": args.mqtt_port,
        "mqtt_user": args.mqtt_user, "mqtt_passwd": args.mqtt_password,
        "mqtt_toptopic": args.mqtt_top, "mqtt_interval": args.mqtt_interval,
        "store_max_mb": args.store_max_mb,
    }  # fmt: skip
    for name, value in pairs.items():
        if value is not None:
            setattr(settings, name, value)
    if args.capture:
        settings.capture = 1


def run(args: argparse.Namespace) -> int:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print("dsmrparse serve needs the serve extra: pip install 'dsmrparse[serve]'",
              file=sys.stderr)  # fmt: skip
        return 4
    from . import settings as settings_mod

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    data = Path(args.data or "./dsmrparse-data")
    settings_path = Path(args.settings) if args.settings else data / "settings.toml"
    try:
        file_settings = settings_mod.load(settings_path)
    except settings_mod.SettingError as exc:
        print(f"dsmrparse serve: {exc}", file=sys.stderr)
        return 2
    _apply_options(file_settings, args)
    data = Path(file_settings.data)
    if not (file_settings.source or file_settings.simulate):
        print("dsmrparse serve: give a SOURCE or --simulate PROFILE", file=sys.stderr)
        return 2
    problem = _check(file_settings, args)
    if problem:
        print(f"dsmrparse serve: {problem}", file=sys.stderr)
        return 2
    try:
        data.mkdir(parents=True, exist_ok=True)
        if not settings_path.exists():
            settings_mod.save(settings_mod.load(settings_path), settings_path)
    except OSError as exc:
        print(f"dsmrparse serve: data folder {data}: {exc}", file=sys.stderr)
        return 3
    print(f"dsmrparse serve: settings file {settings_path.resolve()}", file=sys.stderr, flush=True)
    try:
        return asyncio.run(_main(file_settings, settings_path, data, args))
    except KeyboardInterrupt:
        return 130


class _BadRequestsInWords(logging.Filter):
    """aiohttp logs a malformed request (not HTTP, a header too long) with a traceback; the
    client already got its 400, so one line in words is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            text = str(error).splitlines()[0] if str(error) else type(error).__name__
            said = record.getMessage()
            record.msg = "%s: %s"
            record.args = (said, text[:200])
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger("aiohttp.server").isEnabledFor(logging.INFO)
        return True


def _check(settings: Any, args: argparse.Namespace) -> str | None:
    """What would only fail later, said before anything starts."""
    from ..errors import ProfileError
    from ..profiles import get as get_profile

    for name in (settings.simulate, settings.profile):
        if name:
            try:
                get_profile(name)
            except ProfileError as exc:
                return str(exc)
    if args.sim_start:
        try:
            datetime.fromisoformat(args.sim_start)
        except ValueError:
            return f"--sim-start {args.sim_start!r} is not an ISO 8601 time"
    if not 0 <= settings.port <= 65535:
        return f"port {settings.port} is not a TCP port"
    return None


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _main(settings: Any, settings_path: Path, data: Path, args: argparse.Namespace) -> int:
    from aiohttp import web

    from . import settings as settings_mod
    from .app import is_loopback, make_app
    from .logger import Logger
    from .reader import SimulatorPlan, run_simulator, run_source
    from .store import Store

    logging.getLogger("aiohttp.server").addFilter(_BadRequestsInWords())
    try:
        store = Store(data / "history.sqlite3", max_mb=settings.store_max_mb)
    except (sqlite3.Error, RuntimeError) as exc:  # not a database, or a newer schema
        print(f"dsmrparse serve: history {data / 'history.sqlite3'}: {exc}", file=sys.stderr)
        return 3
    logger = Logger(settings, store, data)
    loopback = is_loopback(settings.host)
    token = settings.token
    if not loopback and not token:
        token = secrets.token_urlsafe(18)
        print(f"dsmrparse serve: listening beyond loopback; write token {token}", file=sys.stderr)

    def save_settings(name: str) -> None:
        """A setting changed through the API: write the file (the file's own values for what
        the command line overrode stay as they were) and apply it."""
        try:
            on_file = settings_mod.load(settings_path)
            setattr(on_file, name, getattr(settings, name))
            settings_mod.save(on_file, settings_path)
        except (OSError, settings_mod.SettingError) as exc:
            log.error("settings file %s: %s", settings_path, exc)
        if name.startswith("mqtt_"):
            mqtt_restart()

    mqtt_holder: dict[str, Any] = {}

    def mqtt_restart() -> None:
        old = mqtt_holder.pop("client", None)
        if old is not None:
            logger.publishers.remove(old)
            # saying goodbye to the broker may wait up to a second: not on the event loop
            asyncio.get_running_loop().run_in_executor(None, old.stop)
            logger.mqtt = None
        if settings.mqtt_broker:
            try:
                from .mqtt import MqttPublisher
            except ImportError:
                log.error("MQTT needs paho-mqtt: pip install 'dsmrparse[serve]'")
                return
            client = MqttPublisher(settings)
            client.start()
            mqtt_holder["client"] = client
            logger.publishers.append(client)
            logger.mqtt = client

    # a token that was set is always asked for; beyond loopback there always is one
    app = make_app(logger, save_settings, token, token_required=bool(token))
    mqtt_restart()
    runner = web.AppRunner(app, access_log=log if args.verbose else None, shutdown_timeout=3)
    await runner.setup()
    try:
        sock = _listen(settings.host, settings.port)
    except OSError as exc:
        print(f"dsmrparse serve: cannot listen on {settings.host}:{settings.port}: {exc}",
              file=sys.stderr)  # fmt: skip
        await runner.cleanup()
        for client in list(mqtt_holder.values()):
            client.stop()
        store.close()
        return 3
    site = web.SockSite(runner, sock)
    await site.start()
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"dsmrparse serve: listening on http://{shown}:{port}/", file=sys.stderr, flush=True)

    if settings.simulate:
        start = datetime.fromisoformat(args.sim_start) if args.sim_start else None
        plan = SimulatorPlan(
            profile=settings.simulate,
            interval=args.interval if args.interval is not None else 1.0,
            step=args.sim_step,
            start=start,
            seed=args.sim_seed,
            failures_per_day=args.sim_failures_per_day,
            count=args.sim_count,
        )
        reader = asyncio.ensure_future(run_simulator(logger, plan))
    else:
        options: dict[str, Any] = {}
        if settings.profile:
            options["profile"] = settings.profile
        if settings.key:
            options["key"] = settings.key
        reader = asyncio.ensure_future(run_source(logger, settings.source, options))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    stopper = asyncio.ensure_future(stop.wait())
    code = 0
    while not stop.is_set():
        done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and not stop.is_set():
            error = reader.exception()
            if error is not None:
                log.error("reading stopped: %s", error)
                logger.status("failed", str(error))
                print(f"dsmrparse serve: reading stopped: {error}", file=sys.stderr)
            # the server keeps serving the history even when the source is gone for good
            await stop.wait()
    await stop_task(reader)
    for client in list(mqtt_holder.values()):
        client.stop()
    await runner.cleanup()
    store.close()
    return code


async def stop_task(task: asyncio.Task[Any], attempts: int = 20) -> None:
    """Cancel ``task`` and wait until it has ended. Python 3.11's ``asyncio.wait_for`` loses a
    cancellation that arrives as the read it waits for completes (fixed in 3.12), and then the
    source reads on and a SIGTERM never stops the server: so the cancel is repeated, every half
    second, ``attempts`` times at most."""
    for _ in range(attempts):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if task.done():
        with contextlib.suppress(asyncio.CancelledError, Exception):
            task.result()  # (its error was reported when it ended)
