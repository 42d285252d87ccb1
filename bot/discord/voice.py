"""Clips played live in a voice channel: ``/play``, the ``Play in voice`` button, ``/queue``, ``/skip``,
``/stop`` and a challenge's listening party (``/challenge party``, moderators).

:class:`VoiceCog` checks everything a refusal could come from before anything changes (a server, the
member in a voice channel, the bot not busy in another channel of the server, Connect and Speak there,
the clip), then answers Discord and connects at the same time, so the first packet goes out as soon as
the voice handshake allows. The queue itself is :class:`~bot.services.voice_queue.VoiceQueues`. The one
step that cannot run offline, discord.py's ``channel.connect()``, is the cog's ``connect`` attribute
(:func:`connect_voice` in production); tests put a stand-in link there. Audio is the clip's stored Opus
sent as it is (:mod:`bot.discord.voice_audio`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.failures import new_request_id
from bot.core.limits import MAX_INTEGER
from bot.core.text import fit, literal
from bot.discord.challenges import is_moderator
from bot.discord.errors import NO_MENTIONS, describe_failure, refusals
from bot.discord.voice_audio import audio_source
from bot.services.challenges import NotAllowed
from bot.services.startup import Services
from bot.services.voice_queue import IDLE_SECONDS, Track, VoiceLink, VoiceQueues
from bot.store.challenges import Entry
from bot.store.clips import StoredClip
from model.errors import InputError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 15.0  # seconds discord.py may take for the voice handshake
SHOWN_IN_QUEUE = 15  # waiting tracks /queue lists by name

Link = VoiceLink[discord.AudioSource]
Connect = Callable[[discord.VoiceChannel], Awaitable[Link]]
AudioOf = Callable[[StoredClip], Awaitable[bytes]]


class VoiceRefused(InputError):
    """The member is not where the bot can play to them (no voice channel, no permission there)."""


class DiscordLink:
    """A ``discord.VoiceClient`` as the queue's :class:`~bot.services.voice_queue.VoiceLink`."""

    def __init__(self, client: discord.VoiceClient) -> None:
        self._client = client

    @property
    def channel_id(self) -> int:
        return self._client.channel.id

    def play(self, source: discord.AudioSource, after: Callable[[Exception | None], None]) -> None:
        self._client.play(source, after=after)

    def stop(self) -> None:
        self._client.stop()

    async def disconnect(self) -> None:
        await self._client.disconnect(force=True)


async def connect_voice(channel: discord.VoiceChannel) -> Link:
    """The production seam: discord.py's voice handshake (UDP, encryption, DAVE) into ``channel``."""
    try:
        client: discord.VoiceClient = await channel.connect(timeout=CONNECT_TIMEOUT, self_deaf=True)
    except (TimeoutError, discord.ClientException) as error:
        log.warning("voice: connecting to channel %d failed: %r", channel.id, error)
        raise VoiceRefused(
            f"I couldn't connect to {channel.mention} just now (Discord's voice servers did not answer). "
            "Please try again in a moment."
        ) from error
    return DiscordLink(client)


def _listener_channel(interaction: discord.Interaction) -> tuple[discord.Guild, discord.VoiceChannel]:
    """The server and the voice channel the member is in, or a refusal saying what to do."""
    guild, user = interaction.guild, interaction.user
    if guild is None:
        raise VoiceRefused("I play into voice channels in servers; use this in a server's text channel.")
    voice = user.voice if isinstance(user, discord.Member) else None
    if voice is None or voice.channel is None:
        raise VoiceRefused("Join a voice channel first, then ask again: I play into the channel you are in.")
    if not isinstance(voice.channel, discord.VoiceChannel):
        raise VoiceRefused(
            f"{voice.channel.mention} is a stage; I can only play into ordinary voice channels."
        )
    return guild, voice.channel


