"""``/help`` on a simulated Discord: a private card built from what the bot really has, queue included."""

from __future__ import annotations

from typing import Any

import pytest

from model.arrange import LEAD_INSTRUMENTS, STYLES
from model.progressions import library
from tests.bot.discord_helpers import background_clip, embed_fields, until


async def test_help_is_private_and_tells_how_to_ask_for_a_clip(simcord_env: Any, scene: Any) -> None:
    channel, alice, bob = scene

    result = await alice.slash(channel, "help")

    assert result.ephemeral and channel.history(viewer=bob) == []
    card = result.response.embeds[0]
    fields = embed_fields(result.response)
    assert "/jazz" in fields["Make a clip"] and "bars (1–64)" in fields["Make a clip"]
    assert fields["Styles"] == ", ".join(STYLES)
    assert all(lead in fields["Lead instruments"] for lead in LEAD_INSTRUMENTS)
    assert f"Progressions ({len(library())} tunes)" in fields
    assert "/challenge info" in fields["Challenges"]
    assert fields["Right now"] == "0 of 2 players busy, none waiting"
    assert card.footer.text == f"model {simcord_env.bot.services.composer.name}"


@pytest.mark.parametrize("settings_overrides", [{"workers": 1, "max_bars": 32}])
async def test_help_shows_the_queue_as_it_is_and_this_bots_bar_limit(simcord_env: Any, scene: Any) -> None:
    channel, alice, _ = scene
    queue = simcord_env.bot.services.queue
    others = [background_clip(simcord_env.bot, user, scene) for user in (901, 902)]
    await until(lambda: queue.running == 1 and queue.waiting == 1)

    result = await alice.slash(channel, "help")

    fields = embed_fields(result.response)
    assert fields["Right now"].startswith("1 of 1 players busy, 1 waiting; a clip asked for now starts in ~")
    assert "bars (1–32)" in fields["Make a clip"]
    for other in others:
        await other
