"""The real Discord bot in its own process, on simcord, with many clips in flight: run by test_shutdown.py.

``python -m tests.bot.process_scene DATABASE COUNT MODE``: a guild with COUNT members, each asking
``/jazz`` at the same moment, on a bot with 2 workers and the production signal handling
(:func:`bot.discord.app.stop_on_signals`). Once every request is admitted it prints ``ready`` and waits:

- ``drain``: the test sends SIGTERM; when the bot has closed, this prints one JSON line with what each
  member saw (clips posted, private notices) and exits.
- ``kill``: the first clip upload kills the process (SIGKILL, as the OOM killer or ``docker kill`` would)
  before the upload leaves; the test then restarts a bot on the same database.

simcord runs one operation at a time and each waits for the bot to settle, so the COUNT interactions are
emitted with its settling switched off (:func:`emit_all`): that is how a busy server delivers them, all
before the first is answered.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import simcord

from bot.discord.app import JazzBot, stop_on_signals
from tests.bot.discord_helpers import QUICK_BARS, quick_settings, until

SETTLE_SECONDS = 120.0  # a safety net for a broken scene, not a measurement


async def emit_all(env: simcord.Env, requests: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run simcord actions without waiting for the bot after each one: their interactions are all
    delivered before the bot answers the first."""

    async def no_settling(**_options: Any) -> None:
        return None

    settle = env._settle_internal
    env._settle_internal = no_settling  # type: ignore[method-assign]  # see the module doc
    try:
        return [await request() for request in requests]
    finally:
        env._settle_internal = settle  # type: ignore[method-assign]


def kill_at_first_upload() -> None:
    """Fault injection: the first message with files kills this process before it is sent."""
    send = discord.Webhook.send

    async def send_or_die(self: discord.Webhook, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("files"):
            os.kill(os.getpid(), signal.SIGKILL)
        return await send(self, *args, **kwargs)

    discord.Webhook.send = send_or_die  # type: ignore[method-assign]  # fault injection


async def ask(member: Any, channel: Any) -> Any:
    return await member.slash(channel, "jazz", bars=QUICK_BARS, seed=member.id % 1000)


def seen(result: Any) -> dict[str, Any]:
    """What a member saw for one request: the clips posted to them and the private notices."""
    followups = result.followups
    return {
        "clips": [m.content for m in followups if any(a.filename.endswith(".mid") for a in m.attachments)],
        "notices": [m.content for m in followups if m.ephemeral],
        "placeholder": result.response.content if result.response is not None else None,
    }


async def main(database: Path, count: int, mode: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = quick_settings(
        database.parent, database=database, workers=2, queue_size=count, shutdown_seconds=60.0
    )
    if mode == "kill":
        kill_at_first_upload()
    bot = JazzBot(settings)
    env = simcord.Env(bot, settle_timeout=SETTLE_SECONDS)
    guild = env.create_guild("Jazz Club")
    channel = guild.create_text_channel("jam")
    members = [guild.add_member(env.create_user(f"member{n}")) for n in range(count)]
    await env.start()
    stop_on_signals(bot)
    print(json.dumps({"members": {m.name: m.id for m in members}, "application": bot.application_id}))
    results = await emit_all(env, [functools.partial(ask, member, channel) for member in members])
    queue = bot.services.queue
    await until(lambda: queue.running + queue.waiting == count, timeout=SETTLE_SECONDS)
    print("ready", flush=True)
    await until(bot.is_closed, timeout=SETTLE_SECONDS)
    print(json.dumps({m.name: seen(r) for m, r in zip(members, results, strict=True)}), flush=True)
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
