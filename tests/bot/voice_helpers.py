"""A voice connection without the network, for the tests and ``bench/voice.py``.

:class:`StandInLink` plays a source the way ``discord.VoiceClient.play`` does: on discord.py's own
:class:`discord.player.AudioPlayer` thread, which reads one packet every 20 ms and hands it to the
client's ``send_audio_packet``. Here that records the packet and its time instead of encrypting it
and sending it over UDP. Everything else in the path (the cog, the queue, the source) is the real code.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import cast

import discord
from discord.player import OPUS_SILENCE, AudioPlayer


class _Speaker:
    """The voice websocket's ``speak``, which AudioPlayer calls when it starts and stops."""

    async def speak(self, state: discord.SpeakingState) -> None:
        return None


class _LoopOwner:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop


class StandInLink:
    """A connected voice channel that records what discord.py's player would send into it."""

    def __init__(self, channel_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.channel_id = channel_id
        self.ws = _Speaker()
        self.client = _LoopOwner(loop)
        self.sent: list[bytes] = []  # audio packets in order, discord.py's trailing silence left out
        self.sent_at: list[float] = []  # time.perf_counter() of each
        self.plays = 0
        self.connected = True
        self.disconnected_at: float | None = None  # time.perf_counter()
        self._player: AudioPlayer | None = None
        self._lock = threading.Lock()

    # --- what the queue calls (bot.services.voice_queue.VoiceLink) ---------------------------------------

    def play(self, source: discord.AudioSource, after: Callable[[Exception | None], None]) -> None:
        assert self.connected and (self._player is None or not self._player.is_playing())
        self.plays += 1
        # AudioPlayer only uses send_audio_packet, is_connected, ws.speak and client.loop of its client
        self._player = AudioPlayer(source, cast(discord.VoiceClient, self), after=after)
        self._player.start()

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player = None

    async def disconnect(self) -> None:
        self.stop()
        self.connected = False
        self.disconnected_at = time.perf_counter()

    # --- what discord.py's AudioPlayer calls --------------------------------------------------------------

    def send_audio_packet(self, data: bytes, encode: bool = True) -> None:
        assert not encode, "the sources send Opus: nothing is encoded on the player thread"
        if data != OPUS_SILENCE:
            with self._lock:
                self.sent.append(data)
                self.sent_at.append(time.perf_counter())

    def is_connected(self) -> bool:
        return self.connected


class StandInConnect:
    """The cog's ``connect`` seam: every call "connects" to the channel and returns a new link."""

    def __init__(self, delay: float = 0.0) -> None:
        self.links: list[StandInLink] = []
        self.delay = delay  # seconds a handshake takes, when a test or the bench wants one

    async def __call__(self, channel: discord.VoiceChannel) -> StandInLink:
        return await self.to(channel.id)

    async def to(self, channel_id: int) -> StandInLink:
        if self.delay:
            await asyncio.sleep(self.delay)
        link = StandInLink(channel_id, asyncio.get_running_loop())
        self.links.append(link)
        return link
