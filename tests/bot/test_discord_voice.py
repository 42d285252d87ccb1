"""Voice on Discord, driven offline by simcord: the Play in voice button, /play, /queue, /skip, /stop and
/challenge party, with every refusal private and changing nothing. The connection is the cog's seam: a
stand-in link that plays the real sources on discord.py's own player thread (tests/bot/voice_helpers.py)."""

from __future__ import annotations

from typing import Any

import discord
import discord.voice_client
import discord.voice_state
import pytest

from bot.audio.opus_source import FRAME_SAMPLES, frame_samples, twenty_ms_packets
from bot.discord.app import JazzBot
from bot.services.voice_queue import IDLE_SECONDS
from tests.bot.discord_helpers import QUICK_BARS, button_labels, until
from tests.bot.voice_helpers import StandInConnect

CHECKED = 25  # packets compared with the clip's own


class Voice:
    """The scene plus two voice channels, a moderator and the bot's stand-in connection."""

    def __init__(self, simcord_env: Any, scene: Any) -> None:
        self.channel, self.alice, self.bob = scene
        self.guild = self.alice.guild
        self.lounge = self.guild.create_voice_channel("Lounge")
        self.studio = self.guild.create_voice_channel("Studio")
        staff = self.guild.create_role("Staff", permissions=discord.Permissions(manage_guild=True))
        self.mod = self.guild.add_member(simcord_env.create_user("mod"), roles=[staff])
        self.bot: JazzBot = simcord_env.bot
        self.connect = StandInConnect()
        self.bot.voice.connect = self.connect

    async def clip(self, member: Any, seed: int = 3) -> Any:
        return (await member.slash(self.channel, "jazz", bars=QUICK_BARS, seed=seed)).followups[0]

    async def clip_packets(self, clip_id: int) -> list[bytes]:
        stored = await self.bot.services.clips.get(clip_id, self.guild.id, self.alice.id)
        return list(twenty_ms_packets(stored.audio).packets)

    async def deny(self, channel: Any, **permissions: bool) -> None:
        """A channel overwrite taking ``permissions`` from the bot (set through discord.py's REST)."""
        voice_channel = self.bot.get_channel(channel.id)
        assert isinstance(voice_channel, discord.VoiceChannel)
        overwrite = discord.PermissionOverwrite(**permissions)
        await voice_channel.set_permissions(voice_channel.guild.me, overwrite=overwrite)


@pytest.fixture
def voice(simcord_env: Any, scene: Any) -> Voice:
    return Voice(simcord_env, scene)


def answer(result: Any) -> str:
    """The private answer: the response, or what the deferred response was edited to."""
    assert result.ephemeral
    return str(result.response.content)


def test_the_voice_dependencies_are_installed() -> None:
    # what discord.py checks before it logs "davey is not installed, voice will NOT be supported"
    assert discord.voice_state.has_dave and discord.voice_client.has_nacl


async def test_the_button_plays_the_clip_s_own_opus_in_the_member_s_channel(voice: Voice) -> None:
    clip = await voice.clip(voice.alice)
    assert "Play in voice" in button_labels(clip)
    await voice.alice.join_voice(voice.lounge)

    pressed = await voice.alice.click(clip, label="Play in voice")

    assert answer(pressed) == f"▶️ Playing clip #1 in <#{voice.lounge.id}>."
    [link] = voice.connect.links
    assert link.channel_id == voice.lounge.id
    await until(lambda: len(link.sent) >= CHECKED)
    assert link.sent[:CHECKED] == (await voice.clip_packets(1))[:CHECKED]
    listed = answer(await voice.bob.slash(voice.channel, "queue"))
    assert listed.startswith(f"🔊 In <#{voice.lounge.id}>\nPlaying: clip #1, asked by <@{voice.alice.id}>")


async def test_play_queues_behind_what_plays_and_skip_and_stop_need_a_listener(voice: Voice) -> None:
    await voice.clip(voice.alice)
    await voice.clip(voice.alice, seed=4)
    await voice.alice.join_voice(voice.lounge)
    await voice.alice.slash(voice.channel, "play", clip=1)

    queued = await voice.alice.slash(voice.channel, "play", clip=2)

    assert answer(queued).startswith(f"🎶 Queued clip #2 in <#{voice.lounge.id}>: 1 ahead of it")
    assert "1. clip #2" in answer(await voice.alice.slash(voice.channel, "queue"))
    refused = await voice.bob.slash(voice.channel, "skip")
    assert answer(refused) == f"Join <#{voice.lounge.id}> to skip: its listeners (and moderators) can."
    [link] = voice.connect.links
    assert answer(await voice.alice.slash(voice.channel, "skip")) == "⏭️ Skipped clip #1."
    await until(lambda: link.plays == 2)
    second = await voice.clip_packets(2)
    await until(lambda: second[0] in link.sent)
    start = link.sent.index(second[0])
    await until(lambda: len(link.sent) >= start + CHECKED)
    assert link.sent[start : start + CHECKED] == second[:CHECKED]
    stopped = await voice.mod.slash(voice.channel, "stop")  # a moderator may, from anywhere
    assert answer(stopped) == f"⏹️ Stopped, emptied the queue and left <#{voice.lounge.id}>."
    assert not link.connected
    assert answer(await voice.alice.slash(voice.channel, "queue")).startswith("Nothing is playing")


async def test_a_member_outside_voice_is_told_to_join_one_and_nothing_happens(voice: Voice) -> None:
    clip = await voice.clip(voice.alice)

    pressed = await voice.alice.click(clip, label="Play in voice")
    typed = await voice.alice.slash(voice.channel, "play", clip=1)

    for refused in (pressed, typed):
        assert answer(refused).startswith("Join a voice channel first")
    assert voice.connect.links == []
    skipped = await voice.alice.slash(voice.channel, "skip")
    assert answer(skipped) == "I'm not playing anything in this server."


