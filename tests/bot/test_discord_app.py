"""The bot as a whole on a simulated Discord: busy answers, a failing job, restarts, command sync."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
import simcord
from discord.state import ConnectionState

from bot.audio.render import DEFAULT_SOUNDFONT
from bot.core.requests import JazzRequest
from bot.discord.app import INTERRUPTED_TEXT, JazzBot, interaction_followup
from bot.store.database import open_database
from bot.store.jobs import JobStore
from tests.bot.discord_helpers import (
    QUICK_BARS,
    Bots,
    background_clip,
    embed_fields,
    interaction_token,
    quick_settings,
    until,
)


@pytest.mark.parametrize("settings_overrides", [{"workers": 1, "queue_size": 1}])
async def test_a_full_queue_gets_a_private_busy_message(simcord_env: Any, scene: Any) -> None:
    channel, alice, bob = scene
    queue = simcord_env.bot.services.queue
    others = [background_clip(simcord_env.bot, user, scene) for user in (901, 902)]
    await until(lambda: queue.running == 1 and queue.waiting == 1)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert result.ephemeral
    text = result.response.content
    assert text.startswith("The queue is full") and "busy, try again in ~" in text
    assert not result.followups and channel.history(viewer=bob) == []
    await asyncio.gather(*others)


@pytest.mark.parametrize("settings_overrides", [{"workers": 1}])
async def test_a_queued_request_shows_its_place_in_line_then_its_progress(
    simcord_env: Any, scene: Any
) -> None:
    channel, alice, _ = scene
    queue = simcord_env.bot.services.queue
    other = background_clip(simcord_env.bot, 901, scene)
    await until(lambda: queue.running == 1)
    before = len(simcord_env.http_requests)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    shown = [call.json["content"] for call in simcord_env.http_requests[before:] if call.method == "PATCH"]
    assert shown[0] == "⏳ In the queue: position 1."
    assert shown[-1].startswith("✅ Done in")
    assert all(earlier != later for earlier, later in itertools.pairwise(shown))
    assert len(result.followups) == 1
    await other


@pytest.mark.parametrize("settings_overrides", [{"per_user_limit": 1}])
async def test_the_per_user_limit_gets_a_private_busy_message_and_others_are_served(
    simcord_env: Any, scene: Any
) -> None:
    channel, alice, bob = scene
    queue = simcord_env.bot.services.queue
    mine = background_clip(simcord_env.bot, alice.id, scene)
    await until(lambda: queue.running == 1)

    refused = await alice.slash(channel, "jazz", bars=QUICK_BARS)
    served = await bob.slash(channel, "jazz", bars=QUICK_BARS)

    assert refused.ephemeral and refused.response.content.startswith("You already have a clip on the way")
    assert "busy, try again in ~" in refused.response.content
    assert len(served.followups) == 1 and not served.followups[0].ephemeral
    await mine


@pytest.mark.parametrize("settings_overrides", [{"cooldown_seconds": 600.0}])
async def test_asking_again_too_soon_gets_a_private_busy_message(scene: Any) -> None:
    channel, alice, _ = scene

    first = await alice.slash(channel, "jazz", bars=QUICK_BARS)
    second = await alice.slash(channel, "jazz", bars=QUICK_BARS)

    assert len(first.followups) == 1
    assert second.ephemeral and second.response.content.startswith("Slow down: you can ask again in ")
    assert not second.followups


async def test_a_server_fault_is_an_apology_for_the_member_and_an_error_for_the_operator(
    simcord_env: Any, scene: Any, bots: Bots, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A soundfont gone missing is the server's fault: the member reads an apology with a request id (not
    the operator's "install the Debian package"), the log has it at ERROR with the cause; the bot keeps
    serving others."""
    channel, alice, bob = scene
    soundfont = tmp_path / "band.sf2"
    soundfont.symlink_to(DEFAULT_SOUNDFONT)
    await simcord_env.restart_bot(bots.new(soundfont=soundfont, workers=1))
    soundfont.unlink()  # the synth of the worker thread is made on its first job, which now fails

    failed = await alice.slash(channel, "jazz", bars=QUICK_BARS)
    soundfont.symlink_to(DEFAULT_SOUNDFONT)
    served = await bob.slash(channel, "jazz", bars=QUICK_BARS)

    text = failed.response.content
    assert failed.ephemeral and text.startswith("Sorry, something went wrong") and "apt" not in text
    request_id = re.search(r"request id `([0-9a-f]{6})`", text)
    assert request_id is not None
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR and request_id[1] in r.getMessage()]
    assert logged.exc_info is not None and f"no soundfont at {soundfont}" in str(logged.exc_info[1])
    assert not failed.followups
    assert embed_fields(served.followups[0])["Bars"] == str(QUICK_BARS)


