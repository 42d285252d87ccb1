"""Health checks that look at the running bot, served on loopback for Docker and compose.

A :class:`HealthCheck` is anything with a ``name`` and ``async def healthy() -> tuple[bool, str]``: the
gateway (:class:`bot.discord.gateway_health.GatewayHealth`: every shard of this process connected, its
heartbeat answered), the job queue (:class:`QueueHealth` for the in-process queue; a queue on a broker
brings its own, e.g. "Redis answers"), and whatever else a process depends on. :class:`HealthServer`
answers ``GET /health`` on ``127.0.0.1:JAZZBOT_HEALTH_PORT`` with 200 when every check passes and 503
otherwise, one line per check in the body; ``python -m bot.health`` asks it and exits 0 or 1.

The answer is made by the bot's own event loop, so a loop that is stuck (a blocking call, a busy GIL)
shows as a health check that times out, which is what it is for the members waiting on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.services.jobs import SYSTEM_USER, QueueFull, ShuttingDown
from bot.services.remote_jobs import QueueStatus

log = logging.getLogger(__name__)

HEALTH_PATH = "/health"
HEALTH_HOST = "127.0.0.1"
CHECK_SECONDS = 5.0
"""A check that takes longer than this fails (a stuck dependency is not healthy)."""


class HealthCheck(Protocol):
    """One thing the process depends on, asked on every health request."""

    name: str

    async def healthy(self) -> tuple[bool, str]:
        """Whether it works now, and one line saying what was seen (shown to the operator)."""
        ...


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def text(self) -> str:
        lines = [f"{check.name}: {'ok' if check.ok else 'FAILING'}: {check.detail}" for check in self.checks]
        return "\n".join(["healthy" if self.ok else "unhealthy", *lines]) + "\n"


async def run_checks(checks: Sequence[HealthCheck], timeout: float = CHECK_SECONDS) -> HealthReport:
    """Every check at once; one that raises or takes longer than ``timeout`` fails with the reason."""

    async def one(check: HealthCheck) -> CheckResult:
        try:
            ok, detail = await asyncio.wait_for(check.healthy(), timeout)
        except TimeoutError:
            return CheckResult(check.name, False, f"no answer within {timeout:g} s")
        except Exception as error:  # a broken check is a failing one, never a crashed endpoint
            log.warning("health check %s raised", check.name, exc_info=True)
            return CheckResult(check.name, False, f"the check raised {error.__class__.__name__}")
        return CheckResult(check.name, ok, detail)

    return HealthReport(tuple(await asyncio.gather(*(one(check) for check in checks))))


class AdmittingQueue(Protocol):
    """What :class:`QueueHealth` reads of a job queue: :class:`~bot.services.jobs.JobQueue` has it."""

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...

    def estimate_wait(self) -> float: ...

    def check(self, user_id: int) -> None:
        """Raise what admitting a job now would raise (nothing is queued)."""
        ...


class QueueHealth:
    """The in-process job queue: healthy while it takes work (a full queue is busy, not broken; its
    jobs time out and free their workers). Unhealthy once it refuses work because it is stopping; any
    other refusal fails the check with its class name (see :func:`run_checks`)."""

    name = "queue"

    def __init__(self, queue: AdmittingQueue, workers: int, queue_size: int) -> None:
        self._queue = queue
        self._workers = workers
        self._queue_size = queue_size

    async def healthy(self) -> tuple[bool, str]:
        queue = self._queue
        load = (
            f"{queue.running}/{self._workers} workers busy, {queue.waiting}/{self._queue_size} waiting, "
            f"next start in ~{queue.estimate_wait():.0f} s"
        )
        try:
            queue.check(SYSTEM_USER)  # admission only: nothing is queued
        except ShuttingDown:
            return False, f"not taking clips: shutting down ({load})"
        except QueueFull:
            return True, f"full, members are told to retry ({load})"
        return True, load


class StatusSource(Protocol):
    """What :class:`WorkerTierHealth` asks: one round trip to the broker (``RemoteQueue.status``)."""

    async def status(self) -> QueueStatus: ...


class WorkerTierHealth:
    """The worker tier behind ``JAZZBOT_REDIS``: healthy while Redis answers and at least one
    ``python -m bot.worker`` process has stamped its heartbeat lately; with no live worker, clips would
    wait until their deadline, so the bot is not healthy even though it still takes requests."""

    name = "workers"

    def __init__(self, queue: StatusSource) -> None:
        self._queue = queue

    async def healthy(self) -> tuple[bool, str]:
        status = await self._queue.status()
        if not status.reachable:
            return False, f"Redis does not answer ({status.detail or 'unreachable'})"
        load = f"{status.waiting} waiting, {status.running} running, {status.pending_here} pending here"
        if status.workers == 0:
            return False, f"no live worker process ({load})"
        return True, f"{status.workers} live worker process(es), {load}"


class HealthServer:
    """``GET /health`` on loopback: 200 or 503 with :meth:`HealthReport.text` as the body."""

    def __init__(self, checks: Sequence[HealthCheck]) -> None:
        self._checks = tuple(checks)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, port: int, host: str = HEALTH_HOST) -> None:
        """Listen on ``host:port`` (port 0: any free port, then :attr:`port` says which)."""
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self._answer)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health check on http://%s:%d%s", host, self.port, HEALTH_PATH)

    async def report(self) -> HealthReport:
        return await run_checks(self._checks)

    async def _answer(self, _request: web.Request) -> web.Response:
        report = await self.report()
        return web.Response(text=report.text(), status=200 if report.ok else 503)

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
