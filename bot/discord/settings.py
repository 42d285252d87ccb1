"""``/settings``: a server's own jazzbot settings (:mod:`bot.services.guild_settings`).

Without options it shows them to anyone who asks; with options it changes them, for members with
Manage Server. Every answer is private.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.errors import refusals, send_private
from bot.services.guild_settings import RESETTABLE, GuildSettings, settings_text
from bot.services.settings import MAX_BARS_LIMIT
from bot.services.startup import Services
from model.arrange import STYLES
from model.errors import InputError

LISTINGS = ("public", "private")


def _shown(settings: GuildSettings, bot_max_bars: int) -> str:
    channel = settings.challenge_channel_id
    role = settings.moderator_role_id
    return settings_text(
        settings,
        bot_max_bars,
        channel=None if channel is None else f"<#{channel}>",
        role=None if role is None else f"<@&{role}>",
    )


def _check_channel(channel: discord.TextChannel) -> None:
    if not channel.permissions_for(channel.guild.me).send_messages:
        raise InputError(f"I cannot post in <#{channel.id}>; pick a channel where I may send messages.")


def settings_command(services: Services) -> app_commands.Command[Any, ..., None]:
    """The ``/settings`` slash command bound to ``services``."""

    @app_commands.command(
        name="settings", description="This server's jazzbot settings (changing them needs Manage Server)."
    )
    @app_commands.guild_only()
    @app_commands.describe(
        moderator_role="Members with this role can run challenges (besides Manage Server)",
        max_bars="The most bars a clip may have here (up to the bot's own limit)",
        default_style="The style /jazz plays when the request names none",
        challenge_channel="Where /challenge start announces challenges by default",
        listings="Challenge info, entries and leaderboards: posted for everyone, or shown only to the asker",
        reset="Put one setting (or all) back to the bot's default",
    )
    @app_commands.choices(
        default_style=[app_commands.Choice(name=style, value=style) for style in STYLES],
        listings=[app_commands.Choice(name=name, value=name) for name in LISTINGS],
        reset=[app_commands.Choice(name=name.replace("_", " "), value=name) for name in RESETTABLE],
    )
    async def settings_(
        interaction: discord.Interaction,
        moderator_role: discord.Role | None = None,
        max_bars: app_commands.Range[int, 1, MAX_BARS_LIMIT] | None = None,
        default_style: str | None = None,
        challenge_channel: discord.TextChannel | None = None,
        listings: str | None = None,
        reset: str | None = None,
    ) -> None:
        async with refusals(interaction):
            guild_id = interaction.guild_id
            if guild_id is None:
                raise InputError("Settings belong to a server; use /settings in one.")
            given = (moderator_role, max_bars, default_style, challenge_channel, listings, reset)
            if all(option is None for option in given):
                current = await services.guild_settings.for_guild(guild_id)
                await send_private(interaction, _shown(current, services.settings.max_bars))
                return
            if challenge_channel is not None and interaction.permissions.manage_guild:
                _check_channel(challenge_channel)
            changed = await services.guild_settings.change(
                guild_id,
                interaction.user.id,
                may_manage=interaction.permissions.manage_guild,
                moderator_role=None if moderator_role is None else (moderator_role.id, moderator_role.name),
                max_bars=max_bars,
                default_style=default_style,
                challenge_channel_id=None if challenge_channel is None else challenge_channel.id,
                private_listings=None if listings is None else listings == "private",
                reset=next((name for name in RESETTABLE if name == reset), None),
            )
            await send_private(interaction, "Saved.\n" + _shown(changed, services.settings.max_bars))

    return settings_
