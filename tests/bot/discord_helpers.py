"""Shared set-up for the Discord tests: real bots on a real SQLite file, driven offline by simcord.

The fixtures built on these (``bots``, ``simcord_bot``, ``scene``) are in ``tests/bot/conftest.py``.
Every bot a test starts (a restart makes a new one on the same database) is recorded in :class:`Bots`
and closed at teardown, which finishes its jobs and closes its database. A test changes the settings by
parametrizing ``settings_overrides``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.core.requests import JazzRequest
from bot.discord.app import JazzBot
from bot.services.jazz import Requester
from bot.services.settings import Settings
from bot.services.shard_plan import ShardPlan

QUICK_BARS = 4  # clips in these tests are short: the flow is under test, not the music


def quick_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test bot: its own database, two workers, no cooldown unless asked for, and one
    shard (simcord has no ``GET /gateway/bot`` to ask Discord for a count)."""
    base = Settings(
        database=tmp_path / "jazzbot.db",
        workers=2,
        queue_size=4,
        per_user_limit=2,
        cooldown_seconds=0.0,
        out_dir=tmp_path / "out",
        shards=ShardPlan((0,), 1),
    )
    return replace(base, **overrides)


class Bots:
    """Makes the test's bots (all on the same settings and database) and closes them at the end."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.made: list[JazzBot] = []

    def new(self, **overrides: Any) -> JazzBot:
        """A bot on the test's settings, with ``overrides`` (e.g. another soundfont) applied."""
        bot = JazzBot(replace(self.settings, **overrides))
        self.made.append(bot)
        return bot

    async def close(self) -> None:
        for bot in self.made:
            await bot.close()


def embed_fields(message: Any) -> dict[str, str]:
    """The clip embed's fields by name."""
    return {field.name: field.value for field in message.embeds[0].fields}


def button_labels(message: Any) -> list[str]:
    return [button["label"] for row in message.components for button in row["components"]]


def background_clip(bot: JazzBot, user_id: int, scene: Any, bars: int = 16) -> asyncio.Task[Any]:
    """A clip someone else asked for (the console, another channel), running while the test acts;
    ``bars`` makes it long enough to still be in flight when the test's user asks."""
    channel, alice, _ = scene
    who = Requester(user_id, f"user {user_id}", alice.guild.id, channel.id)
    return asyncio.create_task(bot.services.jazz.compose(who, JazzRequest(bars=bars)))


def interaction_token(http_requests: list[Any]) -> str:
    """The token of the interaction whose acknowledgement is the first of ``http_requests``."""
    first = http_requests[0]
    assert first.path.startswith("/interactions/") and first.path.endswith("/callback")
    return str(first.path.split("/")[3])


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Yield to the loop until ``condition`` holds (the bound only stops a broken test hanging)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)
