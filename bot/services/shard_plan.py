"""Which Discord gateway shards this process runs: ``JAZZBOT_SHARDS``, e.g. ``0-3/16`` or ``0,2/4``.

Discord sends each server's events (and its members' commands and button presses) down exactly one
shard: ``(guild_id >> 22) % shard_count``. Direct messages go to shard 0. So a bot split across processes
by shard ids needs no coordination for interactions: each process answers its own servers. What is done
once for the whole bot (syncing the slash commands) is done by the process holding shard 0.

Unset, one process runs every shard, as many as Discord recommends (``GET /gateway/bot``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SHARDS = 65_536  # far past any bot's need (Discord asks for about one shard per 1,000 servers)
IDENTIFY_SECONDS = 5.0
"""Discord lets a bot start (IDENTIFY) one session per 5 s per ``max_concurrency`` bucket, across all
of its processes; discord.py spaces the shards of one process this far apart."""

_PLAN = re.compile(r"(?P<ids>[0-9,\-\s]+)/(?P<count>[0-9]+)")
_EXAMPLES = "like 0-3/16 (shards 0 to 3 of 16), 0,2/4 or 5/8"


class ShardPlanError(ValueError):
    """A malformed ``JAZZBOT_SHARDS`` value; the message names the setting and the accepted forms."""


@dataclass(frozen=True)
class ShardPlan:
    """Shards ``ids`` (sorted, distinct) of ``count`` run in this process."""

    ids: tuple[int, ...]
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS:
            raise ShardPlanError(f"a shard count must be from 1 to {MAX_SHARDS}, not {self.count}")
        if not self.ids or list(self.ids) != sorted(set(self.ids)):
            raise ShardPlanError(f"shard ids must be distinct and sorted: {self.ids}")
        if self.ids[-1] >= self.count:
            raise ShardPlanError(f"shard id {self.ids[-1]} is not below the shard count {self.count}")

    @property
    def global_work(self) -> bool:
        """True in the one process that does what is done once for the whole bot (command sync)."""
        return self.ids[0] == 0

    def shard_of(self, guild_id: int | None) -> int:
        """The shard Discord sends a server's events to; direct messages (None) go to shard 0."""
        return 0 if guild_id is None else (guild_id >> 22) % self.count

    def owns(self, guild_id: int | None) -> bool:
        return self.shard_of(guild_id) in self.ids

    def first_identify_delay(self) -> float:
        """Seconds this process waits before its first IDENTIFY so that processes started together
        (``docker compose up``) identify one shard every :data:`IDENTIFY_SECONDS`, in shard order, as one
        process would: shard ``k`` starts about ``5 k`` s in. (Discord's ``max_concurrency`` is 1 below
        150,000 servers; a bigger bot would divide by it.)"""
        return IDENTIFY_SECONDS * self.ids[0]

    def describe(self) -> str:
        """``0-3/16``: runs of consecutive ids as ranges."""
        runs: list[list[int]] = []
        for shard in self.ids:
            if runs and shard == runs[-1][-1] + 1:
                runs[-1].append(shard)
            else:
                runs.append([shard])
        ids = ",".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
        return f"{ids}/{self.count}"


def parse_shard_plan(name: str, raw: str) -> ShardPlan:
    """``IDS/COUNT``, where IDS is ids and ranges separated by commas: ``0-3/16``, ``0,2/4``, ``5/8``.

    Raises :class:`ShardPlanError` naming ``name`` and what would work."""
    text = raw.strip()
    match = _PLAN.fullmatch(text.replace(" ", ""))
    if match is None:
        raise ShardPlanError(f"{name}={raw!r}: must be shard ids, a slash and the shard count, {_EXAMPLES}.")
    count = int(match["count"])
    ids: list[int] = []
    for part in match["ids"].split(","):
        low, dash, high = part.partition("-")
        if not low.isdecimal() or (dash and not high.isdecimal()):
            raise ShardPlanError(f"{name}={raw!r}: {part!r} is not a shard id or a range, {_EXAMPLES}.")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ShardPlanError(f"{name}={raw!r}: the range {part} runs backwards; write {last}-{first}.")
        ids.extend(range(first, last + 1))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardPlanError(f"{name}={raw!r}: the shard count after the slash must be 1 to {MAX_SHARDS}.")
    if len(set(ids)) != len(ids):
        raise ShardPlanError(f"{name}={raw!r}: a shard id is listed twice.")
    if max(ids) >= count:
        raise ShardPlanError(
            f"{name}={raw!r}: shard ids run from 0 to {count - 1} when there are {count} shards."
        )
    return ShardPlan(tuple(sorted(ids)), count)
