"""Leaps along the chord: an unstyled line's intervals, steered by whether they land on a pitch class
it has just played (docs/MODEL.md, "Leaps along the chord").

The network steps too often (whole steps 31% against the real solos' 28%) and leaps too rarely
(fourths, fifths, sixths), so its lines move 2.5 semitones where real solos move 2.8. A prior over
interval size alone widens them but spreads the lines over more pitch classes (docs/MODEL.md,
"Phrase ends and intervals"): real soloists leap *back onto* the notes of the figure they are
playing (an arpeggio, a chord tone left and taken again) and step onto new ones. So the prior is a
table over (interval size, whether the target's pitch class is among the line's last
:data:`RECENT_NOTES` notes): ``LEAP_WEIGHT * log(p_real / p_played)``, with ``p_real`` from the
training solos' 16-bar chunks and ``p_played`` from what the shipped model plays unstyled without it
(:data:`CALIBRATION_PIECES` pieces from seed :data:`CALIBRATION_SEED`, never the evaluation's), in
:data:`CALIBRATION_ROUNDS` rounds.

Styled lines keep their own interval prior (:mod:`model.style_priors`) and do not get this one.
``python -m model.leaps --build`` writes ``model/data/leaps.json`` (the same bytes from the same data
and model; rebuild after retraining); ``python -m model.leaps`` prints it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from model.paths import DATA_DIR
from model.piece import Note

if TYPE_CHECKING:
    from model.evaluation_sets import Sample

LEAPS_FILE = DATA_DIR / "leaps.json"
RECENT_NOTES = 8
"""A target is "recent" when its pitch class sounded among the line's last this many notes."""
MAX_INTERVAL = 13
"""Interval sizes 0..12 semitones one by one, then one bucket for anything wider."""
LEAP_WEIGHT = 1.0
"""How much of the log-ratio reaches the logits (chosen on the training side, docs/MODEL.md)."""
SMOOTHING = 300.0
"""The played shares are smoothed towards the real ones as if they held this many more intervals."""
MAX_LOG_RATIO = 1.5
CALIBRATION_PIECES = 500
CALIBRATION_SEED = 20_000
"""Calibration pieces use seeds from here (the evaluation uses 0..n-1, the training-side checks 1000..)."""
CALIBRATION_ROUNDS = 2
"""The second round adds the log-ratio of what the model plays *with* the first round's table: the
masks, phrasing and restated motifs dilute a prior, and one round closed about a third of the
interval gap (2.55 -> 2.61 semitones against 2.72, training side)."""
CHUNK_BARS = 16


def counts(lines: Sequence[Sequence[int]]) -> Counter[tuple[bool, int]]:
    """(recent, interval bucket) of every interval between consecutive notes of each line (pitches)."""
    counted: Counter[tuple[bool, int]] = Counter()
    for pitches in lines:
        for i in range(1, len(pitches)):
            recent = {p % 12 for p in pitches[max(0, i - RECENT_NOTES) : i]}
            counted[(pitches[i] % 12 in recent, min(abs(pitches[i] - pitches[i - 1]), MAX_INTERVAL))] += 1
    return counted


def log_ratios(real: Counter[tuple[bool, int]], played: Counter[tuple[bool, int]]) -> npt.NDArray[np.float64]:
    """``[recent, bucket]``: ``log(real share / played share)``, the played shares smoothed towards
    the real ones by :data:`SMOOTHING` intervals, clipped to :data:`MAX_LOG_RATIO`."""
    table = np.zeros((2, MAX_INTERVAL + 1))
    real_total, played_total = sum(real.values()), sum(played.values())
    for recent in (0, 1):
        for bucket in range(MAX_INTERVAL + 1):
            target = real[(bool(recent), bucket)] / real_total
            if target <= 0:
                continue
            share = (played[(bool(recent), bucket)] + SMOOTHING * target) / (played_total + SMOOTHING)
            table[recent, bucket] = np.clip(np.log(target / share), -MAX_LOG_RATIO, MAX_LOG_RATIO)
    return table


