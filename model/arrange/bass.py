"""The bassist: roots on the changes, a walking line between them, approach notes into the next chord.

The root falls on the first beat of every chord (the slash bass for slash chords), placed near the
previous root; chord tones on beats 1 and 3 and scale tones on 2 and 4 in between head for the next
root (up and back when the harmony stands still); on the beat before a change an approach note: a
half step below or above, a scale step above, or the fifth. Ballad is a two-feel in half notes with an
occasional quarter-note approach; bossa is root and fifth, each anticipated by an eighth on the "and"
before. In 3/4 the feel follows the tempo, as waltz bassists play it: a dotted half a bar when slow
(and in a ballad), a two-feel in 3 (half note on 1, quarter on 3) at medium tempi, walking quarters
in 3 from :data:`WALK_IN_THREE` bpm. The ending chord's root is held to the band's cut-off.
"""

from __future__ import annotations

import math
import random

from model.arrange.chart import BAR, BEAT, EIGHTH, Chart, Played, Span
from model.arrange.feel import intensity, jitter
from model.arrange.instruments import BASS_HIGH, BASS_LOW, BASS_ROOT_HIGH
from model.theory import QUALITIES, ChordSymbol

_VELOCITY = {"swing": 84, "ballad": 78, "bossa": 82, "waltz": 82}
TWO_FEEL_IN_THREE, WALK_IN_THREE = 120, 160
"""Waltz tempi (bpm) from which the bass plays a two-feel in 3, and walks in 3."""


def step(style: str, bar: int, tempo: int) -> int:
    """Ticks between the bass's notes (before approach notes): a beat when walking, two beats in a
    two-feel, a whole bar for a waltz's dotted halves (see the module docstring)."""
    if bar == BAR:
        return BEAT if style == "swing" else 2 * BEAT
    if style == "ballad" or tempo < TWO_FEEL_IN_THREE:
        return bar
    return 2 * BEAT if tempo < WALK_IN_THREE else BEAT


def _strong(tick: int, bar: int) -> bool:
    """Beats 1 and 3 (of 4/4 and of 3/4): where the line plays chord tones."""
    return tick % bar % (2 * BEAT) == 0


def _place_root(span: Span, near: int | None) -> int:
    """The bass's root for ``span``: near the previous root, pulled towards the middle of the range."""
    home = 38
    reference = home if near is None else near
    candidates = [p for p in range(BASS_LOW, BASS_ROOT_HIGH + 1) if p % 12 == span.bass_class]
    return min(candidates, key=lambda p: abs(p - reference) + 0.4 * abs(p - home))


def _fifth(symbol: ChordSymbol) -> int:
    """Interval of the chord's fifth (diminished or augmented when that is what it has)."""
    tones = QUALITIES[symbol.quality].tones
    return next((i for i in (7, 6, 8) if i in tones), 7)


def _approach(target: int, span: Span, near: int, repeat_ok: bool, rng: random.Random) -> int:
    """A note leading into ``target``: a semitone below or above, a scale step above, or the fifth;
    the closer to ``near`` (where the line is) the likelier."""
    scale = span.symbol.scale
    step_above = next((p for p in (target + 1, target + 2) if p % 12 in scale), target + 2)
    fifth = target + 7 if target + 7 <= BASS_HIGH else target - 5
    options = [(target - 1, 3.0), (target + 1, 2.5), (step_above, 1.5), (fifth, 1.0)]
    usable = [
        (p, w / (1 + abs(p - near) / 7))
        for p, w in options
        if BASS_LOW <= p <= BASS_HIGH and p != target and (repeat_ok or p != near)
    ]
    pitches, weights = zip(*usable, strict=True)
    return rng.choices(pitches, weights)[0]


def _walk_tone(
    span: Span, previous: int, ideal: float, strong: bool, avoid: int | None, rng: random.Random
) -> int:
    """A chord tone (strong beats) or scale tone near ``ideal``, never a repeat of ``previous``."""
    tones, scale = span.symbol.tones | {span.bass_class}, span.symbol.scale
    allowed = tones if strong else scale
    for reach in (4, 7, 12):
        candidates = [
            p
            for p in range(max(BASS_LOW, round(ideal) - reach), min(BASS_HIGH, round(ideal) + reach) + 1)
            if p % 12 in allowed and p not in (previous, avoid)
        ]
        if candidates:
            break
    weights = [(1.5 if p % 12 in tones else 1.0) / (1 + abs(p - ideal)) ** 2 for p in candidates]
    return rng.choices(candidates, weights)[0]


