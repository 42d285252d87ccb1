"""The Discord bot: everything heavy is ready before the first command arrives.

It is an ``AutoShardedBot``: one process runs every shard Discord recommends, or the shards named by
``JAZZBOT_SHARDS`` (``0-3/16``) so that several processes share the servers (docs/SCALING.md). Each
process answers the interactions of its own shards' servers; the one holding shard 0 also syncs the
commands and answers direct messages.

``setup_hook`` (run once, after login and before the gateway connects) opens the services, which loads
the composer and checks the soundfont, registers ``/jazz``, ``/help``, the persistent clip buttons and
the challenge, settings and privacy commands, syncs the commands when the tree changed since the
last sync (instantly to the dev guilds when configured, globally otherwise; :mod:`bot.discord.sync`;
only in the process holding shard 0), settles what a crash left behind, and starts the health check
when ``JAZZBOT_HEALTH_PORT`` is set (:mod:`bot.services.health`). Settling happens while Discord still
accepts the interaction's token (15 minutes): a clip that was stored but never posted is posted now (by
the process owning its server), the users of jobs that had no clip yet are told once that it was lost.
Past the token's lifetime nobody can be told, and the rows are only marked failed.

Stopping (SIGTERM, Ctrl+C, ``close()``) drains before it disconnects: the challenge deadline task stops,
then :meth:`~bot.services.startup.Services.close` lets every clip in flight be posted while the HTTP
session is still open, and only then does discord.py close the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

import discord
from discord.ext import commands

from bot.core.requests import prepare_parser
from bot.discord.buttons import ClipAction, ClipButton
from bot.discord.challenges import ChallengeCog
from bot.discord.errors import NO_MENTIONS, JazzCommandTree
from bot.discord.gateway_health import GatewayHealth
from bot.discord.help import help_command
from bot.discord.jazz import jazz_command, on_clip_button, post_stored_clip
from bot.discord.privacy import privacy_command
from bot.discord.settings import settings_command
from bot.discord.sync import sync_if_changed
from bot.discord.voice import VoiceCog
from bot.discord.why import WhyButton, show_why
from bot.services.health import HEALTH_HOST, HealthCheck, HealthServer, QueueHealth, WorkerTierHealth
from bot.services.remote_jobs import RemoteQueue
from bot.services.settings import Settings, SettingsError
from bot.services.shard_plan import ShardPlan
from bot.services.startup import Services, StartupError, open_services
from bot.store.command_syncs import CommandSyncStore

log = logging.getLogger(__name__)

INTERACTION_TOKEN_LIFETIME = 15 * 60  # seconds Discord accepts follow-ups on an interaction
INTERRUPTED_TEXT = "Sorry, I restarted while making your clip and it was lost. Please ask again."
NOT_POSTED = "made before a restart; Discord no longer accepted the interaction to post it"


class JazzBot(commands.AutoShardedBot):
    """The jazz bot; ``services`` exists from ``setup_hook`` on and is closed with the bot."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        plan = settings.shards
        # Without a plan discord.py asks Discord how many shards to run, and runs them all here.
        shards: dict[str, Any] = {"shard_count": plan.count, "shard_ids": list(plan.ids)} if plan else {}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=JazzCommandTree,
            **shards,
        )
        self.settings = settings
        self.shard_plan: ShardPlan | None = plan
        self._clock = clock
        self._services: Services | None = None
        self._draining: Services | None = None
        self._health: HealthServer | None = None
        self.stopped = False  # the services are closed; interactions get "restarting" (errors.turned_away)

    @property
    def global_work(self) -> bool:
        """True in the one process that syncs the commands: the one holding shard 0 (or every shard)."""
        return self.shard_plan is None or self.shard_plan.global_work

    @property
    def health_port(self) -> int | None:
        """The port the health check listens on, once started (``JAZZBOT_HEALTH_PORT``; 0 picks one)."""
        return self._health.port if self._health is not None else None

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process answers ``guild_id``'s server (None: direct messages, shard 0)."""
        return self.shard_plan is None or self.shard_plan.owns(guild_id)

    @property
    def services(self) -> Services:
        """The open services; while :meth:`close` drains, the closing ones (they refuse new clips)."""
        services = self._services or self._draining
        if services is None:
            raise RuntimeError("the services are not open: setup_hook opens them and close() closes them")
        return services

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
        self.tree.add_command(settings_command(services))
        self.tree.add_command(privacy_command(services))
        self.add_dynamic_items(ClipButton, WhyButton)
        await self.add_cog(ChallengeCog(self, services.challenges, services.guild_settings, self._clock))
        await self.add_cog(VoiceCog(self, services))  # after the challenge group: it adds /challenge party
        if self.global_work:
            await self.sync_commands()
        else:
            shards = self.shard_plan.describe() if self.shard_plan else ""
            log.info("commands are synced by the process holding shard 0 (this one runs %s)", shards)
        await self.post_unposted_clips()
        await self.tell_interrupted_users()
        if self.settings.health_port is not None:
            checks: list[HealthCheck] = [
                GatewayHealth(self),
                QueueHealth(services.queue, self.settings.workers, self.settings.queue_size),
            ]
            if isinstance(services.queue, RemoteQueue):
                checks.append(WorkerTierHealth(services.queue))
            self._health = HealthServer(checks)
            try:
                await self._health.start(self.settings.health_port)
            except OSError as error:
                port = self.settings.health_port
                raise StartupError(
                    f"JAZZBOT_HEALTH_PORT={port}: cannot listen on {HEALTH_HOST}:{port} "
                    f"({error.strerror or error}); pick a free port or unset it"
                ) from None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Space IDENTIFYs as Discord requires across processes too (``ShardPlan.first_identify_delay``);
        discord.py's own spacing (5 s) for the rest of this process's shards and for reconnects."""
        if initial and self.shard_plan is not None:
            await asyncio.sleep(self.shard_plan.first_identify_delay())
        else:
            await super().before_identify_hook(shard_id, initial=initial)

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d ready", shard_id)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        log.warning("shard %d disconnected from the gateway; discord.py reconnects it", shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        log.info("shard %d resumed", shard_id)

    async def sync_commands(self) -> None:
        """Sync to each dev guild (visible at once) when configured, else globally (up to an hour);
        each only when its commands changed since the last sync there."""
        if self.application_id is None:  # login sets it; without it there is no application to sync to
            raise RuntimeError("no application id: log in before syncing commands")
        store = CommandSyncStore(self.services.store_db, self._clock)
        if not self.settings.dev_guild_ids:
            await sync_if_changed(self.tree, store, self.application_id)
            return
        for guild_id in self.settings.dev_guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            await sync_if_changed(self.tree, store, self.application_id, guild)

    async def tell_interrupted_users(self) -> None:
        """Mark the jobs a crash left behind as failed and tell their users while Discord lets us."""
        now = self._clock()
        for job in await self.services.jobs.fail_interrupted(owns=self.owns):
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

    async def post_unposted_clips(self) -> None:
        """Post the clips a crash left stored but unposted (job state ``rendered``) while Discord lets us."""
        services = self.services
        now = self._clock()
        for job in await services.jobs.unposted():
            assert job.clip_id is not None  # the schema's CHECK: a rendered job has its clip
            if not self.owns(job.guild_id):
                continue  # its server's process posts it
            fresh = now - job.created_at < INTERACTION_TOKEN_LIFETIME
            if not (fresh and job.interaction_token and job.application_id):
                await services.jobs.failed(job.id, NOT_POSTED)
                log.info("job %d: clip #%d was never posted; nobody can be told", job.id, job.clip_id)
                continue
            webhook = interaction_followup(self, job.application_id, job.interaction_token)
            try:
                stored = await services.clips.get(job.clip_id, job.guild_id, job.user_id)
                message = await post_stored_clip(webhook, services, stored)
            except discord.HTTPException as error:
                await services.jobs.failed(job.id, f"posting after a restart failed: {error}")
                log.warning("job %d: posting clip #%d after a restart failed: %s", job.id, job.clip_id, error)
            else:
                await services.jazz.posted(stored.id, message.id)
                log.info("job %d: clip #%d posted after a restart", job.id, job.clip_id)

    async def on_clip_button(
        self, interaction: discord.Interaction, action: ClipAction, clip_id: int
    ) -> None:
        if action is ClipAction.PLAY:
            await self.voice.play_clip(interaction, clip_id)
        else:
            await on_clip_button(self.services, interaction, action, clip_id)

    async def on_why_button(self, interaction: discord.Interaction, clip_id: int) -> None:
        await show_why(self.services, interaction, clip_id)

    async def drain(self) -> None:
        """Stop the cogs' background tasks (the challenge deadlines), then close the services while
        Discord is still reachable (every clip in flight is posted, see :meth:`Services.close`). From
        then on, until the gateway closes, every interaction is answered "restarting"."""
        if self._services is None:
            return
        services, self._services = self._services, None
        for cog in self.cogs.values():
            if isinstance(cog, ChallengeCog):
                await cog.stop_deadlines()
        self._draining = services
        try:
            await services.close()
        finally:
            self._draining = None
            self.stopped = True

    async def close(self) -> None:
        """Drain first (the health check says so meanwhile), then the connection to Discord."""
        try:
            await self.drain()
        finally:
            if self._health is not None:
                await self._health.close()
            # A bot never started has no event loop yet, and AutoShardedClient.close() then fails on
            # the event queue it only makes at start; there is no connection to close anyway.
            if isinstance(self.loop, asyncio.AbstractEventLoop):
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
        stop_on_signals(bot)
        await bot.start(settings.discord_token)


def stop_on_signals(bot: JazzBot) -> None:
    """SIGTERM (``docker stop``) and SIGINT (Ctrl+C) close ``bot`` the orderly way, draining first; a
    second signal while it drains changes nothing (``docker stop`` kills after its own timeout)."""
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def stop(signal_name: str) -> None:
        if not closing:
            log.info("%s: finishing the clips in flight, then stopping", signal_name)
            closing.append(loop.create_task(bot.close()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
