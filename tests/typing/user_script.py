"""A user's script, checked with ``mypy --strict`` (tests/test_sources_typing.py): the public
API must type-check as the README uses it, lazy attributes included."""

from __future__ import annotations

import asyncio
from datetime import datetime

import dsmrparse
from dsmrparse.hardware import BridgeReading, Skipped


def read_meter(address: str) -> datetime | None:
    last: datetime | None = None
    with dsmrparse.open(address, watchdog=30) as meter:
        for t in meter:  # Telegram | BridgeReading: both have a timestamp and fields
            last = t.timestamp
            print(t["power_imported"])
            if isinstance(t, dsmrparse.Telegram):
                print(t.crc, t.raw)
            else:
                print(t.device, t.fields)
    return last


def read_with_errors(address: str) -> int:
    skipped = 0
    with dsmrparse.open(address, yield_errors=True) as meter:
        for item in meter:  # Skipped records come inline too
            if isinstance(item, Skipped):
                skipped += 1
                print(item.kind, item.message)
            else:
                print(item.timestamp)
    return skipped


async def poll_bridge(url: str) -> None:
    async with dsmrparse.open(url, interval=5) as bridge:
        async for t in bridge:
            stamp: datetime | None = t.timestamp
            print(stamp, t["power_imported"])
            if isinstance(t, BridgeReading):
                print(t.units)


def capture(path: str) -> list[datetime | None]:
    return [
        t.timestamp for t in dsmrparse.iter_telegrams(path) if isinstance(t, dsmrparse.Telegram)
    ]


def open_frame(frame: bytes) -> bytes:
    plain: bytes = dsmrparse.decrypt(frame, "00112233445566778899AABBCCDDEEFF")
    return plain


if __name__ == "__main__":
    asyncio.run(poll_bridge("http://192.0.2.1"))
