"""The composed piece: the one data type that crosses from the composer to arrangement and the bot.

Times are integer MIDI ticks at :data:`TICKS_PER_QUARTER` so that "every bar exactly filled" is an
exact integer check, never a float comparison. A piece is in 4/4 or 3/4 (:data:`METERS`, beats per
bar of quarter notes): :data:`TICKS_PER_BAR` is the 4/4 bar, :func:`bar_ticks` any meter's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.meter import METERS
from model.theory import ChordSymbol, Key

__all__ = [
    "BEATS_PER_BAR",
    "METERS",
    "TICKS_PER_BAR",
    "TICKS_PER_QUARTER",
    "Chord",
    "Note",
    "Piece",
    "bar_ticks",
]

TICKS_PER_QUARTER = 480
BEATS_PER_BAR = 4
TICKS_PER_BAR = TICKS_PER_QUARTER * BEATS_PER_BAR


def bar_ticks(beats_per_bar: int) -> int:
    """Ticks in one bar of ``beats_per_bar`` quarter notes."""
    return TICKS_PER_QUARTER * beats_per_bar


@dataclass(frozen=True, slots=True)
class Note:
    """One melody note (or a rest when ``pitch`` is None) with start and duration in ticks."""

    pitch: int | None
    start: int
    duration: int
    velocity: int = 96

    @property
    def end(self) -> int:
        return self.start + self.duration

    @property
    def is_rest(self) -> bool:
        return self.pitch is None


@dataclass(frozen=True, slots=True)
class Chord:
    """A chord symbol held from ``start`` for ``duration`` ticks; ``name`` is spelled for the key."""

    symbol: ChordSymbol
    start: int
    duration: int
    name: str

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Piece:
    """Melody over chords, ``bars`` bars of ``beats_per_bar``/4 at ``tempo`` bpm, plus how it was made.

    ``melody`` holds sounding notes only (rests are the gaps). ``seed`` and ``temperature``
    together with the other fields reproduce the piece exactly with the same model.
    """

    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    bars: int
    tempo: int
    key: Key
    progression: str
    seed: int
    temperature: float
    model: str
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    beats_per_bar: int = BEATS_PER_BAR

    @property
    def bar_ticks(self) -> int:
        return bar_ticks(self.beats_per_bar)

    @property
    def meter(self) -> str:
        """The time signature as written: ``"4/4"`` or ``"3/4"``."""
        return f"{self.beats_per_bar}/4"

    @property
    def length_ticks(self) -> int:
        return self.bars * self.bar_ticks

    @property
    def seconds(self) -> float:
        return self.bars * self.beats_per_bar * 60.0 / self.tempo

    def chart(self) -> str:
        """The chord chart as text, one ``| ... |`` cell per bar: ``| Cm7 F7 | Bbmaj7 |``."""
        cells: list[list[str]] = [[] for _ in range(self.bars)]
        for chord in self.chords:
            bar = chord.start // self.bar_ticks
            if 0 <= bar < self.bars:
                cells[bar].append(chord.name)
        return "| " + " | ".join(" ".join(c) if c else "%" for c in cells) + " |"
