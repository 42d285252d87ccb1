"""Community challenges in SQLite: create, submit, vote, unvote, leaderboard — all scoped by guild.

Every change runs in one ``BEGIN IMMEDIATE`` transaction, so checks and writes see the same state even
with other processes on the file. Within this process an :class:`asyncio.Lock` serialises transactions on
the shared connection (two coroutines cannot interleave statements inside one SQLite transaction).
The schema (``bot/migrations``) enforces the same rules again; the checks here exist to give a clear reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

import aiosqlite

from model.errors import InputError

EntryKind = Literal["midi", "audio", "clip", "link"]
Phase = Literal["submissions", "voting", "closed", "cancelled"]
DEFAULT_MAX_VOTES = 3


class ChallengeNotFound(InputError):
    """No such challenge in this server (other servers' challenges are indistinguishable from missing)."""

    def __init__(self) -> None:
        super().__init__("No such challenge in this server; `/challenge info` shows the current one.")


class SubmissionRefused(InputError):
    """A submission the rules do not allow, with the reason in the message."""


class VoteRefusal(StrEnum):
    NOT_FOUND = "That entry is not part of this challenge in this server."
    OUTSIDE_WINDOW = "Voting is not open for this challenge right now."
    SELF_VOTE = "You cannot vote for your own entry."
    DOUBLE_VOTE = "You already voted for this entry. Use `/challenge unvote` to take the vote back."
    OVER_CAP = "You have used all your votes in this challenge. Take one back with `/challenge unvote` first."
    NOT_VOTED = "You have not voted for this entry, so there is no vote to take back."


class VoteRefused(InputError):
    """A vote or unvote the rules do not allow; ``reason`` says which rule."""

    def __init__(self, reason: VoteRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Standing:
    """One line of the leaderboard."""

    entry_id: int
    author_id: int
    title: str
    votes: int
    submitted_at: float


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise InputError("Deadlines need a time zone (UTC is fine), e.g. `2026-12-01T18:00Z`.")
    return moment.timestamp()


class ChallengeStore:
    """All challenge reads and writes for one open database (see :func:`bot.database.open_database`)."""

    def __init__(self, conn: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._conn = conn
        self._clock = clock
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def create_challenge(
        self,
        guild_id: int,
        channel_id: int,
        created_by: int,
        title: str,
        prompt: str,
        submission_deadline: datetime,
        voting_deadline: datetime,
    ) -> int:
        """Open a challenge in its submission phase; returns its id."""
        now = self._clock()
        submit_at, vote_at = _epoch(submission_deadline), _epoch(voting_deadline)
        if submit_at <= now:
            raise InputError("The submission deadline must be in the future.")
        if vote_at <= submit_at:
            raise InputError("The voting deadline must come after the submission deadline.")
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO challenges (guild_id, channel_id, created_by, title, prompt, created_at,"
                " submission_deadline, voting_deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, created_by, title, prompt, now, submit_at, vote_at),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def set_phase(self, guild_id: int, challenge_id: int, phase: Phase) -> None:
        """Move a challenge to ``phase`` (used by the deadline task and moderator commands)."""
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "UPDATE challenges SET phase = ? WHERE id = ? AND guild_id = ?",
                (phase, challenge_id, guild_id),
            )
            if cursor.rowcount == 0:
                raise ChallengeNotFound()

    async def submit_entry(
        self,
        guild_id: int,
        challenge_id: int,
        author_id: int,
        title: str,
        kind: EntryKind,
        *,
        payload: bytes | None = None,
        reference: str | None = None,
        note: str = "",
    ) -> int:
        """Store a member's entry, replacing their earlier one while submissions are open; returns its id.

        ``payload`` holds the file bytes (kinds ``midi``/``audio``, since Discord URLs expire);
        ``reference`` a jazzbot clip id (``clip``) or an http(s) URL (``link``).
        """
        now = self._clock()
        async with self._transaction() as conn:
            async with conn.execute(
                "SELECT phase, submission_deadline FROM challenges WHERE id = ? AND guild_id = ?",
                (challenge_id, guild_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise ChallengeNotFound()
            if row["phase"] != "submissions" or now >= row["submission_deadline"]:
                raise SubmissionRefused("Submissions for this challenge are closed.")
            async with conn.execute(
                "INSERT INTO entries (guild_id, challenge_id, author_id, title, note, kind, payload,"
                " reference, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (challenge_id, author_id) DO UPDATE SET title = excluded.title,"
                " note = excluded.note, kind = excluded.kind, payload = excluded.payload,"
                " reference = excluded.reference, submitted_at = excluded.submitted_at"
                " RETURNING id",
                (guild_id, challenge_id, author_id, title, note, kind, payload, reference, now),
            ) as cursor:
                inserted = await cursor.fetchone()
            assert inserted is not None
            return int(inserted["id"])

    async def _votable_entry(
        self, conn: aiosqlite.Connection, guild_id: int, challenge_id: int, entry_id: int
    ) -> int:
        """The entry's author, after checking the entry exists here and voting is open."""
        async with conn.execute(
            "SELECT e.author_id, c.phase, c.voting_deadline FROM entries e"
            " JOIN challenges c ON c.id = e.challenge_id AND c.guild_id = e.guild_id"
            " WHERE e.id = ? AND e.challenge_id = ? AND e.guild_id = ?",
            (entry_id, challenge_id, guild_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise VoteRefused(VoteRefusal.NOT_FOUND)
        if row["phase"] != "voting" or self._clock() >= row["voting_deadline"]:
            raise VoteRefused(VoteRefusal.OUTSIDE_WINDOW)
        return int(row["author_id"])

    async def vote(
        self,
        guild_id: int,
        challenge_id: int,
        entry_id: int,
        voter_id: int,
        max_votes: int = DEFAULT_MAX_VOTES,
    ) -> int:
        """Record one vote; returns how many votes the member has left in this challenge."""
        async with self._transaction() as conn:
            author_id = await self._votable_entry(conn, guild_id, challenge_id, entry_id)
            if author_id == voter_id:
                raise VoteRefused(VoteRefusal.SELF_VOTE)
            async with conn.execute(
                "SELECT count(*) AS used, coalesce(max(entry_id = ?), 0) AS already FROM votes"
                " WHERE challenge_id = ? AND voter_id = ?",
                (entry_id, challenge_id, voter_id),
            ) as cursor:
                tally = await cursor.fetchone()
            assert tally is not None
            if tally["already"]:
                raise VoteRefused(VoteRefusal.DOUBLE_VOTE)
            if tally["used"] >= max_votes:
                raise VoteRefused(VoteRefusal.OVER_CAP)
            await conn.execute(
                "INSERT INTO votes (guild_id, challenge_id, entry_id, entry_author_id, voter_id, cast_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, challenge_id, entry_id, author_id, voter_id, self._clock()),
            )
            return max_votes - int(tally["used"]) - 1

    async def unvote(self, guild_id: int, challenge_id: int, entry_id: int, voter_id: int) -> None:
        """Take back a vote while voting is open."""
        async with self._transaction() as conn:
            await self._votable_entry(conn, guild_id, challenge_id, entry_id)
            cursor = await conn.execute(
                "DELETE FROM votes WHERE entry_id = ? AND voter_id = ? AND challenge_id = ? AND guild_id = ?",
                (entry_id, voter_id, challenge_id, guild_id),
            )
            if cursor.rowcount == 0:
                raise VoteRefused(VoteRefusal.NOT_VOTED)

    async def leaderboard(self, guild_id: int, challenge_id: int) -> list[Standing]:
        """Entries by votes, most first; ties go to the earlier submission."""
        async with self._lock:
            async with self._conn.execute(
                "SELECT 1 FROM challenges WHERE id = ? AND guild_id = ?", (challenge_id, guild_id)
            ) as cursor:
                if await cursor.fetchone() is None:
                    raise ChallengeNotFound()
            async with self._conn.execute(
                "SELECT e.id, e.author_id, e.title, e.submitted_at, count(v.voter_id) AS votes FROM entries e"
                " LEFT JOIN votes v ON v.entry_id = e.id"
                " WHERE e.challenge_id = ? AND e.guild_id = ?"
                " GROUP BY e.id ORDER BY votes DESC, e.submitted_at, e.id",
                (challenge_id, guild_id),
            ) as cursor:
                rows = await cursor.fetchall()
        return [Standing(r["id"], r["author_id"], r["title"], r["votes"], r["submitted_at"]) for r in rows]
