"""The small interface both storage backends implement (SQLite: :mod:`bot.store.sqlite`, PostgreSQL:
:mod:`bot.store.postgres`), so each store keeps one set of queries.

Stores write SQL once, with ``?`` (positional) or ``:name`` (named) placeholders; the PostgreSQL backend
translates them to ``$1, $2, ...``. The SQL the stores share is the common subset of both dialects
(``ON CONFLICT``, ``RETURNING``, window functions, ``IS NOT DISTINCT FROM``, ``CAST(? AS BIGINT)`` where a
parameter's type must be known); where a statement must differ, the store picks it by
:attr:`Queries.dialect`.

A row is whatever the driver returns (``aiosqlite.Row``, ``asyncpg.Record``): both read by column
name and by position.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)

Dialect = Literal["sqlite", "postgresql"]
Parameters = Sequence[Any] | Mapping[str, Any]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Row(Protocol):
    """A result row: ``row["column"]`` or ``row[0]``, or its values in order (``tuple(row)``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Queries(ABC):
    """Statements on a database or inside one of its transactions."""

    dialect: Dialect

    @abstractmethod
    async def execute(self, sql: str, parameters: Parameters = ()) -> int:
        """Run one statement; returns the number of rows it changed."""

    @abstractmethod
    async def fetch_all(self, sql: str, parameters: Parameters = ()) -> list[Row]:
        """Every row one statement returns."""

    async def fetch_one(self, sql: str, parameters: Parameters = ()) -> Row | None:
        """The first row ``sql`` returns, or None when it returns none."""
        rows = await self.fetch_all(sql, parameters)
        return rows[0] if rows else None

    async def fetch_returned(self, sql: str, parameters: Parameters = ()) -> Row:
        """The row a statement always returns (``INSERT ... RETURNING``, an aggregate like ``count(*)``)."""
        row = await self.fetch_one(sql, parameters)
        if row is None:
            raise RuntimeError(f"no row returned by {sql!r}")
        return row


class Database(Queries):
    constraint_errors: tuple[type[Exception], ...]
    """What the driver raises when the schema refuses a row (a CHECK, a key, a foreign key)."""

    """An open database. A statement outside :meth:`transaction` commits on its own.

    :meth:`transaction` runs statements atomically. ``locks`` name what the transaction must hold
    exclusively against other transactions naming the same key (in every process on the database): on
    PostgreSQL a transaction-scoped advisory lock per key, on SQLite nothing extra, since
    ``BEGIN IMMEDIATE`` already takes the one write lock. Checks a store makes before writing (a vote
    cap, a phase) hold only under such a lock on PostgreSQL, whose transactions otherwise run side by side.
    """

    @abstractmethod
    def transaction(self, *locks: str) -> AbstractAsyncContextManager[Queries]: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def check(self) -> list[str]:
        """What is wrong with the stored data (an empty list: nothing found)."""


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer jazzbot than this one; refusing to guess at its schema."""


def from_row(cls: type[D], row: Row, **converted: object) -> D:
    """The dataclass ``cls`` from ``row``: each field from the column of the same name, except the
    ``converted`` ones (values decoded, renamed or computed by the caller)."""
    taken = {field.name: row[field.name] for field in fields(cls) if field.name not in converted}
    return cls(**taken, **converted)


def list_migrations(directory: Path) -> list[tuple[int, Path]]:
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


def check_not_newer(current: int, known: int) -> None:
    if current > known:
        raise SchemaTooNewError(f"database schema is version {current}, this jazzbot knows {known}")
