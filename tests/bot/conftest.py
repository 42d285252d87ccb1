"""Fixtures shared by the bot's tests: a renderer, a settable clock, a migrated database and simcord bots.

Every test that takes ``conn``, ``services`` or ``console`` (or ``target``) runs on both backends: once on
a SQLite file and once on the real PostgreSQL server that scripts/with-services.sh starts (skipped
without it), each PostgreSQL test in a fresh schema of its own, dropped afterwards. A module about
something else than storage (the music, say) is marked ``sqlite_only`` (tests/bot/store/helpers.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.audio.render import Renderer
from bot.console.app import Console
from bot.discord.app import JazzBot
from bot.services.settings import Settings
from bot.services.startup import Services, open_services
from bot.store.database import DatabaseTarget, open_database
from bot.store.sql import Database
from tests.bot.challenge_helpers import Clock
from tests.bot.discord_helpers import Bots, quick_settings
from tests.bot.store.helpers import fresh_schema

SETTLE_SECONDS = 60.0
"""How long simcord waits for the bot to finish what an event started. Its default (5 s) is shorter than
two clips made one after the other on a shared, loaded 2-core machine; a bot that really hangs still fails."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every simcord test the longer settle timeout unless it sets its own."""
    for item in items:
        if item.get_closest_marker("simcord") is None:
            item.add_marker(pytest.mark.simcord(settle_timeout=SETTLE_SECONDS))


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    """A FluidSynth renderer with the soundfont loaded, shared by one module's tests."""
    renderer = Renderer()
    yield renderer
    renderer.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    """Where a test's database lives: a SQLite file, or a PostgreSQL URL whose search path is a new schema."""
    if request.param == "sqlite":
        yield tmp_path / "jazzbot.sqlite3"
        return
    async with fresh_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
async def conn(target: DatabaseTarget) -> AsyncIterator[Database]:
    """A migrated database on either backend."""
    database = await open_database(target)
    yield database
    await database.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def bot_database(tmp_path: Path) -> DatabaseTarget:
    """The simcord bots' database: a SQLite file. A module whose flows differ by backend (challenges,
    privacy) overrides it with ``target`` to run each test on both."""
    return tmp_path / "jazzbot.db"


@pytest.fixture
async def bots(
    tmp_path: Path, bot_database: DatabaseTarget, settings_overrides: dict[str, Any]
) -> AsyncIterator[Bots]:
    made = Bots(quick_settings(tmp_path, **{"database": bot_database, **settings_overrides}))
    yield made
    await made.close()


@pytest.fixture
def simcord_bot(bots: Bots) -> JazzBot:
    return bots.new()


@pytest.fixture
def scene(simcord_env: Any) -> tuple[Any, Any, Any]:
    """A guild's #jam channel with two members, alice and bob."""
    guild = simcord_env.create_guild("Jazz Club")
    channel = guild.create_text_channel("jam")
    alice = guild.add_member(simcord_env.create_user("alice"))
    bob = guild.add_member(simcord_env.create_user("bob"))
    return channel, alice, bob


@pytest.fixture
async def services(target: DatabaseTarget, tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    """Services on a fresh database (either backend) with one worker and no cooldown."""
    settings = Settings(database=target, workers=1, cooldown_seconds=0.0, out_dir=tmp_path / "out")
    opened = await open_services(settings, clock=clock)
    yield opened
    await opened.close()


@pytest.fixture
def console(services: Services, tmp_path: Path) -> Console:
    """A console over :func:`services`, writing clips under ``tmp_path``."""
    return Console(services, tmp_path / "out")
