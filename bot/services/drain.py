"""Clips in flight, counted so that a shutdown can wait until every one has reached its user.

A clip is in flight from the moment an adapter takes the request until it has been posted (or its user
told why not): the job on the queue, storing the clip and posting it. :meth:`Flights.hold` marks one;
after :meth:`Flights.close` no new one may start (:class:`~bot.services.jobs.ShuttingDown`, which the
adapters show as "restarting, ask again"), and :meth:`Flights.wait` waits for the held ones to end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from bot.services.jobs import ShuttingDown


class Flights:
    """A counter of clips in flight with an idle event; lives on the event loop."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.closed = False

    @property
    def count(self) -> int:
        return self._count

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """One clip in flight for the ``with`` block; :class:`ShuttingDown` once closed."""
        if self.closed:
            raise ShuttingDown()
        self._count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    def close(self) -> None:
        """Refuse new clips; the ones in flight carry on."""
        self.closed = True

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every held clip to end; True when none is left."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return not self._count
