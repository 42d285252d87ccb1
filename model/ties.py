"""Held over the bar line: how readily an unstyled line ties the note sounding at a bar line into the
next bar (docs/MODEL.md, "Held over the bar line, session 8").

Unstyled lines held 2.9% of their notes over a bar line against the real solos' 4.5%, the largest
single feature the real-vs-generated classifier separated them by. Not because the mask forbids it
(a ``T:`` token is allowed at every bar line a note reaches, outside a section's close): the network
draws a tie there less often than real soloists hold one, and the leap prior (:mod:`model.leaps`),
which shifts notes and never ties, took it lower still. So one term, added to every tie token's logit
at a bar line: ``log(odds_real / odds_played)`` of holding a note that reaches its first bar line
past it, ``odds_real`` from the training solos' 16-bar chunks and ``odds_played`` from what the
shipped model plays unstyled (:data:`CALIBRATION_PIECES` pieces from seed :data:`CALIBRATION_SEED`,
never the evaluation's), in :data:`CALIBRATION_ROUNDS` rounds, each adding the log-odds ratio of
what the model plays with the term so far.

Styled lines keep their own rhythm prior (:mod:`model.style_priors`) and do not get this term.
``python -m model.ties --build`` writes ``model/data/ties.json`` (the same bytes from the same data
and model; rebuild after retraining or after rebuilding :mod:`model.leaps`); ``python -m model.ties``
prints it.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.melody_metrics import HELD_OVER_MIN, line_of
from model.paths import DATA_DIR
from model.piece import TICKS_PER_BAR, Note
from model.tokens import GRID, LEGATO_GAP

TIES_FILE = DATA_DIR / "ties.json"
CALIBRATION_PIECES = 1000
CALIBRATION_SEED = 40_000
"""Calibration pieces use seeds from here (the evaluation uses 0..n-1, the training-side checks 1000..,
the leap prior 20,000..)."""
CALIBRATION_ROUNDS = 3
"""The masks, phrasing and restated motifs dilute a logit shift, so one log-odds ratio undershoots."""
CHUNK_BARS = 16


@dataclass(frozen=True, slots=True)
class BarLines:
    """Notes of a line that reach the first bar line after their onset, and those held past it."""

    reaching: int
    held: int

    @property
    def log_odds(self) -> float:
        """``log(held / not held)``, each counted from one half (no infinities on tiny samples)."""
        return math.log((self.held + 0.5) / (self.reaching - self.held + 0.5))


def bar_lines(lines: Sequence[Sequence[Note]], bar: int = TICKS_PER_BAR) -> BarLines:
    """Count over each line's notes (:func:`model.melody_metrics.line_of`: cut at the next onset): a
    note *reaches* its first bar line when it sounds up to it, a silence shorter than ``LEGATO_GAP``
    before the next onset joined to it (as :func:`model.tokens.encode_line` joins it, so a real
    note a sliver short of the bar line counts as the tie's chance it was); it is *held* when it
    sounds at least :data:`model.melody_metrics.HELD_OVER_MIN` past it (the evaluation's figure)."""
    reaching = held = 0
    for notes in lines:
        line = line_of(notes)
        for note, following in zip(line, [*(n.start for n in line[1:]), None], strict=True):
            end = note.end
            if following is not None and following - end < LEGATO_GAP * GRID:
                end = following
            bar_line = (note.start // bar + 1) * bar
            if end >= bar_line:
                reaching += 1
                held += int(note.end - bar_line >= HELD_OVER_MIN)
    return BarLines(reaching, held)


@dataclass(frozen=True, slots=True)
class Ties:
    """The term added to every tie token's logit at a bar line of an unstyled line."""

    bias: float
    source: str

    @classmethod
    def none(cls) -> Ties:
        """No correction (what the calibration starts from)."""
        return cls(0.0, "none")


def to_json(ties: Ties) -> str:
    return json.dumps({"source": ties.source, "bias": ties.bias}, indent=1) + "\n"


def from_json(text: str) -> Ties:
    data = json.loads(text)
    return Ties(float(data["bias"]), str(data["source"]))


@cache
def load_ties(path: Path = TIES_FILE) -> Ties:
    return from_json(path.read_text())


def build() -> Ties:
    """The term from the training solos' 16-bar chunks and the shipped model's unstyled pieces."""
    from model.compose import Composer
    from model.evaluation_sets import Progress, composed, solo_chunks
    from model.phrasing import training_solos

    real = bar_lines([s.melody for s in solo_chunks(training_solos(), CHUNK_BARS)])
    print(f"training chunks: {real.held} of {real.reaching} notes reaching a bar line held past it")
    bias = 0.0
    for round_ in range(CALIBRATION_ROUNDS):
        composer = Composer.load(ties=Ties(bias, "calibration"))
        pieces = composed(composer, CALIBRATION_PIECES, CHUNK_BARS, Progress(), seed_offset=CALIBRATION_SEED)
        played = bar_lines([s.melody for s in pieces])
        print(f"round {round_} (term {bias:+.3f}): {played.held} of {played.reaching} held")
        bias += real.log_odds - played.log_odds
    source = f"training solos' {CHUNK_BARS}-bar chunks against {CALIBRATION_PIECES} pieces of {composer.name}"
    return Ties(round(bias, 4), source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.ties", description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help=f"derive the term and write {TIES_FILE}")
    args = parser.parse_args(argv)
    if args.build:
        TIES_FILE.write_text(to_json(build()))
    ties = from_json(TIES_FILE.read_text())
    print(f"Tie term {ties.bias:+.4f} at a bar line, from {ties.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
