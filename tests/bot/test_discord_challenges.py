"""``/challenge`` on a real discord.py bot, driven offline by simcord, on each backend in turn (a real
SQLite file, the real PostgreSQL server).

The bot's clock follows simcord's virtual clock, so ``advance_time`` moves the challenge deadlines and
fires the deadline task's (virtual) sleep: no real waiting.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from bench.uploads import dense_midi
from bot.discord.app import JazzBot
from bot.discord.buttons import ClipAction, ClipButton
from bot.discord.challenges import EntryButton, PageButton
from bot.store.database import DatabaseTarget
from tests.bot.challenge_helpers import tiny_midi
from tests.bot.discord_helpers import QUICK_BARS, Bots, button_labels
from tests.bot.store.helpers import sqlite_only

DAY = 86400.0


@pytest.fixture
def bot_database(target: DatabaseTarget) -> DatabaseTarget:
    """The simcord bots run on both backends (tests/bot/conftest.py)."""
    return target


class SimcordClock:
    """Unix seconds on simcord's clock once the environment runs (its epoch before that), plus
    ``skew``: time that passed for the bot's database but not for simcord (the bot was down)."""

    def __init__(self) -> None:
        self.env: Any = None
        self.skew = 0.0

    def __call__(self) -> float:
        now = self.env.now() if self.env is not None else datetime(2026, 1, 1, tzinfo=UTC)
        return now.timestamp() + self.skew


@pytest.fixture
def clock() -> SimcordClock:
    return SimcordClock()


def new_bot(bots: Bots, clock: SimcordClock) -> JazzBot:
    """A bot on the test's settings whose clock is ``clock`` (closed with the others at teardown)."""
    bot = JazzBot(bots.settings, clock=clock)
    bots.made.append(bot)
    return bot


@pytest.fixture
def simcord_bot(bots: Bots, clock: SimcordClock) -> JazzBot:
    return new_bot(bots, clock)


@pytest.fixture
def club(simcord_env: Any, clock: SimcordClock) -> Any:
    """A guild with #contest, a moderator and three members."""
    clock.env = simcord_env
    guild = simcord_env.create_guild("Jazz Club")
    mods = guild.create_role("Staff", permissions=discord.Permissions(manage_guild=True))
    jazz_mods = guild.create_role("Jazz mods")

    class Club:
        channel = guild.create_text_channel("contest")
        mod = guild.add_member(simcord_env.create_user("mod"), roles=[mods])
        alice = guild.add_member(simcord_env.create_user("alice"))
        bob = guild.add_member(simcord_env.create_user("bob"))
        carol = guild.add_member(simcord_env.create_user("carol"), roles=[jazz_mods])
        observer = guild.add_member(simcord_env.create_user("observer"))  # runs nothing: sees public posts

    return Club


async def start(club: Any, **options: Any) -> Any:
    arguments = {
        "title": "Wizard of the week",
        "prompt": "A clip in any genre",
        "submit_by": "3d",
        "vote_by": "2d",
    }
    arguments.update(options)
    result = await club.mod.slash(club.channel, "challenge start", **arguments)
    assert result.ephemeral and "is on" in result.response.content, result.response.content
    return result


def said(result: Any) -> str:
    """What the bot answered, text and embeds (a deferred answer ends up in the follow-up)."""
    return shown((result.followups or [result.response])[-1])


def shown(message: Any) -> str:
    return "\n".join([message.content, *(str(embed.description) for embed in message.embeds)])


def labels(message: Any) -> list[str]:
    """Button labels of a posted message or of an interaction's response."""
    if isinstance(message, discord.Message):
        return [str(child.label) for row in message.components for child in row.children]  # type: ignore[union-attr]
    return button_labels(message)


def public(club: Any) -> list[discord.Message]:
    return club.channel.history(viewer=club.observer)


