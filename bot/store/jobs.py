"""Jobs in SQLite: what was asked, by whom, and how far it got (queued, running, done, failed).

The queue itself lives in memory; these rows exist so that a restart knows which jobs a crash
interrupted (:meth:`JobStore.fail_interrupted`) and can tell their users. A Discord job keeps the
interaction's application id and token (valid 15 minutes) until it ends, then they are cleared.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from bot.core.requests import JazzRequest
from bot.store.database import fetch_one, fetch_returned, from_row

JobKind = Literal["compose", "regenerate", "extend", "vary"]
JobState = Literal["queued", "running", "done", "failed"]
INTERRUPTED = "interrupted by a restart"

_COLUMNS = (
    "id, kind, user_id, guild_id, channel_id, request, state, application_id, interaction_token, "
    "clip_id, error, created_at, started_at, finished_at"
)


@dataclass(frozen=True)
class JobRow:
    id: int
    kind: JobKind
    user_id: int
    guild_id: int | None
    channel_id: int | None
    request: JazzRequest
    state: JobState
    application_id: int | None
    interaction_token: str | None = None
    clip_id: int | None = None
    error: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None

    def __repr__(self) -> str:  # the interaction token is a credential: keep it out of logs
        return f"JobRow(id={self.id}, kind={self.kind}, user_id={self.user_id}, state={self.state})"


def _row(row: aiosqlite.Row) -> JobRow:
    return from_row(JobRow, row, request=JazzRequest.from_dict(json.loads(row["request"])))


class JobStore:
    """Job rows on one open database; every method is one atomic SQL statement (or two independent ones)."""

    def __init__(self, conn: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._conn = conn
        self._clock = clock

    async def add(
        self,
        kind: JobKind,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        request: JazzRequest,
        interaction: tuple[int, str] | None = None,
    ) -> int:
        """A new queued job; ``interaction`` is (application id, interaction token) for follow-ups."""
        application_id, token = interaction if interaction is not None else (None, None)
        row = await fetch_returned(
            self._conn,
            """INSERT INTO jobs (kind, user_id, guild_id, channel_id, request, application_id,
                                 interaction_token, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            (
                kind,
                user_id,
                guild_id,
                channel_id,
                json.dumps(request.to_dict()),
                application_id,
                token,
                self._clock(),
            ),
        )
        return int(row["id"])

    async def get(self, job_id: int) -> JobRow:
        row = await fetch_one(self._conn, f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise KeyError(job_id)
        return _row(row)

    async def started(self, job_id: int) -> None:
        await self._conn.execute(
            "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
            (self._clock(), job_id),
        )

    async def done(self, job_id: int, clip_id: int) -> None:
        await self._finish(job_id, "done", clip_id, None)

    async def failed(self, job_id: int, error: str) -> None:
        await self._finish(job_id, "failed", None, error)

    async def _finish(self, job_id: int, state: JobState, clip_id: int | None, error: str | None) -> None:
        await self._conn.execute(
            """UPDATE jobs SET state = ?, clip_id = ?, error = ?, finished_at = ?,
                               application_id = NULL, interaction_token = NULL
               WHERE id = ?""",
            (state, clip_id, error, self._clock(), job_id),
        )

    async def fail_interrupted(self) -> list[JobRow]:
        """Mark every queued or running job failed and return them, with their interaction credentials
        so the adapter can tell the users; the credentials are then cleared from the database.

        Call once at start, before the queue takes jobs: all such rows were left by a previous process.
        """
        async with self._conn.execute(
            f"""UPDATE jobs SET state = 'failed', error = ?, finished_at = ?
                WHERE state IN ('queued', 'running') RETURNING {_COLUMNS}""",
            (INTERRUPTED, self._clock()),
        ) as cursor:
            rows = [_row(row) for row in await cursor.fetchall()]
        await self._conn.execute(
            """UPDATE jobs SET application_id = NULL, interaction_token = NULL
               WHERE state = 'failed' AND interaction_token IS NOT NULL"""
        )
        return sorted(rows, key=lambda job: job.id)
