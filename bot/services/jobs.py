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
come from the durations of recent jobs; a job running past that mean counts as running until its timeout,
so stuck work is never estimated as a free worker.

A job that runs longer than ``job_timeout`` seconds is stopped: its caller gets :class:`JobTimedOut` at once
(an apology with the job's id; the ERROR log says what it was doing), the helper processes its worker thread
started (ffmpeg) are killed so the thread returns, and the thread's next stage report raises
:class:`Stopped` so it gives up. Its worker is counted busy until the thread has really returned.

:meth:`JobQueue.stop` refuses new jobs while admitted ones (running and waiting) carry on;
:meth:`JobQueue.close` then fails the ones still waiting with :class:`ShuttingDown`, stops the running
ones the same way as a timeout, and waits for the worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Future as ThreadFuture
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

from bot.core.failures import DeadlinePassed, ReportedFailure, new_request_id
from model.errors import InputError

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")
U = TypeVar("U")
R_contra = TypeVar("R_contra", contravariant=True)
T_co = TypeVar("T_co", covariant=True)

DEFAULT_JOB_SECONDS = 2.0
"""The estimated duration of a job before any has finished: a guess on the slow side for a 16-bar clip."""
RECENT_JOBS = 20
"""Estimates average the durations of this many most recent successful jobs."""

SYSTEM_USER = -1
"""The user id of work the bot does for itself (re-rendering stored audio): not limited per user."""

FORGET_AFTER_USERS = 1000
"""Past this many remembered users, those whose cooldown is over are forgotten."""

STATES = ("queued", "composing", "arranging", "rendering", "encoding", "drawing", "done")


class Maker(Protocol[R_contra, T_co]):
    """What the workers run (:class:`bot.services.studio.Studio`): blocking, called from a worker thread."""

    def make(self, request: R_contra, on_stage: Callable[[str], None]) -> T_co: ...


class Busy(InputError):
    """The job was not admitted; ``retry_after`` is the estimated number of seconds until it would be."""

    wording = "{reason}: busy, try again in ~{seconds} s."

    def __init__(self, reason: str, retry_after: float) -> None:
        self.retry_after = max(retry_after, 0.0)
        super().__init__(self.wording.format(reason=reason, seconds=max(1, math.ceil(self.retry_after))))


class QueueFull(Busy):
    """Every worker is busy and the waiting line is full."""


class UserLimit(Busy):
    """The user already has as many jobs in flight as allowed."""


class Cooldown(Busy):
    """The user's previous request was too recent (the bot is not busy: the member asked too soon)."""

    wording = "Slow down: you can ask again in {seconds} s."


class JobFailed(ReportedFailure):
    """A job died of a bug; its traceback is logged under ``request_id`` (the job's id)."""

    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"Sorry, something went wrong making that clip (request id `{request_id}`); please try again.",
            request_id,
        )


class JobTimedOut(ReportedFailure):
    """A job ran past the job timeout and was stopped; logged at ERROR under ``request_id``."""

    def __init__(self, request_id: str, seconds: float) -> None:
        super().__init__(
            f"Sorry, that clip took longer than {seconds:g} s to make, so I stopped it (request id "
            f"`{request_id}`). Please try again in a moment; fewer bars are quicker.",
            request_id,
        )


class Stopped(Exception):
    """Raised on a worker thread whose job was stopped (timed out or shut down), so it gives up."""


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


class ClipQueue(Protocol[R_contra, T_co]):
    """What the services use of a queue: :class:`JobQueue` in this process, or
    :class:`bot.services.remote_jobs.RemoteQueue` (``JAZZBOT_REDIS``: worker processes)."""

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...

    @property
    def workers(self) -> int:
        """How many jobs can run at once: worker threads here, or live worker processes' jobs."""
        ...

    async def run(
        self, user_id: int, request: R_contra, progress: ProgressCallback | None = None
    ) -> T_co: ...

    async def call(
        self,
        user_id: int,
        work: Callable[[Callable[[str], None]], U],
        progress: ProgressCallback | None = None,
    ) -> U: ...

    def check(self, user_id: int) -> None: ...

    def estimate_wait(self) -> float: ...

    def healthy(self) -> bool: ...

    def stop(self) -> None: ...

    async def close(self) -> None: ...


