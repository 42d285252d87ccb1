"""The console's commands on real services: files a player can open, friendly replies to bad input."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import mido
import pytest
from PIL import Image

from bot.console.app import CONSOLE_USER_ID, Console, split_options
from bot.services.settings import Settings
from bot.services.startup import Services, open_services
from model.clip_reading import read_arrangement
from model.primer import parse_primer
from tests.bot.buggy_studio import BUG, buggy_studio
from tests.bot.explain_helpers import expected_compact, expected_figures


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    opened = await open_services(
        Settings(database=tmp_path / "jazzbot.db", workers=1, cooldown_seconds=0.0, out_dir=tmp_path / "out")
    )
    yield opened
    await opened.close()


def decoded_seconds(path: Path) -> float:
    """Seconds of audio ffmpeg decodes from ``path`` (as 48 kHz stereo 16-bit)."""
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "2", "-ar", "48000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / (48000 * 4)


def printed_paths(reply: str) -> dict[str, Path]:
    lines = [line.split(": ", 1) for line in reply.splitlines()]
    return {label: Path(value) for label, value in lines if label in ("audio", "midi", "image")}


async def test_jazz_writes_a_playable_clip_and_prints_a_summary(services: Services, tmp_path: Path) -> None:
    console = Console(services, tmp_path / "out")
    reply = await console.execute('/jazz 2 bars in Bb ballad seed=7 progression="| Cm7 F7 | Bbmaj7 |"')
    assert reply.ok, reply.text
    first = reply.text.splitlines()[0]
    assert first.startswith("clip #1: 2 bars in Bb, 72 bpm, ballad, tenor sax, seed 7")
    assert "chart: | Cm7 F7 | Bbmaj7 |" in reply.text

    paths = printed_paths(reply.text)
    assert set(paths) == {"audio", "midi", "image"}
    assert all(path.parent == tmp_path / "out" for path in paths.values())
    assert decoded_seconds(paths["audio"]) > 2 * 4 * 60 / 72  # two bars at 72 bpm, plus the tail
    midi = mido.MidiFile(paths["midi"])
    assert sum(1 for track in midi.tracks for m in track if m.type == "note_on" and m.velocity) > 0
    with Image.open(paths["image"]) as picture:
        assert (picture.format, picture.size) == ("PNG", (1200, 400))


async def test_button_commands_work_on_the_console(services: Services, tmp_path: Path) -> None:
    console = Console(services, tmp_path / "out")
    assert (await console.execute("/jazz 2 bars seed=3")).ok
    extended = await console.execute("/extend 1")
    assert extended.ok and extended.text.startswith("clip #2: 10 bars") and "seed 3," in extended.text
    assert (await console.execute("/vary #1")).text.startswith("clip #3: 2 bars")
    assert (await console.execute("/regenerate 2")).text.startswith("clip #4: 10 bars")
    blues = await console.execute("/jazz 1 bar of blues in Bb")
    assert "\nchart (12-bar blues): | Bb7 |\n" in blues.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/jazz 99 bars", "at most 64 bars, not 99"),
        ("/jazz bars=lots", "Bars must be a whole number"),
        ("/jazz qwerty zxcv please", "didn't understand 'qwerty', 'zxcv'"),
        ('/jazz progression="| Dm7 G7', "check the double quotes"),
        ("/extend 42", "There is no clip #42 here;"),
        ("/extend 99999999999999999999999", "There is no clip #99999999999999999999999"),
        ("/vary", "needs a clip number"),
        ("/jazz temperature=1e-320", "Temperature must be from 0.05 to 3"),  # as the Discord option
        ("/jazz 4 bars temperature 0.0000000001", "Temperature must be from 0.05 to 3"),
        ("/jazz seed=9007199254740992", "Seed must be a whole number from 0 to 9007199254740991"),
        (
            "/jazz | Dm7 **G7** [x](https://e.example) |",
            "Bar 1 'Dm7 **G7** [x](https://e.example)'",
        ),  # as typed
        ("/frobnicate", "Unknown command /frobnicate"),
        ("16 bars in F", "Commands start with a slash, e.g. /jazz 16 bars in F"),
        ("hello there", "Commands start with a slash: try /jazz 16 bars in Bb, or /help for the list."),
    ],
)
async def test_bad_input_gets_a_friendly_reply(
    services: Services, tmp_path: Path, line: str, expected: str
) -> None:
    reply = await Console(services, tmp_path / "out").execute(line)
    assert not reply.ok
    assert expected in reply.text
    assert "Traceback" not in reply.text
    assert not (tmp_path / "out").exists()


async def test_a_job_that_dies_of_a_bug_gets_an_apology_with_the_logged_id(
    services: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with buggy_studio(services):
        reply = await Console(services, tmp_path / "out").execute("/jazz 2 bars")

    assert not reply.ok and reply.text.startswith("Sorry, something went wrong making that clip")
    match = re.search(r"request id `([0-9a-f]{6})`", reply.text)
    assert match and BUG not in reply.text
    tracebacks = [record for record in caplog.records if record.exc_info is not None]
    assert [record.getMessage() for record in tracebacks] == [
        f"request {match.group(1)} failed: a job of user 0"
    ]


async def test_help_and_quit(services: Services, tmp_path: Path) -> None:
    console = Console(services, tmp_path / "out")
    assert "/jazz <request>" in await console.handle("/help")
    assert (await console.execute("/quit")).quit
    assert await console.handle("   ") == ""


def test_options_are_split_from_the_text() -> None:
    text, options = split_options("blues in F tempo=120 Seed=4 'progression=| F7 | Bb7 |' swing")
    assert text == "blues in F swing"
    assert options == {"tempo": "120", "seed": "4", "progression": "| F7 | Bb7 |"}


async def test_progress_goes_to_the_progress_stream(services: Services, tmp_path: Path) -> None:
    shown = io.StringIO()
    assert (await Console(services, tmp_path / "out", progress_out=shown).execute("/jazz 1 bar")).ok
    lines = shown.getvalue().splitlines()
    stages = ["composing", "arranging", "rendering", "encoding", "drawing"]
    assert lines and all(line.strip(" .") in stages for line in lines)
    assert [line.strip(" .") for line in lines] == sorted(
        {line.strip(" .") for line in lines}, key=stages.index
    )


async def test_a_request_with_a_stray_word_is_played_with_a_note(services: Services, tmp_path: Path) -> None:
    reply = await Console(services, tmp_path / "out").execute("/jazz 2 bars of groovy spooky blues in Bb")
    assert reply.ok and reply.text.startswith("clip #1: 2 bars in Bb")
    assert reply.text.endswith("note: I left out 'spooky'; the rest is as you asked.")


async def test_an_apostrophe_is_not_an_open_quote(services: Services, tmp_path: Path) -> None:
    reply = await Console(services, tmp_path / "out").execute("/jazz 1 bar of well you needn't")
    assert reply.ok, reply.text
    assert "note" not in reply.text


async def test_why_shows_a_clip_s_chart_and_figures(services: Services, tmp_path: Path) -> None:
    console = Console(services, tmp_path / "out")
    assert (await console.execute('/jazz 4 bars in Bb seed=5 progression="| Cm7 F7 | Bbmaj7 |"')).ok

    reply = await console.execute("/why #1")

    assert reply.ok, reply.text
    lines = reply.text.splitlines()
    assert lines[0] == "Why clip #1 sounds like this: 4 bars of swing in Bb at 160 bpm"
    stored = await services.clips.get(1, None, CONSOLE_USER_ID)
    assert f"chart: {stored.chart}" in lines
    figures = [line.strip().split(" (real solos: ")[0] for line in lines if "(real solos:" in line]
    shown = {name: value for name, value in (figure.split(": ", 1) for figure in figures)}
    assert shown == expected_figures(stored.midi)
    unknown = await console.execute("/why 7")
    assert unknown.text == "There is no clip #7 here; it may have been made somewhere else."
    assert "/why needs a clip number" in (await console.execute("/why last")).text


async def test_console_entries_show_figures_for_clips(services: Services, tmp_path: Path) -> None:
    console = Console(services, tmp_path / "out")
    assert (await console.execute("/jazz 2 bars seed=3")).ok
    started = await console.execute('/challenge start title="Riffs" prompt="Any" submit=3d vote=2d')
    assert started.ok, started.text
    assert (await console.execute("/challenge submit clip=1")).ok

    listing = await console.execute("/challenge entries")

    stored = await services.clips.get(1, None, CONSOLE_USER_ID)
    assert expected_compact(stored.midi) in listing.text.splitlines()
    assert listing.text.endswith("for information: votes alone decide.")


async def test_a_soloist_is_named_and_kept_by_regenerate(services: Services, tmp_path: Path) -> None:
    console = Console(services, tmp_path / "out")
    first = await console.execute("/jazz 2 bars like Bird seed=3")
    assert first.ok, first.text
    assert first.text.splitlines()[1] == "played in the style of Charlie Parker"
    again = await console.execute("/regenerate 1")
    assert again.ok and again.text.splitlines()[1] == "played in the style of Charlie Parker"
    era = await console.execute("/jazz 2 bars like=bebop")
    assert era.text.splitlines()[1] == "played like bebop"
    thin = await console.execute("/jazz 2 bars like Ben Webster")  # too little material: his era
    assert thin.text.splitlines()[1].startswith("played like swing (Ben Webster has too little material")
    unknown = await console.execute("/jazz 2 bars like Zappa")
    assert not unknown.ok and unknown.text.startswith("I don't know a soloist or era called 'Zappa'.")


async def test_continue_starts_the_clip_with_the_notes_and_extend_keeps_them(
    services: Services, tmp_path: Path
) -> None:
    console = Console(services, tmp_path / "out")
    idea = parse_primer("C D Eb G | Bb A G")
    reply = await console.execute('/jazz 4 bars blues in C seed=3 continue="C D Eb G | Bb A G"')
    assert reply.ok, reply.text
    extended = await console.execute("/extend 1")
    assert extended.ok and extended.text.startswith("clip #2: 12 bars")
    for clip_id in (1, 2):
        stored = await services.clips.get(clip_id, None, CONSOLE_USER_ID)
        assert stored.request.primer_notes() == idea
        lead = read_arrangement(stored.midi).sample.melody
        # the lead sounds the idea first (swung by the band), the whole idea moved by one octave shift
        # at most: the line is composed inside the tenor sax's range and played as composed
        heard = [n.pitch or 0 for n in lead[: len(idea)]]
        shift = heard[0] - (idea[0].pitch or 0)
        assert shift % 12 == 0 and heard == [(n.pitch or 0) + shift for n in idea]
    bad = await console.execute('/jazz continue="C D H G"')
    assert not bad.ok and "I can't read 'H'" in bad.text and "for example" in bad.text
