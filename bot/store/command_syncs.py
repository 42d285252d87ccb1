"""The hash of the command tree last synced to Discord, per application and scope.

Discord rate-limits command creation (a bulk overwrite counts against a daily budget of creations), so
the bot syncs only when the tree's payload differs from the one it last synced for that application
(a new token for another application syncs again) and scope (:data:`GLOBAL_SCOPE` or a guild id).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store.sql import Database

GLOBAL_SCOPE = 0  # guild ids are never 0


class CommandSyncStore:
    """Single-statement reads and writes of ``command_syncs`` on one open database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def last_hash(self, application_id: int, scope: int) -> str | None:
        row = await self._db.fetch_one(
            "SELECT tree_hash FROM command_syncs WHERE application_id = ? AND scope = ?",
            (application_id, scope),
        )
        return None if row is None else str(row[0])

    async def record(self, application_id: int, scope: int, tree_hash: str) -> None:
        await self._db.execute(
            """INSERT INTO command_syncs (application_id, scope, tree_hash, synced_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (application_id, scope) DO UPDATE SET
                   tree_hash = excluded.tree_hash, synced_at = excluded.synced_at""",
            (application_id, scope, tree_hash, self._clock()),
        )
