"""The PostgreSQL backend's own parts on the real server: placeholder translation, versioned migrations
under an advisory lock (two processes starting together, a failing migration, a schema newer than the
code), the pool size setting, and start-up errors that name JAZZBOT_DATABASE without ever showing the
password (a wrong one refused by the server itself)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import asyncpg
import pytest

from bot.services.settings import Settings, SettingsError, load_settings
from bot.services.startup import StartupError, open_services
from bot.store.database import (
    DEFAULT_POOL_SIZE,
    DatabaseUnavailable,
    PostgresURL,
    database_target,
    open_database,
)
from bot.store.postgres import MIGRATIONS_DIR, PostgresDatabase, open_postgres, translate
from bot.store.sql import SchemaTooNewError, list_migrations
from bot.store.sqlite import MIGRATIONS_DIR as SQLITE_MIGRATIONS_DIR

REPO = Path(__file__).resolve().parents[3]
MIGRATIONS = list_migrations(MIGRATIONS_DIR)
SECRET = "hunter2-Secret"
WRONG = "hunter3-Wrong@home"
NEEDS_PASSWORD = "needs_password"
"""The role whose members must give their password over TCP (scram-sha-256) on the test cluster
(scripts/with-services.sh); everyone else is trusted."""


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


def test_the_pool_size_is_a_setting_checked_at_start() -> None:
    assert Settings().database_pool == DEFAULT_POOL_SIZE == 10
    url = f"postgresql://jazzbot:{SECRET}@db.example/jazz"
    settings = load_settings({"JAZZBOT_DATABASE": url, "JAZZBOT_DATABASE_POOL": "25"}, env_file=None)
    assert settings.database_pool == 25
    assert "database postgresql://jazzbot:***@db.example/jazz (pool of 25);" in settings.describe()
    for bad in ("0", "-3", "ten", "1001", "2.5"):
        with pytest.raises(SettingsError) as refused:
            load_settings({"JAZZBOT_DATABASE": url, "JAZZBOT_DATABASE_POOL": bad}, env_file=None)
        assert str(refused.value) == f"JAZZBOT_DATABASE_POOL={bad!r}: must be a whole number from 1 to 1000."


async def test_the_bot_opens_its_pool_at_the_size_set(pg_target: PostgresURL) -> None:
    services = await open_services(Settings(database=pg_target, database_pool=3, workers=1))
    try:
        assert isinstance(services.db, PostgresDatabase) and services.store_db is services.db
        assert services.db.pool.get_max_size() == 3
        # Eight transactions at once, each holding its connection a moment: they share exactly three.
        pids = await asyncio.gather(*(_backend_of_a_transaction(services.db) for _ in range(8)))
    finally:
        await services.close()
    assert len(set(pids)) == 3


async def _backend_of_a_transaction(db: PostgresDatabase) -> int:
    async with db.transaction() as tx:
        row = await tx.fetch_returned("SELECT pg_backend_pid()")
        await tx.execute("SELECT pg_sleep(0.05)")
    return int(row[0])


@pytest.fixture
async def password_role(postgres_url: str) -> AsyncIterator[str]:
    """A login role whose password (``SECRET``) the server checks over TCP; dropped afterwards."""
    role = f"pw_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}' IN ROLE {NEEDS_PASSWORD}")
        try:
            yield role
        finally:
            await admin.execute(f"DROP ROLE {role}")
    finally:
        await admin.close()


async def test_a_wrong_password_stops_the_start_naming_the_setting_and_never_shows_it(
    postgres_url: str, password_role: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = urlsplit(postgres_url)
    at = f"{server.hostname}:{server.port}{server.path}"
    right = await asyncpg.connect(f"postgresql://{password_role}:{SECRET}@{at}")
    try:  # the role works with its password, so what follows is refused for the password alone
        assert await right.fetchval("SELECT current_user") == password_role
    finally:
        await right.close()
    wrong = f"postgresql://{password_role}:{quote(WRONG, safe='')}@{at}"

    caplog.set_level(logging.DEBUG)  # every record of every logger, before any handler's scrubber
    settings = load_settings({"JAZZBOT_DATABASE": wrong, "JAZZBOT_WORKERS": "1"}, env_file=None)
    logging.getLogger("bot").info("settings: %s", settings.describe())
    with pytest.raises(StartupError) as refused:
        await open_services(settings)
    message = str(refused.value)
    assert message.startswith(
        f"JAZZBOT_DATABASE: cannot open the PostgreSQL database postgresql://{password_role}:***@"
    )
    assert "the server refused the user name or password" in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    logged = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    assert f"database postgresql://{password_role}:***@" in logged  # the URL was logged, redacted
    for secret in (WRONG, quote(WRONG, safe="")):
        assert secret not in message and secret not in logged

    done = await asyncio.to_thread(run_check, wrong, "--check")  # the real process, logging at DEBUG
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "JAZZBOT_DATABASE" in done.stderr and "refused the user name or password" in done.stderr
    for secret in (WRONG, quote(WRONG, safe="")):
        assert secret not in done.stdout + done.stderr
