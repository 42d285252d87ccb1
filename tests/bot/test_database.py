"""Opening the SQLite file: every older schema version upgrades to the current one, keeping its rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiosqlite
import pytest

from bot.store.database import (
    SchemaTooNewError,
    apply_migrations,
    list_migrations,
    open_database,
    schema_version,
)

MIGRATIONS = list_migrations()


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)), ids=lambda v: f"from-v{v}")
async def test_each_older_version_upgrades_to_the_current_one(tmp_path: Path, version: int) -> None:
    older = tmp_path / "older"
    older.mkdir()
    for _, path in MIGRATIONS[:version]:
        shutil.copy(path, older)
    path = tmp_path / "jazzbot.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    assert await apply_migrations(conn, older) == version
    await conn.execute("CREATE TABLE kept (note TEXT)")  # stands for rows an older bot wrote
    await conn.execute("INSERT INTO kept VALUES ('still here')")
    await conn.close()

    upgraded = await open_database(path)
    assert await schema_version(upgraded) == len(MIGRATIONS)
    async with upgraded.execute("SELECT note FROM kept") as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [("still here",)]
    async with upgraded.execute("PRAGMA integrity_check") as cursor:
        assert tuple(await cursor.fetchone() or ()) == ("ok",)
    await upgraded.close()


async def test_a_file_from_a_newer_jazzbot_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "jazzbot.db"
    conn = await aiosqlite.connect(path)
    await conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    await conn.close()
    with pytest.raises(SchemaTooNewError, match="this jazzbot knows"):
        await open_database(path)
    conn = await aiosqlite.connect(path)
    assert await schema_version(conn) == len(MIGRATIONS) + 1
    await conn.close()
