"""Per-server settings in the database: one row per guild that changed anything with ``/settings``.

A missing row, or a NULL column, means "the bot's default" (the ``JAZZBOT_*`` settings); the service
(:mod:`bot.services.guild_settings`) resolves the two. Every method is one statement on the clips/jobs
connection, so it is atomic without an explicit transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.store.sql import Database, from_row


@dataclass(frozen=True)
class StoredGuildSettings:
    """What a server chose; None for each setting left at the bot's default."""

    guild_id: int
    moderator_role_id: int | None = None
    moderator_role_name: str | None = None  # the role's name when it was set, for refusals
    max_bars: int | None = None
    default_style: str | None = None
    challenge_channel_id: int | None = None
    private_listings: bool | None = None  # None: lists private for members, public for moderators


_COLUMNS = (
    "guild_id, moderator_role_id, moderator_role_name, max_bars, default_style, challenge_channel_id,"
    " private_listings"
)


class GuildSettingsStore:
    """Read and write the ``guild_settings`` rows of one open database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int) -> StoredGuildSettings:
        """The guild's settings (all defaults when it never changed any)."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return StoredGuildSettings(guild_id)
        chosen = row["private_listings"]
        return from_row(StoredGuildSettings, row, private_listings=None if chosen is None else bool(chosen))

    async def put(self, settings: StoredGuildSettings, updated_by: int) -> StoredGuildSettings:
        """Store all of ``settings`` for its guild (replacing what was there) and return them."""
        await self._db.execute(
            f"""INSERT INTO guild_settings ({_COLUMNS}, updated_by, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET
                    moderator_role_id = excluded.moderator_role_id,
                    moderator_role_name = excluded.moderator_role_name,
                    max_bars = excluded.max_bars, default_style = excluded.default_style,
                    challenge_channel_id = excluded.challenge_channel_id,
                    private_listings = excluded.private_listings,
                    updated_by = excluded.updated_by, updated_at = excluded.updated_at""",
            (
                settings.guild_id,
                settings.moderator_role_id,
                settings.moderator_role_name,
                settings.max_bars,
                settings.default_style,
                settings.challenge_channel_id,
                None if settings.private_listings is None else int(settings.private_listings),
                updated_by,
                self._clock(),
            ),
        )
        return settings
