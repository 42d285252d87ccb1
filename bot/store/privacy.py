"""Everything the database holds about one member, across all servers: counted, listed, and erased.

Erasing runs in one transaction (:meth:`bot.store.sql.Database.transaction`: no other coroutine's
statements can join it), so a failure leaves every row as it was. What it does
(``docs/DISCORD.md`` "Privacy" says the same for members):

- clips and jobs: deleted (another member's clip made from one of them stays, without its parent link);
- running challenges: the member's entries are deleted (other members' votes on them go too) and so are
  the member's votes; the vote-count triggers update the counts;
- ended challenges (closed or cancelled, or past the voting deadline): the results must not change, so
  the member's entries stay as "an entry by a former member" with their title and votes, but without
  their file, link, clip or note; the member's votes are deleted and the count they gave is kept in the
  entry's ``retired_votes`` (``vote_count = count(votes) + retired_votes`` stays true);
- removal notices about the member's entries: deleted; the member's own moderation (challenges they
  started, entries they removed, settings they changed) stays without their id.

Former members' entries get the author ``-entry_id`` (entries allow one entry per author and challenge,
so the stand-in id must differ per entry); other stand-ins are :data:`FORMER_MEMBER`. Discord ids are
never negative.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.requests import JazzRequest
from bot.store.sql import Database, Dialect, Queries
from model.errors import InputError

FORMER_MEMBER = -1
LISTED = 5  # newest clips and entries listed by name; the rest are counted

# A challenge whose results are final: ended by a moderator or by its voting deadline.
_ENDED = "(c.phase IN ('closed', 'cancelled') OR c.voting_deadline <= :now)"


def is_former_member(user_id: int) -> bool:
    """Whether ``user_id`` stands for a member who erased their data."""
    return user_id < 0


class ErasureRefused(InputError):
    """The member's data cannot be erased right now; the message says why and when it can."""


@dataclass(frozen=True)
class ClipLine:
    id: int
    guild_id: int | None
    summary: str
    created_at: float


@dataclass(frozen=True)
class EntryLine:
    id: int
    guild_id: int
    challenge_title: str
    title: str
    running: bool


@dataclass(frozen=True)
class MemberData:
    """What is stored about one member (counts, and the newest few clips and entries)."""

    user_id: int
    clips: int
    jobs: int
    entries_running: int
    entries_ended: int
    votes_running: int
    votes_ended: int
    removal_notices: int
    moderation_records: int  # challenges started, entries removed, settings changed
    recent_clips: tuple[ClipLine, ...]
    recent_entries: tuple[EntryLine, ...]

    @property
    def empty(self) -> bool:
        counts = (self.clips, self.jobs, self.entries_running, self.entries_ended, self.votes_running)
        more = (self.votes_ended, self.removal_notices, self.moderation_records)
        return not any(counts + more)


@dataclass(frozen=True)
class Erased:
    """What :meth:`PrivacyStore.erase` did, row counts by kind."""

    clips: int
    jobs: int
    entries_deleted: int
    entries_anonymised: int
    votes_deleted: int
    votes_retired: int  # votes in ended challenges: the rows went, their count stayed
    removal_notices: int
    moderation_records: int


