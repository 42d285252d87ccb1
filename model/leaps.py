"""Leaps along the chord: an unstyled line's intervals, steered by where they land: on a pitch class
the line keeps returning to or a new one, and on a chord tone, a scale tone or neither (docs/MODEL.md,
"Leaps along the chord" and "Returning leaps, session 8").

The network steps too often (whole steps 31% against the real solos' 28%) and leaps too rarely
(fourths, fifths, sixths), so its lines move 2.5 semitones where real solos move 2.8; and it spreads
them over more pitch classes within four bars (H4 2.98 bits against 2.87). A prior over interval size
alone widens them but spreads them further (docs/MODEL.md, "Phrase ends and intervals"): real
soloists leap *back onto* the notes they keep playing (an arpeggio, a chord tone left and taken
again) and step onto new ones less. So the prior is a table over (where the target lands, interval
size): ``LEAP_WEIGHT * log(p_real / p_played)``, with ``p_real`` from the training solos' 16-bar
chunks and ``p_played`` from what the shipped model plays unstyled (:data:`CALIBRATION_PIECES`
pieces from seed :data:`CALIBRATION_SEED`, never the evaluation's), in :data:`CALIBRATION_ROUNDS`
rounds. Where a target lands is its *memory* (how often its pitch class sounded among the line's
last :data:`MEMORY_NOTES` notes, 0 to :data:`MAX_COUNT` or more) and its *class* against the chord
sounding at its onset (chord tone, other tone of the chord's scale, other).

Styled lines keep their own interval prior (:mod:`model.style_priors`) and do not get this one.
``python -m model.leaps --build`` writes ``model/data/leaps.json`` (the same bytes from the same data
and model; rebuild after retraining, then :mod:`model.ties`, which is calibrated on top of this prior).
The calibration composes without the tie term, so this table does not depend on ``ties.json``;
``python -m model.leaps`` prints it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from model.grammar import chord_at
from model.paths import DATA_DIR
from model.piece import Chord, Note
from model.theory import ChordSymbol

if TYPE_CHECKING:
    from model.evaluation_sets import Sample

LEAPS_FILE = DATA_DIR / "leaps.json"
MEMORY_NOTES = 24
"""A target's *memory* counts its pitch class among the line's last this many notes (about four bars:
what H4 measures) ..."""
MAX_COUNT = 5
"""... 0, 1, .., this many or more times. A count, not just "heard or not", because what sets real
lines apart is how much they dwell on a few classes (5+ times: 12% of real notes, 10% of the lines')."""
MEMORIES = (*(f"{k}x" for k in range(MAX_COUNT)), f"{MAX_COUNT}+x")
CLASSES = ("chord", "scale", "other")
"""A target's class against the chord at its onset: chord tone, other tone of the chord's scale,
neither (an approach or outside note; :func:`model.grammar.classify`)."""
STATES = len(MEMORIES) * len(CLASSES)
"""Table rows: ``memory * len(CLASSES) + class``."""
MAX_INTERVAL = 13
"""Interval sizes 0..12 semitones one by one, then one bucket for anything wider."""
LEAP_WEIGHT = 1.25
"""How much of the log-ratio reaches the logits (chosen on the training side, docs/MODEL.md: 1.0 leaves
the lines' intervals a little short of the training solos', 1.5 overshoots them)."""
SMOOTHING = 300.0
"""The played shares are smoothed towards the real ones as if they held this many more intervals."""
MAX_LOG_RATIO = 1.5
MAX_WIDE = 1.0
"""A leap wider than an octave gains at most this much: issue 10 wants at most 0.6% of them (the
training solos play 0.8%), and without the bound the lines reached 0.6-0.7%."""
CALIBRATION_PIECES = 1000
CALIBRATION_SEED = 20_000
"""Calibration pieces use seeds from here (the evaluation uses 0..n-1, the training-side checks 1000..)."""
CALIBRATION_ROUNDS = 4
"""Each round adds the log-ratio of what the model plays *with* the table so far: the masks, phrasing
and restated motifs dilute a prior, and two rounds left the lines' repeated notes and H4 well off the
training solos' (docs/MODEL.md)."""
CHUNK_BARS = 16


@cache
def chord_classes(chord: ChordSymbol) -> npt.NDArray[np.int64]:
    """``[pitch class]``: its index in :data:`CLASSES` against ``chord``."""
    classes = np.full(12, CLASSES.index("other"), dtype=np.int64)
    classes[list(chord.scale)] = CLASSES.index("scale")
    classes[list(chord.tones)] = CLASSES.index("chord")
    return classes


def states(pitches: Sequence[int], chord: ChordSymbol) -> npt.NDArray[np.int64]:
    """``[pitch class]``: the table row a note of that class lands in after a line ``pitches``."""
    memory = np.bincount([p % 12 for p in pitches[-MEMORY_NOTES:]], minlength=12)
    np.minimum(memory, MAX_COUNT, out=memory)
    return memory * len(CLASSES) + chord_classes(chord)


def counts(lines: Sequence[tuple[Sequence[Note], Sequence[Chord]]]) -> Counter[tuple[int, int]]:
    """(state, interval bucket) of every interval between consecutive notes of each line (notes of
    one line, over its chords)."""
    counted: Counter[tuple[int, int]] = Counter()
    for notes, chords in lines:
        pitches = [n.pitch or 0 for n in notes]
        for i in range(1, len(pitches)):
            state = states(pitches[:i], chord_at(chords, notes[i].start))[pitches[i] % 12]
            counted[(int(state), min(abs(pitches[i] - pitches[i - 1]), MAX_INTERVAL))] += 1
    return counted


def log_ratios(real: Counter[tuple[int, int]], played: Counter[tuple[int, int]]) -> npt.NDArray[np.float64]:
    """``[state, bucket]``: ``log(real share / played share)``, the played shares smoothed towards
    the real ones by :data:`SMOOTHING` intervals, clipped to :data:`MAX_LOG_RATIO`."""
    table = np.zeros((STATES, MAX_INTERVAL + 1))
    real_total, played_total = sum(real.values()), sum(played.values())
    for state in range(STATES):
        for bucket in range(MAX_INTERVAL + 1):
            target = real[(state, bucket)] / real_total
            if target <= 0:
                continue
            share = (played[(state, bucket)] + SMOOTHING * target) / (played_total + SMOOTHING)
            table[state, bucket] = np.clip(np.log(target / share), -MAX_LOG_RATIO, MAX_LOG_RATIO)
    return table


@dataclass(frozen=True, slots=True)
class Leaps:
    """The prior: ``weight`` times the log-ratio per (state, interval bucket)."""

    table: npt.NDArray[np.float64]  # [state, bucket]
    source: str
    weight: float = LEAP_WEIGHT

    @classmethod
    def none(cls) -> Leaps:
        """No correction (what the calibration composes with)."""
        return cls(np.zeros((STATES, MAX_INTERVAL + 1)), "none")

    def line(self, low: int, high: int, chords: Sequence[ChordSymbol]) -> LeapLine:
        """The prior for one line of pitches ``low``..``high`` (at most 127) over ``chords``, about to
        be played."""
        return LeapLine.start(self, low, high, chords)


class Memory:
    """How often each pitch class sounded among a line's last :data:`MEMORY_NOTES` notes, kept note by
    note as the line is played: what :func:`states` counts from scratch, without recounting the last
    notes before every draw."""

    __slots__ = ("_counts", "_recent", "notes", "rows")

    def __init__(self) -> None:
        self.notes = 0  # notes played so far
        self.rows = np.zeros(12, dtype=np.int64)  # [pitch class]: its memory's part of the table row
        self._counts = [0] * 12
        self._recent: deque[int] = deque()  # the last MEMORY_NOTES notes' pitch classes

    def add(self, pitch: int) -> None:
        """Count a note of ``pitch`` played after the others."""
        pc = pitch % 12
        self.notes += 1
        self._recent.append(pc)
        self._count(pc, 1)
        if len(self._recent) > MEMORY_NOTES:
            self._count(self._recent.popleft(), -1)

    def _count(self, pc: int, change: int) -> None:
        self._counts[pc] += change
        self.rows[pc] = min(self._counts[pc], MAX_COUNT) * len(CLASSES)

    def states(self, classes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """``[pitch class]``: the table row a note of that class lands in now, over a chord whose
        :func:`chord_classes` are ``classes`` (what :func:`states` gives for the notes played)."""
        return self.rows + classes


GAPS = np.minimum(np.abs(np.arange(-127, 128)), MAX_INTERVAL)
"""Interval bucket per ``pitch - last + 127``, for MIDI pitches 0..127."""


@dataclass(slots=True)
class LeapLine:
    """The prior for one line as it is played: :meth:`add` every note, then :meth:`shift` gives what
    to add to the logits of the next note, per pitch. Worked out over the line's range (a few dozen
    pitches) rather than per token (a few hundred): the same products, fewer of them."""

    weighted: npt.NDArray[np.float64]  # [state * (MAX_INTERVAL + 1) + bucket]: weight times the table
    low: int
    high: int
    chords: list[npt.NDArray[np.int64]]  # per chord of the line: chord_classes
    memory: Memory
    pcs: npt.NDArray[np.int64]  # [pitch - low]: its pitch class
    by_pitch: npt.NDArray[np.float64]  # [pitch], 0..high + 1: what shift returns (0 outside the range)

    @classmethod
    def start(cls, leaps: Leaps, low: int, high: int, chords: Sequence[ChordSymbol]) -> LeapLine:
        weighted = (leaps.weight * leaps.table).ravel()
        pcs = np.arange(low, high + 1) % 12
        classes = [chord_classes(c) for c in chords]
        return cls(weighted, low, high, classes, Memory(), pcs, np.zeros(high + 2))

    def add(self, pitch: int) -> None:
        """A note of ``pitch`` was played (ties are not notes)."""
        self.memory.add(pitch)

    def shift(self, last: int, chord: int) -> npt.NDArray[np.float64]:
        """``[pitch]``: what to add to the logit of a note of that pitch after the line's last note
        ``last``, over its ``chord``-th chord; 0 for any pitch outside ``low``..``high`` (index a rest
        or tie past the end, ``mode="clip"``: the last entry). Overwritten by the next call."""
        rows = self.memory.states(self.chords[chord]) * (MAX_INTERVAL + 1)
        window = GAPS[self.low - last + 127 : self.high - last + 128]
        self.by_pitch[self.low : self.high + 1] = self.weighted.take(rows.take(self.pcs) + window)
        return self.by_pitch


def _name(state: int) -> str:
    return f"{MEMORIES[state // len(CLASSES)]} {CLASSES[state % len(CLASSES)]}"


def to_json(leaps: Leaps) -> str:
    rows = {_name(s): [round(float(v), 4) for v in leaps.table[s]] for s in range(STATES)}
    settings = {"memory_notes": MEMORY_NOTES, "max_count": MAX_COUNT}
    return json.dumps({"source": leaps.source, **settings, "table": rows}, indent=1) + "\n"


def from_json(text: str) -> Leaps:
    data = json.loads(text)
    if (data.get("memory_notes"), data.get("max_count")) != (MEMORY_NOTES, MAX_COUNT):
        raise ValueError("the leap prior was built with other settings; run python -m model.leaps --build")
    table = np.array([data["table"][_name(s)] for s in range(STATES)], dtype=np.float64)
    return Leaps(table, str(data["source"]))


@cache
def load_leaps(path: Path = LEAPS_FILE) -> Leaps:
    return from_json(path.read_text())


def build() -> Leaps:
    """The table from the training solos' 16-bar chunks and the shipped model's unstyled pieces."""
    from model.compose import Composer
    from model.evaluation_sets import Progress, composed, solo_chunks
    from model.melody_metrics import line_of
    from model.phrasing import training_solos
    from model.ties import Ties

    def lines(samples: Sequence[Sample]) -> list[tuple[Sequence[Note], Sequence[Chord]]]:
        return [(line_of(s.melody), s.chords) for s in samples]

    real = counts(lines(solo_chunks(training_solos(), CHUNK_BARS)))
    table = np.zeros((STATES, MAX_INTERVAL + 1))
    for _ in range(CALIBRATION_ROUNDS):
        # the rounds compose with the log-ratio itself (weight 1); LEAP_WEIGHT applies when sampling
        composer = Composer.load(leaps=Leaps(table, "calibration", 1.0), ties=Ties.none())
        pieces = composed(composer, CALIBRATION_PIECES, CHUNK_BARS, Progress(), seed_offset=CALIBRATION_SEED)
        table = table + log_ratios(real, counts(lines(pieces)))
        table[:, MAX_INTERVAL] = np.minimum(table[:, MAX_INTERVAL], MAX_WIDE)
    source = f"training solos' {CHUNK_BARS}-bar chunks against {CALIBRATION_PIECES} pieces of {composer.name}"
    return Leaps(np.round(table, 4), source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.leaps", description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help=f"derive the table and write {LEAPS_FILE}")
    args = parser.parse_args(argv)
    if args.build:
        LEAPS_FILE.write_text(to_json(build()))
    leaps = from_json(LEAPS_FILE.read_text())
    print(f"Leap prior from {leaps.source} (log-ratio, times {LEAP_WEIGHT:g}):")
    print("interval       " + " ".join(f"{b:>5d}" for b in range(MAX_INTERVAL + 1)))
    for state, row in enumerate(leaps.table):
        print(f"{_name(state):14s} " + " ".join(f"{v:+5.2f}" for v in row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
