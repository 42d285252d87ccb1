"""The drummer: time, conversation with the lead, fills at the seams of the form, an ending.

Swing rides "spang-a-lang" (now and then leaving out a skip note) with the hi-hat pedal on 2 and 4,
feathered kick, and snare comping that talks more where the lead rests. Ballad plays brushes: swirls
(two half-bar or one whole-bar), taps on 2 and 4 with varied pickups, a varied soft kick. Bossa plays
hi-hat eighths (opening on the "and" of 4 at times), cross-stick on the clave-like two-bar figure, the
bossa kick, with small variations. The jazz waltz rides "ding, ding-a ding" (1, 2, the "and" of 2, 3;
now and then "ding, ding, ding-a" or without the skip note) with the hi-hat pedal on 2, on 3 or on
both (the drummer's choice for the piece, changed now and then at a phrase), a feathered kick on 1 and
snare comping on the off-beats; a slow waltz (below :data:`BRUSH_WALTZ` bpm, and a ballad in 3) plays
brushes: a swirl a bar, taps on 2 and 3, the pedal on 2.

Form: every 4th bar ends with a set-up (snare and kick on the off-beats, a crash catching the next
phrase), every 8th bar, and the bar before the ending, with a fill over the bar's last two beats
(3 and 4; 2 and 3 in a waltz: fills and set-ups are written against the bar's end). Everything is
scaled by :func:`model.arrange.feel.intensity`, so the kit builds over the piece and backs off at the
start of each 8-bar phrase. The ending bar is a hit on the final chord (crash and kick), a ride-cymbal
roll swelling over the held chord, and a cut-off hit on the last beat where the band lets go.
"""

from __future__ import annotations

import random

from model.arrange.chart import BAR, BEAT, EIGHTH, Chart, Played, ending_cut
from model.arrange.feel import intensity, jitter
from model.arrange.instruments import (
    BRUSH_SWIRL,
    CLOSED_HAT,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    PEDAL_HAT,
    RIDE,
    SIDE_STICK,
    SNARE,
)
from model.arrange.lead import LeadLine

OPEN_HAT = 46
SIXTEENTH = BEAT // 4
# Fills over beats 3 and 4 (offset, key, velocity), straight grid: swing makes the eighths swing.
_FILLS: tuple[tuple[tuple[int, int, int], ...], ...] = (
    ((960, SNARE, 62), (1200, SNARE, 70), (1440, HIGH_TOM, 76), (1680, LOW_TOM, 82)),
    (
        (960, SNARE, 58),
        (1080, SNARE, 48),
        (1200, SNARE, 66),
        (1440, MID_TOM, 74),
        (1560, MID_TOM, 64),
        (1680, LOW_TOM, 84),
    ),
    ((1200, SNARE, 66), (1440, SNARE, 74), (1560, HIGH_TOM, 70), (1680, KICK, 84)),
    ((960, HIGH_TOM, 64), (1200, MID_TOM, 70), (1440, LOW_TOM, 76), (1680, SNARE, 88)),
)
_SETUPS = (((1200, SNARE, 58), (1680, KICK, 70)), ((1680, SNARE, 64),), ((720, SNARE, 52), (1680, KICK, 66)))
_SNARE_SPOTS = (240, 720, 1200, 1440, 1680)
_BOSSA_STICK = ((0, 720, 1440), (480, 1200))
_WALTZ_RIDES = ((0, 480, 720, 960), (0, 480, 720, 960), (0, 480, 960, 1200), (0, 480, 960))
"""Ride figures in a 3/4 bar: "ding, ding-a ding" (twice as likely), "ding, ding, ding-a", no skip."""
_WALTZ_HATS = ((480,), (960,), (480, 960))  # the hi-hat pedal on 2, on 3, or on both
_WALTZ_SNARE_SPOTS = (240, 720, 1200)
BRUSH_WALTZ = 120
"""A waltz slower than this (bpm) is played with brushes, as a ballad is."""


def brushes(style: str, tempo: int) -> bool:
    """Whether the drummer plays brushes (the brush kit): ballads, and slow waltzes."""
    return style == "ballad" or (style == "waltz" and tempo < BRUSH_WALTZ)


