"""The chords of a piece laid out in time, the tick grid every player writes on, and the tag."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from model.errors import InputError
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Note, Piece
from model.theory import ChordSymbol

BEAT = TICKS_PER_QUARTER
EIGHTH = BEAT // 2
BAR = TICKS_PER_BAR  # a 4/4 bar; a piece's own is Chart.bar
TAG_BARS = 2

Played = tuple[int, int, int, int]  # (start tick, end tick, MIDI pitch or drum key, velocity)


class ArrangeError(InputError):
    """Arrangement options (or a piece) that cannot be arranged; the message lists what works."""


@dataclass(frozen=True, slots=True)
class Span:
    """A chord sounding from ``start`` to ``end`` (straight ticks from the first bar of the piece)."""

    symbol: ChordSymbol
    name: str
    start: int
    end: int

    @property
    def bass_class(self) -> int:
        return self.symbol.root if self.symbol.bass is None else self.symbol.bass


def ending_cut(bar: int) -> int:
    """The final bar's cut-off hit: its last beat (beat 4 of 4/4, beat 3 of a waltz) ..."""
    return bar - BEAT


def ending_release(bar: int) -> int:
    """... and the held chord lets go right after it."""
    return ending_cut(bar) + BEAT // 8


class Chart:
    """The chords in time order, looked up by tick; ``length``: where the music ends (the ending's
    held chord, if any, lies beyond it); ``bar``: ticks per bar (the piece's meter); ``tempo`` in bpm."""

    def __init__(self, spans: Sequence[Span], length: int, bar: int = BAR, tempo: int = 120) -> None:
        self.spans = tuple(spans)
        self.length = length
        self.bar = bar
        self.tempo = tempo
        self._starts = [span.start for span in spans]

    @property
    def bars(self) -> int:
        return self.length // self.bar

    @property
    def release(self) -> int:
        """Ticks after the final chord's onset where the band lets go of it."""
        return ending_release(self.bar)

    def index_at(self, tick: int) -> int:
        return max(0, bisect_right(self._starts, tick) - 1)


def chart_of(piece: Piece, ending: bool) -> Chart:
    """The piece's chords cut to its length and made contiguous, plus the final tonic when ending:
    the last chord if it is on the tonic, else I6 or Im6."""
    length = piece.length_ticks
    chords = sorted((c for c in piece.chords if c.start < length), key=lambda c: c.start)
    if not chords:
        raise ArrangeError("the piece has no chords to arrange; compose it over a progression.")
    ends = [c.start for c in chords[1:]] + [length]
    spans = [Span(c.symbol, c.name, c.start, end) for c, end in zip(chords, ends, strict=True)]
    if ending:
        last = chords[-1].symbol
        tonic = piece.key.tonic
        final = last if last.root == tonic else ChordSymbol(tonic, "m6" if piece.key.minor else "6")
        spans.append(Span(final, final.name(piece.key), length, length + piece.bar_ticks))
    return Chart(spans, length, piece.bar_ticks, piece.tempo)


def tagged(piece: Piece) -> Piece:
    """The piece with its last :data:`TAG_BARS` bars (melody and chords) played once more: a tag,
    the band repeating the closing cadence before the final chord."""
    if piece.bars < TAG_BARS:
        return piece
    length = piece.length_ticks
    tag = TAG_BARS * piece.bar_ticks
    cut = length - tag
    melody = [n for n in piece.melody if cut <= n.start < length]
    chords = [c for c in piece.chords if c.start < length and c.end > cut]
    repeated_melody = tuple(
        Note(n.pitch, n.start + tag, min(n.duration, length - n.start), n.velocity) for n in melody
    )
    repeated_chords = tuple(
        Chord(c.symbol, max(c.start, cut) + tag, min(c.end, length) - max(c.start, cut), c.name)
        for c in chords
    )
    return replace(
        piece,
        melody=piece.melody + repeated_melody,
        chords=piece.chords + repeated_chords,
        bars=piece.bars + TAG_BARS,
    )
