"""``/privacy``: a member sees what the bot stores about them and can delete it, after confirming.

Everything is private (ephemeral). The confirmation is a short-lived view on that private message: only
the member who asked sees it, and after :data:`CONFIRM_SECONDS` its buttons go and the message says so.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.core.failures import new_request_id
from bot.discord.errors import NO_MENTIONS, describe_failure, refusals
from bot.services.privacy import ERASE_POLICY, erased_text, report_text
from bot.services.startup import Services

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 120.0


def _moment(epoch: float) -> str:
    return f"<t:{int(epoch)}:d>"


class ConfirmErase(discord.ui.View):
    """ "Delete my data" / "Keep it" under the member's private /privacy answer."""

    def __init__(self, services: Services, asked: discord.Interaction) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self._services = services
        self._asked = asked
        self._user_id = asked.user.id

    async def on_timeout(self) -> None:
        try:
            await self._asked.edit_original_response(
                content="Nothing was deleted; run /privacy again to decide.", view=None
            )
        except discord.HTTPException as error:  # the message may be gone; nothing was deleted either way
            log.debug("could not close the /privacy question: %s", error)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self._user_id

    @discord.ui.button(label="Delete my data", style=discord.ButtonStyle.danger)
    async def delete(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        self.stop()
        try:
            erased = await self._services.privacy.erase(self._user_id)
            log.info("user %d erased their data: %s", self._user_id, erased)
            text = f"🗑️ {erased_text(erased)}"
        except Exception as error:
            text = describe_failure(error, new_request_id())
        await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Nothing was deleted.", view=None, allowed_mentions=NO_MENTIONS
        )


def privacy_command(services: Services) -> app_commands.Command[Any, ..., None]:
    """The ``/privacy`` slash command bound to ``services``."""

    @app_commands.command(name="privacy", description="See what jazzbot stores about you, and delete it.")
    async def privacy(interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            data = await services.privacy.report(interaction.user.id)
            text = report_text(data, _moment)
            if data.empty:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
                return
            await interaction.response.send_message(
                f"{text}\n\n{ERASE_POLICY}",
                view=ConfirmErase(services, interaction),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    return privacy
