"""``/challenge ...`` on Discord: the command group, the entry buttons and the deadline task's posts.

:class:`ChallengeCog` is added in ``JazzBot.setup_hook``. It registers the persistent buttons (Play,
Vote, take-back and page turns are :class:`discord.ui.DynamicItem` s whose state is the ``custom_id``
plus SQLite, so they work on old messages after any restart) and runs the deadline task
(:class:`~bot.services.challenge_scheduler.ChallengeScheduler`) while it is loaded, posting into each
challenge's channel. Refusals reach the user privately with the reason (the tree's error handler for commands,
:func:`~bot.discord.errors.report_failure` for buttons); nothing the bot posts can ping anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.limits import MAX_INTEGER, in_range
from bot.core.text import fit, link, literal
from bot.discord.errors import NO_MENTIONS, RefusedWhenStopped, refusals, report_failure, send_private
from bot.services.challenge_scheduler import ChallengeScheduler
from bot.services.challenge_text import (
    FIGURES_NOTE,
    TextStyle,
    challenge_text,
    entry_line,
    history_text,
    leaderboard_text,
    profile_text,
    removed_text,
    results_text,
    vote_text,
    voting_opened_text,
)
from bot.services.challenges import (
    MAX_NOTE,
    MAX_PROMPT,
    MAX_REASON,
    MAX_TITLE,
    MAX_VOTES_LIMIT,
    ChallengeService,
    Results,
    file_kind,
)
from bot.services.explain import entry_figures
from bot.services.guild_settings import GuildSettingsService
from bot.services.privacy import member_name
from bot.store.challenges import Challenge, Entry, VoteRefusal, VoteRefused
from bot.store.privacy import is_former_member
from model.errors import InputError

log = logging.getLogger(__name__)

PAGE_SIZE = 4  # entries per page: a row of buttons each, plus a row for the page turns
MAX_EMBED_TEXT = 4096
MAX_EMBED_TITLE = 256
MAX_POST_FILES_BYTES = 10 * 1024 * 1024  # what a bot may attach to one message without boosts
DISCORD_STYLE = TextStyle(
    member=lambda user_id: member_name(user_id, lambda known: f"<@{known}>"),
    moment=lambda epoch: f"<t:{int(epoch)}:f>",
)

EntryAction = Literal["play", "vote", "unvote"]
_ENTRY_BUTTON_LOOKS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "play": ("▶ Play #{}", discord.ButtonStyle.secondary),
    "vote": ("🗳 Vote #{}", discord.ButtonStyle.primary),
    "unvote": ("↩ Take back my vote for #{}", discord.ButtonStyle.danger),
}


def _guild(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise InputError("Challenges run in servers; use this command in a server channel.")
    return interaction.guild_id


def _member_since(user: discord.User | discord.Member) -> float:
    """When the member's account was made or, if later, when they joined this server."""
    started = user.created_at
    joined = getattr(user, "joined_at", None)
    return max(started, joined).timestamp() if joined is not None else started.timestamp()


async def is_moderator(interaction: discord.Interaction, guild_settings: GuildSettingsService) -> bool:
    """Whether the member moderates challenges (and voice): Manage Server, or the server's moderator role
    (``/settings``; else JAZZBOT_MODERATOR_ROLE)."""
    if interaction.permissions.manage_guild:
        return True
    settings = await guild_settings.for_guild(interaction.guild_id)
    roles = getattr(interaction.user, "roles", [])
    return any(settings.is_moderator_role(r.id, r.name) for r in roles)


def _cog(interaction: discord.Interaction) -> ChallengeCog:
    client = interaction.client
    cog = client.get_cog(ChallengeCog.__cog_name__) if isinstance(client, commands.bot.BotBase) else None
    if not isinstance(cog, ChallengeCog):
        raise InputError("Challenges are not available right now.")
    return cog


