"""Leases: named work held by one bot process at a time, on SQLite and PostgreSQL alike.

A lease is a row ``(name, owner, expires_at)``. :meth:`LeaseStore.acquire` is one statement, an upsert
that takes the row only when it is free, expired, or already ours (``ON CONFLICT ... DO UPDATE ... WHERE``
is atomic on both databases: SQLite has one writer, PostgreSQL locks the conflicting row), so two
processes racing for the same name never both win. A holder that dies simply stops renewing; once its
expiry passes anyone may take the lease over. Expiry times come from each process's clock, so the hosts'
clocks must agree to well within a lease's length (NTP does).

A lease alone cannot make a side effect happen exactly once (a holder may die after the effect and before
it records it); callers pair it with a stored marker of the effect (see
:mod:`bot.services.challenge_scheduler`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.store.sql import Database

log = logging.getLogger(__name__)


def process_owner() -> str:
    """An owner id unique to this process (host, pid and a random part, since pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseStore:
    """Acquire, renew and release leases on one open database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def acquire(self, name: str, owner: str, seconds: float) -> bool:
        """Take ``name`` for ``seconds`` if it is free, expired or ``owner``'s; whether we now hold it."""
        now = self._clock()
        row = await self._db.fetch_one(
            """INSERT INTO leases (name, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at,
                                                expires_at = excluded.expires_at
               WHERE leases.expires_at <= excluded.acquired_at OR leases.owner = excluded.owner
               RETURNING owner""",
            (name, owner, now, now + seconds),
        )
        return row is not None

    async def renew(self, name: str, owner: str, seconds: float) -> bool:
        """Push ``owner``'s unexpired lease ``seconds`` past now; False if it expired or was taken over."""
        now = self._clock()
        changed = await self._db.execute(
            "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at > ?",
            (now + seconds, name, owner, now),
        )
        return changed == 1

    async def release(self, name: str, owner: str) -> None:
        """Give ``name`` up (only if ``owner`` still holds it)."""
        await self._db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    async def holder(self, name: str) -> str | None:
        """Who holds ``name`` now, if anyone."""
        row = await self._db.fetch_one(
            "SELECT owner FROM leases WHERE name = ? AND expires_at > ?", (name, self._clock())
        )
        return None if row is None else str(row[0])

    @asynccontextmanager
    async def held(self, name: str, owner: str, seconds: float) -> AsyncIterator[bool]:
        """Hold ``name`` while the block runs, renewing it every third of ``seconds``; yields whether it
        was acquired (the block should do nothing when not). Released at the end, even on an error."""
        if not await self.acquire(name, owner, seconds):
            yield False
            return
        renewing = asyncio.create_task(self._keep(name, owner, seconds))
        try:
            yield True
        finally:
            renewing.cancel()
            await asyncio.shield(self.release(name, owner))

    async def _keep(self, name: str, owner: str, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds / 3)
            try:
                if not await self.renew(name, owner, seconds):
                    log.warning("lease %s expired while held by %s; another process may take it", name, owner)
                    return
            except Exception:
                log.exception("renewing lease %s failed", name)
