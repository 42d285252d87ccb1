"""The per-server voice queue: order, one connection, skip, stop, idle leave and
refusals that change nothing. Tracks are real clips' Opus packets played by discord.py's own player
thread into a stand-in connection (tests/bot/voice_helpers.py). The Discord tests check the production idle
time (2 minutes) on simcord's virtual clock."""

from __future__ import annotations

import asyncio
import dataclasses

import discord
import pytest

from bot.audio.clips import make_clip
from bot.audio.opus_source import OpusPackets, twenty_ms_packets
from bot.audio.render import Renderer
from bot.discord.voice_audio import StoredOpus
from bot.services.voice_queue import AlreadyPlaying, NothingPlaying, QueueFull, Track, VoiceQueues
from model.compose import Composer
from model.errors import InputError
from tests.bot.discord_helpers import until
from tests.bot.voice_helpers import StandInConnect, StandInLink

GUILD, LOUNGE, STUDIO = 1, 10, 20
SHORT, LONG = 10, 2000  # packets: 0.2 s, and more than any test waits for
IDLE = 0.3  # seconds


@pytest.fixture(scope="module")
def clip_packets(renderer: Renderer, composer: Composer) -> OpusPackets:
    return twenty_ms_packets(make_clip(composer.compose(bars=2, tempo=150, seed=9), renderer).audio)


def track(packets: OpusPackets, title: str, count: int = SHORT) -> Track[discord.AudioSource]:
    """The clip's first ``count`` packets (repeated when it has fewer) as a track."""
    repeated = packets.packets * (1 + count // len(packets.packets))

    async def opened() -> discord.AudioSource:
        return StoredOpus(dataclasses.replace(packets, packets=repeated[:count]))

    return Track(title, 7, opened)


def playing(queues: VoiceQueues[discord.AudioSource]) -> str | None:
    view = queues.view(GUILD)
    return view.playing.title if view is not None and view.playing is not None else None


def waiting(queues: VoiceQueues[discord.AudioSource]) -> list[str]:
    view = queues.view(GUILD)
    return [track.title for track in view.waiting] if view is not None else []


async def test_tracks_play_in_order_on_one_connection_then_it_leaves_after_the_idle_time(
    clip_packets: OpusPackets,
) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues(idle_seconds=IDLE)
    assert await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "a")], lambda: connect.to(LOUNGE)) == 0
    assert await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "b")], lambda: connect.to(LOUNGE)) == 1
    [link] = connect.links

    await until(lambda: len(link.sent) == 2 * SHORT and playing(queues) is None)

    assert link.sent == list(clip_packets.packets[:SHORT]) * 2 and link.plays == 2
    assert queues.channel_of(GUILD) == LOUNGE
    await until(lambda: not link.connected)
    assert link.disconnected_at is not None and link.disconnected_at - link.sent_at[-1] >= IDLE
    assert queues.view(GUILD) is None and queues.channel_of(GUILD) is None


async def test_it_never_leaves_while_playing(clip_packets: OpusPackets) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues(idle_seconds=IDLE / 10)
    await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "long", LONG)], lambda: connect.to(LOUNGE))
    await asyncio.sleep(IDLE)
    assert connect.links[0].connected and playing(queues) == "long"
    await queues.close()
    assert not connect.links[0].connected


async def test_another_channel_in_the_server_is_refused_and_nothing_changes(
    clip_packets: OpusPackets,
) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues()
    await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "a", LONG)], lambda: connect.to(LOUNGE))
    before = queues.view(GUILD)

    with pytest.raises(AlreadyPlaying, match=f"already playing in <#{LOUNGE}>"):
        await queues.enqueue(GUILD, STUDIO, [track(clip_packets, "b")], lambda: connect.to(STUDIO))

    assert queues.view(GUILD) == before and len(connect.links) == 1
    # another server is another connection
    await queues.enqueue(GUILD + 1, STUDIO, [track(clip_packets, "c", LONG)], lambda: connect.to(STUDIO))
    assert [link.channel_id for link in connect.links] == [LOUNGE, STUDIO]
    await queues.close()


async def test_skip_goes_on_with_the_next_and_stop_empties_and_leaves(clip_packets: OpusPackets) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues()
    tracks = [track(clip_packets, name, LONG) for name in ("a", "b", "c")]
    await queues.enqueue(GUILD, LOUNGE, tracks, lambda: connect.to(LOUNGE))
    [link] = connect.links
    await until(lambda: len(link.sent) >= 3)

    assert queues.skip(GUILD).title == "a"
    await until(lambda: link.plays == 2)
    assert playing(queues) == "b" and waiting(queues) == ["c"]
    left = await queues.stop(GUILD)

    assert left == LOUNGE and not link.connected and queues.view(GUILD) is None
    with pytest.raises(NothingPlaying):
        await queues.stop(GUILD)
    with pytest.raises(NothingPlaying):
        queues.skip(GUILD)


async def test_a_failed_connection_leaves_nothing_behind(clip_packets: OpusPackets) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues()

    async def refused() -> StandInLink:
        raise InputError("no voice servers")

    with pytest.raises(InputError, match="no voice servers"):
        await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "a")], refused)
    assert queues.view(GUILD) is None
    assert await queues.enqueue(GUILD, STUDIO, [track(clip_packets, "a")], lambda: connect.to(STUDIO)) == 0
    await queues.close()


async def test_a_track_that_cannot_open_is_passed_over(clip_packets: OpusPackets) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues()

    async def broken() -> discord.AudioSource:
        raise InputError("entry #3 has no audio to play")

    tracks = [Track("broken", 7, broken), track(clip_packets, "fine")]
    await queues.enqueue(GUILD, LOUNGE, tracks, lambda: connect.to(LOUNGE))
    [link] = connect.links
    await until(lambda: len(link.sent) == SHORT and playing(queues) is None)
    assert link.plays == 1
    await queues.close()


async def test_a_full_queue_is_refused_whole(clip_packets: OpusPackets) -> None:
    connect = StandInConnect()
    queues: VoiceQueues[discord.AudioSource] = VoiceQueues(max_queue=3)
    await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "a", LONG)], lambda: connect.to(LOUNGE))
    await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "b")] * 2, lambda: connect.to(LOUNGE))

    with pytest.raises(QueueFull, match="room for 1 more"):
        await queues.enqueue(GUILD, LOUNGE, [track(clip_packets, "c")] * 2, lambda: connect.to(LOUNGE))
    assert waiting(queues) == ["b", "b"]
    await queues.close()
