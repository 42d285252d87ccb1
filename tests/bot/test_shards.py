"""A bot process running some of the shards, on simcord (real discord.py, its real shard routing): it sees
and answers only its own shards' servers, only the shard-0 process syncs commands, and its health check
(asked by the real ``python -m bot.health``) follows each shard's connection."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot.discord.app import JazzBot
from bot.discord.gateway_health import shard_states
from bot.services.shard_plan import ShardPlan
from bot.services.startup import StartupError
from tests.bot.discord_helpers import QUICK_BARS, Bots, embed_fields, interaction_token
from tests.bot.test_main import REPO, TIMEOUT, bot_environment

SHARDS = 4
FIRST_HALF = {"shards": ShardPlan((0, 1), SHARDS), "health_port": 0}  # port 0: any free port
SECOND_HALF = {"shards": ShardPlan((2, 3), SHARDS)}


def world(env: Any) -> list[tuple[Any, Any]]:
    """One server on each of the 4 shards, each with a #jam channel and a member: (channel, member)."""
    scenes = []
    for shard in range(SHARDS):
        guild = env.create_guild(f"Club {shard}", shard_id=shard)
        scenes.append((guild.create_text_channel("jam"), guild.add_member(env.create_user(f"m{shard}"))))
    return scenes


async def synced_scopes(bot: JazzBot) -> int:
    """The command syncs the bot recorded (one row per application and scope it synced)."""
    row = await bot.services.store_db.fetch_one("SELECT count(*) FROM command_syncs")
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("settings_overrides", [FIRST_HALF])
async def test_a_process_sees_and_answers_only_its_own_shards_servers(simcord_env: Any) -> None:
    scenes = world(simcord_env)
    await simcord_env.settle()
    bot: JazzBot = simcord_env.bot

    results = [await member.slash(channel, "jazz", bars=QUICK_BARS) for channel, member in scenes]

    assert sorted(guild.name for guild in bot.guilds) == ["Club 0", "Club 1"]
    for shard, result in enumerate(results):
        if shard < 2:  # (guild_id >> 22) % 4 is 0 or 1: this process's
            [clip] = result.followups
            assert embed_fields(clip)["Bars"] == str(QUICK_BARS)
        else:  # Discord sends them to the process running shards 2 and 3
            assert result.response is None and not result.followups
    syncs = [
        call for call in simcord_env.http_requests if call.method == "PUT" and call.path.endswith("/commands")
    ]
    assert len(syncs) == 1 and await synced_scopes(bot) == 1  # shard 0 is here: this process syncs


@pytest.mark.simcord(strict_sync=False, settle_timeout=60.0)
@pytest.mark.parametrize("settings_overrides", [SECOND_HALF])
async def test_a_process_without_shard_0_leaves_the_command_sync_to_the_one_with_it(
    simcord_env: Any,
) -> None:
    """The commands Discord holds are global, synced by the shard-0 process, which is not in this
    simulated Discord: hence ``strict_sync=False`` (simcord then registers them itself, so the bot's
    own record of its syncs tells whether it synced)."""
    scenes = world(simcord_env)
    await simcord_env.settle()

    channel, member = scenes[2]
    result = await member.slash(channel, "jazz", bars=QUICK_BARS)
    mine = await scenes[0][1].slash(scenes[0][0], "jazz", bars=QUICK_BARS)

    assert await synced_scopes(simcord_env.bot) == 0
    assert len(result.followups) == 1 and mine.response is None
    assert [state.shard_id for state in shard_states(simcord_env.bot)] == [2, 3]