def _bass_slots(span: Span, every: int, bar: int, has_next: bool, rng: random.Random) -> list[int]:
    """Onsets of the bass notes in ``span``: every beat, bar line and chord change, and the beats
    ``every`` ticks apart in the bar (:func:`step`), plus now and then an approach into the next chord."""
    beats = range(span.start, span.end, BEAT)
    if every == BEAT:
        return list(beats)
    slots = [t for t in beats if t == span.start or t % bar % every == 0]
    approach = span.end - BEAT
    if has_next and span.end - span.start >= bar and approach not in slots and rng.random() < 0.4:
        slots.append(approach)  # a quarter-note approach into the next chord
    return slots


def _walk(
    span: Span, root: int, target: int | None, slots: list[int], bar: int, rng: random.Random
) -> list[int]:
    """Pitches for ``slots``: the root first, then a line towards the next chord's root ``target``,
    ending on an approach note when the last slot is a quarter note before the change."""
    pitches = [root]
    if len(slots) == 1:
        return pitches
    approach = None
    if target is not None and span.end - slots[-1] <= BEAT:
        approach = _approach(target, span, root, len(slots) > 2, rng)
    goal = approach if approach is not None else target if target is not None else root
    middle = len(slots) - 1 - (approach is not None)
    arch = 0.0
    if abs(goal - root) < 5:  # going nowhere: walk up and back (or down and back)
        arch = 5.0 if root + 5 <= BASS_HIGH and (root - 5 < BASS_LOW or rng.random() < 0.6) else -5.0
    for k in range(1, middle + 1):
        ideal = root + (goal - root) * k / (middle + 1) + arch * math.sin(math.pi * k / (middle + 1))
        strong = _strong(slots[k], bar)
        avoid = approach if k == middle else None
        pitches.append(_walk_tone(span, pitches[-1], ideal, strong, avoid, rng))
    if approach is not None:
        pitches.append(approach)
    return pitches


def _bossa_line(span: Span, root: int, target: int | None) -> list[Played]:
    """Root on 1, fifth on 3, each anticipated by an eighth on the "and" before (the next chord's root)."""
    interval = _fifth(span.symbol)
    fifth = root + interval if root + interval <= BASS_HIGH else root + interval - 12
    velocity = _VELOCITY["bossa"]
    notes: list[Played] = []
    halves = list(range(span.start, span.end, BAR // 2))
    for h in halves:
        pitch = root if h == span.start else fifth
        end = min(h + BAR // 2, span.end)
        if end - h < BAR // 2:
            notes.append((h, end - 20, pitch, velocity))
            continue
        following = fifth if end < span.end else target if target is not None else pitch
        notes.append((h, h + 3 * EIGHTH - 20, pitch, velocity))
        notes.append((h + 3 * EIGHTH, end - 20, following, velocity - 10))
    return notes


def bass_part(chart: Chart, style: str, rng: random.Random) -> list[Played]:
    """The bass line (straight grid) under the whole chart, the ending's held root included."""
    spans = chart.spans
    notes: list[Played] = []
    root = _place_root(spans[0], None)
    velocity = _VELOCITY[style]
    length, bar = chart.length, chart.bar
    bars = chart.bars
    every = step(style, bar, chart.tempo)
    for i, span in enumerate(spans):
        following = spans[i + 1] if i + 1 < len(spans) else None
        target = _place_root(following, root) if following is not None else None
        if span.start >= length:  # the final chord: the root, held to the cut-off
            notes.append((span.start, span.start + chart.release, root, velocity + 6))
        elif style == "bossa":
            notes += _bossa_line(span, root, target)
        else:
            slots = _bass_slots(span, every, bar, target is not None, rng)
            pitches = _walk(span, root, target, slots, bar, rng)
            for k, (tick, pitch) in enumerate(zip(slots, pitches, strict=True)):
                end = slots[k + 1] if k + 1 < len(slots) else span.end
                accent = 4 if _strong(tick, bar) else 0
                loud = velocity * (0.55 + 0.45 * intensity(tick // bar, bars, style)) + accent
                notes.append((tick, end - 30, pitch, jitter(rng, loud, 3)))
        if target is not None:
            root = target
    return notes