async def test_a_challenge_from_announcement_to_results(simcord_env: Any, club: Any) -> None:
    await start(club)
    announcement = public(club)[-1]
    assert "🏆 **Wizard of the week** (challenge #1, taking submissions)" in shown(announcement)

    midi = tiny_midi()
    entered = await club.alice.slash(
        club.channel, "challenge submit", file=("my tune.mid", midi), note="first"
    )
    assert entered.ephemeral and "Entry #1 “my tune” is in" in said(entered)
    await club.bob.slash(club.channel, "challenge submit", link="https://github.com/bob/tune", title="Bop")

    await simcord_env.advance_time(3 * DAY)  # the submission deadline passes
    voting = public(club)[-1]
    assert voting.content.startswith("🗳️ Voting is open for **Wizard of the week**: 2 entries")
    assert labels(voting) == ["▶ Play #1", "🗳 Vote #1", "▶ Play #2", "🗳 Vote #2"]

    counted = await club.carol.click(voting, label="🗳 Vote #1")
    assert (
        counted.ephemeral and "Vote counted for entry #1; you have 2 votes left" in counted.response.content
    )
    again = await club.carol.click(voting, label="🗳 Vote #1")
    assert again.ephemeral and "already voted for entry #1" in again.response.content
    taken = await club.carol.click(again.response, label="↩ Take back my vote for #1")
    assert "Vote taken back for entry #1; you have 3 votes left" in taken.response.content
    await club.carol.click(voting, label="🗳 Vote #1")
    own = await club.alice.click(voting, label="🗳 Vote #1")
    assert own.ephemeral and own.response.content == "You cannot vote for your own entry."
    await club.alice.slash(club.channel, "challenge vote", entry=2)
    await club.bob.slash(club.channel, "challenge vote", entry=1)

    played = await club.bob.click(voting, label="▶ Play #1")
    assert played.ephemeral and [a.filename for a in played.response.attachments] == ["my_tune.mid"]
    assert await played.response.attachments[0].read() == midi
    link = await club.bob.click(voting, label="▶ Play #2")
    assert "<https://github.com/bob/tune>" in link.response.content
    board = await club.bob.slash(club.channel, "challenge leaderboard")
    assert board.ephemeral and "1. **my tune** by <@" in said(board) and "— 2 votes" in said(board)

    await simcord_env.advance_time(2 * DAY)  # the voting deadline passes
    results = public(club)[-1]
    assert f"🥇 Winner: **my tune** by {club.alice.mention} — 2 votes (entry #1)" in results.content
    assert f"🥈 Runner-up: **Bop** by {club.bob.mention} — 1 vote (entry #2)" in results.content
    assert [a.filename for a in results.attachments] == ["my_tune.mid"]
    for post in public(club):  # members are named, never pinged
        stored = simcord_env.backend.get_message(club.channel.id, post.id)
        assert not (stored.ping_user_ids or stored.ping_role_ids or stored.mention_everyone)
    assert simcord_env.backend.get_message(club.channel.id, results.id).mention_user_ids  # named, though
    late = await club.carol.click(voting, label="🗳 Vote #2")
    assert late.ephemeral and "Voting is not open" in late.response.content
    history = await club.bob.slash(club.channel, "challenge history")
    assert f"won by {club.alice.mention} with “my tune”" in said(history)
    assert len([m for m in public(club) if "Winner" in m.content]) == 1


async def test_refusals_are_private_say_why_and_change_nothing(simcord_env: Any, club: Any) -> None:
    refused = await club.bob.slash(
        club.channel, "challenge start", title="Mine", prompt="p", submit_by="1d", vote_by="1d"
    )
    assert refused.ephemeral and "Only members with Manage Server can start" in refused.response.content
    for options, reason in [
        ({"title": "@everyone free nitro"}, "cannot mention @everyone"),
        ({"title": "<@&1> <@&2>"}, "cannot mention @everyone, @here or roles"),
        ({"submit_by": "2036-01-01"}, "at most a year"),
        ({"submit_by": "2020-01-01"}, "in the past"),
        ({"vote_by": "3650d"}, "at most a year"),
    ]:
        arguments = {"title": "t", "prompt": "p", "submit_by": "1d", "vote_by": "1d", **options}
        result = await club.mod.slash(club.channel, "challenge start", **arguments)
        assert result.ephemeral and reason in result.response.content
    assert public(club) == []

    await start(club)
    posts = len(public(club))
    for file, reason in [
        (("big.mid", b"MThd" + bytes(20 * 2**20)), "20.0 MiB; MIDI entries up to 1.9 MiB"),
        (("fake.mid", b"<html>not a tune</html>"), "damaged or not a standard MIDI file"),
        (("tool.exe", b"MZ"), "not a file challenges take"),
    ]:
        result = await club.alice.slash(club.channel, "challenge submit", file=file)
        assert result.ephemeral and reason in said(result)
    for options, reason in [
        ({"link": "javascript:alert(1)"}, "Only http:// and https:// links"),
        ({"link": "data:text/html,hi"}, "Only http:// and https:// links"),
        ({}, "exactly one of"),
        ({"link": "https://a.example", "title": "@here hear this"}, "cannot mention"),
    ]:
        result = await club.alice.slash(club.channel, "challenge submit", **options)
        assert result.ephemeral and reason in result.response.content
    moderators_only: list[tuple[str, dict[str, object]]] = [
        ("close", {}),
        ("cancel", {"reason": "no"}),
        ("remove-entry", {"entry": 1, "reason": "x"}),
    ]
    for command, fields in moderators_only:
        result = await club.bob.slash(club.channel, f"challenge {command}", **fields)
        assert result.ephemeral and "Only members with Manage Server" in result.response.content
    entries = await club.bob.slash(club.channel, "challenge entries")
    assert entries.ephemeral and "No entries yet." in entries.response.embeds[0].description
    assert len(public(club)) == posts  # nothing was posted: a member's look at the entries is private
    shown = await club.mod.slash(club.channel, "challenge entries")
    assert not shown.ephemeral and len(public(club)) == posts + 1  # a moderator's is for everyone