async def test_users_of_interrupted_jobs_are_told_after_a_restart_while_discord_allows(
    simcord_env: Any, scene: Any, bots: Bots
) -> None:
    channel, alice, bob = scene
    before = len(simcord_env.http_requests)
    recent = await alice.slash(channel, "jazz", bars=QUICK_BARS)
    recent_token = interaction_token(simcord_env.http_requests[before:])
    before = len(simcord_env.http_requests)
    old = await bob.slash(channel, "jazz", bars=QUICK_BARS)
    old_token = interaction_token(simcord_env.http_requests[before:])
    # What a crash in the middle of two jobs leaves behind: rows still running, with the follow-up
    # credentials of their interactions; one job is 20 minutes old, past Discord's 15-minute window.
    services = simcord_env.bot.services
    app_id = simcord_env.bot.application_id
    stale_jobs = JobStore(services.store_db, clock=lambda: time.time() - 20 * 60)
    guild_id = alice.guild.id
    recent_job = await services.jobs.add(
        "compose", alice.id, guild_id, channel.id, JazzRequest(bars=QUICK_BARS), (app_id, recent_token)
    )
    await services.jobs.started(recent_job)
    old_job = await stale_jobs.add(
        "compose", bob.id, guild_id, channel.id, JazzRequest(bars=QUICK_BARS), (app_id, old_token)
    )

    await simcord_env.restart_bot(bots.new())

    *_, notice = recent.followups
    assert notice.ephemeral and notice.content == INTERRUPTED_TEXT
    assert len(old.followups) == 1  # only the clip: bob's interaction had expired
    jobs = simcord_env.bot.services.jobs
    assert [(await jobs.get(job)).state for job in (recent_job, old_job)] == ["failed", "failed"]


@pytest.mark.parametrize("settings_overrides", [{"workers": 1}])
async def test_the_user_of_an_interrupted_button_job_is_told_after_a_restart(
    simcord_env: Any, scene: Any, bots: Bots
) -> None:
    channel, alice, bob = scene
    first = (await alice.slash(channel, "jazz", bars=QUICK_BARS)).followups[0]
    services = simcord_env.bot.services
    other = background_clip(simcord_env.bot, 901, scene)
    await until(lambda: services.queue.running == 1)
    before = len(simcord_env.http_requests)
    click = asyncio.create_task(bob.click(first, label="Vary"))
    await until(lambda: services.queue.waiting == 1)
    # Jobs 1 and 2 are alice's clip and the background one: bob's waits in line as job 3, holding the
    # follow-up credentials of his click. A crash now would leave that row behind as it stands.
    waiting = await services.jobs.get(3)
    assert (waiting.kind, waiting.user_id) == ("vary", bob.id)
    credentials = (simcord_env.bot.application_id, interaction_token(simcord_env.http_requests[before:]))
    assert (waiting.application_id, waiting.interaction_token) == credentials
    await services.jobs.add("vary", bob.id, alice.guild.id, channel.id, waiting.request, credentials)
    clicked = await click
    await other

    await simcord_env.restart_bot(bots.new())

    clip, notice = clicked.followups
    assert not clip.ephemeral and notice.ephemeral and notice.content == INTERRUPTED_TEXT


