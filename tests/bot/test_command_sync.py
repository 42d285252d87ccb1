"""Commands are synced only when the command tree changed: real bots on simcord, a real SQLite file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from discord import app_commands

from bot.discord.app import JazzBot
from bot.discord.sync import tree_hash, tree_payload
from tests.bot.discord_helpers import Bots, quick_settings

DEV_GUILD = 1_400_000_000_000_000_000


def sync_calls(env: Any, since: int = 0) -> list[str]:
    """The paths of the bulk-overwrite (sync) requests the bots made."""
    return [
        call.path
        for call in env.http_requests[since:]
        if call.method == "PUT" and call.path.endswith("/commands")
    ]


class GrownBot(JazzBot):
    """The same bot after an update that added a command."""

    async def sync_commands(self) -> None:
        @app_commands.command(name="metronome", description="Click along.")
        async def metronome(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("tick", ephemeral=True)

        self.tree.add_command(metronome)
        await super().sync_commands()


def grown(bots: Bots) -> GrownBot:
    bot = GrownBot(bots.settings)
    bots.made.append(bot)
    return bot


async def test_a_restart_with_the_same_tree_does_not_sync_and_a_changed_tree_does(
    simcord_env: Any, scene: Any, bots: Bots, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, _ = scene
    assert sync_calls(simcord_env) == [f"/applications/{simcord_env.bot.application_id}/commands"]

    before = len(simcord_env.http_requests)
    with caplog.at_level(logging.INFO, logger="bot.discord.sync"):
        await simcord_env.restart_bot(bots.new())
    assert sync_calls(simcord_env, before) == []
    commands = len(simcord_env.bot.tree.get_commands())
    assert f"global commands unchanged ({commands}, hash" in caplog.text
    assert "help" in alice.available_commands(channel)  # what Discord had is still there
    helped = await alice.slash(channel, "help")
    assert helped.ephemeral and helped.response.embeds[0].title == "🎷 jazzbot"

    before = len(simcord_env.http_requests)
    await simcord_env.restart_bot(grown(bots))
    assert len(sync_calls(simcord_env, before)) == 1
    ticked = await alice.slash(channel, "metronome")
    assert ticked.response.content == "tick"

    before = len(simcord_env.http_requests)
    await simcord_env.restart_bot(grown(bots))
    assert sync_calls(simcord_env, before) == []


async def test_each_dev_guild_is_synced_once_until_the_tree_changes(tmp_path: Path) -> None:
    settings = quick_settings(tmp_path, dev_guild_ids=(DEV_GUILD,))
    bots = Bots(settings)
    env = simcord.Env(bots.new())
    dev = env.create_guild("Dev", id=DEV_GUILD)
    await env.start()
    try:
        path = f"/applications/{env.bot.application_id}/guilds/{DEV_GUILD}/commands"
        assert sync_calls(env) == [path]
        before = len(env.http_requests)
        await env.restart_bot(bots.new())
        assert sync_calls(env, before) == []
        await env.restart_bot(grown(bots))
        assert sync_calls(env, before) == [path]
        channel = dev.create_text_channel("dev")
        assert "metronome" in dev.add_member(env.create_user("alice")).available_commands(channel)
    finally:
        await env.shutdown()
        await bots.close()


def test_the_hash_follows_the_payload_not_the_order_commands_were_added() -> None:
    def tree(*names: str) -> app_commands.CommandTree[discord.Client]:
        made: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(
            discord.Client(intents=discord.Intents.none())
        )
        for name in names:

            @app_commands.command(name=name, description=f"The {name} command.")
            async def command(interaction: discord.Interaction) -> None: ...

            made.add_command(command)
        return made

    assert tree_hash(tree_payload(tree("a", "b"), None)) == tree_hash(tree_payload(tree("b", "a"), None))
    assert tree_hash(tree_payload(tree("a", "b"), None)) != tree_hash(tree_payload(tree("a", "c"), None))
