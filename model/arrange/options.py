"""What can be asked of the arranger, and what it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

import mido

from model.arrange.chart import ArrangeError
from model.arrange.instruments import LEAD_INSTRUMENTS

STYLES = ("swing", "ballad", "bossa", "waltz")
STYLES_IN: dict[int, tuple[str, ...]] = {4: ("swing", "ballad", "bossa"), 3: ("waltz", "ballad")}
"""The styles the band plays in each meter (beats per bar); swing asked of a 3/4 piece is the waltz."""
DEFAULT_TEMPI: dict[str, int] = {"swing": 160, "ballad": 72, "bossa": 132, "waltz": 160}
MIN_SWING, MAX_SWING = 0.5, 0.75
MAX_SEED = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ArrangeOptions:
    """How to arrange a piece. ``swing`` None: the style's default at the piece's tempo
    (:func:`model.arrange.feel.swing_for_tempo`); ``seed`` None: the piece's seed; ``tag``: play the
    last two bars once more before the final chord (needs ``ending``).

    Style and lead names are matched case-insensitively and stored in lower case.
    """

    style: str = "swing"
    lead: str = "tenor sax"
    swing: float | None = None
    count_in: bool = False
    ending: bool = True
    seed: int | None = None
    tag: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "style", _choice("style", self.style, STYLES))
        object.__setattr__(self, "lead", _choice("lead instrument", self.lead, tuple(LEAD_INSTRUMENTS)))
        swing = self.swing
        if swing is not None and (
            isinstance(swing, bool)
            or not isinstance(swing, int | float)
            or not MIN_SWING <= swing <= MAX_SWING  # also refuses NaN
        ):
            raise ArrangeError(
                f"swing must be a number from {MIN_SWING} (straight eighths) to {MAX_SWING} "
                f"(dotted eighth + sixteenth), e.g. 0.62 for a medium swing; not {swing!r}."
            )
        for name in ("count_in", "ending", "tag"):
            if not isinstance(getattr(self, name), bool):
                raise ArrangeError(f"{name} must be true or false, not {getattr(self, name)!r}.")
        if self.tag and not self.ending:
            raise ArrangeError("a tag repeats the cadence before the final chord: it needs ending=True.")
        seed = self.seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
        ):
            raise ArrangeError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")


def _choice(what: str, value: object, allowed: tuple[str, ...]) -> str:
    name = value.strip().lower() if isinstance(value, str) else ""
    if name not in allowed:
        raise ArrangeError(f"{what} must be one of {', '.join(allowed)}; not {value!r}.")
    return name


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """One instrument track of an arrangement (``program`` on channel 9 is the GM2 drum kit)."""

    name: str
    program: int
    channel: int
    notes: int


@dataclass(frozen=True, slots=True)
class Arrangement:
    """The MIDI file, its exact length to the last note-off, its tracks and the options used.

    ``options`` has ``seed`` and ``swing`` resolved, so it reproduces this arrangement exactly.
    """

    midi: bytes
    seconds: float
    tracks: tuple[TrackInfo, ...]
    options: ArrangeOptions
    # The same MIDI as mido objects, so in-process readers (renderer, piano roll) skip parsing the
    # bytes again (~6 ms each per 16-bar clip). Read-only by convention.
    parsed: mido.MidiFile = field(compare=False, repr=False)
