"""What both adapters (Discord and the console) call to make clips: compose, regenerate, extend, vary.

Each call records a job row, runs the request on the queue (:class:`~bot.services.jobs.ClipQueue`), records
the clip and marks the job ``rendered`` (or failed, with the message the user saw). The adapter then posts
the clip and calls :meth:`JazzService.posted` (the job is ``done``) or :meth:`JazzService.not_posted`; an
adapter holds :attr:`JazzService.flights` from the request to the post, so a shutdown waits for both. The
seed is resolved here, before the job is queued, so the job row already says exactly what will be made.

- Regenerate: the clip's request with a new seed (a progression the seed picked may change too).
- Extend: the same request and seed with 8 more bars over the same chords; the composer draws in time
  order, so the first bars come out exactly as before.
- Vary: the same chords (the progression as the composer resolved it), key, tempo and style, new seed.

Every call takes the Discord ``interaction`` (application id, token) when there is one: the job row
keeps it, so a restart can still tell the user about a job it interrupted.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.audio.clips import AudioFormat, Clip
from bot.core.requests import MAX_SEED, JazzRequest
from bot.services.drain import Flights
from bot.services.guild_settings import GuildSettingsService
from bot.services.jobs import SYSTEM_USER, ClipQueue, Progress, ProgressCallback
from bot.services.studio import Studio
from bot.store.clips import ClipStore, StoredClip
from bot.store.jobs import JobKind, JobStore
from model.errors import InputError

EXTEND_BARS = 8
Remake = Literal["regenerate", "extend", "vary"]
SEED_LIMIT = 2**31  # new seeds stay small enough to read out and type back
_SEED_RANGE = min(SEED_LIMIT, MAX_SEED + 1)


class TooLong(InputError):
    """Extending would go past the bar limit."""


@dataclass(frozen=True)
class Requester:
    """Who asks, where: adapter-neutral (the console uses user 0 and no guild or channel)."""

    user_id: int
    user_name: str
    guild_id: int | None = None
    channel_id: int | None = None


def new_seed() -> int:
    return secrets.randbelow(_SEED_RANGE)


class JazzService:
    """Clip making for one bot: the queue, the stores and the bar limit (the bot's, or a server's lower
    one when ``guild_settings`` is given)."""

    def __init__(
        self,
        queue: ClipQueue[JazzRequest, Clip],
        clips: ClipStore,
        jobs: JobStore,
        max_bars: int,
        studio: Studio,
        guild_settings: GuildSettingsService | None = None,
    ) -> None:
        self._queue = queue
        self._studio = studio
        self._clips = clips
        self._jobs = jobs
        self._max_bars = max_bars
        self._guild_settings = guild_settings
        self.flights = Flights()

    async def max_bars(self, guild_id: int | None) -> int:
        """The most bars a clip may have in ``guild_id`` (None: direct messages and the console)."""
        if self._guild_settings is None:
            return self._max_bars
        return min(self._max_bars, (await self._guild_settings.for_guild(guild_id)).max_bars)

    async def compose(
        self,
        who: Requester,
        request: JazzRequest,
        progress: ProgressCallback | None = None,
        interaction: tuple[int, str] | None = None,
    ) -> tuple[StoredClip, Clip]:
        """A new clip for ``request``; ``interaction`` is (application id, token) for follow-ups."""
        return await self._make("compose", who, request, progress, interaction)

    def check(self, request: JazzRequest) -> None:
        """Refuse early what only the composer can check: an unknown soloist or era in ``like``
        (an InputError naming the closest ones), so it is never queued."""
        if request.like is not None:
            self._studio.style(request.like)

    async def posted(self, clip_id: int, message_id: int | None = None) -> None:
        """Clip ``clip_id`` reached its user (``message_id``: the Discord message it is in): job done."""
        if message_id is not None:
            await self._clips.set_message(clip_id, message_id)
        await self._jobs.posted(clip_id)

    async def audio(self, stored: StoredClip) -> bytes:
        """Clip ``stored``'s audio: as stored, or rendered again from its MIDI on a worker when the
        retention policy dropped it (the bot's own job: no per-user limit, the queue's bound applies)."""
        if stored.audio:
            return stored.audio
        audio_format: AudioFormat = "mp3" if stored.audio_format == "mp3" else "ogg"
        studio, midi = self._studio, stored.midi
        return await self._queue.call(
            SYSTEM_USER, lambda on_stage: studio.render_audio(midi, audio_format, on_stage)
        )

    async def not_posted(self, clip_id: int, reason: str) -> None:
        """Posting clip ``clip_id`` failed and its user was told ``reason``: its job failed."""
        await self._jobs.not_posted(clip_id, reason)

    async def remake(
        self,
        kind: Remake,
        who: Requester,
        clip_id: int,
        progress: ProgressCallback | None = None,
        interaction: tuple[int, str] | None = None,
    ) -> tuple[StoredClip, Clip]:
        """Clip ``clip_id`` regenerated (new seed), extended by :data:`EXTEND_BARS` (:class:`TooLong`
        past the bar limit) or varied (same chords, new melody); see the module doc."""
        stored = await self._clips.get(clip_id, who.guild_id, who.user_id)
        request = self._remade_request(kind, stored, await self.max_bars(who.guild_id))
        return await self._make(kind, who, request, progress, interaction, parent=stored.id)

    def _remade_request(self, kind: Remake, stored: StoredClip, max_bars: int) -> JazzRequest:
        """What ``kind`` asks for, from a stored clip (see the module doc)."""
        if kind == "regenerate":
            return replace(stored.request, seed=None)
        if kind == "vary":
            return replace(stored.request, progression=stored.progression, seed=None)
        bars = stored.request.bars + EXTEND_BARS
        if bars > max_bars:
            raise TooLong(
                f"Clip #{stored.id} is already {stored.request.bars} bars; clips can be up to "
                f"{max_bars} bars, so it cannot grow by {EXTEND_BARS} more. Try Vary or a new /jazz."
            )
        return replace(stored.request, bars=bars, progression=stored.progression)

    async def _make(
        self,
        kind: JobKind,
        who: Requester,
        request: JazzRequest,
        progress: ProgressCallback | None,
        interaction: tuple[int, str] | None = None,
        parent: int | None = None,
    ) -> tuple[StoredClip, Clip]:
        self.check(request)
        max_bars = await self.max_bars(who.guild_id)
        if request.bars > max_bars:
            raise TooLong(f"{request.bars} bars is too long here; clips can be up to {max_bars} bars.")
        if request.seed is None:
            request = replace(request, seed=new_seed())
        self._queue.check(who.user_id)  # a refused request is not worth a job row
        job_id = await self._jobs.add(kind, who.user_id, who.guild_id, who.channel_id, request, interaction)
        try:
            clip = await self._queue.run(who.user_id, request, _marking_start(self._jobs, job_id, progress))
            stored = await self._clips.add(
                user_id=who.user_id,
                guild_id=who.guild_id,
                channel_id=who.channel_id,
                request=request,
                clip=clip,
                parent_id=parent,
            )
        except BaseException as error:
            await self._jobs.failed(job_id, str(error) or type(error).__name__)
            raise
        await self._jobs.rendered(job_id, stored.id)
        return stored, clip


def _marking_start(
    jobs: JobStore, job_id: int, progress: ProgressCallback | None
) -> Callable[[Progress], Coroutine[Any, Any, None]]:
    """The caller's progress callback, plus: the first worker stage marks the job running."""
    started = False

    async def report(update: Progress) -> None:
        nonlocal started
        if not started and update.state != "queued":
            started = True
            await jobs.started(job_id)
        if progress is not None:
            await progress(update)

    return report
