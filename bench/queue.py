"""``python -m bench.queue``: the worker tier (JAZZBOT_REDIS) on this machine, with real processes.

A redis-server of its own (loopback, a temporary folder) and ``python -m bot.worker`` processes; the bot
side is the :class:`~bot.services.remote_jobs.RemoteQueue` the bot uses, in this process.

- ``round_trip``: one job at a time (4 bars): from ``run()`` to the worker starting it (the worker's
  time stamp on its first stage event; one machine, one clock): admission Lua, arq enqueue, the worker's
  poll and start; and on to that event back at the bot. Also the whole job against the worker's own time
  (``broker overhead per job`` = whole job - the worker's time, means over the last 20 jobs).
- ``throughput``: ``--jobs`` 16-bar clips kept ``--in-flight`` at a time, with 1 and then 2 worker
  processes; clips per minute, and the event loop's lag (a probe sleeps 5 ms again and again and
  records the overshoot) meanwhile.
  With ``--core-per-worker`` worker *i* is pinned to core *i* (its threads and its ffmpeg too), the
  way a deployment gives each worker process one core (compose ``cpus: 1``): the ratio then measures
  how the tier scales per worker, not how much of a spare core one unpinned worker can borrow. The
  machine's own ceiling is measured in the same run (``machine_scaling``: a fixed CPU-bound loop in 1
  and then 2 processes pinned the same way): cores of a shared VM do not add up to 2x.
- ``kill``: 2 workers, ``--kill-jobs`` jobs in flight, one worker SIGKILLed a second in: every job must
  end with a clip or a notice (the killed worker's job is run again once arq's in-progress mark expires:
  job timeout + 15 s; the bench sets ``JAZZBOT_JOB_TIMEOUT=10``).
- ``redis_paused`` / ``redis_stopped``: redis-server hung (SIGSTOP) or gone (SIGTERM): seconds until a new
  job is answered busy (goal: under 3 s).

Prints one JSON object; the load average before and after is in it (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from redis.asyncio import Redis

from bot.core.requests import JazzRequest
from bot.services.jobs import Progress
from bot.services.remote_jobs import BrokerDown, RemoteQueue
from bot.services.settings import Settings
from bot.services.startup import open_queue
from bot.services.studio import Studio
from model.compose import Composer

REPO = Path(__file__).resolve().parents[1]
JOB_TIMEOUT = "10"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(url: str, log: Path, core: int | None = None) -> subprocess.Popen[bytes]:
    """``python -m bot.worker`` on ``url``; pinned to ``core`` (inherited by its threads and ffmpeg)."""
    env = {**os.environ, "JAZZBOT_REDIS": url, "JAZZBOT_JOB_TIMEOUT": JOB_TIMEOUT, "PYTHONPATH": str(REPO)}
    out = log.open("ab")
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    return subprocess.Popen(
        [sys.executable, "-m", "bot.worker"], cwd=REPO, env=env, stdout=out, stderr=out, preexec_fn=pin
    )


async def wait_ready(log: Path, count: int = 1) -> None:
    while log.read_text(errors="replace").count("Starting worker") < count:
        await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p90_ms": round(percentile(values, 0.9) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        "n": len(values),
    }


async def open_remote(url: str, settings: Settings) -> RemoteQueue:
    composer = Composer.load()
    queue = await open_queue(
        replace(settings, redis=url), Studio(composer, settings), composer.name, time.monotonic
    )
    assert isinstance(queue, RemoteQueue)
    return queue


async def worker_starts(url: str, stream: str) -> list[float]:
    """When the worker started each job (the ``at`` of its first stage event, Unix seconds), in order."""
    client = Redis.from_url(url)
    try:
        entries = await client.xrange(stream)
    finally:
        await client.aclose()
    starts: dict[bytes, float] = {}
    for _, fields in entries:
        if fields[b"kind"] == b"stage" and fields[b"job"] not in starts:
            starts[fields[b"job"]] = float(fields[b"at"])
    return list(starts.values())


async def round_trip(queue: RemoteQueue, url: str, samples: int) -> dict[str, Any]:
    """One job at a time: request -> the worker starts it (its own clock stamp; same machine), request
    -> its first progress back at the bot, and the whole job against the worker's own time."""
    first_event: list[float] = []
    whole: list[float] = []
    asked: list[float] = []
    before = len(await worker_starts(url, f"jazzbot:events:{queue.bot_id}"))
    for i in range(samples):
        asked.append(time.time())
        started = time.perf_counter()
        seen: list[float] = []

        async def progress(update: Progress, seen: list[float] = seen, started: float = started) -> None:
            if update.state == "composing" and not seen:
                seen.append(time.perf_counter() - started)

        await queue.run(1000 + i, JazzRequest(bars=4, seed=i), progress)
        whole.append(time.perf_counter() - started)
        if seen:
            first_event.append(seen[0])
    starts = (await worker_starts(url, f"jazzbot:events:{queue.bot_id}"))[before:]
    worker_mean = (await queue.status()).mean_job_seconds  # the workers' own time, their last 20 jobs
    recent = whole[-20:]
    return {
        "request_to_worker_start": ms([start - ask for ask, start in zip(asked, starts, strict=True)]),
        "request_to_first_progress_back": ms(first_event),
        "whole_job": ms(whole),
        "worker_time_mean_ms": round(worker_mean * 1000, 1),
        "broker_overhead_per_job_ms": round((statistics.mean(recent) - worker_mean) * 1000, 1),
    }