async def test_the_private_discord_api_behind_interrupted_notices_still_works(simcord_bot: JazzBot) -> None:
    """``interaction_followup`` relies on discord.py's undocumented ``Webhook.from_state`` and
    ``Client._connection`` because ``Webhook.partial`` cannot send ephemeral messages; this fails when a
    discord.py update changes any of the three (then see its docstring)."""
    assert list(inspect.signature(discord.Webhook.from_state).parameters) == ["data", "state"]
    assert isinstance(simcord_bot._connection, ConnectionState)
    webhook = interaction_followup(simcord_bot, 1234, "a-token")
    assert (webhook.type, webhook.id, webhook.token) == (discord.WebhookType.application, 1234, "a-token")
    async with aiohttp.ClientSession() as session:  # refused before any request is made
        with pytest.raises(ValueError, match="ephemeral"):
            await discord.Webhook.partial(1234, "a-token", session=session).send("hi", ephemeral=True)


DEV_GUILD = 1_400_000_000_000_000_000


async def test_commands_sync_to_the_dev_guilds_only_when_configured(tmp_path: Path) -> None:
    settings = quick_settings(tmp_path, dev_guild_ids=(DEV_GUILD,))
    await (await open_database(settings.database)).close()  # see tests/bot/conftest.py: bots
    bot = JazzBot(settings)
    env = simcord.Env(bot)
    dev = env.create_guild("Dev", id=DEV_GUILD)
    other = env.create_guild("Elsewhere")
    await env.start()
    try:
        dev_channel, other_channel = dev.create_text_channel("dev"), other.create_text_channel("lobby")
        alice = dev.add_member(env.create_user("alice"))
        bob = other.add_member(env.create_user("bob"))

        assert "jazz" in alice.available_commands(dev_channel)
        assert "jazz" not in bob.available_commands(other_channel)
    finally:
        await env.shutdown()
        await bot.close()


def _options(command: dict[str, Any]) -> list[dict[str, Any]]:
    """A command's options and, for a group, its subcommands and theirs."""
    found = []
    for option in command.get("options", []):
        found += [option, *_options(option)]
    return found


async def test_every_command_and_option_reads_well_in_menus(simcord_env: Any, simcord_bot: JazzBot) -> None:
    """Discord refuses names over 32 characters, descriptions over 100 and more than 25 choices; an
    option without a description shows "…" in the menu."""
    commands = [command.to_dict(simcord_bot.tree) for command in simcord_bot.tree.get_commands()]
    assert {command["name"] for command in commands} == {
        "jazz",
        "help",
        "challenge",
        "settings",
        "privacy",
        "play",
        "queue",
        "skip",
        "stop",
    }
    for item in commands + [option for command in commands for option in _options(command)]:
        assert len(item["name"]) <= 32 and item["name"] == item["name"].lower(), item["name"]
        assert item["description"] not in ("", "…") and len(item["description"]) <= 100, item["name"]
        assert len(item.get("choices", [])) <= 25, item["name"]
    jazz = next(command for command in commands if command["name"] == "jazz")
    assert jazz["options"][0]["name"] == "request"  # words first: "/jazz" + Tab lands in the text box


async def test_after_the_drain_every_interaction_is_told_the_bot_is_restarting(
    simcord_env: Any, scene: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, alice, bob = scene
    made = await alice.slash(channel, "jazz", bars=QUICK_BARS)
    clip = made.followups[0]

    await simcord_env.bot.drain()  # what SIGTERM does before the gateway closes
    with caplog.at_level(logging.ERROR):
        answers = [
            await alice.slash(channel, "jazz", bars=QUICK_BARS),
            await bob.slash(channel, "challenge info"),
            await bob.click(clip, label="Regenerate"),
            await bob.click(clip, label="Why?"),
        ]

    restarting = "The bot is restarting; please ask again in a minute."
    for answer in answers:
        assert answer.ephemeral and answer.response.content == restarting and not answer.followups
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
