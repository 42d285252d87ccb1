"""Shared by the challenge tests: ids, a settable clock, a tiny MIDI file and a clip row (the ``clock``
and ``conn`` fixtures are in ``tests/bot/conftest.py``)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import mido

from bot.core.requests import JazzRequest
from bot.store.sql import Database

GUILD, OTHER_GUILD, CHANNEL, MOD = 111, 222, 333, 9
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SUBMIT_BY = START + timedelta(days=3)
VOTE_BY = START + timedelta(days=5)


class Clock:
    """A settable wall clock, so deadlines can pass without sleeping."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now.timestamp()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def at(self, epoch: float) -> None:
        self.now = datetime.fromtimestamp(epoch, UTC)


def tiny_midi() -> bytes:
    """A real one-note MIDI file."""
    track = mido.MidiTrack(
        [mido.Message("note_on", note=60, velocity=90), mido.Message("note_off", note=60, time=480)]
    )
    buffer = io.BytesIO()
    mido.MidiFile(tracks=[track]).save(file=buffer)
    return buffer.getvalue()


async def add_clip(conn: Database, clip_id: int, user_id: int, guild_id: int | None) -> None:
    """A clip row as the clip store writes it (the challenge tests need clips, not the renderer)."""
    request = json.dumps(JazzRequest(key="Bb", style="ballad", seed=7).to_dict())
    await conn.execute(
        "INSERT INTO clips (id, guild_id, channel_id, user_id, request, seed, progression, midi, audio,"
        " audio_format, duration, chart, created_at)"
        " VALUES (?, ?, 1, ?, ?, 7, 'blues', ?, ?, 'ogg', 3.0, '', 0)",
        (clip_id, guild_id, user_id, request, tiny_midi(), b"OggS" + bytes(100)),
    )
