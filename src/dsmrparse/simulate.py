"""A meter simulator: realistic telegrams for any profile in the registry, with valid CRCs.

A small household model drives the values: a base load, appliances switching on and off, solar
panels on sunny afternoons, a gas meter. Energy registers rise by exactly the power written
(integrated over the interval), per-phase powers add up to the totals, the gas reading moves on
every 5 minutes (hourly for DSMR 4 and older), the DST flag follows the profile's zone through
both transitions, and now and then the power fails (the counters and the failure log say so).

Rows are filled from what their OBIS code means (``1-0:1.8.1`` is imported energy in tariff 1,
``1-0:32.7.0`` the voltage of L1 ...), so a new profile table needs no simulator code.
"""

from __future__ import annotations

import math
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any

from . import _kinds as K
from ._types import PeakRecord, PowerFailure, Reading
from .encode import encode
from .profiles import Field, Profile
from .profiles import get as get_profile
from .values import time_context

__all__ = ["Simulator", "open_sink", "run"]

_CODE = re.compile(r"^(\d+)-(\d+|n):(\d+)\.(\d+)\.(\d+)$")
_PHASE_OF = {21: 1, 22: 1, 31: 1, 32: 1, 33: 1, 41: 2, 42: 2, 51: 2, 52: 2, 53: 2,
             61: 3, 62: 3, 71: 3, 72: 3, 73: 3}  # fmt: skip
_APPLIANCES = (  # (watts, minutes on, chance to start per hour)
    (2000, 3, 2.0),  # kettle
    (550, 60, 0.15),  # washing machine
    (2200, 40, 0.1),  # oven
    (120, 20, 1.5),  # fridge compressor
    (1500, 10, 0.3),  # microwave, iron
)


def _split(code: str) -> tuple[int, int, int, int, int] | None:
    m = _CODE.match(code)
    if m is None:
        return None
    a, b, c, d, e = m.groups()
    return int(a), (0 if b == "n" else int(b)), int(c), int(d), int(e)


def _scale(unit: str | None) -> float:
    """Base-unit (W, Wh, var ...) value to the row's unit: kWh -> 1/1000."""
    u = (unit or "").strip()
    if u[:1] in ("k", "K") and len(u) > 1:
        return 1e-3
    if u[:1] == "M" and len(u) > 1:
        return 1e-6
    return 1.0


