"""The worker tier, bot side: clip jobs go through Redis (arq) to ``python -m bot.worker`` processes.

:class:`RemoteQueue` is what ``JAZZBOT_REDIS`` puts in place of the in-process
:class:`~bot.services.jobs.JobQueue`, with the same interface (:class:`~bot.services.jobs.ClipQueue`), the
same :class:`~bot.services.jobs.Busy` answers and the same progress, so the adapters do not know which
one they use. Admission (per-user limit, cooldown, queue bound) is one Lua script over keys every bot
process shares (:mod:`bot.services.queue_state`); a job is then enqueued with arq under its job id, which
arq refuses to enqueue twice, so re-sending a job (after Redis came back) never makes it twice.

Each bot process reads its own event stream (``jazzbot:events:<bot id>``) in one task: stages become
progress, ``done`` fetches the stored clip and hands it to the waiting caller, which posts it as the
embedded queue's callers do. A caller waits at most until its job is :data:`TOKEN_LIFE_MS` old (the
interaction token's life): then it gets :class:`JobExpired`, and a worker that picks the job up later
drops it with a stored notice. Queue positions are the jobs' ranks in ``jazzbot:waiting``, polled while
this process has jobs in line.

Faults: every Redis step is bounded by :data:`OPERATION_SECONDS`, so with Redis stopped or hung a
request is answered :class:`BrokerDown` ("busy, try again") in under 3 s, never left hanging, and for a
moment after that :meth:`RemoteQueue.check` answers the same at once. The event reader runs while this
process waits for jobs; when it reaches Redis again after an outage it re-sends the jobs still waiting
here (a restarted Redis may have lost them). Health checks call :meth:`RemoteQueue.healthy` (free: the last
known state) or :meth:`RemoteQueue.status` (one round trip: workers alive, jobs waiting and running).

Re-rendering a stored clip's audio (:meth:`RemoteQueue.call`, rare) stays on a small in-process
:class:`~bot.services.jobs.JobQueue`: it is work on a closure, not a request a worker can be sent.
"""

from __future__ import annotations

import asyncio
import logging
import math
import pickle
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import urlsplit

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from bot.audio.clips import Clip
from bot.core.failures import ReportedFailure
from bot.core.requests import JazzRequest
from bot.services import queue_state as state
from bot.services.clip_codec import load_clip
from bot.services.jobs import (
    SYSTEM_USER,
    Busy,
    Cooldown,
    JobFailed,
    JobQueue,
    JobTimedOut,
    Progress,
    ProgressCallback,
    QueueFull,
    Reporter,
    ShuttingDown,
    UserLimit,
)
from bot.services.settings import redacted_url
from model.errors import InputError

log = logging.getLogger(__name__)

U = TypeVar("U")

OPERATION_SECONDS = 2.5
"""Longest a request waits on Redis (admission and enqueue) before it is answered busy."""
CONNECT_SECONDS = 1.0
SOCKET_SECONDS = 3.0  # above the reader's block
READ_BLOCK_MS = 500
POSITIONS_SECONDS = 0.5
STATUS_SECONDS = 1.0
RECONNECT_SECONDS = 0.5
DOWN_RETRY_SECONDS = 5.0
"""What a busy answer says while Redis cannot be reached."""
DOWN_REFUSE_SECONDS = 2.0
"""After Redis was found unreachable, :meth:`RemoteQueue.check` refuses at once for this long."""
CONNECTION_ERRORS = (RedisError, OSError, TimeoutError)


class BrokerDown(Busy):
    """Redis (the job queue) cannot be reached: the request is refused as busy, nothing is queued."""


class BrokerUnreachable(Exception):
    """At start: ``JAZZBOT_REDIS`` cannot be reached; the message names the setting, never a password."""


class JobExpired(ReportedFailure):
    """The job was not finished within the interaction token's life: dropped, never posted late."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            "Sorry, that clip waited too long in the queue (over 15 minutes), so I dropped it "
            f"(request id `{job_id}`). Please ask again.",
            job_id,
        )


class WorkerRefused(ReportedFailure):
    """A worker refused the job (its model version differs from the bot's); logged on the worker."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            "Sorry, the clip workers are being updated and could not take that request (request id "
            f"`{job_id}`). Please try again in a few minutes.",
            job_id,
        )