class Reporter:
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
class _Job:
    user_id: int
    work: Callable[[Callable[[str], None]], Any]  # called on a worker thread with the stage reporter
    reporter: Reporter
    result: asyncio.Future[Any]
    started_at: float | None = None
    id: str = field(default_factory=new_request_id)
    thread_id: int | None = None  # the native id of the worker thread running it
    stage: str = "queued"  # the last stage its worker reported
    stopped: bool = False
    timer: threading.Timer | None = None


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
        job_timeout: float | None = None,
    ) -> None:
        if workers < 1 or queue_size < 0 or per_user_limit < 1 or cooldown_seconds < 0:
            raise ValueError("workers and per_user_limit must be >= 1, queue_size and cooldown >= 0")
        if job_timeout is not None and job_timeout <= 0:
            raise ValueError("job_timeout must be positive (or None: no limit)")
        self._job_timeout = job_timeout
        self._maker = maker
        self._workers = workers
        self._queue_size = queue_size
        self._per_user_limit = per_user_limit
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jazz-worker")
        self._running: list[_Job] = []
        self._waiting: deque[_Job] = deque()
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

    @property
    def workers(self) -> int:
        return self._workers

    async def run(self, user_id: int, request: R, progress: ProgressCallback | None = None) -> T:
        """Make ``request`` for ``user_id`` on a worker and return the result (see the module doc).

        Raises :class:`Busy` when not admitted, the job's InputError, or :class:`JobFailed`.
        """
        maker = self._maker
        return await self.call(user_id, lambda on_stage: maker.make(request, on_stage), progress)

    async def call(
        self,
        user_id: int,
        work: Callable[[Callable[[str], None]], U],
        progress: ProgressCallback | None = None,
    ) -> U:
        """Like :meth:`run` for other work than the maker's (re-rendering a stored clip's audio): the
        same admission, workers, timeout and failure handling. ``work`` gets the stage reporter."""
        self._admit(user_id)
        loop = asyncio.get_running_loop()
        job = _Job(user_id, work, Reporter(progress), loop.create_future())
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
        return cast(U, result)

    def check(self, user_id: int) -> None:
        """Raise the :class:`Busy` error :meth:`run` would raise for ``user_id`` right now, if any."""
        self._admit(user_id)

    def estimate_wait(self) -> float:
        """Seconds until a job submitted now would start (0 while a worker is free)."""
        return self._schedule()[1]

    def healthy(self) -> bool:
        """Whether the queue takes jobs (for health checks): true until it is stopped."""
        return not self._closed

    def stop(self) -> None:
        """Refuse new jobs (:class:`ShuttingDown`); the admitted ones, running or waiting, carry on."""
        self._closed = True

    async def close(self) -> None:
        """Refuse new jobs, fail the waiting ones with :class:`ShuttingDown`, stop the running ones (their
        callers get :class:`ShuttingDown` too) and wait for the worker threads to end."""
        self._closed = True
        while self._waiting:
            job = self._waiting.popleft()
            if not job.result.done():
                job.result.set_exception(ShuttingDown())
        for job in list(self._running):
            self._stop(job, ShuttingDown())
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    # ---- admission and estimates --------------------------------------------------------------------

    def _admit(self, user_id: int) -> None:
        if self._closed:
            raise ShuttingDown()
        now = self._clock()
        if user_id == SYSTEM_USER:
            pass  # the bot's own work (a re-render): no per-user limit or cooldown, the queue's bound only
        elif self._in_flight[user_id] >= self._per_user_limit:
            mine = [job for job in (*self._running, *self._waiting) if job.user_id == user_id]
            jobs = "a clip" if self._per_user_limit == 1 else f"{self._per_user_limit} clips"
            soonest = min(map(self._finish_estimate, mine), default=0.0)
            raise UserLimit(f"You already have {jobs} on the way", soonest)
        elif (last := self._last_admitted.get(user_id)) is not None and now - last < self._cooldown:
            raise Cooldown("Slow down a little", last + self._cooldown - now)
        if len(self._running) >= self._workers and len(self._waiting) >= self._queue_size:
            starts, _ = self._schedule()
            first_start = starts[0] if starts else self._mean_duration()
            raise QueueFull(f"The queue is full ({len(self._waiting)} clips waiting)", first_start)

    def _remember_request(self, user_id: int) -> None:
        if user_id == SYSTEM_USER:
            return
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
        free_at += [self._remaining(job, mean, now) for job in self._running]
        heapq.heapify(free_at)
        starts = []
        for _ in self._waiting:
            start = heapq.heappop(free_at)
            starts.append(start)
            heapq.heappush(free_at, start + mean)
        return starts, free_at[0]

    def _remaining(self, job: _Job, mean: float, now: float) -> float:
        """Estimated seconds until running ``job`` frees its worker: the rest of the mean duration; past
        it, the rest of the timeout (when it would be stopped); past that (stopped, not yet returned),
        another mean."""
        elapsed = now - (job.started_at if job.started_at is not None else now)
        if elapsed < mean:
            return mean - elapsed
        if self._job_timeout is not None and elapsed < self._job_timeout:
            return self._job_timeout - elapsed
        return mean

    def _finish_estimate(self, job: _Job) -> float:
        mean = self._mean_duration()
        if job.started_at is not None:
            return self._remaining(job, mean, self._clock())
        starts, _ = self._schedule()
        return starts[self._waiting.index(job)] + mean

    # ---- dispatch -----------------------------------------------------------------------------------

    def _start(self, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        job.started_at = self._clock()
        self._running.append(job)

        def on_stage(stage: str) -> None:  # called on the worker thread
            if job.stopped:
                raise Stopped(job.id)
            job.stage = stage
            loop.call_soon_threadsafe(job.reporter.report, Progress(stage))

        def time_out() -> None:  # called on the timer's thread
            with contextlib.suppress(RuntimeError):  # the loop is gone: the process is ending anyway
                loop.call_soon_threadsafe(self._time_out, job)

        work = self._executor.submit(self._work, job, on_stage)
        work.add_done_callback(lambda done: loop.call_soon_threadsafe(self._finished, job, done))
        if self._job_timeout is not None:  # a thread timer: real time, whatever clock a test gives the loop
            job.timer = threading.Timer(self._job_timeout, time_out)
            job.timer.daemon = True
            job.timer.start()

    @staticmethod
    def _work(job: _Job, on_stage: Callable[[str], None]) -> Any:
        """On the worker thread: note which thread runs the job (to stop it), then do it."""
        job.thread_id = threading.get_native_id()
        if job.stopped:
            raise Stopped(job.id)
        return job.work(on_stage)

    def _time_out(self, job: _Job) -> None:
        if job in self._running and not job.stopped:
            assert self._job_timeout is not None
            log.error(
                "request %s timed out after %g s while %s (a job of user %s); stopping it",
                job.id, self._job_timeout, job.stage, job.user_id,
            )  # fmt: skip
            self._stop(job, JobTimedOut(job.id, self._job_timeout))

    def _stop(self, job: _Job, error: Exception) -> None:
        """Give ``job``'s caller ``error`` now and make its worker thread give up: its helper processes
        are killed and its next stage report raises :class:`Stopped`. The worker stays counted busy until
        the thread returns (:meth:`_finished`)."""
        job.stopped = True
        if not job.result.done():
            job.result.set_exception(error)
        killed = kill_children(job.thread_id) if job.thread_id is not None else []
        if killed:
            log.warning("request %s: killed helper process(es) %s", job.id, ", ".join(map(str, killed)))

    def _finished(self, job: _Job, work: ThreadFuture[Any]) -> None:
        """On the loop: hand the outcome to the caller, then give the worker to the next in line."""
        self._running.remove(job)
        if job.timer is not None:
            job.timer.cancel()
        error = work.exception()
        if job.stopped:
            log.info("request %s: its stopped worker returned (%s)", job.id, type(error).__name__)
        if not job.result.done():
            if error is None:
                job.result.set_result(work.result())
            elif isinstance(error, DeadlinePassed) and self._job_timeout is not None:
                log.error(
                    "request %s timed out after %g s: %s (a job of user %s)",
                    job.id,
                    self._job_timeout,
                    error,
                    job.user_id,
                )
                job.result.set_exception(JobTimedOut(job.id, self._job_timeout))
            elif isinstance(error, InputError):
                job.result.set_exception(error)
            else:
                log.error("request %s failed: a job of user %s", job.id, job.user_id, exc_info=error)
                job.result.set_exception(JobFailed(job.id))
        if error is None and job.started_at is not None and not job.stopped:
            self._durations.append(self._clock() - job.started_at)
        self._dispatch()

    def _forget(self, job: _Job) -> None:
        """A cancelled caller: drop its job from the line (a running one finishes on its own)."""
        if job in self._waiting:
            self._waiting.remove(job)
            self._report_positions()

    def _dispatch(self) -> None:
        while self._waiting and len(self._running) < self._workers:
            self._start(self._waiting.popleft())
        self._report_positions()

    def _report_positions(self) -> None:
        for position, job in enumerate(self._waiting, start=1):
            job.reporter.report(Progress("queued", position))


def _children(path: str) -> list[int]:
    try:
        with open(path, encoding="ascii") as listing:
            return [int(pid) for pid in listing.read().split()]
    except OSError:
        return []


def kill_children(thread_id: int) -> list[int]:
    """Kill the processes the thread ``thread_id`` (a native id in this process) started, and theirs;
    returns their pids. Linux lists a thread's children in ``/proc/self/task/<tid>/children``;
    elsewhere nothing is killed and the thread ends when its process does."""
    found: list[int] = []
    pending = _children(f"/proc/self/task/{thread_id}/children")
    while pending:  # the whole tree first: a killed parent's children are re-parented at once
        pid = pending.pop()
        found.append(pid)
        pending += _children(f"/proc/{pid}/task/{pid}/children")
    killed = []
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        killed.append(pid)
    return killed
