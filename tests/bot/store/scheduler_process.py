"""One bot process's deadline task, alone, for the lease tests in test_challenge_scheduler.py.

    python -m tests.bot.store.scheduler_process TARGET OFFSET LEASE_SECONDS START_AT MODE LOG

runs one pass of the scheduler at Unix time START_AT on the database TARGET (a file path or a URL), with
its clock OFFSET seconds ahead of the real one. Its announcer appends ``PID started ID`` and, after
0.2 s (MODE ``post``) or never (MODE ``hang``: it waits to be killed), ``PID posted ID`` to LOG.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from bot.services.challenge_scheduler import ChallengeScheduler
from bot.services.challenges import ChallengeService, Results
from bot.services.settings import Settings
from bot.store.challenges import Challenge, ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import database_target, open_database


class FileAnnouncer:
    def __init__(self, log: Path, hang: bool) -> None:
        self._log = log
        self._hang = hang

    def _write(self, line: str) -> None:
        with self._log.open("a") as out:  # one short append: whole lines from concurrent processes
            out.write(f"{os.getpid()} {line}\n")

    async def voting_opened(self, challenge: Challenge) -> None:
        raise AssertionError("only results are owed in these tests")

    async def results(self, results: Results) -> None:
        self._write(f"started {results.challenge.id}")
        await asyncio.sleep(3600 if self._hang else 0.2)
        self._write(f"posted {results.challenge.id}")


async def main(target: str, offset: float, lease: float, start_at: float, mode: str, log: Path) -> None:
    def clock() -> float:
        return time.time() + offset

    db = await open_database(database_target(target))
    try:
        service = ChallengeService(ChallengeStore(db, clock), ClipStore(db, clock), Settings(), clock)
        scheduler = ChallengeScheduler(
            service, FileAnnouncer(log, mode == "hang"), clock=clock, lease_seconds=lease
        )
        await asyncio.sleep(max(0.0, start_at - time.time()))
        await scheduler.run_due()
    finally:
        await db.close()


if __name__ == "__main__":
    target, offset, lease, start_at, mode, log = sys.argv[1:7]
    asyncio.run(main(target, float(offset), float(lease), float(start_at), mode, Path(log)))
