"""Health of the worker tier, asked for real: a ``python -m bot.worker`` process answers ``GET /health``
(what compose.yaml's healthcheck asks through ``python -m bot.health``), and the bot's workers check
fails while no worker process is alive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.health import probe
from bot.services.health import WorkerTierHealth
from tests.bot.worker.helpers import WorkerProcess, free_port, remote_queue


async def test_a_worker_answers_its_health_check_and_the_bot_sees_it_alive(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    queue = remote_queue(queue_url)
    try:
        before = await WorkerTierHealth(queue).healthy()
        port = free_port()
        worker = await workers(queue_url, JAZZBOT_HEALTH_PORT=str(port)).ready()
        worker_said = await asyncio.to_thread(probe, port, 5.0)
        after = await WorkerTierHealth(queue).healthy()
        worker.stop()
        gone = await asyncio.to_thread(probe, port, 2.0)
    finally:
        await queue.close()

    assert not before[0] and before[1].startswith("no live worker process")
    assert worker_said[0] and "worker: ok: model soloist-" in worker_said[1], worker_said
    assert after[0] and after[1].startswith("1 live worker process(es)"), after
    assert not gone[0]


async def test_the_workers_check_fails_when_redis_does_not_answer() -> None:
    queue = remote_queue(f"redis://127.0.0.1:{free_port()}/0")
    try:
        healthy, text = await WorkerTierHealth(queue).healthy()
    finally:
        await queue.close()
    assert not healthy and text.startswith("Redis does not answer")
