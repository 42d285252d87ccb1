"""Per-piece melody figures for the soloist's evaluation: motifs, register, leaps, phrasing, endings,
pitch-class entropy and grooving similarity.

Every function takes one monophonic line as :class:`Note` tuples in ticks (rests are gaps; a chord's
lower notes are ignored, see :func:`line_of`) and, where it needs them, the piece's length in bars and
the :class:`Chord` list. Bar 0 starts at tick 0 and bars are 4/4 (:data:`TICKS_PER_BAR`). Definitions,
and why these thresholds, are in docs/MODEL.md ("Evaluation").
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

from model.grammar import GRID, chord_at, classify, step_bucket
from model.metrics import sounding
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Note, Piece

MOTIF_NOTES = 4
"""A motif is this many consecutive notes (so MOTIF_NOTES - 1 intervals)."""
SPREAD_WINDOW_BARS = 8
LEAP_LIMIT = 12
"""An "octave-plus" leap is an interval of more than this many semitones (an exact octave is not)."""
PHRASE_GAP = TICKS_PER_QUARTER
"""A silence of at least one beat between one note's end and the next onset separates phrases."""
HELD_OVER_MIN = GRID
"""A note is held over a bar line when it still sounds at least one grid unit (1/12 beat) past it."""
GROOVE_POSITIONS = 48
"""Onset positions per bar for grooving similarity: the grammar's grid (sixteenths and triplets)."""


def line_of(notes: Sequence[Note]) -> list[Note]:
    """The melody as one line: sounding notes by onset, one per onset (the highest), each cut at the
    next onset so that nothing overlaps."""
    by_onset: dict[int, Note] = {}
    for note in sounding(notes):
        by_onset.setdefault(note.start, note)  # sounding() puts the highest first at each onset
    ordered = [by_onset[start] for start in sorted(by_onset)]
    return [
        Note(a.pitch, a.start, min(a.duration, b.start - a.start), a.velocity) for a, b in pairwise(ordered)
    ] + ordered[-1:]


def _pitches(line: Sequence[Note]) -> list[int]:
    return [n.pitch or 0 for n in line]


