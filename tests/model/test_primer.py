"""Continue my idea: the note text and MIDI primers, and pieces that start with them."""

from __future__ import annotations

import io
import math
import random
from fractions import Fraction
from pathlib import Path

import mido
import pytest

from model.compose import Composer, ComposeRequest
from model.endings import ENDING_BARS
from model.errors import InputError
from model.midi import piece_to_midi
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Note, Piece
from model.primer import (
    MAX_BARS,
    MAX_NOTES,
    PrimerError,
    parse_primer,
    primer_bars,
    primer_from_midi,
    primer_text,
    quantise,
)
from model.tokens import GRID, bar_lengths

EIGHTH = TICKS_PER_QUARTER // 2
Melody = list[tuple[int | None, int, int]]


def _melody(notes: tuple[Note, ...] | list[Note]) -> Melody:
    return [(n.pitch, n.start, n.duration) for n in notes]


def test_note_text_reads_pitches_octaves_lengths_rests_and_bar_lines() -> None:
    notes = parse_primer("C D Eb G | Bb A G")
    assert _melody(notes) == [
        (60, 0, EIGHTH),
        (62, EIGHTH, EIGHTH),
        (63, 2 * EIGHTH, EIGHTH),
        (67, 3 * EIGHTH, EIGHTH),
        (70, TICKS_PER_BAR, EIGHTH),
        (69, TICKS_PER_BAR + EIGHTH, EIGHTH),
        (67, TICKS_PER_BAR + 2 * EIGHTH, EIGHTH),
    ]
    # explicit octaves, lengths in beats (whole, decimal, fraction), rests, nearest-octave names
    notes = parse_primer("Eb5:2 r:1 c:1.5 B G#3:1/3 a")
    assert _melody(notes) == [
        (75, 0, 2 * TICKS_PER_QUARTER),
        (72, 3 * TICKS_PER_QUARTER, 3 * EIGHTH),
        (71, 3 * TICKS_PER_QUARTER + 3 * EIGHTH, EIGHTH),
        (56, 5 * TICKS_PER_QUARTER, TICKS_PER_QUARTER // 3),
        (57, 5 * TICKS_PER_QUARTER + TICKS_PER_QUARTER // 3, EIGHTH),
    ]
    # a note held over the bar line stays one note
    assert _melody(parse_primer("r:3 F4:2")) == [(65, 3 * TICKS_PER_QUARTER, 2 * TICKS_PER_QUARTER)]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("C D H G", "'H'"),
        ("C Eb4:x", "'Eb4:x'"),
        ("C:1/5", "'C:1/5'"),
        ("C:0", "'C:0'"),
        ("C D Eb## G", "'Eb##'"),
        ("C1 D", "'C1' is C1"),
        ("C8", "'C8' is C8"),
        ("", "empty"),
        ("   ", "empty"),
        ("r r:2 |", "no notes"),
        ("C " * 5000, "10,000 characters"),
        ("C:1 " * (MAX_NOTES + 1), f"more than {MAX_NOTES} notes"),
        ("C:4 " * (MAX_BARS + 1), f"{MAX_BARS + 1} bars"),
    ],
)
def test_bad_note_text_is_refused_naming_the_token_with_an_example(text: str, named: str) -> None:
    with pytest.raises(PrimerError) as caught:
        parse_primer(text)
    assert named in str(caught.value)
    assert isinstance(caught.value, InputError)


def test_the_limits_themselves_are_accepted() -> None:
    assert len(parse_primer("C:1/4 " * MAX_NOTES)) == MAX_NOTES
    assert primer_bars(parse_primer("C2:4 " * (MAX_BARS - 1) + "C7:4")) == MAX_BARS


