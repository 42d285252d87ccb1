"""The pianist: rootless voicings kept under the lead and out of its way, comping that leaves space.

Voicings are the rootless "A" form (3rd at the bottom) and "B" form (7th at the bottom) of the chord's
3rd, 7th (or 6th), 9th and 5th/13th, every tone inside the chord-scale of :mod:`model.theory`, at every
octave near C3..C5, and each also without its top voice (a three-note voicing that makes room for the
lead). Each hit takes the placement with the least cost: voice movement from the previous hit, distance
outside C3..C5, and the lead: a voicing whose top reaches a lead note sounding during the hit (or near
it) costs a lot, a voice a semitone or minor ninth from a lead note costs too. The soloist stays on top:
when that placement's top voice reaches a lead note sounding with the hit, a placement wholly under the
lead is played however far it moves, or a two-note shell of the guide tones (:func:`shells`), or the hit
is cut short, or the pianist lays out (every chord still sounds once: :meth:`_Pianist.somewhere`). A
voice that still clashes with a lead note held through the hit moves to a neighbouring chord tone, or
is dropped when the voicing can spare it (never the 3rd).

Rhythm: swing picks a comping figure per bar, sparse ones when the lead is busy (six or more notes in
the bar) and fuller ones with more hits in the lead's rests; ballad holds rolled pads per half bar,
re-voiced only when the lead's register asks for it, with a broken-chord fill where the lead rests;
bossa plays the two-bar clave-like figure; the waltz picks a figure per bar as swing does, from jazz
waltz figures (1 and the "and" of 2, 2 and 3, the "and" of 2 held, the push on the "and" of 3, ...). A
chord a figure misses is played on its first beat. A ballad in 3 holds one pad a bar.
"""

from __future__ import annotations

import itertools
import math
import operator
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

from model.arrange.chart import BAR, BEAT, EIGHTH, Chart, Played
from model.arrange.feel import intensity, jitter
from model.arrange.instruments import PIANO_HIGH, PIANO_LOW
from model.arrange.lead import LeadLine
from model.theory import QUALITIES, ChordSymbol

# Rootless voicings per quality, as intervals above the root: an "A" form (3rd or 7th at the
# bottom) and a "B" form (the other one at the bottom). Every tone is in the quality's chord-scale.
_MAJOR_6 = ((4, 7, 9, 14), (9, 14, 16, 19))
_MAJOR_7 = ((4, 7, 11, 14), (11, 14, 16, 19))
_MINOR_6 = ((3, 7, 9, 14), (9, 14, 15, 19))
_MINOR_7 = ((3, 7, 10, 14), (10, 14, 15, 19))
_DOMINANT = ((4, 9, 10, 14), (10, 14, 16, 21))
_DOMINANT_B13 = ((4, 8, 10, 14), (10, 14, 16, 20))
_DIMINISHED = ((3, 6, 9, 14), (9, 14, 15, 18))
VOICINGS: dict[str, tuple[tuple[int, ...], ...]] = {
    "": _MAJOR_6,
    "6": _MAJOR_6,
    "maj7": _MAJOR_7,
    "maj9": _MAJOR_7,
    "maj7#11": ((4, 6, 11, 14), (11, 14, 16, 18)),
    "m": _MINOR_6,
    "m6": _MINOR_6,
    "m7": _MINOR_7,
    "m9": _MINOR_7,
    "mmaj7": ((3, 7, 11, 14), (11, 14, 15, 19)),
    "7": _DOMINANT,
    "9": _DOMINANT,
    "13": _DOMINANT,
    "7b9": ((4, 9, 10, 13), (10, 13, 16, 21)),
    "7#9": ((4, 8, 10, 15), (10, 15, 16, 20)),
    "7alt": ((4, 8, 10, 13), (10, 13, 16, 20)),
    "7#11": ((4, 6, 10, 14), (10, 14, 16, 18)),
    "7b13": _DOMINANT_B13,
    "7#5": _DOMINANT_B13,
    "7sus4": ((5, 7, 10, 14), (10, 14, 17, 19)),
    "sus4": ((5, 7, 9, 14), (9, 14, 17, 19)),
    "m7b5": ((3, 6, 10, 14), (10, 14, 15, 18)),
    "dim": _DIMINISHED,
    "dim7": _DIMINISHED,
    "aug": ((4, 8, 14), (8, 14, 16)),
}

