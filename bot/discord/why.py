"""The "Why?" button under every clip: its chart, how it was played and a few figures beside real solos',
shown to the clicker alone.

Like the other clip buttons it is a :class:`discord.ui.DynamicItem` whose whole state is the ``custom_id``
(``jazz:why:<clip id>``) plus the clip's row in SQLite, so it works on old messages after any restart.
The figures and their readings come from :mod:`bot.services.explain`.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord

from bot.core.failures import new_request_id
from bot.core.limits import in_range
from bot.core.text import fit, shorten
from bot.discord.errors import NO_MENTIONS, RefusedWhenStopped, describe_failure, send_private
from bot.services.explain import Explanation, explain_clip
from bot.services.startup import Services

MAX_FIELD = 1024  # Discord's limit for an embed field's value
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
FENCE = "```"


@runtime_checkable
class WhyHandler(Protocol):
    """What the client does when someone clicks "Why?" (implemented by ``JazzBot``)."""

    async def on_why_button(self, interaction: discord.Interaction, clip_id: int) -> None:
        """Answer the click privately, failures included."""


class WhyButton(
    RefusedWhenStopped,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"jazz:why:(?P<clip>[0-9]{1,25})",
):
    """The "Why?" button of one clip; rebuilt from its ``custom_id`` for every click."""

    def __init__(self, clip_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Why?", emoji="🔍", style=discord.ButtonStyle.secondary, custom_id=f"jazz:why:{clip_id}"
            )
        )
        self.clip_id = clip_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> WhyButton:
        return cls(int(match["clip"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if not in_range(self.clip_id):  # a forged id, too large for SQLite
            await send_private(interaction, f"There is no clip #{self.clip_id}.")
        elif isinstance(client, WhyHandler):
            await client.on_why_button(interaction, self.clip_id)


def chart_field(chart: str) -> str:
    """The chart in a code block that fits an embed field, cut with "…" inside the block."""
    return f"{FENCE}{shorten(chart, MAX_FIELD - 2 * len(FENCE))}{FENCE}"


def why_embed(shown: Explanation) -> discord.Embed:
    """The private answer: what was played, the chart, then one field per figure."""
    about = [shown.headline, f"Soloist: {shown.soloist} · {shown.making}"]
    if shown.tune:
        about.append(shown.tune)
    embed = discord.Embed(
        title=fit(f"Why clip #{shown.clip_id} sounds like this", MAX_TITLE),
        description=fit("\n".join(about), MAX_DESCRIPTION),
        colour=discord.Colour.dark_gold(),
    )
    embed.add_field(name="Chart (the chords it used)", value=chart_field(shown.chart), inline=False)
    for line in shown.figures:
        embed.add_field(
            name=f"{line.name}: {line.value}",
            value=fit(f"real solos: {line.real}\n{line.reading}", MAX_FIELD),
            inline=False,
        )
    embed.set_footer(text=fit(shown.reference, 2048))
    return embed


async def show_why(services: Services, interaction: discord.Interaction, clip_id: int) -> None:
    """Answer a "Why?" click privately: the view, or why not (an unknown or foreign clip, a bug's id)."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        shown = await explain_clip(services.clips, clip_id, interaction.guild_id, interaction.user.id)
    except Exception as error:
        text = describe_failure(error, new_request_id())
        await interaction.edit_original_response(content=fit(text), allowed_mentions=NO_MENTIONS)
        return
    await interaction.edit_original_response(embed=why_embed(shown), allowed_mentions=NO_MENTIONS)