@pytest.mark.parametrize("beats", [4, 3])
def test_primer_text_reads_back_to_the_same_notes(beats: int) -> None:
    rng = random.Random(5)
    lengths = {"": Fraction(1, 2), ":1": Fraction(1), ":1/3": Fraction(1, 3), ":1/4": Fraction(1, 4)}
    lengths |= {":3/2": Fraction(3, 2), ":2": Fraction(2)}
    for _ in range(60):
        words = []
        opened, in_bar = 0, Fraction(0)  # bars before the last bar line; beats since it
        for _ in range(rng.randint(1, 30)):
            name = rng.choice("CDEFGAB") + rng.choice(["", "#", "b"]) + rng.choice(["", "4", "5"])
            length = rng.choice(list(lengths))
            if opened * beats + in_bar + lengths[length] > MAX_BARS * beats:
                break
            words.append(rng.choice([name, name, "r"]) + length)
            in_bar += lengths[length]
            if rng.random() < 0.15 and (in_bar <= beats or in_bar % beats == 0):
                words.append("|")
                opened, in_bar = opened + math.ceil(in_bar / beats), Fraction(0)
        if all(w.startswith(("r", "|")) for w in words):
            words.append("G")
        notes = parse_primer(" ".join(words), beats)
        written = primer_text(notes, beats)
        assert parse_primer(written, beats) == notes, written
        assert quantise(notes, beats) == notes


def test_bar_lines_follow_the_meter() -> None:
    text = "C:1 D:1 E:1 | F G A"
    assert _melody(parse_primer(text, 3))[3] == (65, 3 * TICKS_PER_QUARTER, EIGHTH)
    assert _melody(parse_primer(text, 4))[3] == (65, TICKS_PER_BAR, EIGHTH)  # a silent beat in 4/4
    waltz = parse_primer(text, 3)
    assert primer_bars(waltz, 3) == 2 and primer_bars(waltz) == 2
    assert primer_text(waltz, 3) == "C4:1 D4:1 E4:1 | F4:1/2 G4:1/2 A4:1/2"
    assert primer_text(waltz) == "C4:1 D4:1 E4:1 F4:1/2 G4:1/2 | A4:1/2"  # the same notes in 4/4 bars
    # a note held over a bar line, then a bar line: a rest fills the bar so that the text reads back
    held = parse_primer("C:2 D:2 r:2 | E", 3)
    assert primer_text(held, 3) == "C4:2 D4:2 r:2 | E4:1/2"
    assert _melody(parse_primer("C:2 D:2 | E", 4))[2] == (64, TICKS_PER_BAR, EIGHTH)
    # eight bars are 24 beats in 3/4
    assert primer_bars(parse_primer("C:3 " * MAX_BARS, 3), 3) == MAX_BARS
    with pytest.raises(PrimerError, match=f"{MAX_BARS + 1} bars"):
        parse_primer("C:3 " * (MAX_BARS + 1), 3)
    assert primer_bars(parse_primer("C:3 " * (MAX_BARS + 1))) == 7  # the same notes in 4/4


@pytest.mark.parametrize(
    ("text", "beats", "named"),
    [
        ("C:1 D:1 E:1 F:1 | G", 3, "Bar 1 of your idea holds 4 beats, but a bar of 3/4 holds 3"),
        ("C D E F G A B C | D", 3, "Bar 1 of your idea holds 4 beats, but a bar of 3/4 holds 3"),
        ("C:1 D:1 E:1 | F:2 G:1 A:1/2 | B", 3, "Bar 2 of your idea holds 3.5 beats, but a bar of 3/4"),
        ("C:1 D:1 E:1 | F:1 G:1 A:1 B:1/3 | C", 3, "Bar 2 of your idea holds 10/3 beats"),
        ("C:2 D:3 | E", 4, "Bar 1 of your idea holds 5 beats, but a bar of 4/4 holds 4"),
        ("C:4 | D:4 | E:4 F | G", 4, "Bar 3 of your idea holds 4.5 beats"),
    ],
)
def test_a_bar_that_does_not_fit_the_meter_is_refused_naming_the_bar(
    text: str, beats: int, named: str
) -> None:
    with pytest.raises(PrimerError) as caught:
        parse_primer(text, beats)
    assert named in str(caught.value) and "leave that bar line out" in str(caught.value)


def test_a_midi_primer_starts_at_its_first_bar_in_the_meter() -> None:
    # ticks_per_beat 96: the melody's first note is on beat 4 (the "and" of 3 in 4/4, bar 2 in 3/4)
    melody = (0, [(67 + i % 5, 3 * 96 + 48 + i * 96, 96) for i in range(40)])
    four, three = primer_from_midi(_midi([melody])), primer_from_midi(_midi([melody]), 3)
    assert four[0].start == 3 * TICKS_PER_QUARTER + EIGHTH and three[0].start == EIGHTH
    assert primer_bars(three, 3) == MAX_BARS and primer_bars(four) == MAX_BARS
    assert three[-1].end <= MAX_BARS * 3 * TICKS_PER_QUARTER  # eight bars of 3/4
    assert parse_primer(primer_text(three, 3), 3) == three