class Simulator:
    """Telegrams of one simulated meter. Iterating gives bytes, one telegram each, endlessly.

    ``step`` is the simulated time between telegrams (default: 1 s for DSMR 5 style meters,
    10 s for older ones); ``failures_per_day`` how often the power fails on average.
    """

    def __init__(
        self,
        profile: str | Profile = "dsmr5",
        *,
        seed: int | None = None,
        start: datetime | None = None,
        step: float | None = None,
        failures_per_day: float = 1.0,
        line_ending: str = "\r\n",
        solar: bool | None = None,
    ) -> None:
        self.profile = get_profile(profile)
        self.ctx = time_context(self.profile.timezone)
        self.rng = random.Random(seed)
        versions = [v for _, v in self.profile.version_objects]
        modern = any(v[:1] == "5" for v in versions)
        self.step = float(step if step is not None else (1 if modern else 10))
        self.mbus_interval = int(self.profile.extra.get("mbus_interval", 300 if modern else 3600))
        self.failures_per_day = failures_per_day
        self.line_ending = line_ending
        if start is None:
            start = datetime.now(timezone.utc).replace(microsecond=0)
        elif start.tzinfo is None:
            start = self.ctx.localize(start)
        self.now = start.astimezone(timezone.utc)
        self.solar = self.rng.random() < 0.5 if solar is None else solar
        self.solar_peak = self.rng.uniform(2500, 5000)
        self.clouds = 1.0
        self.base = [self.rng.uniform(60, 140) for _ in range(3)]
        self.running: list[list[float]] = []  # [watts, seconds left, phase]
        self.energy: dict[tuple[int, int], float] = {}  # (C, tariff) -> Wh
        self.gas = self.rng.uniform(1000, 9000)  # m3
        self.gas_reading = Reading(None, None, "m3")
        self.sags = [0, 0, 0]
        self.failures = 0
        self.long_failures = 0
        self.failure_log: list[PowerFailure] = []
        self.demand_window: list[float] = []  # (watts) of the running quarter hour
        self.demand = 0.0
        self.month_peak: tuple[datetime, float] | None = None
        self.peaks: list[PeakRecord] = []
        self.phase_import = [0, 0, 0]
        self.phase_export = [0, 0, 0]
        self.voltage = [230.0, 230.0, 230.0]
        self.serial = "".join(self.rng.choice("0123456789") for _ in range(14))
        self.phases = (
            3
            if any(
                (s := _split(f.obis)) and s[2] in (41, 51, 52, 61, 71, 72)
                for f in self.profile.fields
            )
            else 1
        )
        self.tariffs = sorted(
            {s[4] for f in self.profile.fields if (s := _split(f.obis)) and s[2] == 1 and s[3] == 8}
            - {0}
        ) or [1]
        for tariff in self.tariffs:
            for c in (1, 2, 3, 4, 5, 6, 7, 8):
                self.energy[(c, tariff)] = self.rng.uniform(0, 5e6) if c in (1, 2, 5, 8) else 0.0
        self._complex = self._probe_complex()
        self._power(self.now)
        self._update_gas(self.now, force=True)

    # ---- the household --------------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.ctx.zone)

    def tariff(self, moment: datetime) -> int:
        local = self._local(moment)
        n = len(self.tariffs)
        if n == 2:  # Dutch style: low at night and at weekends
            low = local.weekday() >= 5 or local.hour >= 23 or local.hour < 7
            return self.tariffs[0] if low else self.tariffs[1]
        return self.tariffs[min(local.hour * n // 24, n - 1)]

    def _solar_watts(self, moment: datetime) -> float:
        if not self.solar:
            return 0.0
        local = self._local(moment)
        hour = local.hour + local.minute / 60
        season = 0.55 + 0.45 * math.cos((local.timetuple().tm_yday - 172) / 365 * 2 * math.pi)
        sun = max(0.0, math.sin(math.pi * (hour - 6) / 14)) if 6 < hour < 20 else 0.0
        self.clouds = min(1.0, max(0.2, self.clouds + self.rng.gauss(0, 0.01)))
        return self.solar_peak * season * sun * self.clouds

    def _power(self, moment: datetime) -> None:
        """Per-phase import and export (whole watts) for the next interval."""
        rng = self.rng
        for watts, minutes, per_hour in _APPLIANCES:
            if rng.random() < per_hour * self.step / 3600:
                phase = rng.randrange(self.phases)
                self.running.append([watts * rng.uniform(0.9, 1.1), minutes * 60, phase])
        load = [self.base[p] if p < self.phases else 0.0 for p in range(3)]
        for item in self.running:
            load[int(item[2])] += item[0]
            item[1] -= self.step
        self.running = [r for r in self.running if r[1] > 0]
        pv = self._solar_watts(moment)
        for p in range(3):
            if p >= self.phases:
                self.phase_import[p] = self.phase_export[p] = 0
                continue
            net = round(load[p] - pv / self.phases + rng.gauss(0, 5))
            self.phase_import[p] = max(net, 0)
            self.phase_export[p] = max(-net, 0)
            drop = 0.004 * net / 100  # volts sag a little under load
            self.voltage[p] = min(253.0, max(207.0, 231 + rng.gauss(0, 0.6) - drop))
            if rng.random() < 1e-5 * self.step:
                self.sags[p] += 1

    @property
    def imported(self) -> int:
        return sum(self.phase_import)

    @property
    def exported(self) -> int:
        return sum(self.phase_export)

    def _integrate(self, seconds: float, moment: datetime) -> None:
        tariff = self.tariff(moment)
        hours = seconds / 3600
        imp, exp = self.imported, self.exported
        e = self.energy
        e[(1, tariff)] += imp * hours
        e[(2, tariff)] += exp * hours
        e[(3, tariff)] += imp * 0.15 * hours
        e[(4, tariff)] += exp * 0.15 * hours
        e[(5, tariff)] += imp * 0.12 * hours
        e[(6, tariff)] += imp * 0.03 * hours
        e[(7, tariff)] += exp * 0.03 * hours
        e[(8, tariff)] += exp * 0.12 * hours
        heating = 0.25 if self._local(moment).month in (10, 11, 12, 1, 2, 3, 4) else 0.03
        self.gas += heating * hours * self.rng.uniform(0.5, 1.5)
        self.demand_window.append(imp)

    def _update_gas(self, moment: datetime, force: bool = False) -> None:
        epoch = int(moment.timestamp())
        mark = epoch - epoch % self.mbus_interval
        if (
            force
            or self.gas_reading.timestamp is None
            or self.gas_reading.timestamp.timestamp() < mark
        ):
            stamp = datetime.fromtimestamp(mark, timezone.utc).astimezone(self.ctx.zone)
            self.gas_reading = Reading(stamp, Decimal(f"{self.gas:.3f}"), "m3")

    def _quarter(self, before: datetime, after: datetime) -> None:
        """Average demand per quarter hour; the month's peak and its history (Belgium)."""
        if int(before.timestamp()) // 900 == int(after.timestamp()) // 900:
            return
        window = self.demand_window or [0.0]
        self.demand = sum(window) / len(window)
        self.demand_window = []
        local_before, local_after = self._local(before), self._local(after)
        if self.month_peak is None or self.demand > self.month_peak[1]:
            self.month_peak = (local_before.replace(microsecond=0), self.demand)
        if (local_before.year, local_before.month) != (local_after.year, local_after.month):
            stamp, watts = self.month_peak
            period = local_after.replace(day=1, hour=0, minute=0, second=0)
            peak = PeakRecord(period, stamp, Decimal(f"{watts / 1000:.3f}"), "kW")
            self.peaks = [peak, *self.peaks[:12]]
            self.month_peak = None

    def advance(self) -> None:
        """Move the meter on by one step; sometimes the power fails in between."""
        before = self.now
        per_step = self.failures_per_day * self.step / 86400
        if per_step and self.rng.random() < per_step:
            self._failure()
            self._quarter(before, self.now)
            self._power(self.now)
            self._update_gas(self.now)
            return
        self._integrate(self.step, before)
        self.now = before + timedelta(seconds=self.step)
        self._quarter(before, self.now)
        self._power(self.now)
        self._update_gas(self.now)

    def _failure(self) -> None:
        long = self.rng.random() < 0.3
        seconds = self.rng.randint(190, 7200) if long else self.rng.randint(2, 170)
        self.now += timedelta(seconds=seconds)
        self.running = []
        if long:
            self.long_failures += 1
            end = self._local(self.now)
            self.failure_log = ([*self.failure_log, PowerFailure(end, seconds, "s")])[-10:]
        else:
            self.failures += 1

    # ---- rows -------------------------------------------------------------------------------
    def _probe_complex(self) -> dict[str, Any]:
        """For each COMPLEX row, the first value shape that parses back without a problem."""
        from . import parse

        now = self._local(self.now).replace(microsecond=0)
        month = now.replace(day=1, hour=0, minute=0, second=0)
        shapes = (
            ("failures", (PowerFailure(now, 300, "s"),)),
            ("peaks", (PeakRecord(month, now, Decimal("1.5"), "kW"),)),
            ("gas", Reading(now.replace(minute=0, second=0), Decimal("1.000"), "m3")),
        )
        found: dict[str, str] = {}
        for f in self.profile.fields:
            if f.kind != K.COMPLEX:
                continue
            code = f.codes()[0]
            for label, shape in shapes:
                try:
                    t = parse(encode(self.profile, [(code, shape)]), self.profile)
                except Exception:  # a shape the row's converter cannot read: try the next
                    continue
                if not any(p.obis == code for p in t.problems):
                    found[code] = label
                    break
        return found

    def _value(self, code: str, row: Field) -> Any:
        parts = _split(code)
        if parts is None:
            return None
        a, b, c, d, e = parts
        name, unit, kind = row.name, row.unit, row.kind
        if kind == K.COMPLEX:
            shape = self._complex.get(code)
            if shape == "failures":
                return tuple(self.failure_log)
            if shape == "peaks":
                return tuple(self.peaks)
            if shape == "gas":
                return self.gas_reading
            return None
        if kind == K.TIMESTAMP:
            return self._local(self.now)
        if a == 0 and b > 0:  # MBus: a gas meter on channel 1
            return self._mbus(c, d, e, kind, b)
        if kind == K.TEXT:
            for obis, prefix in self.profile.version_objects:
                if obis == code:
                    return prefix if len(prefix) >= 2 else prefix.ljust(2, "0")
            return ""
        if kind == K.HEX_TEXT:
            if c == 96 and d == 13:
                return ""
            return "E" + self.serial
        if a == 0:
            return self._general(c, d, e, kind, name)
        watts = self._electric(c, d, e)
        if watts is None:
            return 0 if kind == K.INTEGER else Decimal(0)
        if isinstance(watts, tuple):  # (timestamp, value)
            stamp, base = watts
            return Reading(stamp, self._in_unit(base, unit or "kW"), unit or "kW")
        if kind == K.INTEGER:
            return int(watts * _scale(unit))
        return self._in_unit(watts, unit)

    def _in_unit(self, base: float, unit: str | None) -> Decimal:
        from .encode import _NUMBER_SHAPES

        decimals = _NUMBER_SHAPES.get((unit or "").casefold(), (1, 3))[1]
        exact = Decimal(repr(base * _scale(unit)))
        # registers never round up: a counter must not run ahead of the energy it counted
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_FLOOR")

    def _electric(self, c: int, d: int, e: int) -> float | tuple[datetime, float] | None:
        if d == 8:  # energy registers; e = 0 is the sum over the tariffs
            if c == 15:
                return sum(v for (cc, _), v in self.energy.items() if cc in (1, 2))
            if c not in range(1, 9):
                return None
            if e == 0:
                return sum(v for (cc, _), v in self.energy.items() if cc == c)
            return self.energy.get((c, e), 0.0)
        if d == 7:
            phase = _PHASE_OF.get(c)
            if c == 1:
                return float(self.imported)
            if c == 2:
                return float(self.exported)
            if c in (3, 5):
                return self.imported * 0.15
            if c in (4, 8):
                return self.exported * 0.15
            if c in (13, 33, 53, 73):
                return 0.97 + self.rng.uniform(0, 0.03)
            if c == 14:
                return 50 + self.rng.gauss(0, 0.02)
            if phase is None:
                return None
            p = phase - 1
            if c in (21, 41, 61):
                return float(self.phase_import[p])
            if c in (22, 42, 62):
                return float(self.phase_export[p])
            if c in (32, 52, 72):
                return self.voltage[p]
            if c in (31, 51, 71):
                return (self.phase_import[p] + self.phase_export[p]) / self.voltage[p]
        if d == 4:
            return self.demand if c == 1 else 25.0
        if d == 6 and c == 1:
            stamp, watts = self.month_peak or (self._local(self.now), self.demand)
            return stamp, watts
        if d in (32, 36) and c in _PHASE_OF:
            return float(self.sags[_PHASE_OF[c] - 1] if d == 32 else 0)
        return None

    def _general(self, c: int, d: int, e: int, kind: int, name: str) -> Any:
        if (c, d, e) == (96, 14, 0):
            return self.tariff(self.now)
        if (c, d, e) == (96, 7, 21):
            return self.failures
        if (c, d, e) == (96, 7, 9):
            return self.long_failures
        if (c, d) == (17, 0):
            return Decimal("999.9")
        if kind == K.INTEGER:
            return 1 if (c, d) == (96, 3) else 0
        if kind == K.TIMESTAMPED:
            return Reading(self._local(self.now), Decimal(0), None)
        return Decimal(0)

    def _mbus(self, c: int, d: int, e: int, kind: int, channel: int) -> Any:
        if (c, d) == (24, 1):
            return 3
        if c == 96 and kind in (K.TEXT, K.HEX_TEXT):
            return "G" + self.serial[::-1]
        if kind == K.TIMESTAMPED:
            return self.gas_reading
        if kind == K.INTEGER:
            return 1  # valve open
        return Decimal(0) if kind == K.QUANTITY else ""

    def objects(self) -> list[tuple[str, Any]]:
        """The current values, one per row: the meter's own, then the MBus device on channel 1."""
        out: list[tuple[str, Any]] = []
        mbus: list[tuple[str, Any]] = []
        for row in self.profile.fields:
            if row.is_mbus:
                code = row.codes()[0]
                value = self._value(code, row)
                if value is not None:
                    mbus.append((code, value))
                continue
            value = self._value(row.obis, row)
            if value is not None:
                out.append((row.obis, value))
        return out + mbus

    def telegram(self) -> bytes:
        """The telegram for now (the simulator does not move on)."""
        return encode(self.profile, self.objects(), line_ending=self.line_ending)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            yield self.telegram()
            self.advance()


# --------------------------------------------------------------------------------------------
# where the telegrams go: stdout, a file or pseudo-terminal, a loopback TCP port


class _TcpSink:
    """Serves the telegrams to every client of a TCP port; waits for the first client."""

    def __init__(self, host: str, port: int, announce: IO[str]) -> None:
        self.server = socket.create_server((host, port))
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        self.ready = threading.Event()
        where = self.server.getsockname()
        print(
            # in the spelling `dsmrparse read` and dsmrparse.open() take
            f"dsmrparse simulate: serving on socket://{_host(where[0])}:{where[1]}",
            file=announce,
            flush=True,
        )
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.clients.append(client)
            self.ready.set()

    def write(self, data: bytes) -> None:
        self.ready.wait()
        with self.lock:
            for client in list(self.clients):
                try:
                    client.sendall(data)
                except OSError:
                    self.clients.remove(client)
                    client.close()
            if not self.clients:
                self.ready.clear()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        with self.lock:
            for client in self.clients:
                client.close()
        self.server.close()


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host  # an IPv6 address in a URL


def open_sink(target: str, announce: IO[str] = sys.stderr) -> Any:
    """``-`` (stdout), ``socket://HOST:PORT`` or ``tcp://HOST:PORT`` (a server; port 0 picks one
    and says which on ``announce``), or a path: a file, a FIFO or a pseudo-terminal."""
    if target == "-":
        return sys.stdout.buffer
    if target.startswith(("tcp://", "socket://")):
        host, _, port = target.partition("://")[2].rpartition(":")
        return _TcpSink(host.strip("[]") or "127.0.0.1", int(port), announce)
    return open(target, "wb", buffering=0)  # noqa: SIM115 (the caller closes it)


def run(
    simulator: Simulator,
    target: str = "-",
    count: int | None = None,
    interval: float = 0.0,
    announce: IO[str] = sys.stderr,
) -> int:
    """Write ``count`` telegrams (None: forever) to ``target``; returns how many were written."""
    sink = open_sink(target, announce)
    written = 0
    next_at = time.monotonic()
    try:
        for data in simulator:
            if count is not None and written >= count:
                break
            if interval > 0:
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            sink.write(data)
            if interval > 0:
                sink.flush()
            written += 1
        sink.flush()
    finally:
        if sink is not sys.stdout.buffer:
            sink.close()
    return written