# Swing comping figures, one per bar: (offset, length) in straight ticks. A hit an eighth before a
# chord change plays the coming chord (an anticipation, the "push").
_Figure = tuple[tuple[int, int], ...]
_SWING_COMPS: tuple[_Figure, ...] = (
    ((0, 360), (720, 240)),  # Charleston: 1 and the "and" of 2
    ((240, 240), (960, 480)),  # "and" of 1, 3
    ((0, 480), (1680, 240)),  # 1, push into the next bar
    ((720, 240), (1680, 240)),  # "and" of 2, push
    ((480, 240), (1440, 240)),  # 2 and 4
    ((240, 240), (1200, 240), (1680, 240)),  # the "and"s of 1, 3 and 4
    ((0, 900),),  # one held chord
    ((240, 360),),  # just the "and" of 1: leave space
    ((960, 240), (1680, 240)),  # 3 and the push
    ((0, 240), (720, 240), (1200, 240), (1680, 240)),  # a fill: 1, and the "and"s of 2, 3 and 4
    ((240, 240), (720, 240), (960, 360), (1440, 240)),  # a fill around the beat
)
# Jazz waltz figures in a 3/4 bar (1 = 0, 2 = 480, 3 = 960; the "and" of 3 pushes into the next bar).
_WALTZ_COMPS: tuple[_Figure, ...] = (
    ((0, 360), (720, 240)),  # 1 and the "and" of 2: the waltz's Charleston
    ((480, 240), (960, 240)),  # 2 and 3
    ((0, 480), (960, 240)),  # 1, 3
    ((720, 480),),  # the "and" of 2, held over 3
    ((0, 900),),  # one held chord
    ((240, 360),),  # just the "and" of 1: leave space
    ((720, 240), (1200, 240)),  # the "and" of 2, push
    ((0, 360), (1200, 240)),  # 1, push
    ((0, 240), (720, 240), (1200, 240)),  # a fill: 1, the "and"s of 2 and 3
    ((240, 240), (480, 240), (960, 360)),  # a fill around the beat
)
Placing = Literal["under", "cost", "lowest"]  # how a hit is voiced against the lead (_Pianist.voicing)
_Placement = tuple[tuple[int, ...], float, float]  # voicing, distance from the middle, fixed cost
BUSY_LEAD = 6  # lead onsets in a bar from which the piano lays out
RESTING_LEAD = 1  # lead onsets in a bar up to which the piano fills
# Bossa: a two-bar clave-like figure on the piano (1, "and" of 2, 4 | 2, "and" of 3).
_BOSSA_COMP: tuple[_Figure, _Figure] = (
    ((0, 360), (720, 240), (1440, 240)),
    ((480, 240), (1200, 360)),
)
_VELOCITY = {"swing": 66, "ballad": 56, "bossa": 62, "waltz": 64}
_NEAR = BEAT  # lead notes this close to a hit count (a little) for its register
TOUCHING = EIGHTH // 4  # a lead note this close to a hit may overlap it once both are humanized
ABOVE_COST, CLASH_COST, NEAR_WEIGHT = 8.0, 7.0, 0.3
CLASHES = frozenset({1, 13, 25})  # a semitone, a minor ninth (and two octaves on)
# The pitches clashing with each MIDI pitch (an interval in CLASHES either way), for the cost loop.
_CLASHING = tuple(frozenset(p + sign * i for i in CLASHES for sign in (-1, 1)) for p in range(128))
PIANO_FLOOR = 46  # Bb2: the lowest voice of a voicing
# The lowest bottom note of a two-note shell by its interval, near the low interval limits (below them
# an interval turns to mud): a major 3rd from Bb2 (PIANO_FLOOR, as a close voicing), a 4th or tritone
# from A2 (the left hand's 3-7 shell), a 5th or minor 6th from G2 (their limit is lower; the walking
# bass's register is not).
SHELL_FLOOR = {4: PIANO_FLOOR, 5: 45, 6: 45, 7: 43, 8: 43}
SHELL_COST = 3.0  # a shell costs this much more than a full voicing: played only when nothing else fits
CENTRE_PULL = 0.5  # per semitone the voicing's mean strays from C4: comping drifts back after a low lead


