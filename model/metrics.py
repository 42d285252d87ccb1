"""Melody quality metrics: pure functions over notes and chords, shared by evaluation and tests.

Every metric takes a melody as :class:`Note` tuples in ticks (rests are gaps) and, where harmony
matters, the :class:`Chord` list it was played over. None of them knows where the melody came from,
so generated pieces, the training corpus and deepjazz's outputs are measured the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from model.chord_recognition import recognise
from model.grammar import GRID, chord_at, classify
from model.piece import TICKS_PER_BAR, Chord, Note

COPY_RUN_LIMIT = 12  # issue 10: a piece copies fewer than 12 consecutive notes from any training melody


def sounding(notes: Sequence[Note]) -> list[Note]:
    return sorted((n for n in notes if n.pitch is not None), key=lambda n: (n.start, -(n.pitch or 0)))


def filled_bar_share(notes: Sequence[Note], bars: int) -> float:
    """Share of bars whose melody is well formed: every onset on the grid and no note still sounding
    when the next one starts (deepjazz's notes spill past beat 4 into the next notes).

    A note held over a bar line is fine as long as nothing starts under it.
    """
    if bars <= 0:
        return 0.0
    line = sounding(notes)
    broken: set[int] = set()
    for note in line:
        if note.start % GRID:
            broken.add(note.start // TICKS_PER_BAR)
    for earlier, later in pairwise(line):
        if later.start < earlier.end:
            broken.add(later.start // TICKS_PER_BAR)
    return sum(1 for bar in range(bars) if bar not in broken) / bars


def class_shares(notes: Sequence[Note], chords: Sequence[Chord]) -> dict[str, float]:
    """Share of notes that are chord tones (``C``) and chord-or-scale tones (``CS``) of the chord
    sounding at their onset."""
    line = sounding(notes)
    if not line or not chords:
        return {"C": 0.0, "CS": 0.0}
    classes = Counter(classify(n.pitch or 0, chord_at(chords, n.start)) for n in line)
    return {"C": classes["C"] / len(line), "CS": (classes["C"] + classes["S"]) / len(line)}


def pitch_class_entropy(notes: Sequence[Note]) -> float:
    """Shannon entropy in bits of the pitch-class histogram (0 = one pitch class, 3.58 = all equal)."""
    counts = Counter((n.pitch or 0) % 12 for n in sounding(notes))
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0


def intervals(notes: Sequence[Note]) -> list[int]:
    line = sounding(notes)
    return [(b.pitch or 0) - (a.pitch or 0) for a, b in pairwise(line)]


def pitch_range(notes: Sequence[Note]) -> int:
    pitches = [n.pitch or 0 for n in sounding(notes)]
    return max(pitches) - min(pitches) if pitches else 0


def mean_abs_interval(notes: Sequence[Note]) -> float:
    steps = intervals(notes)
    return sum(abs(s) for s in steps) / len(steps) if steps else 0.0


def repeated_share(notes: Sequence[Note]) -> float:
    """Share of consecutive note pairs on the same pitch."""
    steps = intervals(notes)
    return sum(1 for s in steps if s == 0) / len(steps) if steps else 0.0


def shape(notes: Sequence[Note]) -> list[tuple[int, int]]:
    """(interval from the previous note, duration) for every note after the first: what "copying
    a phrase" means independent of key."""
    line = sounding(notes)
    return [((b.pitch or 0) - (a.pitch or 0), b.duration) for a, b in pairwise(line)]


@dataclass
class CopyIndex:
    """The training melodies' shapes, for the longest run a melody copies from any of them.

    Each probed run length keeps the hashes of the training runs of that length, not the runs
    themselves: the same answer (a false match needs a 64-bit hash collision) in a fraction of the
    memory when the training set is 400 solos. Steps are hashed as non-negative codes because
    Python hashes -1 and -2 alike.
    """

    shapes: list[list[tuple[int, int]]]
    _grams: dict[int, set[int]] = field(default_factory=dict)
    _codes: list[list[int]] = field(default_factory=list)

    def _ngrams(self, n: int) -> set[int]:
        if not self._codes:
            self._codes = [_step_codes(s) for s in self.shapes]
        if n not in self._grams:
            self._grams[n] = {hash(tuple(c[i : i + n])) for c in self._codes for i in range(len(c) - n + 1)}
        return self._grams[n]

    def longest_copied_run(self, notes: Sequence[Note]) -> int:
        """Most consecutive notes of ``notes`` whose intervals and durations all occur, in order,
        in one training melody (a run of k shape steps is k + 1 notes; 1 when nothing matches)."""
        target = _step_codes(shape(notes))
        low, high = 0, len(target)
        while low < high:  # having a copied run of n steps implies one of every shorter length
            middle = (low + high + 1) // 2
            grams = self._ngrams(middle)
            if any(hash(tuple(target[i : i + middle])) in grams for i in range(len(target) - middle + 1)):
                low = middle
            else:
                high = middle - 1
        return low + 1 if target else len(sounding(notes))


def _step_codes(steps: Sequence[tuple[int, int]]) -> list[int]:
    """(interval, duration) steps as distinct non-negative integers."""
    return [(interval + 1024) << 32 | duration for interval, duration in steps]


def distinctness(melodies: Sequence[Sequence[Note]]) -> float:
    """Mean over pairs of 1 - Jaccard similarity of their (onset, pitch) sets: 0 = identical."""
    pairs = list(combinations([{(n.start, n.pitch) for n in sounding(m)} for m in melodies], 2))
    if not pairs:
        return 0.0
    return sum(1 - len(a & b) / len(a | b) if a | b else 0.0 for a, b in pairs) / len(pairs)


@dataclass(frozen=True, slots=True)
class MixedTrack:
    """A one-channel performance split into melody notes and the chords of its block voicings."""

    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    bars: int


def split_mixed_track(notes: Sequence[Note]) -> MixedTrack:
    """Separate block chords from the melody in a one-channel performance, naming each block with
    :func:`recognise`.

    Notes starting together whose duration is shared by another note of that onset are a chord
    block; every other note (a lone onset, or a note of its own length at a chord's onset) is melody.
    deepjazz wrote melody and chords onto one channel; this is how its outputs are measured.
    """
    groups: dict[int, list[Note]] = {}
    for note in sounding(notes):
        groups.setdefault(note.start, []).append(note)
    melody: list[Note] = []
    chords: list[Chord] = []
    for start, group in sorted(groups.items()):
        lengths = Counter(n.duration for n in group)
        block = [n for n in group if lengths[n.duration] > 1]
        melody.extend(n for n in group if lengths[n.duration] == 1)
        pitches = [n.pitch or 0 for n in block]
        symbol = recognise(Counter(p % 12 for p in pitches), min(pitches) % 12) if pitches else None
        if symbol is not None:
            duration = max(n.duration for n in block)
            chords.append(Chord(symbol, start, duration, symbol.name()))
    end = max((n.end for n in notes), default=0)
    return MixedTrack(
        tuple(sorted(melody, key=lambda n: (n.start, n.pitch))), tuple(chords), -(-end // TICKS_PER_BAR)
    )
