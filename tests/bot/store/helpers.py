"""What the tests on both backends (and bench.votes) share: the drivers' constraint errors, told apart by
kind, a fresh PostgreSQL schema to work in, and the mark that keeps a test on SQLite alone."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.store.database import PostgresURL

ConstraintError = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)
"""What either driver raises when the schema itself refuses a row."""

CHECK = "CHECK|check constraint"
FOREIGN_KEY = "FOREIGN KEY|foreign key"
UNIQUE = "UNIQUE|unique constraint"
"""``pytest.raises(ConstraintError, match=...)`` patterns matching SQLite's and PostgreSQL's wording."""

sqlite_only = pytest.mark.parametrize("target", ["sqlite"], indirect=True)
"""For a test whose subject no backend changes (the music, a file check before any row is written):
``target`` (tests/bot/conftest.py) takes only its SQLite value, which keeps the suite's time down."""


@asynccontextmanager
async def fresh_schema(server: str, prefix: str = "test") -> AsyncIterator[PostgresURL]:
    """A new, empty schema on ``server``, as a URL whose search path is that schema; dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield PostgresURL(f"{server}?search_path={schema}")
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()
