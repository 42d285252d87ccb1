"""The "Why?" button and the figures in a challenge's entries, on a real bot driven offline by simcord."""

from __future__ import annotations

from typing import Any

import discord

from bot.discord.app import JazzBot
from bot.discord.why import WhyButton, chart_field
from bot.services.challenge_text import FIGURES_NOTE
from model.arrange import DEFAULT_TEMPI
from model.reference_figures import load_reference
from model.tunes import describe
from tests.bot.discord_helpers import QUICK_BARS, Bots, button_labels
from tests.bot.explain_helpers import expected_compact, expected_figures, percent


def clip_id(message: Any) -> int:
    return int(message.embeds[0].footer.text.removeprefix("clip #"))


async def test_why_answers_privately_with_the_chart_and_the_figures(
    simcord_env: Any, scene: Any, bots: Bots
) -> None:
    channel, alice, bob = scene
    clip = (await alice.slash(channel, "jazz", bars=8, seed=21, progression="26-2")).followups[0]
    assert button_labels(clip)[-1] == "Why?"

    await simcord_env.restart_bot(bots.new())  # the button is persistent: its state is the custom_id
    why = await bob.click(clip, label="Why?")

    assert why.ephemeral and not why.followups
    [embed] = why.response.embeds
    stored = await simcord_env.bot.services.clips.get(clip_id(clip), alice.guild.id, bob.id)
    assert embed.title == f"Why clip #{stored.id} sounds like this"
    about = embed.description
    assert f"8 bars of swing in F at {DEFAULT_TEMPI['swing']} bpm" in about
    assert f"Tune: {describe(stored.progression)}" in about and "John Coltrane" in about
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Chart (the chords it used)"] == f"```{stored.chart}```"
    shown = {name.split(": ")[0]: name.split(": ")[1] for name in fields if ": " in name}
    assert shown == expected_figures(stored.midi)
    real = load_reference().figures["chord_tones"]
    assert fields[f"Notes on chord tones: {shown['Notes on chord tones']}"].startswith(
        f"real solos: about {percent(real.mean)}\n"
    )
    assert len(embed) <= 6000


async def test_why_on_an_unknown_or_foreign_clip_is_refused_privately(
    simcord_env: Any, simcord_bot: JazzBot
) -> None:
    alice = simcord_env.create_user("alice")
    bob = simcord_env.create_user("bob")
    hers = (await alice.slash("jazz", bars=QUICK_BARS, seed=2)).followups[0]
    view = discord.ui.View(timeout=None)
    view.add_item(WhyButton(clip_id(hers)))  # her direct-message clip, under bob's own message
    forged = await (await simcord_bot.fetch_user(bob.id)).send("forged", view=view)
    message = next(post for post in bob.dm_channel.history(viewer=bob) if post.id == forged.id)

    tried = await bob.click(message, label="Why?")

    assert tried.ephemeral and not tried.response.embeds
    refusal = f"There is no clip #{clip_id(hers)} here; it may have been made somewhere else."
    assert tried.response.content == refusal
    own = await alice.click(hers, label="Why?")
    assert own.ephemeral and own.response.embeds[0].title == f"Why clip #{clip_id(hers)} sounds like this"


async def test_entries_show_the_clips_figures_as_information(simcord_env: Any, scene: Any) -> None:
    channel, alice, bob = scene
    await simcord_env.bot.services.challenges.start(
        alice.guild.id, channel.id, bob.id, is_moderator=True, title="Blues week", prompt="Anything",
        submit_by="3d", vote_by="2d",
    )  # fmt: skip
    clip = (await alice.slash(channel, "jazz", bars=QUICK_BARS, seed=8)).followups[0]
    await alice.click(clip, label="Submit to challenge")
    await bob.slash(channel, "challenge submit", link="https://github.com/bob/tune", title="Bop")

    listing = (await bob.slash(channel, "challenge entries")).response.embeds[0].description

    stored = await simcord_env.bot.services.clips.get(clip_id(clip), alice.guild.id, alice.id)
    first, second = listing.split("\n\n")[:2]
    assert first.startswith("**#1 Clip #1") and first.endswith("\n" + expected_compact(stored.midi))
    assert "ℹ️" not in second  # a link has no figures
    assert listing.endswith(FIGURES_NOTE)


def test_a_long_chart_is_cut_to_fit_its_embed_field() -> None:
    chart = "| " + " | ".join(f"Cm7 F7 Bbmaj7 Ebmaj7 #{bar}" for bar in range(64)) + " |"
    assert len(chart) > 1024

    field = chart_field(chart)

    assert len(field) == 1024 and field.endswith("…```") and field.startswith("```| Cm7 F7")
