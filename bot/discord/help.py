"""``/help``: what the bot does and how to ask for it, as a card only the asker sees, with the queue as it is.

Everything on the card comes from what the bot actually has: the bar limit from the settings, the
styles and lead instruments the arranger plays, the progression library's tunes, the loaded model and
how busy the workers are at this moment.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.errors import NO_MENTIONS
from bot.services.catalog import catalog
from bot.services.startup import Services

COLOUR = discord.Colour.from_str("#f5a623")  # the lead's colour in the piano roll


def queue_text(services: Services) -> str:
    """The workers and the wait queue right now: "1 of 2 players busy, none waiting", and when all are
    busy, how soon a clip asked for now would start."""
    queue = services.queue
    workers = queue.workers
    waiting = f"{queue.waiting} waiting" if queue.waiting else "none waiting"
    text = f"{queue.running} of {workers} players busy, {waiting}"
    if queue.running < workers:
        return text
    return f"{text}; a clip asked for now starts in ~{max(1, round(queue.estimate_wait()))} s"


def help_embed(services: Services) -> discord.Embed:
    """The help card (see the module doc)."""
    embed = discord.Embed(
        title="🎷 jazzbot",
        description=(
            "A stacked LSTM composes a melody over real jazz changes, and a band (lead, piano, bass, "
            "drums) plays it. Ask, and a clip plays here in a few seconds, with its MIDI and a piano roll."
        ),
        colour=COLOUR,
    )
    embed.add_field(
        name="Make a clip",
        value=(
            "`/jazz` alone, or say it in words in `request`: `8 bars ballad in F at 70 bpm`, "
            "`blues in Bb on vibes`, `16 bars like Parker`, `32 bars of solar in C`.\n"
            f"Options: bars (1–{services.settings.max_bars}), tempo, key, style, progression, "
            "temperature (0.5 tame … 2 wild), seed (same seed and options, same clip), instrument, "
            "like (a soloist or an era)."
        ),
        inline=False,
    )
    embed.add_field(
        name="Under every clip",
        value=(
            "**Regenerate**: same settings, new seed · **Extend +8 bars**: the same piece, longer · "
            "**Vary**: same chords, new melody · **Play in voice**: in your voice channel · "
            "**Submit to challenge**: while one is open"
        ),
        inline=False,
    )
    embed.add_field(
        name="Voice",
        value="`/play clip:<number>` in your voice channel · `/queue` · `/skip` · `/stop` (and leave)",
        inline=False,
    )
    (styles, styles_text), (leads, leads_text), (tunes, tunes_text), (like, like_text) = catalog()
    embed.add_field(name=styles, value=styles_text, inline=True)
    embed.add_field(name=leads, value=leads_text, inline=True)
    embed.add_field(
        name=tunes,
        value=(
            f"{tunes_text} Start typing in `progression` to pick one, "
            "or write your own chart: `| Dm7 G7 | Cmaj7 |`."
        ),
        inline=False,
    )
    embed.add_field(name=like, value=f"{like_text} Start typing in `like` to pick one.", inline=False)
    embed.add_field(
        name="Challenges",
        value=(
            "`/challenge info` what's on · `submit` · `entries` (play and vote) · `vote` · `leaderboard` · "
            "`history` · `profile`. Moderators: `start`, `close`, `cancel`, `remove-entry`, `party` (voice)."
        ),
        inline=False,
    )
    embed.add_field(
        name="Your data and this server",
        value="`/privacy` shows what I store about you and deletes it · `/settings` this server's choices",
        inline=False,
    )
    embed.add_field(name="Right now", value=queue_text(services), inline=False)
    embed.set_footer(text=f"model {services.composer.name}")
    return embed


def help_command(services: Services) -> app_commands.Command[Any, ..., None]:
    """The ``/help`` slash command bound to ``services``."""

    @app_commands.command(name="help", description="What jazzbot does and how to ask for a clip.")
    async def help_(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            embed=help_embed(services), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    return help_
