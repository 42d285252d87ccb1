"""``python -m bench.votes``: 2,000 concurrent votes through PostgreSQL, and what each vote and clip costs it.

    sh scripts/with-services.sh .venv/bin/python -m bench.votes        # the throwaway server's database
    .venv/bin/python -m bench.votes --database postgresql://USER@HOST:PORT/DB

Everything runs in a fresh schema (dropped afterwards) of the database given (default
``JAZZBOT_TEST_DATABASE_URL``, which scripts/with-services.sh sets).

Votes: a challenge with 200 entries in its voting phase; 200 members cast 10 votes each (their cap) plus
one vote over their cap and one again for an entry they chose: 2,400 ballots, all started at once
(``asyncio.gather``) through :meth:`bot.services.challenges.ChallengeService.vote`, the adapters' path,
over a pool of ``--pool`` connections. Checked: each member gets exactly their 10 votes acknowledged
(which of their 12 ballots lose is a race; they lose as double votes or over the cap), every
acknowledged vote is stored, nothing else is, no (entry, voter) twice, the entries' counters equal the
rows. Figures: acknowledged votes per second, latency p50/p99, statements the bot sent per vote (asyncpg's
query logger), and on the server's side (``pg_stat_database``, WAL position) transactions, rows written
and WAL bytes per vote.

Clips (``--clips N``, 0 to skip): N real clips made and recorded through :func:`open_services` on the same
database (composer, FluidSynth, ffmpeg), each marked posted as the Discord adapter does; server-side
transactions, rows written and WAL bytes per clip.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass

import asyncpg

from bench.store import _voting_challenge
from bot.core.requests import JazzRequest
from bot.services.challenges import ChallengeService
from bot.services.jazz import Requester
from bot.services.settings import Settings
from bot.services.startup import open_services
from bot.store.challenges import ChallengeStore, VoteRefusal, VoteRefused
from bot.store.clips import ClipStore
from bot.store.database import PostgresURL, open_database
from bot.store.postgres import PostgresDatabase, keep_session
from tests.bot.store.helpers import fresh_schema

GUILD = 1
ENTRIES, MEMBERS, VOTES_EACH = 200, 200, 10


@dataclass(frozen=True)
class ServerCounters:
    transactions: int  # committed, in the whole database
    rows: dict[str, int]  # rows inserted + updated + deleted, per table of the schema
    toast_rows: int  # chunks of large values (a clip's audio and MIDI) in the schema's TOAST tables
    wal_bytes: int

    def __sub__(self, other: ServerCounters) -> ServerCounters:
        return ServerCounters(
            self.transactions - other.transactions,
            {table: count - other.rows.get(table, 0) for table, count in self.rows.items()},
            self.toast_rows - other.toast_rows,
            self.wal_bytes - other.wal_bytes,
        )

    def per(self, count: int, what: str) -> str:
        tables = ", ".join(f"{table} {rows / count:.1f}" for table, rows in sorted(self.rows.items()) if rows)
        return (
            f"{self.transactions / count:.1f} transactions, rows written {tables}"
            f" (+ {self.toast_rows / count:.1f} TOAST chunks), {self.wal_bytes / count / 1024:.1f} KiB WAL"
            f" per {what}"
        )


async def server_counters(url: str) -> ServerCounters:
    """The database's cumulative counters. Call with the measured pools closed: a backend flushes its
    statistics when it exits (otherwise at most once a second)."""
    await asyncio.sleep(0.5)
    conn = await asyncpg.connect(url)
    try:
        database = await conn.fetchrow(
            "SELECT xact_commit, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal"
            " FROM pg_stat_database WHERE datname = current_database()"
        )
        tables = await conn.fetch(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS written FROM pg_stat_user_tables"
            " WHERE schemaname = current_schema()"
        )
        toast = await conn.fetchval(
            "SELECT coalesce(sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del), 0) FROM pg_stat_all_tables s"
            " JOIN pg_class c ON c.reltoastrelid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema()"
        )
    finally:
        await conn.close()
    assert database is not None
    rows = {str(row["relname"]): int(row["written"]) for row in tables}
    return ServerCounters(int(database["xact_commit"]), rows, int(toast), int(database["wal"]))


async def bench_votes(url: PostgresURL, pool_size: int) -> None:
    await (await open_database(url)).close()  # migrate
    statements = 0

    def count(_record: object) -> None:
        nonlocal statements
        statements += 1

    async def log_queries(conn: asyncpg.Connection[asyncpg.Record]) -> None:
        conn.add_query_logger(count)

    pool: asyncpg.Pool[asyncpg.Record] = await asyncpg.create_pool(
        url.url, min_size=pool_size, max_size=pool_size, init=log_queries, reset=keep_session
    )
    db = PostgresDatabase(pool, str(url))
    _, ids, clock = await _voting_challenge(db, ENTRIES, VOTES_EACH)
    ballots: list[tuple[int, int]] = []
    for member in range(10_000, 10_000 + MEMBERS):  # 11 entries and one of them twice: 2 must be refused
        chosen = random.Random(member).sample(ids, VOTES_EACH + 1)
        ballots += [(member, entry) for entry in chosen] + [(member, chosen[0])]
    random.Random(0).shuffle(ballots)
    await pool.close()
    before = await server_counters(url.url)

    pool = await asyncpg.create_pool(
        url.url, min_size=pool_size, max_size=pool_size, init=log_queries, reset=keep_session
    )
    db = PostgresDatabase(pool, str(url))
    service = ChallengeService(ChallengeStore(db, clock), ClipStore(db, clock), Settings(), clock)
    statements = 0
    latencies: list[float] = []

    async def cast(member: int, entry: int) -> VoteRefusal | None:
        began = time.perf_counter()
        try:
            await service.vote(GUILD, member, entry)
        except VoteRefused as refused:
            return refused.reason
        latencies.append(time.perf_counter() - began)
        return None

    began = time.perf_counter()
    outcomes = await asyncio.gather(*(cast(member, entry) for member, entry in ballots))
    wall = time.perf_counter() - began
    sent = statements
    await pool.close()
    used = await server_counters(url.url) - before

    acknowledged = [
        (entry, member) for (member, entry), refusal in zip(ballots, outcomes, strict=True) if not refusal
    ]
    check = await open_database(url)
    try:
        stored = [(row[0], row[1]) for row in await check.fetch_all("SELECT entry_id, voter_id FROM votes")]
        counted = await check.fetch_returned("SELECT sum(vote_count) FROM entries")
    finally:
        await check.close()
    cast_votes = MEMBERS * VOTES_EACH
    assert len(acknowledged) == len(set(acknowledged)) == cast_votes  # each member: exactly their cap
    assert sorted(stored) == sorted(acknowledged)  # every acknowledged vote stored, nothing else, none twice
    assert int(counted[0]) == cast_votes  # the counters the leaderboard reads agree
    refusals = [refusal for refusal in outcomes if refusal]
    assert set(refusals) <= {VoteRefusal.DOUBLE_VOTE, VoteRefusal.OVER_CAP}
    latencies.sort()
    print(
        f"votes: {cast_votes} of {len(ballots)} ballots acknowledged ({len(ballots) - cast_votes} refused as"
        f" they should be), all stored, none twice; pool of {pool_size}; {wall:.2f} s ="
        f" {cast_votes / wall:,.0f} votes/s; latency p50 {statistics.median(latencies) * 1e3:.0f} ms,"
        f" p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.0f} ms"
    )
    print(f"  bot -> server: {sent / len(ballots):.1f} statements per ballot ({sent} for {len(ballots)})")
    print(f"  server: {used.per(cast_votes, 'acknowledged vote')}")


async def bench_clips(url: PostgresURL, clips: int) -> None:
    settings = Settings(database=url, workers=1, cooldown_seconds=0.0, per_user_limit=clips)
    warm = await open_services(settings)  # migrations, and the guild's first rows, outside the measure
    try:
        await warm.jazz.compose(Requester(1, "warm-up", GUILD, 2), JazzRequest(bars=2, seed=1))
    finally:
        await warm.close()
    before = await server_counters(url.url)
    services = await open_services(settings)
    try:
        began = time.perf_counter()
        for n in range(clips):
            requester = Requester(100 + n, "m", GUILD, 2)
            stored, _ = await services.jazz.compose(requester, JazzRequest(bars=2, seed=n))
            await services.jazz.posted(stored.id, 900_000 + n)  # what the Discord adapter does after posting
        wall = time.perf_counter() - began
    finally:
        await services.close()
    used = await server_counters(url.url) - before
    print(f"clips: {clips} made, stored and marked posted in {wall:.1f} s")
    print(f"  server: {used.per(clips, 'clip')}")


async def main(server: str, pool_size: int, clips: int) -> None:
    async with fresh_schema(server, "bench") as url:
        await bench_votes(url, pool_size)
    if clips:
        async with fresh_schema(server, "bench") as url:
            await bench_clips(url, clips)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default=os.environ.get("JAZZBOT_TEST_DATABASE_URL"), help="postgresql://..."
    )
    parser.add_argument("--pool", type=int, default=10, help="connections in the bot's pool")
    parser.add_argument("--clips", type=int, default=20, help="clips to make and record (0: skip)")
    args = parser.parse_args()
    if not args.database:
        parser.error("no database: pass --database postgresql://... or run through scripts/with-services.sh")
    asyncio.run(main(args.database, args.pool, args.clips))


if __name__ == "__main__":
    cli()
