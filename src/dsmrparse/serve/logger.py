"""The logger's state: what every telegram does on its way in, and what the APIs read.

One telegram: parsed -> registers for the history store -> the firmware's ``actual`` body and our
interchange form, cached once for all readers -> the push channel -> MQTT. Readers never parse.
"""

from __future__ import annotations

import gzip
import logging
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .. import dumps
from ..telegram import Telegram
from . import firmware
from .bridge import is_bridge_telegram
from .events import Hub
from .settings import Settings
from .store import Store

__all__ = ["Logger"]

log = logging.getLogger("dsmrparse.serve")

_REGISTER_FIELDS = {  # history register -> firmware field (units and fallbacks handled there)
    "edt1": "energy_delivered_tariff1",
    "edt2": "energy_delivered_tariff2",
    "ert1": "energy_returned_tariff1",
    "ert2": "energy_returned_tariff2",
}


class Publisher(Protocol):
    def telegram(self, telegram: Telegram, values: dict[str, tuple[Any, str]]) -> None: ...


class Logger:
    def __init__(self, settings: Settings, store: Store, data_dir: Path) -> None:
        self.settings = settings
        self.store = store
        self.data_dir = data_dir
        self.hub = Hub()
        self.publishers: list[Publisher] = []
        self.mqtt: Any = None  # the MQTT publisher while one is configured (its state for info)
        self.started = time.time()
        self.last: Telegram | None = None
        self.last_received: float | None = None
        self.actual_body = '{"actual":[]}'
        self.cache: dict[Any, Any] = {}  # answers that change only when a telegram is stored
        self.telegram_count = 0
        self.telegram_errors = 0  # telegrams with a bad CRC or problems, and skipped frames
        self.ingest_seconds = 0.0  # CPU time spent per stored telegram, summed (metrics)
        self.source_state = "starting"
        self.source_error: str | None = None
        self._restore()

    def _restore(self) -> None:
        """After a restart the last stored telegram is served again until a new one comes."""
        from .. import parse

        saved = self.store.last_telegram()
        if saved is None:
            return
        try:
            telegram = parse(saved[1], self.settings.profile or None)
        except Exception as exc:  # a damaged row must not stop the server
            log.warning("the stored last telegram cannot be read again: %s", exc)
            return
        self._remember(telegram, saved[0])

    def _remember(self, telegram: Telegram, received: float) -> dict[str, tuple[Any, str]]:
        mbus = self.settings.mbus_types
        self.last = telegram
        self.last_received = received
        self.actual_body = dumps({"actual": firmware.rows(telegram, mbus, "actual")})
        return firmware.values(telegram, mbus)

    def registers(self, telegram: Telegram) -> dict[str, Decimal | None]:
        """The five registers the history keeps, as the firmware shows them (kWh, m3)."""
        values = firmware.values(telegram, self.settings.mbus_types)
        out: dict[str, Decimal | None] = {}
        for key, name in _REGISTER_FIELDS.items():
            value = values.get(name, (None, ""))[0]
            out[key] = value if isinstance(value, Decimal) else None
        out["gdt"] = firmware.gas_reading(telegram, self.settings.mbus_types)
        return out

    def zone(self, telegram: Telegram) -> ZoneInfo | None:
        name = telegram.profile_object.timezone
        try:
            return ZoneInfo(name) if name else None
        except (KeyError, ValueError):
            return None

    def ingest(self, telegram: Telegram, received: float | None = None) -> bool:
        """Store and publish one telegram; False when the store could not write it."""
        cpu = time.process_time()
        received = time.time() if received is None else received
        self.telegram_count += 1
        if telegram.crc == "bad" or telegram.problems:
            self.telegram_errors += 1
        zone = self.zone(telegram)
        local = telegram.timestamp
        if local is None:  # meters without a clock: the time it arrived, in the meter's zone
            local = datetime.fromtimestamp(received, zone or timezone.utc)
        power = (telegram.get("power_imported"), telegram.get("power_exported"))
        # a telegram written from a JSON-only bridge's fields is not the meter's own raw text
        own = not is_bridge_telegram(telegram)
        store_error = self.store.error
        stored = self.store.add(
            received,
            local,
            zone,
            self.registers(telegram),
            power=(_decimal(power[0]), _decimal(power[1])),
            raw=telegram.raw if own else None,
            resolution=self.settings.readings_resolution,
            keep_days=self.settings.readings_days,
        )
        if self.store.error != store_error and self.hub.queues:  # a full disk, or room again
            self.hub.publish("status", dumps(self.status_dict()))
        values = self._remember(telegram, received)
        if self.settings.capture and own:
            self._capture(telegram, local)
        if self.hub.queues:
            self.hub.publish("telegram", self.telegram_event() or "")
        for publisher in self.publishers:
            try:
                publisher.telegram(telegram, values)
            except Exception as exc:  # a broker problem never stops the reader
                log.warning("publishing failed: %s", exc)
        self.ingest_seconds += time.process_time() - cpu
        return stored

    def telegram_event(self) -> str | None:
        """The push channel's ``telegram`` data for the last telegram (None before the first)."""
        if self.last is None:
            return None
        return f'{{"actual":{self.actual_body},"telegram":{self.last.to_json()}}}'

    def skipped(self, reason: str) -> None:
        self.telegram_errors += 1
        log.info("skipped: %s", reason)

    def status(self, state: str, error: str | None = None) -> None:
        """The source's state ("reading", "lost", ...), pushed to the pages as ``event: status``."""
        if state == self.source_state and error == self.source_error:
            return
        self.source_state, self.source_error = state, error
        if self.hub.queues:
            self.hub.publish("status", dumps(self.status_dict()))

    def status_dict(self) -> dict[str, Any]:
        return {
            "source": self.source_state,
            "source_error": self.source_error,
            "store_error": self.store.error,
            "telegrams": self.telegram_count,
            "last_received": self.last_received,
        }

    def _capture(self, telegram: Telegram, local: datetime) -> None:
        folder = self.data_dir / "capture"
        try:
            folder.mkdir(exist_ok=True)
            path = folder / f"{local:%Y-%m-%d}.txt.gz"
            with gzip.open(path, "ab") as out:  # one gzip member per telegram: a kill loses one
                raw = telegram.raw
                out.write(raw if raw.endswith(b"\n") else raw + b"\r\n")
        except OSError as exc:
            log.error("capture file: %s", exc)


def _decimal(value: Any) -> Decimal | None:
    return value if isinstance(value, Decimal) else None
