"""``/settings``: per-server settings on a real discord.py bot (simcord) and a real SQLite file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aiosqlite
import discord
import pytest

from bot.services.guild_settings import GuildSettingsService
from bot.services.settings import Settings
from bot.store.database import open_database
from bot.store.guild_settings import GuildSettingsStore, StoredGuildSettings
from bot.store.sql import Database, list_migrations
from bot.store.sqlite import MIGRATIONS_DIR, apply_migrations
from model.errors import InputError
from tests.bot.discord_helpers import QUICK_BARS, embed_fields


@pytest.fixture
def server(simcord_env: Any) -> Any:
    """A guild with #jam and #contests, a member with Manage Server, two roles and three members."""
    guild = simcord_env.create_guild("Jazz Club")
    staff = guild.create_role("Staff", permissions=discord.Permissions(manage_guild=True))

    class Server:
        jam = guild.create_text_channel("jam")
        contests = guild.create_text_channel("contests")
        jazz_mods = guild.create_role("Jazz mods")
        judges = guild.create_role("Judges")
        mod = guild.add_member(simcord_env.create_user("mod"), roles=[staff])
        alice = guild.add_member(simcord_env.create_user("alice"))
        carol = guild.add_member(simcord_env.create_user("carol"), roles=[jazz_mods])
        judge = guild.add_member(simcord_env.create_user("judge"), roles=[judges])

    return Server


async def settings(member: Any, channel: Any, **options: Any) -> str:
    result = await member.slash(channel, "settings", **options)
    assert result.ephemeral, result.response.content
    return str(result.response.content)


async def test_anyone_sees_the_settings_and_only_manage_server_changes_them(server: Any) -> None:
    shown = await settings(server.alice, server.jam)
    assert "Most bars per clip: 64 (the bot's default)" in shown
    assert (
        "Challenge listings (info, entries, leaderboard, history, profile): entries and leaderboard private"
        in shown
    )

    refused = await settings(server.alice, server.jam, max_bars=8)
    assert "Only members with the **Manage Server** permission can change these settings" in refused
    assert "Most bars per clip: 64" in await settings(server.mod, server.jam)

    saved = await settings(server.mod, server.jam, max_bars=8, default_style="ballad")
    assert saved.startswith("Saved.") and "Most bars per clip: 8 (this server's choice)" in saved
    assert "Default style: ballad (this server's choice)" in saved
    reset = await settings(server.mod, server.jam, reset="max_bars")
    assert "Most bars per clip: 64 (the bot's default)" in reset and "Default style: ballad" in reset


@pytest.mark.parametrize("settings_overrides", [{"max_bars": 16}])
async def test_max_bars_and_the_default_style_apply_to_jazz(server: Any) -> None:
    over = await settings(server.mod, server.jam, max_bars=32)
    assert "Clips here can be 1 to 16 bars long (16 is this bot's own limit); 32 does not fit." in over
    await settings(server.mod, server.jam, max_bars=QUICK_BARS, default_style="ballad")

    too_long = await server.alice.slash(server.jam, "jazz", bars=8)
    assert too_long.ephemeral
    assert f"This bot plays at most {QUICK_BARS} bars, not 8" in too_long.response.content
    clip = (await server.alice.slash(server.jam, "jazz", bars=QUICK_BARS)).followups[0]
    assert embed_fields(clip)["Style"] == "ballad"
    worded = (await server.alice.slash(server.jam, "jazz", request=f"{QUICK_BARS} bars bossa")).followups[0]
    assert embed_fields(worded)["Style"] == "bossa"  # the member's words win over the server's default

    extended = await server.alice.click(clip, label="Extend +8 bars")
    assert f"clips can be up to {QUICK_BARS} bars, so it cannot grow by 8 more" in extended.response.content


async def start(member: Any, channel: Any) -> Any:
    return await member.slash(
        channel, "challenge start", title="Blues week", prompt="A blues", submit_by="3d", vote_by="2d"
    )


async def cancel(server: Any) -> None:
    result = await server.mod.slash(server.jam, "challenge cancel", reason="just trying")
    assert "Cancelled" in result.response.content, result.response.content


