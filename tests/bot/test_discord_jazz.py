"""``/jazz`` on a simulated Discord (simcord drives the real discord.py client offline), with the real
composer, FluidSynth, ffmpeg and a SQLite file: what a user sees, from the first acknowledgement on."""

from __future__ import annotations

import io
from typing import Any

import mido
import pytest

from bot.discord.jazz import progression_field
from model.clip_reading import read_arrangement
from tests.bot.discord_helpers import QUICK_BARS, button_labels, embed_fields

DEFERRED_WITH_SOURCE = 5  # Discord's interaction callback type for "thinking..."
EPHEMERAL = 64


async def test_jazz_defers_first_then_posts_audio_midi_and_embed_with_buttons(
    simcord_env: Any, scene: Any
) -> None:
    channel, alice, bob = scene
    before = len(simcord_env.http_requests)

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS, key="Bb", seed=7)

    calls = simcord_env.http_requests[before:]
    first = calls[0]
    assert first.method == "POST" and first.path.endswith("/callback")
    assert first.json == {"type": DEFERRED_WITH_SOURCE, "data": {"flags": EPHEMERAL}}
    assert result.ephemeral and result.response.content.startswith("✅ Done in")

    [clip] = result.followups
    assert not clip.ephemeral
    assert [message.id for message in channel.history(viewer=bob)] == [clip.id]
    files = {attachment.filename.rsplit(".", 1)[1]: attachment for attachment in clip.attachments}
    assert sorted(files) == ["mid", "ogg", "png"]
    assert (await files["ogg"].read()).startswith(b"OggS")
    assert (await files["mid"].read()).startswith(b"MThd")
    assert (await files["png"].read()).startswith(b"\x89PNG")

    embed = clip.embeds[0]
    assert embed.image.url == f"attachment://{files['png'].filename}"
    fields = embed_fields(clip)
    assert fields["Bars"] == str(QUICK_BARS)
    assert fields["Key"] == "Bb"
    assert fields["Seed"] == "7"
    assert fields["Style"] == "swing" and fields["Tempo"] == "160 bpm"
    assert fields["Instrument"] == "tenor sax"
    assert fields["Progression"].count("|") >= QUICK_BARS + 1
    assert fields["Model"] and fields["Time taken"].endswith(" s")
    assert button_labels(clip) == ["Regenerate", "Extend +8 bars", "Vary", "Play in voice", "Why?"]


async def test_typed_options_win_over_the_request_text(scene: Any) -> None:
    channel, alice, _ = scene

    result = await alice.slash(
        channel, "jazz", request=f"{QUICK_BARS} bars ballad in F at 70 bpm", key="Eb", instrument="vibraphone"
    )

    fields = embed_fields(result.followups[0])
    assert (fields["Bars"], fields["Style"], fields["Tempo"]) == (str(QUICK_BARS), "ballad", "70 bpm")
    assert (fields["Key"], fields["Instrument"]) == ("Eb", "vibraphone")  # Eb major, as typed


@pytest.mark.parametrize(("request_", "key"), [("blues in F# minor", "F#m"), ("a ballad in Eb", "Eb")])
async def test_the_clip_is_in_the_asked_key_and_mode(scene: Any, request_: str, key: str) -> None:
    channel, alice, _ = scene

    result = await alice.slash(channel, "jazz", request=f"{QUICK_BARS} bars, {request_}")

    clip = result.followups[0]
    assert embed_fields(clip)["Key"] == key and clip.embeds[0].title.endswith(f" in {key}")


async def test_a_stray_word_is_left_out_with_a_private_note_and_the_clip_still_comes(scene: Any) -> None:
    channel, alice, bob = scene

    result = await alice.slash(channel, "jazz", request=f"{QUICK_BARS} bars of spooky blues")

    assert result.ephemeral
    assert result.response.content.endswith("I left out 'spooky'; the rest is as you asked.")
    [clip] = result.followups
    assert "note" not in clip.content and [message.id for message in channel.history(viewer=bob)] == [clip.id]