@lru_cache(maxsize=512)
def placements(symbol: ChordSymbol) -> tuple[_Placement, ...]:
    """Both voicing forms of ``symbol`` at every octave near the comping range (never below
    :data:`PIANO_FLOOR`: lower, thirds turn to mud), each also without its top voice when it has four;
    each with its distance from the middle of the range and its fixed cost (semitones outside C3..C5
    x 4, one more for three voices)."""
    found = []
    for form in VOICINGS[symbol.quality]:
        for octave in range(2, 7):
            pitches = tuple(symbol.root + 12 * octave + interval for interval in form)
            if pitches[0] >= PIANO_FLOOR and pitches[-1] <= PIANO_HIGH + 7:
                for voicing in (pitches, pitches[:3]) if len(pitches) == 4 else (pitches,):
                    found.append(_placement(voicing, float(len(voicing) < 4)))
    return tuple(found)


@lru_cache(maxsize=512)
def shells(symbol: ChordSymbol) -> tuple[_Placement, ...]:
    """The guide tones alone, the left hand's two-note shell: the 3rd (the "A" form's bottom) and the
    7th or 6th (the "B" form's; an augmented chord's #5), either way up, at every octave from
    :data:`SHELL_FLOOR` (a 5th may sit lower than a close voicing); fixed cost as :func:`placements`'
    plus :data:`SHELL_COST`. Played only under a lead too low for any voicing of three or four."""
    third, seventh = (form[0] for form in VOICINGS[symbol.quality])
    found = []
    for low, high in ((third, seventh), (seventh, third + 12)):
        for octave in range(2, 6):
            pitches = (symbol.root + 12 * octave + low, symbol.root + 12 * octave + high)
            if pitches[0] >= SHELL_FLOOR[high - low] and pitches[-1] <= PIANO_HIGH:
                found.append(_placement(pitches, SHELL_COST))
    return tuple(found)


def _placement(voicing: tuple[int, ...], extra: float) -> _Placement:
    """``voicing`` with its distance from the middle of the comping range and its fixed cost."""
    away = abs(sum(voicing) / len(voicing) - (PIANO_LOW + PIANO_HIGH) / 2)
    return voicing, away, 4.0 * outside(voicing) + extra


def movement(a: Sequence[int], b: Sequence[int]) -> int:
    """Semitones the voices travel from voicing ``a`` to ``b``."""
    if len(a) == len(b):
        return sum(map(abs, map(operator.sub, a, b)))
    return sum(min([abs(x - y) for y in a]) for x in b) + 2 * abs(len(a) - len(b))


_moved = lru_cache(maxsize=8192)(movement)
""":func:`movement` remembered for voicing tuples: a clip asks ~300 times, about half of them again."""


def outside(pitches: Sequence[int]) -> int:
    return sum(max(0, PIANO_LOW - p) + max(0, p - PIANO_HIGH) for p in pitches)


def _heard(lead: LeadLine, start: int, end: int) -> list[tuple[int, float]]:
    """(pitch, weight) of the lead notes a hit at ``start``..``end`` must keep out of the way of."""
    return [
        (pitch, 1.0 if s < end and e > start else NEAR_WEIGHT)
        for s, e, pitch, _ in lead.during(start - _NEAR, end + _NEAR)
    ]


def ceiling(lead: LeadLine, start: int, end: int) -> int | None:
    """The lowest lead note sounding with a hit at ``start``..``end``, or starting or ending within
    :data:`TOUCHING` of it (micro-timing may make those overlap): what the hit's top voice stays
    under. None when the lead rests."""
    return min((n[2] for n in lead.during(start - TOUCHING, end + TOUCHING)), default=None)


