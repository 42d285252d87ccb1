"""Community challenges: challenges, entries, votes and removals — all scoped by guild.

Every change runs in one transaction holding the guild's lock (``challenges:GUILD``; an unvote, or a
refused vote's reason, the voter's: ``vote:GUILD:VOTER``), so checks and writes see the same state even
with other processes on the database: on SQLite ``BEGIN IMMEDIATE`` serialises all writers anyway, on
PostgreSQL the named advisory locks serialise just the transactions that could disagree (see
:meth:`bot.store.sql.Database.transaction`). A vote itself is one statement whose rules the schema
enforces (``bot/store/migrations``: the vote cap is the ``ballots`` row's CHECK), on both backends; the
checks here exist to give a clear reason.

Phases follow the clock: a challenge is in its voting phase from the submission deadline on and closed
from the voting deadline on, whatever its stored ``phase`` says. The deadline task
(:mod:`bot.services.challenge_scheduler`) only catches the stored phase up and makes the announcements, so the
rules hold even while that task is late or the bot was down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from bot.core.text import literal
from bot.store.sql import Database, Dialect, Queries, Row, from_row
from model.errors import InputError

EntryKind = Literal["midi", "audio", "clip", "link"]
Phase = Literal["submissions", "voting", "closed", "cancelled"]
RUNNING_PHASES: tuple[Phase, ...] = ("submissions", "voting")
DEFAULT_MAX_VOTES = 3


class ChallengeNotFound(InputError):
    """No such challenge in this server (other servers' challenges are indistinguishable from missing)."""

    def __init__(self) -> None:
        super().__init__("No such challenge in this server; `/challenge info` shows the current one.")


class EntryNotFound(InputError):
    """No such entry in this server."""

    def __init__(self) -> None:
        super().__init__("No such entry in this server; `/challenge entries` lists them with their numbers.")


class ChallengeRefused(InputError):
    """A challenge change the rules do not allow (a second running challenge, closing twice, ...)."""


class SubmissionRefused(InputError):
    """A submission the rules do not allow, with the reason in the message."""


class VoteRefusal(StrEnum):
    NOT_FOUND = "That entry is not part of a challenge in this server."
    OUTSIDE_WINDOW = "Voting is not open for this challenge right now."
    SELF_VOTE = "You cannot vote for your own entry."
    DOUBLE_VOTE = "You already voted for this entry. Use `/challenge unvote` to take the vote back."
    OVER_CAP = "You have used all your votes in this challenge. Take one back with `/challenge unvote` first."
    NOT_VOTED = "You have not voted for this entry, so there is no vote to take back."
    TOO_NEW = "Your account is too new to vote in challenges here."


class VoteRefused(InputError):
    """A vote or unvote the rules do not allow; ``reason`` says which rule."""

    def __init__(self, reason: VoteRefusal, detail: str = "") -> None:
        super().__init__(f"{reason.value} {detail}".strip())
        self.reason = reason


def phase_at(stored: Phase, submission_deadline: float, voting_deadline: float, now: float) -> Phase:
    """The phase a challenge is in at ``now``: the deadlines move it on even before the stored phase does."""
    if stored not in RUNNING_PHASES:
        return stored
    if now >= voting_deadline:
        return "closed"
    if now >= submission_deadline:
        return "voting"
    return stored


@dataclass(frozen=True)
class Challenge:
    id: int
    guild_id: int
    channel_id: int
    created_by: int
    title: str
    prompt: str
    phase: Phase  # at the time it was read (see :func:`phase_at`)
    stored_phase: Phase
    created_at: float
    submission_deadline: float
    voting_deadline: float
    max_votes: int
    hide_leaderboard: bool
    cancel_reason: str | None
    ended_at: float | None
    voting_announced_at: float | None
    results_posted_at: float | None


@dataclass(frozen=True)
class Entry:
    id: int
    guild_id: int
    challenge_id: int
    author_id: int
    title: str
    note: str
    kind: EntryKind
    reference: str | None  # a jazzbot clip id (kind ``clip``) or an http(s) URL (kind ``link``)
    filename: str | None  # the stored file's name (kinds ``midi`` and ``audio``)
    size: int  # bytes stored
    submitted_at: float
    votes: int


@dataclass(frozen=True)
class RemovedEntry:
    guild_id: int
    challenge_id: int
    author_id: int
    title: str
    reason: str
    removed_by: int
    removed_at: float


@dataclass(frozen=True)
class Standing:
    """One line of the leaderboard."""

    entry_id: int
    author_id: int
    title: str
    votes: int
    submitted_at: float


@dataclass(frozen=True)
class VoteReceipt:
    challenge_id: int
    entry_id: int
    votes_left: int


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise InputError("Deadlines need a time zone (UTC is fine), e.g. `2026-12-01T18:00Z`.")
    return moment.timestamp()


_CHALLENGE_COLUMNS = (
    "id, guild_id, channel_id, created_by, title, prompt, phase, created_at, submission_deadline,"
    " voting_deadline, max_votes, hide_leaderboard, cancel_reason, ended_at, voting_announced_at,"
    " results_posted_at"
)
_ENTRY_COLUMNS = (
    "id, guild_id, challenge_id, author_id, title, note, kind, reference, filename,"
    " coalesce(length(payload), 0) AS size, submitted_at, vote_count"
)


# A vote with every rule in one statement (see ChallengeStore.vote), returning the votes left. The one
# dialect difference: SQLite's RETURNING subqueries see the new row, PostgreSQL's see the table as it was
# before the statement, so there the new vote is taken off by hand.
_QUICK_VOTE = """
INSERT INTO votes (guild_id, challenge_id, entry_id, entry_author_id, voter_id, cast_at)
SELECT e.guild_id, e.challenge_id, e.id, e.author_id, CAST(:voter AS BIGINT), CAST(:now AS DOUBLE PRECISION)
  FROM entries e JOIN challenges c ON c.id = e.challenge_id AND c.guild_id = e.guild_id
 WHERE e.id = :entry AND e.guild_id = :guild AND e.author_id <> :voter
   AND c.phase IN ('submissions', 'voting') AND c.submission_deadline <= :now AND :now < c.voting_deadline
   AND c.max_votes > (SELECT count(*) FROM votes v
                       WHERE v.challenge_id = e.challenge_id AND v.voter_id = :voter)
ON CONFLICT DO NOTHING
RETURNING votes.challenge_id,
          (SELECT max_votes FROM challenges c WHERE c.id = votes.challenge_id)
          - (SELECT count(*) FROM votes v WHERE v.challenge_id = votes.challenge_id AND v.voter_id = :voter)
"""
_QUICK_VOTE_BY_DIALECT: dict[Dialect, str] = {"sqlite": _QUICK_VOTE, "postgresql": f"{_QUICK_VOTE} - 1"}


class ChallengeStore:
    """All challenge reads and writes for one open database (see :func:`bot.store.database.open_database`)."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.database = db
        self._clock = clock

    def _transaction(self, guild_id: int) -> AbstractAsyncContextManager[Queries]:
        return self.database.transaction(f"challenges:{guild_id}")

    def _challenge(self, row: Row) -> Challenge:
        return from_row(
            Challenge,
            row,
            phase=phase_at(row["phase"], row["submission_deadline"], row["voting_deadline"], self._clock()),
            stored_phase=row["phase"],
            hide_leaderboard=bool(row["hide_leaderboard"]),
        )

    @staticmethod
    def _entry(row: Row) -> Entry:
        return from_row(Entry, row, votes=row["vote_count"])

    async def _challenges(self, conn: Queries, where: str, *args: object) -> list[Challenge]:
        rows = await conn.fetch_all(f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE {where}", args)
        return [self._challenge(row) for row in rows]

    async def _one_challenge(self, conn: Queries, guild_id: int, challenge_id: int) -> Challenge:
        found = await self._challenges(conn, "id = ? AND guild_id = ?", challenge_id, guild_id)
        if not found:
            raise ChallengeNotFound()
        return found[0]

    async def _entries(self, conn: Queries, where: str, *args: object) -> list[Entry]:
        rows = await conn.fetch_all(f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE {where}", args)
        return [self._entry(row) for row in rows]

    # --- challenges -------------------------------------------------------------------------------

    async def create_challenge(
        self,
        guild_id: int,
        channel_id: int,
        created_by: int,
        title: str,
        prompt: str,
        submission_deadline: datetime,
        voting_deadline: datetime,
        *,
        max_votes: int = DEFAULT_MAX_VOTES,
        hide_leaderboard: bool = False,
    ) -> Challenge:
        """Open a challenge in its submission phase; a guild runs one challenge at a time."""
        now = self._clock()
        submit_at, vote_at = _epoch(submission_deadline), _epoch(voting_deadline)
        if submit_at <= now:
            raise InputError("The submission deadline must be in the future.")
        if vote_at <= submit_at:
            raise InputError("The voting deadline must come after the submission deadline.")
        async with self._transaction(guild_id) as conn:
            for running in await self._challenges(
                conn, "guild_id = ? AND phase IN (?, ?)", guild_id, *RUNNING_PHASES
            ):
                if running.phase in RUNNING_PHASES:
                    raise ChallengeRefused(
                        f"“{literal(running.title)}” is still running in this server; "
                        "close or cancel it first."
                    )
                # Its voting deadline passed but the deadline task has not caught up yet: close it now
                # (its results still get posted, since results_posted_at stays empty).
                await conn.execute(
                    "UPDATE challenges SET phase = 'closed', ended_at = voting_deadline WHERE id = ?",
                    (running.id,),
                )
            row = await conn.fetch_returned(
                "INSERT INTO challenges (guild_id, channel_id, created_by, title, prompt, created_at,"
                " submission_deadline, voting_deadline, max_votes, hide_leaderboard)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_CHALLENGE_COLUMNS}",
                (guild_id, channel_id, created_by, title, prompt, now, submit_at, vote_at, max_votes,
                 int(hide_leaderboard)),
            )  # fmt: skip
            return self._challenge(row)

    async def get_challenge(self, guild_id: int, challenge_id: int) -> Challenge:
        return await self._one_challenge(self.database, guild_id, challenge_id)

    async def running_challenge(self, guild_id: int) -> Challenge | None:
        """The guild's challenge taking submissions or votes, if any (by the clock, not the stored phase)."""
        found = await self._challenges(
            self.database, "guild_id = ? AND phase IN (?, ?)", guild_id, *RUNNING_PHASES
        )
        return next((c for c in found if c.phase in RUNNING_PHASES), None)

    async def latest_challenge(self, guild_id: int) -> Challenge | None:
        found = await self._challenges(self.database, "guild_id = ? ORDER BY id DESC LIMIT 1", guild_id)
        return found[0] if found else None

    async def challenges(self, guild_id: int, limit: int = 10) -> list[Challenge]:
        """The guild's challenges, newest first."""
        return await self._challenges(self.database, "guild_id = ? ORDER BY id DESC LIMIT ?", guild_id, limit)

    async def end_challenge(
        self,
        guild_id: int,
        challenge_id: int,
        phase: Literal["closed", "cancelled"],
        reason: str | None = None,
    ) -> Challenge:
        """Close (results follow) or cancel (with ``reason``, no results) a running challenge."""
        async with self._transaction(guild_id) as conn:
            challenge = await self._one_challenge(conn, guild_id, challenge_id)
            if challenge.phase not in RUNNING_PHASES:
                raise ChallengeRefused(f"“{literal(challenge.title)}” has already ended ({challenge.phase}).")
            await conn.execute(
                "UPDATE challenges SET phase = ?, cancel_reason = ?, ended_at = ? WHERE id = ?",
                (phase, reason, self._clock(), challenge_id),
            )
            return await self._one_challenge(conn, guild_id, challenge_id)

    # --- the deadline task's view ---------------------------------------------------------------------

    async def due_challenges(self) -> list[Challenge]:
        """Challenges with work for the deadline task: a stored phase behind the clock, an unposted
        "voting is open" notice or unposted results. Across all guilds, oldest first."""
        now = self._clock()
        return await self._challenges(
            self.database,
            "(phase = 'submissions' AND submission_deadline <= ?)"
            " OR (phase = 'voting' AND (voting_deadline <= ? OR voting_announced_at IS NULL))"
            " OR (phase = 'closed' AND results_posted_at IS NULL) ORDER BY id",
            now,
            now,
        )

    async def next_deadline(self) -> float | None:
        """The earliest deadline still ahead of a running challenge."""
        now = self._clock()
        row = await self.database.fetch_returned(
            "SELECT min(CASE WHEN submission_deadline > ? THEN submission_deadline"
            " ELSE voting_deadline END)"
            " FROM challenges WHERE phase IN ('submissions', 'voting') AND voting_deadline > ?",
            (now, now),
        )
        return None if row[0] is None else float(row[0])

    async def move_phase(self, guild_id: int, challenge_id: int, was: Phase, now_in: Phase) -> bool:
        """Store a phase change the deadlines made; False if another writer already moved it."""
        async with self._transaction(guild_id) as conn:
            changed = await conn.execute(
                "UPDATE challenges SET phase = ?,"
                " ended_at = CASE WHEN CAST(? AS TEXT) = 'closed' THEN voting_deadline ELSE ended_at END"
                " WHERE id = ? AND guild_id = ? AND phase = ?",
                (now_in, now_in, challenge_id, guild_id, was),
            )
            return changed == 1

    async def mark_voting_announced(self, guild_id: int, challenge_id: int) -> bool:
        return await self._mark(guild_id, challenge_id, "voting_announced_at")

    async def mark_results_posted(self, guild_id: int, challenge_id: int) -> bool:
        return await self._mark(guild_id, challenge_id, "results_posted_at")

    async def _mark(self, guild_id: int, challenge_id: int, column: str) -> bool:
        async with self._transaction(guild_id) as conn:
            changed = await conn.execute(
                f"UPDATE challenges SET {column} = ? WHERE id = ? AND guild_id = ? AND {column} IS NULL",
                (self._clock(), challenge_id, guild_id),
            )
            return changed == 1

    # --- entries --------------------------------------------------------------------------------------

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
        filename: str | None = None,
        note: str = "",
    ) -> Entry:
        """Store a member's entry, replacing their earlier one while submissions are open.

        ``payload`` holds the file bytes (kinds ``midi``/``audio``, since Discord URLs expire);
        ``reference`` a jazzbot clip id (``clip``) or an http(s) URL (``link``).
        """
        now = self._clock()
        async with self._transaction(guild_id) as conn:
            challenge = await self._one_challenge(conn, guild_id, challenge_id)
            if challenge.phase != "submissions":
                raise SubmissionRefused(f"Submissions for “{literal(challenge.title)}” are closed.")
            row = await conn.fetch_returned(
                "INSERT INTO entries (guild_id, challenge_id, author_id, title, note, kind, payload,"
                " reference, filename, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (challenge_id, author_id) DO UPDATE SET title = excluded.title,"
                " note = excluded.note, kind = excluded.kind, payload = excluded.payload,"
                " reference = excluded.reference, filename = excluded.filename,"
                f" submitted_at = excluded.submitted_at RETURNING {_ENTRY_COLUMNS}",
                (guild_id, challenge_id, author_id, title, note, kind, payload, reference, filename, now),
            )
            return self._entry(row)

    async def get_entry(self, guild_id: int, entry_id: int) -> Entry:
        found = await self._entries(self.database, "id = ? AND guild_id = ?", entry_id, guild_id)
        if not found:
            raise EntryNotFound()
        return found[0]

    async def entry_payload(self, guild_id: int, entry_id: int) -> bytes | None:
        """The stored file of a ``midi``/``audio`` entry (None for clips and links)."""
        row = await self.database.fetch_one(
            "SELECT payload FROM entries WHERE id = ? AND guild_id = ?", (entry_id, guild_id)
        )
        if row is None:
            raise EntryNotFound()
        return None if row[0] is None else bytes(row[0])

    async def entries(self, guild_id: int, challenge_id: int) -> list[Entry]:
        """A challenge's entries in submission order."""
        return await self._entries(
            self.database,
            "guild_id = ? AND challenge_id = ? ORDER BY submitted_at, id",
            guild_id,
            challenge_id,
        )

    async def entries_by_author(self, guild_id: int, author_id: int) -> list[Entry]:
        """A member's entries in this guild, newest first."""
        return await self._entries(
            self.database,
            "guild_id = ? AND author_id = ? ORDER BY submitted_at DESC, id DESC",
            guild_id,
            author_id,
        )

    async def remove_entry(self, guild_id: int, entry_id: int, removed_by: int, reason: str) -> RemovedEntry:
        """Delete a running challenge's entry (its votes go with it) and keep the reason for its author."""
        now = self._clock()
        async with self._transaction(guild_id) as conn:
            found = await self._entries(conn, "id = ? AND guild_id = ?", entry_id, guild_id)
            if not found:
                raise EntryNotFound()
            entry = found[0]
            challenge = await self._one_challenge(conn, guild_id, entry.challenge_id)
            if challenge.phase not in RUNNING_PHASES:
                raise ChallengeRefused(
                    f"“{literal(challenge.title)}” has ended; its entries and results are final."
                )
            await conn.execute(
                "INSERT INTO removed_entries (guild_id, challenge_id, author_id, title, reason, removed_by,"
                " removed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, entry.challenge_id, entry.author_id, entry.title, reason, removed_by, now),
            )
            await conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
        return RemovedEntry(
            guild_id, entry.challenge_id, entry.author_id, entry.title, reason, removed_by, now
        )

    async def removed_entries(self, guild_id: int, author_id: int) -> list[RemovedEntry]:
        rows = await self.database.fetch_all(
            "SELECT guild_id, challenge_id, author_id, title, reason, removed_by, removed_at"
            " FROM removed_entries WHERE guild_id = ? AND author_id = ? ORDER BY removed_at DESC",
            (guild_id, author_id),
        )
        return [from_row(RemovedEntry, row) for row in rows]

    # --- votes ----------------------------------------------------------------------------------------

    async def _votable_entry(self, conn: Queries, guild_id: int, entry_id: int) -> Row:
        """The entry's author, challenge and vote cap, after checking it exists here and voting is open."""
        row = await conn.fetch_one(
            "SELECT e.author_id, e.challenge_id, c.phase, c.submission_deadline, c.voting_deadline,"
            " c.max_votes FROM entries e"
            " JOIN challenges c ON c.id = e.challenge_id AND c.guild_id = e.guild_id"
            " WHERE e.id = ? AND e.guild_id = ?",
            (entry_id, guild_id),
        )
        if row is None:
            raise VoteRefused(VoteRefusal.NOT_FOUND)
        if (
            phase_at(row["phase"], row["submission_deadline"], row["voting_deadline"], self._clock())
            != "voting"
        ):
            raise VoteRefused(VoteRefusal.OUTSIDE_WINDOW)
        return row

    async def vote(self, guild_id: int, entry_id: int, voter_id: int) -> VoteReceipt:
        """Record one vote; the receipt says how many votes the member has left in that challenge.

        The common case is one statement: an ``INSERT ... SELECT`` that checks every rule (window, self
        vote, cap, double vote) and writes in the same atomic step, so a vote costs one round trip to
        the database instead of five. Only when it writes nothing does :meth:`_vote_checked` find the reason.
        On PostgreSQL its cap check reads a snapshot a concurrent vote of the same member can make stale;
        the ``ballots`` row's CHECK then refuses the vote (the two queue on that row), and so the receipt's
        votes left can only be one too many in that race, never the cap.
        """
        arguments = {"guild": guild_id, "entry": entry_id, "voter": voter_id, "now": self._clock()}
        try:
            row = await self.database.fetch_one(_QUICK_VOTE_BY_DIALECT[self.database.dialect], arguments)
        except self.database.constraint_errors:
            row = None  # the schema refused it (over the cap by a concurrent vote): find the reason
        if row is not None:
            return VoteReceipt(row[0], entry_id, row[1])
        return await self._vote_checked(guild_id, entry_id, voter_id)

    async def _vote_checked(self, guild_id: int, entry_id: int, voter_id: int) -> VoteReceipt:
        """The vote rules one by one in a transaction: raises the first that refuses, else votes."""
        async with self.database.transaction(_voter_lock(guild_id, voter_id)) as conn:
            entry = await self._votable_entry(conn, guild_id, entry_id)
            if entry["author_id"] == voter_id:
                raise VoteRefused(VoteRefusal.SELF_VOTE)
            challenge_id, max_votes = entry["challenge_id"], entry["max_votes"]
            tally = await conn.fetch_returned(
                "SELECT count(*) AS used,"
                " coalesce(max(CASE WHEN entry_id = ? THEN 1 ELSE 0 END), 0) AS already FROM votes"
                " WHERE challenge_id = ? AND voter_id = ?",
                (entry_id, challenge_id, voter_id),
            )
            if tally["already"]:
                raise VoteRefused(VoteRefusal.DOUBLE_VOTE)
            if tally["used"] >= max_votes:
                raise VoteRefused(VoteRefusal.OVER_CAP)
            await conn.execute(
                "INSERT INTO votes (guild_id, challenge_id, entry_id, entry_author_id, voter_id, cast_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, challenge_id, entry_id, entry["author_id"], voter_id, self._clock()),
            )
            return VoteReceipt(challenge_id, entry_id, max_votes - int(tally["used"]) - 1)

    async def unvote(self, guild_id: int, entry_id: int, voter_id: int) -> VoteReceipt:
        """Take back a vote while voting is open."""
        async with self.database.transaction(_voter_lock(guild_id, voter_id)) as conn:
            entry = await self._votable_entry(conn, guild_id, entry_id)
            challenge_id = entry["challenge_id"]
            deleted = await conn.execute(
                "DELETE FROM votes WHERE entry_id = ? AND voter_id = ? AND guild_id = ?",
                (entry_id, voter_id, guild_id),
            )
            if deleted == 0:
                raise VoteRefused(VoteRefusal.NOT_VOTED)
            row = await conn.fetch_returned(
                "SELECT count(*) FROM votes WHERE challenge_id = ? AND voter_id = ?",
                (challenge_id, voter_id),
            )
            return VoteReceipt(challenge_id, entry_id, entry["max_votes"] - int(row[0]))

    async def leaderboard(self, guild_id: int, challenge_id: int) -> list[Standing]:
        """Entries by votes, most first; ties go to the earlier submission."""
        await self._one_challenge(self.database, guild_id, challenge_id)
        rows = await self.database.fetch_all(
            "SELECT id AS entry_id, author_id, title, vote_count AS votes, submitted_at FROM entries"
            " WHERE challenge_id = ? AND guild_id = ? ORDER BY vote_count DESC, submitted_at, id",
            (challenge_id, guild_id),
        )
        return [from_row(Standing, row) for row in rows]


def _voter_lock(guild_id: int, voter_id: int) -> str:
    return f"vote:{guild_id}:{voter_id}"
