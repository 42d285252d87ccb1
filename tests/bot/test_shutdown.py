"""Stopping and crashing with clips in flight, on the real bot process (tests/bot/process_scene.py): a real
SQLite file, real FluidSynth and ffmpeg, discord.py on simcord.

- SIGTERM (``docker stop``) with 10 clips in flight: all 10 are stored and posted, no traceback, no job
  row left unfinished.
- SIGKILL during the first upload: after a restart every member has their clip or one clear notice.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.discord.app import INTERRUPTED_TEXT
from tests.bot.discord_helpers import Bots, interaction_token
from tests.bot.test_main import REPO, TIMEOUT, bot_environment

CLIPS = 10


def start_scene(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.process_scene", str(tmp_path / "scene.db"), str(CLIPS), mode],
        cwd=REPO,
        env=bot_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql).fetchall()


def test_sigterm_with_10_clips_in_flight_posts_every_clip(tmp_path: Path) -> None:
    scene = start_scene(tmp_path, "drain")
    assert scene.stdout is not None
    members = json.loads(scene.stdout.readline())["members"]
    assert scene.stdout.readline().strip() == "ready"  # all 10 admitted, none posted yet or few
    scene.send_signal(signal.SIGTERM)
    out, errors = scene.communicate(timeout=TIMEOUT)

    assert scene.returncode == 0, errors
    assert "Traceback" not in errors and "ERROR" not in errors
    seen = json.loads(out)
    assert sorted(seen) == sorted(members)
    for name, saw in seen.items():
        assert saw["clips"] == [f"<@{members[name]}>'s clip"] and saw["notices"] == [], (name, saw)
    database = tmp_path / "scene.db"
    assert rows(database, "SELECT state, count(*) FROM jobs GROUP BY state") == [("done", CLIPS)]
    assert rows(database, "SELECT count(*) FROM clips WHERE message_id IS NOT NULL") == [(CLIPS,)]
    in_flight = [line for line in errors.splitlines() if "services closed" in line]
    assert len(in_flight) == 1 and "(0 clip(s)" not in in_flight[0]  # the stop really had clips to drain


async def test_sigkill_during_an_upload_then_a_restart_leaves_no_member_without_an_answer(
    simcord_env: Any, bots: Bots, tmp_path: Path
) -> None:
    """The crash is real (SIGKILL in the middle of the first upload, in its own process); simcord's Discord
    lives in one process, so the members' interactions are re-created here and the crashed rows pointed
    at them, as Discord would still hold the originals."""
    scene = start_scene(tmp_path, "kill")
    out, errors = scene.communicate(timeout=TIMEOUT)
    assert scene.returncode == -signal.SIGKILL, errors
    crashed = json.loads(out.splitlines()[0])
    database = tmp_path / "scene.db"
    left = dict(rows(database, "SELECT state, count(*) FROM jobs GROUP BY state"))
    assert left.get("rendered", 0) >= 1 and "done" not in left  # the uploading clip: stored, not posted

    with sqlite3.connect(database) as conn:  # simcord's ids repeat across processes: keep them apart
        conn.execute("UPDATE jobs SET user_id = -user_id")
        conn.execute("UPDATE clips SET user_id = -user_id")
    guild = simcord_env.create_guild("Jazz Club")
    channel = guild.create_text_channel("jam")
    here = {name: guild.add_member(simcord_env.create_user(name)) for name in crashed["members"]}
    asked = {}
    for name, member in here.items():
        before = len(simcord_env.http_requests)
        asked[name] = await member.slash(channel, "help")
        token = interaction_token(simcord_env.http_requests[before:])
        with sqlite3.connect(database) as conn:
            old_id = -crashed["members"][name]
            conn.execute(
                """UPDATE jobs SET user_id = ?, guild_id = ?, channel_id = ?, application_id = ?,
                                   interaction_token = ? WHERE user_id = ?""",
                (member.id, guild.id, channel.id, simcord_env.bot.application_id, token, old_id),
            )
            conn.execute(
                "UPDATE clips SET user_id = ?, guild_id = ?, channel_id = ? WHERE user_id = ?",
                (member.id, guild.id, channel.id, old_id),
            )

    await simcord_env.restart_bot(bots.new(database=database))

    answers = {name: result.followups for name, result in asked.items()}
    for name, followups in answers.items():
        clips = [m for m in followups if any(a.filename.endswith(".mid") for a in m.attachments)]
        notices = [m for m in followups if m.ephemeral and m.content == INTERRUPTED_TEXT]
        assert len(clips) + len(notices) == 1 and len(followups) == 1, (name, followups)
        if clips:
            assert not clips[0].ephemeral and clips[0].content == f"<@{here[name].id}>'s clip"
    assert sum(1 for f in answers.values() if not f[0].ephemeral) == left["rendered"]
    final = dict(rows(database, "SELECT state, count(*) FROM jobs GROUP BY state"))
    assert final == {"done": left["rendered"], "failed": CLIPS - left["rendered"]}
    assert rows(database, "SELECT count(*) FROM clips WHERE message_id IS NOT NULL") == [(left["rendered"],)]