class JobLost(ReportedFailure):
    """Workers died making the job too many times: it was given up, logged on the worker."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"Sorry, that clip could not be finished (request id `{job_id}`); please try again.", job_id
        )


@dataclass(eq=False)
class _Pending:
    """A job this process waits for."""

    id: str
    user_id: int
    payload: state.JobPayload
    reporter: Reporter
    result: asyncio.Future[Clip]
    started: bool = False


@dataclass
class QueueStatus:
    """What a health check or /help shows: Redis reachable, live workers, jobs in line and running."""

    reachable: bool
    workers: int = 0
    waiting: int = 0
    running: int = 0
    pending_here: int = 0
    mean_job_seconds: float = state.DEFAULT_JOB_MS / 1000  # workers' time for their last 20 jobs
    detail: str = field(default="")


def new_job_id() -> str:
    """A job's id: the request id users see (first 6 hex digits) plus enough to be unique everywhere."""
    return secrets.token_hex(8)


def connect(url: str) -> ArqRedis:
    """A Redis client for ``url`` whose every call fails within seconds when Redis is gone."""
    pool = ConnectionPool.from_url(
        url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=SOCKET_SECONDS, health_check_interval=30
    )
    return ArqRedis(connection_pool=pool)


async def check_reachable(redis: ArqRedis, url: str, setting: str = "JAZZBOT_REDIS") -> None:
    """Ping Redis once; :class:`BrokerUnreachable` naming ``setting`` (password hidden) when it fails."""
    try:
        async with asyncio.timeout(OPERATION_SECONDS):
            await redis.ping()
    except CONNECTION_ERRORS as error:
        reason = str(error) or type(error).__name__
        raise BrokerUnreachable(
            f"{setting}={redacted_url(url)}: cannot reach Redis ({redacted_reason(reason, url)}). Start "
            f"redis-server there, or fix {setting} (redis://[:password@]host:6379/0), or unset it to make "
            "clips in this process."
        ) from None


def redacted_reason(reason: str, url: str) -> str:
    """``reason`` without the URL's password, should a driver have quoted it."""
    password = urlsplit(url).password
    return reason.replace(password, "***") if password else reason


