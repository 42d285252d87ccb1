"""An arrangement's MIDI read back gives the composed piece's melody and chords (model.clip_reading)."""

from __future__ import annotations

import pytest

from model.arrange import ArrangeOptions, arrange
from model.arrange.feel import MAX_OFFSET_MS
from model.clip_reading import read_arrangement
from model.compose import Composer
from model.errors import InputError
from model.midi import piece_to_midi
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER


@pytest.mark.parametrize("count_in", [False, True])
def test_the_lead_and_the_chords_come_back_from_the_midi(composer: Composer, count_in: bool) -> None:
    piece = composer.compose(8, 140, "F", "blues", 1.0, seed=4)
    arranged = arrange(piece, ArrangeOptions(style="bossa", swing=0.5, count_in=count_in))

    clip = read_arrangement(arranged.midi)

    assert (clip.tempo, clip.key, clip.style) == (140, "F", "bossa")
    *played, ending = clip.sample.melody
    assert len(played) == len(piece.melody)  # the lead moves by whole octaves (per phrase if it must)
    assert all(((n.pitch or 0) - (m.pitch or 0)) % 12 == 0 for n, m in zip(played, piece.melody, strict=True))
    # the lead's micro-timing, in whole ticks (the arranger rounds 44.8 ticks at 140 bpm to 45)
    late = round(MAX_OFFSET_MS * piece.tempo * TICKS_PER_QUARTER / 60_000)
    assert all(
        abs(n.start - m.start) <= late and abs(n.end - m.end) <= late
        for n, m in zip(played, piece.melody, strict=True)
    )
    assert abs(ending.start - piece.length_ticks) <= late  # the held tonic note, in the bar after the piece
    *chords, final = clip.sample.chords
    assert [(c.symbol, c.name, c.start, c.duration) for c in chords] == [
        (c.symbol, c.name, c.start, c.duration) for c in piece.chords
    ]
    assert final.start == piece.length_ticks and final.symbol.root == piece.key.tonic
    assert clip.sample.bars == piece.bars + 1


def test_swing_moves_onsets_within_their_beat(composer: Composer) -> None:
    piece = composer.compose(4, 160, "Bb", "ii-v-i", 1.0, seed=2)
    swung = read_arrangement(arrange(piece, ArrangeOptions(swing=0.66, ending=False)).midi).sample
    assert len(swung.melody) == len(piece.melody)
    beat = TICKS_PER_BAR // 4
    # swing delays off-beat notes inside their beat; the lead's micro-timing (docs/MODEL.md, Feel) also
    # moves every onset by a few ms, so a note may land up to an eighth of a beat outside its beat
    slack = beat // 8
    for played, written in zip(swung.melody, piece.melody, strict=True):
        first = written.start // beat * beat
        assert first - slack <= played.start < first + beat + slack
    assert swung.bars == piece.bars and len(swung.chords) == len(piece.chords)


def test_midi_that_is_not_an_arrangement_is_refused(composer: Composer) -> None:
    piece = composer.compose(2, 120, "C", "blues", 1.0, seed=1)
    with pytest.raises(InputError, match="not a jazzbot arrangement"):
        read_arrangement(piece_to_midi(piece))  # a lead sheet: no Lead track, no chord markers
    with pytest.raises(InputError, match="not a MIDI file"):
        read_arrangement(b"RIFF....WAVEfmt ")
