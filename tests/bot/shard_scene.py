"""One bot process of a sharded deployment, on simcord: run by test_shard_processes.py.

``python -m tests.bot.shard_scene``, configured like the real bot, from the environment
(``JAZZBOT_SHARDS``, ``JAZZBOT_DATABASE``...). It builds the same simulated Discord in every process: one
server per shard (fixed ids, so ``(guild_id >> 22) % count`` puts server k on shard k) with a member each,
prints ``ready`` once connected, then has each member ask ``/jazz`` in their server and prints one JSON
line: which servers this process saw, which members got a clip, and whether it synced the commands.

Each process has its own simulated Discord (simcord lives in one process), holding every server; what
Discord would send to the other processes' shards never reaches this one, which is what is tested. The
global commands are synced by the process holding shard 0; the others run with ``strict_sync=False``,
as their commands were synced by it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace

import simcord

from bot.discord.app import JazzBot
from bot.discord.gateway_health import shard_states
from bot.services.settings import load_settings
from tests.bot.discord_helpers import QUICK_BARS

SETTLE_SECONDS = 120.0  # a safety net for a broken scene, not a measurement
GUILD_IDS = [((1_000_000 + shard) << 22) | 7 for shard in range(4)]  # server k on shard k of 4


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = replace(load_settings(env_file=None), cooldown_seconds=0.0)
    plan = settings.shards
    assert plan is not None and plan.count == len(GUILD_IDS), "JAZZBOT_SHARDS must be IDS/4"
    bot = JazzBot(settings)
    env = simcord.Env(bot, settle_timeout=SETTLE_SECONDS, strict_sync=plan.global_work)
    scenes = []
    for shard, guild_id in enumerate(GUILD_IDS):
        guild = env.create_guild(f"Club {shard}", id=guild_id, shard_id=shard)
        scenes.append((guild.create_text_channel("jam"), guild.add_member(env.create_user(f"m{shard}"))))
    await env.start()
    print("ready", flush=True)
    answered = []
    for shard, (channel, member) in enumerate(scenes):
        result = await member.slash(channel, "jazz", bars=QUICK_BARS, seed=shard)
        if any(a.filename.endswith(".mid") for m in result.followups for a in m.attachments):
            answered.append(shard)
    row = await bot.services.store_db.fetch_one("SELECT count(*) FROM command_syncs")
    report = {
        "shards": [state.shard_id for state in shard_states(bot)],
        "servers": sorted(guild.name for guild in bot.guilds),
        "answered": answered,
        "synced": row[0] if row else None,
    }
    print(json.dumps(report), flush=True)
    await env.shutdown()
    await bot.close()


if __name__ == "__main__":
    asyncio.run(main())
