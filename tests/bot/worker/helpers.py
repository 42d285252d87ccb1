"""Real parts for the worker tier's tests: ``python -m bot.worker`` processes, a redis-server of a test's
own (to stop and start again), and a :class:`RemoteQueue` like the one ``JAZZBOT_REDIS`` gives the bot."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from redis.asyncio import Redis

from bot.audio.clips import Clip
from bot.core.requests import JazzRequest
from bot.services import queue_state as state
from bot.services.jobs import JobQueue
from bot.services.remote_jobs import RemoteQueue, connect
from bot.services.settings import Settings
from bot.services.studio import Studio
from model.compose import Composer

REPO = Path(__file__).resolve().parents[3]
READY_SECONDS = 60.0


class WorkerProcess:
    """One ``python -m bot.worker`` process on ``url``, its log in ``log``."""

    def __init__(self, url: str, log: Path, **settings: str) -> None:
        env = {**os.environ, "JAZZBOT_REDIS": url, "PYTHONPATH": str(REPO), **settings}
        env.pop("DISCORD_TOKEN", None)
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.worker"], cwd=REPO, env=env, stdout=self._out, stderr=self._out
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def ready(self, timeout: float = READY_SECONDS) -> WorkerProcess:
        """Wait until it has loaded the model and the synth and polls for jobs."""
        deadline = time.monotonic() + timeout
        while "Starting worker" not in self.text():
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited {self.process.returncode}:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready in {timeout} s:\n{self.text()}")
            await asyncio.sleep(0.05)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own on ``port`` (data in ``folder``), to stop and start again."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        try:
            for _ in range(100):
                try:
                    await client.ping()
                    return self
                except OSError:
                    await asyncio.sleep(0.05)
                except Exception:
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def remote_queue(
    url: str,
    model: str | None = None,
    per_user_limit: int = 2,
    cooldown_seconds: float = 0.0,
    queue_size: int = 32,
    max_age_ms: int | None = None,
) -> RemoteQueue:
    """A started RemoteQueue on ``url``, composing for ``model`` (default: the shipped model's name)."""
    composer = Composer.load()
    studio = Studio(composer, Settings())
    local: JobQueue[JazzRequest, Clip] = JobQueue(studio, 1, 4, per_user_limit, 0.0)
    return RemoteQueue(
        connect(url),
        model or composer.name,
        local,
        per_user_limit=per_user_limit,
        cooldown_seconds=cooldown_seconds,
        queue_size=queue_size,
        max_age_ms=state.TOKEN_LIFE_MS if max_age_ms is None else max_age_ms,
    )


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait until ``condition`` holds (the bound only stops a broken test hanging)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
