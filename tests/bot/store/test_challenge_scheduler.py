"""The deadline task across restarts: the right phase, each announcement once, missed deadlines caught up.

A "restart" closes the database and builds everything again on the same database, as a new process would;
on both backends (tests/bot/store/conftest.py).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.discord.challenges import announcement_nonce
from bot.services.challenge_scheduler import Announcement, ChallengeScheduler
from bot.services.challenges import ChallengeService, Results
from bot.services.settings import Settings
from bot.store.challenges import Challenge, ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import DatabaseTarget, PostgresURL, open_database
from tests.bot.challenge_helpers import CHANNEL, GUILD, MOD, SUBMIT_BY, VOTE_BY, Clock

REPO = Path(__file__).resolve().parents[3]


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


# --- several bot processes on one database: leases make each announcement exactly once ---------------


async def finished_challenges(target: DatabaseTarget, guilds: int) -> tuple[list[int], float]:
    """``guilds`` challenges (one per guild) whose voting ended an hour ago, and the clock offset that
    puts the real clock there."""
    clock = Clock()
    db = await open_database(target)
    try:
        store = ChallengeStore(db, clock)
        ids = []
        for guild in range(GUILD, GUILD + guilds):
            challenge = await store.create_challenge(guild, CHANNEL, MOD, "Race", "p", SUBMIT_BY, VOTE_BY)
            await store.submit_entry(guild, challenge.id, 1, "Tune", "link", reference="https://e.example")
            ids.append(challenge.id)
    finally:
        await db.close()
    return ids, VOTE_BY.timestamp() + 3600 - time.time()


async def test_two_schedulers_on_separate_connections_announce_each_result_once(
    target: DatabaseTarget,
) -> None:
    ids, offset = await finished_challenges(target, 4)

    def clock() -> float:
        return time.time() + offset

    class SlowRecorder(Recorder):
        async def results(self, results: Results) -> None:
            await asyncio.sleep(0.05)  # long enough for the other scheduler to reach the same challenge
            await super().results(results)

    announcer = SlowRecorder()  # shared: what both processes posted, in one list
    databases = [await open_database(target) for _ in range(2)]
    try:
        schedulers = []
        for db in databases:
            service = ChallengeService(ChallengeStore(db, clock), ClipStore(db, clock), Settings(), clock)
            schedulers.append(ChallengeScheduler(service, announcer, clock=clock, retry_after=0.1))
        for _ in range(3):  # passes racing each other, then passes that find nothing owed
            await asyncio.gather(*(scheduler.run_due() for scheduler in schedulers))
    finally:
        for db in databases:
            await db.close()
    assert sorted(challenge for _, challenge, _ in announcer.posts) == ids


def _spawn(
    target: DatabaseTarget, offset: float, lease: float, start_at: float, mode: str, log: Path
) -> subprocess.Popen[bytes]:
    url = target.url if isinstance(target, PostgresURL) else str(target)
    arguments = [url, str(offset), str(lease), str(start_at), mode, str(log)]
    return subprocess.Popen([sys.executable, "-m", "tests.bot.store.scheduler_process", *arguments], cwd=REPO)


def _lines(log: Path) -> list[tuple[int, str, int]]:
    if not log.exists():
        return []
    return [
        (int(pid), what, int(challenge))
        for pid, what, challenge in map(str.split, log.read_text().splitlines())
    ]


async def test_two_processes_racing_post_each_result_exactly_once(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    ids, offset = await finished_challenges(target, 3)
    log = tmp_path / "posts.log"
    start_at = time.time() + 2.0  # both processes imported and connected by then
    children = [_spawn(target, offset, 30, start_at, "post", log) for _ in range(2)]
    for child in children:
        assert await asyncio.to_thread(child.wait, 60) == 0
    posted = [(pid, challenge) for pid, what, challenge in _lines(log) if what == "posted"]
    assert sorted(challenge for _, challenge in posted) == ids  # each once, none missing
    db = await open_database(target)
    try:
        store = ChallengeStore(db, lambda: time.time() + offset)
        for guild, challenge in zip(range(GUILD, GUILD + 3), ids, strict=True):
            assert (await store.get_challenge(guild, challenge)).results_posted_at is not None
    finally:
        await db.close()


async def test_a_holder_killed_mid_post_is_taken_over_after_its_lease_expires(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    [challenge], offset = await finished_challenges(target, 1)
    log = tmp_path / "posts.log"
    child = _spawn(target, offset, 1.0, 0, "hang", log)
    try:
        for _ in range(300):  # it took the lease and started posting
            if _lines(log):
                break
            await asyncio.sleep(0.05)
        assert _lines(log) == [(child.pid, "started", challenge)]
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.to_thread(child.wait, 30)
    killed_at = time.time()

    def clock() -> float:
        return time.time() + offset

    announcer = Recorder()
    db = await open_database(target)
    try:
        service = ChallengeService(ChallengeStore(db, clock), ClipStore(db, clock), Settings(), clock)
        scheduler = ChallengeScheduler(service, announcer, clock=clock, retry_after=0.1)
        if time.time() - killed_at < 0.5:  # its lease (1 s, renewed every 1/3 s) is still running
            assert await scheduler.run_due() == [] and scheduler.failed  # held: owed, looked at again soon
        await asyncio.sleep(1.2)
        assert await scheduler.run_due() == [Announcement(GUILD, challenge, "results")]
        assert await scheduler.run_due() == []
    finally:
        await db.close()
    assert [kind for kind, _, _ in announcer.posts] == ["results"]
    assert [what for _, what, _ in _lines(log)] == ["started"]  # the killed one never posted


def test_each_announcement_has_one_discord_nonce_for_all_its_attempts() -> None:
    """What closes the last window (a holder killed after Discord took its post, before the marker): the
    retry sends the same nonce, and discord.py sends it with ``enforce_nonce`` (simcord ignores nonces, so
    Discord's side of it is not exercised here)."""
    nonces = {announcement_nonce(c, kind) for c in (7, 8) for kind in ("voting", "results")}
    assert len(nonces) == 4 and all(len(nonce) <= 25 for nonce in nonces)  # Discord's limit
    assert len(announcement_nonce(2**63 - 1, "results")) <= 25  # the largest id a database hands out
