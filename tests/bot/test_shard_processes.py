"""Two real bot processes sharing one deployment by shard ids (``JAZZBOT_SHARDS=0-1/4`` and ``2-3/4``) and
one database: each sees and answers only its own shards' servers, between them every server is
answered once, and only the shard-0 process syncs the commands (tests/bot/shard_scene.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.bot.test_main import REPO, TIMEOUT, bot_environment


def start(tmp_path: Path, shards: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.shard_scene"],
        cwd=REPO,
        env=bot_environment(tmp_path, JAZZBOT_SHARDS=shards),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_split_the_servers_by_shard(tmp_path: Path) -> None:
    first = start(tmp_path, "0-1/4")
    assert first.stdout is not None
    # The second starts once the first is up: two first starts at once would race to create the
    # SQLite schema (a server database takes the migrations under its own lock).
    assert first.stdout.readline().strip() == "ready"
    second = start(tmp_path, "2-3/4")
    first_out, first_errors = first.communicate(timeout=TIMEOUT)
    second_out, second_errors = second.communicate(timeout=TIMEOUT)

    assert first.returncode == 0, first_errors
    assert second.returncode == 0, second_errors
    first_saw = json.loads(first_out.splitlines()[-1])
    second_saw = json.loads(second_out.splitlines()[-1])
    assert first_saw == {"shards": [0, 1], "servers": ["Club 0", "Club 1"], "answered": [0, 1], "synced": 1}
    assert second_saw["shards"] == [2, 3] and second_saw["servers"] == ["Club 2", "Club 3"]
    assert second_saw["answered"] == [2, 3]
    assert "commands are synced by the process holding shard 0 (this one runs 2-3/4)" in second_errors
    assert "Traceback" not in first_errors + second_errors
    with sqlite3.connect(tmp_path / "data" / "bot.db") as conn:
        assert conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall() == [("done", 4)]
        assert conn.execute("SELECT count(*) FROM command_syncs").fetchone() == (1,)
