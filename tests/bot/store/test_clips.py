"""ClipStore on both backends with a real clip (composer, arranger, FluidSynth, ffmpeg)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.services.settings import Settings
from bot.services.studio import Studio
from bot.store.clips import ClipNotFound, ClipStore
from bot.store.sql import Database
from model.compose import Composer
from tests.bot.store.helpers import CHECK, ConstraintError


@pytest.fixture(scope="module")
def clip() -> Iterator[Clip]:
    studio = Studio(Composer.load(), Settings())
    yield studio.make(JazzRequest(bars=1, seed=21, tempo=200))
    studio.close()


async def test_a_clip_reads_back_as_recorded_with_its_seed_resolved(conn: Database, clip: Clip) -> None:
    store = ClipStore(conn, clock=lambda: 1234.5)
    added = await store.add(
        user_id=5, guild_id=7, channel_id=9, request=JazzRequest(bars=1, tempo=200), clip=clip
    )
    assert added.request == JazzRequest(bars=1, tempo=200, seed=21)
    assert (added.progression, added.chart, added.duration) == (
        clip.piece.progression,
        clip.chart,
        clip.duration,
    )
    assert (added.midi, added.audio, added.audio_format) == (clip.midi, clip.audio, clip.audio_format)
    assert (added.message_id, added.created_at, added.parent_id) == (None, 1234.5, None)
    await store.set_message(added.id, 4242)
    assert (await store.get(added.id, 7, 5)).message_id == 4242


async def test_clips_are_scoped_by_server(conn: Database, clip: Clip) -> None:
    store = ClipStore(conn)
    in_guild = await store.add(user_id=5, guild_id=7, channel_id=9, request=JazzRequest(), clip=clip)
    in_console = await store.add(user_id=5, guild_id=None, channel_id=None, request=JazzRequest(), clip=clip)
    assert (await store.get(in_console.id, None, 5)).id == in_console.id
    assert (await store.get(in_guild.id, 7, 6)).id == in_guild.id  # a server's clips are shared there
    for clip_id, guild, user in (
        (in_guild.id, 8, 5),
        (in_guild.id, None, 5),
        (in_console.id, 7, 5),
        (999, 7, 5),
    ):
        where = "here" if guild is None else "in this server"
        with pytest.raises(ClipNotFound, match=f"no clip #{clip_id} {where}"):
            await store.get(clip_id, guild, user)
    with pytest.raises(ClipNotFound):  # without a server (DMs, the console), a clip is its user's alone
        await store.get(in_console.id, None, 6)


async def test_by_user_lists_newest_first_within_the_server(conn: Database, clip: Clip) -> None:
    store = ClipStore(conn)
    ids = [
        (await store.add(user_id=5, guild_id=7, channel_id=9, request=JazzRequest(), clip=clip)).id
        for _ in range(3)
    ]
    await store.add(user_id=6, guild_id=7, channel_id=9, request=JazzRequest(), clip=clip)
    await store.add(user_id=5, guild_id=8, channel_id=9, request=JazzRequest(), clip=clip)
    assert [c.id for c in await store.by_user(7, 5)] == ids[::-1]
    assert [c.id for c in await store.by_user(7, 5, limit=2)] == ids[:0:-1]


async def test_audio_over_the_cap_is_not_kept_but_the_midi_is(conn: Database, clip: Clip) -> None:
    store = ClipStore(conn, max_audio_bytes=len(clip.audio) - 1)
    added = await store.add(user_id=5, guild_id=7, channel_id=9, request=JazzRequest(), clip=clip)
    assert added.audio == b"" and added.midi == clip.midi


async def test_the_schema_refuses_a_job_with_half_its_follow_up_credentials(
    conn: Database,
) -> None:
    with pytest.raises(ConstraintError, match=CHECK):
        await conn.execute(
            "INSERT INTO jobs (kind, user_id, request, application_id, created_at) "
            "VALUES ('compose', 1, '{}', 5, 0)"
        )
