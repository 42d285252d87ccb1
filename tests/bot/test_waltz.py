"""Waltzes through the bot: requests read "waltz", "in 3/4" and waltz titles, other meters are refused
(console and Discord, privately, with a log line), the clip is in 3/4 (caption, MIDI, picture), and
Extend keeps the meter. Real services: SQLite, the shipped composer, FluidSynth, ffmpeg, simcord."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import discord
import mido
import numpy as np
import pytest
from PIL import Image, ImageColor

from bot.audio.pictures import GRID, beats_per_bar, piano_roll
from bot.console.app import CONSOLE_USER_ID, Console
from bot.core.requests import JazzRequest, RequestError, build_request, parse_request_text
from bot.services.guild_settings import GuildSettings
from bot.services.jazz import Requester
from bot.services.startup import Services
from model.arrange import ArrangeOptions, arrange
from model.clip_reading import read_arrangement
from model.compose import Composer
from model.melody_metrics import held_over_share
from model.midi import piece_to_midi
from model.piece import TICKS_PER_QUARTER, Note
from model.reference_figures import reference_for
from model.tokens import GRID_PER_BEAT, bar_lengths
from tests.bot.console_helpers import ok, refused
from tests.bot.discord_helpers import QUICK_BARS, embed_fields
from tests.bot.store.helpers import sqlite_only
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


@sqlite_only  # the music, which no backend changes
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


@sqlite_only  # the music, which no backend changes
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


# --- a member's idea on a waltz, a server's default style, "Why?" ------------------------------------


def _notes(notes: tuple[Note, ...] | list[Note]) -> list[tuple[int | None, int, int]]:
    return [(n.pitch, n.start, n.duration) for n in notes]


@sqlite_only  # the music, which no backend changes
async def test_an_idea_on_a_waltz_is_read_in_three_and_continued_in_three(
    services: Services, console: Console, composer: Composer
) -> None:
    reply = await ok(console, '/jazz 4 bars of alice in wonderland seed=3 continue="C:1 D:1 E:1 | F G A"')
    assert reply.splitlines()[0].startswith("clip #1: 4 bars in 3/4 in ")
    stored = await services.clips.get(1, None, CONSOLE_USER_ID)
    assert stored.request.primer == "C4:1 D4:1 E4:1 | F4:1/2 G4:1/2 A4:1/2"
    idea = stored.request.primer_notes()
    assert idea is not None and idea[3].start == 3 * TICKS_PER_QUARTER  # F on bar 2's downbeat, in 3/4
    # the composer plays the idea as written, then goes on in whole 3/4 bars
    [piece] = composer.compose_many([stored.request.compose_request()])
    assert piece.beats_per_bar == 3 and bar_lengths(piece.extra["tokens"]) == [3 * GRID_PER_BEAT] * 4
    assert _notes(piece.melody[: len(idea)]) == _notes(idea) and len(piece.melody) > len(idea)
    # the clip as heard: a 3/4 arrangement whose lead starts with the idea (swung by the band)
    clip = read_arrangement(stored.midi)
    assert clip.beats_per_bar == 3 and clip.sample.bars == 5  # and the ending's held bar (4 in 4/4 bars)
    heard = clip.sample.melody[: len(idea)]
    shift = (heard[0].pitch or 0) - (idea[0].pitch or 0)
    assert shift % 12 == 0 and [(n.pitch or 0) - shift for n in heard] == [n.pitch for n in idea]
    assert all(abs(h.start - n.start) < TICKS_PER_QUARTER // 3 for h, n in zip(heard, idea, strict=True))

    extended = await ok(console, "/extend 1")
    assert extended.startswith("clip #2: 12 bars in 3/4")
    assert (await services.clips.get(2, None, CONSOLE_USER_ID)).request.primer_notes() == idea

    four_beats = 'continue="C:1 D:1 E:1 F:1 | G"'
    refusal = await refused(console, f"/jazz 4 bars of alice in wonderland {four_beats}")
    assert "Bar 1 of your idea holds 4 beats, but a bar of 3/4 holds 3" in refusal
    assert (await ok(console, f"/jazz 4 bars blues seed=3 {four_beats}")).startswith("clip #3: 4 bars in ")


def _late_melody_midi(pitches: list[int]) -> bytes:
    """A one-track MIDI file playing ``pitches`` as quarter notes from the "and" of beat 4 (tick 1680 at
    480 a beat): bar 1 in 4/4, the "and" of 1 in bar 2 of 3/4."""
    midi = mido.MidiFile(ticks_per_beat=480)
    lead = mido.MidiTrack()
    for index, pitch in enumerate(pitches):
        lead.append(mido.Message("note_on", note=pitch, velocity=90, time=1680 if index == 0 else 0))
        lead.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    midi.tracks.append(lead)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


async def test_discord_reads_a_typed_or_midi_idea_in_the_waltzs_bars(simcord_env: Any, scene: Any) -> None:
    channel, alice, _ = scene
    idea = [67, 69, 70, 74, 72]
    options = {"request": "someday my prince will come", "bars": QUICK_BARS, "seed": 5}
    typed = await alice.slash(channel, "jazz", **options, **{"continue": "G4:1 A:1 Bb:1 | D5:2 C:1"})
    attached = await alice.slash(
        channel, "jazz", **options, continue_midi=("idea.mid", _late_melody_midi(idea))
    )

    starts = []
    for result in (typed, attached):
        [message] = result.followups
        clip_id = int(message.embeds[0].footer.text.removeprefix("clip #"))
        stored = await simcord_env.bot.services.clips.get(clip_id, alice.guild.id, alice.id)
        notes = stored.request.primer_notes()
        assert stored.request.beats_per_bar == 3 and notes is not None
        assert [n.pitch for n in notes] == idea
        heard = read_arrangement(stored.midi)
        assert heard.beats_per_bar == 3
        shift = (heard.sample.melody[0].pitch or 0) - idea[0]
        assert shift % 12 == 0 and [(n.pitch or 0) - shift for n in heard.sample.melody[:5]] == idea
        starts.append(notes[0].start)
    assert starts == [0, TICKS_PER_QUARTER // 2]  # the MIDI idea starts at its first 3/4 bar, not a 4/4 one

    overfull = await alice.slash(
        channel, "jazz", request="a jazz waltz", **{"continue": "C:1 D:1 E:1 F:1 | G"}
    )
    assert overfull.ephemeral and not overfull.followups
    assert "Bar 1 of your idea holds 4 beats, but a bar of 3/4 holds 3" in overfull.response.content


def test_a_meter_in_the_request_wins_over_a_servers_default_style() -> None:
    def here(style: str) -> GuildSettings:
        return GuildSettings(1, None, None, 16, style, None, None, None)

    def played(server: GuildSettings, text: str, typed: str | None = None) -> tuple[str, int]:
        parsed = parse_request_text(text)
        request = build_request(parsed, style=server.style_for(parsed, typed))
        return request.style, request.beats_per_bar

    bossa, waltz = here("bossa"), here("waltz")
    assert played(bossa, "8 bars") == ("bossa", 4)
    assert played(bossa, "in 3/4") == ("waltz", 3) and played(bossa, "blues in 3/4") == ("waltz", 3)
    assert played(bossa, "waltz") == ("waltz", 3)
    assert played(bossa, "ballad in 3/4") == ("ballad", 3)
    assert played(bossa, "in 4/4") == ("bossa", 4)
    assert played(waltz, "blues") == ("waltz", 3) and played(waltz, "in 4/4") == ("swing", 4)
    assert played(here("ballad"), "in 3/4") == ("ballad", 3)  # a ballad plays in either meter
    for text, typed in (("bossa in 3/4", None), ("in 3/4", "bossa")):  # a style the member names
        with pytest.raises(RequestError, match="Bossa is played in 4/4"):
            played(bossa, text, typed)
    with pytest.raises(RequestError, match="5/4"):
        played(bossa, "in 5/4")


async def test_on_a_bossa_server_in_three_four_or_waltz_plays_a_waltz(simcord_env: Any) -> None:
    guild = simcord_env.create_guild("Bossa Club")
    staff = guild.create_role("Staff", permissions=discord.Permissions(manage_guild=True))
    jam = guild.create_text_channel("jam")
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[staff])
    saved = await mod.slash(jam, "settings", default_style="bossa")
    assert "Default style: bossa (this server's choice)" in saved.response.content

    plain = (await mod.slash(jam, "jazz", bars=QUICK_BARS, seed=1)).followups[0]
    assert embed_fields(plain)["Style"] == "bossa"
    for text in ("in 3/4", "waltz"):
        [clip] = (await mod.slash(jam, "jazz", request=text, bars=QUICK_BARS, seed=1)).followups
        assert embed_fields(clip)["Style"] == "waltz" and embed_fields(clip)["Meter"] == "3/4", text
    named = await mod.slash(jam, "jazz", request="bossa in 3/4", bars=QUICK_BARS)
    assert named.ephemeral and not named.followups
    assert "Bossa is played in 4/4" in named.response.content


@sqlite_only  # the music, which no backend changes
async def test_why_measures_a_waltz_in_its_own_bars_beside_real_waltz_time_solos(
    services: Services, console: Console
) -> None:
    await ok(console, "/jazz 8 bars of someday my prince will come seed=4")
    why = await ok(console, "/why 1")
    assert "8 bars of waltz in 3/4 in " in why.splitlines()[0]
    waltzes, four = reference_for(3), reference_for(4)
    assert f"{waltzes.chunks} 16-bar chunks of the 8 solos in 3/4 of the Weimar Jazz Database" in why
    assert "Measured on the lead as you hear it in its own bars" in why
    stored = await services.clips.get(1, None, CONSOLE_USER_ID)
    melody = read_arrangement(stored.midi).sample.melody
    held = held_over_share(melody, 3 * TICKS_PER_QUARTER)
    real = waltzes.figures["held_over"].mean
    assert f"Notes held over the bar line: {held * 100:.0f}% (real solos: about {real * 100:.0f}%)" in why
    chord_tones = f"(real solos: about {waltzes.figures['chord_tones'].mean * 100:.0f}%)"
    assert "Notes on chord tones: " in why and chord_tones in why
    await ok(console, "/jazz 8 bars blues seed=4")
    in_four = await ok(console, "/why 2")
    assert f"{four.chunks} 16-bar chunks of {four.solos} held-out solos" in in_four and "3/4" not in in_four