def test_a_midi_primer_is_the_first_melody_part_up_to_eight_bars(shared_data: Path) -> None:
    data = (shared_data / "deepjazz" / "original_metheny.mid").read_bytes()
    notes = primer_from_midi(data)
    midi = mido.MidiFile(file=io.BytesIO(data))
    # the melody is the electric piano's line: the first part that plays single notes in a melody's
    # register (the piano before it plays chords, the bass is low); its first note is E4
    line = next(t for t in midi.tracks if t.name == "Piano Elec.")
    first = next(m.note for m in line if m.type == "note_on" and m.velocity > 0)
    assert notes[0].pitch == first == 64
    assert 0 < len(notes) <= MAX_NOTES and primer_bars(notes) <= MAX_BARS
    assert all(n.start % GRID == 0 and n.duration % GRID == 0 for n in notes)
    assert parse_primer(primer_text(notes)) == notes


def _midi(parts: list[tuple[int, list[tuple[int, int, int]]]], ticks_per_beat: int = 96) -> bytes:
    """A type-1 file, one track per (channel, [(pitch, start, length)]) part, times in its own ticks."""
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    for channel, notes in parts:
        events = sorted(
            [(start, 1, pitch) for pitch, start, _ in notes]
            + [(start + length, 0, pitch) for pitch, start, length in notes]
        )
        track = mido.MidiTrack()
        now = 0
        for time, on, pitch in events:
            kind = "note_on" if on else "note_off"
            track.append(mido.Message(kind, channel=channel, note=pitch, velocity=90, time=time - now))
            now = time
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def test_a_midi_primer_skips_drums_and_chords_and_starts_at_its_first_bar() -> None:
    drums = (9, [(36, i * 48, 24) for i in range(16)])
    chords = (0, [(p, 0, 384) for p in (60, 64, 67)] + [(p, 384, 384) for p in (62, 65, 69)])
    # the melody starts in bar 3 (ticks_per_beat 96: a bar is 384), on beat 2, and lasts 12 bars
    melody = (3, [(67 + i % 5, 2 * 384 + 96 + i * 96, 96) for i in range(44)])
    notes = primer_from_midi(_midi([drums, chords, melody]))
    assert notes[0] == Note(67, TICKS_PER_QUARTER, TICKS_PER_QUARTER)
    assert primer_bars(notes) == MAX_BARS
    assert [n.pitch for n in notes] == [67 + i % 5 for i in range(len(notes))]


def test_a_midi_without_a_melody_part_is_refused() -> None:
    drums = (9, [(36, i * 48, 24) for i in range(16)])
    chords = (0, [(p, i * 384, 384) for i in range(4) for p in (60, 64, 67)])
    with pytest.raises(PrimerError, match="no melody part"):
        primer_from_midi(_midi([drums, chords]))
    with pytest.raises(InputError, match="not a MIDI file"):
        primer_from_midi(b"hello")


IDEAS = (
    "C D Eb G | Bb A G",
    "G:1 A:1/2 B:1/2 D5:2",
    "r:1/2 F:1/3 G:1/3 Ab:1/3 C5:1 | Bb:3/2 G:1/2 r:1 Eb:1",
    "E4:4 | F#4:4 | G4:2 r:2",
    "Bb3 C4 D4 F4 A4 | C5:2 r:1/2 Bb4:1/4 A4:1/4 G4:1/2 F4:1/2",
    "A5:1/4 G5:1/4 E5:1/4 D5:1/4 C5 A4 G4:1",
)


def _starts_with(piece: Piece, idea: tuple[Note, ...], shift: int = 0) -> bool:
    expected = [(n.pitch + shift if n.pitch is not None else None, n.start, n.duration) for n in idea]
    return _melody(list(piece.melody[: len(idea)])) == expected


