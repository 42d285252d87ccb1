"""The store tests run on both backends: every test that takes ``conn`` (or ``target``) runs once on a
SQLite file and once on the real PostgreSQL server that scripts/with-services.sh starts (skipped without
it), each PostgreSQL test in a fresh schema of its own, dropped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.database import DatabaseTarget, PostgresURL, open_database
from bot.store.sql import Database
from tests.bot.store.helpers import fresh_schema


@pytest.fixture
async def pg_target(postgres_url: str) -> AsyncIterator[PostgresURL]:
    """A fresh schema on the real PostgreSQL server, not yet migrated."""
    async with fresh_schema(postgres_url) as url:
        yield url


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
