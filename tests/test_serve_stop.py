"""The server stops on SIGTERM even when its reading task loses a cancellation: Python 3.11's
``asyncio.wait_for`` drops one that arrives as the read it waits for completes (fixed in 3.12),
which made ``dsmrparse serve`` hang on stop now and then."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("aiohttp")

from dsmrparse.serve.command import stop_task  # noqa: E402


async def _stubborn(swallow: list[int], ended: list[str]) -> None:
    """A reading loop that loses the first ``swallow[0]`` cancellations, as wait_for can."""
    lost = 0
    while True:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            if lost < swallow[0]:
                lost += 1
                continue
            ended.append("cancelled")
            raise


@pytest.mark.parametrize("swallow", [0, 1, 3])
def test_a_task_that_loses_cancellations_is_stopped(swallow: int) -> None:
    ended: list[str] = []

    async def main() -> None:
        task = asyncio.ensure_future(_stubborn([swallow], ended))
        await asyncio.sleep(0)
        await asyncio.wait_for(stop_task(task), 10)
        assert task.cancelled()

    asyncio.run(main())
    assert ended == ["cancelled"]


def test_a_task_that_never_ends_is_given_up_after_the_attempts() -> None:
    async def main() -> bool:
        swallow = [10**6]
        task = asyncio.ensure_future(_stubborn(swallow, []))
        await asyncio.sleep(0)
        await asyncio.wait_for(stop_task(task, attempts=2), 10)  # returns: does not hang
        done = task.done()
        swallow[0] = 0  # (the test's own clean-up: let it end)
        await stop_task(task)
        return done

    assert asyncio.run(asyncio.wait_for(main(), 20)) is False


def test_a_failed_task_is_stopped_quietly() -> None:
    async def fails() -> None:
        raise RuntimeError("the source went away")

    async def main() -> None:
        task = asyncio.ensure_future(fails())
        await asyncio.sleep(0)
        await stop_task(task)
        assert task.done()

    asyncio.run(main())
