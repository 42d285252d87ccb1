"""The deadline task across restarts: the right phase, each announcement once, missed deadlines caught up.

A "restart" closes the database and builds everything again on the same database, as a new process would;
on both backends (tests/bot/store/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.services.challenge_scheduler import Announcement, ChallengeScheduler
from bot.services.challenges import ChallengeService, Results
from bot.services.settings import Settings
from bot.store.challenges import Challenge, ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import DatabaseTarget, open_database
from tests.bot.challenge_helpers import CHANNEL, GUILD, MOD, Clock


class Recorder:
    """An announcer that keeps what it was asked to post, and can be told to fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, int, str]] = []
        self.failures_left = 0
        self.posted = asyncio.Event()

    def _post(self, kind: str, challenge: Challenge, text: str) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("Discord is down")
        self.posts.append((kind, challenge.id, text))
        self.posted.set()

    async def voting_opened(self, challenge: Challenge) -> None:
        self._post("voting", challenge, challenge.title)

    async def results(self, results: Results) -> None:
        winner = results.winner.title if results.winner else "-"
        self._post("results", results.challenge, winner)


@dataclass
class BotProcess:
    service: ChallengeService
    scheduler: ChallengeScheduler


@asynccontextmanager
async def bot_process(path: DatabaseTarget, clock: Clock, announcer: Recorder) -> AsyncIterator[BotProcess]:
    """Everything a bot process builds at start, on the database file at ``path``."""
    conn = await open_database(path)
    try:
        service = ChallengeService(ChallengeStore(conn, clock), ClipStore(conn, clock), Settings(), clock)
        yield BotProcess(service, ChallengeScheduler(service, announcer, clock=clock))
    finally:
        await conn.close()


async def start_with_entries(path: DatabaseTarget, clock: Clock) -> Challenge:
    async with bot_process(path, clock, Recorder()) as bot:
        service = bot.service
        challenge = await service.start(
            GUILD, CHANNEL, MOD, is_moderator=True, title="Wizard", prompt="p", submit_by="3d", vote_by="2d"
        )
        for author in (1, 2):
            await service.submit_link(GUILD, author, f"https://e.example/{author}", f"Tune {author}")
        return challenge


@pytest.fixture
def path(target: DatabaseTarget) -> DatabaseTarget:
    return target


async def test_a_restart_between_the_deadlines_resumes_voting(path: DatabaseTarget) -> None:
    clock = Clock()
    challenge = await start_with_entries(path, clock)
    clock.at(challenge.submission_deadline + 3600)  # the bot was down when submissions closed

    announcer = Recorder()
    async with bot_process(path, clock, announcer) as bot:
        assert await bot.scheduler.run_due() == [Announcement(GUILD, challenge.id, "voting")]
        assert await bot.scheduler.run_due() == []
        service = bot.service
        stored = await service.challenge(GUILD)
        assert (stored.stored_phase, stored.phase) == ("voting", "voting")
        entry = (await service.entries(GUILD))[1][0]
        await service.vote(GUILD, 50, entry.id)

    async with bot_process(path, clock, announcer) as bot:  # and again: nothing is owed
        assert await bot.scheduler.run_due() == []
        assert (await bot.service.leaderboard(GUILD)).standings[0].votes == 1
    assert announcer.posts == [("voting", challenge.id, "Wizard")]


async def test_deadlines_missed_while_down_are_handled_once_and_results_post_once(
    path: DatabaseTarget,
) -> None:
    clock = Clock()
    challenge = await start_with_entries(path, clock)
    clock.at(challenge.voting_deadline + 86400)  # both deadlines passed while the bot was down

    announcer = Recorder()
    for _restart in range(3):
        async with bot_process(path, clock, announcer) as bot:
            await bot.scheduler.run_due()
            stored = await bot.service.challenge(GUILD)
            assert stored.stored_phase == "closed" and stored.results_posted_at is not None
    assert announcer.posts == [("results", challenge.id, "-")]  # no voting notice for a finished vote


async def test_results_post_once_across_restarts_with_a_failing_post_retried(path: DatabaseTarget) -> None:
    clock = Clock()
    challenge = await start_with_entries(path, clock)
    announcer = Recorder()
    clock.at(challenge.submission_deadline)
    async with bot_process(path, clock, announcer) as bot:
        await bot.scheduler.run_due()
        entries = (await bot.service.entries(GUILD))[1]
        await bot.service.vote(GUILD, 50, entries[1].id)
        clock.at(challenge.voting_deadline)
        announcer.failures_left = 1
        assert await bot.scheduler.run_due() == [] and bot.scheduler.failed  # Discord was down: still owed

    async with bot_process(path, clock, announcer) as bot:
        assert await bot.scheduler.run_due() == [Announcement(GUILD, challenge.id, "results")]
        assert not bot.scheduler.failed
    async with bot_process(path, clock, announcer) as bot:
        assert await bot.scheduler.run_due() == []
    assert announcer.posts == [("voting", challenge.id, "Wizard"), ("results", challenge.id, "Tune 2")]


async def test_a_moderator_close_posts_results_once_through_the_running_task(path: DatabaseTarget) -> None:
    clock = Clock()
    await start_with_entries(path, clock)
    announcer = Recorder()
    async with bot_process(path, clock, announcer) as bot:
        task = asyncio.create_task(bot.scheduler.run())
        try:
            await bot.service.close(GUILD, is_moderator=True)
            bot.scheduler.wake()
            await asyncio.wait_for(announcer.posted.wait(), timeout=30)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert [kind for kind, _, _ in announcer.posts] == ["results"]
        assert await bot.scheduler.run_due() == []


async def test_the_next_deadline_is_the_nearest_one_ahead(path: DatabaseTarget) -> None:
    clock = Clock()
    challenge = await start_with_entries(path, clock)
    async with bot_process(path, clock, Recorder()) as bot:
        store = bot.service.store
        assert await store.next_deadline() == challenge.submission_deadline
        clock.at(challenge.submission_deadline)
        assert await store.next_deadline() == challenge.voting_deadline
        clock.at(challenge.voting_deadline)
        assert await store.next_deadline() is None
