"""The console plays several members (``as NAME``, ``/as NAME``), so a whole challenge can be tried
offline; its ``/help`` lists what the bot plays like Discord's; ``/privacy`` works there too."""

from __future__ import annotations

from pathlib import Path

from bot.console.app import PROMPT, Console, member_id
from bot.discord.help import help_embed
from bot.services.catalog import catalog
from bot.services.startup import Services
from model.arrange import LEAD_INSTRUMENTS, STYLES
from tests.bot.challenge_helpers import Clock, tiny_midi
from tests.bot.console_helpers import ok, refused


async def test_a_whole_challenge_with_three_console_members(
    console: Console, clock: Clock, tmp_path: Path
) -> None:
    await ok(console, '/challenge start title="Blues week" prompt="A blues" submit=3d vote=2d')
    tune = tmp_path / "alice blues.mid"
    tune.write_bytes(tiny_midi())
    assert "Entry #1 “alice blues” is in" in await ok(console, f'as alice /challenge submit file="{tune}"')
    assert "Entry #2 “Bop” is in" in await ok(
        console, 'as bob /challenge submit link=https://example.com/bop title="Bop"'
    )
    entries = await ok(console, "/challenge entries")
    assert "#1 alice blues by alice (MIDI file)" in entries and "#2 Bop by bob (link)" in entries

    clock.advance(days=3)
    assert console.prompt == PROMPT
    assert await ok(console, "/as carol") == f"You are carol (member {member_id('carol')})."
    assert console.prompt == "carol@jazzbot> "
    assert "Voting is open for Blues week: 2 entries" in await ok(console, "/challenge vote 1")
    assert "you have 1 vote left" in await ok(console, "/challenge vote 2")
    assert "cannot vote for your own entry" in await refused(console, "as alice /challenge vote 1")
    assert "Vote counted for entry #1" in await ok(console, "as bob /challenge vote 1")
    assert "1. alice blues by alice — 2 votes" in await ok(console, "/challenge leaderboard")

    await ok(console, "/as you")
    assert console.prompt == PROMPT
    closed = await ok(console, "/challenge close")
    assert "Closed Blues week." in closed
    assert "🥇 Winner: alice blues by alice — 2 votes (entry #1)" in closed
    assert "🥈 Runner-up: Bop by bob — 1 vote (entry #2)" in closed
    assert "won by alice with “alice blues”" in await ok(console, "/challenge history")


async def test_member_names_are_checked_and_ids_are_stable(console: Console) -> None:
    assert "Say who and what" in await refused(console, "as alice")
    assert "cannot be a member name" in await refused(console, "as <@everyone> /help")
    assert "cannot be a member name" in await refused(console, "/as " + "x" * 33)
    assert member_id("Alice") == member_id("alice") != member_id("bob")
    assert 0 < member_id("alice") < 2**63
    assert await ok(console, "as me /as") == "You are you (member 0)."


async def test_console_help_lists_styles_leads_and_tunes_like_discords(
    console: Console, services: Services
) -> None:
    text = await ok(console, "/help")
    assert f"Styles: {', '.join(STYLES)}" in text
    assert f"Lead instruments: {', '.join(LEAD_INSTRUMENTS)}" in text
    assert "as NAME <command>" in text and "/privacy" in text
    fields = {field.name: str(field.value) for field in help_embed(services).fields}
    for heading, listed in catalog():
        assert f"{heading}: {listed}" in text
        assert listed in fields[heading]


async def test_privacy_in_the_console(console: Console, clock: Clock) -> None:
    await ok(console, '/challenge start title="Blues week" prompt="A blues" submit=3d vote=2d')
    await ok(console, "as alice /challenge submit link=https://example.com/a")
    await ok(console, "as bob /challenge submit link=https://example.com/b")
    clock.advance(days=3)
    await ok(console, "as alice /challenge vote 2")

    shown = await ok(console, "as alice /privacy")
    assert "challenge entries: 1 in running challenges" in shown and "votes: 1 in running" in shown
    assert "Type /privacy delete yes" in await ok(console, "as alice /privacy delete")
    assert (
        await ok(console, "as alice /privacy delete yes") == "Deleted 0 clips, 0 clip jobs, 1 entry, 1 vote."
    )
    assert (await ok(console, "as alice /privacy")).startswith("I store nothing about you")
    board = await ok(console, "/challenge leaderboard")
    assert "Bop" not in board and "by bob — 0 votes" in board and "alice" not in board
