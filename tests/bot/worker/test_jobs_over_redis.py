"""Clip jobs through a real redis-server to real ``python -m bot.worker`` processes."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from bot.core.requests import JazzRequest
from bot.services import queue_state as state
from bot.services.jobs import Cooldown, JobTimedOut, Progress, QueueFull, ShuttingDown, UserLimit
from bot.services.remote_jobs import JobExpired, WorkerRefused
from tests.bot.worker.helpers import REPO, WorkerProcess, remote_queue, until

QUICK = JazzRequest(bars=4, seed=11)


async def done_events(url: str, stream: str, job_id: str | None = None) -> list[str]:
    """The ids of the jobs announced ``done`` on ``stream``."""
    client = Redis.from_url(url)
    try:
        entries = await client.xrange(stream)
    finally:
        await client.aclose()
    jobs = [fields[b"job"].decode() for _, fields in entries if fields[b"kind"] == b"done"]
    return [job for job in jobs if job_id is None or job == job_id]


async def test_a_job_goes_to_a_worker_and_its_clip_comes_back_with_progress(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    await workers(queue_url).ready()
    queue = remote_queue(queue_url)
    seen: list[Progress] = []

    async def progress(update: Progress) -> None:
        seen.append(update)

    try:
        clip = await queue.run(5, QUICK, progress)
        status = await queue.status()
    finally:
        await queue.close()
    assert clip.audio.startswith(b"OggS") and clip.midi.startswith(b"MThd") and clip.png
    assert clip.piece.bars == 4 and clip.piece.seed == 11
    states = [update.state for update in seen]
    assert states[0] == "queued" and states[-1] == "done"
    assert {"composing", "rendering"} <= set(states)
    assert status.reachable and status.workers == 1 and status.waiting == status.running == 0
    assert len(await done_events(queue_url, state.events_key(queue.bot_id))) == 1
    redis = Redis.from_url(queue_url)
    try:
        [key] = [key async for key in redis.scan_iter(match=state.clip_key("*"))]
        assert 0 < await redis.pttl(key) <= state.CLIP_READ_MS  # read by its bot: kept only a minute
    finally:
        await redis.aclose()


async def test_a_job_run_again_is_never_announced_twice(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    """Enqueueing the same job id again is refused by arq, and a second try that finds the clip stored
    announces nothing: one job, one ``done``, one post."""
    worker = await workers(queue_url).ready()
    queue = remote_queue(queue_url)
    try:
        await queue.run(6, QUICK)
        stream = state.events_key(queue.bot_id)
        [job_id] = await done_events(queue_url, stream)
        client = Redis.from_url(queue_url)
        try:
            arq = queue._redis
            assert await arq.enqueue_job(state.FUNCTION, "{}", _job_id=job_id) is None  # arq keeps its result
            await client.delete(f"arq:result:{job_id}")  # as if the result had expired: run it again
            payload = state.JobPayload(QUICK.to_dict(), "m", stream, 6, 0, 2**62)
            assert await arq.enqueue_job(state.FUNCTION, payload.to_json(), _job_id=job_id) is not None
            await until(lambda: "made by an earlier try already" in worker.text(), 30)
        finally:
            await client.aclose()
        assert await done_events(queue_url, stream) == [job_id]
    finally:
        await queue.close()


async def test_a_worker_killed_mid_job_leaves_it_to_another(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    """SIGKILL while composing: arq's in-progress mark expires (job timeout + 15 s) and the other worker
    makes the clip; the user gets it once."""
    first = await workers(queue_url, JAZZBOT_JOB_TIMEOUT="3").ready()
    queue = remote_queue(queue_url)
    seen: list[str] = []

    async def progress(update: Progress) -> None:
        seen.append(update.state)
        if update.state == "composing" and first.process.poll() is None:
            first.kill()

    try:
        job = asyncio.create_task(queue.run(7, JazzRequest(bars=16, seed=3), progress))
        await until(lambda: first.process.poll() is not None, 60)
        second = await workers(queue_url, JAZZBOT_JOB_TIMEOUT="3").ready()
        clip = await asyncio.wait_for(job, 90)
        assert clip.piece.bars == 16
        assert "try=2" in second.text()
        assert len(await done_events(queue_url, state.events_key(queue.bot_id))) == 1
    finally:
        await queue.close()


async def test_a_job_past_its_deadline_is_dropped_with_a_stored_notice(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    """The bot gives up at the deadline (the user's failure notice is stored in its job row) and takes
    the job out of line; a job whose bot died before its deadline is dropped by the worker, which
    stores the notice in Redis. Neither is ever made late."""
    queue = remote_queue(queue_url, max_age_ms=1000)  # no worker yet: the job waits past its deadline
    client = Redis.from_url(queue_url)
    try:
        with pytest.raises(JobExpired) as expired:
            await asyncio.wait_for(queue.run(8, QUICK), 10)
        assert "over 15 minutes" in str(expired.value)
        assert await client.zcard(state.ARQ_QUEUE) == 0

        now = round(time.time() * 1000)
        orphan = state.JobPayload(QUICK.to_dict(), "m", state.events_key("gone"), 8, now - 2000, now - 1000)
        await queue._redis.enqueue_job(state.FUNCTION, orphan.to_json(), _job_id="orphan")
        worker = await workers(queue_url).ready()
        await until(lambda: "past its deadline" in worker.text(), 30)
        notice = await client.get(state.notice_key("orphan"))
        assert notice is not None and notice.startswith(b"expired")
        assert await client.get(state.clip_key("orphan")) is None
    finally:
        await client.aclose()
        await queue.close()


async def test_a_worker_with_another_model_refuses_the_job_and_says_why(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    worker = await workers(queue_url).ready()
    queue = remote_queue(queue_url, model="soloist-2x192 00000000")
    try:
        with pytest.raises(WorkerRefused) as refused:
            await asyncio.wait_for(queue.run(9, QUICK), 30)
    finally:
        await queue.close()
    assert "being updated" in str(refused.value)
    log = worker.text()
    assert f"request {refused.value.request_id} refused" in log
    assert "'soloist-2x192 00000000'" in log and "ERROR" in log


async def test_a_job_past_the_workers_job_timeout_is_told_it_took_too_long(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    """The worker's render stops at its deadline (a job timeout too short for any clip): the member
    hears the clip took too long, with a request id, and the worker logs it at ERROR."""
    worker = await workers(queue_url, JAZZBOT_JOB_TIMEOUT="0.001").ready()
    queue = remote_queue(queue_url)
    try:
        with pytest.raises(JobTimedOut) as stopped:
            await asyncio.wait_for(queue.run(9, QUICK), 30)
    finally:
        await queue.close()
    assert "took longer than 0.001 s" in str(stopped.value)
    log = worker.text()
    assert f"request {stopped.value.request_id} timed out" in log and "ERROR" in log


ADMIT_IN_ANOTHER_PROCESS = """
import asyncio, sys
from bot.core.requests import JazzRequest
from tests.bot.worker.helpers import remote_queue

async def main() -> None:
    queue = remote_queue(sys.argv[1], per_user_limit=1, cooldown_seconds=30)

    async def progress(update) -> None:
        print(update.state, flush=True)

    await queue.run(42, JazzRequest(bars=4), progress)

asyncio.run(main())
"""


async def test_the_per_user_limit_and_cooldown_hold_across_processes(queue_url: str) -> None:
    """Another bot process admits user 42's job (no worker runs it); here the same user is refused."""
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ADMIT_IN_ANOTHER_PROCESS, queue_url, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    queue = remote_queue(queue_url, per_user_limit=1, cooldown_seconds=30)
    try:
        assert other.stdout is not None
        assert (await asyncio.wait_for(other.stdout.readline(), 60)).strip() == b"queued"
        with pytest.raises(UserLimit, match="already have a clip on the way"):
            await queue.run(42, QUICK)
        other.kill()
        await other.wait()
        client = Redis.from_url(queue_url)
        await client.delete(state.user_key(42))  # as if its job had finished: the cooldown still holds
        await client.aclose()
        with pytest.raises(Cooldown):
            await queue.run(42, QUICK)
    finally:
        if other.returncode is None:
            other.kill()
            await other.wait()
        await queue.close()


async def test_the_line_is_bounded_across_processes_and_a_dead_bots_entries_are_pruned(
    queue_url: str,
) -> None:
    """No worker runs: one job fills a line of one, the next is QueueFull with a retry time; a slot a
    bot took 20 minutes ago (it died) no longer counts against its user."""
    queue = remote_queue(queue_url, per_user_limit=1, queue_size=1)
    client = Redis.from_url(queue_url)
    states: list[str] = []

    async def progress(update: Progress) -> None:
        states.append(update.state)

    try:
        waiting = asyncio.create_task(queue.run(1, QUICK, progress))
        await until(lambda: "queued" in states, 10)
        with pytest.raises(QueueFull, match="queue is full") as full:
            await queue.run(2, QUICK)
        assert full.value.retry_after > 0
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert (await queue.status()).waiting == 0  # a cancelled caller's job leaves the line
        assert await client.zcard(state.ARQ_QUEUE) == 0  # and arq's: no worker will make it

        long_ago = round(time.time() * 1000) - state.STALE_MS - 1000
        await client.zadd(state.user_key(3), {"job-of-a-dead-bot": long_ago})
        await client.zadd(state.WAITING, {"job-of-a-dead-bot": long_ago})
        with pytest.raises(asyncio.TimeoutError):  # admitted (no worker to make it): not refused
            await asyncio.wait_for(queue.run(3, QUICK), 1.0)
        assert await client.zscore(state.user_key(3), "job-of-a-dead-bot") is None
    finally:
        await client.aclose()
        await queue.close()


async def test_a_stopped_queue_refuses_new_jobs_and_still_delivers_the_admitted_ones(
    queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    """What a shutdown does first (Services.close): stop, wait for the clips in flight, then close."""
    await workers(queue_url).ready()
    queue = remote_queue(queue_url)
    states: list[str] = []

    async def progress(update: Progress) -> None:
        states.append(update.state)

    try:
        admitted = asyncio.create_task(queue.run(11, JazzRequest(bars=8, seed=2), progress))
        await until(lambda: bool(states), 10)
        queue.stop()
        with pytest.raises(ShuttingDown):
            await queue.run(12, QUICK)
        clip = await asyncio.wait_for(admitted, 60)
        assert clip.piece.bars == 8 and states[-1] == "done"
        assert not queue.healthy()
    finally:
        await queue.close()