def _cheapest(
    candidates: Sequence[_Placement], previous: Sequence[int] | None, heard: Sequence[tuple[int, float]]
) -> tuple[int, ...]:
    """The candidate with the least cost: voice movement from ``previous`` (or the distance from the
    middle of the range), the fixed cost, and the lead's cost; ``()`` when there is none."""
    best: tuple[int, ...] = ()
    lowest = math.inf
    before = None if previous is None else tuple(previous)
    # Per lead note: its pitch, its weight, the weight of a clash, and which pitches clash with it.
    lead = [(pitch, weight, weight * CLASH_COST, _CLASHING[pitch].__contains__) for pitch, weight in heard]
    for pitches, away, fixed in candidates:
        moved = away if before is None else _moved(before, pitches) + CENTRE_PULL * away
        cost = moved + fixed
        if cost < lowest and lead:  # the lead's cost only adds: skip it when already beaten
            top, extra = pitches[-1], 0.0
            for pitch, weight, clash, clashes in lead:
                if top >= pitch:
                    extra += weight * (ABOVE_COST + 2 * (top - pitch))
                extra += clash * sum(map(clashes, pitches))
            cost += extra
        if cost < lowest:
            best, lowest = pitches, cost
    return best


def choose(
    symbol: ChordSymbol,
    previous: Sequence[int] | None,
    heard: Sequence[tuple[int, float]],
    top: int | None = None,
) -> tuple[int, ...]:
    """The placement of ``symbol`` that moves least, stays in range and keeps under the lead (a
    three-note voicing costs one more than four; a voicing far from the middle of the range a little).

    The soloist stays on top: when that placement's top voice reaches ``top`` (the lowest lead note
    sounding with the hit: :func:`ceiling`), the cheapest placement or shell (:func:`shells`) wholly
    under it is played instead, however far it moves; when none fits (a lead down near
    :data:`PIANO_FLOOR`), ``()``: the pianist lays out for the hit and leaves the low register to the
    soloist and the bass."""
    best = _cheapest(placements(symbol), previous, heard)
    if top is None or best[-1] < top:
        return best
    under = [c for c in (*placements(symbol), *shells(symbol)) if c[0][-1] < top]
    return _cheapest(under, previous, heard)


def lowest(
    symbol: ChordSymbol, previous: Sequence[int] | None, heard: Sequence[tuple[int, float]]
) -> tuple[int, ...]:
    """The cheapest of the placements and shells of ``symbol`` with the lowest top voice: for a chord
    that must sound over a lead too low for anything to fit under it (it sits as far down as it can)."""
    candidates = (*placements(symbol), *shells(symbol))
    bottom = min(pitches[-1] for pitches, _, _ in candidates)
    return _cheapest([c for c in candidates if c[0][-1] == bottom], previous, heard)


def _guide_tones(symbol: ChordSymbol) -> frozenset[int]:
    """The 3rd (or 4th of a sus chord) and the 7th (or 6th): what makes the chord that chord."""
    tones = QUALITIES[symbol.quality].tones
    return frozenset((symbol.root + i) % 12 for i in tones if i in (3, 4, 5, 9, 10, 11))


def out_of_the_way(symbol: ChordSymbol, pitches: Sequence[int], held: Sequence[int]) -> tuple[int, ...]:
    """``pitches`` with each voice that clashes (semitone or minor ninth) with a ``held`` lead note
    moved to a neighbouring chord tone, 9th or 13th below the lead (under a melody on the root the
    maj7 becomes the 6th), or dropped when it is colour and four voices remain."""
    if not held:
        return tuple(pitches)
    guide = _guide_tones(symbol)
    thirds = {(symbol.root + i) % 12 for i in (3, 4, 5) if i in QUALITIES[symbol.quality].tones}
    colours = (symbol.tones | {(symbol.root + 2) % 12, (symbol.root + 9) % 12}) & symbol.scale  # + 9th, 13th
    lowest = min(held)
    voices = list(pitches)

    def clashes(p: int) -> bool:
        return any(abs(p - h) in CLASHES for h in held)

    for i, p in enumerate(pitches):
        if not clashes(p) or p % 12 in thirds:
            continue
        moves = [
            q
            for q in (p - 1, p + 1, p - 2, p + 2)
            if q % 12 in colours
            and q % 12 != symbol.root
            and PIANO_FLOOR <= q < lowest
            and q not in voices
            and not clashes(q)
        ]
        if moves:
            voices[i] = moves[0]
        elif p % 12 not in guide and sum(v >= 0 for v in voices) == 4:
            voices[i] = -1
    kept = sorted(p for p in voices if p >= 0)
    if kept and kept[0] % 12 == symbol.root:
        return tuple(pitches)  # never a root at the bottom: leave the voicing as it was
    return tuple(kept)