class _Kit:
    """Collects hits, scaled by the piece's dynamic shape."""

    def __init__(self, bars: int, style: str, rng: random.Random, bar: int = BAR) -> None:
        self.bars, self.style, self.rng, self.bar = bars, style, rng, bar
        self.hits: list[Played] = []

    def hit(self, tick: int, key: int, velocity: float, length: int = 120) -> None:
        scale = intensity(min(tick // self.bar, self.bars - 1), self.bars, self.style)
        self.hits.append((tick, tick + length, key, jitter(self.rng, velocity * scale)))

    def figure(self, at: int, hits: tuple[tuple[int, int, int], ...]) -> None:
        for offset, key, velocity in hits:
            self.hit(at + offset, key, velocity)


def _seam(bar: int, bars: int, ending: bool) -> str:
    """What the drummer plays at the end of ``bar``: "fill", "setup" or ""."""
    last = bar == bars - 1
    if (last and ending) or (bar % 8 == 7 and not last):
        return "fill"
    return "setup" if bar % 4 == 3 and not last else ""


def _swing_bar(kit: _Kit, bar: int, seam: str, resting: bool) -> None:
    at, rng = bar * BAR, kit.rng
    skips = [o for o in (720, 1680) if not (seam == "fill" and o == 1680) and rng.random() > 0.15]
    for offset in (0, 480, 960, 1440, *skips):
        if seam == "fill" and offset >= 960:
            continue
        velocity = 82 if offset % BAR in (480, 1440) else 62 if offset % BEAT else 70
        kit.hit(at + offset, CRASH if offset == 0 and bar % 4 == 0 else RIDE, velocity)
    for beat in range(4):
        kit.hit(at + beat * BEAT, KICK, 28)  # feathered
    kit.hit(at + 480, PEDAL_HAT, 62)
    kit.hit(at + 1440, PEDAL_HAT, 62)
    if seam == "fill":
        kit.figure(at, rng.choice(_FILLS))
        return
    spots = [s for s in _SNARE_SPOTS if not (seam and s >= 1200)]
    chatter = rng.choice((1, 2, 3) if resting else (0, 1, 1, 2))
    for offset in rng.sample(spots, min(chatter, len(spots))):
        kit.hit(at + offset, SNARE, rng.randint(34, 52) + (8 if resting else 0))  # comping on the snare
    if seam == "setup":
        kit.figure(at, rng.choice(_SETUPS))


def _ballad_bar(kit: _Kit, bar: int, seam: str) -> None:
    at, rng = bar * BAR, kit.rng
    if rng.random() < 0.3:
        kit.hit(at, BRUSH_SWIRL, 44, 1860)  # one long swirl
    else:
        kit.hit(at, BRUSH_SWIRL, 46, 900)
        kit.hit(at + 960, BRUSH_SWIRL, 42, 900)
    kit.hit(at + 480, SNARE, 44)
    kit.hit(at + 1440, SNARE, 48)
    for offset in rng.choice(((), (1200,), (600,), (1320,), (600, 1320))):
        kit.hit(at + offset, SNARE, 30)  # brush pickups into 2 or 4
    if rng.random() < 0.8:
        kit.hit(at + 480, PEDAL_HAT, 40)
        kit.hit(at + 1440, PEDAL_HAT, 40)
    for offset in rng.choice(((0,), (0,), (0, 960), (0, 1680), ())):
        kit.hit(at + offset, KICK, 30)
    _brush_seam(kit, bar, seam, crash=1200)


def _brush_seam(kit: _Kit, bar: int, seam: str, crash: int) -> None:
    """A brushed bar's close: a snare crescendo over its last 1.5 beats into a fill, a pickup on its last
    eighth for a setup, and a soft crash (``crash`` ticks) opening every 8-bar phrase."""
    end = (bar + 1) * kit.bar
    if seam == "fill":
        for before, velocity in ((720, 36), (480, 44), (360, 50), (240, 58)):
            kit.hit(end - before, SNARE, velocity)
    elif seam == "setup":
        kit.hit(end - 240, SNARE, 40)
    if bar % 8 == 0 and bar > 0:
        kit.hit(bar * kit.bar, CRASH, 46, crash)  # a soft cymbal on the new phrase


def _bossa_bar(kit: _Kit, bar: int, seam: str) -> None:
    at, rng = bar * BAR, kit.rng
    opening = rng.random() < 0.3
    for offset in range(0, BAR, EIGHTH):
        if seam == "fill" and offset >= 960:
            continue
        key = OPEN_HAT if opening and offset == 1680 else CLOSED_HAT
        kit.hit(at + offset, key, 54 if offset % BEAT == 0 else 42)
    stick = _BOSSA_STICK[bar % 2]
    if rng.random() < 0.25:
        stick = (*stick, 1680) if bar % 2 else (*stick, 1200)  # an extra stroke in the clave
    for offset in stick:
        if not (seam == "fill" and offset >= 960):
            kit.hit(at + offset, SIDE_STICK, 62)
    kicks: tuple[tuple[int, int], ...] = ((0, 62), (720, 42), (960, 62), (1680, 42))
    if rng.random() < 0.2:
        kicks = ((0, 62), (960, 62))
    for offset, velocity in kicks:
        kit.hit(at + offset, KICK, velocity)
    if seam == "fill":
        kit.figure(at, rng.choice(_FILLS))
    elif seam == "setup":
        kit.hit(at + 1680, SNARE, 56)


def _waltz_bar(kit: _Kit, bar: int, seam: str, resting: bool, hats: tuple[int, ...]) -> None:
    at, rng, size = bar * kit.bar, kit.rng, kit.bar
    ride = rng.choice(_WALTZ_RIDES)
    for offset in ride:
        if seam == "fill" and offset >= BEAT:
            continue
        velocity = 80 if offset == 0 else 62 if offset % BEAT else 70
        kit.hit(at + offset, CRASH if offset == 0 and bar % 4 == 0 else RIDE, velocity)
    kit.hit(at, KICK, 34)  # feathered on 1
    for offset in hats:
        kit.hit(at + offset, PEDAL_HAT, 62)
    if seam == "fill":
        kit.figure(at + size - BAR, rng.choice(_FILLS))  # over beats 2 and 3
        return
    spots = [s for s in _WALTZ_SNARE_SPOTS if not (seam and s >= 720)]
    chatter = rng.choice((1, 1, 2) if resting else (0, 0, 1))
    for offset in rng.sample(spots, min(chatter, len(spots))):
        kit.hit(at + offset, SNARE, rng.randint(34, 50) + (8 if resting else 0))
    if seam == "setup":
        kit.figure(at + size - BAR, rng.choice(_SETUPS))


def _brush_waltz_bar(kit: _Kit, bar: int, seam: str) -> None:
    at, rng = bar * kit.bar, kit.rng
    kit.hit(at, BRUSH_SWIRL, 44 if rng.random() < 0.5 else 40, kit.bar - 60)  # a swirl a bar
    kit.hit(at + 480, SNARE, 42)
    kit.hit(at + 960, SNARE, 46)
    for offset in rng.choice(((), (720,), (360,), (840,), (360, 840))):
        kit.hit(at + offset, SNARE, 30)  # brush pickups into 2 or 3
    if rng.random() < 0.8:
        kit.hit(at + 480, PEDAL_HAT, 40)
    if rng.random() < 0.7:
        kit.hit(at, KICK, 30)
    _brush_seam(kit, bar, seam, crash=960)


def _ending(kit: _Kit, end: int, style: str) -> None:
    """The final chord: a hit, a ride roll swelling over the held chord, and the cut-off."""
    soft = 0.7 if style == "ballad" else 1.0
    cut = end + ending_cut(kit.bar)
    kit.hit(end, CRASH, 84 * soft, kit.bar)
    kit.hit(end, KICK, 70 * soft)
    roll = range(end + BEAT, cut, SIXTEENTH)
    for k, tick in enumerate(roll):
        kit.hit(tick, RIDE, (30 + 50 * k / len(roll)) * soft, SIXTEENTH)
    kit.hit(cut, CRASH, 96 * soft, end + kit.bar - cut)  # rings to the bar line (then the renderer's tail)
    kit.hit(cut, KICK, 84 * soft)
    kit.hit(cut, SNARE, 70 * soft)


def drum_part(chart: Chart, style: str, ending: bool, lead: LeadLine, rng: random.Random) -> list[Played]:
    """The drum part bar by bar (straight grid); drum notes are short hits except swirls and cymbals."""
    bars, size = chart.bars, chart.bar
    kit = _Kit(bars, style, rng, size)
    hats = rng.choice(_WALTZ_HATS) if size != BAR else ()
    for bar in range(bars):
        seam = _seam(bar, bars, ending)
        resting = lead.onsets(bar * size, (bar + 1) * size) <= 1
        if size != BAR:
            if brushes(style, chart.tempo):
                _brush_waltz_bar(kit, bar, seam)
                continue
            if bar % 8 == 0 and bar > 0 and rng.random() < 0.3:
                hats = rng.choice(_WALTZ_HATS)  # a new phrase, a new place for the hi-hat
            _waltz_bar(kit, bar, seam, resting, hats)
        elif style == "swing":
            _swing_bar(kit, bar, seam, resting)
        elif style == "ballad":
            _ballad_bar(kit, bar, seam)
        else:
            _bossa_bar(kit, bar, seam)
    if ending:
        _ending(kit, bars * size, style)
    return kit.hits


def count_in(beats: int = 4) -> list[Played]:
    """A hi-hat click on each of the ``beats`` beats of the bar before the music, straight (not swung)."""
    return [(beat * BEAT, beat * BEAT + 120, CLOSED_HAT, 90 if beat == 0 else 74) for beat in range(beats)]