async def test_same_seed_gives_the_same_midi(scene: Any) -> None:
    channel, alice, bob = scene

    first = await alice.slash(channel, "jazz", bars=QUICK_BARS, seed=11, style="bossa")
    second = await bob.slash(channel, "jazz", bars=QUICK_BARS, seed=11, style="bossa")

    def midi(result: Any) -> Any:
        return next(a for a in result.followups[0].attachments if a.filename.endswith(".mid"))

    assert await midi(first).read() == await midi(second).read()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"request": "purple monkey dishwasher"}, "I didn't understand 'purple', 'monkey', 'dishwasher'"),
        ({"request": "200 bars in F"}, "at most 64 bars, not 200"),
        ({"key": "H#"}, "'H#' is not a key"),
        ({"progression": "no such tune at all"}, "No progression or tune called 'no such tune at all'"),
    ],
)
async def test_bad_options_and_junk_text_get_a_private_error_and_no_clip(
    scene: Any, options: dict[str, Any], expected: str
) -> None:
    channel, alice, bob = scene

    result = await alice.slash(channel, "jazz", **options)

    assert result.ephemeral
    assert expected in result.response.content
    assert not result.followups
    assert channel.history(viewer=bob) == []


async def test_progression_autocomplete_offers_library_tunes_and_typed_charts(scene: Any) -> None:
    channel, alice, _ = scene

    blues = await alice.autocomplete(channel, "jazz", "progression", "blu")
    autumn = await alice.autocomplete(channel, "jazz", "progression", "autum lea")
    chart = await alice.autocomplete(channel, "jazz", "progression", "| Dm7 | G7 | Cmaj7 |")

    assert {"12-bar blues", "Blue Bossa", "Blue Monk"} <= {choice["value"] for choice in blues}
    assert autumn[0]["value"] == "Autumn Leaves"
    assert chart[0]["value"] == "| Dm7 | G7 | Cmaj7 |"


async def test_a_typed_chart_is_played(scene: Any) -> None:
    channel, alice, _ = scene

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS, progression="| Dm7 | G7 | Cmaj7 | % |")

    chart = embed_fields(result.followups[0])["Progression"]
    assert "Dm7" in chart and "G7" in chart and "Cmaj7" in chart
    assert chart.startswith("```") and chart.count("Dm7") == 1  # the chart once, as played


async def test_a_library_tune_is_named_above_its_chart(scene: Any) -> None:
    channel, alice, _ = scene

    blues = await alice.slash(channel, "jazz", bars=QUICK_BARS, progression="blues")
    autumn = await alice.slash(channel, "jazz", bars=QUICK_BARS, progression="autum leaves")

    title, chart = embed_fields(blues.followups[0])["Progression"].split("\n", 1)
    assert title == "12-bar blues · `blues`" and chart == "```| F7 | Bb7 | F7 | F7 |```"  # its own key
    title, chart = embed_fields(autumn.followups[0])["Progression"].split("\n", 1)
    assert title == "Autumn Leaves (Joseph Kosma) · `autumn-leaves`"
    assert chart == "```| Cm7 | F7 | Am7b5 D7b9 | Gm6 |```"  # G minor, its own key, ending on the tonic


def test_a_long_chart_is_cut_inside_its_code_block() -> None:
    field = progression_field("rhythm-changes", "| " + " | ".join(["Ebmaj7 Edim7 Fm7 Bb7"] * 64) + " |")
    assert len(field) <= 1024 and field.endswith("…```") and field.count("```") == 2


