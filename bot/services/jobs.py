"""The work queue: every clip is made on a bounded thread pool, never on the event loop.

A :class:`JobQueue` admits a job or refuses it at once with a :class:`Busy` error that says when to try
again: the user already has ``per_user_limit`` jobs in flight (:class:`UserLimit`), asked again within
``cooldown_seconds`` (:class:`Cooldown`), or all workers are busy and ``queue_size`` jobs already wait
(:class:`QueueFull`). Admitted jobs start on a free worker or wait in line; the queue itself dispatches to
the pool (never more jobs than workers are handed to it), so it always knows each waiting job's position.

Progress goes to an async callback per job: ``queued`` with the position whenever it changes, then the
stages the worker thread reports (handed to the loop with ``call_soon_threadsafe``), then ``done``. Only
changes are reported, and a slow callback is never queued up behind: it always gets the latest state.
The callback runs in a task :meth:`JobQueue.run` starts, so it sees the caller's context variables
(discord.py keeps an interaction's webhook adapter in one), wherever the state it delivers came from.

A job that raises ends with that error delivered to its caller: an :class:`~model.errors.InputError` as
is, anything else logged with its traceback under the job's short id and delivered as :class:`JobFailed`
(a :class:`~bot.core.failures.ReportedFailure`); the queue goes on serving the others either way. Estimates
come from the durations of recent jobs.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Future as ThreadFuture
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from bot.core.failures import ReportedFailure, new_request_id
from model.errors import InputError

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")
R_contra = TypeVar("R_contra", contravariant=True)
T_co = TypeVar("T_co", covariant=True)

DEFAULT_JOB_SECONDS = 2.0
"""The estimated duration of a job before any has finished: a guess on the slow side for a 16-bar clip."""
RECENT_JOBS = 20
"""Estimates average the durations of this many most recent successful jobs."""

FORGET_AFTER_USERS = 1000
"""Past this many remembered users, those whose cooldown is over are forgotten."""

STATES = ("queued", "composing", "arranging", "rendering", "encoding", "drawing", "done")


class Maker(Protocol[R_contra, T_co]):
    """What the workers run (:class:`bot.services.studio.Studio`): blocking, called from a worker thread."""

    def make(self, request: R_contra, on_stage: Callable[[str], None]) -> T_co: ...


class Busy(InputError):
    """The job was not admitted; ``retry_after`` is the estimated number of seconds until it would be."""

    def __init__(self, reason: str, retry_after: float) -> None:
        self.retry_after = max(retry_after, 0.0)
        super().__init__(f"{reason}: busy, try again in ~{max(1, math.ceil(self.retry_after))} s.")


class QueueFull(Busy):
    """Every worker is busy and the waiting line is full."""


class UserLimit(Busy):
    """The user already has as many jobs in flight as allowed."""


class Cooldown(Busy):
    """The user's previous request was too recent."""


class JobFailed(ReportedFailure):
    """A job died of a bug; its traceback is logged under ``request_id`` (the job's id)."""

    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"Sorry, something went wrong making that clip (request id `{request_id}`); please try again.",
            request_id,
        )


class ShuttingDown(InputError):
    """The queue was closed before the job could start."""

    def __init__(self) -> None:
        super().__init__("The bot is restarting; please ask again in a minute.")


@dataclass(frozen=True)
class Progress:
    """Where a job is: ``queued`` (with its 1-based ``position`` in line), a worker stage, or ``done``."""

    state: str
    position: int | None = None


ProgressCallback = Callable[[Progress], Awaitable[None]]