class EntryButton(
    RefusedWhenStopped,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"challenge:(?P<action>play|vote|unvote):(?P<entry>[0-9]{1,25})",
):
    """Play, Vote or "take my vote back" for one entry."""

    def __init__(self, action: EntryAction, entry_id: int, row: int | None = None) -> None:
        label, style = _ENTRY_BUTTON_LOOKS[action]
        super().__init__(
            discord.ui.Button(
                label=label.format(entry_id), style=style, custom_id=f"challenge:{action}:{entry_id}", row=row
            )
        )
        self.action: EntryAction = action
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> EntryButton:
        action: EntryAction = match["action"]  # type: ignore[assignment]
        return cls(action, int(match["entry"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if not in_range(self.entry_id):  # a forged id, too large for SQLite
                raise InputError(f"There is no entry #{self.entry_id} in this server.")
            await _cog(interaction).on_entry_button(interaction, self.action, self.entry_id)
        except Exception as error:
            await report_failure(interaction, error)


class PageButton(
    RefusedWhenStopped,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"challenge:page:(?P<challenge>[0-9]{1,25}):(?P<page>[0-9]{1,25})",
):
    """Turns the entries message to another page (edits it in place)."""

    def __init__(self, challenge_id: int, page: int, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"challenge:page:{challenge_id}:{page}",
                disabled=disabled,
                row=4,
            )
        )
        self.challenge_id = challenge_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(int(match["challenge"]), int(match["page"]), "")

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if not (in_range(self.challenge_id) and in_range(self.page)):  # forged
                raise InputError("There is no such page of entries.")
            cog = _cog(interaction)
            embed, view = await cog.entries_page(_guild(interaction), self.challenge_id, self.page)
            await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except Exception as error:
            await report_failure(interaction, error)


def _entries_embed(
    challenge: Challenge, entries: list[Entry], page: int, pages: int, figures: dict[int, str]
) -> discord.Embed:
    show_votes = challenge.phase == "closed" or (
        challenge.phase == "voting" and not challenge.hide_leaderboard
    )
    lines = [entry_line(entry, DISCORD_STYLE, show_votes, figures.get(entry.id)) for entry in entries]
    lines = ([*lines, FIGURES_NOTE] if figures else lines) or ["No entries yet."]
    embed = discord.Embed(
        title=fit(f"Entries: {literal(challenge.title)}", MAX_EMBED_TITLE),
        description=fit("\n\n".join(lines), MAX_EMBED_TEXT),
    )
    embed.set_footer(text=f"Page {page}/{pages} · challenge #{challenge.id} · {challenge.phase}")
    return embed


def _card(text: str) -> discord.Embed:
    """Longer texts (a prompt, a leaderboard) go in an embed, which holds 4,096 characters."""
    return discord.Embed(description=fit(text, MAX_EMBED_TEXT))


def _attachment(name: str | None, data: bytes | None) -> discord.File | None:
    return None if name is None or data is None else discord.File(io.BytesIO(data), filename=name)


class DiscordAnnouncer:
    """Posts the deadline task's announcements in the challenge's channel.

    A channel that is gone or closed to the bot is logged and skipped (retrying cannot help); other
    Discord failures propagate, so the task tries again later.
    """

    def __init__(self, cog: ChallengeCog) -> None:
        self._cog = cog

    async def _channel(self, challenge: Challenge) -> discord.abc.Messageable | None:
        bot = self._cog.bot
        channel = bot.get_channel(challenge.channel_id)
        if channel is None:
            try:
                channel = await bot.fetch_channel(challenge.channel_id)
            except (discord.NotFound, discord.Forbidden):
                channel = None
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("challenge %s: channel %s is gone; not posting", challenge.id, challenge.channel_id)
            return None
        return channel

    async def post(self, challenge: Challenge, **message: Any) -> None:
        """Post ``message`` (``channel.send``'s arguments) in the challenge's channel, pinging no one."""
        channel = await self._channel(challenge)
        if channel is None:
            return
        if isinstance(message.get("content"), str):
            message["content"] = fit(message["content"])
        try:
            await channel.send(allowed_mentions=NO_MENTIONS, **message)
        except (discord.NotFound, discord.Forbidden) as error:
            log.warning(
                "challenge %s: cannot post in channel %s: %s", challenge.id, challenge.channel_id, error
            )

    async def voting_opened(self, challenge: Challenge) -> None:
        _, entries = await self._cog.service.entries(challenge.guild_id, challenge.id)
        embed, view = await self._cog.entries_page(challenge.guild_id, challenge.id, 1)
        await self.post(
            challenge,
            content=voting_opened_text(challenge, len(entries), DISCORD_STYLE),
            embed=embed,
            view=view,
            nonce=announcement_nonce(challenge.id, "voting"),
        )

    async def results(self, results: Results) -> None:
        files, room = [], MAX_POST_FILES_BYTES
        for entry in (results.winner, results.runner_up):
            if entry is None or entry.kind == "link" or is_former_member(entry.author_id):
                continue
            media = await self._cog.service.entry_media(entry.guild_id, entry.id)
            file = _attachment(media.filename, media.data)
            if file is not None and media.data is not None and len(media.data) <= room:
                files.append(file)
                room -= len(media.data)
        await self.post(
            results.challenge,
            content=results_text(results, DISCORD_STYLE),
            files=files,
            nonce=announcement_nonce(results.challenge.id, "results"),
        )


def announcement_nonce(challenge_id: int, kind: str) -> str:
    """The same for every attempt at one announcement: discord.py sends it with ``enforce_nonce``, so if a
    process that posted died before storing the marker, the process taking over gets Discord's earlier
    message back instead of posting a second one (Discord remembers nonces for a few minutes; the
    scheduler's lease hands over within two)."""
    return f"jb{kind[0]}{challenge_id}"


@app_commands.guild_only()
class ChallengeCog(commands.GroupCog, group_name="challenge", group_description="Community music challenges"):
    """The ``/challenge`` commands and the deadline task."""

    def __init__(
        self,
        bot: commands.AutoShardedBot,
        service: ChallengeService,
        guild_settings: GuildSettingsService,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.bot = bot
        self.service = service
        self.guild_settings = guild_settings
        self.scheduler = ChallengeScheduler(service, DiscordAnnouncer(self), clock=clock)
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(EntryButton, PageButton)
        self._task = asyncio.create_task(self.scheduler.run(), name="challenge deadlines")

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(EntryButton, PageButton)
        await self.stop_deadlines()

    async def stop_deadlines(self) -> None:
        """Stop the deadline task (before a shutdown closes the database it reads)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _is_moderator(self, interaction: discord.Interaction) -> bool:
        return await is_moderator(interaction, self.guild_settings)

    async def entries_page(
        self, guild_id: int, challenge_id: int | None, page: int
    ) -> tuple[discord.Embed, discord.ui.View]:
        """One page of a challenge's entries with their Play (and, while voting, Vote) buttons."""
        challenge, entries = await self.service.entries(guild_id, challenge_id)
        pages = max(1, -(-len(entries) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        shown = entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        view = discord.ui.View(timeout=None)
        for row, entry in enumerate(shown):
            view.add_item(EntryButton("play", entry.id, row=row))
            if challenge.phase == "voting":
                view.add_item(EntryButton("vote", entry.id, row=row))
        if pages > 1:
            view.add_item(PageButton(challenge.id, page - 1, "◀ Previous", disabled=page == 1))
            view.add_item(PageButton(challenge.id, page + 1, "Next ▶", disabled=page == pages))
        figures = await entry_figures(self.service, shown)
        return _entries_embed(challenge, shown, page, pages, figures), view

    async def on_entry_button(
        self, interaction: discord.Interaction, action: EntryAction, entry_id: int
    ) -> None:
        guild = _guild(interaction)
        if action == "play":
            media = await self.service.entry_media(guild, entry_id)
            file = _attachment(media.filename, media.data)
            if file is None:
                await send_private(interaction, f"Entry #{entry_id} is a link: {link(media.link or '')}")
            else:
                await interaction.response.send_message(
                    file=file, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            return
        await self._vote(interaction, guild, entry_id, take_back=action == "unvote")

    async def _vote(
        self, interaction: discord.Interaction, guild: int, entry_id: int, take_back: bool
    ) -> None:
        if take_back:
            await send_private(
                interaction, vote_text(await self.service.unvote(guild, interaction.user.id, entry_id), True)
            )
            return
        try:
            receipt = await self.service.vote(
                guild, interaction.user.id, entry_id, _member_since(interaction.user)
            )
        except VoteRefused as refused:
            if refused.reason is not VoteRefusal.DOUBLE_VOTE:
                raise
            view = discord.ui.View(timeout=None)
            view.add_item(EntryButton("unvote", entry_id))
            await interaction.response.send_message(
                f"You already voted for entry #{entry_id}. Take the vote back?",
                view=view,
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await send_private(interaction, vote_text(receipt))

    # --- commands -------------------------------------------------------------------------------------

    @app_commands.command(
        name="start", description="Start a challenge (Manage Server or the moderator role)."
    )
    @app_commands.describe(
        title="What the challenge is called",
        prompt="What to make",
        submit_by="Submission deadline: a duration like 3d, 36h, 90m, or a UTC date like 2026-12-01T18:00",
        vote_by="Voting deadline: a duration after the submission deadline (2d), or a UTC date",
        channel="Where to announce it and post the results (default: the /settings channel, else here)",
        max_votes="Votes per member (default 3)",
        hide_leaderboard="Hide vote counts until voting closes",
    )
    async def start(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, MAX_TITLE],
        prompt: app_commands.Range[str, 1, MAX_PROMPT],
        submit_by: str,
        vote_by: str,
        channel: discord.TextChannel | None = None,
        max_votes: app_commands.Range[int, 1, MAX_VOTES_LIMIT] = 3,
        hide_leaderboard: bool = False,
    ) -> None:
        async with refusals(interaction):
            target = channel or await self._challenge_channel(interaction) or interaction.channel
            if not isinstance(target, discord.abc.Messageable) or target.id is None:
                raise InputError("Pick a text channel for the challenge.")
            if (
                isinstance(target, discord.abc.GuildChannel)
                and not target.permissions_for(target.guild.me).send_messages
            ):
                raise InputError(
                    f"I cannot post in <#{target.id}>; pick a channel where I may send messages."
                )
            challenge = await self.service.start(
                _guild(interaction), target.id, interaction.user.id,
                is_moderator=await self._is_moderator(interaction), title=title, prompt=prompt,
                submit_by=submit_by, vote_by=vote_by, max_votes=max_votes, hide_leaderboard=hide_leaderboard,
            )  # fmt: skip
            self.scheduler.wake()
            await target.send(
                embed=_card(challenge_text(challenge, DISCORD_STYLE)), allowed_mentions=NO_MENTIONS
            )
            await send_private(interaction, f"Challenge #{challenge.id} is on; announced in <#{target.id}>.")

    @app_commands.command(
        name="submit", description="Enter the challenge: a file, one of your clips, or a link."
    )
    @app_commands.describe(
        file="A MIDI or audio file",
        clip="One of your jazzbot clips",
        link="An http(s) link, e.g. to your code",
        title="Your entry's title",
        note="A few words about it",
    )
    async def submit(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        clip: app_commands.Range[int, 1, MAX_INTEGER] | None = None,
        link: str | None = None,
        title: app_commands.Range[str, 1, MAX_TITLE] | None = None,
        note: app_commands.Range[str, 0, MAX_NOTE] = "",
    ) -> None:
        async with refusals(interaction):
            guild, user = _guild(interaction), interaction.user.id
            if sum(source is not None for source in (file, clip, link)) != 1:
                raise InputError("Submit exactly one of: a file, one of your clips, or a link.")
            if file is not None:
                # The cheap checks (type and size by the attachment's metadata, an open challenge, the
                # member's rate limit) come before the download and the scan.
                file_kind(file.filename, file.size)
                await self.service.check_submission(guild, user)
                await interaction.response.defer(ephemeral=True, thinking=True)
                entry = await self.service.submit_file(
                    guild, user, file.filename, await file.read(), title, note
                )
            elif clip is not None:
                entry = await self.service.submit_clip(guild, user, clip, title, note)
            else:
                assert link is not None
                entry = await self.service.submit_link(guild, user, link, title, note)
            await send_private(
                interaction,
                f"Entry #{entry.id} “{literal(entry.title)}” is in. "
                "Submitting again replaces it until the deadline.",
            )

    @submit.autocomplete("clip")
    async def _own_clips(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        choices = []
        for clip in await self.service.own_clips(interaction.guild_id, interaction.user.id):
            name = f"#{clip.id} · {clip.request.summary()}, {clip.duration:.0f} s"
            if current.strip().lstrip("#").lower() in name.lower():
                choices.append(app_commands.Choice(name=name[:100], value=clip.id))
        return choices[:25]

    async def _entry_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """The running (or latest) challenge's entries whose number or title matches what was typed."""
        if interaction.guild_id is None:
            return []
        try:
            _, entries = await self.service.entries(interaction.guild_id)
        except InputError:  # no challenge yet
            return []
        wanted = current.strip().lstrip("#").lower()
        choices = []
        for entry in entries:
            name = f"#{entry.id} · {entry.title}"
            if wanted in name.lower():
                choices.append(app_commands.Choice(name=name[:100], value=entry.id))
        return choices[:25]

    @app_commands.command(name="entries", description="The entries, with Play and Vote buttons.")
    @app_commands.describe(page="Which page of entries (4 per page)")
    async def entries(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        async with refusals(interaction):
            embed, view = await self.entries_page(_guild(interaction), None, page)
            await interaction.response.send_message(
                embed=embed,
                view=view,
                ephemeral=await self._only_asker(interaction),
                allowed_mentions=NO_MENTIONS,
            )

    @app_commands.command(name="vote", description="Vote for an entry (by its number).")
    @app_commands.describe(entry="The entry's number, as in /challenge entries (type to search titles)")
    @app_commands.autocomplete(entry=_entry_choices)
    async def vote(
        self, interaction: discord.Interaction, entry: app_commands.Range[int, 1, MAX_INTEGER]
    ) -> None:
        async with refusals(interaction):
            await self._vote(interaction, _guild(interaction), entry, take_back=False)

    @app_commands.command(name="unvote", description="Take back your vote for an entry.")
    @app_commands.describe(entry="The entry's number, as in /challenge entries (type to search titles)")
    @app_commands.autocomplete(entry=_entry_choices)
    async def unvote(
        self, interaction: discord.Interaction, entry: app_commands.Range[int, 1, MAX_INTEGER]
    ) -> None:
        async with refusals(interaction):
            await self._vote(interaction, _guild(interaction), entry, take_back=True)

    @app_commands.command(name="leaderboard", description="Votes so far (unless this challenge hides them).")
    async def leaderboard(self, interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            board = await self.service.leaderboard(_guild(interaction))
            await self._post(
                interaction,
                leaderboard_text(board, DISCORD_STYLE),
                ephemeral=await self._only_asker(interaction),
            )

    @app_commands.command(name="info", description="The current (or latest) challenge.")
    async def info(self, interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            await self._post(
                interaction, challenge_text(await self.service.challenge(_guild(interaction)), DISCORD_STYLE)
            )

    @app_commands.command(name="history", description="Past challenges and their winners.")
    async def history(self, interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            await self._post(
                interaction, history_text(await self.service.history(_guild(interaction)), DISCORD_STYLE)
            )

    @app_commands.command(name="profile", description="A member's entries, wins and clips.")
    @app_commands.describe(member="Whose profile (default: yours)")
    async def profile(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        async with refusals(interaction):
            who = member or interaction.user
            await self._post(
                interaction,
                profile_text(await self.service.profile(_guild(interaction), who.id), DISCORD_STYLE),
            )

    @app_commands.command(
        name="close", description="End the challenge now and post the results (moderators)."
    )
    async def close(self, interaction: discord.Interaction) -> None:
        async with refusals(interaction):
            closed = await self.service.close(
                _guild(interaction), is_moderator=await self._is_moderator(interaction)
            )
            self.scheduler.wake()
            await send_private(
                interaction, f"Closed “{literal(closed.title)}”; the results go to <#{closed.channel_id}>."
            )

    @app_commands.command(name="cancel", description="Call the challenge off, with a reason (moderators).")
    @app_commands.describe(reason="Why; shown to everyone in the challenge's channel")
    async def cancel(
        self, interaction: discord.Interaction, reason: app_commands.Range[str, 1, MAX_REASON]
    ) -> None:
        async with refusals(interaction):
            cancelled = await self.service.cancel(
                _guild(interaction), is_moderator=await self._is_moderator(interaction), reason=reason
            )
            await DiscordAnnouncer(self).post(
                cancelled, content=results_text(await self.service.results(cancelled), DISCORD_STYLE)
            )
            await send_private(
                interaction,
                f"Cancelled “{literal(cancelled.title)}”; the reason is posted in <#{cancelled.channel_id}>.",
            )

    @app_commands.command(
        name="remove-entry", description="Remove an entry, with a reason for its author (moderators)."
    )
    @app_commands.describe(
        entry="The entry's number, as in /challenge entries (type to search titles)",
        reason="Why; sent to the entry's author",
    )
    @app_commands.autocomplete(entry=_entry_choices)
    async def remove_entry(
        self,
        interaction: discord.Interaction,
        entry: app_commands.Range[int, 1, MAX_INTEGER],
        reason: app_commands.Range[str, 1, MAX_REASON],
    ) -> None:
        async with refusals(interaction):
            removed = await self.service.remove_entry(
                _guild(interaction),
                interaction.user.id,
                entry,
                is_moderator=await self._is_moderator(interaction),
                reason=reason,
            )
            told = "they can also see it with `/challenge profile`"
            try:
                author = self.bot.get_user(removed.author_id) or await self.bot.fetch_user(removed.author_id)
                await author.send(fit(removed_text(removed)), allowed_mentions=NO_MENTIONS)
                told = "they were told by direct message"
            except discord.HTTPException as error:
                log.info("could not DM the author of removed entry %s: %s", entry, error)
            await send_private(interaction, f"Removed entry #{entry} “{literal(removed.title)}”; {told}.")

    async def _challenge_channel(self, interaction: discord.Interaction) -> discord.TextChannel | None:
        """The server's challenge channel (``/settings``), if set and still there."""
        channel_id = (await self.guild_settings.for_guild(interaction.guild_id)).challenge_channel_id
        found = None if channel_id is None else self.bot.get_channel(channel_id)
        return found if isinstance(found, discord.TextChannel) else None

    async def _listings(self, interaction: discord.Interaction) -> bool | None:
        """This server's choice for challenge listings (``/settings``): private, public or None (unset)."""
        return (await self.guild_settings.for_guild(interaction.guild_id)).private_listings

    async def _private(self, interaction: discord.Interaction) -> bool:
        """Whether this server shows challenge listings only to whoever asked (``/settings``)."""
        return bool(await self._listings(interaction))

    async def _only_asker(self, interaction: discord.Interaction) -> bool:
        """Whether a list (entries, leaderboard) goes to the asker alone: as the server chose with
        ``/settings``; unset, private for members, so one member's look does not fill the channel, and
        public for moderators, who post it for everyone."""
        chosen = await self._listings(interaction)
        return chosen if chosen is not None else not await self._is_moderator(interaction)

    async def _post(self, interaction: discord.Interaction, text: str, ephemeral: bool | None = None) -> None:
        """``text`` as a card: to the asker alone when ``ephemeral``, else as the server's setting says."""
        private = await self._private(interaction) if ephemeral is None else ephemeral
        await interaction.response.send_message(
            embed=_card(text), ephemeral=private, allowed_mentions=NO_MENTIONS
        )
