"""Challenge storage on a real SQLite file: migrations, vote rules, guild scoping, concurrency."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.challenge_store import (
    ChallengeNotFound,
    ChallengeStore,
    SubmissionRefused,
    VoteRefusal,
    VoteRefused,
)
from bot.database import apply_migrations, list_migrations, open_database, schema_version
from model.errors import InputError

GUILD, OTHER_GUILD, CHANNEL, MOD = 111, 222, 333, 9
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    """A settable wall clock, so deadlines can pass without sleeping."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "jazzbot.sqlite3")
    yield connection
    await connection.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(conn: aiosqlite.Connection, clock: Clock) -> ChallengeStore:
    return ChallengeStore(conn, clock)


async def new_challenge(store: ChallengeStore, guild_id: int = GUILD) -> int:
    return await store.create_challenge(
        guild_id, CHANNEL, MOD, "Wizard of the week", "A clip in any genre",
        START + timedelta(days=3), START + timedelta(days=5),
    )  # fmt: skip


async def voting_challenge(store: ChallengeStore, authors: range) -> tuple[int, list[int]]:
    """A challenge in its voting phase with one MIDI entry per author; returns its id and the entry ids."""
    challenge = await new_challenge(store)
    entries = [
        await store.submit_entry(GUILD, challenge, author, f"Tune {author}", "midi", payload=b"MThd")
        for author in authors
    ]
    await store.set_phase(GUILD, challenge, "voting")
    return challenge, entries


async def vote_rows(conn: aiosqlite.Connection) -> list[tuple[int, int]]:
    async with conn.execute("SELECT entry_id, voter_id FROM votes ORDER BY 1, 2") as cursor:
        return [(row[0], row[1]) for row in await cursor.fetchall()]


