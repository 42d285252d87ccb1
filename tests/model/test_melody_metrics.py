"""Per-piece melody figures on hand-made melodies whose answers are known, and the fallback count
on the shipped composer."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from model.compose import Composer
from model.melody_metrics import (
    FALLBACKS_KEY,
    NOTE_DRAWS_KEY,
    fallback_share,
    grooving_similarity,
    held_over_share,
    last_note,
    leap_share,
    line_of,
    median_pitch_spread,
    motif_recurrence,
    onset_vectors,
    phrase_figures,
    phrases,
    windowed_pitch_class_entropy,
)
from model.piece import TICKS_PER_BAR, Chord, Note
from model.theory import parse_chord

Q = TICKS_PER_BAR // 4


def line(pitches: list[int], length: int = Q, start: int = 0) -> list[Note]:
    return [Note(p, start + i * length, length) for i, p in enumerate(pitches)]


def test_the_line_keeps_the_top_note_of_each_onset_and_cuts_overlaps() -> None:
    notes = [Note(60, 0, 2 * Q), Note(64, 0, Q), Note(67, Q, Q)]
    assert line_of(notes) == [Note(64, 0, Q), Note(67, Q, Q)]
    assert line_of([Note(60, 0, 3 * Q), Note(62, Q, Q)]) == [Note(60, 0, Q), Note(62, Q, Q)]


def test_a_motif_stated_twice_recurs_and_overlapping_windows_do_not_count() -> None:
    # 60 62 64 60 | 70 72 74 70: the first and last windows share the intervals (+2 +2 -4)
    assert motif_recurrence(line([60, 62, 64, 60, 70, 72, 74, 70])) == pytest.approx(2 / 5)
    # a scale: every window is (+2 +2 +2) but only windows 0 and 4 share no note
    assert motif_recurrence(line([60, 62, 64, 66, 68, 70, 72, 74])) == pytest.approx(2 / 5)
    assert motif_recurrence(line([60, 62, 64, 66, 68])) == 0.0
    assert motif_recurrence(line([60, 62])) == 0.0


def test_a_varied_restatement_recurs_as_contour_but_not_exactly() -> None:
    # the answer 67 68 70 67 moves +1 +2 -3: other semitones, the same step classes as +2 +2 -4
    melody = line([60, 62, 64, 60, 55, 67, 68, 70, 67])
    assert motif_recurrence(melody) == 0.0
    assert motif_recurrence(melody, contour=True) == pytest.approx(2 / 6)


def test_the_median_pitch_spread_compares_consecutive_eight_bar_windows() -> None:
    low, high = line([60] * 32, start=0), line([67, 67, 68] * 10 + [67, 67], start=8 * TICKS_PER_BAR)
    assert median_pitch_spread(low + high, 16) == 7.0
    assert median_pitch_spread(low, 16) == 0.0  # an empty window is left out
    wander = [Note(60 + 3 * (bar // 8), bar * TICKS_PER_BAR, Q) for bar in range(64)]
    assert median_pitch_spread(wander, 64) == 21.0
    assert median_pitch_spread(line([60, 72]), 4) == 0.0  # shorter than a window: one window, no spread


def test_only_leaps_beyond_an_octave_count() -> None:
    assert leap_share(line([60, 72, 85, 60])) == pytest.approx(2 / 3)
    assert leap_share(line([60])) == 0.0


def test_a_note_held_over_the_bar_line_counts_unless_the_next_onset_cuts_it() -> None:
    held = [*line([60, 62, 64]), Note(65, 3 * Q, 2 * Q), Note(67, 5 * Q, Q)]
    assert held_over_share(held) == pytest.approx(1 / 5)
    cut = [*line([60, 62, 64]), Note(65, 3 * Q, 2 * Q), Note(67, 4 * Q, Q)]
    assert held_over_share(cut) == 0.0
    assert held_over_share(line([60, 62, 64, 65, 67])) == 0.0  # ends exactly on the bar line


def test_phrases_break_at_a_beat_of_silence() -> None:
    chords = [Chord(parse_chord("C7"), 0, 4 * TICKS_PER_BAR, "C7")]
    first = line([60, 62, 64], length=Q // 2)  # ends on beat 2 (1.5 beats long)
    second = line([67, 65], length=Q, start=2 * Q)  # half a beat later: same phrase
    third = line([70, 72, 70, 67], length=Q // 2, start=6 * Q)  # two beats later: a new phrase
    cut = phrases([*first, *second, *third])
    assert [len(p) for p in cut] == [5, 4]
    figures = phrase_figures([*first, *second, *third], chords)
    assert figures.notes == 4.5
    assert figures.beats == pytest.approx((4 + 2) / 2)
    assert figures.ending_on_chord_tone == 0.5  # the first ends on F (no), the second on G (yes)


def test_the_last_note_is_measured_against_the_closing_chord() -> None:
    chords = [
        Chord(parse_chord("G7"), 0, TICKS_PER_BAR, "G7"),
        Chord(parse_chord("C6"), TICKS_PER_BAR, 1920, "C6"),
    ]
    ending = last_note([*line([62, 65]), Note(72, TICKS_PER_BAR, 3 * Q)], chords)
    assert ending is not None and (ending.beats, ending.chord_tone, ending.root) == (3.0, True, True)
    ending = last_note([Note(64, TICKS_PER_BAR, Q // 2)], chords)
    assert ending is not None and (ending.beats, ending.chord_tone, ending.root) == (0.5, True, False)
    assert last_note([], chords) is None


def test_pitch_class_entropy_over_bar_windows() -> None:
    one_class = [Note(60 + 12 * (i % 2), i * Q, Q) for i in range(8)]  # C in two octaves, two bars
    assert windowed_pitch_class_entropy(one_class, 2, 1) == 0.0
    # bar 1: C D E F (2 bits); bar 2: C C C C (0 bits) -> H1 = 1 bit; together 5 classes of 8 notes
    two_bars = [*line([60, 62, 64, 65]), *line([60] * 4, start=TICKS_PER_BAR)]
    assert windowed_pitch_class_entropy(two_bars, 2, 1) == pytest.approx(1.0)
    expected = -(5 / 8 * math.log2(5 / 8) + 3 * (1 / 8) * math.log2(1 / 8))
    assert windowed_pitch_class_entropy(two_bars, 2, 4) == pytest.approx(expected)
    # an empty bar is skipped, not counted as zero
    assert windowed_pitch_class_entropy(line([60, 62, 64, 65]), 2, 1) == pytest.approx(2.0)


def test_grooving_similarity_of_identical_and_of_shifted_bars() -> None:
    quarters = [Note(60, bar * TICKS_PER_BAR + i * Q, Q) for bar in range(4) for i in range(4)]
    assert grooving_similarity(quarters, 4) == 1.0
    offbeats = [Note(60, TICKS_PER_BAR + Q // 2 + i * Q, Q // 2) for i in range(4)]
    # bar 0: onsets on the 4 beats, bar 1: on the 4 "ands": 8 of 48 positions differ
    assert grooving_similarity([*quarters[:4], *offbeats], 2) == pytest.approx(1 - 8 / 48)
    # an onset a few ticks early rounds onto the bar line of the next bar
    assert onset_vectors([Note(60, TICKS_PER_BAR - 5, 5)], 2) == [frozenset(), frozenset({0})]


def test_fallback_share_comes_from_the_composers_own_count() -> None:
    piece = Composer.load().compose(16, 120, "C", "blues", 1.0, seed=3)
    assert fallback_share(piece) == 0.0  # playable by construction
    assert fallback_share(replace(piece, extra={})) is None
    # the composer's own count wins over recounting
    assert fallback_share(replace(piece, extra={FALLBACKS_KEY: "3", NOTE_DRAWS_KEY: "12"})) == 0.25