@dataclass(frozen=True, slots=True)
class Leaps:
    """The prior: ``LEAP_WEIGHT`` times the log-ratio per (recent, interval bucket)."""

    table: npt.NDArray[np.float64]  # [recent, bucket]
    source: str

    @classmethod
    def none(cls) -> Leaps:
        """No correction (what the calibration composes with)."""
        return cls(np.zeros((2, MAX_INTERVAL + 1)), "none")

    def shift(
        self, pitches: npt.NDArray[np.int64], pitched: npt.NDArray[np.bool_], notes: Sequence[Note]
    ) -> npt.NDArray[np.float64]:
        """What to add to the logits of tokens sounding ``pitches`` (``pitched``: which of them are
        notes; rests and ties get 0) after the line's ``notes`` (at least one)."""
        recent = np.zeros(12, dtype=bool)
        recent[[(n.pitch or 0) % 12 for n in notes[-RECENT_NOTES:]]] = True
        previous = notes[-1].pitch or 0
        buckets = np.minimum(np.abs(pitches - previous), MAX_INTERVAL)
        shift = LEAP_WEIGHT * self.table[recent.take(pitches % 12).astype(np.int64), buckets]
        return np.where(pitched, shift, 0.0)


def to_json(leaps: Leaps) -> str:
    rows = [[round(float(v), 4) for v in row] for row in leaps.table]
    return (
        json.dumps(
            {"source": leaps.source, "recent_notes": RECENT_NOTES, "new": rows[0], "recent": rows[1]},
            indent=1,
        )
        + "\n"
    )


def from_json(text: str) -> Leaps:
    data = json.loads(text)
    if data["recent_notes"] != RECENT_NOTES:
        raise ValueError("the leap prior was built with other settings; run python -m model.leaps --build")
    return Leaps(np.array([data["new"], data["recent"]], dtype=np.float64), str(data["source"]))


@cache
def load_leaps(path: Path = LEAPS_FILE) -> Leaps:
    return from_json(path.read_text())


def build() -> Leaps:
    """The table from the training solos' 16-bar chunks and the shipped model's unstyled pieces."""
    from model.compose import Composer
    from model.evaluation_sets import Progress, composed, solo_chunks
    from model.melody_metrics import line_of
    from model.phrasing import training_solos

    def lines(samples: Sequence[Sample]) -> list[list[int]]:
        return [[n.pitch or 0 for n in line_of(s.melody)] for s in samples]

    real = counts(lines(solo_chunks(training_solos(), CHUNK_BARS)))
    leaps = Leaps.none()
    for _ in range(CALIBRATION_ROUNDS):
        composer = Composer.load(leaps=leaps)
        pieces = composed(composer, CALIBRATION_PIECES, CHUNK_BARS, Progress(), seed_offset=CALIBRATION_SEED)
        leaps = Leaps(leaps.table + log_ratios(real, counts(lines(pieces))), leaps.source)
    source = f"training solos' {CHUNK_BARS}-bar chunks against {CALIBRATION_PIECES} pieces of {composer.name}"
    return Leaps(np.round(leaps.table, 4), source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.leaps", description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help=f"derive the table and write {LEAPS_FILE}")
    args = parser.parse_args(argv)
    if args.build:
        LEAPS_FILE.write_text(to_json(build()))
    leaps = from_json(LEAPS_FILE.read_text())
    print(f"Leap prior from {leaps.source} (log-ratio, times {LEAP_WEIGHT:g}):")
    print("interval  " + " ".join(f"{b:>5d}" for b in range(MAX_INTERVAL + 1)))
    for name, row in zip(("new pc", "recent pc"), leaps.table, strict=True):
        print(f"{name:9s} " + " ".join(f"{v:+5.2f}" for v in row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
