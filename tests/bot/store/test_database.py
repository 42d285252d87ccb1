"""Opening a SQLite file: every older schema version upgrades to the current one, keeping its rows."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.store.database import open_database
from bot.store.sql import SchemaTooNewError, list_migrations
from bot.store.sqlite import MIGRATIONS_DIR, apply_migrations, schema_version

MIGRATIONS = list_migrations(MIGRATIONS_DIR)


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
    assert await upgraded.schema_version() == len(MIGRATIONS)
    assert [tuple(row) for row in await upgraded.fetch_all("SELECT note FROM kept")] == [("still here",)]
    assert await upgraded.check() == []
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


async def test_job_rows_survive_the_rebuild_that_adds_the_rendered_state(tmp_path: Path) -> None:
    """0004 rebuilds the jobs table (SQLite cannot change a CHECK in place): every v3 row stays as it was,
    and the new state is allowed only with a clip."""
    older = tmp_path / "v3"
    older.mkdir()
    for _, path in MIGRATIONS[:3]:
        shutil.copy(path, older)
    path = tmp_path / "jazzbot.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    await apply_migrations(conn, older)
    v3_rows = [
        (1, "compose", 5, '{"bars": 4}', "done", None, None, 1.0),
        (2, "extend", 6, '{"bars": 8}', "running", 42, "a-token", 2.0),
    ]
    await conn.executemany(
        """INSERT INTO jobs (id, kind, user_id, request, state, application_id, interaction_token, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        v3_rows,
    )
    await conn.close()

    upgraded = await open_database(path)
    rows = await upgraded.fetch_all(
        "SELECT id, kind, user_id, request, state, application_id, interaction_token, created_at FROM jobs"
    )
    assert [tuple(row) for row in rows] == v3_rows
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await upgraded.execute("UPDATE jobs SET state = 'rendered' WHERE id = 2")  # no clip: refused
    await upgraded.close()
