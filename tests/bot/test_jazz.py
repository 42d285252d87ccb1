"""JazzService on real services: the shipped composer, FluidSynth and ffmpeg, and a real SQLite file. The
tests of job states and of what a restart finds run on the real PostgreSQL server too (tests/bot/conftest.py);
the others are ``sqlite_only``: their subject is the same on both, and tests/bot/store runs the queries
on both.

"Restart" means what it means in production: the services are closed and new ones are opened on the
same database, so everything a button needs must have come from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest

from bot.core.requests import JazzRequest
from bot.services.jazz import Remake, Requester, TooLong
from bot.services.jobs import Cooldown
from bot.services.settings import Settings
from bot.services.startup import Services, StartupError, open_services
from bot.store.clips import ClipNotFound
from bot.store.database import DatabaseTarget
from bot.store.jobs import INTERRUPTED
from tests.bot.store.helpers import sqlite_only
from tests.extend_helpers import notes_before, replayed_ticks

GUILD, OTHER_GUILD, CHANNEL = 111, 222, 333
ALICE = Requester(1, "alice", GUILD, CHANNEL)
BOB = Requester(2, "bob", GUILD, CHANNEL)
STRANGER = Requester(3, "carol", OTHER_GUILD, 444)


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    base = Settings(database=tmp_path / "db" / "jazzbot.db", workers=2, cooldown_seconds=0.0, max_bars=12)
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def services(tmp_path: Path, target: DatabaseTarget) -> AsyncIterator[Services]:
    opened = await open_services(settings_for(tmp_path, database=target))
    yield opened
    await opened.close()


async def restart(services: Services) -> Services:
    await services.close()
    return await open_services(services.settings)


async def test_clips_are_recorded_and_buttons_work_after_a_restart(services: Services) -> None:
    request = JazzRequest(bars=4, key="Bb", style="ballad", tempo=90, temperature=0.9)
    stored, clip = await services.jazz.compose(ALICE, request)
    assert stored.request == replace(request, seed=clip.piece.seed)
    assert (stored.guild_id, stored.channel_id, stored.user_id) == (GUILD, CHANNEL, ALICE.user_id)
    assert stored.midi == clip.midi and stored.audio == clip.audio and stored.chart == clip.chart
    await services.jazz.posted(stored.id, 987654321)

    services = await restart(services)
    try:
        again = await services.clips.get(stored.id, GUILD, ALICE.user_id)
        assert again.message_id == 987654321 and again.request == stored.request

        regenerated, regen_clip = await services.jazz.remake("regenerate", BOB, stored.id)
        assert regenerated.user_id == BOB.user_id and regenerated.parent_id == stored.id
        assert replace(regenerated.request, seed=None) == request
        assert regen_clip.piece.seed != clip.piece.seed

        extended, longer = await services.jazz.remake("extend", BOB, stored.id)
        assert extended.request.bars == 12 and extended.request.seed == clip.piece.seed
        kept = replayed_ticks(clip.piece, longer.piece)  # the 4-bar clip's ending cadence differs
        assert notes_before(longer.piece, kept) == notes_before(clip.piece, kept)
        assert [c for c in longer.piece.chords if c.start < kept] == [
            c for c in clip.piece.chords if c.start < kept
        ]

        varied, variation = await services.jazz.remake("vary", ALICE, stored.id)
        assert variation.piece.seed != clip.piece.seed
        assert variation.piece.chords == clip.piece.chords
        assert variation.piece.melody != clip.piece.melody
        assert (variation.piece.key, variation.piece.tempo) == (clip.piece.key, clip.piece.tempo)
        assert varied.request.style == "ballad"
        assert [c.id for c in await services.clips.by_user(GUILD, ALICE.user_id)] == [varied.id, stored.id]
    finally:
        await services.close()


@sqlite_only
async def test_vary_keeps_the_chords_the_seed_picked(services: Services) -> None:
    stored, clip = await services.jazz.compose(ALICE, JazzRequest(bars=2, seed=99))
    assert stored.request.progression is None and stored.progression == clip.piece.progression
    _, variation = await services.jazz.remake("vary", ALICE, stored.id)
    assert variation.piece.progression == clip.piece.progression
    assert variation.piece.chords == clip.piece.chords


@sqlite_only
async def test_another_servers_clip_is_not_found(services: Services) -> None:
    stored, _ = await services.jazz.compose(ALICE, JazzRequest(bars=1, seed=5))
    for kind in get_args(Remake):
        with pytest.raises(ClipNotFound, match=f"no clip #{stored.id} in this server"):
            await services.jazz.remake(kind, STRANGER, stored.id)
    with pytest.raises(ClipNotFound):
        await services.clips.get(stored.id + 1, GUILD, ALICE.user_id)


@sqlite_only
async def test_extend_refuses_beyond_the_bar_limit(services: Services) -> None:
    stored, _ = await services.jazz.compose(ALICE, JazzRequest(bars=6, seed=5, tempo=240))
    with pytest.raises(TooLong, match="already 6 bars; clips can be up to 12 bars"):
        await services.jazz.remake("extend", ALICE, stored.id)


async def _job_rows(services: Services) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in await services.store_db.fetch_all("SELECT state, clip_id, interaction_token FROM jobs")
    ]


async def test_a_job_is_done_only_once_its_clip_is_posted(services: Services) -> None:
    stored, _ = await services.jazz.compose(
        ALICE, JazzRequest(bars=1, seed=5), interaction=(42, "secret-interaction-token")
    )
    assert await _job_rows(services) == [("rendered", stored.id, "secret-interaction-token")]
    await services.jazz.posted(stored.id, 1234)
    assert await _job_rows(services) == [("done", stored.id, None)]
    assert (await services.clips.get(stored.id, GUILD, ALICE.user_id)).message_id == 1234


async def test_a_clip_stored_but_not_posted_before_a_crash_is_found_at_restart(services: Services) -> None:
    posted, _ = await services.jazz.compose(ALICE, JazzRequest(bars=1, seed=5), interaction=(42, "token-p"))
    await services.jazz.posted(posted.id, 1)
    unposted, _ = await services.jazz.compose(BOB, JazzRequest(bars=1, seed=6), interaction=(42, "token-u"))

    services = await restart(services)
    try:
        assert await services.jobs.fail_interrupted() == []  # a stored clip is not lost
        [job] = await services.jobs.unposted()
        assert (job.user_id, job.clip_id, job.state, job.interaction_token) == (
            BOB.user_id,
            unposted.id,
            "rendered",
            "token-u",
        )
        await services.jazz.posted(unposted.id, 2)
        assert await services.jobs.unposted() == []
        assert [state for state, *_ in await _job_rows(services)] == ["done", "done"]
    finally:
        await services.close()


async def test_jobs_are_recorded_and_interrupted_ones_are_failed_at_restart(services: Services) -> None:
    stored, _ = await services.jazz.compose(
        ALICE, JazzRequest(bars=1, seed=5), interaction=(42, "secret-interaction-token")
    )
    await services.jazz.posted(stored.id, 1)
    assert await _job_rows(services) == [("done", stored.id, None)]

    # what a crash leaves: one job still queued (with follow-up credentials), one running
    queued = await services.jobs.add("compose", 1, GUILD, CHANNEL, JazzRequest(bars=2), (42, "token-a"))
    running = await services.jobs.add("extend", 2, GUILD, CHANNEL, JazzRequest(bars=3))
    await services.jobs.started(running)

    services = await restart(services)
    try:
        interrupted = await services.jobs.fail_interrupted()
        assert [(job.id, job.user_id, job.state) for job in interrupted] == [
            (queued, 1, "failed"),
            (running, 2, "failed"),
        ]
        assert (interrupted[0].application_id, interrupted[0].interaction_token) == (42, "token-a")
        assert interrupted[0].request == JazzRequest(bars=2)
        assert "token-a" not in repr(interrupted[0])
        assert await services.jobs.fail_interrupted() == []
        row = await services.jobs.get(queued)
        assert (row.state, row.error, row.interaction_token) == ("failed", INTERRUPTED, None)
    finally:
        await services.close()


@sqlite_only
async def test_concurrent_requests_all_arrive(services: Services) -> None:
    users = [Requester(10 + n, f"user{n}", GUILD, CHANNEL) for n in range(4)]
    made = await asyncio.gather(
        *(services.jazz.compose(u, JazzRequest(bars=1, seed=n)) for n, u in enumerate(users))
    )
    assert sorted(clip.piece.seed for _, clip in made) == [0, 1, 2, 3]
    assert len({stored.id for stored, _ in made}) == 4


async def test_a_missing_soundfont_stops_the_start_naming_the_package(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="fluid-soundfont-gm"):
        await open_services(settings_for(tmp_path, soundfont=tmp_path / "missing.sf2"))


async def test_a_refused_request_says_when_to_retry_and_records_no_job(tmp_path: Path) -> None:
    services = await open_services(settings_for(tmp_path, cooldown_seconds=3600.0))
    try:
        await services.jazz.compose(ALICE, JazzRequest(bars=1, seed=1))
        with pytest.raises(Cooldown, match=r"Slow down: you can ask again in \d+ s"):
            await services.jazz.compose(ALICE, JazzRequest(bars=1, seed=2))
        await services.jazz.compose(BOB, JazzRequest(bars=1, seed=3))
        rows = await services.store_db.fetch_all("SELECT user_id, state FROM jobs ORDER BY id")
        assert [tuple(row) for row in rows] == [(1, "rendered"), (2, "rendered")]
    finally:
        await services.close()
