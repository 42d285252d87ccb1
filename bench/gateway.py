"""``python -m bench.gateway``: what one server costs a gateway process, on simcord (real discord.py cache).

A server like a typical community's (a category, 20 text and 3 voice channels, 15 roles, 10 emojis) is
made N times in simcord's simulated Discord, then a bare ``AutoShardedBot`` with jazzbot's intents (the
defaults: no members, presences or message content) connects and receives every GUILD_CREATE. The
resident memory it adds, divided by N, is what a server costs the gateway; the time from connecting to
ready, what a shard's start costs per server. (simcord's own copy of the servers is made, and measured,
before the bot connects, so it is not counted.) Members are not cached without the members intent, so a
server's member count does not change this figure.

Then the cost of one chat message in a server the bot is in, with the intents that subscribe to them:
a real MESSAGE_CREATE payload (taken from simcord's gateway) decoded from JSON and handed to
discord.py's parser, the work a gateway process does for each message its servers' members write.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import discord
import simcord
from discord.ext import commands

TEXT_CHANNELS, VOICE_CHANNELS, ROLES, EMOJIS = 20, 3, 15, 10


def rss_bytes() -> int:
    """This process's resident set now (``/proc/self/statm``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


def make_servers(env: simcord.Env, count: int) -> None:
    for n in range(count):
        guild = env.create_guild(f"Server {n}")
        category = guild.create_category("Music")
        for c in range(TEXT_CHANNELS):
            guild.create_text_channel(f"chat-{c}", category=category)
        for c in range(VOICE_CHANNELS):
            guild.create_voice_channel(f"voice-{c}")
        for r in range(ROLES):
            guild.create_role(f"role-{r}")
        for e in range(EMOJIS):
            guild.create_emoji(f"emoji_{e}")


async def measure(count: int) -> tuple[float, float]:
    """(bytes per server in the bot's cache, seconds from connecting to ready per server)."""
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned, intents=discord.Intents.default(), shard_count=1
    )
    env = simcord.Env(bot, settle_timeout=600.0)
    make_servers(env, count)
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    await env.start()
    took = time.perf_counter() - started
    assert len(bot.guilds) == count
    gc.collect()
    added = rss_bytes() - before
    await env.shutdown()
    await bot.close()
    return added / count, took / count


async def message_cost(messages: int) -> float:
    """Seconds of CPU per MESSAGE_CREATE in discord.py (JSON decode + parse + cache + dispatch)."""
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned, intents=discord.Intents.default(), shard_count=1
    )
    env = simcord.Env(bot, settle_timeout=60.0)
    make_servers(env, 1)
    guild = env.guild
    channel = guild.channels["chat-0"]
    member = guild.add_member(env.create_user("talker"))
    await env.start()
    await member.send(channel, "anyone up for a jam in Bb tonight? bring your horn " * 2)
    [payload] = [entry[2] for entry in env.backend.transcript if entry[:2] == ("GATEWAY", "MESSAGE_CREATE")]
    raw = json.dumps(payload)
    parse = bot._connection.parsers["MESSAGE_CREATE"]
    started = time.process_time()
    for _ in range(messages):
        parse(json.loads(raw))
    spent = time.process_time() - started
    await env.shutdown()
    await bot.close()
    return spent / messages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=2000, help="servers the bot receives")
    parser.add_argument("--messages", type=int, default=20000, help="chat messages parsed")
    args = parser.parse_args(argv)
    per_message = asyncio.run(message_cost(args.messages))
    print(f"one chat message (MESSAGE_CREATE, default intents): {per_message * 1e6:.0f} µs of CPU")
    per_server, seconds = asyncio.run(measure(args.servers))
    print(
        f"{args.servers} servers ({TEXT_CHANNELS} text + {VOICE_CHANNELS} voice channels, {ROLES} roles, "
        f"{EMOJIS} emojis each): {per_server / 1024:.1f} KiB per server in the gateway's cache, "
        f"{seconds * 1000:.2f} ms per server from connecting to ready"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