@pytest.mark.parametrize(
    ("denied", "needed"),
    [
        ({"connect": False}, "Connect"),
        ({"speak": False}, "Speak"),
        ({"connect": False, "speak": False}, "Connect"),
    ],
)
async def test_a_channel_the_bot_may_not_use_is_refused_naming_the_permission(
    voice: Voice, denied: dict[str, bool], needed: str
) -> None:
    await voice.clip(voice.alice)
    await voice.deny(voice.lounge, **denied)
    await voice.alice.join_voice(voice.lounge)

    refused = await voice.alice.slash(voice.channel, "play", clip=1)

    assert answer(refused) == (
        f"I'm not allowed to play in <#{voice.lounge.id}>: I need {needed} there. "
        "A moderator can give me that, or join another voice channel and ask again."
    )
    assert voice.connect.links == []


async def test_a_second_channel_in_the_server_is_refused_and_the_queue_is_unchanged(voice: Voice) -> None:
    await voice.clip(voice.alice)
    await voice.alice.join_voice(voice.lounge)
    await voice.bob.join_voice(voice.studio)
    await voice.alice.slash(voice.channel, "play", clip=1)

    refused = await voice.bob.slash(voice.channel, "play", clip=1)
    unknown = await voice.alice.slash(voice.channel, "play", clip=99)

    assert answer(refused).startswith(f"I'm already playing in <#{voice.lounge.id}> in this server")
    assert answer(unknown) == "There is no clip #99 in this server; it may have been made somewhere else."
    assert len(voice.connect.links) == 1
    listed = answer(await voice.bob.slash(voice.channel, "queue"))
    assert "clip #1" in listed and "1. " not in listed  # nothing was queued behind it


async def test_a_moderator_plays_a_challenge_s_entries_back_to_back(voice: Voice) -> None:
    challenges = voice.bot.services.challenges
    await challenges.start(
        voice.guild.id, voice.channel.id, voice.mod.id, is_moderator=True,
        title="Blues week", prompt="Anything in F", submit_by="3d", vote_by="2d",
    )  # fmt: skip
    await voice.clip(voice.alice)
    await voice.clip(voice.bob, seed=4)
    await challenges.submit_clip(voice.guild.id, voice.alice.id, 1)
    await challenges.submit_clip(voice.guild.id, voice.bob.id, 2)
    await voice.alice.join_voice(voice.lounge)
    await voice.mod.join_voice(voice.lounge)

    refused = await voice.alice.slash(voice.channel, "challenge party")
    started = await voice.mod.slash(voice.channel, "challenge party")

    assert answer(refused) == "Only members with Manage Server can start a listening party."
    assert answer(started) == f"▶️ Playing the 2 entries of “Blues week” in <#{voice.lounge.id}>."
    [link] = voice.connect.links
    await until(lambda: len(link.sent) >= CHECKED)
    assert link.sent[:CHECKED] == (await voice.clip_packets(1))[:CHECKED]
    listed = answer(await voice.alice.slash(voice.channel, "queue"))
    assert f"Playing: entry #1 “Clip #1: 4 bars of swing”, asked by <@{voice.alice.id}>" in listed
    assert f"1. entry #2 “Clip #2: 4 bars of swing”, asked by <@{voice.bob.id}>" in listed


async def test_the_bot_leaves_after_two_quiet_minutes(simcord_env: Any, voice: Voice) -> None:
    await voice.clip(voice.alice)
    await voice.alice.join_voice(voice.lounge)
    await voice.alice.slash(voice.channel, "play", clip=1)
    await voice.alice.slash(voice.channel, "skip")  # nothing left to play: quiet from now
    [link] = voice.connect.links

    await simcord_env.advance_time(IDLE_SECONDS - 1)
    assert link.connected
    await simcord_env.advance_time(1)

    assert not link.connected
    assert answer(await voice.alice.slash(voice.channel, "queue")).startswith("Nothing is playing")


@pytest.mark.parametrize("settings_overrides", [{"audio_format": "mp3"}])
async def test_an_mp3_clip_plays_transcoded_to_20_ms_opus(voice: Voice) -> None:
    clip = await voice.clip(voice.alice)
    await voice.alice.join_voice(voice.lounge)

    pressed = await voice.alice.click(clip, label="Play in voice")

    assert answer(pressed) == f"▶️ Playing clip #1 in <#{voice.lounge.id}>."
    [link] = voice.connect.links
    await until(lambda: len(link.sent) >= CHECKED)
    assert all(frame_samples(packet[0]) == FRAME_SAMPLES and packet[0] & 0x03 == 0 for packet in link.sent)
    assert not any(packet.startswith((b"OpusHead", b"OpusTags")) for packet in link.sent)


async def test_a_bot_disconnected_by_discord_forgets_its_queue(simcord_env: Any, voice: Voice) -> None:
    await voice.clip(voice.alice)
    await voice.alice.join_voice(voice.lounge)
    await voice.alice.slash(voice.channel, "play", clip=1)
    bot_user = voice.bot.user
    assert bot_user is not None
    # what Discord tells the bot when a moderator disconnects it (or deletes the channel)
    simcord_env.backend.set_voice_state(voice.guild.id, bot_user.id, voice.lounge.id)
    simcord_env.backend.set_voice_state(voice.guild.id, bot_user.id, None)
    await simcord_env.settle()

    assert answer(await voice.alice.slash(voice.channel, "queue")).startswith("Nothing is playing")
    await voice.bob.join_voice(voice.studio)
    moved = await voice.bob.slash(voice.channel, "play", clip=1)
    assert answer(moved) == f"▶️ Playing clip #1 in <#{voice.studio.id}>."
