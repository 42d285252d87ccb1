"""The buttons under a clip keep working across restarts: their state is the custom_id plus SQLite."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.discord.app import JazzBot
from bot.discord.buttons import ClipAction, ClipButton
from model.endings import ENDING_BARS
from tests.bot.discord_helpers import QUICK_BARS, Bots, button_labels, embed_fields


def _bars_of_chart(chart: str) -> list[str]:
    """The bar cells of the chart in a Progression field ("`slug` ```| A | B |```")."""
    inside = chart.split("```")[1]
    return [cell.strip() for cell in inside.strip().strip("|").split("|")]


async def test_regenerate_and_extend_work_after_a_restart(simcord_env: Any, scene: Any, bots: Bots) -> None:
    channel, alice, bob = scene
    first = (await alice.slash(channel, "jazz", bars=QUICK_BARS, seed=5)).followups[0]

    await simcord_env.restart_bot(bots.new())
    extended = await bob.click(first, label="Extend +8 bars")
    regenerated = await bob.click(first, label="Regenerate")

    assert extended.ephemeral and extended.response.content.startswith("✅ Done in")
    longer = embed_fields(extended.followups[0])
    assert (longer["Bars"], longer["Seed"]) == (str(QUICK_BARS + 8), "5")
    kept = QUICK_BARS - ENDING_BARS  # the original's last bars were its ending cadence
    original_bars = _bars_of_chart(embed_fields(first)["Progression"])
    assert _bars_of_chart(longer["Progression"])[:kept] == original_bars[:kept]
    again = embed_fields(regenerated.followups[0])
    assert again["Bars"] == str(QUICK_BARS) and again["Seed"] != "5"
    assert first.embeds[0].footer.text == "clip #1"
    assert extended.followups[0].embeds[0].footer.text == "clip #2 · from clip #1"
    assert button_labels(regenerated.followups[0]) == [
        "Regenerate",
        "Extend +8 bars",
        "Vary",
        "Play in voice",
        "Why?",
    ]


async def test_vary_keeps_the_chords_and_changes_the_melody(scene: Any) -> None:
    channel, alice, _ = scene
    first = (await alice.slash(channel, "jazz", bars=QUICK_BARS, seed=9, key="G")).followups[0]

    varied = (await alice.click(first, label="Vary")).followups[0]

    before, after = embed_fields(first), embed_fields(varied)
    assert after["Progression"] == before["Progression"]
    assert (after["Key"], after["Bars"]) == (before["Key"], str(QUICK_BARS)) == ("G", str(QUICK_BARS))
    assert after["Seed"] != before["Seed"]


@pytest.mark.parametrize("settings_overrides", [{"max_bars": 8}])
async def test_extending_past_the_bar_limit_is_refused_privately(scene: Any) -> None:
    channel, alice, bob = scene
    first = (await alice.slash(channel, "jazz", bars=QUICK_BARS)).followups[0]

    refused = await alice.click(first, label="Extend +8 bars")

    assert refused.ephemeral and "up to 8 bars" in refused.response.content
    assert not refused.followups
    assert [message.id for message in channel.history(viewer=bob)] == [first.id]


async def test_submit_appears_while_a_challenge_is_open_and_enters_the_clip(
    simcord_env: Any, scene: Any
) -> None:
    channel, alice, bob = scene
    await simcord_env.bot.services.challenges.start(
        alice.guild.id,
        channel.id,
        bob.id,
        is_moderator=True,
        title="Blues week",
        prompt="Anything in F",
        submit_by="3d",
        vote_by="2d",
    )
    clip = (await alice.slash(channel, "jazz", bars=QUICK_BARS)).followups[0]

    not_hers = await bob.click(clip, label="Submit to challenge")
    entered = await alice.click(clip, label="Submit to challenge")

    assert button_labels(clip)[-2:] == ["Submit to challenge", "Why?"]
    assert not_hers.ephemeral and "made by someone else" in not_hers.response.content
    assert entered.ephemeral and entered.response.content.startswith(f"🏆 Clip #{clip_id(clip)} is in")
    [entry] = (await simcord_env.bot.services.challenges.entries(alice.guild.id))[1]
    assert (entry.author_id, entry.reference) == (alice.id, str(clip_id(clip)))


async def test_submit_after_the_challenge_closed_says_so_and_goes_away(simcord_env: Any, scene: Any) -> None:
    channel, alice, bob = scene
    challenges = simcord_env.bot.services.challenges
    await challenges.start(
        alice.guild.id, channel.id, bob.id, is_moderator=True, title="Blues week", prompt="F",
        submit_by="3d", vote_by="2d",
    )  # fmt: skip
    clip = (await alice.slash(channel, "jazz", bars=QUICK_BARS)).followups[0]
    await challenges.close(alice.guild.id, is_moderator=True)

    late = await alice.click(clip, label="Submit to challenge")

    assert late.ephemeral and "This challenge has closed to entries" in late.response.content
    [posted] = channel.history(viewer=bob)
    assert [child.label for row in posted.components for child in row.children] == [
        "Regenerate",
        "Extend +8 bars",
        "Vary",
        "Play in voice",
        "Why?",
    ]


async def test_a_direct_message_clip_is_its_user_s_alone(simcord_env: Any, simcord_bot: JazzBot) -> None:
    alice = simcord_env.create_user("alice")
    bob = simcord_env.create_user("bob")
    hers = (await alice.slash("jazz", bars=QUICK_BARS, seed=2)).followups[0]
    assert "Extend +8 bars" in button_labels(hers)
    view = discord.ui.View(timeout=None)
    view.add_item(ClipButton(ClipAction.EXTEND, clip_id(hers)))  # her clip's id under bob's own message
    forged = await (await simcord_bot.fetch_user(bob.id)).send("forged", view=view)
    message = next(post for post in bob.dm_channel.history(viewer=bob) if post.id == forged.id)

    tried = await bob.click(message, label="Extend +8 bars")

    assert f"There is no clip #{clip_id(hers)} here" in (tried.followups or [tried.response])[-1].content


def clip_id(message: Any) -> int:
    """The clip id in the embed's footer ("clip #12")."""
    return int(message.embeds[0].footer.text.removeprefix("clip #"))
