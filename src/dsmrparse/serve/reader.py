"""The reader task: telegrams from ``dsmrparse.open()`` or the simulator into the logger.

A live source reconnects by itself (with back-off) and yields whole telegrams; here they are only
handed to the logger. The simulator runs in simulated time: ``step`` meter seconds per telegram,
one telegram every ``interval`` real seconds, so a test can live through a DST change or a power
failure in a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import parse
from ..errors import DsmrError
from ..telegram import Telegram
from .logger import Logger

__all__ = ["SimulatorPlan", "run_simulator", "run_source"]

log = logging.getLogger("dsmrparse.serve.reader")


@dataclass
class SimulatorPlan:
    profile: str = "dsmr5"
    interval: float = 1.0  # real seconds between telegrams
    step: float | None = None  # simulated seconds per telegram (default: the meter's own)
    start: datetime | None = None
    seed: int | None = None
    failures_per_day: float = 1.0
    count: int | None = None  # stop after this many (None: run forever)


async def run_simulator(logger: Logger, plan: SimulatorPlan) -> None:
    from ..simulate import Simulator

    simulator = Simulator(
        plan.profile,
        seed=plan.seed,
        start=plan.start,
        step=plan.step,
        failures_per_day=plan.failures_per_day,
    )
    logger.status("reading")
    next_at = time.monotonic()
    for made, raw in enumerate(simulator):
        if plan.count is not None and made >= plan.count:
            logger.status("finished")
            return
        try:
            telegram = parse(raw, simulator.profile)
        except Exception as exc:  # the simulator's own output: still never a crash
            logger.skipped(f"simulated telegram: {exc}")
        else:
            logger.ingest(telegram)
        next_at += plan.interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def run_source(logger: Logger, spec: str, options: dict[str, Any]) -> None:
    """Read a live source until cancelled; what it skips is counted, never fatal."""
    from ..hardware import Skipped
    from ..hardware import open as open_source
    from .bridge import telegram_from_bridge

    loop = asyncio.get_running_loop()

    def on_error(item: Skipped) -> None:
        def apply() -> None:
            logger.skipped(f"{item.kind}: {item.message}")
            if item.kind in ("connection", "watchdog", "http"):
                logger.status("lost", item.message)

        # the logger lives on the event loop; a source may report from a reading thread
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            apply()
        else:
            loop.call_soon_threadsafe(apply)

    source = open_source(spec, on_error=on_error, **options)
    logger.status("connecting")
    try:
        async for item in source:
            if isinstance(item, Telegram):
                logger.status("reading")
                logger.ingest(item)
            else:  # a JSON-only bridge: its fields, written as a telegram of ours
                try:
                    telegram = telegram_from_bridge(item)
                except (DsmrError, ValueError) as exc:
                    logger.skipped(f"a reading of a JSON-only bridge cannot be stored: {exc}")
                    continue
                logger.status("reading")
                logger.ingest(telegram)
        logger.status("finished")  # a file (without follow) has an end; serving goes on
    finally:
        source.close()
