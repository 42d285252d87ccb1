"""What plays in each server's voice channel: one connection per server, a queue of tracks, leaving when idle.

:class:`VoiceQueues` knows nothing about Discord. A connection is a :class:`VoiceLink` (the Discord
adapter wraps ``discord.VoiceClient``; tests use a stand-in) made by a ``connect`` function the caller
passes, so the real ``channel.connect()`` stays at the edge. The link plays one source at a time on its
own thread and calls ``after`` from that thread when the source ends; the queue hops back onto the event
loop and starts the next track. A track opens its source only when its turn comes, so a long queue
(a challenge's listening party) holds ids, not audio.

Refusals are :class:`~model.errors.InputError` s raised before anything changes: a second voice channel
in the same server (:class:`AlreadyPlaying`), a full queue, skipping or stopping when nothing plays.

When a server's queue runs out, a timer on the event loop starts; a new track disarms it, and when it
fires the bot leaves the channel. It runs on the loop's clock, which simcord moves in the Discord tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from model.errors import InputError

log = logging.getLogger(__name__)

IDLE_SECONDS = 120.0  # leave a voice channel after this long with nothing to play
MAX_QUEUE = 100  # tracks waiting per server (a listening party of a big challenge fits)

S = TypeVar("S", bound="Source")
S_contra = TypeVar("S_contra", bound="Source", contravariant=True)


class Source(Protocol):
    """An audio source a link plays (``discord.AudioSource`` in production)."""

    def cleanup(self) -> None:
        """Free what the source holds (an ffmpeg process); called also for a source never played."""


class VoiceLink(Protocol[S_contra]):
    """A live connection to one voice channel."""

    @property
    def channel_id(self) -> int: ...

    def play(self, source: S_contra, after: Callable[[Exception | None], None]) -> None:
        """Start ``source`` at once; ``after`` is called (from any thread) when it ends or is stopped."""

    def stop(self) -> None:
        """Stop the current source (its ``after`` still runs)."""

    async def disconnect(self) -> None: ...


@dataclass(frozen=True)
class Track(Generic[S]):
    """One thing to play: ``title`` for the queue list, ``open`` makes its source when its turn comes."""

    title: str
    requested_by: int
    open: Callable[[], Awaitable[S]]


@dataclass(frozen=True)
class QueueView(Generic[S]):
    """A server's voice state for ``/queue``."""

    channel_id: int
    playing: Track[S] | None
    waiting: tuple[Track[S], ...]


class AlreadyPlaying(InputError):
    """The bot is in another voice channel of this server."""

    def __init__(self, channel_id: int) -> None:
        self.channel_id = channel_id
        super().__init__(
            f"I'm already playing in <#{channel_id}> in this server (one voice channel per server). "
            "Join that channel to listen, or `/stop` there first."
        )


class QueueFull(InputError):
    """More tracks than the queue has room for."""


class NothingPlaying(InputError):
    """Skip or stop with nothing playing in this server."""


@dataclass(eq=False)
class _Guild(Generic[S]):
    link: VoiceLink[S]
    waiting: deque[Track[S]] = field(default_factory=deque)
    playing: Track[S] | None = None
    idle_timer: asyncio.TimerHandle | None = None  # set while nothing plays or waits