def test_pieces_start_with_the_idea_over_many_ideas_seeds_and_tunes(composer: Composer) -> None:
    """The goal: the first bars of the clip's MIDI are the member's notes, for every idea and seed;
    the soloist then goes on in whole, playable bars."""
    rng = random.Random(11)
    ideas = [parse_primer(text) for text in IDEAS]
    for _ in range(14):  # random ideas too: any notes the text can write
        words = [rng.choice("CDEFGAB") + rng.choice(["", "b"]) + rng.choice(["", ":1", ":1/3", ":3/2"])]
        words += [
            rng.choice(["C4", "Eb5", "G4", "Bb3", "r", "F#4:1/4", "A5:1", "D4:1/3", "E5:2"])
            for _ in range(rng.randint(0, 20))
        ]
        ideas.append(parse_primer(" ".join(words)))
    tunes = ("blues", "autumn-leaves", "| Dm7 G7 | Cmaj7 |", None)
    requests = [
        ComposeRequest(
            bars=primer_bars(idea) + 4 + seed % 9,
            seed=seed,
            progression=tunes[seed % len(tunes)],
            key=("C", "Bb", "F#", None)[seed % 4],
            like=(None, "bebop", "Parker")[seed % 3],
            primer=idea,
        )
        for seed, idea in enumerate(ideas)
    ]
    for request, piece in zip(requests, composer.compose_many(requests), strict=True):
        assert request.primer is not None
        assert _starts_with(piece, request.primer), (request, piece.extra["tokens"])
        assert bar_lengths(piece.extra["tokens"]) == [TICKS_PER_BAR // GRID] * piece.bars
        assert piece.extra["fallbacks"] == "0"
        assert len(piece.melody) > len(request.primer), "the soloist went on"
        assert piece.melody[-1].end == piece.bars * TICKS_PER_BAR
        written = mido.MidiFile(file=io.BytesIO(piece_to_midi(piece)))
        assert written.tracks  # the clip's MIDI is written from this melody


def test_an_idea_outside_the_lead_range_moves_by_octaves_only_when_needed(composer: Composer) -> None:
    low_idea = parse_primer("C2 D2 Eb2 G2")  # MIDI 36..43: below the lead's 55..84
    piece = composer.compose(bars=4, seed=1, progression="blues", key="C", primer=low_idea)
    assert _starts_with(piece, low_idea, shift=24)
    fitting = parse_primer("G3 C6")  # 55 and 84: both edges, no move
    assert _starts_with(composer.compose(bars=4, seed=1, primer=fitting), fitting)
    with pytest.raises(InputError, match="wider than the lead's range"):
        composer.compose(bars=4, seed=1, primer=parse_primer("C2 C7"))
    with pytest.raises(InputError, match="at least 3 bars"):
        composer.compose(bars=2, seed=1, primer=parse_primer("C:4 D:4 E"))


def test_a_primed_piece_is_byte_identical_per_seed_and_extends(composer: Composer) -> None:
    idea = parse_primer(IDEAS[2])
    for seed in (0, 7, 123456789):
        first = composer.compose(
            bars=8, seed=seed, progression="rhythm-changes", primer=idea, like="Coltrane"
        )
        again = composer.compose(
            bars=8, seed=seed, progression="rhythm-changes", primer=idea, like="Coltrane"
        )
        assert piece_to_midi(first) == piece_to_midi(again)
        assert first.extra["tokens"] == again.extra["tokens"]
        longer = composer.compose(
            bars=16, seed=seed, progression="rhythm-changes", primer=idea, like="Coltrane"
        )
        # as without an idea, everything before the shorter piece's ending cadence is kept, up to the
        # last chord before it (the network hears which chord comes next: the ending's, in the short one)
        ending = (8 - ENDING_BARS) * TICKS_PER_BAR
        end = max(c.start for c in first.chords if c.start < ending)
        kept = [n for n in _melody(list(first.melody)) if n[1] + n[2] <= end]
        assert kept == [n for n in _melody(list(longer.melody)) if n[1] + n[2] <= end]
        assert len(kept) > len(idea)
        # the idea really changes what follows it
        plain = composer.compose(bars=8, seed=seed, progression="rhythm-changes", like="Coltrane")
        assert _melody(list(plain.melody)) != _melody(list(first.melody))
