"""Every clip the bot made, in the database, so Regenerate/Extend/Vary work on any clip after any restart.

A clip row holds who asked where (guild, channel, user), the request with its seed resolved, the
progression as the composer resolved it (Vary keeps the chords of a clip whose request let the seed pick
them), the MIDI, the audio, the chart and the message it was posted in. Lookups are scoped: a server's
clips are shared within that server, and clips made without one (direct messages, the console) belong to
their user alone. Another scope's clip id reads exactly like a missing one.

Retention: the MIDI and the facts of every clip are kept; the audio only for the newest clips, up to
``audio_budget`` bytes in all (``JAZZBOT_AUDIO_KEEP_MB``), and never for a file over ``max_audio_bytes``.
Each :meth:`ClipStore.add` drops the audio of the clips past the budget (an empty blob; the database reuses
the freed space), so the file stays near the budget plus a few kB of MIDI per clip. The posted message keeps
the audio on Discord; where the bot needs it again it renders the MIDI anew.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.store.sql import Database, Row, from_row
from model.errors import InputError

DEFAULT_MAX_STORED_AUDIO = 8 * 1024 * 1024
"""Audio files larger than this are not kept (the MIDI always is; the audio can be rendered again)."""
DEFAULT_AUDIO_BUDGET = 24 * 1024 * 1024
"""Bytes of audio kept in all, the newest clips' first (settings: ``JAZZBOT_AUDIO_KEEP_MB``)."""

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


def _stored(row: Row) -> StoredClip:
    return from_row(
        StoredClip,
        row,
        request=JazzRequest.from_dict(json.loads(row["request"])),
        midi=bytes(row["midi"]),
        audio=bytes(row["audio"]),
    )


class ClipStore:
    """Clip reads and writes on one open database (:func:`bot.store.database.open_database`).

    Every method is a single SQL statement, so it is atomic without an explicit transaction, except
    :meth:`add`: the insert, then the idempotent trim of old audio.
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.time,
        max_audio_bytes: int = DEFAULT_MAX_STORED_AUDIO,
        audio_budget: int = DEFAULT_AUDIO_BUDGET,
    ) -> None:
        self._db = db
        self._clock = clock
        self._max_audio_bytes = max_audio_bytes
        self._audio_budget = audio_budget

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
        """Record ``clip``, made for ``request`` (stored with the seed the piece was composed with); the
        audio of older clips past the budget is dropped (module doc)."""
        resolved = replace(request, seed=clip.piece.seed)
        fits = len(clip.audio) <= min(self._max_audio_bytes, self._audio_budget)
        audio = clip.audio if fits else b""
        row = await self._db.fetch_returned(
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
        await self._trim_audio()
        return _stored(row)

    async def _trim_audio(self) -> None:
        """Drop the audio of the clips past the budget, newest kept first (idempotent, so a crash
        between the insert and this leaves nothing the next add does not finish)."""
        await self._db.execute(
            """UPDATE clips SET audio = ? WHERE id IN (
                   SELECT id FROM (SELECT id, sum(length(audio)) OVER (ORDER BY id DESC) AS newer
                                     FROM clips WHERE length(audio) > 0) AS ranked
                    WHERE newer > ?)""",
            (b"", self._audio_budget),
        )

    async def audio_bytes(self) -> int:
        """Bytes of audio stored in all (at most the budget)."""
        row = await self._db.fetch_returned("SELECT coalesce(sum(length(audio)), 0) FROM clips")
        return int(row[0])

    async def get(self, clip_id: int, guild_id: int | None, user_id: int) -> StoredClip:
        """Clip ``clip_id`` if it was made in ``guild_id`` or, without a guild (direct messages, the
        console), by ``user_id``."""
        row = await self._db.fetch_one(
            f"""SELECT {_COLUMNS} FROM clips
                WHERE id = ? AND guild_id IS NOT DISTINCT FROM ? AND (guild_id IS NOT NULL OR user_id = ?)""",
            (clip_id, guild_id, user_id),
        )
        if row is None:
            raise ClipNotFound(clip_id, in_server=guild_id is not None)
        return _stored(row)

    async def by_user(self, guild_id: int | None, user_id: int, limit: int = 25) -> list[StoredClip]:
        """``user_id``'s clips in ``guild_id``, newest first."""
        rows = await self._db.fetch_all(
            f"""SELECT {_COLUMNS} FROM clips WHERE guild_id IS NOT DISTINCT FROM ? AND user_id = ?
                ORDER BY id DESC LIMIT ?""",
            (guild_id, user_id, limit),
        )
        return [_stored(row) for row in rows]

    async def set_message(self, clip_id: int, message_id: int) -> None:
        """Remember the message the clip was posted in."""
        await self._db.execute("UPDATE clips SET message_id = ? WHERE id = ?", (message_id, clip_id))
