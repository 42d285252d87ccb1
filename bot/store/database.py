"""Opening the jazzbot SQLite file: connection settings, versioned schema migrations, and the row
plumbing the stores share (:func:`fetch_one`, :func:`fetch_returned`, :func:`from_row`).

Migrations live in ``bot/store/migrations/NNNN_name.sql``. The database's ``PRAGMA user_version`` holds the
number of the last one applied; at open, every newer file runs in order, each inside its own transaction
together with the ``user_version`` bump, so a failed migration leaves the file exactly at the previous
version.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


async def fetch_one(conn: aiosqlite.Connection, sql: str, parameters: Any = ()) -> aiosqlite.Row | None:
    """The first row ``sql`` returns, or None when it returns none."""
    async with conn.execute(sql, parameters) as cursor:
        return await cursor.fetchone()


async def fetch_returned(conn: aiosqlite.Connection, sql: str, parameters: Any = ()) -> aiosqlite.Row:
    """The row a statement always returns (``INSERT ... RETURNING``, an aggregate like ``count(*)``)."""
    row = await fetch_one(conn, sql, parameters)
    if row is None:
        raise RuntimeError(f"no row returned by {sql!r}")
    return row


def from_row(cls: type[D], row: aiosqlite.Row, **converted: object) -> D:
    """The dataclass ``cls`` from ``row``: each field from the column of the same name, except the
    ``converted`` ones (values decoded, renamed or computed by the caller)."""
    taken = {field.name: row[field.name] for field in fields(cls) if field.name not in converted}
    return cls(**taken, **converted)


class SchemaTooNewError(RuntimeError):
    """The file was written by a newer jazzbot than this one; refusing to guess at its schema."""


def list_migrations(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """``(version, file)`` pairs in order; versions must run 1, 2, 3... without gaps or duplicates."""
    found: list[tuple[int, Path]] = []
    for path in directory.iterdir():
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations in {directory} must be numbered 0001, 0002, ... gap-free: {versions}")
    return found


async def schema_version(conn: aiosqlite.Connection) -> int:
    return int((await fetch_returned(conn, "PRAGMA user_version"))[0])


async def apply_migrations(conn: aiosqlite.Connection, directory: Path = MIGRATIONS_DIR) -> int:
    """Bring the schema up to the newest migration; returns the resulting version."""
    migrations = list_migrations(directory)
    current = await schema_version(conn)
    if current > len(migrations):
        raise SchemaTooNewError(f"database schema is version {current}, this jazzbot knows {len(migrations)}")
    for version, path in migrations[current:]:
        script = path.read_text(encoding="utf-8")
        try:
            # executescript runs statement by statement; BEGIN/COMMIT make script + version bump atomic.
            await conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
        except BaseException:
            if conn.in_transaction:
                await conn.rollback()
            raise
    return len(migrations)


async def open_database(path: Path) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    The connection is in autocommit mode (``isolation_level=None``): callers open transactions explicitly
    with ``BEGIN IMMEDIATE`` so that every multi-step change takes the write lock up front.
    ``synchronous=NORMAL`` in WAL mode keeps every committed transaction across a process kill (only an OS
    crash could lose the last commits), at a fraction of the fsync cost of FULL.
    """
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in (
            f"busy_timeout = {BUSY_TIMEOUT_MS}",
            "journal_mode = WAL",
            "synchronous = NORMAL",
            "foreign_keys = ON",
        ):
            # Close each cursor at once: a pragma's unread result row would keep a statement open and
            # make the migration's COMMIT fail with "SQL statements in progress".
            async with conn.execute(f"PRAGMA {pragma}"):
                pass
        await apply_migrations(conn)
    except BaseException:
        await conn.close()
        raise
    return conn
