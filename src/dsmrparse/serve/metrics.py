"""``/metrics`` in the Prometheus text format (version 0.0.4), written by hand: a dozen gauges
and counters do not justify a dependency. Names follow Prometheus habits: base units, ``_total``
for counters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from .state import LOGGER

__all__ = ["routes", "render"]

routes = web.RouteTableDef()

# firmware field -> (metric name, help, factor to the base unit)
_GAUGES = {
    "energy_delivered_tariff1": ("dsmr_energy_imported_wh", "imported energy, tariff 1", 1000),
    "energy_delivered_tariff2": ("dsmr_energy_imported_wh", "imported energy, tariff 2", 1000),
    "energy_returned_tariff1": ("dsmr_energy_exported_wh", "exported energy, tariff 1", 1000),
    "energy_returned_tariff2": ("dsmr_energy_exported_wh", "exported energy, tariff 2", 1000),
    "power_delivered": ("dsmr_power_imported_watts", "power drawn now", 1000),
    "power_returned": ("dsmr_power_exported_watts", "power returned now", 1000),
}


def _line(name: str, value: Any, labels: str = "") -> str:
    return f"{name}{{{labels}}} {value}" if labels else f"{name} {value}"


def render(logger: Any) -> str:
    from . import firmware

    out: list[str] = []
    declared: set[str] = set()

    def metric(name: str, kind: str, help_text: str, value: Any, labels: str = "") -> None:
        if name not in declared:
            declared.add(name)
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
        out.append(_line(name, value, labels))

    if logger.last is not None:
        values = firmware.values(logger.last, logger.settings.mbus_types)
        for field, (name, help_text, factor) in _GAUGES.items():
            if field in values:
                labels = f'tariff="{field[-1]}"' if "tariff" in field else ""
                kind = "counter" if "energy" in name else "gauge"
                metric(name, kind, help_text, Decimal(values[field][0]) * factor, labels)
        for phase in (1, 2, 3):
            for field, name, help_text, factor in (
                (f"voltage_l{phase}", "dsmr_voltage_volts", "voltage per phase", 1),
                (f"current_l{phase}", "dsmr_current_amperes", "current per phase", 1),
                (f"power_delivered_l{phase}", "dsmr_phase_power_imported_watts", "per phase", 1000),
                (f"power_returned_l{phase}", "dsmr_phase_power_exported_watts", "per phase", 1000),
            ):
                if field in values:
                    value = Decimal(values[field][0]) * factor
                    metric(name, "gauge", help_text, value, f'phase="l{phase}"')
        gas = firmware.gas_delivered(logger.last, logger.settings.mbus_types)
        metric("dsmr_gas_cubic_meters", "counter", "gas meter reading", gas)
        if logger.last.timestamp is not None:
            stamp = int(logger.last.timestamp.timestamp())
            metric(
                "dsmr_telegram_timestamp_seconds", "gauge", "meter time of the last telegram", stamp
            )
    metric("dsmr_telegrams_total", "counter", "telegrams received", logger.telegram_count)
    metric(
        "dsmr_telegram_errors_total", "counter", "bad or skipped telegrams", logger.telegram_errors
    )
    metric("dsmr_store_writes_total", "counter", "telegrams stored", logger.store.writes)
    metric(
        "dsmr_store_write_failures_total",
        "counter",
        "failed store writes",
        logger.store.failed_writes,
    )
    metric(
        "dsmr_store_ok",
        "gauge",
        "1 when the last store write worked",
        int(logger.store.error is None),
    )
    metric(
        "dsmr_source_up",
        "gauge",
        "1 while the source delivers",
        int(logger.source_state == "reading"),
    )
    metric("dsmr_ingest_cpu_seconds_total", "counter", "CPU time spent storing and publishing",
           round(logger.ingest_seconds, 6))  # fmt: skip
    metric("dsmr_events_subscribers", "gauge", "open push channels", len(logger.hub.queues))
    return "\n".join(out) + "\n"


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    return web.Response(
        body=render(request.app[LOGGER]).encode(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
