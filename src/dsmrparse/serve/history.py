"""History answers: the firmware's ring view, and our range view with usage, gaps and costs.

Firmware facts (restAPI.cpp ``sendJsonHist``, FSYSstuff.cpp ``readOneSlot``, jsonStuff.cpp):
49 hour, 15 day and 25 month slots; each record ``{"recnr", "recid", "slot", "edt1", "edt2",
"ert1", "ert2", "gdt"}`` holds the registers as they were at the last telegram of that period
(``%.3f``); ``recid`` is YYMMDDHH of the period in local time; ``slot`` is the ring index (local
time read as if it were UTC: hours since 1970 mod 49, days mod 15, (year-1)*12+month mod 25);
plain order starts at the current period and goes back; ``/desc`` starts at the oldest. Our store
keeps every period, so the default view is the newest 49/15/25 periods that hold data.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .settings import Settings
from .store import KINDS, REGISTERS, Period, Store, next_start

__all__ = ["SLOTS", "firmware_view", "range_view", "parse_when"]

SLOTS = {"hours": 49, "days": 15, "months": 25}
_THOUSANDTH = Decimal("0.001")


def _slot(kind: str, period: Period) -> int:
    local = datetime.fromisoformat(period.start_local).replace(tzinfo=timezone.utc)
    if kind == "hours":
        return int(local.timestamp()) // 3600 % SLOTS[kind]
    if kind == "days":
        return int(local.timestamp()) // 86400 % SLOTS[kind]
    return ((local.year - 1) * 12 + local.month) % SLOTS[kind]


def _three(value: Decimal | None) -> Decimal:
    return (value if value is not None else Decimal(0)).quantize(_THOUSANDTH)


def firmware_view(store: Store, kind: str, desc: bool) -> dict[str, Any]:
    periods = store.periods(kind, limit=SLOTS[kind])
    if desc:
        periods.reverse()
    records = []
    for number, p in enumerate(periods):
        record: dict[str, Any] = {"recnr": number, "recid": p.recid, "slot": _slot(kind, p)}
        record.update({r: _three(p.end[r]) for r in REGISTERS})
        records.append(record)
    return {kind: records}


def parse_when(text: str | None, zone: ZoneInfo | None) -> float | None:
    """A ``from``/``to`` query value: ISO 8601 (a date, or a time with or without offset; local
    time of the meter when no offset) or seconds since 1970."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)  # ValueError: the API answers 400
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or timezone.utc)
    return moment.timestamp()


def _costs(kind: str, usage: dict[str, Decimal | None], settings: Settings) -> Decimal | None:
    """Energy costs of one period from the firmware's tariff settings: delivered minus returned
    electricity plus gas; the fixed network costs (per month in the firmware) on month rows."""
    if all(v is None for v in usage.values()):
        return None
    price = {
        "edt1": settings.ed_tariff1,
        "edt2": settings.ed_tariff2,
        "ert1": -settings.er_tariff1,
        "ert2": -settings.er_tariff2,
        "gdt": settings.gd_tariff,
    }
    total = sum((Decimal(repr(price[r])) * (usage[r] or Decimal(0)) for r in REGISTERS), Decimal(0))
    if kind == "months":
        total += Decimal(repr(settings.electr_netw_costs)) + Decimal(repr(settings.gas_netw_costs))
    return total.quantize(Decimal("0.01"))


def range_view(
    store: Store,
    settings: Settings,
    kind: str,
    since: float | None,
    until: float | None,
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """Every stored period in [since, until) oldest first, with usage and costs, and the periods
    in between that hold no data (the server was down or the meter silent) marked missing."""
    assert kind in KINDS
    periods = list(reversed(store.periods(kind, since, until)))
    out: list[dict[str, Any]] = []
    previous: Period | None = None
    for p in periods:
        if previous is not None:
            out.extend(_missing(kind, previous, p, zone))
        usage = p.usage()
        out.append(
            {
                "recid": p.recid,
                "start": p.start_local,
                "series": p.series,
                "samples": p.samples,
                "gap": p.gap,
                "corrected": p.corrected,
                "start_registers": p.start,
                **{r: p.end[r] for r in REGISTERS},
                "usage": usage,
                "costs": _costs(kind, usage, settings),
            }
        )
        previous = p
    gaps = [
        {"start": _iso(a, zone), "end": _iso(b, zone), "seconds": round(b - a), "reason": why}
        for a, b, why in store.gaps(since, until)
    ]
    return {kind: out, "gaps": gaps}


def _missing(
    kind: str, before: Period, after: Period, zone: ZoneInfo | None
) -> list[dict[str, Any]]:
    start = next_start(kind, datetime.fromisoformat(before.start_local), zone)
    out: list[dict[str, Any]] = []
    while start.timestamp() < after.start_utc and len(out) < 10000:
        local = start.astimezone(zone) if zone is not None else start
        out.append(
            {"recid": local.strftime("%y%m%d%H"), "start": local.isoformat(), "missing": True}
        )
        start = next_start(kind, local, zone)
    return out


def _iso(moment: float, zone: ZoneInfo | None) -> str:
    return datetime.fromtimestamp(moment, zone or timezone.utc).isoformat()
