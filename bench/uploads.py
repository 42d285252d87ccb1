"""``python -m bench.uploads``: twenty members upload a ~1.9 MB MIDI file at once.

Each scenario runs in a fresh process (so its peak RSS is its own) on a real SQLite file and the real
:class:`~bot.services.challenges.ChallengeService`, with the twenty files already in memory (as after
their download, the worst case: the Discord adapter refuses before downloading when it can):

- ``closed``: no challenge is open; every upload must be refused by the cheap checks;
- ``open``: a challenge is open; every upload is scanned (:mod:`bot.services.uploads`);
- ``mido``: for comparison, the old path: each file parsed by ``model.midi.read_midi`` on a thread.

A probe sleeps 5 ms again and again and records by how much each sleep overshoots (the event loop's
lag). On a loaded host the probe also counts the time the OS gives to other processes, so the scan's
own share is measured too: the CPU time of each step it runs between two turns of the loop
(``step_cpu_ms``). The file is dense notes (the costliest kind to parse): 480,000 events in 1.92 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.services.challenges import ChallengeService
from bot.services.settings import Settings
from bot.services.uploads import MAX_EVENTS, MAX_TRACKS, SCAN_SECONDS, MidiRefused, scan_steps
from bot.store.challenges import ChallengeStore
from bot.store.clips import ClipStore
from bot.store.database import open_database

MEMBERS = 20
PROBE_SECONDS = 0.005
SCENARIOS = ("closed", "open", "mido")


def dense_midi(notes: int = 240_000) -> bytes:
    """A Standard MIDI File of ``notes`` short notes in one track (8 bytes a note), written byte by
    byte so the bench's own memory stays small."""
    body = b"".join(bytes((1, 0x90, 60 + n % 12, 90, 1, 0x80, 60 + n % 12, 0)) for n in range(notes))
    body += b"\x00\xff\x2f\x00"  # end of track
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
    return header + (480).to_bytes(2, "big") + b"MTrk" + len(body).to_bytes(4, "big") + body


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(PROBE_SECONDS)
        lags.append(time.perf_counter() - started - PROBE_SECONDS)


async def _upload(service: ChallengeService, member: int, data: bytes, scenario: str) -> str:
    try:
        if scenario == "mido":
            from model.midi import read_midi

            await asyncio.to_thread(read_midi, data)
        else:
            await service.submit_file(1, member, "big.mid", data)
    except Exception as error:  # refusals are the expected outcome here
        return type(error).__name__
    return "accepted"


async def run_scenario(scenario: str) -> dict[str, object]:
    data = dense_midi()
    files = [bytes(data) for _ in range(MEMBERS)]  # twenty downloads held at once
    with tempfile.TemporaryDirectory() as directory:
        conn = await open_database(Path(directory) / "bench.db")
        service = ChallengeService(ChallengeStore(conn), ClipStore(conn), Settings())
        if scenario == "open":
            await service.start(
                1, 2, 3, is_moderator=True, title="t", prompt="p", submit_by="1d", vote_by="1d"
            )
        lags: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.create_task(_probe(lags, stop))
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(_upload(service, member, file, scenario) for member, file in enumerate(files, 10))
        )
        seconds = time.perf_counter() - started
        stop.set()
        await probe
        await conn.close()
    lags.sort()
    steps = _step_cpu_times(data)
    return {
        "scenario": scenario,
        "file_bytes": len(data),
        "outcomes": {name: outcomes.count(name) for name in sorted(set(outcomes))},
        "seconds": round(seconds, 2),
        "lag_p99_ms": round(1000 * lags[int(0.99 * (len(lags) - 1))], 1) if lags else 0.0,
        "lag_max_ms": round(1000 * lags[-1], 1) if lags else 0.0,
        "lag_median_ms": round(1000 * statistics.median(lags), 2) if lags else 0.0,
        "step_cpu_ms_p99": round(1000 * steps[int(0.99 * (len(steps) - 1))], 2),
        "step_cpu_ms_max": round(1000 * steps[-1], 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _step_cpu_times(data: bytes) -> list[float]:
    """CPU seconds of each step of one scan of ``data``, sorted."""
    steps = scan_steps(data, MAX_TRACKS, MAX_EVENTS, SCAN_SECONDS)
    times = []
    while True:
        started = time.thread_time()
        try:
            next(steps)
        except (StopIteration, MidiRefused):
            break
        finally:
            times.append(time.thread_time() - started)
    return sorted(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario in this process")
    arguments = parser.parse_args(argv)
    if arguments.scenario:
        print(json.dumps(asyncio.run(run_scenario(arguments.scenario))))
        return 0
    for scenario in SCENARIOS:
        done = subprocess.run(
            [sys.executable, "-m", "bench.uploads", "--scenario", scenario],
            check=True,
            capture_output=True,
            text=True,
        )
        print(done.stdout.strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