class RemoteQueue:
    """Clip jobs for worker processes through Redis; see the module doc. ``model`` is the bot's model
    version (``Composer.name``): a worker with another refuses the job. ``local`` runs :meth:`call`."""

    def __init__(
        self,
        redis: ArqRedis,
        model: str,
        local: JobQueue[JazzRequest, Clip],
        per_user_limit: int,
        cooldown_seconds: float,
        queue_size: int,
        max_age_ms: int = state.TOKEN_LIFE_MS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._model = model
        self._local = local
        self._per_user_limit = per_user_limit
        self._cooldown_ms = round(cooldown_seconds * 1000)
        self._queue_size = queue_size
        self._max_age_ms = max_age_ms
        self._clock = clock
        self.bot_id = secrets.token_hex(6)
        self._events = state.events_key(self.bot_id)
        self._pending: dict[str, _Pending] = {}
        self._admit = redis.register_script(state.ADMIT)
        self._release = redis.register_script(state.RELEASE)
        self._reader: asyncio.Task[None] | None = None
        self._down: str | None = None  # why Redis is unreachable, while it is
        self._down_at = 0.0  # when that was last seen (monotonic)
        self._last_event = "0-0"  # the stream is this process's own: everything in it is for us
        self._lost_pending = False  # the reader lost Redis: re-send the pending jobs once it is back
        self._stopped = False  # refusing new jobs; the admitted ones carry on (drain)
        self._closed = False  # the reader ends, the connection closes
        self._status = QueueStatus(reachable=True)
        self._status_at = -math.inf  # when _status was last read from Redis (monotonic)
        self._refreshing: asyncio.Task[QueueStatus] | None = None
        self._cleanups: set[asyncio.Task[None]] = set()
        self._mean_seconds = state.DEFAULT_JOB_MS / 1000

    # ---- the ClipQueue interface ----------------------------------------------------------------------

    @property
    def running(self) -> int:
        """Jobs the workers are making (all bot processes'), as last seen: see :meth:`_seen`."""
        return self._seen().running

    @property
    def waiting(self) -> int:
        return self._seen().waiting

    @property
    def workers(self) -> int:
        """Live worker processes as last seen (each makes one clip at a time)."""
        return self._seen().workers

    def _seen(self) -> QueueStatus:
        """The last counts seen; when older than :data:`STATUS_SECONDS`, a refresh is started for the
        next look (the counts are for /help and estimates: a second old is fine, a wait is not)."""
        stale = time.monotonic() - self._status_at > STATUS_SECONDS
        idle = self._refreshing is None or self._refreshing.done()
        if stale and idle and not self._closed:
            self._refreshing = asyncio.get_running_loop().create_task(self.status())
        return self._status

    def check(self, user_id: int) -> None:
        """Refuse at once what :meth:`run` surely would: the queue is stopped, or Redis was unreachable
        within the last :data:`DOWN_REFUSE_SECONDS` (after that a request tries again)."""
        if self._stopped:
            raise ShuttingDown()
        if self._down is not None and time.monotonic() - self._down_at < DOWN_REFUSE_SECONDS:
            raise BrokerDown("The clip workers can't be reached right now", DOWN_RETRY_SECONDS)

    def estimate_wait(self) -> float:
        status = self._status
        idle = status.workers - status.running
        if idle > 0:
            return 0.0
        return self._mean_seconds * (status.waiting + 1) / max(status.workers, 1)

    def healthy(self) -> bool:
        """For health checks, at no cost: taking jobs, and Redis reachable when last used (a request, the
        event reader or :meth:`status`)."""
        return not self._stopped and self._down is None

    async def status(self) -> QueueStatus:
        """One round trip to Redis (within :data:`OPERATION_SECONDS`): reachable, live workers, jobs
        waiting and running (all processes), pending here. Updates :meth:`healthy`."""
        try:
            async with asyncio.timeout(OPERATION_SECONDS):
                await self._refresh()
        except CONNECTION_ERRORS as error:
            self._went_down(error)
            return self._status
        self._down = None
        return self._status

    async def run(self, user_id: int, request: JazzRequest, progress: ProgressCallback | None = None) -> Clip:
        """Admit, enqueue and wait for the clip of ``request`` (see the module doc)."""
        self.check(user_id)
        now = round(self._clock() * 1000)
        job = _Pending(
            id=new_job_id(),
            user_id=user_id,
            payload=state.JobPayload(
                request=request.to_dict(),
                model=self._model,
                reply_to=self._events,
                user_id=user_id,
                admitted_ms=now,
                deadline_ms=now + self._max_age_ms,
            ),
            reporter=Reporter(progress),
            result=asyncio.get_running_loop().create_future(),
        )
        try:
            await self._submit(job)
        except BaseException:
            job.reporter.cancel()
            raise
        self._pending[job.id] = job
        self._ensure_reader()
        try:
            async with asyncio.timeout(self._max_age_ms / 1000):
                clip = await asyncio.shield(job.result)
        except TimeoutError:
            log.warning("request %s: no clip within %d s; dropped", job.id, self._max_age_ms // 1000)
            await job.reporter.close()
            raise JobExpired(job.id) from None
        except asyncio.CancelledError:
            job.reporter.cancel()
            raise
        except BaseException:
            await job.reporter.close()  # no stale progress may arrive after the caller shows the error
            raise
        finally:
            del self._pending[job.id]
            await self._release_quietly(job)
        job.reporter.report(Progress("done"))
        await job.reporter.close()
        return clip

    async def call(
        self,
        user_id: int,
        work: Callable[[Callable[[str], None]], U],
        progress: ProgressCallback | None = None,
    ) -> U:
        """Work on a closure (re-rendering stored audio): the in-process queue (module doc)."""
        return await self._local.call(user_id, work, progress)

    def stop(self) -> None:
        """Refuse new jobs; the admitted ones carry on and are still delivered (a drain)."""
        self._stopped = True
        self._local.stop()

    async def close(self) -> None:
        """Refuse new jobs, tell the callers still waiting (:class:`ShuttingDown`; their jobs may still be
        made, but no one will post them), stop the reader and close the connection."""
        self._stopped = self._closed = True
        for job in list(self._pending.values()):
            if not job.result.done():
                job.result.set_exception(ShuttingDown())
        if self._reader is not None:
            # The reader sees _closed after its current read (<= READ_BLOCK_MS). Cancelling it in the
            # middle of a blocking XREAD can leave redis-py waiting on the connection for ever.
            done, _ = await asyncio.wait([self._reader], timeout=SOCKET_SECONDS + 1)
            if not done:
                self._reader.cancel()
        for cleanup in self._cleanups:
            cleanup.cancel()
        if self._refreshing is not None:
            await asyncio.wait([self._refreshing], timeout=OPERATION_SECONDS + 1)
        await self._local.close()
        await self._redis.aclose()

    # ---- admission and enqueueing -----------------------------------------------------------------------

    async def _submit(self, job: _Pending) -> None:
        """Admit ``job`` (Busy when refused) and enqueue it; Redis unreachable is :class:`BrokerDown`
        (if it was admitted by then, its entries are released in the background once Redis answers)."""
        verdict = ""
        try:
            async with asyncio.timeout(OPERATION_SECONDS):
                verdict, value = await self._admit(
                    keys=[
                        state.user_key(job.user_id),
                        state.cooldown_key(job.user_id),
                        state.WAITING,
                        state.RUNNING,
                        state.WORKERS,
                        state.DURATIONS,
                    ],
                    args=[
                        job.id,
                        job.payload.admitted_ms,
                        self._per_user_limit,
                        self._cooldown_ms,
                        self._queue_size,
                        "0" if job.user_id == SYSTEM_USER else "1",
                        state.STALE_MS,
                        state.WORKER_LOST_MS,
                        state.DEFAULT_JOB_MS,
                    ],
                )
                self._down = None
                verdict = verdict.decode() if isinstance(verdict, bytes) else str(verdict)
                if verdict == "ok":
                    job.reporter.report(Progress("queued", int(value)))
                    await self._enqueue(job)
        except CONNECTION_ERRORS as error:
            self._went_down(error)
            if verdict == "ok":
                cleanup = asyncio.get_running_loop().create_task(self._release_when_back(job))
                self._cleanups.add(cleanup)
                cleanup.add_done_callback(self._cleanups.discard)
            raise BrokerDown("The clip workers can't be reached right now", DOWN_RETRY_SECONDS) from None
        seconds = int(value) / 1000
        if verdict == "user":
            jobs = "a clip" if self._per_user_limit == 1 else f"{self._per_user_limit} clips"
            raise UserLimit(f"You already have {jobs} on the way", seconds)
        if verdict == "cooldown":
            raise Cooldown("Slow down a little", seconds)
        if verdict == "full":
            raise QueueFull("The queue is full", seconds)

    async def _enqueue(self, job: _Pending) -> bool:
        """Hand ``job`` to arq under its id; False when arq already has it (or its result)."""
        queued = await self._redis.enqueue_job(state.FUNCTION, job.payload.to_json(), _job_id=job.id)
        return queued is not None

    async def _release_when_back(self, job: _Pending) -> None:
        """An admitted job that could not be enqueued: free its entries (the user's slot) as soon as Redis
        answers again, trying for a minute; after that they are pruned once stale."""
        for _ in range(60):
            if await self._release_quietly(job):
                return
            await asyncio.sleep(1.0)

    async def _release_quietly(self, job: _Pending) -> bool:
        """Free the job's admission entries (and take it out of arq's line if no worker started it);
        with Redis away they are pruned once stale. Returns whether that worked."""
        try:
            async with asyncio.timeout(OPERATION_SECONDS):
                waiting, running = await self._release(
                    keys=[
                        state.user_key(job.user_id),
                        state.WAITING,
                        state.RUNNING,
                        state.ARQ_QUEUE,
                        state.ARQ_JOB + job.id,
                        state.ARQ_IN_PROGRESS + job.id,
                    ],
                    args=[job.id],
                )
        except CONNECTION_ERRORS as error:
            log.warning("request %s: its queue entries stay until released or pruned (%s)", job.id, error)
            return False
        self._status = replace(self._status, waiting=int(waiting), running=int(running))
        return True

    # ---- events -------------------------------------------------------------------------------------------

    def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read_events())

    async def _read_events(self) -> None:
        """While this process waits for jobs: deliver their events, poll their queue positions, and ride
        out Redis outages (re-sending the jobs after one). Ends when none is left; :meth:`run` starts it."""
        next_positions = 0.0
        while not self._closed and self._pending:
            try:
                if self._lost_pending:
                    await self._resend()
                reply = await self._redis.xread(
                    {self._events: self._last_event}, block=READ_BLOCK_MS, count=100
                )
                self._down = None
                for _stream, entries in reply:
                    for entry_id, fields in entries:
                        self._last_event = entry_id
                        await self._deliver(fields)
                if time.monotonic() >= next_positions:
                    next_positions = time.monotonic() + POSITIONS_SECONDS
                    await self._refresh()
            except CONNECTION_ERRORS as error:
                self._went_down(error)
                self._lost_pending = True
                await asyncio.sleep(RECONNECT_SECONDS)
            except Exception:  # a bug in delivering one event must not stop all the others
                log.exception("job event reader failed; carrying on")
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _deliver(self, fields: dict[bytes, bytes]) -> None:
        job_id = fields[b"job"].decode()
        kind = fields[b"kind"].decode()
        text = fields[b"text"].decode()
        job = self._pending.get(job_id)
        if job is None or job.result.done():
            return  # given up on, or told already: a second try's event changes nothing
        if kind == "stage":
            job.started = True
            job.reporter.report(Progress(text))
            return
        if kind == "done":
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(state.clip_key(job_id))
                pipe.pexpire(state.clip_key(job_id), state.CLIP_READ_MS)
                data, _ = await pipe.execute()
            if data is None:
                log.error("request %s: done, but its clip is gone from Redis", job_id)
                job.result.set_exception(JobFailed(job_id))
            elif not job.result.done():
                try:
                    clip = load_clip(data)
                except pickle.UnpicklingError as error:  # not what a worker writes: someone else's bytes
                    log.error("request %s: its clip in Redis was refused: %s", job_id, error)
                    job.result.set_exception(JobFailed(job_id))
                else:
                    job.result.set_result(clip)
            return
        job.result.set_exception(_failure(kind, text, job_id))

    async def _refresh(self) -> None:
        """Queue positions of this process's waiting jobs, and the shared counts."""
        waiting = [job for job in self._pending.values() if not job.started]
        now = round(self._clock() * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(state.WAITING)
            pipe.zcard(state.RUNNING)
            pipe.zcount(state.WORKERS, now - state.WORKER_LOST_MS, "+inf")
            pipe.lrange(state.DURATIONS, 0, -1)
            for job in waiting:
                pipe.zrank(state.WAITING, job.id)
            counts = await pipe.execute()
        if counts[3]:
            self._mean_seconds = sum(int(ms) for ms in counts[3]) / len(counts[3]) / 1000
        self._status = QueueStatus(
            reachable=True,
            waiting=int(counts[0]),
            running=int(counts[1]),
            workers=int(counts[2]),
            pending_here=len(self._pending),
            mean_job_seconds=self._mean_seconds,
        )
        self._status_at = time.monotonic()
        for job, rank in zip(waiting, counts[4:], strict=True):
            if rank is not None and not job.started:
                job.reporter.report(Progress("queued", int(rank) + 1))

    async def _resend(self) -> None:
        """After an outage: enqueue again (same id: arq skips what it still has) the jobs no worker has
        started, and put them back in line; a restarted Redis may have lost them."""
        for job in list(self._pending.values()):
            if job.started or job.result.done():
                continue
            if await self._enqueue(job):
                await self._redis.zadd(state.WAITING, {job.id: job.payload.admitted_ms}, nx=True)
                await self._redis.zadd(
                    state.user_key(job.user_id), {job.id: job.payload.admitted_ms}, nx=True
                )
                log.warning("request %s: Redis had lost it; queued again", job.id)
        self._lost_pending = False

    def _went_down(self, error: BaseException) -> None:
        self._down_at = time.monotonic()
        reason = str(error) or type(error).__name__
        if self._down is None:
            log.error("Redis unreachable: %s; answering busy until it is back", reason)
        self._down = reason
        self._status = QueueStatus(reachable=False, pending_here=len(self._pending), detail=self._down)


def _failure(kind: str, text: str, job_id: str) -> Exception:
    """The error a caller gets for a worker's event ``kind`` (``text``: the member's message, if any)."""
    if kind == "input":
        return InputError(text)
    if kind == "expired":
        return JobExpired(job_id)
    if kind == "refused":
        return WorkerRefused(job_id)
    if kind == "lost":
        return JobLost(job_id)
    if kind == "timeout":
        return JobTimedOut(job_id, float(text))
    return JobFailed(job_id)