def _figure_hits(
    comps: Sequence[_Figure], bars: int, bar_ticks: int, ending: bool, lead: LeadLine, rng: random.Random
) -> list[tuple[int, int]]:
    """(tick, length) of every comping hit: a figure of ``comps`` per bar, sparser under a busy lead."""
    hits: list[tuple[int, int]] = []
    push = bar_ticks - EIGHTH
    for bar in range(bars):
        last = ending and bar == bars - 1  # the final chord is held, not pushed
        busy = lead.onsets(bar * bar_ticks, (bar + 1) * bar_ticks)
        figures = [f for f in comps if not (last and f[-1][0] >= push)]
        if busy >= BUSY_LEAD:
            weights = [3.0 if len(f) == 1 else 1.0 if len(f) == 2 else 0.15 for f in figures]
        elif busy <= RESTING_LEAD:
            weights = [0.3 if len(f) == 1 else 1.0 if len(f) == 2 else 3.0 for f in figures]
        else:
            weights = [1.0 if len(f) < 4 else 0.3 for f in figures]
        figure = rng.choices(figures, weights)[0]
        hits += [(bar * bar_ticks + offset, duration) for offset, duration in figure]
    return hits


class _Pianist:
    """Plays hits one after the other, each voiced against the previous one and the lead."""

    def __init__(self, chart: Chart, style: str, lead: LeadLine, rng: random.Random) -> None:
        self.chart, self.lead, self.rng = chart, lead, rng
        self.base, self.style = _VELOCITY[style], style
        self.bars = chart.bars
        self.previous: tuple[int, ...] | None = None
        self.notes: list[Played] = []
        self.comped: set[int] = set()  # chords voiced at least once (not laid out)

    def voicing(self, index: int, start: int, end: int, how: Placing = "under") -> tuple[int, ...]:
        """The voicing of chord ``index`` for a hit at ``start``..``end`` (becomes the previous one):
        wholly under the lead (``"under"``, see :func:`choose`; ``()`` when nothing fits), kept out of
        its way only by cost (``"cost"``), or as low as it goes (``"lowest"``, :func:`lowest`)."""
        symbol = self.chart.spans[index].symbol
        heard = _heard(self.lead, start, end)
        if how == "lowest":
            voicing = lowest(symbol, self.previous, heard)
        else:
            voicing = choose(
                symbol, self.previous, heard, ceiling(self.lead, start, end) if how == "under" else None
            )
        if voicing:  # laid out under a low lead: the next hit moves from the last one played
            self.previous = voicing
            self.comped.add(index)
        held = [p for s, e, p, _ in self.lead.during(start, end) if min(e, end) - max(s, start) >= EIGHTH]
        return out_of_the_way(symbol, voicing, held)

    def velocity(self, start: int, accent: int) -> float:
        size = self.chart.bar
        bar = min(start, self.chart.length - 1) // size
        busy = self.lead.onsets(bar * size, (bar + 1) * size) >= BUSY_LEAD
        return self.base * (0.4 + 0.6 * intensity(bar, self.bars, self.style)) + accent - (5 if busy else 0)

    def play(self, voicing: Sequence[int], start: int, end: int, velocity: float, roll: int = 0) -> None:
        for i, pitch in enumerate(voicing):  # the top voice sings a little louder
            loud = velocity + (5 if i == len(voicing) - 1 else 0)
            self.notes.append((start + i * roll, end, pitch, jitter(self.rng, loud, 3)))

    def hit(
        self, index: int, start: int, end: int, accent: int = 0, roll: int = 0, must: Placing | None = None
    ) -> None:
        """Chord ``index`` from ``start`` to ``end``; when nothing fits under the lead for all of it, cut
        short before the lead's next onset (the latest that still lets a voicing fit, an eighth or more
        after ``start``), else laid out. A hit that ``must`` sound is played even so, placed that way:
        the final chord (the band's, together) kept out of the lead's way only by cost, as every hit
        was before 2026-12-06; a chord with no other place to be heard as low as it goes."""
        voicing = self.voicing(index, start, end)
        if not voicing and must is not None:
            voicing = self.voicing(index, start, end, must)
        if not voicing:
            onsets = sorted({s for s, _, _, _ in self.lead.during(start, end) if s >= start + EIGHTH})
            for cut in reversed(onsets):
                voicing = self.voicing(index, start, cut - TOUCHING)
                if voicing:
                    end = cut - TOUCHING
                    break
        self.play(voicing, start, end, self.velocity(start, accent), roll)

    def somewhere(self, index: int) -> None:
        """Chord ``index``, which no hit has voiced yet: on its first beat, else on the first eighth of
        its span where a voicing fits under the lead and no other hit sounds, else as low as it goes
        where the lead sounds highest (the earliest such eighth)."""
        span = self.chart.spans[index]
        free = []
        last = max(span.start + 1, span.end - EIGHTH)  # a hit on the last eighth would read as a push
        for start in range(span.start, last, EIGHTH):
            end = min(start + 360, span.end)
            if start > span.start and any(s < end and e > start for s, e, _, _ in self.notes):
                continue
            self.hit(index, start, end)
            if index in self.comped:
                return
            free.append((-(ceiling(self.lead, start, end) or 0), start, end))
        _, start, end = min(free)
        self.hit(index, start, end, must="lowest")


