"""What the soloist network hears besides its own last token: the conditioning vector.

At every step the network reads the previous token plus one active slot in each of the groups
below, all describing the token about to be drawn (so the input is multi-hot and the first LSTM
layer's input product is a sum of rows). Training (:mod:`model.train`) and sampling
(:mod:`model.compose`) build it with the same :meth:`Conditioning.ids`, so they cannot drift apart.

Groups: the current chord's quality family; the next chord's root (relative to the current root) and
family; beats until the chord changes; beat of the bar and position inside the beat (12 per beat);
the bar within its 8-bar section; the previous pitch's pitch class relative to
the current root (tokens are relative to the chord at their onset, so the network must know where the
last note sits in the new chord); the register (previous pitch minus the line's centre); tempo band;
era; soloist (only those with enough material; the rest, and a quarter of the training windows, get
"none", so an era alone is a style too).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from model.piece import TICKS_PER_QUARTER, Chord

FAMILIES: dict[str, tuple[str, ...]] = {
    "major": ("", "6", "maj7", "maj9"),
    "lydian": ("maj7#11",),
    "minor": ("m", "m7", "m9"),
    "minor-major": ("m6", "mmaj7"),
    "dominant": ("7", "9", "13"),
    "lydian-dominant": ("7#11",),
    "dominant-b9": ("7b9",),
    "altered": ("7#9", "7alt", "7b13", "7#5"),
    "sus": ("7sus4", "sus4"),
    "half-diminished": ("m7b5",),
    "diminished": ("dim", "dim7"),
    "augmented": ("aug",),
}
FAMILY_OF = {quality: i for i, members in enumerate(FAMILIES.values()) for quality in members}
ERAS = ("traditional", "swing", "bebop", "cool", "hardbop", "postbop")
BEATS_TO_CHANGE_BINS = (1, 2, 3, 4, 8)  # upper bounds; beyond the last (or no next chord): last slot
REGISTER_BINS = (-10, -6, -2, 2, 6, 10)  # previous pitch - centre, lower bounds of slots 1..6
TEMPO_BINS = (110, 150, 190, 240)  # bpm upper bounds
PHRASE_BARS = 8
MAX_BEATS = 4
BEAT_SLOTS = {4: (0, 1, 2, 3), 3: (0, 1, 3)}
"""The beat-of-bar slot each beat of a bar is heard as. The shipped network learned 4/4 only; a waltz
bar is heard as its downbeat, a weak beat and the beat before the bar line (slot 3, where a 4/4 line
leads into the next bar), not as three quarters of a 4/4 bar that never reaches its last beat
(measured in docs/MODEL.md, "Waltz")."""
TEMPO_GROUP, ERA_GROUP, SOLOIST_GROUP = 9, 10, 11
"""Indices of the style groups (the last three) in :attr:`Conditioning.group_sizes`."""


def _bin(value: float, bounds: Sequence[float]) -> int:
    """Index of the first bound >= value (len(bounds) if none)."""
    return bisect.bisect_left(bounds, value)


def next_changes(chords: Sequence[Chord]) -> list[int]:
    """For each chord, the index of the next chord with a different symbol that starts where the
    harmony continues (no gap); -1 if none."""
    result = []
    for i, chord in enumerate(chords):
        j = i + 1
        while j < len(chords) and chords[j].start == chords[j - 1].end and chords[j].symbol == chord.symbol:
            j += 1
        contiguous = j < len(chords) and chords[j].start == chords[j - 1].end
        result.append(j if contiguous else -1)
    return result


class Conditioning:
    """The layout of the conditioning groups; ``soloists`` are the ones the network knows. Slot ids
    count from ``first`` (0 in training's arrays; the network input's id of the first slot when
    sampling, so the ids go to the network as they are)."""

    def __init__(self, soloists: Sequence[str], first: int = 0) -> None:
        self.soloists = tuple(soloists)
        families = len(FAMILIES)
        self.group_sizes = (
            families,  # current family
            13,  # next root relative to current root, or none
            families + 1,  # next family, or none
            len(BEATS_TO_CHANGE_BINS) + 1,
            MAX_BEATS,
            12,  # position in the beat
            PHRASE_BARS,
            13,  # previous pitch class relative to the current root, or none
            len(REGISTER_BINS) + 2,  # bins, or none
            len(TEMPO_BINS) + 1,
            len(ERAS) + 1,  # or none
            len(self.soloists) + 1,  # or none
        )
        self.offsets = tuple(int(x) for x in np.cumsum((first, *self.group_sizes[:-1])))
        self.size = sum(self.group_sizes)
        self.groups = len(self.group_sizes)

    def style_ids(self, tempo: float, era: str | None, soloist: str | None) -> tuple[int, int, int]:
        """The tempo, era and soloist slots (fixed for a whole line)."""
        offsets = self.offsets
        era_slot = ERAS.index(era) if era in ERAS else len(ERAS)
        soloist_slot = self.soloists.index(soloist) if soloist in self.soloists else len(self.soloists)
        return (
            offsets[TEMPO_GROUP] + _bin(tempo, TEMPO_BINS),
            offsets[ERA_GROUP] + era_slot,
            offsets[SOLOIST_GROUP] + soloist_slot,
        )

    def ids(
        self,
        chords: Sequence[Chord],
        changes: Sequence[int],
        chord: int,
        onset: int,
        bar: int,
        previous: int | None,
        centre: float,
        style: tuple[int, int, int],
        beats_per_bar: int = 4,
    ) -> list[int]:
        """Active feature ids for a token starting at ``onset`` ticks under ``chords[chord]``; ``bar``
        is the bar's place in its 8-bar section (0..7) and ``changes`` :func:`next_changes` of ``chords``.
        Nothing here depends on how long the piece is, so a longer piece with the same seed repeats a
        shorter one (see :mod:`model.compose`)."""
        o = self.offsets
        current = chords[chord]
        root = current.symbol.root
        nxt = changes[chord]
        if nxt >= 0:
            following = chords[nxt]
            next_root = (following.symbol.root - root) % 12
            next_family = FAMILY_OF[following.symbol.quality]
            beats = (following.start - onset + TICKS_PER_QUARTER - 1) // TICKS_PER_QUARTER
            to_change = _bin(beats, BEATS_TO_CHANGE_BINS)
        else:
            next_root, next_family, to_change = 12, len(FAMILIES), len(BEATS_TO_CHANGE_BINS)
        in_bar = onset % (beats_per_bar * TICKS_PER_QUARTER)
        slots = BEAT_SLOTS.get(beats_per_bar, BEAT_SLOTS[MAX_BEATS])
        if previous is None:
            previous_pc, register = 12, len(REGISTER_BINS) + 1
        else:
            previous_pc = (previous - root) % 12
            register = bisect.bisect_right(REGISTER_BINS, previous - centre)
        return [
            o[0] + FAMILY_OF[current.symbol.quality],
            o[1] + next_root,
            o[2] + next_family,
            o[3] + to_change,
            o[4] + slots[min(in_bar // TICKS_PER_QUARTER, len(slots) - 1)],
            o[5] + (in_bar % TICKS_PER_QUARTER) * 12 // TICKS_PER_QUARTER,
            o[6] + bar % PHRASE_BARS,
            o[7] + previous_pc,
            o[8] + register,
            *style,
        ]
