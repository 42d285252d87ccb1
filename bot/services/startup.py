"""Everything the adapters share, opened once at start: settings, database, composer, queue, stores.

:func:`open_services` fails early and clearly: a missing soundfont names the Debian package, a missing
ffmpeg too, and the composer is loaded here (not on the first request), off the event loop.

Clips and jobs use their own SQLite connection. Stores that run multi-statement transactions (the
challenge store's ``BEGIN IMMEDIATE ... COMMIT``) hold their connection across awaits; a clip insert
issued on that same connection in between would join their transaction and vanish with a rollback.
Two connections to the WAL file keep the transactions apart (SQLite's busy timeout orders the writers).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from bot.audio.clips import Clip
from bot.audio.encode import FFMPEG_PACKAGE
from bot.audio.render import DEFAULT_SOUNDFONT, SOUNDFONT_PACKAGE, Renderer
from bot.core.requests import JazzRequest
from bot.services.challenges import ChallengeService
from bot.services.jazz import JazzService
from bot.services.jobs import JobQueue
from bot.services.settings import Settings
from bot.services.studio import Studio
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import open_database
from bot.store.jobs import JobStore
from model.compose import Composer
from model.paths import DEFAULT_MODEL_DIR

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something the bot needs at start is missing; the message says how to fix it."""


@dataclass
class Services:
    """The bot's long-lived parts; close with :meth:`close`."""

    settings: Settings
    db: aiosqlite.Connection
    composer: Composer
    studio: Studio
    queue: JobQueue[JazzRequest, Clip]
    clips: ClipStore
    jobs: JobStore
    jazz: JazzService
    challenges: ChallengeService
    store_db: aiosqlite.Connection
    closed: bool = field(default=False, init=False)

    async def close(self) -> None:
        """Finish running jobs, free the synths, close the database. Closing twice is harmless."""
        if self.closed:
            return
        self.closed = True
        try:
            await self.queue.close()
            self.studio.close()
        finally:
            await self.store_db.close()
            await self.db.close()


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
    settings.database.parent.mkdir(parents=True, exist_ok=True)
    db = await open_database(settings.database)
    try:
        store_db = await open_database(settings.database)
    except BaseException:
        await db.close()
        raise
    studio = Studio(composer, settings)
    queue: JobQueue[JazzRequest, Clip] = JobQueue(
        studio,
        workers=settings.workers,
        queue_size=settings.queue_size,
        per_user_limit=settings.per_user_limit,
        cooldown_seconds=settings.cooldown_seconds,
        clock=queue_clock,
    )
    clips = ClipStore(store_db, clock)
    jobs = JobStore(store_db, clock)
    log.info("services ready in %.2f s (model %s)", time.perf_counter() - started, composer.name)
    return Services(
        settings=settings,
        db=db,
        composer=composer,
        studio=studio,
        queue=queue,
        clips=clips,
        jobs=jobs,
        jazz=JazzService(queue, clips, jobs, settings.max_bars),
        challenges=ChallengeService(ChallengeStore(db, clock), clips, settings, clock),
        store_db=store_db,
    )
