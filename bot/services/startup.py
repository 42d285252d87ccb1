"""Everything the adapters share, opened once at start: settings, database, composer, queue, stores.

:func:`open_services` fails early and clearly: a missing soundfont names the Debian package, a missing
ffmpeg too, and the composer is loaded here (not on the first request), off the event loop.

Clips and jobs use their own SQLite connection. Stores that run multi-statement transactions (the
challenge store's ``BEGIN IMMEDIATE ... COMMIT``) hold their connection across awaits, so other
statements on it wait; two connections to the WAL file let clips go on meanwhile (SQLite's busy timeout
orders the writers). On PostgreSQL one pool serves both: every transaction has a connection of its own.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.audio.clips import Clip
from bot.audio.encode import FFMPEG_PACKAGE
from bot.audio.render import DEFAULT_SOUNDFONT, SOUNDFONT_PACKAGE, Renderer
from bot.core.requests import JazzRequest
from bot.services.challenges import ChallengeService
from bot.services.guild_settings import GuildSettingsService
from bot.services.jazz import JazzService
from bot.services.jobs import ClipQueue, JobQueue
from bot.services.remote_jobs import BrokerUnreachable, RemoteQueue, check_reachable, connect
from bot.services.settings import Settings
from bot.services.studio import Studio
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import DatabaseUnavailable, open_database
from bot.store.guild_settings import GuildSettingsStore
from bot.store.jobs import JobStore
from bot.store.privacy import PrivacyStore
from bot.store.sql import Database
from model.compose import Composer
from model.paths import DEFAULT_MODEL_DIR

log = logging.getLogger(__name__)


STOPPED_GRACE = 10.0
"""Seconds a shutdown waits, after stopping the clips left, for their users to be told."""


class StartupError(Exception):
    """Something the bot needs at start is missing; the message says how to fix it."""


@dataclass
class Services:
    """The bot's long-lived parts; close with :meth:`close`."""

    settings: Settings
    db: Database
    composer: Composer
    studio: Studio
    queue: ClipQueue[JazzRequest, Clip]
    clips: ClipStore
    jobs: JobStore
    jazz: JazzService
    challenges: ChallengeService
    store_db: Database
    guild_settings: GuildSettingsService
    privacy: PrivacyStore
    closed: bool = field(default=False, init=False)
    _closing: asyncio.Future[None] | None = field(default=None, init=False, repr=False)

    async def close(self, grace: float | None = None) -> None:
        """Drain, then close; a second call waits for the first. Call it while the adapter can still post.

        1. Refuse new clips and jobs (``ShuttingDown``: "restarting, ask again").
        2. Wait up to ``grace`` seconds (``JAZZBOT_SHUTDOWN_SECONDS``) for every clip in flight, running or
           waiting, to be made, stored and posted.
        3. Past that, stop what is left: waiting jobs fail, running ones are stopped like a timeout; their
           users are told once (the adapter's usual failure message) within :data:`STOPPED_GRACE`.
        4. Free the synths, then close the database: nothing is using it any more.
        """
        if self._closing is None:
            self.closed = True
            self._closing = asyncio.ensure_future(self._close(grace))
        await asyncio.shield(self._closing)

    async def _close(self, grace: float | None) -> None:
        grace = self.settings.shutdown_seconds if grace is None else grace
        started = time.perf_counter()
        flights = self.jazz.flights
        in_flight = flights.count
        flights.close()
        self.queue.stop()
        try:
            if not await flights.wait(grace):
                log.warning("%d clip(s) still in flight after %g s: stopping them", flights.count, grace)
            await self.queue.close()
            if not await flights.wait(STOPPED_GRACE):
                log.error("%d clip(s) still in flight after they were stopped", flights.count)
            self.studio.close()
        finally:
            if self.store_db is not self.db:
                await self.store_db.close()
            await self.db.close()
        log.info(
            "services closed in %.1f s (%d clip(s) were in flight)", time.perf_counter() - started, in_flight
        )


