"""The history store: SQLite in WAL mode, one row per hour, day and month, plus fine readings.

Each period row holds the five registers the firmware keeps (electricity imported and exported in
tariffs 1 and 2, gas) at the period's start and at its last telegram, so usage is ``end - start``
without looking at neighbours. A register that goes down (a new meter) starts a new *series*: the
running rows are closed and new ones begin, so usage never goes negative. Silences longer than
``gap_seconds`` are written to ``gaps`` with their reason; a period that begins after a gap takes
its start registers from its own first telegram and says so (``gap = 1``).

Every telegram is one transaction: ``kill -9`` loses nothing that was committed. A full disk (or
any write error) is kept in ``error`` and logged; reads go on.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["Store", "Period", "REGISTERS", "KINDS", "period_start", "SCHEMA_VERSION"]

log = logging.getLogger("dsmrparse.serve.store")

REGISTERS = ("edt1", "edt2", "ert1", "ert2", "gdt")
KINDS = ("hours", "days", "months")

_MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE periods (
        kind TEXT NOT NULL, start_utc INTEGER NOT NULL, series INTEGER NOT NULL,
        start_local TEXT NOT NULL,
        edt1_start TEXT, edt2_start TEXT, ert1_start TEXT, ert2_start TEXT, gdt_start TEXT,
        edt1 TEXT, edt2 TEXT, ert1 TEXT, ert2 TEXT, gdt TEXT,
        first_seen REAL NOT NULL, last_seen REAL NOT NULL, samples INTEGER NOT NULL,
        gap INTEGER NOT NULL DEFAULT 0, corrected INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, start_utc, series)
    );
    CREATE TABLE readings (
        ts INTEGER PRIMARY KEY, series INTEGER NOT NULL,
        edt1 TEXT, edt2 TEXT, ert1 TEXT, ert2 TEXT, gdt TEXT,
        power_delivered TEXT, power_returned TEXT
    );
    CREATE TABLE gaps (start REAL NOT NULL, end REAL NOT NULL, reason TEXT NOT NULL);
    CREATE INDEX gaps_end ON gaps (end);
    CREATE TABLE last_telegram (id INTEGER PRIMARY KEY CHECK (id = 1), received REAL, raw BLOB);
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)


def period_start(kind: str, local: datetime, zone: ZoneInfo | None) -> datetime:
    """The start of the hour/day/month that holds ``local`` (an aware datetime), in local time.
    Days and months begin at local midnight with the offset that holds then (DST aware)."""
    if kind == "hours":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "months":
        day = day.replace(day=1)
    if zone is None:
        return day
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def next_start(kind: str, start: datetime, zone: ZoneInfo | None) -> datetime:
    if kind == "hours":
        return start + timedelta(hours=1)
    if kind == "days":
        nxt = (start.replace(tzinfo=None) + timedelta(days=1)).date()
    else:
        y, m = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        nxt = start.date().replace(year=y, month=m, day=1)
    tz = zone if zone is not None else start.tzinfo
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)


@dataclass
class Period:
    kind: str
    start_utc: int
    series: int
    start_local: str
    start: dict[str, Decimal | None]
    end: dict[str, Decimal | None]
    first_seen: float
    last_seen: float
    samples: int
    gap: bool
    corrected: bool

    @property
    def recid(self) -> str:
        """The firmware's record id: YYMMDDHH of the period start in local time."""
        s = self.start_local
        return s[2:4] + s[5:7] + s[8:10] + s[11:13]

    def usage(self) -> dict[str, Decimal | None]:
        out: dict[str, Decimal | None] = {}
        for r in REGISTERS:
            a, b = self.start.get(r), self.end.get(r)
            out[r] = None if a is None or b is None else b - a
        return out


