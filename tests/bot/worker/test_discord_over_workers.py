"""/jazz and the clip buttons on a bot started with JAZZBOT_REDIS: a ``python -m bot.worker`` process makes
every clip, the bot posts it as it does with its own workers (simcord drives the bot offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.services.remote_jobs import RemoteQueue
from tests.bot.discord_helpers import QUICK_BARS, embed_fields
from tests.bot.worker.helpers import WorkerProcess


@pytest.fixture
def settings_overrides(queue_url: str) -> dict[str, Any]:
    return {"redis": queue_url}


async def test_jazz_regenerate_and_vary_are_made_by_a_worker_and_posted_once(
    simcord_env: Any, scene: Any, queue_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    worker = await workers(queue_url).ready()
    channel, alice, bob = scene

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS, key="Bb", seed=7)
    [clip] = result.followups
    regenerated = (await bob.click(clip, label="Regenerate")).followups[0]
    varied = (await alice.click(clip, label="Vary")).followups[0]

    assert isinstance(simcord_env.bot.services.queue, RemoteQueue)
    assert result.response.content.startswith("✅ Done in")
    files = {attachment.filename.rsplit(".", 1)[1]: attachment for attachment in clip.attachments}
    assert sorted(files) == ["mid", "ogg", "png"]
    assert (await files["ogg"].read()).startswith(b"OggS")
    assert (embed_fields(clip)["Key"], embed_fields(clip)["Seed"]) == ("Bb", "7")
    assert embed_fields(regenerated)["Seed"] != "7"
    assert embed_fields(varied)["Progression"] == embed_fields(clip)["Progression"]
    posted = [message.id for message in channel.history(viewer=bob) if message.content.endswith("'s clip")]
    assert posted == [clip.id, regenerated.id, varied.id]  # each once, in order
    assert worker.text().count("make_clip ●") == 3

    right_now = embed_fields((await bob.slash(channel, "help")).response)["Right now"]
    assert right_now == "0 of 1 players busy, none waiting"  # the worker process, seen through Redis
