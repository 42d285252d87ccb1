"""Challenge storage on both backends (a real SQLite file, a real PostgreSQL server): vote rules, guild
scoping, the schema's own constraints, concurrency and kills; and SQLite's file migrations."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.store.challenges import (
    ChallengeNotFound,
    ChallengeRefused,
    ChallengeStore,
    EntryNotFound,
    SubmissionRefused,
    VoteRefusal,
    VoteRefused,
)
from bot.store.database import DatabaseTarget, open_database
from bot.store.sql import Database, list_migrations
from bot.store.sqlite import MIGRATIONS_DIR, apply_migrations, schema_version
from model.errors import InputError
from tests.bot.challenge_helpers import CHANNEL, GUILD, MOD, OTHER_GUILD, START, SUBMIT_BY, VOTE_BY, Clock
from tests.bot.store.helpers import CHECK, FOREIGN_KEY, UNIQUE, ConstraintError


@pytest.fixture
def store(conn: Database, clock: Clock) -> ChallengeStore:
    return ChallengeStore(conn, clock)


async def new_challenge(store: ChallengeStore, guild_id: int = GUILD, max_votes: int = 3) -> int:
    challenge = await store.create_challenge(
        guild_id, CHANNEL, MOD, "Wizard of the week", "A clip in any genre", SUBMIT_BY, VOTE_BY,
        max_votes=max_votes,
    )  # fmt: skip
    return challenge.id


async def voting_challenge(
    store: ChallengeStore, clock: Clock, authors: range, max_votes: int = 3
) -> tuple[int, list[int]]:
    """A challenge in its voting phase with one MIDI entry per author; returns its id and the entry ids."""
    challenge = await new_challenge(store, max_votes=max_votes)
    entries = [
        (await store.submit_entry(GUILD, challenge, author, f"Tune {author}", "midi", payload=b"MThd")).id
        for author in authors
    ]
    clock.now = SUBMIT_BY  # the submission deadline moves it into voting
    return challenge, entries


async def vote_rows(conn: Database) -> list[tuple[int, int]]:
    return [
        (row[0], row[1]) for row in await conn.fetch_all("SELECT entry_id, voter_id FROM votes ORDER BY 1, 2")
    ]


async def tables(conn: aiosqlite.Connection) -> set[str]:
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def test_open_migrates_an_empty_file_and_reopens_idempotently(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    conn = await open_database(path)
    assert await conn.schema_version() == len(list_migrations(MIGRATIONS_DIR)) >= 3
    names = {row[0] for row in await conn.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"challenges", "entries", "votes", "removed_entries"} <= names
    assert (await conn.fetch_returned("PRAGMA journal_mode"))[0] == "wal"
    assert (await conn.fetch_returned("PRAGMA foreign_keys"))[0] == 1
    store = ChallengeStore(conn, Clock())
    challenge = await new_challenge(store)
    await conn.close()

    reopened = await open_database(path)
    assert await reopened.schema_version() == len(list_migrations(MIGRATIONS_DIR))
    assert (await ChallengeStore(reopened, Clock()).get_challenge(GUILD, challenge)).max_votes == 3
    await reopened.close()


async def test_a_version_1_file_with_data_upgrades_keeping_it(tmp_path: Path) -> None:
    only_v1 = tmp_path / "v1"
    only_v1.mkdir()
    shutil.copy(MIGRATIONS_DIR / "0001_challenges.sql", only_v1)
    path = tmp_path / "old.sqlite3"
    old = await aiosqlite.connect(path, isolation_level=None)
    assert await apply_migrations(old, only_v1) == 1
    now = START.timestamp()
    times = f"{now}, {now + 10}, {now + 20}"  # created, submission deadline, voting deadline
    await old.executescript(
        f"""
        INSERT INTO challenges VALUES (1, {GUILD}, 5, 9, 'Old one', 'p', 'voting', {times}),
                                      (2, {GUILD}, 5, 9, 'Newer', 'p', 'submissions', {times}),
                                      (3, {OTHER_GUILD}, 5, 9, 'Elsewhere', 'p', 'voting', {times});
        INSERT INTO entries (id, guild_id, challenge_id, author_id, title, kind, payload, submitted_at)
            VALUES (10, {GUILD}, 1, 1, 'A', 'midi', x'4d546864', {now}),
                   (11, {GUILD}, 1, 2, 'B', 'midi', x'4d546864', {now + 1});
        INSERT INTO votes VALUES ({GUILD}, 1, 10, 1, 2, {now}), ({GUILD}, 1, 11, 2, 1, {now}),
                                 ({GUILD}, 1, 11, 2, 3, {now});
        """
    )
    await old.close()

    conn = await open_database(path)
    assert await conn.schema_version() == len(list_migrations(MIGRATIONS_DIR))
    store = ChallengeStore(conn, Clock())
    assert [(s.entry_id, s.votes) for s in await store.leaderboard(GUILD, 1)] == [(11, 2), (10, 1)]
    assert [(c.id, c.stored_phase, c.max_votes) for c in await store.challenges(GUILD)] == [
        (2, "submissions", 3),
        (1, "closed", 3),  # two running challenges in one guild: v2 keeps only the newest running
    ]
    assert (await store.get_challenge(OTHER_GUILD, 3)).stored_phase == "voting"
    assert await conn.check() == []
    assert await conn.fetch_all("PRAGMA foreign_key_check") == []
    await conn.close()


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
    assert await tables(conn) == {"a", "b"}
    await conn.close()


async def test_schema_itself_refuses_self_votes_second_entries_and_second_running_challenges(
    conn: Database, store: ChallengeStore, clock: Clock
) -> None:
    challenge, (entry, _) = await voting_challenge(store, clock, range(1, 3))
    with pytest.raises(ConstraintError, match=CHECK):
        await conn.execute(
            "INSERT INTO votes VALUES (?, ?, ?, 1, 1, 0)", (GUILD, challenge, entry)
        )  # author 1 voting for own entry
    with pytest.raises(ConstraintError, match=FOREIGN_KEY):
        await conn.execute(
            "INSERT INTO votes VALUES (?, ?, ?, 5, 1, 0)", (GUILD, challenge, entry)
        )  # lying about the author to dodge the CHECK
    with pytest.raises(ConstraintError, match=UNIQUE):
        await conn.execute(
            "INSERT INTO entries (guild_id, challenge_id, author_id, title, kind, payload, submitted_at)"
            " VALUES (?, ?, 1, 'again', 'midi', ?, 0)",
            (GUILD, challenge, b"\x00"),
        )
    with pytest.raises(ConstraintError, match=UNIQUE):
        await conn.execute(
            "INSERT INTO challenges (guild_id, channel_id, created_by, title, prompt, created_at,"
            " submission_deadline, voting_deadline) VALUES (?, 1, 1, 't', 'p', 0, 1, 2)",
            (GUILD,),
        )
    with pytest.raises(ConstraintError, match=CHECK):
        await conn.execute("UPDATE challenges SET cancel_reason = 'x' WHERE id = ?", (challenge,))
    assert await vote_rows(conn) == []


async def test_the_schema_itself_holds_each_member_to_the_vote_cap(
    conn: Database, store: ChallengeStore, clock: Clock
) -> None:
    challenge, entries = await voting_challenge(store, clock, range(1, 5), max_votes=2)
    insert = "INSERT INTO votes VALUES (?, ?, ?, ?, 50, 0)"  # around the store: only the schema checks
    for author, entry in enumerate(entries[:2], 1):
        await conn.execute(insert, (GUILD, challenge, entry, author))
    with pytest.raises(ConstraintError, match=CHECK):
        await conn.execute(insert, (GUILD, challenge, entries[2], 3))
    await conn.execute("DELETE FROM votes WHERE entry_id = ? AND voter_id = 50", (entries[0],))
    await conn.execute(insert, (GUILD, challenge, entries[2], 3))  # a vote taken back is a vote free again
    assert (await store.vote(GUILD, entries[3], 60)).votes_left == 1  # another member's count is their own
    assert await vote_rows(conn) == sorted([(entries[1], 50), (entries[2], 50), (entries[3], 60)])


async def test_vote_rules_refuse_with_reason_and_change_nothing(
    conn: Database, store: ChallengeStore, clock: Clock
) -> None:
    _, entries = await voting_challenge(store, clock, range(1, 6))
    voter = 50
    assert [(await store.vote(GUILD, entry, voter)).votes_left for entry in entries[:3]] == [2, 1, 0]
    before = await vote_rows(conn)

    refusals = [
        (VoteRefusal.SELF_VOTE, store.vote(GUILD, entries[3], 4)),
        (VoteRefusal.DOUBLE_VOTE, store.vote(GUILD, entries[0], voter)),
        (VoteRefusal.OVER_CAP, store.vote(GUILD, entries[3], voter)),
        (VoteRefusal.NOT_FOUND, store.vote(OTHER_GUILD, entries[3], 60)),
        (VoteRefusal.NOT_FOUND, store.vote(GUILD, 9999, 60)),
        (VoteRefusal.NOT_VOTED, store.unvote(GUILD, entries[3], voter)),
        (VoteRefusal.NOT_FOUND, store.unvote(OTHER_GUILD, entries[0], voter)),
    ]
    for reason, attempt in refusals:
        with pytest.raises(VoteRefused) as refused:
            await attempt
        assert refused.value.reason is reason
        assert isinstance(refused.value, InputError) and str(refused.value) == reason.value
    assert await vote_rows(conn) == before

    assert (await store.unvote(GUILD, entries[0], voter)).votes_left == 1  # taking one back frees a vote
    assert (await store.vote(GUILD, entries[3], voter)).votes_left == 0

    clock.now = VOTE_BY  # voting deadline reached
    before = await vote_rows(conn)
    for attempt in (store.vote(GUILD, entries[4], 60), store.unvote(GUILD, entries[1], voter)):
        with pytest.raises(VoteRefused) as refused:
            await attempt
        assert refused.value.reason is VoteRefusal.OUTSIDE_WINDOW
    assert await vote_rows(conn) == before


async def test_no_votes_during_submissions_or_after_close(
    conn: Database, store: ChallengeStore, clock: Clock
) -> None:
    challenge = await new_challenge(store)
    entry = await store.submit_entry(GUILD, challenge, 1, "Early", "link", reference="https://example.com/a")
    with pytest.raises(VoteRefused, match="not open"):
        await store.vote(GUILD, entry.id, 2)
    clock.now = SUBMIT_BY
    closed = await store.end_challenge(GUILD, challenge, "closed")
    assert closed.phase == "closed" and closed.ended_at == clock()
    with pytest.raises(VoteRefused, match="not open"):
        await store.vote(GUILD, entry.id, 2)
    with pytest.raises(ChallengeRefused, match="already ended"):
        await store.end_challenge(GUILD, challenge, "cancelled", "too late")
    assert await vote_rows(conn) == []


async def test_resubmitting_replaces_the_entry_until_submissions_close(
    store: ChallengeStore, clock: Clock
) -> None:
    challenge = await new_challenge(store)
    first = await store.submit_entry(GUILD, challenge, 1, "Draft", "midi", payload=b"v1", filename="a.mid")
    clock.advance(hours=1)
    second = await store.submit_entry(GUILD, challenge, 1, "Final", "clip", reference="42")
    assert second.id == first.id
    assert [(e.title, e.kind, e.filename, e.submitted_at) for e in await store.entries(GUILD, challenge)] == [
        ("Final", "clip", None, clock())
    ]

    clock.now = SUBMIT_BY
    with pytest.raises(SubmissionRefused, match="closed"):
        await store.submit_entry(GUILD, challenge, 1, "Too late", "midi", payload=b"v3")
    with pytest.raises(ChallengeNotFound):
        await store.submit_entry(OTHER_GUILD, challenge, 2, "Wrong server", "midi", payload=b"x")
    assert [e.title for e in await store.entries(GUILD, challenge)] == ["Final"]


async def test_create_challenge_refuses_bad_deadlines_and_a_second_running_one(
    store: ChallengeStore, clock: Clock
) -> None:
    cases = [
        (START - timedelta(hours=1), START + timedelta(days=1), "future"),
        (START + timedelta(days=2), START + timedelta(days=1), "after the submission"),
        (datetime(2026, 12, 1), datetime(2026, 12, 2), "time zone"),
    ]
    for submit_by, vote_by, message in cases:
        with pytest.raises(InputError, match=message):
            await store.create_challenge(GUILD, CHANNEL, MOD, "t", "p", submit_by, vote_by)
    first = await new_challenge(store)
    with pytest.raises(ChallengeRefused, match="still running"):
        await new_challenge(store)
    assert await new_challenge(store, OTHER_GUILD)  # another server may run its own

    clock.now = VOTE_BY  # the first one's voting ended, though nobody has stored that yet
    second = await store.create_challenge(
        GUILD, CHANNEL, MOD, "Next", "p", VOTE_BY + timedelta(days=1), VOTE_BY + timedelta(days=2)
    )
    old = await store.get_challenge(GUILD, first)
    assert (old.stored_phase, old.results_posted_at) == ("closed", None)  # its results are still due
    assert (await store.running_challenge(GUILD)) == second


async def test_guilds_cannot_see_or_change_each_others_challenges(
    store: ChallengeStore, clock: Clock
) -> None:
    challenge, entries = await voting_challenge(store, clock, range(1, 3))
    for attempt in (
        store.leaderboard(OTHER_GUILD, challenge),
        store.get_challenge(OTHER_GUILD, challenge),
        store.end_challenge(OTHER_GUILD, challenge, "cancelled", "nope"),
    ):
        with pytest.raises(ChallengeNotFound):
            await attempt
    for entry_attempt in (
        store.get_entry(OTHER_GUILD, entries[0]),
        store.entry_payload(OTHER_GUILD, entries[0]),
        store.remove_entry(OTHER_GUILD, entries[0], MOD, "nope"),
    ):
        with pytest.raises(EntryNotFound):
            await entry_attempt
    assert await store.running_challenge(OTHER_GUILD) is None
    await store.vote(GUILD, entries[1], 7)
    assert [(s.author_id, s.votes) for s in await store.leaderboard(GUILD, challenge)] == [(2, 1), (1, 0)]


async def test_removing_an_entry_drops_its_votes_and_keeps_the_reason(
    conn: Database, store: ChallengeStore, clock: Clock
) -> None:
    challenge, entries = await voting_challenge(store, clock, range(1, 4))
    await store.vote(GUILD, entries[0], 50)
    await store.vote(GUILD, entries[1], 50)
    removed = await store.remove_entry(GUILD, entries[0], MOD, "Not your own work")
    assert (removed.author_id, removed.reason) == (1, "Not your own work")
    assert await vote_rows(conn) == [(entries[1], 50)]
    assert (await store.vote(GUILD, entries[2], 50)).votes_left == 1  # the removed vote was given back
    assert await store.removed_entries(GUILD, 1) == [removed]
    assert await store.removed_entries(OTHER_GUILD, 1) == []
    clock.now = VOTE_BY
    with pytest.raises(ChallengeRefused, match="final"):
        await store.remove_entry(GUILD, entries[1], MOD, "after the fact")
    assert [s.entry_id for s in await store.leaderboard(GUILD, challenge)] == [entries[1], entries[2]]


async def test_leaderboard_breaks_ties_by_earlier_submission(store: ChallengeStore, clock: Clock) -> None:
    challenge = await new_challenge(store)
    for author in (3, 1, 2):  # submitted in this order, an hour apart
        await store.submit_entry(GUILD, challenge, author, f"By {author}", "midi", payload=b"MThd")
        clock.advance(hours=1)
    clock.now = SUBMIT_BY
    entry_of = {s.author_id: s.entry_id for s in await store.leaderboard(GUILD, challenge)}
    for voter in (10, 11):
        await store.vote(GUILD, entry_of[2], voter)
        await store.vote(GUILD, entry_of[1], voter)
    await store.vote(GUILD, entry_of[3], 10)
    assert [(s.author_id, s.votes) for s in await store.leaderboard(GUILD, challenge)] == [
        (1, 2),
        (2, 2),
        (3, 1),
    ]


async def test_2000_concurrent_votes_give_exact_counts(
    conn: Database, store: ChallengeStore, clock: Clock
) -> None:
    challenge, entries = await voting_challenge(store, clock, range(1, 21), max_votes=10)
    picks = {voter: random.Random(voter).sample(entries, 10) for voter in range(1000, 1200)}
    ballots = [(voter, entry) for voter, chosen in picks.items() for entry in chosen]
    random.Random(0).shuffle(ballots)
    await asyncio.gather(*(store.vote(GUILD, entry, voter) for voter, entry in ballots))

    expected = Counter(entry for _, entry in ballots)
    board = await store.leaderboard(GUILD, challenge)
    assert {s.entry_id: s.votes for s in board} == expected
    assert sum(s.votes for s in board) == 2000
    assert await vote_rows(conn) == sorted((entry, voter) for voter, entry in ballots)


async def test_concurrent_votes_over_the_cap_are_refused_exactly(store: ChallengeStore, clock: Clock) -> None:
    challenge, entries = await voting_challenge(store, clock, range(1, 21))
    attempts = [store.vote(GUILD, entry, voter) for voter in range(1000, 1100) for entry in entries[:6]]
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, VoteRefused) and o.reason is VoteRefusal.OVER_CAP for o in refused)
    assert len(refused) == 100 * 3
    assert sum(s.votes for s in await store.leaderboard(GUILD, challenge)) == 100 * 3


_VOTE_STORM = """
import asyncio, random, sys
from bot.store.challenges import ChallengeStore
from bot.store.database import database_target, open_database

