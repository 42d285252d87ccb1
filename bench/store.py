"""``python -m bench.store``: challenge votes per second and leaderboard time on a real SQLite file.

Votes: 50 concurrent voters (coroutines, as the bot's event loop runs them) cast ballots through
:meth:`bot.services.challenges.ChallengeService.vote` — every check and constraint of the real path, each vote
its own committed ``BEGIN IMMEDIATE`` transaction — until all ballots are acknowledged. Members vote up
to their cap (10) on a 200-entry challenge. Figures: acknowledged votes per second of wall time, and
the per-vote latency as each voter saw it.

Leaderboard: a challenge with 1,000 entries and 100,000 votes (4,000 members x 25 votes, loaded in one
transaction through the same triggers), then :meth:`ChallengeService.leaderboard` repeatedly; for
comparison the v1 query that counted votes per entry with a join.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bot.services.challenges import ChallengeService
from bot.services.settings import Settings
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.sql import Database
from bot.store.sqlite import open_sqlite

GUILD, CHANNEL, MODERATOR = 1, 2, 3
SETUP_HOURS_AGO = 2.0


class _SettableClock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


async def _voting_challenge(
    conn: Database, entries: int, max_votes: int
) -> tuple[ChallengeService, list[int], _SettableClock]:
    """A service whose challenge is in its voting phase with ``entries`` link entries."""
    clock = _SettableClock(time.time() - SETUP_HOURS_AGO * 3600)
    service = ChallengeService(ChallengeStore(conn, clock), ClipStore(conn, clock), Settings(), clock)
    await service.start(
        GUILD, CHANNEL, MODERATOR, is_moderator=True, title="Bench", prompt="p", submit_by="1h", vote_by="7d",
        max_votes=max_votes,
    )  # fmt: skip
    ids = [
        (await service.submit_link(GUILD, author, f"https://example.com/{author}", f"Entry {author}")).id
        for author in range(1, entries + 1)
    ]
    clock.at = time.time()  # now past the submission deadline: voting
    return service, ids, clock


async def bench_votes(path: Path, voters: int, members: int, votes_each: int, entries: int) -> None:
    conn = await open_sqlite(path)
    service, ids, _ = await _voting_challenge(conn, entries, votes_each)
    ballots: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for member in range(10_000, 10_000 + members):
        for entry in random.Random(member).sample(ids, votes_each):
            ballots.put_nowait((member, entry))
    total = ballots.qsize()
    latencies: list[float] = []

    async def voter() -> None:
        while not ballots.empty():
            member, entry = ballots.get_nowait()
            began = time.perf_counter()
            await service.vote(GUILD, member, entry)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(voter() for _ in range(voters)))
    wall = time.perf_counter() - began
    board = await service.leaderboard(GUILD)
    assert sum(s.votes for s in board.standings) == total == len(latencies)
    latencies.sort()
    print(
        f"votes: {total} acknowledged by {voters} concurrent voters in {wall:.2f} s"
        f" = {total / wall:,.0f} votes/s; "
        f"latency p50 {statistics.median(latencies) * 1e3:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.1f} ms"
    )
    await conn.close()


async def bench_leaderboard(path: Path, entries: int, members: int, votes_each: int, repeats: int) -> None:
    conn = await open_sqlite(path)
    service, ids, clock = await _voting_challenge(conn, entries, votes_each)
    challenge = await service.challenge(GUILD)
    authors = {entry_id: author for author, entry_id in enumerate(ids, 1)}
    rows = [
        (GUILD, challenge.id, entry, authors[entry], member, clock.at)
        for member in range(10_000, 10_000 + members)
        for entry in random.Random(member).sample(ids, votes_each)
    ]
    began = time.perf_counter()
    raw = conn.connection  # bulk loading straight through aiosqlite
    await raw.execute("BEGIN IMMEDIATE")
    await raw.executemany("INSERT INTO votes VALUES (?, ?, ?, ?, ?, ?)", rows)
    await raw.execute("COMMIT")
    print(f"loaded {len(rows):,} votes on {entries:,} entries in {time.perf_counter() - began:.1f} s")

    def timed_ms(samples: list[float]) -> str:
        samples.sort()
        p95 = samples[int(len(samples) * 0.95)]
        return f"p50 {statistics.median(samples) * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms"

    ours: list[float] = []
    for _ in range(repeats):
        began = time.perf_counter()
        board = await service.leaderboard(GUILD)
        ours.append(time.perf_counter() - began)
    assert len(board.standings) == entries and sum(s.votes for s in board.standings) == len(rows)

    counted: list[float] = []
    for _ in range(max(5, repeats // 10)):
        began = time.perf_counter()
        await conn.fetch_all(
            "SELECT e.id, count(v.voter_id) AS votes FROM entries e LEFT JOIN votes v ON v.entry_id = e.id"
            " WHERE e.challenge_id = ? AND e.guild_id = ?"
            " GROUP BY e.id ORDER BY votes DESC, e.submitted_at, e.id",
            (challenge.id, GUILD),
        )
        counted.append(time.perf_counter() - began)
    print(f"leaderboard ({entries:,} entries, {len(rows):,} votes): {timed_ms(ours)}")
    print(f"  v1 query counting votes with a join: {timed_ms(counted)}")
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=50, help="concurrent voters")
    parser.add_argument("--members", type=int, default=2000, help="members casting ballots")
    parser.add_argument("--repeats", type=int, default=200, help="leaderboard queries timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(bench_votes(Path(scratch) / "votes.db", args.voters, args.members, 10, 200))
        asyncio.run(bench_leaderboard(Path(scratch) / "board.db", 1000, 4000, 25, args.repeats))


if __name__ == "__main__":
    main()
