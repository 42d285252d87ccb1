"""The health checks' parts: the in-process queue's check on a real JobQueue, checks that fail by raising
or hanging, the loopback server and ``python -m bot.health`` (the whole bot: tests/bot/test_shards.py)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import discord
from discord.gateway import KeepAliveHandler

from bot.discord.gateway_health import heartbeat_age
from bot.health import probe
from bot.services.health import HealthServer, QueueHealth, run_checks
from bot.services.jobs import JobQueue
from tests.bot.test_main import TIMEOUT, bot_environment


class Gate:
    """A maker whose jobs wait until the test opens the gate."""

    def __init__(self) -> None:
        self.open = threading.Event()

    def make(self, request: int, on_stage: Callable[[str], None]) -> int:
        self.open.wait(TIMEOUT)
        return request


class Fixed:
    def __init__(self, name: str, ok: bool, detail: str) -> None:
        self.name, self._ok, self._detail = name, ok, detail

    async def healthy(self) -> tuple[bool, str]:
        return self._ok, self._detail


class Raising:
    name = "database"

    async def healthy(self) -> tuple[bool, str]:
        raise ConnectionRefusedError("no server")


class Hanging:
    name = "broker"

    async def healthy(self) -> tuple[bool, str]:
        await asyncio.sleep(60)
        return True, "late"


async def test_the_queue_is_healthy_while_it_takes_work_even_full_and_not_once_it_stops() -> None:
    gate = Gate()
    queue: JobQueue[int, int] = JobQueue(gate, workers=1, queue_size=1, per_user_limit=5, cooldown_seconds=0)
    check = QueueHealth(queue, workers=1, queue_size=1)
    idle = await check.healthy()
    jobs = [asyncio.ensure_future(queue.run(user, user)) for user in (1, 2)]
    await asyncio.sleep(0.05)
    full = await check.healthy()
    queue.stop()
    stopping = await check.healthy()
    gate.open.set()
    assert await asyncio.gather(*jobs) == [1, 2]
    await queue.close()

    assert idle == (True, "0/1 workers busy, 0/1 waiting, next start in ~0 s")
    assert full[0] and full[1].startswith("full, members are told to retry (1/1 workers busy, 1/1 waiting")
    assert not stopping[0] and stopping[1].startswith("not taking clips: shutting down")


async def test_a_check_that_raises_or_hangs_fails_and_the_others_still_answer() -> None:
    started = time.perf_counter()
    report = await run_checks([Fixed("gateway", True, "2 shards"), Raising(), Hanging()], timeout=0.2)

    assert time.perf_counter() - started < 5
    assert not report.ok
    assert report.text().splitlines() == [
        "unhealthy",
        "gateway: ok: 2 shards",
        "database: FAILING: the check raised ConnectionRefusedError",
        "broker: FAILING: no answer within 0.2 s",
    ]
    assert not (await run_checks([])).ok  # nothing checked is not healthy


async def test_the_server_answers_200_or_503_on_loopback() -> None:
    good, bad = HealthServer([Fixed("queue", True, "idle")]), HealthServer([Fixed("gateway", False, "down")])
    await good.start(0)
    await bad.start(0)
    try:
        assert good.port is not None and bad.port is not None
        assert await asyncio.to_thread(probe, good.port, 5.0) == (True, "healthy\nqueue: ok: idle")
        assert await asyncio.to_thread(probe, bad.port, 5.0) == (False, "unhealthy\ngateway: FAILING: down")
    finally:
        await good.close()
        await bad.close()


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def test_nothing_listening_is_unhealthy_and_says_so() -> None:
    port = free_port()
    healthy, text = probe(port, 2.0)
    assert not healthy and text.startswith(f"nothing answers on 127.0.0.1:{port} (Connection refused)")


def test_the_command_needs_the_port_setting(tmp_path: Path) -> None:
    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.health"],
            cwd=tmp_path,
            env=bot_environment(tmp_path, **env),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    unset, typo, closed = run(), run(JAZZBOT_HEALTH_PORT="80"), run(JAZZBOT_HEALTH_PORT=str(free_port()))

    assert unset.returncode == 2 and "JAZZBOT_HEALTH_PORT is not set" in unset.stderr
    assert (
        typo.returncode == 2 and "JAZZBOT_HEALTH_PORT='80': must be a whole number from 1024" in typo.stderr
    )
    assert closed.returncode == 1 and "is the bot running?" in closed.stderr


def test_the_heartbeat_age_is_read_from_discord_pys_keep_alive_thread() -> None:
    """Fails first when a discord.py update moves where the last heartbeat ack is kept."""
    websocket = SimpleNamespace(thread_id=threading.get_ident(), _max_heartbeat_timeout=60.0)
    keep_alive = KeepAliveHandler(ws=websocket, interval=41.25, shard_id=3)  # type: ignore[arg-type]  # it reads two fields
    websocket._keep_alive = keep_alive
    info = discord.ShardInfo(SimpleNamespace(id=3, ws=websocket), 4)  # type: ignore[arg-type]  # the fields it reads

    keep_alive.ack()
    age = heartbeat_age(info, now=time.perf_counter() + 30.0)

    assert age is not None and 29.0 < age <= 30.5
    assert heartbeat_age(discord.ShardInfo(SimpleNamespace(id=0, ws=SimpleNamespace()), 4)) is None  # type: ignore[arg-type]  # a fake shard