async def lag_probe(lags: list[float], stop_event: asyncio.Event) -> None:
    while not stop_event.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - before - 0.005)


def _spin(core: int, seconds: float) -> int:
    """Rounds of a fixed CPU-bound loop (Python arithmetic and a small float32 product) on ``core``."""
    os.sched_setaffinity(0, {core})
    weights = np.ones((192, 768), np.float32)
    vector = np.ones((1, 192), np.float32)
    rounds = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        total = 0
        for i in range(2000):
            total += i * i
        for _ in range(20):
            vector @ weights
        rounds += 1
    return rounds


def machine_scaling(seconds: float = 4.0) -> float:
    """How much 2 pinned processes get done against 1, on this machine now (the ceiling for workers)."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_spin, [0, 1], [0.2, 0.2]))  # start both processes
        one = pool.submit(_spin, 0, seconds).result()
        two = sum(pool.map(_spin, [0, 1], [seconds, seconds]))
    return round(two / one, 2)


def cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` and its reaped children (a worker's ffmpeg), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


async def batch(
    queue: RemoteQueue,
    jobs: int,
    in_flight: int,
    bars: int = 16,
    processes: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """``jobs`` clips, ``in_flight`` at a time; clips per minute and the loop's lag meanwhile, and the
    CPU seconds per clip each of ``processes`` (name -> pids) spent."""
    processes = processes or {}
    cpu_before = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in processes.items()}
    gate = asyncio.Semaphore(in_flight)
    outcomes: list[str] = []

    async def one(i: int) -> None:
        async with gate:
            try:
                await queue.run(5000 + i, JazzRequest(bars=bars, seed=i))
                outcomes.append("clip")
            except Exception as error:
                outcomes.append(f"notice: {type(error).__name__}")

    lags: list[float] = []
    stop_event = asyncio.Event()
    probe = asyncio.create_task(lag_probe(lags, stop_event))
    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(jobs)))
    seconds = time.perf_counter() - started
    stop_event.set()
    await probe
    cpu = {
        name: round((sum(cpu_seconds(pid) for pid in pids) - cpu_before[name]) / max(1, jobs), 3)
        for name, pids in processes.items()
    }
    return {
        "cpu_seconds_per_clip": cpu,
        "jobs": jobs,
        "in_flight": in_flight,
        "seconds": round(seconds, 2),
        "clips_per_min": round(outcomes.count("clip") / seconds * 60, 1),
        "outcomes": {kind: outcomes.count(kind) for kind in sorted(set(outcomes))},
        "loop_lag": ms(lags),
    }


def _mid_job(log: Path) -> bool:
    lines = [line for line in log.read_text(errors="replace").splitlines() if "make_clip" in line]
    return bool(lines) and "→" in lines[-1]


async def busy_answer(queue: RemoteQueue, redis: subprocess.Popen[bytes], how: signal.Signals) -> float:
    """Seconds until ``/jazz``'s job is refused as busy once redis-server got ``how`` (SIGSTOP: hung,
    SIGTERM: gone)."""
    redis.send_signal(how)
    if how == signal.SIGTERM:
        redis.wait(10)
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    try:
        await queue.run(9999, JazzRequest(bars=4))
    except BrokerDown:
        return round(time.perf_counter() - started, 3)
    raise AssertionError("a job was admitted with Redis away")


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=64)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--kill-jobs", type=int, default=20)
    parser.add_argument("--core-per-worker", action="store_true", help="pin worker i to core i")
    args = parser.parse_args(argv)
    settings = Settings(
        per_user_limit=2, cooldown_seconds=0.0, queue_size=256, job_timeout=float(JOB_TIMEOUT)
    )
    results: dict[str, Any] = {
        "load_before": os.getloadavg(),
        "cores": os.cpu_count(),
        "core_per_worker": args.core_per_worker,
    }
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as folder:
        tmp = Path(folder)
        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", folder, "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        workers: list[subprocess.Popen[bytes]] = []
        try:
            await asyncio.sleep(0.3)
            queue = await open_remote(url, settings)
            log = tmp / "worker-1.log"
            workers.append(start_worker(url, log, 0 if args.core_per_worker else None))
            await wait_ready(log, 1)
            await batch(queue, 4, 4)  # warm-up: the worker's synth and caches
            results["round_trip"] = await round_trip(queue, url, args.samples)

            def processes() -> dict[str, list[int]]:
                return {"bot side": [os.getpid()], "redis": [redis.pid], "workers": [w.pid for w in workers]}

            results["throughput_1_worker"] = await batch(queue, args.jobs, args.in_flight, 16, processes())
            second_log = tmp / "worker-2.log"
            workers.append(start_worker(url, second_log, 1 if args.core_per_worker else None))
            await wait_ready(second_log, 1)
            await batch(queue, 4, 4)
            results["throughput_2_workers"] = await batch(queue, args.jobs, args.in_flight, 16, processes())
            one = results["throughput_1_worker"]["clips_per_min"]
            results["speed_up_2_vs_1"] = round(results["throughput_2_workers"]["clips_per_min"] / one, 2)
            if args.core_per_worker:
                results["machine_scaling_2_vs_1"] = machine_scaling()

            async def kill_soon() -> None:
                """SIGKILL the first worker a second in, while it is making a clip (arq's last line for
                it is a job's start, "→")."""
                await asyncio.sleep(1.0)
                while not _mid_job(log):
                    await asyncio.sleep(0.005)
                workers[0].send_signal(signal.SIGKILL)

            killer = asyncio.create_task(kill_soon())
            killed = await batch(queue, args.kill_jobs, args.kill_jobs)
            await killer
            results["kill_one_of_2_workers"] = killed
            results["redis_paused_busy_answer_s"] = await busy_answer(queue, redis, signal.SIGSTOP)
            redis.send_signal(signal.SIGCONT)
            results["redis_stopped_busy_answer_s"] = await busy_answer(queue, redis, signal.SIGTERM)
            await queue.close()
        finally:
            for worker in workers:
                stop(worker)
            if redis.poll() is None:
                redis.send_signal(signal.SIGCONT)
                redis.terminate()
                redis.wait(10)
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