async def test_like_option_autocompletes_and_the_caption_names_the_soloist(scene: Any) -> None:
    channel, alice, _ = scene

    parker = await alice.autocomplete(channel, "jazz", "like", "park")
    everyone = await alice.autocomplete(channel, "jazz", "like", "")
    result = await alice.slash(channel, "jazz", bars=QUICK_BARS, like="Parker", seed=3)
    bebop = await alice.slash(channel, "jazz", request=f"{QUICK_BARS} bars bebop")

    assert [(choice["name"], choice["value"]) for choice in parker] == [
        ("Charlie Parker · alto sax", "Charlie Parker")
    ]
    assert 0 < len(everyone) <= 25 and {"bebop", "hard bop", "Chet Baker"} <= {c["value"] for c in everyone}
    assert result.followups[0].embeds[0].description.endswith("\nin the style of Charlie Parker")
    assert bebop.followups[0].embeds[0].description.endswith("\nlike bebop")


async def test_an_unknown_soloist_is_refused_privately_with_the_closest_names(scene: Any) -> None:
    channel, alice, bob = scene

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS, like="Charlie Parkr")

    assert result.ephemeral and not result.followups
    assert "I don't know a soloist or era called 'Charlie Parkr'. Did you mean Charlie Parker" in (
        result.response.content
    )
    assert channel.history(viewer=bob) == []


def _melody_midi(pitches: list[int]) -> bytes:
    """A one-track MIDI file (mido) playing ``pitches`` as quarter notes, under a chordal piano part."""
    midi = mido.MidiFile(ticks_per_beat=480)
    piano = mido.MidiTrack()
    for pitch in (48, 52, 55):
        piano.append(mido.Message("note_on", note=pitch, velocity=70, time=0))
    for index, pitch in enumerate((48, 52, 55)):
        piano.append(mido.Message("note_off", note=pitch, velocity=0, time=1920 if index == 0 else 0))
    lead = mido.MidiTrack()
    for pitch in pitches:
        lead.append(mido.Message("note_on", channel=1, note=pitch, velocity=90, time=0))
        lead.append(mido.Message("note_off", channel=1, note=pitch, velocity=0, time=480))
    midi.tracks.extend([piano, lead])
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _lead_pitches(midi: bytes, count: int) -> list[int]:
    return [n.pitch or 0 for n in read_arrangement(midi).sample.melody[:count]]


async def test_continue_starts_the_clip_with_typed_notes_or_an_attached_midi_melody(scene: Any) -> None:
    channel, alice, _ = scene
    idea = [67, 69, 70, 74, 72]

    typed = await alice.slash(channel, "jazz", bars=QUICK_BARS, seed=5, **{"continue": "G4 A Bb D5 C"})
    attached = await alice.slash(
        channel, "jazz", bars=QUICK_BARS, seed=5, continue_midi=("idea.mid", _melody_midi(idea))
    )

    for result in (typed, attached):
        [clip] = result.followups
        files = {a.filename.rsplit(".", 1)[1]: a for a in clip.attachments}
        heard = _lead_pitches(await files["mid"].read(), len(idea))
        shift = heard[0] - idea[0]
        assert shift % 12 == 0 and heard == [p + shift for p in idea]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"continue": "C D H G"}, "I can't read 'H' in your idea"),
        ({"continue": "C1 D1"}, "'C1' is C1, outside every lead instrument's range"),
        ({"continue": "C:1/4 " * 129}, "more than 128 notes"),
        ({"continue_midi": ("chords.mid", _melody_midi([]))}, "no melody part"),
        ({"continue_midi": ("notes.txt", b"C D E")}, "takes a .mid file"),
        ({"continue": "C D", "continue_midi": ("idea.mid", _melody_midi([60, 62]))}, "not both"),
    ],
)
async def test_a_bad_idea_gets_a_private_error_and_no_clip(
    scene: Any, options: dict[str, Any], expected: str
) -> None:
    channel, alice, bob = scene

    result = await alice.slash(channel, "jazz", bars=QUICK_BARS, **options)

    assert result.ephemeral and expected in result.response.content
    assert not result.followups and channel.history(viewer=bob) == []
