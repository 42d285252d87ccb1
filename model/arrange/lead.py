"""The lead: the composed line placed in the instrument's real range, phrased, and shown to the band.

The bot composes the line inside the instrument's line range
(:attr:`~model.arrange.instruments.Instrument.line_range`), and placement plays a line that lies inside
the range as composed. A line from elsewhere moves as a whole by the octave shift that puts its median
nearest the instrument's sweet spot with every note inside; when no shift holds it (a line wider than
the instrument), phrases take the octaves that keep the line connected (it breaks as seldom as it can,
where the leap is smallest), and a phrase wider than the instrument folds its stray notes by octaves.
So no note is ever outside the range. A tag plays its bars in the octaves they had. Phrases are the
runs of notes between rests of a beat or more; velocity arches over each phrase (softer at its ends,
louder in the middle) and accents the syncopations (an off-beat note held through the next beat).

:class:`LeadLine` is the line as the other players hear it (straight grid, before swing), so the pianist
can keep its voicings under the lead and out of its way, and lay out when the lead is busy.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Sequence
from operator import itemgetter
from statistics import median

from model.arrange.chart import BEAT, EIGHTH, Played, ending_release
from model.arrange.feel import intensity, jitter
from model.arrange.instruments import LEADS, Instrument
from model.piece import Piece
from model.theory import QUALITIES, ChordSymbol

BOOST = {"swing": 8, "ballad": 0, "bossa": 4, "waltz": 6}  # added to the composer's 100 / 86
# FluidR3's jazz guitar alone peaks ~7 dB above the other leads at the same velocity and is ~3 dB louder
# (RMS); 20 less puts it among them (-17.4 dB RMS alone against the others' -14.6..-21.9 dB, 8 bars, 3 seeds)
VELOCITY_OFFSET = {"jazz guitar": -20}
PHRASE_GAP = BEAT  # a rest this long ends a phrase
ARCH = 10  # velocity swell over a phrase
SYNCOPATION_ACCENT = 8
DYNAMICS = 40  # velocity the lead gains from the band's softest to its loudest (x the range)
FOLD_COST = 24.0  # a note of a phrase folded by an octave on its own (the phrase is wider than the range)
BREAK_COST = 12.0  # neighbouring phrases an octave (or more) apart: the line breaks there
SWEET_COST = 0.1  # per semitone of a phrase's median from the sweet spot (which octaves, overall)


class LeadLine:
    """The lead's notes (straight grid, sorted by onset), looked up by time."""

    def __init__(self, notes: Sequence[Played]) -> None:
        self.notes = tuple(sorted(notes))
        self._starts = [n[0] for n in self.notes]
        self._longest = max((n[1] - n[0] for n in self.notes), default=0)

    def during(self, start: int, end: int) -> list[Played]:
        """Notes sounding at any moment of ``start``..``end``."""
        first = bisect_left(self._starts, start - self._longest)
        last = bisect_left(self._starts, end)
        return [n for n in self.notes[first:last] if n[1] > start]

    def onsets(self, start: int, end: int) -> int:
        """How many notes start in ``start``..``end``."""
        return bisect_left(self._starts, end) - bisect_left(self._starts, start)


def phrases(notes: Sequence[Played]) -> list[range]:
    """Index ranges of the phrases of ``notes`` (sorted): split at rests of :data:`PHRASE_GAP` or more."""
    cuts = [0] + [i for i in range(1, len(notes)) if notes[i][0] - notes[i - 1][1] >= PHRASE_GAP]
    return [range(a, b) for a, b in zip(cuts, [*cuts[1:], len(notes)], strict=True)]


def octave_shift(pitches: Sequence[int], instrument: Instrument) -> int | None:
    """The octave shift putting ``pitches`` inside the range with the median nearest the sweet spot
    (None: no shift holds them all, the line is wider than the instrument or straddles it)."""
    middle = median(pitches)
    fitting = [12 * k for k in range(-6, 7) if instrument.holds(min(pitches) + 12 * k)]
    fitting = [s for s in fitting if instrument.holds(max(pitches) + s)]
    return min(fitting, key=lambda s: abs(middle + s - instrument.sweet), default=None)


def line_shift(pitches: Sequence[int], instrument: Instrument) -> int | None:
    """How :func:`place` moves a whole line: 0 when it lies inside the range, else
    :func:`octave_shift` (None: no shift holds it, it is placed phrase by phrase)."""
    return 0 if all(instrument.holds(p) for p in pitches) else octave_shift(pitches, instrument)


def _fold(pitch: int, instrument: Instrument) -> int:
    while pitch < instrument.low:
        pitch += 12
    while pitch > instrument.high:
        pitch -= 12
    return pitch


def place(pitches: Sequence[int], groups: Sequence[range], instrument: Instrument) -> list[int]:
    """``pitches`` moved by octaves into ``instrument``'s range: not at all when they lie inside it (a
    line composed for the instrument, :attr:`Instrument.line_range`, is played as composed), as a whole
    when one octave shift holds them all (the shift nearest the sweet spot), else group (phrase) by
    group with the octaves that keep the line connected (:func:`_phrase_shifts`); a group wider than
    the instrument folds its stray notes by octaves. No note ends up outside the range."""
    whole = line_shift(pitches, instrument)
    if whole is not None:
        return [p + whole for p in pitches]
    placed = list(pitches)
    for group, shift in zip(groups, _phrase_shifts(pitches, groups, instrument), strict=True):
        for i in group:
            placed[i] = _fold(pitches[i] + shift, instrument)
    return placed