def _check_permissions(channel: discord.VoiceChannel, me: discord.Member) -> None:
    allowed = channel.permissions_for(me)
    # without Connect, discord.py (like Discord) counts every voice permission as denied: name Connect only
    missing = "Connect" if not allowed.connect else "Speak" if not allowed.speak else None
    if missing:
        raise VoiceRefused(
            f"I'm not allowed to play in {channel.mention}: I need {missing} there. "
            "A moderator can give me that, or join another voice channel and ask again."
        )
    if channel.user_limit and len(channel.members) >= channel.user_limit and not allowed.move_members:
        raise VoiceRefused(f"{channel.mention} is full ({channel.user_limit} people), so I can't join it.")


def _queue_text(queues: VoiceQueues[discord.AudioSource], guild_id: int) -> str:
    view = queues.view(guild_id)
    if view is None:
        return (
            "Nothing is playing in this server. Press 🔊 Play in voice under a clip, or use "
            "`/play clip:<number>` while you are in a voice channel."
        )
    lines = [f"🔊 In <#{view.channel_id}>"]
    if view.playing is None:
        lines.append(f"Playing: nothing (I leave after {IDLE_SECONDS / 60:g} minutes of quiet).")
    else:
        lines.append(f"Playing: {view.playing.title}, asked by <@{view.playing.requested_by}>")
    for number, track in enumerate(view.waiting[:SHOWN_IN_QUEUE], start=1):
        lines.append(f"{number}. {track.title}, asked by <@{track.requested_by}>")
    if len(view.waiting) > SHOWN_IN_QUEUE:
        lines.append(f"…and {len(view.waiting) - SHOWN_IN_QUEUE} more.")
    return "\n".join(lines)


