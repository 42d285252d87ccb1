"""``/privacy``: a member's data counted and erased on both backends (a real SQLite file and the real
PostgreSQL server, tests/bot/conftest.py), and the Discord flow on simcord."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.core.requests import JazzRequest
from bot.discord.challenges import ChallengeCog
from bot.discord.privacy import CONFIRM_SECONDS
from bot.services.challenge_text import TextStyle, history_text
from bot.services.challenges import ChallengeService, Results
from bot.services.privacy import member_name
from bot.services.settings import Settings
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import DatabaseTarget
from bot.store.guild_settings import GuildSettingsStore, StoredGuildSettings
from bot.store.jobs import JobStore
from bot.store.privacy import ErasureRefused, PrivacyStore
from bot.store.sql import Database
from model.errors import InputError
from tests.bot.challenge_helpers import CHANNEL, GUILD, MOD, Clock, add_clip, tiny_midi
from tests.bot.discord_helpers import QUICK_BARS

ALICE, BOB, CAROL, DAVE = 424_242_424, 2, 3, 4
DAY = 86400.0
STYLE = TextStyle(member=lambda user_id: member_name(user_id, lambda known: f"@{known}"), moment=str)


@pytest.fixture
def bot_database(target: DatabaseTarget) -> DatabaseTarget:
    """The simcord bots run on both backends (tests/bot/conftest.py)."""
    return target


class World:
    """Two challenges in one server (one ended, one in its voting phase) with alice everywhere in them."""

    def __init__(self, conn: Database, clock: Clock) -> None:
        self.conn = conn
        self.service = ChallengeService(
            ChallengeStore(conn, clock), ClipStore(conn, clock), Settings(), clock
        )
        self.jobs = JobStore(conn, clock)
        self.privacy = PrivacyStore(conn, clock)
        self.clock = clock

    async def build(self) -> None:
        service, clock = self.service, self.clock
        for clip_id, user, guild in ((1, ALICE, GUILD), (2, BOB, GUILD), (3, ALICE, None), (4, BOB, GUILD)):
            await add_clip(self.conn, clip_id, user, guild)
        await self.conn.execute("UPDATE clips SET parent_id = 1 WHERE id = 4")  # bob varied alice's clip
        for user, clip in ((ALICE, 1), (BOB, 2)):
            job = await self.jobs.add("compose", user, GUILD, CHANNEL, JazzRequest(bars=4))
            await self.jobs.rendered(job, clip)
            await self.jobs.posted(clip)
        await GuildSettingsStore(self.conn).put(StoredGuildSettings(GUILD, max_bars=8), updated_by=ALICE)

        ended = await self.start(MOD)
        await service.submit_file(GUILD, ALICE, "alice.mid", tiny_midi(), note="my first")
        await service.submit_link(GUILD, BOB, "https://example.com/bob", "Bop")
        await service.submit_link(GUILD, CAROL, "https://example.com/carol", "Carol's")
        clock.advance(days=3)
        for voter, entry in ((ALICE, 2), (ALICE, 3), (CAROL, 1), (BOB, 1), (DAVE, 3)):
            await service.vote(GUILD, voter, entry)
        await service.close(GUILD, is_moderator=True)
        self.ended = ended

        self.running = await self.start(ALICE)  # alice moderates this one
        off_topic = await service.submit_link(GUILD, ALICE, "https://example.com/off-topic")
        await service.remove_entry(GUILD, MOD, off_topic.id, is_moderator=True, reason="off topic")
        # SQLite gives the next entry the removed one's id, PostgreSQL a new one: the tests use these
        self.alice_entry = (await service.submit_clip(GUILD, ALICE, 1)).id
        self.bob_entry = (await service.submit_link(GUILD, BOB, "https://example.com/bob2", "Bop 2")).id
        clock.advance(days=3)
        for voter, entry in ((ALICE, self.bob_entry), (BOB, self.alice_entry), (CAROL, self.alice_entry)):
            await service.vote(GUILD, voter, entry)
        await service.vote(GUILD, CAROL, self.bob_entry)

    async def start(self, moderator: int) -> Any:
        return await self.service.start(
            GUILD,
            CHANNEL,
            moderator,
            is_moderator=True,
            title="Blues",
            prompt="p",
            submit_by="3d",
            vote_by="2d",
        )

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.conn.fetch_all(sql)]

    async def columns(self) -> list[tuple[str, str]]:
        """Every ``(table, column)`` of the schema, from the backend's own catalogue."""
        if self.conn.dialect == "sqlite":
            sql = (
                "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c"
                " WHERE m.type = 'table'"
            )
        else:
            sql = (
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
            )
        return [(str(table), str(column)) for table, column in await self.rows(sql)]

    async def results(self) -> Results:
        return await self.service.results(await self.service.challenge(GUILD, self.ended.id))


