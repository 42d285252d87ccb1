"""Services whose jobs die of a bug, to check that every adapter reports it once and politely."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.services.jazz import JazzService
from bot.services.jobs import JobQueue
from bot.services.startup import Services

BUG = "synth on fire"


class BuggyStudio:
    """A studio with a bug: every job raises a RuntimeError on its worker thread."""

    def make(self, request: JazzRequest, on_stage: Callable[[str], None]) -> Clip:
        on_stage("composing")
        raise RuntimeError(BUG)


@contextlib.asynccontextmanager
async def buggy_studio(services: Services) -> AsyncIterator[None]:
    """Within the block, ``services.jazz`` makes its clips on a :class:`BuggyStudio`."""
    queue: JobQueue[JazzRequest, Clip] = JobQueue(
        BuggyStudio(), workers=1, queue_size=1, per_user_limit=1, cooldown_seconds=0.0
    )
    real = services.jazz
    services.jazz = JazzService(queue, services.clips, services.jobs, services.settings.max_bars)
    try:
        yield
    finally:
        services.jazz = real
        await queue.close()