class PrivacyStore:
    """Counts and erases one member's rows in one open database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def report(self, user_id: int) -> MemberData:
        args = {"user": user_id, "now": self._clock()}
        async with self._db.transaction() as conn:  # one consistent view of all the counts

            async def count(sql: str) -> int:
                return int((await conn.fetch_returned(sql, args))[0])

            clips = tuple(
                ClipLine(row[0], row[1], JazzRequest.from_dict(json.loads(row[2])).summary(), row[3])
                for row in await conn.fetch_all(
                    "SELECT id, guild_id, request, created_at FROM clips WHERE user_id = :user"
                    f" ORDER BY id DESC LIMIT {LISTED}",
                    args,
                )
            )
            entries = tuple(
                EntryLine(row[0], row[1], row[2], row[3], bool(row[4]))
                for row in await conn.fetch_all(
                    f"SELECT e.id, e.guild_id, c.title, e.title, NOT {_ENDED} FROM entries e"
                    " JOIN challenges c ON c.id = e.challenge_id WHERE e.author_id = :user"
                    f" ORDER BY e.submitted_at DESC, e.id DESC LIMIT {LISTED}",
                    args,
                )
            )
            entries_ended = await count(
                f"SELECT count(*) FROM entries e JOIN challenges c ON c.id = e.challenge_id"
                f" WHERE e.author_id = :user AND {_ENDED}"
            )
            votes_ended = await count(
                f"SELECT count(*) FROM votes v JOIN challenges c ON c.id = v.challenge_id"
                f" WHERE v.voter_id = :user AND {_ENDED}"
            )
            return MemberData(
                user_id=user_id,
                clips=await count("SELECT count(*) FROM clips WHERE user_id = :user"),
                jobs=await count("SELECT count(*) FROM jobs WHERE user_id = :user"),
                entries_running=await count("SELECT count(*) FROM entries WHERE author_id = :user")
                - entries_ended,
                entries_ended=entries_ended,
                votes_running=await count("SELECT count(*) FROM votes WHERE voter_id = :user") - votes_ended,
                votes_ended=votes_ended,
                removal_notices=await count("SELECT count(*) FROM removed_entries WHERE author_id = :user"),
                moderation_records=await count(
                    "SELECT (SELECT count(*) FROM challenges WHERE created_by = :user)"
                    " + (SELECT count(*) FROM removed_entries WHERE removed_by = :user)"
                    " + (SELECT count(*) FROM guild_settings WHERE updated_by = :user)"
                ),
                recent_clips=clips,
                recent_entries=entries,
            )

    async def erase(self, user_id: int) -> Erased:
        """Erase ``user_id``'s data as the module doc says; :class:`ErasureRefused` while one of their
        clips is still being made (its job would store the clip again)."""
        args: dict[str, object] = {"user": user_id, "now": self._clock(), "former": FORMER_MEMBER}
        async with self._db.transaction() as conn:
            return await _erase(conn, args)


# Entries change their author below while votes still name it: check those keys at COMMIT.
_DEFER_FOREIGN_KEYS: dict[Dialect, str] = {
    "sqlite": "PRAGMA defer_foreign_keys = ON",
    "postgresql": "SET CONSTRAINTS ALL DEFERRED",  # the votes -> entries (id, author) key is DEFERRABLE
}


async def _erase(conn: Queries, args: dict[str, object]) -> Erased:
    async def run(sql: str) -> int:
        return await conn.execute(sql, args)

    in_flight = await conn.fetch_returned(
        "SELECT count(*) FROM jobs WHERE user_id = :user AND state IN ('queued', 'running')", args
    )
    if in_flight[0]:
        raise ErasureRefused(
            "One of your clips is still being made; try again when it is done (a minute at most)."
        )
    await conn.execute(_DEFER_FOREIGN_KEYS[conn.dialect])
    # Votes in ended challenges: keep the count (the delete trigger takes one off, this puts it back).
    retired = await run(
        "UPDATE entries SET vote_count = vote_count + 1, retired_votes = retired_votes + 1"
        " WHERE id IN (SELECT v.entry_id FROM votes v JOIN challenges c ON c.id = v.challenge_id"
        f" WHERE v.voter_id = :user AND {_ENDED})"
    )
    votes = await run("DELETE FROM votes WHERE voter_id = :user")
    await run("DELETE FROM ballots WHERE voter_id = :user")  # the member's vote counts, now all 0
    entries_deleted = await run(
        "DELETE FROM entries WHERE author_id = :user AND challenge_id IN"
        f" (SELECT c.id FROM challenges c WHERE NOT {_ENDED})"
    )
    await run("UPDATE votes SET entry_author_id = -entry_id WHERE entry_author_id = :user")
    anonymised = await run(
        "UPDATE entries SET author_id = -id, note = '', filename = NULL,"
        " payload = CASE WHEN kind IN ('midi', 'audio') THEN substr(payload, 1, 0) END,"
        " reference = CASE kind WHEN 'clip' THEN '' WHEN 'link' THEN 'https://' END"
        " WHERE author_id = :user"
    )
    notices = await run("DELETE FROM removed_entries WHERE author_id = :user")
    records = await run("UPDATE challenges SET created_by = :former WHERE created_by = :user")
    records += await run("UPDATE removed_entries SET removed_by = :former WHERE removed_by = :user")
    records += await run("UPDATE guild_settings SET updated_by = NULL WHERE updated_by = :user")
    jobs = await run("DELETE FROM jobs WHERE user_id = :user")
    clips = await run("DELETE FROM clips WHERE user_id = :user")
    return Erased(
        clips=clips,
        jobs=jobs,
        entries_deleted=entries_deleted,
        entries_anonymised=anonymised,
        votes_deleted=votes - retired,
        votes_retired=retired,
        removal_notices=notices,
        moderation_records=records,
    )
