"""Where the line sits and how its register moves from phrase to phrase.

Real soloists move their register mostly *between* phrases: a new phrase after a rest starts higher or
lower, and inside a phrase the line runs and arpeggiates towards it, rarely by a single leap. Their
8-bar median pitches wander about 3 semitones (sd) around the solo's median (``breath`` in
:mod:`model.style_priors`), 3.3 semitones between the halves of a 16-bar chunk and 9 across 64 bars.

* **centre**: the middle of the range moved by the style's median pitch minus the corpus's, or for a
  line composed for a lead instrument where that instrument's real players sit with the style's offset
  taken within its instrument (:mod:`model.lead_centres`), at least :data:`MARGIN` semitones inside
  the range either way; the network hears the line's register relative to it and the composer's
  quadratic register pull (``REGISTER_PULL``) draws to it.
* **target**: each phrase after the first draws an offset from a normal distribution with sd
  ``BREATH_SCALE * breath`` around the centre when the phrase begins (after a rest of a beat or more,
  as :class:`model.phrasing.Phrasing` counts it); the first phrase sits at the centre. Every note of
  the phrase is tilted towards moving in the target's direction, ``BREATH_PULL`` times the register
  pull, by ``2 * pull * (target - centre) * move`` with the move clipped to :data:`TILT_STEP`: a tilt
  that favours steps and small skips the right way, never leaps, and takes nothing from notes as a
  whole against rests.
* **restated motifs** (the composer's ``MOTIF_RATE``) begin at the pitch of the cell's first class
  nearest the target, so a motif comes back in the register the line is moving to. Placing it nearest
  the cell's old register (as before) was where nearly all octave-plus leaps came from: a line that
  had moved jumped back to where the cell was first played (docs/MODEL.md, "Register: before and
  after").

The offsets come from their own random stream (``[seed, 5]``), one per phrase in order, so the same
seed gives the same piece and a longer piece with the same seed moves the same way through its first
phrases (Extend).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from model.phrasing import PHRASE_GAP_GRID, Phrasing

MARGIN = 9.0
"""The moved centre stays at least this many semitones inside the range."""
BREATH_SCALE = 0.9
"""The phrase offsets' sd as a share of the style's sd of 8-bar median pitches (tuned on the
training side, docs/MODEL.md)."""
BREATH_PULL = 4.0
"""How hard the line is drawn towards the phrase's target (multiples of the register pull)."""
TILT_STEP = 4
"""The tilt counts a move of more than this many semitones as this many (it must not favour leaps)."""
MAX_MOVE = 128
"""Moves from the previous pitch up to this (exclusive) are real intervals; farther is a rest or tie."""
REGISTER_SEED = 5
"""The offsets' random stream is ``default_rng([seed, REGISTER_SEED])``."""


def centre_of_range(low: int, high: int, offset: float) -> float:
    """The middle of ``low``..``high`` moved by ``offset``, at least :data:`MARGIN` inside the range."""
    room = max(0.0, (high - low) / 2 - MARGIN)
    return (low + high) / 2 + float(np.clip(offset, -room, room))


def within_range(low: int, high: int, centre: float) -> float:
    """``centre`` moved (if need be) to at least :data:`MARGIN` inside ``low``..``high``."""
    return centre_of_range(low, high, centre - (low + high) / 2)


def _tilt_steps() -> npt.NDArray[np.float64]:
    """Per move (``pitch - previous + MAX_MOVE``; the first and last slot: no move) the clipped step."""
    steps = np.clip(np.arange(-MAX_MOVE, MAX_MOVE + 1), -TILT_STEP, TILT_STEP).astype(np.float64)
    steps[[0, -1]] = 0.0
    steps.flags.writeable = False
    return steps


TILT_STEPS = _tilt_steps()


@dataclass(slots=True)
class Register:
    """One line's register: its centre and the target of the phrase being played (see the module
    docstring). It reads the phrase state from the line's :class:`Phrasing`, which the composer
    updates before every draw."""

    centre: float
    spread: float  # sd of the phrase offsets (semitones)
    pull: float  # the composer's register pull (log-odds per semitone squared)
    rng: np.random.Generator
    phrasing: Phrasing
    offsets: list[float] = field(default_factory=list)  # one per phrase after the first, in order
    between: bool = False  # a rest of a beat or more is running (the next note starts a phrase)

    @classmethod
    def start(cls, centre: float, breath: float, pull: float, seed: int, phrasing: Phrasing) -> Register:
        """The register of a line around ``centre`` breathing with the style's ``breath`` (sd of 8-bar
        median pitches), with the composer's register ``pull``, for the line ``phrasing`` phrases."""
        rng = np.random.default_rng([seed, REGISTER_SEED])
        return cls(centre, BREATH_SCALE * breath, pull, rng, phrasing)

    def target(self) -> float:
        """The current phrase's target pitch; a new phrase's is drawn when its rest has lasted a beat."""
        resting = self.phrasing.notes > 0 and self.phrasing.run >= PHRASE_GAP_GRID
        if resting and not self.between:
            self.offsets.append(float(self.rng.normal(0.0, self.spread)) if self.spread else 0.0)
        self.between = resting
        return self.centre + (self.offsets[-1] if self.offsets else 0.0)

    def tilt(self, moves: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """What to add to the logits of tokens whose move from the previous pitch is ``moves``
        (``pitch - previous + MAX_MOVE``; rests and ties sound :data:`MAX_MOVE` or more away from any
        real pitch, so they clip to the ends: no move, no tilt)."""
        return self.lean() * TILT_STEPS.take(moves, mode="clip")

    def lean(self) -> float:
        """What the tilt takes per semitone of (clipped) move: :data:`TILT_STEPS` times this."""
        return 2 * self.pull * BREATH_PULL * (self.target() - self.centre)
