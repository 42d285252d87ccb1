"""Fixtures of the worker tier's tests: a clean Redis database and worker processes stopped at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.bot.worker.helpers import WorkerProcess

TEST_DB = 9
"""The tests' own database on the shared redis-server, emptied before each test."""


@pytest.fixture
async def queue_url(redis_url: str) -> AsyncIterator[str]:
    """A URL of an empty Redis database on the real redis-server of this run."""
    url = f"{redis_url.rsplit('/', 1)[0]}/{TEST_DB}"
    client = Redis.from_url(url)
    await client.flushdb()
    yield url
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start ``python -m bot.worker`` processes: ``workers(url, **settings)``; all stopped at the end."""
    started: list[WorkerProcess] = []

    def start(url: str, **settings: str) -> WorkerProcess:
        worker = WorkerProcess(url, tmp_path / f"worker-{len(started)}.log", **settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
