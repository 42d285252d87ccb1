"""Waltzes through the bot: requests read "waltz", "in 3/4" and waltz titles, other meters are refused
(console and Discord, privately, with a log line), the clip is in 3/4 (caption, MIDI, picture), and
Extend keeps the meter. Real services: SQLite, the shipped composer, FluidSynth, ffmpeg, simcord."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest
from PIL import Image, ImageColor

from bot.audio.pictures import GRID, beats_per_bar, piano_roll
from bot.console.app import Console
from bot.core.requests import JazzRequest, RequestError, build_request
from bot.services.jazz import Requester
from bot.services.startup import Services
from model.arrange import ArrangeOptions, arrange
from model.compose import Composer
from model.midi import piece_to_midi
from tests.bot.console_helpers import ok, refused
from tests.bot.discord_helpers import QUICK_BARS, embed_fields
from tests.extend_helpers import notes_before, replayed_ticks

ALICE = Requester(1, "alice", 111, 333)


@pytest.mark.parametrize(
    ("text", "style", "meter", "progression"),
    [
        ("someday my prince will come", "waltz", None, "someday-my-prince-will-come"),
        ("alice in wonderland", "waltz", None, "alice-in-wonderland"),
        ("waltz for debby", "waltz", None, "waltz-for-debbie"),  # the title, not the style
        ("the jitterbug waltz on vibes", "waltz", None, "the-jitterbug-waltz"),
        ("a jazz waltz", "waltz", 3, None),
        ("16 bars waltz in Bb", "waltz", 3, None),
        ("autumn leaves in 3/4", "waltz", 3, "autumn-leaves"),
        ("autumn leaves as a waltz", "waltz", 3, "autumn-leaves"),  # a 4/4 tune played in 3
        ("ballad in 3/4", "ballad", 3, None),
        ("someday my prince will come in 4/4", "swing", 4, "someday-my-prince-will-come"),
        ("someday my prince will come bossa", "bossa", 4, "someday-my-prince-will-come"),
        ("blues in F", "swing", None, "blues"),
    ],
)
def test_waltz_requests_are_read(text: str, style: str, meter: int | None, progression: str | None) -> None:
    request = build_request(text, seed=1)
    assert (request.style, request.meter, request.progression) == (style, meter, progression)
    assert JazzRequest.from_dict(request.to_dict()) == request  # stored and read back (Extend, restarts)


@pytest.mark.parametrize("text", ["someday my prince will come", "a jazz waltz", "autumn leaves in 3/4"])
def test_a_waltz_request_composes_in_three(composer: Composer, text: str) -> None:
    [piece] = composer.compose_many([build_request(f"8 bars {text}", seed=4).compose_request()])
    assert piece.beats_per_bar == 3
    arrangement = arrange(piece, build_request(f"8 bars {text}", seed=4).arrange_options())
    assert arrangement.options.style == "waltz"


@pytest.mark.parametrize(
    ("text", "named"),
    [("in 5/4", "5/4"), ("blues in 6/8", "6/8"), ("jazz in 7", "7 beats"), ("take five 5/4 time", "5/4")],
)
def test_other_meters_are_refused_naming_four_four_and_three_four(
    text: str, named: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.core.requests"), pytest.raises(RequestError) as refused:
        build_request(text)
    message = str(refused.value)
    assert "4/4" in message and "3/4" in message and named in message
    assert any("meter refused" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("waltz in 4/4", "A waltz is in 3/4"), ("bossa in 3/4", "Bossa is played in 4/4")],
)
def test_a_style_that_cannot_play_the_meter_is_refused(text: str, reason: str) -> None:
    with pytest.raises(RequestError, match=reason):
        build_request(text)


async def test_the_console_plays_a_waltz_in_three_and_refuses_five_four(console: Console) -> None:
    reply = await ok(console, "/jazz 4 bars of alice in wonderland seed=3")
    assert reply.splitlines()[0].startswith("clip #1: 4 bars in 3/4 in ")
    midi = mido.MidiFile(
        next(Path(line.split(": ", 1)[1]) for line in reply.splitlines() if line.startswith("midi: "))
    )
    signatures = [(m.numerator, m.denominator) for t in midi.tracks for m in t if m.type == "time_signature"]
    assert signatures == [(3, 4)]
    refusal = await refused(console, "/jazz blues in 5/4")
    assert "4/4" in refusal and "3/4" in refusal and "5/4" in refusal
    assert "4 bars in 3/4" not in await ok(console, "/jazz 4 bars blues seed=3")  # 4/4 says nothing


async def test_extend_keeps_the_waltz(services: Services) -> None:
    stored, clip = await services.jazz.compose(ALICE, build_request("4 bars a jazz waltz", seed=6))
    extended, longer = await services.jazz.remake("extend", ALICE, stored.id)
    assert clip.piece.beats_per_bar == longer.piece.beats_per_bar == 3
    assert extended.request.style == "waltz" and extended.request.bars == 12
    kept = replayed_ticks(clip.piece, longer.piece)
    assert kept > 0 and notes_before(longer.piece, kept) == notes_before(clip.piece, kept)


async def test_discord_plays_a_jazz_waltz_and_refuses_six_eight_privately(scene: Any) -> None:
    channel, alice, bob = scene

    waltz = await alice.slash(channel, "jazz", request="a jazz waltz", bars=QUICK_BARS, seed=2)
    [clip] = waltz.followups
    fields = embed_fields(clip)
    assert fields["Meter"] == "3/4" and fields["Style"] == "waltz"
    assert clip.embeds[0].title.startswith(f"{QUICK_BARS} bars of waltz in 3/4 in ")

    six_eight = await alice.slash(channel, "jazz", request="blues in 6/8")
    assert six_eight.ephemeral and not six_eight.followups
    assert "3/4" in six_eight.response.content and "6/8" in six_eight.response.content
    assert [message.id for message in channel.history(viewer=bob)] == [clip.id]


def _grid_columns(png: bytes) -> list[int]:
    """x of every column drawn in the grid colour over most of the plot's height, inside the frame
    (whose two sides are drawn in it too): the bar lines."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    grid = np.all(pixels == ImageColor.getrgb(GRID)[:3], axis=2)
    height = grid.shape[0]
    share = grid[height // 10 : height * 8 // 10].mean(axis=0)
    return [int(x) for x in np.flatnonzero(share > 0.3)][1:-1]


def test_the_piano_roll_draws_a_bar_line_every_three_beats(composer: Composer) -> None:
    waltz = composer.compose(bars=8, progression="bluesette", seed=3)
    four = composer.compose(bars=8, progression="blues", seed=3)
    waltz_midi, four_midi = mido.MidiFile(file=io.BytesIO(piece_to_midi(waltz))), piece_to_midi(four)
    assert beats_per_bar(waltz_midi) == 3
    assert len(_grid_columns(piano_roll(waltz_midi, waltz.chords, 8))) == 7  # 8 bars of 3 beats
    assert len(_grid_columns(piano_roll(four_midi, four.chords, 8))) == 7  # 8 bars of 4 beats
    # the same notes read as 4/4 would span 6 bars: the bar lines really follow the time signature
    for message in waltz_midi.tracks[0]:
        if message.type == "time_signature":
            message.numerator = 4
    assert len(_grid_columns(piano_roll(waltz_midi, waltz.chords, 6))) == 5
    arranged = arrange(waltz, ArrangeOptions(style="waltz", count_in=True))
    assert beats_per_bar(arranged.parsed) == 3