@pytest.mark.parametrize("settings_overrides", [{"moderator_role": "Jazz mods"}])
async def test_a_servers_moderator_role_overrides_the_bots_default(server: Any) -> None:
    assert "is on" in (await start(server.carol, server.jam)).response.content  # the bot-wide role
    await cancel(server)

    saved = await settings(server.mod, server.jam, moderator_role=server.judges)
    assert f"Moderator role: <@&{server.judges.id}> (this server's choice)" in saved
    refused = await start(server.carol, server.jam)
    assert refused.ephemeral
    assert refused.response.content == (
        "Only members with Manage Server or the Judges role can start challenges."
    )
    assert "is on" in (await start(server.judge, server.jam)).response.content
    await cancel(server)

    await settings(server.mod, server.jam, reset="moderator_role")
    assert "is on" in (await start(server.carol, server.jam)).response.content
    assert "Only members" in (await start(server.judge, server.jam)).response.content


async def test_the_challenge_channel_and_private_listings(server: Any) -> None:
    await settings(server.mod, server.jam, challenge_channel=server.contests, listings="private")

    started = await start(server.mod, server.jam)
    assert f"announced in <#{server.contests.id}>" in started.response.content
    assert "Blues week" in str(server.contests.history(viewer=server.alice)[-1].embeds[0].description)
    assert server.jam.history(viewer=server.judge) == []  # judge asked nothing: sees public posts only
    for command in ("challenge leaderboard", "challenge entries", "challenge info", "challenge history"):
        shown = await server.alice.slash(server.jam, command)
        assert shown.ephemeral, command
    assert server.jam.history(viewer=server.judge) == []

    await settings(server.mod, server.jam, listings="public")
    board = await server.alice.slash(server.jam, "challenge leaderboard")
    assert not board.ephemeral and len(server.jam.history(viewer=server.judge)) == 1


async def test_the_service_refuses_unknown_styles_and_keeps_other_servers_apart(
    conn: Database,
) -> None:
    service = GuildSettingsService(GuildSettingsStore(conn), Settings(max_bars=32))
    with pytest.raises(InputError, match="is not a style; pick one of swing, ballad, bossa"):
        await service.change(1, 7, may_manage=True, default_style="polka")
    await service.change(1, 7, may_manage=True, max_bars=8, moderator_role=(55, "Judges"))
    here, elsewhere = await service.for_guild(1), await service.for_guild(2)
    dm = await service.for_guild(None)
    assert (here.max_bars, here.moderator_role, here.moderator_role_id) == (8, "Judges", 55)
    assert (elsewhere.max_bars, elsewhere.moderator_role) == (32, None)
    assert elsewhere.stored == StoredGuildSettings(2)
    assert (dm.max_bars, dm.stored) == (32, None)
    assert here.is_moderator_role(55, "anything") and not here.is_moderator_role(56, "Judges")


async def test_settings_survive_an_upgrade_from_every_older_schema(tmp_path: Path) -> None:
    """Each older file gains the settings table empty, and its entries keep their vote counts."""
    migrations = list_migrations(MIGRATIONS_DIR)
    new = next(version for version, path in migrations if path.name.endswith("_guild_settings.sql"))
    for version in range(1, new):
        older = tmp_path / f"v{version}"
        older.mkdir()
        for _, path in migrations[:version]:
            shutil.copy(path, older)
        path = older / "jazzbot.db"
        raw = await aiosqlite.connect(path, isolation_level=None)
        await apply_migrations(raw, older)
        await raw.execute(
            "INSERT INTO challenges (id, guild_id, channel_id, created_by, title, prompt, created_at,"
            " submission_deadline, voting_deadline) VALUES (1, 5, 6, 7, 't', 'p', 0, 1, 2)"
        )
        await raw.execute(
            "INSERT INTO entries (guild_id, challenge_id, author_id, title, kind, reference, submitted_at)"
            " VALUES (5, 1, 8, 'e', 'link', 'https://a.example', 0)"
        )
        await raw.close()
        upgraded = await open_database(path)
        store = GuildSettingsStore(upgraded)
        assert await store.get(5) == StoredGuildSettings(5)
        rows = await upgraded.fetch_all("SELECT author_id, retired_votes FROM entries")
        assert [tuple(row) for row in rows] == [(8, 0)]
        await upgraded.close()
