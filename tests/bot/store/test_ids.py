"""Ids are never reused: old Discord buttons carry entry, clip and challenge ids, so a row deleted at the
top (a moderator's removal, /privacy, retention) must not hand its id to the next row. On both backends,
and through SQLite's migration 0008, which rebuilds a schema-7 file's tables without losing a row or a vote.
Real SQLite files, the real PostgreSQL server, a real clip."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.services.settings import Settings
from bot.services.studio import Studio
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import open_database
from bot.store.jobs import JobStore
from bot.store.privacy import PrivacyStore
from bot.store.sql import Database, list_migrations
from bot.store.sqlite import MIGRATIONS_DIR, MigrationError, apply_migrations, open_sqlite, schema_version
from model.compose import Composer
from tests.bot.challenge_helpers import CHANNEL, GUILD, MOD, OTHER_GUILD, SUBMIT_BY, VOTE_BY, Clock, tiny_midi

MIGRATIONS = list_migrations(MIGRATIONS_DIR)
REBUILT = ("challenges", "entries", "removed_entries", "clips", "jobs")
"""The tables 0008 gives AUTOINCREMENT: every table with a rowid id."""
DATA_TABLES = (*REBUILT, "votes", "ballots", "guild_settings")


@pytest.fixture(scope="module")
def clip() -> Iterator[Clip]:
    """A short real clip: the ids are under test, not the music."""
    studio = Studio(Composer.load(), Settings())
    yield studio.make(JazzRequest(bars=4, seed=8))
    studio.close()


async def add_clip(store: ClipStore, clip: Clip, user_id: int, parent_id: int | None = None) -> int:
    stored = await store.add(
        user_id=user_id,
        guild_id=GUILD,
        channel_id=CHANNEL,
        request=JazzRequest(),
        clip=clip,
        parent_id=parent_id,
    )
    return stored.id


async def test_deleting_the_newest_row_never_hands_its_id_to_the_next(
    conn: Database, clock: Clock, clip: Clip
) -> None:
    challenges = ChallengeStore(conn, clock=clock)
    challenge = await challenges.create_challenge(GUILD, CHANNEL, MOD, "Blues", "", SUBMIT_BY, VOTE_BY)
    first = await challenges.submit_entry(GUILD, challenge.id, 1, "one", "midi", payload=tiny_midi())
    newest = await challenges.submit_entry(GUILD, challenge.id, 2, "two", "midi", payload=tiny_midi())
    await challenges.remove_entry(GUILD, newest.id, MOD, "off topic")  # a moderator removes the newest
    later = await challenges.submit_entry(GUILD, challenge.id, 3, "three", "midi", payload=tiny_midi())
    assert later.id > newest.id > first.id

    clips, jobs = ClipStore(conn, clock=clock), JobStore(conn, clock=clock)
    kept_clip = await add_clip(clips, clip, user_id=1)
    kept_job = await jobs.add("compose", 1, GUILD, CHANNEL, JazzRequest())
    erased_job = await jobs.add("compose", 4, GUILD, CHANNEL, JazzRequest())
    erased_clip = await add_clip(clips, clip, user_id=4)
    await jobs.started(erased_job)
    await jobs.rendered(erased_job, erased_clip)
    await jobs.posted(erased_clip)
    erased = await PrivacyStore(conn, clock=clock).erase(4)  # /privacy deletes the newest clip and job
    assert (erased.clips, erased.jobs) == (1, 1)
    assert await add_clip(clips, clip, user_id=1) > erased_clip > kept_clip
    assert await jobs.add("compose", 1, GUILD, CHANNEL, JazzRequest()) > erased_job > kept_job

    other = await challenges.create_challenge(OTHER_GUILD, CHANNEL, MOD, "Ballads", "", SUBMIT_BY, VOTE_BY)
    await conn.execute("DELETE FROM challenges WHERE id = ?", (other.id,))  # nothing deletes one today
    again = await challenges.create_challenge(OTHER_GUILD, CHANNEL, MOD, "Ballads", "", SUBMIT_BY, VOTE_BY)
    assert again.id > other.id > challenge.id


def migrations_up_to(version: int, folder: Path) -> Path:
    folder.mkdir()
    for _, path in MIGRATIONS[:version]:
        shutil.copy(path, folder)
    return folder


async def fill_schema_7(db: Database, clock: Clock, clip: Clip) -> None:
    """Every kind of row a schema-7 bot wrote, through the stores: challenges in two guilds, entries,
    votes (and so ballots and vote counts), a removed entry, clips made from clips, jobs naming them."""
    challenges = ChallengeStore(db, clock=clock)
    ended = await challenges.create_challenge(OTHER_GUILD, CHANNEL, MOD, "Old", "", SUBMIT_BY, VOTE_BY)
    running = await challenges.create_challenge(
        GUILD, CHANNEL, MOD, "Blues", "x", SUBMIT_BY, VOTE_BY, max_votes=2
    )
    entries = {}
    for challenge in (ended, running):
        for author in (1, 2, 3, 4):
            entry = await challenges.submit_entry(
                challenge.guild_id, challenge.id, author, f"take {author}", "midi", payload=tiny_midi()
            )
            entries[challenge.guild_id, author] = entry.id
    await challenges.remove_entry(GUILD, entries[GUILD, 4], MOD, "off topic")
    clock.at(SUBMIT_BY.timestamp() + 60)
    for guild in (GUILD, OTHER_GUILD):
        for voter, author in ((1, 2), (2, 1), (3, 1), (5, 2), (5, 3)):
            await challenges.vote(guild, entries[guild, author], voter)
    await challenges.end_challenge(OTHER_GUILD, ended.id, "closed")
    clips, jobs = ClipStore(db, clock=clock), JobStore(db, clock=clock)
    parent = await add_clip(clips, clip, user_id=1)
    child = await add_clip(clips, clip, user_id=2, parent_id=parent)
    for user, made in ((1, parent), (2, child)):
        job = await jobs.add(
            "compose", user, GUILD, CHANNEL, JazzRequest(), interaction=(77, f"token-{user}")
        )
        await jobs.started(job)
        await jobs.rendered(job, made)
    await jobs.add("extend", 3, GUILD, CHANNEL, JazzRequest())
    await db.execute(
        "INSERT INTO guild_settings (guild_id, max_bars, updated_at) VALUES (?, 32, 1.0)", (GUILD,)
    )


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: [tuple(row) for row in await db.fetch_all(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")]
        for table in DATA_TABLES
    }


def normalised(sql: str) -> str:
    """A CREATE statement without comments, layout, quotes around names, or AUTOINCREMENT."""
    sql = re.sub(r"--[^\n]*", "", sql).replace('"', "").replace(" AUTOINCREMENT", "")
    sql = re.sub(r"\s+", " ", sql)
    return re.sub(r"\s*([(),])\s*", r"\1", sql).strip()


async def schema(db: Database) -> dict[str, str]:
    rows = await db.fetch_all(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'sqlite_sequence'"
    )
    return {row["name"]: normalised(row["sql"]) for row in rows}


async def test_migration_8_keeps_every_row_vote_key_and_index_of_a_schema_7_file(
    tmp_path: Path, clock: Clock, clip: Clip
) -> None:
    path = tmp_path / "jazzbot.db"
    older = await open_sqlite(path, migrations_up_to(7, tmp_path / "v7"))
    await fill_schema_7(older, clock, clip)
    before, schema_before = await snapshot(older), await schema(older)
    assert {table: len(rows) for table, rows in before.items()} == {
        "challenges": 2, "entries": 7, "removed_entries": 1, "clips": 2, "jobs": 3, "votes": 10,
        "ballots": 8, "guild_settings": 1,
    }  # fmt: skip
    await older.close()

    upgraded = await open_database(path)
    assert await upgraded.schema_version() == len(MIGRATIONS) >= 8
    assert await snapshot(upgraded) == before  # every row, every vote, every count, same ids
    # The same columns, constraints, indexes and triggers, plus the index 0005 lost (jobs_by_clip).
    assert await schema(upgraded) == schema_before | {
        "jobs_by_clip": "CREATE INDEX jobs_by_clip ON jobs(clip_id)"
    }
    assert await upgraded.fetch_all("PRAGMA foreign_key_check") == []
    assert [tuple(row) for row in await upgraded.fetch_all("PRAGMA foreign_keys")] == [(1,)]
    sequences = await upgraded.fetch_all("SELECT name, seq FROM sqlite_sequence ORDER BY name")
    assert {row["name"]: row["seq"] for row in sequences} == {
        table: max(row[0] for row in before[table]) for table in REBUILT
    }  # seeded with each table's largest id

    # The triggers and cascades still work on the rebuilt tables, and a deleted top id is not reused.
    challenges = ChallengeStore(upgraded, clock=clock)
    top = max(row[0] for row in before["entries"])
    assert (await challenges.get_entry(GUILD, top)).votes == 1
    assert (await challenges.unvote(GUILD, top, 5)).votes_left == 1
    assert (await challenges.get_entry(GUILD, top)).votes == 0
    assert (await challenges.vote(GUILD, top, 5)).votes_left == 0  # the ballot trigger reads challenges
    await challenges.remove_entry(GUILD, top, MOD, "duplicate")  # its vote goes with it
    assert await upgraded.fetch_all("SELECT * FROM votes WHERE entry_id = ?", (top,)) == []
    clock.at(SUBMIT_BY.timestamp() - 60)  # back in the submission phase
    running = before["challenges"][-1][0]
    assert (
        await challenges.submit_entry(GUILD, running, 9, "late", "midi", payload=tiny_midi())
    ).id == top + 1
    top_clip = max(row[0] for row in before["clips"])
    await JobStore(upgraded, clock=clock).posted(top_clip)  # a 'rendered' job must keep its clip
    await upgraded.execute("DELETE FROM clips WHERE id = ?", (top_clip,))  # its job keeps no clip id
    assert [tuple(row) for row in await upgraded.fetch_all("SELECT clip_id FROM jobs WHERE user_id = 2")] == [
        (None,)
    ]
    assert await add_clip(ClipStore(upgraded), clip, 1) == top_clip + 1
    await upgraded.close()


async def test_a_migration_that_breaks_a_foreign_key_is_rolled_back(tmp_path: Path) -> None:
    folder = migrations_up_to(7, tmp_path / "migrations")
    (folder / "0008_orphan.sql").write_text(
        "CREATE TABLE marker (x INTEGER);\n"
        "INSERT INTO challenges (id, guild_id, channel_id, created_by, title, prompt, created_at,"
        " submission_deadline, voting_deadline) VALUES (1, 5, 6, 7, 't', '', 1, 2, 3);\n"
        "INSERT INTO ballots (challenge_id, voter_id, used, cap) VALUES (99, 1, 0, 3);  -- no challenge 99\n"
    )
    path = tmp_path / "jazzbot.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA foreign_keys = ON")
    assert await apply_migrations(conn, migrations_up_to(7, tmp_path / "v7")) == 7
    with pytest.raises(MigrationError, match=r"0008_orphan\.sql breaks foreign keys.*ballots"):
        await apply_migrations(conn, folder)
    assert await schema_version(conn) == 7
    assert not conn.in_transaction
    async with conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'marker'") as cursor:
        assert await cursor.fetchone() == (0,)
    async with conn.execute("SELECT count(*) FROM challenges") as cursor:
        assert await cursor.fetchone() == (0,)
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        assert await cursor.fetchone() == (1,)  # restored after the failure
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await conn.execute("INSERT INTO ballots (challenge_id, voter_id, used, cap) VALUES (99, 1, 0, 3)")
    await conn.close()