async def test_open_migrates_an_empty_file_and_reopens_idempotently(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    conn = await open_database(path)
    assert await schema_version(conn) == len(list_migrations()) >= 1
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == ["challenges", "entries", "votes"]
    async with conn.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
    store = ChallengeStore(conn, Clock())
    challenge = await new_challenge(store)
    await conn.close()

    reopened = await open_database(path)
    assert await schema_version(reopened) == len(list_migrations())
    assert await ChallengeStore(reopened).leaderboard(GUILD, challenge) == []
    await reopened.close()


async def test_migrations_upgrade_an_older_file_and_roll_back_a_failing_one(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);")
    conn = await aiosqlite.connect(tmp_path / "db.sqlite3", isolation_level=None)
    assert await apply_migrations(conn, migrations) == 1

    (migrations / "0002_second.sql").write_text("CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);")
    (migrations / "0003_broken.sql").write_text("CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await apply_migrations(conn, migrations)
    assert await schema_version(conn) == 2  # 0002 applied, 0003 rolled back whole
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == ["a", "b"]
    await conn.close()


async def test_schema_itself_refuses_self_votes_and_second_entries(
    conn: aiosqlite.Connection, store: ChallengeStore
) -> None:
    challenge, (entry, _) = await voting_challenge(store, range(1, 3))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await conn.execute(
            "INSERT INTO votes VALUES (?, ?, ?, 1, 1, 0)", (GUILD, challenge, entry)
        )  # author 1 voting for own entry
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await conn.execute(
            "INSERT INTO votes VALUES (?, ?, ?, 5, 1, 0)", (GUILD, challenge, entry)
        )  # lying about the author to dodge the CHECK
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await conn.execute(
            "INSERT INTO entries (guild_id, challenge_id, author_id, title, kind, payload, submitted_at)"
            " VALUES (?, ?, 1, 'again', 'midi', x'00', 0)",
            (GUILD, challenge),
        )
    assert await vote_rows(conn) == []


async def test_vote_rules_refuse_with_reason_and_change_nothing(
    conn: aiosqlite.Connection, store: ChallengeStore, clock: Clock
) -> None:
    challenge, entries = await voting_challenge(store, range(1, 6))
    voter = 50
    assert await store.vote(GUILD, challenge, entries[0], voter) == 2
    assert await store.vote(GUILD, challenge, entries[1], voter) == 1
    assert await store.vote(GUILD, challenge, entries[2], voter) == 0
    before = await vote_rows(conn)

    refusals = [
        (VoteRefusal.SELF_VOTE, store.vote(GUILD, challenge, entries[3], 4)),
        (VoteRefusal.DOUBLE_VOTE, store.vote(GUILD, challenge, entries[0], voter)),
        (VoteRefusal.OVER_CAP, store.vote(GUILD, challenge, entries[3], voter)),
        (VoteRefusal.NOT_FOUND, store.vote(OTHER_GUILD, challenge, entries[3], 60)),
        (VoteRefusal.NOT_FOUND, store.vote(GUILD, challenge + 1, entries[3], 60)),
        (VoteRefusal.NOT_VOTED, store.unvote(GUILD, challenge, entries[3], voter)),
        (VoteRefusal.NOT_FOUND, store.unvote(OTHER_GUILD, challenge, entries[0], voter)),
    ]
    for reason, attempt in refusals:
        with pytest.raises(VoteRefused) as refused:
            await attempt
        assert refused.value.reason is reason
        assert isinstance(refused.value, InputError) and str(refused.value) == reason.value
    assert await vote_rows(conn) == before

    await store.unvote(GUILD, challenge, entries[0], voter)  # taking one back frees a vote
    assert await store.vote(GUILD, challenge, entries[3], voter) == 0

    clock.now = START + timedelta(days=5)  # voting deadline reached
    before = await vote_rows(conn)
    for attempt in (
        store.vote(GUILD, challenge, entries[4], 60),
        store.unvote(GUILD, challenge, entries[1], voter),
    ):
        with pytest.raises(VoteRefused) as refused:
            await attempt
        assert refused.value.reason is VoteRefusal.OUTSIDE_WINDOW
    assert await vote_rows(conn) == before


async def test_no_votes_during_submissions_or_after_close(
    conn: aiosqlite.Connection, store: ChallengeStore
) -> None:
    challenge = await new_challenge(store)
    entry = await store.submit_entry(GUILD, challenge, 1, "Early", "link", reference="https://example.com/a")
    with pytest.raises(VoteRefused, match="not open"):
        await store.vote(GUILD, challenge, entry, 2)
    await store.set_phase(GUILD, challenge, "closed")
    with pytest.raises(VoteRefused, match="not open"):
        await store.vote(GUILD, challenge, entry, 2)
    assert await vote_rows(conn) == []


async def test_resubmitting_replaces_the_entry_until_submissions_close(
    store: ChallengeStore, clock: Clock
) -> None:
    challenge = await new_challenge(store)
    first = await store.submit_entry(GUILD, challenge, 1, "Draft", "midi", payload=b"v1")
    clock.now += timedelta(hours=1)
    second = await store.submit_entry(GUILD, challenge, 1, "Final", "clip", reference="clip-42")
    board = await store.leaderboard(GUILD, challenge)
    assert second == first
    assert [(s.title, s.submitted_at) for s in board] == [("Final", clock())]

    clock.now = START + timedelta(days=3)
    with pytest.raises(SubmissionRefused, match="closed"):
        await store.submit_entry(GUILD, challenge, 1, "Too late", "midi", payload=b"v3")
    with pytest.raises(ChallengeNotFound):
        await store.submit_entry(OTHER_GUILD, challenge, 2, "Wrong server", "midi", payload=b"x")
    assert [s.title for s in await store.leaderboard(GUILD, challenge)] == ["Final"]


async def test_create_challenge_refuses_bad_deadlines(store: ChallengeStore) -> None:
    cases = [
        (START - timedelta(hours=1), START + timedelta(days=1), "future"),
        (START + timedelta(days=2), START + timedelta(days=1), "after the submission"),
        (datetime(2026, 12, 1), datetime(2026, 12, 2), "time zone"),
    ]
    for submit_by, vote_by, message in cases:
        with pytest.raises(InputError, match=message):
            await store.create_challenge(GUILD, CHANNEL, MOD, "t", "p", submit_by, vote_by)


async def test_guilds_cannot_see_or_change_each_others_challenges(store: ChallengeStore) -> None:
    challenge, entries = await voting_challenge(store, range(1, 3))
    with pytest.raises(ChallengeNotFound):
        await store.leaderboard(OTHER_GUILD, challenge)
    with pytest.raises(ChallengeNotFound):
        await store.set_phase(OTHER_GUILD, challenge, "cancelled")
    await store.vote(GUILD, challenge, entries[1], 7)
    assert [(s.author_id, s.votes) for s in await store.leaderboard(GUILD, challenge)] == [(2, 1), (1, 0)]


async def test_leaderboard_breaks_ties_by_earlier_submission(store: ChallengeStore, clock: Clock) -> None:
    challenge = await new_challenge(store)
    for author in (3, 1, 2):  # submitted in this order, an hour apart
        await store.submit_entry(GUILD, challenge, author, f"By {author}", "midi", payload=b"MThd")
        clock.now += timedelta(hours=1)
    await store.set_phase(GUILD, challenge, "voting")
    entry_of = {s.author_id: s.entry_id for s in await store.leaderboard(GUILD, challenge)}
    for voter in (10, 11):
        await store.vote(GUILD, challenge, entry_of[2], voter)
        await store.vote(GUILD, challenge, entry_of[1], voter)
    await store.vote(GUILD, challenge, entry_of[3], 10)
    assert [(s.author_id, s.votes) for s in await store.leaderboard(GUILD, challenge)] == [
        (1, 2),
        (2, 2),
        (3, 1),
    ]


async def test_2000_concurrent_votes_give_exact_counts(
    conn: aiosqlite.Connection, store: ChallengeStore
) -> None:
    challenge, entries = await voting_challenge(store, range(1, 21))
    picks = {voter: random.Random(voter).sample(entries, 10) for voter in range(1000, 1200)}
    ballots = [(voter, entry) for voter, chosen in picks.items() for entry in chosen]
    random.Random(0).shuffle(ballots)
    await asyncio.gather(
        *(store.vote(GUILD, challenge, entry, voter, max_votes=10) for voter, entry in ballots)
    )

    expected = Counter(entry for _, entry in ballots)
    board = await store.leaderboard(GUILD, challenge)
    assert {s.entry_id: s.votes for s in board} == expected
    assert sum(s.votes for s in board) == 2000
    assert await vote_rows(conn) == sorted((entry, voter) for voter, entry in ballots)


async def test_concurrent_votes_over_the_cap_are_refused_exactly(store: ChallengeStore) -> None:
    challenge, entries = await voting_challenge(store, range(1, 21))
    attempts = [
        store.vote(GUILD, challenge, entry, voter) for voter in range(1000, 1100) for entry in entries[:6]
    ]
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, VoteRefused) and o.reason is VoteRefusal.OVER_CAP for o in refused)
    assert len(refused) == 100 * 3
    assert sum(s.votes for s in await store.leaderboard(GUILD, challenge)) == 100 * 3
