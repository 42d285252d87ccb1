"""The deadline task: stores phase changes as deadlines pass and makes each announcement once.

The rules never wait for this task (the store reads phases off the clock), so it only has to catch the
stored phase up and post "voting is open" and the results. Both posts are marked in the challenge's row
after the adapter's announcer returns, so after a restart a pass finds exactly what is still owed: a
deadline that passed while the bot was down is handled at the first pass, once. An announcer that raises
is retried on a later pass; one that cannot ever post (say, the channel is gone) should log and return.

With several bot processes on one database (shards, PostgreSQL), every process runs this task, and each
announcement is made under a lease named for it (``challenge:GUILD:ID:voting`` or ``...:results``,
:mod:`bot.store.leases`): the process that takes the lease re-reads the marker, posts, marks, releases.
The others skip it and look again after ``retry_after``, so when the holder dies mid-post its lease
expires (``lease_seconds``, renewed while held) and another process finishes the job: never zero times.
Never twice, because the marker is read under the lease; the one window a lease and a marker cannot
close, a holder killed after Discord accepted its post and before the marker's commit (milliseconds),
the Discord announcer closes by sending the same message nonce on every attempt
(:func:`bot.discord.challenges.announcement_nonce`).

One pass (:meth:`ChallengeScheduler.run_due`) is what tests and the console call; :meth:`run` loops it,
sleeping until the next deadline or until :meth:`wake` (a moderator closed a challenge).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.services.challenges import ChallengeService, Results
from bot.store.challenges import Challenge
from bot.store.leases import LeaseStore, process_owner

log = logging.getLogger(__name__)


class ChallengeAnnouncer(Protocol):
    """Where announcements go (a Discord channel, the console's output)."""

    async def voting_opened(self, challenge: Challenge) -> None: ...

    async def results(self, results: Results) -> None: ...


@dataclass(frozen=True)
class Announcement:
    guild_id: int
    challenge_id: int
    kind: Literal["voting", "results"]


class ChallengeScheduler:
    """Sleeps until the next deadline, at most ``max_wait`` seconds: a safety net for when the sleep's
    monotonic clock and the wall clock of the deadlines drift apart (a suspended host, a clock change)."""

    def __init__(
        self,
        service: ChallengeService,
        announcer: ChallengeAnnouncer,
        *,
        clock: Callable[[], float] = time.time,
        max_wait: float = 6 * 3600.0,
        retry_after: float = 60.0,
        lease_seconds: float = 60.0,
        owner: str | None = None,
    ) -> None:
        self._service = service
        self._store = service.store
        self._announcer = announcer
        self._clock = clock
        self._max_wait = max_wait
        self._retry_after = retry_after
        self._leases = LeaseStore(self._store.database, clock)
        self._lease_seconds = lease_seconds
        self.owner = owner if owner is not None else process_owner()
        self._woken = False
        self._sleeper: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()
        # the last pass left an announcement owed (its announcer failed, or another process held it):
        # the next pass comes after retry_after instead of max_wait
        self.failed = False

    def wake(self) -> None:
        """Run a pass now (after a moderator closed or cancelled a challenge, or started one)."""
        self._woken = True
        if self._sleeper is not None:
            self._sleeper.cancel()

    async def run_due(self) -> list[Announcement]:
        """One pass over everything due; returns the announcements made. An announcer's exception is
        logged and its announcement left for the next pass (``failed`` is then True)."""
        made: list[Announcement] = []
        async with self._lock:
            self.failed = False
            for due in await self._store.due_challenges():
                if due.stored_phase != due.phase:  # conditional on the old phase: any process may do it
                    await self._store.move_phase(due.guild_id, due.id, due.stored_phase, due.phase)
                try:
                    made.extend(await self._settle(await self._store.get_challenge(due.guild_id, due.id)))
                except Exception:
                    log.exception(
                        "announcing challenge %s in guild %s failed; retrying later", due.id, due.guild_id
                    )
                    self.failed = True
        return made

    async def _settle(self, challenge: Challenge) -> list[Announcement]:
        """The announcement ``challenge`` still owes, made under its lease."""
        kind = _owed(challenge)
        if kind is None:
            return []
        name = f"challenge:{challenge.guild_id}:{challenge.id}:{kind}"
        async with self._leases.held(name, self.owner, self._lease_seconds) as mine:
            if not mine:
                self.failed = True  # another process is on it; look again in case it dies
                return []
            # Read again under the lease: the previous holder may have posted and marked it meanwhile.
            return await self._announce(await self._store.get_challenge(challenge.guild_id, challenge.id))

    async def _announce(self, challenge: Challenge) -> list[Announcement]:
        key = (challenge.guild_id, challenge.id)
        if _owed(challenge) == "voting":
            await self._announcer.voting_opened(challenge)
            await _record(self._store.mark_voting_announced(*key))
            return [Announcement(*key, "voting")]
        if _owed(challenge) == "results":
            await self._announcer.results(await self._service.results(challenge))
            await _record(self._store.mark_results_posted(*key))
            return [Announcement(*key, "results")]
        return []

    async def run(self) -> None:
        """Loop forever (cancel the task to stop): a pass, then sleep until the next deadline."""
        while True:
            self._woken = False
            wait = self._max_wait
            try:
                await self.run_due()
                next_deadline = await self._store.next_deadline()
            except Exception:  # the database itself failed; keep the bot up and try again
                log.exception("challenge deadline pass failed")
                self.failed, next_deadline = True, None
            if next_deadline is not None:
                wait = min(wait, max(0.0, next_deadline - self._clock()))
            if self.failed:
                wait = min(wait, self._retry_after)
            if not self._woken:
                await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        """A plain sleep that :meth:`wake` cuts short (a plain sleep, so test harnesses that run virtual
        time, such as simcord, can fast-forward it)."""
        self._sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        try:
            await self._sleeper
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the loop itself is being stopped, not woken
        finally:
            self._sleeper = None


def _owed(challenge: Challenge) -> Literal["voting", "results"] | None:
    if challenge.phase == "voting" and challenge.voting_announced_at is None:
        return "voting"
    if challenge.phase == "closed" and challenge.results_posted_at is None:
        return "results"
    return None


async def _record(mark: Coroutine[Any, Any, bool]) -> None:
    """Store a post's marker even when the task is cancelled meanwhile (a shutdown right after the
    post): the task ends only once the marker is stored, so nothing after it sees the post as owed."""
    marking = asyncio.ensure_future(mark)
    try:
        await asyncio.shield(marking)
    except asyncio.CancelledError:
        await marking
        raise