class _Reporter:
    """Delivers one job's progress to its callback in order, one call at a time, latest state only.

    Made on the loop in the caller's task: its delivery task starts there and inherits that context.
    :meth:`report` only records the state and wakes it, so it may be called from any loop callback.
    """

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._latest: Progress | None = None
        self._sent: Progress | None = None
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        if callback is not None:
            self._task = asyncio.get_running_loop().create_task(self._pump(callback))

    def report(self, progress: Progress) -> None:
        if self._task is None or progress == self._latest or self._closing:
            return
        self._latest = progress
        self._wake.set()

    async def _pump(self, callback: ProgressCallback) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            latest = self._latest
            if latest is not None and latest != self._sent:
                self._sent = latest
                try:
                    await callback(latest)
                except Exception:  # a failed progress edit must not fail the job
                    log.warning("progress callback failed for %s", latest, exc_info=True)
            if self._closing and self._latest == self._sent:
                return

    async def close(self) -> None:
        """Wait until the last reported state has been delivered."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    def cancel(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()


@dataclass(eq=False)
class _Job(Generic[R, T]):
    user_id: int
    request: R
    reporter: _Reporter
    result: asyncio.Future[T]
    started_at: float | None = None
    id: str = field(default_factory=new_request_id)


class JobQueue(Generic[R, T]):
    """Runs ``maker.make(request, on_stage)`` on ``workers`` threads with admission control (module doc).

    ``clock`` (monotonic seconds) times cooldowns and job durations; tests pass a settable one.
    """

    def __init__(
        self,
        maker: Maker[R, T],
        workers: int,
        queue_size: int,
        per_user_limit: int,
        cooldown_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if workers < 1 or queue_size < 0 or per_user_limit < 1 or cooldown_seconds < 0:
            raise ValueError("workers and per_user_limit must be >= 1, queue_size and cooldown >= 0")
        self._maker = maker
        self._workers = workers
        self._queue_size = queue_size
        self._per_user_limit = per_user_limit
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jazz-worker")
        self._running: list[_Job[R, T]] = []
        self._waiting: deque[_Job[R, T]] = deque()
        self._in_flight: Counter[int] = Counter()
        self._last_admitted: dict[int, float] = {}
        self._durations: deque[float] = deque(maxlen=RECENT_JOBS)
        self._closed = False

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def run(self, user_id: int, request: R, progress: ProgressCallback | None = None) -> T:
        """Make ``request`` for ``user_id`` on a worker and return the result (see the module doc).

        Raises :class:`Busy` when not admitted, the job's InputError, or :class:`JobFailed`.
        """
        self._admit(user_id)
        loop = asyncio.get_running_loop()
        job: _Job[R, T] = _Job(user_id, request, _Reporter(progress), loop.create_future())
        self._in_flight[user_id] += 1
        self._remember_request(user_id)
        try:
            if len(self._running) < self._workers:
                self._start(job)
            else:
                self._waiting.append(job)
                job.reporter.report(Progress("queued", len(self._waiting)))
            result = await job.result
        except asyncio.CancelledError:
            job.reporter.cancel()
            self._forget(job)
            raise
        except BaseException:
            await job.reporter.close()  # no stale progress may arrive after the caller shows the error
            raise
        finally:
            self._in_flight[user_id] -= 1
            if not self._in_flight[user_id]:
                del self._in_flight[user_id]
        job.reporter.report(Progress("done"))
        await job.reporter.close()
        return result

    def check(self, user_id: int) -> None:
        """Raise the :class:`Busy` error :meth:`run` would raise for ``user_id`` right now, if any."""
        self._admit(user_id)

    def estimate_wait(self) -> float:
        """Seconds until a job submitted now would start (0 while a worker is free)."""
        return self._schedule()[1]

    async def close(self) -> None:
        """Refuse new jobs, fail the waiting ones with :class:`ShuttingDown`, let running ones finish."""
        self._closed = True
        while self._waiting:
            job = self._waiting.popleft()
            if not job.result.done():
                job.result.set_exception(ShuttingDown())
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    # ---- admission and estimates --------------------------------------------------------------------

    def _admit(self, user_id: int) -> None:
        if self._closed:
            raise ShuttingDown()
        now = self._clock()
        if self._in_flight[user_id] >= self._per_user_limit:
            mine = [job for job in (*self._running, *self._waiting) if job.user_id == user_id]
            jobs = "a clip" if self._per_user_limit == 1 else f"{self._per_user_limit} clips"
            soonest = min(map(self._finish_estimate, mine), default=0.0)
            raise UserLimit(f"You already have {jobs} on the way", soonest)
        last = self._last_admitted.get(user_id)
        if last is not None and now - last < self._cooldown:
            raise Cooldown("Slow down a little", last + self._cooldown - now)
        if len(self._running) >= self._workers and len(self._waiting) >= self._queue_size:
            starts, _ = self._schedule()
            first_start = starts[0] if starts else self._mean_duration()
            raise QueueFull(f"The queue is full ({len(self._waiting)} clips waiting)", first_start)

    def _remember_request(self, user_id: int) -> None:
        now = self._clock()
        if len(self._last_admitted) >= FORGET_AFTER_USERS:  # keep the table small on a busy bot
            self._last_admitted = {u: t for u, t in self._last_admitted.items() if now - t < self._cooldown}
        self._last_admitted[user_id] = now

    def _mean_duration(self) -> float:
        return sum(self._durations) / len(self._durations) if self._durations else DEFAULT_JOB_SECONDS

    def _schedule(self) -> tuple[list[float], float]:
        """Estimated seconds from now until each waiting job starts, and until a new job would start:
        each waiting job takes the worker that frees up first and keeps it for the mean duration."""
        mean = self._mean_duration()
        now = self._clock()
        free_at = [0.0] * (self._workers - len(self._running))
        free_at += [max(0.0, (job.started_at or now) + mean - now) for job in self._running]
        heapq.heapify(free_at)
        starts = []
        for _ in self._waiting:
            start = heapq.heappop(free_at)
            starts.append(start)
            heapq.heappush(free_at, start + mean)
        return starts, free_at[0]

    def _finish_estimate(self, job: _Job[R, T]) -> float:
        mean = self._mean_duration()
        if job.started_at is not None:
            return max(0.0, job.started_at + mean - self._clock())
        starts, _ = self._schedule()
        return starts[self._waiting.index(job)] + mean

    # ---- dispatch -----------------------------------------------------------------------------------

    def _start(self, job: _Job[R, T]) -> None:
        loop = asyncio.get_running_loop()
        job.started_at = self._clock()
        self._running.append(job)

        def on_stage(stage: str) -> None:  # called on the worker thread
            loop.call_soon_threadsafe(job.reporter.report, Progress(stage))

        work = self._executor.submit(self._maker.make, job.request, on_stage)
        work.add_done_callback(lambda done: loop.call_soon_threadsafe(self._finished, job, done))

    def _finished(self, job: _Job[R, T], work: ThreadFuture[T]) -> None:
        """On the loop: hand the outcome to the caller, then give the worker to the next in line."""
        self._running.remove(job)
        error = work.exception()
        if not job.result.done():
            if error is None:
                job.result.set_result(work.result())
            elif isinstance(error, InputError):
                job.result.set_exception(error)
            else:
                log.error("request %s failed: a job of user %s", job.id, job.user_id, exc_info=error)
                job.result.set_exception(JobFailed(job.id))
        if error is None and job.started_at is not None:
            self._durations.append(self._clock() - job.started_at)
        self._dispatch()

    def _forget(self, job: _Job[R, T]) -> None:
        """A cancelled caller: drop its job from the line (a running one finishes on its own)."""
        if job in self._waiting:
            self._waiting.remove(job)
            self._report_positions()

    def _dispatch(self) -> None:
        while self._waiting and len(self._running) < self._workers and not self._closed:
            self._start(self._waiting.popleft())
        self._report_positions()

    def _report_positions(self) -> None:
        for position, job in enumerate(self._waiting, start=1):
            job.reporter.report(Progress("queued", position))
