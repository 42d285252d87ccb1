"""``python -m bench.bot``: the bot's services end to end, without Discord's network.

Measures, on real services (SQLite file in a temporary directory, shipped composer, FluidSynth, ffmpeg):

- start to ready: a fresh ``python`` process importing the bot and running ``open_services``;
- command to clip ready for 16 bars (``JazzService.compose``: job row, queue, compose, arrange,
  render+encode, piano roll, clip row), p50/p95, against rendering and encoding the same (arranged) MIDI
  alone, the way :func:`bot.audio.clips.make_clip` does it (streamed render overlapping the encoder);
- throughput in clips per minute with 1, 2, 8 and 32 requests kept in flight (distinct users);
- event-loop lag p99 while 32 requests are in flight: a probe sleeps 5 ms again and again and records by
  how much each sleep overshoots;
- core-seconds per clip at each level: this process (all threads) and its ffmpeg children;
- the process's RSS (peak and at the end; ffmpeg children not included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.__main__ import freeze_startup_objects
from bot.audio.encode import encode_stream
from bot.audio.render import Renderer
from bot.core.requests import build_request
from bot.services.jazz import Requester
from bot.services.settings import Settings, load_settings
from bot.services.startup import Services, open_services

BARS = 16
PROBE_SECONDS = 0.005
CONCURRENCY = (1, 2, 8, 32)
_READY = "ready"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (ffmpeg)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def bench_settings(workdir: Path, workers: int | None = None) -> Settings:
    settings = replace(
        load_settings(environ={}, env_file=None),
        database=workdir / "bench.db",
        queue_size=64,
        per_user_limit=64,
        cooldown_seconds=0.0,
    )
    return settings if workers is None else replace(settings, workers=workers)


def start_to_ready() -> tuple[float, float]:
    """Seconds from spawning ``python -m bench.bot --ready`` until it has its services open, and its RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bot", "--ready"], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    ready = time.perf_counter() - started
    child.wait()
    if not line.startswith(_READY):
        raise RuntimeError(f"the probe process did not get ready: {line!r}")
    return ready, float(line.split()[1])


async def _ready_probe() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-bot-") as workdir:
        services = await open_services(bench_settings(Path(workdir)))
        print(_READY, f"{rss_mb()[0]:.0f}", flush=True)
        await services.close()


async def latency(services: Services, runs: int) -> tuple[list[float], list[float], dict[str, list[float]]]:
    """End-to-end seconds per 16-bar clip, render+encode seconds of the same MIDI on its own, and the
    clip's stages (:attr:`bot.audio.clips.Clip.timings`, plus "outside": the job row, queue and clip
    row around the worker's stages)."""
    renderer = Renderer(services.settings.soundfont)
    end_to_end, render_encode = [], []
    stages: dict[str, list[float]] = {}
    for seed in range(runs):
        request = build_request(f"{BARS} bars", seed=seed)
        started = time.perf_counter()
        _, clip = await services.jazz.compose(Requester(1, "bench"), request)
        end_to_end.append(time.perf_counter() - started)
        timings = {**clip.timings, "outside": end_to_end[-1] - sum(clip.timings.values())}
        for stage, seconds in timings.items():
            stages.setdefault(stage, []).append(seconds)

        def render_and_encode(midi: bytes = clip.midi) -> None:
            stream = renderer.stream(midi)
            encode_stream(stream.blocks, stream.frames, stream.sample_rate, services.settings.audio_format)

        started = time.perf_counter()
        await asyncio.to_thread(render_and_encode)
        render_encode.append(time.perf_counter() - started)
    renderer.close()
    return end_to_end, render_encode, stages


async def _lag_probe(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(PROBE_SECONDS)
        lags.append(time.perf_counter() - started - PROBE_SECONDS)


async def throughput(
    services: Services, concurrency: int, clips: int, lags: list[float]
) -> tuple[float, float]:
    """Clips per minute with ``concurrency`` requests kept in flight until ``clips`` are made, and the
    core-seconds each clip cost (bot process and ffmpeg children)."""
    remaining = list(range(clips))

    async def client(user: int) -> None:
        while remaining:
            seed = remaining.pop()
            await services.jazz.compose(
                Requester(user, f"user{user}"), build_request(f"{BARS} bars", seed=seed)
            )

    stop = asyncio.Event()
    probe = asyncio.create_task(_lag_probe(stop, lags))
    started, cpu = time.perf_counter(), cpu_seconds()
    await asyncio.gather(*(client(100 + n) for n in range(concurrency)))
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    stop.set()
    await probe
    return clips / wall * 60, cpu / clips


async def run(runs: int, clips_per_level: int, levels: Sequence[int], workers: int | None) -> None:
    ready, child_rss = start_to_ready()
    print(f"start to ready: {ready:.2f} s (fresh process, RSS when ready {child_rss:.0f} MiB)")
    with tempfile.TemporaryDirectory(prefix="bench-bot-") as workdir:
        services = await open_services(bench_settings(Path(workdir), workers))
        try:
            print(
                f"{services.settings.workers} workers, model {services.composer.name}, {os.cpu_count()} cores"
            )
            await services.jazz.compose(Requester(1, "warm-up"), build_request("2 bars", seed=0))
            end_to_end, render_encode, stages = await latency(services, runs)
            e2e50, re50 = statistics.median(end_to_end), statistics.median(render_encode)
            print(
                f"{BARS} bars, {runs} runs: command to clip p50 {e2e50 * 1e3:.0f} ms, "
                f"p95 {percentile(end_to_end, 95) * 1e3:.0f} ms; render+encode of the same MIDI p50 "
                f"{re50 * 1e3:.0f} ms, p95 {percentile(render_encode, 95) * 1e3:.0f} ms; "
                f"ratio {e2e50 / re50:.2f}x"
            )
            print(
                "clip stages p50: "
                + ", ".join(
                    f"{stage} {statistics.median(times) * 1e3:.1f}" for stage, times in stages.items()
                )
                + " ms"
            )
            for concurrency in levels:
                lags: list[float] = []
                rate, cpu = await throughput(services, concurrency, max(clips_per_level, concurrency), lags)
                print(
                    f"concurrency {concurrency:>2}: {rate:6.1f} clips/min, {cpu:.2f} core-s/clip; "
                    f"loop lag p50 "
                    f"{percentile(lags, 50) * 1e3:.1f} ms, p99 {percentile(lags, 99) * 1e3:.1f} ms, "
                    f"max {max(lags) * 1e3:.1f} ms ({len(lags)} probes)"
                )
        finally:
            await services.close()
    current, peak = rss_mb()
    print(f"RSS: {current:.0f} MiB at the end, peak {peak:.0f} MiB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bot", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="sequential 16-bar clips timed for latency")
    parser.add_argument(
        "--clips", type=int, default=8, help="clips per concurrency level (at least the level)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=CONCURRENCY, help="requests in flight per level"
    )
    parser.add_argument("--workers", type=int, help="worker threads (default: the settings' default)")
    parser.add_argument("--ready", action="store_true", help=argparse.SUPPRESS)  # the start-to-ready probe
    args = parser.parse_args(argv)
    freeze_startup_objects()  # as python -m bot does
    asyncio.run(_ready_probe() if args.ready else run(args.runs, args.clips, args.concurrency, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