async def main() -> None:
    conn = await open_database(database_target(sys.argv[1]))
    store = ChallengeStore(conn)
    guild, entries = int(sys.argv[2]), [int(e) for e in sys.argv[3].split(",")]

    async def voter(voter_id: int) -> None:
        for entry in random.Random(voter_id).sample(entries, 10):
            await store.vote(guild, entry, voter_id)
            print(entry, voter_id, flush=True)  # acknowledged: the vote's transaction has committed

    await asyncio.gather(*(voter(v) for v in range(1000, 1500)))

asyncio.run(main())
"""


async def test_sigkill_in_a_vote_storm_keeps_every_acknowledged_vote(target: DatabaseTarget) -> None:
    clock = Clock()
    clock.at(time.time() - 7200)  # set up in the past, so the storm (on the real clock) is in voting
    conn = await open_database(target)
    store = ChallengeStore(conn, clock)
    real_now = datetime.now(UTC)
    challenge = await store.create_challenge(
        GUILD, CHANNEL, MOD, "Storm", "p", real_now - timedelta(hours=1), real_now + timedelta(days=1),
        max_votes=10,
    )  # fmt: skip
    entries = [
        (await store.submit_entry(GUILD, challenge.id, a, f"T{a}", "midi", payload=b"MThd")).id
        for a in range(1, 21)
    ]
    await conn.close()

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _VOTE_STORM, getattr(target, "url", str(target)), str(GUILD),
        ",".join(map(str, entries)),
        stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    assert child.stdout is not None
    acknowledged: set[tuple[int, int]] = set()
    while len(acknowledged) < 1000:
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert line, "the vote storm ended before it was killed"
        entry, voter = map(int, line.split())
        acknowledged.add((entry, voter))
    child.send_signal(signal.SIGKILL)
    # Acknowledged before the kill, read after it; a last line the kill cut short (no newline) is left out.
    for line in (await child.stdout.read()).splitlines(keepends=True):
        if not line.endswith(b"\n"):
            continue
        entry, voter = map(int, line.split())
        acknowledged.add((entry, voter))
    assert await child.wait() == -signal.SIGKILL

    check = await open_database(target)
    try:
        assert await check.check() == []
        stored = {(row[0], row[1]) for row in await check.fetch_all("SELECT entry_id, voter_id FROM votes")}
        counted = await check.fetch_returned(
            "SELECT count(*) FROM entries e"
            " WHERE vote_count <> (SELECT count(*) FROM votes WHERE entry_id = e.id)"
        )
    finally:
        await check.close()
    assert acknowledged <= stored
    assert len(stored) < 5000  # the kill did land mid-storm
    assert counted[0] == 0  # the per-entry counters match the votes exactly
