"""Which database the bot opens: ``JAZZBOT_DATABASE`` is a SQLite file path (the default) or a
``postgresql://`` URL (:class:`PostgresURL`), and :func:`open_database` opens and migrates either.

A URL may carry a password, so it is never shown whole: ``str()`` of a :class:`PostgresURL` and every
:class:`DatabaseUnavailable` message leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from bot.store.sql import Database, SchemaTooNewError
from bot.store.sqlite import open_sqlite

SCHEMES = ("postgresql", "postgres")
DEFAULT_POOL_SIZE = 10
"""Connections one process may hold to PostgreSQL (``JAZZBOT_DATABASE_POOL``); SQLite ignores it."""
MAX_POOL_SIZE = 1000


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened; the message says where and why, without the password."""


@dataclass(frozen=True)
class PostgresURL:
    """A PostgreSQL connection URL; ``str()`` shows it without the password."""

    url: str = field(repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in SCHEMES:
            raise ValueError("a PostgreSQL URL starts with postgresql://")
        try:
            parts.port  # noqa: B018 (parses the port, raising ValueError when it is not a number)
        except ValueError:
            raise ValueError("the port in the URL is not a number") from None
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("the URL names no host (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)")

    @property
    def secrets(self) -> list[str]:
        """The password as written in the URL (user part or ``?password=``) and decoded."""
        parts = urlsplit(self.url)
        written = [parts.password or "", *parse_qs(parts.query).get("password", [])]
        return sorted({form for secret in written if secret for form in (secret, unquote(secret))}, key=len)[
            ::-1
        ]

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        hidden = ":***" if parts.password else ""
        if hidden:
            user = f"{parts.username}{hidden}@"
        return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


DatabaseTarget = Path | PostgresURL


def database_target(raw: str) -> DatabaseTarget:
    """``raw`` as a PostgreSQL URL when it has that scheme, else as a SQLite file path; ValueError
    (without the password) when it is neither."""
    scheme = raw.split(":", 1)[0].lower() if "://" in raw else ""
    if scheme in SCHEMES:
        return PostgresURL(raw)
    if scheme:
        raise ValueError(
            f"{scheme}:// is not a database jazzbot can use: give a file path or postgresql://..."
        )
    if "\x00" in raw:
        raise ValueError("a file path cannot contain a NUL character")
    return Path(raw).expanduser()


def _without(secrets: list[str], text: str) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


async def open_database(target: DatabaseTarget, pool_size: int = DEFAULT_POOL_SIZE) -> Database:
    """Open and migrate the database ``target`` names (PostgreSQL: a pool of up to ``pool_size``
    connections). :class:`DatabaseUnavailable` when it cannot be reached or refuses us;
    :class:`SchemaTooNewError` when a newer jazzbot wrote it."""
    if isinstance(target, Path):
        return await open_sqlite(target)
    from bot.store import postgres  # asyncpg (~75 ms to import) only for a PostgreSQL database

    try:
        return await postgres.open_postgres(target.url, str(target), pool_size=pool_size)
    except SchemaTooNewError:
        raise
    except (TimeoutError, OSError, *postgres.DRIVER_ERRORS) as error:
        reason = _without(target.secrets, postgres.describe_error(error))
        raise DatabaseUnavailable(f"cannot open the PostgreSQL database {target}: {reason}") from None


async def quick_check(db: Database) -> list[str]:
    """What the database finds wrong with its data (an empty list: nothing)."""
    return await db.check()
