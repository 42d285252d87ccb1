"""The PostgreSQL backend (``JAZZBOT_DATABASE=postgresql://...``), on asyncpg.

asyncpg rather than psycopg 3: it is asyncio-native with a built-in connection pool, speaks the binary
protocol and caches prepared statements per connection (little CPU per vote in the bot's event loop), and
its ``Record`` reads by name and by position like ``aiosqlite.Row``, so the stores' row code stays one.
Its types come from ``asyncpg-stubs``. (psycopg 3 would have been the choice for a sync API or libpq
features such as service files; jazzbot needs neither.)

A :class:`PostgresDatabase` is a pool: each statement borrows a connection, each transaction holds one
until it ends, so transactions from one process run side by side (unlike SQLite's one writer). Checks that
must see a stable state take advisory locks (:meth:`PostgresDatabase.transaction`).

Migrations live in ``bot/store/migrations/postgresql/NNNN_name.sql``, numbered like SQLite's (version N
means the same schema on both). A ``schema_version`` table lists the versions applied; at open, under a
session advisory lock (so two processes starting together never both migrate), each newer file runs in
its own transaction together with its row in ``schema_version``.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import asyncpg

from bot.store.database import DEFAULT_POOL_SIZE
from bot.store.sql import Database, Dialect, Parameters, Queries, Row, check_not_newer, list_migrations

MIGRATIONS_DIR = Path(__file__).parent / "migrations" / "postgresql"
CONNECT_TIMEOUT = 10.0
_TOKENS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|::|\?|:([A-Za-z_]\w*)")
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError)
_MIGRATION_LOCK = "hashtextextended('jazzbot.migrations.' || coalesce(current_schema(), ''), 0)"


@lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, tuple[str, ...] | None]:
    """``sql`` with ``?`` or ``:name`` placeholders as ``$1, $2, ...`` (string literals, comments and
    ``::`` casts left alone), and the parameter names in ``$`` order (None for positional ones)."""
    names: list[str] = []
    positional = 0

    def number(match: re.Match[str]) -> str:
        nonlocal positional
        token, name = match.group(0), match.group(1)
        if token == "?":
            positional += 1
            return f"${positional}"
        if name is None:
            return token
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    translated = _TOKENS.sub(number, sql)
    if positional and names:
        raise ValueError(f"mixed ? and :name placeholders in {sql!r}")
    return translated, tuple(names) if names else None


def _arguments(sql: str, parameters: Parameters) -> tuple[str, list[Any]]:
    translated, names = translate(sql)
    if isinstance(parameters, Mapping):
        return translated, [parameters[name] for name in names or ()]
    return translated, list(parameters)


def _rowcount(status: str) -> int:
    """Rows changed, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Transaction(Queries):
    dialect: Dialect = "postgresql"

    def __init__(self, conn: asyncpg.pool.PoolConnectionProxy[asyncpg.Record]) -> None:
        self._conn = conn

    async def execute(self, sql: str, parameters: Parameters = ()) -> int:
        translated, arguments = _arguments(sql, parameters)
        return _rowcount(await self._conn.execute(translated, *arguments))

    async def fetch_all(self, sql: str, parameters: Parameters = ()) -> list[Row]:
        translated, arguments = _arguments(sql, parameters)
        return list(await self._conn.fetch(translated, *arguments))


class PostgresDatabase(Database):
    dialect: Dialect = "postgresql"
    constraint_errors = (asyncpg.IntegrityConstraintViolationError,)

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], description: str) -> None:
        self.pool = pool
        self._description = description

    async def execute(self, sql: str, parameters: Parameters = ()) -> int:
        translated, arguments = _arguments(sql, parameters)
        return _rowcount(await self.pool.execute(translated, *arguments))

    async def fetch_all(self, sql: str, parameters: Parameters = ()) -> list[Row]:
        translated, arguments = _arguments(sql, parameters)
        return list(await self.pool.fetch(translated, *arguments))

    @asynccontextmanager
    async def transaction(self, *locks: str) -> AsyncIterator[Queries]:
        async with self.pool.acquire() as conn, conn.transaction():
            for key in sorted(set(locks)):  # one order everywhere, so two lockers never deadlock
                await conn.execute(_LOCK, key)
            yield _Transaction(conn)

    async def close(self) -> None:
        await self.pool.close()

    async def schema_version(self) -> int:
        return int(await self.pool.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))

    async def check(self) -> list[str]:
        """PostgreSQL checks its own pages; this only proves the server answers with our schema."""
        await self.schema_version()
        return []

    def __str__(self) -> str:
        return self._description


async def apply_migrations(
    conn: asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record],
    directory: Path = MIGRATIONS_DIR,
) -> int:
    """Bring the schema up to the newest migration; returns the resulting version."""
    migrations = list_migrations(directory)
    await conn.execute(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))
        check_not_newer(current, len(migrations))
        for version, path in migrations[current:]:
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))  # no arguments: several statements
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
    finally:
        await conn.execute(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
    return len(migrations)


async def keep_session(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """The pool's reset between borrowers: nothing. asyncpg's default (``RESET ALL``, ``UNLISTEN *``,
    ``pg_advisory_unlock_all()``, ...) costs a round trip per borrow, a fifth of a vote; the stores change
    no session state, take only transaction-scoped advisory locks, and an open transaction is still rolled
    back by the pool itself."""


async def open_postgres(
    url: str, description: str, directory: Path = MIGRATIONS_DIR, pool_size: int = DEFAULT_POOL_SIZE
) -> PostgresDatabase:
    """Connect a pool of up to ``pool_size`` connections to ``url`` and migrate; the driver's errors pass
    through (the caller words them)."""
    pool: asyncpg.Pool[asyncpg.Record] = await asyncpg.create_pool(
        url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT, reset=keep_session
    )
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, directory)
    except BaseException:
        await pool.close()
        raise
    return PostgresDatabase(pool, description)


def describe_error(error: BaseException) -> str:
    """What went wrong, in words an operator acts on, with the driver's own message after."""
    if isinstance(error, ConnectionRefusedError):
        hint = "connection refused: is the server running, and on that host and port?"
    elif isinstance(error, socket.gaierror):
        hint = "unknown host name"
    elif isinstance(error, TimeoutError):
        hint = "no answer in time: check the host, port and firewall"
    elif isinstance(error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        hint = "the server refused the user name or password"
    elif isinstance(error, asyncpg.InvalidCatalogNameError):
        hint = "no such database on that server (create it first)"
    else:
        hint = type(error).__name__
    detail = str(error)
    return f"{hint} ({detail})" if detail else hint