@pytest.fixture
async def world(conn: Database, clock: Clock) -> World:
    made = World(conn, clock)
    await made.build()
    return made


async def test_the_report_counts_everything_stored_about_a_member(world: World) -> None:
    data = await world.privacy.report(ALICE)
    assert (data.clips, data.jobs) == (2, 1)
    assert (data.entries_running, data.entries_ended, data.votes_running, data.votes_ended) == (1, 1, 1, 2)
    assert (data.removal_notices, data.moderation_records) == (1, 2)  # started a challenge, set a setting
    assert [clip.id for clip in data.recent_clips] == [3, 1]
    assert [(entry.id, entry.running) for entry in data.recent_entries] == [
        (world.alice_entry, True),
        (1, False),
    ]
    assert (await world.privacy.report(999)).empty


async def test_erasing_leaves_nothing_of_the_member_and_everyone_elses_data_intact(world: World) -> None:
    before = await world.results()
    others_before = await world.rows(
        "SELECT id, user_id FROM clips WHERE user_id <> 424242424 UNION ALL"
        " SELECT id, user_id FROM jobs WHERE user_id <> 424242424 ORDER BY 2, 1"
    )

    erased = await world.privacy.erase(ALICE)

    assert (erased.clips, erased.jobs, erased.entries_deleted, erased.entries_anonymised) == (2, 1, 1, 1)
    assert (erased.votes_deleted, erased.votes_retired, erased.removal_notices) == (1, 2, 1)
    columns = await world.columns()
    assert ("votes", "voter_id") in columns and ("leases", "owner") in columns
    for table, column in columns:
        found = await world.rows(f"SELECT count(*) FROM {table} WHERE CAST({column} AS TEXT) = '{ALICE}'")
        assert found == [(0,)], f"{table}.{column} still holds alice"
    assert await world.rows(
        "SELECT author_id, note, length(payload), filename FROM entries WHERE id = 1"
    ) == [(-1, "", 0, None)]
    assert (await world.privacy.report(ALICE)).empty
    # Other members' clips and jobs are all there; bob's variation lost only its link to alice's clip.
    assert (
        await world.rows(
            "SELECT id, user_id FROM clips WHERE user_id <> 424242424 UNION ALL"
            " SELECT id, user_id FROM jobs WHERE user_id <> 424242424 ORDER BY 2, 1"
        )
        == others_before
    )
    assert await world.rows("SELECT parent_id FROM clips WHERE id = 4") == [(None,)]
    # Every count is consistent, and the ended challenge's results did not move.
    assert (
        await world.rows(
            "SELECT id FROM entries WHERE vote_count <>"
            " (SELECT count(*) FROM votes WHERE entry_id = entries.id) + retired_votes"
        )
        == []
    )
    after = await world.results()
    assert [(e.id, e.votes) for e in (after.winner, after.runner_up) if e] == [
        (e.id, e.votes) for e in (before.winner, before.runner_up) if e
    ]
    assert (after.entries, after.votes) == (before.entries, before.votes) == (3, 5)
    assert "won by a former member with “alice”" in history_text([after], STYLE)
    # The running challenge: alice's entry and every vote on it are gone; bob lost alice's vote.
    entries = await world.rows(
        f"SELECT id, author_id, vote_count FROM entries WHERE challenge_id = {world.running.id}"
    )
    assert entries == [(world.bob_entry, BOB, 1)]
    assert await world.rows("SELECT voter_id, entry_id FROM votes ORDER BY 1, 2") == [
        (BOB, 1),
        (CAROL, 1),
        (CAROL, world.bob_entry),
        (DAVE, 3),
    ]
    with pytest.raises(InputError, match="withdrawn by its author"):
        await world.service.entry_media(GUILD, 1)
    await world.service.vote(
        GUILD, ALICE, world.bob_entry
    )  # a member who left can come back: nothing blocks them