def _phrase_shifts(pitches: Sequence[int], groups: Sequence[range], instrument: Instrument) -> list[int]:
    """An octave shift per group for a line no single shift holds, the cheapest by dynamic programming.

    A group may take any shift that puts its median inside the range; each note that shift leaves
    outside (folded) costs :data:`FOLD_COST`. Where two neighbouring groups take different shifts the
    join costs :data:`BREAK_COST` plus the leap it makes there, so the line breaks as seldom as it can,
    where the leap comes out smallest; where they keep the same shift the join is as written (no
    cost). :data:`SWEET_COST` per semitone of a group's median from the sweet spot settles which
    octaves the line takes overall."""
    best: dict[int, tuple[float, list[int]]] = {}
    last = 0
    for group in groups:
        part = [pitches[i] for i in group]
        middle = median(part)
        options = [12 * k for k in range(-8, 9) if instrument.holds(round(middle + 12 * k))]
        step: dict[int, tuple[float, list[int]]] = {}
        for shift in options:
            own = FOLD_COST * sum(not instrument.holds(p + shift) for p in part)
            own += SWEET_COST * abs(middle + shift - instrument.sweet)
            if not best:
                step[shift] = (own, [shift])
                continue
            cost, path = min(
                (
                    (total + _join(before, shift, last, part[0], instrument), path)
                    for before, (total, path) in best.items()
                ),
                key=itemgetter(0),
            )
            step[shift] = (cost + own, [*path, shift])
        best, last = step, part[-1]
    return min(best.values(), key=lambda option: option[0])[1]


def _join(before: int, shift: int, last: int, first: int, instrument: Instrument) -> float:
    """What joining a phrase ending on ``last`` (moved by ``before``) to one starting on ``first`` (moved
    by ``shift``) costs: nothing as written, else the break and the leap it makes."""
    if before == shift:
        return 0.0
    return BREAK_COST + abs(_fold(first + shift, instrument) - _fold(last + before, instrument))


def _placed(sounding: Sequence[Played], tag: int, end: int, instrument: Instrument) -> list[int]:
    """The pitches of ``sounding`` placed in ``instrument``'s range; the notes of the last ``tag``
    ticks before ``end`` repeat the notes ``tag`` ticks earlier and keep the octaves those were given."""
    first = bisect_left(sounding, (end - tag,)) if tag else len(sounding)
    written = sounding[:first]
    placed = place([n[2] for n in written], phrases(written), instrument) if written else []
    moved = {(start, pitch): new for (start, _, pitch, _), new in zip(written, placed, strict=True)}
    again = [
        moved.get((start - tag, pitch), _fold(pitch, instrument)) for start, _, pitch, _ in sounding[first:]
    ]
    return placed + again


def lead_part(
    piece: Piece, style: str, lead: str, final: ChordSymbol | None, rng: random.Random, tag: int = 0
) -> tuple[list[Played], LeadLine]:
    """The lead's notes (straight grid) and the :class:`LeadLine` the band listens to; ``final``: hold
    a tone of it (the nearest root, third or fifth) through the ending bar; ``tag``: the piece's last
    ``tag`` ticks repeat the ``tag`` ticks before them (:func:`model.arrange.chart.tagged`), and are
    played in the octaves placement gave the line without them."""
    length = piece.length_ticks
    sounding = sorted(
        (n.start, min(n.end, length), n.pitch, n.velocity)
        for n in piece.melody
        if n.pitch is not None and n.start < length
    )
    if not sounding:
        return [], LeadLine([])
    instrument = LEADS[lead]
    groups = phrases(sounding)
    pitches = _placed(sounding, tag, length, instrument)
    boost = BOOST[style] + VELOCITY_OFFSET.get(lead, 0)
    notes: list[Played] = []
    for group in groups:
        first, last = sounding[group[0]][0], sounding[group[-1]][0]
        for i in group:
            start, end, _, velocity = sounding[i]
            where = (start - first) / (last - first) if last > first else 0.5
            shape = ARCH * (math.sin(math.pi * where) - 0.5)
            if start % BEAT and end - start >= EIGHTH and end > (start // BEAT + 1) * BEAT:
                shape += SYNCOPATION_ACCENT  # an off-beat note held over the beat: push it
            shape += DYNAMICS * (intensity(start // piece.bar_ticks, piece.bars, style) - 1)
            notes.append((start, end, pitches[i], jitter(rng, velocity + boost + shape, 3)))
    if final is not None:
        last_pitch = notes[-1][2]
        triad = {(final.root + i) % 12 for i in QUALITIES[final.quality].tones[:3]}
        held = min(
            (p for p in range(last_pitch - 7, last_pitch + 8) if p % 12 in triad and instrument.holds(p)),
            key=lambda p: abs(p - last_pitch),
            default=last_pitch,
        )
        notes.append((length, length + ending_release(piece.bar_ticks), held, 96 + boost))
    return notes, LeadLine(notes)
