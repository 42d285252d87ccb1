"""The Discord bot: everything heavy is ready before the first command arrives.

``setup_hook`` (run once, after login and before the gateway connects) opens the services, which loads
the composer and checks the soundfont, registers ``/jazz``, ``/help``, the persistent clip buttons and
the challenge commands, syncs the commands (instantly to the dev guilds when configured, globally
otherwise) and tells the users of jobs a crash interrupted, where Discord still accepts the interaction's
token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable

import discord
from discord.ext import commands

from bot.core.requests import prepare_parser
from bot.discord.buttons import ClipAction, ClipButton
from bot.discord.challenges import ChallengeCog
from bot.discord.errors import NO_MENTIONS, JazzCommandTree
from bot.discord.help import help_command
from bot.discord.jazz import jazz_command, on_clip_button
from bot.discord.voice import VoiceCog
from bot.services.settings import Settings, SettingsError
from bot.services.startup import Services, open_services

log = logging.getLogger(__name__)

INTERACTION_TOKEN_LIFETIME = 15 * 60  # seconds Discord accepts follow-ups on an interaction
INTERRUPTED_TEXT = "Sorry, I restarted while making your clip and it was lost. Please ask again."


class JazzBot(commands.Bot):
    """The jazz bot; ``services`` exists from ``setup_hook`` on and is closed with the bot."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=JazzCommandTree,
        )
        self.settings = settings
        self._clock = clock
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the services are not open: setup_hook opens them and close() closes them")
        return self._services

    @property
    def voice(self) -> VoiceCog:
        cog = self.get_cog(VoiceCog.__cog_name__)
        if not isinstance(cog, VoiceCog):
            raise RuntimeError("the voice cog is not loaded: setup_hook adds it")
        return cog

    async def setup_hook(self) -> None:
        self._services = services = await open_services(self.settings, clock=self._clock)
        await asyncio.to_thread(prepare_parser)
        self.tree.add_command(jazz_command(services))
        self.tree.add_command(help_command(services))
        self.add_dynamic_items(ClipButton)
        await self.add_cog(ChallengeCog(self, services.challenges, self.settings.moderator_role, self._clock))
        await self.add_cog(VoiceCog(self, services))  # after the challenge group: it adds /challenge party
        await self.sync_commands()
        await self.tell_interrupted_users()

    async def sync_commands(self) -> None:
        """Sync to each dev guild (visible at once) when configured, else globally (up to an hour)."""
        if not self.settings.dev_guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
            return
        for guild_id in self.settings.dev_guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %d", len(synced), guild_id)

    async def tell_interrupted_users(self) -> None:
        """Mark the jobs a crash left behind as failed and tell their users while Discord lets us."""
        now = self._clock()
        for job in await self.services.jobs.fail_interrupted():
            fresh = now - job.created_at < INTERACTION_TOKEN_LIFETIME
            if not (fresh and job.interaction_token and job.application_id):
                log.info("job %d was interrupted; its user can no longer be told", job.id)
                continue
            webhook = interaction_followup(self, job.application_id, job.interaction_token)
            try:
                await webhook.send(INTERRUPTED_TEXT, ephemeral=True, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as error:
                log.warning("job %d was interrupted; telling its user failed: %s", job.id, error)
            else:
                log.info("job %d was interrupted; its user was told", job.id)

    async def on_clip_button(
        self, interaction: discord.Interaction, action: ClipAction, clip_id: int
    ) -> None:
        if action is ClipAction.PLAY:
            await self.voice.play_clip(interaction, clip_id)
        else:
            await on_clip_button(self.services, interaction, action, clip_id)

    async def close(self) -> None:
        """Close the services first (running jobs finish and post, waiting ones are told to ask again,
        all while Discord is still reachable), then the connection to Discord."""
        try:
            if self._services is not None:
                await self._services.close()
                self._services = None
        finally:
            await super().close()


def interaction_followup(client: discord.Client, application_id: int, token: str) -> discord.Webhook:
    """The follow-up webhook of an interaction known only by its stored application id and token: the
    one ``discord.Interaction.followup`` builds (type 3, an application's webhook), with the client's
    HTTP session.

    discord.py has no public way to make it: ``Webhook.partial`` makes an incoming webhook (type 1),
    which discord.py refuses to send ephemeral messages from, and ``Interaction.followup`` needs the live
    interaction, gone after a restart. So this calls what ``Interaction.followup`` calls, the undocumented
    ``Webhook.from_state`` with the client's private ``_connection``; tests/bot/test_discord_app.py
    fails first if a discord.py update changes either, or makes ``partial`` able to do the job.
    """
    return discord.Webhook.from_state({"id": application_id, "type": 3, "token": token}, client._connection)


async def run_discord(settings: Settings) -> None:
    """Run the bot until Ctrl+C or SIGTERM (``docker stop``); both close it cleanly, letting running
    jobs finish and telling waiting ones to ask again."""
    if not settings.discord_token:
        raise SettingsError("DISCORD_TOKEN is not set; without it, run the local console instead.")
    async with JazzBot(settings) as bot:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
        await bot.start(settings.discord_token)