def _dec(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _txt(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class Store:
    """One SQLite file; safe to call from one writer thread and the event loop (a lock)."""

    def __init__(self, path: Path, gap_seconds: float = 300.0, max_mb: float = 0.0) -> None:
        self.path = path
        self.gap_seconds = gap_seconds
        self.lock = threading.Lock()
        self.error: str | None = None  # the last write failure (a full disk ...), None when fine
        self.writes = 0
        self.corrections = 0  # month corrections through the API (they change the history too)
        self.failed_writes = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing
        self.db.execute("PRAGMA busy_timeout=5000")
        self._migrate()
        if max_mb > 0:  # a cap for small SD cards: beyond it writes fail as on a full disk
            page = int(self.db.execute("PRAGMA page_size").fetchone()[0])
            self.db.execute(f"PRAGMA max_page_count = {max(1, int(max_mb * 2**20 / page))}")
        self._stored_this_run = False
        self._last_prune = 0.0

    # ---- schema -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} has schema version {version}, newer than this dsmrparse "
                f"({SCHEMA_VERSION}); upgrade dsmrparse"
            )
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # one statement at a time: executescript would commit half a migration
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
            log.info("store %s migrated to schema version %d", self.path, number + 1)

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # ---- writing ------------------------------------------------------------------------------
    def _meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def last_seen(self) -> float | None:
        value = self._meta("last_seen")
        return None if value is None else float(value)

    def add(
        self,
        received: float,
        local: datetime,
        zone: ZoneInfo | None,
        registers: dict[str, Decimal | None],
        power: tuple[Decimal | None, Decimal | None] = (None, None),
        raw: bytes | None = None,
        resolution: int = 60,
        keep_days: int = 10,
    ) -> bool:
        """Store one telegram (meter time ``local``); False when the write failed."""
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self._add(received, local, zone, registers, power, raw, resolution, keep_days)
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
                self.failed_writes += 1
                if self.error != str(exc):
                    log.error(
                        "history store %s: write failed: %s (serving goes on)", self.path, exc
                    )
                self.error = str(exc)
                return False
            self.writes += 1
            self._stored_this_run = True
            if self.error is not None:
                log.warning("history store %s: writing again", self.path)
                self.error = None
            return True

    def _add(
        self,
        received: float,
        local: datetime,
        zone: ZoneInfo | None,
        registers: dict[str, Decimal | None],
        power: tuple[Decimal | None, Decimal | None],
        raw: bytes | None,
        resolution: int,
        keep_days: int,
    ) -> None:
        moment = local.timestamp()
        last = self.last_seen()
        series = int(self._meta("series", "1") or 1)
        if last is not None and moment - last > self.gap_seconds:
            # before this run's first telegram the silence spans a restart: the server was down
            reason = "no telegrams" if self._stored_this_run else "server down"
            self.db.execute("INSERT INTO gaps VALUES (?, ?, ?)", (last, moment, reason))
        previous = self._meta("registers")
        if previous:
            old = dict(zip(REGISTERS, previous.split(";")))
            for r in REGISTERS:
                before, now = _dec(old.get(r) or None), registers.get(r)
                if before is not None and now is not None and now < before:
                    series += 1
                    self._set_meta("series", str(series))
                    log.warning("register %s went down (%s -> %s): a new series", r, before, now)
                    break
        self._set_meta("registers", ";".join(_txt(registers.get(r)) or "" for r in REGISTERS))
        if last is None or moment >= last:
            self._set_meta("last_seen", repr(moment))
        for kind in KINDS:
            self._period(kind, moment, local, zone, series, registers)
        if resolution > 0:  # the first telegram of each slot is kept
            slot = int(moment) - int(moment) % resolution
            self.db.execute(
                "INSERT OR IGNORE INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (slot, series, *(_txt(registers.get(r)) for r in REGISTERS),
                 _txt(power[0]), _txt(power[1])),
            )  # fmt: skip
        if raw is not None:
            self.db.execute(
                "INSERT OR REPLACE INTO last_telegram VALUES (1, ?, ?)", (received, raw)
            )
        if moment - self._last_prune > 3600:
            self._last_prune = moment
            self.db.execute("DELETE FROM readings WHERE ts < ?", (moment - keep_days * 86400,))

    def _period(
        self,
        kind: str,
        moment: float,
        local: datetime,
        zone: ZoneInfo | None,
        series: int,
        registers: dict[str, Decimal | None],
    ) -> None:
        start = period_start(kind, local, zone)
        key = int(start.timestamp())
        row = self.db.execute(
            "SELECT start_utc, series, last_seen, " + ", ".join(REGISTERS) + " FROM periods "
            "WHERE kind = ? ORDER BY last_seen DESC LIMIT 1",
            (kind,),
        ).fetchone()
        values = [_txt(registers.get(r)) for r in REGISTERS]
        if row is not None and row[0] == key and row[1] == series:
            self.db.execute(
                "UPDATE periods SET edt1 = coalesce(?, edt1), edt2 = coalesce(?, edt2), "
                "ert1 = coalesce(?, ert1), ert2 = coalesce(?, ert2), gdt = coalesce(?, gdt), "
                "last_seen = max(last_seen, ?), samples = samples + 1 "
                "WHERE kind = ? AND start_utc = ? AND series = ?",
                (*values, moment, kind, key, series),
            )
            return
        contiguous = (
            row is not None and row[1] == series and row[0] < key
            and moment - float(row[2]) <= self.gap_seconds
        )  # fmt: skip
        starts = list(row[3:]) if contiguous and row is not None else values
        starts = [s if s is not None else v for s, v in zip(starts, values)]
        self.db.execute(
            "INSERT OR IGNORE INTO periods (kind, start_utc, series, start_local, "
            "edt1_start, edt2_start, ert1_start, ert2_start, gdt_start, "
            "edt1, edt2, ert1, ert2, gdt, first_seen, last_seen, samples, gap) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (kind, key, series, start.isoformat(), *starts, *values, moment, moment,
             0 if contiguous or row is None else 1),
        )  # fmt: skip

    def correct_month(self, start: datetime, registers: dict[str, Decimal | None]) -> None:
        """``POST /api/v1/hist/months``: set a month's end registers (created when absent)."""
        key = int(start.timestamp())
        values = [_txt(registers.get(r)) for r in REGISTERS]
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                row = self.db.execute(
                    "SELECT series FROM periods WHERE kind = 'months' AND start_utc = ? "
                    "ORDER BY series DESC LIMIT 1",
                    (key,),
                ).fetchone()
                if row is None:
                    series = int(self._meta("series", "1") or 1)
                    # a month entered by hand begins where the month before it ended, so its
                    # usage is the difference, as the firmware's month list implies; with no
                    # month before it, it begins at its own end (no usage is invented)
                    before = self.db.execute(
                        "SELECT edt1, edt2, ert1, ert2, gdt FROM periods WHERE kind = 'months' "
                        "AND start_utc < ? AND series = ? ORDER BY start_utc DESC LIMIT 1",
                        (key, series),
                    ).fetchone()
                    starts = list(before) if before is not None else values
                    starts = [s if s is not None else v for s, v in zip(starts, values)]
                    self.db.execute(
                        "INSERT INTO periods (kind, start_utc, series, start_local, "
                        "edt1_start, edt2_start, ert1_start, ert2_start, gdt_start, "
                        "edt1, edt2, ert1, ert2, gdt, first_seen, last_seen, samples, gap, "
                        "corrected) VALUES ('months', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, 0, 1, 1)",
                        (key, series, start.isoformat(),
                         *starts, *values, float(key), float(key)),
                    )  # fmt: skip
                else:
                    self.db.execute(
                        "UPDATE periods SET edt1 = ?, edt2 = ?, ert1 = ?, ert2 = ?, gdt = ?, "
                        "corrected = 1 WHERE kind = 'months' AND start_utc = ? AND series = ?",
                        (*values, key, row[0]),
                    )
                self.db.execute("COMMIT")
            except sqlite3.Error:
                self.db.execute("ROLLBACK")
                raise
            self.corrections += 1

    # ---- reading ------------------------------------------------------------------------------
    def periods(
        self,
        kind: str,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[Period]:
        """Periods of ``kind`` whose start lies in [since, until), newest first."""
        sql = "SELECT * FROM periods WHERE kind = ?"
        args: list[Any] = [kind]
        if since is not None:
            sql += " AND start_utc >= ?"
            args.append(since)
        if until is not None:
            sql += " AND start_utc < ?"
            args.append(until)
        sql += " ORDER BY start_utc DESC, series DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self.lock:
            found = self.db.execute(sql, args).fetchall()
        return [_period(r) for r in found]

    def gaps(
        self, since: float | None = None, until: float | None = None
    ) -> list[tuple[float, float, str]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT start, end, reason FROM gaps WHERE end >= ? AND start <= ? ORDER BY start",
                (since if since is not None else 0, until if until is not None else 1e12),
            ).fetchall()
        return [(float(a), float(b), str(c)) for a, b, c in rows]

    def readings(self, since: float, until: float) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM readings WHERE ts >= ? AND ts < ? ORDER BY ts", (since, until)
            ).fetchall()
        names = ("ts", "series", *REGISTERS, "power_delivered", "power_returned")
        return [
            {k: (_dec(v) if k not in ("ts", "series") else v) for k, v in zip(names, r)}
            for r in rows
        ]

    def last_telegram(self) -> tuple[float, bytes] | None:
        with self.lock:
            row = self.db.execute("SELECT received, raw FROM last_telegram").fetchone()
        return None if row is None else (float(row[0]), bytes(row[1]))

    def counts(self) -> dict[str, int]:
        with self.lock:
            rows = self.db.execute("SELECT kind, count(*) FROM periods GROUP BY kind").fetchall()
            readings = self.db.execute("SELECT count(*) FROM readings").fetchone()[0]
            gaps = self.db.execute("SELECT count(*) FROM gaps").fetchone()[0]
        out = {str(k): int(n) for k, n in rows}
        out["readings"] = int(readings)
        out["gaps"] = int(gaps)
        return out


def _period(row: Sequence[Any]) -> Period:
    (kind, start_utc, series, start_local, *regs) = row[:14]
    first_seen, last_seen, samples, gap, corrected = row[14:19]
    return Period(
        kind=kind,
        start_utc=int(start_utc),
        series=int(series),
        start_local=str(start_local),
        start={r: _dec(v) for r, v in zip(REGISTERS, regs[:5])},
        end={r: _dec(v) for r, v in zip(REGISTERS, regs[5:10])},
        first_seen=float(first_seen),
        last_seen=float(last_seen),
        samples=int(samples),
        gap=bool(gap),
        corrected=bool(corrected),
    )