async def test_erasing_waits_for_clips_in_the_making_and_changes_nothing_meanwhile(world: World) -> None:
    job = await world.jobs.add("compose", ALICE, GUILD, CHANNEL, JazzRequest(bars=4))
    with pytest.raises(ErasureRefused, match="still being made"):
        await world.privacy.erase(ALICE)
    assert (await world.privacy.report(ALICE)).clips == 2
    await world.jobs.failed(job, "test")
    assert (await world.privacy.erase(ALICE)).clips == 2


async def test_privacy_on_discord_shows_then_deletes_after_confirmation(simcord_env: Any, scene: Any) -> None:
    channel, alice, bob = scene
    mine = (await alice.slash(channel, "jazz", bars=QUICK_BARS)).followups[0]
    await bob.slash(channel, "jazz", bars=QUICK_BARS)

    shown = await alice.slash(channel, "privacy")
    assert shown.ephemeral and "• 1 clip (audio, MIDI" in shown.response.content
    assert "results stay as announced" in shown.response.content
    kept = await alice.click(shown.response, label="Keep it")
    assert kept.response.content == "Nothing was deleted."
    assert (await simcord_env.bot.services.privacy.report(alice.id)).clips == 1
    unanswered = await alice.slash(channel, "privacy")
    await simcord_env.advance_time(CONFIRM_SECONDS + 1)
    closed = unanswered.response
    assert closed.content == "Nothing was deleted; run /privacy again to decide." and not closed.components

    shown = await alice.slash(channel, "privacy")
    deleted = await alice.click(shown.response, label="Delete my data")
    assert deleted.response.content == "🗑️ Deleted 1 clip, 1 clip job, 0 entries, 0 votes."
    again = await alice.slash(channel, "privacy")
    assert again.ephemeral and again.response.content.startswith("I store nothing about you")
    assert "• 1 clip" in (await bob.slash(channel, "privacy")).response.content
    gone = await alice.click(mine, label="Regenerate")
    assert "There is no clip #1 in this server" in gone.response.content
    total = await simcord_env.bot.services.store_db.fetch_returned("SELECT count(*) FROM clips")
    assert total[0] == 1


async def test_results_still_posted_when_the_winner_erased_their_data_before_the_post(
    simcord_env: Any, scene: Any
) -> None:
    """The bot was down at the voting deadline, and the winner erased their data before the results
    went out: the post names "a former member" and attaches nothing of theirs."""
    channel, alice, bob = scene
    bot = simcord_env.bot
    now = time.time()
    conn = bot.services.store_db
    await conn.execute(
        "INSERT INTO challenges (id, guild_id, channel_id, created_by, title, prompt, phase, created_at,"
        " submission_deadline, voting_deadline, voting_announced_at) VALUES (1, ?, ?, ?, 'Blues', 'p',"
        " 'voting', ?, ?, ?, ?)",
        (alice.guild.id, channel.id, bob.id, now - 5 * DAY, now - 2 * DAY, now - 3600, now - 2 * DAY),
    )
    await conn.execute(
        "INSERT INTO entries (id, guild_id, challenge_id, author_id, title, kind, payload, filename,"
        " submitted_at) VALUES (1, ?, 1, ?, 'alice tune', 'midi', ?, 'alice.mid', ?)",
        (alice.guild.id, alice.id, tiny_midi(), now - 4 * DAY),
    )
    await conn.execute(
        "INSERT INTO votes (guild_id, challenge_id, entry_id, entry_author_id, voter_id, cast_at)"
        " VALUES (?, 1, 1, ?, ?, ?)",
        (alice.guild.id, alice.id, bob.id, now - DAY),
    )

    assert (await bot.services.privacy.erase(alice.id)).votes_retired == 0
    cog = bot.get_cog(ChallengeCog.__cog_name__)
    assert isinstance(cog, ChallengeCog)
    await cog.scheduler.run_due()

    posted = channel.history(viewer=bob)[-1]
    assert "🥇 Winner: **alice tune** by a former member — 1 vote (entry #1)" in posted.content
    assert posted.attachments == [] and not cog.scheduler.failed
