"""``/challenge`` in the console, on real services with an injected clock: the whole life of a challenge."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.console.app import Console
from bot.console.challenges import handle_challenge
from bot.services.jazz import Requester
from bot.services.startup import Services
from bot.services.uploads import DAMAGED
from tests.bot.challenge_helpers import Clock, tiny_midi
from tests.bot.console_helpers import ok, refused

BOB = Requester(2, "bob")


async def test_a_challenge_from_start_to_results(
    console: Console, services: Services, clock: Clock, tmp_path: Path
) -> None:
    started = await ok(
        console, '/challenge start title="Wizard of the week" prompt="Any genre" submit=3d vote=2d'
    )
    assert "🏆 Wizard of the week (challenge #1, taking submissions)" in started
    assert "**" not in started and "`" not in started  # plain text in a terminal, no Discord markdown
    assert "Submissions until 2026-11-27 12:00 UTC; voting until 2026-11-29 12:00 UTC." in started

    tune = tmp_path / "my tune.mid"
    tune.write_bytes(tiny_midi())
    assert "Entry #1 “my tune” is in" in await ok(
        console, f'/challenge submit file="{tune}" note="first try"'
    )
    assert "Entry #2" in await handle_challenge(
        services, BOB, 'submit link=https://github.com/bob/tune title="Bop"'
    )
    entries = await ok(console, "/challenge entries")
    assert "#1 my tune by you (MIDI file)" in entries and "#2 Bop by member 2 (link)" in entries

    clock.advance(days=3)
    reply = await ok(console, "/challenge info")
    assert reply.startswith("🗳️ Voting is open for Wizard of the week: 2 entries")
    assert "Voting is open" not in await ok(console, "/challenge info")  # announced once

    assert "cannot vote for your own entry" in await refused(console, "/challenge vote 1")
    assert "you have 2 votes left" in await ok(console, "/challenge vote 2")
    assert "already voted" in await refused(console, "/challenge vote #2")
    assert "1. Bop by member 2 — 1 vote" in await ok(console, "/challenge leaderboard")
    saved = await ok(console, "/challenge play 1")
    assert Path(saved.rsplit(" ", 1)[1]).read_bytes() == tiny_midi()

    closed = await ok(console, "/challenge close")
    assert closed.startswith("Closed Wizard of the week.")
    assert "🥇 Winner: Bop by member 2 — 1 vote (entry #2)" in closed
    assert "Winner" not in await ok(console, "/challenge history")  # results come once
    assert "#1 Wizard of the week — won by member 2 with “Bop”" in await ok(console, "/challenge history")
    assert "1 win" in await handle_challenge(services, BOB, "profile")


async def test_refusals_in_the_console_say_why(console: Console, tmp_path: Path) -> None:
    assert "needs prompt, submit, vote" in await refused(console, '/challenge start title="x"')
    assert "Unknown option 'colour'" in await refused(console, "/challenge entries colour=red")
    assert "close your quotes" in await refused(console, '/challenge start title="x')
    assert "There is no /challenge dance" in await refused(console, "/challenge dance")
    assert "in the past" in await refused(
        console, "/challenge start title=t prompt=p submit=2020-01-01 vote=1d"
    )
    assert "cannot mention @everyone" in await refused(
        console, '/challenge start title="@everyone free nitro" prompt=p submit=1d vote=1d'
    )
    await ok(console, "/challenge start title=t prompt=p submit=1d vote=1d")

    huge = tmp_path / "huge.mid"
    with huge.open("wb") as sparse:  # 50 MB on paper, never read
        sparse.truncate(50 * 2**20)
    assert os.path.getsize(huge) == 50 * 2**20
    assert "50.0 MiB" in await refused(console, f"/challenge submit file={huge}")
    fake = tmp_path / "fake.mid"
    fake.write_text("MThd but not really")
    assert await refused(console, f"/challenge submit file={fake}") == DAMAGED
    assert "http" in await refused(console, "/challenge submit link=javascript:alert(1)")
    assert "exactly one of" in await refused(console, "/challenge submit")
    assert "No entries yet" in await ok(console, "/challenge entries")
    assert "/challenge commands" in await ok(console, "/challenge help")


async def test_a_console_clip_can_be_entered(console: Console) -> None:
    made = await ok(console, "/jazz 2 bars in F seed=3")
    assert made.startswith("clip #1")
    await ok(console, "/challenge start title=t prompt=p submit=1d vote=1d")
    assert "Entry #1 “Clip #1: 2 bars of swing in F” is in" in await ok(console, "/challenge submit clip=1")
    assert "no clip #9" in await refused(console, "/challenge submit clip=9")
    assert "Recent clips: #1" in await ok(console, "/challenge profile")


async def test_numbers_are_asked_for_by_what_they_number(console: Console) -> None:
    assert "The entry number should be a number like 12, not 'abc'" in await refused(
        console, "/challenge vote abc"
    )
    assert "Give the entry number, e.g. /challenge unvote 12" in await refused(console, "/challenge unvote")
    assert "The challenge number should be a number" in await refused(console, "/challenge info latest")
    assert "The member number should be a number" in await refused(console, "/challenge profile bob")


async def test_moderators_can_give_a_reason_in_plain_words(console: Console, tmp_path: Path) -> None:
    await ok(console, "/challenge start title=t prompt=p submit=1d vote=1d")
    assert "Give a reason" in await refused(console, "/challenge cancel")
    tune = tmp_path / "tune.mid"
    tune.write_bytes(tiny_midi())
    await ok(console, f"/challenge submit file={tune}")
    removed = await ok(console, "/challenge remove-entry 1 off topic")
    assert removed == (
        "Removed entry #1. The author is told: Your entry “tune” was removed by a moderator: off topic"
    )
    assert "was cancelled: not enough entries" in await ok(console, "/challenge cancel not enough entries")


async def test_a_damaged_midi_file_is_refused_in_a_sentence(console: Console, tmp_path: Path) -> None:
    await ok(console, "/challenge start title=t prompt=p submit=1d vote=1d")
    broken = tmp_path / "broken.mid"
    broken.write_bytes(tiny_midi()[:20])
    refusal = await refused(console, f"/challenge submit file={broken}")
    assert refusal == DAMAGED  # the same sentence whatever broke, never the parser's internals


@pytest.mark.parametrize(
    "line", ["/challenge vote 99999999999999999999999", "/challenge submit clip=99999999999999999999999"]
)
async def test_a_number_too_large_for_any_id_is_refused_not_a_crash(console: Console, line: str) -> None:
    assert "is far too large" in await refused(console, line)
