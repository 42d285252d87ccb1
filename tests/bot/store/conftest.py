"""The store tests run on both backends through ``target`` and ``conn`` (tests/bot/conftest.py); a few
are about PostgreSQL alone and take ``pg_target``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store.database import PostgresURL
from tests.bot.store.helpers import fresh_schema


@pytest.fixture
async def pg_target(postgres_url: str) -> AsyncIterator[PostgresURL]:
    """A fresh schema on the real PostgreSQL server, not yet migrated."""
    async with fresh_schema(postgres_url) as url:
        yield url
