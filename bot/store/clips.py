"""Every clip the bot made, in SQLite, so Regenerate/Extend/Vary work on any clip after any restart.

A clip row holds who asked where (guild, channel, user), the request with its seed resolved, the
progression as the composer resolved it (Vary keeps the chords of a clip whose request let the seed pick
them), the MIDI, the audio (unless larger than the store's cap), the chart and the message it was posted
in. Lookups are scoped by guild: another server's clip id reads exactly like a missing one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import aiosqlite

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.store.database import fetch_one, fetch_returned, from_row
from model.errors import InputError

DEFAULT_MAX_STORED_AUDIO = 8 * 1024 * 1024
"""Audio files larger than this are not kept (the MIDI always is; the audio can be rendered again)."""

_COLUMNS = (
    "id, guild_id, channel_id, user_id, parent_id, request, progression, midi, audio, audio_format, "
    "duration, chart, message_id, created_at"
)


class ClipNotFound(InputError):
    """No clip with that id here (in this server, or among the console's and direct messages' clips)."""

    def __init__(self, clip_id: int, in_server: bool = True) -> None:
        where = "in this server" if in_server else "here"
        super().__init__(f"There is no clip #{clip_id} {where}; it may have been made somewhere else.")


@dataclass(frozen=True)
class StoredClip:
    """A clip as recorded; ``request.seed`` is always set, ``audio`` is empty when it was over the cap."""

    id: int
    guild_id: int | None
    channel_id: int | None
    user_id: int
    request: JazzRequest
    progression: str
    midi: bytes
    audio: bytes
    audio_format: str
    duration: float
    chart: str
    message_id: int | None
    created_at: float
    parent_id: int | None = None


def _stored(row: aiosqlite.Row) -> StoredClip:
    return from_row(
        StoredClip,
        row,
        request=JazzRequest.from_dict(json.loads(row["request"])),
        midi=bytes(row["midi"]),
        audio=bytes(row["audio"]),
    )


class ClipStore:
    """Clip reads and writes on one open database (:func:`bot.store.database.open_database`).

    Every method is a single SQL statement, so it is atomic without an explicit transaction.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        clock: Callable[[], float] = time.time,
        max_audio_bytes: int = DEFAULT_MAX_STORED_AUDIO,
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._max_audio_bytes = max_audio_bytes

    async def add(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        request: JazzRequest,
        clip: Clip,
        parent_id: int | None = None,
    ) -> StoredClip:
        """Record ``clip``, made for ``request`` (stored with the seed the piece was composed with)."""
        resolved = replace(request, seed=clip.piece.seed)
        audio = clip.audio if len(clip.audio) <= self._max_audio_bytes else b""
        row = await fetch_returned(
            self._conn,
            f"""INSERT INTO clips (guild_id, channel_id, user_id, parent_id, request, seed, progression,
                                   midi, audio, audio_format, duration, chart, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
            (
                guild_id,
                channel_id,
                user_id,
                parent_id,
                json.dumps(resolved.to_dict()),
                clip.piece.seed,
                clip.piece.progression,
                clip.midi,
                audio,
                clip.audio_format,
                clip.duration,
                clip.chart,
                self._clock(),
            ),
        )
        return _stored(row)

    async def get(self, clip_id: int, guild_id: int | None) -> StoredClip:
        """Clip ``clip_id`` if it was made in ``guild_id`` (None: direct messages / the console)."""
        row = await fetch_one(
            self._conn, f"SELECT {_COLUMNS} FROM clips WHERE id = ? AND guild_id IS ?", (clip_id, guild_id)
        )
        if row is None:
            raise ClipNotFound(clip_id, in_server=guild_id is not None)
        return _stored(row)

    async def by_user(self, guild_id: int | None, user_id: int, limit: int = 25) -> list[StoredClip]:
        """``user_id``'s clips in ``guild_id``, newest first."""
        async with self._conn.execute(
            f"""SELECT {_COLUMNS} FROM clips WHERE guild_id IS ? AND user_id = ?
                ORDER BY id DESC LIMIT ?""",
            (guild_id, user_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_stored(row) for row in rows]

    async def set_message(self, clip_id: int, message_id: int) -> None:
        """Remember the message the clip was posted in."""
        await self._conn.execute("UPDATE clips SET message_id = ? WHERE id = ?", (message_id, clip_id))
