"""Jobs, per-server settings, synced command trees and a member's erasure on both backends: the same
calls give the same rows, and the schema refuses what it must on each."""

from __future__ import annotations

import pytest

from bot.core.requests import JazzRequest
from bot.services.challenges import ChallengeService
from bot.services.settings import Settings
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.command_syncs import GLOBAL_SCOPE, CommandSyncStore
from bot.store.guild_settings import GuildSettingsStore, StoredGuildSettings
from bot.store.jobs import INTERRUPTED, JobStore
from bot.store.privacy import PrivacyStore
from bot.store.sql import Database
from tests.bot.challenge_helpers import CHANNEL, GUILD, MOD, Clock, add_clip
from tests.bot.store.helpers import CHECK, ConstraintError


async def test_a_job_goes_from_queued_to_done_and_a_restart_finds_the_unfinished(conn: Database) -> None:
    jobs = JobStore(conn, clock=lambda: 50.0)
    posted = await jobs.add("compose", 1, GUILD, CHANNEL, JazzRequest(bars=4), interaction=(77, "token-a"))
    unposted = await jobs.add("extend", 2, GUILD, CHANNEL, JazzRequest(bars=8), interaction=(77, "token-b"))
    running = await jobs.add("vary", 1, None, None, JazzRequest(), interaction=None)
    waiting = await jobs.add("compose", 3, GUILD, CHANNEL, JazzRequest())
    await add_clip(conn, 41, user_id=1, guild_id=GUILD)
    await add_clip(conn, 42, user_id=2, guild_id=GUILD)
    for job, clip in ((posted, 41), (unposted, 42)):
        await jobs.started(job)
        await jobs.rendered(job, clip)
    await jobs.started(running)
    await jobs.posted(41)

    done = await jobs.get(posted)
    assert (done.state, done.clip_id, done.finished_at, done.interaction_token) == ("done", 41, 50.0, None)
    assert [(job.id, job.interaction_token) for job in await jobs.unposted()] == [(unposted, "token-b")]
    assert await jobs.unposted(user_id=1) == []
    assert [job.id for job in await jobs.fail_interrupted(user_id=3)] == [waiting]
    assert [job.id for job in await jobs.fail_interrupted()] == [running]
    assert (await jobs.get(running)).error == INTERRUPTED
    assert (await jobs.count("failed"), await jobs.count("rendered")) == (2, 1)
    with pytest.raises(ConstraintError, match=CHECK):  # 'rendered' needs its clip
        await conn.execute("UPDATE jobs SET state = 'rendered', clip_id = NULL WHERE id = ?", (unposted,))


async def test_a_restart_fails_only_the_unfinished_jobs_of_the_servers_its_process_answers(
    conn: Database,
) -> None:
    jobs = JobStore(conn, clock=lambda: 50.0)
    mine = await jobs.add("compose", 1, GUILD, CHANNEL, JazzRequest(), interaction=(77, "token-a"))
    theirs = await jobs.add("compose", 2, GUILD + 1, CHANNEL, JazzRequest(), interaction=(77, "token-b"))
    direct = await jobs.add("compose", 3, None, None, JazzRequest())
    await jobs.started(theirs)

    failed = await jobs.fail_interrupted(owns=lambda guild_id: guild_id in (GUILD, None))

    assert [job.id for job in failed] == [mine, direct]
    assert (await jobs.get(theirs)).state == "running"  # another shard process is still making it
    assert (await jobs.get(theirs)).interaction_token == "token-b"
    assert [job.id for job in await jobs.fail_interrupted()] == [theirs]


async def test_settings_and_synced_trees_are_stored_per_guild_and_replaced(conn: Database) -> None:
    settings = GuildSettingsStore(conn)
    assert await settings.get(GUILD) == StoredGuildSettings(GUILD)
    chosen = StoredGuildSettings(GUILD, 55, "Judges", 8, "ballad", 99, private_listings=False)
    await settings.put(chosen, updated_by=MOD)
    await settings.put(StoredGuildSettings(GUILD + 1, max_bars=16), updated_by=MOD)
    assert await settings.get(GUILD) == chosen
    await settings.put(StoredGuildSettings(GUILD, private_listings=True), updated_by=MOD)
    assert await settings.get(GUILD) == StoredGuildSettings(GUILD, private_listings=True)
    assert (await settings.get(GUILD + 1)).max_bars == 16
    with pytest.raises(ConstraintError, match=CHECK):
        await settings.put(StoredGuildSettings(GUILD, max_bars=65), updated_by=MOD)

    syncs = CommandSyncStore(conn)
    assert await syncs.last_hash(1, GLOBAL_SCOPE) is None
    await syncs.record(1, GLOBAL_SCOPE, "a" * 64)
    await syncs.record(1, GLOBAL_SCOPE, "b" * 64)
    await syncs.record(1, GUILD, "c" * 64)
    assert (await syncs.last_hash(1, GLOBAL_SCOPE), await syncs.last_hash(1, GUILD)) == ("b" * 64, "c" * 64)


async def test_erasing_a_member_keeps_ended_results_and_every_count_consistent(
    conn: Database, clock: Clock
) -> None:
    """The erasure's dialect-specific step: an ended entry changes author while its votes still name the
    old one (a deferred foreign key on both backends)."""
    service = ChallengeService(ChallengeStore(conn, clock), ClipStore(conn, clock), Settings(), clock)
    alice, bob, carol = 424_242, 2, 3

    async def challenge(authors: tuple[int, ...], votes: tuple[tuple[int, int], ...], close: bool) -> None:
        await service.start(
            GUILD, CHANNEL, MOD, is_moderator=True, title="T", prompt="p", submit_by="3d", vote_by="2d"
        )
        entries = {a: (await service.submit_link(GUILD, a, f"https://e.example/{a}")).id for a in authors}
        clock.advance(days=3)
        for voter, author in votes:
            await service.vote(GUILD, voter, entries[author])
        if close:
            await service.close(GUILD, is_moderator=True)

    await challenge((alice, bob), ((bob, alice), (carol, alice), (alice, bob)), close=True)
    await challenge((alice, bob), ((carol, alice), (alice, bob)), close=False)
    erased = await PrivacyStore(conn, clock).erase(alice)

    assert (erased.entries_anonymised, erased.entries_deleted) == (1, 1)
    assert (erased.votes_retired, erased.votes_deleted) == (1, 1)
    rows = await conn.fetch_all(
        "SELECT author_id = -id, vote_count, retired_votes FROM entries WHERE author_id < 0"
        " UNION ALL SELECT author_id = -id, vote_count, retired_votes FROM entries WHERE author_id = ?"
        " ORDER BY 2",
        (alice,),
    )
    assert [tuple(row) for row in rows] == [(True, 2, 0)]  # the ended entry keeps its 2 votes, anonymised
    inconsistent = await conn.fetch_all(
        "SELECT id FROM entries WHERE vote_count <> (SELECT count(*) FROM votes WHERE entry_id = entries.id)"
        " + retired_votes"
    )
    assert inconsistent == []
    assert await conn.fetch_all("SELECT voter_id FROM votes WHERE voter_id = ?", (alice,)) == []
    assert (await PrivacyStore(conn, clock).report(alice)).empty
