"""The gateway as a health check: every shard this process runs is connected and its heartbeat answered.

discord.py sends a HEARTBEAT every ~41 s on each shard and Discord acknowledges it; the time between the
two is the shard's latency. A shard whose socket closed, or whose last acknowledgement is older than
:data:`HEARTBEAT_STALE_SECONDS`, makes the process unhealthy: its servers' commands get no answer. (discord.py
reconnects such a shard by itself; Docker only restarts the container after several failed checks in a
row, so a reconnect that works in time changes nothing.)
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

import discord

HEARTBEAT_STALE_SECONDS = 120.0
"""Three heartbeat intervals without an acknowledgement: Discord has stopped answering this shard."""


@dataclass(frozen=True)
class ShardState:
    """One shard as this process sees it."""

    shard_id: int
    connected: bool
    latency: float | None  # seconds from the last heartbeat to its ack; None before the first ack
    heartbeat_age: float | None  # seconds since the last ack; None when discord.py does not say
    guilds: int

    @property
    def stale(self) -> bool:
        return self.heartbeat_age is not None and self.heartbeat_age > HEARTBEAT_STALE_SECONDS

    def describe(self) -> str:
        state = "connected" if self.connected else "DISCONNECTED"
        latency = "no heartbeat yet" if self.latency is None else f"{self.latency * 1000:.0f} ms"
        age = "" if self.heartbeat_age is None else f", last ack {self.heartbeat_age:.0f} s ago"
        return f"shard {self.shard_id} {state}, {latency}{age}, {self.guilds} servers"


def heartbeat_age(info: discord.ShardInfo, now: float | None = None) -> float | None:
    """Seconds since the shard's last HEARTBEAT_ACK.

    discord.py keeps it only on its keep-alive thread (``KeepAliveHandler._last_ack``, a
    ``time.perf_counter`` value) with no public accessor, so this reads it there and says None when a
    discord.py update moves it (the health check then goes by the connection and latency alone);
    tests/bot/test_gateway_health.py checks it against a real ``KeepAliveHandler``."""
    websocket = getattr(info._parent, "ws", None)
    last_ack = getattr(getattr(websocket, "_keep_alive", None), "_last_ack", None)
    if not isinstance(last_ack, float):
        return None
    return max(0.0, (time.perf_counter() if now is None else now) - last_ack)


def shard_states(bot: discord.AutoShardedClient) -> list[ShardState]:
    """The shards this process runs, by id (empty until the gateway connection starts)."""
    servers = Counter(guild.shard_id for guild in bot.guilds)
    states = []
    for shard_id, info in sorted(bot.shards.items()):
        latency = info.latency
        states.append(
            ShardState(
                shard_id=shard_id,
                connected=not info.is_closed(),
                latency=latency if math.isfinite(latency) else None,
                heartbeat_age=heartbeat_age(info),
                guilds=servers[shard_id],
            )
        )
    return states


class GatewayHealth:
    """:class:`bot.services.health.HealthCheck` for the bot's gateway shards."""

    name = "gateway"

    def __init__(self, bot: discord.AutoShardedClient) -> None:
        self._bot = bot

    async def healthy(self) -> tuple[bool, str]:
        bot = self._bot
        if bot.is_closed():
            return False, "the bot has disconnected from Discord"
        states = shard_states(bot)
        if not states:
            return False, "not connected to the gateway yet"
        detail = "; ".join(state.describe() for state in states)
        if not bot.is_ready():
            return False, f"starting: {detail}"
        if any(not state.connected or state.stale for state in states):
            return False, detail
        return True, detail
