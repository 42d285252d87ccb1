"""Every failure a Discord user can cause ends as one friendly ephemeral message, never a stack trace.

A user-fixable error (:class:`~model.errors.InputError`, which includes the job queue's ``Busy``) is shown
as is. So is a :class:`~bot.core.failures.ReportedFailure` (a job that died of a bug), whose traceback is
already logged under the id its message shows. Anything else is a bug: the user gets an apology with a
short request id and the log gets a line with the same id and the traceback, so a screenshot of the
message is enough to find the log entry.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import discord
from discord import app_commands

from bot.core.failures import ReportedFailure, new_request_id
from bot.core.text import fit, literal
from bot.services.jobs import ShuttingDown
from model.errors import InputError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
PAYLOAD_TOO_LARGE = 413


def unwrap(error: BaseException) -> BaseException:
    """The exception the user's action really raised, without discord.py's invoke wrapper."""
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    return error


def _user_message(error: BaseException) -> str | None:
    """What to tell the user when the error is theirs to fix, else None (it is a bug)."""
    if isinstance(error, InputError):
        return str(error)
    if isinstance(error, app_commands.TransformerError):
        value = literal(str(error.value), 60)
        return f"I couldn't read “{value}” for one of the options; please check it and try again."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in ~{error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server channel."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use that command here."
    if isinstance(error, discord.Forbidden):  # a channel override took a permission the bot needs
        return (
            "I'm not allowed to post that in this channel. A moderator can let me View Channel, Send "
            "Messages, Embed Links and Attach Files here, or ask me in another channel."
        )
    if isinstance(error, discord.HTTPException) and error.status == PAYLOAD_TOO_LARGE:
        # The audio format is the server's setting (JAZZBOT_AUDIO_FORMAT), not something a member can pick.
        return "The clip came out larger than Discord accepts in this channel; please try fewer bars."
    return None


def describe_failure(error: BaseException, request_id: str) -> str:
    """The user-facing text for ``error``; logs it under ``request_id``, with the traceback if it is a bug
    not logged yet."""
    error = unwrap(error)
    if isinstance(error, ReportedFailure):  # logged where it happened, under its own id
        return str(error)
    message = _user_message(error)
    if message is not None:
        log.info("request %s: %s: %s", request_id, type(error).__name__, error)
        return message
    log.error("request %s failed", request_id, exc_info=error)
    return (
        f"Sorry, something went wrong on my side (request id `{request_id}`). Please try again in a moment."
    )


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """Send ``text`` only the user can see, whatever state the interaction's response is in.

    After a defer the first follow-up replaces the "thinking" placeholder, which keeps its own
    visibility; our placeholders are always ephemeral, so the text stays private either way.
    """
    text = fit(text)  # a refusal quoting a long chart must still fit one message
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


@contextlib.asynccontextmanager
async def refusals(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Answer an :class:`InputError` privately with its reason: a refusal, not a failure of the bot."""
    try:
        yield
    except InputError as refused:
        await send_private(interaction, str(refused))


async def report_failure(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user about ``error`` and log it; never raises (the user may already be gone)."""
    request_id = new_request_id()
    text = describe_failure(error, request_id)
    try:
        await send_private(interaction, text)
    except discord.HTTPException as failure:
        log.warning("request %s: could not tell the user (%s)", request_id, failure)


async def turned_away(interaction: discord.Interaction) -> bool:
    """True (after a private "restarting" answer) when the bot has stopped: its services are closed and
    only the gateway is still winding down, so nothing may touch the database any more."""
    if not getattr(interaction.client, "stopped", False):
        return False
    await send_private(interaction, str(ShuttingDown()))
    return True


class RefusedWhenStopped:
    """Mixed into the persistent buttons: a press after the bot stopped gets "restarting", not an error."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return not await turned_away(interaction)


class JazzCommandTree(app_commands.CommandTree[discord.Client]):
    """The command tree whose error handler covers every slash command, check and option transform."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return not await turned_away(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await report_failure(interaction, error)
