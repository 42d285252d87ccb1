"""The PostgreSQL backend's own parts on the real server: placeholder translation, versioned migrations
under an advisory lock (two processes starting together, a failing migration, a schema newer than the
code), and start-up errors that name JAZZBOT_DATABASE without ever showing the password."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.services.settings import SettingsError, load_settings
from bot.store.database import DatabaseUnavailable, PostgresURL, database_target, open_database
from bot.store.postgres import MIGRATIONS_DIR, open_postgres, translate
from bot.store.sql import SchemaTooNewError, list_migrations
from bot.store.sqlite import MIGRATIONS_DIR as SQLITE_MIGRATIONS_DIR

REPO = Path(__file__).resolve().parents[3]
MIGRATIONS = list_migrations(MIGRATIONS_DIR)
SECRET = "hunter2-Secret"


def test_placeholders_are_numbered_outside_literals_comments_and_casts() -> None:
    assert translate("SELECT ? , x FROM t WHERE a = ? AND b::text = '?'") == (
        "SELECT $1 , x FROM t WHERE a = $2 AND b::text = '?'",
        None,
    )
    assert translate("UPDATE t SET a = :now -- :ignored\nWHERE u = :user AND v = :now AND w = 'a:b'") == (
        "UPDATE t SET a = $1 -- :ignored\nWHERE u = $2 AND v = $1 AND w = 'a:b'",
        ("now", "user"),
    )
    with pytest.raises(ValueError, match="mixed"):
        translate("SELECT ? WHERE a = :a")


def test_every_sqlite_migration_has_its_postgresql_twin() -> None:
    sqlite_names = [path.name for _, path in list_migrations(SQLITE_MIGRATIONS_DIR)]
    assert [path.name for _, path in MIGRATIONS] == sqlite_names


async def test_two_processes_starting_together_migrate_once(pg_target: PostgresURL) -> None:
    opened = await asyncio.gather(*(open_database(pg_target) for _ in range(4)))
    try:
        assert [await db.schema_version() for db in opened] == [len(MIGRATIONS)] * 4
        rows = await opened[0].fetch_all("SELECT version FROM schema_version ORDER BY version")
        assert [row[0] for row in rows] == list(range(1, len(MIGRATIONS) + 1))  # each applied once
    finally:
        for db in opened:
            await db.close()


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)), ids=lambda v: f"from-v{v}")
async def test_each_older_schema_upgrades_keeping_its_rows(
    pg_target: PostgresURL, tmp_path: Path, version: int
) -> None:
    for _, path in MIGRATIONS[:version]:
        shutil.copy(path, tmp_path)
    older = await open_postgres(pg_target.url, "older", tmp_path)
    await older.execute(
        "INSERT INTO challenges (guild_id, channel_id, created_by, title, prompt, phase, created_at,"
        " submission_deadline, voting_deadline) VALUES (5, 6, 7, 't', 'p', 'voting', 0, 1, 2)"
    )
    await older.close()
    upgraded = await open_database(pg_target)
    try:
        assert await upgraded.schema_version() == len(MIGRATIONS)
        row = await upgraded.fetch_returned("SELECT guild_id, title, max_votes FROM challenges")
        assert tuple(row) == (5, "t", 3)
    finally:
        await upgraded.close()


async def test_a_failing_migration_rolls_back_whole(pg_target: PostgresURL, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x integer);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE b (y integer); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(asyncpg.UndefinedTableError, match="nowhere"):
        await open_postgres(pg_target.url, "test", tmp_path)
    (tmp_path / "0002_broken.sql").unlink()
    db = await open_postgres(pg_target.url, "test", tmp_path)
    try:
        assert await db.schema_version() == 1
        tables = await db.fetch_all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        assert sorted(row[0] for row in tables) == ["a", "schema_version"]  # no table b
    finally:
        await db.close()


async def test_a_schema_from_a_newer_jazzbot_is_refused_untouched(pg_target: PostgresURL) -> None:
    db = await open_database(pg_target)
    await db.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS) + 1,))
    await db.close()
    with pytest.raises(SchemaTooNewError, match="this jazzbot knows"):
        await open_database(pg_target)
    admin = await asyncpg.connect(pg_target.url)
    try:
        assert await admin.fetchval("SELECT max(version) FROM schema_version") == len(MIGRATIONS) + 1
    finally:
        await admin.close()


def test_the_setting_picks_the_backend_and_never_shows_the_password() -> None:
    url = f"postgresql://jazzbot:{SECRET}@db.example:5433/jazz"
    settings = load_settings({"JAZZBOT_DATABASE": url}, env_file=None)
    assert settings.database == PostgresURL(url)
    assert str(settings.database) == "postgresql://jazzbot:***@db.example:5433/jazz"
    assert SECRET not in settings.describe() and SECRET not in repr(settings)
    assert load_settings({"JAZZBOT_DATABASE": "data/x.db"}, env_file=None).database == Path("data/x.db")
    assert database_target("postgres://h/db") == PostgresURL("postgres://h/db")
    for bad, reason in (
        (f"postgresql://jazzbot:{SECRET}@db.example:port/jazz", "port"),
        (f"mysql://jazzbot:{SECRET}@db.example/jazz", "mysql:// is not a database"),
        (f"postgresql://jazzbot:{SECRET}@/jazz", "no host"),
    ):
        with pytest.raises(SettingsError, match=reason) as refused:
            load_settings({"JAZZBOT_DATABASE": bad}, env_file=None)
        assert str(refused.value).startswith("JAZZBOT_DATABASE") and SECRET not in str(refused.value)


async def test_an_unreachable_server_is_named_without_the_password() -> None:
    with pytest.raises(DatabaseUnavailable) as refused:
        await open_database(PostgresURL(f"postgresql://jazzbot:{SECRET}@127.0.0.1:1/jazzbot"))
    message = str(refused.value)
    assert "postgresql://jazzbot:***@127.0.0.1:1/jazzbot" in message and SECRET not in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__  # no driver text in logs
    assert set(PostgresURL("postgresql://u:p%40ss@h/db?password=other").secrets) == {
        "other",
        "p%40ss",
        "p@ss",
    }


def run_check(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JAZZBOT_", "DISCORD_"))}
    environ |= {"JAZZBOT_DATABASE": database, "JAZZBOT_WORKERS": "1", "JAZZBOT_LOG_LEVEL": "DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_bot_refuses_to_start_on_a_wrong_database_naming_the_setting(postgres_url: str) -> None:
    server = urlsplit(postgres_url)
    wrong_db = f"postgresql://jazzbot:{SECRET}@{server.hostname}:{server.port}/no_such_database"
    for url, reason in (
        (f"postgresql://jazzbot:{SECRET}@127.0.0.1:1/jazzbot", "connection refused: is the server running"),
        (wrong_db, "no such database on that server"),
    ):
        done = run_check(url, "--check")
        assert done.returncode != 0
        output = done.stdout + done.stderr
        assert "JAZZBOT_DATABASE" in done.stderr and reason in done.stderr, done.stderr
        assert SECRET not in output and "Traceback" not in output


async def test_the_bot_makes_and_stores_a_clip_on_postgresql(pg_target: PostgresURL) -> None:
    checked = await asyncio.to_thread(run_check, pg_target.url, "--check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: database postgresql://jazzbot@")
    made = await asyncio.to_thread(run_check, pg_target.url, "--once", "/jazz 2 bars in F seed=11")
    assert made.returncode == 0, made.stderr
    db = await open_database(pg_target)
    try:
        clip = await db.fetch_returned("SELECT id, seed, length(midi) > 0 FROM clips")
        job = await db.fetch_returned("SELECT state, clip_id FROM jobs")
    finally:
        await db.close()
    assert tuple(clip) == (1, 11, True) and tuple(job) == ("done", 1)