def motif_recurrence(notes: Sequence[Note], contour: bool = False) -> float:
    """Share of the :data:`MOTIF_NOTES`-note windows whose interval sequence occurs again at a
    window sharing no note with it.

    Window ``i`` covers notes i..i+3; it recurs when some window ``j`` with ``|i - j| >= 4`` has the
    same 3 intervals in semitones (transposed repeats count, rhythm is ignored). With ``contour``
    the intervals are compared as the grammar's step classes (:func:`model.grammar.step_bucket`:
    same, 1-2, 3-4, 5-7, 8+ semitones, up or down), so a sequence and its diatonic variants match.
    0.0 when there is no window.
    """
    pitches = _pitches(line_of(notes))
    steps: list[int | str] = [b - a for a, b in pairwise(pitches)]
    if contour:
        steps = [step_bucket(int(s)) for s in steps]
    size = MOTIF_NOTES - 1
    keys = [tuple(steps[i : i + size]) for i in range(len(steps) - size + 1)]
    if not keys:
        return 0.0
    where: dict[tuple[int | str, ...], list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        where[key].append(i)
    recurring = sum(1 for i, key in enumerate(keys) if any(abs(i - j) >= MOTIF_NOTES for j in where[key]))
    return recurring / len(keys)


def window_medians(notes: Sequence[Note], bars: int, window: int = SPREAD_WINDOW_BARS) -> list[float]:
    """Median pitch of the notes starting in each consecutive ``window``-bar window (bars 0-7, 8-15,
    ...; a shorter remainder is left out unless it is the whole piece); windows without notes are
    left out."""
    line = line_of(notes)
    medians = []
    for first in range(0, max(1, bars - window + 1), window):
        low, high = first * TICKS_PER_BAR, (first + window) * TICKS_PER_BAR
        inside = [n.pitch or 0 for n in line if low <= n.start < high]
        if inside:
            medians.append(float(statistics.median(inside)))
    return medians


def median_pitch_spread(notes: Sequence[Note], bars: int, window: int = SPREAD_WINDOW_BARS) -> float:
    """How far the register wanders: max - min of :func:`window_medians` (semitones)."""
    medians = window_medians(notes, bars, window)
    return max(medians) - min(medians) if medians else 0.0


def leap_share(notes: Sequence[Note], limit: int = LEAP_LIMIT) -> float:
    """Share of consecutive note pairs more than ``limit`` semitones apart."""
    pitches = _pitches(line_of(notes))
    steps = [abs(b - a) for a, b in pairwise(pitches)]
    return sum(1 for s in steps if s > limit) / len(steps) if steps else 0.0


def held_over_share(notes: Sequence[Note], bar: int = TICKS_PER_BAR) -> float:
    """Share of notes still sounding :data:`HELD_OVER_MIN` ticks or more past the first bar line after
    their onset (each note cut at the next onset first); bars are ``bar`` ticks long (4/4 by default)."""
    line = line_of(notes)
    if not line:
        return 0.0
    held = sum(1 for n in line if n.end - (n.start // bar + 1) * bar >= HELD_OVER_MIN)
    return held / len(line)


def phrases(notes: Sequence[Note], gap: int = PHRASE_GAP) -> list[list[Note]]:
    """The line cut wherever ``gap`` ticks or more pass between a note's end and the next onset."""
    result: list[list[Note]] = []
    for note in line_of(notes):
        if not result or note.start - result[-1][-1].end >= gap:
            result.append([])
        result[-1].append(note)
    return result


@dataclass(frozen=True, slots=True)
class PhraseFigures:
    """Mean phrase length in notes and in beats (first onset to last note's end), and the share of
    phrases whose last note is a chord tone of the chord sounding at its onset."""

    notes: float
    beats: float
    ending_on_chord_tone: float


def phrase_figures(notes: Sequence[Note], chords: Sequence[Chord]) -> PhraseFigures:
    cut = phrases(notes)
    if not cut:
        return PhraseFigures(0.0, 0.0, 0.0)
    lengths = [len(p) for p in cut]
    beats = [(p[-1].end - p[0].start) / TICKS_PER_QUARTER for p in cut]
    chord_tone = (
        [classify(p[-1].pitch or 0, chord_at(chords, p[-1].start)) == "C" for p in cut] if chords else []
    )
    return PhraseFigures(
        statistics.fmean(lengths),
        statistics.fmean(beats),
        sum(chord_tone) / len(cut),
    )


@dataclass(frozen=True, slots=True)
class LastNote:
    """The final note: its length in beats, whether it is a chord tone / the root of the chord
    sounding at its onset."""

    beats: float
    chord_tone: bool
    root: bool


def last_note(notes: Sequence[Note], chords: Sequence[Chord]) -> LastNote | None:
    line = line_of(notes)
    if not line or not chords:
        return None
    final = line[-1]
    chord = chord_at(chords, final.start)
    pitch = final.pitch or 0
    return LastNote(
        final.duration / TICKS_PER_QUARTER, classify(pitch, chord) == "C", pitch % 12 == chord.root % 12
    )


def _entropy_bits(counts: Counter[int]) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def windowed_pitch_class_entropy(notes: Sequence[Note], bars: int, window: int) -> float:
    """Jazz Transformer's H (Wu & Yang 2020): the entropy in bits of the pitch-class histogram
    (note counts) of every ``window``-bar segment (stepping one bar; segments without notes are
    skipped), averaged. ``window`` is 1 for H1, 4 for H4; a piece shorter than ``window`` is one
    segment."""
    line = line_of(notes)
    window = min(window, max(bars, 1))
    values = []
    for first in range(max(1, bars - window + 1)):
        low, high = first * TICKS_PER_BAR, (first + window) * TICKS_PER_BAR
        counts = Counter((n.pitch or 0) % 12 for n in line if low <= n.start < high)
        if counts:
            values.append(_entropy_bits(counts))
    return statistics.fmean(values) if values else 0.0


def onset_vectors(notes: Sequence[Note], bars: int) -> list[frozenset[int]]:
    """Per bar, the set of :data:`GROOVE_POSITIONS` grid positions where a note starts (onsets
    rounded to the nearest position; one rounding onto the next bar line counts there)."""
    step = TICKS_PER_BAR / GROOVE_POSITIONS
    positions: list[set[int]] = [set() for _ in range(bars)]
    for note in sounding(notes):
        slot = round(note.start / step)
        bar, position = divmod(slot, GROOVE_POSITIONS)
        if 0 <= bar < bars:
            positions[bar].add(position)
    return [frozenset(p) for p in positions]


def grooving_similarity(notes: Sequence[Note], bars: int) -> float:
    """Jazz Transformer's GS: mean over all pairs of bars of 1 - |XOR of their onset vectors| / Q,
    Q = :data:`GROOVE_POSITIONS` (empty bars included, as in the paper). 1.0 for a one-bar piece."""
    vectors = onset_vectors(notes, bars)
    pairs = list(combinations(vectors, 2))
    if not pairs:
        return 1.0
    return statistics.fmean(1 - len(a ^ b) / GROOVE_POSITIONS for a, b in pairs)


FALLBACKS_KEY = "fallbacks"
"""``Piece.extra`` key: how many note draws the realiser could not honour (the composer's own count)."""
NOTE_DRAWS_KEY = "note_draws"
"""``Piece.extra`` key: how many note tokens the composer drew (default: the melody's note count)."""


def fallback_share(piece: Piece) -> float | None:
    """Share of drawn note tokens that the realiser could not honour, from the composer's own count in
    ``piece.extra`` (the soloist is playable by construction, so it is 0); None when it gives none."""
    if FALLBACKS_KEY not in piece.extra:
        return None
    draws = int(piece.extra.get(NOTE_DRAWS_KEY, len(piece.melody)))
    return int(piece.extra[FALLBACKS_KEY]) / draws if draws else 0.0
