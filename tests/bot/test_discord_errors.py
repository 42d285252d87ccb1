"""Failures the user did not cause still end in one friendly private message, with a request id that
matches a log line carrying the traceback."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from discord import app_commands

from tests.bot.buggy_studio import BUG, buggy_studio
from tests.bot.discord_helpers import QUICK_BARS

REQUEST_ID = re.compile(r"request id `([0-9a-f]{6})`")


def apology(result: Any, caplog: pytest.LogCaptureFixture) -> tuple[str, str]:
    """The private reply to a failure and the one traceback logged for it, which names its request id."""
    assert result.ephemeral
    text = result.response.content
    match = REQUEST_ID.search(text)
    assert match, text
    [logged] = [record.getMessage() for record in caplog.records if record.exc_info is not None]
    assert logged.startswith(f"request {match.group(1)} failed")
    return text, logged


async def test_a_failed_upload_ends_in_an_apology_with_a_request_id_that_is_logged(
    simcord_env: Any, scene: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, bob = scene
    simcord_env.inject_error("POST", "/webhooks/*", status=500)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    text, _ = apology(result, caplog)
    assert text.startswith("Sorry, something went wrong on my side")
    assert channel.history(viewer=bob) == []


async def test_a_too_large_upload_gets_a_friendly_explanation(simcord_env: Any, scene: Any) -> None:
    channel, alice, _ = scene
    simcord_env.inject_error("POST", "/webhooks/*", status=413, code=40005, message="Entity too large")

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert result.ephemeral and "larger than Discord accepts" in result.response.content
    assert "mp3" not in result.response.content  # the format is the server's setting, not the member's


async def test_a_channel_that_forbids_the_upload_gets_told_which_permissions_help(
    simcord_env: Any, scene: Any
) -> None:
    channel, alice, bob = scene
    simcord_env.inject_error("POST", "/webhooks/*", status=403, code=50013, message="Missing Permissions")

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert result.ephemeral and "I'm not allowed to post that in this channel" in result.response.content
    assert "Attach Files" in result.response.content and "request id" not in result.response.content
    assert channel.history(viewer=bob) == []


async def test_the_tree_handler_answers_when_the_command_itself_fails(
    simcord_env: Any, scene: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, _ = scene
    # The acknowledgement itself fails once: the command raises, and only the tree's handler is left.
    simcord_env.inject_error("POST", "/interactions/*/callback", status=500)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    text, _ = apology(result, caplog)
    assert text.startswith("Sorry, something went wrong on my side")
    [error] = simcord_env.errors
    assert isinstance(error, app_commands.CommandInvokeError)
    assert isinstance(error.original, discord.HTTPException) and error.original.status == 500


async def test_a_job_that_dies_of_a_bug_shows_its_id_and_logs_one_traceback(
    simcord_env: Any, scene: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, bob = scene
    async with buggy_studio(simcord_env.bot.services):
        result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    text, logged = apology(result, caplog)
    assert text.startswith("Sorry, something went wrong making that clip") and BUG not in text
    assert logged.endswith(f"failed: a job of user {alice.id}")
    assert channel.history(viewer=bob) == []