class VoiceQueues(Generic[S]):
    """Every server's voice connection and queue. Use from the event loop only."""

    def __init__(
        self,
        idle_seconds: float = IDLE_SECONDS,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        self._idle_seconds = idle_seconds
        self._max_queue = max_queue
        self._guilds: dict[int, _Guild[S]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def channel_of(self, guild_id: int) -> int | None:
        """The voice channel the bot is connected to in ``guild_id``, if any."""
        state = self._guilds.get(guild_id)
        return state.link.channel_id if state is not None else None

    def check(self, guild_id: int, channel_id: int, count: int = 1) -> None:
        """Refuse (before anything changes) what :meth:`enqueue` would refuse for these arguments."""
        state = self._guilds.get(guild_id)
        if state is None:
            if count > self._max_queue:
                raise QueueFull(f"That is {count} tracks; the queue takes up to {self._max_queue}.")
            return
        if state.link.channel_id != channel_id:
            raise AlreadyPlaying(state.link.channel_id)
        room = self._max_queue - len(state.waiting)
        if count > room:
            raise QueueFull(
                f"The queue has room for {room} more (it takes up to {self._max_queue}); "
                "`/skip` or `/stop` to make room, or try again when some have played."
            )

    async def enqueue(
        self,
        guild_id: int,
        channel_id: int,
        tracks: Sequence[Track[S]],
        connect: Callable[[], Awaitable[VoiceLink[S]]],
    ) -> int:
        """Queue ``tracks`` in ``channel_id``, connecting first when not connected in this server.

        Returns how many tracks are ahead of the first one (0: it starts now). Refusals as :meth:`check`;
        a failed ``connect`` raises and leaves nothing behind.
        """
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            self.check(guild_id, channel_id, len(tracks))
            state = self._guilds.get(guild_id)
            if state is None:
                state = _Guild(await connect())
                self._guilds[guild_id] = state
            ahead = len(state.waiting) + (state.playing is not None)
            state.waiting.extend(tracks)
            self._next(guild_id, state)
            return ahead

    def view(self, guild_id: int) -> QueueView[S] | None:
        state = self._guilds.get(guild_id)
        if state is None:
            return None
        return QueueView(state.link.channel_id, state.playing, tuple(state.waiting))

    def skip(self, guild_id: int) -> Track[S]:
        """Stop the current track and go on with the next; returns the skipped track."""
        state = self._guilds.get(guild_id)
        if state is None or state.playing is None:
            raise NothingPlaying("Nothing is playing in this server, so there is nothing to skip.")
        skipped, state.playing = state.playing, None
        state.link.stop()  # its ``after`` finds another track playing (or none) and lets it be
        self._next(guild_id, state)
        return skipped

    async def stop(self, guild_id: int) -> int:
        """Stop playing, empty the queue and leave the voice channel; returns the channel left."""
        state = self._guilds.pop(guild_id, None)
        if state is None:
            raise NothingPlaying("I'm not in a voice channel in this server.")
        await self._leave(state)
        return state.link.channel_id

    def forget(self, guild_id: int) -> None:
        """Drop a server's queue whose connection is gone already (the bot was disconnected)."""
        state = self._guilds.pop(guild_id, None)
        if state is not None:
            self._disarm(state)
            state.waiting.clear()
            state.playing = None
            state.link.stop()

    async def close(self) -> None:
        """Leave every voice channel (the bot is shutting down)."""
        for guild_id in list(self._guilds):
            await self._leave(self._guilds.pop(guild_id))
        for task in list(self._tasks):
            task.cancel()

    async def _leave(self, state: _Guild[S]) -> None:
        self._disarm(state)
        state.waiting.clear()
        state.playing = None
        state.link.stop()
        try:
            await state.link.disconnect()
        except Exception:  # the connection may be half gone; it is dropped either way
            log.warning("leaving voice channel %d failed", state.link.channel_id, exc_info=True)

    def _next(self, guild_id: int, state: _Guild[S]) -> None:
        """Start the next waiting track unless one plays; with none left, the idle time starts."""
        if state.playing is not None:
            return
        if not state.waiting:
            loop = asyncio.get_running_loop()
            state.idle_timer = loop.call_later(self._idle_seconds, self._idle_time_up, guild_id, state)
            return
        self._disarm(state)
        state.playing = track = state.waiting.popleft()
        self._track(asyncio.create_task(self._play(guild_id, state, track), name=f"voice {guild_id}"))

    def _disarm(self, state: _Guild[S]) -> None:
        if state.idle_timer is not None:
            state.idle_timer.cancel()
            state.idle_timer = None

    def _idle_time_up(self, guild_id: int, state: _Guild[S]) -> None:
        """Nothing played for the idle time (a new track disarms the timer): leave the channel."""
        if self._guilds.get(guild_id) is state and state.idle_timer is not None:
            del self._guilds[guild_id]
            self._track(asyncio.create_task(self._leave(state), name=f"voice {guild_id} idle"))

    def _track(self, task: asyncio.Task[Any]) -> None:
        """Keep a reference to ``task`` until it ends (the loop keeps only weak ones)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _current(self, guild_id: int, state: _Guild[S], track: Track[S]) -> bool:
        return self._guilds.get(guild_id) is state and state.playing is track

    async def _play(self, guild_id: int, state: _Guild[S], track: Track[S]) -> None:
        try:
            source = await track.open()
        except Exception as error:  # its requester was answered already; the queue goes on
            log.warning("voice: %s could not be played: %s", track.title, error, exc_info=True)
            if self._current(guild_id, state, track):
                state.playing = None
                self._next(guild_id, state)
            return
        if not self._current(guild_id, state, track):  # skipped or stopped while it was opening
            source.cleanup()
            return
        loop = asyncio.get_running_loop()

        def after(error: Exception | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed (the bot shut down) meanwhile
                loop.call_soon_threadsafe(self._finished, guild_id, state, track, error)

        state.link.play(source, after)

    def _finished(self, guild_id: int, state: _Guild[S], track: Track[S], error: Exception | None) -> None:
        if error is not None:
            log.warning("voice: %s stopped with an error: %s", track.title, error)
        if self._current(guild_id, state, track):
            state.playing = None
            self._next(guild_id, state)
