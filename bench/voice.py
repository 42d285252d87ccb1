"""``python -m bench.voice``: from a press of ``Play in voice`` to the first audio packet, and the event loop
while the bot plays and composes at once.

The real bot (:class:`~bot.discord.app.JazzBot`: services, SQLite file, composer, FluidSynth, ffmpeg) is
driven by simcord, which delivers the button press as Discord would, offline. The voice connection is the
stand-in of ``tests/bot/voice_helpers.py``: the cog's ``connect`` seam returns a link that plays the real
source on discord.py's own ``AudioPlayer`` thread (a ``read()`` every 20 ms) and records when each packet
would go out. So the figures cover everything but Discord's voice handshake (done once per channel; a
real server's join time shows in the manual check of docs/DISCORD.md) and the network.

- ``press_to_first_packet``: time from the press to the first packet the player sends, for a stored
  16-bar clip, ``--presses`` times each: ``joining`` (the bot is not in the channel: connect, then
  play) and ``connected`` (the bot sits idle in the channel);
- ``playing_and_composing``: while a 16-bar clip plays, ``--compose`` 16-bar clips are composed on the
  job queue's workers; a probe sleeps 5 ms again and again and records by how much each sleep
  overshoots (the event loop's lag), and the gaps between the packets the player sends are recorded;
- ``composing_alone``: the same work with nothing playing (measured first, after a warm-up batch),
  to tell the player's share of the lag from the composing's and the machine's (on a shared host the
  probe also counts time the OS gives to other processes).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import simcord

from bot.core.requests import JazzRequest
from bot.discord.app import JazzBot
from bot.services.jazz import Requester
from bot.services.settings import Settings, load_settings
from tests.bot.voice_helpers import StandInConnect

PROBE_SECONDS = 0.005
LAG_LIMIT = 0.050
BARS = 16


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p90_ms": round(1000 * ordered[int(0.9 * (len(ordered) - 1))], 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


async def _until(condition: Any, timeout: float = 30.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), timeout)


def _mark(connect: StandInConnect) -> tuple[int, int]:
    """Where the packets of the next press will start: (links made, packets the newest one sent)."""
    return len(connect.links), len(connect.links[-1].sent) if connect.links else 0


def _first_packet_at(connect: StandInConnect, mark: tuple[int, int]) -> float | None:
    links, sent = mark
    if len(connect.links) > links:  # the press joined the channel: a new link
        link, index = connect.links[-1], 0
    elif links:
        link, index = connect.links[-1], sent
    else:
        return None
    return link.sent_at[index] if len(link.sent_at) > index else None


async def _press(member: Any, clip: Any, connect: StandInConnect) -> float:
    """Press Play in voice; the seconds until the player sent the press's first packet."""
    mark = _mark(connect)
    started = time.perf_counter()
    pressed = asyncio.create_task(member.click(clip, label="Play in voice"))
    await _until(lambda: _first_packet_at(connect, mark) is not None)
    first = _first_packet_at(connect, mark)
    await pressed
    assert first is not None
    return first - started


def _idle(bot: JazzBot, guild_id: int) -> bool:
    view = bot.voice.queues.view(guild_id)
    return view is not None and view.playing is None


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(PROBE_SECONDS)
        lags.append(time.perf_counter() - started - PROBE_SECONDS)


async def run(presses: int, compose: int, settings: Settings) -> dict[str, Any]:
    """The figures as JSON-ready data."""
    bot = JazzBot(settings)
    try:
        return await _measure(bot, presses, compose)
    finally:
        await bot.close()  # simcord leaves the bot open: its job queue's threads would keep the process


async def _measure(bot: JazzBot, presses: int, compose: int) -> dict[str, Any]:
    async with simcord.run(bot) as env:
        guild = env.create_guild("Bench")
        channel = guild.create_text_channel("jam")
        lounge = guild.create_voice_channel("Lounge")
        alice = guild.add_member(env.create_user("alice"))
        connect = StandInConnect()
        bot.voice.connect = connect
        clip = (await alice.slash(channel, "jazz", bars=BARS, seed=1)).followups[0]
        who = Requester(alice.id, "alice", guild.id, channel.id)
        await _composing(bot, who, compose, seed=100)  # warm-up: every worker's first clip
        alone = await _composing(bot, who, compose, seed=200)  # nothing playing
        await alice.join_voice(lounge)

        joining, connected = [], []
        for _ in range(presses):
            joining.append(await _press(alice, clip, connect))
            await alice.slash(channel, "stop")  # leaves: the next press joins again
        await _press(alice, clip, connect)
        for _ in range(presses):
            await alice.slash(channel, "skip")  # stays in the channel, idle
            await _until(lambda: _idle(bot, guild.id))
            connected.append(await _press(alice, clip, connect))

        link = connect.links[-1]
        start_packets = len(link.sent)
        playing = await _composing(bot, who, compose, seed=200)  # the last press's clip still plays
        times = link.sent_at[start_packets:]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        await alice.slash(channel, "stop")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "press_to_first_packet": {
            "joining": {"n": len(joining), **_percentiles(joining)},
            "connected": {"n": len(connected), **_percentiles(connected)},
        },
        "playing_and_composing": {
            **playing,
            "packets_sent": len(times),
            "packet_gap": _percentiles(gaps) if gaps else None,
        },
        "composing_alone": alone,
    }


async def _composing(bot: JazzBot, who: Requester, clips: int, seed: int) -> dict[str, Any]:
    """Compose ``clips`` 16-bar clips at once on the job queue, probing the event loop meanwhile.

    simcord keeps every message, interaction and event of the run, a heap the bot does not have in
    production (36,000 tracked objects after start, a full collection 7 ms): its gen-2 collections
    (measured up to 97 ms with ``gc.callbacks``) would be counted as the bot's lag. So what exists
    before the batch is frozen (``gc.freeze``); what the batch itself allocates is collected as usual.
    """
    gc.collect()
    gc.freeze()
    lags: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(lags, stop))
    began = time.perf_counter()
    await asyncio.gather(
        *(bot.services.jazz.compose(who, JazzRequest(bars=BARS, seed=seed + n)) for n in range(clips))
    )
    seconds = time.perf_counter() - began
    stop.set()
    await probe
    return {
        "clips_composed": clips,
        "seconds": round(seconds, 2),
        "loop_lag": {**_percentiles(lags), "over_50ms": sum(lag > LAG_LIMIT for lag in lags)},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--presses", type=int, default=20, help="button presses per case")
    parser.add_argument("--compose", type=int, default=4, help="16-bar clips composed while playing")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        settings = replace(
            load_settings(environ={}, env_file=None),
            database=Path(workdir) / "bench.db",
            queue_size=64,
            per_user_limit=64,
            cooldown_seconds=0.0,
        )
        print(json.dumps(asyncio.run(run(arguments.presses, arguments.compose, settings)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