def piano_part(chart: Chart, style: str, ending: bool, lead: LeadLine, rng: random.Random) -> list[Played]:
    """The piano's notes (straight grid) for the whole piece, ending chord included."""
    spans = chart.spans
    length = chart.length
    bars = chart.bars
    pianist = _Pianist(chart, style, lead, rng)
    played = [i for i, span in enumerate(spans) if span.start < length]
    if style == "ballad":
        for i in played:
            _ballad_chord(pianist, i)
    else:
        if style == "bossa":
            hits = [(b * BAR + o, d) for b in range(bars) for o, d in _BOSSA_COMP[b % 2]]
        else:
            comps = _WALTZ_COMPS if style == "waltz" else _SWING_COMPS
            hits = _figure_hits(comps, bars, chart.bar, ending, lead, rng)
        for tick, duration in hits:
            index = chart.index_at(tick)
            if index + 1 < len(spans) and spans[index + 1].start - tick <= EIGHTH:
                index += 1  # anticipation: the push plays the coming chord
            pianist.hit(index, tick, min(tick + duration, spans[index].end), 6 if tick % BEAT else 0)
    for i in played:
        if i not in pianist.comped:  # a short chord the figure skipped, or laid out under a low lead
            pianist.somewhere(i)
    if ending:
        pianist.hit(len(spans) - 1, length, length + chart.release, 4, roll=25, must="cost")
    return pianist.notes


def _ballad_chord(pianist: _Pianist, index: int) -> None:
    """Rolled pads over chord ``index``, one per half bar (per bar in 3/4) unless the same voicing still
    fits (then it rings on); where the lead rests for the half bar, the voicing is broken upwards in
    eighths."""
    span = pianist.chart.spans[index]
    bar = pianist.chart.bar
    cuts = [*range(span.start, span.end, bar // 2 if bar == BAR else bar), span.end]
    pad: tuple[tuple[int, ...], int] | None = None  # (voicing, start) still ringing

    def release(at: int) -> None:
        if pad is not None:
            voicing, start = pad
            roll = 20 if start == span.start else 0
            pianist.play(voicing, start, at - 20, pianist.velocity(start, 0), roll)

    for start, end in itertools.pairwise(cuts):
        voicing = pianist.voicing(index, start, end)
        if voicing and start > span.start and not pianist.lead.during(start, end):
            release(start)
            pad = None
            step = min(EIGHTH, (end - start) // len(voicing))
            for k, pitch in enumerate(voicing):
                pianist.play((pitch,), start + k * step, end - 20, pianist.velocity(start, -4))
            continue
        if pad is None or pad[0] != voicing:
            release(start)
            pad = (voicing, start)
    release(span.end)
