"""Leases on both backends: one holder at a time, takeover after expiry, and a race between separate
connections (as separate processes would hold) that exactly one wins."""

from __future__ import annotations

import asyncio

from bot.store.database import DatabaseTarget, open_database
from bot.store.leases import LeaseStore, process_owner
from bot.store.sql import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_one_holder_until_it_releases_or_its_lease_expires(conn: Database) -> None:
    clock = Clock()
    leases = LeaseStore(conn, clock)
    assert await leases.acquire("deadline:1", "a", 30)
    assert not await leases.acquire("deadline:1", "b", 30)  # held
    assert await leases.acquire("deadline:2", "b", 30)  # another name is another lease
    assert await leases.acquire("deadline:1", "a", 30)  # the holder may take it again (a renewal)
    assert await leases.holder("deadline:1") == "a"

    clock.now += 29
    assert await leases.renew("deadline:1", "a", 30)  # now good until +59
    clock.now += 29
    assert not await leases.acquire("deadline:1", "b", 30)
    clock.now += 1  # expired: a holder that died stops blocking anyone
    assert await leases.holder("deadline:1") is None
    assert not await leases.renew("deadline:1", "a", 30)
    assert await leases.acquire("deadline:1", "b", 30)
    assert not await leases.renew("deadline:1", "a", 30)  # taken over: the old holder cannot renew
    await leases.release("deadline:1", "a")  # nor release someone else's lease
    assert await leases.holder("deadline:1") == "b"
    await leases.release("deadline:1", "b")
    assert await leases.acquire("deadline:1", "c", 30)


async def test_held_renews_while_the_block_runs_and_releases_after(conn: Database) -> None:
    leases = LeaseStore(conn)  # the real clock: the block outlives the lease's first expiry
    async with leases.held("long-post", "a", 0.3) as mine:
        assert mine
        await asyncio.sleep(0.5)
        assert await leases.holder("long-post") == "a"
        async with leases.held("long-post", "b", 0.3) as theirs:
            assert not theirs
    assert await leases.holder("long-post") is None


async def test_twenty_connections_racing_for_one_lease_give_exactly_one_holder(
    conn: Database, target: DatabaseTarget
) -> None:
    racers = [await open_database(target) for _ in range(20)]
    try:
        owners = [process_owner() for _ in racers]
        for round_ in range(5):
            name = f"results:{round_}"
            won = await asyncio.gather(
                *(LeaseStore(db).acquire(name, owner, 60) for db, owner in zip(racers, owners, strict=True))
            )
            assert sum(won) == 1
            assert await LeaseStore(conn).holder(name) == owners[won.index(True)]
    finally:
        for db in racers:
            await db.close()