def ask_health(port: int) -> subprocess.CompletedProcess[str]:
    """The real ``python -m bot.health``, as Docker runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot.health", "--port", str(port)],
        cwd=REPO,
        env=bot_environment(Path(REPO)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("settings_overrides", [FIRST_HALF])
async def test_the_health_check_follows_each_shards_connection(simcord_env: Any) -> None:
    world(simcord_env)
    await simcord_env.settle()
    bot: JazzBot = simcord_env.bot
    port = bot.health_port
    assert port is not None

    healthy = await asyncio.to_thread(ask_health, port)
    await bot.shards[1].disconnect()
    unhealthy = await asyncio.to_thread(ask_health, port)
    await bot.shards[1].reconnect()
    await simcord_env.settle()
    again = await asyncio.to_thread(ask_health, port)

    assert healthy.returncode == 0, healthy.stderr
    lines = healthy.stdout.splitlines()
    assert lines[0] == "healthy"
    assert lines[1] == "gateway: ok: shard 0 connected, 0 ms, 1 servers; shard 1 connected, 0 ms, 1 servers"
    assert lines[2] == "queue: ok: 0/2 workers busy, 0/4 waiting, next start in ~0 s"
    assert unhealthy.returncode == 1
    assert unhealthy.stderr.splitlines()[:2] == [
        "unhealthy",
        "gateway: FAILING: shard 0 connected, 0 ms, 1 servers; shard 1 DISCONNECTED, 0 ms, 1 servers",
    ]
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("settings_overrides", [FIRST_HALF])
async def test_a_draining_bot_is_unhealthy_then_stops_answering(simcord_env: Any) -> None:
    bot: JazzBot = simcord_env.bot
    port = bot.health_port
    assert port is not None
    await bot.services.close()  # what SIGTERM's drain does first

    draining = await asyncio.to_thread(ask_health, port)
    await bot.close()
    gone = await asyncio.to_thread(ask_health, port)

    assert draining.returncode == 1 and "queue: FAILING: not taking clips: shutting down" in draining.stderr
    assert gone.returncode == 1 and f"nothing answers on 127.0.0.1:{port}" in gone.stderr


@pytest.mark.simcord(strict_sync=False, settle_timeout=60.0)
@pytest.mark.parametrize("settings_overrides", [SECOND_HALF])
async def test_a_clip_left_unposted_by_a_crash_is_posted_by_its_servers_process_only(
    simcord_env: Any, bots: Bots
) -> None:
    """What a crash between storing and posting leaves (a `rendered` job with its interaction's token),
    in a server on shard 2: a process of shards 0-1 leaves it alone, the one with shard 2 posts it."""
    channel, member = world(simcord_env)[2]
    made = await member.slash(channel, "jazz", bars=QUICK_BARS)
    before = len(simcord_env.http_requests)
    waiting = await member.slash(channel, "help")  # the interaction the lost post belongs to
    token = interaction_token(simcord_env.http_requests[before:])
    assert len(made.followups) == 1
    database = bots.settings.database
    assert isinstance(database, Path), "this scene runs on a SQLite file"
    with sqlite3.connect(database) as conn:
        conn.execute(
            "UPDATE jobs SET state = 'rendered', application_id = ?, interaction_token = ?",
            (simcord_env.bot.application_id, token),
        )
        conn.execute("UPDATE clips SET message_id = NULL")

    await simcord_env.restart_bot(bots.new(**FIRST_HALF))
    with sqlite3.connect(database) as conn:
        left_alone = conn.execute("SELECT state FROM jobs").fetchall()
    await simcord_env.restart_bot(bots.new(**SECOND_HALF))

    assert left_alone == [("rendered",)]
    [posted] = waiting.followups
    assert posted.content == f"<@{member.id}>'s clip" and posted.attachments
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT state FROM jobs").fetchall() == [("done",)]


async def test_a_health_port_in_use_stops_the_start_naming_the_setting(bots: Bots) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        bot = bots.new(health_port=port)
        env = simcord.Env(bot)
        with pytest.raises(
            StartupError, match=rf"JAZZBOT_HEALTH_PORT={port}: cannot listen on 127.0.0.1:{port}"
        ):
            await env.start()


def test_a_malformed_shard_setting_stops_the_bot_before_anything_starts(tmp_path: Path) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "bot", "--once", "/help"],
        cwd=REPO,
        env=bot_environment(tmp_path, JAZZBOT_SHARDS="0-4/4"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert started.returncode == 2
    assert started.stderr.strip() == (
        "jazzbot: JAZZBOT_SHARDS='0-4/4': shard ids run from 0 to 3 when there are 4 shards."
    )
