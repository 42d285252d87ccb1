# ruff: noqa: F401, F811  (pytest fixtures imported from tests.discord_helpers are used by name)
"""Failures the user did not cause still end in one friendly private message, with a request id that
matches a log line carrying the traceback."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest
from discord import app_commands

from tests.discord_helpers import QUICK_BARS, bots, scene, settings_overrides, simcord_bot

REQUEST_ID = re.compile(r"request id `([0-9a-f]{6})`")


def _logged_with_traceback(caplog: pytest.LogCaptureFixture, request_id: str) -> bool:
    return any(
        record.getMessage() == f"request {request_id} failed" and record.exc_info is not None
        for record in caplog.records
    )


async def test_a_failed_upload_ends_in_an_apology_with_a_request_id_that_is_logged(
    simcord_env: Any, scene: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, bob = scene
    simcord_env.inject_error("POST", "/webhooks/*", status=500)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert result.ephemeral
    match = REQUEST_ID.search(result.response.content)
    assert match and result.response.content.startswith("Sorry, something went wrong on my side")
    assert _logged_with_traceback(caplog, match.group(1))
    assert channel.history(viewer=bob) == []


async def test_a_too_large_upload_gets_a_friendly_explanation(simcord_env: Any, scene: Any) -> None:
    channel, alice, _ = scene
    simcord_env.inject_error("POST", "/webhooks/*", status=413, code=40005, message="Entity too large")

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert result.ephemeral and "larger than Discord accepts" in result.response.content


async def test_the_tree_handler_answers_when_the_command_itself_fails(
    simcord_env: Any, scene: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, _ = scene
    # The acknowledgement itself fails once: the command raises, and only the tree's handler is left.
    simcord_env.inject_error("POST", "/interactions/*/callback", status=500)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert result.ephemeral
    match = REQUEST_ID.search(result.response.content)
    assert match and _logged_with_traceback(caplog, match.group(1))
    [error] = simcord_env.errors
    assert isinstance(error, app_commands.CommandInvokeError)
    assert isinstance(error.original, discord.HTTPException) and error.original.status == 500