@pytest.mark.parametrize("settings_overrides", [{"moderator_role": "Jazz mods", "min_account_age_days": 400}])
async def test_the_moderator_role_and_the_account_age_guard(simcord_env: Any, club: Any) -> None:
    started = await club.carol.slash(
        club.channel, "challenge start", title="t", prompt="p", submit_by="1d", vote_by="1d"
    )
    assert "is on" in started.response.content  # Carol has the configured role, not Manage Server
    await club.alice.slash(club.channel, "challenge submit", link="https://a.example")
    await simcord_env.advance_time(DAY)
    young = await club.bob.slash(club.channel, "challenge vote", entry=1)
    assert young.ephemeral and "Your account is too new to vote" in young.response.content
    board = await club.bob.slash(club.channel, "challenge leaderboard")
    assert "— 0 votes" in said(board)


@pytest.mark.parametrize("settings_overrides", [{"workers": 1}])
async def test_entries_pages_and_vote_buttons_work_after_a_restart(
    simcord_env: Any, club: Any, bots: Bots, clock: SimcordClock
) -> None:
    await start(club, hide_leaderboard=True)
    members = [simcord_env.guild.add_member(simcord_env.create_user(f"m{n}")) for n in range(6)]
    for member in members:
        await member.slash(club.channel, "challenge submit", link=f"https://e.example/{member.id}")
    await simcord_env.advance_time(3 * DAY)
    listing = (await club.bob.slash(club.channel, "challenge entries")).response
    assert labels(listing)[-2:] == ["◀ Previous", "Next ▶"]
    assert listing.embeds[0].footer.text.startswith("Page 1/2")
    assert "votes" not in listing.embeds[0].description  # this challenge hides counts until it closes

    await simcord_env.restart_bot(new_bot(bots, clock))
    turned = await club.bob.click(listing, label="Next ▶")
    page_two = turned.response
    assert page_two.embeds[0].footer.text.startswith("Page 2/2")
    assert labels(page_two)[:2] == ["▶ Play #5", "🗳 Vote #5"]
    vote = await club.bob.click(page_two, label="🗳 Vote #5")
    assert "Vote counted for entry #5" in vote.response.content
    hidden = await club.bob.slash(club.channel, "challenge leaderboard")
    assert "hidden until voting closes" in said(hidden)


async def test_results_post_once_when_the_deadline_passed_while_the_bot_was_down(
    simcord_env: Any, club: Any, bots: Bots, clock: SimcordClock
) -> None:
    await start(club)
    await club.alice.slash(club.channel, "challenge submit", link="https://a.example", title="A")
    await simcord_env.advance_time(3 * DAY)
    await club.bob.slash(club.channel, "challenge vote", entry=1)

    clock.skew = 5 * DAY  # five days pass "while the bot is down": its sleeping task never sees them
    assert not [m for m in public(club) if "Winner" in m.content]
    for _restart in range(2):
        await simcord_env.restart_bot(new_bot(bots, clock))
        winners = [m for m in public(club) if "Winner" in m.content]
        assert len(winners) == 1 and "🥇 Winner: **A**" in winners[0].content


