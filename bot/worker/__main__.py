"""``python -m bot.worker``: a clip worker for bots started with ``JAZZBOT_REDIS``.

Reads the same settings as the bot (``JAZZBOT_REDIS`` required; ``JAZZBOT_SOUNDFONT``,
``JAZZBOT_AUDIO_FORMAT``, ``JAZZBOT_MAX_UPLOAD_BYTES`` and ``JAZZBOT_JOB_TIMEOUT`` shape the clips), checks
the soundfont, ffmpeg and Redis, loads the composer and the synth once, then runs jobs one at a time (start
one process per core) until SIGTERM or SIGINT. A job it was making when stopped goes back in line for
another worker (arq's retry on cancel). If Redis goes away it keeps trying to reconnect; its heartbeat
(``jazzbot:workers``) lets bots count the live workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from arq.connections import ArqRedis
from arq.worker import Worker, func

from bot.core.logs import configure_logging
from bot.services import queue_state as state
from bot.services.health import HealthServer
from bot.services.remote_jobs import CONNECTION_ERRORS, BrokerUnreachable, check_reachable, connect
from bot.services.settings import Settings, SettingsError, load_settings
from bot.services.startup import StartupError, check_ffmpeg, check_soundfont
from bot.services.studio import Studio
from bot.worker.clip_job import MAX_TRIES, ClipMaker, make_clip
from model.compose import Composer

log = logging.getLogger("bot.worker")

POLL_SECONDS = 0.002
"""How often an idle worker asks arq's queue for a job: the broker round trip is about half of it."""
TIMEOUT_MARGIN = 5.0
"""arq's own job timeout is the bot's plus this; a dead worker's job is run again after it plus 10 s."""
RECONNECT_SECONDS = 1.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="jobs at once in this process (default 1)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"jazzbot worker: {error}", file=sys.stderr)
        return 2
    password = urlsplit(settings.redis).password if settings.redis else None
    configure_logging(settings.log_level, secrets=[settings.discord_token, password])
    if not settings.redis:
        log.error("JAZZBOT_REDIS is not set: a worker takes its jobs from Redis (redis://host:6379/0)")
        return 2
    try:
        asyncio.run(serve(settings, settings.redis, max(1, args.jobs)))
    except (StartupError, BrokerUnreachable) as error:
        log.error("cannot start: %s", error)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def serve(settings: Settings, url: str, jobs: int) -> None:
    """Load once, then run jobs until SIGTERM/SIGINT; reconnect whenever Redis goes away."""
    check_soundfont(settings.soundfont)
    check_ffmpeg()
    redis = connect(url)
    try:
        await check_reachable(redis, url)
    except BrokerUnreachable:
        await redis.aclose()
        raise
    composer = await asyncio.to_thread(Composer.load)
    worker_id = secrets.token_hex(6)
    maker = ClipMaker(redis, Studio(composer, settings), composer.name, threads=jobs)
    heartbeat = asyncio.create_task(_heartbeat(redis, worker_id))
    stopping = asyncio.Event()
    current: list[Worker] = []  # the arq worker of the current connection, if any
    serving = asyncio.current_task()

    def on_signal(signum: signal.Signals) -> None:
        stopping.set()
        if current:
            current[0].handle_sig(signum)  # its running jobs go back in line; its main task ends
        elif serving is not None:
            serving.cancel()  # between connections: nothing is running

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    health = HealthServer([WorkerHealth(redis, composer.name, current)])
    if settings.health_port is not None:
        try:
            await health.start(settings.health_port)
        except OSError as error:
            raise StartupError(
                f"JAZZBOT_HEALTH_PORT: cannot listen on 127.0.0.1:{settings.health_port} ({error.strerror})."
            ) from None
    log.info("worker %s ready: model %s, %d job(s) at once", worker_id, composer.name, jobs)
    try:
        while not stopping.is_set():
            current[:] = [
                Worker(
                    [func(make_clip, name=state.FUNCTION, max_tries=MAX_TRIES + 1)],
                    redis_pool=redis,
                    handle_signals=False,
                    max_jobs=jobs,
                    job_timeout=settings.job_timeout + TIMEOUT_MARGIN,
                    keep_result=state.TOKEN_LIFE_MS / 1000,
                    poll_delay=POLL_SECONDS,
                    ctx={"maker": maker},
                    log_results=False,
                )
            ]
            try:
                await current[0].async_run()
            except CONNECTION_ERRORS as error:
                log.error("lost Redis (%s); reconnecting", error)
                current.clear()
                await asyncio.sleep(RECONNECT_SECONDS)
    except asyncio.CancelledError:
        pass  # stopped by a signal
    finally:
        heartbeat.cancel()
        with contextlib.suppress(*CONNECTION_ERRORS):
            await redis.zrem(state.WORKERS, worker_id)
        await asyncio.to_thread(maker.close)
        await health.close()
        await redis.aclose()


class WorkerHealth:
    """A worker's ``GET /health`` (``JAZZBOT_HEALTH_PORT``, what compose.yaml's healthcheck asks through
    ``python -m bot.health``): healthy while Redis answers a PING and the job loop is connected."""

    name = "worker"

    def __init__(self, redis: ArqRedis, model: str, current: list[Worker]) -> None:
        self._redis = redis
        self._model = model
        self._current = current

    async def healthy(self) -> tuple[bool, str]:
        try:
            await self._redis.ping()
        except CONNECTION_ERRORS as error:
            return False, f"Redis does not answer ({type(error).__name__}); reconnecting"
        if not self._current:
            return False, "between Redis connections"
        return True, f"model {self._model}, taking jobs"


async def _heartbeat(redis: ArqRedis, worker_id: str) -> None:
    """Stamp this worker as alive every :data:`~bot.services.queue_state.HEARTBEAT_MS`."""
    while True:
        with contextlib.suppress(*CONNECTION_ERRORS):
            await redis.zadd(state.WORKERS, {worker_id: round(time.time() * 1000)})
        await asyncio.sleep(state.HEARTBEAT_MS / 1000)


if __name__ == "__main__":
    sys.exit(main())
