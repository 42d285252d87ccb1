"""Stored audio as a ``discord.AudioSource`` that sends Opus packets, re-encoding only when it must.

- A stored Ogg Opus clip (what :mod:`bot.audio.encode` writes) plays as it is: :class:`StoredOpus`
  hands discord.py's player the file's own 20 ms frames (:mod:`bot.audio.opus_source`), so there is no
  decoding, no encoding and no ffmpeg process, and the first packet is ready as soon as the file is parsed.
- Anything else (an MP3 clip, an uploaded WAV/FLAC/MP3 entry, or Ogg Opus whose frames are not 20 ms)
  is transcoded while it plays by ffmpeg through :class:`discord.FFmpegOpusAudio`
  (:class:`Transcoded`), which starts playing after ffmpeg's start-up (tens of milliseconds) and costs
  an encoder's CPU for the length of the track.
"""

from __future__ import annotations

import io
import logging

import discord

from bot.audio.opus_source import NotTwentyMs, OggOpusError, OpusPackets, twenty_ms_packets

log = logging.getLogger(__name__)

TRANSCODE_KBPS = 96  # what the bot's own Opus clips use
_OGG_HEADERS = (b"OpusHead", b"OpusTags")


class StoredOpus(discord.AudioSource):
    """A clip's own Opus packets, one per ``read()`` (discord.py's player reads every 20 ms)."""

    def __init__(self, packets: OpusPackets) -> None:
        self.packets = packets
        self._next = iter(packets.packets)

    def read(self) -> bytes:
        return next(self._next, b"")

    def is_opus(self) -> bool:
        return True


class Transcoded(discord.AudioSource):
    """Audio ffmpeg turns into 20 ms Opus packets as it plays.

    :class:`discord.FFmpegOpusAudio` also yields the Ogg stream's two header packets; they are not audio
    and are skipped here rather than sent to the listeners' decoders.
    """

    def __init__(self, audio: bytes) -> None:
        self._ffmpeg = discord.FFmpegOpusAudio(io.BytesIO(audio), pipe=True, bitrate=TRANSCODE_KBPS)

    def read(self) -> bytes:
        packet = self._ffmpeg.read()
        while packet.startswith(_OGG_HEADERS):
            packet = self._ffmpeg.read()
        return packet

    def is_opus(self) -> bool:
        return True

    def cleanup(self) -> None:
        self._ffmpeg.cleanup()


def audio_source(audio: bytes, audio_format: str) -> discord.AudioSource:
    """``audio`` (a file in ``audio_format``: "ogg", "mp3", "wav", ...) as a source that sends Opus.

    Parsing a clip takes a few milliseconds per minute of audio; call it off the event loop.
    """
    if audio_format in ("ogg", "opus"):
        try:
            return StoredOpus(twenty_ms_packets(audio))
        except (OggOpusError, NotTwentyMs) as why:
            log.info("voice: the Ogg file cannot be sent as it is (%s); transcoding it", why)
    return Transcoded(audio)