async def test_clips_are_offered_and_entered_and_moderators_can_remove_and_cancel(club: Any) -> None:
    await start(club)
    made = await club.alice.slash(club.channel, "jazz", bars=QUICK_BARS, seed=3)
    clip_message = made.followups[0]
    assert "Submit to challenge" in labels(clip_message)
    offered = await club.alice.autocomplete(club.channel, "challenge submit", "clip", "")
    assert [choice["value"] for choice in offered] == [1]
    assert await club.bob.autocomplete(club.channel, "challenge submit", "clip", "") == []
    stolen = await club.bob.slash(club.channel, "challenge submit", clip=1)
    assert "made by someone else" in stolen.response.content
    entered = await club.alice.slash(club.channel, "challenge submit", clip=1, title="Blue in F")
    assert "Entry #1 “Blue in F” is in" in entered.response.content
    bobs_clip = (await club.bob.slash(club.channel, "jazz", bars=QUICK_BARS, seed=4)).followups[0]
    clicked = await club.bob.click(bobs_clip, label="Submit to challenge")
    assert clicked.ephemeral and "Clip #2 is in the challenge" in said(clicked)
    listed = (await club.observer.slash(club.channel, "challenge entries")).response.embeds[0].description
    assert "**#1 Blue in F**" in listed and "**#2 Clip #2: 4 bars of swing**" in listed
    suggested = await club.mod.autocomplete(club.channel, "challenge remove-entry", "entry", "blue")
    assert [(choice["name"], choice["value"]) for choice in suggested] == [("#1 · Blue in F", 1)]

    removed = await club.mod.slash(club.channel, "challenge remove-entry", entry=1, reason="Posted twice")
    assert removed.ephemeral and "they were told by direct message" in removed.response.content
    dm = club.alice.user.dm_channel.last_message
    assert dm.content == "Your entry “Blue in F” was removed by a moderator: Posted twice"
    profile = await club.alice.slash(club.channel, "challenge profile")
    assert "Posted twice" in said(profile) and "Recent clips: #1" in said(profile)

    await club.mod.slash(club.channel, "challenge cancel", reason="Server maintenance")
    assert public(club)[-1].content == "❌ **Wizard of the week** was cancelled: Server maintenance"
    info = await club.bob.slash(club.channel, "challenge info")
    assert "Cancelled: Server maintenance" in said(info)


def payload(tag: str, *, pings: bool = False, lines: bool = False) -> str:
    """Member text that would be markdown, a masked link, a spoiler, tags or (with ``pings``) mass pings
    if the bot posted it raw; ``tag`` marks which field it went into. ``lines`` adds line-start markdown."""
    text = f"**B{tag}** __U{tag}__ ~~S{tag}~~ `C{tag}` [L{tag}](https://e.example/x) ||X{tag}|| <@42> <#43>"
    text += " <t:0:R>" + (" @everyone @here <@&44>" if pings else "")
    return f"# H{tag}\n-# T{tag}\n> Q{tag}\n- I{tag}\n1. N{tag}\n{text}" if lines else text


_RAW = ("**B", "__U", "~~S", "`C", "[L", "](", "||X", "<@42", "<#43", "<@&44", "<t:0", "@everyone", "@here")
_LINE_MARKDOWN = re.compile(r"^(#|-#|>|-|\d+\.)\s+[HTQIN]\w", re.MULTILINE)


def sent_texts(simcord_env: Any) -> list[str]:
    """Every text the bot sent to Discord: message and reply content, embed titles, descriptions,
    fields and footers, progress edits and direct messages."""
    texts: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and key in ("content", "title", "description", "value", "text", "name"):
            texts.append(value)

    for request in simcord_env.http_requests:
        if "/messages" in request.path or "/callback" in request.path or "/webhooks/" in request.path:
            walk(request.json)
    return texts


def rendered_raw(text: str) -> list[str]:
    """The markdown, link, tag and ping openers left in ``text`` once its escaped characters are set
    aside: what Discord would render instead of showing literally."""
    unescaped = re.sub(r"\\(?:[^\w\s]|_)", "¤", text)
    found = [token for token in _RAW if token in unescaped]
    return found + _LINE_MARKDOWN.findall(unescaped)


