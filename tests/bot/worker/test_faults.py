"""Faults of the worker tier: Redis stopped and started again, and a wrong or unreachable JAZZBOT_REDIS."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.requests import JazzRequest
from bot.services.jobs import Progress
from bot.services.remote_jobs import BrokerDown, RemoteQueue
from bot.services.settings import Settings, SettingsError, load_settings
from bot.services.startup import StartupError, open_services
from tests.bot.worker.helpers import REPO, RedisServer, WorkerProcess, free_port, remote_queue, until

QUICK = JazzRequest(bars=4, seed=5)


async def until_reachable(queue: RemoteQueue, timeout: float = 10.0) -> None:
    """Ask the queue's status (one round trip) until Redis answers."""
    deadline = time.monotonic() + timeout
    while not (await queue.status()).reachable:
        assert time.monotonic() < deadline, "Redis did not come back"
        await asyncio.sleep(0.1)
    assert queue.healthy()


BUSY_WITHIN = 3.0


async def test_with_redis_stopped_jazz_is_answered_busy_in_time_and_works_again_when_it_is_back(
    tmp_path: Path, workers: Callable[..., WorkerProcess]
) -> None:
    redis = await RedisServer(tmp_path / "redis").start()
    worker = await workers(redis.url).ready()
    queue = remote_queue(redis.url)
    try:
        await queue.run(1, QUICK)
        redis.stop()

        started = time.monotonic()
        with pytest.raises(BrokerDown, match="busy, try again"):
            await queue.run(2, QUICK)
        assert time.monotonic() - started < BUSY_WITHIN
        await until(lambda: not queue.healthy(), 10)
        started = time.monotonic()
        with pytest.raises(BrokerDown):  # now refused before any job row is written
            queue.check(3)
        assert time.monotonic() - started < 0.1

        await redis.start()  # the same port, empty
        await until_reachable(queue)
        clip = await asyncio.wait_for(queue.run(4, QUICK), 60)  # the worker reconnected on its own
        assert clip.audio.startswith(b"OggS")
        assert "lost Redis" in worker.text()
    finally:
        await queue.close()
        worker.stop()
        redis.stop()


async def test_a_job_waiting_when_redis_restarts_empty_is_sent_again_and_made(
    tmp_path: Path, workers: Callable[..., WorkerProcess]
) -> None:
    redis = await RedisServer(tmp_path / "redis").start()
    queue = remote_queue(redis.url)
    states: list[str] = []

    async def progress(update: Progress) -> None:
        states.append(update.state)

    try:
        job = asyncio.create_task(queue.run(5, QUICK, progress))
        await until(lambda: "queued" in states, 10)
        redis.stop()
        await until(lambda: not queue.healthy(), 10)
        await redis.start()  # it lost everything: the job, the user's entry, the line
        await until_reachable(queue)
        await workers(redis.url).ready()
        clip = await asyncio.wait_for(job, 60)
        assert clip.piece.seed == 5 and states[-1] == "done"
    finally:
        await queue.close()
        redis.stop()


async def test_an_unreachable_redis_stops_the_start_naming_the_setting_without_the_password(
    tmp_path: Path,
) -> None:
    url = f"redis://:hunter2secret@127.0.0.1:{free_port()}/0"
    settings = replace(Settings(), database=tmp_path / "jazzbot.db", redis=url)
    with pytest.raises(StartupError) as error:
        await open_services(settings)
    message = str(error.value)
    assert "JAZZBOT_REDIS" in message and "cannot reach Redis" in message
    assert "hunter2secret" not in message and ":***@" in message


def test_a_worker_without_or_with_an_unreachable_redis_exits_with_a_clear_error() -> None:
    for url, expected in (
        ("", "JAZZBOT_REDIS is not set"),
        (f"redis://:pw1234@127.0.0.1:{free_port()}/0", "cannot reach"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "bot.worker"],
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "JAZZBOT_REDIS": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert expected in done.stderr and "JAZZBOT_REDIS" in done.stderr
        assert "pw1234" not in done.stderr


def test_a_malformed_redis_url_is_a_settings_error_without_the_password() -> None:
    with pytest.raises(SettingsError, match="JAZZBOT_REDIS=http://u:\\*\\*\\*@h is not a Redis URL"):
        load_settings({"JAZZBOT_REDIS": "http://u:secretpw@h"}, None)
    assert load_settings({"JAZZBOT_REDIS": "redis://h:6379/2"}, None).redis == "redis://h:6379/2"
    assert load_settings({}, None).redis is None