def check_soundfont(soundfont: Path | None) -> Path:
    """The soundfont the renderers will load; StartupError naming the Debian package when missing."""
    path = soundfont if soundfont is not None else DEFAULT_SOUNDFONT
    if not path.is_file():
        raise StartupError(
            f"no soundfont at {path}: install the Debian package {SOUNDFONT_PACKAGE} "
            f"(apt install {SOUNDFONT_PACKAGE}) or set JAZZBOT_SOUNDFONT to a General MIDI .sf2 file."
        )
    return path


def check_ffmpeg() -> None:
    if shutil.which("ffmpeg") is None:
        raise StartupError(
            f"ffmpeg is missing: install the Debian package {FFMPEG_PACKAGE} (apt install {FFMPEG_PACKAGE})."
        )


def _load_and_try_soundfont(settings: Settings) -> None:
    """Load the soundfont once, so an unusable file stops the start instead of the first job."""
    Renderer(settings.soundfont).close()


async def _open_database(settings: Settings) -> Database:
    try:
        return await open_database(settings.database, settings.database_pool)
    except DatabaseUnavailable as error:
        raise StartupError(f"JAZZBOT_DATABASE: {error}") from None


async def open_queue(
    settings: Settings, studio: Studio, model: str, clock: Callable[[], float]
) -> ClipQueue[JazzRequest, Clip]:
    """The in-process queue; with ``JAZZBOT_REDIS``, the worker tier (keeping one in-process worker for
    re-rendering stored audio). An unreachable Redis is a StartupError naming the setting."""
    local = JobQueue(
        studio,
        workers=1 if settings.redis else settings.workers,
        queue_size=settings.queue_size,
        per_user_limit=settings.per_user_limit,
        cooldown_seconds=settings.cooldown_seconds,
        clock=clock,
        job_timeout=settings.job_timeout,
    )
    if not settings.redis:
        return local
    redis = connect(settings.redis)
    try:
        await check_reachable(redis, settings.redis)
    except BrokerUnreachable as error:
        await redis.aclose()
        raise StartupError(str(error)) from None
    remote = RemoteQueue(
        redis,
        model,
        local,
        per_user_limit=settings.per_user_limit,
        cooldown_seconds=settings.cooldown_seconds,
        queue_size=settings.queue_size,
    )
    await remote.status()  # the live workers, for /help from the start
    return remote


async def open_services(
    settings: Settings,
    clock: Callable[[], float] = time.time,
    model_dir: Path = DEFAULT_MODEL_DIR,
    queue_clock: Callable[[], float] = time.monotonic,
) -> Services:
    """Check the soundfont and ffmpeg, open and migrate the database, load the composer, start the queue.

    ``clock`` (Unix seconds) stamps rows; ``queue_clock`` (monotonic) times cooldowns and jobs.
    Does not touch jobs a previous process left unfinished: the adapter calls
    ``services.jobs.fail_interrupted()`` once at start, to tell those users.
    """
    check_soundfont(settings.soundfont)
    check_ffmpeg()
    started = time.perf_counter()
    composer, _ = await asyncio.gather(
        asyncio.to_thread(Composer.load, model_dir), asyncio.to_thread(_load_and_try_soundfont, settings)
    )
    db = await _open_database(settings)
    try:
        store_db = db if db.dialect == "postgresql" else await _open_database(settings)
    except BaseException:
        await db.close()
        raise
    studio = Studio(composer, settings)
    try:
        queue = await open_queue(settings, studio, composer.name, queue_clock)
    except BaseException:
        await store_db.close()
        await db.close()
        raise
    clips = ClipStore(store_db, clock, audio_budget=settings.audio_keep_mb * 1024 * 1024)
    jobs = JobStore(store_db, clock)
    guild_settings = GuildSettingsService(GuildSettingsStore(store_db, clock), settings)
    jazz = JazzService(queue, clips, jobs, settings.max_bars, studio, guild_settings)
    log.info("services ready in %.2f s (model %s)", time.perf_counter() - started, composer.name)
    return Services(
        settings=settings,
        db=db,
        composer=composer,
        studio=studio,
        queue=queue,
        clips=clips,
        jobs=jobs,
        jazz=jazz,
        challenges=ChallengeService(
            ChallengeStore(db, clock), clips, settings, clock, guild_settings, audio_of=jazz.audio
        ),
        store_db=store_db,
        guild_settings=guild_settings,
        privacy=PrivacyStore(store_db, clock),
    )