async def test_member_text_shows_literally_in_every_post(simcord_env: Any, club: Any) -> None:
    await start(club, title=payload("ti"), prompt=payload("pr", lines=True))
    file_name = f"{payload('fi', pings=True)}.mid".replace("/", "")
    entered = await club.alice.slash(
        club.channel, "challenge submit", file=(file_name, tiny_midi()), note=payload("no", lines=True)
    )
    assert "is in" in said(entered), said(entered)  # a file's name is shown, never refused for a ping
    await club.bob.slash(
        club.channel,
        "challenge submit",
        link="https://a.example/>[Lx](https://evil.example)",
        title=payload("li"),
    )
    await club.carol.slash(club.channel, "jazz", bars=QUICK_BARS, seed=1)
    for request in (f"{QUICK_BARS} bars {payload('ja')}", f"| Dm7 {payload('ch')} | C |"):
        refused = await club.carol.slash(club.channel, "jazz", request=request)
        assert refused.ephemeral and "Example" in said(refused)
    await club.carol.slash(club.channel, "challenge submit", clip=1, title=payload("cl"))
    await club.mod.slash(club.channel, "challenge remove-entry", entry=3, reason=payload("re"))
    for who in (club.alice, club.bob, club.mod):
        for command in ("entries", "leaderboard", "info", "profile"):
            await who.slash(club.channel, f"challenge {command}")
    await simcord_env.advance_time(3 * DAY)
    late = await club.carol.slash(club.channel, "challenge submit", link="https://b.example")
    assert "are closed" in said(late)
    await club.bob.slash(club.channel, "challenge vote", entry=1)
    await club.alice.slash(club.channel, "challenge vote", entry=2)
    await club.mod.slash(club.channel, "challenge close")
    await simcord_env.advance_time(60)
    await club.mod.slash(club.channel, "challenge history")
    await start(club, title=payload("se"))
    await club.mod.slash(club.channel, "challenge cancel", reason=payload("ca"))
    await club.bob.slash(club.channel, "challenge history")

    texts = sent_texts(simcord_env)
    for tag in ("ti", "pr", "fi", "no", "li", "cl", "re", "se", "ca", "ch"):
        assert any(f"B{tag}" in text for text in texts), f"the {tag} payload was never shown"
    for text in texts:
        assert rendered_raw(text) == [], text
    assert any("%3E%5BLx%5D" in text for text in texts)  # the link cannot break out of its <...>
    assert "​everyone" in "".join(texts)  # shown, with a zero-width space after the @


async def test_a_forged_button_id_too_large_for_sqlite_is_refused_kindly(
    club: Any, simcord_bot: JazzBot
) -> None:
    channel = simcord_bot.get_channel(club.channel.id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(ClipButton(ClipAction.EXTEND, 2**64))
    view.add_item(EntryButton("vote", 2**70))
    view.add_item(PageButton(2**64, 1, "Next ▶"))
    forged = await channel.send("forged", view=view)
    message = next(post for post in public(club) if post.id == forged.id)
    for label in ("Extend +8 bars", "🗳 Vote #1180591620717411303424", "Next ▶"):
        answer = await club.alice.click(message, label=label)
        assert answer.ephemeral and "There is no" in answer.response.content, answer.response.content


@sqlite_only
async def test_uploads_are_refused_before_their_download_when_cheap_checks_fail(
    simcord_env: Any, club: Any
) -> None:
    cdn = simcord_env.backend.cdn
    downloads: list[str] = []
    fetch = cdn.get

    def counted(url: str) -> Any:
        downloads.append(url)
        return fetch(url)

    cdn.get = counted
    big = dense_midi()  # 1.92 MB of notes: seconds of parsing for mido
    members = [simcord_env.guild.add_member(simcord_env.create_user(f"u{n}")) for n in range(20)]
    for member in members:
        refused = await member.slash(club.channel, "challenge submit", file=("big.mid", big))
        assert refused.ephemeral and "No challenge is taking submissions" in said(refused)
    assert downloads == []

    await start(club)
    for take in range(3):
        await club.alice.slash(club.channel, "challenge submit", link=f"https://a.example/{take}")
    limited = await club.alice.slash(club.channel, "challenge submit", file=("big.mid", big))
    assert limited.ephemeral and "Slow down: you can submit again in" in said(limited)
    assert downloads == []
    scanned = await club.bob.slash(club.channel, "challenge submit", file=("big.mid", big))
    assert "more than 200,000 events" in said(scanned) and len(downloads) == 1
