"""``python -m bench.privacy``: how long ``/privacy`` takes to report and to erase on a busy database.

A real SQLite file with 20,000 clips and 20,000 jobs (500 members, 40 each), an ended challenge with 500
entries and 100,000 votes (4,000 voters x 25), loaded in one transaction through the vote triggers. Then
:class:`~bot.store.privacy.PrivacyStore` reports and erases one member who made clips and an entry
(every clip deleted makes SQLite look for clips and jobs pointing at it), and one who only voted (25
votes retired). Each figure is the median of ``--runs`` fresh files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.core.requests import JazzRequest
from bot.store.privacy import PrivacyStore
from bot.store.sqlite import open_sqlite

MEMBERS, CLIPS, ENTRIES, VOTERS, VOTES_EACH = 500, 20_000, 500, 4_000, 25


async def build(path: Path) -> None:
    db = await open_sqlite(path)
    conn = db.connection  # bulk loading straight through aiosqlite
    request = json.dumps(JazzRequest(seed=1).to_dict())
    await conn.execute("BEGIN IMMEDIATE")
    await conn.executemany(
        "INSERT INTO clips (guild_id, channel_id, user_id, request, seed, progression, midi, audio,"
        " audio_format, duration, chart, created_at)"
        " VALUES (1, 1, ?, ?, 1, 'blues', x'00', x'', 'ogg', 1, '', 0)",
        [(i % MEMBERS, request) for i in range(CLIPS)],
    )
    await conn.executemany(
        "INSERT INTO jobs (kind, user_id, request, state, created_at) VALUES ('compose', ?, ?, 'done', 0)",
        [(i % MEMBERS, request) for i in range(CLIPS)],
    )
    await conn.execute(
        "INSERT INTO challenges (id, guild_id, channel_id, created_by, title, prompt, phase, created_at,"
        " submission_deadline, voting_deadline, max_votes)"
        " VALUES (1, 1, 1, 1, 't', 'p', 'closed', 0, 1, 2, 25)"
    )
    await conn.executemany(
        "INSERT INTO entries (id, guild_id, challenge_id, author_id, title, kind, reference, submitted_at)"
        " VALUES (?, 1, 1, ?, 't', 'link', 'https://example.com', 0)",
        [(i, i) for i in range(1, ENTRIES + 1)],
    )
    first_voter, spread = 1000, ENTRIES - VOTES_EACH
    votes = [
        (entry, entry, voter)
        for voter in range(first_voter, first_voter + VOTERS)
        for entry in range(1 + voter % spread, 1 + voter % spread + VOTES_EACH)
    ]
    await conn.executemany(
        "INSERT INTO votes (guild_id, challenge_id, entry_id, entry_author_id, voter_id, cast_at)"
        " VALUES (1, 1, ?, ?, ?, 0)",
        votes,
    )
    await conn.execute("COMMIT")
    await db.close()


async def once(directory: Path) -> tuple[float, float, float]:
    path = directory / "jazzbot.db"
    await build(path)
    db = await open_sqlite(path)
    store = PrivacyStore(db)
    try:
        started = time.perf_counter()
        await store.report(7)
        reported = time.perf_counter()
        await store.erase(7)
        erased = time.perf_counter()
        await store.erase(1500)
        return reported - started, erased - reported, time.perf_counter() - erased
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as directory:
            results.append(asyncio.run(once(Path(directory))))
    report, author, voter = (statistics.median(column) * 1000 for column in zip(*results, strict=True))
    print(
        f"{CLIPS} clips, {CLIPS} jobs, {VOTERS * VOTES_EACH} votes: report {report:.0f} ms; "
        f"erase a member with 40 clips and an entry {author:.0f} ms; erase a voter {voter:.0f} ms "
        f"(median of {runs})"
    )


if __name__ == "__main__":
    main()
