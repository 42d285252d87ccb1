"""The SQLite backend (the default): one file in WAL mode, versioned by ``PRAGMA user_version``.

Migrations live in ``bot/store/migrations/NNNN_name.sql``. The file's ``user_version`` holds the number of
the last one applied; at open, every newer file runs in order, each inside its own transaction together
with the ``user_version`` bump, so a failed migration leaves the file exactly at the previous version.
Migrations run with foreign keys off and must leave none broken (see :func:`apply_migrations`).

One :class:`SQLiteDatabase` is one connection. An :class:`asyncio.Lock` serialises its statements and
transactions within the process (two coroutines cannot interleave statements inside one SQLite
transaction); ``BEGIN IMMEDIATE`` and the busy timeout order the writers of other connections and
processes on the same file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.sql import Database, Dialect, Parameters, Queries, Row, check_not_newer, list_migrations

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000


class MigrationError(RuntimeError):
    """A migration left the data inconsistent (a broken foreign key); it was rolled back."""


async def _execute(conn: aiosqlite.Connection, sql: str, parameters: Parameters) -> int:
    async with conn.execute(sql, parameters) as cursor:
        return cursor.rowcount


async def _fetch_all(conn: aiosqlite.Connection, sql: str, parameters: Parameters) -> list[Row]:
    async with conn.execute(sql, parameters) as cursor:
        return list(await cursor.fetchall())


class _Transaction(Queries):
    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, parameters: Parameters = ()) -> int:
        return await _execute(self._conn, sql, parameters)

    async def fetch_all(self, sql: str, parameters: Parameters = ()) -> list[Row]:
        return await _fetch_all(self._conn, sql, parameters)


class SQLiteDatabase(Database):
    dialect: Dialect = "sqlite"
    constraint_errors = (sqlite3.IntegrityError,)

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.connection = conn
        self.path = path
        self._lock = asyncio.Lock()

    async def execute(self, sql: str, parameters: Parameters = ()) -> int:
        async with self._lock:
            return await _execute(self.connection, sql, parameters)

    async def fetch_all(self, sql: str, parameters: Parameters = ()) -> list[Row]:
        async with self._lock:
            return await _fetch_all(self.connection, sql, parameters)

    @asynccontextmanager
    async def transaction(self, *locks: str) -> AsyncIterator[Queries]:
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield _Transaction(self.connection)
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            await self.connection.execute("COMMIT")

    async def close(self) -> None:
        await self.connection.close()

    async def schema_version(self) -> int:
        return await schema_version(self.connection)

    async def check(self) -> list[str]:
        """What ``PRAGMA quick_check`` finds wrong with the file; a file too damaged to check says so."""
        try:
            found = [str(row[0]) for row in await self.fetch_all("PRAGMA quick_check")]
        except sqlite3.DatabaseError as error:
            return [str(error)]
        return [] if found == ["ok"] else found

    def __str__(self) -> str:
        return str(self.path)


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def apply_migrations(conn: aiosqlite.Connection, directory: Path = MIGRATIONS_DIR) -> int:
    """Bring the schema up to the newest migration; returns the resulting version.

    Migrations run with foreign keys off (SQLite's documented procedure for rebuilding a table): dropping a
    rebuilt parent table must not cascade to its children's rows. Before each commit, ``PRAGMA
    foreign_key_check`` must find no broken reference, or the migration is rolled back. The connection's
    ``foreign_keys`` setting is restored afterwards, also when a migration fails. (The pragma is a no-op
    inside a transaction, hence its place outside each one.)
    """
    migrations = list_migrations(directory)
    check_not_newer(await schema_version(conn), len(migrations))
    pending = migrations[await schema_version(conn) :]
    if not pending:
        return len(migrations)
    foreign_keys = int((await _fetch_all(conn, "PRAGMA foreign_keys", ()))[0][0])
    await _pragma(conn, "foreign_keys = OFF")
    try:
        for version, path in pending:
            await _apply_migration(conn, version, path)
    finally:
        await _pragma(conn, f"foreign_keys = {foreign_keys}")
    return len(migrations)


async def _apply_migration(conn: aiosqlite.Connection, version: int, path: Path) -> None:
    script = path.read_text(encoding="utf-8")
    try:
        # executescript runs statement by statement; the transaction makes script + version bump atomic.
        await conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};")
        async with conn.execute("PRAGMA foreign_key_check") as cursor:
            broken = [tuple(row) for row in await cursor.fetchall()]
        if broken:
            found = f"(table, rowid, parent, key): {broken}"
            raise MigrationError(f"migration {path.name} breaks foreign keys {found}")
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.rollback()
        raise


async def _pragma(conn: aiosqlite.Connection, pragma: str) -> None:
    """Run ``PRAGMA <pragma>``, closing its cursor at once: a pragma's unread result row would keep a
    statement open and make a later COMMIT fail with "SQL statements in progress"."""
    async with conn.execute(f"PRAGMA {pragma}"):
        pass


async def open_sqlite(path: Path, directory: Path = MIGRATIONS_DIR) -> SQLiteDatabase:
    """Open (creating the file and its folder if needed) and migrate the database at ``path``.

    The connection is in autocommit mode (``isolation_level=None``): transactions are explicit
    ``BEGIN IMMEDIATE`` so that every multi-step change takes the write lock up front.
    ``synchronous=NORMAL`` in WAL mode keeps every committed transaction across a process kill (only an OS
    crash could lose the last commits), at a fraction of the fsync cost of FULL.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in (
            f"busy_timeout = {BUSY_TIMEOUT_MS}",
            "journal_mode = WAL",
            "synchronous = NORMAL",
            "foreign_keys = ON",
        ):
            await _pragma(conn, pragma)
        await apply_migrations(conn, directory)
    except BaseException:
        await conn.close()
        raise
    return SQLiteDatabase(conn, path)