class VoiceCog(commands.Cog):
    """The voice commands, and ``/challenge party`` on the challenge group."""

    def __init__(self, bot: commands.AutoShardedBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.queues: VoiceQueues[discord.AudioSource] = VoiceQueues()
        self.connect: Connect = connect_voice
        self.audio_of: AudioOf = services.jazz.audio  # rendered again when retention dropped it

    async def cog_load(self) -> None:
        group = self.bot.tree.get_command("challenge")
        if isinstance(group, app_commands.Group):
            group.add_command(self._party_command())

    async def cog_unload(self) -> None:
        await self.queues.close()

    async def _is_moderator(self, interaction: discord.Interaction) -> bool:
        return await is_moderator(interaction, self.services.guild_settings)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """The bot was disconnected from voice (kicked, or the channel deleted): its queue goes too."""
        if self.bot.user is not None and member.id == self.bot.user.id and after.channel is None:
            self.queues.forget(member.guild.id)

    # --- playing ----------------------------------------------------------------------------------------

    async def play_clip(self, interaction: discord.Interaction, clip_id: int) -> None:
        """``/play`` and the clip button: queue clip ``clip_id`` in the member's voice channel."""
        async with refusals(interaction):
            guild, channel = _listener_channel(interaction)
            self.queues.check(guild.id, channel.id)
            _check_permissions(channel, guild.me)
            stored = await self.services.clips.get(clip_id, guild.id, interaction.user.id)
            audio, audio_format = await self.audio_of(stored), stored.audio_format

            async def opened() -> discord.AudioSource:
                return await asyncio.to_thread(audio_source, audio, audio_format)

            track = Track(f"clip #{stored.id}", interaction.user.id, opened)
            await self._enqueue(interaction, channel, [track], f"clip #{stored.id}")

    async def _enqueue(
        self,
        interaction: discord.Interaction,
        channel: discord.VoiceChannel,
        tracks: Sequence[Track[discord.AudioSource]],
        what: str,
        note: str = "",
    ) -> None:
        """Answer Discord and connect at once; the answer then says what happened."""
        acknowledged = asyncio.create_task(interaction.response.defer(ephemeral=True, thinking=True))
        try:
            ahead = await self.queues.enqueue(
                channel.guild.id, channel.id, tracks, lambda: self.connect(channel)
            )
            if ahead == 0:
                text = f"▶️ Playing {what} in {channel.mention}."
            else:
                text = f"🎶 Queued {what} in {channel.mention}: {ahead} ahead of it (`/queue` lists them)."
        except Exception as error:
            text = describe_failure(error, new_request_id())
        await acknowledged
        await interaction.edit_original_response(content=fit(text + note), allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="play", description="Play a clip in the voice channel you are in.")
    @app_commands.describe(clip="The clip's number: the footer under a clip says “clip #12”")
    @app_commands.guild_only()
    async def play(
        self, interaction: discord.Interaction, clip: app_commands.Range[int, 1, MAX_INTEGER]
    ) -> None:
        await self.play_clip(interaction, clip)

    @app_commands.command(name="queue", description="What is playing in voice here, and what comes next.")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        text = _queue_text(self.queues, interaction.guild_id or 0)
        await interaction.response.send_message(fit(text), ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _controlled_guild(self, interaction: discord.Interaction, action: str) -> int:
        """The server whose playback the member may ``action``: listeners in the bot's channel and
        moderators may."""
        guild_id = interaction.guild_id or 0
        channel_id = self.queues.channel_of(guild_id)
        if channel_id is None:
            raise NotAllowed("I'm not playing anything in this server.")
        user = interaction.user
        voice = user.voice if isinstance(user, discord.Member) else None
        listening = voice is not None and voice.channel is not None and voice.channel.id == channel_id
        if not (listening or await self._is_moderator(interaction)):
            raise NotAllowed(f"Join <#{channel_id}> to {action}: its listeners (and moderators) can.")
        return guild_id

    @app_commands.command(name="skip", description="Skip what is playing in voice.")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            skipped = self.queues.skip(await self._controlled_guild(interaction, "skip"))
            await interaction.response.send_message(
                f"⏭️ Skipped {skipped.title}.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    @app_commands.command(name="stop", description="Stop playing, empty the queue and leave voice.")
    @app_commands.guild_only()
    async def stop(self, interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            left = await self.queues.stop(await self._controlled_guild(interaction, "stop the music"))
            await interaction.response.send_message(
                f"⏹️ Stopped, emptied the queue and left <#{left}>.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    # --- listening party --------------------------------------------------------------------------------

    def _party_command(self) -> app_commands.Command[Any, ..., None]:
        @app_commands.command(
            name="party", description="Moderators: play every entry back to back in your voice channel."
        )
        async def party(interaction: discord.Interaction) -> None:
            await self.party(interaction)

        return party

    async def party(self, interaction: discord.Interaction) -> None:
        """Queue the current challenge's playable entries in submission order."""
        async with refusals(interaction):
            if not await self._is_moderator(interaction):
                role = (await self.services.guild_settings.for_guild(interaction.guild_id)).moderator_role
                extra = f" or the {role} role" if role else ""
                raise NotAllowed(f"Only members with Manage Server{extra} can start a listening party.")
            guild, channel = _listener_channel(interaction)
            challenge, entries = await self.services.challenges.entries(guild.id)
            playable = [entry for entry in entries if entry.kind in ("clip", "audio")]
            if not playable:
                raise InputError(f"“{literal(challenge.title)}” has no entries with audio to play yet.")
            self.queues.check(guild.id, channel.id, len(playable))
            _check_permissions(channel, guild.me)
            tracks = [self._entry_track(guild.id, entry) for entry in playable]
            left_out = len(entries) - len(playable)
            note = f"\n-# {left_out} MIDI or link entries are left out: no audio." if left_out else ""
            what = f"the {len(tracks)} entries of “{literal(challenge.title)}”"
            await self._enqueue(interaction, channel, tracks, what, note)

    def _entry_track(self, guild_id: int, entry: Entry) -> Track[discord.AudioSource]:
        challenges = self.services.challenges

        async def opened() -> discord.AudioSource:
            media = await challenges.entry_media(guild_id, entry.id)
            suffix = (media.filename or "").rsplit(".", 1)[-1].lower()
            if media.data is None or suffix in ("mid", "midi"):
                raise InputError(f"entry #{entry.id} has no audio to play")
            return await asyncio.to_thread(audio_source, media.data, suffix)

        return Track(f"entry #{entry.id} “{literal(entry.title)}”", entry.author_id, opened)
