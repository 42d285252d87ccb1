"""How the band feels time and loudness: swing by tempo, each player's micro-timing, the dynamic arc.

**Swing** is applied to parts written on a straight grid: each beat is warped so its off-beat eighth
lands at ``ratio`` x the beat (the sixteenths in between stretched to match). The default ratio follows
the tempo, as players do (wide, almost a triplet, when slow; straighter when fast): a straight line from
0.68 at 60 bpm to 0.54 at 300 bpm, rounded to 0.01 (72 bpm 0.67, 120 bpm 0.65, 160 bpm 0.62, 200 bpm
0.60, 240 bpm 0.58); bossa is straight (0.5).

**Micro-timing** then moves every onset by a few milliseconds, drawn per part from the seed: the lead
lays back a little with the widest spread (real soloists spread ~27 ms around the beat; ours ~15 ms
plus a slow drift), the piano sits a touch behind, the bass pushes slightly ahead of the beat, and the
drums keep time (2 ms). Notes that start together move together, so a chord stays a chord.

**Dynamics**: :func:`intensity` scales velocities bar by bar: the band starts at 52% (swing), 56%
(bossa) or 66% (ballad: it starts soft anyway) and builds to 104% (ballad 100%) at the end (a piece
shorter than 16 bars builds proportionally less), slowly at first (the build follows progress^1.5),
backing off at the start of every 8-bar phrase so each phrase grows again. The lead follows by about
20 velocity steps (mf to f), as a soloist builds over a chorus: the lead is what the loudness meter
mostly hears, so a soloist following the band's whole range (p to fff: 70 steps, ~10 dB on the part
5-8 dB above the rest) made the last bars of a 16-bar clip 6-8 dB louder than its first half: more
than a combo builds over one chorus (figures in docs/MODEL.md, "Arrangement").
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from model.arrange.chart import BAR, BEAT, EIGHTH, Played

SLOW_TEMPO, SLOW_SWING = 60, 0.68
FAST_TEMPO, FAST_SWING = 300, 0.54
PHRASE_BARS = 8
BUILD = {  # (first bar, last bar)
    "swing": (0.52, 1.04),
    "bossa": (0.56, 1.04),
    "ballad": (0.66, 1.0),
    "waltz": (0.56, 1.04),
}
BACKOFF = 0.15
FULL_BUILD_BARS = 16  # a piece this long (or longer) builds through the whole range


def swing_for_tempo(style: str, tempo: int) -> float:
    """The default swing ratio for ``style`` at ``tempo`` bpm (the curve in the module docstring)."""
    if style == "bossa":
        return 0.5
    slope = (SLOW_SWING - FAST_SWING) / (FAST_TEMPO - SLOW_TEMPO)
    ratio = SLOW_SWING - (tempo - SLOW_TEMPO) * slope
    return round(min(SLOW_SWING, max(FAST_SWING, ratio)), 2)


def swing_tick(tick: int, ratio: float) -> int:
    """Move ``tick`` so that each beat's off-beat eighth falls at ``ratio`` of the beat."""
    beat, offset = divmod(tick, BEAT)
    if offset <= EIGHTH:
        return beat * BEAT + round(offset * ratio * 2)
    return beat * BEAT + round(ratio * BEAT + (offset - EIGHTH) * (1 - ratio) * 2)


