"""The push channel's fan-out: every subscriber gets its own bounded queue.

A client that does not keep up loses its oldest messages rather than holding memory or slowing
the reader: a logger must never stall on a slow browser tab.
"""

from __future__ import annotations

import asyncio

__all__ = ["Hub"]


class Hub:
    def __init__(self, depth: int = 64) -> None:
        self.depth = depth
        self.queues: set[asyncio.Queue[str]] = set()
        self.dropped = 0

    def subscribe(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(self.depth)
        self.queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        self.queues.discard(queue)

    def close(self) -> None:
        """Shutting down: every open stream ends at once (an empty message means "end")."""
        for queue in self.queues:
            while queue.full():
                queue.get_nowait()
            queue.put_nowait("")

    def publish(self, event: str, data: str) -> None:
        """One server-sent event (``data`` is one line of JSON) to every subscriber."""
        message = f"event: {event}\ndata: {data}\n\n"
        for queue in self.queues:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(message)
