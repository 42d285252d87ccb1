"""The piano roll of a real composed piece: a PNG of the embed size showing lead and comping."""

from __future__ import annotations

import io
import threading
from collections import Counter

import mido
import numpy as np
import pytest
from PIL import Image, ImageColor

from bot.audio.pictures import BACKGROUND, ROLE_STYLE, chord_labels, piano_roll
from model.arrange import ArrangeOptions, arrange
from model.compose import Composer
from model.errors import InputError
from model.midi import piece_to_midi, read_midi
from model.piece import TICKS_PER_BAR, Piece


@pytest.fixture(scope="module")
def piece() -> Piece:
    return Composer.load().compose(bars=8, seed=3)


def _rgb(colour: str) -> tuple[int, int, int]:
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return red, green, blue


def _pixels(png: bytes) -> tuple[Image.Image, Counter[tuple[int, int, int]]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    data = image.tobytes()
    return image, Counter(zip(data[0::3], data[1::3], data[2::3], strict=True))


def test_piano_roll_is_an_embed_sized_png_showing_lead_and_comping(piece: Piece) -> None:
    image, pixels = _pixels(piano_roll(piece_to_midi(piece), piece.chords, piece.bars))
    assert image.size == (1200, 400)
    assert pixels.most_common(1)[0][0] == _rgb(BACKGROUND)
    assert len(pixels) > 20  # notes, grid, text: not a blank canvas
    assert pixels[_rgb(ROLE_STYLE["lead"][1])] > 500
    assert pixels[_rgb(ROLE_STYLE["comping"][1])] > 2000
    assert pixels[_rgb(ROLE_STYLE["bass"][1])] == 0  # the composer's MIDI has no bass track


def _arranged_midi() -> bytes:
    """A small band MIDI with the arrangement's track names, drums included."""
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    for name, channel, pitches in (("Lead", 0, (72, 74)), ("Bass", 2, (36, 38)), ("Drums", 9, (42, 42))):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        for pitch in pitches:
            track.append(mido.Message("note_on", note=pitch, velocity=90, channel=channel, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, channel=channel, time=1920))
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def test_arrangement_tracks_get_their_own_colours_and_drums_are_left_out(piece: Piece) -> None:
    _, pixels = _pixels(piano_roll(_arranged_midi(), piece.chords[:2], bars=2))
    assert pixels[_rgb(ROLE_STYLE["lead"][1])] > 2000
    assert pixels[_rgb(ROLE_STYLE["bass"][1])] > 2000
    assert pixels[_rgb(ROLE_STYLE["comping"][1])] == 0
    assert pixels[_rgb(ROLE_STYLE["other"][1])] == 0  # the drum track is not drawn


def test_chord_names_sit_over_their_bars_after_a_count_in(piece: Piece) -> None:
    midi = arrange(piece, ArrangeOptions(count_in=True, ending=False)).midi
    shifted = [(chord.start / TICKS_PER_BAR + 1, chord.name) for chord in piece.chords]
    assert chord_labels(read_midi(midi), piece.chords) == shifted  # from the MIDI's chord markers
    unshifted = [(chord.start / TICKS_PER_BAR, chord.name) for chord in piece.chords]
    assert chord_labels(read_midi(piece_to_midi(piece)), piece.chords) == unshifted  # no markers there
    image, pixels = _pixels(piano_roll(midi, piece.chords, piece.bars))
    assert image.size == (1200, 400)
    assert min(pixels[_rgb(ROLE_STYLE[role][1])] for role in ("lead", "comping", "bass")) > 500


@pytest.mark.parametrize("data", [b"", b"MThd\x00\x00\x00\x06\x00\x01", b"RIFF1234"])
def test_corrupt_midi_is_an_input_error(piece: Piece, data: bytes) -> None:
    with pytest.raises(InputError):
        piano_roll(data, piece.chords, piece.bars)


def test_impossible_bar_count_is_an_input_error(piece: Piece) -> None:
    with pytest.raises(InputError, match="bars"):
        piano_roll(piece_to_midi(piece), piece.chords, 0)


def test_a_thread_draws_each_picture_as_if_it_were_its_first(piece: Piece) -> None:
    band = arrange(piece, ArrangeOptions(count_in=True)).midi  # lead, comping and bass over 10 bars
    duo = piece_to_midi(piece)  # lead and comping over 8 bars: another legend and background
    first = piano_roll(band, piece.chords, piece.bars)
    other = piano_roll(duo, piece.chords, piece.bars)
    assert piano_roll(band, piece.chords, piece.bars) == first
    on_a_fresh_thread: list[bytes] = []
    thread = threading.Thread(
        target=lambda: on_a_fresh_thread.append(piano_roll(duo, piece.chords, piece.bars))
    )
    thread.start()
    thread.join()
    assert on_a_fresh_thread == [other] and other != first


def _marks(png: bytes, box: tuple[int, int, int, int]) -> int:
    """How many pixels in ``box`` (left, top, right, bottom) are not the background."""
    region = np.asarray(Image.open(io.BytesIO(png)).convert("RGB").crop(box))
    return int((region != _rgb(BACKGROUND)).any(axis=2).sum())


def test_bars_are_numbered_from_the_first_chord_so_a_count_in_bar_has_no_number(piece: Piece) -> None:
    two_bars = Composer.load().compose(bars=2, seed=3)
    png = piano_roll(arrange(two_bars, ArrangeOptions(count_in=True, ending=False)).midi, two_bars.chords, 2)
    # three bars across the 1200 px picture (the plot runs from x=40 to x=1188); numbers sit under it
    assert _marks(png, (60, 380, 400, 400)) == 0  # the count-in bar: no number
    assert _marks(png, (450, 380, 780, 400)) > 0  # bar 1
    assert _marks(png, (830, 380, 1170, 400)) > 0  # bar 2