def unswingable_beats(notes: Iterable[Played]) -> frozenset[int]:
    """Beats holding a start or end off the straight-sixteenth grid (triplets): already swung."""
    sixteenth = BEAT // 4
    return frozenset(tick // BEAT for start, end, _, _ in notes for tick in (start, end) if tick % sixteenth)


@lru_cache(maxsize=64)
def swing_table(ratio: float) -> tuple[int, ...]:
    """:func:`swing_tick` of every tick of the first beat: a tick anywhere moves as its offset in
    its beat does (a part asks ~250 times, for a handful of offsets)."""
    return tuple(swing_tick(offset, ratio) for offset in range(BEAT))


def swung(notes: list[Played], ratio: float, keep: frozenset[int] = frozenset()) -> list[Played]:
    if ratio == 0.5:
        return notes
    table = swing_table(ratio)

    def move(tick: int) -> int:
        beat, offset = divmod(tick, BEAT)
        return tick if beat in keep else beat * BEAT + table[offset]

    out: list[Played] = []
    for start, end, pitch, velocity in notes:
        new_start = move(start)
        new_end = move(end)
        out.append((new_start, new_end if new_end > new_start else new_start + 1, pitch, velocity))
    return out


@dataclass(frozen=True, slots=True)
class Timing:
    """A player's onsets relative to the grid: mean and spread per note, and a per-bar drift (ms)."""

    mean_ms: float
    spread_ms: float
    drift_ms: float = 0.0


MAX_OFFSET_MS = 40.0
"""No onset moves further than this from its grid position: past ~40 ms a player sounds late, not relaxed
(a Gaussian draw plus the drift would otherwise reach 60 ms now and then in a long, busy solo)."""

TIMING = {
    "Lead": Timing(6.0, 13.0, 7.0),
    "Piano": Timing(4.0, 6.0),
    "Bass": Timing(-9.0, 4.0),
    "Drums": Timing(0.0, 2.0),
}


def humanize(
    notes: list[Played], timing: Timing, tempo: int, rng: random.Random, bar_ticks: int = BAR
) -> list[Played]:
    """``notes`` with every onset group moved by ``timing`` (drawn from ``rng``; the drift moves once a
    bar of ``bar_ticks``), lengths kept, except that no note ends after the part's last note-off: a
    laid-back last note must not lengthen the clip."""
    ticks_per_ms = tempo * BEAT / 60_000
    last = max((n[1] for n in notes), default=0)
    offsets: dict[int, int] = {}
    drift, drift_bar = 0.0, -1
    previous: tuple[int, int] | None = None  # the last onset group: (grid start, moved start)
    for start in sorted({n[0] for n in notes}):
        bar = start // bar_ticks
        while drift_bar < bar and timing.drift_ms:  # a slow random walk: the player leans, then settles
            drift = 0.6 * drift + rng.gauss(0.0, timing.drift_ms)
            drift_bar += 1
        ms = timing.mean_ms + drift + rng.gauss(0.0, timing.spread_ms)
        ms = -MAX_OFFSET_MS if ms < -MAX_OFFSET_MS else MAX_OFFSET_MS if ms > MAX_OFFSET_MS else ms
        moved = start + round(ms * ticks_per_ms)
        if previous is not None:  # a quick grace note and its target never swap: keep half their gap
            moved = max(moved, previous[1] + max(1, (start - previous[0]) // 2))
        offsets[start] = moved - start
        previous = (start, moved)
    out: list[Played] = []
    for start, end, pitch, velocity in notes:
        offset = offsets[start]
        moved = start + offset if start + offset > 0 else 0
        stop = end + offset if end + offset < last else last
        out.append((moved, stop if stop > moved else moved + 1, pitch, velocity))
    return out


@lru_cache(maxsize=4096)
def intensity(bar: int, bars: int, style: str) -> float:
    """How hard the band plays in ``bar`` of ``bars`` (1.0 = full): builds over the piece through the
    style's :data:`BUILD` range, backing off at the start of each 8-bar phrase and growing again.
    Remembered: every note asks (~400 a clip), for a few dozen bars."""
    softest, loudest = BUILD[style]
    softest = loudest - (loudest - softest) * min(1.0, bars / FULL_BUILD_BARS)  # short pieces build less
    progress = (bar / max(1, bars - 1)) ** 1.5  # slow at first, then faster: the build is heard late
    phrase = bar % PHRASE_BARS
    backoff = 0.0 if bar < PHRASE_BARS else max(0.0, BACKOFF - BACKOFF / 3 * phrase)
    return softest + (loudest - softest) * progress - backoff


def scaled(velocity: float) -> int:
    """``velocity`` rounded into MIDI's 1..127."""
    rounded = round(velocity)
    return 1 if rounded < 1 else 127 if rounded > 127 else rounded


def jitter(rng: random.Random, velocity: float, spread: int = 4) -> int:
    """``velocity`` plus a whole number drawn evenly from -``spread``..``spread`` (``random()`` is
    several times cheaper than ``randint``, and there are thousands of notes)."""
    return scaled(velocity + int(rng.random() * (2 * spread + 1)) - spread)


def untangle(notes: list[Played], shift: int) -> list[Played]:
    """Notes sorted and shifted, each cut where the next note of the same pitch starts."""
    ordered = sorted(notes, key=lambda n: (n[2], n[0]))
    out: list[Played] = []
    for i, (start, end, pitch, velocity) in enumerate(ordered):
        if i + 1 < len(ordered) and ordered[i + 1][2] == pitch:
            end = min(end, ordered[i + 1][0])
        if end > start:
            out.append((start + shift, end + shift, pitch, velocity))
    out.sort()
    return out
