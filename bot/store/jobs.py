"""Jobs in the database: what was asked, by whom, and how far it got.

States: ``queued`` -> ``running`` (a worker took it) -> ``rendered`` (the clip is stored, ``clip_id``
set, not yet posted) -> ``done`` (posted: on Discord, or written by the console); ``failed`` from any
state before ``done``. A job is never ``done`` before its clip reached its user.

The queue itself lives in memory; these rows exist so that a restart knows which jobs a crash
interrupted: :meth:`JobStore.fail_interrupted` fails the ones that had no clip yet (their users are
told), :meth:`JobStore.unposted` returns the ones whose clip is stored but was never posted (the adapter
posts it, or tells the user). A Discord job keeps the interaction's application id and token (valid
15 minutes) until it ends, then they are cleared.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.core.requests import JazzRequest
from bot.store.sql import Database, Row, from_row

JobKind = Literal["compose", "regenerate", "extend", "vary"]
JobState = Literal["queued", "running", "rendered", "done", "failed"]
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


def _row(row: Row) -> JobRow:
    return from_row(JobRow, row, request=JazzRequest.from_dict(json.loads(row["request"])))


class JobStore:
    """Job rows on one open database; every method is one atomic SQL statement (or two independent ones)."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
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
        row = await self._db.fetch_returned(
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
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise KeyError(job_id)
        return _row(row)

    async def started(self, job_id: int) -> None:
        await self._db.execute(
            "UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
            (self._clock(), job_id),
        )

    async def rendered(self, job_id: int, clip_id: int) -> None:
        """The clip is stored; the job is done once it is posted (:meth:`posted`)."""
        await self._db.execute(
            "UPDATE jobs SET state = 'rendered', clip_id = ? WHERE id = ? AND state IN ('queued', 'running')",
            (clip_id, job_id),
        )

    async def posted(self, clip_id: int) -> None:
        """The job that made clip ``clip_id`` is done: its clip reached its user."""
        await self._db.execute(
            """UPDATE jobs SET state = 'done', finished_at = ?,
                               application_id = NULL, interaction_token = NULL
               WHERE clip_id = ? AND state = 'rendered'""",
            (self._clock(), clip_id),
        )

    async def failed(self, job_id: int, error: str) -> None:
        """The job ended without its clip reaching its user (a clip it stored stays stored)."""
        await self._db.execute(
            """UPDATE jobs SET state = 'failed', error = ?, finished_at = ?,
                               application_id = NULL, interaction_token = NULL
               WHERE id = ? AND state <> 'done'""",
            (error, self._clock(), job_id),
        )

    async def not_posted(self, clip_id: int, error: str) -> None:
        """Posting clip ``clip_id`` failed (its user was told why): its job is failed, the clip kept."""
        await self._db.execute(
            """UPDATE jobs SET state = 'failed', error = ?, finished_at = ?,
                               application_id = NULL, interaction_token = NULL
               WHERE clip_id = ? AND state = 'rendered'""",
            (error, self._clock(), clip_id),
        )

    async def unposted(self, user_id: int | None = None) -> list[JobRow]:
        """Jobs (of ``user_id`` only, when given) whose clip is stored but was never posted (a crash
        between the two), oldest first, with their interaction credentials: the adapter posts each clip
        or tells its user, then calls :meth:`posted` or :meth:`failed`. Call once at start."""
        rows = await self._db.fetch_all(
            f"""SELECT {_COLUMNS} FROM jobs
                WHERE state = 'rendered' AND (CAST(? AS BIGINT) IS NULL OR user_id = ?) ORDER BY id""",
            (user_id, user_id),
        )
        return [_row(row) for row in rows]

    async def count(self, state: JobState) -> int:
        row = await self._db.fetch_returned("SELECT count(*) FROM jobs WHERE state = ?", (state,))
        return int(row[0])

    async def fail_interrupted(
        self, user_id: int | None = None, owns: Callable[[int | None], bool] = lambda _guild_id: True
    ) -> list[JobRow]:
        """Mark every queued or running job (of ``user_id`` only, when given; of the servers ``owns``
        accepts, when the gateway is split across processes) failed and return them, with their
        interaction credentials so the adapter can tell the users; the credentials are then cleared from
        the database.

        Call once at start, before the queue takes jobs: all such rows were left by a previous process
        that answered the same servers (another shard process's jobs are not this one's to fail).
        """
        candidates = await self._db.fetch_all(
            """SELECT id, guild_id FROM jobs
               WHERE state IN ('queued', 'running') AND (CAST(? AS BIGINT) IS NULL OR user_id = ?)""",
            (user_id, user_id),
        )
        rows: list[JobRow] = []
        for candidate in candidates:
            if not owns(candidate["guild_id"]):
                continue
            failed = await self._db.fetch_one(
                f"""UPDATE jobs SET state = 'failed', error = ?, finished_at = ?
                    WHERE id = ? AND state IN ('queued', 'running') RETURNING {_COLUMNS}""",
                (INTERRUPTED, self._clock(), candidate["id"]),
            )
            if failed is not None:
                rows.append(_row(failed))
        await self._db.execute(
            """UPDATE jobs SET application_id = NULL, interaction_token = NULL
               WHERE state = 'failed' AND interaction_token IS NOT NULL"""
        )
        return sorted(rows, key=lambda job: job.id)
